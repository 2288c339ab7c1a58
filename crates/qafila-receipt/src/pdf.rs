//! Draws a laid-out page with krilla, which subsets the fonts and writes the ToUnicode maps that
//! let a reader copy or extract the text in logical order.

use krilla::Document;
use krilla::color::luma;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::paint::Fill;

use crate::error::ReceiptError;
use crate::layout::{Item, Page};
use crate::shape::Shaper;

/// The PDF bytes of one page.
pub(crate) fn write(shaper: &Shaper, page: &Page, title: &str) -> Result<Vec<u8>, ReceiptError> {
    let mut document = Document::new();
    document.set_metadata(
        Metadata::new()
            .title(title.to_string())
            .creator("Qafila".to_string())
            .language("fr-MA".to_string()),
    );
    let settings = PageSettings::from_wh(page.width, page.height)
        .ok_or_else(|| ReceiptError::Pdf(format!("invalid page size {} × {} pt", page.width, page.height)))?;
    let mut pdf_page = document.start_page_with(settings);
    let mut surface = pdf_page.surface();
    let mut rects = PathBuilder::new();
    for item in &page.items {
        match item {
            Item::Rect { x, y, w, h } => {
                if let Some(r) = Rect::from_xywh(*x, *y, *w, *h) {
                    rects.push_rect(r);
                }
            }
            Item::Text {
                x,
                baseline,
                size,
                grey,
                line,
            } => {
                surface.set_fill(Some(Fill {
                    paint: luma::Color::new(*grey).into(),
                    ..Fill::default()
                }));
                let mut x = *x;
                for run in &line.runs {
                    let font = shaper.font(run.font).pdf.clone();
                    surface.draw_glyphs(Point::from_xy(x, *baseline), &run.glyphs, font, &run.text, *size, false);
                    x += run.advance * size;
                }
            }
        }
    }
    // One path for every rectangle: a single fill leaves no hairline seams between adjacent QR
    // modules when the page is rasterised.
    if let Some(path) = rects.finish() {
        surface.set_fill(Some(Fill::default()));
        surface.draw_path(&path);
    }
    surface.finish();
    pdf_page.finish();
    document.finish().map_err(|e| ReceiptError::Pdf(format!("{e:?}")))
}

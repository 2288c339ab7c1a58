//! Where everything goes on the page, for each format: pure geometry, no PDF yet.
//!
//! Points, origin at the top left, y growing downwards (krilla's convention).

use chrono::{DateTime, Utc};
use qafila_domain::BirthDate;
use qrcode::{EcLevel, QrCode};

use crate::data::ReceiptData;
use crate::error::ReceiptError;
use crate::shape::{Base, Line, Shaper};
use crate::wording::{self, Both};

/// A5 width, 148 mm, in points.
pub const A5_WIDTH: f32 = 420.94;
/// A5 height, 210 mm, in points.
pub const A5_HEIGHT: f32 = 595.28;
/// Thermal paper width, 80 mm, in points.
pub const THERMAL_WIDTH: f32 = 226.77;

/// The paper a receipt is printed on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// A5 portrait (148 × 210 mm), for office printers.
    A5,
    /// 80 mm receipt-printer roll; the page is as tall as its content.
    Thermal80,
}

impl Format {
    /// The name used on command lines: `a5` or `thermal`.
    pub fn name(self) -> &'static str {
        match self {
            Format::A5 => "a5",
            Format::Thermal80 => "thermal",
        }
    }
}

impl std::str::FromStr for Format {
    type Err = ReceiptError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "a5" | "A5" => Ok(Format::A5),
            "thermal" | "thermal80" => Ok(Format::Thermal80),
            _ => Err(ReceiptError::BadField {
                field: "format",
                reason: format!("{s:?} is not a5 or thermal"),
            }),
        }
    }
}

/// Sizes of one format, in points.
struct Style {
    width: f32,
    height: Option<f32>,
    margin: f32,
    kingdom: f32,
    card: f32,
    title: f32,
    label: f32,
    value: f32,
    notice: f32,
    qr: f32,
}

impl Style {
    fn of(format: Format) -> Self {
        match format {
            Format::A5 => Style {
                width: A5_WIDTH,
                height: Some(A5_HEIGHT),
                margin: 30.0,
                kingdom: 10.0,
                card: 13.0,
                title: 15.0,
                label: 8.5,
                value: 10.5,
                notice: 8.5,
                qr: 118.0,
            },
            // 80 mm rolls print about 72 mm: 4 mm margins each side.
            Format::Thermal80 => Style {
                width: THERMAL_WIDTH,
                height: None,
                margin: 11.34,
                kingdom: 8.0,
                card: 9.0,
                title: 11.0,
                label: 7.0,
                value: 8.5,
                notice: 7.0,
                qr: 128.0,
            },
        }
    }
}

/// Light grey for labels, black for what the citizen must read.
const LABEL_GREY: u8 = 80;
const INK: u8 = 0;
/// Line advance as a multiple of the font size; Naskh's tall letters need the room.
const LEADING: f32 = 1.55;

/// Something to draw.
pub(crate) enum Item {
    /// A shaped line; `x` is its left edge, `baseline` its baseline.
    Text {
        x: f32,
        baseline: f32,
        size: f32,
        grey: u8,
        line: Line,
    },
    /// A filled black rectangle (QR modules, rules).
    Rect { x: f32, y: f32, w: f32, h: f32 },
}

/// A laid-out page.
pub(crate) struct Page {
    pub width: f32,
    pub height: f32,
    pub items: Vec<Item>,
}

/// A field's value: the same in both languages (ids, dates), or written in each script.
enum Value<'a> {
    Neutral(String),
    Bilingual { latin: &'a str, arabic: &'a str },
}

/// Lays out a receipt carrying `qr_text` in its QR code.
pub(crate) fn receipt(
    shaper: &Shaper,
    data: &ReceiptData,
    qr_text: &str,
    format: Format,
) -> Result<Page, ReceiptError> {
    let style = Style::of(format);
    let mut flow = Flow {
        shaper,
        y: style.margin,
        items: Vec::new(),
        style,
    };
    let s = &flow.style;
    let (kingdom, card, title) = (s.kingdom, s.card, s.title);
    flow.centered(wording::KINGDOM.ar, Base::Rtl, kingdom, INK);
    flow.centered(wording::KINGDOM.fr, Base::Ltr, kingdom, INK);
    flow.gap(0.4 * kingdom);
    flow.centered(wording::CARD.ar, Base::Rtl, card, INK);
    flow.centered(wording::CARD.fr, Base::Ltr, card, INK);
    flow.gap(0.3 * card);
    flow.centered(
        &format!("{} — {}", wording::TITLE.fr, wording::TITLE.ar),
        Base::Ltr,
        title,
        INK,
    );
    flow.rule();

    let kind = wording::kind(data.kind);
    flow.field(wording::APPLICATION_ID, Value::Neutral(data.application_id.to_string()));
    flow.field(
        wording::KIND,
        Value::Bilingual {
            latin: kind.fr,
            arabic: kind.ar,
        },
    );
    flow.field(wording::ENROLLED_AT, Value::Neutral(date_time(data.enrolled_at)));
    flow.field(wording::VAN, Value::Neutral(data.van_id.clone()));
    if let Some(drive) = &data.drive_id {
        flow.field(wording::DRIVE, Value::Neutral(drive.clone()));
    }
    flow.field(wording::OPERATOR, Value::Neutral(data.operator_id.clone()));
    flow.field(
        wording::FAMILY_NAME,
        Value::Bilingual {
            latin: &data.family_name.latin,
            arabic: &data.family_name.arabic,
        },
    );
    flow.field(
        wording::GIVEN_NAMES,
        Value::Bilingual {
            latin: &data.given_names.latin,
            arabic: &data.given_names.arabic,
        },
    );
    flow.field(wording::BIRTH_DATE, Value::Neutral(birth_date(data.birth_date)));
    flow.rule();

    let notice = flow.style.notice;
    flow.paragraph(wording::NOTICE.ar, Base::Rtl, notice);
    flow.gap(0.3 * notice);
    flow.paragraph(wording::NOTICE.fr, Base::Ltr, notice);
    flow.gap(0.6 * notice);
    flow.qr(qr_text)?;
    flow.centered(wording::QR_CAPTION.ar, Base::Rtl, notice, LABEL_GREY);
    flow.centered(wording::QR_CAPTION.fr, Base::Ltr, notice, LABEL_GREY);

    let needed = flow.y + flow.style.margin;
    let height = match flow.style.height {
        Some(h) if needed > h => {
            return Err(ReceiptError::BadField {
                field: "content",
                reason: format!("needs {needed:.0} pt of height, {} has {h:.0}", format.name()),
            });
        }
        Some(h) => h,
        None => needed,
    };
    Ok(Page {
        width: flow.style.width,
        height,
        items: flow.items,
    })
}

/// `21/11/2026 14:02 UTC`: day first as in Morocco, and the zone said, since vans keep UTC.
fn date_time(t: DateTime<Utc>) -> String {
    t.format("%d/%m/%Y %H:%M UTC").to_string()
}

fn birth_date(d: BirthDate) -> String {
    match d {
        BirthDate::Full(d) => d.format("%d/%m/%Y").to_string(),
        BirthDate::Year(y) => format!("{y:04}"),
    }
}

/// The layout cursor: moves down the page placing items.
struct Flow<'a> {
    shaper: &'a Shaper<'a>,
    style: Style,
    /// Top of the next line.
    y: f32,
    items: Vec<Item>,
}

impl Flow<'_> {
    fn left(&self) -> f32 {
        self.style.margin
    }

    fn right(&self) -> f32 {
        self.style.width - self.style.margin
    }

    fn content_width(&self) -> f32 {
        self.right() - self.left()
    }

    fn gap(&mut self, h: f32) {
        self.y += h;
    }

    fn put(&mut self, line: Line, x: f32, baseline: f32, size: f32, grey: u8) {
        self.items.push(Item::Text {
            x,
            baseline,
            size,
            grey,
            line,
        });
    }

    /// The size at which `line` fits the content width: `size`, or smaller for a long id.
    fn fitting(&self, line: &Line, size: f32) -> f32 {
        let w = line.width(size);
        if w > self.content_width() {
            size * self.content_width() / w
        } else {
            size
        }
    }

    fn centered(&mut self, text: &str, base: Base, size: f32, grey: u8) {
        let line = self.shaper.line(text, base);
        let size = self.fitting(&line, size);
        let x = (self.style.width - line.width(size)) / 2.0;
        let baseline = self.y + size;
        self.put(line, x, baseline, size, grey);
        self.y += size * LEADING;
    }

    fn rule(&mut self) {
        let h = 0.6;
        self.y += 3.0;
        let (x, y, w) = (self.left(), self.y, self.content_width());
        self.items.push(Item::Rect { x, y, w, h });
        self.y += h + 6.0;
    }

    /// A field: French label at the left, Arabic label at the right, the value between them when it
    /// fits, else on the next line.
    fn field(&mut self, label: Both, value: Value) {
        let (label_size, value_size) = (self.style.label, self.style.value);
        let fr = self.shaper.line(&format!("{} :", label.fr), Base::Ltr);
        let ar = self.shaper.line(&format!("{}:", label.ar), Base::Rtl);
        let (fr_w, ar_w) = (fr.width(label_size), ar.width(label_size));
        let gap = label_size;
        let baseline = self.y + value_size;
        let right = self.right();
        self.put(fr, self.left(), baseline, label_size, LABEL_GREY);
        self.put(ar, right - ar_w, baseline, label_size, LABEL_GREY);
        let free_left = self.left() + fr_w + gap;
        let free_right = right - ar_w - gap;
        match value {
            Value::Neutral(text) => {
                let line = self.shaper.line(&text, Base::Ltr);
                let w = line.width(value_size);
                let centered = (self.style.width - w) / 2.0;
                if w <= free_right - free_left {
                    // Centred on the page when that clears both labels, else in the space between.
                    let x = if centered >= free_left && centered + w <= free_right {
                        centered
                    } else {
                        (free_left + free_right - w) / 2.0
                    };
                    self.put(line, x, baseline, value_size, INK);
                } else {
                    self.y += value_size * LEADING;
                    let size = self.fitting(&line, value_size);
                    let x = (self.style.width - line.width(size)) / 2.0;
                    self.put(line, x, self.y + size, size, INK);
                }
            }
            Value::Bilingual { latin, arabic } => {
                let latin = self.shaper.line(latin, Base::Ltr);
                let arabic = self.shaper.line(arabic, Base::Rtl);
                let (lw, aw) = (latin.width(value_size), arabic.width(value_size));
                self.y += value_size * LEADING;
                let baseline = self.y + value_size;
                if lw + gap + aw <= self.content_width() {
                    self.put(latin, self.left(), baseline, value_size, INK);
                    self.put(arabic, right - aw, baseline, value_size, INK);
                } else {
                    let size = self.fitting(&latin, value_size);
                    self.put(latin, self.left(), self.y + size, size, INK);
                    self.y += value_size * LEADING;
                    let size = self.fitting(&arabic, value_size);
                    let aw = arabic.width(size);
                    self.put(arabic, right - aw, self.y + size, size, INK);
                }
            }
        }
        self.y += value_size * LEADING;
    }

    /// A wrapped paragraph, flush left for French and flush right for Arabic.
    fn paragraph(&mut self, text: &str, base: Base, size: f32) {
        for line in self.shaper.wrap(text, base, size, self.content_width()) {
            let x = match base {
                Base::Ltr => self.left(),
                Base::Rtl => self.right() - line.width(size),
            };
            self.put(line, x, self.y + size, size, INK);
            self.y += size * LEADING;
        }
    }

    /// The QR code, centred, one rectangle per horizontal stretch of dark modules.
    fn qr(&mut self, text: &str) -> Result<(), ReceiptError> {
        let code =
            QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).map_err(|e| ReceiptError::BadField {
                field: "qr",
                reason: e.to_string(),
            })?;
        let n = code.width();
        let colors = code.to_colors();
        // The white page around it is the quiet zone: 4 modules each side.
        let module = self.style.qr / (n + 8) as f32;
        let x0 = (self.style.width - module * n as f32) / 2.0;
        let y0 = self.y + 4.0 * module;
        for (row, cells) in colors.chunks(n).enumerate() {
            let mut col = 0;
            while col < n {
                if cells[col] == qrcode::Color::Dark {
                    let start = col;
                    while col < n && cells[col] == qrcode::Color::Dark {
                        col += 1;
                    }
                    self.items.push(Item::Rect {
                        x: x0 + start as f32 * module,
                        y: y0 + row as f32 * module,
                        w: (col - start) as f32 * module,
                        h: module,
                    });
                } else {
                    col += 1;
                }
            }
        }
        self.y += self.style.qr;
        Ok(())
    }
}

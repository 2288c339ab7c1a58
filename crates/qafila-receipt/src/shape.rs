//! Lines of mixed Arabic and Latin text, reordered (bidi) and shaped into positioned glyphs.
//!
//! Each line is split into visual runs by the Unicode bidi algorithm, each run into pieces of one
//! font, and each piece shaped by rustybuzz in its direction: Arabic letters take their joined forms
//! and ligatures, digits and Latin ids inside Arabic keep their left-to-right order.

use krilla::text::{GlyphId, KrillaGlyph};
use rustybuzz::{Direction, Face, UnicodeBuffer};
use unicode_bidi::{BidiInfo, Level};

use crate::error::ReceiptError;
use crate::fonts::{Fonts, LoadedFont};

/// Which of the receipt's two fonts a run is set in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Which {
    Latin,
    Arabic,
}

/// The base direction of a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Base {
    /// French text, ids, dates.
    Ltr,
    /// Arabic text.
    Rtl,
}

/// Shaped glyphs of one font and one direction, with the text they came from.
#[derive(Clone, Debug)]
pub(crate) struct Run {
    pub font: Which,
    /// The run's text in logical order; glyph text ranges index into it.
    pub text: String,
    pub glyphs: Vec<KrillaGlyph>,
    /// Total advance in ems.
    pub advance: f32,
}

/// A line ready to draw: runs in visual order, left to right.
#[derive(Clone, Debug, Default)]
pub(crate) struct Line {
    pub runs: Vec<Run>,
}

impl Line {
    /// Width at a font size, in points.
    pub fn width(&self, size: f32) -> f32 {
        self.runs.iter().map(|r| r.advance).sum::<f32>() * size
    }
}

/// Shapes text with the receipt's fonts.
pub(crate) struct Shaper<'a> {
    fonts: &'a Fonts,
    latin: Face<'a>,
    arabic: Face<'a>,
}

impl<'a> Shaper<'a> {
    /// Parses the fonts' shaping tables once for a whole receipt.
    pub fn new(fonts: &'a Fonts) -> Result<Self, ReceiptError> {
        Ok(Shaper {
            fonts,
            latin: fonts.latin.face()?,
            arabic: fonts.arabic.face()?,
        })
    }

    /// The PDF font of a run.
    pub fn font(&self, which: Which) -> &'a LoadedFont {
        match which {
            Which::Latin => &self.fonts.latin,
            Which::Arabic => &self.fonts.arabic,
        }
    }

    fn face(&self, which: Which) -> &Face<'a> {
        match which {
            Which::Latin => &self.latin,
            Which::Arabic => &self.arabic,
        }
    }

    /// One line (no line breaks in `text`), reordered and shaped.
    pub fn line(&self, text: &str, base: Base) -> Line {
        let level = match base {
            Base::Ltr => Level::ltr(),
            Base::Rtl => Level::rtl(),
        };
        let info = BidiInfo::new(text, Some(level));
        let mut runs = Vec::new();
        for para in &info.paragraphs {
            let (levels, visual) = info.visual_runs(para, para.range.clone());
            for range in visual {
                let rtl = levels.get(range.start).is_some_and(|l| l.is_rtl());
                let mut pieces = self.split_by_font(&text[range.clone()], rtl);
                // Within a right-to-left run the logically first piece is drawn rightmost.
                if rtl {
                    pieces.reverse();
                }
                for (which, piece) in pieces {
                    runs.push(self.shape(piece, which, rtl));
                }
            }
        }
        Line { runs }
    }

    /// Greedy word wrap: as many words per line as fit in `max_width` points at `size`.
    pub fn wrap(&self, text: &str, base: Base, size: f32, max_width: f32) -> Vec<Line> {
        let mut lines = Vec::new();
        let mut current = String::new();
        for word in text.split_whitespace() {
            let candidate = if current.is_empty() {
                word.to_string()
            } else {
                format!("{current} {word}")
            };
            if current.is_empty() || self.line(&candidate, base).width(size) <= max_width {
                current = candidate;
            } else {
                lines.push(self.line(&current, base));
                current = word.to_string();
            }
        }
        if !current.is_empty() {
            lines.push(self.line(&current, base));
        }
        lines
    }

    /// Splits a run into pieces of one font, in logical order: the run's own script's font where it
    /// has the glyph, the other font otherwise.
    fn split_by_font<'t>(&self, text: &'t str, rtl: bool) -> Vec<(Which, &'t str)> {
        let (preferred, other) = if rtl {
            (Which::Arabic, Which::Latin)
        } else {
            (Which::Latin, Which::Arabic)
        };
        let mut pieces: Vec<(Which, &'t str)> = Vec::new();
        let mut start = 0;
        let mut current: Option<Which> = None;
        for (i, c) in text.char_indices() {
            let which = if self.face(preferred).glyph_index(c).is_some() {
                preferred
            } else if self.face(other).glyph_index(c).is_some() {
                other
            } else {
                preferred
            };
            // Combining marks stay with their base letter's font.
            let which = match current {
                Some(cur) if is_mark(c) => cur,
                _ => which,
            };
            if current.is_some_and(|cur| cur != which) {
                if let Some(cur) = current {
                    pieces.push((cur, &text[start..i]));
                }
                start = i;
            }
            current = Some(which);
        }
        if let Some(cur) = current {
            pieces.push((cur, &text[start..]));
        }
        pieces
    }

    fn shape(&self, text: &str, which: Which, rtl: bool) -> Run {
        let face = self.face(which);
        let mut buffer = UnicodeBuffer::new();
        buffer.push_str(text);
        buffer.set_direction(if rtl {
            Direction::RightToLeft
        } else {
            Direction::LeftToRight
        });
        buffer.guess_segment_properties();
        let output = rustybuzz::shape(face, &[], buffer);
        let upem = face.units_per_em().max(1) as f32;
        let infos = output.glyph_infos();
        let mut cluster_starts: Vec<usize> = infos.iter().map(|g| g.cluster as usize).collect();
        cluster_starts.sort_unstable();
        cluster_starts.dedup();
        let mut advance = 0.0;
        let glyphs = infos
            .iter()
            .zip(output.glyph_positions())
            .map(|(info, pos)| {
                let start = info.cluster as usize;
                // A cluster spans up to the next cluster in the text, whatever the visual order.
                let end = cluster_starts
                    .iter()
                    .copied()
                    .find(|&s| s > start)
                    .unwrap_or(text.len());
                advance += pos.x_advance as f32 / upem;
                KrillaGlyph::new(
                    GlyphId::new(info.glyph_id),
                    pos.x_advance as f32 / upem,
                    pos.x_offset as f32 / upem,
                    pos.y_offset as f32 / upem,
                    pos.y_advance as f32 / upem,
                    start..end,
                    None,
                )
            })
            .collect();
        Run {
            font: which,
            text: text.to_string(),
            glyphs,
            advance,
        }
    }
}

/// Whether `c` is a combining mark (Arabic harakat, Latin accents given separately).
fn is_mark(c: char) -> bool {
    matches!(c, '\u{0300}'..='\u{036F}' | '\u{0610}'..='\u{061A}' | '\u{064B}'..='\u{065F}' | '\u{0670}')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fonts::FontPaths;

    fn fonts() -> Fonts {
        Fonts::load(&FontPaths::system().expect("install fonts-noto-core")).expect("fonts load")
    }

    #[test]
    fn arabic_with_digits_splits_into_visual_runs() {
        let fonts = fonts();
        let shaper = Shaper::new(&fonts).expect("shaper");
        // "Van 12": the Arabic word is drawn to the right of the digits in a right-to-left line.
        let line = shaper.line("الوحدة 12", Base::Rtl);
        let texts: Vec<&str> = line.runs.iter().map(|r| r.text.as_str()).collect();
        assert_eq!(texts.first(), Some(&"12"), "{texts:?}");
        assert!(texts.last().is_some_and(|t| t.contains("الوحدة")), "{texts:?}");
        assert_eq!(line.runs[0].font, Which::Latin);
    }

    #[test]
    fn arabic_letters_join_into_fewer_or_other_glyphs_than_isolated_forms() {
        let fonts = fonts();
        let shaper = Shaper::new(&fonts).expect("shaper");
        let joined = shaper.line("محمد", Base::Rtl);
        let isolated: Vec<u32> = "محمد"
            .chars()
            .filter_map(|c| shaper.face(Which::Arabic).glyph_index(c))
            .map(|g| u32::from(g.0))
            .collect();
        let shaped: Vec<u32> = joined
            .runs
            .iter()
            .flat_map(|r| r.glyphs.iter().map(|g| g.glyph_id.to_u32()))
            .collect();
        assert_ne!(shaped, isolated, "shaping must pick contextual forms");
    }

    #[test]
    fn wrap_keeps_every_word_and_respects_the_width() {
        let fonts = fonts();
        let shaper = Shaper::new(&fonts).expect("shaper");
        let text = "un deux trois quatre cinq six sept huit neuf dix";
        let lines = shaper.wrap(text, Base::Ltr, 10.0, 80.0);
        assert!(lines.len() > 1);
        for l in &lines {
            assert!(l.width(10.0) <= 80.0);
        }
        let back: Vec<String> = lines
            .iter()
            .map(|l| l.runs.iter().map(|r| r.text.clone()).collect())
            .collect();
        assert_eq!(back.join(" "), text);
    }
}

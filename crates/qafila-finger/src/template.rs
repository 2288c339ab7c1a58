//! Minutiae templates: extraction with MINDTCT (`fprint-mindtct`, a pure-Rust port of NIST's, or NIST's
//! own through `libnbis.so` in [`crate::Quality::analyse`]), and comparison with BOZORTH3
//! (`fprint-bozorth3`).
//!
//! A template holds what an ISO/IEC 19794-2:2005 finger view holds, in that format's conventions:
//! origin top-left with y downwards, angles in units of 360/256 degrees counter-clockwise from the
//! x axis. MINDTCT's directions are multiples of 11.25° (8 ISO units), so converting its NIST `xyt`
//! output to this form and back is exact, and [`compare`] scores exactly what NIST's bozorth3 scores on
//! mindtct's `.xyt` files (for prints of at most 150 minutiae).

use serde::{Deserialize, Serialize};

use crate::error::{FingerError, Result};
use crate::image::GrayImage;
use crate::nbis_ffi::NbisMinutia;

/// Bozorth3 score at and above which two impressions are taken to be the same finger. NIST's NBIS
/// guide gives 40 as the usual threshold: impostor scores rarely exceed it while mated pairs of usable
/// 500 ppi prints mostly score far above.
pub const MATCH_THRESHOLD: u32 = 40;
/// At most this many minutiae per view (the ISO record counts them in one byte).
pub const MAX_MINUTIAE: usize = 255;
/// Bozorth3 only looks at this many minutiae, the first given: templates keep the best first.
pub const BOZORTH_MINUTIAE: usize = fprint_bozorth3::DEFAULT_BOZORTH_MINUTIAE;
/// Largest coordinate an ISO minutia can carry (14 bits).
pub const MAX_COORDINATE: u16 = 0x3fff;

/// Finger position codes of ISO/IEC 19794-2 (and ANSI/NIST-ITL).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[repr(u8)]
pub enum Finger {
    /// Position not known.
    Unknown = 0,
    /// Right thumb.
    RightThumb = 1,
    /// Right index.
    RightIndex = 2,
    /// Right middle.
    RightMiddle = 3,
    /// Right ring.
    RightRing = 4,
    /// Right little.
    RightLittle = 5,
    /// Left thumb.
    LeftThumb = 6,
    /// Left index.
    LeftIndex = 7,
    /// Left middle.
    LeftMiddle = 8,
    /// Left ring.
    LeftRing = 9,
    /// Left little.
    LeftLittle = 10,
}

impl Finger {
    /// The ten known positions, right thumb first.
    pub const ALL: [Finger; 10] = [
        Finger::RightThumb,
        Finger::RightIndex,
        Finger::RightMiddle,
        Finger::RightRing,
        Finger::RightLittle,
        Finger::LeftThumb,
        Finger::LeftIndex,
        Finger::LeftMiddle,
        Finger::LeftRing,
        Finger::LeftLittle,
    ];

    /// The ISO code.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The position for an ISO code, if it is one (0–10).
    pub fn from_code(code: u8) -> Option<Finger> {
        match code {
            0 => Some(Finger::Unknown),
            1..=10 => Some(Finger::ALL[usize::from(code) - 1]),
            _ => None,
        }
    }
}

/// Kind of minutia, as ISO codes it in two bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MinutiaKind {
    /// Not told (MINDTCT's port does not expose the kind, so [`extract`]ed minutiae are this; NIST's
    /// library, through [`crate::Quality::analyse`], tells the kind).
    Other,
    /// A ridge ending.
    RidgeEnding,
    /// A ridge bifurcation.
    Bifurcation,
}

/// One minutia in ISO conventions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Minutia {
    /// Column in pixels from the left, 0–16383.
    pub x: u16,
    /// Row in pixels from the top, 0–16383.
    pub y: u16,
    /// Direction in units of 360/256 degrees, counter-clockwise from the x axis.
    pub angle: u8,
    /// Reliability 0–100 (MINDTCT's minutia quality; 0 means not reported).
    pub quality: u8,
    /// Ending, bifurcation or not told.
    pub kind: MinutiaKind,
}

impl Minutia {
    /// The direction in whole degrees 0–359 (halves rounded down, which makes MINDTCT's degrees exact).
    pub fn angle_degrees(&self) -> i32 {
        // units * 1.40625 = units * 45 / 32; round half down: ceil(v - 1/2) = floor((2*45*u - 32 + 63) / 64).
        let twice = 2 * 45 * i32::from(self.angle);
        ((twice + 31) / 64) % 360
    }

    /// The ISO angle unit nearest to a direction in degrees.
    pub fn angle_from_degrees(degrees: i32) -> u8 {
        let d = degrees.rem_euclid(360);
        // round(d * 256 / 360), half up; 360° wraps to unit 0.
        (((d * 256 * 2 + 360) / 720) % 256) as u8
    }
}

/// A finger view: image geometry and the minutiae found on it, best quality first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Template {
    width: u16,
    height: u16,
    ppcm: u16,
    finger: Finger,
    impression: u8,
    quality: u8,
    minutiae: Vec<Minutia>,
}

impl Template {
    /// Builds a template, checking every value fits its ISO field.
    pub fn new(
        width: u16,
        height: u16,
        ppcm: u16,
        finger: Finger,
        impression: u8,
        quality: u8,
        minutiae: Vec<Minutia>,
    ) -> Result<Self> {
        let bad = |field, reason: String| Err(FingerError::Template { field, reason });
        if impression > 15 {
            return bad("impression", format!("{impression} does not fit ISO's 4 bits"));
        }
        if quality > 100 {
            return bad("quality", format!("{quality} is above 100"));
        }
        if minutiae.len() > MAX_MINUTIAE {
            return bad(
                "minutiae",
                format!("{} minutiae, a view holds at most {MAX_MINUTIAE}", minutiae.len()),
            );
        }
        for (i, m) in minutiae.iter().enumerate() {
            if m.x > MAX_COORDINATE || m.y > MAX_COORDINATE {
                return bad(
                    "minutiae",
                    format!("#{i} at ({}, {}) beyond ISO's 14-bit coordinates", m.x, m.y),
                );
            }
            if m.quality > 100 {
                return bad("minutiae", format!("#{i} has quality {} above 100", m.quality));
            }
        }
        Ok(Self {
            width,
            height,
            ppcm,
            finger,
            impression,
            quality,
            minutiae,
        })
    }

    /// The same template labelled with a finger position.
    pub fn with_finger(mut self, finger: Finger) -> Self {
        self.finger = finger;
        self
    }

    /// The same template with a finger quality (e.g. the NFIQ 2 score), capped at 100.
    pub fn with_quality(mut self, quality: u8) -> Self {
        self.quality = quality.min(100);
        self
    }

    /// Image width in pixels.
    pub fn width(&self) -> u16 {
        self.width
    }

    /// Image height in pixels.
    pub fn height(&self) -> u16 {
        self.height
    }

    /// Resolution in pixels per centimetre (ISO's unit; 197 for 500 ppi).
    pub fn ppcm(&self) -> u16 {
        self.ppcm
    }

    /// Resolution in pixels per inch, rounded.
    pub fn ppi(&self) -> u16 {
        ((u32::from(self.ppcm) * 254 + 50) / 100).min(u32::from(u16::MAX)) as u16
    }

    /// Finger position.
    pub fn finger(&self) -> Finger {
        self.finger
    }

    /// ISO impression type (0 live-scan plain, 1 live-scan rolled…).
    pub fn impression(&self) -> u8 {
        self.impression
    }

    /// Finger quality 0–100 (0 when not computed).
    pub fn quality(&self) -> u8 {
        self.quality
    }

    /// The minutiae, in stored order (best quality first for extracted templates).
    pub fn minutiae(&self) -> &[Minutia] {
        &self.minutiae
    }

    /// The minutiae as bozorth3 wants them: NIST `xyt` (origin bottom-left), best quality first, at most
    /// the 150 it reads.
    pub fn bozorth_minutiae(&self) -> Vec<fprint_bozorth3::Minutia> {
        let mut order: Vec<&Minutia> = self.minutiae.iter().collect();
        // Stable: extracted templates are already in this order and stay as MINDTCT listed ties.
        order.sort_by_key(|m| std::cmp::Reverse(m.quality));
        order
            .into_iter()
            .take(BOZORTH_MINUTIAE)
            .map(|m| fprint_bozorth3::Minutia {
                x: i32::from(m.x),
                y: i32::from(self.height) - i32::from(m.y),
                theta: m.angle_degrees(),
            })
            .collect()
    }
}

/// Extracts the minutiae of an impression scanned at `ppi` (500 for the van's scanners).
pub fn extract(image: &GrayImage, ppi: u16) -> Result<Template> {
    let (width, height) = iso_size(image)?;
    let gray = fprint_mindtct::GrayImage::new(image.pixels(), image.width(), image.height(), ppi).map_err(|e| {
        FingerError::Image {
            field: "size",
            reason: e.to_string(),
        }
    })?;
    let minutiae: Vec<Minutia> = fprint_mindtct::detect_minutiae(gray)
        .into_iter()
        .map(|m| Minutia {
            x: m.x.clamp(0, i32::from(width) - 1) as u16,
            // MINDTCT reports y = height - row (1..=height); ISO counts rows from the top.
            y: (i32::from(height) - m.y).clamp(0, i32::from(height) - 1) as u16,
            angle: Minutia::angle_from_degrees(m.theta),
            quality: m.quality.clamp(0, 100) as u8,
            kind: MinutiaKind::Other,
        })
        .collect();
    finish(width, height, ppi, minutiae)
}

/// The template of the minutiae NIST's library found (in its `extract_minutiae` call, the one that also
/// gives NFIQ 2), in the conventions [`extract`] uses, so templates from either path compare alike.
pub(crate) fn from_nbis(image: &GrayImage, ppi: u16, found: &[NbisMinutia]) -> Result<Template> {
    let (width, height) = iso_size(image)?;
    let minutiae = found
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let bad = |what: &str, value: f64| FingerError::Template {
                field: "minutiae",
                reason: format!("NBIS minutia #{i} has {what} {value}"),
            };
            if !m.angle.is_finite() {
                return Err(bad("angle", m.angle));
            }
            if !(0.0..=1.0).contains(&m.reliability) {
                return Err(bad("reliability (not within 0–1)", m.reliability));
            }
            // The library's angle points the opposite way to mindtct's `xyt` theta (measured on real
            // prints: every minutia both find is 180° ± 0.5° apart), and templates must not depend on
            // which path made them: turn it round, then to ISO units.
            let degrees = (m.angle + 180.0).rem_euclid(360.0);
            let angle = ((degrees * 256.0 / 360.0).round() as u32 % 256) as u8;
            Ok(Minutia {
                // The library already counts rows from the top, as ISO does.
                x: m.x.clamp(0, i32::from(width) - 1) as u16,
                y: m.y.clamp(0, i32::from(height) - 1) as u16,
                angle,
                // mindtct's own rule for its xyt quality (lfs2nist: sround(reliability * 100)); the
                // value is within 0–100 by the check above.
                quality: (m.reliability * 100.0).round() as u8,
                kind: match m.kind {
                    1 => MinutiaKind::RidgeEnding,
                    2 => MinutiaKind::Bifurcation,
                    _ => MinutiaKind::Other,
                },
            })
        })
        .collect::<Result<Vec<_>>>()?;
    finish(width, height, ppi, minutiae)
}

/// The image size as ISO's 14-bit fields hold it.
fn iso_size(image: &GrayImage) -> Result<(u16, u16)> {
    let too_big = |field, side: usize| FingerError::Image {
        field,
        reason: format!("{side} pixels exceed 16383"),
    };
    let width = u16::try_from(image.width())
        .ok()
        .filter(|w| *w <= MAX_COORDINATE)
        .ok_or(too_big("width", image.width()))?;
    let height = u16::try_from(image.height())
        .ok()
        .filter(|h| *h <= MAX_COORDINATE)
        .ok_or(too_big("height", image.height()))?;
    Ok((width, height))
}

/// Orders extracted minutiae best first and builds the template.
fn finish(width: u16, height: u16, ppi: u16, mut minutiae: Vec<Minutia>) -> Result<Template> {
    // Best first: bozorth3 reads only the first 150, and the ISO view holds 255. Stable, so ties stay in
    // mindtct's order (left to right, then top to bottom), which both paths share.
    minutiae.sort_by_key(|m| std::cmp::Reverse(m.quality));
    minutiae.truncate(MAX_MINUTIAE);
    let ppcm = ((u32::from(ppi) * 100 + 127) / 254) as u16;
    Template::new(width, height, ppcm, Finger::Unknown, 0, 0, minutiae)
}

/// Bozorth3 score of `probe` against `gallery` (0 when either has under 10 minutiae). Not symmetric:
/// keep the probe first. Scores at or above [`MATCH_THRESHOLD`] mean the same finger.
pub fn compare(probe: &Template, gallery: &Template) -> u32 {
    fprint_bozorth3::match_score(&probe.bozorth_minutiae(), &gallery.bozorth_minutiae())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// NIST's `sround`: half away from zero.
    fn sround(v: f64) -> i32 {
        if v < 0.0 { (v - 0.5) as i32 } else { (v + 0.5) as i32 }
    }

    #[test]
    fn mindtct_directions_survive_iso_angles() {
        // lfs2nist: theta = (270 - sround(direction * 11.25)) mod 360, directions 0..32.
        for direction in 0..32 {
            let theta = (270 - sround(f64::from(direction) * 11.25)).rem_euclid(360);
            let m = Minutia {
                x: 0,
                y: 0,
                angle: Minutia::angle_from_degrees(theta),
                quality: 0,
                kind: MinutiaKind::Other,
            };
            assert_eq!(m.angle_degrees(), theta, "direction {direction}");
        }
    }

    #[test]
    fn every_iso_angle_survives_degrees() {
        for angle in 0..=255u8 {
            let m = Minutia {
                x: 0,
                y: 0,
                angle,
                quality: 0,
                kind: MinutiaKind::Other,
            };
            assert_eq!(Minutia::angle_from_degrees(m.angle_degrees()), angle);
        }
    }

    #[test]
    fn library_minutiae_take_extracts_conventions() {
        let image = GrayImage::new(100, 80, vec![255; 8000]).expect("valid");
        let m = |angle, reliability, kind| NbisMinutia {
            x: 10,
            y: 20,
            angle,
            reliability,
            kind,
        };
        let found = [
            m(45.0, 0.139, 1),
            m(213.75, 0.805, 2),
            m(348.75, 0.5, 9),
            NbisMinutia {
                x: -3,
                y: 500,
                ..m(0.0, 1.0, 1)
            },
        ];
        let t = from_nbis(&image, 500, &found).expect("valid");
        let got: Vec<_> = t
            .minutiae()
            .iter()
            .map(|m| (m.x, m.y, m.angle_degrees(), m.quality, m.kind))
            .collect();
        // Turned by 180° (mindtct's xyt direction), reliability to 0–100, best first, kept in the image.
        assert_eq!(
            got,
            [
                (0, 79, 180, 100, MinutiaKind::RidgeEnding),
                (10, 20, 34, 81, MinutiaKind::Bifurcation),
                (10, 20, 169, 50, MinutiaKind::Other),
                (10, 20, 225, 14, MinutiaKind::RidgeEnding),
            ]
        );
        assert!(from_nbis(&image, 500, &[m(f64::NAN, 0.5, 1)]).is_err());
        assert!(from_nbis(&image, 500, &[m(0.0, 1.5, 1)]).is_err());
        assert!(from_nbis(&image, 500, &[m(0.0, f64::NAN, 1)]).is_err());
    }

    #[test]
    fn finger_codes() {
        for code in 0..=10 {
            assert_eq!(Finger::from_code(code).map(Finger::code), Some(code));
        }
        assert_eq!(Finger::from_code(11), None);
    }

    #[test]
    fn rejects_what_iso_cannot_hold() {
        let m = Minutia {
            x: MAX_COORDINATE + 1,
            y: 0,
            angle: 0,
            quality: 0,
            kind: MinutiaKind::Other,
        };
        assert!(Template::new(10, 10, 197, Finger::Unknown, 0, 0, vec![m]).is_err());
        assert!(Template::new(10, 10, 197, Finger::Unknown, 16, 0, vec![]).is_err());
        assert!(Template::new(10, 10, 197, Finger::Unknown, 0, 101, vec![]).is_err());
    }

    #[test]
    fn resolution_500_ppi() {
        let t = Template::new(1, 1, 197, Finger::Unknown, 0, 0, vec![]).expect("valid");
        assert_eq!(t.ppi(), 500);
    }
}

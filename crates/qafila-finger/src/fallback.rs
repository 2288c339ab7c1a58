//! The quality score used when NIST's library is not there. It is **not NFIQ 2**: a plain estimate from
//! how clearly ridges flow (orientation coherence), how strongly they stand out (contrast) and how much
//! finger the image holds (foreground area), scaled 0–100 so that the operator still gets a retake hint.

use crate::image::GrayImage;

/// Block side in pixels: about two ridge periods at 500 ppi, enough for one orientation per block.
const BLOCK: usize = 16;
/// A block whose grey levels spread less than this (standard deviation) is background.
const MIN_FOREGROUND_STD: f64 = 12.0;
/// Foreground area (square inches) under which the print is partial; a rolled-flat finger gives ~0.4.
const FULL_AREA_SQ_IN: f64 = 0.25;
/// Ridge contrast (standard deviation) that counts as fully clear.
const FULL_CONTRAST_STD: f64 = 45.0;
/// Mean coherence of noise, and of clear ridges: the score's range is stretched between them.
const NOISE_COHERENCE: f64 = 0.2;
const CLEAR_COHERENCE: f64 = 0.85;

/// What the fallback measured, so the UI can say which part is weak.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FallbackMeasures {
    /// Mean orientation coherence of the foreground blocks, 0–1.
    pub coherence: f64,
    /// Mean grey-level standard deviation of the foreground blocks.
    pub contrast: f64,
    /// Foreground area in square inches.
    pub area_sq_in: f64,
}

/// The fallback score, 0–100, and the measures behind it.
pub fn score(image: &GrayImage, ppi: u16) -> (u8, FallbackMeasures) {
    let (bw, bh) = (image.width() / BLOCK, image.height() / BLOCK);
    let (mut fg, mut coherence_sum, mut contrast_sum) = (0usize, 0.0, 0.0);
    for by in 0..bh {
        for bx in 0..bw {
            let (std, coherence) = block_measures(image, bx * BLOCK, by * BLOCK);
            if std >= MIN_FOREGROUND_STD {
                fg += 1;
                coherence_sum += coherence;
                contrast_sum += std;
            }
        }
    }
    let ppi = f64::from(ppi.max(1));
    let area_sq_in = (fg * BLOCK * BLOCK) as f64 / (ppi * ppi);
    if fg == 0 {
        return (
            0,
            FallbackMeasures {
                coherence: 0.0,
                contrast: 0.0,
                area_sq_in,
            },
        );
    }
    let measures = FallbackMeasures {
        coherence: coherence_sum / fg as f64,
        contrast: contrast_sum / fg as f64,
        area_sq_in,
    };
    let flow = ((measures.coherence - NOISE_COHERENCE) / (CLEAR_COHERENCE - NOISE_COHERENCE)).clamp(0.0, 1.0);
    let contrast = (measures.contrast / FULL_CONTRAST_STD).clamp(0.0, 1.0);
    let area = (area_sq_in / FULL_AREA_SQ_IN).clamp(0.0, 1.0);
    ((100.0 * flow * contrast.sqrt() * area).round() as u8, measures)
}

/// Grey-level standard deviation and gradient coherence of the block whose top-left corner is (x0, y0).
fn block_measures(image: &GrayImage, x0: usize, y0: usize) -> (f64, f64) {
    let (mut sum, mut sum2) = (0.0, 0.0);
    for y in y0..y0 + BLOCK {
        for x in x0..x0 + BLOCK {
            let v = f64::from(image.at(x, y));
            sum += v;
            sum2 += v * v;
        }
    }
    let n = (BLOCK * BLOCK) as f64;
    let std = (sum2 / n - (sum / n).powi(2)).max(0.0).sqrt();

    // Structure tensor from central differences, skipping the image border.
    let (mut gxx, mut gyy, mut gxy) = (0.0, 0.0, 0.0);
    for y in y0.max(1)..(y0 + BLOCK).min(image.height() - 1) {
        for x in x0.max(1)..(x0 + BLOCK).min(image.width() - 1) {
            let gx = f64::from(image.at(x + 1, y)) - f64::from(image.at(x - 1, y));
            let gy = f64::from(image.at(x, y + 1)) - f64::from(image.at(x, y - 1));
            gxx += gx * gx;
            gyy += gy * gy;
            gxy += gx * gy;
        }
    }
    let energy = gxx + gyy;
    let coherence = if energy > 0.0 {
        ((gxx - gyy).powi(2) + 4.0 * gxy * gxy).sqrt() / energy
    } else {
        0.0
    };
    (std, coherence)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(f: impl Fn(usize, usize) -> u8) -> GrayImage {
        let (w, h) = (320, 400);
        let px = (0..h)
            .flat_map(|y| (0..w).map(move |x| (x, y)))
            .map(|(x, y)| f(x, y))
            .collect();
        GrayImage::new(w, h, px).expect("valid image")
    }

    #[test]
    fn blank_scores_zero_and_ridges_score_high() {
        assert_eq!(score(&image(|_, _| 255), 500).0, 0);
        let ridges = image(|x, y| (128.0 + 100.0 * ((x as f64 + 0.3 * y as f64) * 0.6).sin()) as u8);
        let (s, m) = score(&ridges, 500);
        assert!(s >= 80, "clean ridges scored {s} ({m:?})");
    }

    #[test]
    fn noise_scores_low() {
        // A fixed xorshift: no orientation anywhere.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut px = vec![0u8; 320 * 400];
        for p in px.iter_mut() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            *p = (state >> 56) as u8;
        }
        let noise = GrayImage::new(320, 400, px).expect("valid image");
        let (s, m) = score(&noise, 500);
        assert!(s <= 10, "noise scored {s} ({m:?})");
    }
}

//! Subband variances, the standard's bit allocation, and (de)quantization.

use crate::tables::{QuantTable, SUBBANDS};
use crate::tree::{CODED_SUBBANDS, Rect};

/// Subbands whose variance is below this carry no information worth coding.
const VARIANCE_THRESHOLD: f64 = 1.01;
/// Where a nonzero coefficient is reconstructed within its bin, as a fraction of the bin width.
pub const BIN_CENTER: f64 = 0.44;
/// Zero bins are this much wider than the other bins.
const ZERO_BIN_RATIO: f64 = 1.2;

/// Variance of one subband over the rectangle `r` of `data` (row-major, `width` a row); for a
/// subband the standard would discard, plus the square of its mean where that is more than noise.
///
/// The standard uses the variance alone, assuming (rightly for prints) that detail subbands
/// average zero. On images with gradients a coarse detail subband can be nearly constant and
/// far from zero: by variance it would be discarded and the gradient lost (NBIS then misses
/// such images by tens of gray levels). Counting the mean keeps it; every subband the standard
/// keeps is measured as the standard measures it, so prints get NBIS's allocation.
fn rect_variance(data: &[f32], width: usize, r: Rect) -> f64 {
    let n = r.area();
    if n < 2 {
        return 0.0;
    }
    let (mut sum, mut sq) = (0.0f64, 0.0f64);
    for y in r.y..r.y + r.h {
        let row = &data[y * width + r.x..y * width + r.x + r.w];
        let (mut s, mut q) = (0.0f32, 0.0f32);
        for &v in row {
            s += v;
            q += v * v;
        }
        sum += f64::from(s);
        sq += f64::from(q);
    }
    let n = n as f64;
    let mean = sum / n;
    let var = ((sq - sum * mean) / (n - 1.0)).max(0.0);
    if var >= VARIANCE_THRESHOLD {
        var
    } else {
        // The sample mean of zero-mean data still squares to var/n on average: only the excess counts.
        var + (mean * mean - var / n).max(0.0)
    }
}

/// The central part of a subband the standard measures, leaving out borders that the
/// symmetric extension and the print's surroundings disturb.
fn central(r: Rect) -> Rect {
    let c = Rect {
        x: r.x + r.w / 8,
        y: r.y + 9 * r.h / 32,
        w: 3 * r.w / 4,
        h: 7 * r.h / 16,
    };
    // Small subbands have no central part worth the name: measure them whole.
    if c.area() < 2 { r } else { c }
}

/// Variances of the coded subbands, measured as the standard prescribes.
pub fn variances(data: &[f32], width: usize, subbands: &[Rect; CODED_SUBBANDS]) -> [f64; CODED_SUBBANDS] {
    let mut var = [0.0; CODED_SUBBANDS];
    for k in 0..4 {
        var[k] = rect_variance(data, width, central(subbands[k]));
    }
    // Images whose coarsest subbands vary little are measured whole, as NBIS does.
    let whole = var[..4].iter().sum::<f64>() < 20000.0;
    for (k, r) in subbands.iter().enumerate() {
        if whole {
            var[k] = rect_variance(data, width, *r);
        } else if k >= 4 {
            var[k] = rect_variance(data, width, central(*r));
        }
    }
    var
}

/// Bin and zero-bin widths that aim at `bitrate` bits per pixel.
///
/// The standard's allocation: each subband's bin width is proportional to a weight `1/q'`
/// (fixed for the four coarsest, `A_k·ln σ²_k / 10` elsewhere); the common factor `q` is the one
/// that spends the target bitrate among the subbands that would get a positive rate, found by
/// dropping the others until none is left to drop.
pub fn allocate(var: &[f64; CODED_SUBBANDS], bitrate: f64) -> ([f64; SUBBANDS], [f64; SUBBANDS]) {
    // Relative weights of the subbands that reach perceptually important detail.
    let weight = |k: usize| match k {
        52 | 56 => 1.32,
        53 | 55 | 58 | 59 => 1.08,
        54 | 57 => 1.42,
        _ => 1.0,
    };
    // Fraction of the image each subband covers.
    let share = |k: usize| match k {
        0..4 => 1.0 / 1024.0,
        4..51 => 1.0 / 256.0,
        _ => 1.0 / 16.0,
    };
    let mut relative = [0.0f64; CODED_SUBBANDS];
    let mut sigma = [0.0f64; CODED_SUBBANDS];
    let mut active: Vec<usize> = Vec::with_capacity(CODED_SUBBANDS);
    for k in 0..CODED_SUBBANDS {
        if var[k] >= VARIANCE_THRESHOLD {
            relative[k] = if k < 4 { 1.0 } else { 10.0 / (weight(k) * var[k].ln()) };
            sigma[k] = var[k].sqrt();
            active.push(k);
        }
    }
    let coded = active.clone();
    let mut q = f64::INFINITY;
    while !active.is_empty() {
        let s: f64 = active.iter().map(|&k| share(k)).sum();
        let log_p: f64 = active.iter().map(|&k| share(k) * (sigma[k] / relative[k]).ln()).sum();
        q = (2f64.powf(bitrate / s - 1.0) / 2.5) / (log_p / s).exp();
        let before = active.len();
        // A subband whose bins would be five deviations wide gets no positive rate.
        active.retain(|&k| relative[k] / q < 5.0 * sigma[k]);
        if active.len() == before {
            break;
        }
    }
    let mut q_bin = [0.0; SUBBANDS];
    let mut z_bin = [0.0; SUBBANDS];
    if active.is_empty() || !q.is_finite() || q <= 0.0 {
        return (q_bin, z_bin);
    }
    for &k in &coded {
        q_bin[k] = relative[k] / q;
        z_bin[k] = ZERO_BIN_RATIO * q_bin[k];
    }
    (q_bin, z_bin)
}

/// Largest quantized magnitude we let the encoder produce: decoders (NBIS among them) hold
/// coefficients in 16 bits, and rounding of the stored bin widths needs a little headroom.
const MAX_QUANTIZED: f64 = 32_000.0;

/// Widens bins that would quantize some coefficient past what 16 bits hold.
///
/// At high bitrates on images of small contrast the coarsest subbands get bins so narrow that
/// their coefficients overflow; NBIS lets them wrap (and the image is ruined), we give up a
/// little precision in that subband instead.
pub fn keep_in_range(
    data: &[f32],
    width: usize,
    subbands: &[Rect; CODED_SUBBANDS],
    q_bin: &mut [f64; SUBBANDS],
    z_bin: &mut [f64; SUBBANDS],
) {
    for (k, r) in subbands.iter().enumerate() {
        if q_bin[k] == 0.0 {
            continue;
        }
        let peak = (r.y..r.y + r.h)
            .flat_map(|y| &data[y * width + r.x..y * width + r.x + r.w])
            .fold(0.0f32, |m, v| m.max(v.abs()));
        let narrowest = f64::from(peak) / MAX_QUANTIZED;
        if q_bin[k] < narrowest {
            q_bin[k] = narrowest;
            z_bin[k] = ZERO_BIN_RATIO * narrowest;
        }
    }
}

/// Quantizes the coded subbands in order, appending their coefficients to `out`.
pub fn quantize(data: &[f32], width: usize, subbands: &[Rect; CODED_SUBBANDS], t: &QuantTable, out: &mut Vec<i16>) {
    for (k, r) in subbands.iter().enumerate() {
        let q = t.q_bin[k];
        if q == 0.0 {
            continue;
        }
        let z = t.z_bin[k] / 2.0;
        let inv_q = 1.0 / q;
        for y in r.y..r.y + r.h {
            let row = &data[y * width + r.x..y * width + r.x + r.w];
            out.extend(row.iter().map(|&v| {
                if v > z {
                    ((v - z) * inv_q + 1.0).min(f32::from(i16::MAX)) as i16
                } else if v < -z {
                    ((v + z) * inv_q - 1.0).max(f32::from(i16::MIN)) as i16
                } else {
                    0
                }
            }));
        }
    }
}

/// Turns decoded coefficients back into subband samples; subbands not transmitted are zero.
pub fn dequantize(coeffs: &[i32], width: usize, subbands: &[Rect; CODED_SUBBANDS], t: &QuantTable, data: &mut [f32]) {
    data.fill(0.0);
    let c = t.bin_center;
    let mut it = coeffs.iter();
    for (k, r) in subbands.iter().enumerate() {
        let q = t.q_bin[k];
        if q == 0.0 {
            continue;
        }
        let half_z = t.z_bin[k] / 2.0;
        for y in r.y..r.y + r.h {
            let row = &mut data[y * width + r.x..y * width + r.x + r.w];
            for (d, &s) in row.iter_mut().zip(&mut it) {
                *d = match s {
                    0 => 0.0,
                    s if s > 0 => q * (s as f32 - c) + half_z,
                    s => q * (s as f32 + c) - half_z,
                };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocation_discards_flat_subbands_and_spends_more_at_higher_rates() {
        let mut var = [0.0; CODED_SUBBANDS];
        for (k, v) in var.iter_mut().enumerate() {
            *v = if k == 30 { 0.5 } else { 5000.0 / (1.0 + k as f64) };
        }
        let (q1, z1) = allocate(&var, 0.75);
        let (q2, _) = allocate(&var, 2.25);
        assert_eq!(q1[30], 0.0);
        assert!(q1[60..].iter().all(|&q| q == 0.0));
        assert!(q1[0] > 0.0 && q2[0] > 0.0 && q2[0] < q1[0]);
        assert!((z1[10] - 1.2 * q1[10]).abs() < 1e-12);
        let flat = allocate(&[0.0; CODED_SUBBANDS], 0.75);
        assert!(flat.0.iter().all(|&q| q == 0.0));
    }
}

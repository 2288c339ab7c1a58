//! The 9/7 biorthogonal wavelet transform with the standard's symmetric extension.
//!
//! Lowpass outputs sit on the even input samples and highpass outputs on the odd ones; the
//! signal is mirrored about its end samples (whole-sample symmetry). On reconstruction the
//! two halves are mirrored the way that whole-sample symmetry of the signal implies.
//!
//! Sums run over the input samples in ascending order, lowpass terms before highpass terms,
//! the same order NBIS adds them in, so our decoder reproduces its floats rather than merely
//! approximating them.

use crate::tables::{STANDARD_HI, STANDARD_LO, TransformTable};
use crate::tree::{Layout, Rect};

/// Analysis and synthesis filters, full length, index 0 at the most negative offset.
#[derive(Debug, Clone, PartialEq)]
pub struct Filters {
    lo: [f32; 9],
    hi: [f32; 7],
    /// Synthesis lowpass: the analysis highpass, modulated.
    g0: [f32; 7],
    /// Synthesis highpass: the analysis lowpass, modulated.
    g1: [f32; 9],
}

impl Filters {
    /// The standard's filter bank in single precision.
    pub fn standard() -> Self {
        Self::from_halves(&STANDARD_LO.map(|v| v as f32), &STANDARD_HI.map(|v| v as f32))
    }

    /// The filters a transform table defines (its sizes were checked when it was read).
    pub fn from_table(t: &TransformTable) -> Self {
        let mut lo = [0.0; 5];
        let mut hi = [0.0; 4];
        lo.iter_mut().zip(&t.lo).for_each(|(d, s)| *d = *s);
        hi.iter_mut().zip(&t.hi).for_each(|(d, s)| *d = *s);
        Self::from_halves(&lo, &hi)
    }

    fn from_halves(lo_half: &[f32; 5], hi_half: &[f32; 4]) -> Self {
        let mut f = Self {
            lo: [0.0; 9],
            hi: [0.0; 7],
            g0: [0.0; 7],
            g1: [0.0; 9],
        };
        for (k, &v) in lo_half.iter().enumerate() {
            let m = if k % 2 == 0 { v } else { -v };
            f.lo[4 + k] = v;
            f.lo[4 - k] = v;
            f.g1[4 + k] = m;
            f.g1[4 - k] = m;
        }
        for (k, &v) in hi_half.iter().enumerate() {
            let m = if k % 2 == 0 { v } else { -v };
            f.hi[3 + k] = v;
            f.hi[3 - k] = v;
            f.g0[3 + k] = m;
            f.g0[3 - k] = m;
        }
        f
    }
}

/// How a sequence continues past one of its ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Edge {
    /// Mirrored about the end sample itself: x[-1] = x[1].
    Whole,
    /// Mirrored about the point half a sample past the end: x[-1] = x[0].
    Half,
}

/// Index into a length-`n` sequence (n ≥ 1) of the sample at virtual position `i`.
fn reflect(mut i: isize, n: usize, left: Edge, right: Edge) -> usize {
    let n = n as isize;
    if n <= 1 {
        return 0;
    }
    loop {
        if i < 0 {
            i = if left == Edge::Whole { -i } else { -i - 1 };
        } else if i >= n {
            i = if right == Edge::Whole {
                2 * (n - 1) - i
            } else {
                2 * n - 1 - i
            };
        } else {
            return i as usize;
        }
    }
}

/// Fills `pad` with `src` continued by `before` samples before it and `after` samples after it.
fn extend_padded(pad: &mut Vec<f32>, src: &[f32], before: usize, after: usize, edges: (Edge, Edge)) {
    let n = src.len();
    let at = |i: isize| src[reflect(i, n, edges.0, edges.1)];
    pad.clear();
    pad.extend((0..before).map(|j| at(j as isize - before as isize)));
    pad.extend_from_slice(src);
    pad.extend((0..after).map(|j| at((n + j) as isize)));
}

/// How the lowpass and highpass halves of a length-`n` signal continue past their ends.
fn half_edges(n: usize) -> ((Edge, Edge), (Edge, Edge)) {
    if n % 2 == 1 {
        ((Edge::Whole, Edge::Whole), (Edge::Half, Edge::Half))
    } else {
        ((Edge::Whole, Edge::Half), (Edge::Half, Edge::Whole))
    }
}

/// Where the lowpass and highpass halves of a length-`n` line start.
fn half_offsets(n: usize, highpass_first: bool) -> (usize, usize) {
    let (low, high) = (n.div_ceil(2), n / 2);
    if highpass_first { (high, 0) } else { (0, low) }
}

/// Scratch lines reused across the whole transform, so no allocation happens per line.
#[derive(Debug, Default)]
pub struct Scratch {
    a: Vec<f32>,
    b: Vec<f32>,
}

/// Up to nine weighted source rows, summed into one destination row.
struct Terms {
    rows: [(usize, f32); 9],
    len: usize,
}

impl Terms {
    fn new() -> Self {
        Self {
            rows: [(0, 0.0); 9],
            len: 0,
        }
    }

    fn push(&mut self, offset: usize, coef: f32) {
        if let Some(slot) = self.rows.get_mut(self.len) {
            *slot = (offset, coef);
            self.len += 1;
        }
    }

    /// `dst = Σ coef·src[offset..offset+dst.len()]`, terms added in push order.
    fn sum_into(&self, dst: &mut [f32], src: &[f32]) {
        // One pass over the row for the term counts the transform uses; a pass per term otherwise.
        match self.len {
            9 => self.sum_fused::<9>(dst, src),
            7 => self.sum_fused::<7>(dst, src),
            3 => self.sum_fused::<3>(dst, src),
            _ => self.sum_by_passes(dst, src),
        }
    }

    fn sum_fused<const N: usize>(&self, dst: &mut [f32], src: &[f32]) {
        let w = dst.len();
        let rows: [&[f32]; N] = std::array::from_fn(|k| &src[self.rows[k].0..self.rows[k].0 + w]);
        let coefs: [f32; N] = std::array::from_fn(|k| self.rows[k].1);
        for (j, d) in dst.iter_mut().enumerate() {
            let mut acc = rows[0][j] * coefs[0];
            for k in 1..N {
                acc += rows[k][j] * coefs[k];
            }
            *d = acc;
        }
    }

    fn sum_by_passes(&self, dst: &mut [f32], src: &[f32]) {
        let w = dst.len();
        let terms = &self.rows[..self.len];
        let Some((&(first, c), rest)) = terms.split_first() else {
            dst.fill(0.0);
            return;
        };
        for (d, s) in dst.iter_mut().zip(&src[first..first + w]) {
            *d = s * c;
        }
        for &(off, c) in rest {
            for (d, s) in dst.iter_mut().zip(&src[off..off + w]) {
                *d += s * c;
            }
        }
    }
}

/// Decomposes `data` (row-major, `width` samples a row) in place along `layout`.
pub fn forward(data: &mut [f32], tmp: &mut [f32], width: usize, layout: &Layout, f: &Filters, s: &mut Scratch) {
    for node in &layout.nodes {
        let r = node.rect;
        if r.w == 0 || r.h == 0 {
            continue;
        }
        for y in r.y..r.y + r.h {
            let at = y * width + r.x;
            analyze_line(
                &data[at..at + r.w],
                &mut tmp[at..at + r.w],
                f,
                node.invert_rows,
                &mut s.a,
            );
        }
        analyze_columns(tmp, data, width, r, f, node.invert_cols);
    }
}

/// Undoes [`forward`] in place.
pub fn inverse(data: &mut [f32], tmp: &mut [f32], width: usize, layout: &Layout, f: &Filters, s: &mut Scratch) {
    for node in layout.nodes.iter().rev() {
        let r = node.rect;
        if r.w == 0 || r.h == 0 {
            continue;
        }
        synthesize_columns(data, tmp, width, r, f, node.invert_cols);
        for y in r.y..r.y + r.h {
            let at = y * width + r.x;
            synthesize_line(
                &tmp[at..at + r.w],
                &mut data[at..at + r.w],
                f,
                node.invert_rows,
                &mut s.a,
                &mut s.b,
            );
        }
    }
}

fn analyze_line(src: &[f32], dst: &mut [f32], f: &Filters, highpass_first: bool, pad: &mut Vec<f32>) {
    let n = src.len();
    extend_padded(pad, src, 4, 4, (Edge::Whole, Edge::Whole));
    let (lo_at, hi_at) = half_offsets(n, highpass_first);
    let (low, high) = (n.div_ceil(2), n / 2);
    for (i, out) in dst[lo_at..lo_at + low].iter_mut().enumerate() {
        let x = &pad[2 * i..2 * i + 9];
        let mut acc = x[0] * f.lo[0];
        for (v, c) in x[1..].iter().zip(&f.lo[1..]) {
            acc += v * c;
        }
        *out = acc;
    }
    for (i, out) in dst[hi_at..hi_at + high].iter_mut().enumerate() {
        let x = &pad[2 * i + 2..2 * i + 9];
        let mut acc = x[0] * f.hi[0];
        for (v, c) in x[1..].iter().zip(&f.hi[1..]) {
            acc += v * c;
        }
        *out = acc;
    }
}

fn analyze_columns(src: &[f32], dst: &mut [f32], width: usize, r: Rect, f: &Filters, highpass_first: bool) {
    let n = r.h;
    let (lo_at, hi_at) = half_offsets(n, highpass_first);
    let row = |i: isize| (r.y + reflect(i, n, Edge::Whole, Edge::Whole)) * width + r.x;
    for i in 0..n.div_ceil(2) {
        let mut t = Terms::new();
        for k in 0..9 {
            t.push(row(2 * i as isize + k as isize - 4), f.lo[k]);
        }
        let at = (r.y + lo_at + i) * width + r.x;
        t.sum_into(&mut dst[at..at + r.w], src);
    }
    for i in 0..n / 2 {
        let mut t = Terms::new();
        for k in 0..7 {
            t.push(row(2 * i as isize + k as isize - 2), f.hi[k]);
        }
        let at = (r.y + hi_at + i) * width + r.x;
        t.sum_into(&mut dst[at..at + r.w], src);
    }
}

/// Padding kept before the first lowpass and highpass sample when reconstructing a line.
const PAD_LO: usize = 2;
const PAD_HI: usize = 3;

fn synthesize_line(
    src: &[f32],
    dst: &mut [f32],
    f: &Filters,
    highpass_first: bool,
    lp: &mut Vec<f32>,
    hp: &mut Vec<f32>,
) {
    let n = src.len();
    let (low, high) = (n.div_ceil(2), n / 2);
    let (lo_at, hi_at) = half_offsets(n, highpass_first);
    let (le, he) = half_edges(n);
    let l = &src[lo_at..lo_at + low];
    extend_padded(lp, l, PAD_LO, 4, le);
    let (g0, g1) = (&f.g0, &f.g1);
    if high == 0 {
        // A single sample: only the lowpass half exists.
        dst[0] = lp[1] * g0[5] + lp[2] * g0[3] + lp[3] * g0[1];
        return;
    }
    let h = &src[hi_at..hi_at + high];
    extend_padded(hp, h, PAD_HI, 5, he);
    for (m, pair) in dst.chunks_mut(2).enumerate() {
        let a = &lp[m + 1..m + 5];
        let b = &hp[m + 1..m + 6];
        let mut even = a[0] * g0[5];
        even += a[1] * g0[3];
        even += a[2] * g0[1];
        even += b[0] * g1[7];
        even += b[1] * g1[5];
        even += b[2] * g1[3];
        even += b[3] * g1[1];
        pair[0] = even;
        if let Some(odd_out) = pair.get_mut(1) {
            let mut odd = a[0] * g0[6];
            odd += a[1] * g0[4];
            odd += a[2] * g0[2];
            odd += a[3] * g0[0];
            odd += b[0] * g1[8];
            odd += b[1] * g1[6];
            odd += b[2] * g1[4];
            odd += b[3] * g1[2];
            odd += b[4] * g1[0];
            *odd_out = odd;
        }
    }
}

fn synthesize_columns(src: &[f32], dst: &mut [f32], width: usize, r: Rect, f: &Filters, highpass_first: bool) {
    let n = r.h;
    let (low, high) = (n.div_ceil(2), n / 2);
    let (lo_at, hi_at) = half_offsets(n, highpass_first);
    let (le, he) = half_edges(n);
    let lrow = |i: isize| (r.y + lo_at + reflect(i, low, le.0, le.1)) * width + r.x;
    let hrow = |i: isize| (r.y + hi_at + reflect(i, high, he.0, he.1)) * width + r.x;
    for out in 0..n {
        let mut t = Terms::new();
        let m = (out / 2) as isize;
        if out % 2 == 0 {
            t.push(lrow(m - 1), f.g0[5]);
            t.push(lrow(m), f.g0[3]);
            t.push(lrow(m + 1), f.g0[1]);
            if high > 0 {
                for (d, k) in [7, 5, 3, 1].into_iter().enumerate() {
                    t.push(hrow(m - 2 + d as isize), f.g1[k]);
                }
            }
        } else {
            for (d, k) in [6, 4, 2, 0].into_iter().enumerate() {
                t.push(lrow(m - 1 + d as isize), f.g0[k]);
            }
            for (d, k) in [8, 6, 4, 2, 0].into_iter().enumerate() {
                t.push(hrow(m - 2 + d as isize), f.g1[k]);
            }
        }
        let at = (r.y + out) * width + r.x;
        t.sum_into(&mut dst[at..at + r.w], src);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip_error(w: usize, h: usize) -> f32 {
        let layout = Layout::new(w, h);
        let f = Filters::standard();
        let orig: Vec<f32> = (0..w * h)
            .map(|i| (((i * 7919) % 251) as f32 - 120.0) + ((i % w) as f32 * 0.3).sin() * 40.0)
            .collect();
        let mut data = orig.clone();
        let mut tmp = vec![0.0; w * h];
        let mut s = Scratch::default();
        forward(&mut data, &mut tmp, w, &layout, &f, &mut s);
        inverse(&mut data, &mut tmp, w, &layout, &f, &mut s);
        orig.iter().zip(&data).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max)
    }

    #[test]
    fn transform_reconstructs_perfectly() {
        for (w, h) in [
            (540, 520),
            (401, 333),
            (64, 64),
            (65, 97),
            (16, 16),
            (3, 5),
            (1, 9),
            (9, 1),
            (1, 1),
            (2, 2),
        ] {
            let e = roundtrip_error(w, h);
            assert!(e < 2e-3, "{w}x{h}: max error {e}");
        }
    }

    #[test]
    fn reflection_handles_short_sequences() {
        assert_eq!(reflect(-3, 2, Edge::Whole, Edge::Whole), 1);
        assert_eq!(reflect(-1, 3, Edge::Half, Edge::Half), 0);
        assert_eq!(reflect(3, 3, Edge::Whole, Edge::Half), 2);
        assert_eq!(reflect(4, 3, Edge::Whole, Edge::Whole), 0);
        assert_eq!(reflect(7, 1, Edge::Half, Edge::Whole), 0);
    }
}

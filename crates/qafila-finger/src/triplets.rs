//! The duplicate search's cheap pre-filter: minutiae triangles hashed by their rotation- and
//! translation-invariant shape (geometric hashing). Two impressions of one finger share some exactly
//! quantized triangles; unrelated fingers share few. Counting shared keys ranks the drive's templates
//! so that bozorth3 runs only on a short list.

use fprint_bozorth3::Minutia as Xyt;

/// Only the best minutiae take part: low-quality ones are the least repeatable between impressions.
const TOP_MINUTIAE: usize = 40;
/// Each minutia makes triangles with pairs of its nearest neighbours.
const NEIGHBOURS: usize = 5;
/// Neighbours closer than this are likely one minutia detected twice.
const MIN_SIDE: f32 = 10.0;
/// Longer triangles are too distorted by skin elasticity to repeat.
const MAX_SIDE: f32 = 310.0;
/// Side lengths quantized in bins of this many pixels (500 ppi), 5 bits each.
const LENGTH_BIN: f32 = 10.0;
/// Minutia direction relative to the triangle, in bins of this many degrees (12 bins, 4 bits each).
const ANGLE_BIN: f32 = 30.0;

/// The sorted, de-duplicated 28-bit triangle keys of a print (its minutiae best quality first).
pub(crate) fn keys(minutiae: &[Xyt]) -> Vec<u32> {
    let pts = &minutiae[..minutiae.len().min(TOP_MINUTIAE)];
    let n = pts.len();
    // Pairwise distances once: every triangle reads three of them.
    let mut dist = vec![0f32; n * n];
    for i in 0..n {
        for j in i + 1..n {
            let d = (((pts[i].x - pts[j].x) as f32).powi(2) + ((pts[i].y - pts[j].y) as f32).powi(2)).sqrt();
            dist[i * n + j] = d;
            dist[j * n + i] = d;
        }
    }
    // Triangles as three sorted byte indices packed in a u32: sorting integers is the fast path.
    let mut triangles: Vec<u32> = Vec::with_capacity(n * NEIGHBOURS * (NEIGHBOURS - 1) / 2);
    let mut near: Vec<(f32, u8)> = Vec::with_capacity(n);
    for i in 0..n {
        near.clear();
        near.extend(
            (0..n)
                .filter(|&j| j != i)
                .map(|j| (dist[i * n + j], j as u8))
                .filter(|&(d, _)| d >= MIN_SIDE),
        );
        let by_distance = |a: &(f32, u8), b: &(f32, u8)| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1));
        if near.len() > NEIGHBOURS {
            near.select_nth_unstable_by(NEIGHBOURS, by_distance);
            near.truncate(NEIGHBOURS);
        }
        for (a, &(_, j)) in near.iter().enumerate() {
            for &(_, l) in &near[a + 1..] {
                let mut t = [i as u8, j, l];
                t.sort_unstable();
                triangles.push(u32::from(t[0]) << 16 | u32::from(t[1]) << 8 | u32::from(t[2]));
            }
        }
    }
    triangles.sort_unstable();
    triangles.dedup();
    let mut out: Vec<u32> = triangles
        .iter()
        .filter_map(|&t| key(pts, &dist, [(t >> 16) as u8, (t >> 8) as u8, t as u8]))
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// The key of one triangle: its three sides (longest first) and each corner's minutia direction
/// relative to the side leaving it, plus its handedness. `None` when the triangle is too large or flat.
fn key(pts: &[Xyt], dist: &[f32], t: [u8; 3]) -> Option<u32> {
    let n = pts.len();
    let t = t.map(usize::from);
    let d = |a: usize, b: usize| dist[t[a] * n + t[b]];
    // Side opposite each corner; corners ordered by it, longest first, so the order is intrinsic.
    let opposite = [d(1, 2), d(0, 2), d(0, 1)];
    let mut order = [0usize, 1, 2];
    order.sort_by(|&a, &b| opposite[b].total_cmp(&opposite[a]));
    let v = order.map(|i| pts[t[i]]);
    let sides = order.map(|i| opposite[i]);
    if sides[0] > MAX_SIDE {
        return None;
    }
    let cross = (v[1].x - v[0].x) * (v[2].y - v[0].y) - (v[1].y - v[0].y) * (v[2].x - v[0].x);
    if cross == 0 {
        return None;
    }
    let mut key = u32::from(cross > 0) << 27;
    for (i, side) in sides.iter().enumerate() {
        key |= ((side / LENGTH_BIN) as u32).min(31) << (5 * i);
    }
    for i in 0..3 {
        let (from, to) = (v[i], v[(i + 1) % 3]);
        let edge = atan2_degrees((to.y - from.y) as f32, (to.x - from.x) as f32);
        let relative = (from.theta as f32 - edge).rem_euclid(360.0);
        key |= ((relative / ANGLE_BIN) as u32).min(11) << (15 + 4 * i);
    }
    Some(key)
}

/// atan2 in degrees to within 0.1°, several times cheaper than libm's: the bins are 30° wide.
fn atan2_degrees(y: f32, x: f32) -> f32 {
    let (ax, ay) = (x.abs(), y.abs());
    let (lo, hi) = if ax < ay { (ax, ay) } else { (ay, ax) };
    if hi == 0.0 {
        return 0.0;
    }
    let a = lo / hi;
    let s = a * a;
    // Minimax polynomial for atan on [0, 1] (max error about 1e-5 rad).
    let mut r = ((-0.046_496_474_f32 * s + 0.159_314_22) * s - 0.327_622_77) * s * a + a;
    if ay > ax {
        r = std::f32::consts::FRAC_PI_2 - r;
    }
    if x < 0.0 {
        r = std::f32::consts::PI - r;
    }
    if y < 0.0 {
        r = -r;
    }
    r.to_degrees()
}

/// How many keys two sorted key lists share.
#[cfg(test)]
pub(crate) fn shared(a: &[u32], b: &[u32]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                n += 1;
                i += 1;
                j += 1;
            }
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    fn print() -> Vec<Xyt> {
        (0..30)
            .map(|i| Xyt {
                x: 50 + (i * 37) % 250,
                y: 60 + (i * 53) % 300,
                theta: (i * 47) % 360,
            })
            .collect()
    }

    #[test]
    fn fast_atan2_is_close() {
        for i in 0..720 {
            let a = (i as f32 * 0.5).to_radians();
            for r in [1.0f32, 37.0, 250.0] {
                let (y, x) = (r * a.sin(), r * a.cos());
                let want = y.atan2(x).to_degrees();
                let diff = (atan2_degrees(y, x) - want).rem_euclid(360.0);
                assert!(
                    diff.min(360.0 - diff) < 0.1,
                    "{y} {x}: {} vs {want}",
                    atan2_degrees(y, x)
                );
            }
        }
    }

    #[test]
    fn translation_keeps_every_key() {
        let a = print();
        let b: Vec<Xyt> = a
            .iter()
            .map(|m| Xyt {
                x: m.x + 40,
                y: m.y - 25,
                theta: m.theta,
            })
            .collect();
        let (ka, kb) = (keys(&a), keys(&b));
        assert!(!ka.is_empty());
        assert_eq!(ka, kb);
    }

    #[test]
    fn rotation_keeps_many_keys() {
        let a = print();
        let (s, c) = 20f64.to_radians().sin_cos();
        let b: Vec<Xyt> = a
            .iter()
            .map(|m| Xyt {
                x: (f64::from(m.x) * c - f64::from(m.y) * s).round() as i32 + 200,
                y: (f64::from(m.x) * s + f64::from(m.y) * c).round() as i32,
                theta: (m.theta + 20) % 360,
            })
            .collect();
        let (ka, kb) = (keys(&a), keys(&b));
        assert!(
            shared(&ka, &kb) * 2 >= ka.len(),
            "{} of {} kept",
            shared(&ka, &kb),
            ka.len()
        );
    }
}

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
    let mut triangles: Vec<[u8; 3]> = Vec::with_capacity(pts.len() * NEIGHBOURS * (NEIGHBOURS - 1) / 2);
    let mut near: Vec<(f32, u8)> = Vec::with_capacity(pts.len());
    for (i, p) in pts.iter().enumerate() {
        near.clear();
        near.extend(
            pts.iter()
                .enumerate()
                .filter(|&(j, _)| j != i)
                .map(|(j, q)| (dist(p, q), j as u8))
                .filter(|&(d, _)| d >= MIN_SIDE),
        );
        near.sort_by(|a, b| a.0.total_cmp(&b.0));
        near.truncate(NEIGHBOURS);
        for (a, &(_, j)) in near.iter().enumerate() {
            for &(_, l) in &near[a + 1..] {
                let mut t = [i as u8, j, l];
                t.sort_unstable();
                triangles.push(t);
            }
        }
    }
    triangles.sort_unstable();
    triangles.dedup();
    let mut out: Vec<u32> = triangles.iter().filter_map(|t| key(pts, *t)).collect();
    out.sort_unstable();
    out.dedup();
    out
}

fn dist(a: &Xyt, b: &Xyt) -> f32 {
    ((a.x - b.x) as f32).hypot((a.y - b.y) as f32)
}

/// The key of one triangle: its three sides (longest first) and each corner's minutia direction
/// relative to the side leaving it, plus its handedness. `None` when the triangle is too large or flat.
fn key(pts: &[Xyt], t: [u8; 3]) -> Option<u32> {
    let p = t.map(|i| pts[usize::from(i)]);
    // Side opposite each corner; corners ordered by it, longest first, so the order is intrinsic.
    let opposite = [dist(&p[1], &p[2]), dist(&p[0], &p[2]), dist(&p[0], &p[1])];
    let mut order = [0usize, 1, 2];
    order.sort_by(|&a, &b| opposite[b].total_cmp(&opposite[a]));
    let v = order.map(|i| p[i]);
    let sides = order.map(|i| opposite[i]);
    if sides[0] > MAX_SIDE {
        return None;
    }
    let cross = (v[1].x - v[0].x) * (v[2].y - v[0].y) - (v[1].y - v[0].y) * (v[2].x - v[0].x);
    if cross == 0 {
        return None;
    }
    let mut key = u32::from(cross > 0) << 27;
    for (n, side) in sides.iter().enumerate() {
        key |= ((side / LENGTH_BIN) as u32).min(31) << (5 * n);
    }
    for n in 0..3 {
        let (from, to) = (v[n], v[(n + 1) % 3]);
        let edge = ((to.y - from.y) as f32).atan2((to.x - from.x) as f32).to_degrees();
        let relative = (from.theta as f32 - edge).rem_euclid(360.0);
        key |= ((relative / ANGLE_BIN) as u32).min(11) << (15 + 4 * n);
    }
    Some(key)
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
        (0..30).map(|i| Xyt { x: 50 + (i * 37) % 250, y: 60 + (i * 53) % 300, theta: (i * 47) % 360 }).collect()
    }

    #[test]
    fn translation_keeps_every_key() {
        let a = print();
        let b: Vec<Xyt> = a.iter().map(|m| Xyt { x: m.x + 40, y: m.y - 25, theta: m.theta }).collect();
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
        assert!(shared(&ka, &kb) * 2 >= ka.len(), "{} of {} kept", shared(&ka, &kb), ka.len());
    }
}

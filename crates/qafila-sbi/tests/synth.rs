//! The synthetic fingerprint generator: determinism per (seed, finger), distinct people, mated impressions.

use qafila_sbi::synth::{self, Placement};
use qafila_sbi::{Finger, GrayImage};

fn correlation(a: &[f32], b: &[f32]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (
        a.iter().map(|&x| f64::from(x)).sum::<f64>() / n,
        b.iter().map(|&x| f64::from(x)).sum::<f64>() / n,
    );
    let (mut ab, mut aa, mut bb) = (0.0, 0.0, 0.0);
    for (&x, &y) in a.iter().zip(b) {
        let (dx, dy) = (f64::from(x) - ma, f64::from(y) - mb);
        ab += dx * dy;
        aa += dx * dx;
        bb += dy * dy;
    }
    ab / (aa * bb).sqrt().max(1e-12)
}

fn pixels(image: &GrayImage) -> Vec<f32> {
    image.pixels.iter().map(|&p| f32::from(p)).collect()
}

#[test]
fn the_same_seed_and_finger_give_the_same_pattern() {
    let a = synth::master(11, Finger::RightIndex);
    let b = synth::master(11, Finger::RightIndex);
    assert_eq!(a.ridge_field(), b.ridge_field());
    assert_eq!(a.class, b.class);
}

#[test]
fn different_people_and_fingers_have_different_patterns() {
    let base = synth::master(11, Finger::RightIndex);
    for other in [
        synth::master(12, Finger::RightIndex),
        synth::master(11, Finger::RightMiddle),
    ] {
        let r = correlation(base.ridge_field(), other.ridge_field());
        assert!(r.abs() < 0.3, "{other:?} correlates {r} with {base:?}");
    }
}

#[test]
fn impressions_of_a_finger_are_mated_but_not_identical() {
    let master = synth::master(5, Finger::LeftThumb);
    let (a, _) = synth::render(&master, &Placement::CENTERED, 95, 1);
    let (b, _) = synth::render(&master, &Placement::CENTERED, 95, 2);
    assert_ne!(a.pixels, b.pixels, "sensor noise differs between captures");
    let mated = correlation(&pixels(&a), &pixels(&b));
    let (c, _) = synth::render(&synth::master(6, Finger::LeftThumb), &Placement::CENTERED, 95, 1);
    let other = correlation(&pixels(&a), &pixels(&c));
    assert!(mated > 0.8, "same finger, same placement: {mated}");
    assert!(
        mated > other + 0.3,
        "another person's thumb correlates {other}, ours {mated}"
    );

    // Each capture places the finger anew; the same capture seed reproduces the same impression.
    assert_ne!(Placement::random(1), Placement::random(2));
    let (x, _) = synth::impression(5, Finger::LeftThumb, 9, 70);
    let (y, _) = synth::impression(5, Finger::LeftThumb, 9, 70);
    let (z, _) = synth::impression(5, Finger::LeftThumb, 10, 70);
    assert_eq!(x, y);
    assert_ne!(x.pixels, z.pixels);
}

#[test]
fn lower_quality_degrades_the_image_and_its_score() {
    let master = synth::master(21, Finger::RightRing);
    let (clean, _) = synth::render(&master, &Placement::CENTERED, 100, 3);
    let (good, good_score) = synth::render(&master, &Placement::CENTERED, 90, 4);
    let (poor, poor_score) = synth::render(&master, &Placement::CENTERED, 15, 4);
    assert!(good_score > poor_score + 40, "scores {good_score} vs {poor_score}");
    let (rg, rp) = (
        correlation(&pixels(&clean), &pixels(&good)),
        correlation(&pixels(&clean), &pixels(&poor)),
    );
    assert!(rg > rp + 0.2, "fidelity to the clean print: good {rg}, poor {rp}");
    for image in [&clean, &good, &poor] {
        assert_eq!(
            (image.width, image.height, image.ppi),
            (synth::WIDTH, synth::HEIGHT, synth::PPI)
        );
    }
}

#[test]
fn every_finger_gets_a_pattern_class() {
    let classes: Vec<_> = (0..40)
        .map(|seed| synth::master(seed, Finger::ALL[seed as usize % 10]).class)
        .collect();
    let distinct = classes.iter().fold(Vec::new(), |mut seen, c| {
        if !seen.contains(c) {
            seen.push(*c);
        }
        seen
    });
    assert!(distinct.len() >= 3, "40 fingers, classes {distinct:?}");
}

/// Ridge clarity without NIST's library: mean absolute difference between pixels two apart (about a quarter
/// ridge period, where ridge edges dominate) after a 3×3 mean that takes out most sensor noise.
fn ridge_clarity(image: &GrayImage) -> f64 {
    let (w, h) = (image.width as usize, image.height as usize);
    let p = |x: usize, y: usize| f64::from(image.pixels[y * w + x]);
    let smooth = |x: usize, y: usize| {
        let mut sum = 0.0;
        for dy in 0..3 {
            for dx in 0..3 {
                sum += p(x + dx - 1, y + dy - 1);
            }
        }
        sum / 9.0
    };
    let (mut total, mut n) = (0.0, 0usize);
    for y in (h / 4..3 * h / 4).step_by(2) {
        for x in (w / 4..3 * w / 4).step_by(2) {
            total += (smooth(x + 2, y) - smooth(x, y)).abs() + (smooth(x, y + 2) - smooth(x, y)).abs();
            n += 1;
        }
    }
    total / n as f64
}

#[test]
fn ridge_clarity_falls_steadily_as_quality_drops() {
    let qualities = [100u8, 85, 70, 50, 30, 15, 0];
    let clarity: Vec<f64> = qualities
        .iter()
        .map(|&q| {
            (0..4u64)
                .map(|i| {
                    let (image, _) = synth::impression(40 + i, Finger::ALL[(i * 3 % 10) as usize], 7 + i, q);
                    ridge_clarity(&image)
                })
                .sum::<f64>()
                / 4.0
        })
        .collect();
    eprintln!("clarity by quality {qualities:?}: {clarity:.1?}");
    for pair in clarity.windows(2) {
        assert!(
            pair[0] >= pair[1],
            "clarity must not rise as quality drops: {clarity:.1?}"
        );
    }
    assert!(
        clarity[1] > 2.0 * clarity[5],
        "quality 85 is much clearer than 15: {clarity:.1?}"
    );
}

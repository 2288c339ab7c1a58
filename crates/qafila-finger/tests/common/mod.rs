//! Shared by the integration tests: the fixtures (real prints, NIST's library and Python binding) and
//! simple synthetic prints for bulk.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use qafila_finger::{Finger, GrayImage, Minutia, MinutiaKind, Template, fixtures_dir};

/// Real impressions: (file, finger label). Same label, same finger.
pub const REAL_PRINTS: [(&str, &str); 8] = [
    ("afis-p1_1.png", "afis-p1"),
    ("afis-p1_2.png", "afis-p1"),
    ("afis-p2_1.png", "afis-p2"),
    ("fvc2002-101_1.png", "fvc-101"),
    ("fvc2002-101_2.png", "fvc-101"),
    ("fvc2002-102_1.png", "fvc-102"),
    ("fvc2002-102_2.png", "fvc-102"),
    ("nbis-test.png", "nbis-test"),
];

/// The real mated pairs (first impression, second impression).
pub const REAL_PAIRS: [(&str, &str); 3] = [
    ("afis-p1_1.png", "afis-p1_2.png"),
    ("fvc2002-101_1.png", "fvc2002-101_2.png"),
    ("fvc2002-102_1.png", "fvc2002-102_2.png"),
];

/// The fixtures directory, failing loudly when `scripts/fixtures` has not been run.
pub fn fixtures() -> PathBuf {
    let dir = fixtures_dir();
    for needed in [
        "lib/libnbis.so",
        "prints/afis-p1_1.png",
        "prints/nbis-test.png",
        "venv/bin/python",
    ] {
        assert!(
            dir.join(needed).exists(),
            "missing {}: run scripts/fixtures (or set QAFILA_FIXTURES)",
            dir.join(needed).display()
        );
    }
    dir
}

/// Path of a real print.
pub fn print_path(name: &str) -> PathBuf {
    fixtures().join("prints").join(name)
}

/// A real print, decoded.
pub fn load_print(name: &str) -> GrayImage {
    let path = print_path(name);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    GrayImage::from_png(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Runs a Python snippet in the fixtures' venv (NIST's WSQ codec and nbis-py binding) and returns stdout.
pub fn venv_python(script: &str, args: &[&Path]) -> String {
    let python = fixtures().join("venv/bin/python");
    let out = Command::new(&python)
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", python.display()));
    assert!(
        out.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// Deterministic generator (splitmix64): tests need variety, not a dependency.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in [lo, hi).
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }
}

/// A synthetic finger's minutiae straight into a template (no image): points spread over a finger-sized
/// ellipse at least 12 px apart, directions following a smooth flow field, as MINDTCT would list them.
pub fn synthetic_template(seed: u64, finger: Finger) -> Template {
    let mut rng = Rng(seed);
    let (w, h) = (400u16, 500u16);
    let n = 35 + (rng.next() % 45) as usize;
    let (cx, cy) = (rng.range(160.0, 240.0), rng.range(200.0, 300.0));
    let (flow_a, flow_b) = (rng.range(-1.0, 1.0), rng.range(0.005, 0.02));
    let mut minutiae: Vec<Minutia> = Vec::with_capacity(n);
    let mut tries = 0;
    while minutiae.len() < n && tries < 10_000 {
        tries += 1;
        let (x, y) = (rng.range(20.0, 380.0), rng.range(20.0, 480.0));
        if ((x - cx) / 170.0).powi(2) + ((y - cy) / 230.0).powi(2) > 1.0 {
            continue;
        }
        if minutiae
            .iter()
            .any(|m| (f64::from(m.x) - x).hypot(f64::from(m.y) - y) < 12.0)
        {
            continue;
        }
        let flow = flow_a + ((x - cx) * flow_b).sin() + (y - cy).atan2(x - cx) * 0.5;
        let degrees = (flow.to_degrees() + if rng.unit() < 0.5 { 180.0 } else { 0.0 }).rem_euclid(360.0);
        minutiae.push(Minutia {
            x: x as u16,
            y: y as u16,
            angle: Minutia::angle_from_degrees(degrees as i32),
            quality: rng.range(10.0, 90.0) as u8,
            kind: MinutiaKind::Other,
        });
    }
    minutiae.sort_by_key(|m| std::cmp::Reverse(m.quality));
    Template::new(w, h, 197, finger, 0, 0, minutiae).expect("synthetic template is valid")
}

/// A simple synthetic ridge image (phase-field model: concentric-ish ridges plus spiral phase points,
/// each of which makes a minutia), 400x500 at 500 ppi. `pose` moves and turns the same finger.
pub fn synthetic_print(seed: u64, pose: (f64, f64, f64)) -> GrayImage {
    let mut rng = Rng(seed);
    let (w, h) = (400usize, 500usize);
    let (core_x, core_y) = (rng.range(150.0, 250.0), rng.range(180.0, 320.0));
    let squash = rng.range(0.4, 1.6);
    let period = rng.range(8.0, 10.5);
    let spirals: Vec<(f64, f64, f64)> = (0..(20 + rng.next() % 20))
        .map(|_| {
            (
                rng.range(60.0, 340.0),
                rng.range(60.0, 440.0),
                if rng.unit() < 0.5 { 1.0 } else { -1.0 },
            )
        })
        .collect();
    let (dx, dy, turn) = pose;
    let (s, c) = turn.to_radians().sin_cos();
    let mut noise = Rng(seed ^ 0x5eed ^ (dx.to_bits() >> 7) ^ turn.to_bits());
    let mut px = vec![255u8; w * h];
    for y in 0..h {
        for x in 0..w {
            // Inverse pose: the finger's own coordinates of this pixel.
            let (u0, v0) = (x as f64 - 200.0 - dx, y as f64 - 250.0 - dy);
            let (u, v) = (c * u0 + s * v0 + 200.0, -s * u0 + c * v0 + 250.0);
            let inside = ((u - 200.0) / 160.0).powi(2) + ((v - 250.0) / 215.0).powi(2);
            if inside > 1.0 {
                continue;
            }
            let r = ((u - core_x).powi(2) + ((v - core_y) * squash).powi(2)).sqrt();
            let mut phase = 2.0 * std::f64::consts::PI * r / period;
            for &(sx, sy, sign) in &spirals {
                phase += sign * (v - sy).atan2(u - sx);
            }
            let value = 128.0 - 105.0 * phase.cos() + noise.range(-20.0, 20.0);
            let edge = ((1.0 - inside) * 8.0).min(1.0);
            px[y * w + x] = (255.0 - edge * (255.0 - value.clamp(0.0, 255.0))) as u8;
        }
    }
    GrayImage::new(w, h, px).expect("synthetic image is valid")
}

/// Another impression of the finger behind `t`, simulated on its minutiae: turned and moved, each
/// minutia jittered by a few pixels and degrees, some lost and some spurious ones added — roughly what
/// a second capture of the same finger does to MINDTCT's output.
pub fn reimpression(t: &Template, seed: u64) -> Template {
    let mut rng = Rng(seed);
    let turn = rng.range(-12.0, 12.0);
    let (s, c) = turn.to_radians().sin_cos();
    let (dx, dy) = (rng.range(-25.0, 25.0), rng.range(-25.0, 25.0));
    let (cx, cy) = (f64::from(t.width()) / 2.0, f64::from(t.height()) / 2.0);
    let mut minutiae: Vec<Minutia> = Vec::new();
    for m in t.minutiae() {
        if rng.unit() < 0.15 {
            continue;
        }
        let (u, v) = (f64::from(m.x) - cx, f64::from(m.y) - cy);
        // Image rows grow downwards, so a counter-clockwise turn as seen is (u c + v s, -u s + v c).
        let x = u * c + v * s + cx + dx + rng.range(-3.0, 3.0);
        let y = -u * s + v * c + cy + dy + rng.range(-3.0, 3.0);
        if x < 0.0 || y < 0.0 || x >= f64::from(t.width()) || y >= f64::from(t.height()) {
            continue;
        }
        let degrees = m.angle_degrees() as f64 + turn + rng.range(-8.0, 8.0);
        minutiae.push(Minutia {
            x: x as u16,
            y: y as u16,
            angle: Minutia::angle_from_degrees(degrees.round() as i32),
            ..*m
        });
    }
    for _ in 0..t.minutiae().len() / 10 {
        minutiae.push(Minutia {
            x: rng.range(30.0, f64::from(t.width()) - 30.0) as u16,
            y: rng.range(30.0, f64::from(t.height()) - 30.0) as u16,
            angle: (rng.next() % 256) as u8,
            quality: rng.range(5.0, 40.0) as u8,
            kind: MinutiaKind::Other,
        });
    }
    minutiae.sort_by_key(|m| std::cmp::Reverse(m.quality));
    Template::new(t.width(), t.height(), t.ppcm(), t.finger(), 0, 0, minutiae).expect("re-impression is valid")
}

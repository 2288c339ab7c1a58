//! The NBIS oracle (NIST's WSQ codec in the fixtures' Python venv) and image helpers, shared by
//! the interoperability tests and the benchmark.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use qafila_wsq::GrayImage;

/// Where `scripts/fixtures` put its artefacts.
pub struct Fixtures {
    dir: PathBuf,
}

impl Fixtures {
    /// The fixtures, from `QAFILA_FIXTURES` or `<workspace root>/.fixtures`; panics (failing the
    /// test, never skipping it) if they are not there.
    pub fn locate() -> Self {
        let dir = match std::env::var_os("QAFILA_FIXTURES") {
            Some(d) => PathBuf::from(d),
            None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(".fixtures"),
        };
        let f = Self { dir };
        for needed in [f.python(), f.print()] {
            assert!(
                needed.is_file(),
                "missing fixture {}: run scripts/fixtures (or point QAFILA_FIXTURES at its output)",
                needed.display()
            );
        }
        f
    }

    /// The venv's Python, which has NBIS's codec as `_wsq`.
    pub fn python(&self) -> PathBuf {
        self.dir.join("venv/bin/python")
    }

    /// A real fingerprint, 540×520, WSQ-compressed by NBIS.
    pub fn print(&self) -> PathBuf {
        self.dir.join("prints/nbis-test.wsq")
    }

    /// Runs `script` in the oracle's Python with `stdin`, returning its stdout.
    pub fn run_python(&self, script: &str, args: &[String], stdin: &[u8]) -> Vec<u8> {
        let mut child = Command::new(self.python())
            .arg("-c")
            .arg(script)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}; run scripts/fixtures", self.python().display()));
        let mut input = child.stdin.take().expect("stdin is piped");
        let data = stdin.to_vec();
        let writer = std::thread::spawn(move || input.write_all(&data));
        let out = child.wait_with_output().expect("oracle ran");
        writer.join().expect("writer thread").expect("oracle read its input");
        assert!(
            out.status.success(),
            "NBIS oracle failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }

    /// NBIS's decoding of a WSQ file: the image and the PPI it reports (-1 if none).
    pub fn nbis_decode(&self, wsq: &[u8]) -> (GrayImage, i32) {
        let script = "import sys, _wsq\n\
                      pixels, w, h, ppi = _wsq.decompress(sys.stdin.buffer.read())\n\
                      sys.stdout.buffer.write(b'%d %d %d\\n' % (w, h, ppi) + bytes(pixels))";
        let out = self.run_python(script, &[], wsq);
        let nl = out.iter().position(|&b| b == b'\n').expect("header line");
        let head: Vec<i64> = String::from_utf8_lossy(&out[..nl])
            .split_whitespace()
            .map(|s| s.parse().expect("number"))
            .collect();
        let (w, h) = (head[0] as usize, head[1] as usize);
        let image = GrayImage::new(w, h, out[nl + 1..].to_vec()).expect("NBIS returned width*height pixels");
        (image, head[2] as i32)
    }

    /// NBIS's encoding of an image. The oracle's wrapper always encodes at 0.75 bpp, 500 ppi,
    /// whatever rate it is handed.
    pub fn nbis_encode(&self, image: &GrayImage) -> Vec<u8> {
        let script = "import sys, _wsq\n\
                      w, h = int(sys.argv[1]), int(sys.argv[2])\n\
                      sys.stdout.buffer.write(_wsq.compress(sys.stdin.buffer.read(), h, w, 0.75))";
        self.run_python(
            script,
            &[image.width.to_string(), image.height.to_string()],
            &image.pixels,
        )
    }

    /// The real print's pixels, as NBIS decodes them.
    pub fn print_image(&self) -> GrayImage {
        let wsq = std::fs::read(self.print()).expect("read the print");
        self.nbis_decode(&wsq).0
    }
}

/// Root-mean-square difference of two equally sized images.
pub fn rmse(a: &GrayImage, b: &GrayImage) -> f64 {
    assert_eq!((a.width, a.height), (b.width, b.height));
    let sq: f64 = a
        .pixels
        .iter()
        .zip(&b.pixels)
        .map(|(&x, &y)| (f64::from(x) - f64::from(y)).powi(2))
        .sum();
    (sq / a.pixels.len() as f64).sqrt()
}

/// Peak signal-to-noise ratio in dB.
pub fn psnr(a: &GrayImage, b: &GrayImage) -> f64 {
    20.0 * (255.0 / rmse(a, b).max(1e-9)).log10()
}

/// A rectangle cut out of an image.
pub fn crop(img: &GrayImage, x: usize, y: usize, w: usize, h: usize) -> GrayImage {
    let pixels = (y..y + h)
        .flat_map(|r| img.pixels[r * img.width + x..r * img.width + x + w].iter().copied())
        .collect();
    GrayImage::new(w, h, pixels).expect("crop fits")
}

/// An image resampled (bilinearly) to `w`×`h`.
pub fn resize(img: &GrayImage, w: usize, h: usize) -> GrayImage {
    let px = |x: usize, y: usize| f64::from(img.pixels[y * img.width + x]);
    let mut pixels = Vec::with_capacity(w * h);
    for r in 0..h {
        let fy = ((r as f64 + 0.5) * img.height as f64 / h as f64 - 0.5).clamp(0.0, (img.height - 1) as f64);
        let (y0, ty) = (fy.floor() as usize, fy.fract());
        let y1 = (y0 + 1).min(img.height - 1);
        for c in 0..w {
            let fx = ((c as f64 + 0.5) * img.width as f64 / w as f64 - 0.5).clamp(0.0, (img.width - 1) as f64);
            let (x0, tx) = (fx.floor() as usize, fx.fract());
            let x1 = (x0 + 1).min(img.width - 1);
            let top = px(x0, y0) * (1.0 - tx) + px(x1, y0) * tx;
            let bottom = px(x0, y1) * (1.0 - tx) + px(x1, y1) * tx;
            pixels.push((top * (1.0 - ty) + bottom * ty).round() as u8);
        }
    }
    GrayImage::new(w, h, pixels).expect("sizes agree")
}

/// The real print and images derived from it: (name, image).
pub fn test_images(f: &Fixtures) -> Vec<(&'static str, GrayImage)> {
    let print = f.print_image();
    vec![
        ("crop 301x397", crop(&print, 117, 61, 301, 397)),
        ("resize 411x389", resize(&print, 411, 389)),
        ("crop 97x81", crop(&print, 200, 200, 97, 81)),
        ("print 540x520", print),
    ]
}

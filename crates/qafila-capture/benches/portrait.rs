//! Portrait analysis of a 1280×720 frame on one core (target: median ≤ 33 ms, 30 frames a second of
//! live feedback), against the baseline measured in the same run: the face detector alone on the full
//! frame, which is what a naive analysis would pay per frame.

use std::time::Instant;

use opencv::core::{Mat, Size};
use opencv::prelude::*;
use qafila_capture::face::{FaceDetector, Point};
use qafila_capture::{Analyzer, Yunet};

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // One core: OpenMP (inside the detector) and OpenCV's own pool both limited to one thread, and
    // this before the detector library is loaded, since OpenMP reads its variable once.
    // SAFETY: no other thread exists yet.
    unsafe { std::env::set_var("OMP_NUM_THREADS", "1") };
    opencv::core::set_num_threads(1)?;
    let fixtures = qafila_finger::fixtures_dir();
    let photo_path = fixtures.join("photos/obama.jpg");
    let photo = qafila_capture::image::read(&photo_path).map_err(|e| format!("{e} (run scripts/fixtures)"))?;
    let mut analyzer = Analyzer::with_defaults()?;
    let face = analyzer
        .faces(&photo)?
        .first()
        .copied()
        .ok_or("no face in the fixture")?;
    // A 16:9 camera frame, the subject centred with 180 pixels between the eyes.
    let frame: Mat =
        qafila_capture::token::align_eyes(&photo, &face, Size::new(1280, 720), Point { x: 640.0, y: 300.0 }, 180.0)?;
    let report = analyzer.analyse(&frame)?;
    if !report.ok && report.faces != 1 {
        return Err(format!("the benchmark frame must hold one face: {:?}", report.checks).into());
    }

    let runs = 41;
    for _ in 0..3 {
        analyzer.analyse(&frame)?;
    }
    let mut analysis = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        std::hint::black_box(analyzer.analyse(&frame)?);
        analysis.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let path = qafila_capture::face::yunet_candidates()
        .into_iter()
        .find(|p| p.exists())
        .ok_or("no libfacedetection")?;
    let mut detector = Yunet::load(&path)?;
    let mut full = Vec::new();
    for _ in 0..11 {
        let t = Instant::now();
        std::hint::black_box(detector.detect(&frame)?);
        full.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let time =
        |f: &mut dyn FnMut() -> Result<(), Box<dyn std::error::Error>>| -> Result<f64, Box<dyn std::error::Error>> {
            let mut v = Vec::new();
            for _ in 0..21 {
                let t = Instant::now();
                f()?;
                v.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            Ok(median(v))
        };
    let small = {
        let mut m = Mat::default();
        opencv::imgproc::resize(
            &frame,
            &mut m,
            Size::new(320, 180),
            0.0,
            0.0,
            opencv::imgproc::INTER_AREA,
        )?;
        m
    };
    let crop = Mat::roi(&frame, opencv::core::Rect::new(400, 100, 160, 160))?.try_clone()?;
    let d320 = time(&mut || Ok(detector.detect(&small).map(|_| ())?))?;
    let d160 = time(&mut || Ok(detector.detect(&crop).map(|_| ())?))?;
    let faces = time(&mut || Ok(analyzer.faces(&frame).map(|_| ())?))?;
    println!("  parts: detect 320×180 {d320:.1} ms, detect 160×160 {d160:.1} ms, faces() {faces:.1} ms");
    let (a, f) = (median(analysis), median(full));
    println!(
        "portrait analysis, 1280×720 frame, one core ({} checks, {runs} runs)",
        report.checks.len()
    );
    println!("  full analysis (reduced-frame detection + refinement + all checks): median {a:.1} ms");
    println!("  baseline, the detector alone on the full frame:                  median {f:.1} ms");
    println!(
        "  ratio analysis / baseline: {:.2}   target ≤ 33 ms: {}",
        a / f,
        if a <= 33.0 { "met" } else { "NOT met" }
    );
    println!("  frames per second of live feedback: {:.0}", 1000.0 / a);
    Ok(())
}

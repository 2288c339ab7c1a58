//! The camera path headless: a video file stands in for the camera, auto-capture takes the best frame
//! once every check has passed for several frames, and gives the best frame seen on timeout.

use std::path::{Path, PathBuf};
use std::time::Duration;

use opencv::core::{Mat, Scalar, Size};
use opencv::imgproc;
use opencv::prelude::*;
use opencv::videoio::{VideoWriter, VideoWriterTrait};
use qafila_capture::autocapture::{self, AutoCaptureConfig, Progress};
use qafila_capture::{Analyzer, Camera, Playback, Source};

fn fixtures() -> PathBuf {
    let dir = qafila_finger::fixtures_dir();
    assert!(
        dir.join("photos/astronaut.png").exists(),
        "fixtures missing in {}: run scripts/fixtures",
        dir.display()
    );
    dir
}

/// A 640×480 camera-like frame of the astronaut photograph, the face centred.
fn good_frame() -> Mat {
    let photo = qafila_capture::image::read(&fixtures().join("photos/astronaut.png")).unwrap();
    let mut big = Mat::default();
    imgproc::resize(&photo, &mut big, Size::new(0, 0), 1.6, 1.6, imgproc::INTER_CUBIC).unwrap();
    // The face sits near (360, 260) after scaling: cut a 640×480 window around it.
    let x = (big.cols() / 2 - 320).clamp(0, big.cols() - 640);
    let roi = Mat::roi(&big, opencv::core::Rect::new(x, 0, 640, 480)).unwrap();
    roi.try_clone().unwrap()
}

fn blurred(image: &Mat) -> Mat {
    let mut out = Mat::default();
    imgproc::gaussian_blur_def(image, &mut out, Size::new(0, 0), 9.0).unwrap();
    out
}

fn write_video(path: &Path, frames: &[Mat]) {
    let fourcc = VideoWriter::fourcc('M', 'J', 'P', 'G').unwrap();
    let mut writer = VideoWriter::new(path.as_os_str(), fourcc, 30.0, Size::new(640, 480), true).unwrap();
    assert!(writer.is_opened().unwrap(), "OpenCV cannot write MJPEG AVI here");
    for f in frames {
        writer.write(f).unwrap();
    }
    writer.release().unwrap();
}

#[test]
fn auto_capture_takes_a_frame_after_consecutive_passing_frames() {
    let dir = tempfile::tempdir().unwrap();
    let video = dir.path().join("session.avi");
    let good = good_frame();
    let mut analyzer = Analyzer::with_defaults().unwrap();
    let check = analyzer.analyse(&good).unwrap();
    assert!(check.ok, "the good frame must pass: {:?}", check.checks);
    let bad = blurred(&good);
    // Blurred while the subject settles, one good frame (luck, not stillness), then still.
    let mut frames: Vec<Mat> = (0..15).map(|_| bad.clone()).collect();
    frames.push(good.clone());
    frames.push(bad.clone());
    frames.extend((0..120).map(|_| good.clone()));
    write_video(&video, &frames);

    let camera = Camera::open(
        &Source::File(video),
        Playback {
            real_time: true,
            looped: false,
        },
    )
    .unwrap();
    let mut seen = Vec::new();
    let config = AutoCaptureConfig {
        consecutive: 5,
        timeout: Duration::from_secs(60),
    };
    let progress = autocapture::run(&camera, &mut analyzer, config, |report, p| {
        seen.push((report.ok, matches!(p, Progress::Waiting { .. })));
    });
    // Reading may outpace analysis (newest frame wins), so frames may be skipped: the capture must
    // still come only after five passing frames in a row.
    match progress {
        Ok(Progress::Captured(best)) => {
            assert!(best.report.ok);
            let tail: Vec<bool> = seen.iter().rev().take(5).map(|(ok, _)| *ok).collect();
            assert_eq!(tail, vec![true; 5], "captured after {seen:?}");
            let token = qafila_capture::make_token(&best.frame, &best.report.face.unwrap(), &Default::default());
            assert!(token.is_ok());
        }
        Ok(other) => panic!("expected a capture, got {other:?} after {seen:?}"),
        Err(e) => panic!("camera error {e} after {seen:?}"),
    }
}

#[test]
fn auto_capture_times_out_with_the_best_frame_seen() {
    let dir = tempfile::tempdir().unwrap();
    let video = dir.path().join("blurred.avi");
    let good = good_frame();
    let frames: Vec<Mat> = (0..40)
        .map(|i| {
            if i == 20 {
                blurred(&good)
            } else {
                blurred(&blurred(&good))
            }
        })
        .collect();
    write_video(&video, &frames);
    let camera = Camera::open(
        &Source::File(video),
        Playback {
            real_time: true,
            looped: true,
        },
    )
    .unwrap();
    let mut analyzer = Analyzer::with_defaults().unwrap();
    let config = AutoCaptureConfig {
        consecutive: 3,
        timeout: Duration::from_millis(1500),
    };
    let mut reports = 0;
    let progress = autocapture::run(&camera, &mut analyzer, config, |_, _| reports += 1).unwrap();
    let Progress::TimedOut(Some(best)) = progress else {
        panic!("expected a timeout with a frame, got {progress:?}")
    };
    assert!(!best.report.ok, "nothing passing was in the video");
    assert!(reports > 3, "frames were analysed until the timeout ({reports})");
    // The operator may keep it only with an override recorded in the report.
    let record = best.report.to_record(Some("op-7".into()));
    assert_eq!(record.override_by.as_deref(), Some("op-7"));
    assert!(
        record
            .checks
            .iter()
            .any(|c| c.id == "sharpness" && !c.ok && c.reason.as_deref() == Some("blurred"))
    );
}

#[test]
fn newest_frame_wins_when_analysis_is_slow() {
    let dir = tempfile::tempdir().unwrap();
    let video = dir.path().join("fast.avi");
    let good = good_frame();
    let mut frames = Vec::new();
    for i in 0..60 {
        let mut f = good.clone();
        imgproc::put_text_def(
            &mut f,
            &i.to_string(),
            opencv::core::Point::new(10, 40),
            0,
            1.0,
            Scalar::all(0.0),
        )
        .unwrap();
        frames.push(f);
    }
    write_video(&video, &frames);
    let camera = Camera::open(
        &Source::File(video),
        Playback {
            real_time: true,
            looped: false,
        },
    )
    .unwrap();
    let mut last = 0;
    let mut taken = Vec::new();
    // A consumer four times slower than the 30 fps source.
    while let Ok(Some(frame)) = camera.next_after(last, Duration::from_secs(2)) {
        assert!(frame.seq > last);
        last = frame.seq;
        taken.push(frame.seq);
        std::thread::sleep(Duration::from_millis(130));
    }
    let (delivered, skipped) = camera.counters();
    assert_eq!(delivered, 60);
    assert!(
        skipped > 20,
        "a slow consumer must skip frames, not queue them: {skipped} skipped, took {taken:?}"
    );
    assert!(taken.len() < 30, "took {} frames", taken.len());
    assert!(
        *taken.last().unwrap() >= 55,
        "the last frame taken is near the end: {taken:?}"
    );
}

#[test]
fn a_missing_camera_or_file_says_so() {
    let err = Camera::open(&Source::File("/nonexistent/video.avi".into()), Playback::default())
        .err()
        .unwrap();
    assert!(err.to_string().contains("no such file"), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.avi");
    std::fs::write(&junk, b"this is not a video").unwrap();
    match Camera::open(&Source::File(junk), Playback::default()) {
        Err(e) => assert!(e.to_string().contains("junk.avi"), "{e}"),
        Ok(camera) => {
            let err = camera
                .next_after(0, Duration::from_secs(5))
                .err()
                .expect("a junk file yields no frames");
            assert!(err.to_string().contains("junk.avi"), "{err}");
        }
    }
    assert_eq!(Source::parse("/dev/video2"), Source::Device(2));
    assert_eq!(Source::parse("clip.mp4"), Source::File("clip.mp4".into()));
}

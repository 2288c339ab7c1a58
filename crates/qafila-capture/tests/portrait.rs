//! Portrait checks on real photographs (fetched by `scripts/fixtures`, sources in docs/FIXTURES.md):
//! each good portrait, framed as the van's camera would frame it, passes; versions of it that are
//! blurred, dark, burnt out, rotated, off-centre, cut by the border or joined by a second face fail
//! with the reason the operator needs; photographs without a face, and a real group, fail too.

use std::path::PathBuf;

use opencv::core::{Mat, Scalar, Size};
use opencv::imgproc;
use opencv::prelude::*;
use qafila_capture::{Analyzer, CheckId, DetectorKind, Face, PortraitReport, Reason, TokenConfig};

fn fixtures() -> PathBuf {
    let dir = qafila_finger::fixtures_dir();
    assert!(
        dir.join("photos/astronaut.png").exists(),
        "fixtures missing in {}: run scripts/fixtures",
        dir.display()
    );
    dir
}

fn photo(name: &str) -> Mat {
    qafila_capture::image::read(&fixtures().join("photos").join(name)).expect("fixture photo")
}

fn analyzer() -> Analyzer {
    let a = Analyzer::with_defaults().expect("analyzer");
    assert_eq!(
        a.detector_kind(),
        DetectorKind::Yunet,
        "libfacedetection must load from the fixtures"
    );
    a
}

/// Frames a photograph as the van's 4:3 camera would: eyes level, centred, the eye line at 42 % of
/// the height, eight eye distances across, 640×480.
fn camera_frame(image: &Mat, face: &Face) -> Mat {
    let at = qafila_capture::face::Point {
        x: 320.0,
        y: 0.42 * 480.0,
    };
    qafila_capture::token::align_eyes(image, face, Size::new(640, 480), at, 80.0).unwrap()
}

fn warp(image: &Mat, m: &Mat, w: i32, h: i32) -> Mat {
    let mut out = Mat::default();
    imgproc::warp_affine(
        image,
        &mut out,
        m,
        Size::new(w, h),
        imgproc::INTER_LINEAR,
        opencv::core::BORDER_REPLICATE,
        Scalar::default(),
    )
    .unwrap();
    out
}

fn shifted(image: &Mat, dx: f64, dy: f64) -> Mat {
    let m = Mat::from_slice_2d(&[[1.0, 0.0, dx], [0.0, 1.0, dy]]).unwrap();
    warp(image, &m, image.cols(), image.rows())
}

fn rotated(image: &Mat, degrees: f64) -> Mat {
    let c = opencv::core::Point2f::new(image.cols() as f32 / 2.0, image.rows() as f32 * 0.42);
    let m = imgproc::get_rotation_matrix_2d(c, degrees, 1.0).unwrap();
    warp(image, &m, image.cols(), image.rows())
}

fn blurred(image: &Mat, sigma: f64) -> Mat {
    let mut out = Mat::default();
    imgproc::gaussian_blur_def(image, &mut out, Size::new(0, 0), sigma).unwrap();
    out
}

fn relit(image: &Mat, gain: f64, offset: f64) -> Mat {
    let mut out = Mat::default();
    image.convert_to(&mut out, -1, gain, offset).unwrap();
    out
}

fn side_by_side(a: &Mat, b: &Mat) -> Mat {
    let mut out = Mat::default();
    let pair = opencv::core::Vector::<Mat>::from_iter([a.clone(), b.clone()]);
    opencv::core::hconcat(&pair, &mut out).unwrap();
    // Back to the camera's size so both faces are as large as one was.
    let mut resized = Mat::default();
    imgproc::resize(&out, &mut resized, Size::new(640, 240), 0.0, 0.0, imgproc::INTER_AREA).unwrap();
    let mut canvas = Mat::default();
    opencv::core::copy_make_border(
        &resized,
        &mut canvas,
        120,
        120,
        0,
        0,
        opencv::core::BORDER_REPLICATE,
        Scalar::default(),
    )
    .unwrap();
    canvas
}

fn failing(report: &PortraitReport) -> Vec<(CheckId, Reason)> {
    report
        .checks
        .iter()
        .filter(|c| !c.ok)
        .filter_map(|c| c.reason.map(|r| (c.id, r)))
        .collect()
}

fn describe(report: &PortraitReport) -> String {
    report
        .checks
        .iter()
        .map(|c| {
            format!(
                "{:?}={:.3}{}",
                c.id,
                c.value.unwrap_or(f64::NAN),
                if c.ok { "" } else { "✗" }
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The good portraits, and whether their backgrounds are plain enough for a card.
const GOOD: [(&str, bool); 4] = [
    ("astronaut.png", true),
    ("obama.jpg", false),
    ("biden.jpg", false),
    ("grace_hopper.jpg", false),
];

fn good_frames(analyzer: &mut Analyzer) -> Vec<(&'static str, bool, Mat)> {
    GOOD.iter()
        .map(|(name, plain)| {
            let original = photo(name);
            let faces = analyzer.faces(&original).unwrap();
            assert_eq!(faces.len(), 1, "{name}: one face in the original photograph");
            (*name, *plain, camera_frame(&original, &faces[0]))
        })
        .collect()
}

#[test]
fn good_portraits_pass_and_busy_backgrounds_are_named() {
    let mut analyzer = analyzer();
    for (name, plain, frame) in good_frames(&mut analyzer) {
        let report = analyzer.analyse(&frame).unwrap();
        eprintln!("{name}: {}", describe(&report));
        assert_eq!(report.faces, 1, "{name}");
        let fails = failing(&report);
        if plain {
            assert!(report.ok, "{name} should pass every check: {fails:?}");
        } else {
            assert_eq!(
                fails,
                vec![(CheckId::Background, Reason::BackgroundNotUniform)],
                "{name}"
            );
        }
    }
}

#[test]
fn degraded_versions_fail_with_the_right_reason() {
    let mut analyzer = analyzer();
    for (name, _, frame) in good_frames(&mut analyzer) {
        let ed = 80.0;
        let cases: Vec<(&str, Mat, Reason)> = vec![
            ("blurred", blurred(&frame, ed / 12.0), Reason::Blurred),
            ("dark", relit(&frame, 0.22, 0.0), Reason::TooDark),
            ("over-exposed", relit(&frame, 2.6, 70.0), Reason::TooBright),
            ("rotated", rotated(&frame, 18.0), Reason::StraightenHead),
            ("off-centre", shifted(&frame, -140.0, 0.0), Reason::OffCentreLeft),
            ("off-centre right", shifted(&frame, 140.0, 0.0), Reason::OffCentreRight),
            ("cut by the border", shifted(&frame, 0.0, -170.0), Reason::FaceCut),
            (
                "too small",
                {
                    let mut small = Mat::default();
                    imgproc::resize(&frame, &mut small, Size::new(0, 0), 0.4, 0.4, imgproc::INTER_AREA).unwrap();
                    let mut canvas = Mat::default();
                    let (pw, ph) = ((640 - small.cols()) / 2, (480 - small.rows()) / 2);
                    opencv::core::copy_make_border(
                        &small,
                        &mut canvas,
                        ph,
                        480 - small.rows() - ph,
                        pw,
                        640 - small.cols() - pw,
                        opencv::core::BORDER_REPLICATE,
                        Scalar::default(),
                    )
                    .unwrap();
                    canvas
                },
                Reason::MoveCloser,
            ),
        ];
        for (what, image, reason) in cases {
            let report = analyzer.analyse(&image).unwrap();
            eprintln!("{name} {what}: {}", describe(&report));
            if let Some(dir) = std::env::var_os("QAFILA_DEBUG_DIR") {
                let p = PathBuf::from(dir).join(format!("{name}-{what}.png"));
                opencv::imgcodecs::imwrite_def(p.as_os_str(), &image).unwrap();
            }
            assert!(!report.ok, "{name} {what} must fail");
            let reasons: Vec<Reason> = failing(&report).into_iter().map(|(_, r)| r).collect();
            assert!(
                reasons.contains(&reason),
                "{name} {what}: expected {reason:?}, got {reasons:?}"
            );
        }
    }
}

#[test]
fn two_people_in_the_frame_fail_as_several_faces() {
    let mut analyzer = analyzer();
    let frames = good_frames(&mut analyzer);
    let pair = side_by_side(&frames[0].2, &frames[1].2);
    let report = analyzer.analyse(&pair).unwrap();
    assert_eq!(report.faces, 2, "{}", describe(&report));
    assert_eq!(report.first_reason(), Some(Reason::SeveralFaces));
    let group = analyzer.analyse(&photo("solvay-1927.png")).unwrap();
    assert!(
        group.faces >= 3,
        "the Solvay group has many faces; found {}",
        group.faces
    );
    assert_eq!(group.first_reason(), Some(Reason::SeveralFaces));
}

#[test]
fn photographs_without_a_face_fail_as_no_face() {
    let mut analyzer = analyzer();
    for name in ["rocket.jpg", "coffee.png", "chelsea.png", "brick.png"] {
        let report = analyzer.analyse(&photo(name)).unwrap();
        assert_eq!(report.faces, 0, "{name}: {}", describe(&report));
        assert_eq!(report.first_reason(), Some(Reason::NoFace), "{name}");
    }
}

#[test]
fn real_photographs_cut_by_the_border_or_turned_fail() {
    let mut analyzer = analyzer();
    let cut = analyzer.analyse(&photo("obama_partial_face.jpg")).unwrap();
    assert!(
        failing(&cut).contains(&(CheckId::FaceInside, Reason::FaceCut)),
        "{}",
        describe(&cut)
    );
    let turned = analyzer.analyse(&photo("luispedro.jpg")).unwrap();
    assert!(
        failing(&turned).contains(&(CheckId::Yaw, Reason::FaceTheCamera)),
        "{}",
        describe(&turned)
    );
}

#[test]
fn the_token_portrait_has_the_iso_geometry_and_fits_the_budget() {
    let mut analyzer = analyzer();
    for (name, _, frame) in good_frames(&mut analyzer) {
        let report = analyzer.analyse(&frame).unwrap();
        let face = report.face.unwrap();
        let config = TokenConfig::default();
        let token = qafila_capture::make_token(&frame, &face, &config).unwrap();
        assert!(
            token.width >= 420 && token.height >= 540,
            "{name}: {}×{}",
            token.width,
            token.height
        );
        assert!(
            token.jpeg.len() <= config.max_bytes,
            "{name}: {} bytes",
            token.jpeg.len()
        );
        // Found again in the token, the eyes sit where ISO/IEC 19794-5 puts them.
        let decoded = qafila_capture::image::decode(&token.jpeg, "token").unwrap();
        let faces = analyzer.faces(&decoded).unwrap();
        assert_eq!(faces.len(), 1, "{name}: one face in the token");
        let w = token.width as f32;
        let (r, l) = (faces[0].right_eye, faces[0].left_eye);
        let mid = r.midpoint(l);
        assert!(
            (mid.x - w / 2.0).abs() < 0.03 * w,
            "{name}: eyes' midpoint x {} in {w}",
            mid.x
        );
        assert!(
            (mid.y - 0.6 * w).abs() < 0.04 * w,
            "{name}: eye line {} (expected {})",
            mid.y,
            0.6 * w
        );
        assert!(
            ((l.x - r.x) - 0.25 * w).abs() < 0.05 * w,
            "{name}: eye distance {}",
            l.x - r.x
        );
        assert!((l.y - r.y).abs() < 0.02 * w, "{name}: eyes level");
    }
    let tight = TokenConfig {
        width: 420,
        max_bytes: 300,
    };
    let (_, _, frame) = &good_frames(&mut analyzer)[0];
    let face = analyzer.analyse(frame).unwrap().face.unwrap();
    let err = qafila_capture::make_token(frame, &face, &tight).unwrap_err();
    assert!(err.to_string().contains("budget"), "{err}");
}

#[test]
fn unreadable_images_are_refused_with_the_file_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("half.jpg");
    let bytes = std::fs::read(fixtures().join("photos/obama.jpg")).unwrap();
    std::fs::write(&path, &bytes[..200]).unwrap();
    let mut analyzer = analyzer();
    let err = qafila_capture::check_image(&mut analyzer, &path, None).unwrap_err();
    assert!(err.to_string().contains("half.jpg"), "{err}");
    let err = qafila_capture::image::decode(b"not an image", "portrait").unwrap_err();
    assert!(err.to_string().contains("portrait"), "{err}");
}

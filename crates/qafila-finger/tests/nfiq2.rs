//! NFIQ 2 through our FFI against NIST's implementation through the wheel's own Python binding, and the
//! fallback when the library is absent.

mod common;

use common::{REAL_PRINTS, fixtures, load_print, print_path, venv_python};
use qafila_finger::{GrayImage, Quality, QualityConfig, QualityEngine};

/// NFIQ 2 of each image with nbis-py's Python API: one JSON-ish line `score name=value ...` per image.
const PYTHON_NFIQ2: &str = r#"
import io, sys, nbis
from PIL import Image
ex = nbis.new_nbis_extractor(nbis.NbisExtractorSettings(min_quality=0.0, get_center=False,
    check_fingerprint=False, compute_nfiq2=True, ppi=None))
for path in sys.argv[1:]:
    png = io.BytesIO(); Image.open(path).convert("L").save(png, format="PNG")
    q = ex.extract_minutiae(png.getvalue()).quality()
    print(q.score, " ".join(f"{v.name}={v.value!r}" for v in q.actionable))
"#;

#[test]
fn nfiq2_through_our_ffi_equals_nist_python_binding() {
    let quality = Quality::from_env();
    assert_eq!(
        quality.engine(),
        QualityEngine::Nfiq2,
        "NIST's library did not load ({:?}): run scripts/fixtures",
        quality.unavailable_reason()
    );
    let paths: Vec<_> = REAL_PRINTS.iter().map(|(name, _)| print_path(name)).collect();
    let args: Vec<&std::path::Path> = paths.iter().map(|p| p.as_path()).collect();
    let nist = venv_python(PYTHON_NFIQ2, &args);
    let nist: Vec<&str> = nist.lines().collect();
    assert_eq!(nist.len(), REAL_PRINTS.len());

    let mut scores = Vec::new();
    for ((name, _), line) in REAL_PRINTS.iter().zip(nist) {
        let ours = quality.nfiq2(&load_print(name)).expect("NFIQ 2");
        assert_eq!(ours.engine, QualityEngine::Nfiq2);
        assert!(ours.note.is_none());
        let mut fields = line.split_whitespace();
        let score: u8 = fields.next().and_then(|s| s.parse().ok()).expect("python score");
        let actionable: Vec<(String, f64)> = fields
            .map(|f| {
                let (name, value) = f.split_once('=').expect("name=value");
                (name.to_string(), value.parse().expect("float"))
            })
            .collect();
        assert_eq!(
            ours.score, score,
            "{name}: NFIQ 2 through our FFI vs NIST's Python binding"
        );
        assert_eq!(ours.actionable, actionable, "{name}: actionable feedback");
        assert!(!ours.actionable.is_empty(), "{name}: NFIQ 2 gives actionable feedback");
        scores.push(ours.score);
    }
    // Known values (NFIQ 2.3 in nbis-py 0.1.3): they keep the test honest if both sides ever agreed on
    // garbage.
    assert_eq!(scores, [68, 70, 63, 71, 38, 66, 69, 42]);
}

#[test]
fn fallback_engine_when_the_library_path_is_absent() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("lib/libnbis.so");
    let quality = Quality::open(&QualityConfig {
        lib_path: Some(missing.clone()),
    });
    assert_eq!(quality.engine(), QualityEngine::Fallback);
    let why = quality.unavailable_reason().expect("a reason");
    assert!(why.contains(&missing.display().to_string()), "{why}");

    fixtures();
    for (name, _) in REAL_PRINTS {
        let score = quality.nfiq2(&load_print(name)).expect("fallback never fails");
        assert_eq!(score.engine, QualityEngine::Fallback);
        assert_eq!(score.engine.label(), "fallback estimate (not NFIQ 2)");
        let note = score.note.expect("the fallback explains itself");
        assert!(note.contains("not NFIQ 2") && note.contains("not available"), "{note}");
        assert!(score.actionable.is_empty());
        assert!(
            (30..=100).contains(&score.score),
            "{name}: a real print scored {}",
            score.score
        );
    }
    let blank = GrayImage::new(400, 500, vec![255; 400 * 500]).expect("valid");
    assert_eq!(quality.nfiq2(&blank).expect("fallback").score, 0);
}

#[test]
fn a_file_that_is_not_the_library_falls_back() {
    let not_a_library = print_path("afis-p1_1.png");
    let quality = Quality::open(&QualityConfig {
        lib_path: Some(not_a_library),
    });
    assert_eq!(quality.engine(), QualityEngine::Fallback);
    assert!(
        quality
            .unavailable_reason()
            .expect("a reason")
            .contains("afis-p1_1.png")
    );
}

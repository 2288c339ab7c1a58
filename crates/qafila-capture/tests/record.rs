//! Capture into the van's encrypted store: the token portrait and ten prints captured here become an
//! enrollment the store accepts, validates and gives back byte for byte.

use std::path::PathBuf;

use chrono::Utc;
use qafila_capture::fingers::{self, FingerConfig};
use qafila_capture::{Analyzer, TokenConfig};
use qafila_domain::{FingerSlot, Status};
use qafila_finger::Quality;
use qafila_sbi::simulator::{self, SimConfig};
use qafila_sbi::{SbiConfig, SbiScanner};
use qafila_store::{InitOptions, Store};

#[test]
fn a_captured_portrait_and_ten_prints_are_enrolled_and_read_back() {
    let fixtures = std::env::var_os("QAFILA_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.fixtures"));
    let photo = fixtures.join("photos/astronaut.png");
    assert!(photo.exists(), "run scripts/fixtures");
    let mut analyzer = Analyzer::with_defaults().unwrap();
    let (report, token) = qafila_capture::check_image(&mut analyzer, &photo, Some(&TokenConfig::default())).unwrap();
    let token = token.expect("one face gives a token");
    // The astronaut photograph is framed loosely (the face is small): kept on a recorded override.
    let (portrait, mut blobs) = qafila_capture::record::portrait(&token, &report, Some("SUP-1".into()));

    let sim = simulator::serve(SimConfig {
        seed: 5,
        quality: 90,
        ..SimConfig::default()
    })
    .unwrap();
    let scanner = SbiScanner::open(
        SbiConfig {
            decoders: qafila_capture::desk::decoders_with_wsq(),
            ..SbiConfig::default()
        },
        sim.port(),
        "1",
    )
    .unwrap();
    let ten = fingers::capture_ten(
        &scanner,
        &Quality::from_env(),
        &[],
        None,
        &FingerConfig::default(),
        |_| {},
    )
    .unwrap();
    let (slots, finger_blobs) = qafila_capture::record::fingerprints(&ten.fingers);
    blobs.extend(finger_blobs);

    let dir = tempfile::tempdir().unwrap();
    let mut van = Store::init(
        dir.path(),
        InitOptions {
            van_id: "VAN-C".into(),
            operator_id: "SUP-1".into(),
            passphrase: "pass phrase".into(),
            recovery: None,
            kdf_log_n: 10,
        },
    )
    .unwrap();
    let mut record = qafila_domain::sample::applicant(3, "VAN-C", "SUP-1", Utc::now());
    record.portrait = Some(portrait.clone());
    record.fingerprints = slots.clone();
    record.application.status = Status::Captured;
    let id = van.enroll(record, &blobs).unwrap();

    let back = van.get(&id).unwrap();
    assert_eq!(back.portrait.as_ref(), Some(&portrait));
    assert_eq!(back.portrait.unwrap().quality.override_by.as_deref(), Some("SUP-1"));
    assert_eq!(van.blob(&portrait.blob).unwrap(), token.jpeg);
    assert_eq!(back.fingerprints.len(), 10);
    for slot in back.fingerprints.values() {
        if let FingerSlot::Impression {
            blob,
            quality,
            quality_algorithm,
            ..
        } = slot
        {
            let wsq = van.blob(blob).unwrap();
            assert!(qafila_wsq::decode(&wsq).is_ok());
            assert!(*quality <= 100);
            assert_eq!(quality_algorithm.as_deref(), Some("nfiq2"));
        }
    }
}

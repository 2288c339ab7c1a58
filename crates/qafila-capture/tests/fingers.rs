//! The ten-print workflow against the SBI simulator over real HTTP: NFIQ 2 from NIST's library, WSQ
//! and templates per finger, retries below the threshold then an exception, a scanner that hangs,
//! declared exceptions, and the duplicate check within a drive.

use std::time::Duration;

use qafila_capture::fingers::{self, DeclaredException, FingerConfig, FingerEvent, FingerOutcome};
use qafila_finger::{DuplicateIndex, PersonId, Quality, QualityEngine, SearchConfig};
use qafila_sbi::simulator::{self, Fault, SimConfig};
use qafila_sbi::{Finger, SbiConfig, SbiScanner};

fn quality() -> Quality {
    let q = Quality::from_env();
    assert_eq!(
        q.engine(),
        QualityEngine::Nfiq2,
        "NIST's library must load from the fixtures: run scripts/fixtures"
    );
    q
}

fn scanner_for(sim: &simulator::Simulator) -> SbiScanner {
    let config = SbiConfig {
        decoders: qafila_capture::desk::decoders_with_wsq(),
        ..SbiConfig::default()
    };
    SbiScanner::open(config, sim.port(), "1").unwrap()
}

fn config() -> FingerConfig {
    FingerConfig {
        timeout: Duration::from_secs(3),
        ..FingerConfig::default()
    }
}

#[test]
fn ten_good_fingers_are_scored_compressed_and_templated() {
    let sim = simulator::serve(SimConfig {
        seed: 11,
        quality: 90,
        ..SimConfig::default()
    })
    .unwrap();
    let scanner = scanner_for(&sim);
    let mut events = Vec::new();
    let result = fingers::capture_ten(&scanner, &quality(), &[], None, &config(), |e| events.push(e)).unwrap();
    assert_eq!(result.fingers.len(), 10);
    for outcome in &result.fingers {
        let FingerOutcome::Captured(c) = outcome else {
            panic!("expected an impression: {outcome:?}")
        };
        eprintln!("good finger {:?}: NFIQ 2 {}", c.finger, c.quality);
        assert!(c.quality >= 40, "finger {:?}: NFIQ 2 {}", c.finger, c.quality);
        assert_eq!(c.engine, QualityEngine::Nfiq2);
        let decoded = qafila_wsq::decode(&c.wsq).expect("our WSQ decodes");
        assert_eq!(decoded.ppi, Some(500));
        assert!(
            c.wsq.len() < decoded.width * decoded.height / 5,
            "WSQ compresses: {} bytes",
            c.wsq.len()
        );
        assert!(c.template.minutiae().len() >= 12, "a usable template");
        assert!(c.device.contains("Qafila") || !c.device.is_empty());
    }
    assert!(
        events
            .iter()
            .any(|e| matches!(e, FingerEvent::Scored { accepted: true, .. }))
    );
    assert!(result.duplicates.is_empty());
}

#[test]
fn poor_fingers_are_retried_then_recorded_as_exceptions() {
    let sim = simulator::serve(SimConfig {
        seed: 12,
        quality: 3,
        ..SimConfig::default()
    })
    .unwrap();
    let scanner = scanner_for(&sim);
    let declared = [DeclaredException {
        finger: Finger::LeftLittle,
        kind: qafila_domain::FingerException::Amputated,
        reason: "amputated in 2019".into(),
    }];
    let mut attempts = 0;
    let result = fingers::capture_ten(&scanner, &quality(), &declared, None, &config(), |e| {
        if matches!(e, FingerEvent::Capturing { .. }) {
            attempts += 1;
        }
        eprintln!("{e:?}");
    })
    .unwrap();
    assert_eq!(result.fingers.len(), 10);
    let mut low = 0;
    for outcome in &result.fingers {
        match outcome {
            FingerOutcome::Exception {
                finger: Finger::LeftLittle,
                kind,
                reason,
                best,
            } => {
                assert_eq!(*kind, qafila_domain::FingerException::Amputated);
                assert_eq!(reason, "amputated in 2019");
                assert!(best.is_none(), "a declared finger is never asked for");
            }
            FingerOutcome::Exception { kind, reason, best, .. } => {
                assert_eq!(*kind, qafila_domain::FingerException::UnableToCapture);
                assert!(reason.contains("below 40 after 4 attempts"), "{reason}");
                assert!(best.as_ref().is_some_and(|b| b.quality < 40));
                low += 1;
            }
            FingerOutcome::Captured(c) => assert!(c.quality >= 40),
        }
    }
    assert!(
        low >= 5,
        "quality 3 should leave most fingers below the threshold ({low})"
    );
    assert!(
        (4..=12).contains(&attempts),
        "one to four attempts per slap: {attempts}"
    );
}

#[test]
fn a_hanging_scanner_costs_an_attempt_not_the_session() {
    let sim = simulator::serve(SimConfig {
        seed: 13,
        quality: 90,
        ..SimConfig::default()
    })
    .unwrap();
    sim.inject_next(Fault::Hang);
    sim.inject_next(Fault::MalformedJson);
    let scanner = scanner_for(&sim);
    let cfg = FingerConfig {
        timeout: Duration::from_secs(1),
        ..config()
    };
    let mut errors = Vec::new();
    let result = fingers::capture_ten(&scanner, &quality(), &[], None, &cfg, |e| {
        if let FingerEvent::ScannerError { message } = e {
            errors.push(message);
        }
    })
    .unwrap();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(result.fingers.iter().all(|o| matches!(o, FingerOutcome::Captured(_))));
}

#[test]
fn the_same_person_queuing_twice_is_flagged_and_a_stranger_is_not() {
    let quality = quality();
    let mut index = DuplicateIndex::new(SearchConfig::default());
    let person_a = simulator::serve(SimConfig {
        seed: 21,
        quality: 85,
        ..SimConfig::default()
    })
    .unwrap();
    let first = fingers::capture_ten(&scanner_for(&person_a), &quality, &[], Some(&index), &config(), |_| {}).unwrap();
    assert!(first.duplicates.is_empty());
    let templates = first
        .fingers
        .iter()
        .filter_map(|o| match o {
            FingerOutcome::Captured(c) => Some(c.template.clone()),
            FingerOutcome::Exception { .. } => None,
        })
        .collect();
    index.insert(PersonId("enrollment-a".into()), templates).unwrap();
    for seed in 30..34 {
        let other = simulator::serve(SimConfig {
            seed,
            quality: 85,
            ..SimConfig::default()
        })
        .unwrap();
        let t = fingers::capture_ten(&scanner_for(&other), &quality, &[], None, &config(), |_| {}).unwrap();
        let probe: Vec<_> = t
            .fingers
            .iter()
            .filter_map(|o| {
                if let FingerOutcome::Captured(c) = o {
                    Some(c.template.clone())
                } else {
                    None
                }
            })
            .collect();
        index.insert(PersonId(format!("enrollment-{seed}")), probe).unwrap();
    }
    // The same person again: a fresh capture, displaced and pressed differently.
    let again = fingers::capture_ten(&scanner_for(&person_a), &quality, &[], Some(&index), &config(), |_| {}).unwrap();
    assert!(
        again.duplicates.iter().any(|c| c.person.0 == "enrollment-a"),
        "the earlier enrollment is flagged: {:?}",
        again.duplicates
    );
    assert!(
        again.duplicates.iter().all(|c| c.person.0 == "enrollment-a"),
        "{:?}",
        again.duplicates
    );
    let stranger = simulator::serve(SimConfig {
        seed: 99,
        quality: 85,
        ..SimConfig::default()
    })
    .unwrap();
    let s = fingers::capture_ten(&scanner_for(&stranger), &quality, &[], Some(&index), &config(), |_| {}).unwrap();
    assert!(s.duplicates.is_empty(), "a stranger matches nobody: {:?}", s.duplicates);
}

#[test]
fn prints_from_files_work_for_desk_capture() {
    let fixtures = qafila_finger::fixtures_dir();
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(fixtures.join("prints/nbis-test.wsq"), dir.path().join("2.wsq")).expect("run scripts/fixtures");
    std::fs::copy(fixtures.join("prints/afis-p1_1.png"), dir.path().join("7.png")).unwrap();
    let scanner = qafila_capture::desk::FolderScanner::new(dir.path());
    let cfg = FingerConfig { retries: 0, ..config() };
    let result = fingers::capture_ten(&scanner, &quality(), &[], None, &cfg, |_| {}).unwrap();
    let captured: Vec<u8> = result
        .fingers
        .iter()
        .filter_map(|o| {
            if let FingerOutcome::Captured(c) = o {
                Some(c.finger.position())
            } else {
                None
            }
        })
        .collect();
    assert!(
        captured.contains(&2),
        "the WSQ print (real, NBIS-encoded) is read: {captured:?}"
    );
    let missing = result
        .fingers
        .iter()
        .filter(|o| matches!(o, FingerOutcome::Exception { .. }))
        .count();
    assert!(missing >= 8, "fingers without a file are exceptions");
}

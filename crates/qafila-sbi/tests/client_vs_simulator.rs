//! The SBI client against the simulator over real HTTP on 127.0.0.1: discovery, device info, captures, and every
//! fault the simulator can inject, each followed by a healthy capture on the same client.

use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use qafila_sbi::iso19794_4::{self, Compression, Decoders};
use qafila_sbi::simulator::{self, Fault, SimConfig, Simulator};
use qafila_sbi::{
    CaptureRequest, DeviceStatus, Finger, FingerprintScanner, ImageError, Impression, KeyTrust, SbiConfig, SbiScanner,
    ScanError, Slap,
};

fn sim(config: SimConfig) -> Simulator {
    simulator::serve(config).expect("simulator starts")
}

fn config_for(port: u16) -> SbiConfig {
    SbiConfig {
        ports: port..=port,
        timeout_margin: Duration::from_millis(500),
        ..SbiConfig::default()
    }
}

fn scanner_for(sim: &Simulator) -> SbiScanner {
    SbiScanner::discover(config_for(sim.port())).expect("the simulator is discovered")
}

fn quick(request: CaptureRequest) -> CaptureRequest {
    request.with_timeout(Duration::from_secs(5))
}

fn assert_plausible(impressions: &[Impression], fingers: &[Finger], sim: &Simulator) {
    let got: Vec<Finger> = impressions.iter().map(|i| i.finger).collect();
    let mut want = fingers.to_vec();
    want.sort();
    assert_eq!(got, want);
    for i in impressions {
        assert_eq!(
            (i.image.width, i.image.height, i.image.ppi),
            (400, 500, 500),
            "{}",
            i.finger
        );
        assert_eq!(i.image.pixels.len(), 400 * 500);
        assert!((50..=100).contains(&i.quality), "{}: quality {}", i.finger, i.quality);
        assert_eq!(i.device.serial, sim.serial());
        assert_eq!(i.device.make, "Qafila");
        assert!(!i.signed_data.is_empty() && i.hash.len() == 64);
        // Ridges on a light background: neither blank nor black, and with real contrast.
        let mean = i.image.mean();
        let var = i
            .image
            .pixels
            .iter()
            .map(|&p| (f64::from(p) - mean).powi(2))
            .sum::<f64>()
            / 200_000.0;
        assert!(
            (90.0..240.0).contains(&mean) && var.sqrt() > 30.0,
            "{}: mean {mean} sd {}",
            i.finger,
            var.sqrt()
        );
    }
}

#[test]
fn discovery_finds_the_simulator_on_an_ephemeral_port_in_the_range() {
    let sim = sim(SimConfig::default());
    let port = sim.port();
    let config = SbiConfig {
        ports: port.saturating_sub(5)..=port.saturating_add(5),
        ..SbiConfig::default()
    };
    let found = qafila_sbi::discover(&config).expect("discovery runs");
    let device = found
        .iter()
        .find(|d| d.port == port)
        .expect("our simulator is among the devices found");
    assert_eq!(device.device_id, "1");
    assert_eq!(device.status, DeviceStatus::Ready);
    assert_eq!(device.device_sub_ids, vec![1, 2, 3]);
    assert_eq!(device.identity.serial, sim.serial());
    assert_eq!(device.device_sub_type, "Slap");
    assert!(device.spec_versions.contains(&"0.9.5".to_string()));
}

#[test]
fn discovery_on_a_silent_range_says_which_ports_it_scanned() {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let err = SbiScanner::discover(config_for(port)).expect_err("nothing listens there");
    assert!(
        matches!(err, ScanError::NoDevice { first, last, .. } if first == port && last == port),
        "{err}"
    );
    assert!(err.to_string().contains(&port.to_string()), "{err}");
}

#[test]
fn device_info_is_signed_and_names_the_device() {
    let sim = sim(SimConfig {
        seed: 42,
        ..SimConfig::default()
    });
    let scanner = scanner_for(&sim);
    let info = scanner.info().expect("device info");
    assert_eq!(info.identity.serial, "000000000042");
    assert_eq!(info.identity.model, "SBI-SIM-442");
    assert_eq!(info.identity.device_id, "1");
    assert!(info.identity.device_code.starts_with("QAFSIM-"));
    assert_eq!(info.status, DeviceStatus::Ready);
    assert_eq!(info.device_sub_ids, vec![1, 2, 3]);
    assert_eq!(info.purpose, "Registration");
    assert_eq!(scanner.device_key(), Some(sim.public_key()));
}

#[test]
fn a_four_four_two_enrollment_returns_ten_plausible_fingers() {
    let sim = sim(SimConfig {
        seed: 7,
        quality: 85,
        ..SimConfig::default()
    });
    let scanner = scanner_for(&sim);
    let mut hashes = Vec::new();
    for slap in Slap::FOUR_FOUR_TWO {
        let impressions = scanner
            .capture(&quick(CaptureRequest::slap(slap)))
            .expect("slap capture");
        assert_plausible(&impressions, slap.fingers(), &sim);
        hashes.extend(impressions.iter().map(|i| i.hash.clone()));
    }
    hashes.sort();
    hashes.dedup();
    assert_eq!(hashes.len(), 10, "every link of the hash chain is new");
}

#[test]
fn single_finger_with_png_records_and_a_missing_finger() {
    let sim = sim(SimConfig {
        compression: Compression::PNG,
        ..SimConfig::default()
    });
    let scanner = scanner_for(&sim);
    let one = scanner
        .capture(&quick(CaptureRequest::single(Finger::RightIndex)))
        .expect("single capture");
    assert_plausible(&one, &[Finger::RightIndex], &sim);
    let request = quick(CaptureRequest::slap(Slap::LeftFour).with_exceptions(&[Finger::LeftRing]));
    let three = scanner.capture(&request).expect("slap with an amputated finger");
    assert_plausible(
        &three,
        &[Finger::LeftIndex, Finger::LeftMiddle, Finger::LeftLittle],
        &sim,
    );
}

#[test]
fn two_captures_of_a_finger_differ_but_the_person_does_not_change() {
    let sim = sim(SimConfig {
        seed: 3,
        quality: 95,
        ..SimConfig::default()
    });
    let scanner = scanner_for(&sim);
    let a = scanner
        .capture(&quick(CaptureRequest::single(Finger::LeftThumb)))
        .expect("first capture");
    let b = scanner
        .capture(&quick(CaptureRequest::single(Finger::LeftThumb)))
        .expect("second capture");
    assert_ne!(
        a[0].image.pixels, b[0].image.pixels,
        "each capture places the finger anew"
    );
}

#[test]
fn a_hanging_device_times_out_and_the_client_recovers() {
    let sim = sim(SimConfig::default());
    let scanner = scanner_for(&sim);
    sim.inject_next(Fault::Hang);
    let timeout = Duration::from_secs(1);
    let started = Instant::now();
    let err = scanner
        .capture(&CaptureRequest::single(Finger::RightThumb).with_timeout(timeout))
        .expect_err("hangs");
    let waited = started.elapsed();
    assert!(
        matches!(
            err,
            ScanError::Timeout {
                operation: "RCAPTURE",
                ..
            }
        ),
        "{err}"
    );
    // Released after timeout + margin (1.5 s); the slack only absorbs a loaded machine.
    assert!(waited >= timeout, "gave up early: {waited:?}");
    assert!(waited < Duration::from_secs(6), "the caller was held {waited:?}");
    scanner
        .capture(&quick(CaptureRequest::single(Finger::RightThumb)))
        .expect("healthy capture after the hang");
}

#[test]
fn malformed_json_is_reported_as_such_and_the_client_recovers() {
    let sim = sim(SimConfig::default());
    let scanner = scanner_for(&sim);
    sim.inject_next(Fault::MalformedJson);
    let err = scanner
        .capture(&quick(CaptureRequest::single(Finger::LeftIndex)))
        .expect_err("malformed");
    match &err {
        ScanError::Malformed {
            operation,
            field,
            detail,
        } => {
            assert_eq!((*operation, field.as_str()), ("RCAPTURE", "(body)"));
            assert!(detail.contains("not valid JSON"), "{detail}");
        }
        other => panic!("expected Malformed, got {other}"),
    }
    sim.inject_next(Fault::WrongFieldType);
    let err = scanner
        .capture(&quick(CaptureRequest::single(Finger::LeftIndex)))
        .expect_err("wrong type");
    assert!(
        matches!(&err, ScanError::Malformed { field, detail, .. } if field == "biometrics[0].data" && detail.contains("expected a string")),
        "{err}"
    );
    scanner
        .capture(&quick(CaptureRequest::single(Finger::LeftIndex)))
        .expect("healthy capture after bad replies");
}

#[test]
fn device_error_codes_come_through_and_the_client_recovers() {
    let sim = sim(SimConfig::default());
    let scanner = scanner_for(&sim);
    sim.inject_next(Fault::error("102", "Technical error during extraction"));
    let err = scanner
        .capture(&quick(CaptureRequest::single(Finger::LeftLittle)))
        .expect_err("device error");
    assert!(
        matches!(&err, ScanError::Device { code, info } if code == "102" && info.contains("extraction")),
        "{err}"
    );

    sim.set_fail_rate(1.0);
    let err = scanner
        .capture(&quick(CaptureRequest::single(Finger::LeftLittle)))
        .expect_err("random failure");
    assert!(matches!(&err, ScanError::Device { code, .. } if code == "101"), "{err}");
    sim.set_fail_rate(0.0);

    // A capture slower than its own timeout: the device gives up with 701 rather than the client timing out.
    sim.set_latency(Duration::from_millis(800));
    let request = CaptureRequest::single(Finger::LeftLittle).with_timeout(Duration::from_millis(300));
    let err = scanner.capture(&request).expect_err("capture timeout");
    assert!(matches!(&err, ScanError::Device { code, .. } if code == "701"), "{err}");
    sim.set_latency(Duration::ZERO);

    scanner
        .capture(&quick(CaptureRequest::single(Finger::LeftLittle)))
        .expect("healthy capture after errors");
}

#[test]
fn a_disconnect_mid_reply_is_reported_and_the_client_recovers() {
    let sim = sim(SimConfig::default());
    let scanner = scanner_for(&sim);
    sim.inject_next(Fault::Disconnect);
    let err = scanner
        .capture(&quick(CaptureRequest::slap(Slap::Thumbs)))
        .expect_err("disconnect");
    assert!(
        matches!(
            err,
            ScanError::Disconnected {
                operation: "RCAPTURE",
                ..
            }
        ),
        "{err}"
    );
    scanner
        .capture(&quick(CaptureRequest::slap(Slap::Thumbs)))
        .expect("healthy capture after the disconnect");
}

#[test]
fn a_tampered_signature_is_refused_and_the_client_recovers() {
    let sim = sim(SimConfig::default());
    let scanner = scanner_for(&sim);
    sim.inject_next(Fault::TamperSignature);
    let err = scanner
        .capture(&quick(CaptureRequest::single(Finger::RightMiddle)))
        .expect_err("tampered");
    assert!(
        matches!(&err, ScanError::BadSignature { field, detail } if field == "biometrics[0].data" && detail.contains("does not verify")),
        "{err}"
    );
    scanner
        .capture(&quick(CaptureRequest::single(Finger::RightMiddle)))
        .expect("healthy capture after tampering");
}

#[test]
fn a_device_signing_with_another_key_is_refused() {
    let sim_a = sim(SimConfig {
        seed: 1,
        ..SimConfig::default()
    });
    let sim_b = sim(SimConfig {
        seed: 2,
        ..SimConfig::default()
    });
    let config = SbiConfig {
        trust: KeyTrust::Pinned(vec![sim_a.public_key()]),
        ..config_for(sim_b.port())
    };
    let scanner = SbiScanner::open(config, sim_b.port(), "1").expect("client");
    let err = scanner.info().expect_err("key not pinned");
    assert!(
        matches!(&err, ScanError::BadSignature { detail, .. } if detail.contains("not pinned")),
        "{err}"
    );

    // First-seen trust: once a device's key is known, a different key on the same client is refused.
    let scanner = scanner_for(&sim_a);
    let switched = SbiScanner::open(config_for(sim_b.port()), sim_b.port(), "1").expect("client");
    assert_ne!(scanner.device_key(), None);
    switched.info().expect("a fresh client accepts the other device");
    assert_ne!(switched.device_key(), scanner.device_key());
}

#[test]
fn image_decoding_is_pluggable() {
    let sim = sim(SimConfig::default());
    let no_decoders = SbiConfig {
        decoders: Decoders::empty(),
        ..config_for(sim.port())
    };
    let scanner = SbiScanner::discover(no_decoders).expect("discovered");
    let err = scanner
        .capture(&quick(CaptureRequest::single(Finger::RightRing)))
        .expect_err("no decoder");
    assert!(
        matches!(
            &err,
            ScanError::Image {
                source: ImageError::UnsupportedCompression { code: 0, .. },
                ..
            }
        ),
        "{err}"
    );

    let calls = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&calls);
    let mut decoders = Decoders::empty();
    decoders.register(
        Compression::UNCOMPRESSED,
        Arc::new(move |rep: &iso19794_4::Representation| {
            counted.fetch_add(1, Ordering::SeqCst);
            iso19794_4::decode_uncompressed(rep)
        }),
    );
    let scanner = SbiScanner::discover(SbiConfig {
        decoders,
        ..config_for(sim.port())
    })
    .expect("discovered");
    let got = scanner
        .capture(&quick(CaptureRequest::slap(Slap::Thumbs)))
        .expect("capture with a plugged decoder");
    assert_eq!(got.len(), 2);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[test]
fn the_simulator_serves_images_from_a_folder() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (width, height) = (120u32, 160u32);
    let pixels: Vec<u8> = (0..width * height).map(|i| (i % 251) as u8).collect();
    let image = qafila_sbi::GrayImage::new(width, height, 500, pixels).expect("image");
    std::fs::write(dir.path().join("right_index.png"), image.to_png().expect("png")).expect("write");
    std::fs::write(dir.path().join("other.png"), image.to_png().expect("png")).expect("write");
    let sim = sim(SimConfig {
        images: Some(dir.path().to_path_buf()),
        ..SimConfig::default()
    });
    let scanner = scanner_for(&sim);
    let got = scanner
        .capture(&quick(CaptureRequest::single(Finger::RightIndex)))
        .expect("capture");
    assert_eq!(got[0].image, image);
}

#[test]
fn invalid_requests_are_refused_before_any_network_call() {
    let scanner = SbiScanner::open(SbiConfig::default(), 1, "1").expect("client");
    let empty = CaptureRequest::fingers(&[]);
    assert!(matches!(scanner.capture(&empty), Err(ScanError::InvalidRequest(_))));
    let both = CaptureRequest {
        exceptions: vec![Finger::LeftThumb],
        ..CaptureRequest::single(Finger::LeftThumb)
    };
    assert!(matches!(scanner.capture(&both), Err(ScanError::InvalidRequest(_))));
}

/// The simulator's RCAPTURE reply to a request sent as `transaction_id` with `previous_hash`, fetched directly: what
/// a device could hold back and play to the client later.
fn raw_capture(sim: &Simulator, fingers: &[Finger], transaction_id: &str, previous_hash: &str) -> Vec<u8> {
    let names: Vec<&str> = fingers.iter().map(|f| f.bio_sub_type()).collect();
    let body = serde_json::json!({
        "env": "Staging",
        "purpose": "Registration",
        "specVersion": "0.9.5",
        "timeout": 5000,
        "transactionId": transaction_id,
        "bio": [{
            "type": "Finger",
            "count": fingers.len(),
            "bioSubType": names,
            "exception": [],
            "requestedScore": 40,
            "deviceId": "1",
            "deviceSubId": "0",
            "previousHash": previous_hash,
        }],
    });
    let client = reqwest::blocking::Client::builder()
        .no_proxy()
        .build()
        .expect("an HTTP client");
    let reply = client
        .request(
            reqwest::Method::from_bytes(b"RCAPTURE").expect("a method name"),
            format!("http://{}/capture", sim.addr()),
        )
        .body(body.to_string())
        .send()
        .expect("the simulator answers");
    assert!(reply.status().is_success());
    reply.bytes().expect("a body").to_vec()
}

/// The hash of the last biometric of a reply: where the device's chain ends.
fn chain_end(reply: &[u8]) -> String {
    let v: serde_json::Value = serde_json::from_slice(reply).expect("JSON");
    let items = v["biometrics"].as_array().expect("biometrics");
    items
        .last()
        .and_then(|i| i["hash"].as_str())
        .expect("a hash")
        .to_string()
}

const TWO: [Finger; 2] = [Finger::LeftIndex, Finger::LeftMiddle];

fn replay_setup() -> (Simulator, SbiScanner, CaptureRequest) {
    let sim = sim(SimConfig::default());
    let scanner = SbiScanner::open(config_for(sim.port()), sim.port(), "1").expect("a client");
    (sim, scanner, CaptureRequest::fingers(&TWO))
}

#[test]
fn a_reply_that_breaks_the_hash_chain_is_refused() {
    let (sim, scanner, request) = replay_setup();
    let first = raw_capture(&sim, &TWO, "tx-1", "");
    scanner
        .parse_capture_reply(&request, "tx-1", &first)
        .expect("the first capture starts the chain");
    let end = chain_end(&first);

    // A device that restarts its chain instead of continuing from the client's previous hash.
    let restarted = raw_capture(&sim, &TWO, "tx-2", "");
    let err = scanner
        .parse_capture_reply(&request, "tx-2", &restarted)
        .expect_err("the chain is broken");
    assert!(
        matches!(&err, ScanError::HashMismatch { field, .. } if field == "biometrics[0]"),
        "{err}"
    );
    // A reply continuing the chain, but whose second link was altered.
    let good = raw_capture(&sim, &TWO, "tx-2", &end);
    let mut altered: serde_json::Value = serde_json::from_slice(&good).expect("JSON");
    altered["biometrics"][1]["hash"] = serde_json::json!(chain_end(&first));
    let err = scanner
        .parse_capture_reply(&request, "tx-2", altered.to_string().as_bytes())
        .expect_err("the second link is wrong");
    assert!(
        matches!(&err, ScanError::HashMismatch { field, .. } if field == "biometrics[1]"),
        "{err}"
    );
    // The refused replies did not move the client's chain: the honest continuation is taken.
    let taken = scanner
        .parse_capture_reply(&request, "tx-2", &good)
        .expect("the honest reply continues the chain");
    assert_eq!(taken.len(), 2);
}

#[test]
fn a_reply_to_another_transaction_is_refused() {
    let (sim, scanner, request) = replay_setup();
    // Right chain, right fingers, validly signed: only the transaction differs.
    let foreign = raw_capture(&sim, &TWO, "tx-someone-else", "");
    let err = scanner
        .parse_capture_reply(&request, "tx-mine", &foreign)
        .expect_err("another transaction");
    assert!(
        matches!(&err, ScanError::Inconsistent(m) if m.contains("transaction \"tx-someone-else\"")),
        "{err}"
    );
    let mine = raw_capture(&sim, &TWO, "tx-mine", "");
    scanner
        .parse_capture_reply(&request, "tx-mine", &mine)
        .expect("the reply to this transaction is taken");
}

#[test]
fn a_replayed_earlier_capture_is_refused() {
    let (sim, scanner, request) = replay_setup();
    let earlier = raw_capture(&sim, &TWO, "tx-1", "");
    let kept = scanner
        .parse_capture_reply(&request, "tx-1", &earlier)
        .expect("the earlier capture");
    assert_eq!(kept[0].transaction_id, "tx-1");

    // Played back as the reply to the next capture: its transaction id gives it away.
    let err = scanner
        .parse_capture_reply(&request, "tx-2", &earlier)
        .expect_err("a replay under a new transaction");
    assert!(
        matches!(&err, ScanError::Inconsistent(m) if m.contains("transaction")),
        "{err}"
    );
    // Even under the same transaction id, the chain has moved on since.
    let err = scanner
        .parse_capture_reply(&request, "tx-1", &earlier)
        .expect_err("a replay in the same transaction");
    assert!(matches!(err, ScanError::HashMismatch { .. }), "{err}");
}

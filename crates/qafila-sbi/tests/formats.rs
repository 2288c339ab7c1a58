//! The parsers of untrusted bytes (ISO/IEC 19794-4 records, HTTP requests, JWS) against arbitrary input, and their
//! round trips.

use ed25519_dalek::SigningKey;
use proptest::prelude::*;
use qafila_sbi::iso19794_4::{self, Compression, Decoders, RecordMeta};
use qafila_sbi::{GrayImage, ImageError, SbiConfig, SbiScanner, ScanError, http, jws, protocol};

fn image(width: u32, height: u32, seed: u8) -> GrayImage {
    let pixels = (0..width * height)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect();
    GrayImage::new(width, height, 500, pixels).expect("consistent size")
}

fn meta() -> RecordMeta {
    RecordMeta {
        position: 7,
        quality: 66,
        impression_type: 0,
    }
}

#[test]
fn a_record_round_trips_uncompressed_and_png() {
    let img = image(37, 23, 5);
    for compression in [Compression::UNCOMPRESSED, Compression::PNG] {
        let record = iso19794_4::encode(&img, meta(), compression).expect("encodes");
        assert_eq!(&record[..8], b"FIR\x00020\x00");
        let reps = iso19794_4::parse(&record).expect("parses");
        assert_eq!(reps.len(), 1);
        let rep = &reps[0];
        assert_eq!(
            (rep.position, rep.quality, rep.compression, rep.ppi),
            (7, Some(66), compression, 500)
        );
        assert_eq!((rep.width, rep.height, rep.bit_depth), (37, 23, 8));
        assert_eq!(Decoders::default().decode(rep).expect("decodes"), img);
    }
}

#[test]
fn other_compressions_are_named_in_the_error() {
    let img = image(8, 8, 0);
    let mut record = iso19794_4::encode(&img, meta(), Compression::UNCOMPRESSED).expect("encodes");
    // The compression byte sits 3 bytes after the bit depth, 24 bytes into the representation after its header.
    let at = 16 + 4 + 9 + 5 + 1 + 5 + 1 + 1 + 1 + 4 + 4 + 1;
    assert_eq!(record[at], 0);
    for (code, name) in [(2u8, "WSQ"), (5, "JPEG 2000 lossless"), (1, "bit packed")] {
        record[at] = code;
        let rep = &iso19794_4::parse(&record).expect("still a valid record")[0];
        let err = Decoders::default().decode(rep).expect_err("no decoder");
        assert_eq!(
            err,
            ImageError::UnsupportedCompression {
                code,
                name: Compression(code).name()
            }
        );
        assert!(err.to_string().contains(name), "{err}");
    }
}

#[test]
fn the_2005_edition_and_foreign_records_are_refused() {
    let mut record = iso19794_4::encode(&image(4, 4, 0), meta(), Compression::UNCOMPRESSED).expect("encodes");
    record[4..8].copy_from_slice(b"010\0");
    assert!(matches!(
        iso19794_4::parse(&record),
        Err(ImageError::Invalid { field: "version", .. })
    ));
    assert!(matches!(
        iso19794_4::parse(b"\x89PNG\r\n"),
        Err(ImageError::Invalid {
            field: "format identifier",
            ..
        })
    ));
    assert_eq!(
        iso19794_4::parse(b"FIR"),
        Err(ImageError::Truncated("format identifier"))
    );
}

#[test]
fn the_hash_chain_follows_mosip_rules() {
    let empty_hash = "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855";
    let first = protocol::chain_hash("", b"record one");
    assert_eq!(first.len(), 64);
    assert!(first.chars().all(|c| c.is_ascii_digit() || c.is_ascii_uppercase()));
    // An empty previous hash stands for the hash of the empty string.
    assert_eq!(first, protocol::chain_hash(empty_hash, b"record one"));
    assert_ne!(
        protocol::chain_hash(&first, b"record two"),
        protocol::chain_hash("", b"record two")
    );
}

/// First-seen trust: after a device's first signed reply, a reply signed with any other key is refused.
#[test]
fn a_device_that_changes_key_after_the_first_reply_is_refused() {
    let reply = |key: &SigningKey| {
        let digital = serde_json::json!({"serialNo": "S1", "make": "M", "model": "X", "type": "Finger"});
        let info = serde_json::json!({
            "deviceId": "1",
            "deviceStatus": "Ready",
            "digitalId": jws::sign(key, digital.to_string().as_bytes()),
        });
        serde_json::json!([{"deviceInfo": jws::sign(key, info.to_string().as_bytes())}]).to_string()
    };
    let scanner = SbiScanner::open(SbiConfig::default(), 4501, "1").expect("no request is made yet");
    let first = SigningKey::from_bytes(&[1; 32]);
    scanner
        .parse_info_reply(reply(&first).as_bytes())
        .expect("the first key is taken");
    assert_eq!(scanner.device_key(), Some(first.verifying_key().to_bytes()));
    let err = scanner
        .parse_info_reply(reply(&SigningKey::from_bytes(&[2; 32])).as_bytes())
        .expect_err("another key");
    assert!(
        matches!(&err, ScanError::BadSignature { field, detail } if field == "[0].deviceInfo" && detail.contains("signed with")),
        "{err}"
    );
    assert_eq!(scanner.device_key(), Some(first.verifying_key().to_bytes()));
}

#[test]
fn jws_signatures_verify_and_tampering_is_caught() {
    let key = SigningKey::from_bytes(&[9; 32]);
    let signed = jws::sign(&key, br#"{"qualityScore":40}"#);
    let verified = jws::verify(&signed).expect("verifies");
    assert_eq!(verified.payload, br#"{"qualityScore":40}"#);
    assert_eq!(verified.key, key.verifying_key().to_bytes());

    let parts: Vec<&str> = signed.split('.').collect();
    let forged = format!("{}.{}.{}", parts[0], "eyJxdWFsaXR5U2NvcmUiOjEwMH0", parts[2]);
    assert_eq!(jws::verify(&forged).map(|_| ()), Err(jws::JwsError::BadSignature));
    // Production devices' RS256 + x5c is refused by name, never accepted unverified.
    let rs256 = format!("{}.{}.{}", "eyJhbGciOiJSUzI1NiJ9", parts[1], parts[2]);
    assert_eq!(
        jws::verify(&rs256).map(|_| ()),
        Err(jws::JwsError::UnsupportedAlgorithm("RS256".into()))
    );
}

#[test]
fn http_requests_with_custom_methods_parse_only_when_complete() {
    let raw = b"RCAPTURE /capture HTTP/1.1\r\nHost: 127.0.0.1:4501\r\nContent-Length: 11\r\n\r\n{\"bio\":[]}\n";
    for cut in 0..raw.len() {
        assert!(
            http::parse(&raw[..cut]).expect("a prefix is not an error").is_none(),
            "cut at {cut}"
        );
    }
    let (request, used) = http::parse(raw).expect("parses").expect("complete");
    assert_eq!(used, raw.len());
    assert_eq!(
        (request.method.as_str(), request.target.as_str()),
        ("RCAPTURE", "/capture")
    );
    assert_eq!(request.header("content-length"), Some("11"));
    assert_eq!(request.body, b"{\"bio\":[]}\n");
    for bad in [
        &b"MOSIP DISC / HTTP/1.1\r\n\r\n"[..],
        b"GET / HTTP/2\r\n\r\n",
        b"GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
        b"GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
        b"GET / HTTP/1.1\r\nno colon\r\n\r\n",
    ] {
        assert!(
            matches!(http::parse(bad), Err(http::HttpError::Malformed(_))),
            "{}",
            String::from_utf8_lossy(bad)
        );
    }
    assert!(matches!(
        http::parse(b"RCAPTURE / HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n"),
        Err(http::HttpError::TooLarge("body"))
    ));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn iso_parser_never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = iso19794_4::parse(&bytes);
        let mut framed = b"FIR\x00020\x00".to_vec();
        framed.extend_from_slice(&bytes);
        if let Ok(reps) = iso19794_4::parse(&framed) {
            for rep in &reps {
                let _ = Decoders::default().decode(rep);
            }
        }
    }

    #[test]
    fn iso_parser_never_panics_on_corrupted_records(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        cut in any::<prop::sample::Index>(),
        png in any::<bool>(),
    ) {
        let compression = if png { Compression::PNG } else { Compression::UNCOMPRESSED };
        let mut record = iso19794_4::encode(&image(9, 7, 1), meta(), compression).expect("encodes");
        for (at, byte) in edits {
            let i = at.index(record.len());
            record[i] = byte;
        }
        record.truncate(cut.index(record.len() + 1));
        if let Ok(reps) = iso19794_4::parse(&record) {
            for rep in &reps {
                let _ = Decoders::default().decode(rep);
            }
        }
    }

    #[test]
    fn http_parser_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = http::parse(&bytes);
        let mut with_head = b"MOSIPDISC / HTTP/1.1\r\nContent-Length: 4\r\n".to_vec();
        with_head.extend_from_slice(&bytes);
        let _ = http::parse(&with_head);
    }

    #[test]
    fn http_parser_reads_any_method_and_body(
        method in "[A-Z]{1,12}",
        body in proptest::collection::vec(any::<u8>(), 0..300),
    ) {
        let mut raw = format!("{method} /x HTTP/1.1\r\ncontent-length: {}\r\n\r\n", body.len()).into_bytes();
        raw.extend_from_slice(&body);
        let (request, used) = http::parse(&raw).expect("valid").expect("complete");
        prop_assert_eq!(used, raw.len());
        prop_assert_eq!(request.method, method);
        prop_assert_eq!(request.body, body);
    }

    #[test]
    fn jws_verify_never_panics(text in "[A-Za-z0-9_.=-]{0,200}") {
        let _ = jws::verify(&text);
        let _ = jws::payload_unverified(&text);
    }
}

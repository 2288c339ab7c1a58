//! The signed QR text: round trips, and every way a code can be wrong is named.

mod support;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::DateTime;
use ed25519_dalek::SigningKey;
use proptest::prelude::*;
use qafila_domain::{ApplicationId, ApplicationKind};
use qafila_receipt::{
    CITIZEN_RECEIPT_CONTEXT, ReceiptClaims, ReceiptError, ReceiptSigner, SignerError, sign, signed_message, verify,
};
use support::{sample, van_key};

fn public() -> [u8; 32] {
    van_key().verifying_key().to_bytes()
}

fn code() -> String {
    sign(&sample().claims(), &van_key()).expect("sign")
}

#[test]
fn a_signed_code_verifies_and_is_compact() {
    let text = code();
    assert!(text.starts_with("QAFILA1."), "{text}");
    // Small enough for a QR code that scans from thermal paper.
    assert!(text.len() < 200, "{} chars", text.len());
    assert_eq!(verify(&text, &public()).expect("verifies"), sample().claims());
    assert_eq!(
        verify(&format!("  {text}\n"), &public()).expect("scanner newline"),
        sample().claims()
    );
}

#[test]
fn the_signed_message_starts_with_the_receipt_context() {
    assert!(signed_message(b"x").starts_with(CITIZEN_RECEIPT_CONTEXT));
    assert!(CITIZEN_RECEIPT_CONTEXT.starts_with(b"qafila/citizen-receipt/v1"));
}

#[test]
fn the_code_carries_no_full_name_nor_birth_date() {
    let payload = code()
        .split('.')
        .nth(1)
        .map(|p| URL_SAFE_NO_PAD.decode(p).expect("b64"))
        .expect("payload");
    let as_text = String::from_utf8_lossy(&payload);
    for secret in ["FATIMA", "BAHA", "1990", "فاطمة"] {
        assert!(!as_text.contains(secret), "{secret} in payload");
    }
}

#[test]
fn a_tampered_payload_fails_the_signature() {
    let text = code();
    let mut parts: Vec<String> = text.split('.').map(str::to_string).collect();
    let mut payload = URL_SAFE_NO_PAD.decode(&parts[1]).expect("b64");
    payload[20] ^= 1; // inside enrolled_at: still parses, no longer signed
    parts[1] = URL_SAFE_NO_PAD.encode(&payload);
    let err = verify(&parts.join("."), &public()).unwrap_err();
    assert!(matches!(err, ReceiptError::BadSignature), "{err}");
}

#[test]
fn another_vans_key_fails_the_signature() {
    let other = SigningKey::from_bytes(&[9; 32]).verifying_key().to_bytes();
    let err = verify(&code(), &other).unwrap_err();
    assert!(matches!(err, ReceiptError::BadSignature), "{err}");
}

#[test]
fn a_truncated_code_says_so() {
    let text = code();
    // Cut inside the signature: too short a signature.
    let cut = &text[..text.len() - 10];
    let err = verify(cut, &public()).unwrap_err();
    assert!(
        matches!(
            err,
            ReceiptError::BadSignatureLength { .. } | ReceiptError::BadBase64 { part: "signature" }
        ),
        "{err}"
    );
    // Cut inside the payload: the signature part is gone.
    let cut = &text[..20];
    let err = verify(cut, &public()).unwrap_err();
    assert!(matches!(err, ReceiptError::BadShape { parts: 2 }), "{err}");
}

#[test]
fn a_truncated_payload_names_the_field() {
    let text = code();
    let parts: Vec<&str> = text.split('.').collect();
    let payload = URL_SAFE_NO_PAD.decode(parts[1]).expect("b64");
    let short = URL_SAFE_NO_PAD.encode(&payload[..20]);
    let err = verify(&format!("QAFILA1.{short}.{}", parts[2]), &public()).unwrap_err();
    assert!(matches!(err, ReceiptError::Truncated { field: "enrolled_at" }), "{err}");
    let long = URL_SAFE_NO_PAD.encode([payload.as_slice(), b"x"].concat());
    let err = verify(&format!("QAFILA1.{long}.{}", parts[2]), &public()).unwrap_err();
    assert!(matches!(err, ReceiptError::TrailingBytes { extra: 1 }), "{err}");
}

#[test]
fn wrong_prefix_and_bad_base64_are_named() {
    let text = code();
    let err = verify(&text.replacen("QAFILA1", "QAFILA2", 1), &public()).unwrap_err();
    assert!(matches!(err, ReceiptError::BadPrefix { .. }), "{err}");
    let err = verify("https://example.invalid/", &public()).unwrap_err();
    assert!(matches!(err, ReceiptError::BadPrefix { .. }), "{err}");
    let err = verify(&text.replacen("QAFILA1.", "QAFILA1.*", 1), &public()).unwrap_err();
    assert!(matches!(err, ReceiptError::BadBase64 { part: "payload" }), "{err}");
    let err = verify(&format!("{text}.extra"), &public()).unwrap_err();
    assert!(matches!(err, ReceiptError::BadShape { parts: 4 }), "{err}");
}

#[test]
fn an_invalid_van_key_is_named() {
    // Not a point on the curve.
    let mut bad = [0u8; 32];
    bad[31] = 0x80;
    bad[0] = 2;
    let err = verify(&code(), &bad).unwrap_err();
    assert!(
        matches!(err, ReceiptError::BadVanKey | ReceiptError::BadSignature),
        "{err}"
    );
}

/// A signer whose key does not match its signatures.
struct Confused;

impl ReceiptSigner for Confused {
    fn verifying_key(&self) -> [u8; 32] {
        SigningKey::from_bytes(&[1; 32]).verifying_key().to_bytes()
    }
    fn sign(&self, message: &[u8]) -> Result<[u8; 64], SignerError> {
        ReceiptSigner::sign(&SigningKey::from_bytes(&[2; 32]), message)
    }
}

/// A signer that refuses.
struct Refusing;

impl ReceiptSigner for Refusing {
    fn verifying_key(&self) -> [u8; 32] {
        [0; 32]
    }
    fn sign(&self, _: &[u8]) -> Result<[u8; 64], SignerError> {
        Err("van locked".into())
    }
}

#[test]
fn a_misbehaving_signer_never_yields_a_code() {
    let err = sign(&sample().claims(), &Confused).unwrap_err();
    assert!(matches!(err, ReceiptError::SignerMismatch), "{err}");
    let err = sign(&sample().claims(), &Refusing).unwrap_err();
    assert!(matches!(err, ReceiptError::Signer(ref m) if m == "van locked"), "{err}");
}

fn kinds() -> impl Strategy<Value = ApplicationKind> {
    prop_oneof![
        Just(ApplicationKind::FirstCard),
        Just(ApplicationKind::Renewal),
        Just(ApplicationKind::ReplacementLoss),
        Just(ApplicationKind::ReplacementTheft),
        Just(ApplicationKind::ReplacementDamage),
        Just(ApplicationKind::DataUpdate),
    ]
}

fn claims() -> impl Strategy<Value = ReceiptClaims> {
    (
        any::<u128>(),
        "[A-Za-z0-9ÀéŸ ._-]{1,20}",
        // Years 1900 to 2200.
        -2_208_988_800i64..7_258_118_400,
        kinds(),
        "[A-Z ]{0,16}",
    )
        .prop_map(|(id, van_id, secs, kind, initials)| ReceiptClaims {
            application_id: ApplicationId(uuid::Uuid::from_u128(id)),
            van_id,
            enrolled_at: DateTime::from_timestamp(secs, 0).expect("in range"),
            kind,
            initials,
        })
}

proptest! {
    #[test]
    fn claims_round_trip(c in claims()) {
        let bytes = c.encode().expect("encodes");
        prop_assert_eq!(ReceiptClaims::decode(&bytes).expect("decodes"), c.clone());
        let text = sign(&c, &van_key()).expect("signs");
        prop_assert_eq!(verify(&text, &public()).expect("verifies"), c);
    }

    #[test]
    fn verify_never_panics_on_any_text(s in ".{0,300}") {
        let _ = verify(&s, &public());
    }

    #[test]
    fn verify_never_panics_on_prefixed_garbage(a in "[A-Za-z0-9_-]{0,120}", b in "[A-Za-z0-9_-]{0,120}") {
        let _ = verify(&format!("QAFILA1.{a}.{b}"), &public());
    }

    #[test]
    fn decode_never_panics_on_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..120)) {
        let _ = ReceiptClaims::decode(&bytes);
    }

    #[test]
    fn any_flipped_byte_is_refused(index in 0usize..1000, bit in 0u8..8) {
        let text = code();
        let mut bytes = text.clone().into_bytes();
        let i = index % bytes.len();
        bytes[i] ^= 1 << bit;
        if let Ok(altered) = String::from_utf8(bytes)
            && altered.trim() != text
        {
            prop_assert!(verify(&altered, &public()).is_err(), "accepted {}", altered);
        }
    }
}

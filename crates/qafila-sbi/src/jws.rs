//! Compact JWS (`header.payload.signature`, base64url without padding), as SBI devices sign `data`, `deviceInfo` and
//! `digitalId`.
//!
//! Verified here: `alg` `EdDSA` (Ed25519) with the device's public key in the header as a `jwk` (what our simulator
//! produces). Production SBI devices sign with `RS256` and put an X.509 chain in `x5c` that must chain to MOSIP's
//! device trust store (management server and FTM certificates); that trust path is out of scope for this crate and
//! such blocks are refused with a message naming the algorithm, never accepted unverified.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};
use serde_json::{Value, json};

/// Why a JWS was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwsError {
    /// Not three base64url parts, or a header that is not JSON.
    #[error("not a compact JWS: {0}")]
    Malformed(String),
    /// A signature algorithm this crate does not verify.
    #[error(
        "unsupported signature algorithm {0} (production MOSIP certificates are verified against MOSIP's trust store, out of scope here)"
    )]
    UnsupportedAlgorithm(String),
    /// The header names no usable key.
    #[error("no Ed25519 public key in the JWS header: {0}")]
    NoKey(String),
    /// The signature does not match the header and payload.
    #[error("signature does not verify")]
    BadSignature,
}

/// A JWS whose signature verified, with the key that made it.
#[derive(Debug, Clone)]
pub struct Verified {
    /// The payload bytes (JSON for SBI).
    pub payload: Vec<u8>,
    /// The Ed25519 public key from the header.
    pub key: [u8; 32],
}

/// Signs `payload` with `key`, putting the public key in the header as a JWK.
pub fn sign(key: &SigningKey, payload: &[u8]) -> String {
    let x = URL_SAFE_NO_PAD.encode(key.verifying_key().as_bytes());
    let header = json!({"alg": "EdDSA", "typ": "JWT", "jwk": {"kty": "OKP", "crv": "Ed25519", "x": x}});
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(payload)
    );
    let signature = key.sign(signing_input.as_bytes());
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
}

/// Checks the signature of `compact` with the key its header names; never panics on any input.
pub fn verify(compact: &str) -> Result<Verified, JwsError> {
    let Parts {
        header,
        payload,
        signature,
        signing_input,
    } = split(compact)?;
    let alg = header.get("alg").and_then(Value::as_str).unwrap_or("(none)");
    if alg != "EdDSA" {
        return Err(JwsError::UnsupportedAlgorithm(alg.to_string()));
    }
    let jwk = header.get("jwk").ok_or_else(|| JwsError::NoKey("no `jwk`".into()))?;
    if jwk.get("kty").and_then(Value::as_str) != Some("OKP")
        || jwk.get("crv").and_then(Value::as_str) != Some("Ed25519")
    {
        return Err(JwsError::NoKey("`jwk` is not an OKP Ed25519 key".into()));
    }
    let x = jwk
        .get("x")
        .and_then(Value::as_str)
        .ok_or_else(|| JwsError::NoKey("`jwk` has no `x`".into()))?;
    let key: [u8; 32] = URL_SAFE_NO_PAD
        .decode(x)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| JwsError::NoKey("`jwk.x` is not 32 base64url bytes".into()))?;
    let verifying = VerifyingKey::from_bytes(&key).map_err(|e| JwsError::NoKey(e.to_string()))?;
    let signature: [u8; 64] = signature
        .try_into()
        .map_err(|_| JwsError::Malformed("signature is not 64 bytes".into()))?;
    verifying
        .verify(signing_input.as_bytes(), &Signature::from_bytes(&signature))
        .map_err(|_| JwsError::BadSignature)?;
    Ok(Verified { payload, key })
}

/// The payload of `compact` without checking its signature, for discovery replies that SBI leaves unsigned or whose
/// signature means nothing before a device is chosen.
pub fn payload_unverified(compact: &str) -> Result<Vec<u8>, JwsError> {
    match compact.split('.').count() {
        3 => split(compact).map(|parts| parts.payload),
        // SBI sends the digital id of an unregistered device as plain base64url JSON.
        1 => URL_SAFE_NO_PAD
            .decode(compact.trim_end_matches('='))
            .map_err(|e| JwsError::Malformed(e.to_string())),
        n => Err(JwsError::Malformed(format!("{n} dot-separated parts"))),
    }
}

/// The decoded parts of a compact JWS and the text its signature covers.
struct Parts<'a> {
    header: Value,
    payload: Vec<u8>,
    signature: Vec<u8>,
    signing_input: &'a str,
}

fn split(compact: &str) -> Result<Parts<'_>, JwsError> {
    let mut parts = compact.split('.');
    let (Some(h), Some(p), Some(s), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(JwsError::Malformed("expected three dot-separated parts".into()));
    };
    let decode = |part: &str, what: &str| {
        URL_SAFE_NO_PAD
            .decode(part)
            .map_err(|e| JwsError::Malformed(format!("{what} is not base64url: {e}")))
    };
    let header: Value = serde_json::from_slice(&decode(h, "header")?)
        .map_err(|e| JwsError::Malformed(format!("header is not JSON: {e}")))?;
    let payload = decode(p, "payload")?;
    let signature = decode(s, "signature")?;
    Ok(Parts {
        header,
        payload,
        signature,
        signing_input: &compact[..h.len() + 1 + p.len()],
    })
}

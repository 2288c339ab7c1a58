//! Signed HTTP requests: how a van (or a peer center) proves who sends a blob chunk or asks for updates.
//!
//! Headers `x-qafila-sender` and `x-qafila-signature` (hex ed25519 over
//! SHA-256(`qafila/request/v1` ‖ method ‖ path-and-query ‖ SHA-256(body))). No timestamp: a replayed
//! request is harmless (uploads are idempotent by offset, reads return data encrypted to the sender).

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use sha2::{Digest, Sha256};

use crate::WireError;

/// Header naming the sender (van or center id).
pub const SENDER: &str = "x-qafila-sender";
/// Header carrying the signature.
pub const SIGNATURE: &str = "x-qafila-signature";

fn digest(method: &str, path_and_query: &str, body: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"qafila/request/v1");
    for part in [method.as_bytes(), path_and_query.as_bytes()] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part);
    }
    h.update(Sha256::digest(body));
    h.finalize().into()
}

/// The signature header value for a request.
pub fn sign(key: &SigningKey, method: &str, path_and_query: &str, body: &[u8]) -> String {
    hex::encode(key.sign(&digest(method, path_and_query, body)).to_bytes())
}

/// Checks a request's signature header value.
pub fn verify(
    key: &VerifyingKey,
    method: &str,
    path_and_query: &str,
    body: &[u8],
    signature_hex: &str,
) -> Result<(), WireError> {
    let bytes = hex::decode(signature_hex).map_err(|_| WireError::BadSignature("request"))?;
    let sig = Signature::from_slice(&bytes).map_err(|_| WireError::BadSignature("request"))?;
    key.verify(&digest(method, path_and_query, body), &sig)
        .map_err(|_| WireError::BadSignature("request"))
}

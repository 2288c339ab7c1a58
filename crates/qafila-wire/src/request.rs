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

/// SHA-256 of a request body: an upload's chunk hashes it once for its signature and its checksum.
pub fn body_sha256(body: &[u8]) -> [u8; 32] {
    Sha256::digest(body).into()
}

fn digest(method: &str, path_and_query: &str, body_sha256: &[u8; 32]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"qafila/request/v1");
    for part in [method.as_bytes(), path_and_query.as_bytes()] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part);
    }
    h.update(body_sha256);
    h.finalize().into()
}

/// The signature header value for a request.
pub fn sign(key: &SigningKey, method: &str, path_and_query: &str, body: &[u8]) -> String {
    sign_hashed(key, method, path_and_query, &body_sha256(body))
}

/// [`sign`] for a body whose SHA-256 is already known.
pub fn sign_hashed(key: &SigningKey, method: &str, path_and_query: &str, body_sha256: &[u8; 32]) -> String {
    hex::encode(key.sign(&digest(method, path_and_query, body_sha256)).to_bytes())
}

/// Checks a request's signature header value.
pub fn verify(
    key: &VerifyingKey,
    method: &str,
    path_and_query: &str,
    body: &[u8],
    signature_hex: &str,
) -> Result<(), WireError> {
    verify_hashed(key, method, path_and_query, &body_sha256(body), signature_hex)
}

/// [`verify`] for a body whose SHA-256 is already known.
pub fn verify_hashed(
    key: &VerifyingKey,
    method: &str,
    path_and_query: &str,
    body_sha256: &[u8; 32],
    signature_hex: &str,
) -> Result<(), WireError> {
    let bytes = hex::decode(signature_hex).map_err(|_| WireError::BadSignature("request"))?;
    let sig = Signature::from_slice(&bytes).map_err(|_| WireError::BadSignature("request"))?;
    key.verify(&digest(method, path_and_query, body_sha256), &sig)
        .map_err(|_| WireError::BadSignature("request"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blob::Chunk;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// A signature made over the body and one made over its hash are the same signature, and a
        /// changed body, method or path fails either way.
        #[test]
        fn hashed_and_whole_body_agree(
            seed in any::<[u8; 32]>(),
            body in proptest::collection::vec(any::<u8>(), 0..2048),
            flip in any::<usize>(),
        ) {
            let key = SigningKey::from_bytes(&seed);
            let vk = key.verifying_key();
            let path = "/v1/blobs/00";
            let chunk = Chunk::new(&body);
            let whole = sign(&key, "PATCH", path, &body);
            prop_assert_eq!(&whole, &sign_hashed(&key, "PATCH", path, chunk.sha256()));
            prop_assert!(verify(&vk, "PATCH", path, &body, &whole).is_ok());
            prop_assert!(verify_hashed(&vk, "PATCH", path, chunk.sha256(), &whole).is_ok());
            prop_assert_eq!(chunk.checksum(), format!("sha256 {}", hex::encode(Sha256::digest(&body))));
            prop_assert!(verify(&vk, "POST", path, &body, &whole).is_err());
            prop_assert!(verify(&vk, "PATCH", "/v1/blobs/01", &body, &whole).is_err());
            let mut changed = body.clone();
            if changed.is_empty() {
                changed.push(0);
            } else {
                let i = flip % changed.len();
                changed[i] ^= 1;
            }
            prop_assert!(verify(&vk, "PATCH", path, &changed, &whole).is_err());
            prop_assert!(verify_hashed(&vk, "PATCH", path, Chunk::new(&changed).sha256(), &whole).is_err());
        }
    }
}

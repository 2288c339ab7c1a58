//! A van's key rotation statement (`POST /v1/vans/{van}/key`): the van tells the centers that its
//! signing key changed, in-band, at its next sync.
//!
//! The statement names the van, the old and the new ed25519 public keys, and the first batch sequence
//! number the new key signs. It is signed by the **old** key (the centers know it: only the holder of
//! the registered key can hand the van over) and by the **new** key (proof that the van holds it, so
//! nobody can rotate a van to a key they merely saw). Both signatures are over
//! SHA-256(`qafila/key-rotation/v1` ‖ body), `body` being the CBOR of [`KeyRotation`].

use chrono::{DateTime, Utc};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{PROTOCOL_VERSION, WireError, cbor};

/// Largest statement accepted (bytes): two keys, two signatures, a van id and a time.
pub const MAX_ROTATION_BYTES: usize = 4 * 1024;

/// What a van declares when its signing key changes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyRotation {
    /// Protocol version.
    pub v: u16,
    /// The van.
    pub van_id: String,
    /// The key being retired (32 bytes, ed25519).
    #[serde(with = "serde_bytes")]
    #[schemars(with = "Vec<u8>")]
    pub old_key: Vec<u8>,
    /// The key taking over (32 bytes, ed25519).
    #[serde(with = "serde_bytes")]
    #[schemars(with = "Vec<u8>")]
    pub new_key: Vec<u8>,
    /// The first batch sequence number signed by the new key; the old key signed every batch below it.
    pub first_seq: u64,
    /// The van's clock when it rotated (informative: a van's clock may be wrong).
    pub at: DateTime<Utc>,
}

/// A [`KeyRotation`] signed by the old and the new key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SignedKeyRotation {
    /// CBOR of the [`KeyRotation`].
    #[serde(with = "serde_bytes")]
    #[schemars(with = "Vec<u8>")]
    pub body: Vec<u8>,
    /// ed25519 signature by the old key over SHA-256(`qafila/key-rotation/v1` ‖ body).
    #[serde(with = "serde_bytes")]
    #[schemars(with = "Vec<u8>")]
    pub old_signature: Vec<u8>,
    /// ed25519 signature by the new key over the same digest.
    #[serde(with = "serde_bytes")]
    #[schemars(with = "Vec<u8>")]
    pub new_signature: Vec<u8>,
}

fn digest(body: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"qafila/key-rotation/v1");
    h.update(body);
    h.finalize().into()
}

fn key(bytes: &[u8], field: &'static str) -> Result<VerifyingKey, WireError> {
    let arr: [u8; 32] = bytes.try_into().map_err(|_| WireError::Malformed {
        what: "key rotation",
        reason: format!("{field}: {} bytes, expected a 32-byte ed25519 public key", bytes.len()),
    })?;
    VerifyingKey::from_bytes(&arr).map_err(|_| WireError::Malformed {
        what: "key rotation",
        reason: format!("{field}: not an ed25519 public key"),
    })
}

impl KeyRotation {
    /// The statement for a van moving from `old` to `new`, the new key signing from batch `first_seq`.
    pub fn new(van_id: &str, old: &VerifyingKey, new: &VerifyingKey, first_seq: u64, at: DateTime<Utc>) -> Self {
        KeyRotation {
            v: PROTOCOL_VERSION,
            van_id: van_id.into(),
            old_key: old.as_bytes().to_vec(),
            new_key: new.as_bytes().to_vec(),
            first_seq,
            at,
        }
    }

    /// The old key, parsed.
    pub fn old_key(&self) -> Result<VerifyingKey, WireError> {
        key(&self.old_key, "old_key")
    }

    /// The new key, parsed.
    pub fn new_key(&self) -> Result<VerifyingKey, WireError> {
        key(&self.new_key, "new_key")
    }

    fn check(&self) -> Result<(VerifyingKey, VerifyingKey), WireError> {
        let bad = |reason: &str| WireError::Malformed {
            what: "key rotation",
            reason: reason.into(),
        };
        if self.v != PROTOCOL_VERSION {
            return Err(WireError::Version(self.v));
        }
        if self.van_id.is_empty() || self.van_id.len() > 128 {
            return Err(bad("van_id: empty or longer than 128 bytes"));
        }
        if self.first_seq == 0 {
            return Err(bad("first_seq: batch sequence numbers start at 1"));
        }
        let (old, new) = (self.old_key()?, self.new_key()?);
        if old == new {
            return Err(bad("new_key: the same as old_key, nothing rotates"));
        }
        Ok((old, new))
    }
}

impl SignedKeyRotation {
    /// Signs a statement with the old and the new key.
    pub fn sign(r: &KeyRotation, old: &SigningKey, new: &SigningKey) -> SignedKeyRotation {
        let body = cbor::to_vec(r);
        let d = digest(&body);
        SignedKeyRotation {
            old_signature: old.sign(&d).to_bytes().to_vec(),
            new_signature: new.sign(&d).to_bytes().to_vec(),
            body,
        }
    }

    /// Checks the statement's fields and both signatures against the keys it names, and returns it.
    ///
    /// This proves only that whoever signed holds both keys; the receiver must still check that
    /// `old_key` is the key it has registered for the van.
    pub fn verify(&self) -> Result<KeyRotation, WireError> {
        let r: KeyRotation = cbor::from_slice(&self.body, "key rotation")?;
        let (old, new) = r.check()?;
        let d = digest(&self.body);
        for (k, sig) in [(&old, &self.old_signature), (&new, &self.new_signature)] {
            let sig = Signature::from_slice(sig).map_err(|_| WireError::BadSignature("key rotation"))?;
            k.verify(&d, &sig)
                .map_err(|_| WireError::BadSignature("key rotation"))?;
        }
        Ok(r)
    }

    /// Encodes as CBOR.
    pub fn to_bytes(&self) -> Vec<u8> {
        cbor::to_vec(self)
    }

    /// Decodes from CBOR (size checked; nothing verified yet).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, WireError> {
        if bytes.len() > MAX_ROTATION_BYTES {
            return Err(WireError::TooLarge {
                what: "key rotation",
                size: bytes.len(),
                limit: MAX_ROTATION_BYTES,
            });
        }
        cbor::from_slice(bytes, "key rotation")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn keys() -> (SigningKey, SigningKey, SigningKey) {
        (
            SigningKey::from_bytes(&[1; 32]),
            SigningKey::from_bytes(&[2; 32]),
            SigningKey::from_bytes(&[3; 32]),
        )
    }

    #[test]
    fn a_rotation_signed_by_both_keys_verifies_and_any_other_is_refused() {
        let (old, new, other) = keys();
        let r = KeyRotation::new("VAN-1", &old.verifying_key(), &new.verifying_key(), 4, Utc::now());
        let signed = SignedKeyRotation::sign(&r, &old, &new);
        let back = SignedKeyRotation::from_bytes(&signed.to_bytes()).unwrap();
        assert_eq!(back.verify().unwrap(), r);

        // Signed by a third key in place of the old one, or of the new one (no proof of possession).
        for s in [
            SignedKeyRotation::sign(&r, &other, &new),
            SignedKeyRotation::sign(&r, &old, &other),
        ] {
            assert_eq!(s.verify().unwrap_err().code(), "bad_signature");
        }
        // A changed body breaks both signatures.
        let mut altered = signed.clone();
        let mut r2 = r.clone();
        r2.first_seq = 1_000;
        altered.body = cbor::to_vec(&r2);
        assert_eq!(altered.verify().unwrap_err().code(), "bad_signature");
        // Rotating to the same key, or from batch 0, names the field.
        let same = KeyRotation::new("VAN-1", &old.verifying_key(), &old.verifying_key(), 4, Utc::now());
        let e = SignedKeyRotation::sign(&same, &old, &old)
            .verify()
            .unwrap_err()
            .to_string();
        assert!(e.contains("new_key"), "{e}");
        let zero = KeyRotation::new("VAN-1", &old.verifying_key(), &new.verifying_key(), 0, Utc::now());
        let e = SignedKeyRotation::sign(&zero, &old, &new)
            .verify()
            .unwrap_err()
            .to_string();
        assert!(e.contains("first_seq"), "{e}");
        assert_eq!(
            SignedKeyRotation::from_bytes(&vec![0; MAX_ROTATION_BYTES + 1])
                .unwrap_err()
                .code(),
            "too_large"
        );
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            if let Ok(s) = SignedKeyRotation::from_bytes(&bytes) {
                let _ = s.verify();
            }
        }
    }
}

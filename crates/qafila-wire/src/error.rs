//! Wire errors: each says what was wrong with the message, and a stable code.

/// Why a message was refused.
#[derive(Debug, thiserror::Error)]
pub enum WireError {
    /// The bytes do not start with the expected magic: not a Qafila message.
    #[error("not a Qafila {0} (wrong magic bytes)")]
    NotQafila(&'static str),
    /// The message is larger than the limit.
    #[error("{what} is {size} bytes, over the {limit}-byte limit")]
    TooLarge {
        /// Which message.
        what: &'static str,
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The CBOR does not decode (truncated, garbage, too deeply nested, wrong shape).
    #[error("malformed {what}: {reason}")]
    Malformed {
        /// Which message.
        what: &'static str,
        /// The decoder's reason.
        reason: String,
    },
    /// A protocol version this side does not speak.
    #[error("unsupported protocol version {0}")]
    Version(u16),
    /// The signature does not verify with the sender's registered key.
    #[error("bad signature: the {0} was not signed by the registered key of its sender")]
    BadSignature(&'static str),
    /// None of our keys opens the ciphertext (encrypted to other keys, or damaged).
    #[error("cannot decrypt: the payload is not encrypted to this center's keys, or is damaged")]
    Decrypt,
    /// A field inside the payload disagrees with the authenticated outside.
    #[error("the payload's {field} ({inside}) does not match the envelope ({outside})")]
    Mismatch {
        /// Which field.
        field: &'static str,
        /// Value inside the ciphertext.
        inside: String,
        /// Value on the envelope.
        outside: String,
    },
    /// A blob's plaintext does not hash to its reference.
    #[error("blob {0} does not match its SHA-256")]
    BlobHash(String),
    /// Encryption failed.
    #[error("encryption failed: {0}")]
    Encrypt(String),
}

impl WireError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            WireError::NotQafila(_) => "not_qafila",
            WireError::TooLarge { .. } => "too_large",
            WireError::Malformed { .. } => "malformed",
            WireError::Version(_) => "unsupported_version",
            WireError::BadSignature(_) => "bad_signature",
            WireError::Decrypt => "cannot_decrypt",
            WireError::Mismatch { .. } => "mismatch",
            WireError::BlobHash(_) => "blob_hash_mismatch",
            WireError::Encrypt(_) => "encrypt",
        }
    }
}

//! The crate's one error type: each variant names the field or the input at fault and why.

use std::path::PathBuf;

/// Everything that can go wrong while scoring, extracting, encoding or searching fingerprints.
#[derive(Debug, thiserror::Error)]
pub enum FingerError {
    /// The image cannot be used: wrong size, short buffer, undecodable bytes.
    #[error("image {field}: {reason}")]
    Image {
        /// What about the image is wrong (`width`, `pixels`, `png`…).
        field: &'static str,
        /// Why.
        reason: String,
    },
    /// NIST's library could not be loaded or does not expose the interface this crate speaks.
    #[error("NBIS library {path}: {reason}")]
    Library {
        /// Where we looked.
        path: PathBuf,
        /// Why it is unusable.
        reason: String,
    },
    /// NIST's library was loaded but the call failed (its own error, or a panic it caught).
    #[error("NBIS call {call} failed: {reason}")]
    Nbis {
        /// Which exported function.
        call: &'static str,
        /// Its error, decoded.
        reason: String,
    },
    /// An ISO/IEC 19794-2 record is malformed.
    #[error("ISO/IEC 19794-2 record, {field}: {reason}")]
    Iso {
        /// Which field of the record.
        field: &'static str,
        /// Why it is rejected.
        reason: String,
    },
    /// A template value is outside what the format can carry.
    #[error("template {field}: {reason}")]
    Template {
        /// Which field.
        field: &'static str,
        /// Why.
        reason: String,
    },
    /// The duplicate index could not be stored or loaded.
    #[error("duplicate index {field}: {reason}")]
    Index {
        /// What part (`file`, `encoding`, `version`…).
        field: &'static str,
        /// Why.
        reason: String,
    },
}

/// Result with [`FingerError`].
pub type Result<T> = std::result::Result<T, FingerError>;

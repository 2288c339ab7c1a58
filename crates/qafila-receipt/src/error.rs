//! What can go wrong building, rendering or checking a receipt, each naming the field or the reason.

use std::path::PathBuf;

/// Everything that can go wrong in this crate.
#[derive(Debug, thiserror::Error)]
pub enum ReceiptError {
    /// A font file is not there; says which Debian package ships it.
    #[error("font file {path} not found: install the Debian package {package} or pass another font path")]
    FontMissing {
        /// The file looked for.
        path: PathBuf,
        /// The Debian package that ships it.
        package: &'static str,
    },
    /// A font file exists but could not be read.
    #[error("cannot read font file {path}: {source}")]
    FontUnreadable {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A font file is not a font the shaper and the PDF writer can use.
    #[error("{path} is not a usable TrueType/OpenType font")]
    FontInvalid {
        /// The file.
        path: PathBuf,
    },
    /// The font chosen for a script has no glyphs for it (an Arabic font without Arabic letters).
    #[error("font {path} has no glyph for {what}: choose a font that covers it")]
    FontLacksScript {
        /// The file.
        path: PathBuf,
        /// The script or character missing.
        what: &'static str,
    },
    /// A receipt field is too long or empty where it must not be.
    #[error("receipt field {field}: {reason}")]
    BadField {
        /// Which field.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The enrollment is not sealed yet: a receipt would acknowledge data that can still change.
    #[error("enrollment {id} is {status}: a receipt is only issued once it is sealed")]
    NotSealed {
        /// Enrollment id.
        id: String,
        /// Its current status.
        status: &'static str,
    },
    /// The signer failed or refused to sign.
    #[error("the van could not sign the receipt: {0}")]
    Signer(String),
    /// The signer's signature does not verify under its own public key.
    #[error("the van's signature over the receipt does not verify under the van's own public key")]
    SignerMismatch,
    /// The PDF writer failed.
    #[error("writing the PDF failed: {0}")]
    Pdf(String),
    /// The QR text does not start with the receipt prefix.
    #[error("not a Qafila receipt code: it must start with {expected:?}")]
    BadPrefix {
        /// The expected prefix.
        expected: &'static str,
    },
    /// The QR text does not have its three dot-separated parts.
    #[error("malformed receipt code: expected PREFIX.PAYLOAD.SIGNATURE, found {parts} part(s)")]
    BadShape {
        /// How many dot-separated parts were found.
        parts: usize,
    },
    /// A part is not unpadded base64url.
    #[error("receipt code {part} is not valid base64url")]
    BadBase64 {
        /// `payload` or `signature`.
        part: &'static str,
    },
    /// The signature part has the wrong length.
    #[error("receipt signature is {len} bytes, expected 64 (truncated code?)")]
    BadSignatureLength {
        /// The length found.
        len: usize,
    },
    /// The payload ends before a field is complete.
    #[error("receipt payload truncated: it ends inside {field}")]
    Truncated {
        /// The field being read when the payload ran out.
        field: &'static str,
    },
    /// Bytes follow the last field.
    #[error("receipt payload has {extra} unexpected byte(s) after its last field")]
    TrailingBytes {
        /// How many.
        extra: usize,
    },
    /// A field's value is not allowed.
    #[error("receipt payload field {field} is invalid: {reason}")]
    BadPayloadField {
        /// Which field.
        field: &'static str,
        /// Why.
        reason: &'static str,
    },
    /// The key given to check against is not an ed25519 public key.
    #[error("the van public key is not a valid ed25519 key")]
    BadVanKey,
    /// The signature does not verify: the code was altered or another van signed it.
    #[error("bad signature: this receipt code was altered or was not signed by this van")]
    BadSignature,
}

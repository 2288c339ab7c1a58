//! What can go wrong talking to a scanner, each failure its own variant so the app can tell the operator what to do.

use std::time::Duration;

/// Why a scanner operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// No SBI service answered discovery in the scanned port range.
    #[error("no SBI fingerprint device answered MOSIPDISC on {host} ports {first}-{last}")]
    NoDevice {
        /// The address scanned.
        host: String,
        /// First port scanned.
        first: u16,
        /// Last port scanned.
        last: u16,
    },
    /// Devices were found but none can capture now.
    #[error("fingerprint device {device_id} on port {port} is not ready: status {status:?}")]
    NotReady {
        /// The SBI port.
        port: u16,
        /// The SBI device id.
        device_id: String,
        /// The status the device reported.
        status: String,
    },
    /// The connection to the SBI service could not be made.
    #[error("cannot connect to the SBI service for {operation} on port {port}: {detail}")]
    Connect {
        /// The SBI method attempted.
        operation: &'static str,
        /// The SBI port.
        port: u16,
        /// What the network stack said.
        detail: String,
    },
    /// The device did not answer in time; the caller was released after `after`.
    #[error("{operation} timed out after {after:?}: the device did not answer")]
    Timeout {
        /// The SBI method attempted.
        operation: &'static str,
        /// How long the client waited.
        after: Duration,
    },
    /// The device closed the connection before its reply was complete.
    #[error("the device disconnected during {operation} before its reply was complete: {detail}")]
    Disconnected {
        /// The SBI method attempted.
        operation: &'static str,
        /// What the HTTP layer said.
        detail: String,
    },
    /// The device answered with an HTTP status other than success.
    #[error("{operation} answered HTTP status {status}")]
    HttpStatus {
        /// The SBI method attempted.
        operation: &'static str,
        /// The HTTP status code.
        status: u16,
    },
    /// The reply is not the JSON the SBI specification describes.
    #[error("malformed {operation} reply: {field}: {detail}")]
    Malformed {
        /// The SBI method attempted.
        operation: &'static str,
        /// Where in the reply, e.g. `biometrics[0].data`, or `(body)` for JSON that does not parse.
        field: String,
        /// What is wrong there.
        detail: String,
    },
    /// The device reported an SBI error code.
    #[error("device error {code}: {info}")]
    Device {
        /// The SBI `errorCode` (e.g. "701" capture timed out).
        code: String,
        /// The SBI `errorInfo`.
        info: String,
    },
    /// A signed block failed verification: the data cannot be trusted.
    #[error("bad signature on {field}: {detail}")]
    BadSignature {
        /// Which signed block.
        field: String,
        /// Why it was refused.
        detail: String,
    },
    /// The SBI hash chain does not match the biometric data received.
    #[error("hash chain mismatch on {field}: device sent {got}, data gives {expected}")]
    HashMismatch {
        /// Which biometric.
        field: String,
        /// What the client computed.
        expected: String,
        /// What the device sent.
        got: String,
    },
    /// A requested finger is absent from the reply.
    #[error("the device did not return {finger}")]
    MissingFinger {
        /// The missing finger.
        finger: crate::Finger,
    },
    /// The reply contradicts the request (another transaction, finger or modality).
    #[error("inconsistent reply: {0}")]
    Inconsistent(String),
    /// The biometric image could not be read.
    #[error("biometric image of {field}: {source}")]
    Image {
        /// Which biometric.
        field: String,
        /// Why.
        #[source]
        source: ImageError,
    },
    /// The request itself is not valid (no finger, a finger both wanted and excepted…).
    #[error("invalid capture request: {0}")]
    InvalidRequest(String),
}

/// Why a biometric image record could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageError {
    /// The record ends before a field.
    #[error("record truncated in {0}")]
    Truncated(&'static str),
    /// A header field holds a value the format forbids.
    #[error("invalid {field}: {detail}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// What is wrong.
        detail: String,
    },
    /// The record is valid but uses an image compression this build cannot decode.
    #[error("unsupported image compression algorithm {code} ({name}): no decoder registered")]
    UnsupportedCompression {
        /// ISO/IEC 19794-4:2011 compression algorithm code.
        code: u8,
        /// Its name.
        name: &'static str,
    },
    /// The compressed image data could not be decoded.
    #[error("cannot decode {format} image: {detail}")]
    Decode {
        /// The image format.
        format: &'static str,
        /// The decoder's message.
        detail: String,
    },
}

//! Constants and computations both ends of SBI must agree on.

use sha2::{Digest, Sha256};

/// The SBI specification version this crate speaks.
pub const SPEC_VERSION: &str = "0.9.5";
/// The SBI modality name for fingerprints.
pub const FINGER: &str = "Finger";
/// The capture purpose for enrollment (RCAPTURE).
pub const REGISTRATION: &str = "Registration";
/// The first port SBI services may listen on.
pub const FIRST_PORT: u16 = 4501;
/// The last port SBI services may listen on.
pub const LAST_PORT: u16 = 4600;

/// SBI error code: success.
pub const OK: &str = "0";
/// SBI error code: unable to detect a biometric object.
pub const NO_BIOMETRIC: &str = "101";
/// SBI error code: the requested number or kind of biometrics is not supported.
pub const UNSUPPORTED_REQUEST: &str = "109";
/// SBI error code: invalid value in the request.
pub const INVALID_REQUEST: &str = "500";
/// SBI error code: invalid biometric type.
pub const INVALID_TYPE: &str = "501";
/// SBI error code: capture timed out.
pub const CAPTURE_TIMEOUT: &str = "701";

/// The SBI hash chain link for one biometric: uppercase hex SHA-256 of (previous hash bytes ‖ SHA-256 of the
/// decoded `bioValue`), where an empty previous hash stands for SHA-256 of the empty string. This is how MOSIP's
/// reference services and registration client compute it; a previous hash that is not hex counts as empty.
pub fn chain_hash(previous: &str, bio_value: &[u8]) -> String {
    let previous = match hex::decode(previous.trim()) {
        Ok(bytes) if !bytes.is_empty() => bytes,
        _ => Sha256::digest(b"").to_vec(),
    };
    let mut h = Sha256::new();
    h.update(&previous);
    h.update(Sha256::digest(bio_value));
    hex::encode_upper(h.finalize())
}

/// Now, as SBI timestamps are written (ISO 8601, UTC, milliseconds).
pub fn timestamp() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

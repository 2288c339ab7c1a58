//! A van's status report to a center (`POST /v1/vans/{van}/report`, a signed request): what the
//! centers' fleet view shows. It carries counts and states only, never personal data.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::WireError;

/// Largest report accepted (bytes).
pub const MAX_REPORT_BYTES: usize = 16 * 1024;

/// What a van says about itself at each sync.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VanReport {
    /// The app's version (`CARGO_PKG_VERSION` of the van engine).
    pub app_version: String,
    /// The van's wall clock when it reported (may be wrong: the center shows the difference).
    pub van_clock: DateTime<Utc>,
    /// Sealed enrollments no center has acknowledged yet.
    pub backlog: i64,
    /// Batches built and not yet receipted.
    pub batches_unreceipted: i64,
    /// Enrollments purged after receipt.
    pub purged: i64,
    /// Freeze state: `ok`, `warn` or `blocked`.
    pub freeze: String,
    /// Entries in the van's signed journal.
    pub journal_entries: i64,
    /// Whether the journal verified end to end against the van's key.
    pub journal_intact: bool,
}

impl VanReport {
    /// Encodes as JSON (the body of the signed request).
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Decodes and checks a report body.
    pub fn from_json(bytes: &[u8]) -> Result<VanReport, WireError> {
        if bytes.len() > MAX_REPORT_BYTES {
            return Err(WireError::TooLarge {
                what: "van report",
                size: bytes.len(),
                limit: MAX_REPORT_BYTES,
            });
        }
        let r: VanReport = serde_json::from_slice(bytes).map_err(|e| WireError::Malformed {
            what: "van report",
            reason: e.to_string(),
        })?;
        if !matches!(r.freeze.as_str(), "ok" | "warn" | "blocked") {
            return Err(WireError::Malformed {
                what: "van report",
                reason: format!("freeze: {:?} is not ok, warn or blocked", r.freeze),
            });
        }
        if r.app_version.len() > 64 {
            return Err(WireError::Malformed {
                what: "van report",
                reason: "app_version: longer than 64 bytes".into(),
            });
        }
        Ok(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample() -> VanReport {
        VanReport {
            app_version: "0.1.0".into(),
            van_clock: Utc::now(),
            backlog: 3,
            batches_unreceipted: 1,
            purged: 10,
            freeze: "warn".into(),
            journal_entries: 42,
            journal_intact: true,
        }
    }

    #[test]
    fn round_trips_and_refuses_bad_fields() {
        let r = sample();
        assert_eq!(VanReport::from_json(&r.to_json()).unwrap(), r);
        let mut bad = sample();
        bad.freeze = "melted".into();
        let e = VanReport::from_json(&bad.to_json()).unwrap_err().to_string();
        assert!(e.contains("freeze"), "{e}");
        assert!(VanReport::from_json(b"{\"app_version\": 1}").is_err());
        assert!(VanReport::from_json(&vec![b' '; MAX_REPORT_BYTES + 1]).is_err());
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = VanReport::from_json(&bytes);
        }
    }
}

//! Complete synthetic enrollments with their blobs, for demos, tests and benchmarks.

use chrono::{DateTime, Utc};
use qafila_domain::{BlobRef, Enrollment, FingerPosition, FingerSlot, Portrait, QualityReport, Status, sample};

use crate::keys::sha256_hex;

/// Size of a synthetic portrait (a token JPEG is about this size).
pub const PORTRAIT_BYTES: usize = 50_000;
/// Size of a synthetic fingerprint (a WSQ impression at 0.75 bpp is about this size).
pub const FINGER_BYTES: usize = 15_000;

/// Synthetic applicant `seed`, complete (portrait and ten prints) and `captured`, with its blobs.
pub fn complete(seed: u64, van_id: &str, operator_id: &str, now: DateTime<Utc>) -> (Enrollment, Vec<Vec<u8>>) {
    let mut e = sample::applicant(seed, van_id, operator_id, now);
    let portrait = sample::blob_bytes(seed, PORTRAIT_BYTES);
    e.portrait = Some(Portrait {
        blob: BlobRef(sha256_hex(&portrait)),
        quality: QualityReport {
            ok: true,
            checks: Vec::new(),
            override_by: None,
        },
    });
    let mut blobs = vec![portrait];
    for pos in FingerPosition::ALL {
        let print = sample::blob_bytes(
            seed.wrapping_mul(100).wrapping_add(u64::from(pos.number())),
            FINGER_BYTES,
        );
        e.fingerprints.insert(
            pos,
            FingerSlot::Impression {
                blob: BlobRef(sha256_hex(&print)),
                quality: 60,
                quality_algorithm: Some("synthetic".into()),
                device: "SIMULATED".into(),
            },
        );
        blobs.push(print);
    }
    e.application.status = Status::Captured;
    (e, blobs)
}

//! Shared helpers for the cross-crate tests.

use std::path::Path;

use chrono::Utc;
use qafila_domain::Enrollment;
use qafila_store::{InitOptions, Store, Van};
use sha2::{Digest, Sha256};

/// The test operator.
pub const OPERATOR: &str = "OP-0001";
/// The test passphrase.
pub const PASSPHRASE: &str = "tizi-n-test 2026";
/// A small scrypt work factor: tests unlock hundreds of times.
pub const KDF_LOG_N: u8 = 10;

/// Creates a store in `dir` with the test operator.
pub fn init(dir: &Path) -> Van {
    Store::init(
        dir,
        InitOptions {
            van_id: "VAN-TEST".into(),
            operator_id: OPERATOR.into(),
            passphrase: PASSPHRASE.into(),
            recovery: None,
            kdf_log_n: KDF_LOG_N,
        },
    )
    .expect("init store")
}

/// Opens and unlocks the store in `dir` as the test operator.
pub fn unlock(dir: &Path) -> Van {
    Store::open(dir)
        .expect("open store")
        .unlock(OPERATOR, PASSPHRASE)
        .expect("unlock")
}

/// A complete synthetic enrollment and its blobs.
pub fn applicant(seed: u64) -> (Enrollment, Vec<Vec<u8>>) {
    qafila_store::sample::complete(seed, "VAN-TEST", OPERATOR, Utc::now())
}

/// A fingerprint of a record's content, to compare what was written with what is read back.
pub fn digest(e: &Enrollment) -> String {
    hex::encode(Sha256::digest(serde_json::to_vec(e).expect("serialize")))
}

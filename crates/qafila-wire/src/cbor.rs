//! Bounded CBOR encoding and decoding.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::WireError;

/// Nesting deeper than this is refused (our messages nest about five levels).
const MAX_DEPTH: usize = 32;

pub(crate) fn to_vec<T: Serialize>(value: &T) -> Vec<u8> {
    let mut out = Vec::new();
    // Writing into a Vec cannot fail, and our types serialize without error.
    ciborium::into_writer(value, &mut out).expect("CBOR encoding into memory");
    out
}

pub(crate) fn from_slice<T: DeserializeOwned>(bytes: &[u8], what: &'static str) -> Result<T, WireError> {
    // The input is in memory and already size-checked: a declared length beyond it fails at its end,
    // and serde never preallocates more than a small bound from a declared length.
    ciborium::de::from_reader_with_recursion_limit(bytes, MAX_DEPTH).map_err(|e| WireError::Malformed {
        what,
        reason: e.to_string(),
    })
}

//! Exports of CNIE applications for the systems downstream of the centers, with no IO: callers
//! pass an [`Enrollment`](qafila_domain::Enrollment) and the plaintext of its blobs, and get bytes
//! or structures back.
//!
//! - [`card`]: the card personalization data of an accepted application — the printed fields, the
//!   ICAO 9303 TD1 MRZ ([`mrz`]) and the chip's DG2 portrait ([`face`]).
//! - [`afis`]: one ANSI/NIST-ITL 1-2011 transaction per application (Type-1, Type-2, Type-10 face,
//!   Type-14 fingers), written in the traditional encoding by [`nist`].
#![forbid(unsafe_code)]

pub mod afis;
pub mod card;
mod error;
pub mod face;
pub mod images;
pub mod mrz;
pub mod nist;

use std::collections::{BTreeMap, HashMap};

use qafila_domain::BlobRef;
use sha2::{Digest, Sha256};

pub use afis::{AfisOptions, afis_transaction};
pub use card::{CardPersonalization, CardRequest, personalize};
pub use error::ExportError;

/// Where the plaintext of an enrollment's blobs comes from (the center's store, a test's map).
pub trait BlobSource {
    /// The plaintext of blob `blob`, if the caller has it.
    fn blob(&self, blob: &BlobRef) -> Option<&[u8]>;
}

impl BlobSource for HashMap<BlobRef, Vec<u8>> {
    fn blob(&self, blob: &BlobRef) -> Option<&[u8]> {
        self.get(blob).map(Vec::as_slice)
    }
}

impl BlobSource for BTreeMap<BlobRef, Vec<u8>> {
    fn blob(&self, blob: &BlobRef) -> Option<&[u8]> {
        self.get(blob).map(Vec::as_slice)
    }
}

/// The reference of a blob's plaintext (its SHA-256, lowercase hex), as the record stores it.
pub fn blob_ref(bytes: &[u8]) -> BlobRef {
    BlobRef(hex::encode(Sha256::digest(bytes)))
}

/// The bytes of `blob`, checked against their reference so a mixed-up blob never reaches a card
/// or an AFIS; `field` names the record field in errors.
pub(crate) fn fetch<'a>(blobs: &'a dyn BlobSource, blob: &BlobRef, field: &str) -> Result<&'a [u8], ExportError> {
    let bytes = blobs
        .blob(blob)
        .ok_or_else(|| ExportError::missing(field, format!("blob {blob} was not passed in")))?;
    if blob_ref(bytes) != *blob {
        return Err(ExportError::invalid(
            field,
            format!("the bytes passed for blob {blob} do not have that SHA-256"),
        ));
    }
    Ok(bytes)
}

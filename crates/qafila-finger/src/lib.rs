//! Fingerprints in the enrollment van.
//!
//! - [`Quality::nfiq2`]: NIST's NFIQ 2 of an impression, through `libnbis.so` loaded at run time
//!   ([`nbis_ffi`] holds the crate's only unsafe code); without the library, a fallback estimate that
//!   says it is not NFIQ 2 ([`QualityEngine::Fallback`]).
//! - [`Quality::analyse`]: NFIQ 2 and the minutiae template from NIST's one library call (the fast path
//!   for enrollment), or the fallback estimate and [`extract`] without the library.
//! - [`extract`] minutiae (MINDTCT) into a [`Template`], written and read as ISO/IEC 19794-2:2005
//!   ([`Template::to_iso19794_2`]), and [`compare`]d with BOZORTH3 against [`MATCH_THRESHOLD`].
//! - [`DuplicateIndex`]: every enrollment of the drive, searched for a new person's fingers within a
//!   second for 5,000 people (triangle pre-filter, then bozorth3 on a short list).
#![deny(unsafe_code)]

pub mod duplicates;
pub mod error;
pub mod fallback;
pub mod image;
pub mod iso19794_2;
#[allow(unsafe_code)]
mod nbis_ffi;
pub mod nfiq2;
pub mod template;
mod triplets;

pub use duplicates::{Candidate, DuplicateIndex, PersonId, SearchConfig};
pub use error::{FingerError, Result};
pub use image::GrayImage;
pub use nfiq2::{Analysis, Quality, QualityConfig, QualityEngine, QualityScore, fixtures_dir};
pub use template::{Finger, MATCH_THRESHOLD, Minutia, MinutiaKind, Template, compare, extract};

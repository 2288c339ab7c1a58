//! Qafila's domain: the CNIE enrollment record, its validation, and the master data a van needs offline.
//!
//! No IO happens here: the store, the wire protocol and the apps build on these types.
#![forbid(unsafe_code)]

pub mod master;
pub mod record;
pub mod sample;
pub mod schema;
pub mod signing;
pub mod transliterate;
pub mod validation;

pub use record::*;
pub use validation::{Problem, ProblemCode, validate};

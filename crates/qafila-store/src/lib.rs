//! The van's encrypted CRDT store.
//!
//! One SQLite database (WAL, `synchronous=FULL`) holds, all encrypted with age:
//! the automerge document of each enrollment, its blobs (portrait, fingerprints, documents;
//! content-addressed), a summary for lists, drafts being captured, and a hash-chained journal
//! signed by the van. Search works on keyed hashes of normalised name prefixes, so nothing
//! personal is on disk in clear.
//!
//! The simple tier: [`Store::init`], [`Store::open`] then [`Store::unlock`] gives a [`Van`], whose
//! methods enroll, edit, seal, list and search. The parts ([`keys`], [`journal`], [`search`]) are
//! public for the sync layer and for tests.
#![forbid(unsafe_code)]

mod appointments;
mod at_rest;
pub mod error;
pub mod journal;
pub mod keys;
mod outbox;
pub mod sample;
pub mod search;
mod sqlite;
mod van;

pub use age;
pub use appointments::HeldList;
pub use error::{Result, StoreError};
pub use outbox::{Center, OutboundBatch, SyncStatus};
pub use sqlite::DB_FILE;
pub use van::{
    DEFAULT_KDF_LOG_N, Draft, InitOptions, KeyEpoch, OpenOptions, Role, StatusCounts, Store, Summary, Van, blob_refs,
};

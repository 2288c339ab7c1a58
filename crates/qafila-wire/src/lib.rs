//! Qafila's wire protocol between vans and issuance centers (see `docs/PROTOCOL.md`).
//!
//! - A [`batch::BatchPayload`] carries, for many enrollments at once, the automerge changes the centers
//!   have not acknowledged, and the manifest of the blobs they need.
//! - An [`envelope::Envelope`] carries a payload encrypted with age to every recipient of both centers
//!   and signed with the sender's ed25519 key over the ciphertext's hash. The sender, kind and sequence
//!   number are both outside (to find the key) and inside (authenticated by decryption, checked after).
//!   The same envelope carries updates from a center back to a van.
//! - A [`receipt::SignedReceipt`] is a center's signed statement of what it holds.
//! - Blobs travel separately ([`blob`]), encrypted, content-addressed and resumable.
//!
//! - An [`appointments::AppointmentList`] carries a drive's bookings from a center to a van, sealed
//!   like updates.
//! - A [`rotation::SignedKeyRotation`] hands a van over from its old signing key to a new one.
//!
//! Every message is CBOR (RFC 8949); decoding is bounded in size and nesting.
#![forbid(unsafe_code)]

pub mod appointments;
pub mod batch;
pub mod blob;
mod cbor;
pub mod envelope;
pub mod error;
pub mod receipt;
pub mod report;
pub mod request;
pub mod rotation;
pub mod tls;
pub mod usb;

pub use appointments::{Appointment, AppointmentList, PartialName, Prefill};
pub use batch::{
    BatchCommit, BatchPayload, BlobManifest, DocumentChanges, ReplicatedBatch, ReplicationPayload, UpdatePayload,
};
pub use envelope::{Envelope, Kind};
pub use error::WireError;
pub use receipt::{DocumentReceipt, Receipt, SignedReceipt};
pub use rotation::{KeyRotation, SignedKeyRotation};

/// Version of the protocol spoken by this crate.
pub const PROTOCOL_VERSION: u16 = 1;

/// Largest envelope accepted (bytes); larger batches must be split by the sender.
pub const MAX_ENVELOPE_BYTES: usize = 64 * 1024 * 1024;

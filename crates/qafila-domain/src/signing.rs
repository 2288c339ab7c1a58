//! Domain-separation strings for what the van signs outside the wire protocol.
//!
//! They live here because both the store (which holds the van's key) and the crates that build the
//! signed messages depend on this crate: one definition, so the two sides cannot drift apart.

/// Every message the van signs for a citizen's receipt QR code begins with these bytes, so such a
/// signature can never pass for one over a journal entry, a batch or a request (those sign 32-byte
/// digests or carry their own context).
pub const CITIZEN_RECEIPT_CONTEXT: &[u8] = b"qafila/citizen-receipt/v1\n";

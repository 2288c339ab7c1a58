//! The center's storage, behind one trait with two backends: SQLite (embedded default) and
//! PostgreSQL (production). Every method is one transaction; the ingest path commits a whole batch
//! (its record, every merged document and the change log) at once.
//!
//! Documents are stored encrypted with the center's own age key; blobs in their transfer form
//! (encrypted to the centers by the van). Nothing personal is in clear in either backend.

use std::collections::BTreeSet;

use async_trait::async_trait;

/// A registered van.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VanRecord {
    /// Van id.
    pub id: String,
    /// Its ed25519 public key (32 bytes).
    pub verifying_key: Vec<u8>,
    /// Its age recipient, for updates sent back to it.
    pub recipient: String,
    /// When it was registered (RFC 3339).
    pub registered_at: String,
    /// When it was revoked, if it was.
    pub revoked_at: Option<String>,
}

/// A signing key a van used before it rotated to another (see `qafila_wire::rotation`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetiredVanKey {
    /// Van id.
    pub van_id: String,
    /// The retired ed25519 public key (32 bytes).
    pub verifying_key: Vec<u8>,
    /// Batches numbered below this may carry its signature (those the van built before rotating);
    /// from this number on only its successor signs.
    pub until_seq: i64,
    /// The key that took over from it (32 bytes).
    pub successor: Vec<u8>,
    /// When the center recorded the rotation (RFC 3339).
    pub retired_at: String,
    /// The van's rotation statement, as it arrived (CBOR `SignedKeyRotation`).
    pub statement: Vec<u8>,
}

/// A batch the center has seen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchRecord {
    /// Sending van.
    pub van_id: String,
    /// Its sequence number.
    pub seq: i64,
    /// Batch id (UUID).
    pub batch_id: String,
    /// SHA-256 of the envelope's ciphertext.
    pub ct_hash: Vec<u8>,
    /// SHA-256 of the decrypted payload (tells a re-encrypted replay from a conflicting batch).
    pub payload_digest: Vec<u8>,
    /// The signed receipt.
    pub receipt: Vec<u8>,
    /// The center that accepted it first (`rabat`, or the peer it was replicated from).
    pub accepted_by: String,
    /// When.
    pub received_at: String,
}

/// A batch whose civil data arrived before its blobs: the van's envelope as it came (encrypted to
/// the centers, signed by the van), kept until the blobs are in and the van asks to commit it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingBatch {
    /// Sending van.
    pub van_id: String,
    /// Its sequence number.
    pub seq: i64,
    /// SHA-256 of the envelope's ciphertext (the van names the batch by it when it commits).
    pub ct_hash: Vec<u8>,
    /// The envelope bytes.
    pub envelope: Vec<u8>,
    /// Enrollments in it (what the dashboard shows as awaiting biometrics).
    pub documents: i64,
    /// When it arrived (RFC 3339).
    pub received_at: String,
}

/// What one van has awaiting blobs.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PendingCount {
    /// Van id.
    pub van_id: String,
    /// Batches held pending.
    pub batches: i64,
    /// Enrollments in them.
    pub documents: i64,
    /// When the oldest arrived (RFC 3339).
    pub oldest: String,
}

/// Pending batches a van may have at once; a van sends one batch at a time, so older ones are stale.
pub const PENDING_PER_VAN: i64 = 2;

/// An enrollment document as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocumentRecord {
    /// Application id.
    pub id: String,
    /// The van it came from.
    pub van_id: String,
    /// `rabat` or `marrakech`.
    pub routed_to: String,
    /// Status name (for queues and counts; not personal).
    pub status: String,
    /// The automerge document, encrypted with the center's key.
    pub doc: Vec<u8>,
    /// Heads, comma-separated hex.
    pub heads: String,
    /// Last change (RFC 3339).
    pub updated_at: String,
}

/// One entry of the change log (what replication and van updates follow).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangeRecord {
    /// Position in this center's log.
    pub seq: i64,
    /// The document changed.
    pub doc_id: String,
    /// Who changed it: `van:<id>`, `center:<id>` or `peer:<id>`.
    pub origin: String,
}

/// A blob upload's state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BlobState {
    /// Bytes held.
    pub received: i64,
    /// Declared total length, once known.
    pub length: Option<i64>,
    /// Whether it is complete and verified.
    pub complete: bool,
}

/// Why a storage call failed.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The backend failed.
    #[error("database: {0}")]
    Backend(String),
    /// An upload chunk does not start where the blob ends.
    #[error("upload offset {given} does not match the {held} bytes held")]
    Offset {
        /// Offset in the request.
        given: i64,
        /// Bytes held.
        held: i64,
    },
    /// The declared length changed or was exceeded.
    #[error("upload length mismatch: {0}")]
    Length(String),
}

/// Storage results.
pub type DbResult<T> = Result<T, DbError>;

/// Counts for the status page (no personal data).
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Counts {
    /// Registered vans.
    pub vans: i64,
    /// Revoked vans.
    pub revoked_vans: i64,
    /// Batches accepted.
    pub batches: i64,
    /// Documents held.
    pub documents: i64,
    /// Documents routed here.
    pub routed_here: i64,
    /// Complete blobs.
    pub blobs: i64,
    /// Length of the change log.
    pub changes: i64,
}

/// A staff account at the center.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaffRecord {
    /// Login name.
    pub id: String,
    /// Name shown in the dashboard and the audit log.
    pub display_name: String,
    /// `viewer`, `reviewer` or `administrator`.
    pub role: String,
    /// Argon2id hash in PHC string form.
    pub password_hash: String,
    /// When it was created (RFC 3339).
    pub created_at: String,
    /// When it was disabled, if it was.
    pub disabled_at: Option<String>,
}

/// A signed-in staff session (the cookie holds a token; only its SHA-256 is stored).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRecord {
    /// SHA-256 of the session token, hex.
    pub token_hash: String,
    /// The staff member.
    pub staff_id: String,
    /// The CSRF token the dashboard must echo on every change.
    pub csrf: String,
    /// When it started (RFC 3339).
    pub created_at: String,
    /// When it ends (RFC 3339).
    pub expires_at: String,
}

/// One staff action, as audited. Never holds personal data: ids and kinds only.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct AuditRecord {
    /// Position in the audit log.
    pub seq: i64,
    /// When (RFC 3339).
    pub at: String,
    /// Who (staff id, or `cli` for the administration commands).
    pub staff_id: String,
    /// What, e.g. `login`, `review.recapture`, `van.revoke`.
    pub action: String,
    /// On what (an application, van or staff id), if anything.
    pub target: Option<String>,
    /// Outcome or non-personal detail (e.g. `ok`, `denied`, the items asked for).
    pub detail: Option<String>,
}

/// What a van last told the center about itself, and when it was last heard from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VanContact {
    /// Van id.
    pub van_id: String,
    /// Server time of its last authenticated request (RFC 3339).
    pub last_contact: String,
    /// Its last status report (JSON of `qafila_wire::report::VanReport`), if it sent one.
    pub report: Option<String>,
}

/// A document in a queue listing (no document body).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct DocumentSummary {
    /// Application id.
    pub id: String,
    /// The van it came from.
    pub van_id: String,
    /// Where it is routed.
    pub routed_to: String,
    /// Status name.
    pub status: String,
    /// Last change (RFC 3339).
    pub updated_at: String,
}

/// Documents per center and status.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct QueueCount {
    /// `rabat` or `marrakech`.
    pub routed_to: String,
    /// Status name.
    pub status: String,
    /// How many.
    pub count: i64,
}

/// A drive's appointment list as stored (the list encrypted with the center's key).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppointmentRecord {
    /// The van.
    pub van_id: String,
    /// The drive.
    pub drive_id: String,
    /// Version of the drive's list (from 1).
    pub version: i64,
    /// Last day of the drive (YYYY-MM-DD): purged after it.
    pub drive_end: String,
    /// When it was published (RFC 3339).
    pub published_at: String,
    /// The CBOR `AppointmentList`, age-encrypted to the center's key.
    pub list: Vec<u8>,
}

/// The center's storage.
#[async_trait]
pub trait CenterDb: Send + Sync {
    /// Creates or upgrades the schema.
    async fn migrate(&self) -> DbResult<()>;
    /// Registers (or re-registers) a van.
    async fn put_van(&self, van: &VanRecord) -> DbResult<()>;
    /// A van by id.
    async fn van(&self, id: &str) -> DbResult<Option<VanRecord>>;
    /// Every van.
    async fn vans(&self) -> DbResult<Vec<VanRecord>>;
    /// Revokes a van; false if unknown.
    async fn revoke_van(&self, id: &str, at: &str) -> DbResult<bool>;
    /// Hands an active van over from `retired.verifying_key` to `retired.successor` and keeps the old
    /// key as retired, in one transaction. Changes nothing and returns false unless the van is
    /// registered, not revoked, and its key is `retired.verifying_key` or already `retired.successor`
    /// (two rotations racing cannot both win).
    async fn rotate_van_key(&self, retired: &RetiredVanKey) -> DbResult<bool>;
    /// The keys a van retired, oldest first.
    async fn retired_van_keys(&self, van_id: &str) -> DbResult<Vec<RetiredVanKey>>;
    /// The batch `seq` of a van, if seen.
    async fn batch(&self, van_id: &str, seq: i64) -> DbResult<Option<BatchRecord>>;
    /// Every batch of a van with `seq` > `after`, in order (replication).
    async fn batches_after(&self, after_rowid: i64, limit: i64) -> DbResult<Vec<(i64, BatchRecord)>>;
    /// Highest sequence number up to which every batch of the van is held.
    async fn acked_through(&self, van_id: &str) -> DbResult<i64>;
    /// Documents by id (missing ones are absent).
    async fn documents(&self, ids: &[String]) -> DbResult<Vec<DocumentRecord>>;
    /// Stores a batch and its merged documents and logs the changes, in one transaction, and drops
    /// the pending copy of the batch if there was one. A batch already present (same van and seq) is
    /// left as it is.
    async fn commit_batch(&self, batch: &BatchRecord, docs: &[DocumentRecord], origin: &str) -> DbResult<()>;
    /// Stores documents changed at a center or by a peer, and logs them.
    async fn put_documents(&self, docs: &[DocumentRecord], origin: &str) -> DbResult<()>;
    /// Keeps a batch awaiting its blobs, replacing one of the same van and seq; only the van's
    /// [`PENDING_PER_VAN`] highest sequence numbers are kept.
    async fn put_pending(&self, batch: &PendingBatch) -> DbResult<()>;
    /// A van's pending batch `seq`, if held.
    async fn pending(&self, van_id: &str, seq: i64) -> DbResult<Option<PendingBatch>>;
    /// Per van, the batches and enrollments awaiting blobs.
    async fn pending_counts(&self) -> DbResult<Vec<PendingCount>>;
    /// A blob's upload state.
    async fn blob_state(&self, sha256: &str) -> DbResult<Option<BlobState>>;
    /// Which of these blobs are held complete (one query for a whole batch's blobs).
    async fn complete_blobs(&self, sha256s: &[String]) -> DbResult<BTreeSet<String>>;
    /// Appends a chunk at `offset` (must equal the bytes held); returns the new state.
    async fn blob_append(&self, sha256: &str, offset: i64, length: i64, chunk: &[u8]) -> DbResult<BlobState>;
    /// Stores a whole blob, already verified, as complete (one transaction; a held one is left as is).
    async fn blob_put_complete(&self, sha256: &str, data: &[u8]) -> DbResult<()>;
    /// The whole transfer form of a blob.
    async fn blob_data(&self, sha256: &str) -> DbResult<Option<Vec<u8>>>;
    /// Marks a blob verified and complete, or discards it (`ok` false: it failed verification).
    async fn blob_finish(&self, sha256: &str, ok: bool) -> DbResult<()>;
    /// Complete blobs with their row order after `after` (replication).
    async fn blobs_after(&self, after_rowid: i64, limit: i64) -> DbResult<Vec<(i64, String)>>;
    /// Change log entries after `cursor`.
    async fn changes_since(&self, cursor: i64, limit: i64) -> DbResult<Vec<ChangeRecord>>;
    /// Change log entries after `cursor` for a van's documents, not made by that van.
    async fn van_changes_since(&self, van_id: &str, cursor: i64, limit: i64) -> DbResult<Vec<ChangeRecord>>;
    /// A named replication checkpoint (0 if never set).
    async fn checkpoint(&self, name: &str) -> DbResult<i64>;
    /// Sets a replication checkpoint.
    async fn set_checkpoint(&self, name: &str, value: i64) -> DbResult<()>;
    /// Counts for the status page.
    async fn counts(&self, center: &str) -> DbResult<Counts>;
    /// Creates or replaces a staff account.
    async fn put_staff(&self, staff: &StaffRecord) -> DbResult<()>;
    /// A staff account by id.
    async fn staff(&self, id: &str) -> DbResult<Option<StaffRecord>>;
    /// Every staff account.
    async fn staff_list(&self) -> DbResult<Vec<StaffRecord>>;
    /// Stores a new session.
    async fn put_session(&self, session: &SessionRecord) -> DbResult<()>;
    /// A session by token hash.
    async fn session(&self, token_hash: &str) -> DbResult<Option<SessionRecord>>;
    /// Ends a session (and every expired one).
    async fn delete_session(&self, token_hash: &str, now: &str) -> DbResult<()>;
    /// Ends every session of a staff member (disabled account, new password).
    async fn delete_sessions_of(&self, staff_id: &str) -> DbResult<()>;
    /// Appends to the audit log.
    async fn audit(
        &self,
        at: &str,
        staff_id: &str,
        action: &str,
        target: Option<&str>,
        detail: Option<&str>,
    ) -> DbResult<()>;
    /// The audit log, newest first.
    async fn audit_log(&self, limit: i64) -> DbResult<Vec<AuditRecord>>;
    /// Records a van's contact (and its report, when it sent one).
    async fn touch_van(&self, van_id: &str, at: &str, report: Option<&str>) -> DbResult<()>;
    /// Every van's last contact.
    async fn van_contacts(&self) -> DbResult<Vec<VanContact>>;
    /// Documents per center and status.
    async fn queue_counts(&self) -> DbResult<Vec<QueueCount>>;
    /// A page of documents routed to `routed_to` in `status`, oldest change first.
    async fn list_documents(
        &self,
        routed_to: &str,
        status: &str,
        limit: i64,
        offset: i64,
    ) -> DbResult<Vec<DocumentSummary>>;
    /// Documents whose id starts with `prefix` (search), up to `limit`.
    async fn find_documents(&self, prefix: &str, limit: i64) -> DbResult<Vec<DocumentSummary>>;
    /// The appointment lists held for a van, by drive.
    async fn appointment_lists(&self, van_id: &str) -> DbResult<Vec<AppointmentRecord>>;
    /// Stores a drive's list unless the same or a newer version is held; returns whether it did.
    async fn put_appointment_list(&self, rec: &AppointmentRecord) -> DbResult<bool>;
    /// Removes every list whose drive ended before `today` (YYYY-MM-DD); returns how many.
    async fn purge_appointment_lists(&self, today: &str) -> DbResult<u64>;
}

//! Batch payloads (van → centers) and update payloads (center → van).

use chrono::{DateTime, Utc};
use qafila_domain::ApplicationId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{WireError, cbor};

/// Path of the signed `POST` by which a van asks a center to accept a batch whose envelope it sent
/// earlier (and got `202` for), now that the blobs are uploaded: the envelope crosses the link once.
pub const COMMIT_PATH: &str = "/v1/batches/commit";

/// The body of [`COMMIT_PATH`] (JSON): which batch, named by its sequence number and ciphertext.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchCommit {
    /// The batch's sequence number.
    pub seq: u64,
    /// SHA-256 of the envelope's ciphertext, lower-case hex.
    pub ciphertext_sha256: String,
}

impl BatchCommit {
    /// The commit naming sequence number `seq` and ciphertext hash `ct_hash`.
    pub fn new(seq: u64, ct_hash: &[u8; 32]) -> Self {
        BatchCommit {
            seq,
            ciphertext_sha256: hex::encode(ct_hash),
        }
    }

    /// The JSON body.
    pub fn to_json(&self) -> Vec<u8> {
        // A struct of a number and a string always serializes.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Parses a commit body into its sequence number and ciphertext hash; errors name the field.
    pub fn parse(body: &[u8]) -> Result<(u64, [u8; 32]), WireError> {
        let malformed = |reason: String| WireError::Malformed {
            what: "batch commit",
            reason,
        };
        let c: BatchCommit = serde_json::from_slice(body)
            .map_err(|e| malformed(format!("expected {{\"seq\": n, \"ciphertext_sha256\": hex}}: {e}")))?;
        let hash = hex::decode(&c.ciphertext_sha256)
            .ok()
            .and_then(|h| <[u8; 32]>::try_from(h).ok())
            .ok_or_else(|| malformed("ciphertext_sha256: not 64 hex digits".into()))?;
        Ok((c.seq, hash))
    }
}

/// What a van sends: the changes of many enrollments in one round trip.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchPayload {
    /// Protocol version.
    pub v: u16,
    /// The sending van (checked against the envelope after decryption).
    pub van_id: String,
    /// Dense per-van sequence number, from 1 (checked against the envelope).
    pub seq: u64,
    /// Unique id of this batch.
    pub batch_id: Uuid,
    /// The van's wall clock when the batch was built (may be wrong: informative only).
    pub van_clock: DateTime<Utc>,
    /// The van's monotonic counter (its journal length): orders batches whatever the clock says.
    pub van_counter: u64,
    /// The changed enrollments.
    pub documents: Vec<DocumentChanges>,
}

/// The changes of one enrollment document.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DocumentChanges {
    /// The application id.
    pub id: ApplicationId,
    /// Heads the sender believes the receiver has (empty: the whole document follows).
    pub since: Vec<String>,
    /// Automerge changes after `since` (an incremental save).
    #[serde(with = "serde_bytes")]
    #[schemars(with = "Vec<u8>")]
    pub changes: Vec<u8>,
    /// The sender's heads after these changes.
    pub heads: Vec<String>,
    /// Blobs the document refers to that the receiver needs.
    #[serde(default)]
    pub blobs: Vec<BlobManifest>,
}

/// A blob a document needs, and the size of its transfer form.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BlobManifest {
    /// SHA-256 of the plaintext (the record's reference).
    pub sha256: String,
    /// Size of the plaintext in bytes.
    pub size: u64,
}

/// What a center sends back to a van: changes made at the centers (rejections, recaptures, status).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdatePayload {
    /// Protocol version.
    pub v: u16,
    /// The center sending.
    pub center: String,
    /// The van the updates are for.
    pub van_id: String,
    /// Position in the center's update log after these updates (the van's next `since`).
    pub cursor: u64,
    /// The center's clock.
    pub server_time: DateTime<Utc>,
    /// The changed enrollments.
    pub documents: Vec<DocumentChanges>,
}

impl BatchPayload {
    /// Encodes as CBOR.
    pub fn to_bytes(&self) -> Vec<u8> {
        cbor::to_vec(self)
    }

    /// Decodes from CBOR.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, WireError> {
        let p: Self = cbor::from_slice(bytes, "batch payload")?;
        if p.v != crate::PROTOCOL_VERSION {
            return Err(WireError::Version(p.v));
        }
        Ok(p)
    }

    /// A digest of the content, to tell a replay from a different batch under the same number.
    pub fn digest(&self) -> [u8; 32] {
        Sha256::digest(self.to_bytes()).into()
    }
}

impl UpdatePayload {
    /// Encodes as CBOR.
    pub fn to_bytes(&self) -> Vec<u8> {
        cbor::to_vec(self)
    }

    /// Decodes from CBOR.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, WireError> {
        let p: Self = cbor::from_slice(bytes, "update payload")?;
        if p.v != crate::PROTOCOL_VERSION {
            return Err(WireError::Version(p.v));
        }
        Ok(p)
    }
}

/// What one center sends another when it replicates: documents, accepted batches and blob names.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplicationPayload {
    /// Protocol version.
    pub v: u16,
    /// The center sending.
    pub center: String,
    /// Change-log position after these documents.
    pub cursor: u64,
    /// Documents changed since the requested cursor (whole documents).
    pub documents: Vec<DocumentChanges>,
    /// Batches accepted since the requested batch cursor, with their receipts.
    pub batches: Vec<ReplicatedBatch>,
    /// Batch-log position after these batches.
    pub batch_cursor: u64,
    /// Complete blobs since the requested blob cursor (SHA-256 names).
    pub blobs: Vec<String>,
    /// Blob-log position after these blobs.
    pub blob_cursor: u64,
}

/// A batch a center accepted, as replicated to the other (so either honours the other's receipts).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplicatedBatch {
    /// The van.
    pub van_id: String,
    /// Its sequence number.
    pub seq: u64,
    /// Batch id.
    pub batch_id: Uuid,
    /// SHA-256 of the envelope ciphertext.
    #[serde(with = "serde_bytes")]
    #[schemars(with = "Vec<u8>")]
    pub ct_hash: Vec<u8>,
    /// SHA-256 of the payload.
    #[serde(with = "serde_bytes")]
    #[schemars(with = "Vec<u8>")]
    pub payload_digest: Vec<u8>,
    /// The signed receipt the accepting center issued.
    #[serde(with = "serde_bytes")]
    #[schemars(with = "Vec<u8>")]
    pub receipt: Vec<u8>,
    /// The center that accepted it.
    pub accepted_by: String,
}

impl ReplicationPayload {
    /// Encodes as CBOR.
    pub fn to_bytes(&self) -> Vec<u8> {
        cbor::to_vec(self)
    }

    /// Decodes from CBOR.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, WireError> {
        let p: Self = cbor::from_slice(bytes, "replication payload")?;
        if p.v != crate::PROTOCOL_VERSION {
            return Err(WireError::Version(p.v));
        }
        Ok(p)
    }
}

#[cfg(test)]
mod commit_tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn a_commit_reads_back_as_written(seq in any::<u64>(), hash in any::<[u8; 32]>()) {
            let body = BatchCommit::new(seq, &hash).to_json();
            prop_assert_eq!(BatchCommit::parse(&body).unwrap(), (seq, hash));
        }

        #[test]
        fn arbitrary_bytes_are_refused_by_name(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            if let Err(e) = BatchCommit::parse(&bytes) {
                prop_assert!(e.to_string().contains("batch commit"), "{}", e);
            }
        }

        #[test]
        fn a_hash_of_another_length_is_refused(seq in any::<u64>(), len in 0usize..64) {
            prop_assume!(len != 32);
            let body = format!("{{\"seq\": {seq}, \"ciphertext_sha256\": \"{}\"}}", "ab".repeat(len));
            let e = BatchCommit::parse(body.as_bytes()).unwrap_err().to_string();
            prop_assert!(e.contains("ciphertext_sha256"), "{}", e);
        }
    }
}

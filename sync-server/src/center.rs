//! The center's logic, independent of HTTP: ingest batches, take blob chunks, serve updates to
//! vans, record the center's own decisions, and replicate from the other center.

use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;
use std::sync::Arc;

use chrono::Utc;
use ed25519_dalek::VerifyingKey;
use qafila_doc::EnrollmentDoc;
use qafila_domain::{ApplicationId, Enrollment, Status};
use qafila_wire::{
    DocumentChanges, DocumentReceipt, Envelope, PROTOCOL_VERSION, Receipt, ReplicatedBatch, ReplicationPayload,
    SignedKeyRotation, SignedReceipt, UpdatePayload, WireError, blob, request,
};

use crate::config::{Peer, Routing};
use crate::db::{BatchRecord, BlobState, CenterDb, DbError, DocumentRecord, PendingBatch, RetiredVanKey, VanRecord};
use crate::keys::CenterKeys;

/// Why the center refused something; each maps to an HTTP status and a stable code.
#[derive(Debug, thiserror::Error)]
pub enum CenterError {
    /// The message is malformed, forged, or not for us.
    #[error(transparent)]
    Wire(#[from] WireError),
    /// The van is not registered.
    #[error("van {0:?} is not registered at this center")]
    UnknownVan(String),
    /// The van was revoked (stolen or retired): its data is refused from that moment on.
    #[error("van {0:?} is revoked; its batches are refused")]
    RevokedVan(String),
    /// A batch signed by a key the van retired, numbered at or after the rotation: only the new key
    /// signs those (whoever holds just the old key cannot send new batches).
    #[error(
        "van {van} batch {seq}: signed by a key the van retired; it signs only batches below {until}, later ones need the van's current key"
    )]
    RetiredKey {
        /// Van.
        van: String,
        /// The batch's sequence number.
        seq: u64,
        /// The first sequence number of the key's successor.
        until: u64,
    },
    /// A key rotation that contradicts one already recorded (the old key was handed to another key).
    #[error("van {van}: key rotation refused: {reason}")]
    KeyConflict {
        /// Van.
        van: String,
        /// What it contradicts.
        reason: String,
    },
    /// The same sequence number arrived with different content.
    #[error("van {van} already sent a different batch {seq}; refused and reported")]
    Conflict {
        /// Van.
        van: String,
        /// Sequence number.
        seq: u64,
    },
    /// A record inside a valid envelope is not a valid enrollment.
    #[error("enrollment {id} is not valid: {reason}")]
    InvalidRecord {
        /// Application id.
        id: String,
        /// Field and reason.
        reason: String,
    },
    /// Changes arrived that build on history this center lacks; the van must send the whole document.
    #[error("enrollment {0} builds on changes this center does not have: send the whole document")]
    MissingHistory(String),
    /// A blob upload is wrong.
    #[error("blob {sha}: {reason}")]
    Blob {
        /// Blob name.
        sha: String,
        /// What is wrong.
        reason: String,
    },
    /// A chunk does not continue the upload.
    #[error("upload offset {given} does not match the {held} bytes held")]
    Offset {
        /// Offset sent.
        given: i64,
        /// Bytes held.
        held: i64,
    },
    /// Not found.
    #[error("{0} not found")]
    NotFound(String),
    /// Storage failed.
    #[error("storage: {0}")]
    Db(DbError),
    /// A stored document could not be read.
    #[error("stored enrollment {0} is damaged")]
    Damaged(String),
    /// A review decision that does not apply (wrong center, already decided).
    #[error("{0}")]
    Review(String),
    /// Talking to the peer center failed.
    #[error("peer {peer}: {reason}")]
    Peer {
        /// Peer id.
        peer: String,
        /// What failed.
        reason: String,
    },
}

impl From<DbError> for CenterError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::Offset { given, held } => CenterError::Offset { given, held },
            other => CenterError::Db(other),
        }
    }
}

impl CenterError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            CenterError::Wire(w) => w.code(),
            CenterError::UnknownVan(_) => "unknown_van",
            CenterError::RevokedVan(_) => "revoked_van",
            CenterError::Conflict { .. } => "sequence_conflict",
            CenterError::RetiredKey { .. } => "retired_key",
            CenterError::KeyConflict { .. } => "key_conflict",
            CenterError::InvalidRecord { .. } => "invalid_record",
            CenterError::MissingHistory(_) => "missing_history",
            CenterError::Blob { .. } => "bad_blob",
            CenterError::Offset { .. } => "upload_offset",
            CenterError::NotFound(_) => "not_found",
            CenterError::Db(_) => "storage",
            CenterError::Damaged(_) => "damaged",
            CenterError::Peer { .. } => "peer",
            CenterError::Review(_) => "not_reviewable",
        }
    }
}

/// One chunk of a blob upload, as a `PATCH` carries it.
#[derive(Debug, Clone, Copy)]
pub struct BlobChunk<'a> {
    /// The blob's name (SHA-256 hex of its plaintext).
    pub sha: &'a str,
    /// Where the chunk starts in the transfer form.
    pub offset: i64,
    /// The transfer form's whole length.
    pub length: i64,
    /// The `Upload-Checksum` the van sent.
    pub checksum: &'a str,
    /// The bytes, hashed once.
    pub chunk: blob::Chunk<'a>,
}

/// The outcome of a batch.
#[derive(Debug)]
pub enum Ingested {
    /// Accepted (now or before): the signed receipt.
    Receipt(Vec<u8>),
    /// Valid, but these blobs must be uploaded first; send the batch again afterwards.
    NeedBlobs(Vec<String>),
}

/// A running center.
pub struct Center {
    /// This center's id.
    pub id: String,
    keys: CenterKeys,
    db: Arc<dyn CenterDb>,
    routing: Routing,
    peers: Vec<Peer>,
    // Merges read a document, change it and write it back: one writer at a time keeps that atomic.
    write: tokio::sync::Mutex<()>,
    budget: crate::limits::Budget,
    metrics: crate::metrics::Metrics,
    // Registered vans' keys, parsed once (a point decompression per signed upload otherwise); the row
    // is still read for every request, so a revocation made by another process counts at once.
    parsed_keys: std::sync::Mutex<std::collections::HashMap<[u8; 32], VerifyingKey>>,
    awaiting: crate::awaiting::Awaiting,
}

impl Center {
    /// A center over its keys and storage.
    pub fn new(keys: CenterKeys, db: Arc<dyn CenterDb>, routing: Routing, peers: Vec<Peer>) -> Center {
        Center {
            id: keys.center.clone(),
            keys,
            db,
            routing,
            peers,
            write: tokio::sync::Mutex::new(()),
            budget: crate::limits::Budget::new(crate::limits::Limits::default().memory_budget_mib),
            metrics: crate::metrics::Metrics::default(),
            parsed_keys: Default::default(),
            awaiting: Default::default(),
        }
    }

    /// The same center with these limits on request bodies.
    pub fn with_limits(mut self, limits: &crate::limits::Limits) -> Center {
        self.budget = crate::limits::Budget::new(limits.memory_budget_mib);
        self
    }

    /// The memory budget request bodies are read within.
    pub fn budget(&self) -> &crate::limits::Budget {
        &self.budget
    }

    /// The counters `/metrics` reports.
    pub fn metrics(&self) -> &crate::metrics::Metrics {
        &self.metrics
    }

    /// The storage.
    pub fn db(&self) -> &Arc<dyn CenterDb> {
        &self.db
    }

    /// The keys.
    pub fn keys(&self) -> &CenterKeys {
        &self.keys
    }

    /// Registers a van (its signing key and its age recipient for updates).
    pub async fn register_van(&self, id: &str, verifying_key_hex: &str, recipient: &str) -> Result<(), CenterError> {
        let key: [u8; 32] = hex::decode(verifying_key_hex)
            .ok()
            .and_then(|b| b.try_into().ok())
            .filter(|k| VerifyingKey::from_bytes(k).is_ok())
            .ok_or_else(|| CenterError::UnknownVan(format!("{id}: the key is not an ed25519 public key in hex")))?;
        age::x25519::Recipient::from_str(recipient)
            .map_err(|e| CenterError::UnknownVan(format!("{id}: not an age recipient: {e}")))?;
        let van = VanRecord {
            id: id.into(),
            verifying_key: key.to_vec(),
            recipient: recipient.into(),
            registered_at: Utc::now().to_rfc3339(),
            revoked_at: None,
        };
        Ok(self.db.put_van(&van).await?)
    }

    async fn active_van(&self, id: &str) -> Result<(VanRecord, VerifyingKey), CenterError> {
        let van = self
            .db
            .van(id)
            .await?
            .ok_or_else(|| CenterError::UnknownVan(id.into()))?;
        if van.revoked_at.is_some() {
            return Err(CenterError::RevokedVan(id.into()));
        }
        let key = van
            .verifying_key
            .as_slice()
            .try_into()
            .ok()
            .and_then(|k: [u8; 32]| self.parsed_key(k))
            .ok_or_else(|| CenterError::Damaged(format!("key of van {id}")))?;
        Ok((van, key))
    }

    fn parsed_key(&self, bytes: [u8; 32]) -> Option<VerifyingKey> {
        // A poisoned lock only means a panic elsewhere mid-insert: the map is still usable.
        let mut keys = self.parsed_keys.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(k) = keys.get(&bytes) {
            return Some(*k);
        }
        let key = VerifyingKey::from_bytes(&bytes).ok()?;
        // Only keys stored in the registry get here; the bound is for safety, not expected to bite.
        if keys.len() >= 10_000 {
            keys.clear();
        }
        keys.insert(bytes, key);
        Some(key)
    }

    /// Records a van's key rotation statement (`POST /v1/vans/{van}/key`).
    ///
    /// The statement must be signed by the van's registered key and by the new key; the new key
    /// becomes the van's key for signed requests and for batches from the declared first sequence
    /// number, and the old key is kept as retired, good only for batches below that number. Sending a
    /// statement already recorded changes nothing and succeeds.
    pub async fn rotate_van_key(&self, van_id: &str, bytes: &[u8]) -> Result<(), CenterError> {
        let signed = SignedKeyRotation::from_bytes(bytes)?;
        let r = signed.verify()?;
        if r.van_id != van_id {
            return Err(WireError::Mismatch {
                field: "van_id",
                inside: r.van_id,
                outside: van_id.into(),
            }
            .into());
        }
        let until_seq = i64::try_from(r.first_seq).map_err(|_| WireError::Malformed {
            what: "key rotation",
            reason: format!("first_seq: {} is out of range", r.first_seq),
        })?;
        // One rotation at a time: the check below and the write must see the same state.
        let _guard = self.write.lock().await;
        let (van, _) = self.active_van(van_id).await?;
        let retired = self.db.retired_van_keys(van_id).await?;
        let conflict = |reason: String| CenterError::KeyConflict {
            van: van_id.into(),
            reason,
        };
        if let Some(k) = retired.iter().find(|k| k.verifying_key == r.old_key) {
            // Sent again (the van resends its statements at every sync): the same hand-over is a no-op.
            if k.successor == r.new_key && k.until_seq == until_seq {
                return Ok(());
            }
            return Err(conflict(format!(
                "old_key was already handed over to {} from batch {}",
                hex::encode(&k.successor),
                k.until_seq
            )));
        }
        // A van registered here after it rotated is known by its new key already; the statement still
        // tells which batches its old key signed (those built before the rotation, not yet receipted).
        if van.verifying_key != r.old_key && van.verifying_key != r.new_key {
            // Signed by keys that are neither the van's key nor one it retired: a forgery, or a van
            // registered again with another key.
            return Err(WireError::BadSignature("key rotation").into());
        }
        if retired.iter().any(|k| k.verifying_key == r.new_key) {
            return Err(conflict("new_key: the van already used and retired it".into()));
        }
        let rec = RetiredVanKey {
            van_id: van_id.into(),
            verifying_key: r.old_key.clone(),
            until_seq,
            successor: r.new_key.clone(),
            retired_at: Utc::now().to_rfc3339(),
            statement: bytes.to_vec(),
        };
        if !self.db.rotate_van_key(&rec).await? {
            // Revoked or re-registered between the read and the write.
            return Err(conflict(
                "the van's registration changed meanwhile; send it again".into(),
            ));
        }
        self.touch_van(van_id).await?;
        tracing::info!(
            van = %van_id,
            old = %hex::encode(&r.old_key),
            new = %hex::encode(&r.new_key),
            first_seq = r.first_seq,
            "van key rotated"
        );
        Ok(())
    }

    /// The key that signed a batch: the van's current key, or a key it retired if the batch is
    /// numbered below the rotation (built before it, or a replay of one).
    async fn batch_key(
        &self,
        van: &VanRecord,
        current: VerifyingKey,
        env: &Envelope,
    ) -> Result<VerifyingKey, CenterError> {
        if env.verify(&current).is_ok() {
            return Ok(current);
        }
        for k in self.db.retired_van_keys(&van.id).await? {
            let Some(key) = k
                .verifying_key
                .as_slice()
                .try_into()
                .ok()
                .and_then(|b: [u8; 32]| VerifyingKey::from_bytes(&b).ok())
            else {
                continue;
            };
            if env.verify(&key).is_ok() {
                let until = u64::try_from(k.until_seq).unwrap_or(0);
                if env.seq < until {
                    return Ok(key);
                }
                tracing::warn!(van = %van.id, seq = env.seq, until, "a batch signed by a retired key was refused");
                return Err(CenterError::RetiredKey {
                    van: van.id.clone(),
                    seq: env.seq,
                    until,
                });
            }
        }
        Err(WireError::BadSignature("batch").into())
    }

    fn decrypt_doc(&self, rec: &DocumentRecord) -> Result<EnrollmentDoc, CenterError> {
        let plain =
            qafila_wire::envelope::decrypt_with(&self.keys.identities, &rec.doc, qafila_wire::MAX_ENVELOPE_BYTES)
                .map_err(|_| CenterError::Damaged(rec.id.clone()))?;
        EnrollmentDoc::load(&plain, self.id.as_bytes()).map_err(|_| CenterError::Damaged(rec.id.clone()))
    }

    fn store_doc(&self, doc: &mut EnrollmentDoc, van_id: &str) -> Result<DocumentRecord, CenterError> {
        let record = doc.record().map_err(|e| CenterError::Damaged(e.to_string()))?;
        self.store_record(doc, &record, van_id, None)
    }

    /// [`Center::store_doc`] with the document's record already read (reading it is most of the cost).
    /// `loaded_from` is the bytes a new document was just loaded from, with nothing added since: they
    /// are stored as they are, since saving the document again would give the same changes.
    fn store_record(
        &self,
        doc: &mut EnrollmentDoc,
        record: &Enrollment,
        van_id: &str,
        loaded_from: Option<&[u8]>,
    ) -> Result<DocumentRecord, CenterError> {
        let saved;
        let bytes = match loaded_from {
            Some(b) => b,
            None => {
                saved = doc.save();
                &saved
            }
        };
        let ct = qafila_wire::envelope::encrypt_to(&[self.keys.recipient()], bytes)?;
        Ok(DocumentRecord {
            id: record.application.id.to_string(),
            van_id: van_id.into(),
            routed_to: self.routing.route(record),
            status: record.application.status.name().into(),
            doc: ct,
            heads: doc.heads_hex().join(","),
            updated_at: Utc::now().to_rfc3339(),
        })
    }

    /// Verifies, decrypts and merges a van's batch and returns the signed receipt.
    ///
    /// Replaying a batch returns its original receipt; a different batch under a used sequence
    /// number is refused. Nothing is stored unless every document is valid and every blob is here.
    pub async fn ingest(&self, bytes: &[u8]) -> Result<Ingested, CenterError> {
        let env = Envelope::from_bytes(bytes)?;
        let (van, key) = self.active_van(&env.sender).await?;
        let seq = i64::try_from(env.seq).map_err(|_| WireError::Malformed {
            what: "envelope",
            reason: "seq".into(),
        })?;
        let ct_hash = env.ciphertext_hash().to_vec();
        let earlier = self.db.batch(&van.id, seq).await?;
        if let Some(b) = &earlier
            && b.ct_hash == ct_hash
        {
            return Ok(Ingested::Receipt(b.receipt.clone()));
        }
        let key = self.batch_key(&van, key, &env).await?;
        let payload = env.open_batch(&key, &self.keys.identities)?;
        let digest = payload.digest().to_vec();
        if let Some(b) = earlier {
            if b.payload_digest == digest {
                return Ok(Ingested::Receipt(b.receipt));
            }
            tracing::warn!(van = %van.id, seq, "a different batch was sent under a sequence number already used");
            return Err(CenterError::Conflict {
                van: van.id,
                seq: env.seq,
            });
        }

        let wanted: Vec<String> = payload
            .documents
            .iter()
            .flat_map(|d| d.blobs.iter().map(|b| b.sha256.clone()))
            .collect();
        let missing: BTreeSet<String> = self.lacking(&wanted).await?.into_iter().collect();
        if !missing.is_empty() {
            // The civil data is here before the biometrics: keep it, so the center knows of these
            // applicants now and the van need not send the envelope again once the blobs are in.
            self.db
                .put_pending(&PendingBatch {
                    van_id: van.id.clone(),
                    seq,
                    ct_hash,
                    envelope: bytes.to_vec(),
                    documents: payload.documents.len() as i64,
                    received_at: Utc::now().to_rfc3339(),
                })
                .await?;
            tracing::info!(
                van = %van.id,
                seq,
                documents = payload.documents.len(),
                blobs_missing = missing.len(),
                "batch held until its blobs arrive"
            );
            let missing: Vec<String> = missing.into_iter().collect();
            self.awaiting.hold(&van.id, env.seq, &env.ciphertext_hash(), &missing);
            return Ok(Ingested::NeedBlobs(missing));
        }

        let _guard = self.write.lock().await;
        if let Some(b) = self.db.batch(&van.id, seq).await? {
            return Ok(Ingested::Receipt(b.receipt));
        }
        let mut held = self.held(&payload.documents).await?;
        let today = Utc::now().date_naive();
        let mut docs = Vec::with_capacity(payload.documents.len());
        let mut receipts = Vec::with_capacity(payload.documents.len());
        for d in &payload.documents {
            let id = d.id.to_string();
            let invalid = |reason: String| CenterError::InvalidRecord { id: id.clone(), reason };
            let (mut doc, loaded_from) = match held.remove(&id) {
                Some(rec) => {
                    if rec.van_id != van.id {
                        return Err(invalid(format!("application.van_id: it belongs to van {}", rec.van_id)));
                    }
                    let mut doc = self.decrypt_doc(&rec)?;
                    doc.apply(&d.changes).map_err(|e| invalid(e.to_string()))?;
                    (doc, None)
                }
                None if !d.since.is_empty() => return Err(CenterError::MissingHistory(id)),
                None => (
                    EnrollmentDoc::load(&d.changes, self.id.as_bytes()).map_err(|e| invalid(e.to_string()))?,
                    Some(d.changes.as_slice()),
                ),
            };
            if doc.has_missing_deps() {
                return Err(CenterError::MissingHistory(id));
            }
            let record = doc.record().map_err(|e| invalid(e.to_string()))?;
            if record.application.id != d.id {
                return Err(invalid(format!(
                    "application.id: the document holds {}",
                    record.application.id
                )));
            }
            if record.application.van_id != van.id {
                return Err(invalid(format!(
                    "application.van_id: {} is not the sending van",
                    record.application.van_id
                )));
            }
            if let Some(p) = qafila_domain::validate(&record, today).first() {
                return Err(invalid(p.to_string()));
            }
            let rec = self.store_record(&mut doc, &record, &van.id, loaded_from)?;
            receipts.push(DocumentReceipt {
                id: d.id,
                heads: doc.heads_hex(),
                routed_to: rec.routed_to.clone(),
            });
            docs.push(rec);
        }
        let before = self.db.acked_through(&van.id).await?;
        let receipt = Receipt {
            v: PROTOCOL_VERSION,
            center: self.id.clone(),
            van_id: van.id.clone(),
            seq_from: payload.seq,
            seq_to: payload.seq,
            batch_id: payload.batch_id,
            acked_through: if seq == before + 1 { payload.seq } else { before as u64 },
            documents: receipts,
            server_time: Utc::now(),
        };
        let signed = SignedReceipt::sign(&receipt, &self.keys.signing).to_bytes();
        let batch = BatchRecord {
            van_id: van.id.clone(),
            seq,
            batch_id: payload.batch_id.to_string(),
            ct_hash,
            payload_digest: digest,
            receipt: signed.clone(),
            accepted_by: self.id.clone(),
            received_at: Utc::now().to_rfc3339(),
        };
        self.db.commit_batch(&batch, &docs, &format!("van:{}", van.id)).await?;
        self.awaiting.done(&van.id, env.seq);
        self.metrics.batch_accepted(docs.len());
        self.touch_van(&van.id).await?;
        tracing::info!(van = %van.id, seq, documents = docs.len(), "batch accepted");
        Ok(Ingested::Receipt(signed))
    }

    /// Ingests the batch `seq` that `van_id` sent earlier and the center holds pending, now that its
    /// blobs should be in: the same answer as posting the envelope again, without its bytes. A batch
    /// already accepted under that ciphertext answers its receipt; one the center does not hold (or
    /// holds under another ciphertext) is [`CenterError::NotFound`], and the van sends it whole.
    pub async fn commit_pending(&self, van_id: &str, seq: u64, ct_hash: &[u8]) -> Result<Ingested, CenterError> {
        let unknown = || {
            CenterError::NotFound(format!(
                "batch {seq} of van {van_id}: not held pending here, send it whole"
            ))
        };
        let seq = i64::try_from(seq).map_err(|_| unknown())?;
        if let Some(b) = self.db.batch(van_id, seq).await?
            && b.ct_hash == ct_hash
        {
            return Ok(Ingested::Receipt(b.receipt));
        }
        match self.db.pending(van_id, seq).await? {
            Some(p) if p.ct_hash == ct_hash => self.ingest(&p.envelope).await,
            _ => Err(unknown()),
        }
    }

    /// Checks a van's signed request (blob uploads, update pulls) and returns the van.
    pub async fn authenticate_van(
        &self,
        sender: &str,
        method: &str,
        path_and_query: &str,
        body: &[u8],
        signature: &str,
    ) -> Result<VanRecord, CenterError> {
        self.authenticate_van_hashed(sender, method, path_and_query, &request::body_sha256(body), signature)
            .await
    }

    /// [`Center::authenticate_van`] for a body whose SHA-256 is already known (an upload's [`blob::Chunk`]).
    pub async fn authenticate_van_hashed(
        &self,
        sender: &str,
        method: &str,
        path_and_query: &str,
        body_sha256: &[u8; 32],
        signature: &str,
    ) -> Result<VanRecord, CenterError> {
        let (van, key) = self.active_van(sender).await?;
        request::verify_hashed(&key, method, path_and_query, body_sha256, signature)?;
        Ok(van)
    }

    /// Checks a peer center's signed request.
    pub fn authenticate_peer(
        &self,
        sender: &str,
        method: &str,
        path: &str,
        signature: &str,
    ) -> Result<&Peer, CenterError> {
        let peer = self
            .peers
            .iter()
            .find(|p| p.id == sender)
            .ok_or_else(|| CenterError::NotFound(format!("peer {sender}")))?;
        let key = peer_key(peer)?;
        request::verify(&key, method, path, &[], signature)?;
        Ok(peer)
    }

    /// Which of these blobs (a batch's, asked by its van before it is posted) this center lacks, each
    /// named once, in the order asked. Sending the envelope only to learn this would cost its bytes twice.
    pub async fn missing_blobs(&self, names: &[String]) -> Result<Vec<String>, CenterError> {
        if names.len() > blob::MAX_MISSING_QUERY {
            return Err(CenterError::Wire(WireError::TooLarge {
                what: "blobs",
                size: names.len(),
                limit: blob::MAX_MISSING_QUERY,
            }));
        }
        self.lacking(names).await
    }

    /// The names not held complete, each once, in the order given; a name that is not a SHA-256 is refused.
    async fn lacking(&self, names: &[String]) -> Result<Vec<String>, CenterError> {
        if let Some(bad) = names.iter().find(|n| !blob::is_sha256_hex(n)) {
            return Err(CenterError::Blob {
                sha: bad.clone(),
                reason: "not a SHA-256 name".into(),
            });
        }
        let held = self.db.complete_blobs(names).await?;
        let mut seen = BTreeSet::new();
        Ok(names
            .iter()
            .filter(|n| !held.contains(*n) && seen.insert(n.as_str()))
            .cloned()
            .collect())
    }

    /// How much of a blob is held.
    pub async fn blob_state(&self, sha: &str) -> Result<BlobState, CenterError> {
        if !blob::is_sha256_hex(sha) {
            return Err(CenterError::Blob {
                sha: sha.into(),
                reason: "not a SHA-256 name".into(),
            });
        }
        Ok(self.db.blob_state(sha).await?.unwrap_or_default())
    }

    /// Appends a chunk that `van` uploads, as [`Center::blob_chunk`]. When the chunk completes its
    /// blob and the van asks to commit batch `commit` with it, a batch held pending that now lacks
    /// nothing is accepted, and its receipt comes back with the state: the van need not send its
    /// commit. A batch that cannot be accepted yet (or at all) is left for that commit to report.
    pub async fn van_blob_chunk(
        &self,
        van: &VanRecord,
        upload: BlobChunk<'_>,
        commit: Option<u64>,
    ) -> Result<(BlobState, Option<Vec<u8>>), CenterError> {
        let sha = upload.sha;
        let state = self
            .blob_chunk(sha, upload.offset, upload.length, upload.checksum, upload.chunk)
            .await?;
        if !state.complete {
            return Ok((state, None));
        }
        let (Some(seq), Some(ct_hash)) = (commit, self.awaiting.arrived(&van.id, sha, commit)) else {
            return Ok((state, None));
        };
        match self.commit_pending(&van.id, seq, &ct_hash).await {
            Ok(Ingested::Receipt(r)) => Ok((state, Some(r))),
            Ok(Ingested::NeedBlobs(_)) => Ok((state, None)),
            Err(e) => {
                // The van's own commit gets the refusal with its message; the log keeps only the code.
                tracing::info!(van = %van.id, seq, code = e.code(), "batch not accepted with its last blob");
                Ok((state, None))
            }
        }
    }

    /// Keeps the part of a chunk that arrived before its link was cut (`received`, from `offset`),
    /// so the van, asking with `HEAD`, resumes after it instead of sending the whole chunk again.
    ///
    /// The request's head was signed by the van (its signature covers the checksum of the whole
    /// chunk, which cannot be checked on a part); over TLS the bytes that arrived are the van's. The
    /// blob is checked against its name once complete, as every blob is, and discarded if it fails.
    /// A part that would complete the blob is not kept: only a whole chunk can do that.
    pub async fn keep_cut_chunk(&self, van: &VanRecord, sha: &str, offset: i64, length: i64, received: &[u8]) {
        let fits = offset >= 0 && offset.saturating_add(received.len() as i64) < length;
        if received.is_empty() || !fits || !blob::is_sha256_hex(sha) || length as u64 > blob::MAX_BLOB_BYTES {
            return;
        }
        match self.db.blob_append(sha, offset, length, received).await {
            Ok(state) if !state.complete => {
                self.metrics.cut_chunk_kept(received.len());
                tracing::debug!(van = %van.id, kept = received.len(), "kept the part of a chunk cut off by the link");
            }
            Ok(_) => {}
            // Another upload of the same blob got there first (an offset the van will be told of).
            Err(e) => tracing::debug!(van = %van.id, error = %e, "part of a cut chunk not kept"),
        }
    }

    /// Appends an upload chunk; a complete blob is decrypted and checked against its name.
    pub async fn blob_chunk(
        &self,
        sha: &str,
        offset: i64,
        length: i64,
        checksum: &str,
        chunk: blob::Chunk<'_>,
    ) -> Result<BlobState, CenterError> {
        let bad = |reason: &str| CenterError::Blob {
            sha: sha.into(),
            reason: reason.into(),
        };
        if !blob::is_sha256_hex(sha) {
            return Err(bad("not a SHA-256 name"));
        }
        if length <= 0 || length as u64 > blob::MAX_BLOB_BYTES {
            return Err(bad("declared length is zero or over the limit"));
        }
        let claimed = blob::parse_checksum(checksum).map_err(|e| bad(&e.to_string()))?;
        if claimed != *chunk.sha256() {
            return Err(bad("chunk checksum mismatch (damaged in transit): resend it"));
        }
        // A blob sent in one piece (most are) is checked in memory and stored complete in one go; if
        // the center already holds it, the store keeps the held one. Not asking first saves a database
        // round trip per upload, and a blob sent twice (a reply lost to a cut) is rare.
        if offset == 0 && chunk.bytes().len() as i64 == length {
            blob::verify(&self.keys.identities, chunk.bytes(), sha)
                .map_err(|e| bad(&format!("{e}; nothing was stored")))?;
            self.db.blob_put_complete(sha, chunk.bytes()).await?;
            return Ok(BlobState {
                received: length,
                length: Some(length),
                complete: true,
            });
        }
        let state = self.db.blob_append(sha, offset, length, chunk.bytes()).await?;
        if state.complete || state.received < length {
            return Ok(state);
        }
        // The whole transfer form is read back to be checked: it counts against the memory budget.
        let _room = self.budget.reserve(length as u64).await;
        let data = self
            .db
            .blob_data(sha)
            .await?
            .ok_or_else(|| CenterError::NotFound(format!("blob {sha}")))?;
        match blob::verify(&self.keys.identities, &data, sha) {
            Ok(_) => {
                self.db.blob_finish(sha, true).await?;
                Ok(BlobState {
                    received: length,
                    length: Some(length),
                    complete: true,
                })
            }
            Err(e) => {
                self.db.blob_finish(sha, false).await?;
                Err(bad(&format!("{e}; the upload was discarded")))
            }
        }
    }

    /// Changes made at the centers to a van's enrollments since `since`, sealed for the van.
    pub async fn updates_for(&self, van: &VanRecord, since: i64) -> Result<Option<Vec<u8>>, CenterError> {
        let changes = self.db.van_changes_since(&van.id, since, 500).await?;
        let Some(cursor) = changes.iter().map(|c| c.seq).max() else {
            return Ok(None);
        };
        let ids: Vec<String> = changes
            .iter()
            .map(|c| c.doc_id.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let documents = self.whole_documents(&ids).await?;
        let payload = UpdatePayload {
            v: PROTOCOL_VERSION,
            center: self.id.clone(),
            van_id: van.id.clone(),
            cursor: cursor as u64,
            server_time: Utc::now(),
            documents,
        };
        let recipient = age::x25519::Recipient::from_str(&van.recipient)
            .map_err(|_| CenterError::Damaged(format!("recipient of {}", van.id)))?;
        Ok(Some(
            Envelope::seal_updates(&payload, &recipient, &self.keys.signing)?.to_bytes(),
        ))
    }

    /// This center's copies of the documents that arrived, by id.
    async fn held(&self, arriving: &[DocumentChanges]) -> Result<BTreeMap<String, DocumentRecord>, CenterError> {
        let ids: Vec<String> = arriving.iter().map(|d| d.id.to_string()).collect();
        Ok(self
            .db
            .documents(&ids)
            .await?
            .into_iter()
            .map(|d| (d.id.clone(), d))
            .collect())
    }

    /// The documents with these ids, whole, as they travel to a van or the peer.
    async fn whole_documents(&self, ids: &[String]) -> Result<Vec<DocumentChanges>, CenterError> {
        let mut documents = Vec::new();
        for rec in self.db.documents(ids).await? {
            let mut doc = self.decrypt_doc(&rec)?;
            let id = ApplicationId::from_str(&rec.id).map_err(|_| CenterError::Damaged(rec.id.clone()))?;
            documents.push(DocumentChanges {
                id,
                since: vec![],
                changes: doc.save(),
                heads: doc.heads_hex(),
                blobs: vec![],
            });
        }
        Ok(documents)
    }

    /// One stored enrollment and its decrypted document.
    async fn stored(&self, id: &str) -> Result<(DocumentRecord, EnrollmentDoc), CenterError> {
        let rec = self
            .db
            .documents(&[id.to_owned()])
            .await?
            .pop()
            .ok_or_else(|| CenterError::NotFound(format!("enrollment {id}")))?;
        let doc = self.decrypt_doc(&rec)?;
        Ok((rec, doc))
    }

    /// Records a center decision on an enrollment (recapture request, rejection, acceptance, card status).
    pub async fn decide(&self, id: &str, status: Status) -> Result<(), CenterError> {
        let _guard = self.write.lock().await;
        let (rec, mut doc) = self.stored(id).await?;
        let mut record = doc.record().map_err(|_| CenterError::Damaged(id.into()))?;
        record.application.status = status;
        doc.update(&record).map_err(|_| CenterError::Damaged(id.into()))?;
        let stored = self.store_doc(&mut doc, &rec.van_id)?;
        self.db.put_documents(&[stored], &format!("center:{}", self.id)).await?;
        Ok(())
    }

    /// Records a van's status report (a signed request) and its contact.
    pub async fn van_report(&self, van: &VanRecord, body: &[u8]) -> Result<(), CenterError> {
        let report = qafila_wire::report::VanReport::from_json(body)?;
        let json = serde_json::to_string(&report).map_err(|e| CenterError::Damaged(e.to_string()))?;
        self.db
            .touch_van(&van.id, &Utc::now().to_rfc3339(), Some(&json))
            .await?;
        Ok(())
    }

    /// Records that a van was heard from.
    pub async fn touch_van(&self, van_id: &str) -> Result<(), CenterError> {
        Ok(self.db.touch_van(van_id, &Utc::now().to_rfc3339(), None).await?)
    }

    /// A blob's plaintext (a portrait, a fingerprint), decrypted with this center's keys.
    pub async fn blob_plain(&self, sha: &str) -> Result<Vec<u8>, CenterError> {
        if !self.blob_state(sha).await?.complete {
            return Err(CenterError::NotFound(format!("blob {sha}")));
        }
        let transfer = self
            .db
            .blob_data(sha)
            .await?
            .ok_or_else(|| CenterError::NotFound(format!("blob {sha}")))?;
        Ok(blob::open(&self.keys.identities, &transfer, sha)?)
    }

    /// A reviewer's decision on an application routed to this center, still waiting for review.
    pub async fn review(&self, id: &str, status: Status) -> Result<(), CenterError> {
        let _guard = self.write.lock().await;
        let (rec, mut doc) = self.stored(id).await?;
        if rec.routed_to != self.id {
            return Err(CenterError::Review(format!(
                "application {id} is routed to {}: review it there",
                rec.routed_to
            )));
        }
        let mut record = doc.record().map_err(|_| CenterError::Damaged(id.into()))?;
        if !crate::queue::awaits_review(record.application.status.name()) {
            return Err(CenterError::Review(format!(
                "application {id} is {}, not waiting for review",
                record.application.status.name()
            )));
        }
        record.application.status = status;
        doc.update(&record).map_err(|_| CenterError::Damaged(id.into()))?;
        let stored = self.store_doc(&mut doc, &rec.van_id)?;
        self.db.put_documents(&[stored], &format!("center:{}", self.id)).await?;
        Ok(())
    }

    /// Records what became of an accepted application's card: printed, then delivered.
    pub async fn card_status(&self, id: &str, status: Status) -> Result<(), CenterError> {
        let _guard = self.write.lock().await;
        let (rec, mut doc) = self.stored(id).await?;
        let mut record = doc.record().map_err(|_| CenterError::Damaged(id.into()))?;
        let allowed = matches!(
            (&record.application.status, &status),
            (Status::Accepted, Status::CardPrinted) | (Status::CardPrinted, Status::Delivered)
        );
        if !allowed {
            return Err(CenterError::Review(format!(
                "application {id} is {}: a card can be marked printed once accepted, and delivered once printed",
                record.application.status.name()
            )));
        }
        record.application.status = status;
        doc.update(&record).map_err(|_| CenterError::Damaged(id.into()))?;
        let stored = self.store_doc(&mut doc, &rec.van_id)?;
        self.db.put_documents(&[stored], &format!("center:{}", self.id)).await?;
        Ok(())
    }

    /// The enrollment as this center holds it.
    pub async fn enrollment(&self, id: &str) -> Result<(qafila_domain::Enrollment, Vec<String>, String), CenterError> {
        let (rec, mut doc) = self.stored(id).await?;
        let record = doc.record().map_err(|_| CenterError::Damaged(id.into()))?;
        Ok((record, doc.heads_hex(), rec.routed_to))
    }

    /// What this center sends a peer that asks for its changes since the given cursors.
    pub async fn replication_for(
        &self,
        peer: &Peer,
        changes: i64,
        batches: i64,
        blobs: i64,
    ) -> Result<Vec<u8>, CenterError> {
        let echo = format!("peer:{}", peer.id);
        let log = self.db.changes_since(changes, 500).await?;
        let cursor = log.iter().map(|c| c.seq).max().unwrap_or(changes);
        let ids: Vec<String> = log
            .iter()
            .filter(|c| c.origin != echo)
            .map(|c| c.doc_id.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let documents = self.whole_documents(&ids).await?;
        let batch_rows = self.db.batches_after(batches, 1000).await?;
        let batch_cursor = batch_rows.iter().map(|(r, _)| *r).max().unwrap_or(batches);
        let blob_rows = self.db.blobs_after(blobs, 1000).await?;
        let blob_cursor = blob_rows.iter().map(|(r, _)| *r).max().unwrap_or(blobs);
        let payload = ReplicationPayload {
            v: PROTOCOL_VERSION,
            center: self.id.clone(),
            cursor: cursor as u64,
            documents,
            batches: batch_rows
                .into_iter()
                .filter_map(|(_, b)| {
                    Some(ReplicatedBatch {
                        van_id: b.van_id,
                        seq: u64::try_from(b.seq).ok()?,
                        batch_id: uuid::Uuid::from_str(&b.batch_id).ok()?,
                        ct_hash: b.ct_hash,
                        payload_digest: b.payload_digest,
                        receipt: b.receipt,
                        accepted_by: b.accepted_by,
                    })
                })
                .collect(),
            batch_cursor: batch_cursor as u64,
            blobs: blob_rows.into_iter().map(|(_, s)| s).collect(),
            blob_cursor: blob_cursor as u64,
        };
        let recipient = age::x25519::Recipient::from_str(&peer.recipient)
            .map_err(|_| CenterError::Damaged(format!("recipient of {}", peer.id)))?;
        Ok(Envelope::seal_replication(&payload, &recipient, &self.keys.signing)?.to_bytes())
    }

    /// One replication round from every peer: documents merged, batches and blobs copied. Returns
    /// how many documents, batches and blobs arrived.
    pub async fn replicate_once(&self, client: &reqwest::Client) -> Result<(usize, usize, usize), CenterError> {
        let mut totals = (0, 0, 0);
        for peer in self.peers.clone() {
            loop {
                let (got, moved) = self.replicate_from(client, &peer).await?;
                totals = (totals.0 + got.0, totals.1 + got.1, totals.2 + got.2);
                if !moved {
                    break;
                }
            }
        }
        Ok(totals)
    }

    async fn replicate_from(
        &self,
        client: &reqwest::Client,
        peer: &Peer,
    ) -> Result<((usize, usize, usize), bool), CenterError> {
        let fail = |reason: String| CenterError::Peer {
            peer: peer.id.clone(),
            reason,
        };
        let (kc, kb, kl) = (
            format!("{}:changes", peer.id),
            format!("{}:batches", peer.id),
            format!("{}:blobs", peer.id),
        );
        let (c, b, l) = (
            self.db.checkpoint(&kc).await?,
            self.db.checkpoint(&kb).await?,
            self.db.checkpoint(&kl).await?,
        );
        let path = format!("/v1/replication?changes={c}&batches={b}&blobs={l}");
        let body = self.peer_get(client, peer, &path).await?;
        let env = Envelope::from_bytes(&body)?;
        if env.sender != peer.id {
            return Err(fail(format!("answered as {}", env.sender)));
        }
        let p = env.open_replication(&peer_key(peer)?, &self.keys.identities)?;

        // Blobs first: a document is never held here without the blobs it needs.
        let mut blobs = 0;
        for sha in &p.blobs {
            if !blob::is_sha256_hex(sha) || self.db.blob_state(sha).await?.is_some_and(|s| s.complete) {
                continue;
            }
            let data = self
                .peer_get(client, peer, &format!("/v1/replication/blobs/{sha}"))
                .await?;
            blob::open(&self.keys.identities, &data, sha).map_err(|e| fail(format!("blob {sha}: {e}")))?;
            self.db.blob_finish(sha, false).await?;
            self.db.blob_append(sha, 0, data.len() as i64, &data).await?;
            self.db.blob_finish(sha, true).await?;
            blobs += 1;
        }
        let n_docs = p.documents.len();
        if n_docs > 0 {
            let _guard = self.write.lock().await;
            let mut held = self.held(&p.documents).await?;
            let mut out = Vec::new();
            for d in &p.documents {
                let id = d.id.to_string();
                let (mut doc, van_id) = match held.remove(&id) {
                    Some(rec) => {
                        let mut doc = self.decrypt_doc(&rec)?;
                        doc.apply(&d.changes).map_err(|e| fail(format!("document {id}: {e}")))?;
                        (doc, rec.van_id)
                    }
                    None => {
                        let doc = EnrollmentDoc::load(&d.changes, self.id.as_bytes())
                            .map_err(|e| fail(format!("document {id}: {e}")))?;
                        let van = doc
                            .record()
                            .map(|r| r.application.van_id)
                            .map_err(|e| fail(format!("document {id}: {e}")))?;
                        (doc, van)
                    }
                };
                out.push(self.store_doc(&mut doc, &van_id)?);
            }
            self.db.put_documents(&out, &format!("peer:{}", peer.id)).await?;
        }
        let n_batches = p.batches.len();
        for rb in p.batches {
            let batch = BatchRecord {
                van_id: rb.van_id,
                seq: i64::try_from(rb.seq).map_err(|_| fail("batch seq out of range".into()))?,
                batch_id: rb.batch_id.to_string(),
                ct_hash: rb.ct_hash,
                payload_digest: rb.payload_digest,
                receipt: rb.receipt,
                accepted_by: rb.accepted_by,
                received_at: Utc::now().to_rfc3339(),
            };
            self.db.commit_batch(&batch, &[], "peer").await?;
        }
        self.db.set_checkpoint(&kc, p.cursor as i64).await?;
        self.db.set_checkpoint(&kb, p.batch_cursor as i64).await?;
        self.db.set_checkpoint(&kl, p.blob_cursor as i64).await?;
        let moved = p.cursor as i64 != c || p.batch_cursor as i64 != b || p.blob_cursor as i64 != l;
        Ok(((n_docs, n_batches, blobs), moved))
    }

    async fn peer_get(&self, client: &reqwest::Client, peer: &Peer, path: &str) -> Result<Vec<u8>, CenterError> {
        let fail = |reason: String| CenterError::Peer {
            peer: peer.id.clone(),
            reason,
        };
        let sig = request::sign(&self.keys.signing, "GET", path, &[]);
        let resp = client
            .get(format!("{}{path}", peer.url.trim_end_matches('/')))
            .header(request::SENDER, &self.id)
            .header(request::SIGNATURE, sig)
            .send()
            .await
            .map_err(|e| fail(qafila_wire::tls::with_causes(&e)))?;
        if !resp.status().is_success() {
            let status = resp.status();
            let text = resp.text().await.unwrap_or_default();
            return Err(fail(format!("{status}: {text}")));
        }
        Ok(resp.bytes().await.map_err(|e| fail(e.to_string()))?.to_vec())
    }
}

fn peer_key(peer: &Peer) -> Result<VerifyingKey, CenterError> {
    hex::decode(&peer.verifying_key)
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .and_then(|k| VerifyingKey::from_bytes(&k).ok())
        .ok_or_else(|| CenterError::Peer {
            peer: peer.id.clone(),
            reason: "configured verifying_key is not an ed25519 key".into(),
        })
}

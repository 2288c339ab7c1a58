//! The van's side of sync: the issuance centers' keys, the outbox of signed batches, receipts,
//! and the purge of personal data once the centers hold it.
//!
//! A batch, once built, is kept byte for byte until a receipt covers it, so every resend (over the
//! network or on a USB stick) is the same envelope and the centers recognise it as a replay. Blob
//! transfer forms are kept the same way, so an interrupted upload resumes on identical bytes.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use chrono::Utc;
use ed25519_dalek::VerifyingKey;
use qafila_domain::BlobRef;
use qafila_wire::{BatchPayload, BlobManifest, DocumentChanges, Envelope, PROTOCOL_VERSION, Receipt, SignedReceipt};
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::error::{Result, StoreError};
use crate::journal::Action;
use crate::van::{Van, blob_refs};

/// An issuance center as the van knows it.
#[derive(Clone, Debug, Serialize)]
pub struct Center {
    /// Center id (`rabat`, `marrakech`).
    pub id: String,
    /// Its ed25519 public key (hex), which signs receipts and updates.
    pub verifying_key: String,
    /// Its age recipient, to which batches and blobs are encrypted.
    pub recipient: String,
}

/// A batch ready to send, and the blobs its documents need.
#[derive(Clone, Debug)]
pub struct OutboundBatch {
    /// Sequence number.
    pub seq: u64,
    /// The envelope bytes (identical on every resend).
    pub envelope: Vec<u8>,
    /// Number of documents in it.
    pub documents: usize,
    /// SHA-256 of every blob its documents refer to.
    pub blobs: Vec<String>,
}

/// What is waiting to leave the van.
#[derive(Clone, Debug, Default, Serialize)]
pub struct SyncStatus {
    /// Sealed enrollments whose latest changes no center has acknowledged.
    pub documents_pending: i64,
    /// Batches built and not yet receipted.
    pub batches_unreceipted: i64,
    /// Receipts held.
    pub receipts: i64,
    /// Enrollments purged after receipt.
    pub purged: i64,
}

#[derive(Serialize, Deserialize)]
struct Manifest {
    blobs: Vec<String>,
}

impl Van {
    /// Registers an issuance center's keys (supervisors only).
    pub fn add_center(&mut self, id: &str, verifying_key_hex: &str, recipient: &str) -> Result<()> {
        self.require_supervisor("configure issuance centers")?;
        let key = parse_verifying_key(verifying_key_hex).ok_or_else(|| StoreError::UnknownCenter(id.into()))?;
        age::x25519::Recipient::from_str(recipient)
            .map_err(|e| StoreError::Crypto(format!("center {id}: not an age recipient: {e}")))?;
        self.journaled(Action::OperatorChange, id, "center", |tx| {
            tx.execute(
                "INSERT INTO centers (id, verifying_key, recipient, added_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (id) DO UPDATE SET verifying_key = ?2, recipient = ?3",
                params![id, key.as_bytes().to_vec(), recipient, Utc::now().to_rfc3339()],
            )?;
            Ok(())
        })
    }

    /// The configured centers.
    pub fn centers(&self) -> Result<Vec<Center>> {
        let mut stmt = self
            .store
            .conn
            .prepare("SELECT id, verifying_key, recipient FROM centers ORDER BY id")?;
        let rows = stmt.query_map([], |r| {
            Ok(Center {
                id: r.get(0)?,
                verifying_key: hex::encode(r.get::<_, Vec<u8>>(1)?),
                recipient: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn recipients(&self) -> Result<Vec<age::x25519::Recipient>> {
        let centers = self.centers()?;
        if centers.is_empty() {
            return Err(StoreError::NoCenters);
        }
        centers
            .iter()
            .map(|c| {
                age::x25519::Recipient::from_str(&c.recipient).map_err(|_| StoreError::Corrupt {
                    what: "center recipient",
                    id: c.id.clone(),
                })
            })
            .collect()
    }

    pub(crate) fn center_key(&self, id: &str) -> Result<VerifyingKey> {
        let bytes: Vec<u8> = self
            .store
            .conn
            .query_row("SELECT verifying_key FROM centers WHERE id = ?1", [id], |r| r.get(0))
            .optional()?
            .ok_or_else(|| StoreError::UnknownCenter(id.into()))?;
        parse_verifying_key(&hex::encode(bytes)).ok_or(StoreError::Corrupt {
            what: "center key",
            id: id.into(),
        })
    }

    /// The oldest unreceipted batch, or a new one with up to `max_documents` changed enrollments.
    ///
    /// Returns `None` when nothing is waiting.
    pub fn next_batch(&mut self, max_documents: usize) -> Result<Option<OutboundBatch>> {
        if let Some(b) = self.unreceipted()? {
            return Ok(Some(b));
        }
        // Another handle may rotate the key while this one builds: the batch is then refused before it
        // is stored, and built again with the new key.
        for _ in 0..2 {
            match self.build_batch(max_documents) {
                Err(StoreError::KeyRotated) => continue,
                other => return other,
            }
        }
        self.build_batch(max_documents)
    }

    fn build_batch(&mut self, max_documents: usize) -> Result<Option<OutboundBatch>> {
        self.refresh_key()?;
        let candidates: Vec<(String, String, Option<String>)> = {
            let mut stmt = self.store.conn.prepare(
                "SELECT e.id, e.heads, s.acked_heads FROM enrollments e LEFT JOIN doc_sync s ON s.enrollment_id = e.id
                 WHERE e.status NOT IN ('draft', 'captured', 'recapture_requested') AND e.purged_at IS NULL
                   AND (s.acked_heads IS NULL OR s.acked_heads != e.heads)
                 ORDER BY e.created_at LIMIT ?1",
            )?;
            let rows = stmt.query_map([max_documents as i64], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        if candidates.is_empty() {
            return Ok(None);
        }
        let recipients = self.recipients()?;
        let van_id = self.van_id()?;
        let mut documents = Vec::with_capacity(candidates.len());
        let mut all_blobs = Vec::new();
        for (id, heads, acked) in &candidates {
            let (mut doc, record) = self.load_doc(id)?;
            let since: Vec<String> = acked.as_deref().map(split_heads).unwrap_or_default();
            let blobs: Vec<BlobManifest> = blob_refs(&record)
                .into_iter()
                .map(|(r, _)| {
                    let size = self.blob_size(&r)?;
                    Ok(BlobManifest { sha256: r.0, size })
                })
                .collect::<Result<_>>()?;
            all_blobs.extend(blobs.iter().map(|b| b.sha256.clone()));
            documents.push(DocumentChanges {
                id: record.application.id,
                changes: doc.changes_since(&since),
                since,
                heads: split_heads(heads),
                blobs,
            });
        }
        all_blobs.sort();
        all_blobs.dedup();
        let seq: i64 = self
            .store
            .conn
            .query_row("SELECT COALESCE(MAX(seq), 0) + 1 FROM outbox", [], |r| r.get(0))?;
        let counter: i64 = self
            .store
            .conn
            .query_row("SELECT COALESCE(MAX(seq), 0) FROM journal", [], |r| r.get(0))?;
        let payload = BatchPayload {
            v: PROTOCOL_VERSION,
            van_id,
            seq: seq as u64,
            batch_id: uuid::Uuid::now_v7(),
            van_clock: Utc::now(),
            van_counter: counter as u64,
            documents,
        };
        let envelope = Envelope::seal_batch(&payload, &recipients, self.van_key.signing())?.to_bytes();
        let signed_with = self.van_key.public().as_bytes().to_vec();
        let manifest = self.key.encrypt(
            &serde_json::to_vec(&Manifest {
                blobs: all_blobs.clone(),
            })
            .map_err(qafila_doc::DocError::from)?,
        )?;
        let n = candidates.len();
        self.journaled(Action::Export, &format!("batch {seq}"), &format!("{n} documents"), |tx| {
            // A batch numbered at or after a rotation must carry the new key's signature, or the
            // centers refuse it for good (it is resent byte for byte).
            let current: Vec<u8> =
                tx.query_row("SELECT value FROM meta WHERE key = 'van_public_key'", [], |r| r.get(0))?;
            if current != signed_with {
                return Err(StoreError::KeyRotated);
            }
            tx.execute(
                "INSERT INTO outbox (seq, batch_id, envelope, documents, manifest, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![seq, payload.batch_id.to_string(), envelope, n as i64, manifest, Utc::now().to_rfc3339()],
            )?;
            for (id, heads, _) in &candidates {
                tx.execute(
                    "INSERT INTO outbox_documents (seq, enrollment_id, heads) VALUES (?1, ?2, ?3)",
                    params![seq, id, heads],
                )?;
                tx.execute("UPDATE enrollments SET status = 'sent' WHERE id = ?1 AND status = 'sealed'", [id])?;
            }
            Ok(())
        })?;
        Ok(Some(OutboundBatch {
            seq: seq as u64,
            envelope,
            documents: n,
            blobs: all_blobs,
        }))
    }

    /// Drops an unreceipted batch that a center refused for lack of history, and forgets what was
    /// acknowledged of its documents, so the next batch (same number) carries them whole.
    ///
    /// Happens when a van syncs with the center that has not yet replicated what the other one holds.
    pub fn rebuild_batch_whole(&mut self, seq: u64) -> Result<()> {
        let seq = sql_seq(seq)?;
        self.journaled(Action::Export, &format!("batch {seq}"), "rebuilt whole", |tx| {
            let open: bool =
                tx.query_row("SELECT EXISTS (SELECT 1 FROM outbox WHERE seq = ?1 AND receipted_at IS NULL)", [seq], |r| r.get(0))?;
            if !open {
                return Err(StoreError::WrongStatus {
                    id: format!("batch {seq}"),
                    status: "receipted or unknown".into(),
                    what: "only an unreceipted batch can be rebuilt",
                });
            }
            tx.execute("DELETE FROM doc_sync WHERE enrollment_id IN (SELECT enrollment_id FROM outbox_documents WHERE seq = ?1)", [seq])?;
            tx.execute("DELETE FROM outbox_documents WHERE seq = ?1", [seq])?;
            tx.execute("DELETE FROM outbox WHERE seq = ?1", [seq])?;
            Ok(())
        })
    }

    fn unreceipted(&self) -> Result<Option<OutboundBatch>> {
        let row: Option<(i64, Vec<u8>, i64, Vec<u8>)> = self
            .store
            .conn
            .query_row(
                "SELECT seq, envelope, documents, manifest FROM outbox WHERE receipted_at IS NULL ORDER BY seq LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?;
        let Some((seq, envelope, documents, manifest)) = row else {
            return Ok(None);
        };
        let plain = self.key.decrypt(&manifest, "batch manifest", &seq.to_string())?;
        let m: Manifest = serde_json::from_slice(&plain).map_err(|_| StoreError::Corrupt {
            what: "batch manifest",
            id: seq.to_string(),
        })?;
        Ok(Some(OutboundBatch {
            seq: seq as u64,
            envelope,
            documents: documents as usize,
            blobs: m.blobs,
        }))
    }

    fn blob_size(&self, r: &BlobRef) -> Result<u64> {
        let size: Option<i64> = self
            .store
            .conn
            .query_row(
                "SELECT size FROM blobs WHERE id = ?1",
                [self.key.blob_id(&r.0)],
                |row| row.get(0),
            )
            .optional()?;
        size.map(|s| s as u64)
            .ok_or_else(|| StoreError::NotFound(format!("blob {r}")))
    }

    /// The transfer form of a blob (encrypted to the centers), made once and kept until purge.
    pub fn transfer_blob(&mut self, sha256: &str) -> Result<Vec<u8>> {
        let id = self.key.blob_id(sha256);
        let kept: Option<Vec<u8>> = self
            .store
            .conn
            .query_row("SELECT data FROM transfer_blobs WHERE blob_id = ?1", [&id], |r| {
                r.get(0)
            })
            .optional()?;
        if let Some(t) = kept {
            return Ok(t);
        }
        let plain = self.blob(&BlobRef(sha256.into()))?;
        let transfer = qafila_wire::envelope::encrypt_to(&self.recipients()?, &plain)?;
        self.store.conn.execute(
            "INSERT OR IGNORE INTO transfer_blobs (blob_id, data) VALUES (?1, ?2)",
            params![id, transfer],
        )?;
        Ok(transfer)
    }

    /// Checks and stores a center's receipt; the enrollments it covers become `received`.
    pub fn apply_receipt(&mut self, signed_bytes: &[u8]) -> Result<Receipt> {
        let signed = SignedReceipt::from_bytes(signed_bytes)?;
        let claimed = signed.receipt_unverified()?;
        let receipt = signed.verify(&self.center_key(&claimed.center)?)?;
        let van_id = self.van_id()?;
        if receipt.van_id != van_id {
            return Err(StoreError::Wire(qafila_wire::WireError::Mismatch {
                field: "van_id",
                inside: receipt.van_id.clone(),
                outside: van_id,
            }));
        }
        let detail = format!("{} {}..={}", receipt.center, receipt.seq_from, receipt.seq_to);
        let (from, to) = (sql_seq(receipt.seq_from)?, sql_seq(receipt.seq_to)?);
        let now = Utc::now().to_rfc3339();
        self.journaled(Action::Export, "receipt", &detail, |tx| {
            tx.execute(
                "INSERT OR IGNORE INTO receipts (center, seq_from, seq_to, signed, received_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![receipt.center, from, to, signed_bytes, now],
            )?;
            tx.execute(
                "UPDATE outbox SET receipted_at = ?3 WHERE seq BETWEEN ?1 AND ?2 AND receipted_at IS NULL",
                params![from, to, now],
            )?;
            for d in &receipt.documents {
                let id = d.id.to_string();
                // What this van sent is now held: acknowledge the heads it sent, not the center's.
                let sent: Option<String> = tx
                    .query_row(
                        "SELECT heads FROM outbox_documents WHERE enrollment_id = ?1 AND seq BETWEEN ?2 AND ?3
                         ORDER BY seq DESC LIMIT 1",
                        params![id, from, to],
                        |r| r.get(0),
                    )
                    .optional()?;
                if let Some(heads) = sent {
                    tx.execute(
                        "INSERT INTO doc_sync (enrollment_id, acked_heads) VALUES (?1, ?2)
                         ON CONFLICT (enrollment_id) DO UPDATE SET acked_heads = ?2",
                        params![id, heads],
                    )?;
                    tx.execute(
                        "UPDATE enrollments SET status = 'received' WHERE id = ?1 AND status IN ('sealed', 'sent')",
                        [&id],
                    )?;
                }
            }
            Ok(())
        })?;
        Ok(receipt)
    }

    /// Every receipt held, newest first, as the centers signed them.
    pub fn receipts(&self) -> Result<Vec<Vec<u8>>> {
        let mut stmt = self
            .store
            .conn
            .prepare("SELECT signed FROM receipts ORDER BY received_at DESC")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Removes the personal data and biometrics of every enrollment whose latest changes a center has
    /// receipted at least `retention` ago; keeps its id, status and receipts. Returns how many.
    pub fn purge_receipted(&mut self, retention: chrono::Duration) -> Result<usize> {
        let now = Utc::now();
        let cutoff = (now - retention).to_rfc3339();
        let ids: Vec<String> = {
            // A receipt stamped later than now was stamped by a clock that was ahead (the van's clock is set by
            // hand in the field): the retention cannot be measured from it, and keeping the data until that date
            // would keep it for as long as the clock was wrong, so such enrollments are purged now.
            let mut stmt = self.store.conn.prepare(
                "SELECT e.id FROM enrollments e JOIN doc_sync s ON s.enrollment_id = e.id
                 WHERE e.purged_at IS NULL AND s.acked_heads = e.heads
                   AND e.status NOT IN ('draft', 'captured', 'sealed', 'sent', 'recapture_requested')
                   AND EXISTS (SELECT 1 FROM outbox_documents o JOIN outbox b ON b.seq = o.seq
                               WHERE o.enrollment_id = e.id AND (b.receipted_at <= ?1 OR b.receipted_at > ?2))",
            )?;
            let rows = stmt.query_map(params![cutoff, now.to_rfc3339()], |r| r.get(0))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        if ids.is_empty() {
            return Ok(0);
        }
        // What stays: the id, kind, status and dates; names and date of birth go.
        let mut tombstones = Vec::with_capacity(ids.len());
        for id in &ids {
            let ct: Vec<u8> =
                self.store
                    .conn
                    .query_row("SELECT summary FROM enrollments WHERE id = ?1", [id], |r| r.get(0))?;
            let plain = self.key.decrypt(&ct, "enrollment summary", id)?;
            let mut s: crate::van::Summary = serde_json::from_slice(&plain).map_err(|_| StoreError::Corrupt {
                what: "enrollment summary",
                id: id.clone(),
            })?;
            for field in [
                &mut s.family_name,
                &mut s.family_name_ar,
                &mut s.given_names,
                &mut s.given_names_ar,
                &mut s.birth_date,
            ] {
                field.clear();
            }
            tombstones.push(
                self.key
                    .encrypt(&serde_json::to_vec(&s).map_err(qafila_doc::DocError::from)?)?,
            );
        }
        let n = ids.len();
        let purged_at = now.to_rfc3339();
        self.journaled(Action::Purge, "receipted", &format!("{n} enrollments"), |tx| {
            for (id, tomb) in ids.iter().zip(&tombstones) {
                tx.execute(
                    "DELETE FROM transfer_blobs WHERE blob_id IN (SELECT blob_id FROM enrollment_blobs WHERE enrollment_id = ?1)",
                    [id],
                )?;
                // A blob shared with an enrollment that is still here stays.
                tx.execute(
                    "DELETE FROM blobs WHERE id IN (SELECT blob_id FROM enrollment_blobs WHERE enrollment_id = ?1)
                     AND id NOT IN (SELECT eb.blob_id FROM enrollment_blobs eb JOIN enrollments e ON e.id = eb.enrollment_id
                                    WHERE e.id != ?1 AND e.purged_at IS NULL)",
                    [id],
                )?;
                tx.execute("DELETE FROM enrollment_blobs WHERE enrollment_id = ?1", [id])?;
                tx.execute("DELETE FROM search_tokens WHERE enrollment_id = ?1", [id])?;
                tx.execute("DELETE FROM drafts WHERE id = ?1", [id])?;
                tx.execute(
                    "UPDATE enrollments SET doc = ?2, summary = ?2, purged_at = ?3 WHERE id = ?1",
                    params![id, tomb, purged_at],
                )?;
            }
            Ok(())
        })?;
        Ok(n)
    }

    /// The van's age identity for updates from the centers, made on first use and kept encrypted.
    pub(crate) fn update_identity(&mut self) -> Result<age::x25519::Identity> {
        let sealed: Option<Vec<u8>> = self
            .store
            .conn
            .query_row("SELECT value FROM meta WHERE key = 'update_identity'", [], |r| r.get(0))
            .optional()?;
        if let Some(ct) = sealed {
            let plain = self.key.decrypt(&ct, "update key", "meta")?;
            let text = String::from_utf8(plain).map_err(|_| StoreError::Corrupt {
                what: "update key",
                id: "meta".into(),
            })?;
            return age::x25519::Identity::from_str(&text).map_err(|_| StoreError::Corrupt {
                what: "update key",
                id: "meta".into(),
            });
        }
        let id = age::x25519::Identity::generate();
        let secret = age::secrecy::ExposeSecret::expose_secret(&id.to_string()).to_string();
        let ct = self.key.encrypt(secret.as_bytes())?;
        self.store.conn.execute(
            "INSERT INTO meta (key, value) VALUES ('update_identity', ?1), ('update_recipient', ?2)",
            params![ct, id.to_public().to_string().into_bytes()],
        )?;
        Ok(id)
    }

    /// The age recipient the centers encrypt this van's updates to (register it with the centers).
    pub fn update_recipient(&mut self) -> Result<String> {
        Ok(self.update_identity()?.to_public().to_string())
    }

    /// The cursor of updates already applied from a center.
    pub fn update_cursor(&self, center: &str) -> Result<u64> {
        let v: Option<Vec<u8>> = self
            .store
            .conn
            .query_row(
                "SELECT value FROM meta WHERE key = ?1",
                [format!("update_cursor:{center}")],
                |r| r.get(0),
            )
            .optional()?;
        Ok(v.and_then(|b| <[u8; 8]>::try_from(b).ok())
            .map(u64::from_be_bytes)
            .unwrap_or(0))
    }

    /// Verifies and merges updates a center sent (recapture requests, decisions, card status).
    /// Returns how many enrollments changed here.
    pub fn apply_updates(&mut self, envelope: &[u8]) -> Result<usize> {
        let env = Envelope::from_bytes(envelope)?;
        let key = self.center_key(&env.sender)?;
        let identity = self.update_identity()?;
        let p = env.open_updates(&key, &identity)?;
        let van_id = self.van_id()?;
        if p.van_id != van_id {
            return Err(StoreError::Wire(qafila_wire::WireError::Mismatch {
                field: "van_id",
                inside: p.van_id,
                outside: van_id,
            }));
        }
        let mut changed = 0;
        for d in &p.documents {
            let id = d.id.to_string();
            let incoming = qafila_doc::EnrollmentDoc::load(&d.changes, b"incoming")?;
            let theirs = incoming.record()?;
            if theirs.application.id != d.id {
                return Err(StoreError::Corrupt {
                    what: "update from center",
                    id,
                });
            }
            match self.load_doc(&id) {
                Ok((mut doc, before)) => {
                    doc.apply(&d.changes)?;
                    let record = doc.record()?;
                    if record != before {
                        changed += 1;
                    }
                    let status = record.application.status.name();
                    // Sealed, sent and received are the van's own bookkeeping; a center decision replaces them.
                    let row_status = match status {
                        "sealed" | "captured" => None,
                        s => Some(s),
                    };
                    let heads = doc.heads_hex().join(",");
                    let acked = if d.heads.join(",") == heads {
                        Some(heads.clone())
                    } else {
                        None
                    };
                    let doc_ct = self.key.encrypt(&doc.save())?;
                    let summary = crate::van::Summary::of(&record);
                    let summary_ct = self
                        .key
                        .encrypt(&serde_json::to_vec(&summary).map_err(qafila_doc::DocError::from)?)?;
                    self.journaled(Action::Edit, &id, &format!("update from {}", p.center), |tx| {
                        tx.execute(
                            "UPDATE enrollments SET doc = ?2, summary = ?3, heads = ?4, status = COALESCE(?5, status) WHERE id = ?1",
                            params![id, doc_ct, summary_ct, heads, row_status],
                        )?;
                        if let Some(h) = &acked {
                            tx.execute(
                                "INSERT INTO doc_sync (enrollment_id, acked_heads) VALUES (?1, ?2)
                                 ON CONFLICT (enrollment_id) DO UPDATE SET acked_heads = ?2",
                                params![id, h],
                            )?;
                        }
                        Ok(())
                    })?;
                }
                // A purged enrollment keeps only its status.
                Err(StoreError::Purged { .. }) => {
                    self.store.conn.execute(
                        "UPDATE enrollments SET status = ?2 WHERE id = ?1",
                        params![id, theirs.application.status.name()],
                    )?;
                    changed += 1;
                }
                Err(StoreError::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
        self.store.conn.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = ?2",
            params![format!("update_cursor:{}", p.center), p.cursor.to_be_bytes().to_vec()],
        )?;
        Ok(changed)
    }

    /// Signs an HTTP request to a center as this van.
    pub fn sign_request(&self, method: &str, path_and_query: &str, body: &[u8]) -> String {
        qafila_wire::request::sign(self.van_key.signing(), method, path_and_query, body)
    }

    /// [`Van::sign_request`] for a body whose SHA-256 is already known (an upload's chunk).
    pub fn sign_request_hashed(&self, method: &str, path_and_query: &str, body_sha256: &[u8; 32]) -> String {
        qafila_wire::request::sign_hashed(self.van_key.signing(), method, path_and_query, body_sha256)
    }

    /// What is waiting to leave the van.
    pub fn sync_status(&self) -> Result<SyncStatus> {
        let c = &self.store.conn;
        Ok(SyncStatus {
            documents_pending: c.query_row(
                "SELECT count(*) FROM enrollments e LEFT JOIN doc_sync s ON s.enrollment_id = e.id
                 WHERE e.status NOT IN ('draft', 'captured', 'recapture_requested') AND e.purged_at IS NULL
                   AND (s.acked_heads IS NULL OR s.acked_heads != e.heads)",
                [],
                |r| r.get(0),
            )?,
            batches_unreceipted: c.query_row("SELECT count(*) FROM outbox WHERE receipted_at IS NULL", [], |r| {
                r.get(0)
            })?,
            receipts: c.query_row("SELECT count(*) FROM receipts", [], |r| r.get(0))?,
            purged: c.query_row(
                "SELECT count(*) FROM enrollments WHERE purged_at IS NOT NULL",
                [],
                |r| r.get(0),
            )?,
        })
    }

    /// Writes the next batch and its blobs' transfer forms to a folder (a USB stick).
    ///
    /// Files: `batch-<van>-<seq>.qafila`, `blob-<sha256>.age`, and the van's key rotation statements
    /// `key-<van>-<n>.qafila-key` (a center that has not seen a rotation learns it before the batch).
    /// Returns the batch file, or `None`.
    pub fn export_batch(&mut self, dir: &Path, max_documents: usize) -> Result<Option<PathBuf>> {
        let Some(batch) = self.next_batch(max_documents)? else {
            return Ok(None);
        };
        std::fs::create_dir_all(dir)?;
        let van_id = self.van_id()?;
        for (i, statement) in self.rotation_statements()?.iter().enumerate() {
            // Numbered from 2 like the keys (1 is the key made at init), padded so a folder sorts in order.
            write_durably(&dir.join(format!("key-{van_id}-{:06}.qafila-key", i + 2)), statement)?;
        }
        for sha in &batch.blobs {
            let t = self.transfer_blob(sha)?;
            write_durably(&dir.join(format!("blob-{sha}.age")), &t)?;
        }
        let path = dir.join(format!("batch-{van_id}-{:06}.qafila", batch.seq));
        write_durably(&path, &batch.envelope)?;
        Ok(Some(path))
    }
}

/// Writes a file and syncs it, through a temporary name, so a pulled stick never holds half a file.
fn write_durably(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let tmp = path.with_extension("partial");
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}

fn sql_seq(v: u64) -> Result<i64> {
    i64::try_from(v).map_err(|_| {
        StoreError::Wire(qafila_wire::WireError::Malformed {
            what: "receipt",
            reason: format!("sequence {v} out of range"),
        })
    })
}

fn split_heads(s: &str) -> Vec<String> {
    s.split(',').filter(|h| !h.is_empty()).map(str::to_owned).collect()
}

fn parse_verifying_key(hex_key: &str) -> Option<VerifyingKey> {
    let bytes: [u8; 32] = hex::decode(hex_key).ok()?.try_into().ok()?;
    VerifyingKey::from_bytes(&bytes).ok()
}

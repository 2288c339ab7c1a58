//! The embedded SQLite backend (the default): one file, WAL, `synchronous=FULL`, calls run on the
//! blocking pool so the async server never waits on the disk.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, params};

use crate::db::*;

/// The SQLite backend.
#[derive(Clone)]
pub struct SqliteDb {
    conn: Arc<Mutex<Session>>,
}

/// The connection and the `synchronous` mode last set on it, so the pragma runs only when it changes.
struct Session {
    conn: Connection,
    durable: Option<bool>,
}

fn err(e: impl std::fmt::Display) -> DbError {
    DbError::Backend(e.to_string())
}

// `data` comes last in `blobs`: SQLite reads a row's columns in order, so reading the others never
// walks a blob's overflow pages.
const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS vans (
    id TEXT PRIMARY KEY, verifying_key BLOB NOT NULL, recipient TEXT NOT NULL,
    registered_at TEXT NOT NULL, revoked_at TEXT
);
CREATE TABLE IF NOT EXISTS batches (
    van_id TEXT NOT NULL, seq INTEGER NOT NULL, batch_id TEXT NOT NULL, ct_hash BLOB NOT NULL,
    payload_digest BLOB NOT NULL, receipt BLOB NOT NULL, accepted_by TEXT NOT NULL, received_at TEXT NOT NULL,
    PRIMARY KEY (van_id, seq)
);
CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY, van_id TEXT NOT NULL, routed_to TEXT NOT NULL, status TEXT NOT NULL,
    doc BLOB NOT NULL, heads TEXT NOT NULL, updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS documents_by_van ON documents (van_id);
CREATE TABLE IF NOT EXISTS changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, doc_id TEXT NOT NULL, origin TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS blobs (
    sha256 TEXT PRIMARY KEY, length INTEGER, received INTEGER NOT NULL DEFAULT 0,
    complete INTEGER NOT NULL DEFAULT 0, completed_order INTEGER,
    data BLOB NOT NULL DEFAULT x''
);
CREATE INDEX IF NOT EXISTS blobs_by_completion ON blobs (completed_order);
CREATE TABLE IF NOT EXISTS checkpoints (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS documents_by_queue ON documents (routed_to, status, updated_at);
CREATE TABLE IF NOT EXISTS staff (
    id TEXT PRIMARY KEY, display_name TEXT NOT NULL, role TEXT NOT NULL, password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL, disabled_at TEXT
);
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY, staff_id TEXT NOT NULL, csrf TEXT NOT NULL,
    created_at TEXT NOT NULL, expires_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, staff_id TEXT NOT NULL, action TEXT NOT NULL,
    target TEXT, detail TEXT
);
CREATE TABLE IF NOT EXISTS van_contacts (
    van_id TEXT PRIMARY KEY, last_contact TEXT NOT NULL, report TEXT
);
CREATE TABLE IF NOT EXISTS appointment_lists (
    van_id TEXT NOT NULL, drive_id TEXT NOT NULL, version INTEGER NOT NULL, drive_end TEXT NOT NULL,
    published_at TEXT NOT NULL, list BLOB NOT NULL, PRIMARY KEY (van_id, drive_id)
);
CREATE TABLE IF NOT EXISTS retired_van_keys (
    van_id TEXT NOT NULL, verifying_key BLOB NOT NULL, until_seq INTEGER NOT NULL, successor BLOB NOT NULL,
    retired_at TEXT NOT NULL, statement BLOB NOT NULL, PRIMARY KEY (van_id, verifying_key)
);
CREATE TABLE IF NOT EXISTS pending_batches (
    van_id TEXT NOT NULL, seq INTEGER NOT NULL, ct_hash BLOB NOT NULL, envelope BLOB NOT NULL,
    documents INTEGER NOT NULL, received_at TEXT NOT NULL, PRIMARY KEY (van_id, seq)
);
"#;

impl SqliteDb {
    /// Opens (creating if needed) the database file.
    pub fn open(path: &Path) -> DbResult<SqliteDb> {
        let conn = Connection::open(path).map_err(err)?;
        conn.busy_timeout(std::time::Duration::from_secs(10)).map_err(err)?;
        let _: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(err)?;
        conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA temp_store = MEMORY;")
            .map_err(err)?;
        Ok(SqliteDb {
            conn: Arc::new(Mutex::new(Session { conn, durable: None })),
        })
    }

    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> DbResult<T> + Send + 'static,
    ) -> DbResult<T> {
        self.run_with(false, f).await
    }

    /// Runs `f` with every commit synced to disk before it returns. Other writes (blob uploads,
    /// checkpoints) are synced by the next durable commit: WAL keeps commits in order, so a receipt,
    /// which is only signed after the blobs of its batch are written, never outlives them. A blob
    /// lost to a power cut before that is simply uploaded again (the van keeps it until the receipt).
    async fn run_durable<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> DbResult<T> + Send + 'static,
    ) -> DbResult<T> {
        self.run_with(true, f).await
    }

    async fn run_with<T: Send + 'static>(
        &self,
        durable: bool,
        f: impl FnOnce(&mut Connection) -> DbResult<T> + Send + 'static,
    ) -> DbResult<T> {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = conn
                .lock()
                .map_err(|_| DbError::Backend("a database call panicked earlier".into()))?;
            if guard.durable != Some(durable) {
                guard.durable = None;
                let mode = if durable { "FULL" } else { "NORMAL" };
                guard
                    .conn
                    .execute_batch(&format!("PRAGMA synchronous = {mode}"))
                    .map_err(err)?;
                guard.durable = Some(durable);
            }
            f(&mut guard.conn)
        })
        .await
        .map_err(err)?
    }
}

fn van_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<VanRecord> {
    Ok(VanRecord {
        id: r.get(0)?,
        verifying_key: r.get(1)?,
        recipient: r.get(2)?,
        registered_at: r.get(3)?,
        revoked_at: r.get(4)?,
    })
}

fn retired_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RetiredVanKey> {
    Ok(RetiredVanKey {
        van_id: r.get(0)?,
        verifying_key: r.get(1)?,
        until_seq: r.get(2)?,
        successor: r.get(3)?,
        retired_at: r.get(4)?,
        statement: r.get(5)?,
    })
}

fn batch_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<BatchRecord> {
    batch_row_at(r, 0)
}

/// A batch from the row's columns `at`, `at + 1`, ... (in `BATCH_COLS` order).
fn batch_row_at(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<BatchRecord> {
    Ok(BatchRecord {
        van_id: r.get(at)?,
        seq: r.get(at + 1)?,
        batch_id: r.get(at + 2)?,
        ct_hash: r.get(at + 3)?,
        payload_digest: r.get(at + 4)?,
        receipt: r.get(at + 5)?,
        accepted_by: r.get(at + 6)?,
        received_at: r.get(at + 7)?,
    })
}

fn change_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ChangeRecord> {
    Ok(ChangeRecord {
        seq: r.get(0)?,
        doc_id: r.get(1)?,
        origin: r.get(2)?,
    })
}

const BATCH_COLS: &str = "van_id, seq, batch_id, ct_hash, payload_digest, receipt, accepted_by, received_at";

fn upsert_docs(tx: &rusqlite::Transaction<'_>, docs: &[DocumentRecord], origin: &str) -> rusqlite::Result<()> {
    let mut put = tx.prepare_cached(
        "INSERT INTO documents (id, van_id, routed_to, status, doc, heads, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (id) DO UPDATE SET routed_to = ?3, status = ?4, doc = ?5, heads = ?6, updated_at = ?7",
    )?;
    let mut log = tx.prepare_cached("INSERT INTO changes (doc_id, origin) VALUES (?1, ?2)")?;
    for d in docs {
        put.execute(params![
            d.id,
            d.van_id,
            d.routed_to,
            d.status,
            d.doc,
            d.heads,
            d.updated_at
        ])?;
        log.execute(params![d.id, origin])?;
    }
    Ok(())
}

#[async_trait]
impl CenterDb for SqliteDb {
    async fn migrate(&self) -> DbResult<()> {
        self.run_durable(|c| c.execute_batch(SCHEMA).map_err(err)).await
    }

    async fn put_van(&self, van: &VanRecord) -> DbResult<()> {
        let v = van.clone();
        self.run_durable(move |c| {
            c.execute(
                "INSERT INTO vans (id, verifying_key, recipient, registered_at, revoked_at) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (id) DO UPDATE SET verifying_key = ?2, recipient = ?3, registered_at = ?4, revoked_at = ?5",
                params![v.id, v.verifying_key, v.recipient, v.registered_at, v.revoked_at],
            )
            .map(|_| ())
            .map_err(err)
        })
        .await
    }

    async fn van(&self, id: &str) -> DbResult<Option<VanRecord>> {
        let id = id.to_owned();
        self.run(move |c| {
            c.query_row(
                "SELECT id, verifying_key, recipient, registered_at, revoked_at FROM vans WHERE id = ?1",
                [id],
                van_row,
            )
            .optional()
            .map_err(err)
        })
        .await
    }

    async fn vans(&self) -> DbResult<Vec<VanRecord>> {
        self.run(|c| {
            let mut s = c
                .prepare("SELECT id, verifying_key, recipient, registered_at, revoked_at FROM vans ORDER BY id")
                .map_err(err)?;
            let rows = s.query_map([], van_row).map_err(err)?;
            rows.collect::<rusqlite::Result<_>>().map_err(err)
        })
        .await
    }

    async fn revoke_van(&self, id: &str, at: &str) -> DbResult<bool> {
        let (id, at) = (id.to_owned(), at.to_owned());
        self.run_durable(move |c| {
            c.execute(
                "UPDATE vans SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
                params![id, at],
            )
            .map(|n| n > 0)
            .map_err(err)
        })
        .await
    }

    async fn rotate_van_key(&self, retired: &RetiredVanKey) -> DbResult<bool> {
        let k = retired.clone();
        self.run_durable(move |c| {
            let tx = c.transaction().map_err(err)?;
            let moved = tx
                .execute(
                    "UPDATE vans SET verifying_key = ?3 WHERE id = ?1 AND verifying_key IN (?2, ?3) AND revoked_at IS NULL",
                    params![k.van_id, k.verifying_key, k.successor],
                )
                .map_err(err)?;
            if moved == 0 {
                return Ok(false);
            }
            tx.execute(
                "INSERT INTO retired_van_keys (van_id, verifying_key, until_seq, successor, retired_at, statement)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![k.van_id, k.verifying_key, k.until_seq, k.successor, k.retired_at, k.statement],
            )
            .map_err(err)?;
            tx.commit().map_err(err)?;
            Ok(true)
        })
        .await
    }

    async fn retired_van_keys(&self, van_id: &str) -> DbResult<Vec<RetiredVanKey>> {
        let van = van_id.to_owned();
        self.run(move |c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT van_id, verifying_key, until_seq, successor, retired_at, statement
                     FROM retired_van_keys WHERE van_id = ?1 ORDER BY until_seq, retired_at",
                )
                .map_err(err)?;
            let rows = stmt.query_map([van], retired_row).map_err(err)?;
            rows.collect::<rusqlite::Result<_>>().map_err(err)
        })
        .await
    }

    async fn batch(&self, van_id: &str, seq: i64) -> DbResult<Option<BatchRecord>> {
        let van = van_id.to_owned();
        self.run(move |c| {
            c.query_row(
                &format!("SELECT {BATCH_COLS} FROM batches WHERE van_id = ?1 AND seq = ?2"),
                params![van, seq],
                batch_row,
            )
            .optional()
            .map_err(err)
        })
        .await
    }

    async fn batches_after(&self, after_rowid: i64, limit: i64) -> DbResult<Vec<(i64, BatchRecord)>> {
        self.run(move |c| {
            let mut s = c
                .prepare(&format!(
                    "SELECT rowid, {BATCH_COLS} FROM batches WHERE rowid > ?1 ORDER BY rowid LIMIT ?2"
                ))
                .map_err(err)?;
            let rows = s
                .query_map(params![after_rowid, limit], |r| Ok((r.get(0)?, batch_row_at(r, 1)?)))
                .map_err(err)?;
            rows.collect::<rusqlite::Result<_>>().map_err(err)
        })
        .await
    }

    async fn acked_through(&self, van_id: &str) -> DbResult<i64> {
        let van = van_id.to_owned();
        self.run(move |c| {
            let mut s = c
                .prepare("SELECT seq FROM batches WHERE van_id = ?1 ORDER BY seq")
                .map_err(err)?;
            let seqs = s.query_map([van], |r| r.get::<_, i64>(0)).map_err(err)?;
            let mut through = 0;
            for seq in seqs {
                if seq.map_err(err)? == through + 1 {
                    through += 1;
                } else {
                    break;
                }
            }
            Ok(through)
        })
        .await
    }

    async fn documents(&self, ids: &[String]) -> DbResult<Vec<DocumentRecord>> {
        let ids = ids.to_vec();
        self.run(move |c| {
            let mut s = c
                .prepare_cached(
                    "SELECT id, van_id, routed_to, status, doc, heads, updated_at FROM documents WHERE id = ?1",
                )
                .map_err(err)?;
            let mut out = Vec::with_capacity(ids.len());
            for id in ids {
                let row = s
                    .query_row([id], |r| {
                        Ok(DocumentRecord {
                            id: r.get(0)?,
                            van_id: r.get(1)?,
                            routed_to: r.get(2)?,
                            status: r.get(3)?,
                            doc: r.get(4)?,
                            heads: r.get(5)?,
                            updated_at: r.get(6)?,
                        })
                    })
                    .optional()
                    .map_err(err)?;
                out.extend(row);
            }
            Ok(out)
        })
        .await
    }

    async fn commit_batch(&self, batch: &BatchRecord, docs: &[DocumentRecord], origin: &str) -> DbResult<()> {
        let (b, docs, origin) = (batch.clone(), docs.to_vec(), origin.to_owned());
        self.run_durable(move |c| {
            let tx = c.transaction().map_err(err)?;
            let n = tx
                .execute(
                    &format!("INSERT OR IGNORE INTO batches ({BATCH_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"),
                    params![
                        b.van_id,
                        b.seq,
                        b.batch_id,
                        b.ct_hash,
                        b.payload_digest,
                        b.receipt,
                        b.accepted_by,
                        b.received_at
                    ],
                )
                .map_err(err)?;
            if n == 1 {
                upsert_docs(&tx, &docs, &origin).map_err(err)?;
            }
            tx.prepare_cached("DELETE FROM pending_batches WHERE van_id = ?1 AND seq = ?2")
                .map_err(err)?
                .execute(params![b.van_id, b.seq])
                .map_err(err)?;
            tx.commit().map_err(err)
        })
        .await
    }

    async fn put_pending(&self, batch: &PendingBatch) -> DbResult<()> {
        let p = batch.clone();
        self.run(move |c| {
            let tx = c.transaction().map_err(err)?;
            tx.execute(
                "INSERT OR REPLACE INTO pending_batches (van_id, seq, ct_hash, envelope, documents, received_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![p.van_id, p.seq, p.ct_hash, p.envelope, p.documents, p.received_at],
            )
            .map_err(err)?;
            tx.execute(
                "DELETE FROM pending_batches WHERE van_id = ?1 AND seq NOT IN \
                 (SELECT seq FROM pending_batches WHERE van_id = ?1 ORDER BY seq DESC LIMIT ?2)",
                params![p.van_id, PENDING_PER_VAN],
            )
            .map_err(err)?;
            tx.commit().map_err(err)
        })
        .await
    }

    async fn pending(&self, van_id: &str, seq: i64) -> DbResult<Option<PendingBatch>> {
        let van = van_id.to_owned();
        self.run(move |c| {
            c.query_row(
                "SELECT van_id, seq, ct_hash, envelope, documents, received_at FROM pending_batches \
                 WHERE van_id = ?1 AND seq = ?2",
                params![van, seq],
                |r| {
                    Ok(PendingBatch {
                        van_id: r.get(0)?,
                        seq: r.get(1)?,
                        ct_hash: r.get(2)?,
                        envelope: r.get(3)?,
                        documents: r.get(4)?,
                        received_at: r.get(5)?,
                    })
                },
            )
            .optional()
            .map_err(err)
        })
        .await
    }

    async fn pending_counts(&self) -> DbResult<Vec<PendingCount>> {
        self.run(|c| {
            let mut stmt = c
                .prepare(
                    "SELECT van_id, COUNT(*), SUM(documents), MIN(received_at) FROM pending_batches \
                     GROUP BY van_id ORDER BY van_id",
                )
                .map_err(err)?;
            let rows = stmt
                .query_map([], |r| {
                    Ok(PendingCount {
                        van_id: r.get(0)?,
                        batches: r.get(1)?,
                        documents: r.get(2)?,
                        oldest: r.get(3)?,
                    })
                })
                .map_err(err)?;
            rows.collect::<Result<_, _>>().map_err(err)
        })
        .await
    }

    async fn put_documents(&self, docs: &[DocumentRecord], origin: &str) -> DbResult<()> {
        let (docs, origin) = (docs.to_vec(), origin.to_owned());
        self.run_durable(move |c| {
            let tx = c.transaction().map_err(err)?;
            upsert_docs(&tx, &docs, &origin).map_err(err)?;
            tx.commit().map_err(err)
        })
        .await
    }

    async fn blob_state(&self, sha256: &str) -> DbResult<Option<BlobState>> {
        let sha = sha256.to_owned();
        self.run(move |c| {
            c.prepare_cached("SELECT received, length, complete FROM blobs WHERE sha256 = ?1")
                .map_err(err)?
                .query_row([sha], |r| {
                    Ok(BlobState {
                        received: r.get(0)?,
                        length: r.get(1)?,
                        complete: r.get(2)?,
                    })
                })
                .optional()
                .map_err(err)
        })
        .await
    }

    async fn complete_blobs(&self, sha256s: &[String]) -> DbResult<BTreeSet<String>> {
        let shas = sha256s.to_vec();
        self.run(move |c| {
            let mut stmt = c
                .prepare_cached("SELECT 1 FROM blobs WHERE sha256 = ?1 AND complete")
                .map_err(err)?;
            let mut out = BTreeSet::new();
            for sha in shas {
                if stmt.exists([&sha]).map_err(err)? {
                    out.insert(sha);
                }
            }
            Ok(out)
        })
        .await
    }

    async fn blob_append(&self, sha256: &str, offset: i64, length: i64, chunk: &[u8]) -> DbResult<BlobState> {
        let (sha, chunk) = (sha256.to_owned(), chunk.to_vec());
        self.run(move |c| {
            let tx = c.transaction().map_err(err)?;
            tx.execute(
                "INSERT OR IGNORE INTO blobs (sha256, length) VALUES (?1, ?2)",
                params![sha, length],
            )
            .map_err(err)?;
            let (held, declared, complete): (i64, Option<i64>, bool) = tx
                .query_row(
                    "SELECT received, length, complete FROM blobs WHERE sha256 = ?1",
                    [&sha],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .map_err(err)?;
            if complete {
                return Ok(BlobState {
                    received: held,
                    length: declared,
                    complete,
                });
            }
            if declared.is_some_and(|d| d != length) {
                return Err(DbError::Length(format!("declared {declared:?}, now {length}")));
            }
            if offset != held {
                return Err(DbError::Offset { given: offset, held });
            }
            if held + chunk.len() as i64 > length {
                return Err(DbError::Length(format!(
                    "{} bytes would exceed the declared {length}",
                    held + chunk.len() as i64
                )));
            }
            tx.execute(
                "UPDATE blobs SET data = CAST(data || ?2 AS BLOB), received = received + ?3 WHERE sha256 = ?1",
                params![sha, chunk, chunk.len() as i64],
            )
            .map_err(err)?;
            tx.commit().map_err(err)?;
            Ok(BlobState {
                received: held + chunk.len() as i64,
                length: Some(length),
                complete: false,
            })
        })
        .await
    }

    async fn blob_put_complete(&self, sha256: &str, data: &[u8]) -> DbResult<()> {
        let (sha, data) = (sha256.to_owned(), data.to_vec());
        self.run(move |c| {
            let n = data.len() as i64;
            c.prepare_cached(
                "INSERT INTO blobs (sha256, length, received, complete, completed_order, data)
                 VALUES (?1, ?2, ?2, 1, (SELECT COALESCE(MAX(completed_order), 0) + 1 FROM blobs), ?3)
                 ON CONFLICT (sha256) DO UPDATE SET length = ?2, received = ?2, complete = 1, data = ?3,
                     completed_order = (SELECT COALESCE(MAX(completed_order), 0) + 1 FROM blobs)
                 WHERE NOT blobs.complete",
            )
            .and_then(|mut stmt| stmt.execute(params![sha, n, data]))
            .map(|_| ())
            .map_err(err)
        })
        .await
    }

    async fn blob_data(&self, sha256: &str) -> DbResult<Option<Vec<u8>>> {
        let sha = sha256.to_owned();
        self.run(move |c| {
            c.query_row("SELECT data FROM blobs WHERE sha256 = ?1", [sha], |r| r.get(0))
                .optional()
                .map_err(err)
        })
        .await
    }

    async fn blob_finish(&self, sha256: &str, ok: bool) -> DbResult<()> {
        let sha = sha256.to_owned();
        self.run(move |c| {
            // Replication pages by completion order, so a blob finished late is still seen after one finished early.
            let sql = if ok {
                "UPDATE blobs SET complete = 1,
                   completed_order = (SELECT COALESCE(MAX(completed_order), 0) + 1 FROM blobs) WHERE sha256 = ?1"
            } else {
                "DELETE FROM blobs WHERE sha256 = ?1"
            };
            c.execute(sql, [sha]).map(|_| ()).map_err(err)
        })
        .await
    }

    async fn blobs_after(&self, after_rowid: i64, limit: i64) -> DbResult<Vec<(i64, String)>> {
        self.run(move |c| {
            let mut s = c
                .prepare(
                    "SELECT completed_order, sha256 FROM blobs WHERE complete = 1 AND completed_order > ?1
                     ORDER BY completed_order LIMIT ?2",
                )
                .map_err(err)?;
            let rows = s
                .query_map(params![after_rowid, limit], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(err)?;
            rows.collect::<rusqlite::Result<_>>().map_err(err)
        })
        .await
    }

    async fn changes_since(&self, cursor: i64, limit: i64) -> DbResult<Vec<ChangeRecord>> {
        self.run(move |c| {
            let mut s = c
                .prepare("SELECT seq, doc_id, origin FROM changes WHERE seq > ?1 ORDER BY seq LIMIT ?2")
                .map_err(err)?;
            let rows = s.query_map(params![cursor, limit], change_row).map_err(err)?;
            rows.collect::<rusqlite::Result<_>>().map_err(err)
        })
        .await
    }

    async fn van_changes_since(&self, van_id: &str, cursor: i64, limit: i64) -> DbResult<Vec<ChangeRecord>> {
        let van = van_id.to_owned();
        self.run(move |c| {
            let mut s = c
                .prepare(
                    "SELECT ch.seq, ch.doc_id, ch.origin FROM changes ch JOIN documents d ON d.id = ch.doc_id
                     WHERE d.van_id = ?1 AND ch.seq > ?2 AND ch.origin != 'van:' || ?1 ORDER BY ch.seq LIMIT ?3",
                )
                .map_err(err)?;
            let rows = s.query_map(params![van, cursor, limit], change_row).map_err(err)?;
            rows.collect::<rusqlite::Result<_>>().map_err(err)
        })
        .await
    }

    async fn checkpoint(&self, name: &str) -> DbResult<i64> {
        let name = name.to_owned();
        self.run(move |c| {
            c.query_row("SELECT value FROM checkpoints WHERE name = ?1", [name], |r| r.get(0))
                .optional()
                .map(|v| v.unwrap_or(0))
                .map_err(err)
        })
        .await
    }

    async fn set_checkpoint(&self, name: &str, value: i64) -> DbResult<()> {
        let name = name.to_owned();
        self.run(move |c| {
            c.execute(
                "INSERT INTO checkpoints (name, value) VALUES (?1, ?2) ON CONFLICT (name) DO UPDATE SET value = ?2",
                params![name, value],
            )
            .map(|_| ())
            .map_err(err)
        })
        .await
    }

    async fn counts(&self, center: &str) -> DbResult<Counts> {
        let center = center.to_owned();
        self.run(move |c| {
            let q = |sql: &str| c.query_row(sql, [], |r| r.get::<_, i64>(0)).map_err(err);
            Ok(Counts {
                vans: q("SELECT count(*) FROM vans")?,
                revoked_vans: q("SELECT count(*) FROM vans WHERE revoked_at IS NOT NULL")?,
                batches: q("SELECT count(*) FROM batches")?,
                documents: q("SELECT count(*) FROM documents")?,
                routed_here: c
                    .query_row("SELECT count(*) FROM documents WHERE routed_to = ?1", [center], |r| {
                        r.get(0)
                    })
                    .map_err(err)?,
                blobs: q("SELECT count(*) FROM blobs WHERE complete = 1")?,
                changes: q("SELECT count(*) FROM changes")?,
            })
        })
        .await
    }

    async fn put_staff(&self, staff: &StaffRecord) -> DbResult<()> {
        let s = staff.clone();
        self.run_durable(move |c| {
            c.execute(
                "INSERT INTO staff (id, display_name, role, password_hash, created_at, disabled_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (id) DO UPDATE SET display_name = ?2, role = ?3, password_hash = ?4, disabled_at = ?6",
                params![
                    s.id,
                    s.display_name,
                    s.role,
                    s.password_hash,
                    s.created_at,
                    s.disabled_at
                ],
            )
            .map(|_| ())
            .map_err(err)
        })
        .await
    }

    async fn staff(&self, id: &str) -> DbResult<Option<StaffRecord>> {
        let id = id.to_owned();
        self.run(move |c| {
            c.query_row(
                &format!("SELECT {STAFF_COLS} FROM staff WHERE id = ?1"),
                [id],
                staff_row,
            )
            .optional()
            .map_err(err)
        })
        .await
    }

    async fn staff_list(&self) -> DbResult<Vec<StaffRecord>> {
        self.run(|c| {
            let mut s = c
                .prepare(&format!("SELECT {STAFF_COLS} FROM staff ORDER BY id"))
                .map_err(err)?;
            let rows = s.query_map([], staff_row).map_err(err)?;
            rows.collect::<rusqlite::Result<_>>().map_err(err)
        })
        .await
    }

    async fn put_session(&self, session: &SessionRecord) -> DbResult<()> {
        let s = session.clone();
        self.run_durable(move |c| {
            c.execute(
                "INSERT INTO sessions (token_hash, staff_id, csrf, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![s.token_hash, s.staff_id, s.csrf, s.created_at, s.expires_at],
            )
            .map(|_| ())
            .map_err(err)
        })
        .await
    }

    async fn session(&self, token_hash: &str) -> DbResult<Option<SessionRecord>> {
        let t = token_hash.to_owned();
        self.run(move |c| {
            c.query_row(
                "SELECT token_hash, staff_id, csrf, created_at, expires_at FROM sessions WHERE token_hash = ?1",
                [t],
                |r| {
                    Ok(SessionRecord {
                        token_hash: r.get(0)?,
                        staff_id: r.get(1)?,
                        csrf: r.get(2)?,
                        created_at: r.get(3)?,
                        expires_at: r.get(4)?,
                    })
                },
            )
            .optional()
            .map_err(err)
        })
        .await
    }

    async fn delete_session(&self, token_hash: &str, now: &str) -> DbResult<()> {
        let (t, now) = (token_hash.to_owned(), now.to_owned());
        self.run_durable(move |c| {
            c.execute(
                "DELETE FROM sessions WHERE token_hash = ?1 OR expires_at < ?2",
                params![t, now],
            )
            .map(|_| ())
            .map_err(err)
        })
        .await
    }

    async fn delete_sessions_of(&self, staff_id: &str) -> DbResult<()> {
        let id = staff_id.to_owned();
        self.run_durable(move |c| {
            c.execute("DELETE FROM sessions WHERE staff_id = ?1", [id])
                .map(|_| ())
                .map_err(err)
        })
        .await
    }

    async fn audit(
        &self,
        at: &str,
        staff_id: &str,
        action: &str,
        target: Option<&str>,
        detail: Option<&str>,
    ) -> DbResult<()> {
        let row = (
            at.to_owned(),
            staff_id.to_owned(),
            action.to_owned(),
            target.map(str::to_owned),
            detail.map(str::to_owned),
        );
        self.run_durable(move |c| {
            c.execute(
                "INSERT INTO audit (at, staff_id, action, target, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![row.0, row.1, row.2, row.3, row.4],
            )
            .map(|_| ())
            .map_err(err)
        })
        .await
    }

    async fn audit_log(&self, limit: i64) -> DbResult<Vec<AuditRecord>> {
        self.run(move |c| {
            let mut s = c
                .prepare("SELECT seq, at, staff_id, action, target, detail FROM audit ORDER BY seq DESC LIMIT ?1")
                .map_err(err)?;
            let rows = s
                .query_map([limit], |r| {
                    Ok(AuditRecord {
                        seq: r.get(0)?,
                        at: r.get(1)?,
                        staff_id: r.get(2)?,
                        action: r.get(3)?,
                        target: r.get(4)?,
                        detail: r.get(5)?,
                    })
                })
                .map_err(err)?;
            rows.collect::<rusqlite::Result<_>>().map_err(err)
        })
        .await
    }

    async fn touch_van(&self, van_id: &str, at: &str, report: Option<&str>) -> DbResult<()> {
        let (v, at, rep) = (van_id.to_owned(), at.to_owned(), report.map(str::to_owned));
        self.run(move |c| {
            c.execute(
                "INSERT INTO van_contacts (van_id, last_contact, report) VALUES (?1, ?2, ?3)
                 ON CONFLICT (van_id) DO UPDATE SET last_contact = ?2, report = coalesce(?3, report)",
                params![v, at, rep],
            )
            .map(|_| ())
            .map_err(err)
        })
        .await
    }

    async fn van_contacts(&self) -> DbResult<Vec<VanContact>> {
        self.run(|c| {
            let mut s = c
                .prepare("SELECT van_id, last_contact, report FROM van_contacts ORDER BY van_id")
                .map_err(err)?;
            let rows = s
                .query_map([], |r| {
                    Ok(VanContact {
                        van_id: r.get(0)?,
                        last_contact: r.get(1)?,
                        report: r.get(2)?,
                    })
                })
                .map_err(err)?;
            rows.collect::<rusqlite::Result<_>>().map_err(err)
        })
        .await
    }

    async fn queue_counts(&self) -> DbResult<Vec<QueueCount>> {
        self.run(|c| {
            let mut s = c
                .prepare("SELECT routed_to, status, count(*) FROM documents GROUP BY routed_to, status ORDER BY 1, 2")
                .map_err(err)?;
            let rows = s
                .query_map([], |r| {
                    Ok(QueueCount {
                        routed_to: r.get(0)?,
                        status: r.get(1)?,
                        count: r.get(2)?,
                    })
                })
                .map_err(err)?;
            rows.collect::<rusqlite::Result<_>>().map_err(err)
        })
        .await
    }

    async fn list_documents(
        &self,
        routed_to: &str,
        status: &str,
        limit: i64,
        offset: i64,
    ) -> DbResult<Vec<DocumentSummary>> {
        let (r, st) = (routed_to.to_owned(), status.to_owned());
        self.run(move |c| {
            let mut s = c
                .prepare(&format!(
                    "SELECT {SUMMARY_COLS} FROM documents WHERE routed_to = ?1 AND status = ?2
                     ORDER BY updated_at, id LIMIT ?3 OFFSET ?4"
                ))
                .map_err(err)?;
            let rows = s.query_map(params![r, st, limit, offset], summary_row).map_err(err)?;
            rows.collect::<rusqlite::Result<_>>().map_err(err)
        })
        .await
    }

    async fn find_documents(&self, prefix: &str, limit: i64) -> DbResult<Vec<DocumentSummary>> {
        // A range on the primary key rather than LIKE: ids are lower-case hex UUIDs, and a range
        // uses the index whatever the collation.
        let lo = prefix.to_owned();
        let hi = format!("{prefix}\u{10ffff}");
        self.run(move |c| {
            let mut s = c
                .prepare(&format!(
                    "SELECT {SUMMARY_COLS} FROM documents WHERE id >= ?1 AND id < ?2 ORDER BY id LIMIT ?3"
                ))
                .map_err(err)?;
            let rows = s.query_map(params![lo, hi, limit], summary_row).map_err(err)?;
            rows.collect::<rusqlite::Result<_>>().map_err(err)
        })
        .await
    }

    async fn appointment_lists(&self, van_id: &str) -> DbResult<Vec<AppointmentRecord>> {
        let v = van_id.to_owned();
        self.run(move |c| {
            let mut s = c
                .prepare(&format!(
                    "SELECT {APPOINTMENT_COLS} FROM appointment_lists WHERE van_id = ?1 ORDER BY drive_end, drive_id"
                ))
                .map_err(err)?;
            let rows = s.query_map([v], appointment_row).map_err(err)?;
            rows.collect::<rusqlite::Result<_>>().map_err(err)
        })
        .await
    }

    async fn put_appointment_list(&self, rec: &AppointmentRecord) -> DbResult<bool> {
        let r = rec.clone();
        self.run_durable(move |c| {
            // The WHERE makes an older or equal version a no-op, so a replayed publication never
            // replaces a newer list.
            c.execute(
                &format!(
                    "INSERT INTO appointment_lists ({APPOINTMENT_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                     ON CONFLICT (van_id, drive_id) DO UPDATE SET version = excluded.version,
                         drive_end = excluded.drive_end, published_at = excluded.published_at, list = excluded.list
                     WHERE excluded.version > appointment_lists.version"
                ),
                params![r.van_id, r.drive_id, r.version, r.drive_end, r.published_at, r.list],
            )
            .map(|n| n > 0)
            .map_err(err)
        })
        .await
    }

    async fn purge_appointment_lists(&self, today: &str) -> DbResult<u64> {
        let t = today.to_owned();
        self.run_durable(move |c| {
            c.execute("DELETE FROM appointment_lists WHERE drive_end < ?1", [t])
                .map(|n| n as u64)
                .map_err(err)
        })
        .await
    }
}

const STAFF_COLS: &str = "id, display_name, role, password_hash, created_at, disabled_at";
const SUMMARY_COLS: &str = "id, van_id, routed_to, status, updated_at";

fn staff_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<StaffRecord> {
    Ok(StaffRecord {
        id: r.get(0)?,
        display_name: r.get(1)?,
        role: r.get(2)?,
        password_hash: r.get(3)?,
        created_at: r.get(4)?,
        disabled_at: r.get(5)?,
    })
}

fn summary_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<DocumentSummary> {
    Ok(DocumentSummary {
        id: r.get(0)?,
        van_id: r.get(1)?,
        routed_to: r.get(2)?,
        status: r.get(3)?,
        updated_at: r.get(4)?,
    })
}

const APPOINTMENT_COLS: &str = "van_id, drive_id, version, drive_end, published_at, list";

fn appointment_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AppointmentRecord> {
    Ok(AppointmentRecord {
        van_id: r.get(0)?,
        drive_id: r.get(1)?,
        version: r.get(2)?,
        drive_end: r.get(3)?,
        published_at: r.get(4)?,
        list: r.get(5)?,
    })
}

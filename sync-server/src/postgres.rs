//! The PostgreSQL backend (production): a connection pool, the same tables and meaning as the SQLite
//! backend, each trait call one statement or one transaction.

use std::collections::{BTreeSet, HashMap};

use async_trait::async_trait;
use sqlx::postgres::{PgPool, PgPoolOptions, PgRow};
use sqlx::{Executor, Postgres, Row, Transaction};

use crate::db::*;

/// The PostgreSQL backend.
#[derive(Clone)]
pub struct PgDb {
    pool: PgPool,
}

fn err(e: impl std::fmt::Display) -> DbError {
    DbError::Backend(e.to_string())
}

// Postgres has no rowid: `row_id` identity columns give batches and blobs the insertion order that
// replication pages by, and `changes.seq` is one too. Values burnt by a rollback or an ignored
// conflict leave gaps, which cursors (`> after`) do not mind.
const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS vans (
    id TEXT PRIMARY KEY, verifying_key BYTEA NOT NULL, recipient TEXT NOT NULL,
    registered_at TEXT NOT NULL, revoked_at TEXT
);
CREATE TABLE IF NOT EXISTS batches (
    row_id BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
    van_id TEXT NOT NULL, seq BIGINT NOT NULL, batch_id TEXT NOT NULL, ct_hash BYTEA NOT NULL,
    payload_digest BYTEA NOT NULL, receipt BYTEA NOT NULL, accepted_by TEXT NOT NULL, received_at TEXT NOT NULL,
    PRIMARY KEY (van_id, seq)
);
CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY, van_id TEXT NOT NULL, routed_to TEXT NOT NULL, status TEXT NOT NULL,
    doc BYTEA NOT NULL, heads TEXT NOT NULL, updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS documents_by_van ON documents (van_id);
CREATE TABLE IF NOT EXISTS changes (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, doc_id TEXT NOT NULL, origin TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS blobs (
    row_id BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
    sha256 TEXT PRIMARY KEY, length BIGINT, received BIGINT NOT NULL DEFAULT 0,
    complete BOOLEAN NOT NULL DEFAULT false, data BYTEA NOT NULL DEFAULT ''::bytea,
    completed_order BIGINT
);
CREATE SEQUENCE IF NOT EXISTS blob_completion;
CREATE INDEX IF NOT EXISTS blobs_by_completion ON blobs (completed_order);
CREATE TABLE IF NOT EXISTS checkpoints (name TEXT PRIMARY KEY, value BIGINT NOT NULL);
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
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, at TEXT NOT NULL, staff_id TEXT NOT NULL,
    action TEXT NOT NULL, target TEXT, detail TEXT
);
CREATE TABLE IF NOT EXISTS van_contacts (
    van_id TEXT PRIMARY KEY, last_contact TEXT NOT NULL, report TEXT
);
CREATE TABLE IF NOT EXISTS appointment_lists (
    van_id TEXT NOT NULL, drive_id TEXT NOT NULL, version BIGINT NOT NULL, drive_end TEXT NOT NULL,
    published_at TEXT NOT NULL, list BYTEA NOT NULL, PRIMARY KEY (van_id, drive_id)
);
CREATE TABLE IF NOT EXISTS retired_van_keys (
    van_id TEXT NOT NULL, verifying_key BYTEA NOT NULL, until_seq BIGINT NOT NULL, successor BYTEA NOT NULL,
    retired_at TEXT NOT NULL, statement BYTEA NOT NULL, PRIMARY KEY (van_id, verifying_key)
);
CREATE TABLE IF NOT EXISTS pending_batches (
    van_id TEXT NOT NULL, seq BIGINT NOT NULL, ct_hash BYTEA NOT NULL, envelope BYTEA NOT NULL,
    documents BIGINT NOT NULL, received_at TEXT NOT NULL, PRIMARY KEY (van_id, seq)
);
"#;

// Advisory lock keys: "qafila" in ASCII, then a number.
const MIGRATE_LOCK: i64 = 0x7161_6669_6c61_0001;
const LOG_LOCK: i64 = 0x7161_6669_6c61_0002;

const BATCH_COLS: &str = "van_id, seq, batch_id, ct_hash, payload_digest, receipt, accepted_by, received_at";
const VAN_COLS: &str = "id, verifying_key, recipient, registered_at, revoked_at";
const DOC_COLS: &str = "id, van_id, routed_to, status, doc, heads, updated_at";

impl PgDb {
    /// Connects a pool to the database at `url` (`postgres://user@host:port/db`).
    pub async fn connect(url: &str) -> DbResult<PgDb> {
        let pool = PgPoolOptions::new().connect(url).await.map_err(err)?;
        Ok(PgDb { pool })
    }
}

fn van_row(r: &PgRow) -> sqlx::Result<VanRecord> {
    Ok(VanRecord {
        id: r.try_get(0)?,
        verifying_key: r.try_get(1)?,
        recipient: r.try_get(2)?,
        registered_at: r.try_get(3)?,
        revoked_at: r.try_get(4)?,
    })
}

/// Reads the batch columns starting at column `at`.
fn batch_row(r: &PgRow, at: usize) -> sqlx::Result<BatchRecord> {
    Ok(BatchRecord {
        van_id: r.try_get(at)?,
        seq: r.try_get(at + 1)?,
        batch_id: r.try_get(at + 2)?,
        ct_hash: r.try_get(at + 3)?,
        payload_digest: r.try_get(at + 4)?,
        receipt: r.try_get(at + 5)?,
        accepted_by: r.try_get(at + 6)?,
        received_at: r.try_get(at + 7)?,
    })
}

fn retired_row(r: &PgRow) -> sqlx::Result<RetiredVanKey> {
    Ok(RetiredVanKey {
        van_id: r.try_get(0)?,
        verifying_key: r.try_get(1)?,
        until_seq: r.try_get(2)?,
        successor: r.try_get(3)?,
        retired_at: r.try_get(4)?,
        statement: r.try_get(5)?,
    })
}

fn doc_row(r: &PgRow) -> sqlx::Result<DocumentRecord> {
    Ok(DocumentRecord {
        id: r.try_get(0)?,
        van_id: r.try_get(1)?,
        routed_to: r.try_get(2)?,
        status: r.try_get(3)?,
        doc: r.try_get(4)?,
        heads: r.try_get(5)?,
        updated_at: r.try_get(6)?,
    })
}

fn change_row(r: &PgRow) -> sqlx::Result<ChangeRecord> {
    Ok(ChangeRecord {
        seq: r.try_get(0)?,
        doc_id: r.try_get(1)?,
        origin: r.try_get(2)?,
    })
}

/// SQLite reads a negative LIMIT as "no limit" where Postgres refuses it; NULL is Postgres's "no limit".
fn limit(n: i64) -> Option<i64> {
    (n >= 0).then_some(n)
}

/// Serialises the writers of `batches` and `changes` until the transaction ends. Identity values are
/// handed out at insert but become visible at commit, so two concurrent writers could commit out of
/// order and a replica paging past the later one would never see the earlier. SQLite has a single
/// writer and needs nothing of the kind.
async fn lock_log(tx: &mut Transaction<'_, Postgres>) -> DbResult<()> {
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(LOG_LOCK)
        .execute(&mut **tx)
        .await
        .map_err(err)?;
    Ok(())
}

async fn upsert_docs(tx: &mut Transaction<'_, Postgres>, docs: &[DocumentRecord], origin: &str) -> DbResult<()> {
    for d in docs {
        sqlx::query(
            "INSERT INTO documents (id, van_id, routed_to, status, doc, heads, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (id) DO UPDATE SET routed_to = EXCLUDED.routed_to, status = EXCLUDED.status,
                 doc = EXCLUDED.doc, heads = EXCLUDED.heads, updated_at = EXCLUDED.updated_at",
        )
        .bind(&d.id)
        .bind(&d.van_id)
        .bind(&d.routed_to)
        .bind(&d.status)
        .bind(&d.doc)
        .bind(&d.heads)
        .bind(&d.updated_at)
        .execute(&mut **tx)
        .await
        .map_err(err)?;
        sqlx::query("INSERT INTO changes (doc_id, origin) VALUES ($1, $2)")
            .bind(&d.id)
            .bind(origin)
            .execute(&mut **tx)
            .await
            .map_err(err)?;
    }
    Ok(())
}

#[async_trait]
impl CenterDb for PgDb {
    async fn migrate(&self) -> DbResult<()> {
        let mut tx = self.pool.begin().await.map_err(err)?;
        // IF NOT EXISTS does not stop two servers starting at once from both creating a table (one
        // then fails on the catalog's unique index); the lock makes the second find it done.
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(MIGRATE_LOCK)
            .execute(&mut *tx)
            .await
            .map_err(err)?;
        // Every run after the first would otherwise log one "already exists, skipping" notice per table.
        sqlx::query("SET LOCAL client_min_messages = warning")
            .execute(&mut *tx)
            .await
            .map_err(err)?;
        // A query without arguments goes by the simple protocol, which takes several statements at once.
        // (`sqlx::raw_sql` would say so more plainly, but its future is not `Send` inside `async_trait`.)
        Executor::execute(&mut *tx, SCHEMA).await.map_err(err)?;
        tx.commit().await.map_err(err)
    }

    async fn put_van(&self, van: &VanRecord) -> DbResult<()> {
        sqlx::query(
            "INSERT INTO vans (id, verifying_key, recipient, registered_at, revoked_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (id) DO UPDATE SET verifying_key = EXCLUDED.verifying_key, recipient = EXCLUDED.recipient,
                 registered_at = EXCLUDED.registered_at, revoked_at = EXCLUDED.revoked_at",
        )
        .bind(&van.id)
        .bind(&van.verifying_key)
        .bind(&van.recipient)
        .bind(&van.registered_at)
        .bind(&van.revoked_at)
        .execute(&self.pool)
        .await
        .map_err(err)?;
        Ok(())
    }

    async fn van(&self, id: &str) -> DbResult<Option<VanRecord>> {
        let row = sqlx::query(&format!("SELECT {VAN_COLS} FROM vans WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(err)?;
        row.as_ref().map(van_row).transpose().map_err(err)
    }

    async fn vans(&self) -> DbResult<Vec<VanRecord>> {
        let rows = sqlx::query(&format!("SELECT {VAN_COLS} FROM vans ORDER BY id"))
            .fetch_all(&self.pool)
            .await
            .map_err(err)?;
        rows.iter().map(van_row).collect::<sqlx::Result<_>>().map_err(err)
    }

    async fn revoke_van(&self, id: &str, at: &str) -> DbResult<bool> {
        let done = sqlx::query("UPDATE vans SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
            .bind(id)
            .bind(at)
            .execute(&self.pool)
            .await
            .map_err(err)?;
        Ok(done.rows_affected() > 0)
    }

    async fn rotate_van_key(&self, retired: &RetiredVanKey) -> DbResult<bool> {
        let k = retired;
        let mut tx = self.pool.begin().await.map_err(err)?;
        let moved = sqlx::query(
            "UPDATE vans SET verifying_key = $3 WHERE id = $1 AND verifying_key IN ($2, $3) AND revoked_at IS NULL",
        )
        .bind(&k.van_id)
        .bind(&k.verifying_key)
        .bind(&k.successor)
        .execute(&mut *tx)
        .await
        .map_err(err)?;
        if moved.rows_affected() == 0 {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO retired_van_keys (van_id, verifying_key, until_seq, successor, retired_at, statement)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&k.van_id)
        .bind(&k.verifying_key)
        .bind(k.until_seq)
        .bind(&k.successor)
        .bind(&k.retired_at)
        .bind(&k.statement)
        .execute(&mut *tx)
        .await
        .map_err(err)?;
        tx.commit().await.map_err(err)?;
        Ok(true)
    }

    async fn retired_van_keys(&self, van_id: &str) -> DbResult<Vec<RetiredVanKey>> {
        let rows = sqlx::query(
            "SELECT van_id, verifying_key, until_seq, successor, retired_at, statement
             FROM retired_van_keys WHERE van_id = $1 ORDER BY until_seq, retired_at",
        )
        .bind(van_id)
        .fetch_all(&self.pool)
        .await
        .map_err(err)?;
        rows.iter().map(retired_row).collect::<sqlx::Result<_>>().map_err(err)
    }

    async fn batch(&self, van_id: &str, seq: i64) -> DbResult<Option<BatchRecord>> {
        let row = sqlx::query(&format!(
            "SELECT {BATCH_COLS} FROM batches WHERE van_id = $1 AND seq = $2"
        ))
        .bind(van_id)
        .bind(seq)
        .fetch_optional(&self.pool)
        .await
        .map_err(err)?;
        row.map(|r| batch_row(&r, 0)).transpose().map_err(err)
    }

    async fn batches_after(&self, after_rowid: i64, limit_: i64) -> DbResult<Vec<(i64, BatchRecord)>> {
        let rows = sqlx::query(&format!(
            "SELECT row_id, {BATCH_COLS} FROM batches WHERE row_id > $1 ORDER BY row_id LIMIT $2"
        ))
        .bind(after_rowid)
        .bind(limit(limit_))
        .fetch_all(&self.pool)
        .await
        .map_err(err)?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, batch_row(r, 1)?)))
            .collect::<sqlx::Result<_>>()
            .map_err(err)
    }

    async fn acked_through(&self, van_id: &str) -> DbResult<i64> {
        // The SQLite backend walks the sorted seqs while they run 1, 2, 3, ...; here the server does it.
        // Seqs are distinct, so seq - pos never decreases and the rows where seq = pos are exactly that
        // run, unless the smallest seq is below 1, where the walk stops at once.
        sqlx::query_scalar::<_, i64>(
            "SELECT CASE WHEN min(seq) < 1 THEN 0 ELSE count(*) FILTER (WHERE seq = pos) END
             FROM (SELECT seq, row_number() OVER (ORDER BY seq) AS pos FROM batches WHERE van_id = $1) AS held",
        )
        .bind(van_id)
        .fetch_one(&self.pool)
        .await
        .map_err(err)
    }

    async fn documents(&self, ids: &[String]) -> DbResult<Vec<DocumentRecord>> {
        let rows = sqlx::query(&format!("SELECT {DOC_COLS} FROM documents WHERE id = ANY($1)"))
            .bind(ids)
            .fetch_all(&self.pool)
            .await
            .map_err(err)?;
        let mut found = HashMap::with_capacity(rows.len());
        for r in &rows {
            let d = doc_row(r).map_err(err)?;
            found.insert(d.id.clone(), d);
        }
        // Callers get the order they asked in (and a repeated id twice), as from SQLite.
        Ok(ids.iter().filter_map(|id| found.get(id).cloned()).collect())
    }

    async fn commit_batch(&self, batch: &BatchRecord, docs: &[DocumentRecord], origin: &str) -> DbResult<()> {
        let mut tx = self.pool.begin().await.map_err(err)?;
        lock_log(&mut tx).await?;
        let b = batch;
        let inserted = sqlx::query(&format!(
            "INSERT INTO batches ({BATCH_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING"
        ))
        .bind(&b.van_id)
        .bind(b.seq)
        .bind(&b.batch_id)
        .bind(&b.ct_hash)
        .bind(&b.payload_digest)
        .bind(&b.receipt)
        .bind(&b.accepted_by)
        .bind(&b.received_at)
        .execute(&mut *tx)
        .await
        .map_err(err)?;
        if inserted.rows_affected() == 1 {
            upsert_docs(&mut tx, docs, origin).await?;
        }
        sqlx::query("DELETE FROM pending_batches WHERE van_id = $1 AND seq = $2")
            .bind(&b.van_id)
            .bind(b.seq)
            .execute(&mut *tx)
            .await
            .map_err(err)?;
        tx.commit().await.map_err(err)
    }

    async fn put_pending(&self, batch: &PendingBatch) -> DbResult<()> {
        let p = batch;
        let mut tx = self.pool.begin().await.map_err(err)?;
        sqlx::query(
            "INSERT INTO pending_batches (van_id, seq, ct_hash, envelope, documents, received_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (van_id, seq) DO UPDATE SET \
             ct_hash = EXCLUDED.ct_hash, envelope = EXCLUDED.envelope, documents = EXCLUDED.documents, \
             received_at = EXCLUDED.received_at",
        )
        .bind(&p.van_id)
        .bind(p.seq)
        .bind(&p.ct_hash)
        .bind(&p.envelope)
        .bind(p.documents)
        .bind(&p.received_at)
        .execute(&mut *tx)
        .await
        .map_err(err)?;
        sqlx::query(
            "DELETE FROM pending_batches WHERE van_id = $1 AND seq NOT IN \
             (SELECT seq FROM pending_batches WHERE van_id = $1 ORDER BY seq DESC LIMIT $2)",
        )
        .bind(&p.van_id)
        .bind(PENDING_PER_VAN)
        .execute(&mut *tx)
        .await
        .map_err(err)?;
        tx.commit().await.map_err(err)
    }

    async fn pending(&self, van_id: &str, seq: i64) -> DbResult<Option<PendingBatch>> {
        let row = sqlx::query(
            "SELECT van_id, seq, ct_hash, envelope, documents, received_at FROM pending_batches \
             WHERE van_id = $1 AND seq = $2",
        )
        .bind(van_id)
        .bind(seq)
        .fetch_optional(&self.pool)
        .await
        .map_err(err)?;
        row.map(|r| -> sqlx::Result<_> {
            Ok(PendingBatch {
                van_id: r.try_get(0)?,
                seq: r.try_get(1)?,
                ct_hash: r.try_get(2)?,
                envelope: r.try_get(3)?,
                documents: r.try_get(4)?,
                received_at: r.try_get(5)?,
            })
        })
        .transpose()
        .map_err(err)
    }

    async fn pending_counts(&self) -> DbResult<Vec<PendingCount>> {
        let rows = sqlx::query(
            "SELECT van_id, COUNT(*), SUM(documents)::BIGINT, MIN(received_at) FROM pending_batches \
             GROUP BY van_id ORDER BY van_id",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(err)?;
        rows.iter()
            .map(|r| -> sqlx::Result<_> {
                Ok(PendingCount {
                    van_id: r.try_get(0)?,
                    batches: r.try_get(1)?,
                    documents: r.try_get(2)?,
                    oldest: r.try_get(3)?,
                })
            })
            .collect::<sqlx::Result<_>>()
            .map_err(err)
    }

    async fn put_documents(&self, docs: &[DocumentRecord], origin: &str) -> DbResult<()> {
        let mut tx = self.pool.begin().await.map_err(err)?;
        lock_log(&mut tx).await?;
        upsert_docs(&mut tx, docs, origin).await?;
        tx.commit().await.map_err(err)
    }

    async fn blob_state(&self, sha256: &str) -> DbResult<Option<BlobState>> {
        let row = sqlx::query("SELECT received, length, complete FROM blobs WHERE sha256 = $1")
            .bind(sha256)
            .fetch_optional(&self.pool)
            .await
            .map_err(err)?;
        row.map(|r| -> sqlx::Result<_> {
            Ok(BlobState {
                received: r.try_get(0)?,
                length: r.try_get(1)?,
                complete: r.try_get(2)?,
            })
        })
        .transpose()
        .map_err(err)
    }

    async fn complete_blobs(&self, sha256s: &[String]) -> DbResult<BTreeSet<String>> {
        let rows: Vec<String> = sqlx::query_scalar("SELECT sha256 FROM blobs WHERE complete AND sha256 = ANY($1)")
            .bind(sha256s)
            .fetch_all(&self.pool)
            .await
            .map_err(err)?;
        Ok(rows.into_iter().collect())
    }

    async fn blob_append(&self, sha256: &str, offset: i64, length: i64, chunk: &[u8]) -> DbResult<BlobState> {
        let size = i64::try_from(chunk.len()).map_err(|_| DbError::Length("chunk too large".into()))?;
        // Returning early drops `tx`, which rolls back: a refused first chunk leaves no row behind.
        let mut tx = self.pool.begin().await.map_err(err)?;
        sqlx::query("INSERT INTO blobs (sha256, length) VALUES ($1, $2) ON CONFLICT (sha256) DO NOTHING")
            .bind(sha256)
            .bind(length)
            .execute(&mut *tx)
            .await
            .map_err(err)?;
        // The row lock holds a concurrent append of the same blob until this one commits, so both
        // cannot pass the offset check against the same length.
        let row = sqlx::query("SELECT received, length, complete FROM blobs WHERE sha256 = $1 FOR UPDATE")
            .bind(sha256)
            .fetch_one(&mut *tx)
            .await
            .map_err(err)?;
        let held: i64 = row.try_get(0).map_err(err)?;
        let declared: Option<i64> = row.try_get(1).map_err(err)?;
        let complete: bool = row.try_get(2).map_err(err)?;
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
        if held + size > length {
            return Err(DbError::Length(format!(
                "{} bytes would exceed the declared {length}",
                held + size
            )));
        }
        sqlx::query("UPDATE blobs SET data = data || $2, received = received + $3 WHERE sha256 = $1")
            .bind(sha256)
            .bind(chunk)
            .bind(size)
            .execute(&mut *tx)
            .await
            .map_err(err)?;
        tx.commit().await.map_err(err)?;
        Ok(BlobState {
            received: held + size,
            length: Some(length),
            complete: false,
        })
    }

    async fn blob_put_complete(&self, sha256: &str, data: &[u8]) -> DbResult<()> {
        sqlx::query(
            "INSERT INTO blobs (sha256, length, received, complete, completed_order, data)
             VALUES ($1, $2, $2, true, nextval('blob_completion'), $3)
             ON CONFLICT (sha256) DO UPDATE SET length = EXCLUDED.length, received = EXCLUDED.received,
                 complete = true, data = EXCLUDED.data, completed_order = EXCLUDED.completed_order
             WHERE NOT blobs.complete",
        )
        .bind(sha256)
        .bind(data.len() as i64)
        .bind(data)
        .execute(&self.pool)
        .await
        .map_err(err)?;
        Ok(())
    }

    async fn blob_data(&self, sha256: &str) -> DbResult<Option<Vec<u8>>> {
        sqlx::query_scalar::<_, Vec<u8>>("SELECT data FROM blobs WHERE sha256 = $1")
            .bind(sha256)
            .fetch_optional(&self.pool)
            .await
            .map_err(err)
    }

    async fn blob_finish(&self, sha256: &str, ok: bool) -> DbResult<()> {
        let sql = if ok {
            "UPDATE blobs SET complete = true, completed_order = nextval('blob_completion') WHERE sha256 = $1"
        } else {
            "DELETE FROM blobs WHERE sha256 = $1"
        };
        sqlx::query(sql).bind(sha256).execute(&self.pool).await.map_err(err)?;
        Ok(())
    }

    async fn blobs_after(&self, after_rowid: i64, limit_: i64) -> DbResult<Vec<(i64, String)>> {
        sqlx::query_as::<_, (i64, String)>(
            "SELECT completed_order, sha256 FROM blobs WHERE complete AND completed_order > $1 ORDER BY completed_order LIMIT $2",
        )
        .bind(after_rowid)
        .bind(limit(limit_))
        .fetch_all(&self.pool)
        .await
        .map_err(err)
    }

    async fn changes_since(&self, cursor: i64, limit_: i64) -> DbResult<Vec<ChangeRecord>> {
        let rows = sqlx::query("SELECT seq, doc_id, origin FROM changes WHERE seq > $1 ORDER BY seq LIMIT $2")
            .bind(cursor)
            .bind(limit(limit_))
            .fetch_all(&self.pool)
            .await
            .map_err(err)?;
        rows.iter().map(change_row).collect::<sqlx::Result<_>>().map_err(err)
    }

    async fn van_changes_since(&self, van_id: &str, cursor: i64, limit_: i64) -> DbResult<Vec<ChangeRecord>> {
        let rows = sqlx::query(
            "SELECT ch.seq, ch.doc_id, ch.origin FROM changes ch JOIN documents d ON d.id = ch.doc_id
             WHERE d.van_id = $1 AND ch.seq > $2 AND ch.origin <> ('van:' || $1) ORDER BY ch.seq LIMIT $3",
        )
        .bind(van_id)
        .bind(cursor)
        .bind(limit(limit_))
        .fetch_all(&self.pool)
        .await
        .map_err(err)?;
        rows.iter().map(change_row).collect::<sqlx::Result<_>>().map_err(err)
    }

    async fn checkpoint(&self, name: &str) -> DbResult<i64> {
        let value = sqlx::query_scalar::<_, i64>("SELECT value FROM checkpoints WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await
            .map_err(err)?;
        Ok(value.unwrap_or(0))
    }

    async fn set_checkpoint(&self, name: &str, value: i64) -> DbResult<()> {
        sqlx::query(
            "INSERT INTO checkpoints (name, value) VALUES ($1, $2)
             ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value",
        )
        .bind(name)
        .bind(value)
        .execute(&self.pool)
        .await
        .map_err(err)?;
        Ok(())
    }

    async fn counts(&self, center: &str) -> DbResult<Counts> {
        // One statement, so the numbers come from one snapshot.
        let r = sqlx::query(
            "SELECT (SELECT count(*) FROM vans), (SELECT count(*) FROM vans WHERE revoked_at IS NOT NULL),
                    (SELECT count(*) FROM batches), (SELECT count(*) FROM documents),
                    (SELECT count(*) FROM documents WHERE routed_to = $1), (SELECT count(*) FROM blobs WHERE complete),
                    (SELECT count(*) FROM changes)",
        )
        .bind(center)
        .fetch_one(&self.pool)
        .await
        .map_err(err)?;
        let get = |i: usize| r.try_get::<i64, _>(i).map_err(err);
        Ok(Counts {
            vans: get(0)?,
            revoked_vans: get(1)?,
            batches: get(2)?,
            documents: get(3)?,
            routed_here: get(4)?,
            blobs: get(5)?,
            changes: get(6)?,
        })
    }

    async fn put_staff(&self, staff: &StaffRecord) -> DbResult<()> {
        sqlx::query(
            "INSERT INTO staff (id, display_name, role, password_hash, created_at, disabled_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (id) DO UPDATE SET display_name = $2, role = $3, password_hash = $4, disabled_at = $6",
        )
        .bind(&staff.id)
        .bind(&staff.display_name)
        .bind(&staff.role)
        .bind(&staff.password_hash)
        .bind(&staff.created_at)
        .bind(&staff.disabled_at)
        .execute(&self.pool)
        .await
        .map(|_| ())
        .map_err(err)
    }

    async fn staff(&self, id: &str) -> DbResult<Option<StaffRecord>> {
        let row = sqlx::query(&format!("SELECT {STAFF_COLS} FROM staff WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(err)?;
        row.as_ref().map(staff_row).transpose().map_err(err)
    }

    async fn staff_list(&self) -> DbResult<Vec<StaffRecord>> {
        let rows = sqlx::query(&format!("SELECT {STAFF_COLS} FROM staff ORDER BY id"))
            .fetch_all(&self.pool)
            .await
            .map_err(err)?;
        rows.iter().map(staff_row).collect::<sqlx::Result<_>>().map_err(err)
    }

    async fn put_session(&self, session: &SessionRecord) -> DbResult<()> {
        sqlx::query(
            "INSERT INTO sessions (token_hash, staff_id, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&session.token_hash)
        .bind(&session.staff_id)
        .bind(&session.csrf)
        .bind(&session.created_at)
        .bind(&session.expires_at)
        .execute(&self.pool)
        .await
        .map(|_| ())
        .map_err(err)
    }

    async fn session(&self, token_hash: &str) -> DbResult<Option<SessionRecord>> {
        let row = sqlx::query(
            "SELECT token_hash, staff_id, csrf, created_at, expires_at FROM sessions WHERE token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await
        .map_err(err)?;
        row.map(|r| -> sqlx::Result<SessionRecord> {
            Ok(SessionRecord {
                token_hash: r.try_get(0)?,
                staff_id: r.try_get(1)?,
                csrf: r.try_get(2)?,
                created_at: r.try_get(3)?,
                expires_at: r.try_get(4)?,
            })
        })
        .transpose()
        .map_err(err)
    }

    async fn delete_session(&self, token_hash: &str, now: &str) -> DbResult<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1 OR expires_at < $2")
            .bind(token_hash)
            .bind(now)
            .execute(&self.pool)
            .await
            .map(|_| ())
            .map_err(err)
    }

    async fn delete_sessions_of(&self, staff_id: &str) -> DbResult<()> {
        sqlx::query("DELETE FROM sessions WHERE staff_id = $1")
            .bind(staff_id)
            .execute(&self.pool)
            .await
            .map(|_| ())
            .map_err(err)
    }

    async fn audit(
        &self,
        at: &str,
        staff_id: &str,
        action: &str,
        target: Option<&str>,
        detail: Option<&str>,
    ) -> DbResult<()> {
        sqlx::query("INSERT INTO audit (at, staff_id, action, target, detail) VALUES ($1, $2, $3, $4, $5)")
            .bind(at)
            .bind(staff_id)
            .bind(action)
            .bind(target)
            .bind(detail)
            .execute(&self.pool)
            .await
            .map(|_| ())
            .map_err(err)
    }

    async fn audit_log(&self, limit: i64) -> DbResult<Vec<AuditRecord>> {
        let rows =
            sqlx::query("SELECT seq, at, staff_id, action, target, detail FROM audit ORDER BY seq DESC LIMIT $1")
                .bind(limit)
                .fetch_all(&self.pool)
                .await
                .map_err(err)?;
        rows.iter()
            .map(|r| -> sqlx::Result<AuditRecord> {
                Ok(AuditRecord {
                    seq: r.try_get(0)?,
                    at: r.try_get(1)?,
                    staff_id: r.try_get(2)?,
                    action: r.try_get(3)?,
                    target: r.try_get(4)?,
                    detail: r.try_get(5)?,
                })
            })
            .collect::<sqlx::Result<_>>()
            .map_err(err)
    }

    async fn touch_van(&self, van_id: &str, at: &str, report: Option<&str>) -> DbResult<()> {
        sqlx::query(
            "INSERT INTO van_contacts (van_id, last_contact, report) VALUES ($1, $2, $3)
             ON CONFLICT (van_id) DO UPDATE SET last_contact = $2, report = coalesce($3, van_contacts.report)",
        )
        .bind(van_id)
        .bind(at)
        .bind(report)
        .execute(&self.pool)
        .await
        .map(|_| ())
        .map_err(err)
    }

    async fn van_contacts(&self) -> DbResult<Vec<VanContact>> {
        let rows = sqlx::query("SELECT van_id, last_contact, report FROM van_contacts ORDER BY van_id")
            .fetch_all(&self.pool)
            .await
            .map_err(err)?;
        rows.iter()
            .map(|r| -> sqlx::Result<VanContact> {
                Ok(VanContact {
                    van_id: r.try_get(0)?,
                    last_contact: r.try_get(1)?,
                    report: r.try_get(2)?,
                })
            })
            .collect::<sqlx::Result<_>>()
            .map_err(err)
    }

    async fn queue_counts(&self) -> DbResult<Vec<QueueCount>> {
        let rows =
            sqlx::query("SELECT routed_to, status, count(*) FROM documents GROUP BY routed_to, status ORDER BY 1, 2")
                .fetch_all(&self.pool)
                .await
                .map_err(err)?;
        rows.iter()
            .map(|r| -> sqlx::Result<QueueCount> {
                Ok(QueueCount {
                    routed_to: r.try_get(0)?,
                    status: r.try_get(1)?,
                    count: r.try_get(2)?,
                })
            })
            .collect::<sqlx::Result<_>>()
            .map_err(err)
    }

    async fn list_documents(
        &self,
        routed_to: &str,
        status: &str,
        limit: i64,
        offset: i64,
    ) -> DbResult<Vec<DocumentSummary>> {
        let rows = sqlx::query(&format!(
            "SELECT {SUMMARY_COLS} FROM documents WHERE routed_to = $1 AND status = $2
             ORDER BY updated_at, id LIMIT $3 OFFSET $4"
        ))
        .bind(routed_to)
        .bind(status)
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await
        .map_err(err)?;
        rows.iter().map(summary_row).collect::<sqlx::Result<_>>().map_err(err)
    }

    async fn find_documents(&self, prefix: &str, limit: i64) -> DbResult<Vec<DocumentSummary>> {
        let rows = sqlx::query(&format!(
            "SELECT {SUMMARY_COLS} FROM documents WHERE left(id, length($1)) = $1 ORDER BY id LIMIT $2"
        ))
        .bind(prefix)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(err)?;
        rows.iter().map(summary_row).collect::<sqlx::Result<_>>().map_err(err)
    }

    async fn appointment_lists(&self, van_id: &str) -> DbResult<Vec<AppointmentRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {APPOINTMENT_COLS} FROM appointment_lists WHERE van_id = $1 ORDER BY drive_end, drive_id"
        ))
        .bind(van_id)
        .fetch_all(&self.pool)
        .await
        .map_err(err)?;
        rows.iter()
            .map(appointment_row)
            .collect::<sqlx::Result<_>>()
            .map_err(err)
    }

    async fn put_appointment_list(&self, rec: &AppointmentRecord) -> DbResult<bool> {
        // The WHERE makes an older or equal version a no-op, so a replayed publication never
        // replaces a newer list.
        let done = sqlx::query(&format!(
            "INSERT INTO appointment_lists ({APPOINTMENT_COLS}) VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (van_id, drive_id) DO UPDATE SET version = EXCLUDED.version,
                 drive_end = EXCLUDED.drive_end, published_at = EXCLUDED.published_at, list = EXCLUDED.list
             WHERE EXCLUDED.version > appointment_lists.version"
        ))
        .bind(&rec.van_id)
        .bind(&rec.drive_id)
        .bind(rec.version)
        .bind(&rec.drive_end)
        .bind(&rec.published_at)
        .bind(&rec.list)
        .execute(&self.pool)
        .await
        .map_err(err)?;
        Ok(done.rows_affected() > 0)
    }

    async fn purge_appointment_lists(&self, today: &str) -> DbResult<u64> {
        let done = sqlx::query("DELETE FROM appointment_lists WHERE drive_end < $1")
            .bind(today)
            .execute(&self.pool)
            .await
            .map_err(err)?;
        Ok(done.rows_affected())
    }
}

const STAFF_COLS: &str = "id, display_name, role, password_hash, created_at, disabled_at";
const SUMMARY_COLS: &str = "id, van_id, routed_to, status, updated_at";

fn staff_row(r: &PgRow) -> sqlx::Result<StaffRecord> {
    Ok(StaffRecord {
        id: r.try_get(0)?,
        display_name: r.try_get(1)?,
        role: r.try_get(2)?,
        password_hash: r.try_get(3)?,
        created_at: r.try_get(4)?,
        disabled_at: r.try_get(5)?,
    })
}

fn summary_row(r: &PgRow) -> sqlx::Result<DocumentSummary> {
    Ok(DocumentSummary {
        id: r.try_get(0)?,
        van_id: r.try_get(1)?,
        routed_to: r.try_get(2)?,
        status: r.try_get(3)?,
        updated_at: r.try_get(4)?,
    })
}

const APPOINTMENT_COLS: &str = "van_id, drive_id, version, drive_end, published_at, list";

fn appointment_row(r: &PgRow) -> sqlx::Result<AppointmentRecord> {
    Ok(AppointmentRecord {
        van_id: r.try_get(0)?,
        drive_id: r.try_get(1)?,
        version: r.try_get(2)?,
        drive_end: r.try_get(3)?,
        published_at: r.try_get(4)?,
        list: r.try_get(5)?,
    })
}

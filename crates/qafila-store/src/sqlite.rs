//! Opening the van database: durability settings and migrations.

use std::path::Path;

use rusqlite::{Connection, OpenFlags};

use crate::error::{Result, StoreError};

/// Each migration takes the schema from version `i` to `i + 1`; never edit one that has shipped.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL) STRICT;
CREATE TABLE operators (
    id TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    sealed_key BLOB NOT NULL,
    added_at TEXT NOT NULL
) STRICT;
CREATE TABLE enrollments (
    id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    doc BLOB NOT NULL,
    summary BLOB NOT NULL
) STRICT;
CREATE INDEX enrollments_by_created ON enrollments (created_at);
CREATE INDEX enrollments_by_status ON enrollments (status);
CREATE TABLE blobs (id BLOB PRIMARY KEY, size INTEGER NOT NULL, data BLOB NOT NULL) STRICT;
CREATE TABLE enrollment_blobs (
    enrollment_id TEXT NOT NULL,
    blob_id BLOB NOT NULL,
    PRIMARY KEY (enrollment_id, blob_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX enrollment_blobs_by_blob ON enrollment_blobs (blob_id);
CREATE TABLE search_tokens (
    token BLOB NOT NULL,
    enrollment_id TEXT NOT NULL,
    PRIMARY KEY (token, enrollment_id)
) STRICT, WITHOUT ROWID;
CREATE TABLE drafts (
    id TEXT PRIMARY KEY,
    operator_id TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    data BLOB NOT NULL
) STRICT;
CREATE TABLE journal (
    seq INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    action TEXT NOT NULL,
    actor TEXT NOT NULL,
    subject TEXT NOT NULL,
    detail TEXT NOT NULL,
    prev BLOB NOT NULL,
    hash BLOB NOT NULL,
    sig BLOB NOT NULL
) STRICT;
"#,
    r#"
CREATE TABLE centers (
    id TEXT PRIMARY KEY,
    verifying_key BLOB NOT NULL,
    recipient TEXT NOT NULL,
    added_at TEXT NOT NULL
) STRICT;
CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY,
    batch_id TEXT NOT NULL,
    envelope BLOB NOT NULL,
    documents INTEGER NOT NULL,
    manifest BLOB NOT NULL,
    created_at TEXT NOT NULL,
    receipted_at TEXT
) STRICT;
CREATE TABLE outbox_documents (
    seq INTEGER NOT NULL,
    enrollment_id TEXT NOT NULL,
    heads TEXT NOT NULL,
    PRIMARY KEY (seq, enrollment_id)
) STRICT, WITHOUT ROWID;
CREATE TABLE transfer_blobs (
    blob_id BLOB PRIMARY KEY,
    data BLOB NOT NULL
) STRICT;
CREATE TABLE doc_sync (
    enrollment_id TEXT PRIMARY KEY,
    acked_heads TEXT NOT NULL
) STRICT;
CREATE TABLE receipts (
    center TEXT NOT NULL,
    seq_from INTEGER NOT NULL,
    seq_to INTEGER NOT NULL,
    signed BLOB NOT NULL,
    received_at TEXT NOT NULL,
    PRIMARY KEY (center, seq_from, seq_to)
) STRICT;
ALTER TABLE enrollments ADD COLUMN purged_at TEXT;
ALTER TABLE enrollments ADD COLUMN heads TEXT NOT NULL DEFAULT '';
"#,
    // Appointment lists: only the drive's id, dates and version are in clear (to purge and replace
    // without the key); the list and the bookings already started are encrypted in `data`.
    r#"
CREATE TABLE appointment_lists (
    drive_id TEXT PRIMARY KEY,
    center TEXT NOT NULL,
    version INTEGER NOT NULL,
    drive_start TEXT NOT NULL,
    drive_end TEXT NOT NULL,
    data BLOB NOT NULL
) STRICT;
"#,
    // The van's signing keys over time: the first is made at init; each later one took over at a journal
    // entry and a batch number, and `statement` is the rotation statement (signed by the key before it
    // and by itself) that the van sends the centers. A store from before rotation existed gets its one
    // key as the first.
    r#"
CREATE TABLE van_keys (
    n INTEGER PRIMARY KEY,
    public_key BLOB NOT NULL UNIQUE,
    journal_seq INTEGER NOT NULL,
    first_batch INTEGER NOT NULL,
    at TEXT NOT NULL,
    statement BLOB
) STRICT;
INSERT INTO van_keys (n, public_key, journal_seq, first_batch, at)
    SELECT 1, value, 1, 1, COALESCE((SELECT CAST(value AS TEXT) FROM meta WHERE key = 'created_at'), '')
    FROM meta WHERE key = 'van_public_key';
"#,
];

/// The database file inside a store directory.
pub const DB_FILE: &str = "van.db";

/// Opens (or with `create`, creates) the database, applies durability settings and migrations.
pub fn open(dir: &Path, create: bool, max_bytes: Option<u64>) -> Result<Connection> {
    let path = dir.join(DB_FILE);
    if !create && !path.exists() {
        return Err(StoreError::NotInitialised(dir.display().to_string()));
    }
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if create {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    let mut conn = Connection::open_with_flags(&path, flags)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    // WAL + FULL: a commit that returned survives a power cut. Temporary tables stay in memory and
    // freed pages are zeroed, so nothing leaves SQLite's control through scratch files.
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::DatabaseDamaged(format!(
            "could not enable write-ahead logging (mode {mode})"
        )));
    }
    conn.execute_batch(
        "PRAGMA synchronous = FULL; PRAGMA temp_store = MEMORY; PRAGMA secure_delete = ON; PRAGMA foreign_keys = ON;",
    )?;
    if let Some(limit) = max_bytes {
        let page: i64 = conn.query_row("PRAGMA page_size", [], |r| r.get(0))?;
        let pages = (limit as i64 / page).max(16);
        conn.query_row(&format!("PRAGMA max_page_count = {pages}"), [], |_| Ok(()))?;
    }
    migrate(&mut conn)?;
    Ok(conn)
}

fn migrate(conn: &mut Connection) -> Result<()> {
    let version: usize = conn.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))? as usize;
    if version > MIGRATIONS.len() {
        return Err(StoreError::DatabaseDamaged(format!(
            "the store was written by a newer Qafila (schema {version}); update this app"
        )));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
    }
    Ok(())
}

/// A full structural check of the database file (reads every page: slow on a large store).
pub fn integrity_check(conn: &Connection) -> Result<()> {
    let check: String = conn.query_row("PRAGMA quick_check(1)", [], |r| r.get(0))?;
    if check == "ok" {
        Ok(())
    } else {
        Err(StoreError::DatabaseDamaged(check))
    }
}

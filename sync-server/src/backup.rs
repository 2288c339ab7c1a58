//! Backup and restore of a center: its database (documents, batches, blobs, staff, audit: blobs live
//! in the `blobs` table, so the dump holds them) and its keys file.
//!
//! A backup is a new folder holding:
//! - `center.db` (SQLite, `VACUUM INTO`: a consistent copy taken while the server runs) or
//!   `center.pgdump` (PostgreSQL, `pg_dump -Fc`);
//! - `keys.json.age`: the keys file encrypted with age to a passphrase (scrypt). The database holds
//!   nothing personal in clear (documents and blobs are encrypted to the center's keys), so with the
//!   keys sealed the folder can travel to off-site storage; the passphrase must not travel with it;
//! - `manifest.json`, written last: counts, a digest of every document's heads and of every blob's
//!   bytes, and the SHA-256 of each file. Restore checks the files against it before using them and
//!   the restored database against it afterwards.
//!
//! Restore goes into an empty server only (no keys file, a database with no rows): merging a backup
//! into a live center would be replication's job, not this one's.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use age::secrecy::SecretString;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::Config;
use crate::db::{CenterDb, DbError};

/// The manifest's format version.
pub const FORMAT: u32 = 1;
const MANIFEST: &str = "manifest.json";
const KEYS: &str = "keys.json.age";
const SQLITE_FILE: &str = "center.db";
const PG_FILE: &str = "center.pgdump";

/// Why a backup or a restore failed.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// A file could not be read or written.
    #[error("{path}: {reason}")]
    File {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// Storage failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// `pg_dump` or `pg_restore` failed or is missing.
    #[error("{tool}: {reason}")]
    Tool {
        /// The program.
        tool: String,
        /// What went wrong (its error output).
        reason: String,
    },
    /// The target server is not empty.
    #[error("restore refused: {0}")]
    NotEmpty(String),
    /// The backup does not match its manifest, or does not fit this server.
    #[error("backup {field}: {reason}")]
    Invalid {
        /// The manifest field or file at fault.
        field: String,
        /// Why.
        reason: String,
    },
    /// Batches arrived while PostgreSQL was being dumped: the manifest could not describe the dump.
    #[error("the center changed while it was being backed up; run the backup again (or stop the server during it)")]
    Changed,
    /// The keys file could not be sealed or opened.
    #[error("keys: {0}")]
    Keys(String),
}

type Result<T> = std::result::Result<T, BackupError>;

fn file_err(path: &Path, e: impl std::fmt::Display) -> BackupError {
    BackupError::File {
        path: path.to_owned(),
        reason: e.to_string(),
    }
}

fn invalid(field: impl Into<String>, reason: impl Into<String>) -> BackupError {
    BackupError::Invalid {
        field: field.into(),
        reason: reason.into(),
    }
}

/// Where a center keeps its data.
#[derive(Clone, Debug)]
pub enum Storage {
    /// The SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL URL.
    #[cfg(feature = "postgres")]
    Postgres(String),
}

impl Storage {
    /// The storage a configuration names (the same rule as `serve`).
    pub fn of(cfg: &Config) -> Result<Storage> {
        match &cfg.database_url {
            #[cfg(feature = "postgres")]
            Some(url) if url.starts_with("postgres") => Ok(Storage::Postgres(url.clone())),
            Some(_) => Err(invalid(
                "database_url",
                "only postgres:// URLs are supported (leave it out for SQLite)",
            )),
            None => Ok(Storage::Sqlite(cfg.data_dir.join("center.db"))),
        }
    }

    /// `sqlite` or `postgres`.
    pub fn kind(&self) -> &'static str {
        match self {
            Storage::Sqlite(_) => "sqlite",
            #[cfg(feature = "postgres")]
            Storage::Postgres(_) => "postgres",
        }
    }

    /// Opens the storage and brings its schema up to date.
    pub async fn open(&self) -> Result<Arc<dyn CenterDb>> {
        let db: Arc<dyn CenterDb> = match self {
            Storage::Sqlite(path) => Arc::new(crate::sqlite::SqliteDb::open(path)?),
            #[cfg(feature = "postgres")]
            Storage::Postgres(url) => Arc::new(crate::postgres::PgDb::connect(url).await?),
        };
        db.migrate().await?;
        Ok(db)
    }

    fn dump_name(&self) -> &'static str {
        match self {
            Storage::Sqlite(_) => SQLITE_FILE,
            #[cfg(feature = "postgres")]
            Storage::Postgres(_) => PG_FILE,
        }
    }
}

/// What a center holds, in numbers and digests: equal contents give equal values.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Content {
    /// Registered vans.
    pub vans: i64,
    /// Batches held.
    pub batches: i64,
    /// Documents held.
    pub documents: i64,
    /// Complete blobs.
    pub blobs: i64,
    /// Entries of the change log.
    pub changes: i64,
    /// Staff accounts.
    pub staff: i64,
    /// SHA-256 over `id heads\n` of every document, by id.
    pub heads_sha256: String,
    /// SHA-256 over `name sha256(bytes)\n` of every complete blob, by name.
    pub blobs_sha256: String,
}

/// The description of a backup, written beside its files.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// [`FORMAT`].
    pub format: u32,
    /// The center backed up.
    pub center: String,
    /// `sqlite` or `postgres`.
    pub backend: String,
    /// When (RFC 3339).
    pub created_at: String,
    /// What the database held.
    pub content: Content,
    /// SHA-256 (hex) of each file of the backup, by name.
    pub files: BTreeMap<String, String>,
}

/// Counts and digests of a center's database.
pub async fn content(db: &dyn CenterDb, center: &str) -> Result<Content> {
    let counts = db.counts(center).await?;
    // Every stored document has at least one entry in the change log: the log lists them all
    // without relying on the collation of an id range.
    let mut ids = BTreeSet::new();
    let mut cursor = 0;
    loop {
        let page = db.changes_since(cursor, 5000).await?;
        let Some(last) = page.last() else { break };
        cursor = last.seq;
        ids.extend(page.into_iter().map(|c| c.doc_id));
    }
    let ids: Vec<String> = ids.into_iter().collect();
    let mut heads = Sha256::new();
    let mut documents = 0i64;
    for chunk in ids.chunks(500) {
        let mut docs = db.documents(chunk).await?;
        docs.sort_by(|a, b| a.id.cmp(&b.id));
        for d in docs {
            heads.update(format!("{} {}\n", d.id, d.heads));
            documents += 1;
        }
    }
    if documents != counts.documents {
        return Err(invalid(
            "documents",
            format!(
                "{} documents are held but the change log names {documents}",
                counts.documents
            ),
        ));
    }
    let mut names = BTreeSet::new();
    let mut after = 0;
    loop {
        let page = db.blobs_after(after, 1000).await?;
        let Some((last, _)) = page.last() else { break };
        after = *last;
        names.extend(page.into_iter().map(|(_, name)| name));
    }
    let mut blobs = Sha256::new();
    for name in &names {
        let data = db
            .blob_data(name)
            .await?
            .ok_or_else(|| invalid("blobs", format!("blob {name} is listed complete but has no data")))?;
        blobs.update(format!("{name} {}\n", hex::encode(Sha256::digest(&data))));
    }
    Ok(Content {
        vans: counts.vans,
        batches: counts.batches,
        documents,
        blobs: names.len() as i64,
        changes: counts.changes,
        staff: db.staff_list().await?.len() as i64,
        heads_sha256: hex::encode(heads.finalize()),
        blobs_sha256: hex::encode(blobs.finalize()),
    })
}

/// Backs up a center into `out`, a new (or empty) folder; returns the manifest written there.
pub async fn backup(
    storage: &Storage,
    keys_path: &Path,
    center: &str,
    out: &Path,
    passphrase: &str,
) -> Result<Manifest> {
    if passphrase.is_empty() {
        return Err(BackupError::Keys("the passphrase is empty".into()));
    }
    if out.exists() {
        let mut entries = std::fs::read_dir(out).map_err(|e| file_err(out, e))?;
        if entries.next().is_some() {
            return Err(file_err(out, "is not empty: a backup goes into a new folder"));
        }
    }
    std::fs::create_dir_all(out).map_err(|e| file_err(out, e))?;
    let keys_text = std::fs::read(keys_path).map_err(|e| file_err(keys_path, e))?;
    let keys_center = serde_json::from_slice::<serde_json::Value>(&keys_text)
        .ok()
        .and_then(|v| v["center"].as_str().map(str::to_owned));
    if keys_center.as_deref() != Some(center) {
        return Err(file_err(keys_path, format!("center: not the keys of {center}")));
    }

    let dump = out.join(storage.dump_name());
    let content = match storage {
        Storage::Sqlite(path) => {
            // A center that never served has no database file yet: opening creates it, empty.
            drop(storage.open().await?);
            sqlite_copy(path, &dump).await?;
            // The copy is one snapshot: describe the copy, not the live file that moved on since.
            let copy = crate::sqlite::SqliteDb::open(&dump)?;
            let c = content(&copy, center).await?;
            drop(copy);
            for side in ["-wal", "-shm"] {
                let _ = std::fs::remove_file(with_suffix(&dump, side));
            }
            c
        }
        #[cfg(feature = "postgres")]
        Storage::Postgres(url) => {
            let db = storage.open().await?;
            let before = content(db.as_ref(), center).await?;
            run_pg(
                "pg_dump",
                &[
                    "--format=custom".into(),
                    "--no-owner".into(),
                    format!("--file={}", dump.display()),
                    format!("--dbname={url}"),
                ],
            )
            .await?;
            // pg_dump reads one snapshot, but the digests are taken beside it: equal before and
            // after means the dump holds exactly what the manifest says.
            let after = content(db.as_ref(), center).await?;
            if before != after {
                return Err(BackupError::Changed);
            }
            after
        }
    };

    let sealed = seal_keys(&keys_text, passphrase)?;
    let keys_out = out.join(KEYS);
    write_private(&keys_out, &sealed)?;

    let mut files = BTreeMap::new();
    for name in [storage.dump_name(), KEYS] {
        files.insert(name.to_owned(), file_sha256(&out.join(name))?);
    }
    let manifest = Manifest {
        format: FORMAT,
        center: center.into(),
        backend: storage.kind().into(),
        created_at: chrono::Utc::now().to_rfc3339(),
        content,
        files,
    };
    let text = serde_json::to_vec_pretty(&manifest).map_err(|e| invalid("manifest", e.to_string()))?;
    let path = out.join(MANIFEST);
    std::fs::write(&path, text).map_err(|e| file_err(&path, e))?;
    Ok(manifest)
}

/// Restores a backup into an empty server: its storage and its keys file. Returns the manifest,
/// checked against the restored database.
pub async fn restore(
    storage: &Storage,
    keys_path: &Path,
    center: &str,
    from: &Path,
    passphrase: &str,
) -> Result<Manifest> {
    let path = from.join(MANIFEST);
    let text = std::fs::read(&path).map_err(|e| file_err(&path, e))?;
    let manifest: Manifest = serde_json::from_slice(&text).map_err(|e| file_err(&path, e))?;
    if manifest.format != FORMAT {
        return Err(invalid("format", format!("{} is not {FORMAT}", manifest.format)));
    }
    if manifest.center != center {
        return Err(invalid(
            "center",
            format!("the backup is of {}, this server is {center}", manifest.center),
        ));
    }
    if manifest.backend != storage.kind() {
        return Err(invalid(
            "backend",
            format!(
                "the backup is of a {} database, this server uses {}",
                manifest.backend,
                storage.kind()
            ),
        ));
    }
    for name in [storage.dump_name(), KEYS] {
        let want = manifest
            .files
            .get(name)
            .ok_or_else(|| invalid("files", format!("{name} is not listed")))?;
        if &file_sha256(&from.join(name))? != want {
            return Err(invalid(
                name,
                "its SHA-256 differs from the manifest's: damaged or changed",
            ));
        }
    }
    // The passphrase is checked before anything is written.
    let keys_file = from.join(KEYS);
    let sealed = std::fs::read(&keys_file).map_err(|e| file_err(&keys_file, e))?;
    let keys_text = open_keys(&sealed, passphrase)?;

    if keys_path.exists() {
        return Err(BackupError::NotEmpty(format!(
            "{} exists: restore goes into an empty server (move the keys file away first)",
            keys_path.display()
        )));
    }
    let skip_check = matches!(storage, Storage::Sqlite(p) if !p.exists());
    if !skip_check {
        let db = storage.open().await?;
        let c = db.counts(center).await?;
        let staff = db.staff_list().await?.len();
        if c.vans + c.batches + c.documents + c.blobs + c.changes > 0 || staff > 0 {
            return Err(BackupError::NotEmpty(format!(
                "the database already holds {} vans, {} batches, {} documents, {} blobs and {staff} staff: \
                 restore goes into an empty server",
                c.vans, c.batches, c.documents, c.blobs
            )));
        }
    }

    let dump = from.join(storage.dump_name());
    match storage {
        Storage::Sqlite(path) => {
            // The file is empty (or absent): replace it, with its WAL, by the copy.
            for side in ["", "-wal", "-shm"] {
                let p = with_suffix(path, side);
                if p.exists() {
                    std::fs::remove_file(&p).map_err(|e| file_err(&p, e))?;
                }
            }
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(|e| file_err(dir, e))?;
            }
            let tmp = with_suffix(path, ".restoring");
            std::fs::copy(&dump, &tmp).map_err(|e| file_err(&tmp, e))?;
            std::fs::rename(&tmp, path).map_err(|e| file_err(path, e))?;
        }
        #[cfg(feature = "postgres")]
        Storage::Postgres(url) => {
            // The tables `migrate` made are empty: --clean drops them and the dump recreates them,
            // all in one transaction so a failure leaves the database as it was.
            run_pg(
                "pg_restore",
                &[
                    "--clean".into(),
                    "--if-exists".into(),
                    "--no-owner".into(),
                    "--single-transaction".into(),
                    "--exit-on-error".into(),
                    format!("--dbname={url}"),
                    dump.display().to_string(),
                ],
            )
            .await?;
        }
    }

    let db = storage.open().await?;
    let restored = content(db.as_ref(), center).await?;
    drop(db);
    if restored != manifest.content {
        return Err(invalid(
            "content",
            format!(
                "the restored database differs from the manifest: {}",
                differences(&manifest.content, &restored)
            ),
        ));
    }
    if let Some(dir) = keys_path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| file_err(dir, e))?;
    }
    write_private(keys_path, &keys_text)?;
    crate::keys::CenterKeys::load(keys_path).map_err(|e| BackupError::Keys(e.to_string()))?;
    Ok(manifest)
}

fn differences(want: &Content, got: &Content) -> String {
    let (w, g) = (
        serde_json::to_value(want).unwrap_or_default(),
        serde_json::to_value(got).unwrap_or_default(),
    );
    let mut out = Vec::new();
    if let (Some(w), Some(g)) = (w.as_object(), g.as_object()) {
        for (k, v) in w {
            if g.get(k) != Some(v) {
                out.push(format!(
                    "{k} {v} in the backup, {} restored",
                    g.get(k).unwrap_or(&serde_json::Value::Null)
                ));
            }
        }
    }
    out.join("; ")
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

fn file_sha256(path: &Path) -> Result<String> {
    let mut f = std::fs::File::open(path).map_err(|e| file_err(path, e))?;
    let mut h = Sha256::new();
    std::io::copy(&mut f, &mut h).map_err(|e| file_err(path, e))?;
    Ok(hex::encode(h.finalize()))
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write as _;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).map_err(|e| file_err(path, e))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(|e| file_err(path, e))
}

fn seal_keys(plain: &[u8], passphrase: &str) -> Result<Vec<u8>> {
    let r = age::scrypt::Recipient::new(SecretString::from(passphrase.to_owned()));
    age::encrypt(&r, plain).map_err(|e| BackupError::Keys(e.to_string()))
}

fn open_keys(sealed: &[u8], passphrase: &str) -> Result<Vec<u8>> {
    let mut id = age::scrypt::Identity::new(SecretString::from(passphrase.to_owned()));
    // The backup may have been sealed on a faster machine than the one restoring it.
    id.set_max_work_factor(30);
    age::decrypt(&id, sealed).map_err(|e| BackupError::Keys(format!("{KEYS} does not open with this passphrase ({e})")))
}

/// An online copy of a SQLite database: a reader, so the server keeps writing meanwhile.
async fn sqlite_copy(from: &Path, to: &Path) -> Result<()> {
    let (from, to) = (from.to_owned(), to.to_owned());
    tokio::task::spawn_blocking(move || {
        let conn = rusqlite::Connection::open_with_flags(&from, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(|e| file_err(&from, e))?;
        conn.busy_timeout(std::time::Duration::from_secs(30))
            .map_err(|e| file_err(&from, e))?;
        let target = to.to_str().ok_or_else(|| file_err(&to, "the path is not UTF-8"))?;
        conn.execute("VACUUM INTO ?1", [target]).map_err(|e| file_err(&to, e))?;
        Ok(())
    })
    .await
    .map_err(|e| BackupError::Tool {
        tool: "sqlite backup".into(),
        reason: e.to_string(),
    })?
}

/// Where PostgreSQL's client programs are: `QAFILA_PG_BINDIR`, else the newest Debian install
/// (`/usr/lib/postgresql/N/bin`, which Debian keeps off `PATH`), else `PATH`.
#[cfg(feature = "postgres")]
fn pg_program(name: &str) -> PathBuf {
    if let Some(dir) = std::env::var_os("QAFILA_PG_BINDIR") {
        return Path::new(&dir).join(name);
    }
    let newest = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version: u32 = e.file_name().to_str()?.parse().ok()?;
            let p = e.path().join("bin").join(name);
            p.exists().then_some((version, p))
        })
        .max_by_key(|(v, _)| *v);
    newest.map(|(_, p)| p).unwrap_or_else(|| PathBuf::from(name))
}

#[cfg(feature = "postgres")]
async fn run_pg(tool: &str, args: &[String]) -> Result<()> {
    let program = pg_program(tool);
    let args = args.to_vec();
    let tool = tool.to_owned();
    tokio::task::spawn_blocking(move || {
        let fail = |reason: String| BackupError::Tool {
            tool: program.display().to_string(),
            reason,
        };
        let out = std::process::Command::new(&program)
            .args(&args)
            .output()
            .map_err(|e| fail(format!("could not run it ({e}); set QAFILA_PG_BINDIR")))?;
        if !out.status.success() {
            return Err(fail(format!(
                "{tool} exited with {}: {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        Ok(())
    })
    .await
    .map_err(|e| BackupError::Tool {
        tool: "backup".into(),
        reason: e.to_string(),
    })?
}

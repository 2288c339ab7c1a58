//! The van engine: a locked [`Store`] and, once an operator unlocks it, a [`Van`] that enrolls,
//! edits, seals, lists and searches. The `qafila` CLI and the desktop app both drive this API.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use chrono::{DateTime, SecondsFormat, Utc};
use ed25519_dalek::{Signer, VerifyingKey};
use qafila_doc::EnrollmentDoc;
use qafila_domain::signing::CITIZEN_RECEIPT_CONTEXT;
use qafila_domain::{ApplicationId, BlobRef, Enrollment, FingerSlot, Signature, Status};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use serde::{Deserialize, Serialize};

use crate::error::{Result, StoreError};
use crate::journal::{self, Action, Report};
use crate::keys::{StoreKey, VanKey, sha256_hex};
use crate::search;
use crate::sqlite;

/// Default scrypt work factor (2^18, about a second here): the deliberate cost of a passphrase guess.
pub const DEFAULT_KDF_LOG_N: u8 = 18;

/// An operator's role on the van.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Captures enrollments.
    Operator,
    /// Also approves enrollments and manages operators.
    Supervisor,
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl Role {
    /// The stored name (`operator`, `supervisor`).
    pub fn name(self) -> &'static str {
        match self {
            Role::Operator => "operator",
            Role::Supervisor => "supervisor",
        }
    }
    fn parse(s: &str) -> Role {
        if s == "supervisor" {
            Role::Supervisor
        } else {
            Role::Operator
        }
    }
}

/// How to create a store.
pub struct InitOptions {
    /// The van's id (e.g. `VAN-07` or `CONSULATE-PARIS`).
    pub van_id: String,
    /// The first operator, who becomes a supervisor.
    pub operator_id: String,
    /// Their passphrase.
    pub passphrase: String,
    /// The centers' recovery recipient (age X25519 public key), if known.
    pub recovery: Option<age::x25519::Recipient>,
    /// scrypt work factor for passphrase sealing (`2^log_n`); tests use a small one.
    pub kdf_log_n: u8,
}

/// How to open a store.
#[derive(Clone, Debug, Default)]
pub struct OpenOptions {
    /// Refuse to grow the database beyond this many bytes (keeps room on a shared disk).
    pub max_bytes: Option<u64>,
}

/// A van store that has not been unlocked: it can say what it holds but read nothing personal.
pub struct Store {
    dir: PathBuf,
    pub(crate) conn: Connection,
}

/// Counts of enrollments by status (readable without unlocking).
pub type StatusCounts = BTreeMap<String, i64>;

impl Store {
    /// Creates a new store in `dir` (created if needed) and returns it unlocked by the first operator.
    pub fn init(dir: &Path, opts: InitOptions) -> Result<Van> {
        std::fs::create_dir_all(dir)?;
        if dir.join(sqlite::DB_FILE).exists() {
            return Err(StoreError::AlreadyInitialised(dir.display().to_string()));
        }
        let key = StoreKey::generate()?;
        let sealed = key.seal_with_passphrase(&opts.passphrase, opts.kdf_log_n)?;
        let van_key = VanKey::generate()?;
        let conn = sqlite::open(dir, true, None)?;
        let now = Utc::now();
        let mut store = Store {
            dir: dir.to_path_buf(),
            conn,
        };
        {
            let tx = store.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let meta = |k: &str, v: &[u8]| tx.execute("INSERT INTO meta (key, value) VALUES (?1, ?2)", params![k, v]);
            meta("van_id", opts.van_id.as_bytes())?;
            meta("van_public_key", van_key.public().as_bytes())?;
            meta("van_secret_key", &key.encrypt(van_key.secret().as_ref())?)?;
            meta("kdf_log_n", &[opts.kdf_log_n])?;
            meta("created_at", now.to_rfc3339().as_bytes())?;
            if let Some(r) = &opts.recovery {
                meta("recovery_recipient", r.to_string().as_bytes())?;
                meta("recovery_sealed_key", &key.seal_to_recipient(r)?)?;
            }
            tx.execute(
                "INSERT INTO operators (id, role, sealed_key, added_at) VALUES (?1, 'supervisor', ?2, ?3)",
                params![opts.operator_id, sealed, now.to_rfc3339()],
            )?;
            tx.execute(
                "INSERT INTO van_keys (n, public_key, journal_seq, first_batch, at) VALUES (1, ?1, 1, 1, ?2)",
                params![van_key.public().as_bytes().to_vec(), now.to_rfc3339()],
            )?;
            journal::append(&tx, &van_key, now, Action::Init, &opts.operator_id, &opts.van_id, "")?;
            tx.commit()?;
        }
        let actor = actor_for(&van_key.public());
        Ok(Van {
            store,
            key,
            van_key,
            operator: opts.operator_id,
            role: Role::Supervisor,
            actor,
        })
    }

    /// Opens an existing store, locked.
    pub fn open(dir: &Path) -> Result<Store> {
        Self::open_with(dir, &OpenOptions::default())
    }

    /// Opens an existing store with options, locked.
    pub fn open_with(dir: &Path, opts: &OpenOptions) -> Result<Store> {
        let conn = sqlite::open(dir, false, opts.max_bytes)?;
        let store = Store {
            dir: dir.to_path_buf(),
            conn,
        };
        // Reading the van id touches the first pages: a file that is not a store fails here.
        store.van_id()?;
        // Ended drives' appointment lists go even if nobody unlocks the van again.
        crate::appointments::purge_ended(&store.conn, Utc::now().date_naive())?;
        Ok(store)
    }

    /// The directory holding the store.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn meta(&self, key: &str) -> Result<Option<Vec<u8>>> {
        Ok(self
            .conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    }

    fn meta_required(&self, key: &'static str) -> Result<Vec<u8>> {
        self.meta(key)?.ok_or(StoreError::Corrupt {
            what: "store metadata",
            id: key.into(),
        })
    }

    /// The van's id.
    pub fn van_id(&self) -> Result<String> {
        String::from_utf8(self.meta_required("van_id")?).map_err(|_| StoreError::Corrupt {
            what: "store metadata",
            id: "van_id".into(),
        })
    }

    /// The van's public signing key.
    pub fn public_key(&self) -> Result<VerifyingKey> {
        parse_public(&self.meta_required("van_public_key")?, "van_public_key")
    }

    /// The key the van was created with: the journal's chain of keys starts there, and the van's
    /// automerge actor is derived from it so that it stays the same across rotations.
    pub fn first_public_key(&self) -> Result<VerifyingKey> {
        let first: Option<Vec<u8>> = self
            .conn
            .query_row("SELECT public_key FROM van_keys ORDER BY n LIMIT 1", [], |r| r.get(0))
            .optional()?;
        match first {
            Some(bytes) => parse_public(&bytes, "van_keys"),
            None => self.public_key(),
        }
    }

    /// Every signing key the van has had, oldest first.
    pub fn key_history(&self) -> Result<Vec<KeyEpoch>> {
        let mut stmt = self
            .conn
            .prepare("SELECT n, public_key, journal_seq, first_batch, at FROM van_keys ORDER BY n")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, Vec<u8>>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, String>(4)?,
            ))
        })?;
        rows.map(|row| {
            let (n, key, journal_seq, first_batch, at) = row?;
            Ok(KeyEpoch {
                n,
                public_key: hex::encode(parse_public(&key, "van_keys")?.as_bytes()),
                journal_seq,
                first_batch: first_batch as u64,
                at,
            })
        })
        .collect()
    }

    /// Checks the journal's chain and signatures, following the van's key rotations (needs no passphrase).
    pub fn verify_journal(&self) -> Result<Report> {
        journal::verify(&self.conn, &self.first_public_key()?, &self.public_key()?)
    }

    /// How many enrollments are in each status.
    pub fn status_counts(&self) -> Result<StatusCounts> {
        let mut stmt = self
            .conn
            .prepare("SELECT status, count(*) FROM enrollments GROUP BY status")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// How many enrollments were created at or after `since` (RFC 3339; no decryption needed).
    pub fn created_since(&self, since: &DateTime<Utc>) -> Result<i64> {
        Ok(self.conn.query_row(
            "SELECT count(*) FROM enrollments WHERE created_at >= ?1",
            [ts(*since)],
            |r| r.get(0),
        )?)
    }

    /// When the newest receipt from a center arrived, if any (the last successful sync).
    pub fn last_receipt_at(&self) -> Result<Option<DateTime<Utc>>> {
        let at: Option<String> = self
            .conn
            .query_row("SELECT max(received_at) FROM receipts", [], |r| r.get(0))?;
        Ok(at
            .and_then(|a| DateTime::parse_from_rfc3339(&a).ok())
            .map(|a| a.with_timezone(&Utc)))
    }

    /// When the oldest enrollment not yet receipted by a center was created, if any.
    pub fn oldest_unreceipted_at(&self) -> Result<Option<DateTime<Utc>>> {
        let at: Option<String> = self.conn.query_row(
            "SELECT min(e.created_at) FROM enrollments e LEFT JOIN doc_sync s ON s.enrollment_id = e.id
             WHERE e.purged_at IS NULL AND (s.acked_heads IS NULL OR s.acked_heads != e.heads)",
            [],
            |r| r.get(0),
        )?;
        Ok(at
            .and_then(|a| DateTime::parse_from_rfc3339(&a).ok())
            .map(|a| a.with_timezone(&Utc)))
    }

    /// The ids of the enrolled operators and their roles.
    pub fn operators(&self) -> Result<Vec<(String, Role)>> {
        let mut stmt = self.conn.prepare("SELECT id, role FROM operators ORDER BY id")?;
        let rows = stmt.query_map([], |r| {
            Ok((r.get::<_, String>(0)?, Role::parse(&r.get::<_, String>(1)?)))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// A full structural check of the database file.
    pub fn integrity_check(&self) -> Result<()> {
        sqlite::integrity_check(&self.conn)
    }

    fn unseal(&self, operator: &str, passphrase: &str) -> Result<(StoreKey, Role)> {
        let row: Option<(Vec<u8>, String)> = self
            .conn
            .query_row(
                "SELECT sealed_key, role FROM operators WHERE id = ?1",
                [operator],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let (sealed, role) = row.ok_or_else(|| StoreError::UnknownOperator(operator.into()))?;
        Ok((
            StoreKey::unseal_with_passphrase(&sealed, passphrase, operator)?,
            Role::parse(&role),
        ))
    }

    /// Unlocks the store with an operator's passphrase.
    pub fn unlock(self, operator: &str, passphrase: &str) -> Result<Van> {
        let (key, role) = self.unseal(operator, passphrase)?;
        let secret = key.decrypt(&self.meta_required("van_secret_key")?, "van signing key", "meta")?;
        let van_key = VanKey::from_secret(&secret)?;
        if van_key.public() != self.public_key()? {
            return Err(StoreError::Corrupt {
                what: "van signing key",
                id: "meta".into(),
            });
        }
        let actor = actor_for(&self.first_public_key()?);
        let mut van = Van {
            store: self,
            key,
            van_key,
            operator: operator.into(),
            role,
            actor,
        };
        van.journaled(Action::Unlock, operator, "", |_| Ok(()))?;
        Ok(van)
    }

    /// Unlocks with the centers' recovery identity (for a van whose operators are gone).
    pub fn unlock_with_recovery(self, identity: &age::x25519::Identity) -> Result<Van> {
        let sealed = self
            .meta("recovery_sealed_key")?
            .ok_or(StoreError::Crypto("this van has no recovery key".into()))?;
        let key = StoreKey::unseal_with_identity(&sealed, identity)?;
        let secret = key.decrypt(&self.meta_required("van_secret_key")?, "van signing key", "meta")?;
        let van_key = VanKey::from_secret(&secret)?;
        let actor = actor_for(&self.first_public_key()?);
        Ok(Van {
            store: self,
            key,
            van_key,
            operator: "recovery".into(),
            role: Role::Supervisor,
            actor,
        })
    }
}

fn parse_public(bytes: &[u8], id: &str) -> Result<VerifyingKey> {
    let corrupt = || StoreError::Corrupt {
        what: "van public key",
        id: id.into(),
    };
    let arr: [u8; 32] = bytes.try_into().map_err(|_| corrupt())?;
    VerifyingKey::from_bytes(&arr).map_err(|_| corrupt())
}

/// One of the van's signing keys and when it took over.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KeyEpoch {
    /// 1 for the key made at init, then 2, 3, ... at each rotation.
    pub n: i64,
    /// The ed25519 public key, hex.
    pub public_key: String,
    /// The first journal entry it signs.
    pub journal_seq: i64,
    /// The first batch (outbox sequence number) it signs.
    pub first_batch: u64,
    /// When it took over (the van's clock, RFC 3339).
    pub at: String,
}

/// The automerge actor of a van: derived from its first public key, so it is stable and unique per van.
fn actor_for(public: &VerifyingKey) -> Vec<u8> {
    let mut actor = b"van:".to_vec();
    actor.extend_from_slice(&public.as_bytes()[..12]);
    actor
}

/// What the list and search views show of an enrollment (kept encrypted at rest).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Application id.
    pub id: ApplicationId,
    /// Current status name.
    pub status: String,
    /// Application kind.
    pub kind: qafila_domain::ApplicationKind,
    /// Family name, Latin.
    pub family_name: String,
    /// Family name, Arabic.
    pub family_name_ar: String,
    /// Given names, Latin.
    pub given_names: String,
    /// Given names, Arabic.
    pub given_names_ar: String,
    /// Date of birth.
    pub birth_date: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

impl Summary {
    /// The summary of a record.
    pub fn of(e: &Enrollment) -> Self {
        Summary {
            id: e.application.id,
            status: e.application.status.name().into(),
            kind: e.application.kind,
            family_name: e.civil.family_name.latin.clone(),
            family_name_ar: e.civil.family_name.arabic.clone(),
            given_names: e.civil.given_names.latin.clone(),
            given_names_ar: e.civil.given_names.arabic.clone(),
            birth_date: e.civil.birth_date.to_string(),
            created_at: e.application.created_at,
        }
    }
}

/// A saved draft.
#[derive(Clone, Debug, Serialize)]
pub struct Draft {
    /// Draft id (the application id it will get).
    pub id: String,
    /// Operator who was capturing it.
    pub operator_id: String,
    /// When it was last saved.
    pub updated_at: String,
    /// The partial record as the form held it.
    pub data: serde_json::Value,
}

/// An unlocked van: the operator's working session.
pub struct Van {
    pub(crate) store: Store,
    pub(crate) key: StoreKey,
    pub(crate) van_key: VanKey,
    operator: String,
    role: Role,
    actor: Vec<u8>,
}

/// The blob references a record makes, with a label naming each for error messages.
pub fn blob_refs(e: &Enrollment) -> Vec<(BlobRef, String)> {
    let mut out = Vec::new();
    if let Some(p) = &e.portrait {
        out.push((p.blob.clone(), "portrait".to_string()));
    }
    for (pos, slot) in &e.fingerprints {
        if let FingerSlot::Impression { blob, .. } = slot {
            out.push((blob.clone(), format!("fingerprints.{}", pos.number())));
        }
    }
    for (i, d) in e.documents.iter().enumerate() {
        out.push((d.blob.clone(), format!("documents.{i}")));
    }
    out
}

impl Van {
    /// The locked store underneath.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The operator who unlocked the van.
    pub fn operator(&self) -> &str {
        &self.operator
    }

    /// The operator's role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The van's id.
    pub fn van_id(&self) -> Result<String> {
        self.store.van_id()
    }

    /// A second handle on the same unlocked store, with its own database connection: a long sync
    /// can run on it while the operator keeps working on this one (SQLite WAL serializes writers).
    pub fn second_handle(&self) -> Result<Van> {
        let store = Store::open(&self.store.dir)?;
        Ok(Van {
            store,
            key: self.key.duplicate(),
            van_key: VanKey::from_secret(self.van_key.secret().as_ref())?,
            operator: self.operator.clone(),
            role: self.role,
            actor: self.actor.clone(),
        })
    }

    /// Signs a citizen's receipt code with the van's key. Refuses any message that does not begin
    /// with [`CITIZEN_RECEIPT_CONTEXT`], so this door cannot sign journal entries, batches or requests.
    pub fn sign_citizen_receipt(&self, message: &[u8]) -> Result<[u8; 64]> {
        if !message.starts_with(CITIZEN_RECEIPT_CONTEXT) {
            return Err(StoreError::NotAReceipt);
        }
        Ok(self.van_key.signing().sign(message).to_bytes())
    }

    /// Locks the van again (the keys are dropped and zeroed).
    pub fn lock(self) -> Store {
        self.store
    }

    /// Runs `f` in an immediate transaction and journals the action in the same transaction.
    pub(crate) fn journaled<T>(
        &mut self,
        action: Action,
        subject: &str,
        detail: &str,
        f: impl FnOnce(&Connection) -> Result<T>,
    ) -> Result<T> {
        let tx = self
            .store
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&tx)?;
        current_van_key(&tx, &self.key, &mut self.van_key)?;
        journal::append(&tx, &self.van_key, Utc::now(), action, &self.operator, subject, detail)?;
        tx.commit()?;
        Ok(out)
    }

    pub(crate) fn require_supervisor(&self, action: &'static str) -> Result<()> {
        if self.role == Role::Supervisor {
            Ok(())
        } else {
            Err(StoreError::NotAllowed {
                operator: self.operator.clone(),
                action,
            })
        }
    }

    /// Takes up the van's signing key as the store holds it now, in case another handle on the same
    /// store rotated it (a sync running on a second handle, say).
    pub fn refresh_key(&mut self) -> Result<()> {
        current_van_key(&self.store.conn, &self.key, &mut self.van_key)
    }

    /// Rotates the van's signing key (supervisors only) and returns the new key's record.
    ///
    /// The journal entry recording it is signed by the old key and names the new one, so the journal
    /// verifies across the change. The rotation statement for the centers (signed by both keys, the new
    /// one signing from the next batch number) is kept and sent at every sync. Batches already built
    /// stay as they are, signed by the old key: the centers accept the old key below that number.
    pub fn rotate_key(&mut self) -> Result<KeyEpoch> {
        self.require_supervisor("rotate the van's signing key")?;
        let new = VanKey::generate()?;
        let new_secret = self.key.encrypt(new.secret().as_ref())?;
        let van_id = self.van_id()?;
        let now = Utc::now();
        let tx = self
            .store
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        current_van_key(&tx, &self.key, &mut self.van_key)?;
        let first_batch: i64 = tx.query_row("SELECT COALESCE(MAX(seq), 0) + 1 FROM outbox", [], |r| r.get(0))?;
        let journal_seq: i64 = tx.query_row("SELECT COALESCE(MAX(seq), 0) + 2 FROM journal", [], |r| r.get(0))?;
        let n: i64 = tx.query_row("SELECT COALESCE(MAX(n), 0) + 1 FROM van_keys", [], |r| r.get(0))?;
        let statement = qafila_wire::SignedKeyRotation::sign(
            &qafila_wire::KeyRotation::new(&van_id, &self.van_key.public(), &new.public(), first_batch as u64, now),
            self.van_key.signing(),
            new.signing(),
        )
        .to_bytes();
        tx.execute(
            "INSERT INTO van_keys (n, public_key, journal_seq, first_batch, at, statement) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![n, new.public().as_bytes().to_vec(), journal_seq, first_batch, ts(now), statement],
        )?;
        tx.execute(
            "UPDATE meta SET value = ?1 WHERE key = 'van_public_key'",
            [new.public().as_bytes().to_vec()],
        )?;
        tx.execute("UPDATE meta SET value = ?1 WHERE key = 'van_secret_key'", [new_secret])?;
        // The old key signs the entry that hands over: whoever verifies the journal learns the new key
        // only from a key they already trust.
        let detail = journal::rotation_detail(&new.public(), first_batch as u64);
        journal::append(
            &tx,
            &self.van_key,
            now,
            Action::KeyRotation,
            &self.operator,
            &van_id,
            &detail,
        )?;
        tx.commit()?;
        self.van_key = new;
        Ok(KeyEpoch {
            n,
            public_key: hex::encode(self.van_key.public().as_bytes()),
            journal_seq,
            first_batch: first_batch as u64,
            at: ts(now),
        })
    }

    /// The rotation statements the centers must be told of, oldest first (CBOR `SignedKeyRotation`s).
    pub fn rotation_statements(&self) -> Result<Vec<Vec<u8>>> {
        let mut stmt = self
            .store
            .conn
            .prepare("SELECT statement FROM van_keys WHERE statement IS NOT NULL ORDER BY n")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Enrolls a new operator (supervisors only); the store key is sealed with their passphrase.
    pub fn add_operator(&mut self, id: &str, passphrase: &str, role: Role) -> Result<()> {
        self.require_supervisor("add operators")?;
        if id.trim().is_empty() {
            return Err(StoreError::UnknownOperator(id.into()));
        }
        let log_n = self
            .store
            .meta("kdf_log_n")?
            .and_then(|v| v.first().copied())
            .unwrap_or(DEFAULT_KDF_LOG_N);
        let sealed = self.key.seal_with_passphrase(passphrase, log_n)?;
        let detail = format!("add {}", role.name());
        self.journaled(Action::OperatorChange, id, &detail, |tx| {
            let n = tx.execute(
                "INSERT OR IGNORE INTO operators (id, role, sealed_key, added_at) VALUES (?1, ?2, ?3, ?4)",
                params![id, role.name(), sealed, Utc::now().to_rfc3339()],
            )?;
            if n == 0 {
                Err(StoreError::OperatorExists(id.into()))
            } else {
                Ok(())
            }
        })
    }

    /// Removes an operator (supervisors only); their sealed copy of the key is deleted.
    pub fn remove_operator(&mut self, id: &str) -> Result<()> {
        self.require_supervisor("remove operators")?;
        self.journaled(Action::OperatorChange, id, "remove", |tx| {
            let supervisors: i64 = tx.query_row(
                "SELECT count(*) FROM operators WHERE role = 'supervisor' AND id != ?1",
                [id],
                |r| r.get(0),
            )?;
            if supervisors == 0 {
                return Err(StoreError::LastOperator(id.into()));
            }
            match tx.execute("DELETE FROM operators WHERE id = ?1", [id])? {
                0 => Err(StoreError::UnknownOperator(id.into())),
                _ => Ok(()),
            }
        })
    }

    /// Stores a complete enrollment and its blobs, durably, in one transaction.
    ///
    /// A record in `draft` status becomes `captured`. Every blob the record refers to must be in
    /// `blobs` or already stored. On any error nothing is stored.
    pub fn enroll(&mut self, record: Enrollment, blobs: &[Vec<u8>]) -> Result<ApplicationId> {
        let p = self.prepare_new(record, blobs)?;
        self.journaled(Action::Create, &p.ids, "captured", |tx| insert_new(tx, &p))?;
        Ok(p.id)
    }

    /// Stores many enrollments in one transaction (imports, benchmarks): all or none.
    pub fn enroll_many(&mut self, items: Vec<(Enrollment, Vec<Vec<u8>>)>) -> Result<Vec<ApplicationId>> {
        let prepared = items
            .into_iter()
            .map(|(r, b)| self.prepare_new(r, &b))
            .collect::<Result<Vec<_>>>()?;
        let tx = self
            .store
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        current_van_key(&tx, &self.key, &mut self.van_key)?;
        for p in &prepared {
            insert_new(&tx, p)?;
            journal::append(
                &tx,
                &self.van_key,
                Utc::now(),
                Action::Create,
                &self.operator,
                &p.ids,
                "captured",
            )?;
        }
        tx.commit()?;
        Ok(prepared.iter().map(|p| p.id).collect())
    }

    /// Validates a new enrollment and encrypts everything it will write, outside any transaction.
    fn prepare_new(&self, mut record: Enrollment, blobs: &[Vec<u8>]) -> Result<Prepared> {
        if record.application.status == Status::Draft {
            record.application.status = Status::Captured;
        }
        if record.application.status != Status::Captured {
            return Err(StoreError::WrongStatus {
                id: record.application.id.to_string(),
                status: record.application.status.name().into(),
                what: "a new enrollment must be a draft or captured",
            });
        }
        self.check(&record)?;
        let mut doc = EnrollmentDoc::new(&record, &self.actor)?;
        Ok(Prepared {
            id: record.application.id,
            ids: record.application.id.to_string(),
            blobs: self.prepare_blobs(&record, blobs)?,
            heads: doc.heads_hex().join(","),
            doc_ct: self.key.encrypt(&doc.save())?,
            summary_ct: self
                .key
                .encrypt(&serde_json::to_vec(&Summary::of(&record)).map_err(qafila_doc::DocError::from)?)?,
            tokens: self.tokens(&record),
            record,
        })
    }

    /// Replaces the data of an editable enrollment; only changed fields enter its history.
    pub fn update(&mut self, mut record: Enrollment, blobs: &[Vec<u8>]) -> Result<()> {
        let ids = record.application.id.to_string();
        let (mut doc, current) = self.load_doc(&ids)?;
        if !current.application.status.is_editable() {
            return Err(StoreError::WrongStatus {
                id: ids,
                status: current.application.status.name().into(),
                what: "it can no longer be changed in the van",
            });
        }
        record.application.created_at = current.application.created_at;
        record.application.updated_at = Utc::now().max(current.application.updated_at);
        if record.application.status == Status::Draft
            || matches!(record.application.status, Status::RecaptureRequested { .. })
        {
            record.application.status = Status::Captured;
        }
        self.check(&record)?;
        doc.update(&record)?;
        self.write_doc(&ids, &mut doc, &record, blobs, Action::Edit, "edit")
    }

    /// Seals an enrollment: the operator signs it off, optionally with a supervisor's approval
    /// (the supervisor proves presence with their own passphrase).
    pub fn seal(&mut self, id: &ApplicationId, supervisor: Option<(&str, &str)>) -> Result<()> {
        let ids = id.to_string();
        let (mut doc, mut record) = self.load_doc(&ids)?;
        if record.application.status != Status::Captured {
            return Err(StoreError::WrongStatus {
                id: ids,
                status: record.application.status.name().into(),
                what: "only a captured enrollment can be sealed",
            });
        }
        let now = Utc::now();
        if let Some((sup, pass)) = supervisor {
            let (_, role) = self.store.unseal(sup, pass)?;
            if role != Role::Supervisor {
                return Err(StoreError::NotAllowed {
                    operator: sup.into(),
                    action: "approve enrollments",
                });
            }
            record.sign_off.supervisor = Some(Signature {
                by: sup.into(),
                at: now,
            });
        }
        record.sign_off.operator = Some(Signature {
            by: self.operator.clone(),
            at: now,
        });
        record.application.status = Status::Sealed;
        record.application.updated_at = now.max(record.application.updated_at);
        self.check(&record)?;
        doc.update(&record)?;
        self.write_doc(&ids, &mut doc, &record, &[], Action::Seal, "sealed")
    }

    /// A supervisor approves a sealed enrollment afterwards (the end-of-day review), proving
    /// presence with their own passphrase. Approving an already approved enrollment changes nothing.
    pub fn approve(&mut self, id: &ApplicationId, supervisor: &str, passphrase: &str) -> Result<bool> {
        let ids = id.to_string();
        let (mut doc, mut record) = self.load_doc(&ids)?;
        if record.application.status == Status::Captured || record.application.status == Status::Draft {
            return Err(StoreError::WrongStatus {
                id: ids,
                status: record.application.status.name().into(),
                what: "only a sealed enrollment can be approved",
            });
        }
        let (_, role) = self.store.unseal(supervisor, passphrase)?;
        if role != Role::Supervisor {
            return Err(StoreError::NotAllowed {
                operator: supervisor.into(),
                action: "approve enrollments",
            });
        }
        if record.sign_off.supervisor.is_some() {
            return Ok(false);
        }
        let now = Utc::now();
        record.sign_off.supervisor = Some(Signature {
            by: supervisor.into(),
            at: now,
        });
        record.application.updated_at = now.max(record.application.updated_at);
        self.check(&record)?;
        doc.update(&record)?;
        self.write_doc(&ids, &mut doc, &record, &[], Action::Seal, "approved")?;
        Ok(true)
    }

    fn check(&self, record: &Enrollment) -> Result<()> {
        let problems = qafila_domain::validate(record, Utc::now().date_naive());
        if problems.is_empty() {
            Ok(())
        } else {
            Err(StoreError::Invalid(problems))
        }
    }

    fn write_doc(
        &mut self,
        ids: &str,
        doc: &mut EnrollmentDoc,
        record: &Enrollment,
        blobs: &[Vec<u8>],
        action: Action,
        detail: &str,
    ) -> Result<()> {
        let prepared = self.prepare_blobs(record, blobs)?;
        let doc_ct = self.key.encrypt(&doc.save())?;
        let summary_ct = self
            .key
            .encrypt(&serde_json::to_vec(&Summary::of(record)).map_err(qafila_doc::DocError::from)?)?;
        let tokens = self.tokens(record);
        let heads = doc.heads_hex().join(",");
        self.journaled(action, ids, detail, |tx| {
            tx.execute(
                "UPDATE enrollments SET status = CASE WHEN ?2 = 'sealed' AND status IN ('sent', 'received') THEN status ELSE ?2 END,
                 updated_at = ?3, doc = ?4, summary = ?5, heads = ?6 WHERE id = ?1",
                params![
                    ids,
                    record.application.status.name(),
                    ts(record.application.updated_at),
                    doc_ct,
                    summary_ct,
                    heads
                ],
            )?;
            write_blobs(tx, ids, &prepared)?;
            tx.execute("DELETE FROM search_tokens WHERE enrollment_id = ?1", [ids])?;
            write_tokens(tx, ids, &tokens)?;
            Ok(())
        })
    }

    /// Matches the record's blob references to the given bytes and encrypts the new ones.
    fn prepare_blobs(&self, record: &Enrollment, blobs: &[Vec<u8>]) -> Result<Vec<BlobWrite>> {
        let given: BTreeMap<String, &Vec<u8>> = blobs.iter().map(|b| (sha256_hex(b), b)).collect();
        let mut out = Vec::new();
        let mut seen = BTreeSet::new();
        for (r, label) in blob_refs(record) {
            if !seen.insert(r.0.clone()) {
                continue;
            }
            let id = self.key.blob_id(&r.0);
            match given.get(&r.0) {
                Some(bytes) => out.push(BlobWrite {
                    id,
                    new: Some((bytes.len() as i64, self.key.encrypt(bytes)?)),
                }),
                None => {
                    let exists: bool =
                        self.store
                            .conn
                            .query_row("SELECT EXISTS (SELECT 1 FROM blobs WHERE id = ?1)", [&id], |r| r.get(0))?;
                    if !exists {
                        return Err(StoreError::MissingBlob(r.0, label));
                    }
                    out.push(BlobWrite { id, new: None });
                }
            }
        }
        Ok(out)
    }

    fn tokens(&self, e: &Enrollment) -> Vec<Vec<u8>> {
        let c = &e.civil;
        let mut text = [
            &c.family_name.latin,
            &c.family_name.arabic,
            &c.given_names.latin,
            &c.given_names.arabic,
        ]
        .map(String::as_str)
        .join(" ");
        if let Some(card) = &e.application.previous_card {
            text.push(' ');
            text.push_str(&card.0);
        }
        search::index_tokens(&text)
            .iter()
            .map(|t| self.key.index_token(t))
            .collect()
    }

    pub(crate) fn load_doc(&self, ids: &str) -> Result<(EnrollmentDoc, Enrollment)> {
        let (ct, purged): (Vec<u8>, Option<String>) = self
            .store
            .conn
            .query_row("SELECT doc, purged_at FROM enrollments WHERE id = ?1", [ids], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?
            .ok_or_else(|| StoreError::NotFound(ids.into()))?;
        if let Some(at) = purged {
            return Err(StoreError::Purged { id: ids.into(), at });
        }
        let plain = self.key.decrypt(&ct, "enrollment", ids)?;
        let doc = EnrollmentDoc::load(&plain, &self.actor).map_err(|_| StoreError::Corrupt {
            what: "enrollment",
            id: ids.into(),
        })?;
        let record = doc.record().map_err(|_| StoreError::Corrupt {
            what: "enrollment",
            id: ids.into(),
        })?;
        // A row whose ciphertext was swapped with another row's decrypts fine but names another id.
        if record.application.id.to_string() != ids {
            return Err(StoreError::Corrupt {
                what: "enrollment",
                id: ids.into(),
            });
        }
        Ok((doc, record))
    }

    /// The enrollment with this id.
    pub fn get(&self, id: &ApplicationId) -> Result<Enrollment> {
        Ok(self.load_doc(&id.to_string())?.1)
    }

    /// The enrollment's automerge document (for sync).
    pub fn document(&self, id: &ApplicationId) -> Result<EnrollmentDoc> {
        Ok(self.load_doc(&id.to_string())?.0)
    }

    /// A blob's plaintext, checked against its SHA-256.
    pub fn blob(&self, r: &BlobRef) -> Result<Vec<u8>> {
        let ct: Vec<u8> = self
            .store
            .conn
            .query_row(
                "SELECT data FROM blobs WHERE id = ?1",
                [self.key.blob_id(&r.0)],
                |row| row.get(0),
            )
            .optional()?
            .ok_or_else(|| StoreError::NotFound(format!("blob {r}")))?;
        let plain = self.key.decrypt(&ct, "blob", &r.0)?;
        if sha256_hex(&plain) != r.0 {
            return Err(StoreError::Corrupt {
                what: "blob",
                id: r.0.clone(),
            });
        }
        Ok(plain)
    }

    /// A page of enrollments, newest first, optionally only those in one status.
    pub fn list(&self, status: Option<&str>, offset: i64, limit: i64) -> Result<Vec<Summary>> {
        let mut stmt = self.store.conn.prepare(
            "SELECT id, summary, status FROM enrollments WHERE ?1 IS NULL OR status = ?1 ORDER BY created_at DESC, id DESC LIMIT ?2 OFFSET ?3",
        )?;
        let rows = stmt.query_map(params![status, limit, offset], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?, r.get::<_, String>(2)?))
        })?;
        rows.map(|row| {
            let (id, ct, status) = row?;
            self.summary(&id, &ct, status)
        })
        .collect()
    }

    fn summary(&self, id: &str, ct: &[u8], status: String) -> Result<Summary> {
        let plain = self.key.decrypt(ct, "enrollment summary", id)?;
        let mut s: Summary = serde_json::from_slice(&plain).map_err(|_| StoreError::Corrupt {
            what: "enrollment summary",
            id: id.into(),
        })?;
        if s.id.to_string() != id {
            return Err(StoreError::Corrupt {
                what: "enrollment summary",
                id: id.into(),
            });
        }
        s.status = status;
        Ok(s)
    }

    /// Finds enrollments by name (either script, any word prefix), previous card number, or id prefix.
    pub fn search(&self, query: &str, limit: usize) -> Result<Vec<Summary>> {
        let q = query.trim();
        let mut ids: Option<BTreeSet<String>> = None;
        let looks_like_id = q.len() >= 4
            && q.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
            && q.chars().any(|c| c.is_ascii_digit());
        if looks_like_id {
            let mut stmt = self
                .store
                .conn
                .prepare("SELECT id FROM enrollments WHERE id >= ?1 AND id < ?1 || 'g' ORDER BY id LIMIT ?2")?;
            let found = stmt.query_map(params![q.to_ascii_lowercase(), limit as i64], |r| r.get::<_, String>(0))?;
            ids = Some(found.collect::<rusqlite::Result<_>>()?);
        }
        if ids.as_ref().is_none_or(BTreeSet::is_empty) {
            let mut stmt = self
                .store
                .conn
                .prepare("SELECT enrollment_id FROM search_tokens WHERE token = ?1")?;
            let mut acc: Option<BTreeSet<String>> = None;
            for w in search::words(q) {
                let found: BTreeSet<String> = stmt
                    .query_map([self.key.index_token(&w)], |r| r.get(0))?
                    .collect::<rusqlite::Result<_>>()?;
                acc = Some(match acc {
                    None => found,
                    Some(a) => a.intersection(&found).cloned().collect(),
                });
            }
            ids = acc;
        }
        let mut stmt = self
            .store
            .conn
            .prepare("SELECT summary, status FROM enrollments WHERE id = ?1")?;
        let mut out = Vec::new();
        for id in ids.unwrap_or_default().into_iter().rev().take(limit) {
            if let Some((ct, status)) = stmt
                .query_row([&id], |r| Ok((r.get::<_, Vec<u8>>(0)?, r.get(1)?)))
                .optional()?
            {
                out.push(self.summary(&id, &ct, status)?);
            }
        }
        Ok(out)
    }

    /// Saves (or replaces) a draft: the partial record as the form holds it, encrypted.
    pub fn save_draft(&mut self, id: &str, data: &serde_json::Value) -> Result<()> {
        let ct = self
            .key
            .encrypt(&serde_json::to_vec(data).map_err(qafila_doc::DocError::from)?)?;
        let operator = self.operator.clone();
        let tx = self
            .store
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let existed: bool = tx.query_row("SELECT EXISTS (SELECT 1 FROM drafts WHERE id = ?1)", [id], |r| r.get(0))?;
        tx.execute(
            "INSERT INTO drafts (id, operator_id, updated_at, data) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (id) DO UPDATE SET operator_id = ?2, updated_at = ?3, data = ?4",
            params![id, operator, ts(Utc::now()), ct],
        )?;
        // The first save of a draft is journaled; every keystroke after it is not (that would flood the journal).
        if !existed {
            current_van_key(&tx, &self.key, &mut self.van_key)?;
            journal::append(&tx, &self.van_key, Utc::now(), Action::Draft, &operator, id, "start")?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Every saved draft (to resume after a crash).
    pub fn drafts(&self) -> Result<Vec<Draft>> {
        let mut stmt = self
            .store
            .conn
            .prepare("SELECT id, operator_id, updated_at, data FROM drafts ORDER BY updated_at")?;
        let rows = stmt.query_map([], |r| {
            Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?, r.get::<_, Vec<u8>>(3)?))
        })?;
        rows.map(|row| {
            let (id, operator_id, updated_at, ct) = row?;
            let plain = self.key.decrypt(&ct, "draft", &id)?;
            let data = serde_json::from_slice(&plain).map_err(|_| StoreError::Corrupt {
                what: "draft",
                id: id.clone(),
            })?;
            Ok(Draft {
                id,
                operator_id,
                updated_at,
                data,
            })
        })
        .collect()
    }

    /// Discards a draft.
    pub fn discard_draft(&mut self, id: &str) -> Result<()> {
        self.journaled(Action::Draft, id, "discard", |tx| {
            tx.execute("DELETE FROM drafts WHERE id = ?1", [id])?;
            Ok(())
        })
    }

    /// The decrypted record as JSON for debugging; the export itself is journaled.
    pub fn export_json(&mut self, id: &ApplicationId) -> Result<serde_json::Value> {
        let idx = id.to_string();
        let (doc, _) = self.load_doc(&idx)?;
        let value = doc.to_json()?;
        self.journaled(Action::Export, &idx, "debug json", |_| Ok(()))?;
        Ok(value)
    }

    /// Checks the journal.
    pub fn verify_journal(&self) -> Result<Report> {
        self.store.verify_journal()
    }

    /// The last entries of the journal.
    pub fn journal_tail(&self, n: i64) -> Result<Vec<journal::Entry>> {
        journal::tail(&self.store.conn, n)
    }
}

/// A blob an enrollment refers to: its at-rest id, and its size and ciphertext when it is new.
struct BlobWrite {
    id: Vec<u8>,
    new: Option<(i64, Vec<u8>)>,
}

/// A new enrollment, validated and encrypted, ready to insert.
struct Prepared {
    id: ApplicationId,
    ids: String,
    record: Enrollment,
    doc_ct: Vec<u8>,
    summary_ct: Vec<u8>,
    blobs: Vec<BlobWrite>,
    tokens: Vec<Vec<u8>>,
    heads: String,
}

fn insert_new(tx: &Connection, p: &Prepared) -> Result<()> {
    let a = &p.record.application;
    let inserted = tx.prepare_cached("INSERT OR IGNORE INTO enrollments (id, status, created_at, updated_at, doc, summary, heads) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")?.execute(params![p.ids, a.status.name(), ts(a.created_at), ts(a.updated_at), p.doc_ct, p.summary_ct, p.heads])?;
    if inserted == 0 {
        return Err(StoreError::WrongStatus {
            id: p.ids.clone(),
            status: "stored".into(),
            what: "it is already enrolled",
        });
    }
    write_blobs(tx, &p.ids, &p.blobs)?;
    write_tokens(tx, &p.ids, &p.tokens)?;
    tx.prepare_cached("DELETE FROM drafts WHERE id = ?1")?
        .execute([&p.ids])?;
    Ok(())
}

/// Makes `held` the van's signing key as the store holds it now (a no-op unless another handle rotated it).
pub(crate) fn current_van_key(conn: &Connection, key: &StoreKey, held: &mut VanKey) -> Result<()> {
    let corrupt = || StoreError::Corrupt {
        what: "van signing key",
        id: "meta".into(),
    };
    let public: Vec<u8> = conn
        .query_row("SELECT value FROM meta WHERE key = 'van_public_key'", [], |r| r.get(0))
        .optional()?
        .ok_or_else(corrupt)?;
    if public.as_slice() == held.public().as_bytes() {
        return Ok(());
    }
    let sealed: Vec<u8> = conn
        .query_row("SELECT value FROM meta WHERE key = 'van_secret_key'", [], |r| r.get(0))
        .optional()?
        .ok_or_else(corrupt)?;
    let fresh = VanKey::from_secret(&key.decrypt(&sealed, "van signing key", "meta")?)?;
    if fresh.public().as_bytes() != public.as_slice() {
        return Err(corrupt());
    }
    *held = fresh;
    Ok(())
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn write_blobs(tx: &Connection, enrollment: &str, blobs: &[BlobWrite]) -> Result<()> {
    for BlobWrite { id, new } in blobs {
        if let Some((size, ct)) = new {
            tx.prepare_cached("INSERT OR IGNORE INTO blobs (id, size, data) VALUES (?1, ?2, ?3)")?
                .execute(params![id, size, ct])?;
        }
        tx.prepare_cached("INSERT OR IGNORE INTO enrollment_blobs (enrollment_id, blob_id) VALUES (?1, ?2)")?
            .execute(params![enrollment, id])?;
    }
    Ok(())
}

fn write_tokens(tx: &Connection, enrollment: &str, tokens: &[Vec<u8>]) -> Result<()> {
    let mut stmt = tx.prepare_cached("INSERT OR IGNORE INTO search_tokens (token, enrollment_id) VALUES (?1, ?2)")?;
    for t in tokens {
        stmt.execute(params![t, enrollment])?;
    }
    Ok(())
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        match s {
            "operator" => Ok(Role::Operator),
            "supervisor" => Ok(Role::Supervisor),
            other => Err(format!("unknown role {other:?}: expected operator or supervisor")),
        }
    }
}

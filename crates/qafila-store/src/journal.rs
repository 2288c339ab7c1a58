//! The tamper-evident journal: every action on the van, hash-chained and signed by the van.
//!
//! Entry `n` stores `hash_n = SHA-256(hash_{n-1} ‖ encode(entry_n))` and the van's ed25519
//! signature over `hash_n`. Deleting, reordering or altering an entry breaks the chain at a place
//! [`verify`] names; the head `(seq, hash)` is also kept in `meta`, so cutting entries off the end is
//! seen too. Entries hold ids and action names only, never personal data.
//!
//! When the van's key rotates, the [`Action::KeyRotation`] entry is signed by the old key and names
//! the new one in its detail (`<new key hex> from batch <n>`); [`verify`] checks every entry up to and
//! including it with the old key and every later one with the new key, so the chain of keys is part
//! of what the journal proves.

use chrono::{DateTime, SecondsFormat, Utc};
use ed25519_dalek::{Signature, Verifier, VerifyingKey};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::Result;
use crate::keys::VanKey;

/// The kinds of actions journaled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// The store was created.
    Init,
    /// An operator unlocked the van.
    Unlock,
    /// An enrollment was created.
    Create,
    /// An enrollment was edited.
    Edit,
    /// A draft was saved or discarded.
    Draft,
    /// A blob was captured.
    Capture,
    /// An enrollment was sealed.
    Seal,
    /// Data left the van (sync, USB, debug export).
    Export,
    /// Personal data was purged after the centers' receipt.
    Purge,
    /// An operator was added or removed.
    OperatorChange,
    /// An appointment list arrived, was used or was purged.
    Appointments,
    /// The van's signing key was rotated (signed by the old key; the detail names the new one).
    KeyRotation,
}

impl Action {
    /// The stored name.
    pub fn name(self) -> &'static str {
        match self {
            Action::Init => "init",
            Action::Unlock => "unlock",
            Action::Create => "create",
            Action::Edit => "edit",
            Action::Draft => "draft",
            Action::Capture => "capture",
            Action::Seal => "seal",
            Action::Export => "export",
            Action::Purge => "purge",
            Action::OperatorChange => "operator_change",
            Action::Appointments => "appointments",
            Action::KeyRotation => "key_rotation",
        }
    }
}

/// One journal entry as stored.
#[derive(Clone, Debug, Serialize)]
pub struct Entry {
    /// Dense sequence number from 1.
    pub seq: i64,
    /// Van clock at the time of the action (RFC 3339, UTC).
    pub at: String,
    /// Action name.
    pub action: String,
    /// Operator who acted (or `van` for automatic actions).
    pub actor: String,
    /// What it acted on: an enrollment or operator id.
    pub subject: String,
    /// Non-personal detail (a status, a count).
    pub detail: String,
}

fn digest(prev: &[u8], e: &Entry) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"qafila/journal/v1");
    h.update(prev);
    h.update(e.seq.to_be_bytes());
    for field in [&e.at, &e.action, &e.actor, &e.subject, &e.detail] {
        h.update((field.len() as u64).to_be_bytes());
        h.update(field.as_bytes());
    }
    h.finalize().into()
}

const GENESIS: [u8; 32] = [0; 32];

/// Appends an entry inside the caller's transaction.
pub fn append(
    tx: &Connection,
    key: &VanKey,
    now: DateTime<Utc>,
    action: Action,
    actor: &str,
    subject: &str,
    detail: &str,
) -> Result<i64> {
    let last: Option<(i64, Vec<u8>)> = tx
        .query_row("SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    let (prev_seq, prev_hash) = last.unwrap_or((0, GENESIS.to_vec()));
    let entry = Entry {
        seq: prev_seq + 1,
        at: now.to_rfc3339_opts(SecondsFormat::Millis, true),
        action: action.name().into(),
        actor: actor.into(),
        subject: subject.into(),
        detail: detail.into(),
    };
    let hash = digest(&prev_hash, &entry);
    let sig = key.sign(&hash);
    tx.prepare_cached("INSERT INTO journal (seq, at, action, actor, subject, detail, prev, hash, sig) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)")?.execute(params![entry.seq, entry.at, entry.action, entry.actor, entry.subject, entry.detail, prev_hash, hash.to_vec(), sig.to_vec()])?;
    let mut head = entry.seq.to_be_bytes().to_vec();
    head.extend_from_slice(&hash);
    tx.prepare_cached("INSERT OR REPLACE INTO meta (key, value) VALUES ('journal_head', ?1)")?
        .execute([head])?;
    Ok(entry.seq)
}

/// One problem found by [`verify`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Break {
    /// Entries are missing between two sequence numbers.
    Missing {
        /// Last entry present before the gap.
        after: i64,
        /// First entry present after the gap.
        before: i64,
    },
    /// The entry does not link to the one before it: reordered, or its predecessor was altered.
    BrokenLink {
        /// The entry whose link is broken.
        seq: i64,
    },
    /// The entry's content was altered after it was written.
    Altered {
        /// The altered entry.
        seq: i64,
    },
    /// The signature is not the van's.
    BadSignature {
        /// The entry.
        seq: i64,
    },
    /// The journal's chain of keys does not end at the van's current key: a rotation is missing or forged.
    KeyNotHandedOver {
        /// The last entry read.
        last: i64,
    },
    /// Entries after this one were cut off the end of the journal.
    Truncated {
        /// The last entry present.
        last: i64,
        /// The last entry the head records.
        expected: i64,
    },
}

impl std::fmt::Display for Break {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Break::Missing { after, before } => {
                write!(f, "entries {}..{} are missing", after + 1, before - 1)
            }
            Break::BrokenLink { seq } => write!(
                f,
                "entry {seq} does not follow entry {} (reordered or replaced)",
                seq - 1
            ),
            Break::Altered { seq } => write!(f, "entry {seq} was altered"),
            Break::BadSignature { seq } => write!(f, "entry {seq} is not signed by this van"),
            Break::KeyNotHandedOver { last } => write!(
                f,
                "the van's current key was never handed over to in the journal (up to entry {last}): a key rotation is missing or forged"
            ),
            Break::Truncated { last, expected } => {
                write!(f, "entries {}..={expected} were cut off the end", last + 1)
            }
        }
    }
}

/// The outcome of a verification.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// How many entries were read.
    pub entries: i64,
    /// Every break found, in order; empty when the journal is intact.
    pub breaks: Vec<Break>,
}

impl Report {
    /// Whether the journal is intact.
    pub fn is_intact(&self) -> bool {
        self.breaks.is_empty()
    }
}

/// The detail of a key rotation entry: the new key and the first batch it signs.
pub fn rotation_detail(new: &VerifyingKey, first_seq: u64) -> String {
    format!("{} from batch {first_seq}", hex::encode(new.as_bytes()))
}

/// The new key a key rotation entry's detail names, if it names one.
fn rotated_to(detail: &str) -> Option<VerifyingKey> {
    let bytes: [u8; 32] = hex::decode(detail.split(' ').next()?).ok()?.try_into().ok()?;
    VerifyingKey::from_bytes(&bytes).ok()
}

/// Checks the whole journal: entries from the first are checked against `first` (the key the van
/// was created with), each intact key rotation entry hands over to the key it names, and the chain
/// must end at `current`, the van's key now.
pub fn verify(conn: &Connection, first: &VerifyingKey, current: &VerifyingKey) -> Result<Report> {
    let mut public = *first;
    let mut stmt =
        conn.prepare("SELECT seq, at, action, actor, subject, detail, prev, hash, sig FROM journal ORDER BY seq")?;
    let mut rows = stmt.query([])?;
    let mut breaks = Vec::new();
    let (mut last_seq, mut last_hash) = (0i64, GENESIS.to_vec());
    let mut entries = 0;
    while let Some(r) = rows.next()? {
        entries += 1;
        let e = Entry {
            seq: r.get(0)?,
            at: r.get(1)?,
            action: r.get(2)?,
            actor: r.get(3)?,
            subject: r.get(4)?,
            detail: r.get(5)?,
        };
        let (prev, hash, sig): (Vec<u8>, Vec<u8>, Vec<u8>) = (r.get(6)?, r.get(7)?, r.get(8)?);
        if e.seq != last_seq + 1 {
            breaks.push(Break::Missing {
                after: last_seq,
                before: e.seq,
            });
        } else if prev != last_hash {
            breaks.push(Break::BrokenLink { seq: e.seq });
        }
        if digest(&prev, &e).as_slice() != hash.as_slice() {
            breaks.push(Break::Altered { seq: e.seq });
        } else {
            let ok = Signature::from_slice(&sig).is_ok_and(|s| public.verify(&hash, &s).is_ok());
            if !ok {
                breaks.push(Break::BadSignature { seq: e.seq });
            } else if e.action == Action::KeyRotation.name() {
                // Only an intact entry signed by the key in force hands over: a forged or altered one
                // leaves the old key in force, so every later entry is checked against it and fails.
                match rotated_to(&e.detail) {
                    Some(next) => public = next,
                    None => breaks.push(Break::Altered { seq: e.seq }),
                }
            }
        }
        last_seq = e.seq;
        last_hash = hash;
    }
    let head: Option<Vec<u8>> = conn
        .query_row("SELECT value FROM meta WHERE key = 'journal_head'", [], |r| r.get(0))
        .optional()?;
    if public != *current {
        breaks.push(Break::KeyNotHandedOver { last: last_seq });
    }
    if let Some(head) = head {
        let expected = head
            .get(..8)
            .and_then(|b| b.try_into().ok())
            .map(i64::from_be_bytes)
            .unwrap_or(-1);
        if expected > last_seq {
            breaks.push(Break::Truncated {
                last: last_seq,
                expected,
            });
        } else if expected != last_seq || head.get(8..) != Some(last_hash.as_slice()) {
            breaks.push(Break::Altered { seq: last_seq });
        }
    }
    Ok(Report { entries, breaks })
}

/// The last `n` entries, newest last.
pub fn tail(conn: &Connection, n: i64) -> Result<Vec<Entry>> {
    let mut stmt = conn.prepare(
        "SELECT seq, at, action, actor, subject, detail FROM (SELECT * FROM journal ORDER BY seq DESC LIMIT ?1) ORDER BY seq",
    )?;
    let rows = stmt.query_map([n], |r| {
        Ok(Entry {
            seq: r.get(0)?,
            at: r.get(1)?,
            action: r.get(2)?,
            actor: r.get(3)?,
            subject: r.get(4)?,
            detail: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

//! One automerge document per enrollment.
//!
//! The van and the issuance centers each hold a copy of an enrollment's document. Each edits its copy
//! (the van corrects a name, a center requests a recapture) and the copies are merged: edits to
//! different fields all survive, and concurrent edits to the same field settle on the same value
//! everywhere. Photos and fingerprint images are never inside the document (its history would keep
//! every retake); the record holds their SHA-256 and the blobs travel beside it.
//!
//! ```
//! # use qafila_doc::EnrollmentDoc;
//! # let now = chrono::Utc::now();
//! let record = qafila_domain::sample::applicant(1, "VAN-01", "OP-1", now);
//! let mut van = EnrollmentDoc::new(&record, b"van-01").unwrap();
//! let mut center = EnrollmentDoc::load(&van.save(), b"rabat").unwrap();
//! van.merge(&mut center).unwrap();
//! assert_eq!(van.record().unwrap(), record);
//! ```
#![forbid(unsafe_code)]

pub mod json;

use automerge::{ActorId, AutoCommit, ChangeHash};
use qafila_domain::Enrollment;
use serde_json::Value;

/// What can go wrong with an enrollment document.
#[derive(Debug, thiserror::Error)]
pub enum DocError {
    /// The bytes are not an automerge document, or the document is damaged.
    #[error("the enrollment document is damaged or not an automerge document: {0}")]
    Automerge(#[from] automerge::AutomergeError),
    /// The document's content does not match the enrollment record layout.
    #[error("the enrollment document does not hold a valid record: {0}")]
    Record(#[from] serde_json::Error),
    /// The automerge decoder gave up on the bytes in a way it does not report as an error (it panicked).
    #[error("the enrollment document's bytes are malformed: {0}")]
    Malformed(String),
    /// The record did not serialize to a JSON object.
    #[error("an enrollment record must be a JSON object")]
    NotAnObject,
}

/// An enrollment held as an automerge document.
#[derive(Debug, Clone)]
pub struct EnrollmentDoc {
    doc: AutoCommit,
}

impl EnrollmentDoc {
    /// A new document holding `record`, edited by `actor` (a stable id of the van or center).
    pub fn new(record: &Enrollment, actor: &[u8]) -> Result<Self, DocError> {
        let mut doc = AutoCommit::new().with_actor(ActorId::from(actor));
        match serde_json::to_value(record)? {
            Value::Object(m) => json::init_root(&mut doc, &m)?,
            _ => return Err(DocError::NotAnObject),
        }
        doc.commit();
        Ok(EnrollmentDoc { doc })
    }

    /// Loads a saved document; further edits are made as `actor`.
    pub fn load(bytes: &[u8], actor: &[u8]) -> Result<Self, DocError> {
        only_documents_and_changes(bytes)?;
        let doc = contained(|| AutoCommit::load(bytes))??.with_actor(ActorId::from(actor));
        Ok(EnrollmentDoc { doc })
    }

    /// The record as the document holds it now.
    pub fn record(&self) -> Result<Enrollment, DocError> {
        Ok(serde_json::from_value(self.to_json()?)?)
    }

    /// The document's content as JSON (for debugging exports and for records of a newer layout).
    pub fn to_json(&self) -> Result<Value, DocError> {
        Ok(Value::Object(json::read_root(&self.doc)?))
    }

    /// Records the changes from the current content to `record`, field by field, as one change.
    pub fn update(&mut self, record: &Enrollment) -> Result<(), DocError> {
        write(&mut self.doc, record)?;
        self.doc.commit();
        Ok(())
    }

    /// Merges every change of `other` into this document.
    pub fn merge(&mut self, other: &mut EnrollmentDoc) -> Result<(), DocError> {
        self.doc.merge(&mut other.doc)?;
        Ok(())
    }

    /// The compact binary form, with the whole history.
    pub fn save(&mut self) -> Vec<u8> {
        self.doc.save()
    }

    /// The heads: hashes identifying exactly the set of changes this copy holds.
    pub fn heads(&mut self) -> Vec<ChangeHash> {
        let mut heads = self.doc.get_heads();
        heads.sort();
        heads
    }

    /// The heads as lowercase hex strings.
    pub fn heads_hex(&mut self) -> Vec<String> {
        self.heads().iter().map(|h| h.to_string()).collect()
    }

    /// The changes after `heads` (hex) as an incremental save; everything if `heads` is empty or unknown.
    pub fn changes_since(&mut self, heads: &[String]) -> Vec<u8> {
        let parsed: Option<Vec<ChangeHash>> = heads.iter().map(|h| h.parse().ok()).collect();
        match parsed {
            Some(hs) if !hs.is_empty() && hs.iter().all(|h| self.doc.get_change_by_hash(h).is_some()) => {
                self.doc.save_after(&hs)
            }
            _ => self.doc.save(),
        }
    }

    /// Applies changes received from another copy (an incremental save or a whole document).
    pub fn apply(&mut self, changes: &[u8]) -> Result<(), DocError> {
        // Applied to a copy: a decoder that panics half way must not leave this document half changed.
        only_documents_and_changes(changes)?;
        let mut next = self.doc.clone();
        contained(|| next.load_incremental(changes))??;
        self.doc = next;
        Ok(())
    }

    /// Whether some applied changes wait for changes this copy has not seen.
    pub fn has_missing_deps(&mut self) -> bool {
        !self.doc.get_missing_deps(&[]).is_empty()
    }

    /// The underlying automerge document, for the sync protocol.
    pub fn automerge(&mut self) -> &mut AutoCommit {
        &mut self.doc
    }
}

/// Automerge's chunk header: magic bytes, then a 4-byte checksum, a type byte and the LEB128 length of the data.
const CHUNK_MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];

/// Refuses chunks other than documents (0), changes (1) and compressed changes (2). Qafila never writes the newer
/// "bundle" chunk, and automerge decodes a bundle's columns eagerly: a 148-byte bundle declaring a run of billions
/// of values made it allocate gigabytes (found by the `doc_load` fuzz target). Anything else malformed is left to
/// automerge, which reports it.
fn only_documents_and_changes(bytes: &[u8]) -> Result<(), DocError> {
    let mut at = 0usize;
    while let Some(header) = bytes.get(at..).and_then(|rest| rest.get(..9)) {
        if header[..4] != CHUNK_MAGIC {
            return Ok(());
        }
        let kind = header[8];
        if kind > 2 {
            return Err(DocError::Malformed(format!(
                "chunk {kind} at byte {at} is not a document or a change"
            )));
        }
        let mut len: u64 = 0;
        let mut next = at + 9;
        for shift in (0..64).step_by(7) {
            let Some(b) = bytes.get(next) else { return Ok(()) };
            next += 1;
            len |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                break;
            }
        }
        match usize::try_from(len).ok().and_then(|l| next.checked_add(l)) {
            Some(end) => at = end,
            None => return Ok(()),
        }
    }
    Ok(())
}

/// Runs automerge's decoder on bytes from outside. Its column decoders (hexane) still unwrap on some truncated
/// inputs (found by `fuzz/fuzz_targets/doc_load.rs`); a center must refuse such a batch, not die with it.
fn contained<T>(decode: impl FnOnce() -> T) -> Result<T, DocError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(decode)).map_err(|panic| {
        let why = panic
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| panic.downcast_ref::<&str>().copied())
            .unwrap_or("the decoder stopped");
        DocError::Malformed(why.to_owned())
    })
}

fn write(doc: &mut AutoCommit, record: &Enrollment) -> Result<(), DocError> {
    match serde_json::to_value(record)? {
        Value::Object(m) => json::write_root(doc, &m),
        _ => Err(DocError::NotAnObject),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(kind: u8, len: &[u8]) -> Vec<u8> {
        let mut c = CHUNK_MAGIC.to_vec();
        c.extend([0, 0, 0, 0, kind]);
        c.extend(len);
        c
    }

    #[test]
    fn the_chunk_scan_refuses_bundles_and_survives_any_length() {
        assert!(matches!(
            only_documents_and_changes(&chunk(3, &[0])),
            Err(DocError::Malformed(_))
        ));
        // A change chunk, then a bundle after it.
        let mut two = chunk(1, &[2]);
        two.extend([9, 9]);
        two.extend(chunk(3, &[0]));
        assert!(only_documents_and_changes(&two).is_err());
        // Lengths that point past the end, or past usize::MAX (found by the fuzzer), end the scan.
        for len in [
            &[0x7f][..],
            &[0xff; 10][..],
            &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f][..],
        ] {
            assert!(only_documents_and_changes(&chunk(0, len)).is_ok());
        }
        let now = chrono::Utc::now();
        let mut doc = EnrollmentDoc::new(&qafila_domain::sample::applicant(3, "VAN-03", "OP-1", now), b"v").unwrap();
        assert!(only_documents_and_changes(&doc.save()).is_ok());
    }
}

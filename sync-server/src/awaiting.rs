//! Which blobs each pending batch still lacks, kept in memory so that the upload completing a
//! batch's last blob can commit it at once and answer with the receipt: on a link with 600 ms of
//! round trip, that spares the van the separate commit.
//!
//! The database stays the truth. This index is only a hint: a restart empties it, a blob sent by
//! another van is not struck off, and then the van's own signed commit does the job as before.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

/// Pending batches a van may have: the database keeps its two newest, and so does the index.
const PER_VAN: usize = 2;

/// One pending batch and the blobs it lacks.
#[derive(Debug)]
struct Waiting {
    seq: u64,
    ct_hash: Vec<u8>,
    missing: HashSet<[u8; 32]>,
}

/// The pending batches of every van, with what they lack.
#[derive(Debug, Default)]
pub(crate) struct Awaiting {
    vans: Mutex<HashMap<String, Vec<Waiting>>>,
}

/// A blob name as 32 bytes (a third of the memory of its hex form); `None` if it is not SHA-256 hex.
fn name(sha: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(sha, &mut out).ok()?;
    Some(out)
}

impl Awaiting {
    /// Records that batch `seq` of `van` is held until `missing` are in.
    pub(crate) fn hold(&self, van: &str, seq: u64, ct_hash: &[u8], missing: &[String]) {
        let missing: HashSet<[u8; 32]> = missing.iter().filter_map(|m| name(m)).collect();
        let mut vans = self.vans.lock().unwrap_or_else(|e| e.into_inner());
        let list = vans.entry(van.to_owned()).or_default();
        list.retain(|w| w.seq != seq);
        list.push(Waiting {
            seq,
            ct_hash: ct_hash.to_vec(),
            missing,
        });
        list.sort_by_key(|w| std::cmp::Reverse(w.seq));
        list.truncate(PER_VAN);
    }

    /// Strikes `sha` off the batches of `van` now that it is complete, and returns the ciphertext
    /// hash of batch `commit` if it now lacks nothing.
    pub(crate) fn arrived(&self, van: &str, sha: &str, commit: Option<u64>) -> Option<Vec<u8>> {
        let sha = name(sha)?;
        let mut vans = self.vans.lock().unwrap_or_else(|e| e.into_inner());
        let list = vans.get_mut(van)?;
        for w in list.iter_mut() {
            w.missing.remove(&sha);
        }
        let seq = commit?;
        list.iter()
            .find(|w| w.seq == seq && w.missing.is_empty())
            .map(|w| w.ct_hash.clone())
    }

    /// Forgets batch `seq` of `van` (accepted).
    pub(crate) fn done(&self, van: &str, seq: u64) {
        let mut vans = self.vans.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(list) = vans.get_mut(van) {
            list.retain(|w| w.seq != seq);
            if list.is_empty() {
                vans.remove(van);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sha(n: u8) -> String {
        hex::encode([n; 32])
    }

    #[test]
    fn a_batch_is_ready_once_its_last_blob_arrives() {
        let a = Awaiting::default();
        a.hold("VAN-1", 4, b"ct4", &[sha(1), sha(2)]);
        assert_eq!(a.arrived("VAN-1", &sha(1), Some(4)), None, "one blob still lacks");
        assert_eq!(a.arrived("VAN-1", &sha(9), Some(4)), None, "not one of its blobs");
        // A blob of another van's upload does not count for this one.
        assert_eq!(a.arrived("VAN-2", &sha(2), Some(4)), None);
        assert_eq!(a.arrived("VAN-1", &sha(2), None), None, "not asked to commit");
        assert_eq!(a.arrived("VAN-1", &sha(2), Some(4)), Some(b"ct4".to_vec()));
        assert_eq!(a.arrived("VAN-1", &sha(2), Some(5)), None, "another batch");
        a.done("VAN-1", 4);
        assert_eq!(a.arrived("VAN-1", &sha(2), Some(4)), None, "forgotten once accepted");
    }

    #[test]
    fn a_van_keeps_its_two_newest_batches() {
        let a = Awaiting::default();
        for seq in 1..=3 {
            a.hold("VAN-1", seq, &[seq as u8], &[sha(seq as u8)]);
        }
        assert_eq!(a.arrived("VAN-1", &sha(1), Some(1)), None, "the oldest was dropped");
        assert_eq!(a.arrived("VAN-1", &sha(3), Some(3)), Some(vec![3]));
        // Held again (posted anew): what it lacks is replaced, not added to.
        a.hold("VAN-1", 2, &[2], &[sha(7)]);
        assert_eq!(a.arrived("VAN-1", &sha(2), Some(2)), None);
        assert_eq!(a.arrived("VAN-1", &sha(7), Some(2)), Some(vec![2]));
    }

    #[test]
    fn names_that_are_not_sha256_are_ignored() {
        let a = Awaiting::default();
        a.hold("VAN-1", 1, b"c", &["zz".into()]);
        assert_eq!(a.arrived("VAN-1", "zz", Some(1)), None);
        assert_eq!(
            a.arrived("VAN-1", &sha(0), Some(1)),
            Some(b"c".to_vec()),
            "nothing real lacks"
        );
    }
}

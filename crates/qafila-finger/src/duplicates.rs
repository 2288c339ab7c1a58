//! The duplicate check within a drive: every enrollment's finger templates in memory, and a search of a
//! new person's fingers against them.
//!
//! Bozorth3 costs about a millisecond per pair, and a drive may hold 5,000 people with ten fingers, so
//! the search does not compare everything. A pre-filter ([`crate::triplets`]) counts, for each probe
//! finger, the minutiae triangles it shares with every enrolled template of the same finger position
//! (an inverted index from triangle key to templates), keeps the few best-voted templates, and only
//! those are scored with bozorth3 against [`MATCH_THRESHOLD`](crate::template::MATCH_THRESHOLD).

use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{FingerError, Result};
use crate::template::{Finger, MATCH_THRESHOLD, Template};
use crate::triplets;

/// Format version of the stored index.
const STORE_VERSION: u32 = 1;
/// A person has at most ten fingers.
pub const MAX_FINGERS: usize = 10;

/// Who an enrollment belongs to (the enrollment or person id of the drive).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PersonId(pub String);

impl std::fmt::Display for PersonId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// An enrolled finger that matches one of the probe's fingers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    /// The enrolled person.
    pub person: PersonId,
    /// Their finger that matched.
    pub finger: Finger,
    /// The probe's finger that matched it.
    pub probe_finger: Finger,
    /// Bozorth3 score (probe against enrolled), at least the threshold.
    pub score: u32,
}

/// How the search trades speed against recall.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchConfig {
    /// Bozorth3 score from which a pair is reported.
    pub threshold: u32,
    /// Templates per probe finger passed from the pre-filter to bozorth3.
    pub shortlist: usize,
    /// Fewer shared triangles than this never reach bozorth3.
    pub min_votes: u32,
    /// Compare a finger only with the same finger position (and unknown positions). Off: every position,
    /// which also catches fingers presented in another order, at about ten times the pre-filter cost.
    pub same_finger_only: bool,
}

impl Default for SearchConfig {
    fn default() -> Self {
        Self {
            threshold: MATCH_THRESHOLD,
            shortlist: 20,
            min_votes: 2,
            same_finger_only: true,
        }
    }
}

/// One enrolled finger.
#[derive(Debug, Clone)]
struct Entry {
    person: u32,
    template: Template,
    alive: bool,
}

/// The drive's enrolled templates and the pre-filter's inverted index over them.
#[derive(Debug, Clone, Default)]
pub struct DuplicateIndex {
    config: SearchConfig,
    people: Vec<PersonId>,
    person_slot: HashMap<PersonId, u32>,
    /// Entry ids of each person slot (empty once removed).
    fingers: Vec<Vec<u32>>,
    entries: Vec<Entry>,
    /// (finger code << 28 | triangle key) → entry ids.
    postings: Postings,
}

/// The pre-filter's inverted index. Most of it is one sorted, compact table (built in one pass when the
/// index is loaded at the van's start); the drive's new enrollments go to a small hash map, folded into
/// the table when it grows.
#[derive(Debug, Clone, Default)]
struct Postings {
    /// Distinct keys, ascending.
    keys: Vec<u32>,
    /// `ids[starts[i]..starts[i + 1]]` are the entries of `keys[i]`.
    starts: Vec<u32>,
    ids: Vec<u32>,
    recent: HashMap<u32, Vec<u32>>,
    recent_len: usize,
    /// While loading: every (key, id) pair, sorted into the table at the end.
    bulk: Option<Vec<(u32, u32)>>,
}

/// Fold the recent postings into the table past this many.
const RECENT_MAX: usize = 1 << 20;

impl Postings {
    fn add(&mut self, key: u32, id: u32) {
        if let Some(bulk) = &mut self.bulk {
            bulk.push((key, id));
            return;
        }
        self.recent.entry(key).or_default().push(id);
        self.recent_len += 1;
    }

    /// Folds the recent postings into the table if they have grown large.
    fn maybe_compact(&mut self) {
        if self.recent_len > RECENT_MAX {
            let mut pairs = self.pairs();
            pairs.extend(
                self.recent
                    .drain()
                    .flat_map(|(k, ids)| ids.into_iter().map(move |id| (k, id))),
            );
            self.recent_len = 0;
            self.build(pairs);
        }
    }

    /// Starts a bulk load.
    fn begin_bulk(&mut self) {
        self.bulk = Some(self.pairs());
    }

    /// Ends a bulk load: sorts every pair into the table.
    fn end_bulk(&mut self) {
        if let Some(pairs) = self.bulk.take() {
            self.build(pairs);
        }
    }

    /// The table's pairs.
    fn pairs(&self) -> Vec<(u32, u32)> {
        let mut out = Vec::with_capacity(self.ids.len());
        for (i, &key) in self.keys.iter().enumerate() {
            let (a, b) = (self.starts[i] as usize, self.starts[i + 1] as usize);
            out.extend(self.ids[a..b].iter().map(|&id| (key, id)));
        }
        out
    }

    fn build(&mut self, mut pairs: Vec<(u32, u32)>) {
        pairs.sort_unstable();
        self.keys.clear();
        self.starts.clear();
        self.ids.clear();
        self.ids.reserve_exact(pairs.len());
        for (key, id) in pairs {
            if self.keys.last() != Some(&key) {
                self.keys.push(key);
                self.starts.push(self.ids.len() as u32);
            }
            self.ids.push(id);
        }
        self.starts.push(self.ids.len() as u32);
    }

    /// The entries of a key: from the table, then the recent ones.
    fn get(&self, key: u32) -> impl Iterator<Item = u32> + '_ {
        let table = match self.keys.binary_search(&key) {
            Ok(i) => &self.ids[self.starts[i] as usize..self.starts[i + 1] as usize],
            Err(_) => &[],
        };
        let recent = self.recent.get(&key).map(Vec::as_slice).unwrap_or_default();
        table.iter().chain(recent).copied()
    }
}

/// The stored form: the templates as ISO/IEC 19794-2 records; the pre-filter is rebuilt on load.
#[derive(Serialize, Deserialize)]
struct Stored {
    version: u32,
    config: SearchConfig,
    people: Vec<StoredPerson>,
}

#[derive(Serialize, Deserialize)]
struct StoredPerson {
    person: PersonId,
    #[serde(with = "serde_bytes_vec")]
    templates: Vec<Vec<u8>>,
}

/// `Vec<Vec<u8>>` as CBOR byte strings rather than arrays of integers.
mod serde_bytes_vec {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(v: &[Vec<u8>], s: S) -> Result<S::Ok, S::Error> {
        v.iter()
            .map(|b| serde_bytes::Bytes::new(b))
            .collect::<Vec<_>>()
            .serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Vec<u8>>, D::Error> {
        Ok(Vec::<serde_bytes::ByteBuf>::deserialize(d)?
            .into_iter()
            .map(serde_bytes::ByteBuf::into_vec)
            .collect())
    }
}

impl DuplicateIndex {
    /// An empty index searching with `config`.
    pub fn new(config: SearchConfig) -> Self {
        Self {
            config,
            ..Self::default()
        }
    }

    /// The search settings.
    pub fn config(&self) -> SearchConfig {
        self.config
    }

    /// Changes the search settings (the index itself does not depend on them).
    pub fn set_config(&mut self, config: SearchConfig) {
        self.config = config;
    }

    /// Number of people enrolled.
    pub fn len(&self) -> usize {
        self.person_slot.len()
    }

    /// Whether nobody is enrolled.
    pub fn is_empty(&self) -> bool {
        self.person_slot.is_empty()
    }

    /// Adds a person's fingers (up to ten, one per known position), replacing any they had.
    pub fn insert(&mut self, person: PersonId, templates: Vec<Template>) -> Result<()> {
        if templates.len() > MAX_FINGERS {
            return Err(FingerError::Template {
                field: "fingers",
                reason: format!(
                    "{} templates for {person}, a person has at most {MAX_FINGERS}",
                    templates.len()
                ),
            });
        }
        let mut seen = Vec::new();
        for t in &templates {
            if t.finger() != Finger::Unknown && seen.contains(&t.finger()) {
                return Err(FingerError::Template {
                    field: "finger",
                    reason: format!("{:?} given twice for {person}", t.finger()),
                });
            }
            seen.push(t.finger());
        }
        self.remove(&person);
        let slot = match self.person_slot.get(&person) {
            Some(slot) => *slot,
            None => {
                let slot = u32::try_from(self.people.len()).map_err(|_| FingerError::Index {
                    field: "people",
                    reason: "more than 4 billion enrollments".into(),
                })?;
                self.people.push(person.clone());
                self.fingers.push(Vec::new());
                self.person_slot.insert(person, slot);
                slot
            }
        };
        for template in templates {
            let id = self.entries.len() as u32;
            let finger = u32::from(template.finger().code()) << 28;
            for key in triplets::keys(&template.bozorth_minutiae()) {
                self.postings.add(finger | key, id);
            }
            self.entries.push(Entry {
                person: slot,
                template,
                alive: true,
            });
            self.fingers[slot as usize].push(id);
        }
        self.postings.maybe_compact();
        Ok(())
    }

    /// Adds many people at once (as at the van's start): one pass to build the pre-filter's table.
    pub fn extend(&mut self, people: impl IntoIterator<Item = (PersonId, Vec<Template>)>) -> Result<()> {
        self.postings.begin_bulk();
        let added = people
            .into_iter()
            .try_for_each(|(person, templates)| self.insert(person, templates));
        // Build the table even after an error: the people inserted so far stay searchable.
        self.postings.end_bulk();
        added
    }

    /// Removes a person (their postings are skipped from now on and dropped at the next load).
    pub fn remove(&mut self, person: &PersonId) {
        if let Some(&slot) = self.person_slot.get(person) {
            for id in std::mem::take(&mut self.fingers[slot as usize]) {
                self.entries[id as usize].alive = false;
            }
        }
    }

    /// A person's enrolled templates.
    pub fn templates(&self, person: &PersonId) -> Vec<&Template> {
        let Some(&slot) = self.person_slot.get(person) else {
            return Vec::new();
        };
        self.fingers[slot as usize]
            .iter()
            .map(|&id| &self.entries[id as usize].template)
            .collect()
    }

    /// Enrolled fingers that match any of the probe's, best score first.
    pub fn probable_duplicates(&self, probe: &[Template]) -> Vec<Candidate> {
        let mut votes = vec![0u32; self.entries.len()];
        let mut touched: Vec<u32> = Vec::new();
        let mut out = Vec::new();
        for p in probe {
            let xyt = p.bozorth_minutiae();
            let keys = triplets::keys(&xyt);
            for code in self.finger_codes(p.finger()) {
                let finger = u32::from(code) << 28;
                for key in &keys {
                    for id in self.postings.get(finger | key) {
                        let v = &mut votes[id as usize];
                        if *v == 0 {
                            touched.push(id);
                        }
                        *v += 1;
                    }
                }
            }
            touched.retain(|&id| self.entries[id as usize].alive && votes[id as usize] >= self.config.min_votes);
            // Most votes first; entry order breaks ties so the search is deterministic.
            touched.sort_unstable_by_key(|&id| (std::cmp::Reverse(votes[id as usize]), id));
            touched.truncate(self.config.shortlist);
            for &id in &touched {
                let entry = &self.entries[id as usize];
                let score = fprint_bozorth3::match_score(&xyt, &entry.template.bozorth_minutiae());
                if score >= self.config.threshold {
                    out.push(Candidate {
                        person: self.people[entry.person as usize].clone(),
                        finger: entry.template.finger(),
                        probe_finger: p.finger(),
                        score,
                    });
                }
            }
            votes.iter_mut().for_each(|v| *v = 0);
            touched.clear();
        }
        out.sort_by(|a, b| b.score.cmp(&a.score).then_with(|| a.person.cmp(&b.person)));
        out
    }

    /// Every enrolled finger compared with bozorth3, no pre-filter: the reference the search is measured
    /// against (slow: use on small indexes or samples).
    pub fn probable_duplicates_brute_force(&self, probe: &[Template]) -> Vec<Candidate> {
        let mut out = Vec::new();
        for p in probe {
            let xyt = p.bozorth_minutiae();
            let codes = self.finger_codes(p.finger());
            for entry in self
                .entries
                .iter()
                .filter(|e| e.alive && codes.contains(&e.template.finger().code()))
            {
                let score = fprint_bozorth3::match_score(&xyt, &entry.template.bozorth_minutiae());
                if score >= self.config.threshold {
                    out.push(Candidate {
                        person: self.people[entry.person as usize].clone(),
                        finger: entry.template.finger(),
                        probe_finger: p.finger(),
                        score,
                    });
                }
            }
        }
        out.sort_by(|a, b| b.score.cmp(&a.score).then_with(|| a.person.cmp(&b.person)));
        out
    }

    /// The finger position codes a probe finger is compared with.
    fn finger_codes(&self, finger: Finger) -> Vec<u8> {
        if self.config.same_finger_only && finger != Finger::Unknown {
            vec![finger.code(), Finger::Unknown.code()]
        } else {
            (0..=10).collect()
        }
    }

    /// Writes the index (templates as ISO records, CBOR) to `w`.
    pub fn save(&self, w: impl Write) -> Result<()> {
        let people = self
            .people
            .iter()
            .zip(&self.fingers)
            .filter(|(_, ids)| !ids.is_empty())
            .map(|(person, ids)| StoredPerson {
                person: person.clone(),
                templates: ids
                    .iter()
                    .map(|&id| self.entries[id as usize].template.to_iso19794_2())
                    .collect(),
            })
            .collect();
        let stored = Stored {
            version: STORE_VERSION,
            config: self.config,
            people,
        };
        ciborium::into_writer(&stored, w).map_err(|e| FingerError::Index {
            field: "encoding",
            reason: e.to_string(),
        })
    }

    /// Reads an index written by [`DuplicateIndex::save`] and rebuilds the pre-filter.
    pub fn load(r: impl Read) -> Result<Self> {
        let stored: Stored = ciborium::from_reader(r).map_err(|e| FingerError::Index {
            field: "encoding",
            reason: e.to_string(),
        })?;
        if stored.version != STORE_VERSION {
            return Err(FingerError::Index {
                field: "version",
                reason: format!("{} is not the version {STORE_VERSION} this build reads", stored.version),
            });
        }
        let people = stored
            .people
            .into_iter()
            .map(|p| {
                Ok((
                    p.person,
                    p.templates
                        .iter()
                        .map(|b| Template::from_iso19794_2(b))
                        .collect::<Result<_>>()?,
                ))
            })
            .collect::<Result<Vec<_>>>()?;
        let mut index = Self::new(stored.config);
        index.extend(people)?;
        Ok(index)
    }

    /// Saves to a file, atomically (written beside it, then renamed over it).
    pub fn save_to_path(&self, path: &Path) -> Result<()> {
        let io = |e: std::io::Error| FingerError::Index {
            field: "file",
            reason: format!("{}: {e}", path.display()),
        };
        let tmp = path.with_extension("tmp");
        let mut file = std::io::BufWriter::new(std::fs::File::create(&tmp).map_err(io)?);
        self.save(&mut file)?;
        file.into_inner()
            .map_err(|e| io(e.into_error()))?
            .sync_all()
            .map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)
    }

    /// Loads from a file written by [`DuplicateIndex::save_to_path`].
    pub fn load_from_path(path: &Path) -> Result<Self> {
        let file = std::fs::File::open(path).map_err(|e| FingerError::Index {
            field: "file",
            reason: format!("{}: {e}", path.display()),
        })?;
        Self::load(std::io::BufReader::new(file))
    }
}

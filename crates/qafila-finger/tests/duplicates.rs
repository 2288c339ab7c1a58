//! The duplicate index finds a planted duplicate (real prints plus synthetic fingers) among many
//! enrolled people, finds nobody for a new person, and survives being stored and loaded.

mod common;

use common::{REAL_PAIRS, load_print, reimpression, synthetic_template};
use qafila_finger::{DuplicateIndex, Finger, PersonId, SearchConfig, Template, extract};

const PEOPLE: u64 = 400;

fn person(p: u64) -> Vec<Template> {
    Finger::ALL
        .iter()
        .map(|&f| synthetic_template(p << 4 | u64::from(f.code()), f))
        .collect()
}

/// The planted person's enrolled fingers and a probe of the same person captured again: three real
/// fingers (first and second impressions) and seven synthetic ones (and their re-impressions).
fn planted() -> (Vec<Template>, Vec<Template>) {
    let (mut enrolled, mut probe) = (Vec::new(), Vec::new());
    for (i, finger) in Finger::ALL.into_iter().enumerate() {
        if let Some((first, second)) = REAL_PAIRS.get(i) {
            enrolled.push(extract(&load_print(first), 500).expect(first).with_finger(finger));
            probe.push(extract(&load_print(second), 500).expect(second).with_finger(finger));
        } else {
            let t = synthetic_template(1_000_000 + i as u64, finger);
            probe.push(reimpression(&t, 5_000 + i as u64));
            enrolled.push(t);
        }
    }
    (enrolled, probe)
}

fn index_with_planted(people: u64, enrolled: Vec<Template>) -> DuplicateIndex {
    let mut index = DuplicateIndex::new(SearchConfig::default());
    index
        .extend((0..people).map(|p| (PersonId(format!("person-{p}")), person(p))))
        .expect("synthetic people are valid");
    index
        .insert(PersonId("planted".into()), enrolled)
        .expect("planted person is valid");
    index
}

#[test]
fn finds_the_planted_duplicate_among_many_and_nobody_else() {
    let (enrolled, probe) = planted();
    let index = index_with_planted(PEOPLE, enrolled);
    assert_eq!(index.len(), PEOPLE as usize + 1);

    let found = index.probable_duplicates(&probe);
    assert!(
        found.iter().all(|c| c.person.0 == "planted"),
        "others reported: {found:?}"
    );
    let mut fingers: Vec<Finger> = found.iter().map(|c| c.finger).collect();
    fingers.sort();
    assert_eq!(fingers, Finger::ALL, "every finger of the planted person: {found:?}");
    assert!(found.iter().all(|c| c.finger == c.probe_finger && c.score >= 40));
    assert!(found.windows(2).all(|w| w[0].score >= w[1].score), "best first");

    // The pre-filter loses nothing that comparing everything would find (on a smaller index).
    let (enrolled, _) = planted();
    let small = index_with_planted(60, enrolled);
    assert_eq!(
        small.probable_duplicates(&probe),
        small.probable_duplicates_brute_force(&probe)
    );
}

#[test]
fn a_new_person_finds_nobody() {
    let (enrolled, _) = planted();
    let index = index_with_planted(PEOPLE, enrolled);
    // Fresh synthetic fingers, and real prints of fingers nobody enrolled.
    let mut probe = person(9_999_999);
    probe[0] = extract(&load_print("afis-p2_1.png"), 500)
        .expect("p2")
        .with_finger(Finger::RightThumb);
    probe[1] = extract(&load_print("nbis-test.png"), 500)
        .expect("nbis")
        .with_finger(Finger::RightIndex);
    assert_eq!(index.probable_duplicates(&probe), vec![]);
}

#[test]
fn fingers_presented_in_another_order_need_the_cross_position_search() {
    let (enrolled, probe) = planted();
    let mut index = index_with_planted(50, enrolled);
    // The fraudster gives their right index as the right thumb, and so on.
    let swapped: Vec<Template> = probe
        .iter()
        .zip(Finger::ALL.iter().cycle().skip(1))
        .map(|(t, &f)| t.clone().with_finger(f))
        .collect();
    assert_eq!(index.probable_duplicates(&swapped), vec![]);
    index.set_config(SearchConfig {
        same_finger_only: false,
        ..SearchConfig::default()
    });
    let found = index.probable_duplicates(&swapped);
    assert_eq!(found.len(), 10, "{found:?}");
    assert!(
        found
            .iter()
            .all(|c| c.person.0 == "planted" && c.finger != c.probe_finger)
    );
}

#[test]
fn store_load_remove_and_replace() {
    let (enrolled, probe) = planted();
    let mut index = index_with_planted(80, enrolled.clone());
    let before = index.probable_duplicates(&probe);
    assert_eq!(before.len(), 10);

    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("drive.idx");
    index.save_to_path(&path).expect("save");
    let loaded = DuplicateIndex::load_from_path(&path).expect("load");
    assert_eq!(loaded.len(), index.len());
    assert_eq!(loaded.config(), index.config());
    assert_eq!(loaded.probable_duplicates(&probe), before);
    assert_eq!(loaded.templates(&PersonId("planted".into())).len(), 10);

    // Damaged or foreign files are refused, never a panic.
    let bytes = std::fs::read(&path).expect("read");
    assert!(DuplicateIndex::load(&bytes[..bytes.len() / 2]).is_err());
    assert!(DuplicateIndex::load(&b"not an index"[..]).is_err());
    assert!(DuplicateIndex::load_from_path(&dir.path().join("missing")).is_err());

    index.remove(&PersonId("planted".into()));
    assert_eq!(index.probable_duplicates(&probe), vec![]);
    index.insert(PersonId("planted".into()), enrolled).expect("re-insert");
    assert_eq!(index.probable_duplicates(&probe), before);

    let too_many: Vec<Template> = person(1).into_iter().chain(person(2).into_iter().take(1)).collect();
    assert!(index.insert(PersonId("eleven".into()), too_many).is_err());
    let twice = vec![person(1)[0].clone(), person(2)[0].clone()];
    assert!(index.insert(PersonId("twice".into()), twice).is_err());
}

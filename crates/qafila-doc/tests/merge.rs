//! Merge properties of enrollment documents over random edit sequences.

use chrono::{TimeZone, Utc};
use proptest::prelude::*;
use qafila_doc::EnrollmentDoc;
use qafila_domain::*;

#[derive(Clone, Debug)]
enum Edit {
    FamilyLatin(String),
    GivenArabic(String),
    Phone(Option<u32>),
    Height(Option<u16>),
    Status(u8),
    AddDocument(u8),
    RemoveDocument,
    Finger(u8, Option<u8>),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        "[A-Z]{1,12}( [A-Z]{1,8})?".prop_map(Edit::FamilyLatin),
        "[\u{0628}-\u{063A}]{1,10}".prop_map(Edit::GivenArabic),
        proptest::option::of(any::<u32>()).prop_map(Edit::Phone),
        proptest::option::of(100u16..220).prop_map(Edit::Height),
        (0u8..5).prop_map(Edit::Status),
        any::<u8>().prop_map(Edit::AddDocument),
        Just(Edit::RemoveDocument),
        (1u8..=10, proptest::option::of(0u8..=100)).prop_map(|(p, q)| Edit::Finger(p, q)),
    ]
}

fn apply(r: &mut Enrollment, e: &Edit) {
    match e {
        Edit::FamilyLatin(s) => r.civil.family_name.latin = s.clone(),
        Edit::GivenArabic(s) => r.civil.given_names.arabic = s.clone(),
        Edit::Phone(p) => r.civil.phone = p.map(|n| format!("+2126{n:08}")),
        Edit::Height(h) => r.civil.height_cm = *h,
        Edit::Status(s) => {
            r.application.status = match s {
                0 => Status::Captured,
                1 => Status::Sealed,
                2 => Status::Rejected { reason: "photo".into() },
                3 => Status::RecaptureRequested {
                    items: vec!["fingerprints.7".into()],
                    note: None,
                },
                _ => Status::Accepted,
            }
        }
        Edit::AddDocument(b) => r.documents.push(Document {
            kind: DocumentKind::Other,
            blob: BlobRef(format!("{b:064x}")),
        }),
        Edit::RemoveDocument => {
            r.documents.pop();
        }
        Edit::Finger(p, q) => {
            let pos = FingerPosition::from_number(*p).expect("1..=10");
            let slot = match q {
                Some(q) => FingerSlot::Impression {
                    blob: BlobRef(format!("{q:064x}")),
                    quality: *q,
                    quality_algorithm: None,
                    device: "SIM".into(),
                },
                None => FingerSlot::Exception {
                    exception: FingerException::Bandaged,
                    reason: "burn".into(),
                },
            };
            r.fingerprints.insert(pos, slot);
        }
    }
}

fn base() -> Enrollment {
    qafila_domain::sample::applicant(7, "VAN-07", "OP-1", Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap())
}

/// A replica that starts from the shared base and applies its own edits, one change each.
fn replica(saved: &[u8], actor: &[u8], edits: &[Edit]) -> EnrollmentDoc {
    let mut doc = EnrollmentDoc::load(saved, actor).unwrap();
    for e in edits {
        let mut r = doc.record().unwrap();
        apply(&mut r, e);
        doc.update(&r).unwrap();
    }
    doc
}

fn merged(a: &EnrollmentDoc, b: &EnrollmentDoc) -> EnrollmentDoc {
    let mut x = a.clone();
    x.merge(&mut b.clone()).unwrap();
    x
}

fn same(a: &mut EnrollmentDoc, b: &mut EnrollmentDoc) {
    assert_eq!(a.heads(), b.heads());
    assert_eq!(a.to_json().unwrap(), b.to_json().unwrap());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn merge_is_commutative_associative_idempotent(
        ea in proptest::collection::vec(edit(), 0..6),
        eb in proptest::collection::vec(edit(), 0..6),
        ec in proptest::collection::vec(edit(), 0..6),
    ) {
        let saved = EnrollmentDoc::new(&base(), b"origin").unwrap().save();
        let a = replica(&saved, b"aaaa", &ea);
        let b = replica(&saved, b"bbbb", &eb);
        let c = replica(&saved, b"cccc", &ec);

        same(&mut merged(&a, &b), &mut merged(&b, &a));
        same(&mut merged(&merged(&a, &b), &c), &mut merged(&a, &merged(&b, &c)));
        same(&mut merged(&a, &a), &mut a.clone());

        // Whatever the interleaving, the merged document still holds a well-formed record.
        let mut all = merged(&merged(&a, &b), &c);
        prop_assert!(all.record().is_ok(), "{:?}", all.record().err());
        let mut reloaded = EnrollmentDoc::load(&all.save(), b"dddd").unwrap();
        same(&mut all, &mut reloaded);
    }

    #[test]
    fn save_load_round_trips(edits in proptest::collection::vec(edit(), 0..10)) {
        let saved = EnrollmentDoc::new(&base(), b"origin").unwrap().save();
        let mut doc = replica(&saved, b"aaaa", &edits);
        let expected = doc.record().unwrap();
        let mut loaded = EnrollmentDoc::load(&doc.save(), b"aaaa").unwrap();
        prop_assert_eq!(loaded.record().unwrap(), expected);
        prop_assert_eq!(loaded.heads(), doc.heads());
    }
}

#[test]
fn edits_to_different_fields_both_survive() {
    let record = base();
    let saved = EnrollmentDoc::new(&record, b"van").unwrap().save();
    let mut van = EnrollmentDoc::load(&saved, b"van").unwrap();
    let mut center = EnrollmentDoc::load(&saved, b"rabat").unwrap();

    let mut r = van.record().unwrap();
    r.civil.family_name.latin = "EL AMRANI BENALI".into();
    van.update(&r).unwrap();

    let mut r = center.record().unwrap();
    r.application.status = Status::RecaptureRequested {
        items: vec!["portrait".into()],
        note: Some("eyes closed".into()),
    };
    center.update(&r).unwrap();

    van.merge(&mut center.clone()).unwrap();
    center.merge(&mut van.clone()).unwrap();
    for doc in [&van, &center] {
        let r = doc.record().unwrap();
        assert_eq!(r.civil.family_name.latin, "EL AMRANI BENALI");
        assert!(matches!(r.application.status, Status::RecaptureRequested { .. }));
    }
    assert_eq!(van.heads(), center.heads());
}

#[test]
fn concurrent_variant_changes_never_mix_fields() {
    let saved = EnrollmentDoc::new(&base(), b"origin").unwrap().save();
    let a = replica(&saved, b"aaaa", &[Edit::Status(2)]);
    let b = replica(&saved, b"bbbb", &[Edit::Status(3)]);
    let r = merged(&a, &b).record().unwrap();
    assert!(matches!(
        r.application.status,
        Status::Rejected { .. } | Status::RecaptureRequested { .. }
    ));
}

//! Validation rules and parsers, by example and by property.

use chrono::{NaiveDate, TimeZone, Utc};
use proptest::prelude::*;
use qafila_domain::validation::{is_arabic_text, is_latin_text};
use qafila_domain::*;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 28).unwrap()
}

fn complete() -> Enrollment {
    let now = Utc.with_ymd_and_hms(2026, 11, 28, 10, 0, 0).unwrap();
    let mut e = sample::applicant(3, "VAN-03", "OP-7", now);
    e.portrait = Some(Portrait {
        blob: BlobRef("a".repeat(64)),
        quality: QualityReport {
            ok: true,
            checks: vec![],
            override_by: None,
        },
    });
    for p in FingerPosition::ALL {
        e.fingerprints.insert(
            p,
            FingerSlot::Impression {
                blob: BlobRef("b".repeat(64)),
                quality: 55,
                quality_algorithm: None,
                device: "SIM".into(),
            },
        );
    }
    e.application.status = Status::Captured;
    e
}

fn fields(e: &Enrollment) -> Vec<String> {
    validate(e, today()).into_iter().map(|p| p.field).collect()
}

#[test]
fn a_complete_sample_is_valid() {
    assert_eq!(validate(&complete(), today()), vec![]);
}

#[test]
fn every_problem_is_reported_at_once() {
    let mut e = complete();
    e.civil.family_name.arabic = "El Amrani".into();
    e.civil.father.latin = String::new();
    e.civil.birth_place = BirthPlace::Morocco {
        province: "99-99".into(),
        commune: "X".into(),
    };
    e.fingerprints.remove(&FingerPosition::LeftLittle);
    e.consent = None;
    e.civil.phone = Some("0612".into());
    let f = fields(&e);
    for expected in [
        "civil.family_name.arabic",
        "civil.father.latin",
        "civil.birth_place.province",
        "fingerprints.10",
        "consent",
        "civil.phone",
    ] {
        assert!(f.contains(&expected.to_string()), "{expected} missing from {f:?}");
    }
}

#[test]
fn kind_rules() {
    let mut e = complete();
    e.application.kind = ApplicationKind::ReplacementLoss;
    assert!(fields(&e).contains(&"application.previous_card".into()));
    assert!(fields(&e).contains(&"documents".into()), "loss needs the declaration");
    e.application.previous_card = Some(CardNumber("BE12345".into()));
    e.documents.push(Document {
        kind: DocumentKind::LossDeclaration,
        blob: BlobRef("c".repeat(64)),
    });
    assert_eq!(fields(&e), Vec::<String>::new());
    e.application.previous_card = Some(CardNumber("B3".into()));
    assert!(fields(&e).contains(&"application.previous_card".into()));
    e.application.kind = ApplicationKind::FirstCard;
    assert!(
        fields(&e).contains(&"application.previous_card".into()),
        "a first card has none"
    );
}

#[test]
fn abroad_rules() {
    let mut e = complete();
    e.civil.address = Address::Abroad {
        line: "12 rue de la Paix".into(),
        city: "Lyon".into(),
        country: "FR".into(),
        postal_code: None,
    };
    assert!(fields(&e).is_empty());
    e.civil.address = Address::Abroad {
        line: "x".into(),
        city: "y".into(),
        country: "MA".into(),
        postal_code: None,
    };
    assert!(fields(&e).contains(&"civil.address.country".into()));
    e.civil.address = Address::Abroad {
        line: "x".into(),
        city: "y".into(),
        country: "ZZ".into(),
        postal_code: None,
    };
    assert!(fields(&e).contains(&"civil.address.country".into()));
}

#[test]
fn birth_dates() {
    assert_eq!("1985".parse::<BirthDate>().unwrap(), BirthDate::Year(1985));
    assert!("1985-02-30".parse::<BirthDate>().is_err());
    assert!("85-01-01".parse::<BirthDate>().is_err());
    let mut e = complete();
    e.civil.birth_date = BirthDate::Year(1880);
    assert!(fields(&e).contains(&"civil.birth_date".into()));
}

#[test]
fn lifecycle() {
    assert!(Status::Captured.can_become(&Status::Sealed));
    assert!(!Status::Draft.can_become(&Status::Sealed));
    assert!(Status::Received.can_become(&Status::Rejected { reason: "x".into() }));
    assert!(!Status::Delivered.can_become(&Status::Captured));
}

proptest! {
    #[test]
    fn birth_date_round_trips(y in 1900i32..2100, d in 0u32..366, full in any::<bool>()) {
        let b = if full {
            BirthDate::Full(NaiveDate::from_yo_opt(y, 1 + d % 365).unwrap())
        } else {
            BirthDate::Year(y)
        };
        prop_assert_eq!(b.to_string().parse::<BirthDate>().unwrap(), b);
        let json = serde_json::to_string(&b).unwrap();
        prop_assert_eq!(serde_json::from_str::<BirthDate>(&json).unwrap(), b);
    }

    #[test]
    fn birth_date_parser_never_panics(s in "\\PC{0,12}") {
        let _ = s.parse::<BirthDate>();
    }

    #[test]
    fn scripts_are_exclusive(s in "[a-zA-Z\u{0621}-\u{064A} -]{1,20}") {
        prop_assert!(!(is_arabic_text(&s) && is_latin_text(&s)));
    }

    #[test]
    fn card_numbers(letters in "[A-Z]{1,2}", digits in "[0-9]{4,7}") {
        let card = CardNumber(format!("{letters}{digits}"));
        prop_assert!(card.is_well_formed());
        let lower = CardNumber(card.0.to_lowercase());
        prop_assert!(!lower.is_well_formed());
    }

    #[test]
    fn record_json_round_trips(seed in any::<u64>()) {
        let e = sample::applicant(seed, "VAN-1", "OP-1", Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap());
        let json = serde_json::to_string(&e).unwrap();
        prop_assert_eq!(serde_json::from_str::<Enrollment>(&json).unwrap(), e);
    }
}

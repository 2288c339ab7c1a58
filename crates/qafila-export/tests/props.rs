//! Property tests: the MRZ encoder always writes 3×30 characters of [A-Z0-9<] with consistent
//! check digits, and the ANSI/NIST-ITL encoder and parser round-trip any records.

use chrono::NaiveDate;
use proptest::prelude::*;
use qafila_domain::{BirthDate, Sex};
use qafila_export::mrz::{Td1Fields, check_digit, encode_td1, name_components};
use qafila_export::nist::{self, Field, Record, Value};

fn date() -> impl Strategy<Value = NaiveDate> {
    (1900i32..2099, 1u32..=12, 1u32..=28).prop_map(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d).expect("valid"))
}

fn birth() -> impl Strategy<Value = BirthDate> {
    prop_oneof![
        date().prop_map(BirthDate::Full),
        (1900i32..2099).prop_map(BirthDate::Year)
    ]
}

/// Names as operators type them: Latin with French and other accents, Arabic, separators, junk.
fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Za-zÀ-ÿŒœßÆæ '\\-.]{0,70}",
        "[\u{0621}-\u{064A} ]{0,30}",
        any::<String>(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn td1_is_three_lines_of_30_with_consistent_digits(
        number in "[A-Z]{1,2}[0-9]{4,7}",
        birth in birth(),
        expiry in date(),
        sex in prop::option::of(prop_oneof![Just(Sex::Female), Just(Sex::Male)]),
        primary in name(),
        secondary in name(),
    ) {
        let fields = Td1Fields {
            document_code: "ID".into(),
            issuing_state: "MAR".into(),
            document_number: number,
            birth_date: birth,
            sex,
            expiry,
            nationality: "MAR".into(),
            primary: primary.clone(),
            secondary: secondary.clone(),
        };
        match encode_td1(&fields) {
            Ok(td1) => {
                for line in &td1.lines {
                    prop_assert_eq!(line.len(), 30);
                    prop_assert!(line.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'<'), "{}", line);
                }
                let [l1, l2, l3] = &td1.lines;
                prop_assert_eq!(check_digit(&l1[5..14]), l1.as_bytes()[14] as char);
                prop_assert_eq!(check_digit(&l2[0..6]), l2.as_bytes()[6] as char);
                prop_assert_eq!(check_digit(&l2[8..14]), l2.as_bytes()[14] as char);
                let composite = format!("{}{}{}{}", &l1[5..30], &l2[0..7], &l2[8..15], &l2[18..29]);
                prop_assert_eq!(check_digit(&composite), l2.as_bytes()[29] as char);
                // The name line starts with the first letters of the primary identifier.
                let first = &name_components(&primary)[0];
                let n = first.len().min(30);
                prop_assert_eq!(&l3[..n], &first[..n]);
            }
            Err(e) => {
                // Only a name without a single writable letter is refused.
                let primary_empty = name_components(&primary).is_empty();
                let secondary_bad = name_components(&secondary).is_empty() && !secondary.trim().is_empty();
                prop_assert!(primary_empty || secondary_bad, "{}", e);
                prop_assert!(e.field() == "civil.family_name" || e.field() == "civil.given_names");
            }
        }
    }
}

fn text_value() -> impl Strategy<Value = Value> {
    prop::collection::vec(prop::collection::vec("[ -~]{0,12}", 1..4), 1..4).prop_map(Value::Text)
}

fn record() -> impl Strategy<Value = Record> {
    (
        prop_oneof![Just(2u8), Just(10u8), Just(14u8)],
        prop::collection::btree_map(2u16..998, text_value(), 1..8),
        prop::option::of(prop::collection::vec(any::<u8>(), 0..300)),
    )
        .prop_map(|(kind, fields, data)| {
            let mut r = Record::new(kind);
            r.fields = fields
                .into_iter()
                .map(|(number, value)| Field { number, value })
                .collect();
            if let Some(d) = data.filter(|_| kind != 2) {
                r.data(d);
            }
            r
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn nist_records_round_trip(records in prop::collection::vec(record(), 1..5)) {
        let bytes = nist::encode(&records).expect("encodes");
        let parsed = nist::parse(&bytes).expect("parses");
        prop_assert_eq!(parsed.len(), records.len());
        let mut offset = 0;
        for (want, got) in records.iter().zip(&parsed) {
            prop_assert_eq!(got.kind, want.kind);
            // LEN is the record's exact byte count.
            let len: usize = got.fields[0].value.as_str().expect("LEN").parse().expect("number");
            prop_assert_eq!(bytes[offset + len - 1], nist::FS);
            offset += len;
            prop_assert_eq!(&got.fields[1..], &want.fields[..]);
        }
        prop_assert_eq!(offset, bytes.len());
    }
}

//! The TD1 zones of generated applications, verified by an independent implementation: the `mrz`
//! crate from crates.io (a parser and 7-3-1 check-digit validator written by others), pinned as a
//! dev-dependency.

mod common;

use std::fmt::Write as _;

use common::{accepted, card_number, issue_date};
use qafila_domain::{BirthDate, Sex};
use qafila_export::{CardRequest, personalize};

const APPLICATIONS: u64 = 1_200;

fn oracle_digit(field: &str) -> char {
    let d = mrz::check_digit(field).unwrap_or_else(|e| panic!("oracle refused {field:?}: {e:?}"));
    char::from_digit(d, 10).expect("a digit")
}

fn replace(line: &str, at: usize, c: char) -> String {
    let mut s = line.to_string();
    s.replace_range(at..at + 1, &c.to_string());
    s
}

fn bump(c: char) -> char {
    char::from_digit((c.to_digit(10).expect("a digit") + 1) % 10, 10).expect("a digit")
}

#[test]
fn every_check_digit_of_1200_applications_agrees_with_the_mrz_crate() {
    let mut arabic_only = 0;
    let mut year_only = 0;
    let mut truncated = 0;
    let mut listing = String::new();
    for seed in 0..APPLICATIONS {
        let (e, blobs) = accepted(seed);
        let request = CardRequest {
            document_number: card_number(seed),
            issue_date: issue_date(),
        };
        let card = personalize(&e, &request, &blobs).unwrap_or_else(|err| panic!("application {seed}: {err}"));
        let [l1, l2, l3] = &card.mrz.lines;
        writeln!(listing, "{seed}\n{}", card.mrz).expect("string write");
        arabic_only += usize::from(e.civil.family_name.latin.is_empty());
        year_only += usize::from(matches!(e.civil.birth_date, BirthDate::Year(_)));
        truncated += usize::from(l3.ends_with(|c: char| c.is_ascii_uppercase()));

        let doc = mrz::parse_td1(l1, l2, l3).unwrap_or_else(|err| panic!("application {seed}: {err:?}\n{}", card.mrz));
        let c = &doc.checks;
        assert_eq!(
            (c.document_number, c.date_of_birth, c.date_of_expiry, c.composite),
            (Some(true), Some(true), Some(true), Some(true)),
            "application {seed}:\n{}",
            card.mrz
        );
        assert!(doc.valid(), "application {seed}");
        // Each digit again, straight from the oracle's check-digit function over the standard's ranges.
        assert_eq!(oracle_digit(&l1[5..14]), l1.as_bytes()[14] as char);
        assert_eq!(oracle_digit(&l2[0..6]), l2.as_bytes()[6] as char);
        assert_eq!(oracle_digit(&l2[8..14]), l2.as_bytes()[14] as char);
        let composite = format!("{}{}{}{}", &l1[5..30], &l2[0..7], &l2[8..15], &l2[18..29]);
        assert_eq!(oracle_digit(&composite), l2.as_bytes()[29] as char);
        // And the content reads back as written.
        assert_eq!(doc.document_number, request.document_number);
        assert_eq!((doc.issuing_country.as_str(), doc.nationality.as_str()), ("MAR", "MAR"));
        assert_eq!(
            doc.sex,
            match e.civil.sex {
                Sex::Female => mrz::Sex::Female,
                Sex::Male => mrz::Sex::Male,
            }
        );
        if let BirthDate::Year(y) = e.civil.birth_date {
            assert_eq!(&l2[0..6], format!("{:02}<<<<", y % 100), "application {seed}");
        }
        assert!(!doc.surname.is_empty(), "application {seed}: no surname in {l3}");

        // A wrong check digit, or a wrong character under one, is caught by the oracle.
        for (lines, what) in [
            (
                [replace(l1, 14, bump(l1.as_bytes()[14] as char)), l2.clone(), l3.clone()],
                "document number digit",
            ),
            (
                [l1.clone(), replace(l2, 6, bump(l2.as_bytes()[6] as char)), l3.clone()],
                "birth date digit",
            ),
            (
                [l1.clone(), replace(l2, 14, bump(l2.as_bytes()[14] as char)), l3.clone()],
                "expiry digit",
            ),
            (
                [l1.clone(), replace(l2, 29, bump(l2.as_bytes()[29] as char)), l3.clone()],
                "composite digit",
            ),
            (
                [
                    replace(l1, 13, if &l1[13..14] == "1" { '2' } else { '1' }),
                    l2.clone(),
                    l3.clone(),
                ],
                "document number",
            ),
        ] {
            let caught = match mrz::parse_td1(&lines[0], &lines[1], &lines[2]) {
                Ok(doc) => !doc.checks.all_valid(),
                Err(_) => true,
            };
            assert!(
                caught,
                "application {seed}: corrupted {what} not detected:\n{}",
                lines.join("\n")
            );
        }
    }
    let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("qafila-export-mrz.txt");
    std::fs::write(&out, listing).expect("write the zones");
    assert!(arabic_only >= 250, "only {arabic_only} Arabic-only applications");
    assert!(year_only >= 150, "only {year_only} year-only birth dates");
    assert!(truncated >= 50, "only {truncated} truncated names");
    eprintln!(
        "{APPLICATIONS} zones verified ({arabic_only} from Arabic-only names, {year_only} year-only births, \
         {truncated} truncated names); listed in {}",
        out.display()
    );
}

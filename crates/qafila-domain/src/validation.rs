//! Validation of an enrollment: every problem at once, each naming the field and the reason.

use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::master;
use crate::record::*;

/// Why a field is wrong; the UI maps it to a translated message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemCode {
    /// The field is required and missing or empty.
    Required,
    /// The field must not be set here.
    NotAllowed,
    /// Arabic-script text expected.
    NotArabic,
    /// Latin-script text expected.
    NotLatin,
    /// The value does not have the expected shape.
    BadFormat,
    /// The value is outside the plausible range.
    OutOfRange,
    /// The code is not in the master data.
    UnknownCode,
}

/// One problem found in a record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// Path of the field, dot-separated (`civil.family_name.arabic`).
    pub field: String,
    /// Machine-readable reason.
    pub code: ProblemCode,
    /// Human-readable reason (English; the UI translates by `code`).
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

struct Collector(Vec<Problem>);

impl Collector {
    fn push(&mut self, field: impl Into<String>, code: ProblemCode, message: impl Into<String>) {
        self.0.push(Problem {
            field: field.into(),
            code,
            message: message.into(),
        });
    }

    fn required(&mut self, field: &str, value: &str) -> bool {
        if value.trim().is_empty() {
            self.push(field, ProblemCode::Required, "is required");
            false
        } else {
            true
        }
    }

    fn latin(&mut self, field: &str, value: &str) {
        if self.required(field, value) && !is_latin_text(value) {
            self.push(
                field,
                ProblemCode::NotLatin,
                "must be written in Latin letters (no Arabic, no digits)",
            );
        }
    }

    fn arabic(&mut self, field: &str, value: &str) {
        if self.required(field, value) && !is_arabic_text(value) {
            self.push(
                field,
                ProblemCode::NotArabic,
                "must be written in Arabic letters (no Latin, no digits)",
            );
        }
    }

    fn bilingual(&mut self, field: &str, value: &Bilingual) {
        self.latin(&format!("{field}.latin"), &value.latin);
        self.arabic(&format!("{field}.arabic"), &value.arabic);
    }

    fn province(&mut self, field: &str, code: &str) {
        if self.required(field, code) && master::territory().province(code).is_none() {
            self.push(
                field,
                ProblemCode::UnknownCode,
                format!("{code:?} is not a Moroccan province or prefecture code"),
            );
        }
    }

    fn foreign_country(&mut self, field: &str, code: &str) {
        if !self.required(field, code) {
            return;
        }
        if code == "MA" {
            self.push(
                field,
                ProblemCode::NotAllowed,
                "is Morocco: use a Moroccan place instead",
            );
        } else if master::countries().get(code).is_none() {
            self.push(
                field,
                ProblemCode::UnknownCode,
                format!("{code:?} is not an ISO 3166-1 alpha-2 country code"),
            );
        }
    }
}

/// Arabic letters (and the punctuation a name may hold), at least one letter, no Latin letters or digits.
pub fn is_arabic_text(s: &str) -> bool {
    let mut letters = 0;
    for c in s.chars() {
        if is_arabic_letter(c) {
            letters += 1;
        } else if !(c == ' ' || c == '-' || c == '\'' || is_arabic_mark(c)) {
            return false;
        }
    }
    letters > 0
}

/// Latin letters (with French diacritics), spaces, hyphens and apostrophes, at least one letter.
pub fn is_latin_text(s: &str) -> bool {
    let mut letters = 0;
    for c in s.chars() {
        if c.is_ascii_alphabetic() || ('\u{C0}'..='\u{24F}').contains(&c) && c != '\u{D7}' && c != '\u{F7}' {
            letters += 1;
        } else if !matches!(c, ' ' | '-' | '\'' | '\u{2019}' | '.') {
            return false;
        }
    }
    letters > 0
}

fn is_arabic_letter(c: char) -> bool {
    matches!(c, '\u{0621}'..='\u{063A}' | '\u{0641}'..='\u{064A}' | '\u{0671}'..='\u{06D3}' | '\u{06D5}'
        | '\u{0750}'..='\u{077F}' | '\u{FB50}'..='\u{FDFB}' | '\u{FE70}'..='\u{FEFC}')
}

fn is_arabic_mark(c: char) -> bool {
    // Harakat, shadda, sukun, superscript alef and tatweel may appear in carefully typed names.
    matches!(c, '\u{0640}' | '\u{064B}'..='\u{065F}' | '\u{0670}')
}

/// Validates a complete enrollment (status `captured` or later) against the rules of its kind.
///
/// `today` is the van's current date, used to judge dates; validation itself does no IO.
/// Returns every problem found, in field order; an empty list means the record is valid.
pub fn validate(e: &Enrollment, today: NaiveDate) -> Vec<Problem> {
    let mut c = Collector(Vec::new());
    if e.record_version != RECORD_VERSION {
        c.push(
            "record_version",
            ProblemCode::OutOfRange,
            format!("must be {RECORD_VERSION}"),
        );
    }
    application(&mut c, e);
    civil(&mut c, &e.civil, today);
    let draft = e.application.status == Status::Draft;
    if !draft {
        captured_items(&mut c, e);
    }
    if matches!(e.application.status, Status::Sealed | Status::Sent) && e.sign_off.operator.is_none() {
        c.push(
            "sign_off.operator",
            ProblemCode::Required,
            "a sealed enrollment needs the operator's sign-off",
        );
    }
    c.0
}

fn application(c: &mut Collector, e: &Enrollment) {
    let a = &e.application;
    if a.id.0.get_version_num() != 7 {
        c.push("application.id", ProblemCode::BadFormat, "must be a UUIDv7");
    }
    match (&a.previous_card, a.kind.needs_previous_card()) {
        (None, true) => c.push(
            "application.previous_card",
            ProblemCode::Required,
            "is required for a renewal, replacement or data update",
        ),
        (Some(_), false) => c.push(
            "application.previous_card",
            ProblemCode::NotAllowed,
            "a first card has no previous card",
        ),
        (Some(n), true) if !n.is_well_formed() => c.push(
            "application.previous_card",
            ProblemCode::BadFormat,
            "must be one or two capital letters then 4 to 7 digits (e.g. BE123456)",
        ),
        _ => {}
    }
    if let Some(w) = &a.fee_waiver {
        c.required("application.fee_waiver.reference", &w.reference);
    }
    c.required("application.van_id", &a.van_id);
    c.required("application.operator_id", &a.operator_id);
    if a.updated_at < a.created_at {
        c.push(
            "application.updated_at",
            ProblemCode::OutOfRange,
            "is earlier than created_at",
        );
    }
    if matches!(
        a.kind,
        ApplicationKind::ReplacementLoss | ApplicationKind::ReplacementTheft
    ) && a.status != Status::Draft
        && !e.documents.iter().any(|d| d.kind == DocumentKind::LossDeclaration)
    {
        c.push(
            "documents",
            ProblemCode::Required,
            "a replacement after loss or theft needs the loss declaration",
        );
    }
}

fn civil(c: &mut Collector, v: &CivilData, today: NaiveDate) {
    c.bilingual("civil.family_name", &v.family_name);
    c.bilingual("civil.given_names", &v.given_names);
    c.bilingual("civil.father", &v.father);
    c.bilingual("civil.mother", &v.mother);

    let year = v.birth_date.year();
    let too_old = today.year() - 130;
    match v.birth_date {
        BirthDate::Full(d) if d > today => c.push("civil.birth_date", ProblemCode::OutOfRange, "is in the future"),
        BirthDate::Year(y) if y > today.year() => {
            c.push("civil.birth_date", ProblemCode::OutOfRange, "is in the future")
        }
        _ if year < too_old => c.push(
            "civil.birth_date",
            ProblemCode::OutOfRange,
            format!("is before {too_old}: more than 130 years ago"),
        ),
        _ => {}
    }

    match &v.birth_place {
        BirthPlace::Morocco { province, commune } => {
            c.province("civil.birth_place.province", province);
            c.required("civil.birth_place.commune", commune);
        }
        BirthPlace::Abroad { country, city } => {
            c.foreign_country("civil.birth_place.country", country);
            c.required("civil.birth_place.city", city);
        }
    }

    if c.required("civil.nationality", &v.nationality)
        && master::countries().get(&v.nationality).is_none()
        && v.nationality != "MA"
    {
        c.push(
            "civil.nationality",
            ProblemCode::UnknownCode,
            "is not an ISO 3166-1 alpha-2 country code",
        );
    }

    match &v.address {
        Address::Morocco {
            line,
            commune,
            province,
            postal_code,
        } => {
            c.required("civil.address.line", line);
            c.required("civil.address.commune", commune);
            c.province("civil.address.province", province);
            if let Some(p) = postal_code
                && !(p.len() == 5 && p.bytes().all(|b| b.is_ascii_digit()))
            {
                c.push(
                    "civil.address.postal_code",
                    ProblemCode::BadFormat,
                    "must be five digits",
                );
            }
        }
        Address::Abroad {
            line, city, country, ..
        } => {
            c.required("civil.address.line", line);
            c.required("civil.address.city", city);
            c.foreign_country("civil.address.country", country);
        }
    }

    if let Some(p) = &v.phone {
        let digits = p.strip_prefix('+').unwrap_or("");
        if !(8..=15).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
            c.push(
                "civil.phone",
                ProblemCode::BadFormat,
                "must be in international form, e.g. +212612345678",
            );
        }
    }
    if let Some(r) = &v.civil_registry_ref {
        c.required("civil.civil_registry_ref", r);
    }
    if let Some(h) = v.height_cm
        && !(40..=250).contains(&h)
    {
        c.push(
            "civil.height_cm",
            ProblemCode::OutOfRange,
            "must be between 40 and 250 cm",
        );
    }
}

fn captured_items(c: &mut Collector, e: &Enrollment) {
    match &e.portrait {
        None => c.push("portrait", ProblemCode::Required, "a portrait is required"),
        Some(p) => {
            if !p.blob.is_well_formed() {
                c.push(
                    "portrait.blob",
                    ProblemCode::BadFormat,
                    "must be a SHA-256 in lowercase hex",
                );
            }
            if !p.quality.ok && p.quality.override_by.is_none() {
                c.push(
                    "portrait.quality",
                    ProblemCode::OutOfRange,
                    "the portrait failed its quality checks and nobody accepted it with an override",
                );
            }
        }
    }
    for pos in FingerPosition::ALL {
        let field = format!("fingerprints.{}", pos.number());
        match e.fingerprints.get(&pos) {
            None => c.push(
                field,
                ProblemCode::Required,
                "capture an impression or record an exception",
            ),
            Some(FingerSlot::Impression {
                blob, quality, device, ..
            }) => {
                if !blob.is_well_formed() {
                    c.push(
                        format!("{field}.blob"),
                        ProblemCode::BadFormat,
                        "must be a SHA-256 in lowercase hex",
                    );
                }
                if *quality > 100 {
                    c.push(format!("{field}.quality"), ProblemCode::OutOfRange, "must be 0 to 100");
                }
                c.required(&format!("{field}.device"), device);
            }
            Some(FingerSlot::Exception { reason, .. }) => {
                c.required(&format!("{field}.reason"), reason);
            }
        }
    }
    for (i, d) in e.documents.iter().enumerate() {
        if !d.blob.is_well_formed() {
            c.push(
                format!("documents.{i}.blob"),
                ProblemCode::BadFormat,
                "must be a SHA-256 in lowercase hex",
            );
        }
    }
    match &e.consent {
        Some(Consent { given: true, .. }) => {}
        _ => c.push("consent", ProblemCode::Required, "the applicant's consent is required"),
    }
}

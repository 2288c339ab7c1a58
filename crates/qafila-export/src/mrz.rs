//! The TD1 machine-readable zone of ICAO Doc 9303 (Part 5): three lines of 30 characters from
//! A–Z, 0–9 and the filler `<`, with check digits weighted 7-3-1.

use std::fmt;

use chrono::{Datelike, NaiveDate};
use qafila_domain::{BirthDate, Sex};
use unicode_normalization::UnicodeNormalization;

use crate::ExportError;

/// Characters on each line of a TD1 zone.
pub const LINE_LEN: usize = 30;
/// The filler character.
pub const FILLER: char = '<';
/// Positions of the document number field (line 1).
const DOC_NUMBER_LEN: usize = 9;
/// Optional data of line 1 (positions 16–30).
const OPTIONAL1_LEN: usize = 15;
/// Optional data of line 2 (positions 19–29).
const OPTIONAL2_LEN: usize = 11;

/// A complete TD1 zone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Td1 {
    /// The three lines, top first, 30 characters each.
    pub lines: [String; 3],
}

impl fmt::Display for Td1 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}\n{}\n{}", self.lines[0], self.lines[1], self.lines[2])
    }
}

/// What goes into a TD1 zone, already in MRZ form except for the names and dates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Td1Fields {
    /// Document code, two characters (`ID`).
    pub document_code: String,
    /// Issuing state, ISO 3166-1 alpha-3 (`MAR`).
    pub issuing_state: String,
    /// Document number, at most 9 characters of A–Z and 0–9.
    pub document_number: String,
    /// Date of birth; a year alone is written with fillers for the unknown month and day.
    pub birth_date: BirthDate,
    /// Sex; `None` writes the filler.
    pub sex: Option<Sex>,
    /// Date of expiry.
    pub expiry: NaiveDate,
    /// Nationality, ISO 3166-1 alpha-3.
    pub nationality: String,
    /// Primary identifier (family name), any script the transliteration accepts (Latin with accents).
    pub primary: String,
    /// Secondary identifier (given names).
    pub secondary: String,
}

/// Numeric value of an MRZ character for check digits: digits as themselves, A–Z as 10–35, `<` as 0.
fn char_value(c: u8) -> u32 {
    match c {
        b'0'..=b'9' => u32::from(c - b'0'),
        b'A'..=b'Z' => u32::from(c - b'A') + 10,
        _ => 0,
    }
}

/// The 7-3-1 check digit of `field` (characters outside A–Z, 0–9 count as fillers).
pub fn check_digit(field: &str) -> char {
    const WEIGHTS: [u32; 3] = [7, 3, 1];
    let sum: u32 = field
        .bytes()
        .enumerate()
        .map(|(i, c)| char_value(c) * WEIGHTS[i % 3])
        .sum();
    char::from(b'0' + (sum % 10) as u8)
}

/// Folds a Latin name to the MRZ alphabet and splits it into name components: accents are
/// dropped (É → E), the ligatures and letters Doc 9303 transliterates by rule become their
/// letter pairs (Æ → AE, ß → SS), apostrophes and periods vanish (O'NEIL → ONEIL), and spaces,
/// hyphens and anything else separate components.
pub fn name_components(latin: &str) -> Vec<String> {
    let mut components = Vec::new();
    let mut current = String::new();
    for c in latin.chars() {
        if matches!(c, '\'' | '\u{2019}' | '\u{2018}' | '.' | '`' | '\u{B4}') {
            continue;
        }
        if let Some(pair) = letter_pair(c) {
            current.push_str(pair);
            continue;
        }
        let letters: String = c.to_uppercase().nfd().filter(char::is_ascii_alphabetic).collect();
        if letters.is_empty() {
            // A separator (space, hyphen) or something with no Latin letter in it.
            if !current.is_empty() {
                components.push(std::mem::take(&mut current));
            }
            continue;
        }
        current.push_str(&letters.to_ascii_uppercase());
    }
    if !current.is_empty() {
        components.push(current);
    }
    components
}

/// Letters Doc 9303's transliteration table writes as two letters rather than dropping a mark.
fn letter_pair(c: char) -> Option<&'static str> {
    Some(match c {
        'Æ' | 'æ' => "AE",
        'Œ' | 'œ' => "OE",
        'Ø' | 'ø' => "OE",
        'Ä' | 'ä' => "AE",
        'Ö' | 'ö' => "OE",
        'Ü' | 'ü' => "UE",
        'Å' | 'å' => "AA",
        'ß' => "SS",
        'Þ' | 'þ' => "TH",
        'Ð' | 'ð' | 'Đ' | 'đ' => "D",
        'Ł' | 'ł' => "L",
        'Ĳ' | 'ĳ' => "IJ",
        _ => return None,
    })
}

/// The name field of `width` characters: primary components joined by `<`, then `<<`, then the
/// secondary components joined by `<`, padded with fillers.
///
/// A name that does not fit is truncated as Doc 9303 Part 3 describes: letters are taken from
/// the secondary identifier's components, last component first, down to their initials, so that
/// the field ends on a letter (marking the truncation); if even initials do not fit, the last
/// components are dropped and the last one kept fills the field with as many of its letters as
/// fit; a primary identifier that alone is too long is cut to the width.
pub fn name_field(primary: &[String], secondary: &[String], width: usize) -> String {
    let join = |secondary: &[String]| {
        let mut s = primary.join("<");
        if !secondary.is_empty() {
            s.push_str("<<");
            s.push_str(&secondary.join("<"));
        }
        s
    };
    let original = secondary;
    let mut secondary = secondary.to_vec();
    let mut text = join(&secondary);
    // Shorten the secondary components, the last first, one letter at a time: the line stays
    // as full as possible and keeps a letter in its last position.
    let mut k = secondary.len();
    while text.len() > width && k > 0 {
        let excess = text.len() - width;
        let comp = &mut secondary[k - 1];
        let removable = comp.len().saturating_sub(1).min(excess);
        comp.truncate(comp.len() - removable);
        if comp.len() <= 1 {
            k -= 1;
        }
        text = join(&secondary);
    }
    if text.len() > width {
        // Even initials do not fit: keep the components that do, and give the last one kept
        // back as many of its letters as fill the field.
        while !secondary.is_empty() && join(&secondary).len() > width {
            secondary.pop();
        }
        let room = width.saturating_sub(join(&secondary).len());
        if let Some(last) = secondary.len().checked_sub(1) {
            let full = &original[last];
            let keep = (secondary[last].len() + room).min(full.len());
            secondary[last] = full[..keep].to_string();
        }
        text = join(&secondary);
        text.truncate(width);
    }
    while text.len() < width {
        text.push(FILLER);
    }
    text
}

/// The six characters of a date of birth: `YYMMDD`, or `YY<<<<` when only the year is known
/// (Doc 9303 Part 3 lets the unknown month and day be fillers; the check digit counts them as 0).
pub fn birth_date_field(date: BirthDate) -> String {
    match date {
        BirthDate::Full(d) => date_field(d),
        BirthDate::Year(y) => format!("{:02}<<<<", y.rem_euclid(100)),
    }
}

/// A calendar date as `YYMMDD`.
pub fn date_field(d: NaiveDate) -> String {
    format!("{:02}{:02}{:02}", d.year().rem_euclid(100), d.month(), d.day())
}

/// Whether `s` has only A–Z, 0–9 and `<`.
fn is_mrz_text(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'<')
}

fn pad(s: &str, len: usize) -> String {
    let mut out = s.to_string();
    while out.len() < len {
        out.push(FILLER);
    }
    out
}

/// Writes the TD1 zone. Names go through [`name_components`]; a primary identifier that folds
/// to no letter at all is refused (field `civil.family_name`), as is one for the secondary
/// identifier when some was given (`civil.given_names`).
pub fn encode_td1(f: &Td1Fields) -> Result<Td1, ExportError> {
    let code = pad(&f.document_code, 2);
    if code.len() != 2 || !is_mrz_text(&code) || !code.starts_with(['I', 'A', 'C']) {
        return Err(ExportError::invalid(
            "document_code",
            format!(
                "{:?} is not a TD1 document code (I, A or C then one character)",
                f.document_code
            ),
        ));
    }
    for (field, value) in [("issuing_state", &f.issuing_state), ("nationality", &f.nationality)] {
        if value.len() != 3 || !is_mrz_text(value) {
            return Err(ExportError::invalid(
                field,
                format!("{value:?} is not a three-letter code"),
            ));
        }
    }
    let number = &f.document_number;
    if number.is_empty()
        || number.len() > DOC_NUMBER_LEN
        || !number.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    {
        return Err(ExportError::invalid(
            "document_number",
            format!("{number:?} is not 1 to 9 characters of A-Z and 0-9"),
        ));
    }
    let primary = name_components(&f.primary);
    if primary.is_empty() {
        return Err(ExportError::invalid(
            "civil.family_name",
            format!("{:?} has no letter the MRZ can write", f.primary),
        ));
    }
    let secondary = name_components(&f.secondary);
    if secondary.is_empty() && !f.secondary.trim().is_empty() {
        return Err(ExportError::invalid(
            "civil.given_names",
            format!("{:?} has no letter the MRZ can write", f.secondary),
        ));
    }
    let expiry_year = f.expiry.year();
    if !(1900..2100).contains(&expiry_year) {
        return Err(ExportError::invalid(
            "expiry_date",
            format!("year {expiry_year} cannot be written as YY"),
        ));
    }

    let number_field = pad(number, DOC_NUMBER_LEN);
    let line1 = format!(
        "{code}{}{number_field}{}{}",
        f.issuing_state,
        check_digit(&number_field),
        pad("", OPTIONAL1_LEN)
    );
    let birth = birth_date_field(f.birth_date);
    let expiry = date_field(f.expiry);
    let sex = match f.sex {
        Some(Sex::Female) => 'F',
        Some(Sex::Male) => 'M',
        None => FILLER,
    };
    let mut line2 = format!(
        "{birth}{}{sex}{expiry}{}{}{}",
        check_digit(&birth),
        check_digit(&expiry),
        f.nationality,
        pad("", OPTIONAL2_LEN)
    );
    // The composite covers line 1 from the document number on, and line 2's dates, their check
    // digits and its optional data: everything but the sex and nationality.
    let composite = format!("{}{}{}{}", &line1[5..30], &line2[0..7], &line2[8..15], &line2[18..29]);
    line2.push(check_digit(&composite));
    let line3 = name_field(&primary, &secondary, LINE_LEN);
    Ok(Td1 {
        lines: [line1, line2, line3],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doc_9303_specimen_check_digits() {
        // The TD1 specimen of Doc 9303 Part 5 (document D23145890, born 1974-08-12, expiring 2012-04-15).
        assert_eq!(check_digit("D23145890"), '7');
        assert_eq!(check_digit("740812"), '2');
        assert_eq!(check_digit("120415"), '9');
        assert_eq!(check_digit("D231458907<<<<<<<<<<<<<<<74081221204159<<<<<<<<<<<"), '6');
        assert_eq!(check_digit("<<<<<<"), '0');
    }

    #[test]
    fn specimen_zone() {
        let td1 = encode_td1(&Td1Fields {
            document_code: "I".into(),
            issuing_state: "UTO".into(),
            document_number: "D23145890".into(),
            birth_date: BirthDate::Full(NaiveDate::from_ymd_opt(1974, 8, 12).unwrap()),
            sex: Some(Sex::Female),
            expiry: NaiveDate::from_ymd_opt(2012, 4, 15).unwrap(),
            nationality: "UTO".into(),
            primary: "Eriksson".into(),
            secondary: "Anna María".into(),
        })
        .unwrap();
        assert_eq!(td1.lines[0], "I<UTOD231458907<<<<<<<<<<<<<<<");
        assert_eq!(td1.lines[1], "7408122F1204159UTO<<<<<<<<<<<6");
        assert_eq!(td1.lines[2], "ERIKSSON<<ANNA<MARIA<<<<<<<<<<");
    }

    #[test]
    fn folds_names() {
        assert_eq!(name_components("Aït-Baha"), ["AIT", "BAHA"]);
        assert_eq!(name_components("O'Neil  Ñúñez"), ["ONEIL", "NUNEZ"]);
        assert_eq!(name_components("Größe Æsir"), ["GROESSE", "AESIR"]);
        assert_eq!(name_components("Ç.É"), ["CE"]);
        assert!(name_components("محمد").is_empty());
    }

    #[test]
    fn truncates_secondary_first_and_ends_on_a_letter() {
        let p = |s: &str| name_components(s);
        let f = name_field(&p("EL AMRANI"), &p("MOHAMED AMINE ABDELKRIM"), 30);
        assert_eq!(f, "EL<AMRANI<<MOHAMED<AMINE<ABDEL");
        let f = name_field(&p("OUAZZANI CHAHDI"), &p("FATIMA ZAHRA KHADIJA SALMA"), 30);
        assert_eq!(f, "OUAZZANI<CHAHDI<<FATIMA<ZA<K<S");
        let f = name_field(&p("ABDELOUAHAB BENABDELJALIL EL"), &p("YOUSSEF"), 30);
        assert_eq!(f.len(), 30);
        assert!(f.starts_with("ABDELOUAHAB<BENABDELJALIL<EL<<"));
        let f = name_field(&p("OUAZZANI CHAHDI EL IDRISSI"), &p("FATIMA ZAHRA KHADIJA"), 30);
        assert_eq!(f, "OUAZZANI<CHAHDI<EL<IDRISSI<<FA");
        let f = name_field(&p("TAZI"), &p("OMAR"), 30);
        assert_eq!(f, "TAZI<<OMAR<<<<<<<<<<<<<<<<<<<<");
    }

    #[test]
    fn year_only_birth_date_has_fillers() {
        assert_eq!(birth_date_field(BirthDate::Year(1958)), "58<<<<");
        assert_eq!(birth_date_field(BirthDate::Year(2003)), "03<<<<");
    }

    #[test]
    fn refuses_names_without_letters() {
        let mut f = Td1Fields {
            document_code: "ID".into(),
            issuing_state: "MAR".into(),
            document_number: "BE123456".into(),
            birth_date: BirthDate::Year(1960),
            sex: Some(Sex::Male),
            expiry: NaiveDate::from_ymd_opt(2036, 1, 1).unwrap(),
            nationality: "MAR".into(),
            primary: "-- '".into(),
            secondary: "OMAR".into(),
        };
        assert_eq!(encode_td1(&f).unwrap_err().field(), "civil.family_name");
        f.primary = "TAZI".into();
        f.document_number = "BE-1".into();
        assert_eq!(encode_td1(&f).unwrap_err().field(), "document_number");
    }
}

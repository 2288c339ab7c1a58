//! Suggestions for writing a Moroccan name in the other script (Latin ⇄ Arabic).
//!
//! Operators type names in both scripts; these functions only *suggest* the other one. Words are
//! looked up in a built-in table of common Moroccan given names and family-name parts
//! (`transliterate/names.txt`), longest match first; unknown words fall back to rules of the
//! French-style romanisation used in Moroccan civil records (ou = و, ch = ش, kh = خ, gh = غ, a final
//! a = ة, doubled letters written once…). The article (EL, AL, and its assimilated forms ES, ET,
//! ER, EZ, EN, ECH before sun letters) is written ال in Arabic, and read back as EL before moon
//! letters or assimilated (ES SAADI) before sun letters. No IO: the table is compiled in.

use std::collections::HashMap;
use std::sync::OnceLock;

const NAMES: &str = include_str!("transliterate/names.txt");

/// Latin spellings of the article: EL, AL and the forms assimilated to a sun letter.
const ARTICLES: &[&str] = &["EL", "AL", "L", "ES", "ET", "ED", "ER", "EZ", "EN", "ECH", "ESS", "ETT"];

/// The Arabic article.
const AL: &str = "ال";

/// The name table, both ways.
struct Table {
    /// Normalised Latin (uppercase, single spaces) → Arabic.
    to_arabic: HashMap<String, &'static str>,
    /// Arabic with alef forms folded → the first Latin form.
    to_latin: HashMap<String, &'static str>,
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t = Table {
            to_arabic: HashMap::new(),
            to_latin: HashMap::new(),
        };
        for line in NAMES.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((arabic, latins)) = line.split_once('=') else {
                continue;
            };
            let arabic = arabic.trim();
            let mut forms = latins
                .split('|')
                .map(|l| latin_words(l).join(" "))
                .filter(|l| !l.is_empty());
            let Some(first) = forms.next() else {
                continue;
            };
            // The first entry of a spelling wins, so the file's order decides ambiguous cases.
            t.to_latin
                .entry(arabic_key(arabic))
                .or_insert_with(|| leak(first.clone()));
            for form in std::iter::once(first).chain(forms) {
                t.to_arabic.entry(form).or_insert(arabic);
            }
        }
        t
    })
}

/// Table strings live as long as the program: the table is built once.
fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

/// Suggests the Arabic spelling of a name written in Latin letters (`EL IDRISSI` → `الإدريسي`).
///
/// Only Arabic letters and single spaces come out; characters that are neither Latin nor Arabic
/// letters are dropped.
pub fn to_arabic(latin: &str) -> String {
    let words = latin_words(latin);
    let t = table();
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < words.len() {
        if let Some((arabic, used)) = longest_match(&words[i..], |k| t.to_arabic.get(k).map(|a| a.to_string())) {
            out.push(arabic);
            i += used;
            continue;
        }
        let word = &words[i];
        if ARTICLES.contains(&word.as_str()) && i + 1 < words.len() {
            out.push(with_article(&word_to_arabic(&words[i + 1])));
            i += 2;
            continue;
        }
        out.push(word_to_arabic(word));
        i += 1;
    }
    out.retain(|w| !w.is_empty());
    out.join(" ")
}

/// Suggests the Latin spelling of a name written in Arabic (`الإدريسي` → `EL IDRISSI`), in the
/// capitals of the card. Only A–Z, spaces and hyphens come out.
pub fn to_latin(arabic: &str) -> String {
    let words: Vec<String> = arabic
        .split_whitespace()
        .map(strip_marks)
        .filter(|w| !w.is_empty())
        .collect();
    let t = table();
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let lookup = |k: &str| t.to_latin.get(&arabic_key(k)).map(|l| l.to_string());
        // عبد + an article word fuses as in the civil records: ABDELKRIM, ABDERRAHIM.
        let fused_rest = (words[i] == "عبد")
            .then(|| words.get(i + 1))
            .flatten()
            .and_then(|next| next.strip_prefix(AL))
            .filter(|rest| !rest.is_empty());
        if let Some((latin, used)) = longest_match(&words[i..], lookup)
            && (used > 1 || fused_rest.is_none())
        {
            out.push(latin);
            i += used;
            continue;
        }
        if let Some(rest) = fused_rest {
            let (article, latin_rest) = article_and_rest(rest);
            out.push(format!("ABD{}{latin_rest}", article.replace(' ', "")));
            i += 2;
            continue;
        }
        out.push(word_to_latin(&words[i]));
        i += 1;
    }
    let joined = out.into_iter().filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ");
    joined
        .chars()
        .filter(|c| c.is_ascii_uppercase() || *c == ' ' || *c == '-')
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The longest run of up to three words found in the table, tried spaced then fused.
fn longest_match(words: &[String], find: impl Fn(&str) -> Option<String>) -> Option<(String, usize)> {
    (1..=words.len().min(3)).rev().find_map(|n| {
        let spaced = words[..n].join(" ");
        find(&spaced)
            .or_else(|| (n > 1).then(|| find(&words[..n].concat())).flatten())
            .map(|found| (found, n))
    })
}

/// Uppercase ASCII words: accents folded, hyphens and apostrophes split words, other signs dropped.
fn latin_words(s: &str) -> Vec<String> {
    let mut folded = String::with_capacity(s.len());
    for c in s.chars() {
        match fold_latin(c) {
            Some(l) => folded.push(l),
            None if c.is_whitespace() || c == '-' || c == '\'' || c == '’' => folded.push(' '),
            // Arabic letters typed by mistake are kept so that they are not lost.
            None if is_arabic_letter(c) => folded.push(c),
            None => {}
        }
    }
    folded.split_whitespace().map(str::to_string).collect()
}

/// A Latin letter as an uppercase ASCII letter (é → E, ç → C).
fn fold_latin(c: char) -> Option<char> {
    let base = match c {
        'À'..='Å' | 'à'..='å' => 'A',
        'Ç' | 'ç' => 'C',
        'È'..='Ë' | 'è'..='ë' => 'E',
        'Ì'..='Ï' | 'ì'..='ï' => 'I',
        'Ò'..='Ö' | 'ò'..='ö' => 'O',
        'Ù'..='Ü' | 'ù'..='ü' => 'U',
        'Ÿ' | 'ÿ' => 'Y',
        'Ñ' | 'ñ' => 'N',
        c => c,
    };
    base.is_ascii_alphabetic().then(|| base.to_ascii_uppercase())
}

/// Whether `c` is a letter of the Arabic block (not a digit, sign or mark).
fn is_arabic_letter(c: char) -> bool {
    matches!(c, '\u{0621}'..='\u{063A}' | '\u{0641}'..='\u{064A}' | '\u{0671}'..='\u{06D3}')
}

/// Harakat, shadda and tatweel removed: the table and the rules work on bare letters.
fn strip_marks(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(c, '\u{064B}'..='\u{065F}' | '\u{0670}' | '\u{0640}'))
        .collect()
}

/// A lookup key for Arabic: marks removed and the hamza-carrying alefs folded to a bare alef,
/// since operators type أحمد and احمد alike.
fn arabic_key(s: &str) -> String {
    strip_marks(s)
        .chars()
        .map(|c| match c {
            'أ' | 'إ' | 'آ' | 'ٱ' => 'ا',
            c => c,
        })
        .collect()
}

/// Prefixes the article, unless the word already has it.
fn with_article(arabic: &str) -> String {
    if arabic.is_empty() || arabic.starts_with(AL) {
        arabic.to_string()
    } else {
        format!("{AL}{arabic}")
    }
}

/// One Latin word to Arabic: the table, a fused article or عبد, else the rules.
fn word_to_arabic(word: &str) -> String {
    let t = table();
    if let Some(a) = t.to_arabic.get(word) {
        return a.to_string();
    }
    if word.chars().any(is_arabic_letter) {
        return word.chars().filter(|c| is_arabic_letter(*c)).collect();
    }
    // ABDELKRIM, ABDERRAHIM: عبد and an article fused to the next name.
    if let Some(rest) = word.strip_prefix("ABD")
        && let Some(name) = fused_article(rest, true)
    {
        return format!("عبد {}", with_article(&word_to_arabic(name)));
    }
    // ELALAMI, ESSAADI: an article fused to a name.
    if let Some(name) = fused_article(word, false) {
        return with_article(&word_to_arabic(name));
    }
    rules_to_arabic(word)
}

/// The name after an article fused to it (`ELALAMI` → `ALAMI`, `ESSAADI` → `SAADI`), if the word
/// looks like one: a known name after EL/AL (any name after ABDEL), or a doubled sun consonant
/// after E. Unknown words after EL are left alone: ELHAM is a name, not EL HAM.
fn fused_article(word: &str, after_abd: bool) -> Option<&str> {
    let t = table();
    for prefix in ["EL", "AL"] {
        if let Some(rest) = word.strip_prefix(prefix)
            && rest.len() >= 3
            && (after_abd || t.to_arabic.contains_key(rest))
        {
            return Some(rest);
        }
    }
    let rest = word.strip_prefix('E')?;
    ["CHCH", "SS", "TT", "DD", "RR", "ZZ", "NN"].iter().find_map(|double| {
        let single = &double[..double.len() / 2];
        rest.starts_with(double)
            .then(|| &rest[single.len()..])
            .filter(|name| name.len() >= 3)
    })
}

const VOWELS: &[u8] = b"AEIOUY";

fn is_vowel(b: u8) -> bool {
    VOWELS.contains(&b)
}

/// French-style Moroccan romanisation read back into Arabic letters, for words not in the table.
fn rules_to_arabic(word: &str) -> String {
    let b = word.as_bytes();
    let n = b.len();
    let mut out = String::new();
    let mut i = 0;
    // The last consonant letter written, so doubled letters are written once (shadda is omitted).
    let mut last: Option<&str> = None;
    while i < n {
        let at = |k: usize| b.get(k).copied();
        let next_is_vowel = |k: usize| at(k).is_some_and(is_vowel);
        let (piece, used, consonant): (&str, usize, bool) = match (b[i], at(i + 1)) {
            (b'O', Some(b'U')) if i == 0 && !next_is_vowel(i + 2) => ("أو", 2, false),
            (b'O', Some(b'U')) => ("و", 2, true),
            (b'C', Some(b'H')) | (b'S', Some(b'H')) => ("ش", 2, true),
            (b'K', Some(b'H')) => ("خ", 2, true),
            (b'G', Some(b'H')) => ("غ", 2, true),
            (b'D', Some(b'J')) => ("ج", 2, true),
            (b'P', Some(b'H')) => ("ف", 2, true),
            (b'Q', Some(b'U')) => ("ق", 2, true),
            (b'G', Some(b'U')) if next_is_vowel(i + 2) => ("ڭ", 2, true),
            (b'A', Some(b'I')) if i > 0 && !next_is_vowel(i + 2) => ("اي", 2, false),
            (b'A', _) if i == 0 => ("أ", 1, false),
            (b'A', _) if i + 1 == n => {
                // Final a: ة after a consonant (FATIMA, BERRADA), ا after h or a vowel (BAHA).
                let prev = b[i - 1];
                if prev == b'H' || is_vowel(prev) || prev == b'W' {
                    ("ا", 1, false)
                } else {
                    ("ة", 1, false)
                }
            }
            (b'A', _) => ("ا", 1, false),
            (b'E' | b'I', _) if i == 0 => ("إ", 1, false),
            // A French e is short or silent: no letter.
            (b'E', _) => ("", 1, false),
            (b'I', _) => ("ي", 1, false),
            (b'O' | b'U', _) if i == 0 => ("أو", 1, false),
            (b'O' | b'U', _) => ("و", 1, false),
            (b'Y', _) => ("ي", 1, true),
            (b'B' | b'P', _) => ("ب", 1, true),
            (b'C', Some(b'E' | b'I' | b'Y')) => ("س", 1, true),
            (b'C' | b'K', _) => ("ك", 1, true),
            (b'G', Some(b'E' | b'I')) => ("ج", 1, true),
            (b'G', _) => ("ڭ", 1, true),
            (b'D', _) => ("د", 1, true),
            (b'F' | b'V', _) => ("ف", 1, true),
            (b'H', _) => ("ح", 1, true),
            (b'J', _) => ("ج", 1, true),
            (b'L', _) => ("ل", 1, true),
            (b'M', _) => ("م", 1, true),
            (b'N', _) => ("ن", 1, true),
            (b'Q', _) => ("ق", 1, true),
            (b'R', _) => ("ر", 1, true),
            (b'S', _) => ("س", 1, true),
            (b'T', _) => ("ت", 1, true),
            (b'W', _) => ("و", 1, true),
            (b'X', _) => ("كس", 1, true),
            (b'Z', _) => ("ز", 1, true),
            _ => ("", 1, false),
        };
        if !(consonant && last == Some(piece)) {
            out.push_str(piece);
        }
        last = consonant.then_some(piece);
        i += used;
    }
    out
}

/// The sun letters, before which the article is assimilated in speech, and how each is romanised.
fn sun_letter(c: char) -> Option<&'static str> {
    Some(match c {
        'ت' | 'ط' | 'ث' => "T",
        'د' | 'ذ' | 'ض' | 'ظ' => "D",
        'ر' => "R",
        'ز' => "Z",
        'س' | 'ص' => "S",
        'ش' => "CH",
        'ل' => "L",
        'ن' => "N",
        _ => return None,
    })
}

/// The article's Latin form for a word after ال, and the word in Latin: (`EL `, `AMRANI`) or
/// (`ES `, `SAADI`).
fn article_and_rest(rest: &str) -> (String, String) {
    let latin_rest = word_to_latin(rest);
    let article = match rest.chars().next().and_then(sun_letter) {
        Some(sun) if sun != "L" => format!("E{sun} "),
        _ => "EL ".to_string(),
    };
    (article, latin_rest)
}

/// One Arabic word to Latin: the table, the article, else letter by letter.
fn word_to_latin(word: &str) -> String {
    let t = table();
    if let Some(l) = t.to_latin.get(&arabic_key(word)) {
        return l.to_string();
    }
    if let Some(rest) = word.strip_prefix(AL)
        && rest.chars().count() >= 2
    {
        let (article, latin_rest) = article_and_rest(rest);
        return format!("{article}{latin_rest}");
    }
    rules_to_latin(word)
}

/// What a lone Arabic letter is romanised as, and whether it is a consonant (for vowel insertion).
fn letter_to_latin(c: char, first: bool) -> (&'static str, bool) {
    match c {
        'ا' | 'آ' | 'أ' | 'ى' | 'ة' => ("A", false),
        'إ' => ("I", false),
        'ء' => ("", false),
        'ئ' => ("I", false),
        'ؤ' => ("OU", false),
        'ب' | 'پ' => ("B", true),
        'ت' | 'ط' | 'ث' => ("T", true),
        'ج' => ("J", true),
        'ح' | 'ه' => ("H", true),
        'خ' => ("KH", true),
        'د' | 'ذ' | 'ض' | 'ظ' => ("D", true),
        'ر' => ("R", true),
        'ز' => ("Z", true),
        'س' | 'ص' => ("S", true),
        'ش' => ("CH", true),
        'ع' => ("A", false),
        'غ' => ("GH", true),
        'ف' | 'ڤ' => ("F", true),
        'ق' | 'ك' => ("K", true),
        'ڭ' | 'گ' => ("G", true),
        'ل' => ("L", true),
        'م' => ("M", true),
        'ن' => ("N", true),
        'و' => ("OU", false),
        'ي' if first => ("Y", true),
        'ي' => ("I", false),
        c if c.is_ascii_alphabetic() => (ascii_upper(c), true),
        '-' => ("-", false),
        _ => ("", false),
    }
}

fn ascii_upper(c: char) -> &'static str {
    const LETTERS: [&str; 26] = [
        "A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L", "M", "N", "O", "P", "Q", "R", "S", "T", "U", "V",
        "W", "X", "Y", "Z",
    ];
    let i = (c.to_ascii_uppercase() as u8).wrapping_sub(b'A') as usize;
    LETTERS.get(i).copied().unwrap_or("")
}

/// Letter by letter, with the short vowels Arabic does not write guessed as civil records do: an
/// A between the first two consonants (حميد → HAMID, لحلو → LAHLOU) and an E between the last two
/// (يوسف → YOUSSEF's YOUSEF).
fn rules_to_latin(word: &str) -> String {
    let letters: Vec<(&str, bool)> = word
        .chars()
        .enumerate()
        .map(|(i, c)| letter_to_latin(c, i == 0))
        .filter(|(l, _)| !l.is_empty())
        .collect();
    let m = letters.len();
    let mut out = String::new();
    for (i, (latin, consonant)) in letters.iter().enumerate() {
        out.push_str(latin);
        let next_consonant = letters.get(i + 1).is_some_and(|(_, c)| *c);
        if *consonant && next_consonant {
            if i == 0 {
                out.push('A');
            } else if i + 2 == m {
                out.push('E');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_names_both_ways() {
        for (latin, arabic) in [
            ("MOHAMED", "محمد"),
            ("FATIMA", "فاطمة"),
            ("FATEMA", "فاطمة"),
            ("LAHCEN", "لحسن"),
            ("YOUSSEF", "يوسف"),
            ("KHADIJA", "خديجة"),
            ("ITTO", "إطو"),
            ("MOHA", "موحى"),
            ("FADMA", "فاضمة"),
            ("AIT", "آيت"),
            ("BEN", "بن"),
        ] {
            assert_eq!(to_arabic(latin), arabic, "{latin}");
        }
        assert_eq!(to_latin("فاطمة"), "FATIMA");
        assert_eq!(to_latin("محمد"), "MOHAMED");
        assert_eq!(to_latin("احمد"), "AHMED", "bare alef finds أحمد");
    }

    #[test]
    fn table_is_well_formed() {
        for line in NAMES
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
        {
            let (arabic, latins) = line.split_once('=').unwrap_or_else(|| panic!("no '=' in {line:?}"));
            assert!(
                arabic.trim().chars().all(|c| is_arabic_letter(c) || c == ' '),
                "{line:?}"
            );
            for l in latins.split('|') {
                assert!(
                    l.trim()
                        .chars()
                        .all(|c| c.is_ascii_uppercase() || c == ' ' || c == '\''),
                    "{line:?}"
                );
            }
        }
        assert!(table().to_arabic.len() > 300, "{} Latin forms", table().to_arabic.len());
    }

    #[test]
    fn rules_cover_unknown_words() {
        assert_eq!(rules_to_arabic("CHOUKRI"), "شوكري");
        assert_eq!(rules_to_arabic("KHALFI"), "خالفي");
        assert_eq!(rules_to_arabic("GHANEM"), "غانم");
        assert_eq!(rules_to_arabic("BELLA"), "بلة");
        assert_eq!(rules_to_arabic("OUFKIR"), "أوفكير");
        assert_eq!(rules_to_latin("شوكري"), "CHOUKRI");
        assert_eq!(rules_to_latin("حميد"), "HAMID");
    }
}

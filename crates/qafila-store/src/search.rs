//! Search tokens: names normalised so that operators find people however they type them.
//!
//! Latin text loses case and diacritics (`Aït` → `ait`); Arabic text loses harakat and tatweel and
//! folds the alef, ya and ta marbuta variants (`إبراهيم` → `ابراهيم`). Every prefix of two or more
//! characters of each word is indexed, as a keyed hash (see [`crate::keys::StoreKey::index_token`]).

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Normalises text and splits it into words.
pub fn words(text: &str) -> Vec<String> {
    let folded: String = text
        .nfkd()
        .filter(|c| !is_combining_mark(*c) && !matches!(c, '\u{0640}' | '\u{064B}'..='\u{065F}' | '\u{0670}'))
        .map(|c| match c {
            '\u{0622}' | '\u{0623}' | '\u{0625}' | '\u{0671}' => '\u{0627}',
            '\u{0649}' => '\u{064A}',
            '\u{0629}' => '\u{0647}',
            c => c,
        })
        .flat_map(char::to_lowercase)
        .collect();
    folded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The tokens indexed for a text: every prefix of two characters or more of every word.
pub fn index_tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for w in words(text) {
        let chars: Vec<char> = w.chars().collect();
        for n in 2..=chars.len() {
            out.push(chars[..n].iter().collect());
        }
        if chars.len() == 1 {
            out.push(w);
        }
    }
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn folds_case_diacritics_and_arabic_variants() {
        assert_eq!(words("Aït-Baha  EL ÂMRANI"), ["ait", "baha", "el", "amrani"]);
        assert_eq!(words("إبراهيم"), words("ابراهيم"));
        assert_eq!(words("فاطِمَة"), words("فاطمه"));
    }

    proptest! {
        #[test]
        fn every_word_prefix_is_a_token(text in "[a-zA-Zéè\u{0627}-\u{064A} ]{0,40}") {
            let tokens = index_tokens(&text);
            for w in words(&text) {
                let q: String = w.chars().take(2).collect();
                prop_assert!(tokens.contains(&q) || w.chars().count() < 2);
                prop_assert!(tokens.contains(&w));
            }
        }
    }
}

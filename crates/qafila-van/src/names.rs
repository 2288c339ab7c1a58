//! Latin⇄Arabic suggestions for names (the rules live in the domain crate).
// MERGE-PENDING: forwards to qafila_domain::transliterate once the receipt branch lands.

pub(crate) fn to_arabic(_latin: &str) -> String {
    String::new()
}

pub(crate) fn to_latin(_arabic: &str) -> String {
    String::new()
}

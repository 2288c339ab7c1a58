//! The PDFs' page sizes, and the text poppler extracts from them: Latin and Arabic in logical order,
//! which proves the Arabic was shaped and mapped back to its characters.

mod support;

use qafila_receipt::{A5_HEIGHT, A5_WIDTH, Format, THERMAL_WIDTH, render};
use support::{fonts, page_size, pdftotext, sample, van_key};

fn rendered(format: Format) -> (tempfile::TempDir, std::path::PathBuf, Vec<u8>) {
    let receipt = render(&fonts(), &sample(), format, &van_key()).expect("render");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join(format!("{}.pdf", format.name()));
    std::fs::write(&path, &receipt.pdf).expect("write pdf");
    (dir, path, receipt.pdf)
}

#[test]
fn a5_is_a_pdf_of_a5_size() {
    let (_dir, path, pdf) = rendered(Format::A5);
    assert!(pdf.starts_with(b"%PDF-"), "not a PDF: {:?}", &pdf[..8.min(pdf.len())]);
    let (w, h) = page_size(&path);
    assert!((w - f64::from(A5_WIDTH)).abs() < 0.01, "width {w}");
    assert!((h - f64::from(A5_HEIGHT)).abs() < 0.01, "height {h}");
}

#[test]
fn thermal_is_80_mm_wide_and_as_tall_as_its_content() {
    let (_dir, path, pdf) = rendered(Format::Thermal80);
    assert!(pdf.starts_with(b"%PDF-"));
    let (w, h) = page_size(&path);
    assert!((w - f64::from(THERMAL_WIDTH)).abs() < 0.01, "width {w}");
    assert!(
        (w / 72.0 * 25.4 - 80.0).abs() < 0.01,
        "80 mm, got {} mm",
        w / 72.0 * 25.4
    );
    // Fitted to content: longer than it is wide, far shorter than an A4 sheet.
    assert!(h > 1.5 * w && h < 842.0, "height {h}");
}

/// Whitespace runs collapsed, so a check does not depend on poppler's column spacing, and bidi
/// controls dropped: pdftotext gives Arabic in logical order but wraps each right-to-left stretch
/// in U+202B … U+202C (embedding marks) for display, which are not part of the text.
fn squeeze(s: &str) -> String {
    let plain: String = s
        .chars()
        .filter(|c| !matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'))
        .collect();
    plain.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn assert_contains_all(text: &str, expected: &[&str]) {
    let text = squeeze(text);
    let missing: Vec<&&str> = expected.iter().filter(|e| !text.contains(*e)).collect();
    assert!(missing.is_empty(), "missing {missing:?} in extracted text:\n{text}");
}

const LATIN: &[&str] = &[
    "Royaume du Maroc",
    "Carte nationale d'identité électronique",
    "Récépissé de dépôt",
    "019ac9f3-7a11-7c22-9e33-0a1b2c3d4e5f",
    "Première demande",
    "21/11/2026 14:02 UTC",
    "VAN-AZL-07",
    "DRIVE-2026-AL-HAOUZ",
    "OP-0042",
    "AIT BAHA",
    "FATIMA ZAHRA",
    "14/03/1990",
    "Conservez ce récépissé",
];

const ARABIC: &[&str] = &[
    "المملكة المغربية",
    "بطاقة التعريف الوطنية الإلكترونية",
    "وصل الإيداع",
    "رقم الطلب",
    "طلب أول",
    "آيت باها",
    "فاطمة الزهراء",
    "تاريخ الازدياد",
    "احتفظوا بهذا الوصل",
];

#[test]
fn a5_text_extracts_in_both_scripts() {
    let (_dir, path, _) = rendered(Format::A5);
    let text = pdftotext(&path);
    assert_contains_all(&text, LATIN);
    assert_contains_all(&text, ARABIC);
}

#[test]
fn thermal_text_extracts_in_both_scripts() {
    let (_dir, path, _) = rendered(Format::Thermal80);
    let text = pdftotext(&path);
    assert_contains_all(&text, LATIN);
    assert_contains_all(&text, ARABIC);
}

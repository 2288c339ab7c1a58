//! Shared by the receipt's integration tests: a sample receipt, a test key, and the poppler tools,
//! which fail loudly naming the package when they are missing.

#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

use chrono::{TimeZone, Utc};
use ed25519_dalek::SigningKey;
use qafila_domain::{ApplicationId, ApplicationKind, Bilingual, BirthDate};
use qafila_receipt::{Fonts, ReceiptData};

/// A fixed van key, so failures reproduce.
pub fn van_key() -> SigningKey {
    SigningKey::from_bytes(&[7; 32])
}

/// The fonts of this machine; a missing package fails the test with its name.
pub fn fonts() -> Fonts {
    Fonts::system().unwrap_or_else(|e| panic!("{e}"))
}

/// A receipt with a drive, Latin ids and a name in both scripts.
pub fn sample() -> ReceiptData {
    ReceiptData {
        application_id: "019ac9f3-7a11-7c22-9e33-0a1b2c3d4e5f"
            .parse::<ApplicationId>()
            .expect("uuid"),
        kind: ApplicationKind::FirstCard,
        enrolled_at: Utc.with_ymd_and_hms(2026, 11, 21, 14, 2, 37).single().expect("date"),
        van_id: "VAN-AZL-07".into(),
        drive_id: Some("DRIVE-2026-AL-HAOUZ".into()),
        operator_id: "OP-0042".into(),
        family_name: Bilingual {
            latin: "AIT BAHA".into(),
            arabic: "آيت باها".into(),
        },
        given_names: Bilingual {
            latin: "FATIMA ZAHRA".into(),
            arabic: "فاطمة الزهراء".into(),
        },
        birth_date: BirthDate::Full(chrono::NaiveDate::from_ymd_opt(1990, 3, 14).expect("date")),
    }
}

/// Runs a system tool, panicking with the Debian package to install when it is not there.
pub fn tool(program: &str, args: &[&str], package: &str) -> Vec<u8> {
    let out = Command::new(program).args(args).output().unwrap_or_else(|e| {
        panic!("cannot run {program} ({e}): install the Debian package {package} (apt-get install {package})")
    });
    assert!(
        out.status.success(),
        "{program} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// The text poppler extracts from a PDF file (`pdftotext -layout` keeps each printed line on a line).
pub fn pdftotext(pdf: &Path) -> String {
    let out = tool(
        "pdftotext",
        &["-enc", "UTF-8", &pdf.display().to_string(), "-"],
        "poppler-utils",
    );
    String::from_utf8(out).expect("pdftotext writes UTF-8")
}

/// `pdfinfo`'s page size line, e.g. `420.94 x 595.28 pts (A5)`.
pub fn page_size(pdf: &Path) -> (f64, f64) {
    let info = String::from_utf8(tool("pdfinfo", &[&pdf.display().to_string()], "poppler-utils")).expect("utf-8");
    let line = info
        .lines()
        .find_map(|l| l.strip_prefix("Page size:"))
        .unwrap_or_else(|| panic!("no page size in pdfinfo output:\n{info}"));
    let mut nums = line.split_whitespace().filter_map(|w| w.parse::<f64>().ok());
    (nums.next().expect("width"), nums.next().expect("height"))
}

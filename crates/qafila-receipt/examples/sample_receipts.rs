//! Writes a sample receipt in both formats: `cargo run -p qafila-receipt --example sample_receipts -- DIR`.
//!
//! The applicant is synthetic and the van key a fixed test key; look at the PDFs, or rasterise them
//! with `pdftoppm -r 150 -png`, to check the Arabic is joined and right-aligned.

use std::path::PathBuf;

use chrono::{TimeZone, Utc};
use ed25519_dalek::SigningKey;
use qafila_domain::{ApplicationId, ApplicationKind, Bilingual, BirthDate};
use qafila_receipt::{Fonts, Format, ReceiptData, render};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let data = ReceiptData {
        application_id: "019ac9f3-7a11-7c22-9e33-0a1b2c3d4e5f".parse::<ApplicationId>()?,
        kind: ApplicationKind::ReplacementLoss,
        enrolled_at: Utc.with_ymd_and_hms(2026, 11, 21, 14, 2, 37).single().ok_or("date")?,
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
        birth_date: BirthDate::Full(chrono::NaiveDate::from_ymd_opt(1990, 3, 14).ok_or("date")?),
    };
    let fonts = Fonts::system()?;
    let key = SigningKey::from_bytes(&[7; 32]);
    for format in [Format::A5, Format::Thermal80] {
        let receipt = render(&fonts, &data, format, &key)?;
        let path = dir.join(format!("receipt-{}.pdf", format.name()));
        std::fs::write(&path, &receipt.pdf)?;
        println!("{}", path.display());
    }
    Ok(())
}

//! `qafila citizen-receipt`: print a sealed enrollment's receipt, and check a receipt code offline.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use qafila_domain::ApplicationId;
use qafila_receipt::{FontPaths, Fonts, Format, ReceiptData, ReceiptSigner, SignerError};
use qafila_store::Van;

use crate::{Login, print_json, unlock};

#[derive(Subcommand)]
pub enum CitizenReceiptCmd {
    /// Write the citizen's receipt of a sealed enrollment as a PDF, its QR code signed by this van.
    Render {
        #[command(flatten)]
        login: Login,
        /// The enrollment.
        #[arg(long)]
        id: ApplicationId,
        /// `a5` (office printer) or `thermal` (80 mm receipt printer).
        #[arg(long, default_value = "a5")]
        format: Format,
        /// The PDF file to write.
        #[arg(long)]
        out: PathBuf,
        /// Font for Latin text (default: Noto Sans, else DejaVu Sans).
        #[arg(long, requires = "arabic_font")]
        latin_font: Option<PathBuf>,
        /// Font for Arabic text (default: Noto Naskh Arabic, else DejaVu Sans).
        #[arg(long, requires = "latin_font")]
        arabic_font: Option<PathBuf>,
    },
    /// Check a receipt's QR text against a van's public key, offline; exits 1 if it does not hold.
    Verify {
        /// The van's ed25519 public key, hex (`qafila van status` shows it).
        #[arg(long)]
        van_key: String,
        /// The text read from the QR code (`QAFILA1.…`).
        code: String,
    },
}

/// The unlocked van as the receipt's signer.
struct VanSigner<'a> {
    van: &'a Van,
    public: [u8; 32],
}

impl ReceiptSigner for VanSigner<'_> {
    fn verifying_key(&self) -> [u8; 32] {
        self.public
    }

    fn sign(&self, message: &[u8]) -> Result<[u8; 64], SignerError> {
        Ok(self.van.sign_citizen_receipt(message)?)
    }
}

pub fn run(store: &std::path::Path, json: bool, cmd: CitizenReceiptCmd) -> Result<ExitCode> {
    match cmd {
        CitizenReceiptCmd::Render {
            login,
            id,
            format,
            out,
            latin_font,
            arabic_font,
        } => {
            let paths = match (latin_font, arabic_font) {
                (Some(latin), Some(arabic)) => FontPaths { latin, arabic },
                _ => FontPaths::system()?,
            };
            let fonts = Fonts::load(&paths)?;
            let van = unlock(store, &login)?;
            let data = ReceiptData::from_enrollment(&van.get(&id)?)?;
            let signer = VanSigner {
                van: &van,
                public: van.store().public_key()?.to_bytes(),
            };
            let receipt = qafila_receipt::render(&fonts, &data, format, &signer)?;
            std::fs::write(&out, &receipt.pdf).with_context(|| format!("writing {}", out.display()))?;
            if json {
                print_json(&serde_json::json!({"out": out, "format": format.name(), "qr_text": receipt.qr_text}))?;
            } else {
                println!("{}", out.display());
            }
        }
        CitizenReceiptCmd::Verify { van_key, code } => {
            let key = parse_key(&van_key)?;
            match qafila_receipt::verify(&code, &key) {
                Ok(c) => {
                    let claims = serde_json::json!({
                        "valid": true,
                        "application_id": c.application_id,
                        "van_id": c.van_id,
                        "enrolled_at": c.enrolled_at,
                        "kind": c.kind,
                        "initials": c.initials,
                    });
                    if json {
                        print_json(&claims)?;
                    } else {
                        println!(
                            "valid receipt: application {} ({}), van {}, enrolled {}, initials {}",
                            c.application_id,
                            claims["kind"].as_str().unwrap_or_default(),
                            c.van_id,
                            c.enrolled_at,
                            c.initials
                        );
                    }
                }
                Err(e) => {
                    if json {
                        print_json(&serde_json::json!({"valid": false, "error": e.to_string()}))?;
                    } else {
                        eprintln!("INVALID receipt code: {e}");
                    }
                    return Ok(ExitCode::from(1));
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A 32-byte key from 64 hex digits.
fn parse_key(hex: &str) -> Result<[u8; 32]> {
    let hex = hex.trim();
    if hex.len() != 64 || !hex.is_ascii() {
        bail!("--van-key: expected 64 hex digits, got {} characters", hex.len());
    }
    let mut key = [0u8; 32];
    for (i, byte) in key.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16)
            .with_context(|| format!("--van-key: {:?} is not hex", &hex[2 * i..2 * i + 2]))?;
    }
    Ok(key)
}

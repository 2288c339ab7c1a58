//! The citizen's receipt: a bilingual (Arabic and French) PDF with a QR code the van signs, so anyone
//! holding the van's public key can check the paper offline.
//!
//! ```no_run
//! use qafila_receipt::{Format, Fonts, ReceiptData, render};
//! # fn demo(enrollment: &qafila_domain::Enrollment, van_key: &ed25519_dalek::SigningKey) -> Result<(), qafila_receipt::ReceiptError> {
//! let fonts = Fonts::system()?; // Noto from fonts-noto-core, else DejaVu from fonts-dejavu-core
//! let data = ReceiptData::from_enrollment(enrollment)?;
//! let receipt = render(&fonts, &data, Format::Thermal80, van_key)?;
//! std::fs::write("receipt.pdf", &receipt.pdf).ok();
//! let claims = qafila_receipt::verify(&receipt.qr_text, &van_key.verifying_key().to_bytes())?;
//! assert_eq!(claims.application_id, data.application_id);
//! # Ok(()) }
//! ```
//!
//! Why krilla: it is a high-level PDF writer that embeds subsetted TrueType fonts and writes the
//! ToUnicode/ActualText mapping for shaped glyph clusters, which is what makes Arabic extractable and
//! searchable in logical order; printpdf would need that mapping written by hand. Its default
//! features (images, its own one-font shaper) are off: this crate shapes with rustybuzz (the same
//! shaper krilla uses) and orders mixed Arabic/Latin lines with unicode-bidi itself, because krilla's
//! simple text cannot mix scripts or measure a line. krilla 0.7 is the last release within the
//! workspace's Rust 1.90. Cost: krilla and its dependencies are about 50 crates, all Rust (the
//! fontations font readers, subsetter, pdf-writer, flate2 on zlib-rs); `Cargo.lock` pins subsetter
//! to 0.2.3 so that it shares krilla's font readers instead of building a second copy.
#![forbid(unsafe_code)]

mod claims;
mod code;
mod data;
mod error;
mod fonts;
mod layout;
mod pdf;
mod shape;
mod wording;

pub use claims::{MAX_INITIALS, MAX_VAN_ID_BYTES, ReceiptClaims, initials};
pub use code::{CITIZEN_RECEIPT_CONTEXT, CODE_PREFIX, ReceiptSigner, SignerError, sign, signed_message, verify};
pub use data::ReceiptData;
pub use error::ReceiptError;
pub use fonts::{DEJAVU_SANS, FontPaths, Fonts, NOTO_NASKH_ARABIC, NOTO_SANS};
pub use layout::{A5_HEIGHT, A5_WIDTH, Format, THERMAL_WIDTH};

/// A rendered receipt.
#[derive(Clone, Debug)]
pub struct Receipt {
    /// The PDF, one page.
    pub pdf: Vec<u8>,
    /// The signed text in its QR code.
    pub qr_text: String,
}

/// Signs the receipt's claims with the van's key and renders the PDF in `format`.
pub fn render(
    fonts: &Fonts,
    data: &ReceiptData,
    format: Format,
    signer: &dyn ReceiptSigner,
) -> Result<Receipt, ReceiptError> {
    let qr_text = sign(&data.claims(), signer)?;
    let pdf = render_with_code(fonts, data, format, &qr_text)?;
    Ok(Receipt { pdf, qr_text })
}

/// Renders the PDF around an already signed code (a reprint keeps the code it was first given).
pub fn render_with_code(
    fonts: &Fonts,
    data: &ReceiptData,
    format: Format,
    qr_text: &str,
) -> Result<Vec<u8>, ReceiptError> {
    let shaper = shape::Shaper::new(fonts)?;
    let page = layout::receipt(&shaper, data, qr_text, format)?;
    let title = format!("Récépissé de dépôt {}", data.application_id);
    pdf::write(&shaper, &page, &title)
}

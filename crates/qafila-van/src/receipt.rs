//! The citizen's receipt from the desktop: rendered and signed by the van, written only to memory
//! (the runtime tmpfs), never to the disk, because it carries the applicant's name in clear.

use std::path::PathBuf;

use qafila_receipt::{Fonts, Format, ReceiptData, ReceiptSigner, SignerError};
use qafila_store::Van;
use serde_json::{Value, json};

use crate::engine::Engine;
use crate::error::{EngineError, Result};

struct VanSigner<'a> {
    van: &'a Van,
    public: [u8; 32],
}

impl ReceiptSigner for VanSigner<'_> {
    fn verifying_key(&self) -> [u8; 32] {
        self.public
    }

    fn sign(&self, message: &[u8]) -> std::result::Result<[u8; 64], SignerError> {
        self.van
            .sign_citizen_receipt(message)
            .map_err(|e| Box::new(e) as SignerError)
    }
}

/// Where printable receipts go: the user's runtime directory (a tmpfs, gone at logout or power
/// off), else shared memory. Never the store's disk.
pub(crate) fn receipts_dir() -> PathBuf {
    let base = std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .filter(|p| p.is_dir())
        .unwrap_or_else(|| PathBuf::from("/dev/shm"));
    base.join("qafila-receipts")
}

/// Removes printed receipts (at lock and at start).
pub(crate) fn clear_receipts() {
    let _ = std::fs::remove_dir_all(receipts_dir());
}

impl Engine {
    /// Renders the citizen's receipt of a sealed enrollment; returns its path (in memory) and the
    /// signed QR text.
    pub fn receipt_pdf(&self, id: &str, format: &str) -> Result<Value> {
        let format = match format {
            "a5" => Format::A5,
            "thermal" => Format::Thermal80,
            _ => return Err(EngineError::bad("format", "must be a5 or thermal")),
        };
        let app_id: qafila_domain::ApplicationId = id
            .parse()
            .map_err(|_| EngineError::bad("id", "not an application id"))?;
        let fonts = Fonts::system().map_err(|e| EngineError::Capture(e.to_string()))?;
        let receipt = self.with_van(|van| {
            let record = van.get(&app_id)?;
            let data = ReceiptData::from_enrollment(&record).map_err(|e| EngineError::bad("id", e.to_string()))?;
            let signer = VanSigner {
                van,
                public: van.store().public_key()?.to_bytes(),
            };
            qafila_receipt::render(&fonts, &data, format, &signer).map_err(|e| EngineError::Capture(e.to_string()))
        })?;
        let dir = receipts_dir();
        let io = |source| EngineError::Io {
            what: format!("writing the receipt into {}", dir.display()),
            source,
        };
        std::fs::create_dir_all(&dir).map_err(io)?;
        restrict(&dir).map_err(io)?;
        let path = dir.join(format!("{id}-{}.pdf", format.name()));
        std::fs::write(&path, &receipt.pdf).map_err(io)?;
        Ok(json!({ "path": path, "qr": receipt.qr_text }))
    }
}

#[cfg(unix)]
fn restrict(dir: &std::path::Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
}

#[cfg(not(unix))]
fn restrict(_: &std::path::Path) -> std::io::Result<()> {
    Ok(())
}

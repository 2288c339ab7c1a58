//! Fingerprints from files, for desk work (re-processing prints scanned elsewhere) and for training:
//! a scanner whose "device" is a folder of PNG or WSQ images. Also the WSQ decoder that lets SBI
//! devices return WSQ records.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use qafila_sbi::iso19794_4::{Compression, Decoders, Representation};
use qafila_sbi::{
    CaptureRequest, DeviceIdentity, DeviceInfo, DeviceStatus, Finger, FingerprintScanner, GrayImage, ImageError,
    Impression, ScanError,
};

/// Reads a fingerprint image file: WSQ by its content, anything else as PNG.
pub fn read_print(path: &Path) -> Result<GrayImage, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    decode_print(&bytes).map_err(|e| format!("{}: {e}", path.display()))
}

/// Decodes WSQ (recognised by its start-of-image marker) or PNG bytes into an 8-bit image.
pub fn decode_print(bytes: &[u8]) -> Result<GrayImage, String> {
    if bytes.starts_with(&[0xFF, 0xA0]) {
        let d = qafila_wsq::decode(bytes).map_err(|e| format!("WSQ: {e}"))?;
        GrayImage::new(d.width as u32, d.height as u32, d.ppi.unwrap_or(500), d.pixels).map_err(|e| e.to_string())
    } else {
        GrayImage::from_png(bytes, 500).map_err(|e| e.to_string())
    }
}

/// The SBI decoders plus WSQ (ISO/IEC 19794-4 compression code 2).
pub fn decoders_with_wsq() -> Decoders {
    let mut d = Decoders::default();
    d.register(
        Compression::WSQ,
        Arc::new(|rep: &Representation| {
            let img = qafila_wsq::decode(&rep.data).map_err(|e| ImageError::Decode {
                format: "WSQ",
                detail: e.to_string(),
            })?;
            GrayImage::new(
                img.width as u32,
                img.height as u32,
                img.ppi.unwrap_or(rep.ppi),
                img.pixels,
            )
        }),
    );
    d
}

/// A scanner that serves the images of a folder: `<position>.png` or `<position>.wsq`
/// (ISO positions 1–10, e.g. `2.wsq` for the right index).
pub struct FolderScanner {
    dir: PathBuf,
}

impl FolderScanner {
    /// A scanner over `dir`.
    pub fn new(dir: &Path) -> FolderScanner {
        FolderScanner { dir: dir.to_path_buf() }
    }

    fn file_for(&self, finger: Finger) -> Option<PathBuf> {
        ["wsq", "png"]
            .iter()
            .map(|ext| self.dir.join(format!("{}.{ext}", finger.position())))
            .find(|p| p.exists())
    }
}

impl FingerprintScanner for FolderScanner {
    fn info(&self) -> Result<DeviceInfo, ScanError> {
        let status = if self.dir.is_dir() {
            DeviceStatus::Ready
        } else {
            DeviceStatus::NotReady
        };
        Ok(DeviceInfo {
            identity: identity(&self.dir),
            status,
            device_sub_type: "Single".into(),
            device_sub_ids: vec![0],
            spec_versions: Vec::new(),
            firmware: String::new(),
            certification: "none (files)".into(),
            purpose: "Registration".into(),
            service_version: env!("CARGO_PKG_VERSION").into(),
        })
    }

    fn capture(&self, request: &CaptureRequest) -> Result<Vec<Impression>, ScanError> {
        let mut out = Vec::new();
        for finger in &request.fingers {
            let Some(path) = self.file_for(*finger) else { continue };
            let image = read_print(&path).map_err(ScanError::InvalidRequest)?;
            out.push(Impression {
                finger: *finger,
                image,
                quality: 0,
                requested_score: request.requested_score,
                device: identity(&self.dir),
                timestamp: String::new(),
                transaction_id: String::new(),
                signed_data: String::new(),
                hash: String::new(),
            });
        }
        Ok(out)
    }
}

fn identity(dir: &Path) -> DeviceIdentity {
    DeviceIdentity {
        serial: dir.display().to_string(),
        make: "files".into(),
        model: "folder".into(),
        ..DeviceIdentity::default()
    }
}

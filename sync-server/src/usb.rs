//! Sneakernet: batches and blobs carried on a USB stick from a van with no network.
//!
//! The van writes `batch-<van>-<seq>.qafila`, `blob-<sha256>.age` and, once its key has rotated,
//! `key-<van>-<n>.qafila-key` files (`qafila export`); the center imports the folder, blobs first
//! (each checked against its name), then key rotations (oldest first), then batches, with the same
//! checks and idempotency as over HTTP, and writes each receipt beside its batch
//! (`.receipt`), for the van to read back (`qafila receipt`).

use std::path::{Path, PathBuf};

use qafila_wire::usb::{self, UsbFile};

use crate::center::{Center, CenterError, Ingested};

/// What an import did.
#[derive(Debug, Default)]
pub struct ImportReport {
    /// Batches accepted (or already held).
    pub accepted: usize,
    /// Batches refused or incomplete.
    pub refused: usize,
    /// Blobs taken in.
    pub blobs: usize,
    /// Key rotation statements recorded (or already held).
    pub key_rotations: usize,
    /// One line per batch file, for the operator.
    pub lines: Vec<String>,
}

/// Imports every blob and batch file in `dir`.
pub async fn import(center: &Center, dir: &Path) -> Result<ImportReport, CenterError> {
    let io = |e: std::io::Error| CenterError::NotFound(format!("{}: {e}", dir.display()));
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    let mut report = ImportReport::default();
    let mut batches = Vec::new();
    let mut rotations = Vec::new();
    for path in &entries {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        // One badly named or damaged file must not stop the import of the rest of the stick.
        let sha = match usb::classify(name) {
            Ok(UsbFile::Blob(sha)) => sha,
            Ok(UsbFile::Batch) => {
                batches.push(path);
                continue;
            }
            Ok(UsbFile::KeyRotation) => {
                rotations.push(path);
                continue;
            }
            Ok(UsbFile::Other) => continue,
            Err(e) => {
                report
                    .lines
                    .push(format!("{}: refused [{}]: {e}", path.display(), e.code()));
                continue;
            }
        };
        if center.blob_state(sha).await?.complete {
            continue;
        }
        let data = std::fs::read(path).map_err(io)?;
        // A partial upload from an earlier, interrupted transfer is replaced by the whole file.
        center.db().blob_finish(sha, false).await?;
        let chunk = qafila_wire::blob::Chunk::new(&data);
        match center
            .blob_chunk(sha, 0, data.len() as i64, &chunk.checksum(), chunk)
            .await
        {
            Ok(_) => report.blobs += 1,
            // Only a bad file is skipped; a storage failure still stops the import.
            Err(e @ CenterError::Blob { .. }) => {
                report
                    .lines
                    .push(format!("{}: refused [{}]: {e}", path.display(), e.code()))
            }
            Err(e) => return Err(e),
        }
    }
    // Before the batches: a batch signed by the van's new key is refused until the rotation is known.
    for path in rotations {
        let bytes = std::fs::read(path).map_err(io)?;
        let van = qafila_wire::SignedKeyRotation::from_bytes(&bytes)
            .and_then(|s| s.verify())
            .map(|r| r.van_id);
        let outcome = match van {
            Ok(van) => center.rotate_van_key(&van, &bytes).await,
            Err(e) => Err(e.into()),
        };
        match outcome {
            Ok(()) => report.key_rotations += 1,
            Err(e @ CenterError::Db(_)) => return Err(e),
            Err(e) => report
                .lines
                .push(format!("{}: refused [{}]: {e}", path.display(), e.code())),
        }
    }
    for path in batches {
        let bytes = std::fs::read(path).map_err(io)?;
        match center.ingest(&bytes).await {
            Ok(Ingested::Receipt(r)) => {
                let out = path.with_extension("receipt");
                std::fs::write(&out, r).map_err(io)?;
                report.accepted += 1;
                report
                    .lines
                    .push(format!("{}: accepted, receipt in {}", path.display(), out.display()));
            }
            Ok(Ingested::NeedBlobs(missing)) => {
                report.refused += 1;
                report.lines.push(format!(
                    "{}: {} blobs missing from the folder; nothing stored",
                    path.display(),
                    missing.len()
                ));
            }
            Err(e) => {
                report.refused += 1;
                report
                    .lines
                    .push(format!("{}: refused [{}]: {e}", path.display(), e.code()));
            }
        }
    }
    Ok(report)
}

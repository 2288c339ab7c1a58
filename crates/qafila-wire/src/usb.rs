//! The files of a USB batch folder (`qafila export` on the van, `qafila-server import` at a center), told apart
//! by name alone so a center can sort a folder before touching its database.

use crate::WireError;
use crate::blob::is_sha256_hex;

/// What a file in a USB batch folder is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsbFile<'a> {
    /// `blob-<sha256>.age`: an encrypted blob named by its plaintext's SHA-256.
    Blob(&'a str),
    /// `*.qafila`: a batch envelope.
    Batch,
    /// `*.qafila-key`: a van's key rotation statement ([`crate::SignedKeyRotation`]), imported before
    /// the batches its new key signs.
    KeyRotation,
    /// Anything else (receipts written back, files the operator added): left alone.
    Other,
}

/// Sorts a file by its name; a blob file whose name is not a SHA-256 is refused, naming the file.
pub fn classify(name: &str) -> Result<UsbFile<'_>, WireError> {
    if let Some(sha) = name.strip_prefix("blob-").and_then(|n| n.strip_suffix(".age")) {
        if !is_sha256_hex(sha) {
            return Err(WireError::Malformed {
                what: "USB blob file name",
                reason: format!("{name:?}: the part between `blob-` and `.age` is not a lowercase hex SHA-256"),
            });
        }
        return Ok(UsbFile::Blob(sha));
    }
    // The same test as `Path::extension`: a bare `.qafila` is a hidden file, not a batch.
    match name.rsplit_once('.') {
        Some((stem, "qafila")) if !stem.is_empty() => Ok(UsbFile::Batch),
        Some((stem, "qafila-key")) if !stem.is_empty() => Ok(UsbFile::KeyRotation),
        _ => Ok(UsbFile::Other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_sort_into_blobs_batches_and_the_rest() {
        let sha = "ab".repeat(32);
        assert_eq!(classify(&format!("blob-{sha}.age")).unwrap(), UsbFile::Blob(&sha));
        assert_eq!(classify("batch-van-1-000001.qafila").unwrap(), UsbFile::Batch);
        assert_eq!(classify("batch-van-1-000001.receipt").unwrap(), UsbFile::Other);
        assert_eq!(classify(".qafila").unwrap(), UsbFile::Other);
        assert_eq!(classify("key-van-1-000002.qafila-key").unwrap(), UsbFile::KeyRotation);
        assert_eq!(classify(".qafila-key").unwrap(), UsbFile::Other);
        assert_eq!(classify("notes.txt").unwrap(), UsbFile::Other);
    }

    #[test]
    fn a_blob_file_with_a_bad_name_is_refused_by_name() {
        let err = classify("blob-../../etc/passwd.age").unwrap_err();
        assert_eq!(err.code(), "malformed");
        assert!(err.to_string().contains("USB blob file name"), "{err}");
        assert!(err.to_string().contains("etc/passwd"), "{err}");
        assert!(classify(&format!("blob-{}.age", "AB".repeat(32))).is_err());
    }
}

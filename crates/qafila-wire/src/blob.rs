//! Blobs in transit: encrypted to the centers, content-addressed by the plaintext's SHA-256, and
//! uploaded in resumable chunks.
//!
//! The model is tus's: `HEAD /v1/blobs/{sha256}` answers `Upload-Offset` (bytes already held) and
//! `Upload-Length` once known; `PATCH /v1/blobs/{sha256}` with `Upload-Offset`, `Upload-Length` and
//! `Upload-Checksum: sha256 <base64>` (tus's form) appends one chunk if the offset is right. A complete upload is
//! decrypted and checked against its name before the center uses it.

use base64::Engine;
use sha2::{Digest, Sha256};

use crate::WireError;
use crate::envelope::decrypt_with;

/// Header: bytes already held / offset of this chunk.
pub const UPLOAD_OFFSET: &str = "upload-offset";
/// Header: total size of the transfer form.
pub const UPLOAD_LENGTH: &str = "upload-length";
/// Header: `sha256 <base64>` of this chunk (the hex form of earlier vans is read too).
pub const UPLOAD_CHECKSUM: &str = "upload-checksum";
/// Header on a blob's last chunk asking the center to accept, once the blob is complete, the batch
/// of this sequence number it holds pending, if that batch then lacks nothing; the answer is then
/// `200` with the receipt instead of `204`.
pub const UPLOAD_COMMIT: &str = "x-qafila-commit";
/// Largest blob accepted (transfer form), bytes.
pub const MAX_BLOB_BYTES: u64 = 32 * 1024 * 1024;
/// Path of the signed `POST` by which a van asks which of a batch's blobs a center lacks.
pub const MISSING_PATH: &str = "/v1/blobs/missing";
/// Most blob names one such question may carry (a batch of 500 enrollments has about 6,000).
pub const MAX_MISSING_QUERY: usize = 20_000;

/// The body of [`MISSING_PATH`] (JSON): the blobs a batch refers to.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MissingQuery {
    /// SHA-256 names (lower-case hex) of the blobs.
    pub blobs: Vec<String>,
}

/// The answer to a [`MissingQuery`] (JSON), and the body of a batch's `202` reply.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MissingBlobs {
    /// The asked blobs the center does not hold complete, each once.
    pub missing_blobs: Vec<String>,
}

/// The `Upload-Checksum` value of a chunk.
pub fn chunk_checksum(chunk: &[u8]) -> String {
    Chunk::new(chunk).checksum()
}

/// One upload chunk with its SHA-256, hashed once: the request signature and `Upload-Checksum`
/// both cover it, and at 40 KB to 1 MB a chunk a second pass would cost as much as the check itself.
#[derive(Debug, Clone, Copy)]
pub struct Chunk<'a> {
    bytes: &'a [u8],
    sha256: [u8; 32],
}

impl<'a> Chunk<'a> {
    /// Hashes `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        Chunk {
            bytes,
            sha256: crate::request::body_sha256(bytes),
        }
    }

    /// The chunk's bytes.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The chunk's SHA-256 (what [`crate::request::verify_hashed`] takes as the body's).
    pub fn sha256(&self) -> &[u8; 32] {
        &self.sha256
    }

    /// The chunk's `Upload-Checksum` value.
    pub fn checksum(&self) -> String {
        format!(
            "sha256 {}",
            base64::engine::general_purpose::STANDARD.encode(self.sha256)
        )
    }
}

/// Reads an `Upload-Checksum` value: the SHA-256 it names, in base64 (tus's form) or hex (as
/// earlier vans sent it).
pub fn parse_checksum(value: &str) -> Result<[u8; 32], WireError> {
    let bad = |reason: &str| WireError::Malformed {
        what: "Upload-Checksum",
        reason: reason.into(),
    };
    let (algorithm, digest) = value
        .split_once(' ')
        .ok_or_else(|| bad("expected `sha256 <base64 digest>`"))?;
    if !algorithm.eq_ignore_ascii_case("sha256") {
        return Err(bad(&format!("algorithm {algorithm:?} is not supported, only sha256")));
    }
    let bytes = if digest.len() == 64 {
        hex::decode(digest).map_err(|_| bad("the hex digest is not hex"))?
    } else {
        base64::engine::general_purpose::STANDARD
            .decode(digest)
            .map_err(|_| bad("the digest is neither base64 nor hex"))?
    };
    <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| bad("the digest is not 32 bytes long"))
}

/// Decrypts a complete transfer form and checks it hashes to `sha256`.
pub fn open(identities: &[age::x25519::Identity], transfer: &[u8], sha256: &str) -> Result<Vec<u8>, WireError> {
    let plain = decrypt_with(identities, transfer, MAX_BLOB_BYTES as usize)?;
    if hex::encode(Sha256::digest(&plain)) != sha256 {
        return Err(WireError::BlobHash(sha256.into()));
    }
    Ok(plain)
}

/// Checks that a complete transfer form decrypts and hashes to `sha256`, without holding the
/// plaintext: it is hashed as it is decrypted. Returns the plaintext's length.
pub fn verify(identities: &[age::x25519::Identity], transfer: &[u8], sha256: &str) -> Result<u64, WireError> {
    use std::io::Read;
    let decryptor = age::Decryptor::new_buffered(transfer).map_err(|_| WireError::Decrypt)?;
    let mut reader = decryptor
        .decrypt(identities.iter().map(|i| i as &dyn age::Identity))
        .map_err(|_| WireError::Decrypt)?;
    let mut hash = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut total: u64 = 0;
    loop {
        let n = reader.read(&mut buf).map_err(|_| WireError::Decrypt)?;
        if n == 0 {
            break;
        }
        total += n as u64;
        if total > MAX_BLOB_BYTES {
            return Err(WireError::TooLarge {
                what: "blob",
                size: total as usize,
                limit: MAX_BLOB_BYTES as usize,
            });
        }
        hash.update(&buf[..n]);
    }
    if hex::encode(hash.finalize()) != sha256 {
        return Err(WireError::BlobHash(sha256.into()));
    }
    Ok(total)
}

/// Whether `s` is a SHA-256 in lowercase hex (the only blob names accepted).
pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

//! age's recipient and identity traits, implemented for the van's symmetric store key.
//!
//! Data at rest is written in the age format, but the file key is wrapped with ChaCha20-Poly1305
//! under the store key (stanza `qafila-store <nonce>`) instead of an X25519 exchange: the van is both
//! the writer and the only reader, and this saves the two scalar multiplications (~175 µs) that an
//! X25519 stanza costs per item, a dozen times per enrollment.

use std::collections::HashSet;

use age::secrecy::ExposeSecret;
use age_core::format::{FILE_KEY_BYTES, FileKey, Stanza};
use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};

const TAG: &str = "qafila-store";

/// Wraps file keys under the store key.
pub(crate) struct StoreRecipient<'a>(pub &'a [u8; 32]);

/// Unwraps file keys wrapped under the store key.
pub(crate) struct StoreIdentity<'a>(pub &'a [u8; 32]);

impl age::Recipient for StoreRecipient<'_> {
    fn wrap_file_key(&self, file_key: &FileKey) -> Result<(Vec<Stanza>, HashSet<String>), age::EncryptError> {
        let mut nonce = [0u8; 12];
        getrandom::fill(&mut nonce).map_err(|e| age::EncryptError::Io(std::io::Error::other(e.to_string())))?;
        let body = ChaCha20Poly1305::new(Key::from_slice(self.0))
            .encrypt(Nonce::from_slice(&nonce), file_key.expose_secret().as_slice())
            .map_err(|_| age::EncryptError::Io(std::io::Error::other("file key wrap failed")))?;
        let stanza = Stanza {
            tag: TAG.into(),
            args: vec![STANDARD_NO_PAD.encode(nonce)],
            body,
        };
        Ok((vec![stanza], HashSet::new()))
    }
}

impl age::Identity for StoreIdentity<'_> {
    fn unwrap_stanza(&self, stanza: &Stanza) -> Option<Result<FileKey, age::DecryptError>> {
        if stanza.tag != TAG {
            return None;
        }
        let nonce = match stanza.args.as_slice() {
            [n] => STANDARD_NO_PAD.decode(n).ok().filter(|n| n.len() == 12),
            _ => None,
        };
        let Some(nonce) = nonce else {
            return Some(Err(age::DecryptError::InvalidHeader));
        };
        let plain =
            ChaCha20Poly1305::new(Key::from_slice(self.0)).decrypt(Nonce::from_slice(&nonce), stanza.body.as_slice());
        Some(match plain {
            Ok(k) if k.len() == FILE_KEY_BYTES => Ok(FileKey::init_with_mut(|fk| fk.copy_from_slice(&k))),
            _ => Err(age::DecryptError::DecryptionFailed),
        })
    }
}

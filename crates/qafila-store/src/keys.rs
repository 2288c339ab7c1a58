//! The van's keys: the store key that encrypts everything at rest, its sealed copies, and the
//! van's signing key.
//!
//! - The **store key** is 32 random bytes. Every document, blob, draft and summary is an age message
//!   whose file key is wrapped under it (see [`crate::at_rest`]).
//! - It is **sealed** once per operator with age's scrypt passphrase mode, and once to the centers'
//!   recovery recipient. Adding or removing an operator adds or deletes one sealed copy; no data is
//!   re-encrypted.
//! - The van's **ed25519 signing key** signs journal entries (and later, sync batches); its secret is
//!   stored encrypted with the store key.
//! - Two **keyed hashes** derived from the store key name blobs and index names for search without
//!   putting any plaintext (or plain hash of a known image) on disk.

use age::secrecy::SecretString;
use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::at_rest::{StoreIdentity, StoreRecipient};
use crate::error::{Result, StoreError};

/// Minimum passphrase length accepted for an operator.
pub const MIN_PASSPHRASE_CHARS: usize = 8;

/// The unlocked store key.
pub struct StoreKey {
    secret: Zeroizing<[u8; 32]>,
    blob_mac: Zeroizing<[u8; 32]>,
    index_mac: Zeroizing<[u8; 32]>,
}

impl StoreKey {
    /// A fresh random store key.
    pub fn generate() -> Result<Self> {
        let mut secret = Zeroizing::new([0u8; 32]);
        getrandom::fill(secret.as_mut()).map_err(|e| StoreError::Crypto(e.to_string()))?;
        Ok(Self::from_secret(secret))
    }

    fn from_secret(secret: Zeroizing<[u8; 32]>) -> Self {
        let derive = |label: &[u8]| Zeroizing::new(keyed(&secret, label));
        StoreKey {
            blob_mac: derive(b"qafila/store/blob-id/v1"),
            index_mac: derive(b"qafila/store/search-index/v1"),
            secret,
        }
    }

    /// A copy of the key for a second handle on the same store (both copies are zeroed on drop).
    pub(crate) fn duplicate(&self) -> Self {
        Self::from_secret(self.secret.clone())
    }

    /// Encrypts bytes for storage.
    pub fn encrypt(&self, plaintext: &[u8]) -> Result<Vec<u8>> {
        age::encrypt(&StoreRecipient(&self.secret), plaintext).map_err(|e| StoreError::Crypto(e.to_string()))
    }

    /// Decrypts stored bytes; `what` and `id` name the item in the error if it is damaged.
    pub fn decrypt(&self, ciphertext: &[u8], what: &'static str, id: &str) -> Result<Vec<u8>> {
        age::decrypt(&StoreIdentity(&self.secret), ciphertext).map_err(|_| StoreError::Corrupt {
            what,
            id: id.to_string(),
        })
    }

    /// The at-rest name of a blob: a keyed hash of its plaintext SHA-256.
    pub fn blob_id(&self, sha256_hex: &str) -> Vec<u8> {
        keyed(&self.blob_mac, sha256_hex.as_bytes()).to_vec()
    }

    /// The at-rest form of a search token (16 bytes of a keyed hash).
    pub fn index_token(&self, token: &str) -> Vec<u8> {
        keyed(&self.index_mac, token.as_bytes())[..16].to_vec()
    }

    /// Seals the store key with an operator's passphrase (age scrypt, `2^log_n` work factor).
    pub fn seal_with_passphrase(&self, passphrase: &str, log_n: u8) -> Result<Vec<u8>> {
        if passphrase.chars().count() < MIN_PASSPHRASE_CHARS {
            return Err(StoreError::WeakPassphrase(MIN_PASSPHRASE_CHARS));
        }
        let mut r = age::scrypt::Recipient::new(SecretString::from(passphrase.to_owned()));
        r.set_work_factor(log_n.clamp(1, 30));
        age::encrypt(&r, self.secret.as_ref()).map_err(|e| StoreError::Crypto(e.to_string()))
    }

    /// Seals the store key to a recovery recipient (an age X25519 public key held by the centers).
    pub fn seal_to_recipient(&self, recipient: &age::x25519::Recipient) -> Result<Vec<u8>> {
        age::encrypt(recipient, self.secret.as_ref()).map_err(|e| StoreError::Crypto(e.to_string()))
    }

    /// Opens a passphrase-sealed copy; fails with `WrongPassphrase` for a wrong passphrase.
    pub fn unseal_with_passphrase(sealed: &[u8], passphrase: &str, operator: &str) -> Result<Self> {
        let mut id = age::scrypt::Identity::new(SecretString::from(passphrase.to_owned()));
        id.set_max_work_factor(30);
        let secret =
            Zeroizing::new(age::decrypt(&id, sealed).map_err(|_| StoreError::WrongPassphrase(operator.to_string()))?);
        Self::parse(&secret)
    }

    /// Opens a copy sealed to a recovery identity (used by the centers to recover a van's data).
    pub fn unseal_with_identity(sealed: &[u8], identity: &age::x25519::Identity) -> Result<Self> {
        let secret = Zeroizing::new(
            age::decrypt(identity, sealed)
                .map_err(|_| StoreError::Crypto("the recovery key does not open this van".into()))?,
        );
        Self::parse(&secret)
    }

    fn parse(secret: &[u8]) -> Result<Self> {
        let bytes: [u8; 32] = secret.try_into().map_err(|_| StoreError::Corrupt {
            what: "store key",
            id: "sealed".into(),
        })?;
        Ok(Self::from_secret(Zeroizing::new(bytes)))
    }
}

fn keyed(key: &[u8; 32], data: &[u8]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// The van's signing key.
pub struct VanKey(SigningKey);

impl VanKey {
    /// A fresh random signing key.
    pub fn generate() -> Result<Self> {
        let mut seed = Zeroizing::new([0u8; 32]);
        getrandom::fill(seed.as_mut()).map_err(|e| StoreError::Crypto(e.to_string()))?;
        Ok(VanKey(SigningKey::from_bytes(&seed)))
    }

    /// Rebuilds the key from its 32-byte secret.
    pub fn from_secret(secret: &[u8]) -> Result<Self> {
        let seed: [u8; 32] = secret.try_into().map_err(|_| StoreError::Corrupt {
            what: "van signing key",
            id: "meta".into(),
        })?;
        Ok(VanKey(SigningKey::from_bytes(&seed)))
    }

    /// The 32-byte secret (to be stored encrypted).
    pub fn secret(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.0.to_bytes())
    }

    /// The public key.
    pub fn public(&self) -> VerifyingKey {
        self.0.verifying_key()
    }

    /// The ed25519 key itself, for signing wire envelopes.
    pub(crate) fn signing(&self) -> &SigningKey {
        &self.0
    }

    /// Signs a 32-byte digest.
    pub fn sign(&self, digest: &[u8; 32]) -> [u8; 64] {
        self.0.sign(digest).to_bytes()
    }
}

/// SHA-256 as lowercase hex.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

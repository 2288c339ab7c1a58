//! The signed, encrypted envelope: the body of `POST /v1/batches`, of a USB batch file, and of the
//! updates a center returns to a van.
//!
//! Layout: the 8 magic bytes `QAFILA\x01E`, then CBOR `{v, kind, sender, seq, ciphertext, signature}`.
//! `ciphertext` is an age message to every recipient of the receivers; `signature` is the sender's
//! ed25519 signature over SHA-256(`qafila/envelope/v1` ‖ kind ‖ sender ‖ seq ‖ SHA-256(ciphertext)).

use std::io::{Read, Write};

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::batch::{BatchPayload, ReplicationPayload, UpdatePayload};
use crate::{MAX_ENVELOPE_BYTES, PROTOCOL_VERSION, WireError, cbor};

/// The magic bytes in front of every envelope.
pub const MAGIC: &[u8; 8] = b"QAFILA\x01E";

/// What an envelope carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A batch from a van to the centers.
    Batch,
    /// Updates from a center to a van.
    Updates,
    /// Replication from one center to the other.
    Replication,
    /// An appointment list from a center to a van.
    Appointments,
}

/// A signed, encrypted message.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    /// Protocol version.
    pub v: u16,
    /// What the ciphertext holds.
    pub kind: Kind,
    /// The sender: a van id or a center id (selects the verifying key).
    pub sender: String,
    /// The sender's sequence number (dense per van for batches; the update cursor for updates).
    pub seq: u64,
    /// The age-encrypted CBOR payload.
    #[serde(with = "serde_bytes")]
    #[schemars(with = "Vec<u8>")]
    pub ciphertext: Vec<u8>,
    /// ed25519 signature (64 bytes).
    #[serde(with = "serde_bytes")]
    #[schemars(with = "Vec<u8>")]
    pub signature: Vec<u8>,
}

fn signed_digest(kind: Kind, sender: &str, seq: u64, ciphertext_hash: &[u8; 32]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"qafila/envelope/v1");
    h.update([kind as u8]);
    h.update((sender.len() as u64).to_be_bytes());
    h.update(sender.as_bytes());
    h.update(seq.to_be_bytes());
    h.update(ciphertext_hash);
    h.finalize().into()
}

/// Encrypts `plaintext` to every recipient (either center can decrypt).
pub fn encrypt_to(recipients: &[age::x25519::Recipient], plaintext: &[u8]) -> Result<Vec<u8>, WireError> {
    let encryptor = age::Encryptor::with_recipients(recipients.iter().map(|r| r as &dyn age::Recipient))
        .map_err(|e| WireError::Encrypt(e.to_string()))?;
    let mut out = Vec::with_capacity(plaintext.len() + 512);
    let mut w = encryptor
        .wrap_output(&mut out)
        .map_err(|e| WireError::Encrypt(e.to_string()))?;
    w.write_all(plaintext).map_err(|e| WireError::Encrypt(e.to_string()))?;
    w.finish().map_err(|e| WireError::Encrypt(e.to_string()))?;
    Ok(out)
}

/// Decrypts with any of `identities` (a center keeps its old keys after a rotation).
pub fn decrypt_with(
    identities: &[age::x25519::Identity],
    ciphertext: &[u8],
    limit: usize,
) -> Result<Vec<u8>, WireError> {
    let decryptor = age::Decryptor::new_buffered(ciphertext).map_err(|_| WireError::Decrypt)?;
    let reader = decryptor
        .decrypt(identities.iter().map(|i| i as &dyn age::Identity))
        .map_err(|_| WireError::Decrypt)?;
    let mut out = Vec::new();
    // age does not compress, but cap the read anyway so no input can make us allocate without bound.
    reader
        .take(limit as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|_| WireError::Decrypt)?;
    if out.len() > limit {
        return Err(WireError::TooLarge {
            what: "payload",
            size: out.len(),
            limit,
        });
    }
    Ok(out)
}

impl Envelope {
    /// Encrypts and signs a payload.
    pub fn seal(
        kind: Kind,
        sender: &str,
        seq: u64,
        payload: &[u8],
        recipients: &[age::x25519::Recipient],
        key: &SigningKey,
    ) -> Result<Envelope, WireError> {
        let mut env = Envelope {
            v: PROTOCOL_VERSION,
            kind,
            sender: sender.into(),
            seq,
            ciphertext: encrypt_to(recipients, payload)?,
            signature: Vec::new(),
        };
        env.sign(key);
        Ok(env)
    }

    /// (Re)computes the signature over the current kind, sender, sequence number and ciphertext.
    ///
    /// Public so a fuzzer can sign ciphertext it mutated and so reach the decryption behind the signature check.
    pub fn sign(&mut self, key: &SigningKey) {
        let digest = signed_digest(self.kind, &self.sender, self.seq, &self.ciphertext_hash());
        self.signature = key.sign(&digest).to_bytes().to_vec();
    }

    /// Seals a van's batch.
    pub fn seal_batch(
        p: &BatchPayload,
        recipients: &[age::x25519::Recipient],
        key: &SigningKey,
    ) -> Result<Envelope, WireError> {
        Self::seal(Kind::Batch, &p.van_id, p.seq, &p.to_bytes(), recipients, key)
    }

    /// Seals a center's updates for a van.
    pub fn seal_updates(
        p: &UpdatePayload,
        recipient: &age::x25519::Recipient,
        key: &SigningKey,
    ) -> Result<Envelope, WireError> {
        Self::seal(
            Kind::Updates,
            &p.center,
            p.cursor,
            &p.to_bytes(),
            std::slice::from_ref(recipient),
            key,
        )
    }

    /// The wire form: magic then CBOR.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(&cbor::to_vec(self));
        out
    }

    /// Parses the wire form (size, magic, CBOR and version checked; nothing verified yet).
    pub fn from_bytes(bytes: &[u8]) -> Result<Envelope, WireError> {
        if bytes.len() > MAX_ENVELOPE_BYTES {
            return Err(WireError::TooLarge {
                what: "envelope",
                size: bytes.len(),
                limit: MAX_ENVELOPE_BYTES,
            });
        }
        let body = bytes
            .strip_prefix(MAGIC.as_slice())
            .ok_or(WireError::NotQafila("envelope"))?;
        let env: Envelope = cbor::from_slice(body, "envelope")?;
        if env.v != PROTOCOL_VERSION {
            return Err(WireError::Version(env.v));
        }
        Ok(env)
    }

    /// SHA-256 of the ciphertext: the identity of this exact envelope.
    pub fn ciphertext_hash(&self) -> [u8; 32] {
        Sha256::digest(&self.ciphertext).into()
    }

    /// Checks the signature against the sender's key.
    pub fn verify(&self, key: &VerifyingKey) -> Result<(), WireError> {
        let what = match self.kind {
            Kind::Batch => "batch",
            Kind::Updates => "update",
            Kind::Replication => "replication",
            Kind::Appointments => "appointment list",
        };
        let sig = Signature::from_slice(&self.signature).map_err(|_| WireError::BadSignature(what))?;
        key.verify(
            &signed_digest(self.kind, &self.sender, self.seq, &self.ciphertext_hash()),
            &sig,
        )
        .map_err(|_| WireError::BadSignature(what))
    }

    /// Verifies, decrypts and parses a batch, checking the inside against the outside.
    pub fn open_batch(
        &self,
        key: &VerifyingKey,
        identities: &[age::x25519::Identity],
    ) -> Result<BatchPayload, WireError> {
        if self.kind != Kind::Batch {
            return Err(WireError::Malformed {
                what: "envelope",
                reason: "expected a batch".into(),
            });
        }
        self.verify(key)?;
        let p = BatchPayload::from_bytes(&decrypt_with(identities, &self.ciphertext, MAX_ENVELOPE_BYTES)?)?;
        check("van_id", &p.van_id, &self.sender)?;
        check("seq", &p.seq, &self.seq)?;
        Ok(p)
    }

    /// Verifies, decrypts and parses updates from a center.
    pub fn open_updates(
        &self,
        key: &VerifyingKey,
        identity: &age::x25519::Identity,
    ) -> Result<UpdatePayload, WireError> {
        if self.kind != Kind::Updates {
            return Err(WireError::Malformed {
                what: "envelope",
                reason: "expected updates".into(),
            });
        }
        self.verify(key)?;
        let p = UpdatePayload::from_bytes(&decrypt_with(
            std::slice::from_ref(identity),
            &self.ciphertext,
            MAX_ENVELOPE_BYTES,
        )?)?;
        check("center", &p.center, &self.sender)?;
        check("cursor", &p.cursor, &self.seq)?;
        Ok(p)
    }
}

impl Envelope {
    /// Seals replication data for the peer center.
    pub fn seal_replication(
        p: &ReplicationPayload,
        recipient: &age::x25519::Recipient,
        key: &SigningKey,
    ) -> Result<Envelope, WireError> {
        Self::seal(
            Kind::Replication,
            &p.center,
            p.cursor,
            &p.to_bytes(),
            std::slice::from_ref(recipient),
            key,
        )
    }

    /// Verifies, decrypts and parses replication data from the peer center.
    pub fn open_replication(
        &self,
        key: &VerifyingKey,
        identities: &[age::x25519::Identity],
    ) -> Result<ReplicationPayload, WireError> {
        if self.kind != Kind::Replication {
            return Err(WireError::Malformed {
                what: "envelope",
                reason: "expected replication".into(),
            });
        }
        self.verify(key)?;
        let p = ReplicationPayload::from_bytes(&decrypt_with(identities, &self.ciphertext, MAX_ENVELOPE_BYTES)?)?;
        check("center", &p.center, &self.sender)?;
        check("cursor", &p.cursor, &self.seq)?;
        Ok(p)
    }
}

fn check<T: PartialEq + std::fmt::Display>(field: &'static str, inside: &T, outside: &T) -> Result<(), WireError> {
    if inside == outside {
        Ok(())
    } else {
        Err(WireError::Mismatch {
            field,
            inside: inside.to_string(),
            outside: outside.to_string(),
        })
    }
}

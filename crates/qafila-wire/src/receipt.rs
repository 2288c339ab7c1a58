//! Receipts: a center's signed statement of what it holds from a van.
//!
//! The van keeps every receipt; it can verify one offline with the center's public key, show it,
//! and purge personal data once receipts cover an enrollment's heads.

use chrono::{DateTime, Utc};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use qafila_domain::ApplicationId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{WireError, cbor};

/// What the center received.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Receipt {
    /// Protocol version.
    pub v: u16,
    /// The center issuing the receipt.
    pub center: String,
    /// The van.
    pub van_id: String,
    /// First sequence number covered.
    pub seq_from: u64,
    /// Last sequence number covered.
    pub seq_to: u64,
    /// The batch acknowledged.
    pub batch_id: Uuid,
    /// Highest sequence number up to which every batch of this van is held (cumulative ack).
    pub acked_through: u64,
    /// Each document and the heads the center holds after merging.
    pub documents: Vec<DocumentReceipt>,
    /// The center's clock when it signed.
    pub server_time: DateTime<Utc>,
}

/// One document in a receipt.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DocumentReceipt {
    /// Application id.
    pub id: ApplicationId,
    /// Heads at the center after the merge.
    pub heads: Vec<String>,
    /// Where the application is routed (`rabat` or `marrakech`).
    pub routed_to: String,
}

/// A receipt and the center's signature over it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SignedReceipt {
    /// CBOR of the [`Receipt`].
    #[serde(with = "serde_bytes")]
    #[schemars(with = "Vec<u8>")]
    pub body: Vec<u8>,
    /// ed25519 signature over SHA-256(`qafila/receipt/v1` ‖ body).
    #[serde(with = "serde_bytes")]
    #[schemars(with = "Vec<u8>")]
    pub signature: Vec<u8>,
}

fn digest(body: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"qafila/receipt/v1");
    h.update(body);
    h.finalize().into()
}

impl SignedReceipt {
    /// Signs a receipt.
    pub fn sign(receipt: &Receipt, key: &SigningKey) -> SignedReceipt {
        let body = cbor::to_vec(receipt);
        let signature = key.sign(&digest(&body)).to_bytes().to_vec();
        SignedReceipt { body, signature }
    }

    /// Verifies the signature with the center's key and returns the receipt.
    pub fn verify(&self, key: &VerifyingKey) -> Result<Receipt, WireError> {
        let sig = Signature::from_slice(&self.signature).map_err(|_| WireError::BadSignature("receipt"))?;
        key.verify(&digest(&self.body), &sig)
            .map_err(|_| WireError::BadSignature("receipt"))?;
        self.receipt_unverified()
    }

    /// The receipt without checking the signature (to find the center's key first).
    pub fn receipt_unverified(&self) -> Result<Receipt, WireError> {
        cbor::from_slice(&self.body, "receipt")
    }

    /// Encodes as CBOR.
    pub fn to_bytes(&self) -> Vec<u8> {
        cbor::to_vec(self)
    }

    /// Decodes from CBOR.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, WireError> {
        cbor::from_slice(bytes, "signed receipt")
    }
}

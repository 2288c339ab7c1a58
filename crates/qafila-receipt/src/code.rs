//! The text in the QR code: `QAFILA1.<payload>.<signature>`, checkable offline with the van's key.
//!
//! `payload` is [`ReceiptClaims::encode`] and `signature` the van's ed25519 signature over
//! [`CITIZEN_RECEIPT_CONTEXT`] ‖ payload, both unpadded base64url. The context makes a receipt
//! signature useless as any other signature of the van's.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
pub use qafila_domain::signing::CITIZEN_RECEIPT_CONTEXT;

use crate::claims::ReceiptClaims;
use crate::error::ReceiptError;

/// What every receipt code starts with; the digit is the format version.
pub const CODE_PREFIX: &str = "QAFILA1";

/// A signer failure, in the signer's own words.
pub type SignerError = Box<dyn std::error::Error + Send + Sync>;

/// Who signs receipts: the van, whose ed25519 key lives in the store.
pub trait ReceiptSigner {
    /// The 32-byte ed25519 public key the signatures verify under.
    fn verifying_key(&self) -> [u8; 32];
    /// Signs `message`, which always begins with [`CITIZEN_RECEIPT_CONTEXT`].
    fn sign(&self, message: &[u8]) -> Result<[u8; 64], SignerError>;
}

impl ReceiptSigner for SigningKey {
    fn verifying_key(&self) -> [u8; 32] {
        SigningKey::verifying_key(self).to_bytes()
    }

    fn sign(&self, message: &[u8]) -> Result<[u8; 64], SignerError> {
        Ok(Signer::sign(self, message).to_bytes())
    }
}

/// The exact bytes the van signs for a payload.
pub fn signed_message(payload: &[u8]) -> Vec<u8> {
    [CITIZEN_RECEIPT_CONTEXT, payload].concat()
}

/// Encodes and signs the claims into the QR text; checks the signature before returning it, so a
/// misbehaving signer cannot put an unverifiable code on paper.
pub fn sign(claims: &ReceiptClaims, signer: &dyn ReceiptSigner) -> Result<String, ReceiptError> {
    let payload = claims.encode()?;
    let signature = signer
        .sign(&signed_message(&payload))
        .map_err(|e| ReceiptError::Signer(e.to_string()))?;
    let text = format!(
        "{CODE_PREFIX}.{}.{}",
        URL_SAFE_NO_PAD.encode(&payload),
        URL_SAFE_NO_PAD.encode(signature)
    );
    match verify(&text, &signer.verifying_key()) {
        Ok(_) => Ok(text),
        Err(_) => Err(ReceiptError::SignerMismatch),
    }
}

/// Checks a receipt code against the van's public key and returns what it states.
///
/// Leading and trailing whitespace (a scanner's newline) is ignored. The payload is parsed before
/// the signature is checked so that a damaged code says where it is damaged; nothing it states is
/// returned unless the signature holds.
pub fn verify(qr_text: &str, van_public_key: &[u8; 32]) -> Result<ReceiptClaims, ReceiptError> {
    let text = qr_text.trim();
    let rest = text
        .strip_prefix(CODE_PREFIX)
        .and_then(|r| r.strip_prefix('.'))
        .ok_or(ReceiptError::BadPrefix { expected: CODE_PREFIX })?;
    let parts: Vec<&str> = rest.split('.').collect();
    let [payload_b64, signature_b64] = parts[..] else {
        return Err(ReceiptError::BadShape { parts: parts.len() + 1 });
    };
    let payload = URL_SAFE_NO_PAD
        .decode(payload_b64)
        .map_err(|_| ReceiptError::BadBase64 { part: "payload" })?;
    let signature = URL_SAFE_NO_PAD
        .decode(signature_b64)
        .map_err(|_| ReceiptError::BadBase64 { part: "signature" })?;
    let signature: [u8; 64] = signature
        .as_slice()
        .try_into()
        .map_err(|_| ReceiptError::BadSignatureLength { len: signature.len() })?;
    let claims = ReceiptClaims::decode(&payload)?;
    let key = VerifyingKey::from_bytes(van_public_key).map_err(|_| ReceiptError::BadVanKey)?;
    // Strict verification also refuses malleable signatures and weak keys.
    key.verify_strict(&signed_message(&payload), &Signature::from_bytes(&signature))
        .map_err(|_| ReceiptError::BadSignature)?;
    Ok(claims)
}

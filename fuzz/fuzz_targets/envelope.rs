//! The batch envelope from parse to payload: magic, CBOR, version, signature, age decryption, payload decode and
//! the inside-outside checks.
//!
//! Selector 0: the bytes are an envelope, opened as received and, re-signed with the van's key, opened again so
//! mutated ciphertext reaches age rather than stopping at the signature. Selectors 1-3: the bytes are a batch,
//! updates or replication payload, sealed to the center and opened, so arbitrary plaintext reaches the payload
//! decoder through decryption.
#![no_main]

use libfuzzer_sys::fuzz_target;
use qafila_fuzz::{VAN_ID, center_identity, select, van_key};
use qafila_wire::{Envelope, Kind};

fuzz_target!(|data: &[u8]| {
    let Some((selector, rest)) = select(data) else { return };
    let key = van_key();
    let identities = [center_identity()];
    let verifying = key.verifying_key();
    // Signing and X25519 are slow under coverage instrumentation, so each run does as few as reach the code.
    let kind = match selector % 4 {
        0 => {
            let Ok(mut env) = Envelope::from_bytes(rest) else {
                return;
            };
            let _ = open(&env, &verifying, &identities);
            env.sign(&key);
            let _ = open(&env, &verifying, &identities);
            return;
        }
        1 => Kind::Batch,
        2 => Kind::Updates,
        _ => Kind::Replication,
    };
    let recipient = identities[0].to_public();
    let env = Envelope::seal(kind, VAN_ID, 1, rest, std::slice::from_ref(&recipient), &key).expect("sealing in memory");
    let back = Envelope::from_bytes(&env.to_bytes()).expect("a sealed envelope parses");
    // Whatever the payload, opening either succeeds or says why in words.
    if let Err(e) = open(&back, &verifying, &identities) {
        assert!(!e.to_string().is_empty());
    }
});

/// Opens `env` the way its kind is opened: the others would stop at the kind check.
fn open(
    env: &Envelope,
    verifying: &ed25519_dalek::VerifyingKey,
    identities: &[age::x25519::Identity],
) -> Result<(), qafila_wire::WireError> {
    match env.kind {
        Kind::Batch => env.open_batch(verifying, identities).map(drop),
        Kind::Updates => env.open_updates(verifying, &identities[0]).map(drop),
        Kind::Replication => env.open_replication(verifying, identities).map(drop),
        Kind::Appointments => env.open_appointments(verifying, &identities[0]).map(drop),
    }
}

//! Fixed keys and helpers shared by the fuzz targets and the seed generator.
//!
//! The keys are fixed so that the seed envelopes, encrypted and signed once by `examples/seeds.rs`, still open in
//! every later run: otherwise the fuzzer would never get past the signature and decryption checks.

use std::str::FromStr;

use ed25519_dalek::SigningKey;

/// The center's age identity for fuzzing (test material: it protects nothing).
pub const CENTER_IDENTITY: &str = "AGE-SECRET-KEY-1QYPQXPQ9QCRSSZG2PVXQ6RS0ZQG3YYC5Z5TPWXQERGD3C8G7RUSQGPQYEE";

/// The van id in the seed batches.
pub const VAN_ID: &str = "VAN-FUZZ";

/// The transaction id the seed RCAPTURE reply answers.
pub const TRANSACTION_ID: &str = "qafila-fuzz-1";

/// The SBI device id of the simulator that made the seed replies.
pub const DEVICE_ID: &str = "1";

/// The center's identity.
pub fn center_identity() -> age::x25519::Identity {
    age::x25519::Identity::from_str(CENTER_IDENTITY).expect("fixed age identity")
}

/// The van's (or the peer center's) signing key.
pub fn van_key() -> SigningKey {
    SigningKey::from_bytes(&[7; 32])
}

/// Splits `data` into a selector byte and the rest, so one target can reach several entry points.
pub fn select(data: &[u8]) -> Option<(u8, &[u8])> {
    data.split_first().map(|(first, rest)| (*first, rest))
}

/// Lets a panic raised inside automerge's own decoders unwind to `qafila_doc`'s guard, which turns it into an
/// error; any other panic still reaches libFuzzer's hook and counts as a crash. An automerge panic that escapes
/// the guard is still a crash too: libfuzzer-sys aborts on every unwind that reaches the target's edge.
pub fn let_decoder_panics_unwind() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let fuzzer_hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let in_decoder = info
                .location()
                .is_some_and(|at| ["/hexane-", "/automerge-"].iter().any(|c| at.file().contains(c)));
            if !in_decoder {
                fuzzer_hook(info);
            }
        }));
    });
}

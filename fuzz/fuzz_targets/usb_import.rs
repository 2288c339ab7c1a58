//! A file of a USB batch folder: its name sorted as the center's import sorts it, then its bytes opened the way
//! the import opens them (a blob decrypted and checked against its name; a batch parsed, verified and decrypted).
//! The database steps of the import are not reached here; the server's own tests cover them.
//!
//! Input: the file name, a NUL byte, then the file's contents.
#![no_main]

use libfuzzer_sys::fuzz_target;
use qafila_fuzz::{center_identity, van_key};
use qafila_wire::Envelope;
use qafila_wire::usb::{UsbFile, classify};

fuzz_target!(|data: &[u8]| {
    let Some(nul) = data.iter().position(|&b| b == 0) else {
        return;
    };
    let Ok(name) = std::str::from_utf8(&data[..nul]) else {
        return;
    };
    let contents = &data[nul + 1..];
    let identities = [center_identity()];
    match classify(name) {
        Ok(UsbFile::Blob(sha)) => {
            assert!(qafila_wire::blob::is_sha256_hex(sha));
            let _ = qafila_wire::blob::open(&identities, contents, sha);
        }
        Ok(UsbFile::Batch) => {
            if let Ok(env) = Envelope::from_bytes(contents) {
                let _ = env.open_batch(&van_key().verifying_key(), &identities);
            }
        }
        Ok(UsbFile::KeyRotation) => {
            if let Ok(s) = qafila_wire::SignedKeyRotation::from_bytes(contents) {
                let _ = s.verify();
            }
        }
        Ok(UsbFile::Other) => {}
        Err(e) => assert!(e.to_string().contains("USB blob file name")),
    }
});

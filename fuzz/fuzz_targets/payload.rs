//! The decrypted-payload decoders, fed directly: batch, updates, replication, appointment list, a
//! signed receipt, and a van's key rotation statement (which arrives in clear).
#![no_main]

use libfuzzer_sys::fuzz_target;
use qafila_fuzz::{select, van_key};
use qafila_wire::{
    BatchPayload, SignedKeyRotation, SignedReceipt, appointments::AppointmentList, batch::ReplicationPayload,
    batch::UpdatePayload,
};

fuzz_target!(|data: &[u8]| {
    let Some((selector, rest)) = select(data) else { return };
    match selector % 6 {
        0 => {
            if let Ok(p) = BatchPayload::from_bytes(rest) {
                // What decodes must encode and decode to the same thing: the digest a replay is judged by.
                let again = BatchPayload::from_bytes(&p.to_bytes()).expect("re-decoding an encoded batch");
                assert_eq!(p.digest(), again.digest());
            }
        }
        1 => {
            let _ = UpdatePayload::from_bytes(rest);
        }
        2 => {
            let _ = ReplicationPayload::from_bytes(rest);
        }
        4 => {
            let _ = AppointmentList::from_bytes(rest);
        }
        5 => {
            if let Ok(s) = SignedKeyRotation::from_bytes(rest) {
                let _ = s.verify();
            }
        }
        _ => {
            if let Ok(r) = SignedReceipt::from_bytes(rest) {
                let _ = r.verify(&van_key().verifying_key());
                let _ = r.receipt_unverified();
            }
        }
    }
});

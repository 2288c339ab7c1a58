//! An enrollment's automerge document as it arrives in a batch: loaded, read back as a record, and given more
//! changes the way the center applies a van's incremental save.
#![no_main]

use libfuzzer_sys::fuzz_target;
use qafila_doc::EnrollmentDoc;

fuzz_target!(|data: &[u8]| {
    qafila_fuzz::let_decoder_panics_unwind();
    let Ok(mut doc) = EnrollmentDoc::load(data, b"fuzz") else {
        return;
    };
    let _ = doc.record();
    let _ = doc.has_missing_deps();
    let _ = doc.apply(data);
    let _ = doc.record();
});

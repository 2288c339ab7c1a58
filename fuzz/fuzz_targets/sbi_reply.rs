//! What a fingerprint device sends back: MOSIPDISC, MOSIPDINFO and RCAPTURE reply bodies through the client's
//! own checks, and the pieces inside them (compact JWS, ISO/IEC 19794-4 finger image records and their images).
#![no_main]

use libfuzzer_sys::fuzz_target;
use qafila_fuzz::{DEVICE_ID, TRANSACTION_ID, select};
use qafila_sbi::iso19794_4::{self, Decoders};
use qafila_sbi::{CaptureRequest, Finger, SbiConfig, SbiScanner, jws};

fuzz_target!(|data: &[u8]| {
    let Some((selector, rest)) = select(data) else { return };
    match selector % 6 {
        0 => {
            let _ = qafila_sbi::parse_discovery_reply(4501, rest);
        }
        1 => {
            // A fresh scanner each time: the first key seen is remembered, and runs must not depend on each other.
            let _ = scanner().parse_info_reply(rest);
        }
        2 => {
            let request = CaptureRequest::single(Finger::RightThumb);
            let _ = scanner().parse_capture_reply(&request, TRANSACTION_ID, rest);
        }
        3 => {
            let Ok(text) = std::str::from_utf8(rest) else { return };
            let _ = jws::verify(text);
            let _ = jws::payload_unverified(text);
        }
        _ => {
            let Ok(reps) = iso19794_4::parse(rest) else { return };
            let decoders = Decoders::default();
            for rep in &reps {
                let _ = decoders.decode(rep);
            }
        }
    }
});

fn scanner() -> SbiScanner {
    SbiScanner::open(SbiConfig::default(), 4501, DEVICE_ID).expect("a client makes no request until used")
}

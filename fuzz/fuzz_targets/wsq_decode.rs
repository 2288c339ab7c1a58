//! The WSQ decoder: any bytes give an image or an error, never a panic or a runaway allocation.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(d) = qafila_wsq::decode(data) {
        assert_eq!(d.pixels.len(), d.width * d.height);
    }
});

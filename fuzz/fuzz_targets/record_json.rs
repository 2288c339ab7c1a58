//! An enrollment record as JSON (what the operator interface sends and schemas/ describes): deserialized, then
//! validated against a fixed date so runs are reproducible.
#![no_main]

use chrono::NaiveDate;
use libfuzzer_sys::fuzz_target;
use qafila_domain::Enrollment;

fuzz_target!(|data: &[u8]| {
    let Ok(record) = serde_json::from_slice::<Enrollment>(data) else {
        return;
    };
    let today = NaiveDate::from_ymd_opt(2026, 6, 1).expect("a real date");
    for problem in qafila_domain::validate(&record, today) {
        assert!(!problem.to_string().is_empty());
    }
});

//! The committed JSON Schema matches the Rust types, and the committed examples match both.
//!
//! After changing the record types, regenerate with `QAFILA_BLESS=1 cargo test -p qafila-domain --test schema`
//! and review the diff of `schemas/`.

use std::path::PathBuf;

use chrono::NaiveDate;
use qafila_domain::{Enrollment, schema::enrollment_schema, validate};

fn schemas_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../schemas")
}

#[test]
fn committed_schema_matches_the_types() {
    let path = schemas_dir().join("enrollment.schema.json");
    let generated = serde_json::to_string_pretty(&enrollment_schema()).unwrap() + "\n";
    if std::env::var_os("QAFILA_BLESS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).expect("schemas/enrollment.schema.json is committed");
    assert!(
        committed == generated,
        "schemas/enrollment.schema.json is stale: regenerate with QAFILA_BLESS=1 cargo test -p qafila-domain --test schema"
    );
    let v: serde_json::Value = serde_json::from_str(&committed).unwrap();
    assert_eq!(v["$schema"], "https://json-schema.org/draft/2020-12/schema");
}

fn examples(sub: &str) -> Vec<(PathBuf, serde_json::Value)> {
    let dir = schemas_dir().join(sub);
    let mut out: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| {
            let v = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
            (p, v)
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(!out.is_empty(), "no examples in {}", dir.display());
    out
}

#[test]
fn valid_examples_pass_schema_types_and_validation() {
    let validator = jsonschema::validator_for(&enrollment_schema()).unwrap();
    let today = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
    for (path, value) in examples("examples") {
        let errors: Vec<String> = validator
            .iter_errors(&value)
            .map(|e| format!("{} at {}", e, e.instance_path))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:?}", path.display());
        let record: Enrollment =
            serde_json::from_value(value.clone()).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let problems = validate(&record, today);
        assert!(problems.is_empty(), "{}: {problems:?}", path.display());
        // And the record serializes back to the same JSON.
        assert_eq!(serde_json::to_value(&record).unwrap(), value, "{}", path.display());
    }
}

#[test]
fn invalid_examples_fail_the_schema() {
    let validator = jsonschema::validator_for(&enrollment_schema()).unwrap();
    for (path, value) in examples("examples/invalid") {
        assert!(!validator.is_valid(&value), "{} should not validate", path.display());
        assert!(
            serde_json::from_value::<Enrollment>(value).is_err(),
            "{} should not deserialize",
            path.display()
        );
    }
}

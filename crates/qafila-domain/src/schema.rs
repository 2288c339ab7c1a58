//! JSON Schemas (2020-12) of the published records, generated from the Rust types.

use crate::record::Enrollment;

/// The schema of an enrollment record, as committed under `schemas/enrollment.schema.json`.
pub fn enrollment_schema() -> serde_json::Value {
    let mut schema = schemars::schema_for!(Enrollment).to_value();
    if let Some(obj) = schema.as_object_mut() {
        obj.insert(
            "$id".into(),
            "https://qafila.invalid/schemas/enrollment.schema.json".into(),
        );
    }
    schema
}

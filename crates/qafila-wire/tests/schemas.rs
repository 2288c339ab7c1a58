//! The committed JSON Schemas of the wire messages match the Rust types.
//!
//! Regenerate after changing a message: `QAFILA_BLESS=1 cargo test -p qafila-wire --test schemas`.

use std::path::PathBuf;

use qafila_wire::*;

fn check(name: &str, mut schema: serde_json::Value) {
    if let Some(o) = schema.as_object_mut() {
        o.insert(
            "$id".into(),
            format!("https://qafila.invalid/schemas/wire/{name}.schema.json").into(),
        );
        o.insert(
            "$comment".into(),
            "Logical structure; on the wire the message is CBOR (RFC 8949), byte strings as CBOR byte strings.".into(),
        );
    }
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("../../schemas/wire/{name}.schema.json"));
    let generated = serde_json::to_string_pretty(&schema).unwrap() + "\n";
    if std::env::var_os("QAFILA_BLESS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "{} is stale: regenerate with QAFILA_BLESS=1",
        path.display()
    );
}

#[test]
fn committed_wire_schemas_match_the_types() {
    check("envelope", schemars::schema_for!(Envelope).to_value());
    check("batch", schemars::schema_for!(BatchPayload).to_value());
    check("updates", schemars::schema_for!(UpdatePayload).to_value());
    check("replication", schemars::schema_for!(ReplicationPayload).to_value());
    check("receipt", schemars::schema_for!(Receipt).to_value());
    check("signed-receipt", schemars::schema_for!(SignedReceipt).to_value());
    check("appointments", schemars::schema_for!(AppointmentList).to_value());
    check("van-report", schemars::schema_for!(report::VanReport).to_value());
    check("key-rotation", schemars::schema_for!(KeyRotation).to_value());
    check(
        "signed-key-rotation",
        schemars::schema_for!(SignedKeyRotation).to_value(),
    );
}

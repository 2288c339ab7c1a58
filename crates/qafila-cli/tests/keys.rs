//! `qafila keys`: the van's keys for the centers, and `keys rotate` / `keys history`.

use std::path::Path;
use std::process::{Command, Output};

const OPERATOR: &str = "OP-0001";

fn qafila(store: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_qafila"))
        .arg("--store")
        .arg(store)
        .args(args)
        .env("QAFILA_PASSPHRASE", "tizi-n-test 2026")
        .env("QAFILA_NEW_PASSPHRASE", "operator two 2026")
        .env("QAFILA_OPERATOR", OPERATOR)
        .output()
        .expect("run qafila")
}

fn json(store: &Path, args: &[&str]) -> serde_json::Value {
    let out = qafila(store, args);
    assert!(
        out.status.success(),
        "qafila {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json output")
}

#[test]
fn a_supervisor_rotates_the_van_key_and_the_history_keeps_both() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let store = tmp.path().join("van");
    let init = json(
        &store,
        &["--json", "van", "init", "--van-id", "VAN-CLI", "--kdf-log-n", "10"],
    );
    let first = init["public_key"].as_str().expect("public key").to_string();
    assert_eq!(json(&store, &["keys"])["verifying_key"], first.as_str());

    // An operator may not rotate it.
    let added = qafila(&store, &["operator", "add", "OP-0002", "--role", "operator"]);
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    let refused = Command::new(env!("CARGO_BIN_EXE_qafila"))
        .arg("--store")
        .arg(&store)
        .args(["keys", "rotate", "--operator", "OP-0002"])
        .env("QAFILA_PASSPHRASE", "operator two 2026")
        .output()
        .expect("run qafila");
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("not_allowed"));

    let rotated = json(&store, &["--json", "keys", "rotate"]);
    let second = rotated["public_key"].as_str().expect("new key").to_string();
    assert_ne!(second, first);
    assert_eq!(rotated["first_batch"], 1);
    assert_eq!(json(&store, &["keys"])["verifying_key"], second.as_str());
    let history = json(&store, &["--json", "keys", "history"]);
    let keys: Vec<&str> = history
        .as_array()
        .expect("array")
        .iter()
        .map(|k| k["public_key"].as_str().expect("key"))
        .collect();
    assert_eq!(keys, [first.as_str(), second.as_str()]);
    // The journal still verifies end to end (exit 0), across the rotation.
    assert_eq!(
        json(&store, &["--json", "journal", "verify"])["breaks"],
        serde_json::json!([])
    );
}

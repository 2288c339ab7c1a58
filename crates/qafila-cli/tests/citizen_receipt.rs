//! `qafila citizen-receipt` end to end: enroll and seal a synthetic applicant, print the receipt
//! signed by the van, and check its code offline with the van's public key.

use std::path::Path;
use std::process::{Command, Output};

const OPERATOR: &str = "OP-0001";

fn qafila(store: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_qafila"))
        .arg("--store")
        .arg(store)
        .args(args)
        .env("QAFILA_PASSPHRASE", "tizi-n-test 2026")
        .env("QAFILA_OPERATOR", OPERATOR)
        .output()
        .expect("run qafila")
}

fn ok(store: &Path, args: &[&str]) -> String {
    let out = qafila(store, args);
    assert!(
        out.status.success(),
        "qafila {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

fn json(store: &Path, args: &[&str]) -> serde_json::Value {
    serde_json::from_str(&ok(store, args)).expect("json output")
}

#[test]
fn a_sealed_enrollment_gets_a_receipt_whose_code_verifies() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let store = tmp.path().join("van");
    let init = json(
        &store,
        &["--json", "van", "init", "--van-id", "VAN-CLI", "--kdf-log-n", "10"],
    );
    let key = init["public_key"].as_str().expect("public key").to_string();
    let sample_dir = tmp.path().join("sample");
    let applicant = ok(
        &store,
        &["sample", "--seed", "3", "--out", &sample_dir.display().to_string()],
    );
    let id = ok(&store, &["enroll", applicant.trim()]).trim().to_string();

    // Not sealed yet: no receipt.
    let pdf = tmp.path().join("receipt.pdf");
    let args = ["citizen-receipt", "render", "--id", &id, "--format", "thermal", "--out"];
    let early = qafila(&store, &[&args[..], &[&pdf.display().to_string()]].concat());
    assert!(!early.status.success());
    assert!(String::from_utf8_lossy(&early.stderr).contains("sealed"));

    ok(&store, &["seal", &id]);
    let rendered = json(
        &store,
        &[&["--json"], &args[..], &[&pdf.display().to_string()]].concat(),
    );
    let bytes = std::fs::read(&pdf).expect("pdf written");
    assert!(bytes.starts_with(b"%PDF-"));
    let code = rendered["qr_text"].as_str().expect("qr text");

    let claims = json(
        &store,
        &["--json", "citizen-receipt", "verify", "--van-key", &key, code],
    );
    assert_eq!(claims["valid"], true);
    assert_eq!(claims["application_id"], id.as_str());
    assert_eq!(claims["van_id"], "VAN-CLI");

    // Another van's key, or an altered code, exits 1 and says why.
    let other = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
    let bad = qafila(&store, &["citizen-receipt", "verify", "--van-key", other, code]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("bad signature"));
    let cut = &code[..code.len() - 5];
    let bad = qafila(&store, &["citizen-receipt", "verify", "--van-key", &key, cut]);
    assert_eq!(bad.status.code(), Some(1));
}

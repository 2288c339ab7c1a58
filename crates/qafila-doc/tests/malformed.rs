//! Documents the fuzzer found to crash automerge's decoder: each must be refused with an error, and applying one
//! to a good document must leave that document exactly as it was.

use qafila_doc::{DocError, EnrollmentDoc};

fn malformed() -> Vec<(String, Vec<u8>)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/malformed");
    let mut found = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("tests/malformed is committed") {
        let path = entry.expect("readable directory").path();
        let bytes = std::fs::read(&path).expect("readable input");
        found.push((path.display().to_string(), bytes));
    }
    assert!(!found.is_empty(), "no inputs under {}", dir.display());
    found
}

#[test]
fn malformed_documents_are_refused_not_fatal() {
    for (name, bytes) in malformed() {
        match EnrollmentDoc::load(&bytes, b"center") {
            Err(DocError::Malformed(_) | DocError::Automerge(_)) => {}
            Err(other) => panic!("{name}: unexpected error {other}"),
            Ok(_) => panic!("{name}: a malformed document was loaded"),
        }
    }
}

#[test]
fn malformed_changes_leave_the_document_unchanged() {
    let now = chrono::Utc::now();
    let record = qafila_domain::sample::applicant(7, "VAN-07", "OP-1", now);
    let mut doc = EnrollmentDoc::new(&record, b"van-07").expect("new document");
    let heads = doc.heads();
    let saved = doc.save();
    for (name, bytes) in malformed() {
        assert!(doc.apply(&bytes).is_err(), "{name}: malformed changes were applied");
        assert_eq!(doc.heads(), heads, "{name}: heads moved");
        assert_eq!(doc.save(), saved, "{name}: the document changed");
        assert_eq!(doc.record().expect("record"), record);
    }
}

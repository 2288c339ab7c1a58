//! Bad input: each gives a clear error naming the problem, never a panic, and nothing stored is lost.

use std::path::Path;

use qafila_domain::{BlobRef, ProblemCode};
use qafila_store::{OpenOptions, Store, StoreError, blob_refs};
use qafila_tests::{OPERATOR, PASSPHRASE, applicant, init, unlock};

fn enrolled(dir: &Path, n: u64) -> Vec<qafila_domain::ApplicationId> {
    let mut van = init(dir);
    (0..n)
        .map(|i| {
            let (r, b) = applicant(i);
            van.enroll(r, &b).unwrap()
        })
        .collect()
}

fn all_readable(dir: &Path, ids: &[qafila_domain::ApplicationId]) {
    let van = unlock(dir);
    for id in ids {
        let e = van.get(id).unwrap();
        for (r, _) in blob_refs(&e) {
            van.blob(&r).unwrap();
        }
    }
    assert!(van.verify_journal().unwrap().is_intact());
}

#[test]
fn wrong_passphrase_is_refused_and_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let ids = enrolled(tmp.path(), 2);
    let err = Store::open(tmp.path())
        .unwrap()
        .unlock(OPERATOR, "not the passphrase")
        .err()
        .unwrap();
    assert_eq!(err.code(), "wrong_passphrase");
    assert!(err.to_string().contains(OPERATOR));
    let err = Store::open(tmp.path())
        .unwrap()
        .unlock("OP-NOBODY", PASSPHRASE)
        .err()
        .unwrap();
    assert_eq!(err.code(), "unknown_operator");
    all_readable(tmp.path(), &ids);
}

#[test]
fn invalid_record_names_every_field_and_stores_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let ids = enrolled(tmp.path(), 1);
    let mut van = unlock(tmp.path());
    let before = van.verify_journal().unwrap().entries;
    let (mut r, b) = applicant(99);
    r.civil.family_name.arabic = "Bennani".into();
    r.civil.given_names.latin = "محمد".into();
    r.civil.birth_date = "2999-01-01".parse().unwrap();
    r.application.kind = qafila_domain::ApplicationKind::Renewal;
    let err = van.enroll(r, &b).unwrap_err();
    let StoreError::Invalid(problems) = &err else {
        panic!("expected Invalid, got {err}")
    };
    let fields: Vec<(&str, ProblemCode)> = problems.iter().map(|p| (p.field.as_str(), p.code)).collect();
    assert!(
        fields.contains(&("civil.family_name.arabic", ProblemCode::NotArabic)),
        "{fields:?}"
    );
    assert!(
        fields.contains(&("civil.given_names.latin", ProblemCode::NotLatin)),
        "{fields:?}"
    );
    assert!(
        fields.contains(&("civil.birth_date", ProblemCode::OutOfRange)),
        "{fields:?}"
    );
    assert!(
        fields.contains(&("application.previous_card", ProblemCode::Required)),
        "{fields:?}"
    );
    assert!(err.to_string().contains("civil.family_name.arabic"));
    assert_eq!(van.store().status_counts().unwrap().values().sum::<i64>(), 1);
    assert_eq!(van.verify_journal().unwrap().entries, before);

    // A blob the record names but nobody gave is refused too.
    let (r, mut b) = applicant(100);
    b.pop();
    assert_eq!(van.enroll(r, &b).unwrap_err().code(), "missing_blob");
    drop(van);
    all_readable(tmp.path(), &ids);
}

#[test]
fn flipped_bytes_in_one_blob_or_document_spoil_only_that_item() {
    let tmp = tempfile::tempdir().unwrap();
    let ids = enrolled(tmp.path(), 3);
    let van = unlock(tmp.path());
    let victim = van.get(&ids[1]).unwrap();
    let portrait: BlobRef = victim.portrait.clone().unwrap().blob;
    drop(van);

    let db = rusqlite::Connection::open(tmp.path().join(qafila_store::DB_FILE)).unwrap();
    // Flip one byte in the middle of every blob of that size: only the victim's portrait is 50 KB and unique.
    let blob_ids: Vec<Vec<u8>> = db
        .prepare("SELECT id FROM blobs WHERE size = 50000")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let van = unlock(tmp.path());
    let mut flipped = 0;
    for bid in &blob_ids {
        let mut data: Vec<u8> = db
            .query_row("SELECT data FROM blobs WHERE id = ?1", [bid], |r| r.get(0))
            .unwrap();
        // Find the victim's blob by trying: flip, and see whether the victim's portrait breaks.
        let mid = data.len() / 2;
        data[mid] ^= 0x40;
        db.execute("UPDATE blobs SET data = ?2 WHERE id = ?1", rusqlite::params![bid, data])
            .unwrap();
        if van.blob(&portrait).is_err() {
            flipped += 1;
            break;
        }
        data[mid] ^= 0x40;
        db.execute("UPDATE blobs SET data = ?2 WHERE id = ?1", rusqlite::params![bid, data])
            .unwrap();
    }
    assert_eq!(flipped, 1);
    let err = van.blob(&portrait).unwrap_err();
    assert_eq!(err.code(), "corrupt");
    assert!(err.to_string().contains(&portrait.0), "{err}");
    // Every other enrollment and blob is intact; the victim's record and other blobs too.
    assert!(van.get(&ids[1]).is_ok());
    for id in [ids[0], ids[2]] {
        for (r, _) in blob_refs(&van.get(&id).unwrap()) {
            van.blob(&r).unwrap();
        }
    }

    // Flip a byte in one enrollment document.
    let mut doc: Vec<u8> = db
        .query_row("SELECT doc FROM enrollments WHERE id = ?1", [ids[2].to_string()], |r| {
            r.get(0)
        })
        .unwrap();
    let n = doc.len();
    doc[n - 20] ^= 1;
    db.execute(
        "UPDATE enrollments SET doc = ?2 WHERE id = ?1",
        rusqlite::params![ids[2].to_string(), doc],
    )
    .unwrap();
    assert_eq!(van.get(&ids[2]).unwrap_err().code(), "corrupt");
    assert!(van.get(&ids[0]).is_ok());

    // Swapping two rows' documents is caught as well (each decrypts, but names the other id).
    db.execute_batch(&format!(
        "UPDATE enrollments SET doc = (SELECT doc FROM enrollments WHERE id = '{a}') WHERE id = '{b}'",
        a = ids[0],
        b = ids[1]
    ))
    .unwrap();
    assert_eq!(van.get(&ids[1]).unwrap_err().code(), "corrupt");
    assert_eq!(
        van.list(None, 0, 10).unwrap().len(),
        3,
        "the list still shows every enrollment"
    );
}

#[test]
fn truncated_database_gives_a_clear_error_not_a_panic() {
    let tmp = tempfile::tempdir().unwrap();
    enrolled(tmp.path(), 4);
    let db = tmp.path().join(qafila_store::DB_FILE);
    let len = std::fs::metadata(&db).unwrap().len();
    for keep in [0, 50, 4096, len / 2, len - 1000] {
        let copy = tempfile::tempdir().unwrap();
        let bytes = std::fs::read(&db).unwrap();
        std::fs::write(copy.path().join(qafila_store::DB_FILE), &bytes[..keep as usize]).unwrap();
        let outcome = Store::open(copy.path())
            .and_then(|s| s.unlock(OPERATOR, PASSPHRASE))
            .and_then(|van| {
                van.list(None, 0, 100)?;
                van.store().integrity_check()
            });
        match outcome {
            Err(e) => {
                assert!(
                    matches!(e.code(), "database_damaged" | "corrupt" | "not_initialised"),
                    "truncated to {keep}: unexpected error {e}"
                );
                assert!(!e.to_string().is_empty());
            }
            Ok(()) if keep == 0 => panic!("an empty file opened as a store"),
            Ok(()) => panic!("truncated to {keep} of {len} bytes and nothing noticed"),
        }
    }
}

#[test]
fn store_size_limit_reached_keeps_everything_committed() {
    let tmp = tempfile::tempdir().unwrap();
    let ids = enrolled(tmp.path(), 2);
    let size = std::fs::metadata(tmp.path().join(qafila_store::DB_FILE)).unwrap().len();
    let store = Store::open_with(
        tmp.path(),
        &OpenOptions {
            max_bytes: Some(size + 600_000),
        },
    )
    .unwrap();
    let mut van = store.unlock(OPERATOR, PASSPHRASE).unwrap();
    let mut more = Vec::new();
    let err = loop {
        let (r, b) = applicant(1000 + more.len() as u64);
        match van.enroll(r, &b) {
            Ok(id) => more.push(id),
            Err(e) => break e,
        }
        assert!(more.len() < 50, "the limit was never reached");
    };
    assert_eq!(err.code(), "disk_full", "{err}");
    assert!(err.to_string().contains("nothing was stored"));
    drop(van);
    all_readable(tmp.path(), &[ids, more].concat());
}

/// A real full file system: a 3 MB tmpfs (needs root, as in CI; elsewhere the test says so and fails).
#[test]
fn full_filesystem_keeps_everything_committed() {
    let mnt = Tmpfs::mount("3m");
    let dir = mnt.0.path().join("van");
    let mut van = init(&dir);
    let mut ids = Vec::new();
    let err = loop {
        let (r, b) = applicant(ids.len() as u64);
        match van.enroll(r, &b) {
            Ok(id) => ids.push(id),
            Err(e) => break e,
        }
        assert!(ids.len() < 100, "the file system never filled");
    };
    assert_eq!(err.code(), "disk_full", "{err}");
    assert!(!ids.is_empty());
    // Reading still works on the full disk, and everything committed is intact.
    for id in &ids {
        let e = van.get(id).unwrap();
        for (r, _) in blob_refs(&e) {
            van.blob(&r).unwrap();
        }
    }
    assert!(van.verify_journal().unwrap().is_intact());

    // Started again on the full disk (the app restarted, or killed and restarted): SQLite cannot create the
    // WAL's shared-memory file and says "disk I/O error" (SQLITE_IOERR_SHMSIZE); the operator must read that the
    // disk is full, not that the database failed.
    drop(van);
    let reopened = Store::open(&dir)
        .and_then(|s| s.unlock(OPERATOR, PASSPHRASE))
        .and_then(|mut v| {
            let (r, b) = applicant(ids.len() as u64);
            v.enroll(r, &b)
        });
    let err = reopened.expect_err("nothing can be enrolled on a full disk");
    assert_eq!(err.code(), "disk_full", "{err}");
}

/// A small tmpfs to fill, unmounted when dropped.
struct Tmpfs(tempfile::TempDir);

impl Tmpfs {
    fn mount(size: &str) -> Tmpfs {
        let dir = tempfile::tempdir().unwrap();
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            ok,
            "cannot mount a tmpfs to fill: this test needs root (CI runs as root)"
        );
        Tmpfs(dir)
    }

    /// Writes a file until the file system refuses.
    fn fill(&self) -> std::path::PathBuf {
        use std::io::Write;
        let path = self.0.path().join("filler");
        let mut f = std::fs::File::create(&path).unwrap();
        while f.write_all(&[0u8; 65536]).is_ok() {}
        path
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(self.0.path()).status();
    }
}

#[test]
fn a_van_started_on_a_full_disk_says_the_disk_is_full() {
    let mnt = Tmpfs::mount("3m");
    let dir = mnt.0.path().join("van");
    let mut van = init(&dir);
    let (r, b) = applicant(0);
    let first = van.enroll(r, &b).unwrap();
    // Closed cleanly (the WAL and its shared-memory file go), then the disk fills while the van is off.
    drop(van);
    let filler = mnt.fill();
    // SQLite cannot create the shared-memory file and says "disk I/O error" (SQLITE_IOERR_SHMSIZE); the operator
    // must read that the disk is full, not that the database failed.
    let err = Store::open(&dir)
        .and_then(|s| s.unlock(OPERATOR, PASSPHRASE))
        .and_then(|mut v| {
            let (r, b) = applicant(1);
            v.enroll(r, &b)
        })
        .expect_err("nothing can be stored on a full disk");
    assert_eq!(err.code(), "disk_full", "{err}");
    // Space freed: the van works again and lost nothing.
    std::fs::remove_file(filler).unwrap();
    let mut van = unlock(&dir);
    van.get(&first).unwrap();
    let (r, b) = applicant(1);
    van.enroll(r, &b).unwrap();
    assert!(van.verify_journal().unwrap().is_intact());
}

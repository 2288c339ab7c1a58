//! The van engine: operators, recovery, edits, drafts, search, and journal tamper detection.

use chrono::Utc;
use qafila_store::journal::Break;
use qafila_store::{InitOptions, Role, Store, StoreError, Van, sample};
use rusqlite::Connection;

const SUP: &str = "SUP-1";
const PASS: &str = "supervisor passphrase";

fn init(dir: &std::path::Path, recovery: Option<age::x25519::Recipient>) -> Van {
    Store::init(
        dir,
        InitOptions {
            van_id: "VAN-T".into(),
            operator_id: SUP.into(),
            passphrase: PASS.into(),
            recovery,
            kdf_log_n: 10,
        },
    )
    .unwrap()
}

fn enroll(van: &mut Van, seed: u64) -> qafila_domain::ApplicationId {
    let (r, b) = sample::complete(seed, "VAN-T", SUP, Utc::now());
    van.enroll(r, &b).unwrap()
}

fn db(dir: &std::path::Path) -> Connection {
    Connection::open(dir.join(qafila_store::DB_FILE)).unwrap()
}

#[test]
fn operators_are_added_and_removed_without_reencrypting() {
    let tmp = tempfile::tempdir().unwrap();
    let mut van = init(tmp.path(), None);
    let id = enroll(&mut van, 1);
    van.add_operator("OP-2", "operator two passphrase", Role::Operator)
        .unwrap();
    assert_eq!(
        van.add_operator("OP-2", "whatever passphrase", Role::Operator)
            .unwrap_err()
            .code(),
        "operator_exists"
    );
    assert_eq!(
        van.add_operator("OP-3", "short", Role::Operator).unwrap_err().code(),
        "weak_passphrase"
    );
    drop(van);

    let mut op = Store::open(tmp.path())
        .unwrap()
        .unlock("OP-2", "operator two passphrase")
        .unwrap();
    assert_eq!(op.role(), Role::Operator);
    assert_eq!(
        op.get(&id).unwrap().application.id,
        id,
        "a new operator reads existing data"
    );
    assert_eq!(op.remove_operator(SUP).unwrap_err().code(), "not_allowed");
    drop(op);

    let mut van = Store::open(tmp.path()).unwrap().unlock(SUP, PASS).unwrap();
    assert_eq!(van.remove_operator(SUP).unwrap_err().code(), "last_operator");
    van.remove_operator("OP-2").unwrap();
    drop(van);
    let err = Store::open(tmp.path())
        .unwrap()
        .unlock("OP-2", "operator two passphrase")
        .err()
        .unwrap();
    assert!(matches!(err, StoreError::UnknownOperator(_)));
    assert!(Store::open(tmp.path()).unwrap().verify_journal().unwrap().is_intact());
}

#[test]
fn the_centers_recovery_key_opens_the_van() {
    let tmp = tempfile::tempdir().unwrap();
    let recovery = age::x25519::Identity::generate();
    let mut van = init(tmp.path(), Some(recovery.to_public()));
    let id = enroll(&mut van, 2);
    drop(van);
    let van = Store::open(tmp.path())
        .unwrap()
        .unlock_with_recovery(&recovery)
        .unwrap();
    assert_eq!(van.get(&id).unwrap().application.id, id);
    let other = age::x25519::Identity::generate();
    assert!(Store::open(tmp.path()).unwrap().unlock_with_recovery(&other).is_err());
}

#[test]
fn edits_seal_and_search() {
    let tmp = tempfile::tempdir().unwrap();
    let mut van = init(tmp.path(), None);
    let a = enroll(&mut van, 10);
    let b = enroll(&mut van, 11);
    let mut r = van.get(&a).unwrap();
    r.civil.family_name.latin = "QAFILA ZZTEST".into();
    r.civil.family_name.arabic = "قافلة".into();
    van.update(r, &[]).unwrap();
    assert_eq!(van.search("zztest", 10).unwrap()[0].id, a);
    assert_eq!(van.search("قاف", 10).unwrap()[0].id, a);
    assert!(van.search("zztestx", 10).unwrap().is_empty());
    assert_eq!(van.search(&a.to_string()[..13], 10).unwrap()[0].id, a);
    // The document keeps its history: the update is one more change, not a new document.
    assert!(van.document(&a).unwrap().heads().len() == 1);

    van.seal(&b, Some((SUP, PASS))).unwrap();
    let sealed = van.get(&b).unwrap();
    assert_eq!(sealed.application.status.name(), "sealed");
    assert_eq!(sealed.sign_off.supervisor.as_ref().unwrap().by, SUP);
    // A correction after sealing is one more change; the enrollment stays sealed.
    let mut corrected = sealed.clone();
    corrected.civil.phone = Some("+212611111111".into());
    van.update(corrected, &[]).unwrap();
    assert_eq!(van.get(&b).unwrap().application.status.name(), "sealed");
    assert_eq!(van.seal(&b, None).unwrap_err().code(), "wrong_status");
    assert_eq!(
        van.seal(&a, Some((SUP, "wrong passphrase"))).unwrap_err().code(),
        "wrong_passphrase"
    );
    assert_eq!(van.list(Some("sealed"), 0, 10).unwrap().len(), 1);
    assert_eq!(van.list(None, 0, 10).unwrap().len(), 2);
}

/// A correction after sealing does not erase what was sealed: the document keeps the sealed values in its history,
/// stored on disk, and they can be read back at the heads the seal left.
#[test]
fn a_correction_after_sealing_keeps_the_sealed_values_in_history() {
    let tmp = tempfile::tempdir().expect("temporary directory");
    let mut van = init(tmp.path(), None);
    let id = enroll(&mut van, 12);
    van.seal(&id, Some((SUP, PASS))).expect("sealed");
    let sealed = van.get(&id).expect("the sealed record");
    let sealed_heads = van.document(&id).expect("its document").heads();

    let mut corrected = sealed.clone();
    corrected.civil.phone = Some("+212622222222".into());
    corrected.civil.given_names.latin = "CORRECTED".into();
    assert_ne!(corrected.civil.phone, sealed.civil.phone);
    assert_ne!(corrected.civil.given_names, sealed.civil.given_names);
    van.update(corrected, &[]).expect("a correction after sealing");
    drop(van);

    let van = Store::open(tmp.path())
        .expect("opens")
        .unlock(SUP, PASS)
        .expect("unlocks");
    let now = van.get(&id).expect("the corrected record");
    assert_eq!(now.civil.phone.as_deref(), Some("+212622222222"));
    assert_eq!(now.civil.given_names.latin, "CORRECTED");
    let mut doc = van.document(&id).expect("its document");
    assert_ne!(doc.heads(), sealed_heads);
    // Exactly one change after the seal: the correction, not a rewritten document.
    assert_eq!(doc.automerge().get_changes(&sealed_heads).len(), 1);
    // The document as it was at the seal, rebuilt from the stored history.
    let mut at_seal = doc
        .automerge()
        .fork_at(&sealed_heads)
        .expect("the sealed heads are in the history");
    let then = qafila_doc::EnrollmentDoc::load(&at_seal.save(), b"reader")
        .expect("loads")
        .record()
        .expect("a record");
    assert_eq!(
        then, sealed,
        "the values from before the correction read back unchanged"
    );
}

#[test]
fn drafts_survive_and_are_removed_on_enroll() {
    let tmp = tempfile::tempdir().unwrap();
    let mut van = init(tmp.path(), None);
    let (r, b) = sample::complete(20, "VAN-T", SUP, Utc::now());
    let id = r.application.id.to_string();
    van.save_draft(&id, &serde_json::json!({"civil": {"family_name": {"latin": "HALF"}}}))
        .unwrap();
    van.save_draft(
        &id,
        &serde_json::json!({"civil": {"family_name": {"latin": "HALF TYPED"}}}),
    )
    .unwrap();
    drop(van);
    let mut van = Store::open(tmp.path()).unwrap().unlock(SUP, PASS).unwrap();
    let drafts = van.drafts().unwrap();
    assert_eq!(drafts.len(), 1);
    assert_eq!(drafts[0].data["civil"]["family_name"]["latin"], "HALF TYPED");
    van.enroll(r, &b).unwrap();
    assert!(van.drafts().unwrap().is_empty());
}

fn tampered(f: impl FnOnce(&Connection)) -> Vec<Break> {
    let tmp = tempfile::tempdir().unwrap();
    let mut van = init(tmp.path(), None);
    for seed in 0..4 {
        enroll(&mut van, seed);
    }
    drop(van);
    assert!(Store::open(tmp.path()).unwrap().verify_journal().unwrap().is_intact());
    f(&db(tmp.path()));
    Store::open(tmp.path()).unwrap().verify_journal().unwrap().breaks
}

#[test]
fn journal_names_deleted_entries() {
    let breaks = tampered(|db| {
        db.execute("DELETE FROM journal WHERE seq = 3", []).unwrap();
    });
    assert!(breaks.contains(&Break::Missing { after: 2, before: 4 }), "{breaks:?}");
}

#[test]
fn journal_names_altered_entries() {
    let breaks = tampered(|db| {
        db.execute("UPDATE journal SET action = 'purge' WHERE seq = 4", [])
            .unwrap();
    });
    assert_eq!(breaks, vec![Break::Altered { seq: 4 }]);
}

#[test]
fn journal_names_reordered_entries() {
    let breaks = tampered(|db| {
        db.execute_batch(
            "UPDATE journal SET seq = -1 WHERE seq = 3; UPDATE journal SET seq = 3 WHERE seq = 4; UPDATE journal SET seq = 4 WHERE seq = -1;",
        )
        .unwrap();
    });
    assert!(
        breaks
            .iter()
            .any(|b| matches!(b, Break::BrokenLink { seq: 3 } | Break::Altered { seq: 3 })),
        "{breaks:?}"
    );
    assert!(
        breaks
            .iter()
            .any(|b| matches!(b, Break::BrokenLink { seq: 4 } | Break::Altered { seq: 4 })),
        "{breaks:?}"
    );
}

#[test]
fn journal_names_truncation_and_forged_signatures() {
    let breaks = tampered(|db| {
        db.execute("DELETE FROM journal WHERE seq >= 4", []).unwrap();
    });
    assert!(
        breaks.contains(&Break::Truncated { last: 3, expected: 5 }),
        "{breaks:?}"
    );
    let breaks = tampered(|db| {
        db.execute("UPDATE journal SET sig = zeroblob(64) WHERE seq = 2", [])
            .unwrap();
    });
    assert_eq!(breaks, vec![Break::BadSignature { seq: 2 }]);
}

#[test]
fn the_van_key_signs_citizen_receipts_and_nothing_else() {
    use ed25519_dalek::Verifier;
    let tmp = tempfile::tempdir().unwrap();
    let van = init(tmp.path(), None);
    let message = [qafila_domain::signing::CITIZEN_RECEIPT_CONTEXT, b"payload"].concat();
    let sig = van.sign_citizen_receipt(&message).unwrap();
    let key = van.store().public_key().unwrap();
    key.verify(&message, &ed25519_dalek::Signature::from_bytes(&sig))
        .unwrap();
    // A journal-style 32-byte digest, or any other message, is refused.
    assert_eq!(van.sign_citizen_receipt(&[0; 32]).unwrap_err().code(), "not_a_receipt");
    assert_eq!(
        van.sign_citizen_receipt(b"qafila/envelope/v1").unwrap_err().code(),
        "not_a_receipt"
    );
}

/// The signature on journal entry `seq`, checked against `key`.
fn entry_signed_by(dir: &std::path::Path, seq: i64, key: &ed25519_dalek::VerifyingKey) -> bool {
    use ed25519_dalek::Verifier;
    let (hash, sig): (Vec<u8>, Vec<u8>) = db(dir)
        .query_row("SELECT hash, sig FROM journal WHERE seq = ?1", [seq], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    ed25519_dalek::Signature::from_slice(&sig).is_ok_and(|s| key.verify(&hash, &s).is_ok())
}

fn last_seq(dir: &std::path::Path) -> i64 {
    db(dir)
        .query_row("SELECT max(seq) FROM journal", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn the_journal_verifies_across_key_rotations() {
    let tmp = tempfile::tempdir().unwrap();
    let mut van = init(tmp.path(), None);
    let first = van.store().public_key().unwrap();
    enroll(&mut van, 1);
    let epoch = van.rotate_key().unwrap();
    let second = van.store().public_key().unwrap();
    assert_ne!(first, second);
    assert_eq!(epoch.public_key, hex::encode(second.as_bytes()));
    assert_eq!((epoch.n, epoch.first_batch), (2, 1));
    // The entry recording the rotation is the old key's last; the next one is the new key's first.
    let rotation = epoch.journal_seq - 1;
    assert!(entry_signed_by(tmp.path(), rotation, &first));
    assert!(!entry_signed_by(tmp.path(), rotation, &second));
    enroll(&mut van, 2);
    assert!(entry_signed_by(tmp.path(), epoch.journal_seq, &second));
    assert!(!entry_signed_by(tmp.path(), epoch.journal_seq, &first));
    let report = van.verify_journal().unwrap();
    assert!(report.is_intact(), "{:?}", report.breaks);

    // The new key is the one a later unlock takes up, and a second rotation chains on.
    drop(van);
    let mut van = Store::open(tmp.path()).unwrap().unlock(SUP, PASS).unwrap();
    assert_eq!(van.store().public_key().unwrap(), second);
    van.rotate_key().unwrap();
    enroll(&mut van, 3);
    let history = van.store().key_history().unwrap();
    assert_eq!(history.len(), 3);
    assert_eq!(history[0].public_key, hex::encode(first.as_bytes()));
    assert_eq!(history[1].public_key, hex::encode(second.as_bytes()));
    assert!(van.verify_journal().unwrap().is_intact());
    assert!(Store::open(tmp.path()).unwrap().verify_journal().unwrap().is_intact());

    // Each statement for the centers hands one key to the next, signed by both.
    let statements = van.rotation_statements().unwrap();
    assert_eq!(statements.len(), 2);
    for (s, pair) in statements.iter().zip(history.windows(2)) {
        let r = qafila_wire::SignedKeyRotation::from_bytes(s).unwrap().verify().unwrap();
        assert_eq!(r.van_id, "VAN-T");
        assert_eq!(hex::encode(&r.old_key), pair[0].public_key);
        assert_eq!(hex::encode(&r.new_key), pair[1].public_key);
    }
}

#[test]
fn a_forged_key_rotation_breaks_the_journal() {
    let rotated = || {
        let tmp = tempfile::tempdir().unwrap();
        let mut van = init(tmp.path(), None);
        enroll(&mut van, 1);
        let epoch = van.rotate_key().unwrap();
        enroll(&mut van, 2);
        drop(van);
        assert!(Store::open(tmp.path()).unwrap().verify_journal().unwrap().is_intact());
        (tmp, epoch.journal_seq - 1)
    };
    let breaks = |dir: &std::path::Path| Store::open(dir).unwrap().verify_journal().unwrap().breaks;
    let intruder = hex::encode(
        ed25519_dalek::SigningKey::from_bytes(&[7; 32])
            .verifying_key()
            .as_bytes(),
    );

    // The rotation entry rewritten to hand over to another key: it no longer matches its hash, the old
    // key stays in force, and the entries the real new key signed fail.
    let (tmp, rotation) = rotated();
    db(tmp.path())
        .execute(
            "UPDATE journal SET detail = ?1 WHERE seq = ?2",
            rusqlite::params![format!("{intruder} from batch 1"), rotation],
        )
        .unwrap();
    let b = breaks(tmp.path());
    assert!(b.contains(&Break::Altered { seq: rotation }), "{b:?}");
    assert!(b.contains(&Break::BadSignature { seq: rotation + 1 }), "{b:?}");

    // The rotation entry removed: the entries after it are not the old key's.
    let (tmp, rotation) = rotated();
    db(tmp.path())
        .execute("UPDATE journal SET action = 'export' WHERE seq = ?1", [rotation])
        .unwrap();
    let b = breaks(tmp.path());
    assert!(b.contains(&Break::Altered { seq: rotation }), "{b:?}");

    // The van's key swapped for one no rotation in the journal hands over to.
    let (tmp, _) = rotated();
    let last = last_seq(tmp.path());
    db(tmp.path())
        .execute(
            "UPDATE meta SET value = ?1 WHERE key = 'van_public_key'",
            [hex::decode(&intruder).unwrap()],
        )
        .unwrap();
    assert_eq!(breaks(tmp.path()), vec![Break::KeyNotHandedOver { last }]);
}

#[test]
fn only_a_supervisor_rotates_the_van_key() {
    let tmp = tempfile::tempdir().unwrap();
    let mut van = init(tmp.path(), None);
    van.add_operator("OP-2", "operator two passphrase", Role::Operator)
        .unwrap();
    let key = van.store().public_key().unwrap();
    drop(van);
    let mut op = Store::open(tmp.path())
        .unwrap()
        .unlock("OP-2", "operator two passphrase")
        .unwrap();
    let before = last_seq(tmp.path());
    let err = op.rotate_key().unwrap_err();
    assert_eq!(err.code(), "not_allowed", "{err}");
    assert!(err.to_string().contains("rotate"), "{err}");
    // Nothing changed: same key, one key in the history, no journal entry, no statement.
    assert_eq!(op.store().public_key().unwrap(), key);
    assert_eq!(op.store().key_history().unwrap().len(), 1);
    assert_eq!(last_seq(tmp.path()), before);
    assert!(op.rotation_statements().unwrap().is_empty());
}

#[test]
fn a_second_handle_takes_up_the_rotated_key() {
    let tmp = tempfile::tempdir().unwrap();
    let mut van = init(tmp.path(), None);
    let mut other = van.second_handle().unwrap();
    van.rotate_key().unwrap();
    // The other handle still held the old key: its next journal entry must be signed by the new one.
    enroll(&mut other, 1);
    other.save_draft("draft-1", &serde_json::json!({})).unwrap();
    let report = van.verify_journal().unwrap();
    assert!(report.is_intact(), "{:?}", report.breaks);
    assert_eq!(
        other.sign_request("GET", "/", b""),
        van.sign_request("GET", "/", b""),
        "both handles sign requests with the new key"
    );
}

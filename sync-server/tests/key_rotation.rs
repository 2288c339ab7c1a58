//! A van's key rotates, over real HTTP, against SQLite and PostgreSQL: the van proves the rotation
//! in-band at its next sync, a batch it built before rotating is still delivered (and replays still
//! get their receipts), everything arrives exactly once and stays readable; whoever kept only the old
//! key can send no new batch, no signed request and no rotation of their own; a statement signed by a
//! wrong key is refused, and so is any rotation of a revoked van.

mod common;

use std::sync::Arc;

use chrono::Utc;
use ed25519_dalek::SigningKey;
use qafila_server::db::CenterDb;
#[cfg(feature = "postgres")]
use qafila_server::postgres::PgDb;
use qafila_server::sqlite::SqliteDb;
use qafila_store::{InitOptions, Store, Van, sample};
use qafila_sync::{SyncError, SyncOptions, sync_once};
use qafila_wire::{KeyRotation, SignedKeyRotation, request};
use reqwest::StatusCode;

const VAN: &str = "VAN-07";

fn opts() -> SyncOptions {
    SyncOptions {
        attempts: 2,
        ..SyncOptions::default()
    }
}

/// Enrolls and seals a sample applicant; returns its id and family name.
fn enroll_sealed(van: &mut Van, seed: u64) -> (qafila_domain::ApplicationId, String) {
    let (record, blobs) = sample::complete(seed, VAN, "SUP", Utc::now());
    let name = record.civil.family_name.latin.clone();
    let id = van.enroll(record, &blobs).expect("enroll");
    van.seal(&id, None).expect("seal");
    (id, name)
}

/// A copy of the van's store as it is now: what a thief who copied the disk (and knows a passphrase) holds.
fn copy_store(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).expect("thief dir");
    for entry in std::fs::read_dir(from).expect("van dir") {
        let entry = entry.expect("entry");
        std::fs::copy(entry.path(), to.join(entry.file_name())).expect("copy");
    }
}

async fn post(s: &common::Server, path: &str, body: Vec<u8>) -> (StatusCode, String) {
    let resp = s
        .http
        .post(format!("{}{path}", s.url))
        .body(body)
        .send()
        .await
        .expect("request");
    (resp.status(), resp.text().await.unwrap_or_default())
}

async fn signed_get(s: &common::Server, van: &Van, path: &str) -> StatusCode {
    s.http
        .get(format!("{}{path}", s.url))
        .header(request::SENDER, VAN)
        .header(request::SIGNATURE, van.sign_request("GET", path, b""))
        .send()
        .await
        .expect("request")
        .status()
}

fn refused_code(e: SyncError) -> (u16, String) {
    match e {
        SyncError::Refused { status, code, .. } => (status, code),
        other => panic!("expected a refusal, got {other}"),
    }
}

async fn story(db: Arc<dyn CenterDb>) {
    let tmp = tempfile::tempdir().expect("temporary directory");
    let s = common::start_on(db).await;
    let mut van = common::van(tmp.path(), &s).await;
    let old_key = van.store().public_key().expect("key");

    // Before the rotation: batch 1 is delivered.
    let (a, a_name) = enroll_sealed(&mut van, 1);
    // Built now, so its bytes can be replayed later: the sync sends these very bytes.
    let batch1 = van.next_batch(100).expect("build").expect("batch 1");
    let report = sync_once(&mut van, &s.url, &opts(), &mut |_| {})
        .await
        .expect("first sync");
    assert_eq!(report.batches, 1);
    let receipt1 = s
        .center
        .db()
        .batch(VAN, 1)
        .await
        .expect("batch")
        .expect("batch 1 held")
        .receipt;

    // Batch 2 is built (signed by the old key) but not sent, and a thief copies the disk.
    let (b, b_name) = enroll_sealed(&mut van, 2);
    let built = van.next_batch(100).expect("build").expect("batch 2");
    assert_eq!(built.seq, 2);
    let thief_dir = tmp.path().join("thief");
    copy_store(&tmp.path().join("van"), &thief_dir);

    // The supervisor rotates the key; the new key signs from batch 3.
    let epoch = van.rotate_key().expect("rotate");
    assert_eq!(epoch.first_batch, 3);
    let new_key = van.store().public_key().expect("key");
    assert_ne!(new_key, old_key);
    let (c, c_name) = enroll_sealed(&mut van, 3);

    // The next sync proves the rotation, then delivers the old batch 2 and the new batch 3.
    let report = sync_once(&mut van, &s.url, &opts(), &mut |_| {})
        .await
        .expect("sync after rotation");
    assert_eq!((report.key_rotations, report.batches, report.documents), (1, 2, 2));
    let registered = s.center.db().van(VAN).await.expect("van").expect("registered");
    assert_eq!(registered.verifying_key, new_key.as_bytes().to_vec());
    let retired = s.center.db().retired_van_keys(VAN).await.expect("retired keys");
    assert_eq!(retired.len(), 1);
    assert_eq!(
        (&retired[0].verifying_key, &retired[0].successor, retired[0].until_seq),
        (&old_key.as_bytes().to_vec(), &new_key.as_bytes().to_vec(), 3)
    );
    let status = van.sync_status().expect("status");
    assert_eq!((status.batches_unreceipted, status.receipts), (0, 3));
    assert!(van.verify_journal().expect("journal").is_intact());

    // A sync with nothing new sends the statement again (a no-op) and no batch.
    let report = sync_once(&mut van, &s.url, &opts(), &mut |_| {})
        .await
        .expect("idle sync");
    assert_eq!((report.key_rotations, report.batches), (1, 0));

    // Exactly once: three batches, three documents, and replays of the old-key batches get their receipts.
    let counts = s.center.db().counts("rabat").await.expect("counts");
    assert_eq!((counts.batches, counts.documents), (3, 3));
    let resp = s
        .http
        .post(format!("{}/v1/batches", s.url))
        .body(batch1.envelope.clone())
        .send()
        .await
        .expect("replay");
    assert_eq!(
        resp.status(),
        StatusCode::OK,
        "a replay of batch 1 (old key) gets its receipt"
    );
    assert_eq!(
        resp.bytes().await.expect("receipt").to_vec(),
        receipt1,
        "the original receipt"
    );
    let resp = s
        .http
        .post(format!("{}/v1/batches", s.url))
        .body(built.envelope.clone())
        .send()
        .await
        .expect("replay");
    assert_eq!(
        resp.status(),
        StatusCode::OK,
        "a replay of batch 2 (old key) gets its receipt"
    );
    let receipt2 = resp.bytes().await.expect("receipt").to_vec();
    let counts = s.center.db().counts("rabat").await.expect("counts");
    assert_eq!((counts.batches, counts.documents), (3, 3), "replays store nothing");

    // Old and new data are readable at the center.
    for (id, name) in [(&a, &a_name), (&b, &b_name), (&c, &c_name)] {
        let (record, _, _) = s
            .center
            .enrollment(&id.to_string())
            .await
            .expect("enrollment at the center");
        assert_eq!(&record.civil.family_name.latin, name);
        let portrait = record.portrait.expect("portrait").blob;
        let plain = s.center.blob_plain(&portrait.0).await.expect("portrait decrypts");
        assert!(!plain.is_empty());
    }

    // The thief, holding only the old key, sends a batch numbered from the rotation on: refused.
    let mut thief = Store::open(&thief_dir)
        .expect("thief store")
        .unlock("SUP", "van passphrase")
        .expect("the thief unlocks the copy");
    let copied = thief
        .next_batch(100)
        .expect("thief batch")
        .expect("batch 2 in the copy");
    assert_eq!(
        copied.envelope, built.envelope,
        "the copy holds the same batch 2, byte for byte"
    );
    thief
        .apply_receipt(&receipt2)
        .expect("the thief takes batch 2's receipt");
    enroll_sealed(&mut thief, 4);
    let stolen = thief.next_batch(100).expect("thief builds").expect("thief batch 3");
    assert_eq!(stolen.seq, 3);
    let (st, body) = post(&s, "/v1/batches", stolen.envelope.clone()).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{body}");
    assert!(body.contains("retired_key"), "{body}");
    // And under a number nobody used yet (its batch 3 marked sent by hand, so the copy builds batch 4).
    let db = rusqlite::Connection::open(thief_dir.join(qafila_store::DB_FILE)).expect("thief db");
    db.execute(
        "UPDATE outbox SET receipted_at = '2030-01-01T00:00:00Z' WHERE seq = 3",
        [],
    )
    .expect("the thief marks its batch 3 sent");
    drop(db);
    enroll_sealed(&mut thief, 5);
    let stolen = thief.next_batch(100).expect("thief builds").expect("thief batch 4");
    assert_eq!(stolen.seq, 4);
    let (st, body) = post(&s, "/v1/batches", stolen.envelope.clone()).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{body}");
    assert!(body.contains("retired_key"), "{body}");
    assert!(s.center.db().batch(VAN, 4).await.expect("batch").is_none());
    let counts = s.center.db().counts("rabat").await.expect("counts");
    assert_eq!(
        (counts.batches, counts.documents),
        (3, 3),
        "nothing of the thief's is stored"
    );

    // Signed requests take only the current key.
    let updates = format!("/v1/vans/{VAN}/updates?since=0");
    assert_eq!(signed_get(&s, &thief, &updates).await, StatusCode::FORBIDDEN);
    assert!(signed_get(&s, &van, &updates).await.is_success());
    let appointments = format!("/v1/vans/{VAN}/appointments");
    assert_eq!(signed_get(&s, &thief, &appointments).await, StatusCode::FORBIDDEN);

    // The thief cannot rotate the van to a key of their own: the old key was handed over already.
    thief.rotate_key().expect("the copy rotates locally");
    let theirs = thief.rotation_statements().expect("statements").pop().expect("one");
    let (st, body) = post(&s, &format!("/v1/vans/{VAN}/key"), theirs).await;
    assert_eq!(st, StatusCode::CONFLICT, "{body}");
    assert!(body.contains("key_conflict"), "{body}");

    // A statement signed by a wrong key is refused: keys nobody registered, or the van's current key
    // named but another key signing for it.
    let (x, y) = (SigningKey::from_bytes(&[0x11; 32]), SigningKey::from_bytes(&[0x22; 32]));
    let strangers = KeyRotation::new(VAN, &x.verifying_key(), &y.verifying_key(), 9, Utc::now());
    let (st, body) = post(
        &s,
        &format!("/v1/vans/{VAN}/key"),
        SignedKeyRotation::sign(&strangers, &x, &y).to_bytes(),
    )
    .await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{body}");
    assert!(body.contains("bad_signature"), "{body}");
    let impostor = KeyRotation::new(VAN, &new_key, &y.verifying_key(), 9, Utc::now());
    let (st, body) = post(
        &s,
        &format!("/v1/vans/{VAN}/key"),
        SignedKeyRotation::sign(&impostor, &x, &y).to_bytes(),
    )
    .await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{body}");
    assert!(body.contains("bad_signature"), "{body}");
    // A statement for another van than the path names is refused too.
    let ours = van.rotation_statements().expect("statements").pop().expect("one");
    let (st, body) = post(&s, "/v1/vans/VAN-99/key", ours.clone()).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("mismatch"), "{body}");
    let registered = s.center.db().van(VAN).await.expect("van").expect("registered");
    assert_eq!(
        registered.verifying_key,
        new_key.as_bytes().to_vec(),
        "the van's key is unchanged"
    );

    // A revoked van cannot rotate.
    let other_dir = tmp.path().join("van-08");
    let mut other = Store::init(
        &other_dir,
        InitOptions {
            van_id: "VAN-08".into(),
            operator_id: "SUP".into(),
            passphrase: "van passphrase".into(),
            recovery: None,
            kdf_log_n: 10,
        },
    )
    .expect("init van 08");
    let info = s.center.keys().public_info();
    other
        .add_center(&info.center, &info.verifying_key, &info.recipient)
        .expect("center");
    let other_key = other.store().public_key().expect("key");
    s.center
        .register_van(
            "VAN-08",
            &hex::encode(other_key.as_bytes()),
            &other.update_recipient().expect("recipient"),
        )
        .await
        .expect("register");
    s.center
        .db()
        .revoke_van("VAN-08", &Utc::now().to_rfc3339())
        .await
        .expect("revoke");
    other.rotate_key().expect("rotates locally");
    let e = sync_once(&mut other, &s.url, &opts(), &mut |_| {})
        .await
        .expect_err("a revoked van's rotation is refused");
    assert_eq!(refused_code(e), (403, "revoked_van".to_owned()));
    let rec = s.center.db().van("VAN-08").await.expect("van").expect("registered");
    assert_eq!(rec.verifying_key, other_key.as_bytes().to_vec());
    assert!(
        s.center
            .db()
            .retired_van_keys("VAN-08")
            .await
            .expect("retired")
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_rotation_travels_on_a_usb_stick_before_the_batches_it_signs() {
    let tmp = tempfile::tempdir().expect("temporary directory");
    let s = common::start(tmp.path()).await;
    let mut van = common::van(tmp.path(), &s).await;
    enroll_sealed(&mut van, 1);
    let built = van.next_batch(100).expect("build").expect("batch 1");
    van.rotate_key().expect("rotate");
    let new_key = van.store().public_key().expect("key");

    // The first stick: batch 1 (old key) and the statement. Both are taken.
    let stick = tmp.path().join("usb-1");
    let path = van.export_batch(&stick, 100).expect("export").expect("batch 1 file");
    assert_eq!(std::fs::read(&path).expect("batch file"), built.envelope);
    assert!(stick.join("key-VAN-07-000002.qafila-key").exists());
    let report = qafila_server::usb::import(&s.center, &stick).await.expect("import");
    assert_eq!(
        (report.key_rotations, report.accepted, report.refused),
        (1, 1, 0),
        "{:?}",
        report.lines
    );
    let receipt = std::fs::read(path.with_extension("receipt")).expect("receipt file");
    van.apply_receipt(&receipt).expect("receipt");

    // The second stick: batch 2, signed by the new key, which the center knows now.
    enroll_sealed(&mut van, 2);
    let stick = tmp.path().join("usb-2");
    van.export_batch(&stick, 100).expect("export").expect("batch 2 file");
    let report = qafila_server::usb::import(&s.center, &stick).await.expect("import");
    assert_eq!(
        (report.key_rotations, report.accepted, report.refused),
        (1, 1, 0),
        "{:?}",
        report.lines
    );
    let registered = s.center.db().van(VAN).await.expect("van").expect("registered");
    assert_eq!(registered.verifying_key, new_key.as_bytes().to_vec());
    let counts = s.center.db().counts("rabat").await.expect("counts");
    assert_eq!((counts.batches, counts.documents), (2, 2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_signed_by_a_new_key_is_refused_until_the_rotation_is_known() {
    let tmp = tempfile::tempdir().expect("temporary directory");
    let s = common::start(tmp.path()).await;
    let mut van = common::van(tmp.path(), &s).await;
    van.rotate_key().expect("rotate");
    enroll_sealed(&mut van, 1);
    let batch = van.next_batch(100).expect("build").expect("batch 1");
    // Without the statement the center knows only the old key: the new key's batch is not the van's.
    let (st, body) = post(&s, "/v1/batches", batch.envelope.clone()).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{body}");
    assert!(body.contains("bad_signature"), "{body}");
    // The sync sends the statement first, and the same batch goes through.
    let report = sync_once(&mut van, &s.url, &opts(), &mut |_| {}).await.expect("sync");
    assert_eq!((report.key_rotations, report.batches), (1, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotated_van_delivers_everything_once_and_the_old_key_sends_nothing_new_sqlite() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let db = SqliteDb::open(&dir.path().join("center.db")).expect("open");
    story(Arc::new(db)).await;
}

// Without the feature there is no PostgreSQL backend to test.
#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotated_van_delivers_everything_once_and_the_old_key_sends_nothing_new_postgres() {
    let pg = common::ScratchPostgres::create("keys").await;
    let db = PgDb::connect(&pg.url).await.expect("connect");
    story(Arc::new(db)).await;
    pg.drop_database().await;
}

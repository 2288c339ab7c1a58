//! Bad input at a center: each is refused with a clear code, over real HTTP, and nothing is stored.

use std::sync::Arc;

use chrono::Utc;
use ed25519_dalek::SigningKey;
use qafila_doc::EnrollmentDoc;
use qafila_server::center::Center;
use qafila_server::config::Routing;
use qafila_server::db::CenterDb;
use qafila_server::keys::CenterKeys;
use qafila_server::sqlite::SqliteDb;
use qafila_wire::{BatchPayload, BlobManifest, DocumentChanges, Envelope, PROTOCOL_VERSION, blob, envelope};

const VAN: &str = "VAN-X";

struct Setup {
    center: Arc<Center>,
    url: String,
    van_key: SigningKey,
    recipients: Vec<age::x25519::Recipient>,
    http: reqwest::Client,
}

async fn setup(dir: &std::path::Path) -> Setup {
    let db = SqliteDb::open(&dir.join("c.db")).unwrap();
    db.migrate().await.unwrap();
    let keys = CenterKeys::generate("rabat").unwrap();
    let other = age::x25519::Identity::generate();
    let recipients = vec![keys.recipient(), other.to_public()];
    let center = Arc::new(Center::new(keys, Arc::new(db), Routing::default(), vec![]));
    let van_key = SigningKey::from_bytes(&[7; 32]);
    let update = age::x25519::Identity::generate().to_public().to_string();
    center
        .register_van(VAN, &hex::encode(van_key.verifying_key().as_bytes()), &update)
        .await
        .unwrap();
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    let app = qafila_server::http::router(center.clone());
    tokio::spawn(async move { axum::serve(l, app).await });
    Setup {
        center,
        url,
        van_key,
        recipients,
        http: reqwest::Client::new(),
    }
}

/// A payload with one enrollment built as a van would, and the blobs it needs.
fn payload(seq: u64, seed: u64, edit: impl FnOnce(&mut qafila_domain::Enrollment)) -> (BatchPayload, Vec<Vec<u8>>) {
    let (mut record, blobs) = qafila_store::sample::complete(seed, VAN, "OP", Utc::now());
    record.application.status = qafila_domain::Status::Sealed;
    record.sign_off.operator = Some(qafila_domain::Signature {
        by: "OP".into(),
        at: Utc::now(),
    });
    edit(&mut record);
    let mut doc = EnrollmentDoc::new(&record, b"van-x").unwrap();
    let manifest = blobs
        .iter()
        .map(|b| BlobManifest {
            sha256: qafila_store::keys::sha256_hex(b),
            size: b.len() as u64,
        })
        .collect();
    let p = BatchPayload {
        v: PROTOCOL_VERSION,
        van_id: VAN.into(),
        seq,
        batch_id: uuid::Uuid::now_v7(),
        van_clock: Utc::now(),
        van_counter: seq,
        documents: vec![DocumentChanges {
            id: record.application.id,
            since: vec![],
            changes: doc.save(),
            heads: doc.heads_hex(),
            blobs: manifest,
        }],
    };
    (p, blobs)
}

impl Setup {
    async fn upload(&self, plain: &[u8]) {
        let sha = qafila_store::keys::sha256_hex(plain);
        let t = envelope::encrypt_to(&self.recipients, plain).unwrap();
        self.center
            .blob_chunk(&sha, 0, t.len() as i64, &blob::chunk_checksum(&t), &t)
            .await
            .unwrap();
    }

    async fn post(&self, body: Vec<u8>) -> (u16, serde_json::Value) {
        let r = self
            .http
            .post(format!("{}/v1/batches", self.url))
            .body(body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let bytes = r.bytes().await.unwrap();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
        )
    }

    async fn refused(&self, body: Vec<u8>, status: u16, code: &str) {
        let (s, v) = self.post(body).await;
        assert_eq!((s, v["code"].as_str().unwrap_or("")), (status, code), "{v}");
        assert!(!v["message"].as_str().unwrap_or("").is_empty());
    }

    async fn stored(&self) -> (i64, i64, i64) {
        let c = self.center.db().counts("rabat").await.unwrap();
        (c.batches, c.documents, c.blobs)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_bad_input_is_refused_and_nothing_is_stored() {
    let tmp = tempfile::tempdir().unwrap();
    let s = setup(tmp.path()).await;

    // The good batch first: 202 until its blobs are here, then a receipt; a replay gets the same receipt.
    let (good, blobs) = payload(1, 1, |_| {});
    let env = Envelope::seal_batch(&good, &s.recipients, &s.van_key)
        .unwrap()
        .to_bytes();
    let (status, v) = s.post(env.clone()).await;
    assert_eq!(status, 202);
    assert_eq!(v["missing_blobs"].as_array().unwrap().len(), 11);
    for b in &blobs {
        s.upload(b).await;
    }
    let first = s
        .http
        .post(format!("{}/v1/batches", s.url))
        .body(env.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(first.status().as_u16(), 200);
    let receipt = first.bytes().await.unwrap();
    let again = s
        .http
        .post(format!("{}/v1/batches", s.url))
        .body(env.clone())
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(receipt, again, "a replay returns the original receipt");
    // Re-encrypted but identical content is a replay too.
    let reenc = Envelope::seal_batch(&good, &s.recipients, &s.van_key)
        .unwrap()
        .to_bytes();
    assert_ne!(reenc, env);
    let third = s
        .http
        .post(format!("{}/v1/batches", s.url))
        .body(reenc)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(receipt, third);
    let baseline = s.stored().await;
    assert_eq!(baseline, (1, 1, 11));

    // Garbage, and a truncated envelope.
    s.refused(b"\x00\x01garbage".to_vec(), 400, "not_qafila").await;
    s.refused(env[..env.len() / 3].to_vec(), 400, "malformed").await;
    // A decompression-bomb-style payload: a byte string declaring 2^62 bytes.
    let mut bomb = envelope::MAGIC.to_vec();
    bomb.extend_from_slice(&[0xa1, 0x61, b'v', 0x5b]);
    bomb.extend_from_slice(&(1u64 << 62).to_be_bytes());
    s.refused(bomb, 400, "malformed").await;
    // Forged: the right van id, another key.
    let (p2, _) = payload(2, 2, |_| {});
    let forged = Envelope::seal_batch(&p2, &s.recipients, &SigningKey::from_bytes(&[8; 32])).unwrap();
    s.refused(forged.to_bytes(), 403, "bad_signature").await;
    // Truncated ciphertext under the original signature.
    let mut cut = Envelope::seal_batch(&p2, &s.recipients, &s.van_key).unwrap();
    cut.ciphertext.truncate(cut.ciphertext.len() - 40);
    s.refused(cut.to_bytes(), 403, "bad_signature").await;
    // Encrypted to other keys.
    let elsewhere = Envelope::seal_batch(&p2, &[age::x25519::Identity::generate().to_public()], &s.van_key).unwrap();
    s.refused(elsewhere.to_bytes(), 400, "cannot_decrypt").await;
    // Unknown van.
    let mut stranger = p2.clone();
    stranger.van_id = "VAN-NOBODY".into();
    let env_stranger = Envelope::seal_batch(&stranger, &s.recipients, &s.van_key).unwrap();
    s.refused(env_stranger.to_bytes(), 403, "unknown_van").await;
    // The same sequence number with different content.
    let (other1, _) = payload(1, 3, |_| {});
    s.refused(
        Envelope::seal_batch(&other1, &s.recipients, &s.van_key)
            .unwrap()
            .to_bytes(),
        409,
        "sequence_conflict",
    )
    .await;
    // A schema-invalid record inside a valid envelope (its blobs are here, so only the record is wrong).
    let (bad, _) = payload(2, 1, |r| r.civil.family_name.arabic = "Bennani".into());
    let (status, v) = s
        .post(
            Envelope::seal_batch(&bad, &s.recipients, &s.van_key)
                .unwrap()
                .to_bytes(),
        )
        .await;
    assert_eq!((status, v["code"].as_str().unwrap()), (422, "invalid_record"), "{v}");
    assert!(
        v["message"].as_str().unwrap().contains("civil.family_name.arabic"),
        "{v}"
    );
    // Blobs: a hash mismatch is discarded; an oversized one and a bad checksum are refused.
    let plain = b"not what the name says".to_vec();
    let t = envelope::encrypt_to(&s.recipients, &plain).unwrap();
    let wrong = "ab".repeat(32);
    let e = s
        .center
        .blob_chunk(&wrong, 0, t.len() as i64, &blob::chunk_checksum(&t), &t)
        .await
        .unwrap_err();
    assert_eq!(e.code(), "bad_blob");
    assert_eq!(
        s.center.blob_state(&wrong).await.unwrap().received,
        0,
        "the mismatched upload was discarded"
    );
    let e = s
        .center
        .blob_chunk(&"cd".repeat(32), 0, 1 << 40, &blob::chunk_checksum(&t), &t)
        .await
        .unwrap_err();
    assert_eq!(e.code(), "bad_blob");
    let e = s
        .center
        .blob_chunk(&"ef".repeat(32), 0, t.len() as i64, "sha256 00", &t)
        .await
        .unwrap_err();
    assert_eq!(e.code(), "bad_blob");
    let r = s
        .http
        .patch(format!("{}/v1/blobs/{}", s.url, "12".repeat(32)))
        .body(t.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400, "an unsigned upload is refused");

    // A revoked van's later batches are refused; what it sent before stays.
    s.center.db().revoke_van(VAN, &Utc::now().to_rfc3339()).await.unwrap();
    let (p3, _) = payload(2, 1, |_| {});
    s.refused(
        Envelope::seal_batch(&p3, &s.recipients, &s.van_key).unwrap().to_bytes(),
        403,
        "revoked_van",
    )
    .await;

    assert_eq!(s.stored().await, baseline, "nothing was stored by any refused input");
}

/// A van with no network: batch and blobs on a stick, imported at the center, receipt carried back.
#[tokio::test]
async fn usb_round_trip() {
    let tmp = tempfile::tempdir().unwrap();
    let db = SqliteDb::open(&tmp.path().join("c.db")).unwrap();
    db.migrate().await.unwrap();
    let keys = CenterKeys::generate("marrakech").unwrap();
    let info = keys.public_info();
    let center = Center::new(keys, Arc::new(db), Routing::default(), vec![]);
    let mut van = qafila_store::Store::init(
        &tmp.path().join("van"),
        qafila_store::InitOptions {
            van_id: "VAN-USB".into(),
            operator_id: "OP".into(),
            passphrase: "usb passphrase".into(),
            recovery: None,
            kdf_log_n: 10,
        },
    )
    .unwrap();
    van.add_center(&info.center, &info.verifying_key, &info.recipient)
        .unwrap();
    let update = van.update_recipient().unwrap();
    center
        .register_van(
            "VAN-USB",
            &hex::encode(van.store().public_key().unwrap().as_bytes()),
            &update,
        )
        .await
        .unwrap();
    for seed in 0..3 {
        let (r, b) = qafila_store::sample::complete(seed, "VAN-USB", "OP", Utc::now());
        let id = van.enroll(r, &b).unwrap();
        van.seal(&id, None).unwrap();
    }
    let stick = tmp.path().join("stick");
    let batch = van.export_batch(&stick, 100).unwrap().unwrap();
    // Importing twice is harmless: the second time the same receipt comes back.
    let first = qafila_server::usb::import(&center, &stick).await.unwrap();
    assert_eq!((first.accepted, first.refused, first.blobs), (1, 0, 33));
    let receipt_path = batch.with_extension("receipt");
    let receipt = std::fs::read(&receipt_path).unwrap();
    let again = qafila_server::usb::import(&center, &stick).await.unwrap();
    assert_eq!((again.accepted, again.blobs), (1, 0));
    assert_eq!(std::fs::read(&receipt_path).unwrap(), receipt);
    let r = van.apply_receipt(&receipt).unwrap();
    assert_eq!(r.documents.len(), 3);
    assert_eq!(van.sync_status().unwrap().documents_pending, 0);
    assert_eq!(center.db().counts("marrakech").await.unwrap().documents, 3);
    // A stick missing a blob: nothing stored, and the report says why.
    let (r, b) = qafila_store::sample::complete(9, "VAN-USB", "OP", Utc::now());
    let id = van.enroll(r, &b).unwrap();
    van.seal(&id, None).unwrap();
    let stick2 = tmp.path().join("stick2");
    van.export_batch(&stick2, 100).unwrap().unwrap();
    let victim = std::fs::read_dir(&stick2)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "age"))
        .unwrap();
    std::fs::remove_file(&victim).unwrap();
    // A badly named and a damaged blob file are each refused by name, and the import goes on.
    std::fs::write(stick2.join("blob-not-a-hash.age"), b"x").unwrap();
    let damaged = format!("blob-{}.age", "0".repeat(64));
    std::fs::write(stick2.join(&damaged), b"not age").unwrap();
    let partial = qafila_server::usb::import(&center, &stick2).await.unwrap();
    assert_eq!((partial.accepted, partial.refused), (0, 1));
    let lines = partial.lines.join("\n");
    assert!(lines.contains("blob-not-a-hash.age: refused [malformed]"), "{lines}");
    assert!(lines.contains(&format!("{damaged}: refused")), "{lines}");
    assert!(lines.contains("1 blobs missing"), "{lines}");
    assert_eq!(center.db().counts("marrakech").await.unwrap().documents, 3);
}

/// A van whose clock is decades off: batches are ordered by sequence number, not by the van's clock, and the
/// receipt carries the center's time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_van_clock_decades_off_changes_nothing_at_the_center() {
    let tmp = tempfile::tempdir().unwrap();
    let s = setup(tmp.path()).await;
    // The later batch claims the earlier time: a clock set back between the two.
    let clocks = ["2099-12-31T23:00:00Z", "1970-01-01T00:00:00Z"];
    let mut last = None;
    for (i, clock) in clocks.iter().enumerate() {
        let seq = i as u64 + 1;
        let (mut p, blobs) = payload(seq, seq + 20, |_| {});
        p.van_clock = clock.parse().unwrap();
        for b in &blobs {
            s.upload(b).await;
        }
        let r = s
            .http
            .post(format!("{}/v1/batches", s.url))
            .body(Envelope::seal_batch(&p, &s.recipients, &s.van_key).unwrap().to_bytes())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200, "batch {seq} with van clock {clock}");
        let receipt = qafila_wire::SignedReceipt::from_bytes(&r.bytes().await.unwrap())
            .unwrap()
            .receipt_unverified()
            .unwrap();
        assert_eq!(receipt.acked_through, seq);
        let skew = (receipt.server_time - Utc::now()).num_seconds().abs();
        assert!(skew < 60, "the receipt's time is the center's, {skew} s from now");
        last = Some(receipt);
    }
    assert_eq!(last.unwrap().seq_to, 2);
    assert_eq!(s.stored().await.0, 2);
}

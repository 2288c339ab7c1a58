//! Bad input at a center: each is refused with a clear code, over real HTTP, and nothing is stored.

use std::sync::Arc;

use chrono::Utc;
use ed25519_dalek::SigningKey;
use qafila_doc::EnrollmentDoc;
use qafila_server::center::Center;
use qafila_server::config::{Peer, Routing};
use qafila_server::db::CenterDb;
use qafila_server::keys::CenterKeys;
use qafila_server::sqlite::SqliteDb;
use qafila_wire::{
    BatchPayload, BlobManifest, DocumentChanges, Envelope, Kind, PROTOCOL_VERSION, ReplicationPayload, blob, envelope,
    request,
};

const VAN: &str = "VAN-X";

struct Setup {
    center: Arc<Center>,
    url: String,
    van_key: SigningKey,
    /// The van's identity for the updates a center seals to it.
    van_updates: age::x25519::Identity,
    recipients: Vec<age::x25519::Recipient>,
    http: reqwest::Client,
}

async fn setup(dir: &std::path::Path) -> Setup {
    setup_with_peers(dir, vec![]).await
}

async fn setup_with_peers(dir: &std::path::Path, peers: Vec<Peer>) -> Setup {
    let db = SqliteDb::open(&dir.join("c.db")).unwrap();
    db.migrate().await.unwrap();
    let keys = CenterKeys::generate("rabat").unwrap();
    let other = age::x25519::Identity::generate();
    let recipients = vec![keys.recipient(), other.to_public()];
    let center = Arc::new(Center::new(keys, Arc::new(db), Routing::default(), peers));
    let van_key = SigningKey::from_bytes(&[7; 32]);
    let van_updates = age::x25519::Identity::generate();
    center
        .register_van(
            VAN,
            &hex::encode(van_key.verifying_key().as_bytes()),
            &van_updates.to_public().to_string(),
        )
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
        van_updates,
        recipients,
        http: reqwest::Client::new(),
    }
}

/// A payload with one enrollment built as a van would, and the blobs it needs.
fn payload(seq: u64, seed: u64, edit: impl FnOnce(&mut qafila_domain::Enrollment)) -> (BatchPayload, Vec<Vec<u8>>) {
    let (mut record, blobs) = sealed(seed, VAN);
    edit(&mut record);
    let mut doc = EnrollmentDoc::new(&record, b"van-x").unwrap();
    let p = batch(VAN, seq, vec![whole(&mut doc, record.application.id, &blobs)]);
    (p, blobs)
}

/// A sample enrollment of `van`, sealed by its operator, and its blobs.
fn sealed(seed: u64, van: &str) -> (qafila_domain::Enrollment, Vec<Vec<u8>>) {
    let (mut record, blobs) = qafila_store::sample::complete(seed, van, "OP", Utc::now());
    record.application.status = qafila_domain::Status::Sealed;
    record.sign_off.operator = Some(qafila_domain::Signature {
        by: "OP".into(),
        at: Utc::now(),
    });
    (record, blobs)
}

/// A whole document as it travels, with the manifest of `blobs`.
fn whole(doc: &mut EnrollmentDoc, id: qafila_domain::ApplicationId, blobs: &[Vec<u8>]) -> DocumentChanges {
    DocumentChanges {
        id,
        since: vec![],
        changes: doc.save(),
        heads: doc.heads_hex(),
        blobs: blobs
            .iter()
            .map(|b| BlobManifest {
                sha256: qafila_store::keys::sha256_hex(b),
                size: b.len() as u64,
            })
            .collect(),
    }
}

fn batch(van: &str, seq: u64, documents: Vec<DocumentChanges>) -> BatchPayload {
    BatchPayload {
        v: PROTOCOL_VERSION,
        van_id: van.into(),
        seq,
        batch_id: uuid::Uuid::now_v7(),
        van_clock: Utc::now(),
        van_counter: seq,
        documents,
    }
}

impl Setup {
    async fn upload(&self, plain: &[u8]) {
        let sha = qafila_store::keys::sha256_hex(plain);
        let t = envelope::encrypt_to(&self.recipients, plain).unwrap();
        self.center
            .blob_chunk(&sha, 0, t.len() as i64, &blob::chunk_checksum(&t), blob::Chunk::new(&t))
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
        .blob_chunk(
            &wrong,
            0,
            t.len() as i64,
            &blob::chunk_checksum(&t),
            blob::Chunk::new(&t),
        )
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
        .blob_chunk(
            &"cd".repeat(32),
            0,
            1 << 40,
            &blob::chunk_checksum(&t),
            blob::Chunk::new(&t),
        )
        .await
        .unwrap_err();
    assert_eq!(e.code(), "bad_blob");
    let e = s
        .center
        .blob_chunk(&"ef".repeat(32), 0, t.len() as i64, "sha256 00", blob::Chunk::new(&t))
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

    // A blob the center holds, sent again: a good copy is acknowledged and a bad one refused, and
    // either way the held one is what stays.
    let held = b"a portrait already here".to_vec();
    let held_sha = qafila_store::keys::sha256_hex(&held);
    let first = envelope::encrypt_to(&s.recipients, &held).unwrap();
    let again = envelope::encrypt_to(&s.recipients, &held).unwrap();
    for form in [&first, &again] {
        let state = s
            .center
            .blob_chunk(
                &held_sha,
                0,
                form.len() as i64,
                &blob::chunk_checksum(form),
                blob::Chunk::new(form),
            )
            .await
            .unwrap();
        assert!(state.complete, "{state:?}");
    }
    let forged = envelope::encrypt_to(&s.recipients, b"someone else's portrait").unwrap();
    let e = s
        .center
        .blob_chunk(
            &held_sha,
            0,
            forged.len() as i64,
            &blob::chunk_checksum(&forged),
            blob::Chunk::new(&forged),
        )
        .await
        .unwrap_err();
    assert_eq!(e.code(), "bad_blob");
    assert_eq!(s.center.db().blob_data(&held_sha).await.unwrap(), Some(first.clone()));
    assert_eq!(s.center.blob_plain(&held_sha).await.unwrap(), held);
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

/// A van (stolen, or its operator rogue) sends changes to a document another van created, or creates one in
/// another van's name: both are refused, by field, and the first van's document stays as it was.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_carrying_another_vans_document_is_refused() {
    const OTHER: &str = "VAN-Y";
    let tmp = tempfile::tempdir().expect("temporary directory");
    let s = setup(tmp.path()).await;
    let other_key = SigningKey::from_bytes(&[9; 32]);
    s.center
        .register_van(
            OTHER,
            &hex::encode(other_key.verifying_key().as_bytes()),
            &age::x25519::Identity::generate().to_public().to_string(),
        )
        .await
        .expect("the second van registers");
    let send =
        |p: &BatchPayload, key: &SigningKey| Envelope::seal_batch(p, &s.recipients, key).expect("seals").to_bytes();

    // VAN-X's enrollment reaches the center.
    let (mine, blobs) = payload(1, 5, |_| {});
    for b in &blobs {
        s.upload(b).await;
    }
    let (status, v) = s.post(send(&mine, &s.van_key)).await;
    assert_eq!(status, 200, "{v}");
    let id = mine.documents[0].id;
    let before = s.center.enrollment(&id.to_string()).await.expect("stored");
    let counts = s.stored().await;

    // VAN-Y edits that document (a new name), as its own or still as VAN-X's, and sends it signed with its key.
    for claim in [OTHER, VAN] {
        let mut doc = EnrollmentDoc::load(&mine.documents[0].changes, b"van-y").expect("loads");
        let mut record = doc.record().expect("a record");
        record.civil.family_name.latin = "TAKEN OVER".into();
        record.application.van_id = claim.into();
        doc.update(&record).expect("edits");
        let theirs = batch(OTHER, 1, vec![whole(&mut doc, id, &blobs)]);
        let (status, v) = s.post(send(&theirs, &other_key)).await;
        assert_eq!(
            (status, v["code"].as_str().unwrap_or("")),
            (422, "invalid_record"),
            "{claim}: {v}"
        );
        let message = v["message"].as_str().unwrap_or("");
        assert!(
            message.contains("application.van_id") && message.contains(&format!("belongs to van {VAN}")),
            "{claim}: {message}"
        );
    }

    // VAN-Y creates a new document in VAN-X's name.
    let (forged, forged_blobs) = sealed(6, VAN);
    for b in &forged_blobs {
        s.upload(b).await;
    }
    let mut doc = EnrollmentDoc::new(&forged, b"van-y").expect("a document");
    let theirs = batch(OTHER, 1, vec![whole(&mut doc, forged.application.id, &forged_blobs)]);
    let (status, v) = s.post(send(&theirs, &other_key)).await;
    assert_eq!(
        (status, v["code"].as_str().unwrap_or("")),
        (422, "invalid_record"),
        "{v}"
    );
    let message = v["message"].as_str().unwrap_or("");
    assert!(
        message.contains(&format!("application.van_id: {VAN} is not the sending van")),
        "{message}"
    );

    let after = s.center.enrollment(&id.to_string()).await.expect("still stored");
    assert_eq!(
        after, before,
        "VAN-X's document, its heads and its routing are unchanged"
    );
    let stored = s.center.db().documents(&[id.to_string()]).await.expect("reads");
    assert_eq!(stored[0].van_id, VAN);
    let now = s.stored().await;
    assert_eq!(
        (now.0, now.1),
        (counts.0, counts.1),
        "no batch and no document was stored"
    );

    // VAN-Y itself is in good standing: its own enrollment is taken, under the same sequence number.
    let (own, own_blobs) = sealed(7, OTHER);
    for b in &own_blobs {
        s.upload(b).await;
    }
    let mut doc = EnrollmentDoc::new(&own, b"van-y").expect("a document");
    let theirs = batch(OTHER, 1, vec![whole(&mut doc, own.application.id, &own_blobs)]);
    let (status, v) = s.post(send(&theirs, &other_key)).await;
    assert_eq!(status, 200, "{v}");
}

impl Setup {
    /// A GET with the given sender and signature headers: the status and the body.
    async fn get(&self, path: &str, sender: Option<&str>, signature: Option<String>) -> (u16, Vec<u8>) {
        let mut req = self.http.get(format!("{}{path}", self.url));
        if let Some(sender) = sender {
            req = req.header(request::SENDER, sender);
        }
        if let Some(signature) = signature {
            req = req.header(request::SIGNATURE, signature);
        }
        let resp = req.send().await.expect("the center answers");
        let status = resp.status().as_u16();
        (status, resp.bytes().await.expect("a body").to_vec())
    }

    /// The same GET, expected to be refused with this status and code.
    async fn get_refused(
        &self,
        what: &str,
        path: &str,
        sender: Option<&str>,
        signature: Option<String>,
        want: (u16, &str),
    ) {
        let (status, body) = self.get(path, sender, signature).await;
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
        assert_eq!((status, v["code"].as_str().unwrap_or("")), want, "{what}: {v}");
    }
}

/// Every signed GET (a van's updates and appointments, a peer's replication and blobs) answers only its sender,
/// signed over that exact path and query.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_gets_without_a_valid_signature_are_refused() {
    let tmp = tempfile::tempdir().expect("temporary directory");
    let peer_key = SigningKey::from_bytes(&[5; 32]);
    let peer_identity = age::x25519::Identity::generate();
    let peer = Peer {
        id: "marrakech".into(),
        // Never called: this center only answers the peer here.
        url: "http://127.0.0.1:9".into(),
        verifying_key: hex::encode(peer_key.verifying_key().as_bytes()),
        recipient: peer_identity.to_public().to_string(),
        ca: None,
    };
    let s = setup_with_peers(tmp.path(), vec![peer]).await;
    let stranger = SigningKey::from_bytes(&[6; 32]);
    let center_key = {
        let hex_key = s.center.keys().public_info().verifying_key;
        let bytes: [u8; 32] = hex::decode(hex_key).expect("hex").try_into().expect("32 bytes");
        ed25519_dalek::VerifyingKey::from_bytes(&bytes).expect("a key")
    };

    // Something to serve: an enrollment of the van, a center decision on it (an update for the van) and a blob.
    let (p, blobs) = payload(1, 1, |_| {});
    for b in &blobs {
        s.upload(b).await;
    }
    let (status, v) = s
        .post(
            Envelope::seal_batch(&p, &s.recipients, &s.van_key)
                .expect("seals")
                .to_bytes(),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    let id = p.documents[0].id;
    s.center
        .decide(
            &id.to_string(),
            qafila_domain::Status::RecaptureRequested {
                items: vec!["portrait".into()],
                note: None,
            },
        )
        .await
        .expect("a decision");
    let sign = |key: &SigningKey, path: &str| Some(request::sign(key, "GET", path, &[]));

    // The van's updates: its own signature opens them; nothing else does.
    let updates = format!("/v1/vans/{VAN}/updates?since=0");
    let (status, body) = s.get(&updates, Some(VAN), sign(&s.van_key, &updates)).await;
    assert_eq!(status, 200);
    let env = Envelope::from_bytes(&body).expect("an envelope");
    let got = env
        .open_updates(&center_key, &s.van_updates)
        .expect("the van opens its updates");
    assert_eq!(got.documents[0].id, id);
    let cases = [
        ("no headers", None, None, (400, "malformed")),
        ("no signature", Some(VAN), None, (400, "malformed")),
        (
            "signed by another key",
            Some(VAN),
            sign(&stranger, &updates),
            (403, "bad_signature"),
        ),
        (
            "signed for another query",
            Some(VAN),
            sign(&s.van_key, &format!("/v1/vans/{VAN}/updates?since=7")),
            (403, "bad_signature"),
        ),
        ("not hex", Some(VAN), Some("zz".repeat(64)), (403, "bad_signature")),
        (
            "the peer center's signature",
            Some(VAN),
            sign(&peer_key, &updates),
            (403, "bad_signature"),
        ),
    ];
    for (what, sender, signature, want) in cases {
        s.get_refused(what, &updates, sender, signature, want).await;
    }
    // Another (unregistered) sender, validly signed by its own key, asks for this van's updates.
    s.get_refused(
        "another sender",
        &updates,
        Some("VAN-Z"),
        sign(&stranger, &updates),
        (403, "unknown_van"),
    )
    .await;

    // The van's appointments.
    let appointments = format!("/v1/vans/{VAN}/appointments");
    let (status, _) = s.get(&appointments, Some(VAN), sign(&s.van_key, &appointments)).await;
    assert_eq!(status, 204, "the van's own request is served (no list published)");
    s.get_refused("no headers", &appointments, None, None, (400, "malformed"))
        .await;
    s.get_refused("no signature", &appointments, Some(VAN), None, (400, "malformed"))
        .await;
    s.get_refused(
        "signed by another key",
        &appointments,
        Some(VAN),
        sign(&stranger, &appointments),
        (403, "bad_signature"),
    )
    .await;
    s.get_refused(
        "signed for another path",
        &appointments,
        Some(VAN),
        sign(&s.van_key, &updates),
        (403, "bad_signature"),
    )
    .await;

    // Replication: only the configured peer, with its key.
    let replication = "/v1/replication?changes=0&batches=0&blobs=0";
    let (status, body) = s
        .get(replication, Some("marrakech"), sign(&peer_key, replication))
        .await;
    assert_eq!(status, 200);
    let got = Envelope::from_bytes(&body)
        .expect("an envelope")
        .open_replication(&center_key, std::slice::from_ref(&peer_identity))
        .expect("the peer opens it");
    assert_eq!(got.documents.len(), 1);
    s.get_refused("no headers", replication, None, None, (400, "malformed"))
        .await;
    s.get_refused("no signature", replication, Some("marrakech"), None, (400, "malformed"))
        .await;
    s.get_refused(
        "signed by another key",
        replication,
        Some("marrakech"),
        sign(&stranger, replication),
        (403, "bad_signature"),
    )
    .await;
    s.get_refused(
        "the van's key, as the peer",
        replication,
        Some("marrakech"),
        sign(&s.van_key, replication),
        (403, "bad_signature"),
    )
    .await;
    s.get_refused(
        "signed for other cursors",
        replication,
        Some("marrakech"),
        sign(&peer_key, "/v1/replication?changes=5&batches=0&blobs=0"),
        (403, "bad_signature"),
    )
    .await;
    s.get_refused(
        "a van is no peer",
        replication,
        Some(VAN),
        sign(&s.van_key, replication),
        (404, "not_found"),
    )
    .await;

    // A blob's transfer form, to the peer.
    let blob_path = format!("/v1/replication/blobs/{}", qafila_store::keys::sha256_hex(&blobs[0]));
    let (status, body) = s.get(&blob_path, Some("marrakech"), sign(&peer_key, &blob_path)).await;
    assert_eq!(status, 200);
    assert!(!body.is_empty());
    s.get_refused("no headers", &blob_path, None, None, (400, "malformed"))
        .await;
    s.get_refused(
        "signed by another key",
        &blob_path,
        Some("marrakech"),
        sign(&stranger, &blob_path),
        (403, "bad_signature"),
    )
    .await;
    s.get_refused(
        "signed for another blob",
        &blob_path,
        Some("marrakech"),
        sign(
            &peer_key,
            &format!("/v1/replication/blobs/{}", qafila_store::keys::sha256_hex(&blobs[1])),
        ),
        (403, "bad_signature"),
    )
    .await;
}

/// A center pulling from its peer refuses replication the peer's configured key did not sign, and stores none of
/// it; the same content signed by the peer is taken.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replication_from_a_peer_with_a_bad_signature_is_refused() {
    let tmp = tempfile::tempdir().expect("temporary directory");
    let peer_key = SigningKey::from_bytes(&[5; 32]);
    // A stand-in for the peer: answers every replication pull with whatever envelope the test put here.
    let answer = Arc::new(std::sync::Mutex::new(Vec::<u8>::new()));
    let served = answer.clone();
    let app = axum::Router::new().route(
        "/v1/replication",
        axum::routing::get(move || {
            let body = served.lock().expect("not poisoned").clone();
            async move { body }
        }),
    );
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let peer_url = format!("http://{}", l.local_addr().expect("an address"));
    tokio::spawn(async move { axum::serve(l, app).await });
    let peer = Peer {
        id: "marrakech".into(),
        url: peer_url,
        verifying_key: hex::encode(peer_key.verifying_key().as_bytes()),
        recipient: age::x25519::Identity::generate().to_public().to_string(),
        ca: None,
    };
    let s = setup_with_peers(tmp.path(), vec![peer]).await;

    let (p, _) = payload(1, 1, |_| {});
    let replicated = ReplicationPayload {
        v: PROTOCOL_VERSION,
        center: "marrakech".into(),
        // Cursors that do not move, so one round is one pull.
        cursor: 0,
        documents: p.documents,
        batches: vec![],
        batch_cursor: 0,
        blobs: vec![],
        blob_cursor: 0,
    };
    let to_rabat = s.center.keys().recipient();
    let http = reqwest::Client::new();

    for (what, key) in [
        ("another key", SigningKey::from_bytes(&[6; 32])),
        ("a van's key", s.van_key.clone()),
    ] {
        *answer.lock().expect("not poisoned") = Envelope::seal_replication(&replicated, &to_rabat, &key)
            .expect("seals")
            .to_bytes();
        let err = s
            .center
            .replicate_once(&http)
            .await
            .expect_err("a forged replication is refused");
        assert_eq!(err.code(), "bad_signature", "{what}: {err}");
        assert_eq!(s.stored().await.1, 0, "{what}: nothing was stored");
    }
    // Replication content that the peer signed as another kind (updates) is not taken as replication.
    *answer.lock().expect("not poisoned") = Envelope::seal(
        Kind::Updates,
        "marrakech",
        0,
        &replicated.to_bytes(),
        std::slice::from_ref(&to_rabat),
        &peer_key,
    )
    .expect("seals")
    .to_bytes();
    let err = s.center.replicate_once(&http).await.expect_err("wrong kind");
    assert_eq!(err.code(), "malformed", "{err}");
    assert_eq!(s.stored().await.1, 0);

    *answer.lock().expect("not poisoned") = Envelope::seal_replication(&replicated, &to_rabat, &peer_key)
        .expect("seals")
        .to_bytes();
    let got = s
        .center
        .replicate_once(&http)
        .await
        .expect("the peer's replication is taken");
    assert_eq!(got, (1, 0, 0));
    assert_eq!(s.stored().await.1, 1);
}

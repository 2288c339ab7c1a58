//! Writes the seed corpora under `fuzz/corpus/<target>/` from the project's own encoders and examples
//! (`scripts/fuzz seeds`). Age encryption is randomized, so the envelopes differ from run to run; the committed
//! seeds are one such run.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use qafila_doc::EnrollmentDoc;
use qafila_fuzz::{DEVICE_ID, TRANSACTION_ID, VAN_ID, center_identity, van_key};
use qafila_sbi::iso19794_4::{self, Compression, RecordMeta};
use qafila_sbi::simulator::{self, SimConfig};
use qafila_sbi::{Finger, synth};
use qafila_wire::batch::{ReplicatedBatch, ReplicationPayload, UpdatePayload};
use qafila_wire::{BatchPayload, BlobManifest, DocumentChanges, DocumentReceipt, Envelope, Receipt, SignedReceipt};
use sha2::{Digest, Sha256};

fn main() {
    let root = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "corpus".into()));
    let now: DateTime<Utc> = "2026-06-01T09:30:00Z".parse().expect("a fixed time");
    let key = van_key();
    let recipient = center_identity().to_public();

    // One real enrollment document and one blob it refers to.
    let record = qafila_domain::sample::applicant(1, VAN_ID, "OP-1", now);
    let mut doc = EnrollmentDoc::new(&record, b"van").expect("a sample record builds a document");
    let saved = doc.save();
    let blob = qafila_domain::sample::blob_bytes(1, 64);
    let blob_sha = hex::encode(Sha256::digest(&blob));
    let changes = DocumentChanges {
        id: record.application.id,
        since: vec![],
        changes: saved.clone(),
        heads: doc.heads_hex(),
        blobs: vec![BlobManifest {
            sha256: blob_sha.clone(),
            size: blob.len() as u64,
        }],
    };
    let batch = BatchPayload {
        v: qafila_wire::PROTOCOL_VERSION,
        van_id: VAN_ID.into(),
        seq: 1,
        batch_id: uuid::Uuid::from_u128(1),
        van_clock: now,
        van_counter: 1,
        documents: vec![changes.clone()],
    };
    let updates = UpdatePayload {
        v: qafila_wire::PROTOCOL_VERSION,
        center: "rabat".into(),
        van_id: VAN_ID.into(),
        cursor: 1,
        server_time: now,
        documents: vec![changes.clone()],
    };
    let replication = ReplicationPayload {
        v: qafila_wire::PROTOCOL_VERSION,
        center: "rabat".into(),
        cursor: 1,
        documents: vec![changes],
        batches: vec![ReplicatedBatch {
            van_id: VAN_ID.into(),
            seq: 1,
            batch_id: uuid::Uuid::from_u128(1),
            ct_hash: vec![1; 32],
            payload_digest: batch.digest().to_vec(),
            receipt: vec![],
            accepted_by: "rabat".into(),
        }],
        batch_cursor: 1,
        blobs: vec![blob_sha.clone()],
        blob_cursor: 1,
    };
    let receipt = SignedReceipt::sign(
        &Receipt {
            v: qafila_wire::PROTOCOL_VERSION,
            center: "rabat".into(),
            van_id: VAN_ID.into(),
            seq_from: 1,
            seq_to: 1,
            batch_id: uuid::Uuid::from_u128(1),
            acked_through: 1,
            documents: vec![DocumentReceipt {
                id: record.application.id,
                heads: doc.heads_hex(),
                routed_to: "rabat".into(),
            }],
            server_time: now,
        },
        &key,
    );
    let one = std::slice::from_ref(&recipient);
    let batch_env = Envelope::seal_batch(&batch, one, &key).expect("seal").to_bytes();
    let updates_env = Envelope::seal_updates(&updates, &recipient, &key)
        .expect("seal")
        .to_bytes();
    let replication_env = Envelope::seal_replication(&replication, &recipient, &key)
        .expect("seal")
        .to_bytes();

    let dir = |target: &str| root.join(target);
    write(&dir("envelope"), "batch", &[&[0], &batch_env]);
    write(&dir("envelope"), "updates", &[&[0], &updates_env]);
    write(&dir("envelope"), "replication", &[&[0], &replication_env]);
    write(&dir("envelope"), "batch-plaintext", &[&[1], &batch.to_bytes()]);
    write(&dir("envelope"), "updates-plaintext", &[&[2], &updates.to_bytes()]);
    write(
        &dir("envelope"),
        "replication-plaintext",
        &[&[3], &replication.to_bytes()],
    );
    write(&dir("payload"), "batch", &[&[0], &batch.to_bytes()]);
    write(&dir("payload"), "updates", &[&[1], &updates.to_bytes()]);
    write(&dir("payload"), "replication", &[&[2], &replication.to_bytes()]);
    write(&dir("payload"), "receipt", &[&[3], &receipt.to_bytes()]);
    let successor = ed25519_dalek::SigningKey::from_bytes(&[0x5e; 32]);
    let rotation = qafila_wire::KeyRotation::new(VAN_ID, &key.verifying_key(), &successor.verifying_key(), 7, now);
    let rotation = qafila_wire::SignedKeyRotation::sign(&rotation, &key, &successor);
    write(&dir("payload"), "key-rotation", &[&[5], &rotation.to_bytes()]);

    let blob_file = qafila_wire::envelope::encrypt_to(one, &blob).expect("encrypt");
    write(
        &dir("usb_import"),
        "batch",
        &[format!("batch-{VAN_ID}-000001.qafila\0").as_bytes(), &batch_env],
    );
    write(
        &dir("usb_import"),
        "blob",
        &[format!("blob-{blob_sha}.age\0").as_bytes(), &blob_file],
    );
    write(
        &dir("usb_import"),
        "receipt",
        &[b"batch-VAN-FUZZ-000001.receipt\0", &receipt.to_bytes()],
    );

    write(&dir("doc_load"), "document", &[&saved]);
    for entry in walk(Path::new("../schemas/examples")) {
        let name = entry.file_stem().expect("a file").to_string_lossy().to_string();
        write(
            &dir("record_json"),
            &name,
            &[&std::fs::read(&entry).expect("read example")],
        );
    }
    let record_json = serde_json::to_vec(&record).expect("a record serializes");
    write(&dir("record_json"), "sample-applicant", &[&record_json]);

    // A small crop of a synthetic print keeps the WSQ and SBI seeds a few kilobytes.
    let (print, _) = synth::impression(1, Finger::RightThumb, 1, 80);
    let (w, h) = (96u32, 112u32);
    let (x0, y0) = ((print.width - w) / 2, (print.height - h) / 2);
    let pixels: Vec<u8> = (0..h)
        .flat_map(|y| (0..w).map(move |x| (x, y)))
        .map(|(x, y)| print.get(x0 + x, y0 + y))
        .collect();
    let crop = qafila_sbi::GrayImage::new(w, h, print.ppi, pixels.clone()).expect("crop");
    let wsq_image = qafila_wsq::GrayImage::new(w as usize, h as usize, pixels).expect("crop");
    for (name, bitrate) in [("print-0.75", 0.75), ("print-2.25", 2.25)] {
        let wsq = qafila_wsq::encode(&wsq_image, bitrate, 500).expect("WSQ encodes the crop");
        write(&dir("wsq_decode"), name, &[&wsq]);
    }
    sbi_seeds(&dir("sbi_reply"), &crop);
}

/// Real replies from the SBI simulator (serving the small crop), and the pieces inside them.
fn sbi_seeds(dir: &Path, crop: &qafila_sbi::GrayImage) {
    let images = std::env::temp_dir().join(format!("qafila-fuzz-seeds-{}", std::process::id()));
    std::fs::create_dir_all(&images).expect("temp dir");
    std::fs::write(images.join("right_thumb.png"), crop.to_png().expect("png")).expect("write png");
    let sim = simulator::serve(SimConfig {
        images: Some(images.clone()),
        compression: Compression::PNG,
        device_id: DEVICE_ID.into(),
        ..SimConfig::default()
    })
    .expect("simulator starts");
    let client = reqwest::blocking::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    let call = |method: &str, path: &str, body: serde_json::Value| -> Vec<u8> {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        client
            .request(method, format!("http://127.0.0.1:{}{path}", sim.port()))
            .body(body.to_string())
            .send()
            .and_then(|r| r.bytes())
            .expect("simulator answers")
            .to_vec()
    };
    let disc = call("MOSIPDISC", "/device", serde_json::json!({"type": "Finger"}));
    let info = call("MOSIPDINFO", "/info", serde_json::json!({"type": "Finger"}));
    let capture = call(
        "RCAPTURE",
        "/capture",
        serde_json::json!({
            "env": "Staging", "purpose": "Registration", "specVersion": "0.9.5", "timeout": 10000,
            "transactionId": TRANSACTION_ID,
            "bio": [{"type": "Finger", "count": 1, "bioSubType": ["Right Thumb"], "exception": [],
                     "requestedScore": 40, "deviceId": DEVICE_ID, "deviceSubId": "0", "previousHash": ""}],
        }),
    );
    sim.shutdown();
    let _ = std::fs::remove_dir_all(&images);
    write(dir, "disc", &[&[0], &disc]);
    write(dir, "info", &[&[1], &info]);
    write(dir, "rcapture", &[&[2], &capture]);
    let reply: serde_json::Value = serde_json::from_slice(&capture).expect("capture reply is JSON");
    let data = reply["biometrics"][0]["data"].as_str().expect("a signed data block");
    write(dir, "jws", &[&[3], data.as_bytes()]);
    let record = iso19794_4::encode(
        crop,
        RecordMeta {
            position: 1,
            quality: 80,
            impression_type: 0,
        },
        Compression::PNG,
    )
    .expect("ISO record");
    write(dir, "iso-png", &[&[4], &record]);
    let raw = iso19794_4::encode(
        crop,
        RecordMeta {
            position: 1,
            quality: 80,
            impression_type: 0,
        },
        Compression::UNCOMPRESSED,
    )
    .expect("ISO record");
    write(dir, "iso-raw", &[&[5], &raw]);
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("schemas/examples") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
    out.sort();
    out
}

fn write(dir: &Path, name: &str, parts: &[&[u8]]) {
    std::fs::create_dir_all(dir).expect("corpus dir");
    std::fs::write(dir.join(format!("seed-{name}")), parts.concat()).expect("write seed");
}

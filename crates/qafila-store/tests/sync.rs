//! The van's side of sync against an in-process center: batches, replays, receipts, purge, USB export.

use chrono::Utc;
use ed25519_dalek::SigningKey;
use qafila_doc::EnrollmentDoc;
use qafila_store::{InitOptions, Store, Van, sample};
use qafila_wire::{DocumentReceipt, Envelope, PROTOCOL_VERSION, Receipt, SignedReceipt};

const SUP: &str = "SUP-1";
const PASS: &str = "supervisor passphrase";

struct Center {
    id: &'static str,
    identity: age::x25519::Identity,
    key: SigningKey,
}

impl Center {
    fn new(id: &'static str, seed: u8) -> Self {
        Center {
            id,
            identity: age::x25519::Identity::generate(),
            key: SigningKey::from_bytes(&[seed; 32]),
        }
    }

    /// What a center does with a batch, minus storage: verify, decrypt, merge, check blobs, sign.
    fn receive(&self, van: &mut Van, envelope: &[u8], van_key: &ed25519_dalek::VerifyingKey) -> Vec<u8> {
        let env = Envelope::from_bytes(envelope).unwrap();
        let batch = env.open_batch(van_key, std::slice::from_ref(&self.identity)).unwrap();
        let mut documents = Vec::new();
        for d in &batch.documents {
            let mut doc = EnrollmentDoc::load(&d.changes, self.id.as_bytes()).unwrap();
            assert!(!doc.has_missing_deps());
            assert_eq!(doc.heads_hex(), d.heads);
            let record = doc.record().unwrap();
            for b in &d.blobs {
                let transfer = van.transfer_blob(&b.sha256).unwrap();
                let plain =
                    qafila_wire::blob::open(std::slice::from_ref(&self.identity), &transfer, &b.sha256).unwrap();
                assert_eq!(plain.len() as u64, b.size);
            }
            documents.push(DocumentReceipt {
                id: record.application.id,
                heads: d.heads.clone(),
                routed_to: "rabat".into(),
            });
        }
        let receipt = Receipt {
            v: PROTOCOL_VERSION,
            center: self.id.into(),
            van_id: batch.van_id,
            seq_from: batch.seq,
            seq_to: batch.seq,
            batch_id: batch.batch_id,
            acked_through: batch.seq,
            documents,
            server_time: Utc::now(),
        };
        SignedReceipt::sign(&receipt, &self.key).to_bytes()
    }
}

fn setup(dir: &std::path::Path) -> (Van, Center, Center) {
    let mut van = Store::init(
        dir,
        InitOptions {
            van_id: "VAN-S".into(),
            operator_id: SUP.into(),
            passphrase: PASS.into(),
            recovery: None,
            kdf_log_n: 10,
        },
    )
    .unwrap();
    let rabat = Center::new("rabat", 1);
    let marrakech = Center::new("marrakech", 2);
    for c in [&rabat, &marrakech] {
        van.add_center(
            c.id,
            &hex::encode(c.key.verifying_key().as_bytes()),
            &c.identity.to_public().to_string(),
        )
        .unwrap();
    }
    (van, rabat, marrakech)
}

#[test]
fn batches_receipts_and_purge() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut van, rabat, marrakech) = setup(tmp.path());
    let van_key = van.store().public_key().unwrap();
    let mut ids = Vec::new();
    for seed in 0..5 {
        let (r, b) = sample::complete(seed, "VAN-S", SUP, Utc::now());
        ids.push(van.enroll(r, &b).unwrap());
    }
    assert!(
        van.next_batch(100).unwrap().is_none(),
        "captured but unsealed enrollments do not leave the van"
    );
    for id in &ids[..3] {
        van.seal(id, None).unwrap();
    }
    let batch = van.next_batch(100).unwrap().unwrap();
    assert_eq!((batch.seq, batch.documents, batch.blobs.len()), (1, 3, 33));
    // Until a receipt arrives, the same bytes are offered again: a resend is a replay, never a new batch.
    assert_eq!(van.next_batch(100).unwrap().unwrap().envelope, batch.envelope);
    assert_eq!(van.list(Some("sent"), 0, 10).unwrap().len(), 3);

    // Either center can open it; a receipt from one is enough.
    let _ = marrakech.receive(&mut van, &batch.envelope, &van_key);
    let receipt = rabat.receive(&mut van, &batch.envelope, &van_key);
    let r = van.apply_receipt(&receipt).unwrap();
    assert_eq!((r.center.as_str(), r.seq_from), ("rabat", 1));
    assert_eq!(van.list(Some("received"), 0, 10).unwrap().len(), 3);
    assert!(van.next_batch(100).unwrap().is_none());
    assert_eq!(van.sync_status().unwrap().receipts, 1);

    // A forged receipt (another key), or one for another van, is refused.
    let forged = Center {
        id: "rabat",
        identity: age::x25519::Identity::generate(),
        key: SigningKey::from_bytes(&[9; 32]),
    };
    let mut fake = SignedReceipt::from_bytes(&receipt)
        .unwrap()
        .receipt_unverified()
        .unwrap();
    assert_eq!(
        van.apply_receipt(&SignedReceipt::sign(&fake, &forged.key).to_bytes())
            .unwrap_err()
            .code(),
        "bad_signature"
    );
    fake.van_id = "VAN-OTHER".into();
    assert_eq!(
        van.apply_receipt(&SignedReceipt::sign(&fake, &rabat.key).to_bytes())
            .unwrap_err()
            .code(),
        "mismatch"
    );

    // Purge: personal data and biometrics of the receipted enrollments leave the van.
    let first = van.get(&ids[0]).unwrap();
    let blob = first.portrait.unwrap().blob;
    let name = first.civil.family_name.latin;
    assert_eq!(van.purge_receipted(chrono::Duration::zero()).unwrap(), 3);
    assert_eq!(van.get(&ids[0]).unwrap_err().code(), "purged");
    assert_eq!(van.blob(&blob).unwrap_err().code(), "not_found");
    assert!(van.search(&name, 50).unwrap().iter().all(|s| !ids[..3].contains(&s.id)));
    assert!(van.get(&ids[3]).is_ok(), "unsent enrollments stay");
    let listed = van.list(None, 0, 10).unwrap();
    let gone = listed
        .iter()
        .find(|s| s.id == ids[0])
        .expect("a purged enrollment is still listed");
    assert_eq!(
        (
            gone.status.as_str(),
            gone.family_name.as_str(),
            gone.birth_date.as_str()
        ),
        ("received", "", "")
    );
    assert_eq!(van.sync_status().unwrap().purged, 3);
    assert!(van.verify_journal().unwrap().is_intact());

    // The next sealed enrollment goes out as batch 2, to the other center.
    van.seal(&ids[3], None).unwrap();
    let b2 = van.next_batch(100).unwrap().unwrap();
    assert_eq!(b2.seq, 2);
    let receipt = marrakech.receive(&mut van, &b2.envelope, &van_key);
    van.apply_receipt(&receipt).unwrap();
}

#[test]
fn usb_export_writes_the_batch_and_its_blobs() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut van, rabat, _) = setup(&tmp.path().join("van"));
    let van_key = van.store().public_key().unwrap();
    let (r, b) = sample::complete(7, "VAN-S", SUP, Utc::now());
    let id = van.enroll(r, &b).unwrap();
    van.seal(&id, None).unwrap();
    let stick = tmp.path().join("usb");
    let path = van.export_batch(&stick, 100).unwrap().unwrap();
    let files = std::fs::read_dir(&stick).unwrap().count();
    assert_eq!(files, 12, "the batch and 11 blobs");
    let bytes = std::fs::read(&path).unwrap();
    let receipt = rabat.receive(&mut van, &bytes, &van_key);
    van.apply_receipt(&receipt).unwrap();
    assert!(van.export_batch(&stick, 100).unwrap().is_none());
}

#[test]
fn without_centers_nothing_is_built() {
    let tmp = tempfile::tempdir().unwrap();
    let mut van = Store::init(
        tmp.path(),
        InitOptions {
            van_id: "VAN-S".into(),
            operator_id: SUP.into(),
            passphrase: PASS.into(),
            recovery: None,
            kdf_log_n: 10,
        },
    )
    .unwrap();
    let (r, b) = sample::complete(1, "VAN-S", SUP, Utc::now());
    let id = van.enroll(r, &b).unwrap();
    van.seal(&id, None).unwrap();
    assert_eq!(van.next_batch(10).unwrap_err().code(), "no_centers");
}

#[test]
fn a_receipt_stamped_by_a_wrong_clock_does_not_hold_data_for_years() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut van, rabat, _) = setup(tmp.path());
    let van_key = van.store().public_key().unwrap();
    let mut ids = Vec::new();
    for seed in 0..2 {
        let (r, b) = sample::complete(seed, "VAN-S", SUP, Utc::now());
        let id = van.enroll(r, &b).unwrap();
        van.seal(&id, None).unwrap();
        ids.push(id);
    }
    let batch = van.next_batch(100).unwrap().unwrap();
    let receipt = rabat.receive(&mut van, &batch.envelope, &van_key);
    van.apply_receipt(&receipt).unwrap();
    let retention = chrono::Duration::days(30);
    assert_eq!(
        van.purge_receipted(retention).unwrap(),
        0,
        "inside the retention period"
    );

    // The van's clock was five years ahead when the receipt came (the receipt time is the van's), and is right
    // again now: measured against that stamp, the retention would last five years.
    let db = rusqlite::Connection::open(tmp.path().join(qafila_store::DB_FILE)).unwrap();
    let ahead = (Utc::now() + chrono::Duration::days(5 * 365)).to_rfc3339();
    db.execute("UPDATE outbox SET receipted_at = ?1", [&ahead]).unwrap();
    drop(db);
    assert_eq!(van.purge_receipted(retention).unwrap(), 2);
    assert_eq!(van.get(&ids[0]).unwrap_err().code(), "purged");
    assert!(van.verify_journal().unwrap().is_intact());
}

#[test]
fn a_batch_built_before_a_key_rotation_stays_as_it_was_and_later_ones_use_the_new_key() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut van, rabat, _) = setup(tmp.path());
    let old_key = van.store().public_key().unwrap();
    let mut ids = Vec::new();
    for seed in 0..2 {
        let (r, b) = sample::complete(seed, "VAN-S", SUP, Utc::now());
        ids.push(van.enroll(r, &b).unwrap());
    }
    van.seal(&ids[0], None).unwrap();
    let before = van.next_batch(100).unwrap().unwrap();

    let epoch = van.rotate_key().unwrap();
    assert_eq!(
        epoch.first_batch, 2,
        "the new key signs from the batch after the one already built"
    );
    let new_key = van.store().public_key().unwrap();
    // The unreceipted batch is offered byte for byte, still signed by the old key.
    let again = van.next_batch(100).unwrap().unwrap();
    assert_eq!((again.seq, &again.envelope), (1, &before.envelope));
    let env = Envelope::from_bytes(&again.envelope).unwrap();
    env.verify(&old_key).unwrap();
    assert!(env.verify(&new_key).is_err());
    let receipt = rabat.receive(&mut van, &again.envelope, &old_key);
    van.apply_receipt(&receipt).unwrap();

    van.seal(&ids[1], None).unwrap();
    let after = van.next_batch(100).unwrap().unwrap();
    assert_eq!(after.seq, 2);
    let env = Envelope::from_bytes(&after.envelope).unwrap();
    env.verify(&new_key).unwrap();
    assert!(env.verify(&old_key).is_err());
    let receipt = rabat.receive(&mut van, &after.envelope, &new_key);
    van.apply_receipt(&receipt).unwrap();
    assert!(van.verify_journal().unwrap().is_intact());
}

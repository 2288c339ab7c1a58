//! Envelopes and receipts: round trips, and every kind of bad input refused with its reason.

use chrono::Utc;
use ed25519_dalek::SigningKey;
use proptest::prelude::*;
use qafila_domain::ApplicationId;
use qafila_wire::*;
use uuid::Uuid;

fn key(n: u8) -> SigningKey {
    SigningKey::from_bytes(&[n; 32])
}

fn payload(seq: u64, docs: usize, change_len: usize) -> BatchPayload {
    BatchPayload {
        v: PROTOCOL_VERSION,
        van_id: "VAN-07".into(),
        seq,
        batch_id: Uuid::now_v7(),
        van_clock: Utc::now(),
        van_counter: seq * 10,
        documents: (0..docs)
            .map(|i| DocumentChanges {
                id: ApplicationId::new_v7(),
                since: vec![],
                changes: vec![i as u8; change_len],
                heads: vec![format!("{i:064x}")],
                blobs: vec![BlobManifest {
                    sha256: format!("{i:064x}"),
                    size: 1234,
                }],
            })
            .collect(),
    }
}

struct Centers {
    rabat: age::x25519::Identity,
    marrakech: age::x25519::Identity,
}

impl Centers {
    fn new() -> Self {
        Centers {
            rabat: age::x25519::Identity::generate(),
            marrakech: age::x25519::Identity::generate(),
        }
    }
    fn recipients(&self) -> Vec<age::x25519::Recipient> {
        vec![self.rabat.to_public(), self.marrakech.to_public()]
    }
}

#[test]
fn either_center_opens_a_batch() {
    let c = Centers::new();
    let p = payload(1, 3, 100);
    let bytes = Envelope::seal_batch(&p, &c.recipients(), &key(1)).unwrap().to_bytes();
    let env = Envelope::from_bytes(&bytes).unwrap();
    let vk = key(1).verifying_key();
    assert_eq!(env.open_batch(&vk, std::slice::from_ref(&c.rabat)).unwrap(), p);
    assert_eq!(env.open_batch(&vk, std::slice::from_ref(&c.marrakech)).unwrap(), p);
    // A center that rotated its key still opens batches sealed to the old one.
    let new = age::x25519::Identity::generate();
    assert_eq!(env.open_batch(&vk, &[new, c.rabat.clone()]).unwrap(), p);
}

#[test]
fn bad_input_is_refused_with_its_reason() {
    let c = Centers::new();
    let p = payload(5, 2, 50);
    let env = Envelope::seal_batch(&p, &c.recipients(), &key(1)).unwrap();
    let vk = key(1).verifying_key();
    let ids = std::slice::from_ref(&c.rabat);
    let code = |r: Result<BatchPayload, WireError>| r.unwrap_err().code();

    // Forged: signed by another key.
    let forged = Envelope::seal_batch(&p, &c.recipients(), &key(2)).unwrap();
    assert_eq!(code(forged.open_batch(&vk, ids)), "bad_signature");
    // The outside says another sequence number than was signed.
    let mut renumbered = env.clone();
    renumbered.seq = 6;
    assert_eq!(code(renumbered.open_batch(&vk, ids)), "bad_signature");
    // Signed honestly, but the inside disagrees with the outside.
    let lie = Envelope::seal(Kind::Batch, "VAN-07", 9, &p.to_bytes(), &c.recipients(), &key(1)).unwrap();
    assert_eq!(code(lie.open_batch(&vk, ids)), "mismatch");
    // Encrypted to other keys.
    let other = Centers::new();
    let elsewhere = Envelope::seal_batch(&p, &other.recipients(), &key(1)).unwrap();
    assert_eq!(code(elsewhere.open_batch(&vk, ids)), "cannot_decrypt");
    // Truncated ciphertext (signature re-made so that only the decryption can notice).
    let mut cut = env.ciphertext.clone();
    cut.truncate(cut.len() - 10);
    let truncated = Envelope::seal(Kind::Batch, "VAN-07", 5, &[], &c.recipients(), &key(1)).map(|mut e| {
        e.ciphertext = cut;
        e
    });
    let truncated = truncated.unwrap();
    assert!(matches!(
        truncated.open_batch(&vk, ids).unwrap_err().code(),
        "bad_signature" | "cannot_decrypt"
    ));
    // Garbage, wrong magic, truncated bytes, a different version.
    assert_eq!(
        Envelope::from_bytes(b"GET / HTTP/1.1\r\n").unwrap_err().code(),
        "not_qafila"
    );
    let bytes = env.to_bytes();
    assert_eq!(
        Envelope::from_bytes(&bytes[..bytes.len() / 2]).unwrap_err().code(),
        "malformed"
    );
    let mut garbage = envelope::MAGIC.to_vec();
    garbage.extend_from_slice(&[0xff; 64]);
    assert_eq!(Envelope::from_bytes(&garbage).unwrap_err().code(), "malformed");
    let mut future = env.clone();
    future.v = 99;
    assert_eq!(
        Envelope::from_bytes(&future.to_bytes()).unwrap_err().code(),
        "unsupported_version"
    );
}

fn updates(center: &str, cursor: u64) -> UpdatePayload {
    UpdatePayload {
        v: PROTOCOL_VERSION,
        center: center.into(),
        van_id: "VAN-07".into(),
        cursor,
        server_time: Utc::now(),
        documents: payload(1, 1, 40).documents,
    }
}

fn replication(center: &str, cursor: u64) -> ReplicationPayload {
    ReplicationPayload {
        v: PROTOCOL_VERSION,
        center: center.into(),
        cursor,
        documents: payload(1, 2, 40).documents,
        batches: vec![],
        batch_cursor: 0,
        blobs: vec![],
        blob_cursor: 0,
    }
}

/// A compromised center, or someone on the network, sends a van updates under a center's name.
#[test]
fn a_van_refuses_forged_or_wrong_kind_updates() {
    let van = age::x25519::Identity::generate();
    let rabat = key(4).verifying_key();
    let code = |r: Result<UpdatePayload, WireError>| r.expect_err("must be refused").code();
    let p = updates("rabat", 12);
    let good = Envelope::seal_updates(&p, &van.to_public(), &key(4)).expect("seals");
    assert_eq!(good.open_updates(&rabat, &van).expect("the genuine updates open"), p);

    // Another center's key (marrakech signing as rabat), or any other key.
    let forged = Envelope::seal_updates(&p, &van.to_public(), &key(5)).expect("seals");
    assert_eq!(code(forged.open_updates(&rabat, &van)), "bad_signature");
    // The cursor on the outside changed after signing (to skip or repeat updates).
    let mut moved = good.clone();
    moved.seq = 13;
    assert_eq!(code(moved.open_updates(&rabat, &van)), "bad_signature");
    // The ciphertext swapped for other updates sealed to the same van, under the old signature.
    let mut swapped = good.clone();
    swapped.ciphertext = Envelope::seal_updates(&updates("rabat", 12), &van.to_public(), &key(5))
        .expect("seals")
        .ciphertext;
    assert_eq!(code(swapped.open_updates(&rabat, &van)), "bad_signature");
    // A signature of the wrong length.
    let mut short = good.clone();
    short.signature.truncate(10);
    assert_eq!(code(short.open_updates(&rabat, &van)), "bad_signature");
    // Signed by rabat, but the inside names another center or cursor.
    let lie = Envelope::seal(
        Kind::Updates,
        "rabat",
        12,
        &updates("marrakech", 12).to_bytes(),
        &[van.to_public()],
        &key(4),
    )
    .expect("seals");
    assert_eq!(code(lie.open_updates(&rabat, &van)), "mismatch");

    // Wrong kinds, genuinely signed with the center's key and encrypted to the van, and holding a valid update
    // payload: only the kind tells them apart, so a relabelled replication or batch is never taken as updates.
    for kind in [Kind::Replication, Kind::Batch, Kind::Appointments] {
        let other = Envelope::seal(kind, "rabat", 12, &p.to_bytes(), &[van.to_public()], &key(4)).expect("seals");
        let err = other.open_updates(&rabat, &van).expect_err("wrong kind");
        assert_eq!(err.code(), "malformed", "{kind:?}");
        assert!(err.to_string().contains("expected updates"), "{kind:?}: {err}");
        // Relabelling the kind on the outside breaks the signature instead.
        let mut relabelled = other.clone();
        relabelled.kind = Kind::Updates;
        assert_eq!(code(relabelled.open_updates(&rabat, &van)), "bad_signature", "{kind:?}");
    }
    // A van's own batch, played back to it as updates.
    let batch = Envelope::seal_batch(&payload(1, 1, 10), &[van.to_public()], &key(1)).expect("seals");
    assert_eq!(code(batch.open_updates(&rabat, &van)), "malformed");
}

/// A center refuses replication that its peer did not sign, or that is not replication.
#[test]
fn a_center_refuses_forged_or_wrong_kind_replication() {
    let rabat = age::x25519::Identity::generate();
    let ids = std::slice::from_ref(&rabat);
    let marrakech = key(6).verifying_key();
    let code = |r: Result<ReplicationPayload, WireError>| r.expect_err("must be refused").code();
    let p = replication("marrakech", 30);
    let good = Envelope::seal_replication(&p, &rabat.to_public(), &key(6)).expect("seals");
    assert_eq!(
        good.open_replication(&marrakech, ids)
            .expect("genuine replication opens"),
        p
    );

    let forged = Envelope::seal_replication(&p, &rabat.to_public(), &key(7)).expect("seals");
    assert_eq!(code(forged.open_replication(&marrakech, ids)), "bad_signature");
    let mut moved = good.clone();
    moved.seq = 31;
    assert_eq!(code(moved.open_replication(&marrakech, ids)), "bad_signature");
    let mut renamed = good.clone();
    renamed.sender = "rabat".into();
    assert_eq!(code(renamed.open_replication(&marrakech, ids)), "bad_signature");
    let mut flipped = good.clone();
    let n = flipped.ciphertext.len();
    flipped.ciphertext[n - 1] ^= 1;
    assert_eq!(code(flipped.open_replication(&marrakech, ids)), "bad_signature");
    let lie = Envelope::seal(
        Kind::Replication,
        "marrakech",
        30,
        &replication("marrakech", 99).to_bytes(),
        &[rabat.to_public()],
        &key(6),
    )
    .expect("seals");
    assert_eq!(code(lie.open_replication(&marrakech, ids)), "mismatch");

    for kind in [Kind::Updates, Kind::Batch, Kind::Appointments] {
        let other = Envelope::seal(kind, "marrakech", 30, &p.to_bytes(), &[rabat.to_public()], &key(6)).expect("seals");
        let err = other.open_replication(&marrakech, ids).expect_err("wrong kind");
        assert_eq!(err.code(), "malformed", "{kind:?}");
        assert!(err.to_string().contains("expected replication"), "{kind:?}: {err}");
        let mut relabelled = other.clone();
        relabelled.kind = Kind::Replication;
        assert_eq!(
            code(relabelled.open_replication(&marrakech, ids)),
            "bad_signature",
            "{kind:?}"
        );
    }
    // And a replication envelope is not a batch.
    let err = good
        .open_batch(&marrakech, ids)
        .expect_err("replication is not a batch");
    assert!(err.to_string().contains("expected a batch"), "{err}");
}

#[test]
fn bombs_are_refused_without_allocating() {
    // A CBOR byte string declaring 2^62 bytes, and 10,000 levels of nested arrays.
    let mut huge = envelope::MAGIC.to_vec();
    huge.extend_from_slice(&[0xa1, 0x61, b'v', 0x5b]);
    huge.extend_from_slice(&(1u64 << 62).to_be_bytes());
    assert_eq!(Envelope::from_bytes(&huge).unwrap_err().code(), "malformed");
    let mut deep = envelope::MAGIC.to_vec();
    deep.extend(std::iter::repeat_n(0x81u8, 10_000));
    assert_eq!(Envelope::from_bytes(&deep).unwrap_err().code(), "malformed");
    let oversized = vec![0u8; MAX_ENVELOPE_BYTES + 1];
    assert_eq!(Envelope::from_bytes(&oversized).unwrap_err().code(), "too_large");
}

#[test]
fn receipts_verify_offline_and_refuse_forgery() {
    let r = Receipt {
        v: PROTOCOL_VERSION,
        center: "rabat".into(),
        van_id: "VAN-07".into(),
        seq_from: 3,
        seq_to: 3,
        batch_id: Uuid::now_v7(),
        acked_through: 3,
        documents: vec![DocumentReceipt {
            id: ApplicationId::new_v7(),
            heads: vec!["ab".repeat(32)],
            routed_to: "rabat".into(),
        }],
        server_time: Utc::now(),
    };
    let signed = SignedReceipt::sign(&r, &key(9));
    let again = SignedReceipt::from_bytes(&signed.to_bytes()).unwrap();
    assert_eq!(again.verify(&key(9).verifying_key()).unwrap(), r);
    assert_eq!(
        again.verify(&key(8).verifying_key()).unwrap_err().code(),
        "bad_signature"
    );
    let mut tampered = again.clone();
    let n = tampered.body.len();
    tampered.body[n - 3] ^= 1;
    assert_eq!(
        tampered.verify(&key(9).verifying_key()).unwrap_err().code(),
        "bad_signature"
    );
}

#[test]
fn blobs_open_only_with_the_right_hash() {
    let c = Centers::new();
    let plain = b"fingerprint bytes".to_vec();
    let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&plain));
    let transfer = envelope::encrypt_to(&c.recipients(), &plain).unwrap();
    assert_eq!(
        blob::open(std::slice::from_ref(&c.marrakech), &transfer, &sha).unwrap(),
        plain
    );
    assert_eq!(
        blob::open(std::slice::from_ref(&c.marrakech), &transfer, &"0".repeat(64))
            .unwrap_err()
            .code(),
        "blob_hash_mismatch"
    );
    assert!(blob::is_sha256_hex(&sha) && !blob::is_sha256_hex("../etc/passwd"));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn envelope_round_trips(seq in 1u64..1_000_000, docs in 0usize..20, len in 0usize..2000) {
        let c = Centers::new();
        let p = payload(seq, docs, len);
        let env = Envelope::seal_batch(&p, &c.recipients(), &key(3)).unwrap();
        let parsed = Envelope::from_bytes(&env.to_bytes()).unwrap();
        prop_assert_eq!(&parsed, &env);
        prop_assert_eq!(parsed.open_batch(&key(3).verifying_key(), &[c.marrakech]).unwrap(), p);
    }

    #[test]
    fn parsing_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let mut with_magic = envelope::MAGIC.to_vec();
        with_magic.extend_from_slice(&bytes);
        let _ = Envelope::from_bytes(&bytes);
        let _ = Envelope::from_bytes(&with_magic);
        let _ = SignedReceipt::from_bytes(&bytes);
        let _ = BatchPayload::from_bytes(&bytes);
    }
}

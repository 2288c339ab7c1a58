//! One storage story, told once and run against both backends: whatever the center does with
//! SQLite it must be able to do, with the same results, with PostgreSQL.

mod common;

use qafila_server::db::*;
#[cfg(feature = "postgres")]
use qafila_server::postgres::PgDb;
use qafila_server::sqlite::SqliteDb;

const T0: &str = "2025-06-01T08:00:00Z";
const T1: &str = "2025-06-01T09:00:00Z";

fn van(id: &str, key: u8) -> VanRecord {
    VanRecord {
        id: id.into(),
        verifying_key: vec![key; 32],
        recipient: format!("age1{id}"),
        registered_at: T0.into(),
        revoked_at: None,
    }
}

fn batch(van_id: &str, seq: i64) -> BatchRecord {
    BatchRecord {
        van_id: van_id.into(),
        seq,
        batch_id: format!("batch-{van_id}-{seq}"),
        ct_hash: vec![seq as u8; 32],
        payload_digest: vec![seq as u8 ^ 0xff; 32],
        receipt: format!("receipt {seq}").into_bytes(),
        accepted_by: "rabat".into(),
        received_at: T0.into(),
    }
}

fn doc(id: &str, van_id: &str, routed_to: &str, status: &str) -> DocumentRecord {
    DocumentRecord {
        id: id.into(),
        van_id: van_id.into(),
        routed_to: routed_to.into(),
        status: status.into(),
        doc: format!("{id}:{status}").into_bytes(),
        heads: format!("{:02x}", id.len() + status.len()),
        updated_at: T0.into(),
    }
}

fn pairs(changes: &[ChangeRecord]) -> Vec<(&str, &str)> {
    changes.iter().map(|c| (c.doc_id.as_str(), c.origin.as_str())).collect()
}

fn counts(c: &Counts) -> [i64; 7] {
    [
        c.vans,
        c.revoked_vans,
        c.batches,
        c.documents,
        c.routed_here,
        c.blobs,
        c.changes,
    ]
}

fn state(received: i64, length: i64, complete: bool) -> BlobState {
    BlobState {
        received,
        length: Some(length),
        complete,
    }
}

async fn story(db: &dyn CenterDb) {
    // A second migration must find everything in place and change nothing.
    db.migrate().await.expect("migrate again");
    assert_eq!(counts(&db.counts("rabat").await.expect("counts")), [0; 7]);

    // Vans: register, re-register (the new key replaces the old), revoke once only.
    let v1 = van("van-01", 1);
    db.put_van(&v1).await.expect("put van-01");
    assert_eq!(db.van("van-01").await.expect("van"), Some(v1.clone()));
    assert_eq!(db.van("van-99").await.expect("unknown van"), None);
    let v1 = VanRecord {
        verifying_key: vec![7; 32],
        recipient: "age1rekeyed".into(),
        registered_at: T1.into(),
        ..v1
    };
    db.put_van(&v1).await.expect("re-register van-01");
    assert_eq!(db.van("van-01").await.expect("van"), Some(v1.clone()));
    let v2 = van("van-02", 2);
    db.put_van(&v2).await.expect("put van-02");
    assert_eq!(db.vans().await.expect("vans"), vec![v1.clone(), v2.clone()]);
    assert!(db.revoke_van("van-02", T1).await.expect("revoke"));
    assert!(
        !db.revoke_van("van-02", "2030-01-01T00:00:00Z")
            .await
            .expect("revoke again"),
        "revoked twice"
    );
    assert!(
        !db.revoke_van("van-99", T1).await.expect("revoke unknown"),
        "unknown van revoked"
    );
    let revoked = VanRecord {
        revoked_at: Some(T1.into()),
        ..v2
    };
    assert_eq!(
        db.van("van-02").await.expect("van"),
        Some(revoked.clone()),
        "the first revocation time stays"
    );
    assert_eq!(db.vans().await.expect("vans"), vec![v1, revoked]);

    // A batch whose blobs are not in yet is held pending, one per van and sequence number, the
    // newest few per van; committing the batch drops it.
    let pending = |van: &str, seq: i64, envelope: &[u8], documents: i64| PendingBatch {
        van_id: van.into(),
        seq,
        ct_hash: vec![seq as u8; 32],
        envelope: envelope.to_vec(),
        documents,
        received_at: T0.into(),
    };
    assert_eq!(db.pending("van-01", 1).await.expect("pending"), None);
    assert!(db.pending_counts().await.expect("counts").is_empty());
    db.put_pending(&pending("van-01", 1, b"first try", 2))
        .await
        .expect("put pending");
    db.put_pending(&pending("van-01", 1, b"rebuilt", 2))
        .await
        .expect("replace pending");
    assert_eq!(
        db.pending("van-01", 1).await.expect("pending"),
        Some(pending("van-01", 1, b"rebuilt", 2))
    );
    db.put_pending(&pending("van-02", 7, b"other van", 5))
        .await
        .expect("other van");
    for seq in 2..=(PENDING_PER_VAN + 1) {
        db.put_pending(&pending("van-01", seq, b"later", 1))
            .await
            .expect("later");
    }
    assert_eq!(
        db.pending("van-01", 1).await.expect("pending"),
        None,
        "only the newest {PENDING_PER_VAN} of a van are kept"
    );
    assert_eq!(
        db.pending_counts().await.expect("counts"),
        vec![
            PendingCount {
                van_id: "van-01".into(),
                batches: PENDING_PER_VAN,
                documents: PENDING_PER_VAN,
                oldest: T0.into(),
            },
            PendingCount {
                van_id: "van-02".into(),
                batches: 1,
                documents: 5,
                oldest: T0.into(),
            },
        ]
    );
    db.put_pending(&pending("van-01", 1, b"again", 2))
        .await
        .expect("pending 1 again");

    // A batch, its documents and their changes arrive together.
    let (d1, d2) = (
        doc("app-1", "van-01", "rabat", "captured"),
        doc("app-2", "van-01", "marrakech", "captured"),
    );
    let b1 = batch("van-01", 1);
    assert_eq!(db.batch("van-01", 1).await.expect("batch"), None);
    db.commit_batch(&b1, &[d1.clone(), d2.clone()], "van:van-01")
        .await
        .expect("commit 1");
    assert_eq!(
        db.pending("van-01", 1).await.expect("pending"),
        None,
        "a committed batch is no longer pending"
    );
    assert!(
        db.pending("van-01", 2).await.expect("pending").is_some(),
        "other batches stay"
    );
    assert_eq!(db.batch("van-01", 1).await.expect("batch"), Some(b1.clone()));
    assert_eq!(db.batch("van-02", 1).await.expect("other van's batch"), None);
    let ids = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        db.documents(&ids(&["app-1", "app-2"])).await.expect("documents"),
        vec![d1.clone(), d2.clone()]
    );
    let log = db.changes_since(0, 100).await.expect("changes");
    assert_eq!(pairs(&log), [("app-1", "van:van-01"), ("app-2", "van:van-01")]);

    // The same (van, seq) again, even with other contents, changes nothing at all.
    let replay = BatchRecord {
        batch_id: "batch-other".into(),
        receipt: b"other".to_vec(),
        ..b1.clone()
    };
    let rewritten = DocumentRecord {
        status: "tampered".into(),
        ..d1.clone()
    };
    db.commit_batch(
        &replay,
        &[rewritten, doc("app-9", "van-01", "rabat", "captured")],
        "van:van-01",
    )
    .await
    .expect("replay");
    assert_eq!(
        db.batch("van-01", 1).await.expect("batch"),
        Some(b1.clone()),
        "the first batch record stays"
    );
    assert_eq!(
        db.documents(&ids(&["app-1", "app-2", "app-9"]))
            .await
            .expect("documents"),
        vec![d1.clone(), d2.clone()],
        "a replayed batch changed documents"
    );
    assert_eq!(
        db.changes_since(0, 100).await.expect("changes"),
        log,
        "a replayed batch was logged"
    );

    // Acknowledgement runs only as far as the batches are contiguous from 1.
    assert_eq!(db.acked_through("van-01").await.expect("acked"), 1);
    let d3 = doc("app-3", "van-01", "rabat", "captured");
    let (b2, b4, b3) = (batch("van-01", 2), batch("van-01", 4), batch("van-01", 3));
    db.commit_batch(&b2, std::slice::from_ref(&d3), "van:van-01")
        .await
        .expect("commit 2");
    db.commit_batch(&b4, &[], "van:van-01").await.expect("commit 4");
    assert_eq!(db.acked_through("van-01").await.expect("acked"), 2, "1, 2, 4 held");
    assert_eq!(db.acked_through("van-02").await.expect("acked"), 0);
    db.commit_batch(&b3, &[], "van:van-01").await.expect("commit 3");
    assert_eq!(db.acked_through("van-01").await.expect("acked"), 4, "the gap is filled");

    // Documents come back in the order asked, missing ones left out.
    assert_eq!(
        db.documents(&ids(&["app-3", "app-404", "app-1"]))
            .await
            .expect("documents"),
        vec![d3, d1.clone()]
    );
    assert_eq!(db.documents(&[]).await.expect("no documents"), vec![]);

    // A center's change replaces the document in place; it stays with the van that enrolled it.
    let d1_approved = DocumentRecord {
        van_id: "van-02".into(),
        routed_to: "marrakech".into(),
        doc: b"approved at rabat".to_vec(),
        heads: "beef".into(),
        updated_at: T1.into(),
        ..doc("app-1", "van-01", "rabat", "approved")
    };
    db.put_documents(std::slice::from_ref(&d1_approved), "center:rabat")
        .await
        .expect("center change");
    let stored = DocumentRecord {
        van_id: "van-01".into(),
        ..d1_approved
    };
    assert_eq!(db.documents(&ids(&["app-1"])).await.expect("documents"), vec![stored]);
    let d4 = doc("app-4", "van-02", "rabat", "captured");
    db.put_documents(std::slice::from_ref(&d4), "peer:marrakech")
        .await
        .expect("peer change");
    let d4_fixed = DocumentRecord {
        status: "corrected".into(),
        ..d4
    };
    db.put_documents(&[d4_fixed], "van:van-02")
        .await
        .expect("van-02's own change");

    let log = db.changes_since(0, 100).await.expect("changes");
    assert_eq!(
        pairs(&log),
        [
            ("app-1", "van:van-01"),
            ("app-2", "van:van-01"),
            ("app-3", "van:van-01"),
            ("app-1", "center:rabat"),
            ("app-4", "peer:marrakech"),
            ("app-4", "van:van-02"),
        ]
    );
    assert!(
        log.windows(2).all(|w| w[0].seq < w[1].seq),
        "change seqs must increase: {log:?}"
    );
    assert_eq!(db.changes_since(log[2].seq, 2).await.expect("page"), log[3..5].to_vec());
    assert_eq!(db.changes_since(log[5].seq, 100).await.expect("end"), vec![]);
    assert_eq!(
        db.changes_since(0, -1).await.expect("no limit"),
        log,
        "a negative limit means none"
    );

    // A van is sent the changes to its documents that others made, never its own.
    assert_eq!(
        db.van_changes_since("van-01", 0, 100).await.expect("van-01 updates"),
        vec![log[3].clone()]
    );
    assert_eq!(
        db.van_changes_since("van-01", log[3].seq, 100)
            .await
            .expect("van-01 caught up"),
        vec![]
    );
    assert_eq!(
        db.van_changes_since("van-02", 0, 100).await.expect("van-02 updates"),
        vec![log[4].clone()]
    );
    assert_eq!(
        db.van_changes_since("van-99", 0, 100).await.expect("unknown van"),
        vec![]
    );

    // Blobs: chunks at the right offset, within the declared length, are appended atomically.
    let photo = "a".repeat(64);
    assert_eq!(db.blob_state(&photo).await.expect("state"), None);
    assert_eq!(
        db.blob_append(&photo, 0, 10, b"hello").await.expect("chunk 1"),
        state(5, 10, false)
    );
    let e = db.blob_append(&photo, 3, 10, b"xx").await;
    assert!(
        matches!(e, Err(DbError::Offset { given: 3, held: 5 })),
        "wrong offset accepted: {e:?}"
    );
    let e = db.blob_append(&photo, 5, 10, b"world!").await;
    assert!(matches!(e, Err(DbError::Length(_))), "overrun accepted: {e:?}");
    let e = db.blob_append(&photo, 5, 12, b"world").await;
    assert!(matches!(e, Err(DbError::Length(_))), "changed length accepted: {e:?}");
    assert_eq!(
        db.blob_state(&photo).await.expect("state"),
        Some(state(5, 10, false)),
        "a refused chunk left a trace"
    );
    assert_eq!(
        db.blob_append(&photo, 5, 10, b"world").await.expect("chunk 2"),
        state(10, 10, false)
    );
    assert_eq!(db.blob_data(&photo).await.expect("data"), Some(b"helloworld".to_vec()));
    assert_eq!(
        db.blobs_after(0, 100).await.expect("blobs"),
        vec![],
        "an unverified blob is listed"
    );
    db.blob_finish(&photo, true).await.expect("finish");
    assert_eq!(db.blob_state(&photo).await.expect("state"), Some(state(10, 10, true)));
    assert_eq!(
        db.blob_append(&photo, 10, 10, b"more")
            .await
            .expect("append to a complete blob"),
        state(10, 10, true),
        "a complete blob is left as it is"
    );
    assert_eq!(db.blob_data(&photo).await.expect("data"), Some(b"helloworld".to_vec()));

    // A first chunk that is refused leaves no blob behind; one that fails verification is discarded.
    let stray = "b".repeat(64);
    let e = db.blob_append(&stray, 1, 4, b"x").await;
    assert!(matches!(e, Err(DbError::Offset { given: 1, held: 0 })), "{e:?}");
    let e = db.blob_append(&stray, 0, 2, b"xyz").await;
    assert!(matches!(e, Err(DbError::Length(_))), "{e:?}");
    assert_eq!(db.blob_state(&stray).await.expect("state"), None);
    let forged = "c".repeat(64);
    db.blob_append(&forged, 0, 4, b"evil").await.expect("forged chunk");
    db.blob_finish(&forged, false).await.expect("discard");
    assert_eq!(db.blob_state(&forged).await.expect("state"), None);
    assert_eq!(db.blob_data(&forged).await.expect("data"), None);
    let sig = "d".repeat(64);
    db.blob_append(&sig, 0, 3, b"sig").await.expect("signature");
    db.blob_finish(&sig, true).await.expect("finish");

    // Replication pages through complete blobs and batches by row order.
    let first = db.blobs_after(0, 1).await.expect("blobs page 1");
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].1, photo);
    let second = db.blobs_after(first[0].0, 1).await.expect("blobs page 2");
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].1, sig);
    assert!(second[0].0 > first[0].0);
    assert_eq!(db.blobs_after(second[0].0, 1).await.expect("blobs end"), vec![]);
    assert_eq!(
        db.blobs_after(0, 100).await.expect("all blobs"),
        [first, second].concat()
    );

    let page = db.batches_after(0, 3).await.expect("batches page 1");
    assert_eq!(
        page.iter().map(|(_, b)| b.clone()).collect::<Vec<_>>(),
        vec![b1, b2, b4]
    );
    assert!(
        page.windows(2).all(|w| w[0].0 < w[1].0),
        "row ids must increase: {page:?}"
    );
    let rest = db.batches_after(page[2].0, 3).await.expect("batches page 2");
    assert_eq!(rest.iter().map(|(_, b)| b.clone()).collect::<Vec<_>>(), vec![b3]);
    assert!(rest[0].0 > page[2].0);
    assert_eq!(db.batches_after(rest[0].0, 3).await.expect("batches end"), vec![]);

    // Checkpoints.
    assert_eq!(db.checkpoint("marrakech:changes").await.expect("checkpoint"), 0);
    db.set_checkpoint("marrakech:changes", 42).await.expect("set");
    db.set_checkpoint("marrakech:changes", 7).await.expect("set again");
    assert_eq!(db.checkpoint("marrakech:changes").await.expect("checkpoint"), 7);
    assert_eq!(db.checkpoint("marrakech:blobs").await.expect("other checkpoint"), 0);

    // vans, revoked, batches, documents, routed here, complete blobs, changes.
    assert_eq!(
        counts(&db.counts("rabat").await.expect("counts")),
        [2, 1, 4, 4, 2, 2, 6]
    );
    assert_eq!(counts(&db.counts("marrakech").await.expect("counts"))[4], 2);

    // A whole blob stored at once is complete, listed after the others, and not overwritten later.
    let whole = "ab".repeat(32);
    let before = db.blobs_after(0, 100).await.expect("blobs").len();
    db.blob_put_complete(&whole, b"whole transfer form").await.expect("put");
    let state = db.blob_state(&whole).await.expect("state").expect("present");
    assert!(
        state.complete && state.received == 19 && state.length == Some(19),
        "{state:?}"
    );
    let listed = db.blobs_after(0, 100).await.expect("blobs");
    assert_eq!(listed.len(), before + 1);
    assert_eq!(listed.last().map(|(_, s)| s.as_str()), Some(whole.as_str()));
    db.blob_put_complete(&whole, b"something else")
        .await
        .expect("put again");
    assert_eq!(
        db.blob_data(&whole).await.expect("data").as_deref(),
        Some(&b"whole transfer form"[..])
    );

    // A batch's blobs are looked up in one call: only the complete ones are named, never a partial
    // upload, a discarded one or one never seen.
    let partial = "e".repeat(64);
    db.blob_append(&partial, 0, 10, b"half").await.expect("partial");
    let asked = [&photo, &partial, &forged, &whole, &"f".repeat(64), &sig].map(|s| s.to_string());
    assert_eq!(
        db.complete_blobs(&asked).await.expect("complete blobs"),
        [photo.clone(), whole.clone(), sig.clone()].into_iter().collect(),
    );
    assert!(db.complete_blobs(&[]).await.expect("no blobs").is_empty());

    staff_story(db).await;
    appointment_story(db).await;
    key_story(db).await;
}

/// Staff, sessions, audit, van contacts and the dashboard's queue queries.
async fn staff_story(db: &dyn CenterDb) {
    let alice = StaffRecord {
        id: "alice".into(),
        display_name: "Alice".into(),
        role: "reviewer".into(),
        password_hash: "$argon2id$fake".into(),
        created_at: T0.into(),
        disabled_at: None,
    };
    assert_eq!(db.staff("alice").await.expect("staff"), None);
    db.put_staff(&alice).await.expect("put staff");
    let promoted = StaffRecord {
        role: "administrator".into(),
        ..alice.clone()
    };
    db.put_staff(&promoted).await.expect("update staff");
    assert_eq!(db.staff("alice").await.expect("staff"), Some(promoted.clone()));
    assert_eq!(db.staff_list().await.expect("list"), vec![promoted]);

    let session = |token: &str, expires: &str| SessionRecord {
        token_hash: token.into(),
        staff_id: "alice".into(),
        csrf: format!("csrf-{token}"),
        created_at: T0.into(),
        expires_at: expires.into(),
    };
    db.put_session(&session("t1", "2099-01-01T00:00:00Z"))
        .await
        .expect("session 1");
    db.put_session(&session("t2", "2000-01-01T00:00:00Z"))
        .await
        .expect("session 2");
    db.put_session(&session("t3", "2099-01-01T00:00:00Z"))
        .await
        .expect("session 3");
    assert_eq!(
        db.session("t1").await.expect("session"),
        Some(session("t1", "2099-01-01T00:00:00Z"))
    );
    // Ending one session also sweeps the expired ones, and only those.
    db.delete_session("t1", T1).await.expect("logout");
    assert_eq!(db.session("t1").await.expect("session"), None);
    assert_eq!(db.session("t2").await.expect("session"), None, "expired session kept");
    assert!(db.session("t3").await.expect("session").is_some());
    db.delete_sessions_of("alice").await.expect("end all");
    assert_eq!(db.session("t3").await.expect("session"), None);

    db.audit(T0, "alice", "login", None, Some("ok")).await.expect("audit");
    db.audit(T1, "alice", "review.accept", Some("app-1"), None)
        .await
        .expect("audit");
    let log = db.audit_log(10).await.expect("audit log");
    let seen: Vec<_> = log.iter().map(|a| (a.action.as_str(), a.target.as_deref())).collect();
    assert_eq!(
        seen,
        [("review.accept", Some("app-1")), ("login", None)],
        "newest first"
    );
    assert!(log[0].seq > log[1].seq);
    assert_eq!(db.audit_log(1).await.expect("audit log").len(), 1);

    // A contact without a report keeps the last report.
    db.touch_van("van-01", T0, Some("{\"backlog\":3}"))
        .await
        .expect("touch");
    db.touch_van("van-01", T1, None).await.expect("touch");
    assert_eq!(
        db.van_contacts().await.expect("contacts"),
        vec![VanContact {
            van_id: "van-01".into(),
            last_contact: T1.into(),
            report: Some("{\"backlog\":3}".into()),
        }]
    );

    // Queues: counts per center and status add up; pages are ordered by last change; search by prefix.
    let mut queued = Vec::new();
    for (i, status) in ["sealed", "sealed", "accepted"].into_iter().enumerate() {
        let mut d = doc(&format!("q0{i}-app"), "van-01", "rabat", status);
        d.updated_at = format!("2025-07-0{}T00:00:00Z", 3 - i);
        queued.push(d);
    }
    db.put_documents(&queued, "center:rabat").await.expect("queue docs");
    let counts_now = db.counts("rabat").await.expect("counts");
    let per_queue = db.queue_counts().await.expect("queue counts");
    assert_eq!(per_queue.iter().map(|q| q.count).sum::<i64>(), counts_now.documents);
    let sealed_rabat = per_queue
        .iter()
        .find(|q| q.routed_to == "rabat" && q.status == "sealed")
        .map(|q| q.count);
    assert_eq!(sealed_rabat, Some(2));
    let page = db.list_documents("rabat", "sealed", 10, 0).await.expect("page");
    let ids: Vec<_> = page.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, ["q01-app", "q00-app"], "oldest change first");
    assert_eq!(
        db.list_documents("rabat", "sealed", 1, 1).await.expect("page")[0].id,
        "q00-app"
    );
    let found = db.find_documents("q0", 10).await.expect("find");
    assert_eq!(found.len(), 3);
    assert_eq!(db.find_documents("q01", 10).await.expect("find")[0].id, "q01-app");
    assert!(db.find_documents("zz", 10).await.expect("find").is_empty());
}

#[tokio::test]
async fn sqlite_story() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let db = SqliteDb::open(&dir.path().join("center.db")).expect("open");
    db.migrate().await.expect("migrate");
    story(&db).await;
}

// Without the feature there is no PostgreSQL backend to test.
#[cfg(feature = "postgres")]
#[tokio::test]
async fn postgres_story() {
    let pg = common::ScratchPostgres::create("story").await;
    let db = PgDb::connect(&pg.url).await.expect("connect");
    db.migrate().await.expect("migrate");
    story(&db).await;
    drop(db);
    pg.drop_database().await;
}

fn appointments(van_id: &str, drive_id: &str, version: i64, drive_end: &str) -> AppointmentRecord {
    AppointmentRecord {
        van_id: van_id.into(),
        drive_id: drive_id.into(),
        version,
        drive_end: drive_end.into(),
        published_at: T1.into(),
        list: format!("{drive_id} v{version}").into_bytes(),
    }
}

/// Appointment lists: one per van and drive, only a newer version replaces, purged after the drive.
async fn appointment_story(db: &dyn CenterDb) {
    assert!(db.appointment_lists("VAN-A").await.expect("lists").is_empty());
    for rec in [
        appointments("VAN-A", "ifrane", 1, "2025-06-03"),
        appointments("VAN-A", "azrou", 1, "2025-06-10"),
        appointments("VAN-B", "ifrane", 1, "2025-06-03"),
    ] {
        assert!(db.put_appointment_list(&rec).await.expect("put"), "{rec:?}");
    }
    // A newer version replaces; a replayed or older one does not.
    assert!(
        db.put_appointment_list(&appointments("VAN-A", "ifrane", 3, "2025-06-04"))
            .await
            .expect("newer")
    );
    for stale in [2, 3] {
        assert!(
            !db.put_appointment_list(&appointments("VAN-A", "ifrane", stale, "2025-06-30"))
                .await
                .expect("older")
        );
    }
    let held = db.appointment_lists("VAN-A").await.expect("lists");
    assert_eq!(
        held.iter()
            .map(|r| (r.drive_id.as_str(), r.version, r.drive_end.as_str()))
            .collect::<Vec<_>>(),
        [("ifrane", 3, "2025-06-04"), ("azrou", 1, "2025-06-10")]
    );
    assert_eq!(held[0].list, b"ifrane v3");
    assert_eq!(db.appointment_lists("VAN-B").await.expect("lists").len(), 1);

    // The last day of a drive still has its list; the day after, it is gone (for every van).
    assert_eq!(db.purge_appointment_lists("2025-06-04").await.expect("purge"), 1);
    assert_eq!(db.purge_appointment_lists("2025-06-05").await.expect("purge"), 1);
    let left = db.appointment_lists("VAN-A").await.expect("lists");
    assert_eq!(left.iter().map(|r| r.drive_id.as_str()).collect::<Vec<_>>(), ["azrou"]);
    assert!(db.appointment_lists("VAN-B").await.expect("lists").is_empty());
    assert_eq!(db.purge_appointment_lists("2025-06-05").await.expect("purge again"), 0);
}

fn retired(van_id: &str, old: u8, new: u8, until_seq: i64) -> RetiredVanKey {
    RetiredVanKey {
        van_id: van_id.into(),
        verifying_key: vec![old; 32],
        until_seq,
        successor: vec![new; 32],
        retired_at: T1.into(),
        statement: format!("{van_id} {old}->{new}").into_bytes(),
    }
}

/// Key rotations: the new key replaces the old one only if the old one is still the van's, the old one
/// is kept with its bound, and a revoked or unknown van does not rotate.
async fn key_story(db: &dyn CenterDb) {
    db.put_van(&van("van-k1", 0x41)).await.expect("put van-k1");
    assert!(db.retired_van_keys("van-k1").await.expect("retired").is_empty());
    let first = retired("van-k1", 0x41, 0x42, 5);
    assert!(db.rotate_van_key(&first).await.expect("rotate"));
    assert_eq!(
        db.van("van-k1").await.expect("van").expect("van-k1").verifying_key,
        vec![0x42; 32]
    );
    // The old key is no longer the van's: a rotation from it (a race lost, a replay) changes nothing.
    assert!(
        !db.rotate_van_key(&retired("van-k1", 0x41, 0x49, 9))
            .await
            .expect("stale rotation")
    );
    let second = retired("van-k1", 0x42, 0x43, 8);
    assert!(db.rotate_van_key(&second).await.expect("rotate again"));
    assert_eq!(
        db.van("van-k1").await.expect("van").expect("van-k1").verifying_key,
        vec![0x43; 32]
    );
    assert_eq!(
        db.retired_van_keys("van-k1").await.expect("retired"),
        vec![first, second]
    );

    // A van registered under its new key already takes the statement as a record of its old key.
    db.put_van(&van("van-k2", 0x52)).await.expect("put van-k2");
    let known = retired("van-k2", 0x51, 0x52, 3);
    assert!(db.rotate_van_key(&known).await.expect("rotate to the key it has"));
    assert_eq!(
        db.van("van-k2").await.expect("van").expect("van-k2").verifying_key,
        vec![0x52; 32]
    );
    assert_eq!(db.retired_van_keys("van-k2").await.expect("retired"), vec![known]);

    // Revoked or unknown: nothing moves.
    db.put_van(&van("van-k3", 0x61)).await.expect("put van-k3");
    assert!(db.revoke_van("van-k3", T1).await.expect("revoke"));
    assert!(
        !db.rotate_van_key(&retired("van-k3", 0x61, 0x62, 2))
            .await
            .expect("revoked")
    );
    assert_eq!(
        db.van("van-k3").await.expect("van").expect("van-k3").verifying_key,
        vec![0x61; 32]
    );
    assert!(db.retired_van_keys("van-k3").await.expect("retired").is_empty());
    assert!(!db.rotate_van_key(&retired("van-k9", 1, 2, 2)).await.expect("unknown"));
}

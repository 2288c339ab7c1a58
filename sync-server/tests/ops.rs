//! Operations over real HTTP: metrics move when a van syncs and stay behind their token; a backup
//! restored into an empty server (SQLite and PostgreSQL) holds the same documents and blobs and
//! still serves the van; a rotated key still opens what was sealed to the old one.

use std::path::Path;
use std::sync::Arc;

use chrono::Utc;
use qafila_server::backup::{self, BackupError, Storage};
use qafila_server::center::Center;
use qafila_server::config::Routing;
use qafila_server::db::CenterDb;
use qafila_server::http::{self, Options};
use qafila_server::keys::CenterKeys;
use qafila_server::staff;
use qafila_store::{InitOptions, Store, Van, sample};
use qafila_sync::{SyncOptions, sync_once};
use reqwest::StatusCode;

const TOKEN: &str = "a scraper's long random token";

fn routing() -> Routing {
    Routing {
        rabat_regions: (1..=12).map(|n| format!("{n:02}")).collect(),
        consulates: "rabat".into(),
    }
}

/// Serves a center on a free port; returns its URL.
async fn serve(center: Arc<Center>, options: Options) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let app = http::router_with(center, options);
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

/// A van that knows `keys`' center (its recipient as it is now) and is registered there.
async fn van(dir: &Path, keys: &CenterKeys, center: &Center) -> Van {
    let mut van = Store::init(
        &dir.join("van"),
        InitOptions {
            van_id: "VAN-07".into(),
            operator_id: "SUP".into(),
            passphrase: "van passphrase".into(),
            recovery: None,
            kdf_log_n: 10,
        },
    )
    .expect("van store");
    let info = keys.public_info();
    van.add_center(&info.center, &info.verifying_key, &info.recipient)
        .expect("add center");
    let key = hex::encode(van.store().public_key().expect("van key").as_bytes());
    center
        .register_van("VAN-07", &key, &van.update_recipient().expect("van recipient"))
        .await
        .expect("register van");
    van
}

fn enroll(v: &mut Van, seed: u64) -> String {
    let (r, b) = sample::complete(seed, "VAN-07", "SUP", Utc::now());
    let id = v.enroll(r, &b).expect("enroll");
    v.seal(&id, None).expect("seal");
    id.to_string()
}

fn opts() -> SyncOptions {
    SyncOptions {
        retention: chrono::Duration::days(30),
        freeze: "warn",
        ..SyncOptions::default()
    }
}

/// The value of one sample of the exposition text (`name{labels}` exactly as written).
fn metric(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.trim().parse().ok())
}

async fn scrape(http: &reqwest::Client, url: &str, auth: Option<&str>) -> (StatusCode, String) {
    let mut req = http.get(format!("{url}/metrics"));
    if let Some(a) = auth {
        req = req.header("authorization", a);
    }
    let resp = req.send().await.expect("scrape");
    (resp.status(), resp.text().await.unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_move_with_a_van_sync_and_need_the_token() {
    let tmp = tempfile::tempdir().expect("tmp");
    let db = qafila_server::sqlite::SqliteDb::open(&tmp.path().join("rabat.db")).expect("db");
    db.migrate().await.expect("migrate");
    let center = Arc::new(Center::new(
        CenterKeys::generate("rabat").expect("keys"),
        Arc::new(db),
        routing(),
        vec![],
    ));
    let url = serve(
        center.clone(),
        Options {
            metrics_token: Some(TOKEN.into()),
            ..Options::default()
        },
    )
    .await;
    let off = serve(center.clone(), Options::default()).await;
    let http = reqwest::Client::new();

    // No token configured: nothing there. Token configured: nothing without the right one.
    assert_eq!(
        scrape(&http, &off, Some(&format!("Bearer {TOKEN}"))).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(scrape(&http, &url, None).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(
        scrape(&http, &url, Some("Bearer wrong")).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(scrape(&http, &url, Some(TOKEN)).await.0, StatusCode::UNAUTHORIZED);
    let bearer = format!("Bearer {TOKEN}");
    let (st, before) = scrape(&http, &url, Some(&bearer)).await;
    assert_eq!(st, StatusCode::OK, "{before}");
    assert_eq!(metric(&before, "qafila_batches_accepted_total"), Some(0.0), "{before}");
    assert_eq!(metric(&before, "qafila_received_bytes_total"), Some(0.0));

    let mut v = van(tmp.path(), center.keys(), &center).await;
    enroll(&mut v, 21);
    enroll(&mut v, 22);
    sync_once(&mut v, &url, &opts(), &mut |_| {}).await.expect("sync");

    // A refused batch counts under its code.
    let resp = http
        .post(format!("{url}/v1/batches"))
        .body(b"not an envelope".to_vec())
        .send()
        .await
        .expect("bad batch");
    assert!(resp.status().is_client_error());
    let body: serde_json::Value = resp.json().await.expect("error body");
    let code = body["code"].as_str().expect("error code").to_owned();

    let (st, after) = scrape(&http, &url, Some(&bearer)).await;
    assert_eq!(st, StatusCode::OK);
    assert!(
        metric(&after, "qafila_batches_accepted_total").unwrap_or(0.0) >= 1.0,
        "{after}"
    );
    assert_eq!(metric(&after, "qafila_documents_merged_total"), Some(2.0), "{after}");
    // Two portraits and more went up as blobs: well over a kilobyte.
    assert!(
        metric(&after, "qafila_received_bytes_total").unwrap_or(0.0) > 1000.0,
        "{after}"
    );
    assert_eq!(
        metric(&after, &format!("qafila_van_protocol_errors_total{{code=\"{code}\"}}")),
        Some(1.0),
        "{after}"
    );
    let queued: f64 = after
        .lines()
        .filter(|l| l.starts_with("qafila_documents{routed_to=\"rabat\""))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum();
    assert_eq!(queued, 2.0, "{after}");
    let silence = metric(&after, "qafila_van_seconds_since_contact{van=\"VAN-07\"}").expect("van lag");
    assert!((0.0..60.0).contains(&silence), "{after}");
    // The van reported after its sync: nothing left unacknowledged.
    assert_eq!(
        metric(&after, "qafila_van_backlog{van=\"VAN-07\"}"),
        Some(0.0),
        "{after}"
    );
    assert_eq!(
        center.metrics().batches_accepted() as f64,
        metric(&after, "qafila_batches_accepted_total").unwrap_or(-1.0)
    );
}

/// Syncs a van into a center on `a`, backs it up, restores into the empty `b`, and checks that
/// `b` holds the same documents and blobs and carries on serving the van.
async fn backup_and_restore(dir: &Path, a: Storage, b: Storage) {
    let keys_a = dir.join("a-keys.json");
    CenterKeys::generate("rabat")
        .expect("keys")
        .save(&keys_a)
        .expect("save keys");
    let db_a = a.open().await.expect("open a");
    let center_a = Arc::new(Center::new(
        CenterKeys::load(&keys_a).expect("load keys"),
        db_a.clone(),
        routing(),
        vec![],
    ));
    staff::put_staff(
        db_a.as_ref(),
        "amina",
        "Amina",
        "administrator",
        "a long staff passphrase",
    )
    .await
    .expect("staff");
    let url_a = serve(center_a.clone(), Options::default()).await;
    let mut v = van(dir, center_a.keys(), &center_a).await;
    let first = enroll(&mut v, 31);
    enroll(&mut v, 32);
    sync_once(&mut v, &url_a, &opts(), &mut |_| {})
        .await
        .expect("sync into a");
    center_a
        .review(&first, qafila_domain::Status::Accepted)
        .await
        .expect("review");

    let out = dir.join("backup");
    let m = backup::backup(&a, &keys_a, "rabat", &out, "backup passphrase")
        .await
        .expect("backup");
    assert_eq!((m.content.documents, m.content.vans, m.content.staff), (2, 1, 1));
    assert!(m.content.blobs >= 2, "{m:?}");
    assert!(
        !std::fs::read_to_string(out.join("keys.json.age"))
            .unwrap_or_default()
            .contains("signing_key")
    );
    assert!(matches!(
        backup::backup(&a, &keys_a, "rabat", &out, "backup passphrase").await,
        Err(BackupError::File { .. })
    ));

    let keys_b = dir.join("b").join("keys.json");
    assert!(matches!(
        backup::restore(&b, &keys_b, "rabat", &out, "not the passphrase").await,
        Err(BackupError::Keys(_))
    ));
    assert!(matches!(
        backup::restore(&b, &keys_b, "marrakech", &out, "backup passphrase").await,
        Err(BackupError::Invalid { .. })
    ));
    let restored = backup::restore(&b, &keys_b, "rabat", &out, "backup passphrase")
        .await
        .expect("restore");
    assert_eq!(restored, m);

    // Refused a second time: the keys are there now, and so are the rows.
    let again = backup::restore(&b, &keys_b, "rabat", &out, "backup passphrase").await;
    assert!(matches!(again, Err(BackupError::NotEmpty(_))), "{again:?}");
    let again = backup::restore(&b, &dir.join("other-keys.json"), "rabat", &out, "backup passphrase").await;
    match again {
        Err(e @ BackupError::NotEmpty(_)) => assert!(e.to_string().contains("2 documents"), "{e}"),
        other => panic!("restore into a non-empty database: {other:?}"),
    }

    // Every document's heads and every blob's bytes, one by one.
    let db_b = b.open().await.expect("open b");
    let ids: Vec<String> = db_a
        .changes_since(0, 1000)
        .await
        .expect("changes")
        .into_iter()
        .map(|c| c.doc_id)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let docs_a = db_a.documents(&ids).await.expect("documents a");
    let docs_b = db_b.documents(&ids).await.expect("documents b");
    assert_eq!(docs_a.len(), 2);
    assert_eq!(docs_a, docs_b);
    let blobs = db_a.blobs_after(0, 1000).await.expect("blobs");
    assert_eq!(blobs.len() as i64, m.content.blobs);
    for (_, sha) in &blobs {
        let (x, y) = (
            db_a.blob_data(sha).await.expect("blob a"),
            db_b.blob_data(sha).await.expect("blob b"),
        );
        assert!(x.is_some() && x == y, "blob {sha} differs after restore");
    }

    // The restored center is the same center to the van: same keys, its receipts verify, the
    // sequence carries on, and the reviewer's decision reaches the van.
    let center_b = Arc::new(Center::new(
        CenterKeys::load(&keys_b).expect("restored keys"),
        db_b.clone(),
        routing(),
        vec![],
    ));
    assert_eq!(center_b.keys().public_info(), center_a.keys().public_info());
    let (_, heads, _) = center_b.enrollment(&first).await.expect("restored document opens");
    assert_eq!(
        heads.join(","),
        docs_a
            .iter()
            .find(|d| d.id == first)
            .map(|d| d.heads.clone())
            .unwrap_or_default()
    );
    let url_b = serve(center_b.clone(), Options::default()).await;
    enroll(&mut v, 33);
    let report = sync_once(&mut v, &url_b, &opts(), &mut |_| {})
        .await
        .expect("sync into the restored center");
    assert_eq!(report.batches, 1, "{report:?}");
    assert!(
        report.updates >= 1,
        "the acceptance made at a reached the van through b: {report:?}"
    );
    let counts = db_b.counts("rabat").await.expect("counts");
    assert_eq!((counts.documents, counts.batches), (3, 2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_from_backup_into_an_empty_sqlite_server_gives_identical_documents_and_blobs() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (a, b) = (
        Storage::Sqlite(tmp.path().join("a.db")),
        Storage::Sqlite(tmp.path().join("b").join("center.db")),
    );
    backup_and_restore(tmp.path(), a, b).await;
}

#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_from_backup_into_an_empty_postgres_server_gives_identical_documents_and_blobs() {
    use sqlx::Connection;
    let Ok(url) = std::env::var("QAFILA_TEST_POSTGRES_URL") else {
        panic!(
            "QAFILA_TEST_POSTGRES_URL is not set: run the tests through scripts/test, which starts a PostgreSQL \
             cluster (or run `scripts/postgres start DIR` and export the URL it prints)"
        );
    };
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_nanos();
    let names = [
        format!("qafila_backup_a_{}_{nanos}", std::process::id()),
        format!("qafila_backup_b_{}_{nanos}", std::process::id()),
    ];
    let mut admin = sqlx::PgConnection::connect(&url)
        .await
        .expect("connect to QAFILA_TEST_POSTGRES_URL");
    for n in &names {
        sqlx::query(&format!("CREATE DATABASE {n}"))
            .execute(&mut admin)
            .await
            .expect("create database");
    }
    let at = |name: &str| match url.rsplit_once('/') {
        Some((base, _)) => format!("{base}/{name}"),
        None => panic!("QAFILA_TEST_POSTGRES_URL has no database part: {url}"),
    };
    let tmp = tempfile::tempdir().expect("tmp");
    backup_and_restore(
        tmp.path(),
        Storage::Postgres(at(&names[0])),
        Storage::Postgres(at(&names[1])),
    )
    .await;
    for n in &names {
        sqlx::query(&format!("DROP DATABASE {n} WITH (FORCE)"))
            .execute(&mut admin)
            .await
            .expect("drop database");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_key_rotation_old_batches_and_stored_documents_still_open() {
    let tmp = tempfile::tempdir().expect("tmp");
    let keys_path = tmp.path().join("keys.json");
    CenterKeys::generate("rabat")
        .expect("keys")
        .save(&keys_path)
        .expect("save");
    let db: Arc<dyn CenterDb> = Arc::new(qafila_server::sqlite::SqliteDb::open(&tmp.path().join("c.db")).expect("db"));
    db.migrate().await.expect("migrate");
    let before = Arc::new(Center::new(
        CenterKeys::load(&keys_path).expect("load"),
        db.clone(),
        routing(),
        vec![],
    ));
    let url = serve(before.clone(), Options::default()).await;
    // The van learns the recipient once and keeps it through the rotation.
    let mut v = van(tmp.path(), before.keys(), &before).await;
    let old_doc = enroll(&mut v, 41);
    sync_once(&mut v, &url, &opts(), &mut |_| {})
        .await
        .expect("sync before rotation");
    let old_recipient = before.keys().recipient().to_string();

    // What `qafila-server rotate-key` does, then a restart.
    let mut keys = CenterKeys::load(&keys_path).expect("load");
    keys.rotate();
    keys.save(&keys_path).expect("save rotated");
    let after = Arc::new(Center::new(
        CenterKeys::load(&keys_path).expect("reload"),
        db.clone(),
        routing(),
        vec![],
    ));
    assert_ne!(after.keys().recipient().to_string(), old_recipient);
    assert_eq!(after.keys().identities.len(), 2);
    let url = serve(after.clone(), Options::default()).await;

    // A batch (and its blobs) sealed to the old recipient is accepted and decrypted.
    let new_doc = enroll(&mut v, 42);
    let report = sync_once(&mut v, &url, &opts(), &mut |_| {})
        .await
        .expect("sync after rotation");
    assert_eq!(report.batches, 1, "{report:?}");
    let (record, _, _) = after.enrollment(&new_doc).await.expect("new document opens");
    let portrait = record.portrait.expect("portrait");
    after
        .blob_plain(&portrait.blob.0)
        .await
        .expect("blob sealed to the old key opens");

    // Documents stored before the rotation still open; those stored after are sealed to the new key.
    after
        .enrollment(&old_doc)
        .await
        .expect("document stored before rotation opens");
    let stored = db.documents(std::slice::from_ref(&new_doc)).await.expect("stored");
    let newest = &after.keys().identities[..1];
    qafila_wire::envelope::decrypt_with(newest, &stored[0].doc, qafila_wire::MAX_ENVELOPE_BYTES)
        .expect("stored after rotation: sealed to the new key");
}

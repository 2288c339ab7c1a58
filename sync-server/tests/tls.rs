//! HTTPS over real TCP on loopback: a van syncs with a center that serves the certificate
//! `qafila-server tls-cert` makes, only when it trusts that certificate; the peer center replicates
//! over HTTPS; a plain-HTTP client, a stalled handshake and a wrong authority are refused without
//! harm; the dashboard's cookie is `Secure`.

mod common;

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use qafila_server::center::Center;
use qafila_server::config::{Config, Peer, Routing};
use qafila_server::keys::CenterKeys;
use qafila_server::limits::Limits;
use qafila_server::sqlite::SqliteDb;
use qafila_store::sample;
use qafila_sync::{SyncError, SyncOptions, sync_once};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A center serving HTTPS with a fresh self-signed certificate; returns it, its URL and the certificate.
async fn https_center(dir: &std::path::Path, id: &str, limits: Limits) -> (common::Server, Vec<u8>) {
    https_center_with(dir, CenterKeys::generate(id).unwrap(), vec![], limits).await
}

async fn https_center_with(
    dir: &std::path::Path,
    keys: CenterKeys,
    peers: Vec<Peer>,
    limits: Limits,
) -> (common::Server, Vec<u8>) {
    let id = keys.center.clone();
    let id = id.as_str();
    let data = dir.join(id);
    std::fs::create_dir_all(&data).unwrap();
    let files = qafila_server::tls::generate(&data, &["127.0.0.1".into(), "localhost".into()]).expect("certificate");
    let cfg = Config {
        tls: Some(files.clone()),
        ..config(id, &data)
    };
    let tls = qafila_server::tls::server_config(&cfg)
        .expect("TLS settings")
        .expect("TLS on");
    let db = SqliteDb::open(&data.join("c.db")).unwrap();
    let server = common::start_with(Arc::new(db), keys, peers, |center| async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("https://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let app = qafila_server::http::router(center);
        tokio::spawn(async move { qafila_server::http::serve(listener, app, &limits, Some(tls)).await });
        url
    })
    .await;
    let cert = std::fs::read(data.join(&files.cert)).unwrap();
    (server, cert)
}

fn config(id: &str, data: &std::path::Path) -> Config {
    toml::from_str(&format!(
        "center = {id:?}\ndata_dir = {:?}\n",
        data.display().to_string()
    ))
    .expect("config")
}

fn opts(authorities: Option<Vec<u8>>) -> SyncOptions {
    SyncOptions {
        attempts: 2,
        backoff: Duration::from_millis(10),
        tls_authorities: authorities,
        ..SyncOptions::default()
    }
}

fn unreachable_reason(e: SyncError) -> String {
    match e {
        SyncError::Unreachable { last, .. } => last,
        other => panic!("expected the center to be unreachable, got {other}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_van_syncs_over_https_only_with_the_centers_certificate() {
    let tmp = tempfile::tempdir().unwrap();
    let (s, cert) = https_center(tmp.path(), "rabat", Limits::default()).await;
    let mut van = common::van(tmp.path(), &s).await;
    let (record, blobs) = sample::complete(1, "VAN-07", "SUP", Utc::now());
    let id = van.enroll(record, &blobs).unwrap();
    van.seal(&id, None).unwrap();

    // The system's store does not know a self-signed certificate: refused, nothing sent or lost.
    let e = sync_once(&mut van, &s.url, &opts(None), &mut |_| {}).await.unwrap_err();
    let reason = unreachable_reason(e);
    assert!(reason.to_lowercase().contains("certificate"), "{reason}");
    // Another center's certificate is no better.
    let (_, other_cert) = https_center(tmp.path(), "marrakech", Limits::default()).await;
    let e = sync_once(&mut van, &s.url, &opts(Some(other_cert)), &mut |_| {})
        .await
        .unwrap_err();
    assert!(unreachable_reason(e).to_lowercase().contains("certificate"));
    assert_eq!(
        van.sync_status().unwrap().documents_pending,
        1,
        "the van still holds the enrollment"
    );
    assert_eq!(s.center.db().counts("rabat").await.unwrap().batches, 0);

    // With the certificate: delivered, receipted, purged.
    let report = sync_once(&mut van, &s.url, &opts(Some(cert.clone())), &mut |_| {})
        .await
        .expect("sync over HTTPS");
    assert_eq!((report.batches, report.documents, report.purged), (1, 1, 1));
    assert!(report.blobs >= 11, "portrait and ten prints sent: {}", report.blobs);
    assert_eq!(van.sync_status().unwrap().documents_pending, 0);

    // Plain HTTP to the HTTPS port gets no answer, and the center keeps serving.
    let plain = reqwest::Client::new()
        .get(s.url.replace("https://", "http://") + "/v1/status")
        .timeout(Duration::from_secs(10))
        .send()
        .await;
    assert!(plain.is_err() || !plain.unwrap().status().is_success());
    let status = tls_client(&cert)
        .get(format!("{}/v1/status", s.url))
        .send()
        .await
        .expect("status over HTTPS");
    assert!(status.status().is_success());
    assert_eq!(
        status
            .headers()
            .get("strict-transport-security")
            .and_then(|v| v.to_str().ok()),
        Some("max-age=31536000")
    );
}

fn tls_client(cert: &[u8]) -> reqwest::Client {
    reqwest::Client::builder()
        .tls_backend_preconfigured(qafila_wire::tls::client_config(cert, "test").unwrap())
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_cookie_is_secure_over_https() {
    let tmp = tempfile::tempdir().unwrap();
    let (s, cert) = https_center(tmp.path(), "rabat", Limits::default()).await;
    qafila_server::staff::put_staff(
        s.center.db().as_ref(),
        "admin",
        "Admin",
        "administrator",
        "correct horse battery",
    )
    .await
    .expect("staff");
    let resp = tls_client(&cert)
        .post(format!("{}/api/session", s.url))
        .json(&serde_json::json!({"id": "admin", "password": "correct horse battery"}))
        .send()
        .await
        .expect("login");
    assert!(resp.status().is_success(), "{}", resp.status());
    let cookie = resp
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(cookie.contains("HttpOnly") && cookie.ends_with("; Secure"), "{cookie}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_finishes_the_handshake_is_dropped() {
    let tmp = tempfile::tempdir().unwrap();
    let limits = Limits {
        header_timeout_s: 1,
        max_connections: 2,
        ..Limits::default()
    };
    let (s, cert) = https_center(tmp.path(), "rabat", limits).await;
    let addr = s.url.trim_start_matches("https://").to_owned();
    // Two stalled connections fill both slots; the server must let them go.
    let mut stalled = Vec::new();
    for _ in 0..2 {
        let mut c = tokio::net::TcpStream::connect(&addr).await.unwrap();
        c.write_all(&[0x16, 0x03, 0x01]).await.unwrap();
        stalled.push(c);
    }
    for mut c in stalled {
        let mut buf = [0u8; 64];
        let n = tokio::time::timeout(Duration::from_secs(10), c.read(&mut buf))
            .await
            .expect("the server hangs up within the header timeout");
        assert!(matches!(n, Ok(0) | Err(_)), "{n:?}");
    }
    let ok = tls_client(&cert)
        .get(format!("{}/v1/status", s.url))
        .send()
        .await
        .expect("a real client is served after the stalled ones are gone");
    assert!(ok.status().is_success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_peer_center_replicates_over_https_with_its_ca_setting() {
    let tmp = tempfile::tempdir().unwrap();
    let marrakech_keys = CenterKeys::generate("marrakech").unwrap();
    let m = marrakech_keys.public_info();
    let knows_marrakech = Peer {
        id: m.center.clone(),
        // Rabat only answers Marrakech here; it never calls it.
        url: "https://127.0.0.1:9".into(),
        verifying_key: m.verifying_key.clone(),
        recipient: m.recipient.clone(),
        ca: None,
    };
    let (rabat, rabat_cert) = https_center_with(
        tmp.path(),
        CenterKeys::generate("rabat").unwrap(),
        vec![knows_marrakech],
        Limits::default(),
    )
    .await;
    let mut van = common::van(tmp.path(), &rabat).await;
    // Batches are encrypted to both centers, so Marrakech can read what it replicates.
    van.add_center(&m.center, &m.verifying_key, &m.recipient).unwrap();
    let (record, blobs) = sample::complete(2, "VAN-07", "SUP", Utc::now());
    let id = van.enroll(record, &blobs).unwrap();
    van.seal(&id, None).unwrap();
    sync_once(&mut van, &rabat.url, &opts(Some(rabat_cert.clone())), &mut |_| {})
        .await
        .expect("sync");

    let data = tmp.path().join("marrakech");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("rabat-ca.pem"), &rabat_cert).unwrap();
    let info = rabat.center.keys().public_info();
    let text = format!(
        "center = \"marrakech\"\ndata_dir = {:?}\n[[peers]]\nid = \"rabat\"\nurl = {:?}\nverifying_key = {:?}\nrecipient = {:?}\nca = \"rabat-ca.pem\"\n",
        data.display().to_string(),
        rabat.url,
        info.verifying_key,
        info.recipient
    );
    let cfg: Config = toml::from_str(&text).expect("config with a peer ca");
    let db = SqliteDb::open(&data.join("c.db")).unwrap();
    use qafila_server::db::CenterDb;
    db.migrate().await.unwrap();
    let marrakech = Center::new(marrakech_keys, Arc::new(db), Routing::default(), cfg.peers.clone());
    let client = qafila_server::tls::replication_client(&cfg).expect("replication client");
    let (documents, batches, _) = marrakech.replicate_once(&client).await.expect("replication over HTTPS");
    assert_eq!((documents, batches), (1, 1));

    // Without the ca setting the system store is used, which does not know Rabat's certificate.
    let mut no_ca = cfg.clone();
    no_ca.peers[0].ca = None;
    let client = qafila_server::tls::replication_client(&no_ca).expect("client");
    let e = marrakech.replicate_once(&client).await.unwrap_err();
    assert!(e.to_string().to_lowercase().contains("certificate"), "{e}");

    // A ca file that is not a certificate is named in the error.
    std::fs::write(data.join("rabat-ca.pem"), b"not a certificate").unwrap();
    let e = qafila_server::tls::replication_client(&cfg).unwrap_err();
    assert!(format!("{e:#}").contains("rabat-ca.pem"), "{e:#}");
}

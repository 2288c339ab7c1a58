//! The server's structured logs never hold personal data: every event of an ingest, a dashboard
//! session and a review (at TRACE, the libraries' included) is captured and searched for the
//! applicants' names and dates of birth.
//!
//! This file holds one test: the subscriber is process-wide, so that events from every runtime
//! thread are caught.

use std::io::Write;
use std::sync::{Arc, Mutex};

use chrono::Utc;
use qafila_domain::BirthDate;
use qafila_server::center::Center;
use qafila_server::config::Routing;
use qafila_server::db::CenterDb;
use qafila_server::keys::CenterKeys;
use qafila_server::sqlite::SqliteDb;
use qafila_server::staff;
use qafila_store::{InitOptions, Store, sample};
use qafila_sync::{SyncOptions, sync_once};
use reqwest::StatusCode;
use serde_json::json;

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_of_an_ingest_and_a_review_hold_no_personal_data() {
    let buffer = Buffer::default();
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::set_global_default(subscriber).expect("the only subscriber of this test binary");

    let tmp = tempfile::tempdir().expect("tmp");
    let db = SqliteDb::open(&tmp.path().join("c.db")).expect("db");
    db.migrate().await.expect("migrate");
    staff::put_staff(&db, "rami", "Rami", "reviewer", "a long staff passphrase")
        .await
        .expect("staff");
    let center = Arc::new(Center::new(
        CenterKeys::generate("rabat").expect("keys"),
        Arc::new(db),
        Routing {
            rabat_regions: (1..=12).map(|n| format!("{n:02}")).collect(),
            consulates: "rabat".into(),
        },
        vec![],
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let app = qafila_server::http::router(center.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });

    let mut van = Store::init(
        &tmp.path().join("van"),
        InitOptions {
            van_id: "VAN-07".into(),
            operator_id: "SUP".into(),
            passphrase: "van passphrase".into(),
            recovery: None,
            kdf_log_n: 10,
        },
    )
    .expect("van");
    let info = center.keys().public_info();
    van.add_center(&info.center, &info.verifying_key, &info.recipient)
        .expect("add center");
    let key = hex::encode(van.store().public_key().expect("van key").as_bytes());
    center
        .register_van("VAN-07", &key, &van.update_recipient().expect("recipient"))
        .await
        .expect("register");

    let mut personal = Vec::new();
    let mut ids = Vec::new();
    for seed in [51, 52] {
        let (r, b) = sample::complete(seed, "VAN-07", "SUP", Utc::now());
        let c = &r.civil;
        for name in [&c.family_name, &c.given_names, &c.father, &c.mother] {
            personal.push(name.latin.clone());
            personal.push(name.arabic.clone());
        }
        if let BirthDate::Full(d) = &c.birth_date {
            personal.push(d.to_string());
            personal.push(d.format("%d/%m/%Y").to_string());
        }
        let id = van.enroll(r, &b).expect("enroll");
        van.seal(&id, None).expect("seal");
        ids.push(id.to_string());
    }
    personal.retain(|p| p.chars().count() >= 3);
    let opts = SyncOptions {
        retention: chrono::Duration::days(30),
        freeze: "warn",
        ..SyncOptions::default()
    };
    sync_once(&mut van, &url, &opts, &mut |_| {}).await.expect("sync");

    // A reviewer opens one application (its body carries the names: the log must not) and decides.
    let http = reqwest::Client::new();
    let resp = http
        .post(format!("{url}/api/session"))
        .json(&json!({"id": "rami", "password": "a long staff passphrase"}))
        .send()
        .await
        .expect("login");
    let cookie = resp
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .expect("cookie")
        .to_owned();
    let session: serde_json::Value = resp.json().await.expect("session");
    let csrf = session["csrf"].as_str().expect("csrf").to_owned();
    let resp = http
        .get(format!("{url}/api/applications/{}", ids[0]))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("view");
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.text().await.unwrap_or_default().contains(&personal[0]),
        "the page shows the name"
    );
    for (id, decision) in [
        (&ids[0], json!({"decision": "accept"})),
        (
            &ids[1],
            json!({"decision": "recapture", "items": ["portrait"], "note": "eyes closed"}),
        ),
    ] {
        let resp = http
            .post(format!("{url}/api/applications/{id}/decision"))
            .header("cookie", &cookie)
            .header("x-csrf-token", &csrf)
            .json(&decision)
            .send()
            .await
            .expect("decide");
        assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    }
    // The decision reaches the van at its next sync (more logged work on both sides).
    sync_once(&mut van, &url, &opts, &mut |_| {})
        .await
        .expect("second sync");
    // A failure path too: a document the center refuses is logged by code, not content.
    let _ = center.review(&ids[0], qafila_domain::Status::Accepted).await;

    let text = String::from_utf8_lossy(&buffer.0.lock().unwrap_or_else(|p| p.into_inner())).into_owned();
    assert!(text.contains("batch accepted"), "the capture works: {text}");
    // Case-sensitive: the names are upper-case Latin and Arabic, and a lower-case "ali" would also
    // be found in "invalid".
    for p in &personal {
        assert!(
            !text.contains(p.as_str()),
            "the logs hold personal data ({p:?}):\n{}",
            text.lines()
                .filter(|l| l.contains(p.as_str()))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}

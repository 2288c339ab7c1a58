//! A van asks which blobs a center lacks before it posts a batch, so the envelope crosses the link
//! once; a center that does not know the question still gets everything, through the 202 reply.

mod common;

use std::sync::Arc;

use axum::http::StatusCode;
use chrono::Utc;
use qafila_server::keys::CenterKeys;
use qafila_server::sqlite::SqliteDb;
use qafila_store::{Van, sample};
use qafila_sync::{SyncOptions, sync_once};
use qafila_wire::{blob, request};

fn opts() -> SyncOptions {
    SyncOptions {
        retention: chrono::Duration::days(30),
        freeze: "warn",
        ..SyncOptions::default()
    }
}

fn enroll(v: &mut Van, seed: u64) -> String {
    let (r, b) = sample::complete(seed, "VAN-07", "SUP", Utc::now());
    let id = v.enroll(r, &b).expect("enroll");
    v.seal(&id, None).expect("seal");
    id.to_string()
}

/// Posts the question as the van would, signed by `signer`; returns the status and the JSON body.
async fn ask(s: &common::Server, signer: &Van, body: &[u8]) -> (StatusCode, serde_json::Value) {
    let sig = signer.sign_request("POST", blob::MISSING_PATH, body);
    let resp = s
        .http
        .post(format!("{}{}", s.url, blob::MISSING_PATH))
        .header(request::SENDER, "VAN-07")
        .header(request::SIGNATURE, sig)
        .body(body.to_vec())
        .send()
        .await
        .expect("ask");
    let status = resp.status();
    (status, resp.json().await.unwrap_or_default())
}

#[tokio::test]
async fn the_envelope_crosses_once_and_old_centers_still_get_everything() {
    let tmp = tempfile::tempdir().expect("tmp");
    let s = common::start(tmp.path()).await;
    let mut van = common::van(tmp.path(), &s).await;
    enroll(&mut van, 31);
    enroll(&mut van, 32);

    let report = sync_once(&mut van, &s.url, &opts(), &mut |_| {}).await.expect("sync");
    assert_eq!((report.batches, report.documents), (1, 2));
    assert!(report.blobs >= 22, "two portraits and twenty prints: {}", report.blobs);
    assert_eq!(
        s.center.metrics().batches_awaiting_blobs(),
        0,
        "the van asked first, so its batch was never answered 202"
    );
    assert_eq!(s.center.metrics().batches_accepted(), 1);

    // The question itself: only complete blobs count as held, each missing name comes back once.
    let held: Vec<String> = s
        .center
        .db()
        .blobs_after(0, 100)
        .await
        .expect("blobs")
        .into_iter()
        .map(|(_, sha)| sha)
        .collect();
    let unknown = "0f".repeat(32);
    let query = blob::MissingQuery {
        blobs: vec![held[0].clone(), unknown.clone(), held[1].clone(), unknown.clone()],
    };
    let (status, body) = ask(&s, &van, &serde_json::to_vec(&query).unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["missing_blobs"], serde_json::json!([unknown]));

    // Bad questions: named errors, nothing changed.
    let (status, body) = ask(&s, &van, br#"{"blobs": ["not-a-name"]}"#).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("bad_blob")),
        "{body}"
    );
    assert!(body["message"].as_str().unwrap_or("").contains("not-a-name"), "{body}");
    let (status, body) = ask(&s, &van, b"[1, 2, 3]").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("malformed")),
        "{body}"
    );
    assert!(body["message"].as_str().unwrap_or("").contains("blobs query"), "{body}");
    let too_many = blob::MissingQuery {
        blobs: vec![unknown.clone(); blob::MAX_MISSING_QUERY + 1],
    };
    let (status, body) = ask(&s, &van, &serde_json::to_vec(&too_many).unwrap()).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("too_large")),
        "{body}"
    );
    let resp = s
        .http
        .post(format!("{}{}", s.url, blob::MISSING_PATH))
        .header(request::SENDER, "VAN-07")
        .header(request::SIGNATURE, "00".repeat(64))
        .body(serde_json::to_vec(&query).unwrap())
        .send()
        .await
        .expect("forged");
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);

    // A center from before the question answers 404 to it: the van posts the envelope first, as it
    // used to, uploads what the 202 names, and is receipted all the same.
    let old_dir = tmp.path().join("old");
    std::fs::create_dir(&old_dir).expect("dir");
    let old = common::start_with(
        Arc::new(SqliteDb::open(&old_dir.join("old.db")).expect("db")),
        CenterKeys::generate("rabat").expect("keys"),
        vec![],
        |center| async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
            let url = format!("http://{}", listener.local_addr().expect("addr"));
            let app = axum::Router::new()
                .route(
                    blob::MISSING_PATH,
                    axum::routing::post(|| async { StatusCode::NOT_FOUND }),
                )
                .fallback_service(qafila_server::http::router(center));
            tokio::spawn(async move { axum::serve(listener, app).await });
            url
        },
    )
    .await;
    let mut old_van = common::van(&old_dir, &old).await;
    enroll(&mut old_van, 33);
    let report = sync_once(&mut old_van, &old.url, &opts(), &mut |_| {})
        .await
        .expect("sync with an older center");
    assert_eq!((report.batches, report.documents), (1, 1));
    assert!(report.blobs >= 11, "{}", report.blobs);
    assert_eq!(old.center.metrics().batches_awaiting_blobs(), 1);
    assert_eq!(old_van.sync_status().expect("status").documents_pending, 0);
}

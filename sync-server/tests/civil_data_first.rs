//! Civil data first: a van posts a batch's envelope before its blobs, the center keeps it (and
//! knows of the applicants) until the blobs are in, and the upload of the last blob commits it (or,
//! failing that, a small signed commit names the batch), so the envelope crosses the link once. A
//! center that lost the envelope gets it whole again.
//! The question "which of these blobs do you lack?" (`POST /v1/blobs/missing`) is checked here too.

mod common;

use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use chrono::Utc;
use qafila_server::keys::CenterKeys;
use qafila_server::sqlite::SqliteDb;
use qafila_store::{Van, sample};
use qafila_sync::{SyncOptions, sync_once};
use qafila_wire::{BatchCommit, blob, request};
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

/// Posts a signed commit as the van would, signed by `signer`; returns the status and the body.
async fn commit(s: &common::Server, signer: &Van, body: &[u8]) -> (StatusCode, Vec<u8>) {
    let sig = signer.sign_request("POST", qafila_wire::batch::COMMIT_PATH, body);
    let resp = s
        .http
        .post(format!("{}{}", s.url, qafila_wire::batch::COMMIT_PATH))
        .header(request::SENDER, "VAN-07")
        .header(request::SIGNATURE, sig)
        .body(body.to_vec())
        .send()
        .await
        .expect("commit");
    (resp.status(), resp.bytes().await.expect("body").to_vec())
}

/// Posts a batch's envelope, unsigned as the van's agent posts it (the envelope carries its signature).
async fn post_envelope(s: &common::Server, envelope: &[u8]) -> reqwest::Response {
    s.http
        .post(format!("{}/v1/batches", s.url))
        .body(envelope.to_vec())
        .send()
        .await
        .expect("post")
}

fn json(body: &[u8]) -> serde_json::Value {
    serde_json::from_slice(body).unwrap_or_default()
}

/// A center on loopback whose requests are logged (method and path, in arrival order), which, when
/// `forgets` is set, ignores the request to commit with the last blob and answers the commit route
/// 404, as a center that lost its pending batches would,
/// and which, when `loses_answers` is set, replaces the answer to each blob's first upload with a 503
/// after storing it (as if the link had failed on the way back).
async fn recorded_center(
    dir: &std::path::Path,
    forgets: bool,
    loses_answers: bool,
) -> (common::Server, Arc<Mutex<Vec<String>>>) {
    let log = Arc::new(Mutex::new(Vec::new()));
    let seen = log.clone();
    let s = common::start_with(
        Arc::new(SqliteDb::open(&dir.join("center.db")).expect("db")),
        CenterKeys::generate("rabat").expect("keys"),
        vec![],
        |center| async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
            let url = format!("http://{}", listener.local_addr().expect("addr"));
            let mut app = qafila_server::http::router(center);
            if forgets {
                app = axum::Router::new()
                    .route(
                        qafila_wire::batch::COMMIT_PATH,
                        axum::routing::post(|| async { StatusCode::NOT_FOUND }),
                    )
                    .fallback_service(app);
            }
            let app = app.layer(axum::middleware::from_fn(
                move |req: axum::extract::Request, next: axum::middleware::Next| {
                    let seen = seen.clone();
                    async move {
                        let mut req = req;
                        if forgets {
                            req.headers_mut().remove(blob::UPLOAD_COMMIT);
                        }
                        let line = format!("{} {}", req.method(), req.uri().path());
                        let first = {
                            let mut seen = seen.lock().expect("log");
                            let first = !seen.contains(&line);
                            seen.push(line.clone());
                            first
                        };
                        let resp = next.run(req).await;
                        if loses_answers && first && line.starts_with("PATCH ") {
                            return axum::response::IntoResponse::into_response(StatusCode::SERVICE_UNAVAILABLE);
                        }
                        resp
                    }
                },
            ));
            tokio::spawn(async move { axum::serve(listener, app).await });
            url
        },
    )
    .await;
    (s, log)
}

#[tokio::test]
async fn the_envelope_goes_first_crosses_once_and_the_last_blob_brings_the_receipt() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (s, log) = recorded_center(tmp.path(), false, false).await;
    let mut van = common::van(tmp.path(), &s).await;
    enroll(&mut van, 31);
    enroll(&mut van, 32);

    let report = sync_once(&mut van, &s.url, &opts(), &mut |_| {}).await.expect("sync");
    assert_eq!((report.batches, report.documents), (1, 2));
    assert!(report.blobs >= 22, "two portraits and twenty prints: {}", report.blobs);
    let log = log.lock().expect("log").clone();
    let at = |what: &str| log.iter().position(|l| l.starts_with(what));
    let envelope = at("POST /v1/batches").expect("the envelope was posted");
    let first_blob = at("PATCH /v1/blobs/").expect("blobs were uploaded");
    assert!(envelope < first_blob, "civil data before biometrics: {log:?}");
    assert_eq!(
        at(&format!("POST {}", qafila_wire::batch::COMMIT_PATH)),
        None,
        "the last blob's upload committed the batch, no separate commit: {log:?}"
    );
    assert_eq!(s.center.metrics().batches_committed_with_blob(), 1);
    assert_eq!(
        log.iter().filter(|l| *l == "POST /v1/batches").count(),
        1,
        "the envelope crossed once: {log:?}"
    );
    assert_eq!(s.center.metrics().batches_awaiting_blobs(), 1);
    assert_eq!(s.center.metrics().batches_accepted(), 1);
    assert_eq!(
        s.center.db().pending("VAN-07", 1).await.expect("pending"),
        None,
        "the accepted batch is no longer held pending"
    );
    assert_eq!(van.sync_status().expect("status").documents_pending, 0);
}

#[tokio::test]
async fn the_center_knows_the_applicants_before_their_biometrics() {
    let tmp = tempfile::tempdir().expect("tmp");
    let s = common::start(tmp.path()).await;
    let mut van = common::van(tmp.path(), &s).await;
    enroll(&mut van, 41);
    enroll(&mut van, 42);
    enroll(&mut van, 43);
    let batch = van.next_batch(500).expect("batch").expect("one batch");
    let env = qafila_wire::Envelope::from_bytes(&batch.envelope).expect("envelope");
    let named = |hash: String| {
        serde_json::to_vec(&BatchCommit {
            seq: batch.seq,
            ciphertext_sha256: hash,
        })
        .expect("commit body")
    };
    let right = named(hex::encode(env.ciphertext_hash()));

    // The envelope alone: 202 with every blob, and the center holds the three applicants.
    let resp = post_envelope(&s, &batch.envelope).await;
    assert_eq!(resp.status(), StatusCode::ACCEPTED);
    let missing: blob::MissingBlobs = resp.json().await.expect("missing list");
    assert_eq!(missing.missing_blobs.len(), batch.blobs.len());
    let overview = qafila_server::fleet::overview(&s.center).await.expect("overview");
    assert_eq!(overview["awaiting_blobs"], 3, "{overview}");
    assert_eq!(overview["fleet"][0]["awaiting_blobs"]["documents"], 3, "{overview}");
    assert_eq!(overview["fleet"][0]["awaiting_blobs"]["batches"], 1, "{overview}");
    let held = s
        .center
        .db()
        .pending("VAN-07", batch.seq as i64)
        .await
        .expect("pending");
    assert_eq!(held.map(|p| p.envelope), Some(batch.envelope.clone()));

    // Committing before the blobs are in names the same blobs again; nothing is accepted.
    let (status, body) = commit(&s, &van, &right).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{}", json(&body));
    assert_eq!(
        json(&body)["missing_blobs"].as_array().map(Vec::len),
        Some(batch.blobs.len())
    );
    assert_eq!(s.center.metrics().batches_accepted(), 0);

    // Bad commits: each a named error, and the pending batch stays.
    let (status, body) = commit(&s, &van, &named("ab".repeat(32))).await;
    assert_eq!(
        (status, json(&body)["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    assert!(
        json(&body)["message"].as_str().unwrap_or("").contains("send it whole"),
        "{}",
        json(&body)
    );
    let (status, body) = commit(&s, &van, &named("not hex".into())).await;
    assert_eq!(
        (status, json(&body)["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("malformed"))
    );
    assert!(
        json(&body)["message"]
            .as_str()
            .unwrap_or("")
            .contains("ciphertext_sha256"),
        "{}",
        json(&body)
    );
    let (status, body) = commit(&s, &van, b"{\"seq\": 1}").await;
    assert_eq!(
        (status, json(&body)["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("malformed"))
    );
    assert!(json(&body)["message"].as_str().unwrap_or("").contains("batch commit"));
    let resp = s
        .http
        .post(format!("{}{}", s.url, qafila_wire::batch::COMMIT_PATH))
        .header(request::SENDER, "VAN-07")
        .header(request::SIGNATURE, "00".repeat(64))
        .body(right.clone())
        .send()
        .await
        .expect("forged");
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert!(
        s.center
            .db()
            .pending("VAN-07", batch.seq as i64)
            .await
            .expect("pending")
            .is_some()
    );

    // The van's agent finishes the job: receipted, and nothing is held pending any more.
    let report = sync_once(&mut van, &s.url, &opts(), &mut |_| {}).await.expect("sync");
    assert_eq!((report.batches, report.documents), (1, 3));
    let overview = qafila_server::fleet::overview(&s.center).await.expect("overview");
    assert_eq!(overview["awaiting_blobs"], 0, "{overview}");
    assert_eq!(
        overview["fleet"][0]["awaiting_blobs"],
        serde_json::Value::Null,
        "{overview}"
    );

    // A replayed commit answers the receipt the center gave.
    let (status, body) = commit(&s, &van, &right).await;
    assert_eq!(status, StatusCode::OK);
    let stored = s
        .center
        .db()
        .batch("VAN-07", batch.seq as i64)
        .await
        .expect("batch")
        .expect("accepted");
    assert_eq!(body, stored.receipt);
}

#[tokio::test]
async fn a_center_that_forgot_the_envelope_gets_it_whole() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (s, log) = recorded_center(tmp.path(), true, false).await;
    let mut van = common::van(tmp.path(), &s).await;
    enroll(&mut van, 51);
    let report = sync_once(&mut van, &s.url, &opts(), &mut |_| {}).await.expect("sync");
    assert_eq!((report.batches, report.documents), (1, 1));
    let log = log.lock().expect("log").clone();
    assert_eq!(
        log.iter().filter(|l| *l == "POST /v1/batches").count(),
        2,
        "sent again after the commit was not understood: {log:?}"
    );
    assert_eq!(s.center.metrics().batches_accepted(), 1);
    assert_eq!(van.sync_status().expect("status").documents_pending, 0);
}

/// Uploads a blob whole in one `PATCH` signed by `van`, with `commit` as the commit header if any.
async fn patch(s: &common::Server, van: &mut Van, sha: &str, commit: Option<&str>) -> (StatusCode, Vec<u8>) {
    let transfer = van.transfer_blob(sha).expect("transfer form");
    let path = format!("/v1/blobs/{sha}");
    let chunk = blob::Chunk::new(&transfer);
    let mut req = s
        .http
        .patch(format!("{}{path}", s.url))
        .header(request::SENDER, "VAN-07")
        .header(
            request::SIGNATURE,
            van.sign_request_hashed("PATCH", &path, chunk.sha256()),
        )
        .header(blob::UPLOAD_OFFSET, 0)
        .header(blob::UPLOAD_LENGTH, transfer.len())
        .header(blob::UPLOAD_CHECKSUM, chunk.checksum());
    if let Some(c) = commit {
        req = req.header(blob::UPLOAD_COMMIT, c);
    }
    let resp = req.body(transfer.clone()).send().await.expect("patch");
    (resp.status(), resp.bytes().await.expect("body").to_vec())
}

#[tokio::test]
async fn the_last_blob_commits_the_batch_only_when_asked_and_nothing_lacks() {
    let tmp = tempfile::tempdir().expect("tmp");
    let s = common::start(tmp.path()).await;
    let mut van = common::van(tmp.path(), &s).await;
    enroll(&mut van, 71);
    let batch = van.next_batch(500).expect("batch").expect("one batch");
    let resp = post_envelope(&s, &batch.envelope).await;
    assert_eq!(resp.status(), StatusCode::ACCEPTED);
    let seq = batch.seq.to_string();
    let (last, rest) = batch.blobs.split_last().expect("blobs");

    // Asked with the first blob: the others still lack, so the blob is stored and that is all.
    let (status, body) = patch(&s, &mut van, &rest[0], Some(&seq)).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{}", json(&body));
    for sha in &rest[1..] {
        let (status, _) = patch(&s, &mut van, sha, None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
    }
    // A commit header that is not a sequence number: refused by name, and the blob not stored.
    let (status, body) = patch(&s, &mut van, last, Some("soon")).await;
    assert_eq!(
        (status, json(&body)["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("malformed"))
    );
    assert!(
        json(&body)["message"]
            .as_str()
            .unwrap_or("")
            .contains(blob::UPLOAD_COMMIT),
        "{}",
        json(&body)
    );
    assert_eq!(s.center.blob_state(last).await.expect("state").received, 0);
    // The last blob, asking for another batch: stored, nothing accepted.
    let other = (batch.seq + 1).to_string();
    let (status, _) = patch(&s, &mut van, last, Some(&other)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(s.center.metrics().batches_accepted(), 0);
    assert!(
        s.center
            .db()
            .pending("VAN-07", batch.seq as i64)
            .await
            .expect("pending")
            .is_some()
    );
    // Sent again asking for this batch, which now lacks nothing: accepted, the receipt in the answer.
    let (status, receipt) = patch(&s, &mut van, last, Some(&seq)).await;
    assert_eq!(status, StatusCode::OK);
    let receipt = van.apply_receipt(&receipt).expect("a receipt the van verifies");
    assert_eq!((receipt.seq_from, receipt.documents.len()), (batch.seq, 1));
    assert_eq!(s.center.metrics().batches_accepted(), 1);
    assert_eq!(s.center.metrics().batches_committed_with_blob(), 1);
    assert_eq!(
        s.center
            .db()
            .pending("VAN-07", batch.seq as i64)
            .await
            .expect("pending"),
        None
    );
    assert_eq!(van.sync_status().expect("status").documents_pending, 0);
}

#[tokio::test]
async fn a_blob_whose_answer_was_lost_is_not_sent_again() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (s, log) = recorded_center(tmp.path(), false, true).await;
    let mut van = common::van(tmp.path(), &s).await;
    enroll(&mut van, 61);
    let opts = SyncOptions {
        backoff: std::time::Duration::from_millis(10),
        ..opts()
    };
    let report = sync_once(&mut van, &s.url, &opts, &mut |_| {}).await.expect("sync");
    assert_eq!((report.batches, report.documents), (1, 1));
    let log = log.lock().expect("log").clone();
    let patches: Vec<&String> = log.iter().filter(|l| l.starts_with("PATCH ")).collect();
    assert!(patches.len() >= 11, "a portrait and ten prints: {log:?}");
    let distinct: std::collections::BTreeSet<&&String> = patches.iter().collect();
    assert_eq!(
        distinct.len(),
        patches.len(),
        "each blob's bytes crossed once; its retry asked first: {log:?}"
    );
    for p in &patches {
        let head = p.replacen("PATCH", "HEAD", 1);
        assert!(log.contains(&head), "{head} was asked after the lost answer: {log:?}");
    }
    assert!(report.retries >= patches.len(), "{}", report.retries);
    assert_eq!(
        log.iter()
            .filter(|l| **l == format!("POST {}", qafila_wire::batch::COMMIT_PATH))
            .count(),
        1,
        "the receipt lost with the last blob's answer came from the commit: {log:?}"
    );
}

#[tokio::test]
async fn the_center_says_which_blobs_it_lacks() {
    let tmp = tempfile::tempdir().expect("tmp");
    let s = common::start(tmp.path()).await;
    let mut van = common::van(tmp.path(), &s).await;
    enroll(&mut van, 31);
    enroll(&mut van, 32);
    sync_once(&mut van, &s.url, &opts(), &mut |_| {}).await.expect("sync");

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
}

#[tokio::test]
async fn the_status_command_lists_what_awaits_blobs() {
    let tmp = tempfile::tempdir().expect("tmp");
    let bin = env!("CARGO_BIN_EXE_qafila-server");
    let config = tmp.path().join("server.toml");
    let run = |args: &[&str]| {
        std::process::Command::new(bin)
            .arg("--config")
            .arg(&config)
            .args(args)
            .output()
            .expect("qafila-server")
    };
    let data = tmp.path().join("data");
    let init = run(&["init", "--center", "rabat", "--data-dir", data.to_str().expect("utf-8")]);
    assert!(init.status.success(), "{}", String::from_utf8_lossy(&init.stderr));
    let status = |out: std::process::Output| -> serde_json::Value {
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).expect("status is JSON")
    };
    assert_eq!(status(run(&["status"]))["awaiting_blobs"], serde_json::json!([]));

    let db = SqliteDb::open(&data.join("center.db")).expect("db");
    qafila_server::db::CenterDb::put_pending(
        &db,
        &qafila_server::db::PendingBatch {
            van_id: "VAN-07".into(),
            seq: 3,
            ct_hash: vec![7; 32],
            envelope: b"envelope".to_vec(),
            documents: 12,
            received_at: "2026-11-28T08:00:00+00:00".into(),
        },
    )
    .await
    .expect("pending");
    let shown = status(run(&["status"]));
    assert_eq!(
        shown["awaiting_blobs"],
        serde_json::json!([{"van_id": "VAN-07", "batches": 1, "documents": 12, "oldest": "2026-11-28T08:00:00+00:00"}]),
        "{shown}"
    );
}

/// Sends a `PATCH` of `whole` (its head signed by `van` over its checksum, or with a signature made
/// for other bytes when `forged`) over a raw connection, and closes it after `sent` bytes of the
/// body, as a link cut does.
async fn cut_patch(s: &common::Server, van: &Van, sha: &str, whole: &[u8], sent: usize, forged: bool) {
    use tokio::io::AsyncWriteExt;
    let path = format!("/v1/blobs/{sha}");
    let chunk = blob::Chunk::new(whole);
    let signed_over = if forged {
        *blob::Chunk::new(b"other bytes").sha256()
    } else {
        *chunk.sha256()
    };
    let head = format!(
        "PATCH {path} HTTP/1.1\r\nHost: center\r\n{}: VAN-07\r\n{}: {}\r\n{}: 0\r\n{}: {}\r\n{}: {}\r\nContent-Length: {}\r\n\r\n",
        request::SENDER,
        request::SIGNATURE,
        van.sign_request_hashed("PATCH", &path, &signed_over),
        blob::UPLOAD_OFFSET,
        blob::UPLOAD_LENGTH,
        whole.len(),
        blob::UPLOAD_CHECKSUM,
        chunk.checksum(),
        whole.len()
    );
    let addr = s.url.trim_start_matches("http://");
    let mut conn = tokio::net::TcpStream::connect(addr).await.expect("connect");
    conn.write_all(head.as_bytes()).await.expect("head");
    conn.write_all(&whole[..sent]).await.expect("part of the body");
    conn.flush().await.expect("flush");
    drop(conn);
}

/// The bytes the center holds of blob `sha` (`Upload-Offset` of a `HEAD`), once the count has
/// settled: a cut request's part is stored just after its connection ends.
async fn held(s: &common::Server, sha: &str, expect: u64) -> u64 {
    let mut last = u64::MAX;
    for _ in 0..200 {
        let r = s
            .http
            .head(format!("{}/v1/blobs/{sha}", s.url))
            .send()
            .await
            .expect("head");
        last = r
            .headers()
            .get(blob::UPLOAD_OFFSET)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .expect("Upload-Offset");
        if last == expect {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    last
}

#[tokio::test]
async fn a_chunk_cut_by_the_link_is_kept_in_part_and_the_van_sends_only_the_rest() {
    let tmp = tempfile::tempdir().expect("tmp");
    let s = common::start(tmp.path()).await;
    let mut van = common::van(tmp.path(), &s).await;
    enroll(&mut van, 81);
    let batch = van.next_batch(500).expect("batch").expect("one batch");
    assert_eq!(post_envelope(&s, &batch.envelope).await.status(), StatusCode::ACCEPTED);
    let (first, second) = (&batch.blobs[0], &batch.blobs[1]);

    // Signed by the van: what arrived before the cut is kept.
    let whole = van.transfer_blob(first).expect("transfer form");
    let part = whole.len() / 3;
    cut_patch(&s, &van, first, &whole, part, false).await;
    assert_eq!(
        held(&s, first, part as u64).await,
        part as u64,
        "the part that arrived is held"
    );
    assert_eq!(s.center.metrics().cut_chunk_bytes_kept(), part as u64);

    // Not signed by the van: nothing is kept, and nothing else changed.
    let other = van.transfer_blob(second).expect("transfer form");
    cut_patch(&s, &van, second, &other, other.len() / 2, true).await;
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_eq!(held(&s, second, 0).await, 0, "a forged upload leaves nothing");
    assert_eq!(held(&s, first, part as u64).await, part as u64);

    // The rest, sent from where the center stands, completes the blob, which is then checked
    // against its name as any blob is.
    let rest = &whole[part..];
    let path = format!("/v1/blobs/{first}");
    let chunk = blob::Chunk::new(rest);
    let r = s
        .http
        .patch(format!("{}{path}", s.url))
        .header(request::SENDER, "VAN-07")
        .header(
            request::SIGNATURE,
            van.sign_request_hashed("PATCH", &path, chunk.sha256()),
        )
        .header(blob::UPLOAD_OFFSET, part)
        .header(blob::UPLOAD_LENGTH, whole.len())
        .header(blob::UPLOAD_CHECKSUM, chunk.checksum())
        .body(rest.to_vec())
        .send()
        .await
        .expect("patch");
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(held(&s, first, whole.len() as u64).await, whole.len() as u64);
    let missing = lacking(&s, &van, &batch.blobs).await;
    assert!(!missing.contains(first), "the blob is complete and checked");
    assert!(missing.contains(second));

    // The van's sync sends what still lacks, and the batch is accepted.
    let report = sync_once(&mut van, &s.url, &opts(), &mut |_| {}).await.expect("sync");
    assert_eq!((report.batches, report.documents), (1, 1));
    assert_eq!(van.sync_status().expect("status").documents_pending, 0);
}

/// The blobs of `blobs` the center says it lacks.
async fn lacking(s: &common::Server, van: &Van, blobs: &[String]) -> Vec<String> {
    let body = serde_json::to_vec(&blob::MissingQuery { blobs: blobs.to_vec() }).expect("json");
    let (status, answer) = ask(s, van, &body).await;
    assert_eq!(status, StatusCode::OK);
    serde_json::from_value::<blob::MissingBlobs>(answer)
        .expect("answer")
        .missing_blobs
}

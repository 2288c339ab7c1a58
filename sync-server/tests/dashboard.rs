//! The staff dashboard over real HTTP: sessions, roles, CSRF, audit, the fleet view fed by a van's
//! report, and a recapture requested by a reviewer reaching the van at its next sync.

use std::sync::Arc;

use chrono::Utc;
use qafila_domain::Status;
use qafila_server::center::Center;
use qafila_server::config::Routing;
use qafila_server::db::CenterDb;
use qafila_server::keys::CenterKeys;
use qafila_server::sqlite::SqliteDb;
use qafila_server::staff;
use qafila_store::{InitOptions, Store, Van, sample};
use qafila_sync::{SyncOptions, sync_once};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

struct Server {
    center: Arc<Center>,
    url: String,
    http: reqwest::Client,
}

/// A signed-in browser: its cookie and CSRF token.
struct Browser {
    cookie: String,
    csrf: String,
}

impl Server {
    async fn call(
        &self,
        b: Option<&Browser>,
        method: Method,
        path: &str,
        body: Option<Value>,
        csrf: bool,
    ) -> (StatusCode, Value) {
        let mut req = self.http.request(method, format!("{}{path}", self.url));
        if let Some(b) = b {
            req = req.header("cookie", &b.cookie);
            if csrf {
                req = req.header("x-csrf-token", &b.csrf);
            }
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    async fn login(&self, id: &str, password: &str) -> Result<Browser, (StatusCode, Value)> {
        let resp = self
            .http
            .post(format!("{}/api/session", self.url))
            .json(&json!({"id": id, "password": password}))
            .send()
            .await
            .expect("login request");
        let status = resp.status();
        let cookie = resp
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(';').next().unwrap_or_default().to_owned());
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        match (status, cookie) {
            (StatusCode::OK, Some(cookie)) => Ok(Browser {
                cookie,
                csrf: body["csrf"].as_str().expect("csrf token").to_owned(),
            }),
            _ => Err((status, body)),
        }
    }
}

async fn start(dir: &std::path::Path) -> Server {
    let db = SqliteDb::open(&dir.join("rabat.db")).unwrap();
    db.migrate().await.unwrap();
    // Every region prints in Rabat here, so every sample application is this center's to review.
    let routing = Routing {
        rabat_regions: (1..=12).map(|n| format!("{n:02}")).collect(),
        consulates: "rabat".into(),
    };
    let center = Arc::new(Center::new(
        CenterKeys::generate("rabat").unwrap(),
        Arc::new(db),
        routing,
        vec![],
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let app = qafila_server::http::router(center.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    Server {
        center,
        url,
        http: reqwest::Client::new(),
    }
}

async fn van(dir: &std::path::Path, s: &Server) -> Van {
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
    .unwrap();
    let info = s.center.keys().public_info();
    van.add_center(&info.center, &info.verifying_key, &info.recipient)
        .unwrap();
    let key = hex::encode(van.store().public_key().unwrap().as_bytes());
    s.center
        .register_van("VAN-07", &key, &van.update_recipient().unwrap())
        .await
        .unwrap();
    van
}

const PASSWORD: &str = "a long staff passphrase";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_review_a_van_enrollment_and_the_van_sees_the_recapture() {
    let tmp = tempfile::tempdir().unwrap();
    let s = start(tmp.path()).await;
    let db = s.center.db().clone();
    for (id, role) in [("vera", "viewer"), ("rami", "reviewer"), ("amina", "administrator")] {
        staff::put_staff(db.as_ref(), id, &format!("Staff {id}"), role, PASSWORD)
            .await
            .unwrap();
    }

    // A van enrolls two applicants and syncs (the van protocol needs no staff session).
    let mut v = van(tmp.path(), &s).await;
    let mut ids = Vec::new();
    let mut family_names = Vec::new();
    for seed in [11, 12] {
        let (r, b) = sample::complete(seed, "VAN-07", "SUP", Utc::now());
        family_names.push(r.civil.family_name.latin.clone());
        let id = v.enroll(r, &b).unwrap();
        v.seal(&id, None).unwrap();
        ids.push(id);
    }
    let opts = SyncOptions {
        retention: chrono::Duration::days(30),
        freeze: "warn",
        ..SyncOptions::default()
    };
    sync_once(&mut v, &s.url, &opts, &mut |_| {}).await.expect("first sync");
    let target = ids[0].to_string();

    // Without a session, no dashboard route answers; the page itself holds no data.
    let (st, page) = s.call(None, Method::GET, "/", None, false).await;
    assert_eq!(st, StatusCode::OK);
    assert!(!page.to_string().contains(&family_names[0]));
    for (m, path) in [
        (Method::GET, "/api/session".to_owned()),
        (Method::GET, "/api/overview".to_owned()),
        (Method::GET, "/api/events".to_owned()),
        (Method::GET, "/api/queues/rabat/received".to_owned()),
        (Method::GET, format!("/api/applications?q={}", &target[..8])),
        (Method::GET, format!("/api/applications/{target}")),
        (Method::GET, format!("/api/applications/{target}/portrait")),
        (Method::POST, format!("/api/applications/{target}/decision")),
        (Method::POST, "/api/vans".to_owned()),
        (Method::POST, "/api/vans/VAN-07/revoke".to_owned()),
        (Method::GET, "/api/staff".to_owned()),
        (Method::POST, "/api/staff".to_owned()),
        (Method::POST, "/api/staff/vera/disable".to_owned()),
        (Method::GET, "/api/audit".to_owned()),
        (Method::DELETE, "/api/session".to_owned()),
    ] {
        let body = (m == Method::POST).then(|| json!({"decision": "accept"}));
        let (st, body) = s.call(None, m.clone(), &path, body, false).await;
        assert_eq!(
            st,
            StatusCode::UNAUTHORIZED,
            "{m} {path} answered without a session: {body}"
        );
    }

    // A wrong password is refused and audited, without saying which part was wrong.
    let (st, body) = s
        .login("rami", "not the password")
        .await
        .err()
        .expect("wrong password refused");
    assert_eq!(
        (st, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("bad_credentials"))
    );
    assert!(s.login("nobody", PASSWORD).await.is_err());

    // The viewer sees the fleet (with the van's own report) and the queue, and cannot decide.
    let viewer = s.login("vera", PASSWORD).await.expect("viewer login");
    let (st, o) = s.call(Some(&viewer), Method::GET, "/api/overview", None, false).await;
    assert_eq!(st, StatusCode::OK, "{o}");
    assert_eq!(o["queues"]["rabat"]["received"], 2, "{o}");
    let row = &o["fleet"][0];
    assert_eq!(row["id"], "VAN-07");
    assert_eq!(row["key_status"], "active");
    assert_eq!(row["report"]["freeze"], "warn", "{row}");
    assert_eq!(row["report"]["journal_intact"], true, "{row}");
    assert_eq!(row["report"]["backlog"], 0, "{row}");
    assert_eq!(row["report"]["app_version"], env!("CARGO_PKG_VERSION"));
    assert!(row["last_contact"].is_string() && row["hours_silent"] == 0, "{row}");
    let (st, q) = s
        .call(Some(&viewer), Method::GET, "/api/queues/rabat/received", None, false)
        .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(q["items"].as_array().map(Vec::len), Some(2));
    let (st, found) = s
        .call(
            Some(&viewer),
            Method::GET,
            &format!("/api/applications?q={}", &target[..13]),
            None,
            false,
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    assert!(
        found["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["id"] == target.as_str())
    );
    let (st, app) = s
        .call(
            Some(&viewer),
            Method::GET,
            &format!("/api/applications/{target}"),
            None,
            false,
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(app["reviewable"], true);
    assert_eq!(app["record"]["civil"]["family_name"]["latin"], family_names[0].as_str());
    let portrait = s
        .http
        .get(format!("{}/api/applications/{target}/portrait", s.url))
        .header("cookie", &viewer.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(portrait.status(), StatusCode::OK);
    let shown = portrait.bytes().await.unwrap();
    let held = v
        .blob(&v.get(&ids[0]).unwrap().portrait.expect("portrait").blob)
        .unwrap();
    assert_eq!(shown.as_ref(), held.as_slice(), "the portrait is the van's, decrypted");
    let decide = |items: Value| json!({"decision": "recapture", "items": items, "note": "blurred"});
    let path = format!("/api/applications/{target}/decision");
    let (st, e) = s
        .call(
            Some(&viewer),
            Method::POST,
            &path,
            Some(decide(json!(["portrait"]))),
            true,
        )
        .await;
    assert_eq!(
        (st, e["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden")),
        "{e}"
    );
    for admin_only in ["/api/staff", "/api/audit"] {
        let (st, _) = s.call(Some(&viewer), Method::GET, admin_only, None, false).await;
        assert_eq!(st, StatusCode::FORBIDDEN, "viewer read {admin_only}");
    }

    // The reviewer decides, but only with the session's CSRF token, and cannot manage vans or staff.
    let reviewer = s.login("rami", PASSWORD).await.expect("reviewer login");
    let (st, e) = s
        .call(
            Some(&reviewer),
            Method::POST,
            &path,
            Some(decide(json!(["portrait"]))),
            false,
        )
        .await;
    assert_eq!((st, e["code"].as_str()), (StatusCode::FORBIDDEN, Some("csrf")));
    let forged = Browser {
        cookie: reviewer.cookie.clone(),
        csrf: viewer.csrf.clone(),
    };
    let (st, _) = s
        .call(
            Some(&forged),
            Method::POST,
            &path,
            Some(decide(json!(["portrait"]))),
            true,
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN, "another session's CSRF token was accepted");
    let (st, e) = s
        .call(
            Some(&reviewer),
            Method::POST,
            &path,
            Some(decide(json!(["fingerprints.11"]))),
            true,
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(e["message"].as_str().unwrap().contains("items"), "{e}");
    let (st, e) = s
        .call(
            Some(&reviewer),
            Method::POST,
            &path,
            Some(decide(json!(["portrait", "fingerprints.7"]))),
            true,
        )
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT, "{e}");
    let (st, e) = s
        .call(
            Some(&reviewer),
            Method::POST,
            &path,
            Some(json!({"decision": "accept"})),
            true,
        )
        .await;
    assert_eq!(
        (st, e["code"].as_str()),
        (StatusCode::CONFLICT, Some("not_reviewable")),
        "decided twice"
    );
    let (st, _) = s
        .call(Some(&reviewer), Method::POST, "/api/vans/VAN-07/revoke", None, true)
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN, "a reviewer revoked a van");
    let (st, _) = s
        .call(
            Some(&reviewer),
            Method::POST,
            "/api/staff",
            Some(json!({"id": "eve", "display_name": "Eve", "role": "administrator", "password": PASSWORD})),
            true,
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN, "a reviewer created an administrator");

    // The van's next sync brings the request back into its own record.
    sync_once(&mut v, &s.url, &opts, &mut |_| {})
        .await
        .expect("second sync");
    match v.get(&ids[0]).unwrap().application.status {
        Status::RecaptureRequested { items, note } => {
            assert_eq!(items, ["portrait", "fingerprints.7"]);
            assert_eq!(note.as_deref(), Some("blurred"));
        }
        other => panic!("the van sees {other:?}"),
    }

    // The administrator reads the audit log: every action, with ids only, never personal data.
    let admin = s.login("amina", PASSWORD).await.expect("admin login");
    let (st, log) = s.call(Some(&admin), Method::GET, "/api/audit", None, false).await;
    assert_eq!(st, StatusCode::OK);
    let entries = log["entries"].as_array().unwrap();
    let has = |who: &str, action: &str, detail: Option<&str>| {
        entries.iter().any(|e| {
            e["staff_id"] == who && e["action"] == action && detail.is_none_or(|d| e["detail"].as_str() == Some(d))
        })
    };
    assert!(has("rami", "login", Some("failed")));
    assert!(has("unknown", "login", Some("failed")));
    assert!(has("vera", "application.view", None));
    assert!(has("vera", "denied", Some("reviewer")));
    assert!(has("rami", "denied", Some("csrf")));
    assert!(has("rami", "review.recapture", Some("portrait,fingerprints.7")));
    assert!(has("rami", "denied", Some("administrator")));
    let text = log.to_string();
    for name in &family_names {
        assert!(!text.contains(name.as_str()), "the audit log holds a name");
    }

    // Administrators manage staff; a disabled account's session ends at once.
    let (st, _) = s
        .call(Some(&admin), Method::POST, "/api/staff/vera/disable", None, true)
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (st, _) = s.call(Some(&viewer), Method::GET, "/api/overview", None, false).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED, "a disabled account kept its session");
    let (st, e) = s
        .call(
            Some(&admin),
            Method::POST,
            "/api/staff",
            Some(json!({"id": "sam", "display_name": "Sam", "role": "viewer", "password": "short"})),
            true,
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(e["message"].as_str().unwrap().starts_with("password"), "{e}");

    // Revoking the van from the dashboard refuses its next batch; signing out ends the session.
    let (st, _) = s
        .call(Some(&admin), Method::POST, "/api/vans/VAN-07/revoke", None, true)
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (r, b) = sample::complete(13, "VAN-07", "SUP", Utc::now());
    let id = v.enroll(r, &b).unwrap();
    v.seal(&id, None).unwrap();
    let err = sync_once(&mut v, &s.url, &opts, &mut |_| {})
        .await
        .expect_err("revoked van synced");
    assert!(err.to_string().contains("revoked"), "{err}");
    let (st, _) = s.call(Some(&admin), Method::DELETE, "/api/session", None, true).await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (st, _) = s.call(Some(&admin), Method::GET, "/api/audit", None, false).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
}

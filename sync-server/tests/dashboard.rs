//! The staff dashboard over real HTTP: sessions, roles, CSRF, audit, the fleet view fed by a van's
//! report, and a recapture requested by a reviewer reaching the van at its next sync.

mod common;

use chrono::Utc;
use common::{Browser, start, van, with_real_images};
use qafila_domain::Status;
use qafila_server::staff;
use qafila_store::sample;
use qafila_sync::{SyncOptions, sync_once};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

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
    let sent: Vec<String> = ids.iter().map(|i| i.to_string()).collect();
    let held_before = db.documents(&sent).await.unwrap();
    let err = sync_once(&mut v, &s.url, &opts, &mut |_| {})
        .await
        .expect_err("revoked van synced");
    assert!(err.to_string().contains("revoked"), "{err}");
    // What the van sent before it was revoked stays, unchanged; what it sends after is not taken.
    let held_after = db.documents(&sent).await.unwrap();
    assert_eq!(held_after.len(), 2);
    assert_eq!(held_after, held_before);
    assert!(
        db.documents(&[id.to_string()]).await.unwrap().is_empty(),
        "a revoked van's new enrollment was taken"
    );
    let (st, _) = s.call(Some(&admin), Method::DELETE, "/api/session", None, true).await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (st, _) = s.call(Some(&admin), Method::GET, "/api/audit", None, false).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accepted_applications_export_to_card_personalization_and_afis_encrypted() {
    let tmp = tempfile::tempdir().unwrap();
    let s = start(tmp.path()).await;
    let mut v = van(tmp.path(), &s).await;
    let mut ids = Vec::new();
    for seed in [21, 22, 23] {
        let (r, b) = with_real_images(seed);
        let id = v.enroll(r, &b).unwrap();
        v.seal(&id, None).unwrap();
        ids.push(id.to_string());
    }
    sync_once(&mut v, &s.url, &SyncOptions::default(), &mut |_| {})
        .await
        .expect("sync");
    s.center.review(&ids[0], Status::Accepted).await.unwrap();
    s.center.review(&ids[1], Status::Accepted).await.unwrap();
    s.center
        .review(
            &ids[2],
            Status::Rejected {
                reason: "document illegible".into(),
            },
        )
        .await
        .unwrap();

    let bureau = age::x25519::Identity::generate();
    let out = tmp.path().join("cards");
    let date = chrono::NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
    let first = qafila_server::export::export_cards(&s.center, &out, &bureau.to_public(), date, "QA")
        .await
        .unwrap();
    assert!(first.refused.is_empty(), "{:?}", first.refused);
    assert_eq!(first.written.len(), 2, "only the accepted applications");
    let mut numbers = Vec::new();
    for name in &first.written {
        let sealed = std::fs::read(out.join(name)).unwrap();
        assert!(
            serde_json::from_slice::<Value>(&sealed).is_err(),
            "a card file is in clear"
        );
        let plain = qafila_wire::envelope::decrypt_with(std::slice::from_ref(&bureau), &sealed, 1 << 24).unwrap();
        let card: Value = serde_json::from_slice(&plain).unwrap();
        let lines: Vec<&str> = card["mrz"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l.as_str().unwrap())
            .collect();
        assert_eq!(lines.len(), 3);
        assert!(lines.iter().all(|l| l.len() == 30), "{lines:?}");
        let number = card["document_number"].as_str().unwrap().to_owned();
        assert!(number.starts_with("QA") && number.len() == 8, "{number}");
        // Line 1: document code, state, then the number and its check digit.
        assert_eq!(&lines[0][5..5 + number.len()], number);
        let padded = format!("{number:<9}").replace(' ', "<");
        assert_eq!(
            lines[0].chars().nth(14),
            Some(qafila_export::mrz::check_digit(&padded)),
            "{}",
            lines[0]
        );
        assert!(card["dg2_base64"].as_str().is_some_and(|d| d.len() > 100));
        numbers.push(number);
    }
    numbers.sort();
    assert_ne!(numbers[0], numbers[1], "two cards share a number");

    // Exporting again assigns the same numbers.
    let again = qafila_server::export::export_cards(&s.center, &out, &bureau.to_public(), date, "QA")
        .await
        .unwrap();
    let mut renumbered = Vec::new();
    for name in &again.written {
        let plain = qafila_wire::envelope::decrypt_with(
            std::slice::from_ref(&bureau),
            &std::fs::read(out.join(name)).unwrap(),
            1 << 24,
        )
        .unwrap();
        let card: Value = serde_json::from_slice(&plain).unwrap();
        renumbered.push(card["document_number"].as_str().unwrap().to_owned());
    }
    renumbered.sort();
    assert_eq!(renumbered, numbers);

    // The personalization line reports the cards it printed; the van sees it, and the queue moves.
    s.center.card_status(&ids[0], Status::CardPrinted).await.unwrap();
    let twice = s.center.card_status(&ids[2], Status::CardPrinted).await;
    assert!(twice.is_err(), "a rejected application's card was marked printed");
    let o = qafila_server::fleet::overview(&s.center).await.unwrap();
    assert_eq!(o["queues"]["rabat"]["printed"], 1, "{o}");
    sync_once(&mut v, &s.url, &SyncOptions::default(), &mut |_| {})
        .await
        .expect("sync");
    let seen = v.list(None, 0, 10).unwrap();
    assert!(
        seen.iter()
            .any(|e| e.id.to_string() == ids[0] && e.status == "card_printed"),
        "{seen:?}"
    );

    let afis = age::x25519::Identity::generate();
    let options = qafila_export::AfisOptions {
        date,
        type_of_transaction: "CNIE".into(),
        destination_agency: "MAAFIS000".into(),
        originating_agency: "MAQAFILA0".into(),
    };
    let sent = qafila_server::export::export_afis(&s.center, &tmp.path().join("afis"), &afis.to_public(), &options)
        .await
        .unwrap();
    assert_eq!(
        sent.written.len(),
        1,
        "the printed one is no longer waiting for the AFIS export"
    );
    for name in &sent.written {
        let plain = qafila_wire::envelope::decrypt_with(
            std::slice::from_ref(&afis),
            &std::fs::read(tmp.path().join("afis").join(name)).unwrap(),
            1 << 26,
        )
        .unwrap();
        let records = qafila_export::nist::parse(&plain).unwrap();
        let kinds: Vec<u8> = records.iter().map(|r| r.kind).collect();
        assert_eq!(&kinds[..3], [1, 2, 10], "{kinds:?}");
        assert_eq!(kinds.iter().filter(|k| **k == 14).count(), 10, "{kinds:?}");
    }
}

//! The whole operator workflow through the engine, headless: login, a draft that names its
//! problems, live portrait from a video file, ten prints from the SBI simulator, seal, the home
//! screen and freeze rules, end-of-day approval, sync to a real center over HTTP, idle lock.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use qafila_server::center::Center;
use qafila_server::config::Routing;
use qafila_server::db::CenterDb;
use qafila_server::keys::CenterKeys;
use qafila_server::sqlite::SqliteDb;
use qafila_store::{InitOptions, Store};
use qafila_van::settings::{CameraSetting, CenterSetting, ScannerSetting};
use qafila_van::{Engine, Event};
use serde_json::{Value, json};

const PASS: &str = "supervisor passphrase";

fn fixtures() -> PathBuf {
    let dir = qafila_finger::fixtures_dir();
    assert!(
        dir.join("photos/astronaut.png").exists(),
        "fixtures missing in {}: run scripts/fixtures",
        dir.display()
    );
    dir
}

struct Harness {
    engine: Engine,
    events: Arc<Mutex<Vec<Event>>>,
    _dir: tempfile::TempDir,
}

fn setup() -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("van");
    let mut van = Store::init(
        &store,
        InitOptions {
            van_id: "VAN-T".into(),
            operator_id: "SUP-1".into(),
            passphrase: PASS.into(),
            recovery: None,
            kdf_log_n: 10,
        },
    )
    .unwrap();
    van.add_operator("OP-2", "operator passphrase", qafila_store::Role::Operator)
        .unwrap();
    drop(van);
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    let engine = Engine::open(&store, Arc::new(move |e| sink.lock().unwrap().push(e))).unwrap();
    Harness {
        engine,
        events,
        _dir: dir,
    }
}

impl Harness {
    /// Waits for an event on `channel` whose `kind` is one of `kinds`.
    fn wait(&self, channel: &str, kinds: &[&str], timeout: Duration) -> Value {
        let start = Instant::now();
        loop {
            if let Some(v) = self
                .events
                .lock()
                .unwrap()
                .iter()
                .filter(|e| e.channel() == channel)
                .map(|e| e.payload().clone())
                .find(|v| kinds.contains(&v["kind"].as_str().unwrap_or("")))
            {
                return v;
            }
            assert!(start.elapsed() < timeout, "no {channel} {kinds:?} event in {timeout:?}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn count(&self, channel: &str, kind: &str) -> usize {
        self.events
            .lock()
            .unwrap()
            .iter()
            .filter(|e| e.channel() == channel && e.payload()["kind"] == kind)
            .count()
    }
}

fn civil_of(seed: u64) -> Value {
    let e = qafila_domain::sample::applicant(seed, "VAN-T", "SUP-1", Utc::now());
    let v = serde_json::to_value(&e).unwrap();
    json!({"application": {"kind": v["application"]["kind"], "previous_card": v["application"]["previous_card"]},
        "civil": v["civil"]})
}

fn sample_video(dir: &Path) -> PathBuf {
    let path = dir.join("camera.avi");
    qafila_capture::sample::write_sample_video(&fixtures().join("photos/astronaut.png"), &path, 4).unwrap();
    path
}

/// Captures portrait and fingers for a fresh draft and seals it.
fn enroll_one(h: &Harness, seed: u64) -> String {
    let e = &h.engine;
    let civil = civil_of(seed);
    let draft = e.draft_new(civil["application"]["kind"].as_str().unwrap()).unwrap();
    let id = draft.id.clone();
    let problems = e.draft_save(&id, &civil).unwrap();
    assert!(
        problems.iter().all(|p| !p.field.starts_with("civil")),
        "civil problems left: {problems:?}"
    );
    h.events.lock().unwrap().clear();
    e.portrait_start(&id).unwrap();
    let done = h.wait("portrait", &["done", "error"], Duration::from_secs(60));
    assert_eq!(done["kind"], "done", "{done}");
    assert_eq!(
        done["captured"], true,
        "auto-capture should fire on the still part: {done}"
    );
    assert!(h.count("portrait", "frame") >= 2, "live frames were sent");
    let view = e.portrait_accept(&id, None).unwrap();
    // The kept token is the frame that passed, not a later one: re-analysed, it is still sharp.
    {
        use base64::Engine as _;
        let jpeg = base64::engine::general_purpose::STANDARD
            .decode(&view.portrait.as_ref().unwrap().jpeg_base64)
            .unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("token.jpg");
        std::fs::write(&path, jpeg).unwrap();
        let mut analyzer = qafila_capture::Analyzer::with_defaults().unwrap();
        let (report, _) = qafila_capture::check_image(&mut analyzer, &path, None).unwrap();
        let sharp = report.check(qafila_capture::CheckId::Sharpness).unwrap();
        assert!(sharp.ok, "the token portrait is blurred: {:?}", sharp.value);
    }
    assert!(view.portrait.as_ref().unwrap().quality.ok);
    let mut exceptions = std::collections::BTreeMap::new();
    exceptions.insert(
        "7".to_string(),
        ("bandaged".to_string(), "injured in the flood".to_string()),
    );
    e.fingers_start(&id, &exceptions).unwrap();
    let done = h.wait("fingers", &["done", "error"], Duration::from_secs(180));
    assert_eq!(done["kind"], "done", "{done}");
    let fingers = &done["draft"]["fingerprints"];
    assert_eq!(fingers["7"]["state"], "exception");
    assert_eq!(fingers.as_object().unwrap().len(), 10);
    assert!(h.count("fingers", "scored") >= 9);
    let err = e.seal(&id, false, None).unwrap_err();
    assert_eq!(err.payload().field.as_deref(), Some("consent"));
    e.seal(&id, true, None).unwrap().to_string()
}

#[test]
fn the_operator_workflow_end_to_end() {
    let h = setup();
    let e = &h.engine;
    let tmp = tempfile::tempdir().unwrap();
    let video = sample_video(tmp.path());

    // Locked: nothing personal is reachable, and a wrong passphrase says so by code.
    assert_eq!(e.home().unwrap_err().code(), "locked");
    assert_eq!(e.unlock("SUP-1", "wrong").unwrap_err().code(), "wrong_passphrase");
    assert_eq!(e.unlock("NOBODY", PASS).unwrap_err().code(), "unknown_operator");
    let state = e.unlock("SUP-1", PASS).unwrap();
    assert!(!state.locked);
    assert_eq!(state.operators, vec!["OP-2".to_string(), "SUP-1".to_string()]);

    let mut settings = e.settings();
    settings.camera = CameraSetting::File { path: video };
    settings.scanner = ScannerSetting::Simulator { seed: 7 };
    e.set_settings(settings.clone()).unwrap();
    let mut bad = settings.clone();
    bad.idle_lock_minutes = 0;
    assert_eq!(
        e.set_settings(bad).unwrap_err().payload().field.as_deref(),
        Some("settings.idle_lock_minutes")
    );

    // A fresh draft names what is missing; a half-typed date is reported, not fatal.
    let d = e.draft_new("first_card").unwrap();
    let fields: Vec<String> = d.problems.iter().map(|p| p.field.clone()).collect();
    assert!(fields.contains(&"civil.family_name.arabic".to_string()), "{fields:?}");
    let problems = e
        .draft_save(
            &d.id,
            &json!({"civil": {"family_name": {"latin": "ALAOUI", "arabic": "ALAOUI"}, "birth_date": "19"}}),
        )
        .unwrap();
    assert!(
        problems
            .iter()
            .any(|p| p.field == "civil.family_name.arabic" && format!("{:?}", p.code) == "NotArabic"),
        "{problems:?}"
    );
    assert!(problems.iter().any(|p| p.field == "civil.birth_date"));
    // The draft survives a restart of the engine (a crash): it is in the store, encrypted.
    let dir = e.dir().to_path_buf();
    let reopened = Engine::open(&dir, Arc::new(|_| {})).unwrap();
    reopened.unlock("OP-2", "operator passphrase").unwrap();
    let drafts = reopened.drafts().unwrap();
    assert!(drafts.iter().any(|x| x.id == d.id && x.name.starts_with("ALAOUI")));
    drop(reopened);
    e.draft_discard(&d.id).unwrap();

    // Two applicants enrolled through live capture.
    let a = enroll_one(&h, 11);
    let b = enroll_one(&h, 12);
    let list = e.enrollments(None, Some("sealed"), 0, 50).unwrap();
    assert_eq!(list.len(), 2);
    let home = e.home().unwrap();
    assert_eq!(home.today.enrolled, 2);
    assert_eq!(home.backlog["unsynced"], 2);
    assert_eq!(home.freeze.state, "ok");
    assert!(home.warnings.iter().any(|w| w["code"] == "never_synced"));
    // The citizen's receipt: a PDF in memory, its QR signed by this van and verifiable offline.
    let receipt = e.receipt_pdf(&a, "thermal").unwrap();
    let path = std::path::PathBuf::from(receipt["path"].as_str().unwrap());
    assert!(std::fs::read(&path).unwrap().starts_with(b"%PDF"));
    assert!(!path.starts_with(e.dir()), "receipts stay off the store's disk");
    let van_key = Store::open(e.dir()).unwrap().public_key().unwrap().to_bytes();
    let claims = qafila_receipt::verify(receipt["qr"].as_str().unwrap(), &van_key).unwrap();
    assert_eq!(claims.application_id.to_string(), a);
    assert_eq!(
        e.receipt_pdf(&a, "letter").unwrap_err().payload().field.as_deref(),
        Some("format")
    );
    let shown = e.enrollment(&a).unwrap();
    assert!(shown["portrait_jpeg_base64"].as_str().unwrap().len() > 1000);
    assert_eq!(shown["record"]["fingerprints"]["7"]["exception"], "bandaged");

    // End of day: the supervisor approves; an operator cannot.
    let review = e.day_review(None).unwrap();
    assert_eq!(review["enrollments"].as_array().unwrap().len(), 2);
    assert!(
        review["enrollments"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| x["approved"] == false)
    );
    assert_eq!(
        e.approve(std::slice::from_ref(&a), "OP-2", "operator passphrase")
            .unwrap_err()
            .code(),
        "not_allowed"
    );
    assert_eq!(e.approve(&[a.clone(), b.clone()], "SUP-1", PASS).unwrap(), 2);
    assert_eq!(e.approve(std::slice::from_ref(&a), "SUP-1", PASS).unwrap(), 0);

    // Freeze: with a limit of two unsynced enrollments, new ones are blocked until a sync.
    let mut s = e.settings();
    s.freeze.warn_unsynced = 1;
    s.freeze.block_unsynced = 2;
    e.set_settings(s.clone()).unwrap();
    assert_eq!(e.draft_new("first_card").unwrap_err().code(), "frozen");

    // Sync to a real center over HTTP lifts the freeze.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let center_dir = tempfile::tempdir().unwrap();
    let (url, center) = rt.block_on(async {
        let keys = CenterKeys::generate("rabat").unwrap();
        let db = SqliteDb::open(&center_dir.path().join("rabat.db")).unwrap();
        db.migrate().await.unwrap();
        let center = Arc::new(Center::new(keys, Arc::new(db), Routing::default(), vec![]));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = qafila_server::http::router(center.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (format!("http://{addr}"), center)
    });
    let info = center.keys().public_info();
    let van_key = hex::encode(Store::open(&dir).unwrap().public_key().unwrap().as_bytes());
    // Registering the center in the van needs the store; the engine holds it, so go through a
    // second engine session the way a supervisor's setup tool would.
    {
        let mut van = Store::open(&dir).unwrap().unlock("SUP-1", PASS).unwrap();
        van.add_center(&info.center, &info.verifying_key, &info.recipient)
            .unwrap();
        let update = van.update_recipient().unwrap();
        rt.block_on(center.register_van("VAN-T", &van_key, &update)).unwrap();
    }
    s.centers = vec![
        CenterSetting {
            id: "down".into(),
            url: "http://127.0.0.1:9".into(),
        },
        CenterSetting {
            id: "rabat".into(),
            url,
        },
    ];
    e.set_settings(s).unwrap();
    h.events.lock().unwrap().clear();
    let result = e.sync_now().unwrap();
    assert_eq!(result["center"], "rabat", "the unreachable center is skipped: {result}");
    assert_eq!(result["documents"], 2);
    assert!(h.count("sync", "progress") >= 1);
    let state = e.sync_state().unwrap();
    assert!(state["last_sync_at"].is_string());
    assert_eq!(state["receipts"].as_array().unwrap().len(), 1);
    assert_eq!(e.home().unwrap().freeze.state, "ok");
    e.draft_new("renewal").unwrap();

    // Locking drops the session and the printed receipts.
    e.lock("manual").unwrap();
    assert!(!path.exists(), "printed receipts are removed at lock");
    assert_eq!(e.enrollments(None, None, 0, 10).unwrap_err().code(), "locked");
    assert!(h.events.lock().unwrap().iter().any(|e| e.channel() == "locked"));
}

#[test]
fn a_missing_camera_or_scanner_says_what_to_do() {
    let h = setup();
    let e = &h.engine;
    e.unlock("SUP-1", PASS).unwrap();
    let mut s = e.settings();
    s.camera = CameraSetting::File {
        path: "/nonexistent/camera.avi".into(),
    };
    s.scanner = ScannerSetting::Sbi { port: Some(4599) };
    e.set_settings(s).unwrap();
    let d = e.draft_new("first_card").unwrap();
    let err = e.portrait_start(&d.id).unwrap_err();
    assert_eq!(err.code(), "camera");
    assert!(err.to_string().contains("settings"), "{err}");
    let err = e.fingers_start(&d.id, &Default::default()).unwrap_err();
    assert_eq!(err.code(), "scanner");
    assert!(err.to_string().contains("4599"), "{err}");
    // Bad input names the field.
    let mut ex = std::collections::BTreeMap::new();
    ex.insert("11".to_string(), ("missing".to_string(), "x".to_string()));
    assert_eq!(
        e.fingers_start(&d.id, &ex).unwrap_err().payload().field.as_deref(),
        Some("exceptions.11")
    );
    assert_eq!(
        e.document_add(&d.id, "passport", "a.pdf", "AAAA")
            .unwrap_err()
            .payload()
            .field
            .as_deref(),
        Some("kind")
    );
    assert_eq!(
        e.document_add(&d.id, "birth_certificate", "a.pdf", "not base64!")
            .unwrap_err()
            .payload()
            .field
            .as_deref(),
        Some("data_base64")
    );
    let v = e
        .document_add(&d.id, "birth_certificate", "acte.pdf", "JVBERi0xLjQK")
        .unwrap();
    assert_eq!(v.documents.len(), 1);
    assert_eq!(v.documents[0]["bytes"], 9);
}

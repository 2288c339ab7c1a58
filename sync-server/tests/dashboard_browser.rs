//! The dashboard in a real browser: Playwright drives Debian's Chromium against a real server on
//! loopback that holds data synced from a real van. A reviewer signs in, finds the application and
//! requests a recapture; the van's next sync shows the request. (The spec is
//! `ui/e2e-center/dashboard.spec.ts`; Playwright comes from `ui/node_modules`, which
//! `scripts/test-ui` installs.)

mod common;

use std::path::PathBuf;
use std::process::Command;

use chrono::Utc;
use common::{start, van, with_real_images};
use qafila_domain::Status;
use qafila_server::staff;
use qafila_sync::{SyncOptions, sync_once};

const PASSWORD: &str = "a long staff passphrase";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reviewer_in_chromium_requests_a_recapture_that_reaches_the_van() {
    let ui = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../ui");
    let playwright = ui.join("node_modules/.bin/playwright");
    assert!(
        playwright.exists(),
        "{} is missing: run scripts/test-ui (or `npm ci` in ui/) first; scripts/test does",
        playwright.display()
    );
    let tmp = tempfile::tempdir().unwrap();
    let s = start(tmp.path()).await;
    let db = s.center.db().clone();
    staff::put_staff(db.as_ref(), "rami", "Rami Reviewer", "reviewer", PASSWORD)
        .await
        .unwrap();
    staff::put_staff(db.as_ref(), "amina", "Amina Admin", "administrator", PASSWORD)
        .await
        .unwrap();

    let mut v = van(tmp.path(), &s).await;
    let mut ids = Vec::new();
    for seed in [31, 32, 33] {
        let (r, b) = with_real_images(seed);
        let id = v.enroll(r, &b).unwrap();
        v.seal(&id, None).unwrap();
        ids.push(id);
    }
    let opts = SyncOptions {
        retention: chrono::Duration::days(30),
        ..SyncOptions::default()
    };
    sync_once(&mut v, &s.url, &opts, &mut |_| {}).await.expect("sync");
    let target = ids[1];

    let artifacts = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"))
        .join("e2e-artifacts/dashboard");
    let url = s.url.clone();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(playwright)
            .current_dir(&ui)
            .args(["test", "-c", "playwright.center.config.ts"])
            .env("QAFILA_DASHBOARD_URL", url)
            .env("QAFILA_DASHBOARD_ARTIFACTS", &artifacts)
            .env("QAFILA_APP_ID", target.to_string())
            .env("QAFILA_STAFF_ID", "rami")
            .env("QAFILA_ADMIN_ID", "amina")
            .env("QAFILA_STAFF_PASSWORD", PASSWORD)
            .env("QAFILA_EXPECT_RECEIVED", "3")
            .output()
    })
    .await
    .unwrap()
    .expect("run playwright");
    let log = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "the browser suite failed:\n{log}");
    assert!(log.contains("2 passed"), "both browser tests must run:\n{log}");

    // The van's next sync brings the reviewer's request into its own record; the others are untouched.
    let before = Utc::now();
    let report = sync_once(&mut v, &s.url, &opts, &mut |_| {})
        .await
        .expect("second sync");
    assert_eq!(report.updates, 1, "{report:?}");
    match v.get(&target).unwrap().application.status {
        Status::RecaptureRequested { items, note } => {
            assert_eq!(items, ["portrait", "fingerprints.7"]);
            assert_eq!(note.as_deref(), Some("photo floue, index gauche illisible"));
        }
        other => panic!("after {before} the van sees {other:?}"),
    }
    for other in [ids[0], ids[2]] {
        let status = v.get(&other).unwrap().application.status;
        assert!(!matches!(status, Status::RecaptureRequested { .. }), "{status:?}");
    }
}

//! Two centers and three vans over real HTTP on loopback, one van behind a fault-injecting proxy.
//!
//! Every sealed enrollment reaches both centers exactly once with identical heads; receipts verify;
//! vans purge; a recapture requested at a center and a name corrected in the van both survive.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use qafila_domain::Status;
use qafila_faultproxy::{Config as ProxyConfig, FaultProxy, Faults, Shaping};
use qafila_server::center::Center;
use qafila_server::config::{Peer, Routing};
use qafila_server::db::CenterDb;
use qafila_server::keys::CenterKeys;
use qafila_server::sqlite::SqliteDb;
use qafila_store::{InitOptions, Store, Van, sample};
use qafila_sync::{SyncOptions, sync_once};

struct Running {
    center: Arc<Center>,
    url: String,
}

async fn start_centers(dir: &std::path::Path) -> (Running, Running) {
    let keys = [
        CenterKeys::generate("rabat").unwrap(),
        CenterKeys::generate("marrakech").unwrap(),
    ];
    let listeners = [
        tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap(),
        tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap(),
    ];
    let addrs: Vec<SocketAddr> = listeners.iter().map(|l| l.local_addr().unwrap()).collect();
    let infos: Vec<_> = keys.iter().map(|k| k.public_info()).collect();
    let mut out = Vec::new();
    for (i, (k, l)) in keys.into_iter().zip(listeners).enumerate() {
        let other = 1 - i;
        let peer = Peer {
            id: infos[other].center.clone(),
            url: format!("http://{}", addrs[other]),
            verifying_key: infos[other].verifying_key.clone(),
            recipient: infos[other].recipient.clone(),
            ca: None,
        };
        let db = SqliteDb::open(&dir.join(format!("{}.db", k.center))).unwrap();
        db.migrate().await.unwrap();
        let center = Arc::new(Center::new(k, Arc::new(db), Routing::default(), vec![peer]));
        let app = qafila_server::http::router(center.clone());
        tokio::spawn(async move { axum::serve(l, app).await });
        out.push(Running {
            center,
            url: format!("http://{}", addrs[i]),
        });
    }
    let m = out.pop().unwrap();
    let r = out.pop().unwrap();
    (r, m)
}

async fn van(dir: &std::path::Path, id: &str, centers: &[&Running]) -> Van {
    let mut van = Store::init(
        &dir.join(id),
        InitOptions {
            van_id: id.into(),
            operator_id: "SUP".into(),
            passphrase: "van passphrase".into(),
            recovery: None,
            kdf_log_n: 10,
        },
    )
    .unwrap();
    let key = hex::encode(van.store().public_key().unwrap().as_bytes());
    let update = van.update_recipient().unwrap();
    for c in centers {
        let info = c.center.keys().public_info();
        van.add_center(&info.center, &info.verifying_key, &info.recipient)
            .unwrap();
        c.center.register_van(id, &key, &update).await.unwrap();
    }
    van
}

fn enroll(van: &mut Van, first: u64, n: u64) -> Vec<qafila_domain::ApplicationId> {
    let id = van.van_id().unwrap();
    (first..first + n)
        .map(|seed| {
            let (r, b) = sample::complete(seed, &id, "SUP", Utc::now());
            let aid = van.enroll(r, &b).unwrap();
            van.seal(&aid, None).unwrap();
            aid
        })
        .collect()
}

/// Syncs until it succeeds (faults may exhaust the agent's retries), a bounded number of times.
async fn sync_until_done(van: &mut Van, url: &str, opts: &SyncOptions) -> qafila_sync::SyncReport {
    let mut last = None;
    for _ in 0..40 {
        let outcome = tokio::time::timeout(
            Duration::from_secs(120),
            sync_once(van, url, opts, &mut |p| eprintln!("{p:?}")),
        )
        .await;
        let Ok(outcome) = outcome else {
            panic!("a sync took over two minutes")
        };
        match outcome {
            Ok(r) => return r,
            Err(qafila_sync::SyncError::Unreachable { last: why, .. }) => last = Some(why),
            Err(e) => panic!("sync refused: {e}"),
        }
    }
    panic!("sync never completed: {last:?}");
}

async fn replicate(a: &Running, b: &Running) {
    let client = reqwest::Client::new();
    for _ in 0..3 {
        a.center.replicate_once(&client).await.unwrap();
        b.center.replicate_once(&client).await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_enrollment_reaches_both_centers_through_faults() {
    let tmp = tempfile::tempdir().unwrap();
    let (rabat, marrakech) = start_centers(tmp.path()).await;
    let mut v1 = van(tmp.path(), "VAN-01", &[&rabat, &marrakech]).await;
    let mut v2 = van(tmp.path(), "VAN-02", &[&rabat, &marrakech]).await;
    let mut v3 = van(tmp.path(), "VAN-03", &[&rabat, &marrakech]).await;
    let mut all = Vec::new();
    all.extend(enroll(&mut v1, 100, 5));
    all.extend(enroll(&mut v2, 200, 5));
    all.extend(enroll(&mut v3, 300, 5));

    let quick = SyncOptions {
        backoff: Duration::from_millis(10),
        request_timeout: Duration::from_secs(10),
        ..Default::default()
    };
    // Van 1 keeps its data a day after receipt (for the concurrent edit below); the others purge at once.
    let keep = SyncOptions {
        retention: chrono::Duration::days(1),
        ..quick.clone()
    };
    sync_until_done(&mut v1, &rabat.url, &keep).await;
    sync_until_done(&mut v2, &marrakech.url, &quick).await;

    // Van 3 goes through a proxy that drops, cuts, duplicates, reorders and delays.
    for seed in [1u64, 2, 3] {
        let proxy = FaultProxy::start(
            rabat.url.trim_start_matches("http://").parse().unwrap(),
            ProxyConfig {
                seed,
                faults: Faults {
                    drop_request: 0.15,
                    cut_request_body: 0.1,
                    drop_response: 0.15,
                    duplicate: 0.1,
                    reorder: 0.05,
                    reorder_hold: Duration::from_millis(50),
                    delay: (Duration::ZERO, Duration::from_millis(20)),
                    cut_response_body: 0.1,
                },
                shaping: Shaping::default(),
            },
        )
        .await
        .unwrap();
        let more = enroll(&mut v3, 400 + seed * 10, 3);
        all.extend(more);
        let small = SyncOptions {
            max_documents: 2,
            chunk_bytes: 8 * 1024,
            ..quick.clone()
        };
        sync_until_done(&mut v3, &proxy.url(), &small).await;
        let stats = proxy.stats();
        assert!(stats.requests > 20, "the proxy saw too little traffic: {stats:?}");
        proxy.shutdown().await;
    }
    assert_eq!(v3.sync_status().unwrap().batches_unreceipted, 0);

    replicate(&rabat, &marrakech).await;

    // Both centers hold every enrollment once, with identical heads.
    for c in [&rabat, &marrakech] {
        let counts = c.center.db().counts(&c.center.id).await.unwrap();
        assert_eq!(counts.documents, all.len() as i64, "{}: {counts:?}", c.center.id);
        assert_eq!(
            counts.blobs,
            all.len() as i64 * 11,
            "{}: every portrait and print",
            c.center.id
        );
    }
    for id in &all {
        let (_, h1, route1) = rabat.center.enrollment(&id.to_string()).await.unwrap();
        let (_, h2, route2) = marrakech.center.enrollment(&id.to_string()).await.unwrap();
        assert_eq!(h1, h2, "{id} differs between the centers");
        assert_eq!(route1, route2);
    }
    // Receipts verify offline with the issuing center's key; vans 2 and 3 purged what was receipted.
    for (v, n) in [(&v1, 1), (&v2, 1), (&v3, 8)] {
        let receipts = v.receipts().unwrap();
        assert_eq!(receipts.len(), n);
        for bytes in receipts {
            let signed = qafila_wire::SignedReceipt::from_bytes(&bytes).unwrap();
            let center = if signed.receipt_unverified().unwrap().center == "rabat" {
                &rabat
            } else {
                &marrakech
            };
            signed.verify(&center.center.keys().signing.verifying_key()).unwrap();
        }
    }
    assert_eq!(v2.sync_status().unwrap().purged, 5);
    assert_eq!(v3.sync_status().unwrap().purged, 14);

    // Concurrent edit: Rabat asks for a new portrait while the van corrects the name.
    let x = all[0];
    rabat
        .center
        .decide(
            &x.to_string(),
            Status::RecaptureRequested {
                items: vec!["portrait".into()],
                note: Some("eyes closed".into()),
            },
        )
        .await
        .unwrap();
    let mut r = v1.get(&x).unwrap();
    r.civil.family_name.latin = "EL AMRANI CORRIGE".into();
    v1.update(r, &[]).unwrap();
    sync_until_done(&mut v1, &marrakech.url, &keep).await; // the van's correction reaches Marrakech
    replicate(&rabat, &marrakech).await;
    sync_until_done(&mut v1, &rabat.url, &keep).await; // the recapture request reaches the van
    for c in [&rabat, &marrakech] {
        let (rec, _, _) = c.center.enrollment(&x.to_string()).await.unwrap();
        assert_eq!(rec.civil.family_name.latin, "EL AMRANI CORRIGE", "at {}", c.center.id);
        assert!(
            matches!(rec.application.status, Status::RecaptureRequested { .. }),
            "at {}",
            c.center.id
        );
    }
    let on_van = v1.get(&x).unwrap();
    assert_eq!(on_van.civil.family_name.latin, "EL AMRANI CORRIGE");
    assert!(matches!(on_van.application.status, Status::RecaptureRequested { .. }));
    let (_, h1, _) = rabat.center.enrollment(&x.to_string()).await.unwrap();
    let (_, h2, _) = marrakech.center.enrollment(&x.to_string()).await.unwrap();
    assert_eq!(h1, h2);

    // A van may sync with either center: an edit acknowledged by Rabat goes next to Marrakech
    // before the centers replicate; Marrakech lacks the history and gets the document whole.
    let y = enroll(&mut v1, 900, 1)[0];
    sync_until_done(&mut v1, &rabat.url, &keep).await;
    let mut r = v1.get(&y).unwrap();
    r.civil.phone = Some("+212600000099".into());
    v1.update(r, &[]).unwrap();
    sync_until_done(&mut v1, &marrakech.url, &keep).await;
    replicate(&rabat, &marrakech).await;
    let (at_marrakech, h2, _) = marrakech.center.enrollment(&y.to_string()).await.unwrap();
    let (_, h1, _) = rabat.center.enrollment(&y.to_string()).await.unwrap();
    assert_eq!(at_marrakech.civil.phone.as_deref(), Some("+212600000099"));
    assert_eq!(h1, h2);
    assert_eq!(v1.sync_status().unwrap().documents_pending, 0);
    assert!(v1.verify_journal().unwrap().is_intact());
}

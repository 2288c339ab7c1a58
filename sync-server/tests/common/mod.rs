//! What the center's HTTP tests share: a center on loopback, a registered van, realistic blobs.
#![allow(dead_code)]

use std::sync::Arc;

use chrono::Utc;
use qafila_server::center::Center;
use qafila_server::config::Routing;
use qafila_server::db::CenterDb;
use qafila_server::keys::CenterKeys;
use qafila_server::sqlite::SqliteDb;
use qafila_store::{InitOptions, Store, Van, sample};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

pub struct Server {
    pub center: Arc<Center>,
    pub url: String,
    pub http: reqwest::Client,
}

/// A signed-in browser: its cookie and CSRF token.
pub struct Browser {
    pub cookie: String,
    pub csrf: String,
}

impl Server {
    pub async fn call(
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

    pub async fn login(&self, id: &str, password: &str) -> Result<Browser, (StatusCode, Value)> {
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

pub async fn start(dir: &std::path::Path) -> Server {
    let db = SqliteDb::open(&dir.join("rabat.db")).unwrap();
    start_on(Arc::new(db)).await
}

/// A center on loopback over the given storage (migrated here).
pub async fn start_on(db: Arc<dyn CenterDb>) -> Server {
    start_with(
        db,
        CenterKeys::generate("rabat").unwrap(),
        vec![],
        |center| async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let url = format!("http://{}", listener.local_addr().unwrap());
            let app = qafila_server::http::router(center);
            tokio::spawn(async move { axum::serve(listener, app).await });
            url
        },
    )
    .await
}

/// A center over the given storage (migrated here) and keys, served by `serve`, which returns its URL.
pub async fn start_with<F: std::future::Future<Output = String>>(
    db: Arc<dyn CenterDb>,
    keys: CenterKeys,
    peers: Vec<qafila_server::config::Peer>,
    serve: impl FnOnce(Arc<Center>) -> F,
) -> Server {
    db.migrate().await.unwrap();
    // Every region prints in Rabat here, so every sample application is this center's to review.
    let routing = Routing {
        rabat_regions: (1..=12).map(|n| format!("{n:02}")).collect(),
        consulates: "rabat".into(),
    };
    let center = Arc::new(Center::new(keys, db, routing, peers));
    let url = serve(center.clone()).await;
    Server {
        center,
        url,
        http: reqwest::Client::new(),
    }
}

pub async fn van(dir: &std::path::Path, s: &Server) -> Van {
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

/// A sample applicant whose portrait is a JPEG (a baseline header the exports read; no pixels need
/// decoding) and whose ten prints are real WSQ files, as a van holds them.
pub fn with_real_images(seed: u64) -> (qafila_domain::Enrollment, Vec<Vec<u8>>) {
    use qafila_domain::{BlobRef, FingerSlot};
    use sha2::{Digest, Sha256};
    let (mut r, _) = sample::complete(seed, "VAN-07", "SUP", Utc::now());
    let reference = |b: &[u8]| BlobRef(hex::encode(Sha256::digest(b)));
    let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10];
    jpeg.extend_from_slice(b"JFIF\0\x01\x01\x00\x00\x01\x00\x01\x00\x00");
    jpeg.extend_from_slice(&[0xFF, 0xC0, 0x00, 0x11, 0x08, 0x02, 0x1C, 0x01, 0xA4]);
    jpeg.extend_from_slice(&[3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
    jpeg.extend_from_slice(&[0xFF, 0xDA, 0x00, 0x0C, 3, 1, 0, 2, 0x11, 3, 0x11, 0, 0x3F, 0]);
    jpeg.extend((0..64u64).map(|i| (seed.wrapping_mul(31).wrapping_add(i * 7) % 0xFE) as u8));
    jpeg.extend_from_slice(&[0xFF, 0xD9]);
    if let Some(p) = r.portrait.as_mut() {
        p.blob = reference(&jpeg);
    }
    let mut blobs = vec![jpeg];
    for (n, slot) in r.fingerprints.iter_mut() {
        let (w, h) = (160usize, 200usize);
        let pixels = (0..w * h)
            .map(|i| {
                let (x, y) = ((i % w) as f32, (i / w) as f32);
                let d = ((x - 80.0).powi(2) + (y - 100.0).powi(2)).sqrt();
                (128.0 + 100.0 * (d / (3.0 + f32::from(n.number() % 3))).sin()) as u8
            })
            .collect();
        let image = qafila_wsq::GrayImage::new(w, h, pixels).unwrap();
        let wsq = qafila_wsq::encode(&image, 0.75, 500).unwrap();
        if let FingerSlot::Impression { blob, .. } = slot {
            *blob = reference(&wsq);
        }
        blobs.push(wsq);
    }
    (r, blobs)
}

/// A PostgreSQL database of its own on the cluster at `QAFILA_TEST_POSTGRES_URL`, so every run starts empty and
/// runs side by side do not meet. The tests fail, never skip, when the variable is missing.
#[cfg(feature = "postgres")]
pub struct ScratchPostgres {
    admin: sqlx::PgConnection,
    name: String,
    /// The URL of the new database.
    pub url: String,
}

#[cfg(feature = "postgres")]
impl ScratchPostgres {
    /// Creates the database, named `qafila_<prefix>_<pid>_<nanos>`.
    pub async fn create(prefix: &str) -> ScratchPostgres {
        use sqlx::Connection;
        let Ok(cluster) = std::env::var("QAFILA_TEST_POSTGRES_URL") else {
            panic!(
                "QAFILA_TEST_POSTGRES_URL is not set: run the tests through scripts/test, which starts a PostgreSQL \
                 cluster (or run `scripts/postgres start DIR` and export the URL it prints)"
            );
        };
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_nanos();
        let name = format!("qafila_{prefix}_{}_{nanos}", std::process::id());
        let mut admin = sqlx::PgConnection::connect(&cluster)
            .await
            .expect("connect to QAFILA_TEST_POSTGRES_URL");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .expect("create database");
        let url = with_database(&cluster, &name);
        ScratchPostgres { admin, name, url }
    }

    /// Drops the database (not called when a test fails, so it is kept for a look); FORCE ends the pool's
    /// connections, which close lazily.
    pub async fn drop_database(mut self) {
        sqlx::query(&format!("DROP DATABASE {} WITH (FORCE)", self.name))
            .execute(&mut self.admin)
            .await
            .expect("drop database");
    }
}

/// `url` with its database replaced by `name`, keeping the query string.
#[cfg(feature = "postgres")]
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let host = base.find("://").map_or(0, |i| i + 3);
    let path = base[host..].find('/').map_or(base.len(), |i| host + i);
    let mut out = format!("{}/{name}", &base[..path]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

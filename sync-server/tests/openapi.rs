//! `docs/openapi.json` describes exactly the routes the router has: the routes are read from the
//! router's source (every `.route(..)` call and its methods) and compared both ways with the
//! document's paths, then every documented route is called to show it is really served.

use std::collections::BTreeSet;
use std::sync::Arc;

use qafila_server::center::Center;
use qafila_server::config::Routing;
use qafila_server::db::CenterDb;
use qafila_server::http::{OPENAPI, Options};
use qafila_server::keys::CenterKeys;
use qafila_server::sqlite::SqliteDb;
use qafila_server::staff;
use reqwest::{Method, StatusCode};
use serde_json::Value;

/// The files that build the router.
const ROUTER_SOURCES: &[(&str, &str)] = &[
    ("src/http.rs", include_str!("../src/http.rs")),
    ("src/dashboard.rs", include_str!("../src/dashboard.rs")),
    ("src/appointments.rs", include_str!("../src/appointments.rs")),
];

const METHODS: &[&str] = &["get", "post", "put", "patch", "delete", "head", "options"];

/// The text of a call's arguments: from just after its `(` to its matching `)`, string literals skipped.
fn arguments(s: &str) -> &str {
    let (mut depth, mut in_str, mut escaped) = (0i32, false, false);
    for (i, ch) in s.char_indices() {
        if in_str {
            match (escaped, ch) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match ch {
            '"' => in_str = true,
            '(' | '{' | '[' => depth += 1,
            ')' | '}' | ']' if depth == 0 => return &s[..i],
            ')' | '}' | ']' => depth -= 1,
            _ => {}
        }
    }
    s
}

/// Identifiers called at the outermost level of `args` (`get(x).post(y)` gives get and post).
fn outer_calls(args: &str) -> Vec<String> {
    let (mut depth, mut in_str, mut escaped) = (0i32, false, false);
    let mut ident = String::new();
    let mut out = Vec::new();
    for ch in args.chars() {
        if in_str {
            match (escaped, ch) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match ch {
            '"' => in_str = true,
            '(' => {
                if depth == 0 && !ident.is_empty() {
                    out.push(ident.clone());
                }
                depth += 1;
            }
            '{' | '[' => depth += 1,
            ')' | '}' | ']' => depth -= 1,
            _ => {}
        }
        if ch.is_ascii_alphanumeric() || ch == '_' {
            ident.push(ch);
        } else {
            ident.clear();
        }
    }
    out
}

/// `(METHOD, path)` of every `.route(path, handlers)` in the router's source.
fn router_routes() -> BTreeSet<(String, String)> {
    let mut routes = BTreeSet::new();
    for (file, src) in ROUTER_SOURCES {
        let mut rest = *src;
        while let Some(i) = rest.find(".route(") {
            let args = arguments(&rest[i + ".route(".len()..]);
            let path = args
                .split('"')
                .nth(1)
                .unwrap_or_else(|| panic!("{file}: a .route( without a path literal: {args}"));
            let (_, handlers) = args
                .split_once(',')
                .unwrap_or_else(|| panic!("{file}: route {path} has no handler"));
            let methods: Vec<String> = outer_calls(handlers)
                .into_iter()
                .filter(|m| METHODS.contains(&m.as_str()))
                .collect();
            assert!(
                !methods.is_empty(),
                "{file}: no method found for route {path}: {handlers}"
            );
            for m in methods {
                routes.insert((m.to_ascii_uppercase(), path.to_owned()));
            }
            rest = &rest[i + ".route(".len() + args.len()..];
        }
    }
    routes
}

fn documented_routes() -> BTreeSet<(String, String)> {
    let doc: Value = serde_json::from_str(OPENAPI).expect("docs/openapi.json is JSON");
    assert_eq!(doc["openapi"].as_str().map(|v| v.starts_with("3.1")), Some(true));
    let paths = doc["paths"].as_object().expect("paths");
    let mut routes = BTreeSet::new();
    for (path, item) in paths {
        for m in item.as_object().expect("path item").keys() {
            if METHODS.contains(&m.as_str()) {
                routes.insert((m.to_ascii_uppercase(), path.clone()));
            }
        }
    }
    routes
}

#[test]
fn the_document_lists_exactly_the_routes_of_the_router() {
    let served = router_routes();
    let documented = documented_routes();
    assert!(served.len() >= 25, "the source parser found too few routes: {served:?}");
    let undocumented: Vec<_> = served.difference(&documented).collect();
    let phantom: Vec<_> = documented.difference(&served).collect();
    assert!(
        undocumented.is_empty() && phantom.is_empty(),
        "docs/openapi.json is out of step with the router.\n  served but not documented: {undocumented:?}\n  \
         documented but not served: {phantom:?}"
    );
}

#[test]
fn the_source_parser_sees_chained_methods_and_skips_closures() {
    let src = r#".route("/a/{x}", head(h).patch(p)) .route("/b", get(move |s: State<X>| { let t = t.post(1); async move { f("(") } }))"#;
    let mut found = BTreeSet::new();
    let mut rest = src;
    while let Some(i) = rest.find(".route(") {
        let args = arguments(&rest[i + 7..]);
        let (_, handlers) = args.split_once(',').expect("handler");
        for m in outer_calls(handlers) {
            found.insert((m, args.split('"').nth(1).expect("path").to_owned()));
        }
        rest = &rest[i + 7 + args.len()..];
    }
    let want: BTreeSet<_> = [("head", "/a/{x}"), ("patch", "/a/{x}"), ("get", "/b")]
        .map(|(m, p)| (m.to_owned(), p.to_owned()))
        .into();
    assert_eq!(found, want);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_documented_route_is_served_and_the_document_is_for_staff_only() {
    let tmp = tempfile::tempdir().expect("tmp");
    let db = SqliteDb::open(&tmp.path().join("c.db")).expect("db");
    db.migrate().await.expect("migrate");
    staff::put_staff(&db, "vera", "Vera", "viewer", "a long staff passphrase")
        .await
        .expect("staff");
    let center = Arc::new(Center::new(
        CenterKeys::generate("rabat").expect("keys"),
        Arc::new(db),
        Routing::default(),
        vec![],
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let app = qafila_server::http::router_with(
        center,
        Options {
            metrics_token: Some("token".into()),
            ..Options::default()
        },
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    let http = reqwest::Client::new();

    let sha = "0".repeat(64);
    for (method, path) in documented_routes() {
        if path == "/api/events" {
            // A stream: its 401 is checked in the dashboard's tests.
            continue;
        }
        let concrete = path
            .replace("{sha}", &sha)
            .replace("{center}", "rabat")
            .replace("{queue}", "received")
            .replace("{van}", "VAN-01")
            .replace("{id}", "x");
        let m = Method::from_bytes(method.as_bytes()).expect("method");
        let resp = http
            .request(m, format!("{url}{concrete}"))
            .send()
            .await
            .expect("request");
        let status = resp.status();
        let body = resp.text().await.unwrap_or_default();
        // The router's own 404 has an empty body; a handler's 404 says what was not found.
        assert!(
            status != StatusCode::METHOD_NOT_ALLOWED && !(status == StatusCode::NOT_FOUND && body.is_empty()),
            "{method} {path} is documented but not served ({status})"
        );
    }

    assert_eq!(
        http.get(format!("{url}/openapi.json"))
            .send()
            .await
            .expect("get")
            .status(),
        StatusCode::UNAUTHORIZED
    );
    let resp = http
        .post(format!("{url}/api/session"))
        .json(&serde_json::json!({"id": "vera", "password": "a long staff passphrase"}))
        .send()
        .await
        .expect("login");
    let cookie = resp
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .expect("session cookie")
        .to_owned();
    let resp = http
        .get(format!("{url}/openapi.json"))
        .header("cookie", cookie)
        .send()
        .await
        .expect("get");
    assert_eq!(resp.status(), StatusCode::OK);
    let served: Value = resp.json().await.expect("json");
    assert_eq!(served, serde_json::from_str::<Value>(OPENAPI).expect("json"));
}

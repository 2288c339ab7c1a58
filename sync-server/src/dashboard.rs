//! The staff dashboard: a same-origin web page (`/`) and its JSON API under `/api/`.
//!
//! Every `/api/` route except signing in needs a session cookie; every change also needs the
//! session's CSRF token in `x-csrf-token`. Roles: viewers see, reviewers also decide, administrators
//! also manage vans and staff and read the audit log. Every staff action is audited (ids and kinds,
//! never personal data). The page's own files are public: they hold no data.
//!
//! | Method and path | Role | What |
//! |---|---|---|
//! | `POST /api/session` | none | sign in `{id, password}`: sets the cookie, returns the CSRF token |
//! | `GET /api/session` | any | who is signed in |
//! | `DELETE /api/session` | any | sign out |
//! | `GET /api/overview` | viewer | queues per center, fleet, counts |
//! | `GET /api/events` | viewer | server-sent events: `changed` whenever the data moves |
//! | `GET /api/queues/{center}/{queue}?offset=` | viewer | a page of a queue |
//! | `GET /api/applications?q=` | viewer | search by application id (prefix) |
//! | `GET /api/applications/{id}` | viewer | the application (audited) |
//! | `GET /api/applications/{id}/portrait` | viewer | its token portrait (JPEG) |
//! | `POST /api/applications/{id}/decision` | reviewer | accept, reject `{reason}`, or recapture `{items, note}` |
//! | `POST /api/vans` | administrator | register a van `{id, key, recipient}` |
//! | `POST /api/vans/{id}/revoke` | administrator | revoke a van |
//! | `GET /api/staff`, `POST /api/staff` | administrator | list, create or update staff `{id, display_name, role, password}` |
//! | `POST /api/staff/{id}/disable` | administrator | disable an account |
//! | `GET /api/audit` | administrator | the audit log, newest first |

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::Utc;
use qafila_domain::Status;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::center::{Center, CenterError};
use crate::queue;
use crate::staff::{self, Role, Session, StaffError};

/// The session cookie's name.
pub const COOKIE: &str = "qafila_session";
/// The CSRF header's name.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// Largest request body the dashboard accepts (its requests are small JSON objects).
pub const MAX_BODY: usize = 256 * 1024;

const INDEX_HTML: &str = include_str!("../dashboard/index.html");
const APP_JS: &str = include_str!("../dashboard/app.js");
const APP_CSS: &str = include_str!("../dashboard/app.css");

/// The dashboard's routes over a center.
pub fn routes() -> Router<Arc<Center>> {
    Router::new()
        .route("/", get(|| async { page("text/html; charset=utf-8", INDEX_HTML) }))
        .route(
            "/dashboard/app.js",
            get(|| async { page("text/javascript; charset=utf-8", APP_JS) }),
        )
        .route(
            "/dashboard/app.css",
            get(|| async { page("text/css; charset=utf-8", APP_CSS) }),
        )
        .route("/api/session", post(login).get(whoami).delete(logout))
        .route("/api/overview", get(overview))
        .route("/api/events", get(events))
        .route("/api/queues/{center}/{queue}", get(queue_page))
        .route("/api/applications", get(search))
        .route("/api/applications/{id}", get(application))
        .route("/api/applications/{id}/portrait", get(portrait))
        .route("/api/applications/{id}/decision", post(decision))
        .route("/api/vans", post(register_van))
        .route("/api/vans/{id}/revoke", post(revoke_van))
        .route("/api/staff", get(staff_list).post(staff_put))
        .route("/api/staff/{id}/disable", post(staff_disable))
        .route("/api/audit", get(audit_page))
}

fn page(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'self'; img-src 'self' blob:; frame-ancestors 'none'",
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        body,
    )
        .into_response()
}

/// A dashboard error: a status and a JSON `{code, message}` the page turns into words.
pub struct DashError(StatusCode, &'static str, String);

impl IntoResponse for DashError {
    fn into_response(self) -> Response {
        if self.0.is_server_error() {
            tracing::error!(code = self.1, "{}", self.2);
        }
        (self.0, axum::Json(json!({"code": self.1, "message": self.2}))).into_response()
    }
}

impl From<StaffError> for DashError {
    fn from(e: StaffError) -> Self {
        let (status, code) = match &e {
            StaffError::BadCredentials => (StatusCode::UNAUTHORIZED, "bad_credentials"),
            StaffError::NoSession => (StatusCode::UNAUTHORIZED, "no_session"),
            StaffError::Csrf => (StatusCode::FORBIDDEN, "csrf"),
            StaffError::Forbidden { .. } => (StatusCode::FORBIDDEN, "forbidden"),
            StaffError::Invalid { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
            StaffError::Db(_) => (StatusCode::INTERNAL_SERVER_ERROR, "storage"),
        };
        DashError(status, code, e.to_string())
    }
}

impl From<CenterError> for DashError {
    fn from(e: CenterError) -> Self {
        let status = match &e {
            CenterError::NotFound(_) => StatusCode::NOT_FOUND,
            CenterError::Review(_) => StatusCode::CONFLICT,
            CenterError::UnknownVan(_) | CenterError::InvalidRecord { .. } | CenterError::Wire(_) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        DashError(status, e.code(), e.to_string())
    }
}

impl From<crate::db::DbError> for DashError {
    fn from(e: crate::db::DbError) -> Self {
        DashError::from(CenterError::from(e))
    }
}

type ApiResult = Result<Response, DashError>;

fn cookie_token(h: &HeaderMap) -> Option<&str> {
    h.get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v)
}

/// The session of a request that only reads, with at least role `need`.
pub(crate) async fn reader(c: &Center, h: &HeaderMap, need: Role) -> Result<Session, DashError> {
    let token = cookie_token(h).ok_or(StaffError::NoSession)?;
    let s = staff::session(c.db().as_ref(), token).await?;
    if let Err(e) = s.require(need) {
        audit(c, &s, "denied", None, Some(need.name())).await;
        return Err(e.into());
    }
    Ok(s)
}

/// The session of a request that changes something: also checks the CSRF token.
pub(crate) async fn writer(c: &Center, h: &HeaderMap, need: Role) -> Result<Session, DashError> {
    let token = cookie_token(h).ok_or(StaffError::NoSession)?;
    let s = staff::session(c.db().as_ref(), token).await?;
    let sent = h.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !constant_time_eq(sent.as_bytes(), s.record.csrf.as_bytes()) {
        audit(c, &s, "denied", None, Some("csrf")).await;
        return Err(StaffError::Csrf.into());
    }
    if let Err(e) = s.require(need) {
        audit(c, &s, "denied", None, Some(need.name())).await;
        return Err(e.into());
    }
    Ok(s)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Appends to the audit log; a failure to audit is logged, not shown (the action already happened).
pub(crate) async fn audit(c: &Center, s: &Session, action: &str, target: Option<&str>, detail: Option<&str>) {
    audit_as(c, &s.staff.id, action, target, detail).await;
}

async fn audit_as(c: &Center, who: &str, action: &str, target: Option<&str>, detail: Option<&str>) {
    if let Err(e) = c
        .db()
        .audit(&Utc::now().to_rfc3339(), who, action, target, detail)
        .await
    {
        tracing::error!(action, "could not write the audit log: {e}");
    }
}

fn session_json(s: &Session) -> Value {
    json!({
        "id": s.staff.id,
        "display_name": s.staff.display_name,
        "role": s.role,
        "csrf": s.record.csrf,
        "expires_at": s.record.expires_at,
    })
}

#[derive(Deserialize)]
struct Credentials {
    id: String,
    password: String,
}

async fn login(State(c): State<Arc<Center>>, axum::Json(cred): axum::Json<Credentials>) -> ApiResult {
    match staff::login(c.db().as_ref(), &cred.id, &cred.password).await {
        Ok((token, s)) => {
            audit(&c, &s, "login", None, Some("ok")).await;
            let cookie = format!(
                "{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}",
                staff::SESSION_HOURS * 3600
            );
            let mut resp = axum::Json(session_json(&s)).into_response();
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                resp.headers_mut().insert(header::SET_COOKIE, v);
            }
            Ok(resp)
        }
        Err(e) => {
            // The id is what someone typed: kept only when it names a real account.
            let known = matches!(c.db().staff(&cred.id).await, Ok(Some(_)));
            let who = if known { cred.id.as_str() } else { "unknown" };
            audit_as(&c, who, "login", None, Some("failed")).await;
            Err(e.into())
        }
    }
}

async fn whoami(State(c): State<Arc<Center>>, h: HeaderMap) -> ApiResult {
    let s = reader(&c, &h, Role::Viewer).await?;
    Ok(axum::Json(json!({"center": c.id, "session": session_json(&s)})).into_response())
}

async fn logout(State(c): State<Arc<Center>>, h: HeaderMap) -> ApiResult {
    let s = writer(&c, &h, Role::Viewer).await?;
    if let Some(t) = cookie_token(&h) {
        staff::logout(c.db().as_ref(), t).await?;
    }
    audit(&c, &s, "logout", None, None).await;
    let mut resp = StatusCode::NO_CONTENT.into_response();
    resp.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("qafila_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"),
    );
    Ok(resp)
}

async fn overview(State(c): State<Arc<Center>>, h: HeaderMap) -> ApiResult {
    reader(&c, &h, Role::Viewer).await?;
    Ok(axum::Json(crate::fleet::overview(&c).await?).into_response())
}

async fn events(State(c): State<Arc<Center>>, h: HeaderMap) -> ApiResult {
    reader(&c, &h, Role::Viewer).await?;
    // The change log and the vans' contacts are what the dashboard shows moving; poll them here
    // (cheap counts) so a page holds no more than one idle connection.
    let stream = futures::stream::unfold((c, String::new()), |(c, last)| async move {
        loop {
            let mark = match (c.db().counts(&c.id).await, c.db().van_contacts().await) {
                (Ok(n), Ok(v)) => format!(
                    "{}.{}.{}",
                    n.changes,
                    n.vans,
                    v.iter().map(|x| x.last_contact.as_str()).max().unwrap_or("")
                ),
                _ => last.clone(),
            };
            if mark != last {
                let ev = Event::default().event("changed").data(mark.clone());
                return Some((Ok::<_, Infallible>(ev), (c, mark)));
            }
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()).into_response())
}

#[derive(Deserialize)]
struct PageQuery {
    #[serde(default)]
    offset: i64,
}

const PAGE: i64 = 50;

async fn queue_page(
    State(c): State<Arc<Center>>,
    Path((center, name)): Path<(String, String)>,
    Query(q): Query<PageQuery>,
    h: HeaderMap,
) -> ApiResult {
    reader(&c, &h, Role::Viewer).await?;
    let statuses = queue::statuses(&name);
    if statuses.is_empty() {
        return Err(DashError(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("queue {name:?} does not exist"),
        ));
    }
    let offset = q.offset.max(0);
    let mut items = Vec::new();
    for st in statuses {
        items.extend(c.db().list_documents(&center, st, offset + PAGE, 0).await?);
    }
    items.sort_by(|a, b| (&a.updated_at, &a.id).cmp(&(&b.updated_at, &b.id)));
    let page: Vec<_> = items.into_iter().skip(offset as usize).take(PAGE as usize).collect();
    Ok(axum::Json(json!({"center": center, "queue": name, "offset": offset, "items": page})).into_response())
}

#[derive(Deserialize)]
struct SearchQuery {
    #[serde(default)]
    q: String,
}

async fn search(State(c): State<Arc<Center>>, Query(q): Query<SearchQuery>, h: HeaderMap) -> ApiResult {
    let s = reader(&c, &h, Role::Viewer).await?;
    let needle = q.q.trim().to_ascii_lowercase();
    if needle.len() < 4 || !needle.chars().all(|ch| ch.is_ascii_hexdigit() || ch == '-') {
        return Err(DashError(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            "q: give at least the first 4 characters of an application id (hexadecimal digits and dashes)".into(),
        ));
    }
    let items = c.db().find_documents(&needle, 20).await?;
    audit(&c, &s, "search", None, Some(&format!("{} found", items.len()))).await;
    Ok(axum::Json(json!({"items": items})).into_response())
}

async fn application(State(c): State<Arc<Center>>, Path(id): Path<String>, h: HeaderMap) -> ApiResult {
    let s = reader(&c, &h, Role::Viewer).await?;
    let (record, heads, routed_to) = c.enrollment(&id).await?;
    audit(&c, &s, "application.view", Some(&id), None).await;
    let status = record.application.status.name();
    Ok(axum::Json(json!({
        "id": id,
        "routed_to": routed_to,
        "heads": heads,
        "queue": queue::of_status(status),
        "reviewable": queue::awaits_review(status) && routed_to == c.id,
        "record": record,
    }))
    .into_response())
}

async fn portrait(State(c): State<Arc<Center>>, Path(id): Path<String>, h: HeaderMap) -> ApiResult {
    reader(&c, &h, Role::Viewer).await?;
    let (record, _, _) = c.enrollment(&id).await?;
    let p = record
        .portrait
        .ok_or_else(|| CenterError::NotFound(format!("portrait of {id}")))?;
    let jpeg = c.blob_plain(&p.blob.0).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/jpeg"),
            (header::CACHE_CONTROL, "private, no-store"),
        ],
        jpeg,
    )
        .into_response())
}

#[derive(Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case", deny_unknown_fields)]
enum Decision {
    Accept,
    Reject {
        reason: String,
    },
    Recapture {
        items: Vec<String>,
        #[serde(default)]
        note: Option<String>,
    },
}

fn invalid(field: &'static str, reason: impl Into<String>) -> DashError {
    DashError::from(StaffError::Invalid {
        field,
        reason: reason.into(),
    })
}

async fn decision(
    State(c): State<Arc<Center>>,
    Path(id): Path<String>,
    h: HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult {
    let s = writer(&c, &h, Role::Reviewer).await?;
    let d: Decision = serde_json::from_slice(&body).map_err(|e| invalid("decision", e.to_string()))?;
    let (status, kind, detail) = match d {
        Decision::Accept => (Status::Accepted, "review.accept", None),
        Decision::Reject { reason } => {
            let reason = reason.trim().to_owned();
            if reason.is_empty() || reason.chars().count() > 500 {
                return Err(invalid("reason", "say why, in 1 to 500 characters"));
            }
            (Status::Rejected { reason }, "review.reject", None)
        }
        Decision::Recapture { items, note } => {
            if items.is_empty() {
                return Err(invalid("items", "name at least one item to capture again"));
            }
            if let Some(bad) = items.iter().find(|i| !queue::valid_recapture_item(i)) {
                return Err(invalid(
                    "items",
                    format!("{bad:?} is not portrait, documents, civil, fingerprints or fingerprints.1–10"),
                ));
            }
            let note = note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
            if note.as_ref().is_some_and(|n| n.chars().count() > 500) {
                return Err(invalid("note", "at most 500 characters"));
            }
            let detail = items.join(",");
            (
                Status::RecaptureRequested { items, note },
                "review.recapture",
                Some(detail),
            )
        }
    };
    match c.review(&id, status).await {
        Ok(()) => {
            audit(&c, &s, kind, Some(&id), detail.as_deref()).await;
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        Err(e) => {
            audit(&c, &s, kind, Some(&id), Some(e.code())).await;
            Err(e.into())
        }
    }
}

#[derive(Deserialize)]
struct NewVan {
    id: String,
    key: String,
    recipient: String,
}

async fn register_van(State(c): State<Arc<Center>>, h: HeaderMap, body: axum::body::Bytes) -> ApiResult {
    let s = writer(&c, &h, Role::Administrator).await?;
    let v: NewVan = serde_json::from_slice(&body).map_err(|e| invalid("van", e.to_string()))?;
    let valid_id = !v.id.is_empty()
        && v.id.len() <= 64
        && v.id
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_');
    if !valid_id {
        return Err(invalid("id", "1 to 64 letters, digits, '-' or '_'"));
    }
    c.register_van(&v.id, &v.key, &v.recipient).await?;
    audit(&c, &s, "van.register", Some(&v.id), None).await;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn revoke_van(State(c): State<Arc<Center>>, Path(id): Path<String>, h: HeaderMap) -> ApiResult {
    let s = writer(&c, &h, Role::Administrator).await?;
    if !c.db().revoke_van(&id, &Utc::now().to_rfc3339()).await? {
        return Err(CenterError::NotFound(format!("active van {id}")).into());
    }
    audit(&c, &s, "van.revoke", Some(&id), None).await;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn staff_list(State(c): State<Arc<Center>>, h: HeaderMap) -> ApiResult {
    reader(&c, &h, Role::Administrator).await?;
    let list: Vec<Value> = c
        .db()
        .staff_list()
        .await?
        .into_iter()
        .map(|s| {
            json!({"id": s.id, "display_name": s.display_name, "role": s.role,
                   "created_at": s.created_at, "disabled_at": s.disabled_at})
        })
        .collect();
    Ok(axum::Json(json!({"staff": list})).into_response())
}

#[derive(Deserialize)]
struct NewStaff {
    id: String,
    display_name: String,
    role: String,
    password: String,
}

async fn staff_put(State(c): State<Arc<Center>>, h: HeaderMap, body: axum::body::Bytes) -> ApiResult {
    let s = writer(&c, &h, Role::Administrator).await?;
    let n: NewStaff = serde_json::from_slice(&body).map_err(|e| invalid("staff", e.to_string()))?;
    let r = staff::put_staff(c.db().as_ref(), &n.id, &n.display_name, &n.role, &n.password).await?;
    audit(&c, &s, "staff.put", Some(&r.id), Some(&r.role)).await;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn staff_disable(State(c): State<Arc<Center>>, Path(id): Path<String>, h: HeaderMap) -> ApiResult {
    let s = writer(&c, &h, Role::Administrator).await?;
    if id == s.staff.id {
        return Err(invalid("id", "you cannot disable your own account"));
    }
    staff::disable(c.db().as_ref(), &id).await?;
    audit(&c, &s, "staff.disable", Some(&id), None).await;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn audit_page(State(c): State<Arc<Center>>, h: HeaderMap) -> ApiResult {
    reader(&c, &h, Role::Administrator).await?;
    Ok(axum::Json(json!({"entries": c.db().audit_log(500).await?})).into_response())
}

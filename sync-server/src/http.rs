//! The HTTP API (axum). Batches and receipts travel as CBOR; errors as JSON `{code, message}`.
//!
//! | Method and path | Who | What |
//! |---|---|---|
//! | `POST /v1/batches` | van (envelope signature) | ingest a batch: 200 receipt, or 202 with the blobs still needed |
//! | `HEAD /v1/blobs/{sha256}` | anyone | `Upload-Offset` and `Upload-Length` of an upload |
//! | `PATCH /v1/blobs/{sha256}` | van (request signature) | append a chunk (the last one may commit a pending batch) |
//! | `GET /v1/vans/{van}/updates?since=N` | that van | center changes to its enrollments (204 if none) |
//! | `POST /v1/vans/{van}/report` | that van | its status for the fleet view (JSON `VanReport`) |
//! | `POST /v1/vans/{van}/key` | that van (statement signed by its old and new keys) | key rotation (CBOR `SignedKeyRotation`) |
//! | `GET /v1/replication?changes=&batches=&blobs=` | peer center | replication envelope |
//! | `GET /v1/replication/blobs/{sha256}` | peer center | a blob's transfer form |
//! | `GET /v1/status` | anyone | counts, no personal data |
//! | `GET /metrics` | scraper (`Authorization: Bearer <metrics_token>`) | Prometheus metrics; 404 when no token is configured |
//! | `GET /v1/vans/{van}/appointments` | that van | its drives' appointment lists (see [`crate::appointments`]) |
//! | `GET /openapi.json` | signed-in staff | this API as OpenAPI 3.1 (`docs/openapi.json`) |
//!
//! The dashboard's `/api/` routes are listed in [`crate::dashboard`].

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, head, post};
use qafila_wire::{blob, request};
use serde::Deserialize;

use crate::center::{Center, CenterError, Ingested};
use crate::metrics::ErrorCode;

/// The API document served at `/openapi.json`; a test keeps it and the routes below in step.
pub const OPENAPI: &str = include_str!("../../docs/openapi.json");

/// What the router needs besides the center.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// The bearer token `/metrics` asks for; `None` turns `/metrics` off (404).
    pub metrics_token: Option<String>,
    /// Request timeout (and, for [`serve`], header timeout and connection cap).
    pub limits: crate::limits::Limits,
}

/// The router over a center, without metrics.
pub fn router(center: Arc<Center>) -> Router {
    router_with(center, Options::default())
}

/// The router over a center with these options.
pub fn router_with(center: Arc<Center>, options: Options) -> Router {
    let token = Arc::new(options.metrics_token);
    let timeout = options.limits.request_timeout();
    Router::new()
        .route("/v1/batches", post(post_batch))
        .route("/v1/batches/commit", post(post_commit))
        .route("/v1/blobs/missing", post(post_missing_blobs))
        .route("/v1/blobs/{sha}", head(head_blob).patch(patch_blob))
        .route("/v1/vans/{van}/updates", get(get_updates))
        .route("/v1/vans/{van}/report", post(post_report))
        .route("/v1/vans/{van}/key", post(post_key))
        .route("/v1/replication", get(get_replication))
        .route("/v1/replication/blobs/{sha}", get(get_replication_blob))
        .route("/v1/status", get(get_status))
        .merge(crate::appointments::van_routes())
        .route_layer(axum::middleware::map_response_with_state(center.clone(), count_error))
        .route(
            "/metrics",
            get(move |State(c): State<Arc<Center>>, h: HeaderMap| {
                let token = token.clone();
                async move { crate::metrics::scrape(&c, &h, token.as_ref().as_deref()).await }
            }),
        )
        .route("/openapi.json", get(openapi))
        .merge(crate::dashboard::routes().layer(DefaultBodyLimit::max(crate::dashboard::MAX_BODY)))
        .merge(
            crate::appointments::dashboard_routes()
                .layer(DefaultBodyLimit::max(crate::appointments::MAX_PUBLICATION_BYTES)),
        )
        .layer(DefaultBodyLimit::max(qafila_wire::MAX_ENVELOPE_BYTES))
        .layer(axum::middleware::from_fn(move |req, next| within(timeout, req, next)))
        .with_state(center)
}

/// Ends a request that has not been answered in time (a client trickling its body, a stuck
/// handler) with 408, freeing its connection and whatever it held.
async fn within(timeout: std::time::Duration, req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    match tokio::time::timeout(timeout, next.run(req)).await {
        Ok(resp) => resp,
        Err(_) => (
            StatusCode::REQUEST_TIMEOUT,
            axum::Json(serde_json::json!({"code": "timeout", "message": "the request took too long: send it again"})),
        )
            .into_response(),
    }
}

/// Reads a request body within the center's memory budget: waits for room for `factor` times its
/// declared length (the body and what is decoded from it), then reads at most `limit` bytes.
async fn budgeted_body<'c>(
    c: &'c Center,
    h: &HeaderMap,
    body: axum::body::Body,
    limit: usize,
    factor: u64,
) -> Result<(Bytes, tokio::sync::SemaphorePermit<'c>), ApiError> {
    let declared = h
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(limit as u64);
    if declared > limit as u64 {
        return Err(ApiError(CenterError::Wire(qafila_wire::WireError::TooLarge {
            what: "request body",
            size: declared as usize,
            limit,
        })));
    }
    let permit = c.budget().reserve(declared.saturating_mul(factor)).await;
    let bytes = axum::body::to_bytes(body, limit).await.map_err(|e| {
        ApiError(CenterError::Wire(qafila_wire::WireError::Malformed {
            what: "request body",
            reason: e.to_string(),
        }))
    })?;
    Ok((bytes, permit))
}

/// Largest blob chunk accepted in one PATCH (vans send 256 KiB).
pub const MAX_CHUNK_BYTES: usize = 8 * 1024 * 1024;

/// Serves the router on `listener` with header timeouts and a connection cap, which
/// `axum::serve` does not offer: a client that opens connections and never finishes its headers
/// is dropped after `header_timeout_s`.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    limits: &crate::limits::Limits,
    tls: Option<Arc<tokio_rustls::rustls::ServerConfig>>,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
    let slots = Arc::new(tokio::sync::Semaphore::new(limits.max_connections.max(1) as usize));
    let header_timeout = limits.header_timeout();
    let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
    let app = if acceptor.is_some() {
        app.layer(axum::middleware::map_response(over_tls))
    } else {
        app
    };
    loop {
        let permit = slots.clone().acquire_owned().await.map_err(std::io::Error::other)?;
        let (stream, _) = match listener.accept().await {
            Ok(s) => s,
            // Out of file descriptors and the like: wait a little rather than spin.
            Err(e) => {
                tracing::warn!("accept: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                continue;
            }
        };
        let service = hyper_util::service::TowerToHyperService::new(app.clone());
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
            builder
                .http1()
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout);
            match acceptor {
                None => {
                    let _ = builder
                        .serve_connection_with_upgrades(TokioIo::new(stream), service)
                        .await;
                }
                // The handshake gets the same time as the headers would: a client that opens
                // connections and never finishes them holds a slot no longer than a slow header.
                Some(acceptor) => match tokio::time::timeout(header_timeout, acceptor.accept(stream)).await {
                    Ok(Ok(tls)) => {
                        let _ = builder.serve_connection_with_upgrades(TokioIo::new(tls), service).await;
                    }
                    Ok(Err(e)) => tracing::debug!("TLS handshake failed: {e}"),
                    Err(_) => tracing::debug!("TLS handshake timed out"),
                },
            }
            drop(permit);
        });
    }
}

/// Over HTTPS, cookies are marked `Secure` and browsers told to stay on HTTPS.
async fn over_tls(mut resp: Response) -> Response {
    let headers = resp.headers_mut();
    let cookies: Vec<HeaderValue> = headers.get_all(header::SET_COOKIE).iter().cloned().collect();
    if !cookies.is_empty() {
        headers.remove(header::SET_COOKIE);
        for c in cookies {
            let secured = c
                .to_str()
                .ok()
                .and_then(|v| HeaderValue::from_str(&format!("{v}; Secure")).ok())
                .unwrap_or(c);
            headers.append(header::SET_COOKIE, secured);
        }
    }
    headers.insert(
        header::STRICT_TRANSPORT_SECURITY,
        HeaderValue::from_static("max-age=31536000"),
    );
    resp
}

struct ApiError(CenterError);

impl From<CenterError> for ApiError {
    fn from(e: CenterError) -> Self {
        ApiError(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = match &self.0 {
            CenterError::Wire(w) => match w.code() {
                "bad_signature" => StatusCode::FORBIDDEN,
                "too_large" => StatusCode::PAYLOAD_TOO_LARGE,
                _ => StatusCode::BAD_REQUEST,
            },
            CenterError::UnknownVan(_) | CenterError::RevokedVan(_) | CenterError::RetiredKey { .. } => {
                StatusCode::FORBIDDEN
            }
            CenterError::Conflict { .. }
            | CenterError::KeyConflict { .. }
            | CenterError::MissingHistory(_)
            | CenterError::Offset { .. } => StatusCode::CONFLICT,
            CenterError::InvalidRecord { .. } | CenterError::Blob { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            CenterError::NotFound(_) => StatusCode::NOT_FOUND,
            CenterError::Review(_) => StatusCode::CONFLICT,
            CenterError::Db(_) | CenterError::Damaged(_) | CenterError::Peer { .. } => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        if status.is_server_error() {
            tracing::error!(code = self.0.code(), "{}", self.0);
        }
        let mut resp = (
            status,
            axum::Json(serde_json::json!({"code": self.0.code(), "message": self.0.to_string()})),
        )
            .into_response();
        if let CenterError::Offset { held, .. } = self.0
            && let Ok(v) = HeaderValue::from_str(&held.to_string())
        {
            resp.headers_mut().insert(blob::UPLOAD_OFFSET, v);
        }
        resp.extensions_mut().insert(ErrorCode(self.0.code()));
        resp
    }
}

/// Counts the van protocol's error responses by the code [`ApiError`] left on them.
async fn count_error(State(c): State<Arc<Center>>, resp: Response) -> Response {
    if let Some(ErrorCode(code)) = resp.extensions().get::<ErrorCode>() {
        c.metrics().error(code);
    }
    resp
}

async fn openapi(State(c): State<Arc<Center>>, h: HeaderMap) -> Result<Response, crate::dashboard::DashError> {
    crate::dashboard::reader(&c, &h, crate::staff::Role::Viewer).await?;
    Ok(([("content-type", "application/json")], OPENAPI).into_response())
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> Result<&'a str, ApiError> {
    h.get(name).and_then(|v| v.to_str().ok()).ok_or_else(|| {
        ApiError(CenterError::Wire(qafila_wire::WireError::Malformed {
            what: "request",
            reason: format!("missing header {name}"),
        }))
    })
}

fn number(h: &HeaderMap, name: &str) -> Result<i64, ApiError> {
    header(h, name)?.parse().map_err(|_| {
        ApiError(CenterError::Wire(qafila_wire::WireError::Malformed {
            what: "request",
            reason: format!("{name} is not a number"),
        }))
    })
}

async fn post_batch(State(c): State<Arc<Center>>, h: HeaderMap, body: axum::body::Body) -> Result<Response, ApiError> {
    // The envelope, its decrypted payload and the merged documents: about three times its size.
    let (body, _room) = budgeted_body(&c, &h, body, qafila_wire::MAX_ENVELOPE_BYTES, 3).await?;
    c.metrics().received(body.len());
    let ingested = c.ingest(&body).await?;
    Ok(batch_answer(&c, ingested))
}

/// Answers a batch as `post_batch` does.
fn batch_answer(c: &Center, ingested: Ingested) -> Response {
    match ingested {
        Ingested::Receipt(r) => ([("content-type", "application/cbor")], r).into_response(),
        Ingested::NeedBlobs(missing_blobs) => {
            c.metrics().batch_awaiting_blobs();
            (StatusCode::ACCEPTED, axum::Json(blob::MissingBlobs { missing_blobs })).into_response()
        }
    }
}

/// The body of a van's signed `POST` (read within the memory budget, as [`budgeted_body`]) and the
/// van that signed it.
async fn signed_post<'c>(
    c: &'c Center,
    uri: &Uri,
    h: &HeaderMap,
    body: axum::body::Body,
    limit: usize,
    factor: u64,
) -> Result<(Bytes, tokio::sync::SemaphorePermit<'c>, crate::db::VanRecord), ApiError> {
    let (body, room) = budgeted_body(c, h, body, limit, factor).await?;
    c.metrics().received(body.len());
    let van = c
        .authenticate_van(
            header(h, request::SENDER)?,
            "POST",
            uri.path(),
            &body,
            header(h, request::SIGNATURE)?,
        )
        .await?;
    Ok((body, room, van))
}

async fn post_commit(
    State(c): State<Arc<Center>>,
    uri: Uri,
    h: HeaderMap,
    body: axum::body::Body,
) -> Result<Response, ApiError> {
    let (body, _room, van) = signed_post(&c, &uri, &h, body, 1024, 1).await?;
    let (seq, ct_hash) = qafila_wire::BatchCommit::parse(&body).map_err(|e| ApiError(CenterError::Wire(e)))?;
    let ingested = c.commit_pending(&van.id, seq, &ct_hash).await?;
    Ok(batch_answer(&c, ingested))
}

async fn post_missing_blobs(
    State(c): State<Arc<Center>>,
    uri: Uri,
    h: HeaderMap,
    body: axum::body::Body,
) -> Result<Response, ApiError> {
    // 68 bytes a name in JSON; the parsed names take about as much again.
    let (body, _room, _van) = signed_post(&c, &uri, &h, body, blob::MAX_MISSING_QUERY * 68 + 64, 2).await?;
    let query: blob::MissingQuery = serde_json::from_slice(&body).map_err(|e| {
        ApiError(CenterError::Wire(qafila_wire::WireError::Malformed {
            what: "blobs query",
            reason: format!("expected {{\"blobs\": [sha256...]}}: {e}"),
        }))
    })?;
    let missing_blobs = c.missing_blobs(&query.blobs).await?;
    Ok(axum::Json(blob::MissingBlobs { missing_blobs }).into_response())
}

async fn head_blob(State(c): State<Arc<Center>>, Path(sha): Path<String>) -> Result<Response, ApiError> {
    let s = c.blob_state(&sha).await?;
    let mut h = HeaderMap::new();
    h.insert(blob::UPLOAD_OFFSET, HeaderValue::from(s.received));
    if let Some(l) = s.length {
        h.insert(blob::UPLOAD_LENGTH, HeaderValue::from(l));
    }
    h.insert("cache-control", HeaderValue::from_static("no-store"));
    Ok((StatusCode::OK, h).into_response())
}

async fn patch_blob(
    State(c): State<Arc<Center>>,
    Path(sha): Path<String>,
    uri: Uri,
    h: HeaderMap,
    body: axum::body::Body,
) -> Result<Response, ApiError> {
    // The head is checked before the body is read: the van's signature covers the chunk's
    // checksum, so a forged upload costs no memory, and what arrives of a signed chunk before its
    // link is cut can be kept.
    let head = async {
        let claimed =
            blob::parse_checksum(header(&h, blob::UPLOAD_CHECKSUM)?).map_err(|e| ApiError(CenterError::Wire(e)))?;
        let van = c
            .authenticate_van_hashed(
                header(&h, request::SENDER)?,
                "PATCH",
                uri.path(),
                &claimed,
                header(&h, request::SIGNATURE)?,
            )
            .await?;
        Ok::<_, ApiError>((van, number(&h, blob::UPLOAD_OFFSET)?, number(&h, blob::UPLOAD_LENGTH)?))
    };
    let (van, offset, length) = match head.await {
        Ok(head) => head,
        Err(e) => {
            // Read and dropped, so the sender hears the refusal rather than a connection reset
            // part-way through its upload (which a van would take for a cut link and retry).
            discard(body, MAX_CHUNK_BYTES).await;
            return Err(e);
        }
    };
    let body = upload_body(&c, &h, body, &van, &sha, offset, length).await?;
    c.metrics().received(body.len());
    let chunk = blob::Chunk::new(&body);
    let commit = match h.get(blob::UPLOAD_COMMIT) {
        None => None,
        Some(_) => Some(u64::try_from(number(&h, blob::UPLOAD_COMMIT)?).map_err(|_| {
            ApiError(CenterError::Wire(qafila_wire::WireError::Malformed {
                what: "request",
                reason: format!("{} is negative", blob::UPLOAD_COMMIT),
            }))
        })?),
    };
    let upload = crate::center::BlobChunk {
        sha: &sha,
        offset,
        length,
        checksum: header(&h, blob::UPLOAD_CHECKSUM)?,
        chunk,
    };
    let (s, receipt) = c.van_blob_chunk(&van, upload, commit).await?;
    let offset = (blob::UPLOAD_OFFSET, s.received.to_string());
    Ok(match receipt {
        Some(r) => {
            c.metrics().batch_committed_with_blob();
            (
                StatusCode::OK,
                [offset, (header::CONTENT_TYPE.as_str(), "application/cbor".to_owned())],
                r,
            )
                .into_response()
        }
        None => (StatusCode::NO_CONTENT, [offset]).into_response(),
    })
}

/// Reads and drops up to `limit` bytes of a body, keeping none of it.
async fn discard(body: axum::body::Body, limit: usize) {
    use futures::StreamExt;
    let mut stream = body.into_data_stream();
    let mut read = 0;
    while let Some(Ok(bytes)) = stream.next().await {
        read += bytes.len();
        if read > limit {
            return;
        }
    }
}

/// Reads a blob chunk's body within the memory budget. If the link is cut before the whole body
/// has arrived, what did arrive is kept for the van to resume after ([`Center::keep_cut_chunk`]),
/// and the request fails.
///
/// The reading runs in a task of its own: when a client goes away mid-body the server may drop
/// this handler, and the part that arrived must still be kept.
async fn upload_body(
    c: &Arc<Center>,
    h: &HeaderMap,
    body: axum::body::Body,
    van: &crate::db::VanRecord,
    sha: &str,
    offset: i64,
    length: i64,
) -> Result<Bytes, ApiError> {
    use futures::StreamExt;
    let declared = h
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if let Some(d) = declared.filter(|&d| d > MAX_CHUNK_BYTES as u64) {
        return Err(ApiError(CenterError::Wire(qafila_wire::WireError::TooLarge {
            what: "request body",
            size: d as usize,
            limit: MAX_CHUNK_BYTES,
        })));
    }
    let (c, van, sha) = (c.clone(), van.clone(), sha.to_owned());
    let reading = tokio::spawn(async move {
        // The body and its copy into the store.
        let _room = c
            .budget()
            .reserve(declared.unwrap_or(MAX_CHUNK_BYTES as u64).saturating_mul(2))
            .await;
        let mut stream = body.into_data_stream();
        let mut got = Vec::with_capacity(declared.unwrap_or(0) as usize);
        let mut cut = None;
        while let Some(frame) = stream.next().await {
            match frame {
                Ok(bytes) if got.len() + bytes.len() <= MAX_CHUNK_BYTES => got.extend_from_slice(&bytes),
                Ok(_) => {
                    return Err(qafila_wire::WireError::TooLarge {
                        what: "request body",
                        size: MAX_CHUNK_BYTES + 1,
                        limit: MAX_CHUNK_BYTES,
                    });
                }
                Err(e) => {
                    cut = Some(e.to_string());
                    break;
                }
            }
        }
        if cut.is_none() && declared.is_some_and(|d| (got.len() as u64) < d) {
            cut = Some(format!("{} of {} bytes arrived", got.len(), declared.unwrap_or(0)));
        }
        match cut {
            None => Ok(Bytes::from(got)),
            Some(reason) => {
                c.keep_cut_chunk(&van, &sha, offset, length, &got).await;
                Err(qafila_wire::WireError::Malformed {
                    what: "request body",
                    reason,
                })
            }
        }
    });
    // The task is never aborted, so it ends only by finishing or by panicking, which goes on here
    // as if the reading had run in this handler.
    let read = reading
        .await
        .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
    read.map_err(|e| ApiError(CenterError::Wire(e)))
}

#[derive(Deserialize)]
struct Since {
    #[serde(default)]
    since: i64,
}

async fn get_updates(
    State(c): State<Arc<Center>>,
    Path(van): Path<String>,
    Query(q): Query<Since>,
    uri: Uri,
    h: HeaderMap,
) -> Result<Response, ApiError> {
    let pq = uri.path_and_query().map(|p| p.as_str()).unwrap_or("");
    let sender = header(&h, request::SENDER)?;
    if sender != van {
        return Err(ApiError(CenterError::UnknownVan(format!(
            "{sender} asked for the updates of {van}"
        ))));
    }
    let v = c
        .authenticate_van(sender, "GET", pq, &[], header(&h, request::SIGNATURE)?)
        .await?;
    c.touch_van(&v.id).await?;
    Ok(match c.updates_for(&v, q.since).await? {
        Some(env) => ([("content-type", "application/cbor")], env).into_response(),
        None => StatusCode::NO_CONTENT.into_response(),
    })
}

async fn post_report(
    State(c): State<Arc<Center>>,
    Path(van): Path<String>,
    uri: Uri,
    h: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let sender = header(&h, request::SENDER)?;
    if sender != van {
        return Err(ApiError(CenterError::UnknownVan(format!(
            "{sender} sent the report of {van}"
        ))));
    }
    let v = c
        .authenticate_van(sender, "POST", uri.path(), &body, header(&h, request::SIGNATURE)?)
        .await?;
    c.van_report(&v, &body).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn post_key(
    State(c): State<Arc<Center>>,
    Path(van): Path<String>,
    h: HeaderMap,
    body: axum::body::Body,
) -> Result<Response, ApiError> {
    // No request signature: the statement carries the old and the new key's signatures itself.
    let (body, _room) = budgeted_body(&c, &h, body, qafila_wire::rotation::MAX_ROTATION_BYTES, 1).await?;
    c.metrics().received(body.len());
    c.rotate_van_key(&van, &body).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
struct Cursors {
    #[serde(default)]
    changes: i64,
    #[serde(default)]
    batches: i64,
    #[serde(default)]
    blobs: i64,
}

async fn get_replication(
    State(c): State<Arc<Center>>,
    Query(q): Query<Cursors>,
    uri: Uri,
    h: HeaderMap,
) -> Result<Response, ApiError> {
    let pq = uri.path_and_query().map(|p| p.as_str()).unwrap_or("");
    let peer = c
        .authenticate_peer(header(&h, request::SENDER)?, "GET", pq, header(&h, request::SIGNATURE)?)?
        .clone();
    let env = c.replication_for(&peer, q.changes, q.batches, q.blobs).await?;
    Ok(([("content-type", "application/cbor")], env).into_response())
}

async fn get_replication_blob(
    State(c): State<Arc<Center>>,
    Path(sha): Path<String>,
    uri: Uri,
    h: HeaderMap,
) -> Result<Response, ApiError> {
    c.authenticate_peer(
        header(&h, request::SENDER)?,
        "GET",
        uri.path(),
        header(&h, request::SIGNATURE)?,
    )?;
    let s = c.blob_state(&sha).await?;
    if !s.complete {
        return Err(ApiError(CenterError::NotFound(format!("blob {sha}"))));
    }
    let data = c
        .db()
        .blob_data(&sha)
        .await
        .map_err(CenterError::from)?
        .ok_or_else(|| CenterError::NotFound(format!("blob {sha}")))?;
    Ok(([("content-type", "application/octet-stream")], data).into_response())
}

async fn get_status(State(c): State<Arc<Center>>) -> Result<Response, ApiError> {
    let counts = c.db().counts(&c.id).await.map_err(CenterError::from)?;
    Ok(axum::Json(serde_json::json!({"center": c.id, "counts": counts})).into_response())
}

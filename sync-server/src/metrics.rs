//! Prometheus metrics at `GET /metrics` (text exposition format 0.0.4), written by hand: a few
//! counters and gauges do not justify a metrics crate and its registry.
//!
//! Counters count since the process started (Prometheus handles the reset on restart); gauges are
//! read from storage at each scrape. Labels carry center ids, status names, error codes and van ids:
//! nothing personal.
//!
//! Access: a bearer token (`metrics_token` in the configuration). Without one configured the route
//! answers 404, so a center that does not scrape exposes nothing.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::center::{Center, CenterError};

/// The counters a center keeps while it runs.
#[derive(Debug, Default)]
pub struct Metrics {
    batches_accepted: AtomicU64,
    batches_awaiting_blobs: AtomicU64,
    batches_committed_with_blob: AtomicU64,
    cut_chunk_bytes_kept: AtomicU64,
    documents_merged: AtomicU64,
    bytes_received: AtomicU64,
    // Codes are `&'static str` from `CenterError::code`: the label set stays small and bounded.
    errors: Mutex<BTreeMap<&'static str, u64>>,
}

/// The error code of a van-protocol response, left in its extensions for [`Metrics`] to count.
#[derive(Clone, Copy, Debug)]
pub struct ErrorCode(pub &'static str);

impl Metrics {
    /// A batch was accepted (not a replay) with this many documents merged.
    pub fn batch_accepted(&self, documents: usize) {
        self.batches_accepted.fetch_add(1, Ordering::Relaxed);
        self.documents_merged.fetch_add(documents as u64, Ordering::Relaxed);
    }

    /// A batch arrived before all its blobs (answered 202 and held until they are in).
    pub fn batch_awaiting_blobs(&self) {
        self.batches_awaiting_blobs.fetch_add(1, Ordering::Relaxed);
    }

    /// Batches answered 202 so far.
    pub fn batches_awaiting_blobs(&self) -> u64 {
        self.batches_awaiting_blobs.load(Ordering::Relaxed)
    }

    /// A batch was accepted by the upload of its last blob (no separate commit).
    pub fn batch_committed_with_blob(&self) {
        self.batches_committed_with_blob.fetch_add(1, Ordering::Relaxed);
    }

    /// Batches accepted that way so far.
    pub fn batches_committed_with_blob(&self) -> u64 {
        self.batches_committed_with_blob.load(Ordering::Relaxed)
    }

    /// These many bytes of a blob chunk whose link was cut were kept, so the van resumes after them.
    pub fn cut_chunk_kept(&self, bytes: usize) {
        self.cut_chunk_bytes_kept.fetch_add(bytes as u64, Ordering::Relaxed);
    }

    /// Bytes of cut chunks kept so far.
    pub fn cut_chunk_bytes_kept(&self) -> u64 {
        self.cut_chunk_bytes_kept.load(Ordering::Relaxed)
    }

    /// A van-protocol request body of this size arrived.
    pub fn received(&self, bytes: usize) {
        self.bytes_received.fetch_add(bytes as u64, Ordering::Relaxed);
    }

    /// An error response with this code went out.
    pub fn error(&self, code: &'static str) {
        // A poisoned lock only means another thread panicked mid-increment: the map is still usable.
        let mut errors = self.errors.lock().unwrap_or_else(|p| p.into_inner());
        *errors.entry(code).or_insert(0) += 1;
    }

    /// Batches accepted so far.
    pub fn batches_accepted(&self) -> u64 {
        self.batches_accepted.load(Ordering::Relaxed)
    }

    fn errors(&self) -> BTreeMap<&'static str, u64> {
        self.errors.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// Whether the request carries `Authorization: Bearer <token>`. Both sides are hashed first so the
/// comparison takes the same time whatever the length of the guess.
pub fn authorized(h: &HeaderMap, token: &str) -> bool {
    let Some(sent) = h
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return false;
    };
    let (a, b) = (Sha256::digest(sent.trim().as_bytes()), Sha256::digest(token.as_bytes()));
    a.iter().zip(b.iter()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The `/metrics` answer: 404 when no token is configured, 401 without the right one.
pub async fn scrape(c: &Center, h: &HeaderMap, token: Option<&str>) -> Response {
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if !authorized(h, token) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer realm=\"metrics\"")],
            "metrics need Authorization: Bearer <metrics_token>\n",
        )
            .into_response();
    }
    match render(c, Utc::now()).await {
        Ok(text) => (
            [
                (header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            text,
        )
            .into_response(),
        Err(e) => {
            tracing::error!(code = e.code(), "metrics: {e}");
            (StatusCode::INTERNAL_SERVER_ERROR, "storage unavailable\n").into_response()
        }
    }
}

/// The exposition text of a center at `now`.
pub async fn render(c: &Center, now: DateTime<Utc>) -> Result<String, CenterError> {
    let m = c.metrics();
    let mut out = String::new();
    family(
        &mut out,
        "qafila_batches_accepted_total",
        "counter",
        "Van batches accepted (replays not counted).",
    );
    sample(
        &mut out,
        "qafila_batches_accepted_total",
        &[],
        m.batches_accepted.load(Ordering::Relaxed),
    );
    family(
        &mut out,
        "qafila_batches_awaiting_blobs_total",
        "counter",
        "Van batches posted before all their blobs were here (answered 202 and held until they are in).",
    );
    sample(
        &mut out,
        "qafila_batches_awaiting_blobs_total",
        &[],
        m.batches_awaiting_blobs(),
    );
    family(
        &mut out,
        "qafila_batches_committed_with_blob_total",
        "counter",
        "Held batches accepted by the upload of their last blob, the van sending no separate commit.",
    );
    sample(
        &mut out,
        "qafila_batches_committed_with_blob_total",
        &[],
        m.batches_committed_with_blob(),
    );
    family(
        &mut out,
        "qafila_cut_chunk_bytes_kept_total",
        "counter",
        "Bytes of blob chunks cut off by a broken link that were kept, so the van did not send them again.",
    );
    sample(
        &mut out,
        "qafila_cut_chunk_bytes_kept_total",
        &[],
        m.cut_chunk_bytes_kept(),
    );
    family(
        &mut out,
        "qafila_documents_merged_total",
        "counter",
        "Enrollment documents merged from accepted batches.",
    );
    sample(
        &mut out,
        "qafila_documents_merged_total",
        &[],
        m.documents_merged.load(Ordering::Relaxed),
    );
    family(
        &mut out,
        "qafila_received_bytes_total",
        "counter",
        "Bytes of batches and blob chunks received from vans.",
    );
    sample(
        &mut out,
        "qafila_received_bytes_total",
        &[],
        m.bytes_received.load(Ordering::Relaxed),
    );
    family(
        &mut out,
        "qafila_van_protocol_errors_total",
        "counter",
        "Error responses of the van protocol, by code.",
    );
    for (code, n) in m.errors() {
        sample(&mut out, "qafila_van_protocol_errors_total", &[("code", code)], n);
    }

    family(
        &mut out,
        "qafila_documents",
        "gauge",
        "Documents held, by the center they are routed to and status.",
    );
    for q in c.db().queue_counts().await? {
        sample(
            &mut out,
            "qafila_documents",
            &[("routed_to", q.routed_to.as_str()), ("status", q.status.as_str())],
            q.count,
        );
    }

    let contacts = c.db().van_contacts().await?;
    family(
        &mut out,
        "qafila_van_seconds_since_contact",
        "gauge",
        "Seconds since each van's last authenticated request.",
    );
    for v in &contacts {
        if let Ok(t) = DateTime::parse_from_rfc3339(&v.last_contact) {
            let age = (now - t.with_timezone(&Utc)).num_seconds().max(0);
            sample(
                &mut out,
                "qafila_van_seconds_since_contact",
                &[("van", v.van_id.as_str())],
                age,
            );
        }
    }
    // The backlog a van reported is what it still holds unreceipted: with the silence above, the lag.
    for (name, field, help) in [
        (
            "qafila_van_backlog",
            "backlog",
            "Sealed enrollments the van reported as not yet acknowledged.",
        ),
        (
            "qafila_van_batches_unreceipted",
            "batches_unreceipted",
            "Batches the van reported as built and not yet receipted.",
        ),
    ] {
        family(&mut out, name, "gauge", help);
        for v in &contacts {
            let value = v
                .report
                .as_deref()
                .and_then(|r| serde_json::from_str::<serde_json::Value>(r).ok())
                .and_then(|r| r[field].as_i64());
            if let Some(n) = value {
                sample(&mut out, name, &[("van", v.van_id.as_str())], n);
            }
        }
    }
    Ok(out)
}

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

fn sample(out: &mut String, name: &str, labels: &[(&str, &str)], value: impl std::fmt::Display) {
    out.push_str(name);
    if !labels.is_empty() {
        out.push('{');
        for (i, (k, v)) in labels.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let _ = write!(out, "{k}=\"{}\"", escape(v));
        }
        out.push('}');
    }
    let _ = writeln!(out, " {value}");
}

/// Label values escape backslash, double quote and newline (the exposition format's rule).
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_escaped() {
        let mut out = String::new();
        sample(&mut out, "m", &[("van", "a\"b\\c\nd")], 1);
        assert_eq!(out, "m{van=\"a\\\"b\\\\c\\nd\"} 1\n");
    }

    #[test]
    fn bearer_token_must_match_exactly() {
        let mut h = HeaderMap::new();
        assert!(!authorized(&h, "secret"));
        h.insert(header::AUTHORIZATION, "Bearer secrex".parse().expect("header"));
        assert!(!authorized(&h, "secret"));
        h.insert(header::AUTHORIZATION, "Basic secret".parse().expect("header"));
        assert!(!authorized(&h, "secret"));
        h.insert(header::AUTHORIZATION, "Bearer secret".parse().expect("header"));
        assert!(authorized(&h, "secret"));
    }
}

//! One SBI call over HTTP: custom method, JSON body, a hard deadline, and failures sorted into typed errors.
//!
//! Built on `reqwest`'s blocking client (already a workspace dependency): it copes with what vendor SBI services
//! send (chunked bodies, keep-alive, odd headers) and applies one deadline from connect to the last body byte, so a
//! device that hangs or trickles releases the caller when the deadline passes.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::Value;

use crate::error::ScanError;
use crate::fields;

/// An HTTP client for SBI services on one host.
#[derive(Debug, Clone)]
pub(crate) struct Transport {
    client: reqwest::blocking::Client,
    host: IpAddr,
}

impl Transport {
    /// A client that connects within `connect_timeout`.
    pub(crate) fn new(host: IpAddr, connect_timeout: Duration) -> Result<Self, ScanError> {
        let client = reqwest::blocking::Client::builder()
            // A proxy from the environment must never see biometric data bound for localhost.
            .no_proxy()
            .connect_timeout(connect_timeout)
            // A connection a device left half-closed after a fault must not be reused for the next capture.
            .pool_max_idle_per_host(0)
            .build()
            .map_err(|e| ScanError::Connect {
                operation: "client setup",
                port: 0,
                detail: chain(&e),
            })?;
        Ok(Transport { client, host })
    }

    /// Sends `method` with `body` to `port` and returns the reply JSON, all within `timeout`.
    pub(crate) fn call(
        &self,
        port: u16,
        operation: &'static str,
        path: &str,
        body: &Value,
        timeout: Duration,
    ) -> Result<Value, ScanError> {
        let method = Method::from_bytes(operation.as_bytes())
            .map_err(|e| ScanError::InvalidRequest(format!("bad method {operation}: {e}")))?;
        let url = format!("http://{}{path}", SocketAddr::new(self.host, port));
        let started = Instant::now();
        let classify = |e: reqwest::Error| -> ScanError {
            if e.is_timeout() || started.elapsed() >= timeout {
                ScanError::Timeout {
                    operation,
                    after: started.elapsed(),
                }
            } else if e.is_connect() {
                ScanError::Connect {
                    operation,
                    port,
                    detail: chain(&e),
                }
            } else {
                ScanError::Disconnected {
                    operation,
                    detail: chain(&e),
                }
            }
        };
        let response = self
            .client
            .request(method, url)
            .timeout(timeout)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_string())
            .send()
            .map_err(classify)?;
        let status = response.status();
        let bytes = response.bytes().map_err(classify)?;
        if !status.is_success() {
            return Err(ScanError::HttpStatus {
                operation,
                status: status.as_u16(),
            });
        }
        tracing::debug!(operation, port, bytes = bytes.len(), elapsed = ?started.elapsed(), "SBI reply");
        fields::parse_body(operation, &bytes)
    }
}

/// The error and its causes on one line: reqwest's top-level message alone rarely says what happened.
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

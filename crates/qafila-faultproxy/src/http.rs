//! Just enough HTTP/1.1 to relay requests with `Content-Length` and responses with any framing.

use std::io;

use tokio::io::{AsyncRead, AsyncReadExt};

use crate::shaping::{Meter, UNSHAPED_CHUNK};

/// Largest request or response head accepted.
pub(crate) const MAX_HEAD: usize = 64 * 1024;
/// Largest body accepted; the proxy buffers whole messages, so this bounds its memory per request.
pub(crate) const MAX_BODY: u64 = 256 * 1024 * 1024;
/// Largest chunk-size or trailer line accepted.
const MAX_LINE: usize = 8 * 1024;
/// Upper bound on up-front allocation, so a lying `Content-Length` cannot reserve memory it never fills.
const MAX_PREALLOC: usize = 1024 * 1024;

/// Why a message could not be read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum HttpError {
    /// The socket failed.
    #[error("i/o error: {0}")]
    Io(#[from] io::Error),
    /// The peer closed the connection part-way through a message.
    #[error("connection closed mid-message")]
    UnexpectedEof,
    /// The message does not parse.
    #[error("malformed message: {0}")]
    Malformed(&'static str),
    /// The head is longer than [`MAX_HEAD`].
    #[error("message head too large")]
    HeadTooLarge,
    /// The body is longer than [`MAX_BODY`].
    #[error("message body too large")]
    BodyTooLarge,
    /// The message uses a feature this proxy does not relay.
    #[error("unsupported: {0}")]
    Unsupported(&'static str),
}

impl HttpError {
    /// The status to answer a client with, or `None` when the connection is simply gone.
    pub(crate) fn client_status(&self) -> Option<(u16, &'static str)> {
        match self {
            HttpError::Io(_) | HttpError::UnexpectedEof => None,
            HttpError::Malformed(_) => Some((400, "Bad Request")),
            HttpError::HeadTooLarge => Some((431, "Request Header Fields Too Large")),
            HttpError::BodyTooLarge => Some((413, "Content Too Large")),
            HttpError::Unsupported(_) => Some((501, "Not Implemented")),
        }
    }
}

/// One header field; values are kept as bytes so they pass through unchanged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Header {
    pub(crate) name: String,
    pub(crate) value: Vec<u8>,
}

/// The header fields of a message.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Headers(pub(crate) Vec<Header>);

impl Headers {
    /// Values of every field called `name`.
    fn values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.0
            .iter()
            .filter(move |h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value.as_slice())
    }

    /// Whether any field called `name` exists.
    pub(crate) fn contains(&self, name: &str) -> bool {
        self.values(name).next().is_some()
    }

    /// The comma-separated, lower-cased tokens of every field called `name`.
    fn tokens(&self, name: &str) -> Vec<String> {
        self.values(name)
            .flat_map(|v| v.split(|&b| b == b','))
            .map(|t| String::from_utf8_lossy(t).trim().to_ascii_lowercase())
            .filter(|t| !t.is_empty())
            .collect()
    }

    /// Whether the list field `name` holds `token`.
    pub(crate) fn has_token(&self, name: &str, token: &str) -> bool {
        self.tokens(name).iter().any(|t| t == token)
    }

    /// The message's `Content-Length`, rejecting values that disagree or are not plain digits.
    pub(crate) fn content_length(&self) -> Result<Option<u64>, HttpError> {
        let mut found = None;
        for raw in self.values("content-length") {
            for part in raw.split(|&b| b == b',') {
                let part = trim(part);
                if part.is_empty() || !part.iter().all(u8::is_ascii_digit) {
                    return Err(HttpError::Malformed("bad Content-Length"));
                }
                let n: u64 = std::str::from_utf8(part)
                    .ok()
                    .and_then(|s| s.parse().ok())
                    .ok_or(HttpError::Malformed("bad Content-Length"))?;
                match found {
                    Some(prev) if prev != n => return Err(HttpError::Malformed("conflicting Content-Length")),
                    _ => found = Some(n),
                }
            }
        }
        Ok(found)
    }

    /// Writes the fields to `out`, leaving out hop-by-hop ones and any in `skip`, which belong to one link only.
    fn write_end_to_end(&self, out: &mut Vec<u8>, skip: &[&str]) {
        let named_in_connection = self.tokens("connection");
        for h in &self.0 {
            let lower = h.name.to_ascii_lowercase();
            if HOP_BY_HOP.contains(&lower.as_str()) || skip.contains(&lower.as_str()) {
                continue;
            }
            if named_in_connection.contains(&lower) {
                continue;
            }
            out.extend_from_slice(h.name.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(&h.value);
            out.extend_from_slice(b"\r\n");
        }
    }
}

/// Fields that describe a single connection and must not be relayed (RFC 9110 section 7.6.1).
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// A complete request from a client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Request {
    pub(crate) method: String,
    pub(crate) target: String,
    /// Minor version: 0 for HTTP/1.0, 1 for HTTP/1.1.
    pub(crate) minor: u8,
    pub(crate) headers: Headers,
    pub(crate) body: Vec<u8>,
}

impl Request {
    /// Whether the client asked for the connection to close after this exchange.
    pub(crate) fn wants_close(&self) -> bool {
        wants_close(self.minor, &self.headers)
    }

    /// Whether the response to this request has no body whatever its headers say.
    pub(crate) fn is_head(&self) -> bool {
        self.method == "HEAD"
    }

    /// The request as sent upstream, and the length of its head; the upstream connection serves only this request.
    pub(crate) fn to_upstream(&self) -> (Vec<u8>, usize) {
        let mut out = Vec::with_capacity(512 + self.body.len());
        upstream_head(
            &self.method,
            &self.target,
            &self.headers,
            self.body.len() as u64,
            &mut out,
        );
        let head_len = out.len();
        out.extend_from_slice(&self.body);
        (out, head_len)
    }
}

/// Whether a request of HTTP/1.`minor` with these headers asks for the connection to close after it.
fn wants_close(minor: u8, headers: &Headers) -> bool {
    if headers.has_token("connection", "close") {
        return true;
    }
    minor == 0 && !headers.has_token("connection", "keep-alive")
}

/// Writes the head of a request as sent upstream, for a body of `body_len` bytes.
fn upstream_head(method: &str, target: &str, headers: &Headers, body_len: u64, out: &mut Vec<u8>) {
    out.extend_from_slice(format!("{method} {target} HTTP/1.1\r\n").as_bytes());
    headers.write_end_to_end(out, &["content-length"]);
    if body_len > 0 || headers.contains("content-length") {
        out.extend_from_slice(format!("Content-Length: {body_len}\r\n").as_bytes());
    }
    out.extend_from_slice(b"Connection: close\r\n\r\n");
}

/// A request whose head has been read and whose body (of `body_len` bytes) has not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RequestHead {
    pub(crate) method: String,
    pub(crate) target: String,
    pub(crate) minor: u8,
    pub(crate) headers: Headers,
    pub(crate) body_len: u64,
}

impl RequestHead {
    /// The head as sent upstream.
    pub(crate) fn to_upstream(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(512);
        upstream_head(&self.method, &self.target, &self.headers, self.body_len, &mut out);
        out
    }

    /// The request once its body has been read.
    fn with_body(self, body: Vec<u8>) -> Request {
        Request {
            method: self.method,
            target: self.target,
            minor: self.minor,
            headers: self.headers,
            body,
        }
    }

    /// Whether the client asked for the connection to close after this exchange.
    pub(crate) fn wants_close(&self) -> bool {
        wants_close(self.minor, &self.headers)
    }
}

/// A complete response from upstream, with its body already de-chunked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Response {
    pub(crate) status: u16,
    pub(crate) reason: String,
    pub(crate) headers: Headers,
    pub(crate) body: Vec<u8>,
}

/// Whether a response with `status` to a request that `is_head` carries no body.
fn bodiless(status: u16, is_head: bool) -> bool {
    is_head || (100..200).contains(&status) || status == 204 || status == 304
}

impl Response {
    /// A short plain-text response made by the proxy itself.
    pub(crate) fn plain(status: u16, reason: &str, text: &str) -> Self {
        let headers = Headers(vec![Header {
            name: "Content-Type".into(),
            value: b"text/plain; charset=utf-8".to_vec(),
        }]);
        Response {
            status,
            reason: reason.to_owned(),
            headers,
            body: text.as_bytes().to_vec(),
        }
    }

    /// Whether the client connection cannot carry another request after this response.
    pub(crate) fn ends_connection(&self) -> bool {
        // The proxy does not tunnel upgraded protocols, so after a 101 there is nothing more to relay.
        self.status == 101
    }

    /// The response as written to the client, re-framed with `Content-Length`, and the length of its head.
    pub(crate) fn to_client(&self, close: bool, is_head: bool) -> (Vec<u8>, usize) {
        let mut out = Vec::with_capacity(512 + self.body.len());
        out.extend_from_slice(format!("HTTP/1.1 {} {}\r\n", self.status, self.reason).as_bytes());
        if bodiless(self.status, is_head) {
            // A HEAD response's Content-Length describes the body a GET would get, so it is kept as is.
            self.headers.write_end_to_end(&mut out, &[]);
        } else {
            self.headers.write_end_to_end(&mut out, &["content-length"]);
            out.extend_from_slice(format!("Content-Length: {}\r\n", self.body.len()).as_bytes());
        }
        if close {
            out.extend_from_slice(b"Connection: close\r\n");
        }
        out.extend_from_slice(b"\r\n");
        let head_len = out.len();
        if !bodiless(self.status, is_head) {
            out.extend_from_slice(&self.body);
        }
        (out, head_len)
    }
}

/// Strips optional whitespace from both ends.
fn trim(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

/// Whether `b` may appear in a header name (an RFC 9110 token).
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Splits a head (ending in an empty line) into its start line and its fields.
fn parse_head(raw: &[u8]) -> Result<(String, Headers), HttpError> {
    let raw = raw
        .strip_suffix(b"\r\n\r\n")
        .ok_or(HttpError::Malformed("unterminated head"))?;
    let mut lines = raw.split(|&b| b == b'\n').map(|l| l.strip_suffix(b"\r").unwrap_or(l));
    let start = lines.next().ok_or(HttpError::Malformed("empty head"))?;
    if start.iter().any(|&b| b == b'\r' || b < 0x20 && b != b'\t') {
        return Err(HttpError::Malformed("control character in start line"));
    }
    let start = String::from_utf8(start.to_vec()).map_err(|_| HttpError::Malformed("start line is not UTF-8"))?;
    let mut headers = Vec::new();
    for line in lines {
        if matches!(line.first(), Some(b' ' | b'\t')) {
            return Err(HttpError::Malformed("obsolete line folding"));
        }
        let colon = line
            .iter()
            .position(|&b| b == b':')
            .ok_or(HttpError::Malformed("header without colon"))?;
        let (name, value) = (&line[..colon], trim(&line[colon + 1..]));
        if name.is_empty() || !name.iter().all(|&b| is_tchar(b)) {
            return Err(HttpError::Malformed("bad header name"));
        }
        if value.iter().any(|&b| b == b'\r' || b == b'\n' || b == 0) {
            return Err(HttpError::Malformed("control character in header value"));
        }
        // The name is all token characters, hence ASCII.
        let name = String::from_utf8_lossy(name).into_owned();
        headers.push(Header {
            name,
            value: value.to_vec(),
        });
    }
    Ok((start, Headers(headers)))
}

/// Parses `HTTP/1.x` into its minor version.
fn parse_version(v: &str) -> Result<u8, HttpError> {
    match v {
        "HTTP/1.1" => Ok(1),
        "HTTP/1.0" => Ok(0),
        _ => Err(HttpError::Malformed("unsupported HTTP version")),
    }
}

/// Parses a request head.
fn parse_request_head(raw: &[u8]) -> Result<(String, String, u8, Headers), HttpError> {
    let (start, headers) = parse_head(raw)?;
    let mut parts = start.split(' ');
    let (Some(method), Some(target), Some(version), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(HttpError::Malformed("bad request line"));
    };
    if method.is_empty() || !method.bytes().all(is_tchar) {
        return Err(HttpError::Malformed("bad method"));
    }
    if target.is_empty() || !target.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(HttpError::Malformed("bad request target"));
    }
    let minor = parse_version(version)?;
    Ok((method.to_owned(), target.to_owned(), minor, headers))
}

/// Parses a status line and fields.
fn parse_response_head(raw: &[u8]) -> Result<(u16, String, Headers), HttpError> {
    let (start, headers) = parse_head(raw)?;
    let mut parts = start.splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    parse_version(version)?;
    let code = parts.next().unwrap_or_default();
    if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(HttpError::Malformed("bad status code"));
    }
    let status: u16 = code.parse().map_err(|_| HttpError::Malformed("bad status code"))?;
    let reason = parts.next().unwrap_or_default().to_owned();
    Ok((status, reason, headers))
}

/// A buffered reader over one connection, optionally metered.
#[derive(Debug)]
pub(crate) struct Incoming<S> {
    stream: S,
    buf: Vec<u8>,
    meter: Option<Meter>,
}

impl<S: AsyncRead + Unpin> Incoming<S> {
    /// Wraps `stream`; reads go through `meter` when given.
    pub(crate) fn new(stream: S, meter: Option<Meter>) -> Self {
        Incoming {
            stream,
            buf: Vec::new(),
            meter,
        }
    }

    /// The underlying stream, for writing.
    pub(crate) fn get_mut(&mut self) -> &mut S {
        &mut self.stream
    }

    /// Reads some more bytes into the buffer; 0 means the peer closed.
    async fn fill(&mut self) -> io::Result<usize> {
        let want = self.meter.as_ref().map_or(UNSHAPED_CHUNK, Meter::chunk).max(1);
        let old = self.buf.len();
        self.buf.resize(old + want, 0);
        let res = self.stream.read(&mut self.buf[old..]).await;
        let n = *res.as_ref().unwrap_or(&0);
        self.buf.truncate(old + n);
        let n = res?;
        if let Some(m) = &self.meter {
            m.pass(n).await;
        }
        Ok(n)
    }

    /// Reads up to and including the next `delim`, failing past `limit` bytes; `Ok(None)` on a clean close.
    async fn read_until(
        &mut self,
        delim: &[u8],
        limit: usize,
        too_long: HttpError,
    ) -> Result<Option<Vec<u8>>, HttpError> {
        let mut scanned = 0;
        loop {
            if let Some(pos) = self.buf[scanned..].windows(delim.len()).position(|w| w == delim) {
                let end = scanned + pos + delim.len();
                return Ok(Some(self.buf.drain(..end).collect()));
            }
            if self.buf.len() > limit {
                return Err(too_long);
            }
            scanned = self.buf.len().saturating_sub(delim.len() - 1);
            if self.fill().await? == 0 {
                return if self.buf.is_empty() {
                    Ok(None)
                } else {
                    Err(HttpError::UnexpectedEof)
                };
            }
        }
    }

    /// Reads a message head; `Ok(None)` when the peer closed cleanly between messages.
    async fn read_head(&mut self) -> Result<Option<Vec<u8>>, HttpError> {
        // RFC 9112 asks servers to ignore empty lines before a request line.
        loop {
            while self.buf.starts_with(b"\r\n") {
                self.buf.drain(..2);
            }
            if self.buf.len() >= 2 || (self.buf.len() == 1 && self.buf[0] != b'\r') {
                break;
            }
            if self.fill().await? == 0 {
                return if self.buf.is_empty() {
                    Ok(None)
                } else {
                    Err(HttpError::UnexpectedEof)
                };
            }
        }
        self.read_until(b"\r\n\r\n", MAX_HEAD, HttpError::HeadTooLarge).await
    }

    /// Reads exactly `n` bytes.
    async fn read_exact_bytes(&mut self, n: u64, into: &mut Vec<u8>) -> Result<(), HttpError> {
        let n = usize::try_from(n).map_err(|_| HttpError::BodyTooLarge)?;
        into.reserve(n.min(MAX_PREALLOC));
        let mut left = n;
        while left > 0 {
            if self.buf.is_empty() && self.fill().await? == 0 {
                return Err(HttpError::UnexpectedEof);
            }
            let take = left.min(self.buf.len());
            into.extend(self.buf.drain(..take));
            left -= take;
        }
        Ok(())
    }

    /// Reads one CRLF-terminated line without its terminator.
    async fn read_line(&mut self) -> Result<Vec<u8>, HttpError> {
        let mut line = self
            .read_until(b"\r\n", MAX_LINE, HttpError::Malformed("line too long"))
            .await?
            .ok_or(HttpError::UnexpectedEof)?;
        line.truncate(line.len() - 2);
        Ok(line)
    }

    /// Reads until the peer closes.
    async fn read_to_end(&mut self, into: &mut Vec<u8>) -> Result<(), HttpError> {
        loop {
            into.append(&mut self.buf);
            if into.len() as u64 > MAX_BODY {
                return Err(HttpError::BodyTooLarge);
            }
            if self.fill().await? == 0 {
                return Ok(());
            }
        }
    }

    /// Reads a chunked body, dropping extensions and trailers.
    async fn read_chunked(&mut self, into: &mut Vec<u8>) -> Result<(), HttpError> {
        loop {
            let line = self.read_line().await?;
            let size = line.split(|&b| b == b';').next().map(trim).unwrap_or_default();
            let size = std::str::from_utf8(size)
                .ok()
                .filter(|s| !s.is_empty() && s.len() <= 16)
                .and_then(|s| u64::from_str_radix(s, 16).ok())
                .ok_or(HttpError::Malformed("bad chunk size"))?;
            if size == 0 {
                while !self.read_line().await?.is_empty() {}
                return Ok(());
            }
            if (into.len() as u64).saturating_add(size) > MAX_BODY {
                return Err(HttpError::BodyTooLarge);
            }
            self.read_exact_bytes(size, into).await?;
            if !self.read_line().await?.is_empty() {
                return Err(HttpError::Malformed("chunk not followed by CRLF"));
            }
        }
    }

    /// Reads the next request; `Ok(None)` when the client closed cleanly between requests.
    #[cfg(test)]
    pub(crate) async fn read_request(&mut self) -> Result<Option<Request>, HttpError> {
        match self.read_request_head().await? {
            Some(head) => self.read_request_body(head).await.map(Some),
            None => Ok(None),
        }
    }

    /// Reads the next request's head; `Ok(None)` when the client closed cleanly between requests.
    pub(crate) async fn read_request_head(&mut self) -> Result<Option<RequestHead>, HttpError> {
        let Some(raw) = self.read_head().await? else {
            return Ok(None);
        };
        let (method, target, minor, headers) = parse_request_head(&raw)?;
        if headers.contains("transfer-encoding") {
            return Err(HttpError::Unsupported("request Transfer-Encoding"));
        }
        let body_len = headers.content_length()?.unwrap_or(0);
        if body_len > MAX_BODY {
            return Err(HttpError::BodyTooLarge);
        }
        Ok(Some(RequestHead {
            method,
            target,
            minor,
            headers,
            body_len,
        }))
    }

    /// Reads the body that follows `head`.
    pub(crate) async fn read_request_body(&mut self, head: RequestHead) -> Result<Request, HttpError> {
        let mut body = Vec::new();
        self.read_exact_bytes(head.body_len, &mut body).await?;
        Ok(head.with_body(body))
    }

    /// Reads the next piece of a body that has `left` bytes to go: at least one byte, at most `left`.
    pub(crate) async fn read_piece(&mut self, left: u64) -> Result<Vec<u8>, HttpError> {
        if self.buf.is_empty() && self.fill().await? == 0 {
            return Err(HttpError::UnexpectedEof);
        }
        let take = usize::try_from(left).unwrap_or(usize::MAX).min(self.buf.len());
        Ok(self.buf.drain(..take).collect())
    }

    /// Reads the final response to a request, skipping interim 1xx responses.
    pub(crate) async fn read_response(&mut self, is_head: bool) -> Result<Response, HttpError> {
        loop {
            let raw = self.read_head().await?.ok_or(HttpError::UnexpectedEof)?;
            let (status, reason, headers) = parse_response_head(&raw)?;
            let mut body = Vec::new();
            if (100..200).contains(&status) && status != 101 {
                continue;
            }
            if bodiless(status, is_head) {
                // Nothing to read.
            } else if headers.contains("transfer-encoding") {
                if headers.tokens("transfer-encoding").last().map(String::as_str) == Some("chunked") {
                    self.read_chunked(&mut body).await?;
                } else {
                    self.read_to_end(&mut body).await?;
                }
            } else if let Some(len) = headers.content_length()? {
                if len > MAX_BODY {
                    return Err(HttpError::BodyTooLarge);
                }
                self.read_exact_bytes(len, &mut body).await?;
            } else {
                self.read_to_end(&mut body).await?;
            }
            return Ok(Response {
                status,
                reason,
                headers,
                body,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn request(bytes: &[u8]) -> Result<Option<Request>, HttpError> {
        Incoming::new(bytes, None).read_request().await
    }

    async fn response(bytes: &[u8], is_head: bool) -> Result<Response, HttpError> {
        Incoming::new(bytes, None).read_response(is_head).await
    }

    #[tokio::test]
    async fn parses_requests_back_to_back() {
        let raw = b"\r\nPOST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabcGET /b HTTP/1.1\r\n\r\n";
        let mut r = Incoming::new(&raw[..], None);
        let a = r.read_request().await.expect("first").expect("some");
        assert_eq!(
            (a.method.as_str(), a.target.as_str(), a.body.as_slice()),
            ("POST", "/a", &b"abc"[..])
        );
        let b = r.read_request().await.expect("second").expect("some");
        assert_eq!(b.target, "/b");
        assert!(b.body.is_empty());
        assert!(r.read_request().await.expect("eof").is_none());
    }

    #[tokio::test]
    async fn rejects_malformed_requests() {
        for raw in [
            &b"NONSENSE\r\n\r\n"[..],
            b"GET / HTTP/2.0\r\n\r\n",
            b"GET / HTTP/1.1\r\nNo colon\r\n\r\n",
            b"GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n",
            b"POST / HTTP/1.1\r\nContent-Length: x\r\n\r\n",
            b"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
            b"GET  / HTTP/1.1\r\n\r\n",
        ] {
            let err = request(raw).await.expect_err("malformed");
            assert_eq!(
                err.client_status().map(|s| s.0),
                Some(400),
                "{:?}",
                String::from_utf8_lossy(raw)
            );
        }
        let err = request(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n")
            .await
            .expect_err("te");
        assert_eq!(err.client_status().map(|s| s.0), Some(501));
        let err = request(b"POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nab")
            .await
            .expect_err("short");
        assert!(err.client_status().is_none());
    }

    #[tokio::test]
    async fn reads_every_response_framing() {
        let r = response(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi", false)
            .await
            .expect("cl");
        assert_eq!(r.body, b"hi");
        let r = response(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2;x=1\r\nhi\r\n3\r\n!!!\r\n0\r\nT: t\r\n\r\n",
            false,
        )
        .await
        .expect("chunked");
        assert_eq!(r.body, b"hi!!!");
        let r = response(b"HTTP/1.0 200 OK\r\n\r\nuntil close", false)
            .await
            .expect("eof");
        assert_eq!(r.body, b"until close");
        let r = response(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n", false)
            .await
            .expect("1xx");
        assert_eq!(r.status, 204);
        let r = response(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n", true)
            .await
            .expect("head");
        assert!(r.body.is_empty());
        assert!(
            response(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nshort", false)
                .await
                .is_err()
        );
        assert!(response(b"HTTP/1.1 2x0 OK\r\n\r\n", false).await.is_err());
    }

    #[test]
    fn reframes_for_each_side() {
        let req = Request {
            method: "POST".into(),
            target: "/x".into(),
            minor: 1,
            headers: Headers(vec![
                Header {
                    name: "Host".into(),
                    value: b"h".to_vec(),
                },
                Header {
                    name: "Connection".into(),
                    value: b"keep-alive, X-Hop".to_vec(),
                },
                Header {
                    name: "X-Hop".into(),
                    value: b"1".to_vec(),
                },
                Header {
                    name: "Content-Length".into(),
                    value: b"2".to_vec(),
                },
            ]),
            body: b"ab".to_vec(),
        };
        let (up, head_len) = req.to_upstream();
        assert_eq!(
            up,
            b"POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nConnection: close\r\n\r\nab"
        );
        assert_eq!(head_len, up.len() - 2);
        assert!(!req.wants_close());

        let resp = Response {
            status: 200,
            reason: "OK".into(),
            headers: Headers(vec![
                Header {
                    name: "Transfer-Encoding".into(),
                    value: b"chunked".to_vec(),
                },
                Header {
                    name: "X-A".into(),
                    value: b"b".to_vec(),
                },
            ]),
            body: b"xyz".to_vec(),
        };
        let (down, _) = resp.to_client(true, false);
        assert_eq!(
            down,
            b"HTTP/1.1 200 OK\r\nX-A: b\r\nContent-Length: 3\r\nConnection: close\r\n\r\nxyz"
        );
    }
}

//! The simulator's minimal HTTP/1.1 server side: one request per connection, methods of any name (SBI uses
//! `MOSIPDISC`, `MOSIPDINFO`, `RCAPTURE`), bodies by `Content-Length` only.
//!
//! Written by hand rather than with a server framework so that a fault can be injected at any byte: a reply never
//! sent, half a body, a body that is not JSON.

use std::io::{self, Read, Write};

/// Largest request head accepted.
pub const MAX_HEAD: usize = 16 * 1024;
/// Largest request body accepted (SBI requests are a few hundred bytes).
pub const MAX_BODY: usize = 1024 * 1024;

/// One HTTP request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The method, as sent (case matters in HTTP).
    pub method: String,
    /// The request target, e.g. `/capture`.
    pub target: String,
    /// Header names (as sent) and values (trimmed).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Request {
    /// The first header of this name, ignoring case.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Why a request could not be read.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// The bytes are not an HTTP/1.x request this server reads.
    #[error("malformed request: {0}")]
    Malformed(String),
    /// The head or body is larger than the limits.
    #[error("request {0} too large")]
    TooLarge(&'static str),
    /// The peer closed before a whole request arrived.
    #[error("connection closed before a complete request")]
    Closed,
    /// The socket failed (or timed out).
    #[error("reading the request: {0}")]
    Io(#[from] io::Error),
}

/// Parses one request at the start of `buf`: `Ok(None)` when more bytes are needed, else the request and the bytes
/// it used. Never panics on any input.
pub fn parse(buf: &[u8]) -> Result<Option<(Request, usize)>, HttpError> {
    let Some(head_end) = find(buf, b"\r\n\r\n") else {
        return if buf.len() > MAX_HEAD {
            Err(HttpError::TooLarge("head"))
        } else {
            Ok(None)
        };
    };
    if head_end > MAX_HEAD {
        return Err(HttpError::TooLarge("head"));
    }
    let head = std::str::from_utf8(&buf[..head_end]).map_err(|_| malformed("head is not UTF-8"))?;
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or("");
    let mut parts = request_line.split(' ');
    let (Some(method), Some(target), Some(version), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed("request line is not `METHOD target HTTP/1.x`"));
    };
    if method.is_empty() || !method.bytes().all(is_tchar) {
        return Err(malformed("bad method"));
    }
    if target.is_empty() || target.bytes().any(|b| b.is_ascii_control()) {
        return Err(malformed("bad request target"));
    }
    if version != "HTTP/1.1" && version != "HTTP/1.0" {
        return Err(malformed("not HTTP/1.0 or HTTP/1.1"));
    }
    let mut headers = Vec::new();
    let mut content_length: Option<usize> = None;
    for line in lines {
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| malformed("header line without `:`"))?;
        if name.is_empty() || !name.bytes().all(is_tchar) {
            return Err(malformed("bad header name"));
        }
        let value = value.trim_matches([' ', '\t']);
        if name.eq_ignore_ascii_case("transfer-encoding") {
            return Err(malformed(
                "Transfer-Encoding bodies are not supported; send Content-Length",
            ));
        }
        if name.eq_ignore_ascii_case("content-length") {
            if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
                return Err(malformed("bad Content-Length"));
            }
            let n = value.parse::<usize>().map_err(|_| HttpError::TooLarge("body"))?;
            if content_length.is_some_and(|m| m != n) {
                return Err(malformed("conflicting Content-Length headers"));
            }
            content_length = Some(n);
        }
        headers.push((name.to_string(), value.to_string()));
    }
    let body_len = content_length.unwrap_or(0);
    if body_len > MAX_BODY {
        return Err(HttpError::TooLarge("body"));
    }
    let body_start = head_end + 4;
    let Some(body) = buf.get(body_start..body_start + body_len) else {
        return Ok(None);
    };
    let request = Request {
        method: method.to_string(),
        target: target.to_string(),
        headers,
        body: body.to_vec(),
    };
    Ok(Some((request, body_start + body_len)))
}

/// Reads one request from `stream` (which should have a read timeout set).
pub fn read_request(stream: &mut impl Read) -> Result<Request, HttpError> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    loop {
        if let Some((request, _)) = parse(&buf)? {
            return Ok(request);
        }
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Err(HttpError::Closed);
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// The head of a response with a JSON body of `body_len` bytes; the connection closes after it.
pub fn response_head(status: u16, body_len: usize) -> Vec<u8> {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        413 => "Payload Too Large",
        _ => "Error",
    };
    // SBI is called from browsers too; the CORS headers are what MOSIP's reference services send.
    format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {body_len}\r\n\
         Access-Control-Allow-Origin: *\r\nAccess-Control-Allow-Methods: MOSIPDISC, MOSIPDINFO, RCAPTURE, CAPTURE, \
         STREAM, OPTIONS\r\nAccess-Control-Allow-Headers: Content-Type\r\nConnection: close\r\n\r\n"
    )
    .into_bytes()
}

/// Writes a whole response.
pub fn write_response(w: &mut impl Write, status: u16, body: &[u8]) -> io::Result<()> {
    let mut out = response_head(status, body.len());
    out.extend_from_slice(body);
    w.write_all(&out)?;
    w.flush()
}

fn malformed(why: &str) -> HttpError {
    HttpError::Malformed(why.to_string())
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

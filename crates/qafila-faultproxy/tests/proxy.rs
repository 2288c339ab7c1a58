//! End-to-end tests of the fault proxy: a tiny upstream and a raw client, all over real TCP on 127.0.0.1.

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use qafila_faultproxy::{Config, FaultProxy, Faults, Shaping, Stats};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio::time::timeout;

/// Runs a test body with a hard time limit, so a hang fails instead of blocking the suite.
async fn bounded<F: Future<Output = ()>>(limit_s: u64, body: F) {
    timeout(Duration::from_secs(limit_s), body)
        .await
        .expect("test timed out");
}

/// Deterministic test payload of `n` bytes.
fn payload(n: usize, salt: u8) -> Vec<u8> {
    (0..n).map(|i| (i as u8).wrapping_mul(31).wrapping_add(salt)).collect()
}

/// What the upstream has seen.
#[derive(Default)]
struct Seen {
    /// Complete requests, by their `x-id` header.
    hits: Mutex<HashMap<String, u32>>,
    /// `x-id`s in the order their requests completed.
    order: Mutex<Vec<String>>,
    complete: AtomicU64,
}

/// A small HTTP/1.1 server: `/echo` echoes with Content-Length, `/chunked` echoes chunked, `/eof` echoes and closes
/// without framing, `/sink` answers with the body length, `/bytes/N` sends N bytes.
struct Upstream {
    addr: SocketAddr,
    seen: Arc<Seen>,
    task: JoinHandle<()>,
}

impl Upstream {
    async fn start() -> Upstream {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind upstream");
        let addr = listener.local_addr().expect("upstream addr");
        let seen = Arc::new(Seen::default());
        let s = seen.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                tokio::spawn(upstream_conn(stream, s.clone()));
            }
        });
        Upstream { addr, seen, task }
    }

    fn complete(&self) -> u64 {
        self.seen.complete.load(Ordering::SeqCst)
    }

    fn hits(&self) -> HashMap<String, u32> {
        self.seen.hits.lock().expect("hits lock").clone()
    }
}

impl Drop for Upstream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A parsed request head as the test upstream needs it.
struct Head {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
}

impl Head {
    fn get(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Reads a head line by line; `None` on EOF or garbage.
async fn read_head<R: AsyncBufReadExt + Unpin>(r: &mut R) -> Option<(String, Vec<(String, String)>)> {
    let mut start = Vec::new();
    if r.read_until(b'\n', &mut start).await.ok()? == 0 {
        return None;
    }
    let start = String::from_utf8(start).ok()?.trim_end().to_owned();
    let mut headers = Vec::new();
    loop {
        let mut line = Vec::new();
        if r.read_until(b'\n', &mut line).await.ok()? == 0 {
            return None;
        }
        let line = String::from_utf8(line).ok()?;
        let line = line.trim_end();
        if line.is_empty() {
            return Some((start, headers));
        }
        let (n, v) = line.split_once(':')?;
        headers.push((n.trim().to_owned(), v.trim().to_owned()));
    }
}

async fn upstream_conn(stream: TcpStream, seen: Arc<Seen>) {
    let mut r = BufReader::new(stream);
    loop {
        let Some((start, headers)) = read_head(&mut r).await else {
            return;
        };
        let mut parts = start.split(' ');
        let head = Head {
            method: parts.next().unwrap_or_default().to_owned(),
            path: parts.next().unwrap_or_default().to_owned(),
            headers,
        };
        let len: usize = head.get("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
        let mut body = vec![0; len];
        if r.read_exact(&mut body).await.is_err() {
            return;
        }
        let id = head.get("x-id").unwrap_or("").to_owned();
        *seen.hits.lock().expect("hits lock").entry(id.clone()).or_default() += 1;
        seen.order.lock().expect("order lock").push(id);
        seen.complete.fetch_add(1, Ordering::SeqCst);

        let close = head.get("connection").is_some_and(|v| v.eq_ignore_ascii_case("close"));
        let conn = if close { "Connection: close\r\n" } else { "" };
        let w = r.get_mut();
        let ok = match head.path.as_str() {
            "/chunked" => {
                let mut out = format!("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n{conn}\r\n").into_bytes();
                // Uneven chunk sizes exercise the proxy's chunk boundaries.
                let mut rest = body.as_slice();
                let mut size = 1;
                while !rest.is_empty() {
                    let n = size.min(rest.len());
                    out.extend_from_slice(format!("{n:x};ext=1\r\n").as_bytes());
                    out.extend_from_slice(&rest[..n]);
                    out.extend_from_slice(b"\r\n");
                    rest = &rest[n..];
                    size = size * 3 + 7;
                }
                out.extend_from_slice(b"0\r\nX-Trailer: t\r\n\r\n");
                w.write_all(&out).await.is_ok()
            }
            "/eof" => {
                let mut out = b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n".to_vec();
                out.extend_from_slice(&body);
                let _ = w.write_all(&out).await;
                return;
            }
            "/sink" => {
                let text = body.len().to_string();
                let out = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n{conn}\r\n{text}", text.len());
                w.write_all(out.as_bytes()).await.is_ok()
            }
            p if p.starts_with("/bytes/") => {
                let n: usize = p["/bytes/".len()..].parse().unwrap_or(0);
                let mut out = format!("HTTP/1.1 200 OK\r\nContent-Length: {n}\r\n{conn}\r\n").into_bytes();
                out.extend_from_slice(&payload(n, 7));
                w.write_all(&out).await.is_ok()
            }
            _ => {
                let mut out = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n{conn}\r\n", body.len()).into_bytes();
                if head.method != "HEAD" {
                    out.extend_from_slice(&body);
                }
                w.write_all(&out).await.is_ok()
            }
        };
        if !ok || close {
            return;
        }
    }
}

/// A raw keep-alive HTTP/1.1 client.
struct Client {
    r: BufReader<TcpStream>,
}

/// A response as the client saw it.
#[derive(Debug)]
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Client {
    async fn connect(addr: SocketAddr) -> Client {
        let s = TcpStream::connect(addr).await.expect("connect to proxy");
        Client { r: BufReader::new(s) }
    }

    /// Sends one request and reads its response; any broken connection is an error.
    async fn send(&mut self, method: &str, path: &str, id: &str, body: &[u8]) -> std::io::Result<Reply> {
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nHost: test\r\nX-Id: {id}\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .into_bytes();
        req.extend_from_slice(body);
        self.r.get_mut().write_all(&req).await?;
        let eof = || std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "closed");
        let (start, headers) = read_head(&mut self.r).await.ok_or_else(eof)?;
        let status = start.split(' ').nth(1).and_then(|s| s.parse().ok()).ok_or_else(eof)?;
        let len: usize = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; if method == "HEAD" { 0 } else { len }];
        self.r.read_exact(&mut body).await?;
        Ok(Reply { status, headers, body })
    }

    /// Waits until the proxy closes the connection, returning how long that took.
    async fn wait_closed(&mut self) -> Duration {
        let start = Instant::now();
        let mut buf = [0u8; 64];
        loop {
            match self.r.read(&mut buf).await {
                Ok(0) | Err(_) => return start.elapsed(),
                Ok(_) => {}
            }
        }
    }
}

fn config(seed: u64, faults: Faults) -> Config {
    Config {
        seed,
        faults,
        shaping: Shaping::default(),
    }
}

/// What a run of many requests through a faulty proxy produced.
struct Outcome {
    stats: Stats,
    failures: u64,
    upstream_complete: u64,
    hits: HashMap<String, u32>,
}

/// Sends `n` small echo requests one after another, reconnecting after each failure.
async fn run_many(faults: Faults, seed: u64, n: u64) -> Outcome {
    let up = Upstream::start().await;
    let proxy = FaultProxy::start(up.addr, config(seed, faults))
        .await
        .expect("start proxy");
    let mut client = Client::connect(proxy.addr()).await;
    let mut failures = 0;
    for i in 0..n {
        let body = payload(100 + (i as usize % 50), i as u8);
        match client.send("POST", "/echo", &format!("r{i}"), &body).await {
            Ok(reply) => {
                assert_eq!(reply.status, 200);
                assert_eq!(reply.body, body, "request {i} came back altered");
            }
            Err(_) => {
                failures += 1;
                client = Client::connect(proxy.addr()).await;
            }
        }
    }
    let stats = proxy.stats();
    proxy.shutdown().await;
    Outcome {
        stats,
        failures,
        upstream_complete: up.complete(),
        hits: up.hits(),
    }
}

const N: u64 = 300;

/// Asserts a fault count is near `p * N`: within about four standard deviations.
fn near(count: u64, p: f64) {
    let expected = p * N as f64;
    let sd = (N as f64 * p * (1.0 - p)).sqrt();
    let diff = (count as f64 - expected).abs();
    assert!(diff <= 4.0 * sd + 1.0, "{count} is far from the expected {expected}");
}

#[tokio::test]
async fn clean_proxy_round_trips_byte_exact_with_keep_alive() {
    bounded(60, async {
        let up = Upstream::start().await;
        let proxy = FaultProxy::start(up.addr, Config::default())
            .await
            .expect("start proxy");
        assert_eq!(proxy.url(), format!("http://{}", proxy.addr()));
        let mut client = Client::connect(proxy.addr()).await;
        let sizes = [0usize, 1, 100, 4096, 65_535, 65_536, 300_001, 1_000_000];
        let paths = ["/echo", "/chunked", "/eof"];
        let mut i = 0;
        for size in sizes {
            for path in paths {
                let body = payload(size, i as u8);
                let reply = client
                    .send("POST", path, &format!("k{i}"), &body)
                    .await
                    .expect("round trip");
                assert_eq!(reply.status, 200);
                assert_eq!(reply.body.len(), body.len(), "{path} {size}");
                assert!(reply.body == body, "{path} {size} body differs");
                assert!(
                    !reply
                        .headers
                        .iter()
                        .any(|(n, _)| n.eq_ignore_ascii_case("transfer-encoding")),
                    "chunked responses are re-framed"
                );
                i += 1;
            }
        }
        // HEAD keeps the length header yet sends no body, and the connection stays usable.
        let reply = client.send("HEAD", "/echo", "h", b"").await.expect("head");
        assert_eq!(reply.status, 200);
        let reply = client.send("GET", "/bytes/12345", "g", b"").await.expect("get");
        assert_eq!(reply.body, payload(12_345, 7));
        let stats = proxy.stats();
        assert_eq!(stats.requests, i + 2);
        assert_eq!(up.complete(), i + 2);
        assert_eq!(
            (
                stats.dropped_requests,
                stats.cut_request_bodies,
                stats.dropped_responses,
                stats.duplicated
            ),
            (0, 0, 0, 0)
        );
        assert!(
            stats.bytes_up > 2 * 1_000_000 && stats.bytes_down > 3 * 1_000_000,
            "{stats:?}"
        );
        proxy.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn concurrent_clients_all_round_trip() {
    bounded(60, async {
        let up = Upstream::start().await;
        let proxy = FaultProxy::start(up.addr, Config::default())
            .await
            .expect("start proxy");
        let mut tasks = Vec::new();
        for c in 0..8u8 {
            let addr = proxy.addr();
            tasks.push(tokio::spawn(async move {
                let mut client = Client::connect(addr).await;
                for i in 0..10u8 {
                    let body = payload(1000 * usize::from(i), c ^ i);
                    let reply = client
                        .send("POST", "/chunked", &format!("c{c}-{i}"), &body)
                        .await
                        .expect("reply");
                    assert_eq!(reply.body, body);
                }
            }));
        }
        for t in tasks {
            t.await.expect("client task");
        }
        assert_eq!(up.complete(), 80);
        proxy.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn drop_request_happens_at_its_rate_and_never_reaches_upstream() {
    bounded(60, async {
        let o = run_many(
            Faults {
                drop_request: 0.2,
                ..Faults::default()
            },
            11,
            N,
        )
        .await;
        near(o.stats.dropped_requests, 0.2);
        assert_eq!(o.stats.requests, N);
        assert_eq!(o.failures, o.stats.dropped_requests);
        assert_eq!(o.upstream_complete, N - o.stats.dropped_requests);
    })
    .await;
}

#[tokio::test]
async fn cut_request_body_happens_at_its_rate_and_upstream_gets_no_whole_request() {
    bounded(60, async {
        let o = run_many(
            Faults {
                cut_request_body: 0.15,
                ..Faults::default()
            },
            12,
            N,
        )
        .await;
        near(o.stats.cut_request_bodies, 0.15);
        assert_eq!(o.failures, o.stats.cut_request_bodies);
        assert_eq!(o.upstream_complete, N - o.stats.cut_request_bodies);
    })
    .await;
}

#[tokio::test]
async fn drop_response_happens_at_its_rate_after_upstream_handled_it() {
    bounded(60, async {
        let o = run_many(
            Faults {
                drop_response: 0.25,
                ..Faults::default()
            },
            13,
            N,
        )
        .await;
        near(o.stats.dropped_responses, 0.25);
        assert_eq!(o.failures, o.stats.dropped_responses);
        assert_eq!(o.upstream_complete, N);
    })
    .await;
}

#[tokio::test]
async fn duplicate_reaches_upstream_twice() {
    bounded(60, async {
        let o = run_many(
            Faults {
                duplicate: 0.3,
                ..Faults::default()
            },
            14,
            N,
        )
        .await;
        near(o.stats.duplicated, 0.3);
        assert_eq!(o.failures, 0);
        assert_eq!(o.upstream_complete, N + o.stats.duplicated);
        let twice = o.hits.values().filter(|&&h| h == 2).count() as u64;
        assert_eq!(twice, o.stats.duplicated);
        assert!(o.hits.values().all(|&h| h == 1 || h == 2));
        assert_eq!(o.hits.len() as u64, N);
    })
    .await;
}

#[tokio::test]
async fn cut_response_body_happens_at_its_rate() {
    bounded(60, async {
        let o = run_many(
            Faults {
                cut_response_body: 0.2,
                ..Faults::default()
            },
            15,
            N,
        )
        .await;
        near(o.stats.cut_response_bodies, 0.2);
        assert_eq!(o.failures, o.stats.cut_response_bodies);
        assert_eq!(o.upstream_complete, N);
    })
    .await;
}

#[tokio::test]
async fn reorder_happens_at_its_rate_without_failures() {
    bounded(60, async {
        let faults = Faults {
            reorder: 0.2,
            reorder_hold: Duration::from_millis(5),
            ..Faults::default()
        };
        let o = run_many(faults, 16, N).await;
        near(o.stats.reordered, 0.2);
        assert_eq!(o.failures, 0);
        assert_eq!(o.upstream_complete, N);
    })
    .await;
}

#[tokio::test]
async fn reordered_request_is_overtaken_and_released_early() {
    bounded(30, async {
        let up = Upstream::start().await;
        let hold = Duration::from_secs(5);
        let proxy = FaultProxy::start(
            up.addr,
            config(
                1,
                Faults {
                    reorder: 1.0,
                    reorder_hold: hold,
                    ..Faults::default()
                },
            ),
        )
        .await
        .expect("start proxy");
        let addr = proxy.addr();
        let first = tokio::spawn(async move {
            let start = Instant::now();
            let mut c = Client::connect(addr).await;
            let reply = c.send("POST", "/echo", "A", b"first").await.expect("first reply");
            (reply.body, start.elapsed())
        });
        // B must start only once A is being held, so wait for the proxy to have planned A's reorder.
        while proxy.stats().reordered == 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        proxy.set_faults_enabled(false);
        let mut c = Client::connect(addr).await;
        assert_eq!(
            c.send("POST", "/echo", "B", b"second")
                .await
                .expect("second reply")
                .body,
            b"second"
        );
        let (body, took) = first.await.expect("first task");
        assert_eq!(body, b"first");
        assert!(took < hold, "A should be released once B overtook it, took {took:?}");
        assert_eq!(
            *up.seen.order.lock().expect("order"),
            vec!["B".to_owned(), "A".to_owned()]
        );
        assert_eq!(proxy.stats().reordered, 1);
        proxy.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn delay_applies_to_every_request() {
    bounded(30, async {
        let faults = Faults {
            delay: (Duration::from_millis(30), Duration::from_millis(60)),
            ..Faults::default()
        };
        let start = Instant::now();
        let o = run_many_n(faults, 10).await;
        assert_eq!(o.failures, 0);
        assert!(start.elapsed() >= Duration::from_millis(300), "{:?}", start.elapsed());
    })
    .await;
}

/// Like [`run_many`] with a custom count.
async fn run_many_n(faults: Faults, n: u64) -> Outcome {
    let up = Upstream::start().await;
    let proxy = FaultProxy::start(up.addr, config(3, faults))
        .await
        .expect("start proxy");
    let mut client = Client::connect(proxy.addr()).await;
    let mut failures = 0;
    for i in 0..n {
        if client.send("POST", "/echo", &format!("d{i}"), b"x").await.is_err() {
            failures += 1;
            client = Client::connect(proxy.addr()).await;
        }
    }
    let stats = proxy.stats();
    proxy.shutdown().await;
    Outcome {
        stats,
        failures,
        upstream_complete: up.complete(),
        hits: up.hits(),
    }
}

#[tokio::test]
async fn same_seed_gives_same_faults() {
    bounded(90, async {
        let faults = Faults {
            drop_request: 0.05,
            cut_request_body: 0.05,
            drop_response: 0.05,
            duplicate: 0.05,
            cut_response_body: 0.05,
            ..Faults::default()
        };
        let a = run_many(faults.clone(), 99, 200).await;
        let b = run_many(faults, 99, 200).await;
        assert_eq!(a.stats, b.stats);
        assert_eq!(a.failures, b.failures);
        assert_eq!(a.upstream_complete, b.upstream_complete);
        assert!(a.failures > 0, "the mix should cause some failures: {:?}", a.stats);
    })
    .await;
}

#[tokio::test]
async fn disabling_faults_at_runtime_lets_everything_through() {
    bounded(60, async {
        let up = Upstream::start().await;
        let faults = Faults {
            drop_request: 0.3,
            cut_request_body: 0.3,
            drop_response: 0.3,
            duplicate: 0.3,
            reorder: 0.3,
            reorder_hold: Duration::from_millis(50),
            delay: (Duration::from_millis(1), Duration::from_millis(2)),
            cut_response_body: 0.3,
        };
        let proxy = FaultProxy::start(up.addr, config(5, faults))
            .await
            .expect("start proxy");
        // With faults on, a handful of requests on one connection cannot all survive.
        let mut client = Client::connect(proxy.addr()).await;
        let mut broke = false;
        for i in 0..20 {
            if client.send("POST", "/echo", &format!("on{i}"), b"data").await.is_err() {
                broke = true;
                break;
            }
        }
        assert!(broke);
        let before = proxy.stats();
        proxy.set_faults_enabled(false);
        let mut client = Client::connect(proxy.addr()).await;
        for i in 0..100 {
            let body = payload(i * 37, i as u8);
            let reply = client
                .send("POST", "/chunked", &format!("off{i}"), &body)
                .await
                .expect("no faults");
            assert_eq!(reply.body, body);
        }
        let after = proxy.stats();
        assert_eq!(after.requests, before.requests + 100);
        assert_eq!(
            (
                after.dropped_requests,
                after.cut_request_bodies,
                after.dropped_responses
            ),
            (
                before.dropped_requests,
                before.cut_request_bodies,
                before.dropped_responses
            )
        );
        assert_eq!(
            (after.duplicated, after.reordered, after.cut_response_bodies),
            (before.duplicated, before.reordered, before.cut_response_bodies)
        );
        proxy.shutdown().await;
    })
    .await;
}

fn shaped(bandwidth: Option<u64>, latency: Duration, cut_every: Option<Duration>) -> Config {
    Config {
        seed: 8,
        faults: Faults::default(),
        shaping: Shaping {
            bandwidth_bytes_per_sec: bandwidth,
            latency,
            cut_every_mean: cut_every,
        },
    }
}

#[tokio::test]
async fn bandwidth_slows_uploads() {
    bounded(60, async {
        let up = Upstream::start().await;
        let proxy = FaultProxy::start(up.addr, shaped(Some(200_000), Duration::ZERO, None))
            .await
            .expect("start");
        let mut client = Client::connect(proxy.addr()).await;
        let start = Instant::now();
        let reply = client
            .send("POST", "/sink", "up", &payload(200_000, 1))
            .await
            .expect("upload");
        let took = start.elapsed();
        assert_eq!(reply.body, b"200000");
        assert!(
            took >= Duration::from_millis(700),
            "200 kB at 200 kB/s took only {took:?}"
        );
        proxy.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn bandwidth_slows_downloads() {
    bounded(60, async {
        let up = Upstream::start().await;
        let proxy = FaultProxy::start(up.addr, shaped(Some(200_000), Duration::ZERO, None))
            .await
            .expect("start");
        let mut client = Client::connect(proxy.addr()).await;
        let start = Instant::now();
        let reply = client
            .send("GET", "/bytes/200000", "down", b"")
            .await
            .expect("download");
        let took = start.elapsed();
        assert_eq!(reply.body, payload(200_000, 7));
        assert!(
            took >= Duration::from_millis(700),
            "200 kB at 200 kB/s took only {took:?}"
        );
        proxy.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn latency_applies_each_way() {
    bounded(30, async {
        let up = Upstream::start().await;
        let proxy = FaultProxy::start(up.addr, shaped(None, Duration::from_millis(100), None))
            .await
            .expect("start");
        let mut client = Client::connect(proxy.addr()).await;
        for i in 0..3 {
            let start = Instant::now();
            client
                .send("POST", "/echo", &format!("l{i}"), b"ping")
                .await
                .expect("reply");
            assert!(start.elapsed() >= Duration::from_millis(190), "{:?}", start.elapsed());
        }
        proxy.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn link_cuts_close_open_connections() {
    bounded(30, async {
        let up = Upstream::start().await;
        let proxy = FaultProxy::start(up.addr, shaped(None, Duration::ZERO, Some(Duration::from_millis(150))))
            .await
            .expect("start");
        for round in 0..3 {
            let mut client = Client::connect(proxy.addr()).await;
            // The cut may land during the request itself; either way the connection must end.
            let _ = client.send("POST", "/echo", &format!("cut{round}"), b"hello").await;
            let waited = timeout(Duration::from_secs(10), client.wait_closed()).await;
            assert!(waited.is_ok(), "an idle connection outlived the link cuts");
        }
        assert!(proxy.stats().link_cuts >= 1);
        proxy.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn malformed_request_gets_400_and_close() {
    bounded(30, async {
        let up = Upstream::start().await;
        let proxy = FaultProxy::start(up.addr, Config::default()).await.expect("start");
        for garbage in [
            &b"HELLO\r\n\r\n"[..],
            b"GET / HTTP/1.1\r\nbroken header\r\n\r\n",
            b"POST / HTTP/1.1\r\nContent-Length: -4\r\n\r\n",
        ] {
            let mut s = TcpStream::connect(proxy.addr()).await.expect("connect");
            s.write_all(garbage).await.expect("write");
            let mut out = Vec::new();
            s.read_to_end(&mut out).await.expect("read to close");
            assert!(out.starts_with(b"HTTP/1.1 400 "), "{}", String::from_utf8_lossy(&out));
        }
        assert_eq!(up.complete(), 0);
        proxy.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn unreachable_upstream_gets_502_and_keeps_the_connection() {
    bounded(30, async {
        let gone = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = gone.local_addr().expect("addr");
        drop(gone);
        let proxy = FaultProxy::start(addr, Config::default()).await.expect("start");
        let mut client = Client::connect(proxy.addr()).await;
        for i in 0..3 {
            let reply = client
                .send("POST", "/echo", &format!("x{i}"), b"nowhere")
                .await
                .expect("reply");
            assert_eq!(reply.status, 502);
        }
        proxy.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn shutdown_closes_connections_and_stops_listening() {
    bounded(30, async {
        let up = Upstream::start().await;
        let proxy = FaultProxy::start(up.addr, Config::default()).await.expect("start");
        let addr = proxy.addr();
        let mut client = Client::connect(addr).await;
        client.send("POST", "/echo", "s", b"before").await.expect("reply");
        proxy.shutdown().await;
        timeout(Duration::from_secs(5), client.wait_closed())
            .await
            .expect("connection closed by shutdown");
        assert!(
            TcpStream::connect(addr).await.is_err(),
            "still listening after shutdown"
        );
    })
    .await;
}

/// A request the proxy leaves alone crosses as a stream: upstream has its first bytes before the
/// client has sent the rest, and when the client stops part-way, upstream keeps what had crossed
/// and then sees the connection end, as behind a real link.
#[tokio::test]
async fn an_untouched_request_streams_and_a_cut_body_arrives_in_part() {
    bounded(30, async {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind upstream");
        let upstream = listener.local_addr().expect("addr");
        let (got_tx, mut got_rx) = tokio::sync::mpsc::unbounded_channel::<Vec<u8>>();
        let server = tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.expect("accept");
            let mut buf = vec![0u8; 4096];
            loop {
                match s.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => {
                        let _ = got_tx.send(buf[..n].to_vec());
                    }
                }
            }
        });
        let proxy = FaultProxy::start(upstream, shaped(None, Duration::from_millis(50), None))
            .await
            .expect("start");
        let mut client = TcpStream::connect(proxy.addr()).await.expect("connect");
        let body = payload(1000, 3);
        client
            .write_all(b"PATCH /v1/blobs/x HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n")
            .await
            .expect("head");
        client.write_all(&body[..400]).await.expect("first part");
        let mut seen = Vec::new();
        while !seen.ends_with(&body[..400]) {
            let piece = got_rx
                .recv()
                .await
                .expect("upstream got the first part before the rest was sent");
            seen.extend_from_slice(&piece);
        }
        assert!(seen.starts_with(b"PATCH /v1/blobs/x HTTP/1.1\r\n"));
        drop(client);
        while let Some(piece) = got_rx.recv().await {
            seen.extend_from_slice(&piece);
        }
        assert!(seen.ends_with(&body[..400]), "nothing but the part sent crossed");
        server.await.expect("upstream saw the connection end");
        assert_eq!(
            proxy.stats().requests,
            0,
            "an unfinished request is not counted as read"
        );
        proxy.shutdown().await;
    })
    .await;
}

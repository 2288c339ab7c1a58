//! Bounded resources: slow clients are dropped, and a fleet uploading at once cannot push the
//! server's memory past its budget.

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use qafila_server::center::Center;
use qafila_server::config::Routing;
use qafila_server::db::CenterDb;
use qafila_server::keys::CenterKeys;
use qafila_server::limits::Limits;
use qafila_server::sqlite::SqliteDb;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn serve(dir: &std::path::Path, limits: Limits) -> String {
    let db = SqliteDb::open(&dir.join("c.db")).unwrap();
    db.migrate().await.unwrap();
    let center = Arc::new(
        Center::new(
            CenterKeys::generate("rabat").unwrap(),
            Arc::new(db),
            Routing::default(),
            vec![],
        )
        .with_limits(&limits),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let app = qafila_server::http::router_with(
        center,
        qafila_server::http::Options {
            limits: limits.clone(),
            ..Default::default()
        },
    );
    tokio::spawn(async move { qafila_server::http::serve(listener, app, &limits, None).await });
    addr
}

/// Reads until the server answers or hangs up; `None` if it did neither within `within`.
async fn answer(stream: &mut TcpStream, within: Duration) -> Option<String> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let read = tokio::time::timeout(within, async {
        loop {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    buf.extend_from_slice(&chunk[..n]);
                    if buf.windows(4).any(|w| w == b"\r\n\r\n") {
                        return;
                    }
                }
            }
        }
    })
    .await;
    read.ok().map(|_| String::from_utf8_lossy(&buf).into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_clients_cannot_hold_connections() {
    let tmp = tempfile::tempdir().unwrap();
    let limits = Limits {
        header_timeout_s: 1,
        request_timeout_s: 2,
        ..Limits::default()
    };
    let addr = serve(tmp.path(), limits).await;

    // Headers that never end: the connection is closed.
    let mut partial = TcpStream::connect(&addr).await.unwrap();
    partial
        .write_all(b"POST /v1/batches HTTP/1.1\r\nHost: center\r\n")
        .await
        .unwrap();
    let got = answer(&mut partial, Duration::from_secs(15)).await;
    assert!(
        got.is_some(),
        "a client that never finished its headers still holds its connection"
    );

    // A body trickled and then stalled: answered 408 once the request time is up.
    let mut trickle = TcpStream::connect(&addr).await.unwrap();
    trickle
        .write_all(b"POST /v1/batches HTTP/1.1\r\nHost: center\r\nContent-Length: 100000\r\n\r\n0123456789")
        .await
        .unwrap();
    let got = answer(&mut trickle, Duration::from_secs(15))
        .await
        .expect("a stalled body still holds its connection");
    assert!(got.starts_with("HTTP/1.1 408"), "{got:?}");

    // While fifty stalled clients wait to be dropped, a van is still served.
    let mut stalled = Vec::new();
    for _ in 0..50 {
        let mut s = TcpStream::connect(&addr).await.unwrap();
        s.write_all(b"GET /v1/status HTTP/1.1\r\n").await.unwrap();
        stalled.push(s);
    }
    let status = reqwest::get(format!("http://{addr}/v1/status")).await.unwrap();
    assert!(status.status().is_success());
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Peak resident memory of a process, in MiB (`VmHWM` in /proc).
fn peak_rss_mib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/PID/status");
    kib / 1024
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eighty_concurrent_uploads_stay_within_512_mib() {
    let tmp = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_qafila-server");
    let config = tmp.path().join("server.toml");
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let init = Command::new(bin)
        .args([
            "--config",
            config.to_str().unwrap(),
            "init",
            "--center",
            "rabat",
            "--data-dir",
        ])
        .arg(tmp.path().join("data"))
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .output()
        .unwrap();
    assert!(init.status.success(), "{}", String::from_utf8_lossy(&init.stderr));
    let server = Server(
        Command::new(bin)
            .args(["--config", config.to_str().unwrap(), "serve"])
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let url = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    for _ in 0..100 {
        if http.get(format!("{url}/v1/status")).send().await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let idle = peak_rss_mib(server.0.id());

    // Eighty vans at once, each with a 12 MiB batch and an 8 MiB blob chunk: without the memory
    // budget the server peaked at 671 MiB here (measured with `memory_budget_mib = 100000`). These bodies are not valid, so each is refused: a
    // batch only after the server has read it, which is what costs memory; a chunk on its unsigned
    // head, its body read and dropped.
    let batch = bytes::Bytes::from(vec![0x5au8; 12 << 20]);
    let chunk = bytes::Bytes::from(vec![0xa5u8; 8 << 20]);
    let mut tasks = Vec::new();
    for i in 0..80 {
        let (http, url, batch, chunk) = (http.clone(), url.clone(), batch.clone(), chunk.clone());
        tasks.push(tokio::spawn(async move {
            let a = http.post(format!("{url}/v1/batches")).body(batch).send().await;
            let sha = format!("{i:064x}");
            let b = http
                .patch(format!("{url}/v1/blobs/{sha}"))
                .header("x-qafila-sender", format!("VAN-{i}"))
                .header("x-qafila-signature", "00")
                .header("upload-offset", "0")
                .header("upload-length", (8u32 << 20).to_string())
                .header("upload-checksum", "sha256 00")
                .body(chunk)
                .send()
                .await;
            [a.map(|r| r.status().as_u16()), b.map(|r| r.status().as_u16())]
        }));
    }
    for t in tasks {
        for r in t.await.unwrap() {
            let status = r.expect("every upload gets an answer");
            assert!((400..500).contains(&status), "a garbage upload answered {status}");
        }
    }
    let peak = peak_rss_mib(server.0.id());
    assert!(
        peak < 512,
        "the server peaked at {peak} MiB (idle {idle} MiB) with 80 concurrent uploads"
    );
    let status = http.get(format!("{url}/v1/status")).send().await.unwrap();
    assert!(status.status().is_success(), "the server stopped answering");
    eprintln!("peak resident memory {peak} MiB (idle {idle} MiB) with 80 concurrent 12 MiB + 8 MiB uploads");
}

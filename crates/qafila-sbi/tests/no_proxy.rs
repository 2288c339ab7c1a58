//! The scanner client never sends biometrics through a proxy named in the environment.
//!
//! A test binary of its own: the proxy variables are set for the whole process, before any client exists.

use std::io::Read;
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use qafila_sbi::simulator::{self, SimConfig};
use qafila_sbi::{CaptureRequest, FingerprintScanner, SbiConfig, SbiScanner, Slap};

/// A listener standing in for a proxy: counts connections, keeps what they sent, answers nothing.
fn recording_proxy() -> (u16, Arc<AtomicUsize>, Arc<Mutex<Vec<u8>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a port");
    let port = listener.local_addr().expect("an address").port();
    let count = Arc::new(AtomicUsize::new(0));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (c, s) = (count.clone(), seen.clone());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            c.fetch_add(1, Ordering::SeqCst);
            let _ = stream.set_read_timeout(Some(Duration::from_millis(300)));
            let mut buf = [0u8; 1024];
            if let Ok(n) = stream.read(&mut buf) {
                s.lock().unwrap_or_else(|e| e.into_inner()).extend_from_slice(&buf[..n]);
            }
        }
    });
    (port, count, seen)
}

#[test]
fn captures_never_go_through_a_proxy_from_the_environment() {
    let (proxy_port, connections, seen) = recording_proxy();
    let proxy = format!("http://127.0.0.1:{proxy_port}");
    for var in ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"] {
        // SAFETY: this binary holds this one test and no other thread reads the environment yet.
        unsafe { std::env::set_var(var, &proxy) };
    }
    for var in ["NO_PROXY", "no_proxy"] {
        // SAFETY: as above.
        unsafe { std::env::remove_var(var) };
    }

    let sim = simulator::serve(SimConfig::default()).expect("simulator starts");
    let port = sim.port();
    let config = SbiConfig {
        ports: port..=port,
        timeout_margin: Duration::from_millis(500),
        ..SbiConfig::default()
    };
    let scanner = SbiScanner::discover(config).expect("discovery and device info, directly");
    let impressions = scanner
        .capture(&CaptureRequest::slap(Slap::LeftFour).with_timeout(Duration::from_secs(5)))
        .expect("a capture, directly");
    assert_eq!(impressions.len(), 4);
    assert_eq!(sim.captures(), 1);
    assert_eq!(
        connections.load(Ordering::SeqCst),
        0,
        "the proxy saw: {}",
        String::from_utf8_lossy(&seen.lock().unwrap_or_else(|e| e.into_inner()))
    );

    // The environment does name a working proxy: a client without `no_proxy` goes through it, even to 127.0.0.1.
    let plain = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .expect("a client");
    let _ = plain.get(format!("http://127.0.0.1:{port}/")).send();
    let deadline = Instant::now() + Duration::from_secs(2);
    while connections.load(Ordering::SeqCst) == 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        connections.load(Ordering::SeqCst),
        1,
        "a client that honours the environment reaches the proxy"
    );
}

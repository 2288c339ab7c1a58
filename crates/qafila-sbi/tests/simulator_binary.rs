//! Discovery past a service that accepts and never answers, and the `qafila-sbi-sim` binary end to end.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use qafila_sbi::simulator::{self, SimConfig};
use qafila_sbi::{CaptureRequest, Finger, FingerprintScanner, SbiConfig, SbiScanner};

#[test]
fn a_silent_service_in_the_range_costs_one_discovery_timeout_and_hides_nothing() {
    let sim = simulator::serve(SimConfig::default()).expect("simulator");
    // Accepts connections (the kernel completes the handshake) but never reads or answers; bound next to the
    // simulator so one short range holds both.
    let a = sim.port();
    let (silent, b) = (1..=20u16)
        .flat_map(|d| [a.checked_add(d), a.checked_sub(d)])
        .flatten()
        .find_map(|p| TcpListener::bind(("127.0.0.1", p)).ok().map(|l| (l, p)))
        .expect("a free port near the simulator");
    let config = SbiConfig {
        ports: a.min(b)..=a.max(b),
        discovery_timeout: Duration::from_millis(700),
        ..SbiConfig::default()
    };
    let started = Instant::now();
    let found = qafila_sbi::discover(&config).expect("discovery");
    assert!(found.iter().any(|d| d.port == a), "{found:?}");
    assert!(!found.iter().any(|d| d.port == b));
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(700),
        "the silent port was not probed: {took:?}"
    );
    assert!(took < Duration::from_secs(8), "discovery took {took:?}");
    drop(silent);
}

#[test]
fn the_binary_serves_sbi_on_the_port_it_prints() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_qafila-sbi-sim"))
        .args([
            "--port",
            "0",
            "--seed",
            "9",
            "--quality",
            "70",
            "--latency-ms",
            "0",
            "--png",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("simulator binary starts");
    let mut line = String::new();
    let read = child.stdout.take().map(|out| BufReader::new(out).read_line(&mut line));
    let port: Option<u16> = line
        .split("http://127.0.0.1:")
        .nth(1)
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|p| p.parse().ok());
    let result = port.ok_or("no port printed").and_then(|port| {
        let scanner = SbiScanner::discover(SbiConfig {
            ports: port..=port,
            ..SbiConfig::default()
        })
        .map_err(|_| "not discovered")?;
        let info = scanner.info().map_err(|_| "no device info")?;
        let got = scanner
            .capture(&CaptureRequest::single(Finger::RightThumb).with_timeout(Duration::from_secs(5)))
            .map_err(|_| "capture failed")?;
        Ok((info, got))
    });
    let _ = child.kill();
    let _ = child.wait();
    assert!(matches!(read, Some(Ok(_))), "reading the banner: {read:?}");
    let (info, got) = result.unwrap_or_else(|e| panic!("{e}; banner {line:?}"));
    assert_eq!(info.identity.serial, "000000000009");
    assert_eq!(got.len(), 1);
    assert_eq!((got[0].image.width, got[0].image.height), (400, 500));
}

//! `qafila-sbi-sim`: a MOSIP SBI fingerprint device on 127.0.0.1 serving synthetic (or supplied) prints.
#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use qafila_sbi::iso19794_4::Compression;
use qafila_sbi::simulator::{self, Fault, SimConfig};

/// A simulated SBI 0.9.5 fingerprint slap scanner (MOSIPDISC, MOSIPDINFO, RCAPTURE) for demos and tests.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Port on 127.0.0.1 (SBI services use 4501-4600; 0 picks a free one).
    #[arg(long, default_value_t = 4501)]
    port: u16,
    /// The simulated person: the same seed always gives the same ridge patterns.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Image quality 0-100 of the synthetic prints.
    #[arg(long, default_value_t = 80, value_parser = clap::value_parser!(u8).range(0..=100))]
    quality: u8,
    /// How long each capture takes, in milliseconds.
    #[arg(long, default_value_t = 500)]
    latency_ms: u64,
    /// Probability 0-1 that a capture fails with SBI error 101.
    #[arg(long, default_value_t = 0.0)]
    fail_rate: f64,
    /// Every capture hangs without answering.
    #[arg(long, group = "fault")]
    hang: bool,
    /// Every capture answers with a body that is not valid JSON.
    #[arg(long, group = "fault")]
    malformed: bool,
    /// Every capture closes the connection halfway through the reply.
    #[arg(long, group = "fault")]
    disconnect: bool,
    /// Every capture fails with this SBI error code.
    #[arg(long, group = "fault")]
    error_code: Option<String>,
    /// Serve the PNG files of this folder (named by finger, e.g. `2.png` or `right_index.png`, else in turn).
    #[arg(long)]
    images: Option<PathBuf>,
    /// Store images in the ISO records as PNG (compression 6) instead of uncompressed (0).
    #[arg(long)]
    png: bool,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    if !(0.0..=1.0).contains(&args.fail_rate) {
        return Err("--fail-rate must be between 0 and 1".into());
    }
    let fault = if args.hang {
        Some(Fault::Hang)
    } else if args.malformed {
        Some(Fault::MalformedJson)
    } else if args.disconnect {
        Some(Fault::Disconnect)
    } else {
        args.error_code.map(|code| Fault::DeviceError {
            code,
            info: "simulated device error".into(),
        })
    };
    let sim = simulator::serve(SimConfig {
        port: args.port,
        seed: args.seed,
        quality: args.quality,
        latency: Duration::from_millis(args.latency_ms),
        fail_rate: args.fail_rate,
        fault,
        images: args.images,
        compression: if args.png {
            Compression::PNG
        } else {
            Compression::UNCOMPRESSED
        },
        ..SimConfig::default()
    })?;
    println!(
        "SBI fingerprint simulator on http://{} (serial {}, device key {})",
        sim.addr(),
        sim.serial(),
        hex_key(&sim.public_key())
    );
    loop {
        std::thread::park();
    }
}

fn hex_key(key: &[u8]) -> String {
    key.iter().map(|b| format!("{b:02x}")).collect()
}

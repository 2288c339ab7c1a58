//! `qafila-sbi-sim`: a MOSIP SBI fingerprint device on 127.0.0.1 serving synthetic (or supplied) prints.
#![forbid(unsafe_code)]

use clap::Parser;
use qafila_sbi::sim_args::SimArgs;
use qafila_sbi::simulator;

/// A simulated SBI 0.9.5 fingerprint slap scanner (MOSIPDISC, MOSIPDINFO, RCAPTURE) for demos and tests.
#[derive(Debug, Parser)]
#[command(version)]
struct Cli {
    #[command(flatten)]
    sim: SimArgs,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let cli = Cli::parse();
    let sim = simulator::serve(cli.sim.config()?)?;
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

//! `qafila-chaos`: the fleet-scale chaos campaign (issue 7, `scripts/chaos`).
//!
//! `run` starts the Rabat and Marrakech centers, a fault proxy in front of each, a proxy on each replication link,
//! and one `van` process per van (this same binary), then kills vans and centers, partitions the centers, fills
//! vans' disks and sets vans' clocks years off, at random, while the vans enroll and sync. At the end it lets the
//! fleet drain and checks what reached the centers against what every van sealed, and prints a summary table.
//! `van` is one van: it enrolls synthetic applicants (with a portrait from the file camera and ten prints from the
//! SBI simulator, captured once into a pool by `scripts/chaos`), seals them and syncs; it is written so that being
//! killed at any instruction loses nothing and enrolls nobody twice.
#![forbid(unsafe_code)]

mod agent;
mod check;
mod fleet;
mod rng;

use anyhow::Result;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "qafila-chaos",
    about = "Fleet-scale chaos campaign: two centers, many vans, random faults"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a whole campaign and print its summary.
    Run(fleet::RunArgs),
    /// One van: enroll, seal and sync until told to stop, then drain.
    Van(agent::AgentArgs),
}

fn main() -> Result<std::process::ExitCode> {
    let cli = Cli::parse();
    match cli.command {
        Command::Run(args) => fleet::run(args),
        Command::Van(args) => agent::run(args),
    }
}

//! `qafila-faultproxy`: run the fault-injecting, link-shaping proxy in front of a server until Ctrl-C.
#![forbid(unsafe_code)]

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Parser;
use qafila_faultproxy::{Config, FaultProxy, Faults, Shaping, Stats};

/// Command-line flags.
#[derive(Debug, Parser)]
#[command(
    name = "qafila-faultproxy",
    version,
    about = "HTTP/1.1 proxy that injects faults and shapes the link"
)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Upstream server, HOST:PORT.
    #[arg(long)]
    upstream: String,
    /// Seed of every random choice.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Probability of dropping a request unforwarded.
    #[arg(long, default_value_t = 0.0, value_parser = probability)]
    drop_request: f64,
    /// Probability of dropping a response after upstream handled the request.
    #[arg(long, default_value_t = 0.0, value_parser = probability)]
    drop_response: f64,
    /// Probability of sending a request upstream twice.
    #[arg(long, default_value_t = 0.0, value_parser = probability)]
    duplicate: f64,
    /// Probability of cutting a request body on the way upstream.
    #[arg(long, default_value_t = 0.0, value_parser = probability)]
    cut_request_body: f64,
    /// Probability of cutting a response body on the way to the client.
    #[arg(long, default_value_t = 0.0, value_parser = probability)]
    cut_response_body: f64,
    /// Probability of holding a request so later ones overtake it.
    #[arg(long, default_value_t = 0.0, value_parser = probability)]
    reorder: f64,
    /// Longest hold of a reordered request, in milliseconds.
    #[arg(long, default_value_t = 200)]
    reorder_hold_ms: u64,
    /// Random extra delay per request, MIN-MAX in milliseconds (or a single value).
    #[arg(long, value_parser = delay_range)]
    delay_ms: Option<(Duration, Duration)>,
    /// Bandwidth in each direction, in kilobits per second.
    #[arg(long)]
    bandwidth_kbit: Option<u64>,
    /// One-way latency added to each request and each response, in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Mean seconds between cuts of every client connection.
    #[arg(long, value_parser = positive_seconds)]
    cut_every_s: Option<Duration>,
}

/// Parses a probability in `0.0..=1.0`.
fn probability(s: &str) -> Result<f64, String> {
    let p: f64 = s.parse().map_err(|e| format!("{e}"))?;
    if (0.0..=1.0).contains(&p) {
        Ok(p)
    } else {
        Err(format!("{p} is not in 0..=1"))
    }
}

/// Parses `MIN-MAX` or `N` milliseconds.
fn delay_range(s: &str) -> Result<(Duration, Duration), String> {
    let (lo, hi) = s.split_once('-').unwrap_or((s, s));
    let ms = |v: &str| {
        v.trim()
            .parse::<u64>()
            .map(Duration::from_millis)
            .map_err(|e| format!("{v:?}: {e}"))
    };
    let (lo, hi) = (ms(lo)?, ms(hi)?);
    if lo > hi {
        Err(format!("{s}: MIN is above MAX"))
    } else {
        Ok((lo, hi))
    }
}

/// Parses a positive, finite number of seconds.
fn positive_seconds(s: &str) -> Result<Duration, String> {
    let secs: f64 = s.parse().map_err(|e| format!("{e}"))?;
    if secs > 0.0 {
        Duration::try_from_secs_f64(secs).map_err(|e| e.to_string())
    } else {
        Err(format!("{secs} is not positive"))
    }
}

impl Args {
    /// The proxy configuration these flags describe.
    fn config(&self) -> Config {
        Config {
            seed: self.seed,
            faults: Faults {
                drop_request: self.drop_request,
                cut_request_body: self.cut_request_body,
                drop_response: self.drop_response,
                duplicate: self.duplicate,
                reorder: self.reorder,
                reorder_hold: Duration::from_millis(self.reorder_hold_ms),
                delay: self.delay_ms.unwrap_or_default(),
                cut_response_body: self.cut_response_body,
            },
            shaping: Shaping {
                bandwidth_bytes_per_sec: self.bandwidth_kbit.map(|k| k.saturating_mul(1000) / 8),
                latency: Duration::from_millis(self.latency_ms),
                cut_every_mean: self.cut_every_s,
            },
        }
    }
}

/// Prints the counters, one per line.
fn print_stats(s: &Stats) {
    println!("requests             {}", s.requests);
    println!("dropped_requests     {}", s.dropped_requests);
    println!("cut_request_bodies   {}", s.cut_request_bodies);
    println!("dropped_responses    {}", s.dropped_responses);
    println!("duplicated           {}", s.duplicated);
    println!("reordered            {}", s.reordered);
    println!("cut_response_bodies  {}", s.cut_response_bodies);
    println!("link_cuts            {}", s.link_cuts);
    println!("bytes_up             {}", s.bytes_up);
    println!("bytes_down           {}", s.bytes_down);
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    let upstream = tokio::net::lookup_host(&args.upstream)
        .await
        .with_context(|| format!("resolving upstream {}", args.upstream))?
        .next();
    let Some(upstream) = upstream else {
        bail!("upstream {} resolves to no address", args.upstream);
    };
    let proxy = FaultProxy::start_on(args.listen, upstream, args.config())
        .await
        .with_context(|| format!("listening on {}", args.listen))?;
    println!("qafila-faultproxy: {} -> {upstream}", proxy.url());
    tokio::signal::ctrl_c().await.context("waiting for Ctrl-C")?;
    let stats = proxy.stats();
    proxy.shutdown().await;
    print_stats(&stats);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_flags() {
        let args = Args::try_parse_from([
            "qafila-faultproxy",
            "--upstream",
            "127.0.0.1:9",
            "--delay-ms",
            "5-10",
            "--bandwidth-kbit",
            "800",
            "--cut-every-s",
            "2.5",
            "--duplicate",
            "0.1",
        ])
        .expect("valid flags");
        let c = args.config();
        assert_eq!(c.faults.delay, (Duration::from_millis(5), Duration::from_millis(10)));
        assert_eq!(c.shaping.bandwidth_bytes_per_sec, Some(100_000));
        assert_eq!(c.shaping.cut_every_mean, Some(Duration::from_millis(2500)));
        assert_eq!(c.faults.duplicate, 0.1);
        assert!(Args::try_parse_from(["qafila-faultproxy", "--upstream", "x:1", "--drop-request", "1.5"]).is_err());
        assert!(Args::try_parse_from(["qafila-faultproxy", "--upstream", "x:1", "--delay-ms", "9-3"]).is_err());
    }
}

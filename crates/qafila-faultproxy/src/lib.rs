//! A user-space HTTP/1.1 proxy that injects faults and shapes the link, for tests and benchmarks.
//!
//! Clients talk to the [`FaultProxy`]; it relays each request to one upstream server on a fresh connection and the
//! response back, after drawing a plan of [`Faults`] for the request and while pacing every byte on the client side
//! as [`Shaping`] asks. Every random choice follows from [`Config::seed`]; request `n` (counted across all clients)
//! always gets the same plan, so runs with one sequential client are reproducible.
#![forbid(unsafe_code)]

mod config;
mod faults;
mod http;
mod proxy;
mod rng;
mod shaping;
mod stats;

pub use config::{Config, Faults, Shaping};
pub use proxy::FaultProxy;
pub use stats::Stats;

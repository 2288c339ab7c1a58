//! What the proxy does to traffic: faults drawn per request and shaping applied to every byte.

use std::time::Duration;

/// Per-request fault probabilities (each in `0.0..=1.0`) and their parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct Faults {
    /// Close the client connection without forwarding the request.
    pub drop_request: f64,
    /// Forward only part of the request body upstream, then close both sides.
    pub cut_request_body: f64,
    /// Forward the request and read the response, then close the client without replying.
    pub drop_response: f64,
    /// Send the request upstream twice (the second after the first completes) and reply with the second response.
    pub duplicate: f64,
    /// Hold the request for up to `reorder_hold` so that later requests on other connections overtake it.
    pub reorder: f64,
    /// The longest a reordered request is held.
    pub reorder_hold: Duration,
    /// Range `(min, max)` of the random extra delay applied to every request.
    pub delay: (Duration, Duration),
    /// Write only part of the response to the client, then close.
    pub cut_response_body: f64,
}

impl Default for Faults {
    fn default() -> Self {
        Faults {
            drop_request: 0.0,
            cut_request_body: 0.0,
            drop_response: 0.0,
            duplicate: 0.0,
            reorder: 0.0,
            reorder_hold: Duration::ZERO,
            delay: (Duration::ZERO, Duration::ZERO),
            cut_response_body: 0.0,
        }
    }
}

/// Link shaping applied to the client side of the proxy, in each direction.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Shaping {
    /// Bytes per second in each direction, one token bucket per direction shared by all connections.
    pub bandwidth_bytes_per_sec: Option<u64>,
    /// One-way latency added to every request and to every response.
    pub latency: Duration,
    /// Mean of the exponentially distributed time between cuts that close every open client connection.
    pub cut_every_mean: Option<Duration>,
}

/// Everything a [`crate::FaultProxy`] needs besides its upstream.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Config {
    /// Seed of every random choice, so a run with one client is reproducible.
    pub seed: u64,
    /// Faults drawn per request; they can be switched off at run time.
    pub faults: Faults,
    /// Shaping of the link; it stays on when faults are switched off.
    pub shaping: Shaping,
}

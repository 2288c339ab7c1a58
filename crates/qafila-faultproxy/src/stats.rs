//! Counters of what the proxy saw and did.

use std::sync::atomic::{AtomicU64, Ordering};

/// A snapshot of the proxy's counters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Complete requests read from clients.
    pub requests: u64,
    /// Requests dropped without being forwarded.
    pub dropped_requests: u64,
    /// Requests whose body was cut on the way upstream.
    pub cut_request_bodies: u64,
    /// Responses read from upstream and never delivered.
    pub dropped_responses: u64,
    /// Requests sent upstream twice.
    pub duplicated: u64,
    /// Requests held back so later ones could overtake them.
    pub reordered: u64,
    /// Responses cut part-way to the client.
    pub cut_response_bodies: u64,
    /// Times every client connection was cut at once.
    pub link_cuts: u64,
    /// Bytes read from clients.
    pub bytes_up: u64,
    /// Bytes written to clients.
    pub bytes_down: u64,
}

/// Live counters shared by all connection tasks.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) requests: AtomicU64,
    pub(crate) dropped_requests: AtomicU64,
    pub(crate) cut_request_bodies: AtomicU64,
    pub(crate) dropped_responses: AtomicU64,
    pub(crate) duplicated: AtomicU64,
    pub(crate) reordered: AtomicU64,
    pub(crate) cut_response_bodies: AtomicU64,
    pub(crate) link_cuts: AtomicU64,
    pub(crate) bytes_up: AtomicU64,
    pub(crate) bytes_down: AtomicU64,
}

/// Adds `n` to a counter; counters are independent so relaxed ordering is enough.
pub(crate) fn bump(counter: &AtomicU64, n: u64) {
    counter.fetch_add(n, Ordering::Relaxed);
}

impl Counters {
    /// Reads every counter.
    pub(crate) fn snapshot(&self) -> Stats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        Stats {
            requests: get(&self.requests),
            dropped_requests: get(&self.dropped_requests),
            cut_request_bodies: get(&self.cut_request_bodies),
            dropped_responses: get(&self.dropped_responses),
            duplicated: get(&self.duplicated),
            reordered: get(&self.reordered),
            cut_response_bodies: get(&self.cut_response_bodies),
            link_cuts: get(&self.link_cuts),
            bytes_up: get(&self.bytes_up),
            bytes_down: get(&self.bytes_down),
        }
    }
}

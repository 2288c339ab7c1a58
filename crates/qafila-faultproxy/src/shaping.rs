//! Link shaping: a token bucket per direction, and metering of every byte that crosses the client link.

use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncWrite, AsyncWriteExt};

use crate::stats::{Counters, bump};

/// Largest single read or write when the link is not shaped.
pub(crate) const UNSHAPED_CHUNK: usize = 64 * 1024;

/// A token bucket that lets callers go into debt and then sleep it off, so concurrent users queue fairly.
#[derive(Debug)]
pub(crate) struct TokenBucket {
    rate: f64,
    burst: f64,
    state: Mutex<BucketState>,
}

#[derive(Debug)]
struct BucketState {
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    /// A bucket refilling at `rate` bytes per second; `rate` must be positive.
    pub(crate) fn new(rate: u64) -> Self {
        let rate = rate.max(1) as f64;
        // A small burst (1/50 s of traffic) keeps the rate honest over short transfers such as a 200 kB upload.
        let burst = (rate / 50.0).clamp(512.0, 16.0 * 1024.0);
        TokenBucket {
            rate,
            burst,
            state: Mutex::new(BucketState {
                tokens: burst,
                last: Instant::now(),
            }),
        }
    }

    /// How many bytes to move at once so that traffic is smooth rather than bursty.
    pub(crate) fn chunk(&self) -> usize {
        self.burst as usize
    }

    /// Takes `n` tokens, sleeping until the debt they leave is paid.
    pub(crate) async fn take(&self, n: usize) {
        let wait = {
            // A poisoned lock only means another task panicked mid-update; the numbers are still usable.
            let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
            let now = Instant::now();
            let refill = now.duration_since(s.last).as_secs_f64() * self.rate;
            s.tokens = (s.tokens + refill).min(self.burst);
            s.last = now;
            s.tokens -= n as f64;
            if s.tokens < 0.0 { -s.tokens / self.rate } else { 0.0 }
        };
        if wait > 0.0 {
            tokio::time::sleep(Duration::from_secs_f64(wait)).await;
        }
    }
}

/// Meters one direction of the client link: shapes it and counts its bytes.
#[derive(Clone, Debug)]
pub(crate) struct Meter {
    bucket: Option<Arc<TokenBucket>>,
    counters: Arc<Counters>,
    pick: fn(&Counters) -> &AtomicU64,
}

impl Meter {
    /// A meter drawing on `bucket` (if shaped) and counting into the counter that `pick` chooses.
    pub(crate) fn new(
        bucket: Option<Arc<TokenBucket>>,
        counters: Arc<Counters>,
        pick: fn(&Counters) -> &AtomicU64,
    ) -> Self {
        Meter { bucket, counters, pick }
    }

    /// How many bytes to move at once.
    pub(crate) fn chunk(&self) -> usize {
        self.bucket.as_ref().map_or(UNSHAPED_CHUNK, |b| b.chunk())
    }

    /// Accounts for `n` bytes that crossed the link, waiting as long as the bandwidth demands.
    pub(crate) async fn pass(&self, n: usize) {
        bump((self.pick)(&self.counters), n as u64);
        if let Some(b) = &self.bucket {
            b.take(n).await;
        }
    }

    /// Writes `data` through the meter, in chunks so shaping spreads it over time.
    pub(crate) async fn write_all<W: AsyncWrite + Unpin>(&self, w: &mut W, data: &[u8]) -> std::io::Result<()> {
        for piece in data.chunks(self.chunk().max(1)) {
            if let Some(b) = &self.bucket {
                b.take(piece.len()).await;
            }
            // Counted before the write so a client that has read the reply always sees it in the stats.
            bump((self.pick)(&self.counters), piece.len() as u64);
            w.write_all(piece).await?;
        }
        w.flush().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn bucket_enforces_rate() {
        let b = TokenBucket::new(100_000);
        let start = Instant::now();
        for _ in 0..10 {
            b.take(5_000).await;
        }
        // 50 kB at 100 kB/s, less the initial 2 kB burst.
        assert!(start.elapsed() >= Duration::from_millis(400), "{:?}", start.elapsed());
    }
}

//! Bounds on what clients can make the server hold: memory for request bodies, time for slow
//! clients, and the number of connections. A van fleet back from a drive uploads at once; a stuck
//! or hostile client must not starve the others.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::{Semaphore, SemaphorePermit};

/// Configurable limits (`[limits]` in server.toml).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Memory, in MiB, that request bodies being read and processed may hold at once; requests
    /// beyond it wait their turn before their body is read.
    pub memory_budget_mib: u32,
    /// Seconds a client has to send a request's headers (also bounds idle keep-alive connections).
    pub header_timeout_s: u64,
    /// Seconds a request may take from its headers to its response (a body trickled slowly ends here).
    pub request_timeout_s: u64,
    /// Connections served at once; more wait in the listen queue.
    pub max_connections: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            memory_budget_mib: 256,
            header_timeout_s: 30,
            request_timeout_s: 300,
            max_connections: 2048,
        }
    }
}

impl Limits {
    /// The header timeout.
    pub fn header_timeout(&self) -> Duration {
        Duration::from_secs(self.header_timeout_s.max(1))
    }

    /// The request timeout.
    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout_s.max(1))
    }
}

const MIB: u64 = 1024 * 1024;

/// The memory budget: a semaphore counted in MiB.
pub struct Budget {
    permits: Semaphore,
    total: u32,
}

impl Budget {
    /// A budget of `mib` MiB (at least 1).
    pub fn new(mib: u32) -> Budget {
        let total = mib.max(1);
        Budget {
            permits: Semaphore::new(total as usize),
            total,
        }
    }

    /// Waits until `bytes` fit in the budget and holds them until the permit drops. A request
    /// larger than the whole budget takes all of it, so it runs alone rather than never.
    pub async fn reserve(&self, bytes: u64) -> SemaphorePermit<'_> {
        let mib = bytes.div_ceil(MIB).clamp(1, u64::from(self.total)) as u32;
        self.permits
            .acquire_many(mib)
            .await
            .expect("the budget's semaphore is never closed")
    }

    /// MiB free right now (for metrics and tests).
    pub fn available_mib(&self) -> usize {
        self.permits.available_permits()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn reservations_wait_for_room_and_oversized_ones_take_everything() {
        let b = Budget::new(10);
        let a = b.reserve(4 * MIB).await;
        assert_eq!(b.available_mib(), 6);
        let big = tokio::time::timeout(Duration::from_millis(50), b.reserve(7 * MIB)).await;
        assert!(big.is_err(), "7 MiB fitted in the 6 left");
        drop(a);
        let all = b.reserve(1000 * MIB).await;
        assert_eq!(b.available_mib(), 0);
        drop(all);
        assert_eq!(b.available_mib(), 10);
        let _tiny = b.reserve(1).await;
        assert_eq!(b.available_mib(), 9, "a byte still costs one MiB");
    }
}

//! Freeze rules: a van that has not synced for too long, or holds too many unsynced enrollments,
//! warns and then stops taking new enrollments, so that a lost laptop never holds weeks of work.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::settings::FreezeLimits;

/// Where the van stands against its freeze limits.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Freeze {
    /// `ok`, `warn` or `blocked`.
    pub state: &'static str,
    /// Whole days since the last sync (or since the oldest unsynced enrollment when the van never
    /// synced); `None` when there is nothing to measure from.
    pub days_since_sync: Option<i64>,
    /// Enrollments not yet receipted by a center.
    pub unsynced: i64,
    /// Which limits were reached: `days_without_sync`, `unsynced_enrollments`.
    pub reasons: Vec<&'static str>,
}

/// Applies the limits. `since` is the last sync, or the oldest unsynced enrollment.
pub fn assess(limits: &FreezeLimits, since: Option<DateTime<Utc>>, unsynced: i64, now: DateTime<Utc>) -> Freeze {
    // A clock set back before the last sync must not read as a fresh sync forever: count from zero.
    let days = since.map(|s| (now - s).num_days().max(0));
    let mut state = "ok";
    let mut reasons = Vec::new();
    let mut level = |value: i64, warn: u32, block: u32, reason: &'static str| {
        if value >= i64::from(block) {
            state = "blocked";
            reasons.push(reason);
        } else if value >= i64::from(warn) {
            if state == "ok" {
                state = "warn";
            }
            reasons.push(reason);
        }
    };
    // Days only count while something is waiting: an empty van is never frozen.
    if unsynced > 0
        && let Some(d) = days
    {
        level(d, limits.warn_days, limits.block_days, "days_without_sync");
    }
    level(
        unsynced,
        limits.warn_unsynced,
        limits.block_unsynced,
        "unsynced_enrollments",
    );
    Freeze {
        state,
        days_since_sync: days,
        unsynced,
        reasons,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn limits() -> FreezeLimits {
        FreezeLimits {
            warn_days: 3,
            block_days: 5,
            warn_unsynced: 80,
            block_unsynced: 100,
        }
    }

    #[test]
    fn levels() {
        let now = Utc::now();
        let day = chrono::Duration::days(1);
        assert_eq!(assess(&limits(), Some(now - day), 5, now).state, "ok");
        assert_eq!(assess(&limits(), Some(now - day * 3), 5, now).state, "warn");
        let f = assess(&limits(), Some(now - day * 6), 5, now);
        assert_eq!((f.state, f.reasons.clone()), ("blocked", vec!["days_without_sync"]));
        assert_eq!(assess(&limits(), Some(now - day * 30), 0, now).state, "ok");
        let f = assess(&limits(), None, 100, now);
        assert_eq!((f.state, f.reasons), ("blocked", vec!["unsynced_enrollments"]));
        // A clock far behind the last sync counts as zero days, not as negative ones.
        assert_eq!(
            assess(&limits(), Some(now + day * 400), 5, now).days_since_sync,
            Some(0)
        );
    }

    proptest! {
        #[test]
        fn more_waiting_never_relaxes_the_state(days in 0i64..60, a in 0i64..300, b in 0i64..300) {
            let now = Utc::now();
            let since = Some(now - chrono::Duration::days(days));
            let rank = |s: &str| match s { "ok" => 0, "warn" => 1, _ => 2 };
            let (lo, hi) = (a.min(b), a.max(b));
            prop_assert!(rank(assess(&limits(), since, lo, now).state) <= rank(assess(&limits(), since, hi, now).state));
        }
    }
}

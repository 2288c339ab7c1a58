//! The faults chosen for one request.

use std::time::Duration;

use crate::config::Faults;
use crate::rng::SplitMix64;

/// What will be done to one request, drawn before it is handled.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Plan {
    pub(crate) drop_request: bool,
    /// Where to cut the request, as a fraction in `[0, 1)` of its body; `None` to send it whole.
    pub(crate) cut_request_at: Option<f64>,
    pub(crate) drop_response: bool,
    pub(crate) duplicate: bool,
    pub(crate) reorder: bool,
    pub(crate) delay: Duration,
    /// Where to cut the response, as a fraction in `[0, 1)` of its body; `None` to send it whole.
    pub(crate) cut_response_at: Option<f64>,
}

impl Plan {
    /// Whether the request itself goes through untouched (no drop, cut, duplicate, reordering or
    /// extra delay), so it can be streamed upstream as it arrives.
    pub(crate) fn leaves_request_alone(&self) -> bool {
        !self.drop_request && self.cut_request_at.is_none() && !self.duplicate && !self.reorder && self.delay.is_zero()
    }

    /// Draws the plan for request number `index`.
    ///
    /// Each request has its own stream keyed by its number, and every draw is made whatever the earlier ones gave,
    /// so one probability does not shift the choices made for another.
    pub(crate) fn draw(faults: &Faults, seed: u64, index: u64) -> Plan {
        let mut rng = SplitMix64::for_index(seed, index);
        let drop_request = rng.chance(faults.drop_request);
        let cut_request = rng.chance(faults.cut_request_body);
        let cut_request_frac = rng.next_f64();
        let drop_response = rng.chance(faults.drop_response);
        let duplicate = rng.chance(faults.duplicate);
        let reorder = rng.chance(faults.reorder);
        let delay = rng.duration_between(faults.delay.0, faults.delay.1);
        let cut_response = rng.chance(faults.cut_response_body);
        let cut_response_frac = rng.next_f64();
        Plan {
            drop_request,
            cut_request_at: cut_request.then_some(cut_request_frac),
            drop_response,
            duplicate,
            reorder,
            delay,
            cut_response_at: cut_response.then_some(cut_response_frac),
        }
    }
}

/// Where to cut a message of `total` bytes whose head is `head_len` bytes long: inside the body if there is one,
/// else inside the head, so the peer always gets a strict prefix.
pub(crate) fn cut_point(head_len: usize, total: usize, frac: f64) -> usize {
    let (base, span) = if total > head_len {
        (head_len, total - head_len)
    } else {
        (0, head_len.min(total))
    };
    let offset = (frac.clamp(0.0, 1.0) * span as f64) as usize;
    base + offset.min(span.saturating_sub(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_faults_draw_nothing() {
        for i in 0..1000 {
            assert_eq!(Plan::draw(&Faults::default(), 42, i), Plan::default());
        }
    }

    #[test]
    fn draws_are_reproducible() {
        let f = Faults {
            duplicate: 0.5,
            delay: (Duration::ZERO, Duration::from_millis(10)),
            ..Faults::default()
        };
        for i in 0..100 {
            assert_eq!(Plan::draw(&f, 1, i), Plan::draw(&f, 1, i));
        }
    }

    #[test]
    fn cuts_are_strict_prefixes() {
        assert_eq!(cut_point(10, 20, 0.0), 10);
        assert_eq!(cut_point(10, 20, 0.999_999), 19);
        assert_eq!(cut_point(10, 20, 1.0), 19);
        assert_eq!(cut_point(10, 10, 0.5), 5);
        assert_eq!(cut_point(10, 10, 0.999), 9);
        assert_eq!(cut_point(0, 0, 0.5), 0);
    }
}

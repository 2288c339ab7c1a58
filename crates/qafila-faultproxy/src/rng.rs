//! A small deterministic random source (SplitMix64), so a seed fixes every choice.

use std::time::Duration;

/// Scrambles a 64-bit value; the SplitMix64 output function.
pub(crate) fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// SplitMix64 generator.
#[derive(Clone, Debug)]
pub(crate) struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator starting from `seed`.
    pub(crate) fn new(seed: u64) -> Self {
        SplitMix64 { state: seed }
    }

    /// An independent stream for item `index` under `seed`.
    ///
    /// Seeds are scrambled rather than offset so that neighbouring streams do not overlap, which they would if
    /// stream k+1 started where stream k took its second step.
    pub(crate) fn for_index(seed: u64, index: u64) -> Self {
        SplitMix64::new(mix64(seed ^ mix64(index.wrapping_add(0x5851_F42D_4C95_7F2D))))
    }

    /// The next 64 random bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix64(self.state)
    }

    /// A uniform float in `[0, 1)`.
    pub(crate) fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// True with probability `p`; NaN and negative values count as 0.
    pub(crate) fn chance(&mut self, p: f64) -> bool {
        self.next_f64() < p
    }

    /// A uniform integer in `[0, n)`, or 0 when `n` is 0.
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// A uniform duration between `a` and `b`, in either order.
    pub(crate) fn duration_between(&mut self, a: Duration, b: Duration) -> Duration {
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        let span = (hi - lo).as_nanos().min(u128::from(u64::MAX)) as u64;
        lo + Duration::from_nanos(self.below(span.saturating_add(1)))
    }

    /// An exponentially distributed duration with the given mean, capped so a huge draw cannot overflow.
    pub(crate) fn exponential(&mut self, mean: Duration) -> Duration {
        let u = self.next_f64();
        let factor = -(1.0 - u).ln();
        let secs = (mean.as_secs_f64() * factor).min(1.0e9);
        Duration::try_from_secs_f64(secs).unwrap_or(Duration::ZERO)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream() {
        let mut a = SplitMix64::new(7);
        let mut b = SplitMix64::new(7);
        for _ in 0..100 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
    }

    #[test]
    fn chance_matches_probability() {
        let mut r = SplitMix64::new(1);
        let hits = (0..100_000).filter(|_| r.chance(0.25)).count();
        assert!((23_000..27_000).contains(&hits), "{hits}");
        assert!(!(0..1000).any(|_| r.chance(0.0)));
        assert!((0..1000).all(|_| r.chance(1.0)));
        assert!(!r.chance(f64::NAN));
    }

    #[test]
    fn ranges_stay_in_bounds() {
        let mut r = SplitMix64::new(2);
        for _ in 0..1000 {
            assert!(r.below(10) < 10);
            let d = r.duration_between(Duration::from_millis(5), Duration::from_millis(9));
            assert!(d >= Duration::from_millis(5) && d <= Duration::from_millis(9));
        }
        assert_eq!(r.below(0), 0);
        assert_eq!(r.duration_between(Duration::ZERO, Duration::ZERO), Duration::ZERO);
    }

    #[test]
    fn exponential_has_roughly_its_mean() {
        let mut r = SplitMix64::new(3);
        let total: f64 = (0..20_000)
            .map(|_| r.exponential(Duration::from_secs(1)).as_secs_f64())
            .sum();
        let mean = total / 20_000.0;
        assert!((0.9..1.1).contains(&mean), "{mean}");
    }

    #[test]
    fn index_streams_differ() {
        let a = SplitMix64::for_index(9, 1).next_u64();
        let b = SplitMix64::for_index(9, 2).next_u64();
        assert_ne!(a, b);
    }
}

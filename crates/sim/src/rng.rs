//! Named, seeded random streams. Every random choice in a run comes from one of these.
//!
//! Each purpose ("net.latency", "node/3", ...) gets its own ChaCha8 stream whose key is derived from
//! (root seed, purpose). Drawing more numbers for one purpose never shifts another purpose's draws,
//! which keeps replays and shrinking stable when a scenario changes in one place.

use crate::hash::{avalanche, StableHasher};
use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};
use std::hash::Hasher;

/// Derives independent random streams from one root seed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RngStreams {
    seed: u64,
}

impl RngStreams {
    /// Streams for the run with this root seed.
    pub fn new(seed: u64) -> Self {
        RngStreams { seed }
    }

    /// The root seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The stream for `purpose`; the same (seed, purpose) always gives the same stream.
    pub fn stream(&self, purpose: &str) -> DetRng {
        self.indexed(purpose, 0)
    }

    /// The stream for the `index`-th member of a family, e.g. `indexed("node", 3)`.
    pub fn indexed(&self, purpose: &str, index: u64) -> DetRng {
        let mut key = [0u8; 32];
        for (lane, chunk) in key.chunks_exact_mut(8).enumerate() {
            let mut hasher = StableHasher::new();
            hasher.write_u64(self.seed);
            hasher.write(purpose.as_bytes());
            hasher.write_u64(index);
            hasher.write_u64(lane as u64);
            chunk.copy_from_slice(&avalanche(hasher.finish()).to_le_bytes());
        }
        DetRng {
            inner: ChaCha8Rng::from_seed(key),
        }
    }
}

/// A deterministic random stream with the draws simulations need.
///
/// All conversions use integer arithmetic or exactly rounded float operations, so the same stream
/// yields the same values on every platform.
#[derive(Clone, Debug)]
pub struct DetRng {
    inner: ChaCha8Rng,
}

impl DetRng {
    /// A stream seeded directly; prefer [`RngStreams`] so that purposes stay independent.
    pub fn from_seed(seed: u64) -> Self {
        RngStreams::new(seed).stream("")
    }

    /// The next 64 random bits.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.inner.next_u64()
    }

    /// A uniform integer in `0..n`; `n` must be positive (0 yields 0).
    #[inline]
    pub fn below(&mut self, n: u64) -> u64 {
        if n <= 1 {
            return 0;
        }
        // Lemire's multiply-and-reject: unbiased, one draw in the common case. The rejection
        // threshold (a division) is below `n`, so it is only computed when the low half is too.
        let mut product = u128::from(self.next_u64()) * u128::from(n);
        if (product as u64) < n {
            let threshold = n.wrapping_neg() % n;
            while (product as u64) < threshold {
                product = u128::from(self.next_u64()) * u128::from(n);
            }
        }
        (product >> 64) as u64
    }

    /// A uniform integer in `low..=high` (returns `low` if `high < low`).
    pub fn between(&mut self, low: u64, high: u64) -> u64 {
        if high <= low {
            return low;
        }
        match (high - low).checked_add(1) {
            Some(span) => low + self.below(span),
            None => self.next_u64(),
        }
    }

    /// A uniform float in `[0, 1)` with 53 random bits.
    #[inline]
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// True with probability `p` (0 never, 1 always).
    #[inline]
    pub fn chance(&mut self, p: f64) -> bool {
        if p <= 0.0 {
            return false;
        }
        self.unit() < p
    }

    /// A uniform pick from a non-empty slice; `None` when it is empty.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        if items.is_empty() {
            return None;
        }
        items.get(self.below(items.len() as u64) as usize)
    }

    /// Shuffles `items` in place (Fisher–Yates).
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_and_purpose_give_the_same_stream() {
        let a: Vec<u64> = (0..4)
            .map(|_| RngStreams::new(7).stream("net").next_u64())
            .collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
    }

    #[test]
    fn purposes_and_seeds_are_independent() {
        let streams = RngStreams::new(7);
        let mut net = streams.stream("net");
        let mut faults = streams.stream("faults");
        assert_ne!(net.next_u64(), faults.next_u64());
        assert_ne!(
            RngStreams::new(7).stream("net").next_u64(),
            RngStreams::new(8).stream("net").next_u64()
        );
        assert_ne!(
            streams.indexed("node", 1).next_u64(),
            streams.indexed("node", 2).next_u64()
        );
    }

    #[test]
    fn drawing_from_one_purpose_does_not_shift_another() {
        let streams = RngStreams::new(42);
        let undisturbed = streams.stream("workload").next_u64();
        let mut net = streams.stream("net");
        for _ in 0..1000 {
            net.next_u64();
        }
        assert_eq!(streams.stream("workload").next_u64(), undisturbed);
    }

    #[test]
    fn bounded_draws_stay_in_range_and_cover_it() {
        let mut rng = DetRng::from_seed(1);
        let mut seen = [false; 6];
        for _ in 0..600 {
            let v = rng.between(10, 15);
            assert!((10..=15).contains(&v));
            seen[(v - 10) as usize] = true;
        }
        assert!(seen.iter().all(|s| *s));
        assert_eq!(rng.below(0), 0);
        assert_eq!(rng.between(5, 5), 5);
        assert!(!rng.chance(0.0));
        assert!(rng.chance(1.0));
    }
}

//! Lifeguard (Dadgar, Phillips, Currey: "Lifeguard: Local Health Awareness for More Accurate
//! Failure Detection", as in HashiCorp memberlist): the arithmetic of its local health multiplier
//! and of its dynamic suspicion timeout. The SWIM state machine ([`crate::swim`]) decides when to
//! apply them.
//!
//! Everything here uses `+ - * /` on `f64` only (a series for `ln`), so every platform computes
//! the same timeouts whatever its libm.

use crate::config::DynamicSuspicion;

/// The local health multiplier: a score in `0..max` that rises when this node misses acks and
/// nacks it should have had, or has to refute a suspicion of itself, and falls with each probe
/// answered in time. Timeouts scale by `score + 1`: a node that is itself slow waits longer
/// before it blames others.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct LocalHealth {
    score: u32,
    max: u32,
}

impl LocalHealth {
    /// A healthy node (score 0); `max` >= 1 is the largest multiplier (memberlist: 8).
    pub(crate) fn new(max: u32) -> Self {
        Self { score: 0, max }
    }

    /// Adds `delta` to the score, kept within `0..max`.
    pub(crate) fn apply(&mut self, delta: i64) {
        let score = (i64::from(self.score) + delta).clamp(0, i64::from(self.max) - 1);
        self.score = score as u32;
    }

    /// `timeout` stretched by the node's health: `timeout * (score + 1)`.
    pub(crate) fn scale(&self, timeout: u64) -> u64 {
        timeout.saturating_mul(u64::from(self.score) + 1)
    }

    /// The current score.
    pub(crate) fn score(&self) -> u32 {
        self.score
    }
}

/// The suspicion timeout after `confirmations` independent accusers besides the first, in a
/// cluster of `members` (this node included), for a base timeout `base`: memberlist's
/// `min = base * max(1, log10 n)`, `max = max_mult * min`, then
/// `max - (max - min) * ln(c + 1) / ln(k + 1)`, never below `min`, where `k` is the number of
/// confirmations that drive it to `min` (0 when the cluster is too small to supply them).
pub(crate) fn suspicion_timeout(
    base: u64,
    members: usize,
    confirmations: usize,
    rule: DynamicSuspicion,
) -> u64 {
    let scale = (ln(members.max(1) as f64) / ln(10.0)).max(1.0);
    let min = base as f64 * scale;
    let max = min * f64::from(rule.max_mult);
    let k = if members.saturating_sub(2) < rule.confirmations as usize {
        0
    } else {
        rule.confirmations
    };
    if k == 0 {
        return min.round() as u64;
    }
    let fraction = ln(confirmations as f64 + 1.0) / ln(f64::from(k) + 1.0);
    (max - fraction * (max - min)).max(min).round() as u64
}

/// Natural logarithm of `x > 0` from `+ - * /` only: `x = m * 2^e` with `m` in `[1, 2)`, then
/// `ln m = 2 atanh((m - 1) / (m + 1))` by its series (|z| <= 1/3: 30 terms are exact to f64).
fn ln(x: f64) -> f64 {
    const LN_2: f64 = std::f64::consts::LN_2;
    let (mut m, mut e) = (x, 0i32);
    while m >= 2.0 {
        m /= 2.0;
        e += 1;
    }
    while m < 1.0 {
        m *= 2.0;
        e -= 1;
    }
    let z = (m - 1.0) / (m + 1.0);
    let (z2, mut term, mut sum) = (z * z, z, 0.0);
    for i in 0..30 {
        sum += term / f64::from(2 * i + 1);
        term *= z2;
    }
    f64::from(e) * LN_2 + 2.0 * sum
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: u64 = 1_000_000_000;
    const RULE: DynamicSuspicion = DynamicSuspicion {
        max_mult: 6,
        confirmations: 2,
    };

    #[test]
    fn ln_matches_the_library_to_rounding() {
        for x in [1e-3, 0.5, 1.0, 2.0, 3.0, 10.0, 1000.0, 1e6] {
            assert!((ln(x) - x.ln()).abs() < 1e-12, "{x}");
        }
    }

    #[test]
    fn suspicion_shrinks_from_max_to_min_with_confirmations_and_grows_with_log_n() {
        // 100 members: min = 2 * base, max = 6 * min.
        let t = |c| suspicion_timeout(SEC, 100, c, RULE);
        assert_eq!(t(0), 12 * SEC);
        assert!(t(1) < t(0) && t(1) > t(2));
        assert_eq!(t(2), 2 * SEC);
        assert_eq!(t(5), 2 * SEC, "never below min");
        // Small clusters scale by 1; 1,000 members by 3.
        assert_eq!(suspicion_timeout(SEC, 5, 2, RULE), SEC);
        assert_eq!(suspicion_timeout(SEC, 1000, 2, RULE), 3 * SEC);
        // Too few members to confirm: straight to min.
        assert_eq!(suspicion_timeout(SEC, 3, 0, RULE), SEC);
    }

    #[test]
    fn local_health_stays_in_range_and_scales_timeouts() {
        let mut h = LocalHealth::new(8);
        h.apply(-1);
        assert_eq!(h.score(), 0);
        h.apply(3);
        assert_eq!(h.scale(100), 400);
        h.apply(100);
        assert_eq!(h.score(), 7);
        assert_eq!(h.scale(100), 800);
    }
}

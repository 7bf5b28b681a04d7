//! Theoretical gossip convergence curves to overlay (dashed) on measured ones: mean-field
//! recursions for synchronous rounds in a cluster of `n` nodes where one node starts informed.
//!
//! With `x` the informed fraction, `u = 1 - x`, `f` the fanout and `m = n - 1` possible peers:
//! - push: an uninformed node escapes all `f·n·x` pushes: `u' = u · (1 - 1/m)^(f·n·x)`;
//! - pull: each of its `f` pulls finds an uninformed peer: `u' = u · (1 - n·x/m)^f`;
//! - push-pull: both at once: the product of the two factors;
//! - rumor mongering (Demers et al., coin variant): infective nodes push to `f` peers per round
//!   and lose interest with probability `1/k` per contact (blind) or per contact with an
//!   already-informed peer (feedback); some nodes may never hear the rumor.

use crate::ReportError;

/// The dissemination scheme whose curve to compute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dissemination {
    /// Anti-entropy, push.
    Push,
    /// Anti-entropy, pull.
    Pull,
    /// Anti-entropy, push-pull.
    PushPull,
    /// Rumor mongering, coin loss of interest with parameter `k`.
    Rumor {
        /// Loss-of-interest parameter (at least 1).
        k: u32,
        /// Interest is lost only on useless contacts (feedback) rather than on every one (blind).
        feedback: bool,
    },
}

/// Expected fraction of informed nodes after each round `0..=rounds`, as `(round, fraction)`
/// points; round 0 has one informed node. Errors if `n < 2`, `fanout == 0` or `k == 0`.
pub fn convergence_curve(
    scheme: Dissemination,
    n: usize,
    fanout: u32,
    rounds: usize,
) -> Result<Vec<(f64, f64)>, ReportError> {
    if n < 2 || fanout == 0 {
        return Err(ReportError::input(format!(
            "need n >= 2 and fanout >= 1, got n={n}, fanout={fanout}"
        )));
    }
    if let Dissemination::Rumor { k: 0, .. } = scheme {
        return Err(ReportError::input("rumor mongering needs k >= 1"));
    }
    let (nf, f, m) = (n as f64, f64::from(fanout), (n - 1) as f64);
    let mut u = 1.0 - 1.0 / nf; // uninformed
    let mut hot = 1.0 / nf; // rumor: still spreading
    let mut points = vec![(0.0, 1.0 - u)];
    for round in 1..=rounds {
        let x = 1.0 - u;
        let missed_push = |spreaders: f64| (1.0 - 1.0 / m).powf(f * nf * spreaders);
        let missed_pull = (1.0 - (nf * x / m).min(1.0)).powf(f);
        u = match scheme {
            Dissemination::Push => u * missed_push(x),
            Dissemination::Pull => u * missed_pull,
            Dissemination::PushPull => u * missed_push(x) * missed_pull,
            Dissemination::Rumor { k, feedback } => {
                let newly = u * (1.0 - missed_push(hot));
                let lose = if feedback {
                    x / f64::from(k)
                } else {
                    1.0 / f64::from(k)
                };
                hot = hot * (1.0 - lose).powf(f) + newly;
                u - newly
            }
        };
        points.push((round as f64, 1.0 - u));
    }
    Ok(points)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rounds_to_all(scheme: Dissemination, n: usize) -> usize {
        let curve = convergence_curve(scheme, n, 1, 200).unwrap();
        // Less than half a node expected to be uninformed.
        curve
            .iter()
            .position(|&(_, x)| (1.0 - x) * (n as f64) < 0.5)
            .unwrap()
    }

    #[test]
    fn curves_start_at_one_node_and_only_grow() {
        let schemes = [
            Dissemination::Push,
            Dissemination::Pull,
            Dissemination::PushPull,
            Dissemination::Rumor {
                k: 2,
                feedback: true,
            },
            Dissemination::Rumor {
                k: 2,
                feedback: false,
            },
        ];
        for scheme in schemes {
            let c = convergence_curve(scheme, 100, 1, 40).unwrap();
            assert_eq!(c.len(), 41);
            assert!((c[0].1 - 0.01).abs() < 1e-12);
            assert!(
                c.windows(2).all(|w| w[1].1 >= w[0].1 && w[1].1 <= 1.0),
                "{scheme:?}"
            );
        }
    }

    #[test]
    fn push_takes_about_log2_n_plus_ln_n_rounds() {
        // Pittel (1987): push needs log2(n) + ln(n) + O(1) rounds.
        for n in [256usize, 1024, 16384] {
            let expected = (n as f64).log2() + (n as f64).ln();
            let got = rounds_to_all(Dissemination::Push, n) as f64;
            assert!(
                (got - expected).abs() <= 2.0,
                "n={n}: {got} rounds vs {expected:.1}"
            );
        }
    }

    #[test]
    fn push_pull_is_fastest_and_pull_finishes_faster_than_push() {
        for n in [64usize, 1024] {
            let (push, pull, both) = (
                rounds_to_all(Dissemination::Push, n),
                rounds_to_all(Dissemination::Pull, n),
                rounds_to_all(Dissemination::PushPull, n),
            );
            assert!(
                both < pull && pull < push,
                "n={n}: push {push}, pull {pull}, push-pull {both}"
            );
        }
        // Higher fanout spreads faster.
        let f1 = convergence_curve(Dissemination::Push, 1000, 1, 8).unwrap();
        let f3 = convergence_curve(Dissemination::Push, 1000, 3, 8).unwrap();
        assert!(f3[8].1 > f1[8].1);
    }

    #[test]
    fn rumor_residue_follows_demers_and_shrinks_with_k() {
        // Demers et al.: with feedback and coin, the fraction never informed is the solution s
        // of s = exp(-(k + 1)(1 - s)) (about 0.2 for k = 1, 0.06 for k = 2).
        let mut last = 1.0;
        for k in 1..=4u32 {
            let c = convergence_curve(Dissemination::Rumor { k, feedback: true }, 10_000, 1, 400)
                .unwrap();
            let residue = 1.0 - c.last().unwrap().1;
            let mut s: f64 = 0.5;
            for _ in 0..200 {
                s = (-(f64::from(k) + 1.0) * (1.0 - s)).exp();
            }
            assert!(
                (residue - s).abs() < 0.35 * s,
                "k={k}: residue {residue:.4} vs {s:.4}"
            );
            assert!(residue < last);
            last = residue;
        }
        // Blind loss of interest leaves more nodes uninformed than feedback.
        let blind = convergence_curve(
            Dissemination::Rumor {
                k: 2,
                feedback: false,
            },
            10_000,
            1,
            400,
        )
        .unwrap();
        let fed = convergence_curve(
            Dissemination::Rumor {
                k: 2,
                feedback: true,
            },
            10_000,
            1,
            400,
        )
        .unwrap();
        assert!(blind.last().unwrap().1 < fed.last().unwrap().1);
    }

    #[test]
    fn bad_parameters_are_errors() {
        assert!(convergence_curve(Dissemination::Push, 1, 1, 5).is_err());
        assert!(convergence_curve(Dissemination::Push, 10, 0, 5).is_err());
        assert!(convergence_curve(
            Dissemination::Rumor {
                k: 0,
                feedback: true
            },
            10,
            1,
            5
        )
        .is_err());
    }
}

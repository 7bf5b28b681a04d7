//! Swarm testing (Groce et al., ISSTA 2012): before drawing any fault, each seed draws which
//! fault kinds are in play at all and the configuration over the whole range the core accepts.
//! Leaving features out per seed is what makes rare interactions (a restart during a lease,
//! tight timeouts under pre-vote) common: a seed without partitions is one where restarts and
//! elections get all the fault budget.
//!
//! Every draw comes from its own stream of the seed, `fuzz.swarm.<purpose>`, so adding a draw
//! never shifts another.

use super::template::{EpisodeKind, FuzzSpec, KindWeights};
use crate::scenario::{ProtocolSpec, RaftSpec, ReadMode, Scenario, Span};
use faultline_sim::{DetRng, RngStreams};
use serde::{Deserialize, Serialize};
use std::time::Duration;

const MS: u64 = 1_000_000;

/// The `fuzz.swarm` block of a template.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SwarmSpec {
    /// Chance that each fault kind with a positive weight is in play for a seed (at least one
    /// always is); the kinds left out get weight 0 for that seed.
    pub keep_kind: f64,
    /// Cluster sizes to draw from, `[min, max]` (both included).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nodes: Option<[u32; 2]>,
    /// Raft timing drawn per seed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raft: Option<RaftSwarm>,
    /// Chance that each ranged draw (cluster size, Raft timing) lands on an
    /// end of its range instead of inside it, half of it on each end: the bounds are where
    /// rare interactions live (an election timeout at the core's lower bound, a drift bound of
    /// 0, the smallest cluster). 0, the default, draws uniformly.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub edges: f64,
    /// The fault mix drawn per seed: each kept kind's weight is doubled or halved `k` times,
    /// `k` a whole number drawn in `[-reweigh, reweigh]`, so some seeds are mostly restarts,
    /// others mostly partitions. 0, the default, keeps the template's weights.
    #[serde(default, skip_serializing_if = "is_zero_count")]
    pub reweigh: u32,
}

fn is_zero(value: &f64) -> bool {
    *value == 0.0
}

fn is_zero_count(value: &u32) -> bool {
    *value == 0
}

/// Most doublings (or halvings) `reweigh` may ask for.
const MAX_REWEIGH: u32 = 10;

/// Raft timing drawn per seed: the heartbeat, the election timeout as a multiple of it, and
/// the lease's drift bound as a fraction of the minimum election timeout.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RaftSwarm {
    /// Heartbeat interval, `[min, max]` (whole milliseconds).
    pub heartbeat: [Span; 2],
    /// Minimum election timeout in heartbeats, `[low, high]` (above 1: the core needs the
    /// heartbeat to be shorter).
    pub election_heartbeats: [f64; 2],
    /// Width of the election timeout range as a fraction of its minimum, `[low, high]`
    /// (0: every server times out after exactly the minimum).
    pub election_spread: [f64; 2],
    /// With lease reads: the drift bound as a fraction of the minimum election timeout,
    /// `[low, high]` within `[0, 1)`. Clock faults are then kept within it (see
    /// `lease_clock_rates`).
    pub drift: [f64; 2],
}

/// Checks the block; errors name the field under `swarm`.
pub fn validate(spec: &SwarmSpec, raft: bool) -> Result<(), (String, String)> {
    if !(0.0..=1.0).contains(&spec.keep_kind) {
        return Err((
            "swarm.keep_kind".into(),
            format!(
                "expected a probability in [0, 1], found {:?}",
                spec.keep_kind
            ),
        ));
    }
    validate_draws(spec)?;
    if let Some([low, high]) = spec.nodes {
        if low == 0 || low > high || high > crate::scenario::MAX_NODES {
            return Err((
                "swarm.nodes".into(),
                format!(
                    "expected [min, max] with 1 <= min <= max <= {}, found [{low}, {high}]",
                    crate::scenario::MAX_NODES
                ),
            ));
        }
    }
    let Some(timing) = &spec.raft else {
        return Ok(());
    };
    if !raft {
        return Err((
            "swarm.raft".into(),
            "applies only to the raft protocol".into(),
        ));
    }
    let [hb_low, hb_high] = timing.heartbeat;
    if hb_low.nanos() < MS || hb_low > hb_high {
        return Err((
            "swarm.raft.heartbeat".into(),
            format!("expected [min, max] with 1ms <= min <= max, found [{hb_low}, {hb_high}]"),
        ));
    }
    for (field, [low, high], floor, ceiling) in [
        (
            "election_heartbeats",
            timing.election_heartbeats,
            1.0,
            1000.0,
        ),
        ("election_spread", timing.election_spread, 0.0, 10.0),
        ("drift", timing.drift, 0.0, 0.99),
    ] {
        let open_floor = field == "election_heartbeats";
        let low_ok = if open_floor {
            low > floor
        } else {
            low >= floor
        };
        if !low.is_finite() || !high.is_finite() || !low_ok || low > high || high > ceiling {
            let bound = if open_floor { "(" } else { "[" };
            return Err((
                format!("swarm.raft.{field}"),
                format!("expected [low, high] with low <= high within {bound}{floor}, {ceiling}], found [{low}, {high}]"),
            ));
        }
    }
    Ok(())
}

/// Checks `edges` and `reweigh`.
fn validate_draws(spec: &SwarmSpec) -> Result<(), (String, String)> {
    if !(0.0..=1.0).contains(&spec.edges) {
        return Err((
            "swarm.edges".into(),
            format!("expected a probability in [0, 1], found {:?}", spec.edges),
        ));
    }
    if spec.reweigh > MAX_REWEIGH {
        return Err((
            "swarm.reweigh".into(),
            format!(
                "expected a whole number of doublings in [0, {MAX_REWEIGH}], found {}",
                spec.reweigh
            ),
        ));
    }
    Ok(())
}

/// The seed's scenario and fuzz block after the swarm draws: fault kinds left out (and the
/// others reweighed), cluster size and Raft timing set (the expansion then keeps clock rates
/// within a lease's drift bound, swarm or not). A draw that would make the scenario invalid is skipped (the field
/// keeps its value), so every expansion is valid.
pub fn apply(
    spec: &SwarmSpec,
    fuzz: &FuzzSpec,
    mut scenario: Scenario,
    seed: u64,
) -> (Scenario, FuzzSpec) {
    let streams = RngStreams::new(seed);
    let draw = Ranged { edges: spec.edges };
    let fuzz = draw_fuzz(spec, fuzz, &streams);
    if let Some([low, high]) = spec.nodes {
        let mut candidate = scenario.clone();
        candidate.cluster.nodes = draw.whole(
            u64::from(low),
            u64::from(high),
            &mut streams.stream("fuzz.swarm.nodes"),
        ) as u32;
        scenario = valid_or(candidate, scenario);
    }
    if let (Some(timing), ProtocolSpec::Raft(raft)) = (&spec.raft, &scenario.protocol) {
        let mut candidate = scenario.clone();
        candidate.protocol = ProtocolSpec::Raft(draw_raft(timing, draw, raft.clone(), &streams));
        scenario = valid_or(candidate, scenario);
    }
    (scenario, fuzz)
}

/// The fuzz block of one seed: the kinds in play and their weights.
fn draw_fuzz(spec: &SwarmSpec, fuzz: &FuzzSpec, streams: &RngStreams) -> FuzzSpec {
    let mut fuzz = fuzz.clone();
    fuzz.kinds = keep_kinds(
        &fuzz.kinds,
        spec.keep_kind,
        &mut streams.stream("fuzz.swarm.kinds"),
    );
    if spec.reweigh > 0 {
        fuzz.kinds = reweigh(
            &fuzz.kinds,
            spec.reweigh,
            &mut streams.stream("fuzz.swarm.mix"),
        );
    }
    fuzz
}

/// Ranged draws that land on an end of the range with chance `edges` (half on each end).
#[derive(Clone, Copy)]
struct Ranged {
    edges: f64,
}

impl Ranged {
    /// `Some(true)` for the low end, `Some(false)` for the high end, `None` for inside. No
    /// draw at all when `edges` is 0, so a template without it draws as before.
    fn edge(self, rng: &mut DetRng) -> Option<bool> {
        if self.edges <= 0.0 {
            return None;
        }
        let point = rng.unit();
        (point < self.edges).then_some(point < self.edges / 2.0)
    }

    /// A whole number in `[low, high]`.
    fn whole(self, low: u64, high: u64, rng: &mut DetRng) -> u64 {
        match self.edge(rng) {
            Some(true) => low,
            Some(false) => high,
            None => rng.between(low, high),
        }
    }

    /// A number in `[low, high]`.
    fn real(self, [low, high]: [f64; 2], rng: &mut DetRng) -> f64 {
        match self.edge(rng) {
            Some(true) => low,
            Some(false) => high,
            None => low + (high - low) * rng.unit(),
        }
    }
}

/// Each weight doubled or halved `k` times, `k` drawn in `[-doublings, doublings]`: one draw
/// per kind, weighted or not, so the kinds' draws do not shift one another.
fn reweigh(kinds: &KindWeights, doublings: u32, rng: &mut DetRng) -> KindWeights {
    let weights: Vec<f64> = kinds
        .in_order()
        .iter()
        .map(|&w| {
            let k = rng.between(0, 2 * u64::from(doublings)) as i32 - doublings as i32;
            w * 2f64.powi(k)
        })
        .collect();
    KindWeights::from_order(&weights)
}

fn valid_or(candidate: Scenario, fallback: Scenario) -> Scenario {
    match crate::scenario::validate(&candidate) {
        Ok(()) => candidate,
        Err(_) => fallback,
    }
}

/// Each kind with a positive weight kept with chance `keep`; if none is, the first kind drawn
/// at random among the weighted ones. One draw per kind, whether weighted or not (but the
/// storage and churn kinds' only when weighted), so a weight changed in a template leaves the other
/// kinds' draws as they were.
fn keep_kinds(kinds: &KindWeights, keep: f64, rng: &mut DetRng) -> KindWeights {
    let weights = kinds.in_order();
    let mut kept: Vec<f64> = weights
        .iter()
        .zip(EpisodeKind::ALL)
        .map(|(&w, kind)| {
            // The kinds added last draw their coin only when weighted, so templates without
            // them keep every draw (and pinned hash) they had before them.
            let coin = w > 0.0 || !kind.coin_only_when_weighted();
            if coin && rng.chance(keep) {
                w
            } else {
                0.0
            }
        })
        .collect();
    if kept.iter().all(|&w| w <= 0.0) {
        let weighted: Vec<usize> = (0..weights.len()).filter(|&i| weights[i] > 0.0).collect();
        if let Some(&i) = rng.pick(&weighted) {
            kept[i] = weights[i];
        }
    }
    KindWeights::from_order(&kept)
}

fn draw_raft(
    timing: &RaftSwarm,
    draw: Ranged,
    mut raft: RaftSpec,
    streams: &RngStreams,
) -> RaftSpec {
    let [hb_low, hb_high] = timing.heartbeat;
    let heartbeat = draw
        .whole(
            hb_low.nanos() / MS,
            hb_high.nanos() / MS,
            &mut streams.stream("fuzz.swarm.raft.heartbeat"),
        )
        .max(1);
    let mut election = streams.stream("fuzz.swarm.raft.election");
    let multiple = draw.real(timing.election_heartbeats, &mut election);
    // At least one millisecond above the heartbeat, as the core requires.
    let min = ((heartbeat as f64 * multiple) as u64).max(heartbeat + 1);
    let max = min + (min as f64 * draw.real(timing.election_spread, &mut election)) as u64;
    raft.heartbeat = ms(heartbeat);
    raft.election_timeout = [ms(min), ms(max)];
    if raft.reads == ReadMode::Lease {
        let fraction = draw.real(timing.drift, &mut streams.stream("fuzz.swarm.raft.drift"));
        raft.max_clock_drift = Some(ms((min as f64 * fraction) as u64));
    }
    raft
}

fn ms(count: u64) -> Span {
    Span(Duration::from_millis(count))
}

/// Clock rates within `rates` that keep a lease safe: a lease lasts `min - drift` on the
/// leader's clock, a follower's promise `min` on its own, so two clocks at rates `slow` and
/// `fast` must satisfy `fast / slow <= min / (min - drift)`. The range is centred on 1 and
/// narrowed to that ratio (with a margin for the three decimals a drawn rate is rounded to).
pub fn lease_clock_rates(raft: &RaftSpec, [slow, fast]: [f64; 2]) -> [f64; 2] {
    let min = raft.election_timeout[0].nanos() as f64;
    let drift = raft
        .max_clock_drift
        .map_or(min / 10.0, |d| d.nanos() as f64);
    let ratio = min / (min - drift).max(1.0);
    let half = ratio.sqrt();
    let low = ((1.0 / half) * 1000.0).ceil() / 1000.0 + 0.001;
    let high = (half * 1000.0).floor() / 1000.0 - 0.001;
    if low > high {
        return [1.0, 1.0];
    }
    [slow.max(low).min(1.0), fast.min(high).max(1.0)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_least_one_kind_is_kept_and_only_weighted_ones() {
        let kinds = KindWeights {
            crash: 1.0,
            partition: 2.0,
            ..KindWeights::default()
        };
        for seed in 0..200 {
            let kept = keep_kinds(&kinds, 0.1, &mut DetRng::from_seed(seed));
            let weights = kept.in_order();
            assert!(weights.iter().any(|&w| w > 0.0), "seed {seed} kept nothing");
            assert_eq!(kept.pause, 0.0);
            assert!(kept.crash == 0.0 || kept.crash == 1.0);
        }
    }

    #[test]
    fn edges_land_on_the_ends_and_cost_no_draw_when_off() {
        let ends = Ranged { edges: 1.0 };
        let mut rng = DetRng::from_seed(3);
        let drawn: Vec<u64> = (0..100).map(|_| ends.whole(3, 7, &mut rng)).collect();
        assert!(drawn.iter().all(|&n| n == 3 || n == 7));
        assert!(drawn.contains(&3) && drawn.contains(&7));
        let off = Ranged { edges: 0.0 };
        let (mut a, mut b) = (DetRng::from_seed(5), DetRng::from_seed(5));
        for _ in 0..100 {
            assert_eq!(off.whole(3, 7, &mut a), b.between(3, 7));
            assert_eq!(off.real([0.5, 2.0], &mut a), 0.5 + 1.5 * b.unit());
        }
    }

    #[test]
    fn reweighing_scales_each_weight_by_a_power_of_two_within_bounds() {
        let kinds = KindWeights {
            crash: 1.0,
            storm: 2.0,
            ..KindWeights::default()
        };
        let mut seen = std::collections::BTreeSet::new();
        for seed in 0..200 {
            let mixed = reweigh(&kinds, 3, &mut DetRng::from_seed(seed));
            assert_eq!(mixed.pause, 0.0, "an unweighted kind stays out");
            let factor = mixed.crash;
            assert!((1.0 / 8.0..=8.0).contains(&factor), "{factor}");
            assert_eq!(factor.log2().fract(), 0.0);
            seen.insert(factor.to_bits());
        }
        assert_eq!(seen.len(), 7, "every factor from 1/8 to 8 is drawn");
    }

    #[test]
    fn lease_clock_rates_keep_the_ratio_within_the_drift_bound() {
        let spec: RaftSpec = serde_json::from_value(serde_json::json!({
            "election_timeout": ["100ms", "200ms"], "heartbeat": "20ms",
            "reads": "lease", "max_clock_drift": "30ms"
        }))
        .unwrap();
        let [slow, fast] = lease_clock_rates(&spec, [0.5, 2.0]);
        assert!(slow < 1.0 && fast > 1.0);
        assert!(fast / slow <= 100.0 / 70.0, "{slow} {fast}");
        let tight = RaftSpec {
            max_clock_drift: Some(ms(0)),
            ..spec
        };
        assert_eq!(lease_clock_rates(&tight, [0.5, 2.0]), [1.0, 1.0]);
    }
}

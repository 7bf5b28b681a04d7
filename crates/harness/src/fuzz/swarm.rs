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
}

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
    /// [`lease_clock_rates`]).
    pub drift: [f64; 2],
}

/// Checks the block; errors name the field under `swarm`.
pub fn validate(spec: &SwarmSpec, raft: bool) -> Result<(), (String, String)> {
    if !(0.0..=1.0).contains(&spec.keep_kind) {
        return Err((
            "swarm.keep_kind".into(),
            format!("expected a probability in [0, 1], found {}", spec.keep_kind),
        ));
    }
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

/// The seed's scenario and fuzz block after the swarm draws: cluster size and Raft timing set,
/// fault kinds left out, clock rates kept within a lease's drift bound. A draw that would make
/// the scenario invalid is skipped (the field keeps its value), so every expansion is valid.
pub fn apply(
    spec: &SwarmSpec,
    fuzz: &FuzzSpec,
    mut scenario: Scenario,
    seed: u64,
) -> (Scenario, FuzzSpec) {
    let streams = RngStreams::new(seed);
    let mut fuzz = fuzz.clone();
    fuzz.kinds = keep_kinds(
        &fuzz.kinds,
        spec.keep_kind,
        &mut streams.stream("fuzz.swarm.kinds"),
    );
    if let Some([low, high]) = spec.nodes {
        let mut candidate = scenario.clone();
        candidate.cluster.nodes = streams
            .stream("fuzz.swarm.nodes")
            .between(u64::from(low), u64::from(high)) as u32;
        scenario = valid_or(candidate, scenario);
    }
    if let (Some(timing), ProtocolSpec::Raft(raft)) = (&spec.raft, &scenario.protocol) {
        let mut candidate = scenario.clone();
        candidate.protocol = ProtocolSpec::Raft(draw_raft(timing, raft.clone(), &streams));
        scenario = valid_or(candidate, scenario);
    }
    if let ProtocolSpec::Raft(raft) = &scenario.protocol {
        if raft.reads == ReadMode::Lease {
            fuzz.clock_rate = lease_clock_rates(raft, fuzz.clock_rate);
        }
    }
    (scenario, fuzz)
}

fn valid_or(candidate: Scenario, fallback: Scenario) -> Scenario {
    match crate::scenario::validate(&candidate) {
        Ok(()) => candidate,
        Err(_) => fallback,
    }
}

/// Each kind with a positive weight kept with chance `keep`; if none is, the first kind drawn
/// at random among the weighted ones. One draw per kind, whether weighted or not (but the
/// storage kind's only when weighted), so a weight changed in a template leaves the other
/// kinds' draws as they were.
fn keep_kinds(kinds: &KindWeights, keep: f64, rng: &mut DetRng) -> KindWeights {
    let weights = kinds.in_order();
    let mut kept: Vec<f64> = weights
        .iter()
        .zip(EpisodeKind::ALL)
        .map(|(&w, kind)| {
            // The storage kind, added last, draws its coin only when weighted, so templates
            // without it keep every draw (and pinned hash) they had before it.
            let coin = w > 0.0 || kind != EpisodeKind::Disk;
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

fn draw_raft(timing: &RaftSwarm, mut raft: RaftSpec, streams: &RngStreams) -> RaftSpec {
    let [hb_low, hb_high] = timing.heartbeat;
    let heartbeat = streams
        .stream("fuzz.swarm.raft.heartbeat")
        .between(hb_low.nanos() / MS, hb_high.nanos() / MS)
        .max(1);
    let mut election = streams.stream("fuzz.swarm.raft.election");
    let multiple = in_range(timing.election_heartbeats, &mut election);
    // At least one millisecond above the heartbeat, as the core requires.
    let min = ((heartbeat as f64 * multiple) as u64).max(heartbeat + 1);
    let max = min + (min as f64 * in_range(timing.election_spread, &mut election)) as u64;
    raft.heartbeat = ms(heartbeat);
    raft.election_timeout = [ms(min), ms(max)];
    if raft.reads == ReadMode::Lease {
        let fraction = in_range(timing.drift, &mut streams.stream("fuzz.swarm.raft.drift"));
        raft.max_clock_drift = Some(ms((min as f64 * fraction) as u64));
    }
    raft
}

fn in_range([low, high]: [f64; 2], rng: &mut DetRng) -> f64 {
    low + (high - low) * rng.unit()
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

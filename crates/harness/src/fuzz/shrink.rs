//! Shrinking a failing scenario: remove and weaken fault episodes, shorten the run, shrink the
//! cluster and the load, for as long as one of the originally failing checks still fails.

use crate::report::CheckKind;
use crate::scenario::{episodes, validate, Episode, FaultSpec, ProtocolSpec, Scenario, Span};
use crate::{run, RunOptions};
use std::collections::BTreeSet;
use std::time::Duration;

/// A smaller scenario that fails the same way, and how it was reached.
#[derive(Clone, Debug)]
pub struct Shrunk {
    /// The minimal scenario found.
    pub scenario: Scenario,
    /// The checks it still fails (a subset of the original failures, never empty).
    pub failing: Vec<String>,
    /// One line per accepted reduction, in order.
    pub steps: Vec<String>,
    /// Scenario runs spent.
    pub runs: usize,
}

/// Most runs one shrink may spend.
pub const MAX_SHRINK_RUNS: usize = 400;

/// The failing checks of `scenario`, or an empty list when it passes.
pub fn failing_checks(scenario: &Scenario) -> std::io::Result<Vec<String>> {
    let report = run(scenario, RunOptions::default())?;
    Ok(report
        .failed_checks()
        .into_iter()
        .map(String::from)
        .collect())
}

/// Whether a reduction may leave a fault in place for good.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Repairs {
    /// Yes: the target is a safety check, which a fault left in place cannot break by itself.
    MayDrop,
    /// No: the target is a liveness check, which any fault left in place breaks by itself
    /// (a cut never repaired keeps a leader from being elected whatever the bug).
    Keep,
}

/// The checks a shrink must keep failing: the failed safety checks if any (the finding that
/// matters; a liveness failure beside one is often its consequence), else the failed
/// liveness checks, with repairs kept. Empty when the scenario passes.
fn targets(scenario: &Scenario) -> std::io::Result<(Vec<String>, Repairs)> {
    let report = run(scenario, RunOptions::default())?;
    let failed = |kind| -> Vec<String> {
        let checks = report.checks.iter().filter(|c| !c.ok && c.kind == kind);
        checks.map(|c| c.name.clone()).collect()
    };
    let safety = failed(CheckKind::Safety);
    Ok(if safety.is_empty() {
        (failed(CheckKind::Liveness), Repairs::Keep)
    } else {
        (safety, Repairs::MayDrop)
    })
}

/// Shrinks `scenario` greedily; `None` when it does not fail in the first place.
pub fn shrink(scenario: &Scenario) -> std::io::Result<Option<Shrunk>> {
    let (targets, repairs) = targets(scenario)?;
    if targets.is_empty() {
        return Ok(None);
    }
    let tail = scenario.duration.0.saturating_sub(last_fault(scenario).0);
    let mut current = scenario.clone();
    let mut failing = targets.clone();
    let mut steps = Vec::new();
    let mut runs = 1;
    // Where the last accepted reduction sat in the list: the next round starts there (and
    // wraps around), so a run of single-episode removals does not retry the halves, quarters,
    // ... before each one. Every candidate is still tried before the shrink gives up.
    let mut resume_at = 0;
    'reduce: while runs < MAX_SHRINK_RUNS {
        let mut candidates = reductions(&current, tail, repairs);
        let from = resume_at.min(candidates.len());
        candidates.rotate_left(from);
        let count = candidates.len();
        for (position, (step, candidate)) in candidates.into_iter().enumerate() {
            if validate(&candidate).is_err() {
                continue;
            }
            runs += 1;
            let now_failing: Vec<String> = failing_checks(&candidate)?
                .into_iter()
                .filter(|c| targets.contains(c))
                .collect();
            if !now_failing.is_empty() {
                current = candidate;
                failing = now_failing;
                steps.push(step);
                resume_at = (position + from) % count.max(1);
                continue 'reduce;
            }
            if runs >= MAX_SHRINK_RUNS {
                break 'reduce;
            }
        }
        break;
    }
    current.name = format!("{}-min", scenario.name);
    current.description = format!(
        "Shrunk from {} ({} faults, {} nodes, {}): still fails {}.",
        scenario.name,
        scenario.faults.len(),
        scenario.cluster.nodes,
        scenario.duration,
        failing.join(", ")
    );
    Ok(Some(Shrunk {
        scenario: current,
        failing,
        steps,
        runs,
    }))
}

/// When the last fault is over (zero without faults): a self-repairing leader fault counts
/// until its repair.
fn last_fault(scenario: &Scenario) -> Span {
    scenario
        .faults
        .iter()
        .map(FaultSpec::repaired_at)
        .max()
        .unwrap_or_default()
}

/// Candidate reductions of `scenario`, biggest first, each with a line saying what it removed.
fn reductions(scenario: &Scenario, tail: Duration, repairs: Repairs) -> Vec<(String, Scenario)> {
    let mut out = fewer_episodes(scenario);
    // Shorter run: half, but keeping the original quiet time after the last fault, so that
    // liveness checks are judged as fairly as in the original.
    let half = Span(scenario.duration.0 / 2)
        .max(Span(last_fault(scenario).0 + tail))
        .max(Span(Duration::from_millis(100)));
    if half < scenario.duration {
        let mut shorter = scenario.clone();
        shorter.duration = half;
        out.push((
            format!("shortened the run from {} to {half}", scenario.duration),
            shorter,
        ));
    }
    out.extend(smaller_cluster(scenario));
    out.extend(lighter_load(scenario));
    // Weaker faults: episodes made permanent or shorter, loss bursts halved.
    out.extend(weaker_episodes(scenario, repairs));
    for (index, fault) in scenario.faults.iter().enumerate() {
        if let Some((step, weaker_fault)) = fault.weakened() {
            let mut weaker = scenario.clone();
            weaker.faults[index] = weaker_fault;
            out.push((step, weaker));
        }
    }
    out.extend(reseeded_removals(scenario));
    out
}

/// How many other seeds a last-resort episode removal tries.
const RESEEDS: u64 = 4;

/// Last resort, once nothing else shrinks: each single episode removed under each of the next
/// [`RESEEDS`] seeds. Removing an episode changes which messages are sent, so every later
/// network draw (latency, loss) shifts and a failure that hinged on one late delay is lost;
/// under another seed the same shorter fault list often fails the same way again. The seed is
/// part of the scenario, so the result still replays.
fn reseeded_removals(scenario: &Scenario) -> Vec<(String, Scenario)> {
    let mut out = Vec::new();
    for episode in episodes(&scenario.faults) {
        let gone: BTreeSet<usize> = episode.indices().collect();
        let fewer = without_faults(scenario, &gone);
        for offset in 1..=RESEEDS {
            let mut reseeded = fewer.clone();
            reseeded.seed = scenario.seed.wrapping_add(offset);
            out.push((
                format!(
                    "removed {} under seed {}",
                    describe_episode(scenario, &episode),
                    reseeded.seed
                ),
                reseeded,
            ));
        }
    }
    out
}

/// Smaller cluster: the highest node dropped from every fault, and faults left meaningless.
fn smaller_cluster(scenario: &Scenario) -> Option<(String, Scenario)> {
    if scenario.cluster.nodes <= 1 {
        return None;
    }
    let gone = scenario.cluster.nodes;
    let mut smaller = scenario.clone();
    smaller.cluster.nodes -= 1;
    smaller.faults = smaller
        .faults
        .into_iter()
        .filter_map(|f| f.without_node(gone))
        .collect();
    for members in smaller.cluster.zones.values_mut() {
        members.retain(|n| *n != gone);
    }
    if let ProtocolSpec::Raft(raft) = &mut smaller.protocol {
        if let Some(members) = raft.initial_members.as_mut() {
            members.retain(|n| *n != gone);
        }
    }
    Some((
        format!("removed node {gone} (cluster of {})", gone - 1),
        smaller,
    ))
}

/// Lighter load: half the operations, or one client fewer.
fn lighter_load(scenario: &Scenario) -> Vec<(String, Scenario)> {
    let mut out = Vec::new();
    let Some(workload) = &scenario.workload else {
        return out;
    };
    if workload.ops > 1 {
        let mut lighter = scenario.clone();
        if let Some(w) = lighter.workload.as_mut() {
            w.ops /= 2;
        }
        out.push((
            format!(
                "halved the operations ({} -> {})",
                workload.ops,
                workload.ops / 2
            ),
            lighter,
        ));
    }
    if workload.clients > 1 {
        let mut fewer = scenario.clone();
        if let Some(w) = fewer.workload.as_mut() {
            w.clients -= 1;
        }
        out.push((
            format!(
                "removed a client ({} -> {})",
                workload.clients,
                workload.clients - 1
            ),
            fewer,
        ));
    }
    out
}

/// Whole episodes removed (a fault with its repair), delta-debugging style: each half of the
/// episodes, then each quarter, and so on down to each episode alone.
fn fewer_episodes(scenario: &Scenario) -> Vec<(String, Scenario)> {
    let all = episodes(&scenario.faults);
    let mut out = Vec::new();
    let mut size = all.len().div_ceil(2);
    while size >= 1 {
        for chunk in all.chunks(size) {
            let gone: BTreeSet<usize> = chunk.iter().flat_map(Episode::indices).collect();
            let step = match chunk {
                [one] => format!("removed {}", describe_episode(scenario, one)),
                _ => format!("removed {} episodes ({} faults)", chunk.len(), gone.len()),
            };
            out.push((step, without_faults(scenario, &gone)));
        }
        if size == 1 {
            break;
        }
        size = size.div_ceil(2);
    }
    out
}

/// Episodes made permanent (the repair removed: one fault fewer; only where `repairs`
/// allows) or half as long.
fn weaker_episodes(scenario: &Scenario, repairs: Repairs) -> Vec<(String, Scenario)> {
    let mut out = Vec::new();
    for episode in episodes(&scenario.faults) {
        let Some(repair) = episode.repair else {
            continue;
        };
        let cause = &scenario.faults[episode.cause];
        if repairs == Repairs::MayDrop {
            out.push((
                format!("kept {} without its repair", cause.describe()),
                without_faults(scenario, &BTreeSet::from([repair])),
            ));
        }
        let length = scenario.faults[repair].at.0.saturating_sub(cause.at.0);
        let half = Duration::from_millis((length.as_millis() / 2) as u64);
        if half >= Duration::from_millis(1) {
            let mut shorter = scenario.clone();
            shorter.faults[repair].at = Span(cause.at.0 + half);
            shorter.faults.sort_by_key(|f| f.at);
            out.push((
                format!(
                    "halved {} to {}",
                    describe_episode(scenario, &episode),
                    Span(half)
                ),
                shorter,
            ));
        }
    }
    out
}

/// `scenario` without the faults at `indices`.
fn without_faults(scenario: &Scenario, indices: &BTreeSet<usize>) -> Scenario {
    let mut fewer = scenario.clone();
    fewer.faults = scenario
        .faults
        .iter()
        .enumerate()
        .filter(|(i, _)| !indices.contains(i))
        .map(|(_, f)| f.clone())
        .collect();
    fewer
}

/// One line for an episode: its cause, and when it was repaired.
fn describe_episode(scenario: &Scenario, episode: &Episode) -> String {
    let cause = scenario.faults[episode.cause].describe();
    match episode.repair {
        Some(repair) => format!("{cause} (repaired at {})", scenario.faults[repair].at),
        None => cause,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::parse;
    use std::path::Path;

    /// A restart storm of twelve crash/restart pairs and, just before the end, a partition the
    /// nodes cannot have noticed yet: only the partition matters, and whole-episode removal
    /// finds it in about a dozen runs.
    #[test]
    fn a_storm_around_the_one_fault_that_matters_shrinks_to_that_fault() {
        let mut faults: Vec<String> = (0..12u32)
            .map(|i| {
                let (node, at) = (i % 4 + 2, 200 + 150 * i);
                format!(
                    r#"{{"at": "{at}ms", "crash": {node}}}, {{"at": "{}ms", "restart": {node}}}"#,
                    at + 5
                )
            })
            .collect();
        faults.push(r#"{"at": "3800ms", "partition": [[1], [2, 3, 4, 5]]}"#.into());
        let text = format!(
            r#"{{"version": 1, "name": "storm", "seed": 3, "duration": "4s",
                "protocol": {{"heartbeat": {{"interval": "50ms", "timeout": "400ms"}}}},
                "cluster": {{"nodes": 5}}, "network": {{"latency": ["1ms", "5ms"]}},
                "faults": [{}], "expect": {{"live_nodes_connected": true}}}}"#,
            faults.join(", ")
        );
        let mut scenario = parse(&text, Path::new("storm.json")).unwrap();
        scenario.faults.sort_by_key(|f| f.at);
        let shrunk = shrink(&scenario)
            .unwrap()
            .expect("n1 is still trusted at the end");
        assert_eq!(shrunk.failing, ["live_nodes_connected"]);
        assert_eq!(shrunk.scenario.faults.len(), 1, "{:?}", shrunk.steps);
        assert_eq!(shrunk.scenario.faults[0].field(), "partition");
        assert!(shrunk.runs <= 20, "{} runs", shrunk.runs);
    }

    /// A liveness failure is shrunk with every repair kept: a fault left in place would
    /// break the check by itself, whatever broke it first.
    #[test]
    fn liveness_failures_keep_their_repairs() {
        let text = r#"{"version": 1, "name": "cut", "seed": 3, "duration": "2s",
            "protocol": {"heartbeat": {"interval": "50ms", "timeout": "400ms"}},
            "cluster": {"nodes": 3}, "network": {"latency": ["1ms", "5ms"]},
            "faults": [{"at": "100ms", "crash": 2}, {"at": "200ms", "restart": 2},
                       {"at": "1900ms", "partition": [[1], [2, 3]]}],
            "expect": {"live_nodes_connected": true}}"#;
        let scenario = parse(text, Path::new("cut.json")).unwrap();
        let (targets, repairs) = targets(&scenario).unwrap();
        assert_eq!(
            (targets, repairs),
            (vec!["live_nodes_connected".to_string()], Repairs::Keep)
        );
        let permanent = |repairs| {
            weaker_episodes(&scenario, repairs)
                .iter()
                .filter(|(step, _)| step.contains("without its repair"))
                .count()
        };
        assert_eq!(permanent(Repairs::Keep), 0);
        assert_eq!(permanent(Repairs::MayDrop), 1, "the crash made permanent");
    }

    /// The last-resort removals drop one episode each under each of the next seeds.
    #[test]
    fn reseeded_removals_drop_one_episode_under_each_next_seed() {
        let text = r#"{"version": 1, "name": "two", "seed": 7, "duration": "2s",
            "protocol": {"heartbeat": {"interval": "50ms", "timeout": "400ms"}},
            "cluster": {"nodes": 3},
            "faults": [{"at": "100ms", "crash": 2}, {"at": "200ms", "restart": 2},
                       {"at": "300ms", "crash": 3}, {"at": "400ms", "restart": 3}]}"#;
        let scenario = parse(text, Path::new("two.json")).unwrap();
        let removals = reseeded_removals(&scenario);
        assert_eq!(removals.len(), 2 * RESEEDS as usize);
        for (i, (step, fewer)) in removals.iter().enumerate() {
            assert_eq!(fewer.faults.len(), 2, "{step}");
            assert_eq!(fewer.seed, 7 + 1 + (i as u64 % RESEEDS), "{step}");
        }
    }
}

//! Shrinking a failing scenario: remove and weaken faults, shorten the run, shrink the cluster,
//! for as long as one of the originally failing checks still fails.

use crate::scenario::{validate, FaultSpec, ProtocolSpec, Scenario, Span};
use crate::{run, RunOptions};
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

/// Shrinks `scenario` greedily; `None` when it does not fail in the first place.
pub fn shrink(scenario: &Scenario) -> std::io::Result<Option<Shrunk>> {
    let targets = failing_checks(scenario)?;
    if targets.is_empty() {
        return Ok(None);
    }
    let tail = scenario.duration.0.saturating_sub(last_fault(scenario).0);
    let mut current = scenario.clone();
    let mut failing = targets.clone();
    let mut steps = Vec::new();
    let mut runs = 1;
    'reduce: while runs < MAX_SHRINK_RUNS {
        for (step, candidate) in reductions(&current, tail) {
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

/// When the last fault happens (zero without faults).
fn last_fault(scenario: &Scenario) -> Span {
    scenario
        .faults
        .iter()
        .map(|f| f.at)
        .max()
        .unwrap_or_default()
}

/// Candidate reductions of `scenario`, biggest first, each with a line saying what it removed.
fn reductions(scenario: &Scenario, tail: Duration) -> Vec<(String, Scenario)> {
    let mut out = Vec::new();
    // Fewer faults: the whole list's second half, then each fault alone.
    if scenario.faults.len() > 1 {
        let keep = scenario.faults.len() / 2;
        let mut fewer = scenario.clone();
        let removed = fewer.faults.split_off(keep).len();
        out.push((format!("removed the last {removed} faults"), fewer));
    }
    for index in (0..scenario.faults.len()).rev() {
        let mut fewer = scenario.clone();
        let fault = fewer.faults.remove(index);
        out.push((format!("removed fault {}", describe(&fault)), fewer));
    }
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
    // Smaller cluster: drop the highest node from every fault, and faults left meaningless.
    if scenario.cluster.nodes > 1 {
        let gone = scenario.cluster.nodes;
        let mut smaller = scenario.clone();
        smaller.cluster.nodes -= 1;
        smaller.faults = smaller
            .faults
            .into_iter()
            .filter_map(|f| without_node(f, gone))
            .collect();
        for members in smaller.cluster.zones.values_mut() {
            members.retain(|n| *n != gone);
        }
        if let ProtocolSpec::Raft(raft) = &mut smaller.protocol {
            if let Some(members) = raft.initial_members.as_mut() {
                members.retain(|n| *n != gone);
            }
        }
        out.push((
            format!("removed node {gone} (cluster of {})", gone - 1),
            smaller,
        ));
    }
    // Lighter load: half the operations, one client fewer.
    if let Some(workload) = &scenario.workload {
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
    }
    // Weaker faults: halve loss bursts.
    for (index, fault) in scenario.faults.iter().enumerate() {
        if let Some(drop) = fault
            .network
            .as_ref()
            .and_then(|n| n.drop)
            .filter(|p| *p > 0.05)
        {
            let mut weaker = scenario.clone();
            if let Some(link) = weaker.faults[index].network.as_mut() {
                link.drop = Some(drop / 2.0);
            }
            out.push((
                format!("halved the loss of fault {}", describe(fault)),
                weaker,
            ));
        }
    }
    out
}

/// `fault` with `node` taken out of it, or `None` when nothing meaningful is left.
fn without_node(mut fault: FaultSpec, node: u32) -> Option<FaultSpec> {
    if fault.crash == Some(node)
        || fault.restart == Some(node)
        || fault.clock.as_ref().is_some_and(|c| c.node == node)
    {
        return None;
    }
    if let Some(groups) = fault.partition.as_mut() {
        groups.iter_mut().for_each(|g| g.retain(|n| *n != node));
        groups.retain(|g| !g.is_empty());
        if groups.len() < 2 {
            return None;
        }
    }
    if let Some(cut) = fault.cut.as_mut() {
        cut.from.retain(|n| *n != node);
        cut.to.retain(|n| *n != node);
        if cut.from.is_empty() || cut.to.is_empty() {
            return None;
        }
    }
    if fault.transfer.as_ref().is_some_and(|t| t.to == node) {
        return None;
    }
    if let Some(change) = fault.membership.as_mut() {
        change.add.retain(|n| *n != node);
        change.remove.retain(|n| *n != node);
        if change.add.is_empty() && change.remove.is_empty() {
            return None;
        }
    }
    Some(fault)
}

/// `at 3.2s: crash 2`-style one-line description of a fault.
pub fn describe(fault: &FaultSpec) -> String {
    let action = serde_json::to_value(fault)
        .ok()
        .and_then(|v| v.as_object().cloned())
        .map(|mut object| {
            object.remove("at");
            serde_json::Value::Object(object).to_string()
        })
        .unwrap_or_default();
    format!("at {}: {action}", fault.at)
}

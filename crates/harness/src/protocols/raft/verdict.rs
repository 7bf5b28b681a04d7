//! The end of a Raft run: the client history and its linearizability, liveness after the last
//! fault, the invariants' verdicts, and the summary lines of the report.

use super::actor::Actor;
use super::client::{Outcome, Record};
use super::invariants::Invariant;
use super::kv::OpResult;
use super::watch::Watch;
use crate::report::CheckOutcome;
use crate::scenario::Scenario;
use faultline_check::{check, CheckOptions, History, KvInput, KvModel, KvOutput, Verdict};
use faultline_raft::RaftNode;
use faultline_sim::{NodeId, Simulation, Time};

/// Summary lines and checks of a finished run.
#[derive(Debug, Default)]
pub struct Judgement {
    /// Report lines (label, value).
    pub summary: Vec<(String, String)>,
    /// Verdicts.
    pub checks: Vec<CheckOutcome>,
    /// Every operation's invocation and completion times.
    pub ops: Vec<crate::report::OpTiming>,
    /// Where the run first went wrong.
    pub focus: Option<crate::report::Focus>,
}

/// Judges a finished run.
pub fn judge(scenario: &Scenario, sim: &Simulation<Actor>, watch: &Watch) -> Judgement {
    let records: Vec<Record> = (0..sim.node_count() as u32)
        .filter_map(|i| sim.process(NodeId::new(i)).and_then(Actor::client))
        .flat_map(|c| c.records())
        .collect();
    let ops = records
        .iter()
        .map(|r| crate::report::OpTiming {
            invoke_ns: r.invoke,
            complete_ns: r.complete,
        })
        .collect();
    let count = |o| records.iter().filter(|r| r.outcome == o).count();
    let (ok, failed, unsure) = (
        count(Outcome::Ok),
        count(Outcome::Failed),
        count(Outcome::Indeterminate),
    );
    let never_issued: u32 = (0..sim.node_count() as u32)
        .filter_map(|i| sim.process(NodeId::new(i)).and_then(Actor::client))
        .map(|c| c.never_issued())
        .sum();
    let history = history(&records);
    let verdict = check(&KvModel, &history, &CheckOptions::default());
    let mut j = Judgement {
        ops,
        focus: focus(watch, &verdict),
        ..Judgement::default()
    };
    j.summary.push(("leaders".into(), leaders_line(watch)));
    j.summary.push((
        "ops".into(),
        format!(
            "{ok} ok, {failed} failed, {unsure} indeterminate (of {})",
            records.len()
        ),
    ));
    j.summary
        .push(("history".into(), verdict_line(&verdict, history.len())));
    let broken = watch
        .invariants
        .verdicts()
        .filter(|(_, v)| v.is_some())
        .count();
    j.summary.push((
        "invariants".into(),
        if broken == 0 {
            format!(
                "all {} held over {} steps",
                Invariant::ALL.len(),
                watch.invariants.steps()
            )
        } else {
            format!("{broken} of {} broken", Invariant::ALL.len())
        },
    ));
    j.summary
        .push(("commit".into(), commit_line(sim, scenario.cluster.nodes)));
    if let Some(line) = operator_line(sim) {
        j.summary.push(("operator".into(), line));
    }
    for (name, violation) in watch.invariants.verdicts() {
        j.checks.push(CheckOutcome::new(
            name,
            violation.is_none(),
            violation.unwrap_or("held after every step"),
        ));
    }
    if let Some(broken) = broken_servers(sim, scenario.cluster.nodes) {
        j.checks
            .push(CheckOutcome::new("servers_start", false, broken));
    }
    let expect = &scenario.expect;
    if let Some(want) = expect.linearizable {
        let (ok, detail) = match verdict.linearizable() {
            Some(got) => (got == want, verdict_line(&verdict, history.len())),
            None => (false, "budget exhausted".to_string()),
        };
        j.checks.push(CheckOutcome::new("linearizable", ok, detail));
    }
    if let Some(bound) = expect.leader_within {
        let detail = match watch.leader_at {
            Some(at) => format!(
                "leader {} after the last fault at {}",
                span(at.since(watch.quiet_from).as_nanos() as u64),
                watch.quiet_from
            ),
            None => format!("no leader after the last fault at {}", watch.quiet_from),
        };
        let ok = watch
            .leader_at
            .is_some_and(|at| at.since(watch.quiet_from) <= bound.0);
        j.checks.push(CheckOutcome::new(
            "leader_within",
            ok,
            format!("{detail} (bound {bound})"),
        ));
    }
    if let Some(want) = expect.all_ops_complete {
        let complete = unsure == 0 && never_issued == 0;
        j.checks.push(CheckOutcome::new(
            "all_ops_complete",
            complete == want,
            format!(
                "{} of {} ops completed, {unsure} indeterminate, {never_issued} never issued",
                ok + failed,
                records.len() + never_issued as usize
            ),
        ));
    }
    j
}

/// The checker's history: completed and indeterminate operations (failed ones had no effect).
/// The first broken invariant's step, else the operations a linearizability counterexample
/// names (the one that could not be placed and those still pending then).
fn focus(watch: &Watch, verdict: &Verdict) -> Option<crate::report::Focus> {
    if let Some(at) = watch.first_violation_at {
        let (name, _) = watch.invariants.verdicts().find(|(_, v)| v.is_some())?;
        return Some(crate::report::Focus {
            what: format!("{name} broke"),
            window: (at.as_nanos(), at.as_nanos()),
        });
    }
    let Verdict::NotLinearizable { counterexample } = verdict else {
        return None;
    };
    let ops: Vec<_> = counterexample
        .blocked
        .iter()
        .chain(&counterexample.pending)
        .collect();
    let start = ops.iter().map(|op| op.invoke).min()?;
    let end = ops
        .iter()
        .map(|op| op.complete.unwrap_or(op.invoke))
        .max()?;
    Some(crate::report::Focus {
        what: "operations that cannot be linearized".to_string(),
        window: (start, end),
    })
}

fn history(records: &[Record]) -> History<KvInput, KvOutput> {
    let mut history = History::new();
    for r in records {
        let input = r.op.clone();
        let client = u64::from(r.client);
        match (r.outcome, r.complete, &r.result) {
            (Outcome::Ok, Some(complete), Some(result)) => {
                let output = match result {
                    OpResult::Value(v) => KvOutput::Value(v.clone()),
                    OpResult::Done => KvOutput::Ok,
                    OpResult::Swapped(b) => KvOutput::Cas(*b),
                };
                history.push_complete(client, r.invoke, complete, input, output);
            }
            (Outcome::Indeterminate, _, _) => history.push_indeterminate(client, r.invoke, input),
            _ => {}
        }
    }
    history
}

fn verdict_line(verdict: &Verdict, ops: usize) -> String {
    match verdict {
        Verdict::Linearizable => format!("linearizable ({ops} ops checked)"),
        Verdict::Unknown => format!("unknown: budget exhausted ({ops} ops)"),
        Verdict::NotLinearizable { counterexample } => {
            let text = counterexample.to_string();
            let lines: Vec<&str> = text.lines().map(str::trim).collect();
            format!("NOT linearizable: {}", lines.join(" | "))
        }
    }
}

fn leaders_line(watch: &Watch) -> String {
    const SHOWN: usize = 8;
    let all = &watch.leaders;
    let mut parts: Vec<String> = all
        .iter()
        .skip(all.len().saturating_sub(SHOWN))
        .map(|c| format!("n{} t{} @{}", c.id, c.term, c.at))
        .collect();
    if all.len() > SHOWN {
        parts.insert(0, "...".into());
    }
    format!("{} changes: {}", all.len(), parts.join(", "))
}

fn cores(sim: &Simulation<Actor>, nodes: u32) -> impl Iterator<Item = (u32, &RaftNode)> {
    (0..nodes).filter_map(move |i| {
        sim.process(NodeId::new(i))
            .and_then(Actor::server)
            .map(|s| (i + 1, s.core()))
    })
}

fn commit_line(sim: &Simulation<Actor>, nodes: u32) -> String {
    let commits: Vec<String> = cores(sim, nodes)
        .map(|(id, core)| match core.snapshot().meta.index {
            0 => format!("n{id}:{}", core.commit_index()),
            snap => format!("n{id}:{} (snapshot {snap})", core.commit_index()),
        })
        .collect();
    let max = cores(sim, nodes)
        .map(|(_, c)| c.commit_index())
        .max()
        .unwrap_or(0);
    format!("index {max} (live servers {})", commits.join(" "))
}

fn operator_line(sim: &Simulation<Actor>) -> Option<String> {
    let operator =
        (0..sim.node_count() as u32).find_map(|i| match sim.process(NodeId::new(i)) {
            Some(Actor::Operator(op)) => Some(op),
            _ => None,
        })?;
    let parts: Vec<String> = operator
        .progress()
        .map(|(action, done)| match done {
            Some(at) => format!("{} done at {}", action.label, Time::from_nanos(at)),
            None => format!("{} NOT done", action.label),
        })
        .collect();
    Some(parts.join("; "))
}

fn broken_servers(sim: &Simulation<Actor>, nodes: u32) -> Option<String> {
    (0..nodes).find_map(|i| match sim.process(NodeId::new(i)) {
        Some(Actor::Broken(error)) => Some(error.clone()),
        _ => None,
    })
}

/// Milliseconds with three decimals.
fn span(nanos: u64) -> String {
    format!("{}.{:03}ms", nanos / 1_000_000, nanos / 1000 % 1000)
}

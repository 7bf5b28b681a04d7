//! The end of a Raft run: the client history and its linearizability, liveness after the last
//! fault, the invariants' verdicts, and the summary lines of the report.

use super::actor::Actor;
use super::client::{Client, Outcome, Record};
use super::electable::{self, Ballot, Elector};
use super::expect::RaftExpect;
use super::invariants::Invariant;
use super::kv::OpResult;
use super::server::Server;
use super::watch::Watch;
use crate::protocol::Judgement;
use crate::report::{CheckOutcome, OpTiming};
use crate::scenario::Scenario;
use faultline_check::formats::AnyHistory;
use faultline_check::{check, CheckOptions, History, KvInput, KvModel, KvOutput, Verdict};
use faultline_raft::RaftNode;
use faultline_sim::{NodeId, Simulation, Time};
use std::borrow::Cow;

/// What the client records add up to.
#[derive(Clone, Copy)]
struct Tally {
    ok: usize,
    failed: usize,
    unsure: usize,
    never_issued: u32,
    total: usize,
}

/// Judges a finished run.
pub fn judge(
    scenario: &Scenario,
    expect: &RaftExpect,
    sim: &Simulation<Actor>,
    watch: &Watch,
) -> Judgement {
    let clients = || {
        (0..sim.node_count() as u32)
            .filter_map(|i| sim.process(NodeId::new(i)).and_then(Actor::client))
    };
    let records: Vec<Cow<Record>> = clients().flat_map(Client::records).collect();
    let count = |o| records.iter().filter(|r| r.outcome == o).count();
    let tally = Tally {
        ok: count(Outcome::Ok),
        failed: count(Outcome::Failed),
        unsure: count(Outcome::Indeterminate),
        never_issued: clients().map(|c| c.never_issued()).sum(),
        total: records.len(),
    };
    let history = history(&records);
    let verdict = check(&KvModel, &history, &CheckOptions::default());
    let history_line = verdict_line(&verdict, history.len());
    let mut checks = invariant_checks(scenario, sim, watch);
    let no_quorum = no_quorum_can_vote(sim, scenario.cluster.nodes);
    checks.extend(expectation_checks(
        expect,
        watch,
        no_quorum,
        &verdict,
        &history_line,
        &tally,
    ));
    Judgement {
        summary: summary_lines(scenario, sim, watch, &tally, history_line),
        checks,
        ops: records
            .iter()
            .map(|r| OpTiming {
                invoke_ns: r.invoke,
                complete_ns: r.complete,
            })
            .collect(),
        focus: focus(watch, &verdict),
        history: Some(AnyHistory::Kv(history)),
    }
}

/// The report's lines: leaders, operations, history, invariants, commit, operator.
fn summary_lines(
    scenario: &Scenario,
    sim: &Simulation<Actor>,
    watch: &Watch,
    tally: &Tally,
    history_line: String,
) -> Vec<(String, String)> {
    let Tally {
        ok, failed, unsure, ..
    } = tally;
    let broken = watch
        .invariants
        .verdicts()
        .filter(|(_, v)| v.is_some())
        .count();
    let invariants = if broken == 0 {
        let steps = watch.invariants.steps();
        format!("all {} held over {steps} steps", Invariant::ALL.len())
    } else {
        format!("{broken} of {} broken", Invariant::ALL.len())
    };
    let mut lines = vec![
        ("leaders".to_string(), leaders_line(watch)),
        (
            "ops".into(),
            format!(
                "{ok} ok, {failed} failed, {unsure} indeterminate (of {})",
                tally.total
            ),
        ),
        ("history".into(), history_line),
        ("invariants".into(), invariants),
        ("commit".into(), commit_line(sim, scenario.cluster.nodes)),
    ];
    lines.extend(operator_line(sim).map(|line| ("operator".to_string(), line)));
    lines
}

/// Each invariant's verdict, and whether every server could start.
fn invariant_checks(
    scenario: &Scenario,
    sim: &Simulation<Actor>,
    watch: &Watch,
) -> Vec<CheckOutcome> {
    let mut checks: Vec<CheckOutcome> = watch
        .invariants
        .verdicts()
        .map(|(name, violation)| {
            CheckOutcome::new(
                name,
                violation.is_none(),
                violation.unwrap_or("held after every step"),
            )
        })
        .collect();
    if let Some(broken) = broken_servers(sim, scenario.cluster.nodes) {
        checks.push(CheckOutcome::new("servers_start", false, broken));
    }
    checks
}

/// The scenario's expectations: linearizable, leader within a bound (unless `no_quorum` says
/// why no election could succeed), every operation complete.
fn expectation_checks(
    expect: &RaftExpect,
    watch: &Watch,
    no_quorum: Option<String>,
    verdict: &Verdict,
    history_line: &str,
    tally: &Tally,
) -> Vec<CheckOutcome> {
    let mut checks = Vec::new();
    if let Some(want) = expect.linearizable {
        let (ok, detail) = match verdict.linearizable() {
            Some(got) => (got == want, history_line.to_string()),
            None => (false, "budget exhausted".to_string()),
        };
        checks.push(CheckOutcome::new("linearizable", ok, detail));
    }
    if let Some(bound) = expect.leader_within {
        let detail = match (watch.leader_at, &no_quorum) {
            (Some(at), _) => format!(
                "leader {} after the last fault at {}",
                span(at.since(watch.quiet_from).as_nanos() as u64),
                watch.quiet_from
            ),
            (None, Some(why)) => format!(
                "not required: no leader after the last fault at {}, and none can be elected: {why}",
                watch.quiet_from
            ),
            (None, None) => format!("no leader after the last fault at {}", watch.quiet_from),
        };
        let ok = match watch.leader_at {
            Some(at) => at.since(watch.quiet_from) <= bound.0,
            None => no_quorum.is_some(),
        };
        checks.push(CheckOutcome::liveness(
            "leader_within",
            ok,
            format!("{detail} (bound {bound})"),
        ));
    }
    if let Some(want) = expect.all_ops_complete {
        let Tally {
            ok,
            failed,
            unsure,
            never_issued,
            total,
        } = *tally;
        let complete = unsure == 0 && never_issued == 0;
        checks.push(CheckOutcome::liveness(
            "all_ops_complete",
            complete == want,
            format!(
                "{} of {} ops completed, {unsure} indeterminate, {never_issued} never issued",
                ok + failed,
                total + never_issued as usize
            ),
        ));
    }
    checks
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

fn history(records: &[Cow<Record>]) -> History<KvInput, KvOutput> {
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
        Verdict::Unknown(why) => format!("unknown: {why} ({ops} ops)"),
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

/// Why no election can succeed, if none can: some running server is fenced after storage
/// damage (protocol-aware recovery: it does not campaign, and votes only for some logs or for
/// nobody), and no running server that campaigns would get the votes of a quorum of its own
/// configuration (both halves in joint consensus), judged from the durable logs and ballots
/// (see [`electable::wins_votes`]). With no leader, no log changes and a fence lifts only once
/// a leader has caught its server up, so with no leader since the last fault (no crash or
/// restart since) none could ever be elected; a server that lost its state rejoins through a
/// membership change, which no fault undoes. Then `leader_within` does not apply.
fn no_quorum_can_vote(sim: &Simulation<Actor>, nodes: u32) -> Option<String> {
    let server = |i: u32| sim.process(NodeId::new(i)).and_then(Actor::server);
    let electors: Vec<Option<Elector>> = (0..nodes)
        .map(|i| {
            let ballot = server(i)?.ballot();
            let log = sim.durable(NodeId::new(i))?;
            Some(Elector { log, ballot })
        })
        .collect();
    let running: Vec<(&Server, Elector)> = (0..nodes)
        .filter_map(|i| Some((server(i)?, electors[i as usize]?)))
        .collect();
    let fenced: Vec<String> = running
        .iter()
        .filter(|(_, e)| e.ballot != Ballot::Free)
        .map(|(s, e)| format!("n{} ({})", s.core().id(), describe(e.ballot)))
        .collect();
    let electable = running.iter().any(|(s, own)| {
        let config = s.core().config();
        let id = s.core().id();
        let voter = config.voters.contains(&id) || config.outgoing.contains(&id);
        own.ballot == Ballot::Free && voter && electable::wins_votes(own.log, config, &electors)
    });
    (!fenced.is_empty() && !electable).then(|| {
        format!(
            "{} fenced by storage damage until a leader catches it up, and no server that campaigns has the votes of a quorum of its configuration",
            fenced.join(", ")
        )
    })
}

/// Whom a fenced server votes for, in words.
fn describe(ballot: Ballot) -> String {
    match ballot {
        Ballot::Free => "votes freely".to_string(),
        Ballot::AtLeast((term, index)) => {
            format!("votes only for a log at least as up to date as term {term}, index {index}")
        }
        Ballot::Never => "lost its vote or its log's end: votes for nobody".to_string(),
    }
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

//! Raft clusters under the kernel: server adapters around the sans-IO core, a key-value state
//! machine with client sessions, simulated clients, an operator for membership changes and
//! transfers, online safety invariants, and the end-of-run verdicts (linearizability of the
//! client history, liveness after the last fault).

pub mod actor;
pub mod aimed;
pub mod client;
pub mod electable;
pub mod expect;
pub mod invariants;
pub mod kv;
pub mod msg;
pub mod operator;
pub mod persist;
pub mod server;
pub mod setup;
pub mod spec;
pub mod verdict;
pub mod wal;
pub mod watch;

use crate::driver::{build, end_time, finish, RunOptions};
use crate::report::RunReport;
use crate::scenario::{RaftSpec, Scenario};
use actor::Actor;
use faultline_sim::Time;
use operator::Operator;
use watch::Watch;

/// The outcome of a Raft run, beyond the generic report: what experiments read.
pub struct RaftRun {
    /// The generic report (checks, counters, trace hash).
    pub report: RunReport,
    /// Every leadership change, in order.
    pub leaders: Vec<watch::LeaderChange>,
}

/// Runs a Raft scenario: servers n1..nN, clients c1..cK, and the operator `op` when the
/// scenario has membership changes or transfers.
pub fn run(
    scenario: &Scenario,
    spec: &RaftSpec,
    options: RunOptions,
) -> std::io::Result<RunReport> {
    simulate(scenario, spec, options).map(|run| run.report)
}

/// Runs a Raft scenario and keeps the leadership history.
pub fn simulate(
    scenario: &Scenario,
    spec: &RaftSpec,
    mut options: RunOptions,
) -> std::io::Result<RaftRun> {
    let expect = expect::RaftExpect::of(scenario)?;
    let nodes = scenario.cluster.nodes;
    let servers: Vec<_> = (1..=nodes)
        .map(|id| setup::server(scenario, spec, id))
        .collect();
    let clients = setup::clients(scenario, spec);
    let schedule = setup::operator(scenario);
    let client_count = clients.len();
    let mut parts = (servers, clients, Some(schedule.clone()));
    let server_ids = setup::servers(scenario);
    let mut sim = build(scenario, &mut options, move |id, _| {
        let index = id.index();
        let (servers, clients, operator) = &mut parts;
        if let Some(server) = servers.get(index) {
            Actor::Booting(server.clone())
        } else if let Some(client) = clients.get(index - servers.len()) {
            Actor::Client(client::Client::new(client.clone()))
        } else {
            let schedule = operator.take().unwrap_or_default();
            Actor::Operator(Operator::new(schedule, server_ids.clone()))
        }
    });
    for k in 1..=client_count {
        sim.add_node(&format!("c{k}"));
    }
    if !schedule.is_empty() {
        sim.add_node("op");
    }
    let last_fault = scenario
        .faults
        .iter()
        .map(|f| f.repaired_at().nanos())
        .max();
    let mut watch = Watch::new(nodes, Time::from_nanos(last_fault.unwrap_or(0)));
    let end = end_time(scenario);
    let mut aimed = aimed::AimedFaults::new(scenario);
    while let Some(next) = sim.next_event_time().filter(|t| *t <= end) {
        aimed.fire_due(&mut sim, nodes, next);
        let Some(stepped) = sim.step() else { break };
        watch.after_step(&mut sim, &stepped);
        aimed.after_step(&mut sim, nodes, &watch, stepped.time);
    }
    sim.run_until(end);
    let outcome = verdict::judge(scenario, &expect, &sim, &watch);
    let mut report = finish(scenario, &mut sim, outcome.summary, outcome.checks)?;
    report.ops = outcome.ops;
    report.focus = outcome.focus;
    report.history = outcome.history;
    report.probes.extend(crate::probes::raft(watch.probes));
    Ok(RaftRun {
        report,
        leaders: watch.leaders,
    })
}

/// The raft protocol as the registry runs it (its block is validated by
/// [`crate::scenario::validate`]).
pub struct Raft;

impl crate::protocol::DynProtocol for Raft {
    fn name(&self) -> &'static str {
        "raft"
    }

    fn validate(&self, _scenario: &Scenario) -> Result<(), crate::scenario::Invalid> {
        Ok(())
    }

    fn expectations(&self) -> &'static [&'static str] {
        crate::scenario::field_names::<expect::RaftExpect>().unwrap_or_default()
    }

    fn run(&self, scenario: &Scenario, options: RunOptions) -> std::io::Result<RunReport> {
        match &scenario.protocol {
            crate::scenario::ProtocolSpec::Raft(spec) => run(scenario, spec, options),
            _ => Err(crate::protocol::mismatch("raft", scenario)),
        }
    }
}

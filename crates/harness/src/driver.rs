//! What every protocol's run does on the kernel: build the simulation of a scenario's nodes
//! and faults, and fill in the report fields every protocol reports the same way.

use crate::report::{CheckOutcome, RunReport};
use crate::scenario::{node, Scenario};
use faultline_sim::{Process, Simulation, Stall, Time};
use std::io::Write;

/// Choices made at run time rather than in the scenario file.
#[derive(Default)]
pub struct RunOptions {
    /// Overrides the scenario's seed.
    pub seed: Option<u64>,
    /// Where to write the trace as JSON lines.
    pub trace: Option<Box<dyn Write>>,
    /// Leaves the simulation's nodes allocated when the run ends
    /// ([`Simulation::skip_teardown`]): for a process that exits after one run (the CLI's
    /// `faultline run`). Never set it in a program that runs many scenarios.
    pub skip_teardown: bool,
}

/// A simulation of `scenario`'s protocol nodes (named n1..nN, in their zones) with its faults
/// scheduled. Protocol drivers add their clients after this.
pub fn build<P: Process>(
    scenario: &Scenario,
    options: &mut RunOptions,
    factory: impl FnMut(faultline_sim::NodeId, &P::Durable) -> P + 'static,
) -> Simulation<P> {
    let seed = options.seed.unwrap_or(scenario.seed);
    let config = scenario.sim_config(seed);
    let mut sim = Simulation::new(config.clone(), factory);
    if options.skip_teardown {
        sim.skip_teardown();
    }
    if let Some(sink) = options.trace.take() {
        sim.record_trace(sink);
    }
    // One allocation for the node arrays: at 10^6 nodes it asks for huge pages.
    sim.reserve_nodes(scenario.cluster.nodes as usize);
    for id in 1..=scenario.cluster.nodes {
        let zone = config.topology.zone(scenario.zone_of(id)).unwrap_or(0);
        let added = sim.add_node_in_zone(&format!("n{id}"), zone);
        debug_assert_eq!(added, node(id));
        if let Some(disk) = &scenario.cluster.disk {
            sim.configure_disk(added, disk.config_for(scenario.zone_of(id)));
        }
    }
    for (at, fault) in scenario.kernel_faults() {
        sim.schedule_fault(at, fault);
    }
    sim
}

/// Fills in the fields every protocol reports the same way; a run the kernel stopped early
/// ([`Simulation::stall`]) gets the failed [`TIME_ADVANCES`] or [`BACKLOG_BOUNDED`] check
/// first.
pub fn finish<P: Process>(
    scenario: &Scenario,
    sim: &mut Simulation<P>,
    summary: Vec<(String, String)>,
    mut checks: Vec<CheckOutcome>,
) -> std::io::Result<RunReport> {
    if let Some(stall) = sim.stall() {
        checks.insert(0, stalled(stall));
    }
    sim.finish_trace()?;
    Ok(RunReport {
        scenario: scenario.name.clone(),
        seed: sim.streams().seed(),
        trace_hash: sim.trace_hash(),
        virtual_ns: sim.now().as_nanos(),
        counters: sim.counters(),
        summary,
        checks,
        ops: Vec::new(),
        focus: None,
        history: None,
        probes: crate::probes::kernel(sim.probes()),
    })
}

/// The check a run fails when one instant of virtual time ran its limit of events: a livelock
/// in a protocol (a zero-delay timer re-armed as it fires, messages answered back and forth
/// over zero-latency links) would otherwise never end.
pub const TIME_ADVANCES: &str = "time_advances";

/// The check a run fails when the events waiting in the queue reached their limit: a message
/// storm (each message answered by more than one) would otherwise exhaust memory.
pub const BACKLOG_BOUNDED: &str = "backlog_bounded";

/// The failed check for why the run stopped early, naming the limit and what sets it.
fn stalled(stall: Stall) -> CheckOutcome {
    use faultline_sim::stall::*;
    let (name, detail) = match stall {
        Stall::TimeStoodStill {
            time,
            events,
            limit,
        } => (
            TIME_ADVANCES,
            format!(
                "virtual time stood still at {time}: {events} events ran at that instant, the \
                 limit of {limit} ({INSTANT_EVENTS_BASE} plus {INSTANT_EVENTS_PER_NODE} per \
                 node); the run stopped there (a livelock: work scheduled for the instant it is \
                 in, again and again)"
            ),
        ),
        Stall::Backlog {
            time,
            pending,
            limit,
        } => (
            BACKLOG_BOUNDED,
            format!(
                "{pending} events waited in the queue at {time}, the limit of {limit} \
                 ({BACKLOG_BASE} plus {BACKLOG_PER_NODE} per node); the run stopped there (a \
                 message storm: work growing faster than it is done)"
            ),
        ),
    };
    CheckOutcome::liveness(name, false, detail)
}

/// The end of the scenario in virtual time.
pub fn end_time(scenario: &Scenario) -> Time {
    Time::from_nanos(scenario.duration.nanos())
}

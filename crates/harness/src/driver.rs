//! What every protocol's run does on the kernel: build the simulation of a scenario's nodes
//! and faults, and fill in the report fields every protocol reports the same way.

use crate::report::RunReport;
use crate::scenario::{node, Scenario};
use faultline_sim::{Process, Simulation, Time};
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

/// Fills in the fields every protocol reports the same way.
pub fn finish<P: Process>(
    scenario: &Scenario,
    sim: &mut Simulation<P>,
    summary: Vec<(String, String)>,
    checks: Vec<crate::report::CheckOutcome>,
) -> std::io::Result<RunReport> {
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

/// The end of the scenario in virtual time.
pub fn end_time(scenario: &Scenario) -> Time {
    Time::from_nanos(scenario.duration.nanos())
}

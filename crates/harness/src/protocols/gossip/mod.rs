//! Gossip clusters under the simulator: the sans-IO gossip core in every node, planned writes,
//! and checks of convergence and SWIM failure detection.

mod expect;
mod monitor;
mod node;
mod spec;

pub use expect::GossipExpect;
pub use monitor::{Monitor, WriteRecord};
pub use node::{Change, GossipDurable, GossipProcess, PlannedChange, PlannedWrite, Recipe};
pub use spec::{
    ConflictSpec, GossipSpec, LossSpec, MerkleTreeSpec, ModeSpec, PeersSpec, ReconciliationSpec,
    RumorSpec, SpatialSpec, SwimSpec, WritesSpec, AUTO_MERKLE_BITS, MERKLE_SHAPE,
};

use crate::driver::{build, end_time, finish, RunOptions};
use crate::report::{CheckOutcome, RunReport};
use crate::scenario::{ChangeKind, Scenario, Span, Standing};
use faultline_gossip::view::WholeCheck;
use faultline_gossip::{GossipNode, Membership, Topology};
use faultline_sim::{NodeId, RngStreams, Simulation, Stepped, Time, TraceKind};
use std::sync::Arc;

/// The outcome of a gossip run, beyond the generic report: what the experiments and charts read.
pub struct GossipRun {
    /// The generic report (checks, counters, trace hash).
    pub report: RunReport,
    /// Dissemination and SWIM records.
    pub monitor: Monitor,
    /// When all live nodes first held equal state after the last write and fault.
    pub converged_at: Option<Time>,
    /// When the last write or fault was scheduled.
    pub settled_from: Time,
    /// Messages and bytes sent, summed over nodes alive at the end.
    pub traffic: Traffic,
}

/// Traffic totals over the nodes alive at the end.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Traffic {
    /// Messages sent.
    pub messages: u64,
    /// Bytes sent.
    pub bytes: u64,
    /// Messages to another zone.
    pub cross_zone_messages: u64,
    /// Nodes counted.
    pub nodes: u64,
}

/// Runs a gossip scenario.
pub fn run(
    scenario: &Scenario,
    spec: &GossipSpec,
    options: RunOptions,
) -> std::io::Result<RunReport> {
    simulate(scenario, spec, options).map(|run| run.report)
}

/// Runs a gossip scenario and keeps everything the monitor saw.
pub fn simulate(
    scenario: &Scenario,
    spec: &GossipSpec,
    mut options: RunOptions,
) -> std::io::Result<GossipRun> {
    let expect = GossipExpect::of(scenario, spec)?;
    let seed = options.seed.unwrap_or(scenario.seed);
    let recipe = Arc::new(recipe(scenario, spec, seed));
    let plan = &recipe.plan;
    let mut sim = build(scenario, &mut options, node_factory(&recipe));
    // Nothing can settle before the last scheduled write or fault; a write performed late (a
    // skewed clock) or a fault pushes the settling point further.
    let scheduled_end = scenario
        .faults
        .iter()
        .map(|f| f.at.nanos())
        .chain(plan.iter().map(|w| w.at))
        .max()
        .unwrap_or(0);
    let mut convergence = Convergence::new(Time::from_nanos(scheduled_end), spec);
    let mut monitor = Monitor::new(&recipe.outside, plan.len());
    let end = end_time(scenario);
    while let Some(at) = sim.next_event_time().filter(|t| *t <= end) {
        convergence.sample_until(at, &sim);
        if stopped(spec, convergence.converged_at, &monitor) {
            break;
        }
        let Some(step) = sim.step() else { break };
        if watch_step(&mut sim, &mut monitor, &step) {
            convergence.disturbed(step.time);
        }
    }
    if !stopped(spec, convergence.converged_at, &monitor) {
        sim.run_until(end);
    }
    convergence.last_sample(end, &sim);
    let Convergence {
        converged_at,
        settled_from,
        ..
    } = convergence;
    let traffic = traffic(&sim);
    let checks = checks(&expect, &sim, &monitor, converged_at, settled_from);
    let writes = plan.len();
    let summary = summary(spec, &monitor, converged_at, settled_from, &traffic, writes);
    let mut report = finish(scenario, &mut sim, summary, checks)?;
    report.probes.extend(crate::probes::gossip(monitor.probes));
    Ok(GossipRun {
        report,
        monitor,
        converged_at,
        settled_from,
        traffic,
    })
}

/// How the nodes of `scenario` build their cores: SWIM starts with the members at the start
/// (every node but those whose first change is a join), each node and boot with its own stream.
fn recipe(scenario: &Scenario, spec: &GossipSpec, seed: u64) -> Recipe {
    let nodes = scenario.cluster.nodes;
    let standing = Standing::of(scenario);
    let outside: Vec<bool> = (1..=nodes).map(|n| standing.outside_at_start(n)).collect();
    let membership = match spec.swim {
        Some(_) => Membership::Swim {
            members: (0..u64::from(nodes))
                .filter(|n| !outside[*n as usize])
                .collect::<Vec<u64>>()
                .into(),
        },
        None => Membership::Static {
            nodes: u64::from(nodes),
        },
    };
    let changes = standing
        .changes()
        .iter()
        .map(|c| PlannedChange {
            node: NodeId::new(c.node - 1),
            at: c.at.nanos(),
            change: match &c.kind {
                ChangeKind::Join(seeds) => {
                    Change::Join(seeds.iter().map(|s| u64::from(*s - 1)).collect())
                }
                ChangeKind::Leave => Change::Leave,
            },
        })
        .collect();
    Recipe {
        config: spec.config().into(),
        topology: topology(scenario),
        membership,
        streams: RngStreams::new(seed),
        plan: plan_writes(spec, nodes, seed, &standing),
        changes,
        outside,
        durable: spec.durable,
    }
}

/// The factory of gossip nodes: the core a node starts with, its write counter restored from
/// durable storage (the process then takes its standing from the scenario's joins and leaves).
fn node_factory(
    recipe: &Arc<Recipe>,
) -> impl FnMut(NodeId, &GossipDurable) -> GossipProcess + 'static {
    let recipe = Arc::clone(recipe);
    move |id: NodeId, durable: &GossipDurable| {
        let mut core = recipe.initial_core(id, durable.boots);
        core.restore_write_counter(durable.write_counter);
        GossipProcess::new(core, Arc::clone(&recipe))
    }
}

/// Feeds one step to the monitor (crashes, restarts, what the stepped node observed); true
/// when it disturbed convergence.
fn watch_step(sim: &mut Simulation<GossipProcess>, monitor: &mut Monitor, step: &Stepped) -> bool {
    match (step.kind, step.node) {
        (TraceKind::Fault(kind), node) => {
            match (kind, node) {
                ("crash", Some(node)) => monitor.crashed(step.time, node),
                ("restart", Some(node)) => monitor.restarted(node),
                _ => {}
            }
            true
        }
        (_, Some(node)) => match sim.process_mut(node) {
            Some(process) => {
                monitor.probes |= process.core().map_or(0, GossipNode::probes);
                let seen = process.take_observations();
                monitor.observe(step.time, node, seen)
            }
            None => false,
        },
        _ => false,
    }
}

/// Convergence sampled every interval/5 from the settling point (the last write or fault);
/// a disturbance after it moves it and forgets an earlier agreement.
struct Convergence {
    settled_from: Time,
    slice: std::time::Duration,
    next_check: Time,
    converged_at: Option<Time>,
}

impl Convergence {
    fn new(settled_from: Time, spec: &GossipSpec) -> Self {
        let slice = std::time::Duration::from_nanos((spec.interval.nanos() / 5).max(1));
        Convergence {
            settled_from,
            slice,
            next_check: settled_from + slice,
            converged_at: None,
        }
    }

    /// Takes every sample due before the event at `at`, until one agrees.
    fn sample_until(&mut self, at: Time, sim: &Simulation<GossipProcess>) {
        while self.converged_at.is_none() && self.next_check <= at {
            if converged(sim) {
                self.converged_at = Some(self.next_check);
            }
            self.next_check = self.next_check + self.slice;
        }
    }

    /// A write or fault at `time`.
    fn disturbed(&mut self, time: Time) {
        if time >= self.settled_from {
            self.settled_from = time;
            self.converged_at = None;
            self.next_check = time + self.slice;
        }
    }

    /// The sample due after the last event, if the run reached it.
    fn last_sample(&mut self, end: Time, sim: &Simulation<GossipProcess>) {
        if self.converged_at.is_none() && self.next_check <= end && converged(sim) {
            self.converged_at = Some(self.next_check);
        }
    }
}

/// True when the run may end early: asked to stop at convergence, converged, and no planned
/// write still to come (a writer on a slow clock performs late).
fn stopped(spec: &GossipSpec, converged_at: Option<Time>, monitor: &Monitor) -> bool {
    spec.stop_at_convergence && converged_at.is_some() && monitor.all_performed()
}

/// The writes of the run, drawn from the stream `gossip.writes`: uniformly random writer and
/// time (whole milliseconds) within the window, keys in rotation. A writer drawn while outside
/// the cluster (not joined yet, or left) hands its write to the next member in id order.
fn plan_writes(spec: &GossipSpec, nodes: u32, seed: u64, standing: &Standing) -> Vec<PlannedWrite> {
    let mut rng = RngStreams::new(seed).stream("gossip.writes");
    let (from, until) = (
        spec.writes.from.nanos() / 1_000_000,
        spec.writes.until.nanos() / 1_000_000,
    );
    let mut plan: Vec<PlannedWrite> = (0..spec.writes.count)
        .map(|i| {
            let drawn = rng.below(u64::from(nodes)) as u32;
            let at = rng.between(from, until) * 1_000_000;
            let member =
                |n: &u32| standing.member_at(n + 1, Span(std::time::Duration::from_nanos(at)));
            let writer = (drawn..nodes).chain(0..drawn).find(member).unwrap_or(drawn);
            PlannedWrite {
                node: NodeId::new(writer),
                at,
                key: format!("k{}", i % spec.writes.keys.max(1)),
            }
        })
        .collect();
    plan.sort_by_key(|w| w.at);
    plan
}

/// The scenario's zones as the gossip core's topology (distance 1 inside a zone, 10 across).
fn topology(scenario: &Scenario) -> Option<Arc<Topology>> {
    if scenario.cluster.zones.is_empty() {
        return None;
    }
    let names: Vec<&str> = std::iter::once("default")
        .chain(scenario.cluster.zones.keys().map(String::as_str))
        .collect();
    let zone_of = (1..=scenario.cluster.nodes)
        .map(|id| {
            names
                .iter()
                .position(|n| *n == scenario.zone_of(id))
                .unwrap_or(0) as u32
        })
        .collect();
    let distance = (0..names.len())
        .map(|a| {
            (0..names.len())
                .map(|b| if a == b { 1 } else { 10 })
                .collect()
        })
        .collect();
    Topology::new(zone_of, distance).ok().map(Arc::new)
}

/// Which live nodes must agree.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Scope {
    /// Every live node: the liveness goal once every fault has healed.
    AllLive,
    /// Each group of live, mutually reachable nodes on its own: all that can hold while cut.
    Reachable,
}

/// The convergence goal once every fault has healed: every live node holds one state and, with
/// SWIM, counts every other live node as a member (none still thought dead or forgotten).
fn converged(sim: &Simulation<GossipProcess>) -> bool {
    live_digests_agree(sim, Scope::AllLive) && live_views_whole(sim)
}

/// True when no live member's SWIM view lacks, or holds dead, another live member (always true
/// with a static view). Stops at the first gap.
fn live_views_whole(sim: &Simulation<GossipProcess>) -> bool {
    let live: Vec<&GossipNode> = (0..sim.node_count() as u32)
        .filter_map(|n| sim.process(NodeId::new(n))?.member())
        .collect();
    let mut check = WholeCheck::new(live.iter().map(|core| core.id()).collect());
    live.iter().all(|core| {
        core.members()
            .is_none_or(|view| check.holds(view, core.id()))
    })
}

/// True when the live nodes hold one state (per group of mutually reachable ones, for
/// [`Scope::Reachable`]).
fn live_digests_agree(sim: &Simulation<GossipProcess>, scope: Scope) -> bool {
    let mut live = (0..sim.node_count() as u32)
        .map(NodeId::new)
        .filter_map(|n| sim.process(n)?.member().map(|core| (n, core.digest())));
    if scope == Scope::AllLive || sim.connectivity().is_healed() {
        // Stops at the first node that disagrees: before convergence that is one of the first.
        let Some((_, first)) = live.next() else {
            return true;
        };
        return live.all(|(_, digest)| digest == first);
    }
    let live: Vec<(NodeId, u64)> = live.collect();
    let reachable = |a: NodeId, b: NodeId| {
        !sim.connectivity().is_blocked(a, b) && !sim.connectivity().is_blocked(b, a)
    };
    live.iter()
        .all(|(a, da)| live.iter().all(|(b, db)| da == db || !reachable(*a, *b)))
}

fn traffic(sim: &Simulation<GossipProcess>) -> Traffic {
    let mut total = Traffic::default();
    let cores = (0..sim.node_count() as u32).filter_map(|n| sim.process(NodeId::new(n))?.core());
    for core in cores {
        let stats = core.stats();
        total.messages += stats.messages_sent;
        total.bytes += stats.bytes_sent;
        total.cross_zone_messages += stats.cross_zone_messages;
        total.nodes += 1;
    }
    total
}

fn checks(
    expect: &GossipExpect,
    sim: &Simulation<GossipProcess>,
    monitor: &Monitor,
    converged_at: Option<Time>,
    settled_from: Time,
) -> Vec<CheckOutcome> {
    let mut checks = Vec::new();
    if expect.converged == Some(true) {
        let ok = live_digests_agree(sim, Scope::Reachable);
        let detail = if ok {
            "live, mutually reachable nodes hold equal state"
        } else {
            "live reachable nodes disagree"
        };
        checks.push(CheckOutcome::liveness("converged", ok, detail));
    }
    if let Some(bound) = expect.converged_within {
        let took = converged_at.map(|t| t.since(settled_from));
        let ok = took.is_some_and(|d| d <= bound.0);
        let detail = match took {
            Some(d) => format!(
                "converged {:.0} ms after the last write or fault (bound {bound})",
                d.as_secs_f64() * 1e3
            ),
            None => format!(
                "live nodes never held one state after the last write or fault (bound {bound})"
            ),
        };
        checks.push(CheckOutcome::liveness("converged_within", ok, detail));
    }
    if let Some(bound) = expect.swim_detects_within {
        let (detected, missed) = swim_detections(sim, monitor, bound.0);
        let ok = missed.is_empty();
        let detail = match missed.first() {
            None => format!(
                "{detected} crashed members declared dead by every live member within {bound}"
            ),
            Some(first) => format!(
                "{} of {} crashed members not detected in time, first: {first}",
                missed.len(),
                missed.len() + detected
            ),
        };
        checks.push(CheckOutcome::liveness("swim_detects_crashes", ok, detail));
    }
    checks
}

/// For each node down at the end for at least `bound`: did every live node declare it dead
/// within `bound` of its crash? Returns (detected, descriptions of misses).
fn swim_detections(
    sim: &Simulation<GossipProcess>,
    monitor: &Monitor,
    bound: std::time::Duration,
) -> (usize, Vec<String>) {
    let end = sim.now();
    let live: Vec<NodeId> = (0..sim.node_count() as u32)
        .map(NodeId::new)
        .filter(|n| sim.process(*n).and_then(GossipProcess::member).is_some())
        .collect();
    let mut detected = 0;
    let mut missed = Vec::new();
    for (index, since) in monitor.down_since.iter().enumerate() {
        let Some(crashed_at) = *since else { continue };
        if monitor.departed(NodeId::new(index as u32)) {
            // It left (or never joined): nobody has to declare it dead.
            continue;
        }
        if end.since(crashed_at) < bound {
            continue;
        }
        let subject = NodeId::new(index as u32);
        let late: Vec<NodeId> = live
            .iter()
            .copied()
            .filter(|observer| {
                !monitor.deaths.iter().any(|v| {
                    v.observer == *observer
                        && v.subject == subject
                        && v.at >= crashed_at
                        && v.at.since(crashed_at) <= bound
                })
            })
            .collect();
        if late.is_empty() {
            detected += 1;
        } else {
            let name = |n: NodeId| sim.node_name(n).unwrap_or("?").to_string();
            missed.push(format!(
                "{} (crashed at {crashed_at}) not declared dead by {}",
                name(subject),
                name(late[0])
            ));
        }
    }
    (detected, missed)
}

fn summary(
    spec: &GossipSpec,
    monitor: &Monitor,
    converged_at: Option<Time>,
    settled_from: Time,
    traffic: &Traffic,
    planned: usize,
) -> Vec<(String, String)> {
    let done: Vec<&WriteRecord> = monitor
        .writes
        .iter()
        .filter(|w| w.done_at.is_some())
        .collect();
    let mut spread: Vec<f64> = done
        .iter()
        .filter_map(|w| Some(w.full_at?.since(w.done_at?).as_secs_f64() * 1e3))
        .collect();
    spread.sort_by(f64::total_cmp);
    let interval_ms = spec.interval.nanos() as f64 / 1e6;
    let mut lines = vec![(
        "writes".to_string(),
        format!("{} performed of {planned} planned", done.len()),
    )];
    if let (Some(median), Some(max)) = (spread.get(spread.len() / 2), spread.last()) {
        lines.push((
            "spread".to_string(),
            format!(
                "{} of {} writes reached every live node; median {median:.0} ms ({:.1} rounds), max {max:.0} ms",
                spread.len(),
                done.len(),
                median / interval_ms
            ),
        ));
    }
    let per_write = if done.is_empty() {
        0.0
    } else {
        traffic.messages as f64 / done.len() as f64
    };
    let per_node = traffic.bytes.checked_div(traffic.nodes).unwrap_or(0);
    lines.push((
        "traffic".to_string(),
        format!(
            "{per_write:.0} messages per write, {per_node} bytes per node, {} cross-zone messages",
            traffic.cross_zone_messages
        ),
    ));
    if spec.swim.is_some() {
        let false_positives = monitor.deaths.iter().filter(|v| !v.subject_down).count();
        lines.push((
            "swim".to_string(),
            format!(
                "{} dead verdicts, {false_positives} about live members",
                monitor.deaths.len()
            ),
        ));
    }
    let converged = match converged_at {
        Some(t) => format!(
            "{:.0} ms after the last write or fault",
            t.since(settled_from).as_secs_f64() * 1e3
        ),
        None => "not at the end".to_string(),
    };
    lines.push(("converged".to_string(), converged));
    lines
}

/// The gossip protocol as the registry runs it (its block is validated by
/// [`crate::scenario::validate`]).
pub struct Gossip;

impl crate::protocol::DynProtocol for Gossip {
    fn name(&self) -> &'static str {
        "gossip"
    }

    fn validate(&self, _scenario: &Scenario) -> Result<(), crate::scenario::Invalid> {
        Ok(())
    }

    fn expectations(&self) -> &'static [&'static str] {
        crate::scenario::field_names::<GossipExpect>().unwrap_or_default()
    }

    fn run(&self, scenario: &Scenario, options: RunOptions) -> std::io::Result<RunReport> {
        match &scenario.protocol {
            crate::scenario::ProtocolSpec::Gossip(spec) => run(scenario, spec, options),
            _ => Err(crate::protocol::mismatch("gossip", scenario)),
        }
    }
}

//! All-to-all heartbeats with a timeout failure detector: the kernel's end-to-end test protocol.
//!
//! Every `interval` each node sends a heartbeat to every other node; a peer not heard from within
//! `timeout` (by the receiver's own clock) is suspected. The check `live_nodes_connected` asks that
//! at the end every live node trusts exactly the live nodes that can currently reach it.

use crate::driver::{build, end_time, finish, RunOptions};
use crate::report::{CheckOutcome, RunReport};
use crate::scenario::{Invalid, Scenario, Span};
use faultline_sim::{Context, NodeId, Process, Simulation, Time, TimerId};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Parameters of the heartbeat protocol.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeartbeatSpec {
    /// How often each node sends a heartbeat to every other node.
    pub interval: Span,
    /// A peer not heard from for this long is suspected.
    pub timeout: Span,
}

/// Most nodes of a heartbeat cluster: all-to-all traffic grows as n^2.
const MAX_HEARTBEAT_NODES: u32 = 1000;

impl HeartbeatSpec {
    /// Checks the block for a cluster of `nodes`; errors name the field.
    pub fn validate(&self, nodes: u32) -> Result<(), Invalid> {
        crate::scenario::positive(self.interval, "protocol.heartbeat.interval")?;
        if self.timeout <= self.interval {
            return Err(Invalid::new(
                "protocol.heartbeat.timeout",
                "expected a timeout longer than the interval",
            ));
        }
        crate::scenario::at_most(
            nodes,
            MAX_HEARTBEAT_NODES,
            "cluster.nodes",
            "the heartbeat protocol (all-to-all)",
        )
    }
}

/// What must hold at the end of a heartbeat run; a field left out is not checked.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeartbeatExpect {
    /// At the end, every live node hears from every live node it can reach and suspects none
    /// of them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub live_nodes_connected: Option<bool>,
}

/// A heartbeat node.
#[derive(Debug)]
pub struct HeartbeatNode {
    peers: u32,
    interval: Duration,
    timeout: Duration,
    /// Local time each peer was last heard from.
    last_heard: Vec<Option<Time>>,
}

/// The only message.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub struct Beat {
    /// Sender's incarnation count, as persisted in its durable storage.
    pub boot: u32,
}

impl HeartbeatNode {
    /// A node in a cluster of `peers` nodes.
    pub fn new(peers: u32, spec: &HeartbeatSpec) -> Self {
        HeartbeatNode {
            peers,
            interval: spec.interval.0,
            timeout: spec.timeout.0,
            last_heard: vec![None; peers as usize],
        }
    }

    /// True if this node, at local time `now`, considers `peer` alive.
    pub fn trusts(&self, peer: NodeId, now: Time) -> bool {
        self.last_heard
            .get(peer.index())
            .copied()
            .flatten()
            .is_some_and(|t| now.since(t) <= self.timeout)
    }
}

impl Process for HeartbeatNode {
    type Message = Beat;
    /// Number of times the node has booted.
    type Durable = u32;

    /// A 16-byte header (type, sender, sequence) and the 4-byte boot count.
    fn message_size(_beat: &Beat) -> u64 {
        20
    }

    fn on_start(&mut self, ctx: &mut Context<'_, Beat, u32>) {
        *ctx.durable() += 1;
        let jitter = ctx
            .rng()
            .below(faultline_sim::duration_nanos(self.interval));
        ctx.set_timer(Duration::from_nanos(jitter), 0);
    }

    fn on_message(&mut self, ctx: &mut Context<'_, Beat, u32>, from: NodeId, _msg: Beat) {
        if let Some(slot) = self.last_heard.get_mut(from.index()) {
            *slot = Some(ctx.now());
        }
    }

    fn on_timer(&mut self, ctx: &mut Context<'_, Beat, u32>, _: TimerId, _: u64) {
        let boot = *ctx.durable();
        let me = ctx.id();
        for peer in (0..self.peers).map(NodeId::new).filter(|p| *p != me) {
            ctx.send(peer, Beat { boot });
        }
        ctx.set_timer(self.interval, 0);
    }
}

/// Runs a heartbeat scenario.
pub fn run(
    scenario: &Scenario,
    spec: &HeartbeatSpec,
    mut options: RunOptions,
) -> std::io::Result<RunReport> {
    let expect: HeartbeatExpect = scenario.expectations()?;
    let peers = scenario.cluster.nodes;
    let spec_for_nodes = spec.clone();
    let mut sim = build(scenario, &mut options, move |_, _| {
        HeartbeatNode::new(peers, &spec_for_nodes)
    });
    sim.run_until(end_time(scenario));
    let (wrong, pairs) = misjudged_pairs(&sim);
    let boots: u32 = (0..peers).filter_map(|i| sim.durable(NodeId::new(i))).sum();
    let summary = vec![
        ("boots".to_string(), boots.to_string()),
        (
            "live nodes".to_string(),
            (0..peers)
                .filter(|i| sim.is_up(NodeId::new(*i)))
                .count()
                .to_string(),
        ),
    ];
    let mut checks = Vec::new();
    if expect.live_nodes_connected == Some(true) {
        let detail = match wrong.first() {
            None => format!("{pairs} live pairs judged correctly"),
            Some(first) => format!(
                "{} of {pairs} live pairs misjudged, first: {first}",
                wrong.len()
            ),
        };
        checks.push(CheckOutcome::liveness(
            "live_nodes_connected",
            wrong.is_empty(),
            detail,
        ));
    }
    finish(scenario, &mut sim, summary, checks)
}

/// Pairs (observer, peer) of live nodes where the observer's trust disagrees with reachability.
fn misjudged_pairs(sim: &Simulation<HeartbeatNode>) -> (Vec<String>, usize) {
    let live: Vec<NodeId> = (0..sim.node_count() as u32)
        .map(NodeId::new)
        .filter(|n| sim.is_up(*n))
        .collect();
    let mut wrong = Vec::new();
    let mut pairs = 0;
    for &observer in &live {
        let (Some(process), Some(now)) = (sim.process(observer), sim.local_time(observer)) else {
            continue;
        };
        for &peer in live.iter().filter(|p| **p != observer) {
            pairs += 1;
            let reachable = !sim.connectivity().is_blocked(peer, observer);
            if process.trusts(peer, now) != reachable {
                let name = |n| sim.node_name(n).unwrap_or("?").to_string();
                let verdict = if reachable {
                    "suspects reachable"
                } else {
                    "trusts unreachable"
                };
                wrong.push(format!("{} {verdict} {}", name(observer), name(peer)));
            }
        }
    }
    (wrong, pairs)
}

/// The heartbeat protocol as the registry runs it (its block is validated by
/// [`crate::scenario::validate`]).
pub struct Heartbeat;

impl crate::protocol::DynProtocol for Heartbeat {
    fn name(&self) -> &'static str {
        "heartbeat"
    }

    fn validate(&self, _scenario: &Scenario) -> Result<(), crate::scenario::Invalid> {
        Ok(())
    }

    fn expectations(&self) -> &'static [&'static str] {
        crate::scenario::field_names::<HeartbeatExpect>().unwrap_or_default()
    }

    fn run(&self, scenario: &Scenario, options: RunOptions) -> std::io::Result<RunReport> {
        match &scenario.protocol {
            crate::scenario::ProtocolSpec::Heartbeat(spec) => run(scenario, spec, options),
            _ => Err(crate::protocol::mismatch("heartbeat", scenario)),
        }
    }
}

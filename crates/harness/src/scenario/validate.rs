//! Semantic checks the JSON schema cannot express: ranges, node ids, timing, combinations.

use super::duration::Span;
use super::error::Invalid;
use super::spec::{LatencySpec, LinkOverride, ProtocolSpec, Scenario, WorkloadSpec};
use crate::protocols::{
    gossip::GossipExpect, heartbeat::HeartbeatExpect, raft::expect::RaftExpect,
};
use std::collections::BTreeSet;
use std::time::Duration;

/// Largest cluster any protocol accepts.
pub const MAX_NODES: u32 = 1_000_000;
/// Most simulated clients.
pub const MAX_CLIENTS: u32 = 1000;
/// Most client operations in one run.
pub const MAX_OPS: u32 = 1_000_000;
/// Longest virtual duration of a run.
pub const MAX_DURATION: Duration = Duration::from_secs(24 * 3600);
/// Longest latency a link may be given.
pub const MAX_LATENCY: Duration = Duration::from_secs(3600);
/// Narrowest and widest clock rates.
pub const CLOCK_RATE_RANGE: (f64, f64) = (0.5, 2.0);

type Check = Result<(), Invalid>;

/// Checks everything about `scenario` that types alone cannot.
pub fn validate(scenario: &Scenario) -> Check {
    if scenario.version != 1 {
        return Err(Invalid::new(
            "version",
            format!(
                "expected 1 (the only format version), found {}",
                scenario.version
            ),
        ));
    }
    if scenario.name.trim().is_empty() || scenario.name.len() > 200 {
        return Err(Invalid::new(
            "name",
            "expected a non-empty name of at most 200 characters",
        ));
    }
    if scenario.duration.0.is_zero() || scenario.duration.0 > MAX_DURATION {
        return Err(Invalid::new(
            "duration",
            "expected a positive duration of at most 24h of virtual time",
        ));
    }
    validate_protocol(scenario)?;
    if let ProtocolSpec::Gossip(gossip) = &scenario.protocol {
        gossip.validate(scenario.duration)?;
        if gossip.durable && scenario.cluster.disk.is_none() {
            return Err(Invalid::new(
                "protocol.gossip.durable",
                "expected a `cluster.disk` block: a durable store keeps the writes on the node's disk",
            ));
        }
    }
    validate_cluster(scenario)?;
    validate_network(scenario)?;
    for (index, fault) in scenario.faults.iter().enumerate() {
        fault.validate(scenario, &format!("faults[{index}]"))?;
    }
    validate_protocol_fields(scenario)?;
    super::members::validate_changes(scenario)
}

/// Fields that only make sense for one protocol: workload, operator and aimed actions, and
/// expectations (each protocol reads the `expect` block into its own type).
fn validate_protocol_fields(scenario: &Scenario) -> Check {
    let protocol = scenario.protocol.name();
    if let Some((field, owner)) = protocol_owned_fields(scenario)
        .into_iter()
        .find(|(_, owner)| *owner != protocol)
    {
        return Err(Invalid::new(
            field,
            format!("applies only to the {owner} protocol; remove it or switch protocols"),
        ));
    }
    validate_expectations(scenario)?;
    if let Some(workload) = &scenario.workload {
        validate_workload(workload)?;
    }
    Ok(())
}

/// Each protocol-specific field `scenario` sets: its path and the protocol it belongs to.
fn protocol_owned_fields(scenario: &Scenario) -> Vec<(String, &'static str)> {
    let workload = scenario
        .workload
        .as_ref()
        .map(|_| ("workload".into(), "raft"));
    let faults = scenario
        .faults
        .iter()
        .enumerate()
        .filter_map(|(index, fault)| {
            let owner = fault.protocol_only()?;
            Some((format!("faults[{index}].{}", fault.field()), owner))
        });
    workload.into_iter().chain(faults).collect()
}

/// The `expect` block as the scenario's protocol reads it (a registered protocol reads its own
/// when its block is validated).
fn validate_expectations(scenario: &Scenario) -> Check {
    match &scenario.protocol {
        ProtocolSpec::Heartbeat(_) => scenario.expectations::<HeartbeatExpect>().map(drop),
        ProtocolSpec::Gossip(gossip) => GossipExpect::of(scenario, gossip).map(drop),
        ProtocolSpec::Raft(_) => RaftExpect::of(scenario).map(drop),
        ProtocolSpec::Registered { .. } => Ok(()),
    }
}

fn validate_workload(workload: &WorkloadSpec) -> Check {
    if workload.clients == 0 || workload.clients > MAX_CLIENTS {
        return Err(Invalid::new(
            "workload.clients",
            format!(
                "expected between 1 and {MAX_CLIENTS} clients, found {}",
                workload.clients
            ),
        ));
    }
    if workload.ops > MAX_OPS {
        return Err(Invalid::new(
            "workload.ops",
            format!(
                "expected at most {MAX_OPS} operations, found {}",
                workload.ops
            ),
        ));
    }
    if workload.keys == 0 || workload.keys > 10_000 {
        return Err(Invalid::new(
            "workload.keys",
            format!("expected between 1 and 10000 keys, found {}", workload.keys),
        ));
    }
    let mix = &workload.mix;
    let weights = [
        ("get", mix.get),
        ("put", mix.put),
        ("append", mix.append),
        ("cas", mix.cas),
    ];
    for (name, weight) in weights {
        if !(weight.is_finite() && weight >= 0.0) {
            return Err(Invalid::new(
                format!("workload.mix.{name}"),
                format!("expected a non-negative weight, found {weight:?}"),
            ));
        }
    }
    if weights.iter().map(|(_, w)| w).sum::<f64>() <= 0.0 {
        return Err(Invalid::new(
            "workload.mix",
            "expected at least one positive weight among get, put, append, cas",
        ));
    }
    positive(workload.timeout, "workload.timeout")?;
    let [low, high] = workload.think;
    if low > high {
        return Err(Invalid::new(
            "workload.think",
            format!("expected [min, max] with min <= max, found [{low}, {high}]"),
        ));
    }
    Ok(())
}

fn validate_protocol(scenario: &Scenario) -> Check {
    let nodes = scenario.cluster.nodes;
    match &scenario.protocol {
        ProtocolSpec::Heartbeat(heartbeat) => heartbeat.validate(nodes),
        ProtocolSpec::Gossip(gossip) => {
            let writes = u64::from(gossip.writes.count) * u64::from(nodes);
            if writes > 100_000_000 {
                return Err(Invalid::new(
                    "protocol.gossip.writes.count",
                    format!("expected writes x nodes of at most 10^8 (dissemination is tracked per node), found {writes}"),
                ));
            }
            Ok(())
        }
        ProtocolSpec::Raft(raft) => raft.validate(nodes),
        ProtocolSpec::Registered { name, .. } => match crate::protocol::registered(name) {
            Some(protocol) => protocol.validate(scenario),
            None => Err(Invalid::new(
                "protocol",
                format!("protocol {name:?} is not registered in this process"),
            )),
        },
    }
}

fn validate_cluster(scenario: &Scenario) -> Check {
    let cluster = &scenario.cluster;
    if cluster.nodes == 0 {
        return Err(Invalid::new("cluster.nodes", "expected at least 1 node"));
    }
    at_most(cluster.nodes, MAX_NODES, "cluster.nodes", "any scenario")?;
    if let Some(disk) = &cluster.disk {
        disk.validate("cluster.disk", &cluster.zones)?;
    }
    if let Some([low, high]) = cluster.clock_skew {
        let (min, max) = CLOCK_RATE_RANGE;
        if !(min..=max).contains(&low) || !(min..=max).contains(&high) || low > high {
            return Err(Invalid::new(
                "cluster.clock_skew",
                format!("expected [low, high] with {min} <= low <= high <= {max}, found [{low}, {high}]"),
            ));
        }
    }
    let mut placed = BTreeSet::new();
    for (zone, members) in &cluster.zones {
        let field = format!("cluster.zones.{zone}");
        if zone.trim().is_empty() {
            return Err(Invalid::new(
                "cluster.zones",
                "expected non-empty zone names",
            ));
        }
        for (i, &node) in members.iter().enumerate() {
            node_id(node, cluster.nodes, &format!("{field}[{i}]"))?;
            if !placed.insert(node) {
                return Err(Invalid::new(
                    format!("{field}[{i}]"),
                    format!("node {node} is already in another zone"),
                ));
            }
        }
    }
    Ok(())
}

fn validate_network(scenario: &Scenario) -> Check {
    let network = &scenario.network;
    latency(&network.latency, "network.latency")?;
    probability(network.drop, "network.drop")?;
    probability(network.duplicate, "network.duplicate")?;
    probability(network.reorder, "network.reorder")?;
    for (index, link) in network.links.iter().enumerate() {
        let field = format!("network.links[{index}]");
        for (name, zone) in [("from", &link.from), ("to", &link.to)] {
            if !scenario.cluster.zones.contains_key(zone) && zone != "default" {
                return Err(Invalid::new(
                    format!("{field}.{name}"),
                    format!(
                        "expected a zone named in cluster.zones (or \"default\"), found {zone:?}"
                    ),
                ));
            }
        }
        link_override(&link.link, &format!("{field}.link"))?;
    }
    Ok(())
}

pub(crate) fn link_override(link: &LinkOverride, field: &str) -> Check {
    if let Some(l) = &link.latency {
        latency(l, &format!("{field}.latency"))?;
    }
    for (name, p) in [
        ("drop", link.drop),
        ("duplicate", link.duplicate),
        ("reorder", link.reorder),
    ] {
        if let Some(p) = p {
            probability(p, &format!("{field}.{name}"))?;
        }
    }
    Ok(())
}

pub(crate) fn latency(spec: &LatencySpec, field: &str) -> Check {
    let (min, max) = match *spec {
        LatencySpec::Fixed(d) => (d, d),
        LatencySpec::Uniform(min, max) => (min, max),
        LatencySpec::Pareto { min, alpha, max } => {
            if !(alpha.is_finite() && alpha > 0.0) {
                return Err(Invalid::new(
                    format!("{field}.pareto.alpha"),
                    format!("expected a positive shape, found {alpha:?}"),
                ));
            }
            positive(min, &format!("{field}.pareto.min"))?;
            (min, max)
        }
    };
    if min > max {
        return Err(Invalid::new(
            field,
            format!("expected min <= max, found {min} > {max}"),
        ));
    }
    if max.0 > MAX_LATENCY {
        return Err(Invalid::new(
            field,
            format!("expected latencies of at most 1h, found {max}"),
        ));
    }
    Ok(())
}

/// A clock rate within [`CLOCK_RATE_RANGE`].
pub(crate) fn clock_rate(rate: f64, field: &str) -> Check {
    let (min, max) = CLOCK_RATE_RANGE;
    if (min..=max).contains(&rate) {
        Ok(())
    } else {
        Err(Invalid::new(
            field,
            format!("expected a rate between {min} and {max}, found {rate:?}"),
        ))
    }
}

pub(crate) fn probability(p: f64, field: &str) -> Check {
    if (0.0..=1.0).contains(&p) {
        Ok(())
    } else {
        Err(Invalid::new(
            field,
            format!("expected a probability between 0 and 1, found {p:?}"),
        ))
    }
}

pub(crate) fn positive(span: Span, field: &str) -> Check {
    if span.0.is_zero() {
        Err(Invalid::new(field, "expected a positive duration"))
    } else {
        Ok(())
    }
}

pub(crate) fn node_id(node: u32, nodes: u32, field: &str) -> Check {
    if (1..=nodes).contains(&node) {
        Ok(())
    } else {
        Err(Invalid::new(
            field,
            format!("expected a node id between 1 and {nodes}, found {node}"),
        ))
    }
}

/// Checks groups of node ids, each given with its field path: every group non-empty, every id
/// in the cluster (named `{path}[i]`), no id in two groups.
pub(crate) fn disjoint_groups<'a>(
    groups: impl IntoIterator<Item = (String, &'a [u32])>,
    nodes: u32,
) -> Check {
    let mut seen = BTreeSet::new();
    for (path, group) in groups {
        if group.is_empty() {
            return Err(Invalid::new(path, "expected a non-empty group"));
        }
        for (i, &node) in group.iter().enumerate() {
            let here = format!("{path}[{i}]");
            node_id(node, nodes, &here)?;
            if !seen.insert(node) {
                return Err(Invalid::new(
                    here,
                    format!("node {node} appears in two groups"),
                ));
            }
        }
    }
    Ok(())
}

pub(crate) fn at_most(value: u32, limit: u32, field: &str, what: &str) -> Check {
    if value > limit {
        Err(Invalid::new(
            field,
            format!("expected at most {limit} nodes for {what}, found {value}"),
        ))
    } else {
        Ok(())
    }
}

//! Gossip membership in scenarios: a node joins through seeds (`{"join": {"node": 7, "seeds":
//! [1]}}`) or leaves gracefully (`{"leave": 3}`). The cluster lists every node that ever takes
//! part; a node whose first join or leave is a join starts outside (it knows nobody and nobody
//! knows it) and learns the members through the protocol once it joins. Each node's joins and
//! leaves alternate, and a join's seeds are members when it happens.

use super::duration::Span;
use super::error::Invalid;
use super::fault::{FaultAction, FaultSpec};
use super::spec::{ProtocolSpec, Scenario};
use super::validate as check;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A node joining a gossip cluster (with SWIM) through seeds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JoinSpec {
    /// The node that joins (1-based).
    pub node: u32,
    /// The members it asks to let it in (1-based); it learns the others from them.
    pub seeds: Vec<u32>,
}

/// What a [`MemberChange`] does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChangeKind {
    /// The node joins through these seeds (1-based).
    Join(Vec<u32>),
    /// The node leaves gracefully.
    Leave,
}

/// One join or leave of a scenario.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberChange {
    /// When (the node's clock).
    pub at: Span,
    /// The node (1-based).
    pub node: u32,
    /// Join or leave.
    pub kind: ChangeKind,
    /// The fault's index in the scenario's list (for error messages).
    pub index: usize,
}

/// The joins and leaves of `faults`, in time order (file order among equal times).
pub fn member_changes(faults: &[FaultSpec]) -> Vec<MemberChange> {
    let mut changes: Vec<MemberChange> = faults
        .iter()
        .enumerate()
        .filter_map(|(index, fault)| {
            let (node, kind) = match &fault.action {
                FaultAction::Join(join) => (join.node, ChangeKind::Join(join.seeds.clone())),
                FaultAction::Leave(node) => (*node, ChangeKind::Leave),
                _ => return None,
            };
            Some(MemberChange {
                at: fault.at,
                node,
                kind,
                index,
            })
        })
        .collect();
    changes.sort_by_key(|c| c.at);
    changes
}

/// Who is a member when: each node's standing at the start and after each of its changes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Standing {
    changes: Vec<MemberChange>,
}

impl Standing {
    /// The standing of `scenario`'s nodes.
    pub fn of(scenario: &Scenario) -> Self {
        Standing {
            changes: member_changes(&scenario.faults),
        }
    }

    /// The joins and leaves, in time order.
    pub fn changes(&self) -> &[MemberChange] {
        &self.changes
    }

    /// True when `node` (1-based) starts outside the cluster: its first change is a join.
    pub fn outside_at_start(&self, node: u32) -> bool {
        self.changes
            .iter()
            .find(|c| c.node == node)
            .is_some_and(|c| matches!(c.kind, ChangeKind::Join(_)))
    }

    /// True when `node` is a member once every change up to `at` has happened.
    pub fn member_at(&self, node: u32, at: Span) -> bool {
        match self.changes.iter().rfind(|c| c.node == node && c.at <= at) {
            Some(change) => matches!(change.kind, ChangeKind::Join(_)),
            None => !self.outside_at_start(node),
        }
    }
}

/// Checks each node's joins and leaves together: they alternate (a join of a member or a
/// leave of a node outside is refused), and a join's seeds are members when it happens.
pub fn validate_changes(scenario: &Scenario) -> Result<(), Invalid> {
    let standing = Standing::of(scenario);
    let mut member: BTreeMap<u32, bool> = BTreeMap::new();
    let is_member = |member: &BTreeMap<u32, bool>, node: u32| {
        member
            .get(&node)
            .copied()
            .unwrap_or(!standing.outside_at_start(node))
    };
    for change in standing.changes() {
        let here = format!("faults[{}]", change.index);
        let (node, at) = (change.node, change.at);
        match (&change.kind, is_member(&member, node)) {
            (ChangeKind::Join(_), true) => {
                return Err(Invalid::new(
                    format!("{here}.join.node"),
                    format!("node {node} is already a member at {at}: a node joins at the start of the run or after it left"),
                ))
            }
            (ChangeKind::Leave, false) => {
                return Err(Invalid::new(
                    format!("{here}.leave"),
                    format!("node {node} is not a member at {at}: it left earlier or has not joined yet"),
                ))
            }
            (ChangeKind::Join(seeds), false) => {
                if let Some(i) = seeds.iter().position(|s| !is_member(&member, *s)) {
                    return Err(Invalid::new(
                        format!("{here}.join.seeds[{i}]"),
                        format!("node {} is not a member at {at}: a seed must be in the cluster to let a node in", seeds[i]),
                    ));
                }
            }
            (ChangeKind::Leave, true) => {}
        }
        member.insert(node, matches!(change.kind, ChangeKind::Join(_)));
    }
    Ok(())
}

impl JoinSpec {
    /// Checks the ids and that the protocol can carry a join out (gossip with SWIM); `field`
    /// is the join's path, e.g. `faults[2].join`.
    pub fn validate(&self, scenario: &Scenario, field: &str) -> Result<(), Invalid> {
        let nodes = scenario.cluster.nodes;
        check::node_id(self.node, nodes, &format!("{field}.node"))?;
        if self.seeds.is_empty() {
            return Err(Invalid::new(
                format!("{field}.seeds"),
                "expected at least one seed: a joining node knows nobody else",
            ));
        }
        for (i, &seed) in self.seeds.iter().enumerate() {
            let here = format!("{field}.seeds[{i}]");
            check::node_id(seed, nodes, &here)?;
            if seed == self.node {
                return Err(Invalid::new(
                    here,
                    format!("node {seed} cannot be its own seed"),
                ));
            }
        }
        match &scenario.protocol {
            ProtocolSpec::Gossip(gossip) if gossip.swim.is_none() => Err(Invalid::new(
                field,
                "expected protocol.gossip.swim to be set: a node joins through SWIM (a static view has no joins)",
            )),
            _ => Ok(()),
        }
    }
}

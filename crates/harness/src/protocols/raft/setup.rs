//! Turns a Raft scenario into the setups of its servers, clients and operator.

use super::client::ClientSetup;
use super::msg::AdminAction;
use super::operator::Scheduled;
use super::persist::{DiskBugs, Storage};
use super::server::ServerSetup;
use crate::scenario::{node, FaultAction, RaftSpec, ReadMode, Scenario};
use faultline_sim::NodeId;
use std::collections::BTreeSet;

/// Setup of server `id` (1-based).
pub fn server(scenario: &Scenario, spec: &RaftSpec, id: u32) -> ServerSetup {
    let founders: BTreeSet<u64> = match &spec.initial_members {
        Some(members) => members.iter().map(|&m| u64::from(m)).collect(),
        None => (1..=u64::from(scenario.cluster.nodes)).collect(),
    };
    ServerSetup {
        id: u64::from(id),
        config: spec.core_config(),
        founders: founders.contains(&u64::from(id)).then_some(founders),
        snapshot_every: spec.snapshot_every,
        log_reads: spec.reads == ReadMode::Log,
        storage: storage(scenario, spec),
    }
}

/// Where a server's durable state lives: a disk with `cluster.disk`, or for the planted bug
/// `forget_vote_on_restart` (a vote never made durable is a disk's behaviour: without
/// `cluster.disk` the kernel's default disk, whose syncs complete at once and whose crashes
/// lose every unsynced write); otherwise the kernel's durable value.
fn storage(scenario: &Scenario, spec: &RaftSpec) -> Storage {
    let bugs = &spec.bugs;
    if scenario.cluster.disk.is_none() && !bugs.forget_vote_on_restart {
        return Storage::Instant;
    }
    Storage::Disk(DiskBugs {
        ack_before_sync: bugs.ack_before_sync,
        vote_before_sync: bugs.vote_before_sync,
        forget_vote_on_restart: bugs.forget_vote_on_restart,
        truncate_on_corruption: bugs.truncate_on_corruption,
        crash_on_corruption: bugs.crash_on_corruption,
        apply_snapshot_before_durable: bugs.apply_snapshot_before_durable,
    })
}

/// Kernel ids of every server.
pub fn servers(scenario: &Scenario) -> Vec<NodeId> {
    (1..=scenario.cluster.nodes).map(node).collect()
}

/// Setups of the workload's clients (none without a workload).
pub fn clients(scenario: &Scenario, spec: &RaftSpec) -> Vec<ClientSetup> {
    let Some(workload) = &scenario.workload else {
        return Vec::new();
    };
    let k = workload.clients;
    let mix = &workload.mix;
    (0..k)
        .map(|i| ClientSetup {
            number: i + 1,
            ops: workload.ops / k + u32::from(i < workload.ops % k),
            keys: workload.keys,
            mix: [mix.get, mix.put, mix.append, mix.cas],
            timeout: workload.timeout.nanos(),
            think: workload.think.map(|t| t.nanos()),
            attempt: spec.election_timeout[0].nanos(),
            backoff: spec.heartbeat.nanos(),
            servers: servers(scenario),
        })
        .collect()
}

/// The operator's schedule: the scenario's membership changes and transfers, in file order.
pub fn operator(scenario: &Scenario) -> Vec<Scheduled> {
    let ids = |nodes: &[u32]| nodes.iter().map(|&n| u64::from(n)).collect::<Vec<_>>();
    let names = |nodes: &[u32]| {
        nodes
            .iter()
            .map(|n| format!("n{n}"))
            .collect::<Vec<_>>()
            .join(",")
    };
    scenario
        .faults
        .iter()
        .filter_map(|fault| {
            let (action, label) = if let FaultAction::Membership(change) = &fault.action {
                let mut label = Vec::new();
                if !change.add.is_empty() {
                    label.push(format!("add {}", names(&change.add)));
                }
                if !change.remove.is_empty() {
                    label.push(format!("remove {}", names(&change.remove)));
                }
                (
                    AdminAction::Membership {
                        add: ids(&change.add),
                        remove: ids(&change.remove),
                    },
                    label.join(" "),
                )
            } else if let FaultAction::Transfer(transfer) = &fault.action {
                (
                    AdminAction::Transfer {
                        to: u64::from(transfer.to),
                    },
                    format!("transfer to n{}", transfer.to),
                )
            } else {
                return None;
            };
            Some(Scheduled {
                at: fault.at.nanos(),
                action,
                label,
            })
        })
        .collect()
}

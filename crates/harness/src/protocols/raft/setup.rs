//! Turns a Raft scenario into the setups of its servers, clients and operator.

use super::client::ClientSetup;
use super::msg::AdminAction;
use super::operator::Scheduled;
use super::persist::{DiskBugs, Storage};
use super::server::ServerSetup;
use crate::scenario::{node, FaultAction, RaftSpec, ReadMode, Scenario};
use faultline_raft::{Config, PlantedBugs};
use faultline_sim::NodeId;
use std::collections::BTreeSet;

/// The core configuration a scenario asks for.
pub fn core_config(spec: &RaftSpec) -> Config {
    let [min, max] = spec.election_timeout;
    let bugs = &spec.bugs;
    let defaults = Config::default();
    let flow = spec.flow_control.unwrap_or_default();
    let count =
        |n: Option<u64>, default| n.map_or(default, |n| usize::try_from(n).unwrap_or(usize::MAX));
    Config {
        election_timeout_min: min.nanos(),
        election_timeout_max: max.nanos(),
        heartbeat_interval: spec.heartbeat.nanos(),
        pre_vote: spec.pre_vote,
        check_quorum: spec.check_quorum,
        lease_reads: spec.reads == ReadMode::Lease,
        max_clock_drift: spec.max_clock_drift.map_or(min.nanos() / 10, |d| d.nanos()),
        bugs: PlantedBugs {
            commit_previous_term_by_counting: bugs.figure8_commit,
            vote_without_log_check: bugs.vote_without_log_check,
            forget_vote_on_restart: bugs.forget_vote_on_restart,
            read_without_quorum_check: bugs.stale_local_reads,
            accept_stale_term_append: bugs.accept_stale_term_append,
            lease_ignores_clock_drift: bugs.lease_ignores_drift,
            forget_lease_promise_on_restart: bugs.forget_lease_promise_on_restart,
            prevote_rejection_hides_term: bugs.prevote_rejection_hides_term,
        },
        max_entries_per_msg: count(flow.max_entries_per_msg, defaults.max_entries_per_msg),
        max_inflight_msgs: count(flow.max_inflight_msgs, defaults.max_inflight_msgs),
        ..defaults
    }
}

/// Setup of server `id` (1-based).
pub fn server(scenario: &Scenario, spec: &RaftSpec, id: u32) -> ServerSetup {
    let founders: BTreeSet<u64> = match &spec.initial_members {
        Some(members) => members.iter().map(|&m| u64::from(m)).collect(),
        None => (1..=u64::from(scenario.cluster.nodes)).collect(),
    };
    ServerSetup {
        id: u64::from(id),
        config: core_config(spec),
        founders: founders.contains(&u64::from(id)).then_some(founders),
        snapshot_every: spec.snapshot_every,
        log_reads: spec.reads == ReadMode::Log,
        storage: match scenario.cluster.disk {
            None => Storage::Instant,
            Some(_) => Storage::Disk(DiskBugs {
                ack_before_sync: spec.bugs.ack_before_sync,
                vote_before_sync: spec.bugs.vote_before_sync,
                truncate_on_corruption: spec.bugs.truncate_on_corruption,
                crash_on_corruption: spec.bugs.crash_on_corruption,
            }),
        },
    }
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

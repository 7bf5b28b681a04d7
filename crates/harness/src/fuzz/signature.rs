//! What makes two failures "the same bug": a typed signature of a failing seed, built from the
//! checks it failed and the shape of its (shrunk) scenario.

use crate::scenario::{Aim, FaultAction, FaultSpec, Scenario};
use serde::Serialize;
use std::collections::BTreeSet;

/// Which server a fault hit, by its role in the cluster rather than its number (server 2 in one
/// seed is server 4 in another; "the leader" is the same role in both).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeRole {
    /// Whoever leads when the fault fires (Raft `leader`).
    Leader,
    /// The next server to win an election (Raft `new_leader`).
    NewLeader,
    /// A server as it grants a vote (Raft `voter`).
    Voter,
    /// The next server to start a campaign (Raft `candidate`).
    Candidate,
    /// A server as it acknowledges its leader (Raft `follower`).
    Follower,
    /// A server named by its number (crash, pause, clock).
    Numbered,
    /// Every server at once (an outage).
    Whole,
    /// The links between servers (partitions, cuts, link changes).
    Links,
}

impl NodeRole {
    /// The role's name as written in signatures and pages.
    pub fn name(self) -> &'static str {
        match self {
            NodeRole::Leader => "leader",
            NodeRole::NewLeader => "new_leader",
            NodeRole::Voter => "voter",
            NodeRole::Candidate => "candidate",
            NodeRole::Follower => "follower",
            NodeRole::Numbered => "numbered",
            NodeRole::Whole => "whole",
            NodeRole::Links => "links",
        }
    }
}

/// A failure's signature: the checks that failed plus the shape of the scenario that made them
/// fail (the kinds of fault it holds and the roles of the servers they hit; repairs such as
/// restart, resume and heal are left out, they follow from the faults). Failures with equal
/// signatures are counted as one group with one representative.
///
/// Built from the shrunk scenario when the sweep shrank its failures (`--shrink`), which keeps
/// only the faults the failure needs; from the full expanded scenario otherwise (coarser groups).
/// A later field (the code-probe path a failing run took) joins the ordering at the end, so
/// earlier groupings only split, never merge.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct FailureSignature {
    /// The failing checks, sorted.
    pub checks: Vec<String>,
    /// The fault kinds present (see [`fault_kind`]), sorted, each once.
    pub faults: Vec<String>,
    /// The roles of the servers hit, sorted, each once.
    pub roles: Vec<NodeRole>,
}

impl FailureSignature {
    /// The signature of a failure of `checks` in `scenario`.
    pub fn of(checks: &[String], scenario: &Scenario) -> Self {
        let checks: BTreeSet<String> = checks.iter().cloned().collect();
        let causes = scenario.faults.iter().filter(|f| is_cause(f));
        let faults: BTreeSet<String> = causes.clone().map(fault_kind).collect();
        let roles: BTreeSet<NodeRole> = causes.map(role).collect();
        FailureSignature {
            checks: checks.into_iter().collect(),
            faults: faults.into_iter().collect(),
            roles: roles.into_iter().collect(),
        }
    }

    /// A short stable name for file names and links: `sig-` and 8 hex digits of the signature.
    pub fn id(&self) -> String {
        let hash = faultline_sim::StableHasher::hash_one(self.to_string().as_str());
        format!("sig-{:08x}", hash & 0xffff_ffff)
    }
}

impl std::fmt::Display for FailureSignature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let roles: Vec<&str> = self.roles.iter().map(|r| r.name()).collect();
        let or_none = |items: String| {
            if items.is_empty() {
                "none".into()
            } else {
                items
            }
        };
        write!(
            f,
            "{} | faults: {} | roles: {}",
            self.checks.join(", "),
            or_none(self.faults.join(", ")),
            or_none(roles.join(", "))
        )
    }
}

/// True for a fault that does harm, false for one that only repairs an earlier one (restart,
/// resume, heal): signatures and the kinds a sweep drew count causes only.
pub fn is_cause(fault: &FaultSpec) -> bool {
    !matches!(
        fault.action,
        FaultAction::Restart(_) | FaultAction::Resume(_) | FaultAction::Heal
    )
}

/// A fault's kind as signatures and sweep pages name it: its file-format field (`crash`,
/// `partition`, `network`...), and for a Raft fault aimed at a role, the role and what it does
/// (`leader:crash`, `new_leader:isolate`, `voter:pause`).
pub fn fault_kind(fault: &FaultSpec) -> String {
    match &fault.action {
        FaultAction::Aimed(aim, aimed) => format!("{}:{}", aim.field(), aimed.action()),
        _ => fault.field().to_string(),
    }
}

/// The role of the server(s) a fault hits.
fn role(fault: &FaultSpec) -> NodeRole {
    match &fault.action {
        FaultAction::Aimed(Aim::Leader, _) => NodeRole::Leader,
        FaultAction::Aimed(Aim::NewLeader, _) => NodeRole::NewLeader,
        FaultAction::Aimed(Aim::Voter, _) => NodeRole::Voter,
        FaultAction::Aimed(Aim::Candidate, _) => NodeRole::Candidate,
        FaultAction::Aimed(Aim::Follower, _) => NodeRole::Follower,
        FaultAction::Outage(_) => NodeRole::Whole,
        FaultAction::Partition(_) | FaultAction::Cut(_) | FaultAction::Network(_) => {
            NodeRole::Links
        }
        FaultAction::Crash(_)
        | FaultAction::Restart(_)
        | FaultAction::Pause(_)
        | FaultAction::Resume(_)
        | FaultAction::Heal
        | FaultAction::Clock(_)
        | FaultAction::Membership(_)
        | FaultAction::Transfer(_)
        | FaultAction::Disk(_)
        | FaultAction::Join(_)
        | FaultAction::Leave(_) => NodeRole::Numbered,
    }
}

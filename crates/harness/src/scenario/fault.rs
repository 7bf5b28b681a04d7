//! Scheduled faults: `at` plus one typed [`FaultAction`], and every concern about a fault as one
//! exhaustive `match` here: parsing from the file format, validation, kernel translation,
//! which later fault undoes which, labels, fault windows for charts, and shrink steps.
//!
//! A new fault kind is one variant of [`FaultAction`], one field of [`RawFault`] (the file
//! format), and one arm in each `match` below; the compiler finds every arm that is missing.

use super::disk::DiskFaultSpec;
use super::duration::Span;
use super::error::Invalid;
use super::members::JoinSpec;
use super::outage::OutageSpec;
use super::spec::{LinkOverride, Scenario};
use super::validate as check;
use super::{node, rate_ppm};
use faultline_sim::{Fault, LinkConfig, OneWayCut, Time};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// One scheduled fault: when, and what.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawFault", into = "RawFault")]
pub struct FaultSpec {
    /// When it happens.
    pub at: Span,
    /// What happens.
    pub action: FaultAction,
}

/// What a fault does.
#[derive(Clone, Debug, PartialEq)]
pub enum FaultAction {
    /// Crash this node (1-based id).
    Crash(u32),
    /// Restart this crashed node.
    Restart(u32),
    /// Freeze this node (a GC pause, a stopped VM): it keeps its state and its clock runs on;
    /// messages and timers due to it wait until it resumes.
    Pause(u32),
    /// Let this paused node carry on: what waited is handled at once, in arrival order.
    Resume(u32),
    /// A power loss: every node of the cluster crashes, and all restart after the outage's
    /// `down` (a node that was already down comes back too), its `late` nodes later still.
    Outage(OutageSpec),
    /// Split into groups that cannot reach each other; unlisted nodes reach everyone.
    Partition(Vec<Vec<u32>>),
    /// A one-way cut.
    Cut(CutSpec),
    /// Remove every partition and cut (`"heal": "all"`).
    Heal,
    /// Change one node's clock rate.
    Clock(ClockSpec),
    /// Replace the default link behaviour from now on (loss bursts, latency spikes).
    Network(LinkOverride),
    /// Raft operator action: change the voters (learners catch up first).
    Membership(MembershipSpec),
    /// Raft operator action: hand leadership to a node.
    Transfer(TransferSpec),
    /// Raft: a fault aimed at a server picked during the run (see [`Aim`]).
    Aimed(Aim, AimedFault),
    /// A storage fault on one node's disk (see [`DiskFaultSpec`]).
    Disk(DiskFaultSpec),
    /// Gossip with SWIM: a node joins through seeds (see `scenario::members`).
    Join(JoinSpec),
    /// Gossip: this node leaves gracefully (it tells a few members, then goes quiet).
    Leave(u32),
}

/// Which server a Raft [`AimedFault`] hits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Aim {
    /// Whichever server leads when the fault fires (`leader`).
    Leader,
    /// The next server to win an election (`new_leader`).
    NewLeader,
    /// Each server that grants a vote (`voter`).
    Voter,
    /// The next server to start a campaign, at the step it becomes a candidate of a new term
    /// (`candidate`).
    Candidate,
    /// Each server as it acknowledges its leader: a heartbeat, or an append it accepted
    /// (`follower`). A crash here is a restart that forgets whatever the acknowledgement
    /// promised and the server did not write down.
    Follower,
}

impl Aim {
    /// The scenario field that names this aim.
    pub fn field(self) -> &'static str {
        match self {
            Aim::Leader => "leader",
            Aim::NewLeader => "new_leader",
            Aim::Voter => "voter",
            Aim::Candidate => "candidate",
            Aim::Follower => "follower",
        }
    }
}

/// A Raft fault aimed at a server picked during the run (see [`Aim`]): the leader when it
/// fires (nothing happens while none leads), the next server to win an election, or each server
/// that grants a vote. It undoes itself: `{"crash": "500ms"}` crashes the server and restarts it
/// after 500 ms; `{"pause": "500ms"}` freezes it for 500 ms; `{"isolate": "1s"}` partitions it
/// from every other server, then heals every partition; with `"clock": 0.6` its clock also runs
/// at that rate while it is isolated (a lease's worst case). A fault waiting for an election or
/// a vote lapses after `within`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AimedFault {
    /// Crash the server for this long.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crash: Option<Span>,
    /// Isolate the server for this long.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub isolate: Option<Span>,
    /// Freeze the server for this long (a GC pause): it keeps its state and its clock runs on;
    /// messages and timers due to it wait, and are handled at once when it resumes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pause: Option<Span>,
    /// Split the servers in two for this long: the server and the servers after it by id (in
    /// turn, wrapping round, passing over any server that leads), half the cluster rounded
    /// down in all, against the rest. Its side is never a quorum, and messages in flight
    /// between the sides are lost: aimed at a candidate, its campaign reaches its side only,
    /// away from the leader it would depose, so the two sides go on in different terms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub split: Option<Span>,
    /// Cut the server off, both ways, from the servers after it by id, half the others
    /// rounded down (one of two, two of four), for this long; every other link stays, so the
    /// rest hear both sides (Jepsen's bridge). Aimed at a leader, it keeps a quorum and its
    /// lease while the servers it cannot reach elect another leader through the ones between.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bridge: Option<Span>,
    /// With `isolate`: the isolated server's clock rate until the heal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock: Option<f64>,
    /// For `new_leader`, `voter`, `candidate` and `follower`: how long the fault waits for
    /// its moment (or, for `voter` and `follower`, keeps firing at each) before lapsing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub within: Option<Span>,
}

impl AimedFault {
    /// How long until the fault is undone.
    pub fn duration(&self) -> Span {
        self.crash
            .or(self.isolate)
            .or(self.pause)
            .or(self.split)
            .or(self.bridge)
            .unwrap_or_default()
    }

    /// What it does to its target (validation makes exactly one field set).
    pub fn effect(&self) -> AimedEffect {
        if self.crash.is_some() {
            AimedEffect::Crash
        } else if self.pause.is_some() {
            AimedEffect::Pause
        } else if self.split.is_some() {
            AimedEffect::Split
        } else if self.bridge.is_some() {
            AimedEffect::Bridge
        } else {
            AimedEffect::Isolate
        }
    }

    /// The field of what it does to its target: `crash`, `pause`, `split`, `bridge` or
    /// `isolate`.
    pub fn action(&self) -> &'static str {
        self.effect().field()
    }

    /// What it does to its target, in one word.
    pub fn verb(&self) -> &'static str {
        self.effect().verb()
    }
}

/// What an aimed fault does to the server it hits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AimedEffect {
    /// Crashed, restarted after the duration.
    Crash,
    /// Frozen, resumed after the duration.
    Pause,
    /// Split off with the servers after it, half the cluster.
    Split,
    /// Cut off both ways from the half of the others after it.
    Bridge,
    /// Cut off from every other server.
    Isolate,
}

impl AimedEffect {
    /// Its field in the file format.
    pub fn field(self) -> &'static str {
        match self {
            AimedEffect::Crash => "crash",
            AimedEffect::Pause => "pause",
            AimedEffect::Split => "split",
            AimedEffect::Bridge => "bridge",
            AimedEffect::Isolate => "isolate",
        }
    }

    /// What it does, in one word, for fault descriptions.
    pub fn verb(self) -> &'static str {
        match self {
            AimedEffect::Crash => "crash",
            AimedEffect::Pause => "paused",
            AimedEffect::Split => "split off",
            AimedEffect::Bridge => "bridged",
            AimedEffect::Isolate => "isolated",
        }
    }
}

/// A membership change: voters to add and to remove.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MembershipSpec {
    /// Nodes that become voters (they join as learners and are promoted once caught up).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub add: Vec<u32>,
    /// Voters to remove (the leader may be one of them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub remove: Vec<u32>,
}

/// A leadership transfer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransferSpec {
    /// The node that should lead.
    pub to: u32,
}

/// A one-way cut between node sets.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CutSpec {
    /// Senders whose messages are lost...
    pub from: Vec<u32>,
    /// ...when addressed to these nodes.
    pub to: Vec<u32>,
}

/// A clock-rate change.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockSpec {
    /// The node (1-based).
    pub node: u32,
    /// New rate relative to true time, e.g. 1.02.
    pub rate: f64,
}

/// The file format of a fault: `at` plus one field per action, exactly one of them set.
/// Only [`FaultSpec`]'s serde goes through it.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFault {
    at: Span,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    crash: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    restart: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pause: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    resume: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    outage: Option<OutageSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    partition: Option<Vec<Vec<u32>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cut: Option<CutSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    heal: Option<HealAll>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    clock: Option<ClockSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    network: Option<LinkOverride>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    membership: Option<MembershipSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    transfer: Option<TransferSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    leader: Option<AimedFault>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    new_leader: Option<AimedFault>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    voter: Option<AimedFault>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    candidate: Option<AimedFault>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    follower: Option<AimedFault>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    disk: Option<DiskFaultSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    join: Option<JoinSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    leave: Option<u32>,
}

/// The only value `heal` takes: `"all"`.
#[derive(Clone, Copy, Debug)]
struct HealAll;

impl Serialize for HealAll {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str("all")
    }
}

impl<'de> Deserialize<'de> for HealAll {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        if text == "all" {
            Ok(HealAll)
        } else {
            Err(serde::de::Error::custom(format!(
                "expected \"all\", found {text:?}"
            )))
        }
    }
}

/// The action fields of the file format, in the order errors list them.
const ACTION_FIELDS: [&str; 20] = [
    "crash",
    "pause",
    "resume",
    "outage",
    "restart",
    "partition",
    "cut",
    "heal",
    "clock",
    "network",
    "membership",
    "transfer",
    "leader",
    "new_leader",
    "voter",
    "candidate",
    "follower",
    "disk",
    "join",
    "leave",
];

impl TryFrom<RawFault> for FaultSpec {
    type Error = String;

    fn try_from(raw: RawFault) -> Result<Self, String> {
        // Named field by field, without `..`: a raw field added and not read here is a
        // compile error (missing from the pattern) or an unused variable.
        let RawFault {
            at,
            crash,
            pause,
            resume,
            outage,
            restart,
            partition,
            cut,
            heal,
            clock,
            network,
            membership,
            transfer,
            leader,
            new_leader,
            voter,
            candidate,
            follower,
            disk,
            join,
            leave,
        } = raw;
        let aimed = |aim| move |f| FaultAction::Aimed(aim, f);
        let actions = [
            crash.map(FaultAction::Crash),
            pause.map(FaultAction::Pause),
            resume.map(FaultAction::Resume),
            outage.map(FaultAction::Outage),
            restart.map(FaultAction::Restart),
            partition.map(FaultAction::Partition),
            cut.map(FaultAction::Cut),
            heal.map(|HealAll| FaultAction::Heal),
            clock.map(FaultAction::Clock),
            network.map(FaultAction::Network),
            membership.map(FaultAction::Membership),
            transfer.map(FaultAction::Transfer),
            leader.map(aimed(Aim::Leader)),
            new_leader.map(aimed(Aim::NewLeader)),
            voter.map(aimed(Aim::Voter)),
            candidate.map(aimed(Aim::Candidate)),
            follower.map(aimed(Aim::Follower)),
            disk.map(FaultAction::Disk),
            join.map(FaultAction::Join),
            leave.map(FaultAction::Leave),
        ];
        let present: Vec<&str> = actions.iter().flatten().map(FaultAction::field).collect();
        let mut set = actions.into_iter().flatten();
        match (set.next(), set.next()) {
            (Some(action), None) => Ok(FaultSpec { at, action }),
            _ => Err(format!(
                "expected exactly one of {}; found {}",
                ACTION_FIELDS.join(", "),
                if present.is_empty() {
                    "none".to_string()
                } else {
                    present.join(" and ")
                }
            )),
        }
    }
}

impl From<FaultSpec> for RawFault {
    fn from(fault: FaultSpec) -> RawFault {
        let mut raw = RawFault {
            at: fault.at,
            ..RawFault::default()
        };
        raw.set(fault.action);
        raw
    }
}

impl RawFault {
    /// Sets the one field that writes `action`.
    fn set(&mut self, action: FaultAction) {
        match action {
            FaultAction::Crash(n) => self.crash = Some(n),
            FaultAction::Restart(n) => self.restart = Some(n),
            FaultAction::Pause(n) => self.pause = Some(n),
            FaultAction::Resume(n) => self.resume = Some(n),
            FaultAction::Outage(outage) => self.outage = Some(outage),
            FaultAction::Partition(groups) => self.partition = Some(groups),
            FaultAction::Cut(cut) => self.cut = Some(cut),
            FaultAction::Heal => self.heal = Some(HealAll),
            FaultAction::Clock(clock) => self.clock = Some(clock),
            FaultAction::Network(link) => self.network = Some(link),
            FaultAction::Membership(change) => self.membership = Some(change),
            FaultAction::Transfer(transfer) => self.transfer = Some(transfer),
            FaultAction::Aimed(Aim::Leader, f) => self.leader = Some(f),
            FaultAction::Aimed(Aim::NewLeader, f) => self.new_leader = Some(f),
            FaultAction::Aimed(Aim::Voter, f) => self.voter = Some(f),
            FaultAction::Aimed(Aim::Candidate, f) => self.candidate = Some(f),
            FaultAction::Aimed(Aim::Follower, f) => self.follower = Some(f),
            FaultAction::Disk(disk) => self.disk = Some(disk),
            FaultAction::Join(join) => self.join = Some(join),
            FaultAction::Leave(node) => self.leave = Some(node),
        }
    }
}

/// Who carries a fault out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Carrier {
    /// The kernel, at the fault's time (`FaultSpec::kernel_faults`).
    Kernel,
    /// An operator, through the protocol (membership changes, leadership transfers).
    Operator,
    /// The protocol's driver, on a server it picks during the run (aimed faults).
    Aimed,
    /// The node itself, through its protocol (gossip joins and leaves).
    Node,
}

impl FaultAction {
    /// The file-format field of this action, e.g. `crash` or `new_leader`.
    pub fn field(&self) -> &'static str {
        match self {
            FaultAction::Crash(_) => "crash",
            FaultAction::Restart(_) => "restart",
            FaultAction::Pause(_) => "pause",
            FaultAction::Resume(_) => "resume",
            FaultAction::Outage(_) => "outage",
            FaultAction::Partition(_) => "partition",
            FaultAction::Cut(_) => "cut",
            FaultAction::Heal => "heal",
            FaultAction::Clock(_) => "clock",
            FaultAction::Network(_) => "network",
            FaultAction::Membership(_) => "membership",
            FaultAction::Transfer(_) => "transfer",
            FaultAction::Aimed(aim, _) => aim.field(),
            FaultAction::Disk(_) => "disk",
            FaultAction::Join(_) => "join",
            FaultAction::Leave(_) => "leave",
        }
    }
}

impl FaultSpec {
    /// A fault at `at`.
    pub fn new(at: Span, action: FaultAction) -> Self {
        FaultSpec { at, action }
    }

    /// Who carries this fault out.
    pub fn carrier(&self) -> Carrier {
        match self.action {
            FaultAction::Membership(_) | FaultAction::Transfer(_) => Carrier::Operator,
            FaultAction::Aimed(..) => Carrier::Aimed,
            FaultAction::Join(_) | FaultAction::Leave(_) => Carrier::Node,
            FaultAction::Crash(_)
            | FaultAction::Restart(_)
            | FaultAction::Pause(_)
            | FaultAction::Resume(_)
            | FaultAction::Outage(_)
            | FaultAction::Partition(_)
            | FaultAction::Cut(_)
            | FaultAction::Heal
            | FaultAction::Clock(_)
            | FaultAction::Network(_)
            | FaultAction::Disk(_) => Carrier::Kernel,
        }
    }

    /// The protocol this fault needs, when only one protocol can carry it out.
    pub fn protocol_only(&self) -> Option<&'static str> {
        match self.carrier() {
            Carrier::Kernel => None,
            Carrier::Operator | Carrier::Aimed => Some("raft"),
            Carrier::Node => Some("gossip"),
        }
    }

    /// The file-format field of this fault's action, e.g. `crash` or `new_leader`.
    pub fn field(&self) -> &'static str {
        self.action.field()
    }

    /// The Raft fault aimed at a server picked during the run, if this is one.
    pub fn aimed(&self) -> Option<(Aim, &AimedFault)> {
        match &self.action {
            FaultAction::Aimed(aim, fault) => Some((*aim, fault)),
            _ => None,
        }
    }

    /// When the fault is over at the latest: its time, plus how long an aimed fault may wait
    /// for its moment and how long it then lasts, or how long an outage lasts.
    pub fn repaired_at(&self) -> Span {
        let lasting = match &self.action {
            FaultAction::Aimed(_, aimed) => aimed.within.unwrap_or_default().0 + aimed.duration().0,
            FaultAction::Outage(outage) => outage.longest().0,
            _ => std::time::Duration::ZERO,
        };
        Span(self.at.0 + lasting)
    }

    /// True when this (later) fault undoes `cause`: a restart of the crashed node, a resume of
    /// the paused node, a heal of a partition or cut, the next network change after a degraded
    /// network (it replaces it), a skewed clock's return to true speed, a membership change's
    /// reverse, a join of the node that left. Outages and aimed faults undo themselves;
    /// transfers are not undone.
    pub fn undoes(&self, cause: &FaultSpec) -> bool {
        match (&cause.action, &self.action) {
            (FaultAction::Crash(down), FaultAction::Restart(up)) => down == up,
            (FaultAction::Pause(frozen), FaultAction::Resume(thawed)) => frozen == thawed,
            (FaultAction::Partition(_) | FaultAction::Cut(_), FaultAction::Heal) => true,
            (FaultAction::Network(link), FaultAction::Network(_)) => {
                *link != LinkOverride::default()
            }
            (FaultAction::Clock(skew), FaultAction::Clock(back)) => {
                skew.rate != 1.0 && back.node == skew.node && back.rate == 1.0
            }
            (FaultAction::Membership(change), FaultAction::Membership(back)) => {
                !(change.add.is_empty() && change.remove.is_empty())
                    && change.add == back.remove
                    && change.remove == back.add
            }
            (FaultAction::Disk(hit), FaultAction::Disk(fix)) => {
                hit.lasting() && fix.is_repair() && hit.node == fix.node
            }
            (FaultAction::Leave(gone), FaultAction::Join(back)) => *gone == back.node,
            (
                FaultAction::Crash(_)
                | FaultAction::Restart(_)
                | FaultAction::Pause(_)
                | FaultAction::Resume(_)
                | FaultAction::Outage(_)
                | FaultAction::Partition(_)
                | FaultAction::Cut(_)
                | FaultAction::Heal
                | FaultAction::Clock(_)
                | FaultAction::Network(_)
                | FaultAction::Membership(_)
                | FaultAction::Transfer(_)
                | FaultAction::Aimed(..)
                | FaultAction::Disk(_)
                | FaultAction::Join(_)
                | FaultAction::Leave(_),
                _,
            ) => false,
        }
    }

    /// `at 3.2s: crash 2`-style one-line description.
    pub fn describe(&self) -> String {
        let ids = |nodes: &[u32]| {
            let names: Vec<String> = nodes.iter().map(u32::to_string).collect();
            names.join(",")
        };
        let action = match &self.action {
            FaultAction::Crash(n) => format!("crash {n}"),
            FaultAction::Restart(n) => format!("restart {n}"),
            FaultAction::Pause(n) => format!("pause {n}"),
            FaultAction::Resume(n) => format!("resume {n}"),
            FaultAction::Outage(outage) => format!("outage {}", outage.describe()),
            FaultAction::Partition(groups) => {
                let groups: Vec<String> = groups.iter().map(|g| format!("[{}]", ids(g))).collect();
                format!("partition {}", groups.join(" | "))
            }
            FaultAction::Cut(cut) => format!("cut [{}] -> [{}]", ids(&cut.from), ids(&cut.to)),
            FaultAction::Heal => "heal all".to_string(),
            FaultAction::Clock(clock) => format!("clock {} at rate {}", clock.node, clock.rate),
            FaultAction::Network(link) => format!("network {}", describe_link(link)),
            FaultAction::Membership(change) => format!(
                "membership add [{}] remove [{}]",
                ids(&change.add),
                ids(&change.remove)
            ),
            FaultAction::Transfer(transfer) => format!("transfer to {}", transfer.to),
            FaultAction::Aimed(aim, aimed) => describe_aimed(*aim, aimed),
            FaultAction::Disk(disk) => disk.describe(),
            FaultAction::Join(join) => format!("join {} through [{}]", join.node, ids(&join.seeds)),
            FaultAction::Leave(n) => format!("leave {n}"),
        };
        format!("at {}: {action}", self.at)
    }

    /// The label of the window this fault shades in charts, when it opens one: `Some((label,
    /// until))` where `until` is the fault's own end, or `None` to end at the fault that undoes
    /// it (see [`crate::figures::fault_windows`]).
    pub(crate) fn window_label(&self) -> Option<(String, Option<Span>)> {
        match &self.action {
            FaultAction::Partition(_) | FaultAction::Cut(_) => Some(("partition".into(), None)),
            FaultAction::Crash(n) => Some((format!("crash n{n}"), None)),
            FaultAction::Pause(n) => Some((format!("pause n{n}"), None)),
            FaultAction::Outage(_) => Some(("outage".into(), Some(self.repaired_at()))),
            FaultAction::Network(link) if *link != LinkOverride::default() => {
                Some(("network".into(), None))
            }
            FaultAction::Aimed(aim, aimed) => Some((
                format!("{} {}", aim.field().replace('_', " "), aimed.verb()),
                Some(self.repaired_at()),
            )),
            FaultAction::Disk(disk) if disk.lasting() => Some((disk.describe(), None)),
            FaultAction::Leave(n) => Some((format!("left n{n}"), None)),
            FaultAction::Disk(_)
            | FaultAction::Join(_)
            | FaultAction::Network(_)
            | FaultAction::Restart(_)
            | FaultAction::Resume(_)
            | FaultAction::Heal
            | FaultAction::Clock(_)
            | FaultAction::Membership(_)
            | FaultAction::Transfer(_) => None,
        }
    }
}

fn describe_link(link: &LinkOverride) -> String {
    let mut parts = Vec::new();
    if let Some(latency) = &link.latency {
        parts.push(format!(
            "latency {}",
            serde_json::to_string(latency).unwrap_or_default()
        ));
    }
    for (name, value) in [
        ("drop", link.drop),
        ("duplicate", link.duplicate),
        ("reorder", link.reorder),
    ] {
        if let Some(p) = value {
            parts.push(format!("{name} {p}"));
        }
    }
    if parts.is_empty() {
        "back to default".to_string()
    } else {
        parts.join(", ")
    }
}

fn describe_aimed(aim: Aim, aimed: &AimedFault) -> String {
    let mut text = format!("{} {} for {}", aim.field(), aimed.verb(), aimed.duration());
    if let Some(rate) = aimed.clock {
        text.push_str(&format!(" at clock rate {rate}"));
    }
    if let Some(within) = aimed.within {
        text.push_str(&format!(" within {within}"));
    }
    text
}

/// The scenario's faults in kernel terms, in file order; operator actions and aimed faults are
/// carried out during the run and left out.
pub fn kernel_faults(scenario: &Scenario, base: &LinkConfig) -> Vec<(Time, Fault)> {
    let mut out = Vec::new();
    for fault in &scenario.faults {
        let at = Time::from_nanos(fault.at.nanos());
        let nodes = |ids: &[u32]| ids.iter().copied().map(node).collect::<Vec<_>>();
        let kernel = match &fault.action {
            FaultAction::Crash(id) => Fault::Crash(node(*id)),
            FaultAction::Restart(id) => Fault::Restart(node(*id)),
            FaultAction::Pause(id) => Fault::Pause(node(*id)),
            FaultAction::Resume(id) => Fault::Resume(node(*id)),
            FaultAction::Partition(groups) => {
                Fault::Partition(groups.iter().map(|g| nodes(g)).collect())
            }
            FaultAction::Cut(cut) => Fault::Cut(OneWayCut::new(nodes(&cut.from), nodes(&cut.to))),
            FaultAction::Heal => Fault::Heal,
            FaultAction::Clock(clock) => Fault::ClockRate {
                node: node(clock.node),
                rate_ppm: rate_ppm(clock.rate),
            },
            FaultAction::Network(link) => Fault::DefaultLink(link.apply(base)),
            FaultAction::Outage(outage) => {
                let all = 1..=scenario.cluster.nodes;
                out.extend(all.clone().map(|n| (at, Fault::Crash(node(n)))));
                out.extend(all.map(|n| {
                    let back = Time::from_nanos(fault.at.nanos() + outage.down_for(n).nanos());
                    (back, Fault::Restart(node(n)))
                }));
                continue;
            }
            FaultAction::Disk(disk) => match disk.to_kernel() {
                Some(fault) => Fault::Disk {
                    node: node(disk.node),
                    fault,
                },
                None => continue,
            },
            FaultAction::Membership(_)
            | FaultAction::Transfer(_)
            | FaultAction::Aimed(..)
            | FaultAction::Join(_)
            | FaultAction::Leave(_) => continue,
        };
        out.push((at, kernel));
    }
    out
}

impl FaultSpec {
    /// This fault with `node` taken out of it (the shrinker's smaller cluster), or `None` when
    /// nothing meaningful is left.
    pub fn without_node(mut self, gone: u32) -> Option<FaultSpec> {
        let keep = |ids: &mut Vec<u32>| ids.retain(|n| *n != gone);
        match &mut self.action {
            FaultAction::Crash(n)
            | FaultAction::Restart(n)
            | FaultAction::Pause(n)
            | FaultAction::Resume(n)
            | FaultAction::Leave(n) => (*n != gone).then_some(()),
            FaultAction::Join(join) => {
                keep(&mut join.seeds);
                (join.node != gone && !join.seeds.is_empty()).then_some(())
            }
            FaultAction::Clock(clock) => (clock.node != gone).then_some(()),
            FaultAction::Transfer(transfer) => (transfer.to != gone).then_some(()),
            FaultAction::Disk(disk) => (disk.node != gone).then_some(()),
            FaultAction::Partition(groups) => {
                groups.iter_mut().for_each(keep);
                groups.retain(|g| !g.is_empty());
                (groups.len() >= 2).then_some(())
            }
            FaultAction::Cut(cut) => {
                keep(&mut cut.from);
                keep(&mut cut.to);
                (!cut.from.is_empty() && !cut.to.is_empty()).then_some(())
            }
            FaultAction::Membership(change) => {
                keep(&mut change.add);
                keep(&mut change.remove);
                (!change.add.is_empty() || !change.remove.is_empty()).then_some(())
            }
            FaultAction::Outage(outage) => {
                outage.without_node(gone);
                Some(())
            }
            FaultAction::Heal | FaultAction::Network(_) | FaultAction::Aimed(..) => Some(()),
        }?;
        Some(self)
    }

    /// A weaker form of this fault for the shrinker, with a line saying what changed: a loss
    /// burst above 5% at half its loss, a storage fault weakened as
    /// [`DiskFaultSpec::weakened`] says, a staggered outage with every node back together. `None` when there is none.
    pub fn weakened(&self) -> Option<(String, FaultSpec)> {
        match &self.action {
            FaultAction::Network(link) => {
                let drop = link.drop.filter(|p| *p > 0.05)?;
                let weaker = LinkOverride {
                    drop: Some(drop / 2.0),
                    ..link.clone()
                };
                Some((
                    format!("halved the loss of fault {}", self.describe()),
                    FaultSpec::new(self.at, FaultAction::Network(weaker)),
                ))
            }
            FaultAction::Disk(disk) => {
                let (change, weaker) = disk.weakened()?;
                Some((change, FaultSpec::new(self.at, FaultAction::Disk(weaker))))
            }
            FaultAction::Outage(outage) if !outage.late.is_empty() => Some((
                format!(
                    "brought every node of fault {} back together",
                    self.describe()
                ),
                FaultSpec::new(self.at, FaultAction::Outage(OutageSpec::plain(outage.down))),
            )),
            FaultAction::Crash(_)
            | FaultAction::Restart(_)
            | FaultAction::Pause(_)
            | FaultAction::Resume(_)
            | FaultAction::Outage(_)
            | FaultAction::Partition(_)
            | FaultAction::Cut(_)
            | FaultAction::Heal
            | FaultAction::Clock(_)
            | FaultAction::Membership(_)
            | FaultAction::Transfer(_)
            | FaultAction::Aimed(..)
            | FaultAction::Join(_)
            | FaultAction::Leave(_) => None,
        }
    }

    /// Checks what the types cannot: the time, node ids, ranges. `field` is the fault's path,
    /// e.g. `faults[2]`; `nodes` the cluster size.
    pub fn validate(&self, scenario: &Scenario, field: &str) -> Result<(), Invalid> {
        if self.at > scenario.duration {
            return Err(Invalid::new(
                format!("{field}.at"),
                format!(
                    "expected a time within the scenario's duration ({}), found {}",
                    scenario.duration, self.at
                ),
            ));
        }
        let nodes = scenario.cluster.nodes;
        let here = format!("{field}.{}", self.field());
        match &self.action {
            FaultAction::Crash(n)
            | FaultAction::Restart(n)
            | FaultAction::Pause(n)
            | FaultAction::Resume(n)
            | FaultAction::Leave(n) => check::node_id(*n, nodes, &here),
            FaultAction::Join(join) => join.validate(scenario, &here),
            FaultAction::Outage(outage) => outage.validate(nodes, &here),
            FaultAction::Partition(groups) => validate_partition(groups, nodes, &here),
            FaultAction::Cut(cut) => validate_cut(cut, nodes, &here),
            FaultAction::Heal => Ok(()),
            FaultAction::Clock(clock) => {
                check::node_id(clock.node, nodes, &format!("{here}.node"))?;
                check::clock_rate(clock.rate, &format!("{here}.rate"))
            }
            FaultAction::Network(link) => check::link_override(link, &here),
            FaultAction::Membership(change) => validate_membership(change, nodes, &here),
            FaultAction::Transfer(transfer) => {
                check::node_id(transfer.to, nodes, &format!("{here}.to"))
            }
            FaultAction::Aimed(aim, aimed) => validate_aimed(*aim, aimed, &here),
            FaultAction::Disk(_) if scenario.cluster.disk.is_none() => Err(Invalid::new(
                here,
                "expected a `cluster.disk` block: without one no node keeps a disk to fault",
            )),
            FaultAction::Disk(disk) => disk.validate(nodes, &here),
        }
    }
}

fn validate_partition(groups: &[Vec<u32>], nodes: u32, field: &str) -> Result<(), Invalid> {
    if groups.len() < 2 {
        return Err(Invalid::new(field, "expected at least two groups"));
    }
    let paths = groups.iter().enumerate();
    check::disjoint_groups(
        paths.map(|(g, group)| (format!("{field}[{g}]"), &group[..])),
        nodes,
    )
}

fn validate_cut(cut: &CutSpec, nodes: u32, field: &str) -> Result<(), Invalid> {
    for (name, side) in [("from", &cut.from), ("to", &cut.to)] {
        if side.is_empty() {
            return Err(Invalid::new(
                format!("{field}.{name}"),
                "expected at least one node",
            ));
        }
        for (i, &node) in side.iter().enumerate() {
            check::node_id(node, nodes, &format!("{field}.{name}[{i}]"))?;
        }
    }
    Ok(())
}

fn validate_membership(change: &MembershipSpec, nodes: u32, field: &str) -> Result<(), Invalid> {
    if change.add.is_empty() && change.remove.is_empty() {
        return Err(Invalid::new(
            field,
            "expected at least one node in add or remove",
        ));
    }
    let mut seen = BTreeSet::new();
    for (name, side) in [("add", &change.add), ("remove", &change.remove)] {
        for (i, &node) in side.iter().enumerate() {
            let here = format!("{field}.{name}[{i}]");
            check::node_id(node, nodes, &here)?;
            if !seen.insert(node) {
                return Err(Invalid::new(here, format!("node {node} is listed twice")));
            }
        }
    }
    Ok(())
}

fn validate_aimed(aim: Aim, aimed: &AimedFault, field: &str) -> Result<(), Invalid> {
    match (aim, aimed.within) {
        (Aim::Leader, Some(_)) => {
            return Err(Invalid::new(
                format!("{field}.within"),
                "applies only to new_leader, voter, candidate and follower: a leader fault fires at once",
            ))
        }
        (Aim::NewLeader | Aim::Voter | Aim::Candidate | Aim::Follower, None) => {
            return Err(Invalid::new(
                format!("{field}.within"),
                "expected how long the fault waits for its moment, e.g. \"1s\"",
            ))
        }
        (_, Some(within)) => check::positive(within, &format!("{field}.within"))?,
        (Aim::Leader, None) => {}
    }
    let actions = [
        ("crash", aimed.crash),
        ("isolate", aimed.isolate),
        ("pause", aimed.pause),
        ("split", aimed.split),
        ("bridge", aimed.bridge),
    ];
    let mut set = actions
        .iter()
        .filter_map(|(name, span)| Some((*name, (*span)?)));
    let (Some((name, span)), None) = (set.next(), set.next()) else {
        return Err(Invalid::new(
            field,
            "expected exactly one of crash, isolate, pause, split and bridge (each with its duration)",
        ));
    };
    check::positive(span, &format!("{field}.{name}"))?;
    if let Some(rate) = aimed.clock {
        if aimed.isolate.is_none() {
            return Err(Invalid::new(
                format!("{field}.clock"),
                "applies only to isolate",
            ));
        }
        check::clock_rate(rate, &format!("{field}.clock"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One fault of every action, in the file format.
    const EVERY_ACTION: &str = r#"[
        {"at": "1s", "crash": 2}, {"at": "1s", "restart": 2}, {"at": "1s", "pause": 1},
        {"at": "1s", "resume": 1}, {"at": "1s", "outage": "5ms"},
        {"at": "1s", "partition": [[1], [2, 3]]}, {"at": "1s", "cut": {"from": [1], "to": [2]}},
        {"at": "1s", "heal": "all"}, {"at": "1s", "clock": {"node": 1, "rate": 1.5}},
        {"at": "1s", "network": {"drop": 0.5}}, {"at": "1s", "membership": {"add": [3]}},
        {"at": "1s", "transfer": {"to": 2}}, {"at": "1s", "leader": {"crash": "1s"}},
        {"at": "1s", "new_leader": {"isolate": "1s", "within": "2s"}},
        {"at": "1s", "voter": {"pause": "1s", "within": "2s"}},
        {"at": "1s", "disk": {"node": 2, "corrupt": "any"}},
        {"at": "1s", "join": {"node": 3, "seeds": [1, 2]}}, {"at": "1s", "leave": 3},
        {"at": "1s", "candidate": {"split": "1s", "within": "2s"}},
        {"at": "1s", "follower": {"crash": "1ms", "within": "2s"}}]"#;

    #[test]
    fn every_action_keeps_the_file_format_through_a_round_trip() {
        let text: serde_json::Value = serde_json::from_str(EVERY_ACTION).unwrap();
        let faults: Vec<FaultSpec> = serde_json::from_value(text.clone()).unwrap();
        let fields: Vec<&str> = faults.iter().map(FaultSpec::field).collect();
        let mut sorted = fields.clone();
        sorted.sort_unstable();
        let mut all = ACTION_FIELDS.to_vec();
        all.sort_unstable();
        assert_eq!(sorted, all, "one fault per action");
        assert_eq!(serde_json::to_value(&faults).unwrap(), text);
    }

    #[test]
    fn a_fault_needs_exactly_one_action_and_heal_only_takes_all() {
        let parse = |text: &str| {
            serde_json::from_str::<FaultSpec>(text)
                .unwrap_err()
                .to_string()
        };
        assert!(parse(r#"{"at": "1s"}"#).contains("found none"));
        assert!(
            parse(r#"{"at": "1s", "crash": 1, "voter": {"crash": "1s"}}"#)
                .contains("found crash and voter")
        );
        assert!(parse(r#"{"at": "1s", "heal": "some"}"#).contains(r#"expected "all""#));
    }

    #[test]
    fn descriptions_name_the_action_without_json() {
        let faults: Vec<FaultSpec> = serde_json::from_str(EVERY_ACTION).unwrap();
        let lines: Vec<String> = faults.iter().map(FaultSpec::describe).collect();
        assert_eq!(lines[0], "at 1s: crash 2");
        assert_eq!(lines[5], "at 1s: partition [1] | [2,3]");
        assert_eq!(lines[13], "at 1s: new_leader isolated for 1s within 2s");
        assert_eq!(lines[16], "at 1s: join 3 through [1,2]");
        assert_eq!(lines[17], "at 1s: leave 3");
        assert_eq!(lines[18], "at 1s: candidate split off for 1s within 2s");
        assert_eq!(lines[19], "at 1s: follower crash for 1ms within 2s");
        let text = r#"{"at": "1s", "leader": {"bridge": "1s"}}"#;
        let bridge: FaultSpec = serde_json::from_str(text).unwrap();
        assert_eq!(bridge.describe(), "at 1s: leader bridged for 1s");
        assert_eq!(
            serde_json::to_value(&bridge).unwrap(),
            serde_json::from_str::<serde_json::Value>(text).unwrap()
        );
        assert!(lines.iter().all(|l| !l.contains('{')), "{lines:?}");
    }

    #[test]
    fn removing_a_node_drops_faults_left_meaningless() {
        let fault = |text: &str| serde_json::from_str::<FaultSpec>(text).unwrap();
        assert_eq!(fault(r#"{"at": "1s", "crash": 3}"#).without_node(3), None);
        let split = fault(r#"{"at": "1s", "partition": [[1, 3], [2]]}"#);
        assert_eq!(
            split.without_node(3),
            Some(fault(r#"{"at": "1s", "partition": [[1], [2]]}"#))
        );
        let pair = fault(r#"{"at": "1s", "partition": [[3], [2]]}"#);
        assert_eq!(pair.without_node(3), None);
        let join = fault(r#"{"at": "1s", "join": {"node": 2, "seeds": [3, 1]}}"#);
        assert_eq!(
            join.clone().without_node(3),
            Some(fault(r#"{"at": "1s", "join": {"node": 2, "seeds": [1]}}"#))
        );
        assert_eq!(join.without_node(2), None);
    }
}

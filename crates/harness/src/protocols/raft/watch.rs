//! Watches a Raft run step by step: feeds each server's observations to the invariants, records
//! leadership changes, and notes when a leader exists after the last fault.

use super::actor::Actor;
use super::electable::{self, Ballot, Elector};
use super::invariants::{Invariants, Observation};
use faultline_raft::{Membership, Role};
use faultline_sim::{NodeId, Simulation, Stepped, Time, TraceKind};
use std::fmt;

/// A leadership change: when, who, which term.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LeaderChange {
    /// Virtual time.
    pub at: Time,
    /// Raft id of the new leader.
    pub id: u64,
    /// Its term.
    pub term: u64,
}

/// Per-step observer of a Raft run.
#[derive(Debug)]
pub struct Watch {
    servers: u32,
    /// The online safety checks.
    pub invariants: Invariants,
    buffer: Vec<Observation>,
    /// Every leadership change, in order.
    pub leaders: Vec<LeaderChange>,
    /// Time of the last scheduled fault (liveness is measured from here).
    pub quiet_from: Time,
    /// First time at or after `quiet_from` when an undisputed leader existed.
    pub leader_at: Option<Time>,
    /// The step at which the first invariant broke.
    pub first_violation_at: Option<Time>,
    /// The server that won an election in the last step.
    pub elected_now: Option<NodeId>,
    /// The server that granted a vote in the last step.
    pub voted_now: Option<NodeId>,
    /// The server that became a candidate of a new term in the last step.
    pub campaigned_now: Option<NodeId>,
    /// The server that acknowledged its leader (a heartbeat or an accepted append) in the
    /// last step.
    pub acked_now: Option<NodeId>,
    /// The Raft code probes any server passed ([`faultline_raft::Probe::bit`] bits).
    pub probes: u64,
    /// Per server (kernel index), its ballot at its last step (fenced servers vote only for
    /// some logs and do not campaign); a crashed one keeps the ballot it crashed with (its
    /// disk still holds the damage, so recovery fences it again).
    ballots: Vec<Ballot>,
}

impl Watch {
    /// A watch over servers `0..servers` (kernel ids) whose liveness clock starts at `quiet_from`.
    pub fn new(servers: u32, quiet_from: Time) -> Self {
        Watch {
            servers,
            invariants: Invariants::default(),
            buffer: Vec::new(),
            leaders: Vec::new(),
            quiet_from,
            leader_at: None,
            first_violation_at: None,
            elected_now: None,
            voted_now: None,
            campaigned_now: None,
            acked_now: None,
            probes: 0,
            ballots: vec![Ballot::Free; servers as usize],
        }
    }

    /// Checks everything the step may have changed.
    #[inline]
    pub fn after_step(&mut self, sim: &mut Simulation<Actor>, stepped: &Stepped) {
        self.invariants.step();
        self.elected_now = None;
        self.voted_now = None;
        self.campaigned_now = None;
        self.acked_now = None;
        if let Some(node) = stepped.node.filter(|n| n.index() < self.servers as usize) {
            if let Some(server) = sim.process(node).and_then(Actor::server) {
                self.ballots[node.index()] = server.ballot();
            }
            self.observe(sim, node, stepped);
            self.check_leases(sim, node, stepped);
        }
        if self.leader_at.is_none()
            && stepped.time >= self.quiet_from
            && has_leader(sim, self.servers)
        {
            self.leader_at = Some(stepped.time);
        }
    }

    #[inline]
    fn observe(&mut self, sim: &mut Simulation<Actor>, node: NodeId, stepped: &Stepped) {
        if let Some(Actor::Server(server)) = sim.process_mut(node) {
            server.drain_observations(&mut self.buffer);
            self.acked_now = server.take_acknowledged().then_some(node);
            self.probes |= server.core().probes();
        }
        if self.buffer.is_empty() {
            return;
        }
        let Some(core) = sim.process(node).and_then(Actor::server).map(|s| s.core()) else {
            self.buffer.clear();
            return;
        };
        let id = node.index() as u64 + 1;
        let at = StepAt { sim, stepped };
        for observation in self.buffer.drain(..) {
            self.invariants.observe(id, &observation, core, &at);
            if self.invariants.has_new_commits() {
                let voters = Voters {
                    sim,
                    ballots: &self.ballots,
                };
                check_new_commits(&mut self.invariants, &voters, core.config(), &at);
            }
            note_first_violation(&self.invariants, &mut self.first_violation_at, stepped.time);
            match observation {
                Observation::Role {
                    role: Role::Leader,
                    term,
                } => {
                    self.elected_now = Some(node);
                    self.leaders.push(LeaderChange {
                        at: stepped.time,
                        id,
                        term,
                    });
                }
                Observation::Voted { .. } => self.voted_now = Some(node),
                Observation::Role {
                    role: Role::Candidate,
                    ..
                } => self.campaigned_now = Some(node),
                _ => {}
            }
        }
    }

    /// Lease safety at every moment, not only when a read comes: after a leader's own step (an
    /// acknowledgement may have extended its lease) it must not hold a lease once a later term
    /// has a leader, and when a server wins an election no leader of an earlier term may still
    /// hold one. A lease only shrinks between its holder's steps, so these two moments see
    /// every overlap.
    #[inline]
    fn check_leases(&mut self, sim: &Simulation<Actor>, node: NodeId, stepped: &Stepped) {
        let stepped_server = node.index() as u32;
        let servers = match self.elected_now {
            Some(_) => 0..self.servers,
            None => stepped_server..stepped_server + 1,
        };
        let at = StepAt { sim, stepped };
        let mut held = false;
        for server in servers.map(NodeId::new) {
            if let Some((id, term)) = lease_at_risk(sim, &self.invariants, server) {
                self.invariants.lease_held(id, term, &at);
                held = true;
            }
        }
        if held {
            note_first_violation(&self.invariants, &mut self.first_violation_at, stepped.time);
        }
    }
}

/// (Raft id, term) of `server` if it leads, a later term already has a leader, and it holds a
/// read lease at its own clock. Only then can a held lease break lease safety, so the lease (a
/// quorum of acknowledgement times) is not computed at the other steps of a leader.
fn lease_at_risk(
    sim: &Simulation<Actor>,
    invariants: &Invariants,
    server: NodeId,
) -> Option<(u64, u64)> {
    let core = sim.process(server).and_then(Actor::server)?.core();
    if core.role() != Role::Leader || !invariants.has_leader_after(core.term()) {
        return None;
    }
    let now = sim.local_time(server)?.as_nanos();
    core.holds_read_lease(now).then(|| (core.id(), core.term()))
}

/// Sets `first` to `time` if it is unset and some invariant is broken.
fn note_first_violation(invariants: &Invariants, first: &mut Option<Time>, time: Time) {
    if first.is_none() && invariants.verdicts().any(|(_, v)| v.is_some()) {
        *first = Some(time);
    }
}

/// The servers of a run as electors: their durable logs and ballots.
struct Voters<'a> {
    sim: &'a Simulation<Actor>,
    ballots: &'a [Ballot],
}

/// Leader completeness at commit time: no voter of `config` that lacks an entry committed since
/// the last call could still be elected, judged from the durable logs and ballots of the
/// servers (a fenced server does not campaign and votes only for some logs).
fn check_new_commits(
    invariants: &mut Invariants,
    voters: &Voters,
    config: &Membership,
    at: &dyn fmt::Display,
) {
    let commits = invariants.take_new_commits();
    let electors: Vec<Option<Elector>> = (0..voters.ballots.len())
        .map(|i| {
            let log = voters.sim.durable(NodeId::new(i as u32))?;
            let ballot = voters.ballots[i];
            Some(Elector { log, ballot })
        })
        .collect();
    for commit in commits {
        if let Some(candidate) = electable::could_win_without(commit.0, commit.1, config, &electors)
        {
            invariants.electable_without(candidate, commit, at);
        }
    }
}

/// True if some running server leads undisputed (see [`current_leader`]).
fn has_leader(sim: &Simulation<Actor>, servers: u32) -> bool {
    current_leader(sim, servers).is_some()
}

/// The running server (kernel id) that leads undisputed: no voter of its configuration is in a
/// later term. A server removed from the configuration may campaign forever in rising terms; it
/// disputes nothing.
pub fn current_leader(sim: &Simulation<Actor>, servers: u32) -> Option<NodeId> {
    let cores: Vec<_> = (0..servers)
        .filter_map(|i| sim.process(NodeId::new(i)).and_then(Actor::server))
        .map(|s| s.core())
        .collect();
    let leader = cores.iter().find(|leader| {
        leader.role() == Role::Leader
            && cores
                .iter()
                .filter(|c| leader.config().is_voter(c.id()))
                .all(|c| c.term() <= leader.term())
    })?;
    Some(NodeId::new(leader.id() as u32 - 1))
}

/// The step being checked, for violation reports: "at 3.214s (message delivered to n2)".
/// Formatted only when an invariant breaks, not at every step.
struct StepAt<'a> {
    sim: &'a Simulation<Actor>,
    stepped: &'a Stepped,
}

impl fmt::Display for StepAt<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let stepped = self.stepped;
        let name = stepped
            .node
            .and_then(|n| self.sim.node_name(n))
            .unwrap_or("?");
        write!(f, "at {} (", stepped.time)?;
        match stepped.kind {
            TraceKind::Start => write!(f, "{name} started")?,
            TraceKind::Deliver => write!(f, "message delivered to {name}")?,
            TraceKind::Timer => write!(f, "timer fired at {name}")?,
            TraceKind::Fault(kind) => write!(f, "fault {kind} at {name}")?,
            other => write!(f, "{other:?} at {name}")?,
        }
        write!(f, ")")
    }
}

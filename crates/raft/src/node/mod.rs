//! The Raft state machine: one struct, its inputs and outputs. The protocol rules live in the
//! submodules, one concern each.

mod election;
mod leader;
mod membership;
mod read;
mod replication;
mod snapshot;
mod transfer;

use std::collections::BTreeMap;

use rand_chacha::ChaCha8Rng;
use rand_core::SeedableRng;
use thiserror::Error;

use crate::config::{Config, ConfigError};
use crate::log::RaftLog;
use crate::message::{Message, MessageBody, Outbound};
use crate::probe::Probe;
use crate::ready::{LogWrite, ReadState, Ready, Role, SoftState, Status};
use crate::storage::PersistentState;
use crate::types::{Entry, HardState, Membership, NodeId, Snapshot, SnapshotMeta};

pub use membership::ConfChangeError;
pub use snapshot::CompactError;
pub use transfer::TransferError;

use leader::LeaderState;

/// Why a node could not be built.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum InitError {
    /// The configuration is invalid.
    #[error("invalid config: {0}")]
    Config(#[from] ConfigError),
    /// The persisted log is not contiguous after the snapshot, or its terms are inconsistent.
    #[error("persisted state is inconsistent: {0}")]
    State(&'static str),
}

/// Why a proposal was refused.
#[derive(Clone, Copy, Debug, Error, PartialEq, Eq)]
pub enum ProposeError {
    /// Only the leader accepts proposals.
    #[error("not the leader (hint: {leader_hint:?})")]
    NotLeader {
        /// The leader this server knows of, if any.
        leader_hint: Option<NodeId>,
    },
    /// The leader is handing over leadership and accepts nothing new meanwhile.
    #[error("leadership transfer in progress")]
    TransferInProgress,
}

/// Where an accepted proposal sits in the log. It is durable once committed at this index
/// with this term.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Proposal {
    /// Log index of the new entry.
    pub index: u64,
    /// Term of the new entry.
    pub term: u64,
}

/// Outputs accumulated until the caller takes them.
#[derive(Debug, Default)]
struct Pending {
    messages: Vec<Outbound>,
    hard_state_dirty: bool,
    log_dirty_from: Option<u64>,
    snapshot: Option<Snapshot>,
    apply_snapshot: bool,
    read_states: Vec<ReadState>,
    reported: Option<SoftState>,
    /// Emptied vectors of readies handed back ([`RaftNode::recycle`]).
    spare: Spare,
}

/// Emptied vectors of handed-back readies, whose memory the next readies reuse.
#[derive(Debug, Default)]
struct Spare {
    messages: Vec<Outbound>,
    read_states: Vec<ReadState>,
    log: Vec<Entry>,
    committed: Vec<Entry>,
}

/// Keeps `used`, emptied, in `spare` if it holds more memory.
fn keep_spare<T>(spare: &mut Vec<T>, mut used: Vec<T>) {
    used.clear();
    if used.capacity() > spare.capacity() {
        *spare = used;
    }
}

impl Pending {
    /// Queues a message for the next ready.
    fn send(&mut self, to: NodeId, term: u64, body: MessageBody) {
        self.messages.push(Outbound {
            to,
            message: Message { term, body },
        });
    }
}

/// A sans-IO Raft server. See the crate documentation for the driver loop.
#[derive(Debug)]
pub struct RaftNode {
    id: NodeId,
    cfg: Config,
    rng: ChaCha8Rng,
    term: u64,
    vote: Option<NodeId>,
    log: RaftLog,
    snapshot: Snapshot,
    commit: u64,
    applied: u64,
    role: Role,
    leader: Option<NodeId>,
    election_deadline: Option<u64>,
    /// No vote for a newer term before this time: `election_timeout_min` after the last
    /// contact from a leader (acknowledging it promises the leader's lease as much), or, with
    /// lease reads, after a (re)start (the last acknowledgement before stopping is not
    /// remembered).
    promise_until: u64,
    votes: BTreeMap<NodeId, bool>,
    lead: Option<LeaderState>,
    incoming_snapshot: Option<(SnapshotMeta, Vec<u8>)>,
    out: Pending,
    /// The code probes this incarnation passed, one bit per [`Probe`].
    probes: u64,
}

impl RaftNode {
    /// Builds a node from its durable state (`PersistentState::bootstrap` for a founding member,
    /// `PersistentState::default()` for a server that will be added later) and the ChaCha
    /// stream that draws its election timeouts. Committed entries after the snapshot are
    /// handed out again for applying: the state machine is rebuilt from snapshot + log.
    pub fn new(
        id: NodeId,
        cfg: Config,
        state: PersistentState,
        rng: ChaCha8Rng,
    ) -> Result<Self, InitError> {
        cfg.validate()?;
        let PersistentState {
            hard_state,
            snapshot,
            entries,
        } = state;
        let log = RaftLog::restore(snapshot.meta.clone(), entries).ok_or(InitError::State(
            "log entries are not contiguous after the snapshot",
        ))?;
        if hard_state.term < log.last_term() {
            return Err(InitError::State("term is below the last log entry's term"));
        }
        let commit = hard_state
            .commit
            .max(snapshot.meta.index)
            .min(log.last_index());
        let applied = snapshot.meta.index;
        Ok(RaftNode {
            id,
            cfg,
            rng,
            term: hard_state.term,
            vote: hard_state.vote,
            log,
            snapshot,
            commit,
            applied,
            role: Role::Follower,
            leader: None,
            election_deadline: None,
            promise_until: 0,
            votes: BTreeMap::new(),
            lead: None,
            incoming_snapshot: None,
            out: Pending::default(),
            probes: 0,
        })
    }

    /// Like [`RaftNode::new`], seeding a ChaCha8 stream from `seed`.
    pub fn with_seed(
        id: NodeId,
        cfg: Config,
        state: PersistentState,
        seed: u64,
    ) -> Result<Self, InitError> {
        Self::new(id, cfg, state, ChaCha8Rng::seed_from_u64(seed))
    }

    // ----- inspection -------------------------------------------------------------------

    /// This server's id.
    pub fn id(&self) -> NodeId {
        self.id
    }

    /// Role, term, leader, commit, applied and configuration.
    pub fn status(&self) -> Status {
        Status {
            id: self.id,
            role: self.role,
            term: self.term,
            vote: self.vote,
            leader: self.leader,
            commit: self.commit,
            applied: self.applied,
            last_index: self.log.last_index(),
            config: self.log.config().clone(),
        }
    }

    /// Current role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// Current term.
    pub fn term(&self) -> u64 {
        self.term
    }

    /// Known leader of the current term.
    pub fn leader(&self) -> Option<NodeId> {
        self.leader
    }

    /// Commit index.
    pub fn commit_index(&self) -> u64 {
        self.commit
    }

    /// Index up to which entries (or a snapshot) were handed out for applying.
    pub fn applied_index(&self) -> u64 {
        self.applied
    }

    /// First index still in the log (one past the latest snapshot).
    pub fn first_index(&self) -> u64 {
        self.log.first_index()
    }

    /// Index of the last log entry.
    pub fn last_index(&self) -> u64 {
        self.log.last_index()
    }

    /// Term of the entry at `index` (known for held entries and the snapshot point).
    pub fn term_at(&self, index: u64) -> Option<u64> {
        self.log.term_at(index)
    }

    /// The entry at `index`, if still held.
    pub fn entry(&self, index: u64) -> Option<&Entry> {
        self.log.entry(index)
    }

    /// The configuration in force (the latest one in the log, committed or not).
    pub fn config(&self) -> &Membership {
        self.log.config()
    }

    /// The configuration as of the applied index (what the state machine has seen).
    pub fn applied_config(&self) -> &Membership {
        self.log.config_at(self.applied).1
    }

    /// The latest snapshot (index 0 and no data if none was taken).
    pub fn snapshot(&self) -> &Snapshot {
        &self.snapshot
    }

    /// On a leader: the highest index known replicated on `peer` (for example to decide that a
    /// learner has caught up). `None` on other roles or for non-members.
    pub fn match_index(&self, peer: NodeId) -> Option<u64> {
        if peer == self.id {
            return self.lead.as_ref().map(|_| self.log.last_index());
        }
        self.lead
            .as_ref()
            .and_then(|l| l.progress.get(&peer))
            .map(|p| p.match_index)
    }

    // ----- outputs ------------------------------------------------------------------------

    /// True if [`RaftNode::take_ready`] would return something.
    pub fn has_ready(&self) -> bool {
        !self.out.messages.is_empty()
            || self.out.hard_state_dirty
            || self.out.log_dirty_from.is_some()
            || self.out.snapshot.is_some()
            || !self.out.read_states.is_empty()
            || self.commit > self.applied
            || self.out.reported != Some(self.soft_state())
            || self.lead.as_ref().is_some_and(|l| l.broadcast)
    }

    /// Drains everything the caller must do, in the order documented on [`Ready`]. Entries in
    /// `committed_entries` count as applied once handed out: apply them before the next input.
    pub fn take_ready(&mut self) -> Ready {
        let spare = &mut self.out.spare;
        let mut ready = Ready {
            messages: std::mem::take(&mut spare.messages),
            read_states: std::mem::take(&mut spare.read_states),
            committed_entries: std::mem::take(&mut spare.committed),
            ..Ready::default()
        };
        self.take_ready_into(&mut ready);
        ready
    }

    /// Like [`RaftNode::take_ready`], into `ready`: a handled ready kept by the caller, whose
    /// vectors hold the next ready's contents instead of fresh allocations (no ready moves in
    /// or out). Whatever `ready` still holds is replaced.
    pub fn take_ready_into(&mut self, ready: &mut Ready) {
        self.flush_broadcast();
        let soft = self.soft_state();
        ready.soft_state = (self.out.reported != Some(soft)).then(|| {
            self.out.reported = Some(soft);
            soft
        });
        ready.hard_state = std::mem::take(&mut self.out.hard_state_dirty).then_some(HardState {
            term: self.term,
            vote: self.vote,
            commit: self.commit,
        });
        let spare = &mut self.out.spare;
        if let Some(old) = ready.log.take() {
            keep_spare(&mut spare.log, old.entries);
        }
        ready.log = self.out.log_dirty_from.take().map(|from| {
            let from = from.max(self.log.first_index());
            let mut entries = std::mem::take(&mut spare.log);
            self.log.extend_range(from, u64::MAX, &mut entries);
            LogWrite {
                truncate_from: from,
                entries,
            }
        });
        ready.committed_entries.clear();
        if self.commit > self.applied {
            self.log
                .extend_range(self.applied + 1, self.commit, &mut ready.committed_entries);
            self.applied = self.commit;
        }
        ready.snapshot = self.out.snapshot.take();
        ready.apply_snapshot = std::mem::take(&mut self.out.apply_snapshot);
        ready.messages.clear();
        std::mem::swap(&mut ready.messages, &mut self.out.messages);
        ready.read_states.clear();
        std::mem::swap(&mut ready.read_states, &mut self.out.read_states);
    }

    /// Hands back a ready the caller has handled, so that the memory of its vectors serves
    /// the next readies instead of fresh allocations. Optional: dropping a ready is as
    /// correct. Whatever the ready still holds is dropped.
    pub fn recycle(&mut self, ready: Ready) {
        let spare = &mut self.out.spare;
        keep_spare(&mut spare.messages, ready.messages);
        keep_spare(&mut spare.read_states, ready.read_states);
        keep_spare(&mut spare.committed, ready.committed_entries);
        if let Some(log) = ready.log {
            keep_spare(&mut spare.log, log.entries);
        }
    }

    /// The time at which [`RaftNode::handle_timeout`] should next be called. A node that has
    /// not seen any time yet asks for 0 ("now") so that it can start its election timer.
    pub fn poll_timeout(&self) -> Option<u64> {
        match &self.lead {
            Some(lead) => Some(lead.next_deadline(self.cfg.check_quorum)),
            None => Some(self.election_deadline.unwrap_or(0)),
        }
    }

    // ----- inputs -------------------------------------------------------------------------

    /// Fires whatever timers are due at `now`: election timeout, heartbeat, check-quorum,
    /// leadership-transfer deadline.
    pub fn handle_timeout(&mut self, now: u64) {
        let Some(deadline) = self.election_deadline else {
            self.start(now);
            return;
        };
        if self.role == Role::Leader {
            self.leader_tick(now);
        } else if now >= deadline {
            self.reset_election_timer(now);
            if self.promotable() {
                self.campaign(now, self.cfg.pre_vote, false);
            }
        }
    }

    /// The code probes this node passed since it was built, one bit per [`Probe`]
    /// ([`Probe::bit`]); reading them changes nothing.
    pub fn probes(&self) -> u64 {
        self.probes
    }

    /// Handles a message from `from`. Malformed or stale messages are ignored or answered
    /// with a rejection; they never panic.
    pub fn handle_message(&mut self, now: u64, from: NodeId, msg: Message) {
        if from == self.id || !msg.is_sane() {
            return;
        }
        if self.election_deadline.is_none() {
            self.start(now);
        }
        let Message { term, body } = msg;
        let mut stale = false;
        if term > self.term {
            if self.withholds_newer_term(now, &body) {
                self.probe(Probe::VoteWithheldByPromise);
                return;
            }
            match &body {
                // A pre-vote names the term the sender would campaign in; it changes nothing.
                MessageBody::PreVote { .. } => {}
                // A granted pre-vote names the campaign term. A refusal names the voter's
                // own term (unless the planted bug hides it), which the pre-candidate adopts.
                MessageBody::PreVoteResponse { granted }
                    if term == self.term + 1
                        && (*granted || self.cfg.bugs.prevote_rejection_hides_term) => {}
                MessageBody::AppendEntries { .. }
                | MessageBody::Heartbeat { .. }
                | MessageBody::InstallSnapshot { .. } => {
                    self.become_follower(now, term, Some(from));
                }
                _ => {
                    if matches!(body, MessageBody::PreVoteResponse { granted: false }) {
                        self.probe(Probe::PreVoteRefusalAdopted);
                    }
                    self.become_follower(now, term, None);
                }
            }
        } else if term < self.term {
            match body {
                MessageBody::AppendEntries { .. } if self.cfg.bugs.accept_stale_term_append => {
                    stale = true;
                }
                MessageBody::AppendEntries { .. }
                | MessageBody::Heartbeat { .. }
                | MessageBody::InstallSnapshot { .. } => {
                    self.probe(Probe::StaleLeaderRefused);
                    self.send(
                        from,
                        MessageBody::AppendEntriesResponse {
                            success: false,
                            index: 0,
                            hint: None,
                        },
                    );
                    return;
                }
                MessageBody::PreVote { .. } => {
                    self.send(from, MessageBody::PreVoteResponse { granted: false });
                    return;
                }
                MessageBody::RequestVote { .. } => {
                    self.send(from, MessageBody::RequestVoteResponse { granted: false });
                    return;
                }
                _ => return,
            }
        }
        self.dispatch(now, from, term, body, stale);
    }

    fn dispatch(&mut self, now: u64, from: NodeId, term: u64, body: MessageBody, stale: bool) {
        match body {
            MessageBody::PreVote {
                last_log_index,
                last_log_term,
            } => self.handle_pre_vote(from, term, last_log_index, last_log_term),
            MessageBody::RequestVote {
                last_log_index,
                last_log_term,
                ..
            } => self.handle_request_vote(now, from, last_log_index, last_log_term),
            MessageBody::PreVoteResponse { granted } => {
                if self.role == Role::PreCandidate && self.answers_this_pre_vote(term, granted) {
                    self.handle_vote_response(now, from, granted);
                }
            }
            MessageBody::RequestVoteResponse { granted } => {
                if self.role == Role::Candidate {
                    self.handle_vote_response(now, from, granted);
                }
            }
            MessageBody::AppendEntries {
                prev_log_index,
                prev_log_term,
                entries,
                leader_commit,
            } => {
                if self.role == Role::Leader {
                    return;
                }
                if !stale {
                    self.follow(now, from);
                }
                self.handle_append(from, prev_log_index, prev_log_term, entries, leader_commit);
            }
            MessageBody::AppendEntriesResponse {
                success,
                index,
                hint,
            } => self.handle_append_response(now, from, success, index, hint),
            MessageBody::Heartbeat { commit, seq } => {
                if self.role == Role::Leader {
                    return;
                }
                self.follow(now, from);
                self.handle_heartbeat(from, commit, seq);
            }
            MessageBody::HeartbeatResponse { seq } => self.handle_heartbeat_response(from, seq),
            MessageBody::InstallSnapshot {
                meta,
                offset,
                data,
                done,
            } => {
                if self.role == Role::Leader {
                    return;
                }
                self.follow(now, from);
                self.handle_install_snapshot(from, *meta, offset, data, done);
            }
            MessageBody::InstallSnapshotResponse {
                index,
                next_offset,
                done,
            } => self.handle_snapshot_response(now, from, index, next_offset, done),
            MessageBody::TimeoutNow => self.handle_timeout_now(now),
        }
    }

    // ----- shared helpers -------------------------------------------------------------------

    /// The first time this incarnation sees the clock: starts the election timer and, with
    /// lease reads, for a server that has been in a term before (it may have acknowledged a
    /// leader's heartbeat just before stopping), the promise not to vote that the leader's
    /// lease relies on (unless the planted bug forgets it). Without leases nothing relies on
    /// it, and a restarted server votes at once, as Raft has it.
    fn start(&mut self, now: u64) {
        let lease_at_stake = self.cfg.lease_reads && self.term > 0;
        if lease_at_stake && !self.cfg.bugs.forget_lease_promise_on_restart {
            self.promise_until = now.saturating_add(self.cfg.election_timeout_min);
            self.probe(Probe::PromiseOnRestart);
        }
        self.reset_election_timer(now);
    }

    /// Marks `probe` as passed.
    fn probe(&mut self, probe: Probe) {
        self.probes |= probe.bit();
    }

    fn soft_state(&self) -> SoftState {
        SoftState {
            role: self.role,
            term: self.term,
            leader: self.leader,
        }
    }

    /// Queues a message stamped with the current term.
    fn send(&mut self, to: NodeId, body: MessageBody) {
        self.send_with_term(to, self.term, body);
    }

    fn send_with_term(&mut self, to: NodeId, term: u64, body: MessageBody) {
        self.out.send(to, term, body);
    }

    /// Records that the log changed from `index` on (it must be persisted from there).
    fn mark_log_dirty(&mut self, index: u64) {
        let from = self.out.log_dirty_from.map_or(index, |f| f.min(index));
        self.out.log_dirty_from = Some(from);
    }

    /// Raises the commit index (never lowers it) up to what the log holds.
    fn commit_to(&mut self, index: u64) {
        let index = index.min(self.log.last_index());
        if index > self.commit {
            self.commit = index;
            self.out.hard_state_dirty = true;
        }
    }
}

//! Becoming leader and the leader's timers: heartbeats (§5.2) and check-quorum.

use std::collections::{BTreeMap, VecDeque};

use super::RaftNode;
use crate::probe::Probe;
use crate::progress::{Progress, SendState};
use crate::ready::Role;
use crate::types::{EntryKind, NodeId, VoteResult};

/// How many recent heartbeat rounds the leader remembers the send time of (for leases).
pub(super) const HEARTBEAT_HISTORY: usize = 64;

/// A leadership transfer in progress.
#[derive(Clone, Copy, Debug)]
pub(super) struct Transfer {
    /// Server that should take over.
    pub(super) target: NodeId,
    /// Give up at this time.
    pub(super) deadline: u64,
    /// TimeoutNow has been sent (only once per transfer).
    pub(super) timeout_now_sent: bool,
}

/// A ReadIndex request waiting for a quorum to confirm heartbeat round `seq`.
#[derive(Clone, Copy, Debug)]
pub(super) struct PendingRead {
    pub(super) request_id: u64,
    pub(super) index: u64,
    pub(super) seq: u64,
}

/// State that only exists while leading.
#[derive(Debug)]
pub(super) struct LeaderState {
    /// One entry per other member (voters and learners).
    pub(super) progress: BTreeMap<NodeId, Progress>,
    pub(super) heartbeat_deadline: u64,
    pub(super) quorum_deadline: u64,
    pub(super) transfer: Option<Transfer>,
    /// Latest heartbeat round number and the send times of recent rounds.
    pub(super) hb_seq: u64,
    pub(super) hb_sent: VecDeque<(u64, u64)>,
    /// Reads waiting for a heartbeat round to be acknowledged by a quorum.
    pub(super) reads: VecDeque<PendingRead>,
    /// Reads received before an entry of this term was committed.
    pub(super) waiting_reads: Vec<u64>,
    /// Appends should go out to every follower at the next `take_ready`.
    pub(super) broadcast: bool,
    /// Set once a TimeoutNow was sent: another server may win without waiting out the lease.
    pub(super) lease_revoked: bool,
}

impl LeaderState {
    /// Earliest leader timer.
    pub(super) fn next_deadline(&self, check_quorum: bool) -> u64 {
        let mut t = self.heartbeat_deadline;
        if check_quorum {
            t = t.min(self.quorum_deadline);
        }
        if let Some(tr) = &self.transfer {
            t = t.min(tr.deadline);
        }
        t
    }

    /// Send time of heartbeat round `seq`, if still remembered. Rounds are numbered one after
    /// another, so round `seq` sits `seq - first` places after the first one remembered.
    pub(super) fn sent_at(&self, seq: u64) -> Option<u64> {
        let first = self.hb_sent.front()?.0;
        let place = usize::try_from(seq.checked_sub(first)?).ok()?;
        self.hb_sent
            .get(place)
            .filter(|&&(s, _)| s == seq)
            .map(|&(_, t)| t)
    }
}

impl RaftNode {
    /// §5.2/§8: on winning, reset follower progress and append a no-op so entries of earlier
    /// terms get committed along with it.
    pub(super) fn become_leader(&mut self, now: u64) {
        self.role = Role::Leader;
        self.leader = Some(self.id);
        self.votes.clear();
        self.lead = Some(LeaderState {
            progress: BTreeMap::new(),
            heartbeat_deadline: now.saturating_add(self.cfg.heartbeat_interval),
            quorum_deadline: now.saturating_add(self.cfg.election_timeout_min),
            transfer: None,
            hb_seq: 0,
            hb_sent: VecDeque::new(),
            reads: VecDeque::new(),
            waiting_reads: Vec::new(),
            broadcast: true,
            lease_revoked: false,
        });
        self.sync_progress();
        self.append_as_leader(now, EntryKind::Noop);
    }

    /// Adds progress for new members and drops it for removed ones.
    pub(super) fn sync_progress(&mut self) {
        let members = self.log.config().members();
        let next = self.log.last_index() + 1;
        let id = self.id;
        let Some(lead) = self.lead.as_mut() else {
            return;
        };
        lead.progress.retain(|peer, _| members.contains(peer));
        for &peer in members.iter().filter(|&&p| p != id) {
            lead.progress
                .entry(peer)
                .or_insert_with(|| Progress::new(next));
        }
    }

    /// Leader timers: heartbeat, check-quorum, transfer deadline.
    pub(super) fn leader_tick(&mut self, now: u64) {
        let Some(lead) = self.lead.as_mut() else {
            return;
        };
        if lead.transfer.is_some_and(|t| now >= t.deadline) {
            lead.transfer = None;
        }
        if self.cfg.check_quorum && now >= lead.quorum_deadline {
            lead.quorum_deadline = now.saturating_add(self.cfg.election_timeout_min);
            if !self.quorum_recently_active() {
                self.probe(Probe::CheckQuorumStepDown);
                self.become_follower(now, self.term, None);
                return;
            }
            if let Some(lead) = self.lead.as_mut() {
                lead.progress
                    .values_mut()
                    .for_each(|p| p.recent_active = false);
            }
        }
        let Some(lead) = self.lead.as_mut() else {
            return;
        };
        if now >= lead.heartbeat_deadline {
            lead.heartbeat_deadline = now.saturating_add(self.cfg.heartbeat_interval);
            self.broadcast_heartbeat(now);
            self.resend_snapshot_chunks();
        }
    }

    fn quorum_recently_active(&self) -> bool {
        let Some(lead) = &self.lead else {
            return false;
        };
        let result = self.log.config().vote_result(|id| {
            Some(id == self.id || lead.progress.get(&id).is_some_and(|p| p.recent_active))
        });
        result == VoteResult::Won
    }

    fn resend_snapshot_chunks(&mut self) {
        let peers: Vec<NodeId> = self.lead.as_ref().map_or_else(Vec::new, |l| {
            l.progress
                .iter()
                .filter(|(_, p)| matches!(p.state, SendState::Snapshot { .. }))
                .map(|(&id, _)| id)
                .collect()
        });
        for peer in peers {
            self.send_snapshot_chunk(peer);
        }
    }
}

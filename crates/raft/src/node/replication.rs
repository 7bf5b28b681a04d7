//! Log replication (§5.3) and the commit rule (§5.4.2): AppendEntries with the consistency
//! check, conflict truncation, fast backtracking, pipelining, heartbeats.

use super::{Proposal, ProposeError, RaftNode};
use crate::message::{ConflictHint, MessageBody};
use crate::probe::Probe;
use crate::progress::SendState;
use crate::ready::Role;
use crate::types::{Entry, EntryKind, NodeId};

/// What to send when a follower has no new entries to receive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum IfEmpty {
    /// Nothing.
    Skip,
    /// An empty append at the probe point (`next - 1`); a gap makes the follower reject it.
    Probe,
    /// An empty append at the match point, which only carries the commit index.
    Commit,
}

impl RaftNode {
    /// Appends a new entry to the client's log (§5.3): the leader only ever appends.
    pub fn propose(&mut self, now: u64, data: Vec<u8>) -> Result<Proposal, ProposeError> {
        let Some(lead) = &self.lead else {
            return Err(ProposeError::NotLeader {
                leader_hint: self.leader,
            });
        };
        if lead.transfer.is_some() {
            return Err(ProposeError::TransferInProgress);
        }
        Ok(self.append_as_leader(now, EntryKind::Normal(data.into())))
    }

    /// Appends an entry of the current term and schedules replication.
    pub(super) fn append_as_leader(&mut self, now: u64, kind: EntryKind) -> Proposal {
        let index = self.log.last_index() + 1;
        let is_config = matches!(kind, EntryKind::Config(_));
        self.log.push(Entry {
            term: self.term,
            index,
            kind,
        });
        self.mark_log_dirty(index);
        if is_config {
            self.sync_progress();
        }
        if let Some(lead) = self.lead.as_mut() {
            lead.broadcast = true;
        }
        self.maybe_commit(now);
        Proposal {
            index,
            term: self.term,
        }
    }

    /// Sends pending entries (or the new commit index) to every follower.
    pub(super) fn flush_broadcast(&mut self) {
        let Some(lead) = self.lead.as_mut() else {
            return;
        };
        if !std::mem::take(&mut lead.broadcast) {
            return;
        }
        let peers: Vec<NodeId> = lead.progress.keys().copied().collect();
        for peer in peers {
            while self.send_append(peer, IfEmpty::Commit) && self.has_more_for(peer) {}
        }
    }

    /// True if `peer` could adopt a higher commit index than it was last told (its ack came
    /// after the commit index moved on, so no broadcast carried the news to it).
    fn commit_news_for(&self, peer: NodeId) -> bool {
        self.lead.as_ref().is_some_and(|l| {
            l.progress
                .get(&peer)
                .is_some_and(|p| p.match_index.min(self.commit) > p.commit_sent)
        })
    }

    fn has_more_for(&self, peer: NodeId) -> bool {
        self.lead.as_ref().is_some_and(|l| {
            l.progress.get(&peer).is_some_and(|p| {
                p.state == SendState::Replicate && p.next_index <= self.log.last_index()
            })
        })
    }

    /// Sends one append to `to` if flow control allows; switches to a snapshot when the entries
    /// it needs were compacted. Returns true if something was sent.
    pub(super) fn send_append(&mut self, to: NodeId, if_empty: IfEmpty) -> bool {
        let (max_msgs, max_bytes) = (self.cfg.max_inflight_msgs, self.cfg.max_inflight_bytes);
        let Some(pr) = self.lead.as_ref().and_then(|l| l.progress.get(&to)) else {
            return false;
        };
        if pr.is_paused(max_msgs, max_bytes) {
            if pr.state == SendState::Replicate {
                self.probe(Probe::FlowControlFull);
            }
            return false;
        }
        let (state, next, match_index) = (pr.state, pr.next_index, pr.match_index);
        let Some(mut prev_term) = self.log.term_at(next - 1) else {
            self.start_snapshot(to);
            return true;
        };
        let mut prev = next - 1;
        let last = self.log.last_index();
        let entries = if next <= last {
            self.log
                .slice(next, last, self.cfg.max_entries_per_msg, max_bytes)
        } else {
            Vec::new()
        };
        if entries.is_empty() {
            match if_empty {
                IfEmpty::Skip => return false,
                IfEmpty::Probe => {}
                IfEmpty::Commit if state == SendState::Replicate => {
                    let Some(t) = self.log.term_at(match_index) else {
                        return false;
                    };
                    (prev, prev_term) = (match_index, t);
                }
                IfEmpty::Commit => {}
            }
        }
        let sent = entries.last().map(|e| e.index);
        let bytes: u64 = entries.iter().map(Entry::approx_size).sum();
        let adoptable = self.commit.min(prev + entries.len() as u64);
        self.send(
            to,
            MessageBody::AppendEntries {
                prev_log_index: prev,
                prev_log_term: prev_term,
                entries,
                leader_commit: self.commit,
            },
        );
        if let Some(pr) = self.lead.as_mut().and_then(|l| l.progress.get_mut(&to)) {
            pr.commit_sent = pr.commit_sent.max(adoptable);
            match sent {
                Some(last_sent) => pr.sent(last_sent, bytes),
                None if state == SendState::Probe => pr.probe_sent = true,
                None => {}
            }
        }
        true
    }

    /// Figure 2, AppendEntries receiver: consistency check on `prev`, truncate on conflict,
    /// append what is new, advance the commit index to `min(leader_commit, last new index)`.
    pub(super) fn handle_append(
        &mut self,
        from: NodeId,
        prev_index: u64,
        prev_term: u64,
        mut entries: Vec<Entry>,
        leader_commit: u64,
    ) {
        let contiguous = entries
            .iter()
            .enumerate()
            .all(|(i, e)| e.index == prev_index + 1 + i as u64);
        if !contiguous {
            return;
        }
        let (mut prev, mut prev_t) = (prev_index, prev_term);
        if prev < self.commit {
            // The committed prefix already matches the leader's log: skip it.
            let skip = ((self.commit - prev) as usize).min(entries.len());
            entries.drain(..skip);
            prev = self.commit;
            let Some(t) = self.log.term_at(prev) else {
                return;
            };
            prev_t = t;
        }
        if self.log.term_at(prev) != Some(prev_t) {
            let hint = self.conflict_hint(prev);
            self.send(
                from,
                MessageBody::AppendEntriesResponse {
                    success: false,
                    index: prev_index,
                    hint: Some(hint),
                },
            );
            return;
        }
        let last_new = prev + entries.len() as u64;
        let conflict = entries
            .iter()
            .position(|e| self.log.term_at(e.index) != Some(e.term));
        if let Some(i) = conflict {
            let from_index = entries[i].index;
            if from_index <= self.commit {
                return;
            }
            if from_index <= self.log.last_index() {
                self.probe(Probe::LogTruncated);
            }
            self.log.truncate_from(from_index);
            for e in entries.drain(i..) {
                self.log.push(e);
            }
            self.mark_log_dirty(from_index);
        }
        self.commit_to(leader_commit.min(last_new));
        self.send(
            from,
            MessageBody::AppendEntriesResponse {
                success: true,
                index: last_new,
                hint: None,
            },
        );
    }

    /// Where the leader should look next after `prev` did not match: the first index of this
    /// log's term at `prev` (the whole run can be skipped), or just past this log's end.
    fn conflict_hint(&self, prev: u64) -> ConflictHint {
        let last = self.log.last_index();
        match self.log.term_at(prev) {
            Some(t) if prev <= last => ConflictHint {
                index: self.log.first_index_of_term_run(prev),
                term: Some(t),
            },
            _ => ConflictHint {
                index: last + 1,
                term: None,
            },
        }
    }

    /// Leader side of an append answer: advance match/commit, or back off using the hint.
    pub(super) fn handle_append_response(
        &mut self,
        now: u64,
        from: NodeId,
        success: bool,
        index: u64,
        hint: Option<ConflictHint>,
    ) {
        let last = self.log.last_index();
        let Some(pr) = self.lead.as_mut().and_then(|l| l.progress.get_mut(&from)) else {
            return;
        };
        pr.recent_active = true;
        if success && index > last {
            return; // claims entries this leader never had: malformed
        }
        if success {
            if let SendState::Snapshot { index: snap, .. } = pr.state {
                if index >= snap {
                    pr.become_probe(index + 1);
                }
            }
            if pr.acked(index) {
                self.maybe_commit(now);
                self.maybe_send_timeout_now(from);
            }
            while self.send_append(from, IfEmpty::Skip) && self.has_more_for(from) {}
            if self.commit_news_for(from) {
                self.send_append(from, IfEmpty::Commit);
            }
            return;
        }
        let stale = match pr.state {
            SendState::Replicate => index <= pr.match_index,
            SendState::Probe => index + 1 != pr.next_index,
            SendState::Snapshot { .. } => true,
        };
        if stale {
            return;
        }
        let next = match hint {
            Some(ConflictHint {
                index: i,
                term: Some(t),
            }) => self.log.last_index_of_term(t, index).map_or(i, |j| j + 1),
            Some(ConflictHint {
                index: i,
                term: None,
            }) => i,
            None => index,
        };
        let next = next.min(index).max(1);
        if let Some(pr) = self.lead.as_mut().and_then(|l| l.progress.get_mut(&from)) {
            pr.become_probe(next);
        }
        self.send_append(from, IfEmpty::Probe);
    }

    /// §5.3/§5.4.2: commit the highest index replicated on a quorum, but only by counting
    /// replicas of an entry of the current term (Figure 8); earlier entries commit with it.
    pub(super) fn maybe_commit(&mut self, now: u64) {
        let Some(lead) = &self.lead else {
            return;
        };
        let (id, last) = (self.id, self.log.last_index());
        let n = self.log.config().quorum_value(|peer| {
            if peer == id {
                last
            } else {
                lead.progress.get(&peer).map_or(0, |p| p.match_index)
            }
        });
        if n <= self.commit {
            return;
        }
        let current_term = self.log.term_at(n) == Some(self.term);
        if !current_term && !self.cfg.bugs.commit_previous_term_by_counting {
            return;
        }
        self.commit_to(n);
        if let Some(lead) = self.lead.as_mut() {
            lead.broadcast = true;
        }
        self.after_leader_commit(now);
    }

    /// Sends a heartbeat round to every follower; returns its round number.
    pub(super) fn broadcast_heartbeat(&mut self, now: u64) -> u64 {
        let commit = self.commit;
        let Some(lead) = self.lead.as_mut() else {
            return 0;
        };
        lead.hb_seq += 1;
        let seq = lead.hb_seq;
        lead.hb_sent.push_back((seq, now));
        if lead.hb_sent.len() > super::leader::HEARTBEAT_HISTORY {
            lead.hb_sent.pop_front();
        }
        for (&to, p) in lead.progress.iter_mut() {
            let safe = p.match_index.min(commit);
            p.commit_sent = p.commit_sent.max(safe);
            let body = MessageBody::Heartbeat { commit: safe, seq };
            self.out.send(to, self.term, body);
        }
        seq
    }

    /// Follower side of a heartbeat: the commit index it carries is safe to adopt.
    pub(super) fn handle_heartbeat(&mut self, from: NodeId, commit: u64, seq: u64) {
        self.commit_to(commit);
        self.send(from, MessageBody::HeartbeatResponse { seq });
    }

    /// Leader side of a heartbeat answer: liveness, lease, reads, and resuming replication.
    pub(super) fn handle_heartbeat_response(&mut self, from: NodeId, seq: u64) {
        let (max_msgs, max_bytes) = (self.cfg.max_inflight_msgs, self.cfg.max_inflight_bytes);
        let last = self.log.last_index();
        let Some(lead) = self.lead.as_mut() else {
            return;
        };
        let sent_at = lead.sent_at(seq);
        let Some(pr) = lead.progress.get_mut(&from) else {
            return;
        };
        pr.recent_active = true;
        pr.probe_sent = false;
        if seq > pr.acked_seq {
            pr.acked_seq = seq;
            if sent_at.is_some() {
                pr.acked_at = sent_at;
            }
        }
        if pr.state == SendState::Replicate && pr.is_paused(max_msgs, max_bytes) {
            pr.free_first_inflight();
        }
        let behind = pr.match_index < last;
        self.confirm_reads();
        if behind && self.role == Role::Leader {
            self.send_append(from, IfEmpty::Probe);
        }
    }
}

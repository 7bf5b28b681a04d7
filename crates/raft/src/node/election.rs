//! Leader election (§5.2, §5.4.1): timeouts, pre-vote, RequestVote with the up-to-date check,
//! and the rule that keeps servers that recently heard from a leader from voting (§6).

use rand_core::RngCore;

use super::RaftNode;
use crate::message::MessageBody;
use crate::ready::Role;
use crate::types::{NodeId, VoteResult};

impl RaftNode {
    /// Draws a fresh election deadline in `[now + min, now + max]`.
    pub(super) fn reset_election_timer(&mut self, now: u64) {
        let span = self.cfg.election_timeout_max - self.cfg.election_timeout_min;
        let jitter = if span == 0 {
            0
        } else {
            self.rng.next_u64() % (span + 1)
        };
        self.election_deadline = Some(
            now.saturating_add(self.cfg.election_timeout_min)
                .saturating_add(jitter),
        );
    }

    /// True if this server may campaign: it is a voter in the configuration in force, or in
    /// the last committed one while a newer configuration is still uncommitted. (A server
    /// that an uncommitted entry removes may still be needed to finish the change: without
    /// it, the joint configuration could be left without anyone able to win.)
    pub(super) fn promotable(&self) -> bool {
        let id = self.id;
        self.log.config().is_voter(id)
            || (self.log.config_index() > self.commit
                && self.log.config_at(self.commit).1.is_voter(id))
    }

    /// True while this server would not vote for anyone else: it leads, or it promised not to
    /// (see `promise_until`).
    pub(super) fn bound_by_promise(&self, now: u64) -> bool {
        self.role == Role::Leader || now < self.promise_until
    }

    /// True if a message of a newer term must not be taken while this server is bound by its
    /// promise to the leader it follows (or leads): adopting the term would clear its vote,
    /// and a candidate of that term could then win it while the leader's lease runs. A
    /// follower under its promise learns a newer term only from that term's leader (not from a
    /// late answer to a request it sent as leader or candidate); any server bound by a promise
    /// (a leader always is) ignores vote requests and pre-vote refusals of a newer term. A
    /// vote asked for a leadership transfer is never withheld.
    pub(super) fn withholds_newer_term(&self, now: u64, body: &MessageBody) -> bool {
        if matches!(body, MessageBody::RequestVote { transfer: true, .. }) {
            return false;
        }
        let from_leader = matches!(
            body,
            MessageBody::AppendEntries { .. }
                | MessageBody::Heartbeat { .. }
                | MessageBody::InstallSnapshot { .. }
        );
        let asks_or_refuses = matches!(
            body,
            MessageBody::PreVote { .. }
                | MessageBody::RequestVote { .. }
                | MessageBody::PreVoteResponse { granted: false }
        );
        match self.role {
            Role::Follower if now < self.promise_until => !from_leader,
            _ => asks_or_refuses && self.bound_by_promise(now),
        }
    }

    /// §5.4.1: a candidate's log is at least as up-to-date as ours.
    fn log_up_to_date(&self, last_index: u64, last_term: u64) -> bool {
        let (my_index, my_term) = (self.log.last_index(), self.log.last_term());
        last_term > my_term || (last_term == my_term && last_index >= my_index)
    }

    fn log_check_passes(&self, last_index: u64, last_term: u64) -> bool {
        self.cfg.bugs.vote_without_log_check || self.log_up_to_date(last_index, last_term)
    }

    /// Records contact from the leader of the current term.
    pub(super) fn follow(&mut self, now: u64, leader: NodeId) {
        if self.role != Role::Follower {
            self.become_follower(now, self.term, Some(leader));
        }
        self.leader = Some(leader);
        self.promise_until = now.saturating_add(self.cfg.election_timeout_min);
        self.reset_election_timer(now);
    }

    /// Becomes a follower in `term` (clearing the vote if the term is new). The election timer
    /// keeps running (Figure 2 resets it only on contact from the leader or on granting a vote;
    /// resetting it on every newer term lets hopeless candidates starve a viable one), except
    /// for a former leader, which starts it afresh.
    pub(super) fn become_follower(&mut self, now: u64, term: u64, leader: Option<NodeId>) {
        if term > self.term {
            self.term = term;
            self.vote = None;
            self.out.hard_state_dirty = true;
        }
        if let Some(lead) = self.lead.take() {
            self.abort_reads(lead);
            self.reset_election_timer(now);
        }
        self.role = Role::Follower;
        self.leader = leader;
        self.votes.clear();
    }

    /// Starts an election: a pre-vote round first if `pre_vote`, otherwise a real one.
    /// `transfer` marks a campaign ordered by the leader (TimeoutNow).
    pub(super) fn campaign(&mut self, now: u64, pre_vote: bool, transfer: bool) {
        if !self.promotable() {
            return;
        }
        self.lead = None;
        self.leader = None;
        self.votes.clear();
        self.votes.insert(self.id, true);
        let term = if pre_vote {
            self.role = Role::PreCandidate;
            self.term + 1
        } else {
            self.role = Role::Candidate;
            self.term += 1;
            self.vote = Some(self.id);
            self.out.hard_state_dirty = true;
            self.term
        };
        self.reset_election_timer(now);
        let (last_log_index, last_log_term) = (self.log.last_index(), self.log.last_term());
        let voters: Vec<NodeId> = self
            .log
            .config()
            .voters
            .iter()
            .chain(self.log.config().outgoing.iter())
            .copied()
            .filter(|&id| id != self.id)
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        for to in voters {
            let body = if pre_vote {
                MessageBody::PreVote {
                    last_log_index,
                    last_log_term,
                }
            } else {
                MessageBody::RequestVote {
                    last_log_index,
                    last_log_term,
                    transfer,
                }
            };
            self.send_with_term(to, term, body);
        }
        self.tally(now);
    }

    /// Answers a pre-vote: granted if the campaign term is newer and the log up-to-date.
    /// Changes no state.
    pub(super) fn handle_pre_vote(
        &mut self,
        from: NodeId,
        term: u64,
        last_index: u64,
        last_term: u64,
    ) {
        let granted = term > self.term && self.log_check_passes(last_index, last_term);
        // A grant names the campaign term; a refusal names this server's own term, so a
        // pre-candidate behind it catches up (etcd's rule).
        let reply_term = if granted || self.cfg.bugs.prevote_rejection_hides_term {
            term.max(self.term)
        } else {
            self.term
        };
        self.send_with_term(from, reply_term, MessageBody::PreVoteResponse { granted });
    }

    /// True if a pre-vote answer stamped `term` answers this pre-candidate's round: a grant
    /// names the campaign term, a refusal the voter's own term, here this server's term (a
    /// refusal from a later term made it a follower of that term already). With the planted
    /// bug every answer names the campaign term.
    pub(super) fn answers_this_pre_vote(&self, term: u64, granted: bool) -> bool {
        if granted || self.cfg.bugs.prevote_rejection_hides_term {
            term == self.term + 1
        } else {
            term == self.term
        }
    }

    /// Figure 2, RequestVote receiver: grant if we have not voted for someone else in this term
    /// and the candidate's log is at least as up-to-date as ours. Granting resets the timer.
    pub(super) fn handle_request_vote(
        &mut self,
        now: u64,
        from: NodeId,
        last_index: u64,
        last_term: u64,
    ) {
        let free = self.vote.is_none() || self.vote == Some(from);
        let granted = free && self.log_check_passes(last_index, last_term);
        if granted {
            self.vote = Some(from);
            self.out.hard_state_dirty = true;
            self.reset_election_timer(now);
        }
        self.send(from, MessageBody::RequestVoteResponse { granted });
    }

    /// Counts a (pre-)vote answer.
    pub(super) fn handle_vote_response(&mut self, now: u64, from: NodeId, granted: bool) {
        self.votes.entry(from).or_insert(granted);
        self.tally(now);
    }

    fn tally(&mut self, now: u64) {
        let result = self
            .log
            .config()
            .vote_result(|id| self.votes.get(&id).copied());
        match (result, self.role) {
            (VoteResult::Won, Role::PreCandidate) => self.campaign(now, false, false),
            (VoteResult::Won, Role::Candidate) => self.become_leader(now),
            (VoteResult::Lost, _) => self.become_follower(now, self.term, None),
            _ => {}
        }
    }
}

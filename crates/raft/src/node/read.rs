//! Linearizable reads (§8): ReadIndex confirms leadership with a heartbeat round; the lease
//! option skips the round while a quorum acknowledged a heartbeat less than
//! `election_timeout_min - max_clock_drift` ago.

use super::leader::{LeaderState, PendingRead};
use super::RaftNode;
use crate::probe::Probe;
use crate::ready::{ConfirmedRead, ReadBasis, ReadError, ReadState};
use crate::types::VoteResult;

impl RaftNode {
    /// Asks for a read index for `request_id`. The answer arrives as a [`ReadState`] in a later
    /// [`crate::Ready`]: serve the read once the state machine has applied that index.
    /// A leader that has not yet committed an entry of its term holds the request until it has.
    pub fn read_index(&mut self, now: u64, request_id: u64) -> Result<(), ReadError> {
        let Some(lead) = self.lead.as_mut() else {
            return Err(ReadError::NotLeader {
                leader_hint: self.leader,
            });
        };
        if self.cfg.bugs.read_without_quorum_check {
            self.out
                .read_states
                .push(confirmed(request_id, self.commit, ReadBasis::Unchecked));
            return Ok(());
        }
        if self.log.term_at(self.commit) != Some(self.term) {
            lead.waiting_reads.push(request_id);
            self.probe(Probe::ReadHeldForNewTerm);
            return Ok(());
        }
        self.start_reads(now, vec![request_id]);
        Ok(())
    }

    /// Serves `ids` at the current commit index: at once if this leader alone is a quorum or
    /// holds a valid lease, otherwise after a quorum acknowledges a fresh heartbeat round.
    fn start_reads(&mut self, now: u64, ids: Vec<u64>) {
        let index = self.commit;
        let alone = self.log.config().vote_result(|id| Some(id == self.id)) == VoteResult::Won;
        let basis = if alone {
            Some(ReadBasis::SoleVoter)
        } else {
            self.lease_valid(now).then_some(ReadBasis::Lease)
        };
        if self.cfg.lease_reads && !alone {
            let lease = basis == Some(ReadBasis::Lease);
            self.probe(if lease {
                Probe::LeaseRead
            } else {
                Probe::LeaseLapsed
            });
        }
        if let Some(basis) = basis {
            for request_id in ids {
                self.out
                    .read_states
                    .push(confirmed(request_id, index, basis));
            }
            return;
        }
        let seq = self.broadcast_heartbeat(now);
        if let Some(lead) = self.lead.as_mut() {
            lead.reads
                .extend(ids.into_iter().map(|request_id| PendingRead {
                    request_id,
                    index,
                    seq,
                }));
        }
    }

    /// True if, as leader at local time `now`, this server holds a read lease: it would answer
    /// a read from it without a heartbeat round. Its safety promise is that no other server
    /// can be elected in a later term while it does.
    pub fn holds_read_lease(&self, now: u64) -> bool {
        self.lease_valid(now)
    }

    /// True if a quorum acknowledged a heartbeat sent less than the lease duration ago.
    fn lease_valid(&self, now: u64) -> bool {
        let Some(lead) = &self.lead else {
            return false;
        };
        if !self.cfg.lease_reads || lead.lease_revoked || lead.transfer.is_some() {
            return false;
        }
        let id = self.id;
        let since = self.log.config().quorum_value(|peer| {
            if peer == id {
                now.saturating_add(1)
            } else {
                lead.progress
                    .get(&peer)
                    .and_then(|p| p.acked_at)
                    .map_or(0, |t| t + 1)
            }
        });
        since > 0 && now < (since - 1).saturating_add(self.cfg.lease_duration())
    }

    /// Answers every pending read whose heartbeat round a quorum has acknowledged.
    pub(super) fn confirm_reads(&mut self) {
        let Some(lead) = self.lead.as_mut() else {
            return;
        };
        let config = self.log.config();
        while let Some(read) = lead.reads.front().copied() {
            let quorum = config.vote_result(|peer| {
                Some(
                    peer == self.id
                        || lead
                            .progress
                            .get(&peer)
                            .is_some_and(|p| p.acked_seq >= read.seq),
                )
            });
            if quorum != VoteResult::Won {
                break;
            }
            lead.reads.pop_front();
            self.out.read_states.push(confirmed(
                read.request_id,
                read.index,
                ReadBasis::HeartbeatRound,
            ));
        }
    }

    /// Releases reads held until this leader committed an entry of its own term.
    pub(super) fn release_waiting_reads(&mut self, now: u64) {
        if self.log.term_at(self.commit) != Some(self.term) {
            return;
        }
        let ids = self
            .lead
            .as_mut()
            .map(|l| std::mem::take(&mut l.waiting_reads))
            .unwrap_or_default();
        if !ids.is_empty() {
            self.probe(Probe::HeldReadsReleased);
            self.start_reads(now, ids);
        }
    }

    /// Fails every read of a leadership that just ended.
    pub(super) fn abort_reads(&mut self, lead: LeaderState) {
        let ids = lead
            .reads
            .iter()
            .map(|r| r.request_id)
            .chain(lead.waiting_reads.iter().copied());
        if !lead.reads.is_empty() || !lead.waiting_reads.is_empty() {
            self.probe(Probe::ReadsAborted);
        }
        self.out.read_states.extend(ids.map(|request_id| ReadState {
            request_id,
            result: Err(ReadError::LeadershipLost),
        }));
    }
}

/// The answer to read `request_id`: serve it at `index`, confirmed by `basis`.
fn confirmed(request_id: u64, index: u64, basis: ReadBasis) -> ReadState {
    ReadState {
        request_id,
        result: Ok(ConfirmedRead { index, basis }),
    }
}

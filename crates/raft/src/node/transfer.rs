//! Leadership transfer (§3.10 of the Raft thesis): catch the target up, then TimeoutNow.

use thiserror::Error;

use super::leader::Transfer;
use super::replication::IfEmpty;
use super::RaftNode;
use crate::message::MessageBody;
use crate::probe::Probe;
use crate::ready::Role;
use crate::types::NodeId;

/// Why a leadership transfer was refused.
#[derive(Clone, Copy, Debug, Error, PartialEq, Eq)]
pub enum TransferError {
    /// Only the leader can hand over leadership.
    #[error("not the leader (hint: {leader_hint:?})")]
    NotLeader {
        /// The leader this server knows of, if any.
        leader_hint: Option<NodeId>,
    },
    /// The target does not vote in the current configuration.
    #[error("server {0} is not a voter")]
    NotVoter(NodeId),
}

impl RaftNode {
    /// Hands leadership to `target`: new proposals are refused, the target is brought up to
    /// date, then told to campaign at once. Abandoned after `election_timeout_min`.
    pub fn transfer_leadership(&mut self, now: u64, target: NodeId) -> Result<(), TransferError> {
        if self.lead.is_none() {
            return Err(TransferError::NotLeader {
                leader_hint: self.leader,
            });
        }
        if target == self.id {
            return Ok(());
        }
        if !self.log.config().is_voter(target) {
            return Err(TransferError::NotVoter(target));
        }
        if let Some(lead) = self.lead.as_mut() {
            lead.transfer = Some(Transfer {
                target,
                deadline: now.saturating_add(self.cfg.election_timeout_min),
                timeout_now_sent: false,
            });
        }
        self.maybe_send_timeout_now(target);
        self.send_append(target, IfEmpty::Probe);
        Ok(())
    }

    /// Sends TimeoutNow to the transfer target once its log matches ours.
    pub(super) fn maybe_send_timeout_now(&mut self, peer: NodeId) {
        let last = self.log.last_index();
        let Some(lead) = self.lead.as_mut() else {
            return;
        };
        let Some(transfer) = lead.transfer.as_mut() else {
            return;
        };
        let caught_up = lead
            .progress
            .get(&peer)
            .is_some_and(|p| p.match_index == last);
        if transfer.target != peer || transfer.timeout_now_sent || !caught_up {
            return;
        }
        transfer.timeout_now_sent = true;
        lead.lease_revoked = true;
        self.send(peer, MessageBody::TimeoutNow);
    }

    /// The leader asked us to take over: campaign now, skipping pre-vote and the lease check.
    pub(super) fn handle_timeout_now(&mut self, now: u64) {
        if self.role != Role::Leader {
            self.probe(Probe::TransferTimeoutNow);
            self.campaign(now, false, true);
        }
    }
}

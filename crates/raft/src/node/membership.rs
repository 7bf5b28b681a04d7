//! Membership changes by joint consensus (§6) with learners. A configuration takes effect as
//! soon as its entry is in the log; the leader enters joint consensus, leaves it automatically
//! once the joint entry commits, and steps down if the new configuration excludes it.

use thiserror::Error;

use super::{Proposal, RaftNode};
use crate::probe::Probe;
use crate::ready::Role;
use crate::types::{ConfChange, EntryKind, Membership, NodeId};

/// Why a membership change was refused.
#[derive(Clone, Copy, Debug, Error, PartialEq, Eq)]
pub enum ConfChangeError {
    /// Only the leader changes the configuration.
    #[error("not the leader (hint: {leader_hint:?})")]
    NotLeader {
        /// The leader this server knows of, if any.
        leader_hint: Option<NodeId>,
    },
    /// A leadership transfer is in progress.
    #[error("leadership transfer in progress")]
    TransferInProgress,
    /// A previous change is not finished (uncommitted, or still in joint consensus).
    #[error("a membership change is already in progress")]
    ChangeInProgress,
    /// The leader has not committed an entry of its own term yet.
    #[error("the leader has not committed an entry of its term yet")]
    NoCommitInTerm,
    /// The target configuration is not acceptable.
    #[error("invalid membership change: {0}")]
    Invalid(&'static str),
}

impl RaftNode {
    /// Proposes a new configuration. Learner-only changes take one step; changing the voters
    /// enters joint consensus (old and new voters must both agree) and the leader appends the
    /// leaving entry by itself once the joint one commits.
    pub fn change_membership(
        &mut self,
        now: u64,
        change: ConfChange,
    ) -> Result<Proposal, ConfChangeError> {
        let Some(lead) = &self.lead else {
            return Err(ConfChangeError::NotLeader {
                leader_hint: self.leader,
            });
        };
        if lead.transfer.is_some() {
            return Err(ConfChangeError::TransferInProgress);
        }
        let current = self.log.config();
        if current.is_joint() || self.log.config_index() > self.commit {
            return Err(ConfChangeError::ChangeInProgress);
        }
        if self.log.term_at(self.commit) != Some(self.term) {
            return Err(ConfChangeError::NoCommitInTerm);
        }
        if change.voters.is_empty() {
            return Err(ConfChangeError::Invalid("the configuration needs a voter"));
        }
        if !change.voters.is_disjoint(&change.learners) {
            return Err(ConfChangeError::Invalid(
                "a server cannot be voter and learner",
            ));
        }
        if !change.learners.is_disjoint(&current.voters) {
            return Err(ConfChangeError::Invalid(
                "a voter cannot become a learner in one change",
            ));
        }
        let outgoing = if change.voters == current.voters {
            Default::default()
        } else {
            current.voters.clone()
        };
        let next = Membership {
            voters: change.voters,
            outgoing,
            learners: change.learners,
        };
        if &next == current {
            return Err(ConfChangeError::Invalid("the configuration is unchanged"));
        }
        Ok(self.append_as_leader(now, EntryKind::Config(next)))
    }

    /// After the commit index moves on the leader: leave joint consensus once the joint entry
    /// committed, and step down once a configuration without this server committed.
    pub(super) fn after_commit_config(&mut self, now: u64) {
        if self.role != Role::Leader || self.log.config_index() > self.commit {
            return;
        }
        let config = self.log.config();
        if config.is_joint() {
            let leave = Membership {
                outgoing: Default::default(),
                ..config.clone()
            };
            if self.log.term_at(self.log.config_index()) != Some(self.term) {
                self.probe(Probe::JointLeftByNewLeader);
            }
            self.append_as_leader(now, EntryKind::Config(leave));
        } else if !config.is_voter(self.id) {
            self.probe(Probe::RemovedLeaderStepsDown);
            self.become_follower(now, self.term, None);
        }
    }

    /// Everything the leader does when its commit index advances.
    pub(super) fn after_leader_commit(&mut self, now: u64) {
        self.release_waiting_reads(now);
        self.after_commit_config(now);
    }
}

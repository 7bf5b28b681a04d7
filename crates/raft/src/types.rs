//! Plain data shared by the log, the messages and the caller: entries, memberships, snapshots.

use std::collections::BTreeSet;
use std::sync::Arc;

/// Identifier of a Raft server.
pub type NodeId = u64;

/// One log entry.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Entry {
    /// Term of the leader that created the entry.
    pub term: u64,
    /// Position in the log (the first entry has index 1).
    pub index: u64,
    /// What the entry carries.
    pub kind: EntryKind,
}

/// The payload of a log entry.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum EntryKind {
    /// The empty entry a new leader appends to commit entries of earlier terms.
    Noop,
    /// Application data proposed by a client, shared by every copy of the entry (the log, the
    /// appends to each follower, the ready's writes and committed entries) instead of copied.
    Normal(Arc<[u8]>),
    /// A new cluster configuration; it takes effect as soon as it is in a server's log.
    Config(Membership),
}

impl Entry {
    /// Approximate encoded size in bytes (used for bandwidth and in-flight limits).
    pub fn approx_size(&self) -> u64 {
        16 + match &self.kind {
            EntryKind::Noop => 1,
            EntryKind::Normal(data) => data.len() as u64 + 1,
            EntryKind::Config(m) => m.approx_size(),
        }
    }
}

/// A cluster configuration. Outside joint consensus `outgoing` is empty.
///
/// During joint consensus decisions need a majority of `voters` (the incoming configuration)
/// **and** a majority of `outgoing` (the old one). Learners receive the log but never vote.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Membership {
    /// Voters of the (incoming) configuration.
    pub voters: BTreeSet<NodeId>,
    /// Voters of the outgoing configuration while in joint consensus; empty otherwise.
    pub outgoing: BTreeSet<NodeId>,
    /// Non-voting members that replicate the log.
    pub learners: BTreeSet<NodeId>,
}

/// Outcome of counting votes (or acknowledgements) against a configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum VoteResult {
    /// A quorum said yes.
    Won,
    /// A quorum can no longer say yes.
    Lost,
    /// Not decided yet.
    Pending,
}

impl Membership {
    /// A simple (non-joint) configuration with the given voters and no learners.
    pub fn new(voters: impl IntoIterator<Item = NodeId>) -> Self {
        Membership {
            voters: voters.into_iter().collect(),
            ..Membership::default()
        }
    }

    /// True while in joint consensus (an outgoing configuration is still in force).
    pub fn is_joint(&self) -> bool {
        !self.outgoing.is_empty()
    }

    /// True if `id` votes in either half of the configuration.
    pub fn is_voter(&self, id: NodeId) -> bool {
        self.voters.contains(&id) || self.outgoing.contains(&id)
    }

    /// True if `id` is a voter or a learner.
    pub fn contains(&self, id: NodeId) -> bool {
        self.is_voter(id) || self.learners.contains(&id)
    }

    /// Every member (voters of both halves and learners), in ascending order.
    pub fn members(&self) -> BTreeSet<NodeId> {
        let mut all = self.voters.clone();
        all.extend(self.outgoing.iter().copied());
        all.extend(self.learners.iter().copied());
        all
    }

    /// Approximate encoded size in bytes.
    pub fn approx_size(&self) -> u64 {
        8 * (self.voters.len() + self.outgoing.len() + self.learners.len()) as u64 + 3
    }

    /// Counts `yes`/`no` answers: both halves must be won in joint consensus.
    pub(crate) fn vote_result(&self, answer: impl Fn(NodeId) -> Option<bool>) -> VoteResult {
        let incoming = majority_result(&self.voters, &answer);
        if !self.is_joint() {
            return incoming;
        }
        let outgoing = majority_result(&self.outgoing, &answer);
        match (incoming, outgoing) {
            (VoteResult::Won, VoteResult::Won) => VoteResult::Won,
            (VoteResult::Lost, _) | (_, VoteResult::Lost) => VoteResult::Lost,
            _ => VoteResult::Pending,
        }
    }

    /// The largest value that a quorum has reached (for match indexes: the commit candidate).
    /// Returns 0 when the configuration has no voters.
    pub(crate) fn quorum_value(&self, value: impl Fn(NodeId) -> u64) -> u64 {
        let incoming = majority_value(&self.voters, &value);
        if self.is_joint() {
            incoming.min(majority_value(&self.outgoing, &value))
        } else {
            incoming
        }
    }
}

fn majority_result(set: &BTreeSet<NodeId>, answer: &impl Fn(NodeId) -> Option<bool>) -> VoteResult {
    if set.is_empty() {
        return VoteResult::Lost;
    }
    let need = set.len() / 2 + 1;
    let (mut yes, mut missing) = (0, 0);
    for &id in set {
        match answer(id) {
            Some(true) => yes += 1,
            Some(false) => {}
            None => missing += 1,
        }
    }
    if yes >= need {
        VoteResult::Won
    } else if yes + missing >= need {
        VoteResult::Pending
    } else {
        VoteResult::Lost
    }
}

/// Voter sets up to this size are counted in an array on the stack (the leader asks at every
/// acknowledgement); larger ones in a vector.
const SMALL_SET: usize = 16;

fn majority_value(set: &BTreeSet<NodeId>, value: &impl Fn(NodeId) -> u64) -> u64 {
    if set.is_empty() {
        return 0;
    }
    let mut small = [0u64; SMALL_SET];
    let mut large = Vec::new();
    let values = if set.len() <= SMALL_SET {
        &mut small[..set.len()]
    } else {
        large.resize(set.len(), 0);
        &mut large[..]
    };
    for (slot, &id) in values.iter_mut().zip(set) {
        *slot = value(id);
    }
    values.sort_unstable_by(|a, b| b.cmp(a));
    values[set.len() / 2]
}

/// A requested membership change: the target voters and learners.
///
/// If the voters stay the same only the learners change, in one step. Otherwise the leader
/// enters joint consensus (old voters + new voters) and leaves it automatically once the joint
/// entry is committed. A current voter cannot be turned into a learner in one change: remove it
/// first, then add it back as a learner.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ConfChange {
    /// Voters of the target configuration (must not be empty).
    pub voters: BTreeSet<NodeId>,
    /// Learners of the target configuration (disjoint from `voters`).
    pub learners: BTreeSet<NodeId>,
}

/// Where a snapshot sits in the log and the configuration in force at that point.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SnapshotMeta {
    /// Index of the last entry the snapshot covers.
    pub index: u64,
    /// Term of that entry.
    pub term: u64,
    /// The configuration as of `index`.
    pub config: Membership,
}

/// An application snapshot with its position in the log.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Snapshot {
    /// Position and configuration.
    pub meta: SnapshotMeta,
    /// Opaque application state.
    pub data: Vec<u8>,
}

/// The small piece of state that must be durable before messages that depend on it are sent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct HardState {
    /// Latest term the server has seen.
    pub term: u64,
    /// Candidate that received this server's vote in `term`, if any.
    pub vote: Option<NodeId>,
    /// Highest index known committed (optional to persist; it speeds up restart).
    pub commit: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The value a quorum has reached: small sets are counted on the stack, large ones in a
    /// vector; both give the largest value a majority of the voters reached.
    #[test]
    fn quorum_value_of_small_and_large_sets() {
        let value = |id: NodeId| id * 10;
        assert_eq!(Membership::new([1, 2, 3]).quorum_value(value), 20);
        assert_eq!(Membership::new([4, 1, 3, 2]).quorum_value(value), 20);
        assert_eq!(Membership::new(1..=16).quorum_value(value), 80);
        assert_eq!(Membership::new(1..=20).quorum_value(value), 100);
        assert_eq!(Membership::new(1..=21).quorum_value(value), 110);
        assert_eq!(Membership::default().quorum_value(value), 0);
        let joint = Membership {
            voters: (1..=20).collect(),
            outgoing: [1, 2, 3].into(),
            learners: BTreeSet::new(),
        };
        assert_eq!(joint.quorum_value(value), 20);
    }
}

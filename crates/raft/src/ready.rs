//! What the caller drains from a node after feeding it inputs, and what it can inspect.

use crate::message::Outbound;
use crate::types::{Entry, HardState, Membership, NodeId, Snapshot};
use thiserror::Error;

/// The role a server plays.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Role {
    /// Follows a leader (also the role of learners and removed servers).
    Follower,
    /// Asking whether a quorum would vote for it before raising its term.
    PreCandidate,
    /// Asking for votes in a new term.
    Candidate,
    /// Leads the current term.
    Leader,
}

/// Volatile state worth reporting when it changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SoftState {
    /// Current role.
    pub role: Role,
    /// Current term.
    pub term: u64,
    /// Known leader of the current term.
    pub leader: Option<NodeId>,
}

/// Log entries to make durable: delete every persisted entry with index `>= truncate_from`,
/// then append `entries` (which, if not empty, start at `truncate_from`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct LogWrite {
    /// First index to overwrite.
    pub truncate_from: u64,
    /// Entries to append.
    pub entries: Vec<Entry>,
}

/// Why a read could not be served.
#[derive(Clone, Copy, Debug, Error, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum ReadError {
    /// This server is not the leader; try `leader_hint`.
    #[error("not the leader (hint: {leader_hint:?})")]
    NotLeader {
        /// The leader this server knows of, if any.
        leader_hint: Option<NodeId>,
    },
    /// Leadership was lost before the read was confirmed.
    #[error("leadership lost before the read was confirmed")]
    LeadershipLost,
}

/// The answer to a [`crate::RaftNode::read_index`] request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ReadState {
    /// The caller's request id.
    pub request_id: u64,
    /// On success, the commit index the read must wait for and how leadership was confirmed.
    pub result: Result<ConfirmedRead, ReadError>,
}

/// A read the leader confirmed: serve it once the state machine has applied `index`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ConfirmedRead {
    /// The commit index the read must wait for.
    pub index: u64,
    /// What the leader relied on to know it still led.
    pub basis: ReadBasis,
}

/// What a leader relied on when it confirmed a read: an observer checking leases needs to see
/// every read served without a round, including reads held back and released later.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum ReadBasis {
    /// A quorum acknowledged a heartbeat sent after the read arrived (ReadIndex).
    HeartbeatRound,
    /// The leader's lease: a quorum acknowledged a heartbeat less than the lease ago.
    Lease,
    /// The leader alone is a quorum of the configuration.
    SoleVoter,
    /// Nothing: the `read_without_quorum_check` planted bug.
    Unchecked,
}

/// Everything a node asks of its caller, in the order it must be handled:
///
/// 1. persist `snapshot`, then `log`, then `hard_state` (all durable before step 2);
/// 2. send `messages`;
/// 3. restore the state machine from `snapshot` if `apply_snapshot`, then apply
///    `committed_entries` in order;
/// 4. serve `read_states` once the applied index reaches each one's index.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Ready {
    /// Changed role/term/leader since the previous `Ready`.
    pub soft_state: Option<SoftState>,
    /// Term, vote and commit to persist, when changed.
    pub hard_state: Option<HardState>,
    /// A snapshot to persist; persisted entries up to its index may then be dropped.
    pub snapshot: Option<Snapshot>,
    /// True if `snapshot` came from the leader and the state machine must be restored from it.
    pub apply_snapshot: bool,
    /// Log entries to persist.
    pub log: Option<LogWrite>,
    /// Messages that may be sent once the above is durable.
    pub messages: Vec<Outbound>,
    /// Newly committed entries to apply, in log order.
    pub committed_entries: Vec<Entry>,
    /// Answers to read requests.
    pub read_states: Vec<ReadState>,
}

impl Ready {
    /// True if there is nothing to do.
    pub fn is_empty(&self) -> bool {
        self == &Ready::default()
    }
}

/// A snapshot of the node's state for observers and invariant checkers.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Status {
    /// This server.
    pub id: NodeId,
    /// Current role.
    pub role: Role,
    /// Current term.
    pub term: u64,
    /// Vote cast in the current term.
    pub vote: Option<NodeId>,
    /// Known leader.
    pub leader: Option<NodeId>,
    /// Commit index.
    pub commit: u64,
    /// Index handed to the caller for applying (entries or snapshot).
    pub applied: u64,
    /// Index of the last log entry.
    pub last_index: u64,
    /// Configuration in force (the latest in the log).
    pub config: Membership,
}

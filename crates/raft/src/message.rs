//! The messages Raft servers exchange. The transport is the caller's business.

use crate::types::{Entry, NodeId, SnapshotMeta};

/// A message with the sender's current term.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Message {
    /// Sender's term (for pre-votes: the term the sender would campaign in).
    pub term: u64,
    /// What the message says.
    pub body: MessageBody,
}

/// Hint a follower returns with a rejected AppendEntries so the leader can skip back quickly.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ConflictHint {
    /// With `term`: the follower's first index of that term. Without: its last index + 1.
    pub index: u64,
    /// Term of the follower's entry at the rejected `prev_log_index`, if it has one.
    pub term: Option<u64>,
}

/// The kinds of Raft message.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum MessageBody {
    /// Pre-vote: "would you vote for me in `term`?" Changes no state at the receiver.
    PreVote {
        /// Index of the candidate's last log entry.
        last_log_index: u64,
        /// Term of the candidate's last log entry.
        last_log_term: u64,
    },
    /// Answer to [`MessageBody::PreVote`].
    PreVoteResponse {
        /// Whether the receiver would vote.
        granted: bool,
    },
    /// RequestVote RPC.
    RequestVote {
        /// Index of the candidate's last log entry.
        last_log_index: u64,
        /// Term of the candidate's last log entry.
        last_log_term: u64,
        /// Sent on the leader's TimeoutNow: voters skip the "recently heard from a leader" check.
        transfer: bool,
    },
    /// Answer to [`MessageBody::RequestVote`].
    RequestVoteResponse {
        /// Whether the vote was granted.
        granted: bool,
    },
    /// AppendEntries RPC (replication; empty `entries` only carry the commit index).
    AppendEntries {
        /// Index of the entry just before `entries`.
        prev_log_index: u64,
        /// Term of that entry.
        prev_log_term: u64,
        /// Entries to store, contiguous from `prev_log_index + 1`.
        entries: Vec<Entry>,
        /// Leader's commit index.
        leader_commit: u64,
    },
    /// Answer to [`MessageBody::AppendEntries`].
    AppendEntriesResponse {
        /// Whether the consistency check passed.
        success: bool,
        /// On success: the follower's matching index. On failure: the rejected `prev_log_index`.
        index: u64,
        /// On failure: where the leader should look next.
        hint: Option<ConflictHint>,
    },
    /// Leader heartbeat: asserts leadership, carries a safe commit index and a round number.
    Heartbeat {
        /// `min(follower's match index, leader commit)`.
        commit: u64,
        /// Heartbeat round, echoed back (used by ReadIndex and leases).
        seq: u64,
    },
    /// Answer to [`MessageBody::Heartbeat`].
    HeartbeatResponse {
        /// The round being acknowledged.
        seq: u64,
    },
    /// One chunk of an InstallSnapshot transfer.
    InstallSnapshot {
        /// Which snapshot (boxed: its configuration would make every message, the frequent
        /// small ones included, twice as large to move around).
        meta: Box<SnapshotMeta>,
        /// Byte offset of `data` in the snapshot.
        offset: u64,
        /// Chunk bytes.
        data: Vec<u8>,
        /// True on the last chunk.
        done: bool,
    },
    /// Answer to [`MessageBody::InstallSnapshot`].
    InstallSnapshotResponse {
        /// Index of the snapshot being acknowledged.
        index: u64,
        /// Bytes received so far (where the next chunk must start).
        next_offset: u64,
        /// True once the snapshot is installed (or already covered by the follower's commit).
        done: bool,
    },
    /// Leadership transfer: "campaign now, skipping pre-vote".
    TimeoutNow,
}

/// A message together with its destination, as drained from [`crate::Ready`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Outbound {
    /// Destination server.
    pub to: NodeId,
    /// The message.
    pub message: Message,
}

/// Terms, indexes and offsets at or above this bound mark a message as malformed; the bound
/// leaves room for arithmetic that can never overflow.
const MAX_SANE: u64 = 1 << 62;

impl Message {
    /// True if every term, index and offset in the message is below 2^62 (see `MAX_SANE`).
    pub(crate) fn is_sane(&self) -> bool {
        let ok = |v: u64| v < MAX_SANE;
        ok(self.term)
            && match &self.body {
                MessageBody::PreVote {
                    last_log_index,
                    last_log_term,
                }
                | MessageBody::RequestVote {
                    last_log_index,
                    last_log_term,
                    ..
                } => ok(*last_log_index) && ok(*last_log_term),
                MessageBody::AppendEntries {
                    prev_log_index,
                    prev_log_term,
                    entries,
                    ..
                } => {
                    ok(*prev_log_index)
                        && ok(*prev_log_term)
                        && entries.iter().all(|e| ok(e.index) && ok(e.term))
                }
                MessageBody::AppendEntriesResponse { index, hint, .. } => {
                    ok(*index) && hint.is_none_or(|h| ok(h.index) && h.term.is_none_or(ok))
                }
                MessageBody::InstallSnapshot { meta, offset, .. } => {
                    ok(meta.index) && ok(meta.term) && ok(*offset)
                }
                MessageBody::InstallSnapshotResponse {
                    index, next_offset, ..
                } => ok(*index) && ok(*next_offset),
                MessageBody::PreVoteResponse { .. }
                | MessageBody::RequestVoteResponse { .. }
                | MessageBody::Heartbeat { .. }
                | MessageBody::HeartbeatResponse { .. }
                | MessageBody::TimeoutNow => true,
            }
    }

    /// Approximate encoded size in bytes (for bandwidth models).
    pub fn approx_size(&self) -> u64 {
        const HEADER: u64 = 24;
        HEADER
            + match &self.body {
                MessageBody::AppendEntries { entries, .. } => {
                    24 + entries.iter().map(Entry::approx_size).sum::<u64>()
                }
                MessageBody::InstallSnapshot { meta, data, .. } => {
                    24 + meta.config.approx_size() + data.len() as u64
                }
                MessageBody::AppendEntriesResponse { .. } => 24,
                _ => 16,
            }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::EntryKind;

    /// Every message is moved several times between the core, its driver and a simulator's
    /// queue: the rare snapshot chunk must not make the frequent small messages large.
    #[test]
    fn messages_stay_small() {
        assert!(std::mem::size_of::<Message>() <= 64);
    }

    #[cfg(feature = "serde")]
    #[test]
    fn messages_round_trip_through_json() {
        let m = Message {
            term: 3,
            body: MessageBody::AppendEntries {
                prev_log_index: 1,
                prev_log_term: 2,
                entries: vec![Entry {
                    term: 3,
                    index: 2,
                    kind: EntryKind::Config(crate::Membership::new([1, 2])),
                }],
                leader_commit: 1,
            },
        };
        let json = serde_json::to_string(&m).unwrap();
        assert_eq!(serde_json::from_str::<Message>(&json).unwrap(), m);
    }

    #[test]
    fn size_grows_with_payload() {
        let small = Message {
            term: 1,
            body: MessageBody::AppendEntries {
                prev_log_index: 0,
                prev_log_term: 0,
                entries: vec![],
                leader_commit: 0,
            },
        };
        let mut big = small.clone();
        if let MessageBody::AppendEntries { entries, .. } = &mut big.body {
            entries.push(Entry {
                term: 1,
                index: 1,
                kind: EntryKind::Normal(vec![0; 1000].into()),
            });
        }
        assert!(big.approx_size() >= small.approx_size() + 1000);
    }
}

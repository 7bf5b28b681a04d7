//! Everything that crosses the simulated network in a Raft run: Raft messages between servers,
//! client requests and replies, and operator actions.

use super::kv::OpResult;
use faultline_check::KvInput;

/// One message on the simulated network.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Msg {
    /// Between servers.
    Raft(faultline_raft::Message),
    /// A client asks a server to run its operation `seq` (the client is the sender).
    Request {
        /// The client's sequence number (the same on every retry).
        seq: u64,
        /// The operation.
        op: KvInput,
    },
    /// A server answers a client.
    Reply {
        /// The request's sequence number.
        seq: u64,
        /// The answer.
        reply: Reply,
    },
    /// The operator asks the leader to carry out action `id`.
    Admin {
        /// Index of the action in the scenario's operator schedule.
        id: u64,
        /// What to do.
        action: AdminAction,
    },
    /// The leader reports that action `id` is complete.
    AdminDone {
        /// The action.
        id: u64,
    },
}

/// A server's answer to a client request.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Reply {
    /// The operation took effect (or was read) with this result.
    Done(OpResult),
    /// This server cannot serve the request; try the hinted leader (scenario id) if any.
    NotLeader(Option<u64>),
}

/// An operator action carried out by the leader.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum AdminAction {
    /// Make `add` voters (as learners first, promoted once caught up) and remove `remove`.
    Membership {
        /// Scenario ids to add.
        add: Vec<u64>,
        /// Scenario ids to remove.
        remove: Vec<u64>,
    },
    /// Hand leadership to this scenario id.
    Transfer {
        /// The new leader.
        to: u64,
    },
}

/// Bytes of framing every message carries (type, sender, sequence numbers), as the Raft core
/// counts for its own messages.
const HEADER_BYTES: u64 = 24;

impl Msg {
    /// Approximate encoded size in bytes: Raft messages as the core sizes them, client and
    /// operator messages as their header plus their strings and ids.
    pub fn approx_size(&self) -> u64 {
        let text = |s: &str| 4 + s.len() as u64;
        match self {
            Msg::Raft(message) => message.approx_size(),
            Msg::Request { op, .. } => {
                HEADER_BYTES
                    + match op {
                        KvInput::Get { key } => text(key),
                        KvInput::Put { key, value } | KvInput::Append { key, value } => {
                            text(key) + text(value)
                        }
                        KvInput::Cas { key, expected, new } => {
                            text(key) + text(expected) + text(new)
                        }
                    }
            }
            Msg::Reply { reply, .. } => {
                HEADER_BYTES
                    + match reply {
                        Reply::Done(OpResult::Value(value)) => text(value),
                        Reply::Done(_) | Reply::NotLeader(_) => 8,
                    }
            }
            Msg::Admin { action, .. } => {
                HEADER_BYTES
                    + match action {
                        AdminAction::Membership { add, remove } => {
                            8 * (add.len() + remove.len()) as u64
                        }
                        AdminAction::Transfer { .. } => 8,
                    }
            }
            Msg::AdminDone { .. } => HEADER_BYTES,
        }
    }
}

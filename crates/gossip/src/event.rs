//! Monitoring events a node emits for the caller (convergence and failure-detector metrics).

use crate::clock::Dot;
use crate::store::Key;
use crate::swim::MemberState;

/// Something observable happened at a node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A version entered this node's map (a local write or a received update that was news).
    Applied {
        /// The key.
        key: Key,
        /// The write's identity.
        dot: Dot,
    },
    /// This node's view of a member changed (including its own refutations, as `Alive`).
    Member {
        /// The member.
        id: u64,
        /// Its new state.
        state: MemberState,
        /// The incarnation of that state.
        incarnation: u64,
    },
}

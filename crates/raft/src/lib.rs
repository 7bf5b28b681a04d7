//! Sans-IO Raft consensus core.
//!
//! A Raft core with no I/O, no clock, no threads: the caller passes time in, feeds messages
//! and client requests, and drains what the node wants done.
//!
//! Features: election with randomized timeouts, pre-vote and check-quorum; replication with
//! fast backtracking, pipelining bounded by in-flight messages and bytes, batching; the
//! Figure 8 commit rule; snapshots with chunked InstallSnapshot; joint consensus with learners;
//! leadership transfer; ReadIndex and lease reads. [`PlantedBugs`] holds test-only switches
//! (all off by default) that re-introduce classic bugs for a fuzzer to find.
//!
//! # Driving a node
//!
//! Time is `u64` nanoseconds of the caller's clock; node ids are `u64`. A driver loops:
//!
//! 1. **Feed inputs**: [`RaftNode::handle_message`] for each received message,
//!    [`RaftNode::handle_timeout`] when the time from [`RaftNode::poll_timeout`] is reached,
//!    and client calls ([`RaftNode::propose`], [`RaftNode::read_index`],
//!    [`RaftNode::change_membership`], [`RaftNode::transfer_leadership`],
//!    [`RaftNode::compact`]).
//! 2. **Take the ready**: [`RaftNode::take_ready`] returns a [`Ready`].
//! 3. **Persist**: make `snapshot`, then `log` ([`LogWrite`]: truncate, then append), then
//!    `hard_state` durable. [`PersistentState::apply_ready`] does exactly this for an in-memory
//!    model of the disk. Nothing in step 4 may happen before this is durable: that is what
//!    makes votes and acknowledgements safe across crashes.
//! 4. **Send** every [`Outbound`] message in `messages` (any order, any loss: Raft copes).
//! 5. **Apply**: if `apply_snapshot`, restore the state machine from `snapshot`; then apply
//!    `committed_entries` in order ([`EntryKind::Normal`] data, [`EntryKind::Config`], and
//!    [`EntryKind::Noop`] which changes nothing). The applied index advances as entries are
//!    handed out; finish applying before the next input. Serve each [`ReadState`] once the
//!    applied index reaches its index. Optionally hand the ready back with
//!    [`RaftNode::recycle`]: its vectors then carry the next readies instead of new ones.
//! 6. **Sleep** until [`RaftNode::poll_timeout`] or the next message, then go to 1.
//!
//! To restart after a crash, build the node again with [`RaftNode::new`] from the persisted
//! [`PersistentState`] and restore the state machine from its `snapshot` yourself; committed
//! entries after the snapshot are then handed out again so the state machine catches up. A new cluster starts from [`PersistentState::bootstrap`]; a
//! server to be added later starts from `PersistentState::default()` and learns the
//! configuration from the leader.
//!
//! ```
//! use faultline_raft::{Config, PersistentState, RaftNode, Role};
//!
//! let mut disk = PersistentState::bootstrap([1]);
//! let mut node = RaftNode::with_seed(1, Config::default(), disk.clone(), 7).unwrap();
//! let mut now = 0;
//! let mut applied = Vec::new();
//! for _ in 0..4 {
//!     node.handle_timeout(now);
//!     let ready = node.take_ready();
//!     disk.apply_ready(&ready); // persist first
//!     assert!(ready.messages.is_empty()); // (a one-node cluster has no one to talk to)
//!     applied.extend(ready.committed_entries); // then apply
//!     now = node.poll_timeout().unwrap();
//! }
//! assert_eq!(node.role(), Role::Leader);
//! let p = node.propose(now, b"x".to_vec()).unwrap();
//! let ready = node.take_ready();
//! disk.apply_ready(&ready);
//! assert_eq!(ready.committed_entries.last().map(|e| e.index), Some(p.index));
//! ```
#![warn(missing_docs)]

mod config;
mod log;
mod message;
mod node;
mod probe;
mod progress;
mod ready;
mod storage;
mod types;

pub use config::{Config, ConfigError, PlantedBugs};
pub use message::{ConflictHint, Message, MessageBody, Outbound};
pub use node::{
    CompactError, ConfChangeError, InitError, Proposal, ProposeError, RaftNode, TransferError,
};
pub use probe::Probe;
pub use rand_chacha::ChaCha8Rng;
pub use ready::{
    ConfirmedRead, LogWrite, ReadBasis, ReadError, ReadState, Ready, Role, SoftState, Status,
};
pub use storage::PersistentState;
pub use types::{
    ConfChange, Entry, EntryKind, HardState, Membership, NodeId, Snapshot, SnapshotMeta,
};

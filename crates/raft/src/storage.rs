//! The durable state a node is restarted from, and how a [`Ready`] updates it.

use crate::ready::Ready;
use crate::types::{Entry, HardState, Membership, NodeId, Snapshot, SnapshotMeta};

/// What a server keeps on stable storage. A driver may keep its own format; this one is a
/// plain in-memory model that [`PersistentState::apply_ready`] keeps up to date.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct PersistentState {
    /// Term, vote and commit.
    pub hard_state: HardState,
    /// Latest snapshot (its metadata also fixes the configuration at its index).
    pub snapshot: Snapshot,
    /// Log entries after the snapshot, contiguous.
    pub entries: Vec<Entry>,
}

impl PersistentState {
    /// Initial state of a founding member of a new cluster whose voters are `voters`.
    /// A server joining an existing cluster starts from `PersistentState::default()` instead.
    pub fn bootstrap(voters: impl IntoIterator<Item = NodeId>) -> Self {
        PersistentState {
            snapshot: Snapshot {
                meta: SnapshotMeta {
                    index: 0,
                    term: 0,
                    config: Membership::new(voters),
                },
                data: Vec::new(),
            },
            ..PersistentState::default()
        }
    }

    /// Makes the persistence part of `ready` durable (snapshot, then log, then hard state).
    /// Cost is proportional to what changed, not to the length of the log.
    pub fn apply_ready(&mut self, ready: &Ready) {
        if let Some(snap) = &ready.snapshot {
            let covered = self.entries.partition_point(|e| e.index <= snap.meta.index);
            self.entries.drain(..covered);
            self.snapshot = snap.clone();
        }
        if let Some(write) = &ready.log {
            let keep = self
                .entries
                .partition_point(|e| e.index < write.truncate_from);
            self.entries.truncate(keep);
            self.entries.extend(write.entries.iter().cloned());
        }
        if let Some(hs) = ready.hard_state {
            self.hard_state = hs;
        }
    }
}

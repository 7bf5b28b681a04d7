//! Log compaction and InstallSnapshot (§7): the application snapshots at an applied index,
//! the log drops what it covers, and a follower too far behind receives it in chunks.

use thiserror::Error;

use super::RaftNode;
use crate::message::MessageBody;
use crate::probe::Probe;
use crate::progress::SendState;
use crate::types::{NodeId, Snapshot, SnapshotMeta};

/// Why a compaction request was refused.
#[derive(Clone, Copy, Debug, Error, PartialEq, Eq)]
pub enum CompactError {
    /// Only applied entries can be snapshotted.
    #[error("index {index} is beyond the applied index {applied}")]
    NotApplied {
        /// Requested index.
        index: u64,
        /// Applied index.
        applied: u64,
    },
    /// The log is already compacted up to or beyond this index.
    #[error("index {index} is not after the current snapshot at {snapshot_index}")]
    AlreadyCompacted {
        /// Requested index.
        index: u64,
        /// Index of the current snapshot.
        snapshot_index: u64,
    },
}

impl RaftNode {
    /// The application has snapshotted its state as of `index` (at most the applied index):
    /// keep `data` as the latest snapshot and drop the log up to `index`. The snapshot appears
    /// in the next [`crate::Ready`] to be persisted.
    pub fn compact(&mut self, index: u64, data: Vec<u8>) -> Result<(), CompactError> {
        if index > self.applied {
            return Err(CompactError::NotApplied {
                index,
                applied: self.applied,
            });
        }
        let snapshot_index = self.log.snapshot_meta().index;
        let Some(term) = self.log.term_at(index).filter(|_| index > snapshot_index) else {
            return Err(CompactError::AlreadyCompacted {
                index,
                snapshot_index,
            });
        };
        let meta = SnapshotMeta {
            index,
            term,
            config: self.log.config_at(index).1.clone(),
        };
        self.log.compact_to(meta.clone());
        self.snapshot = Snapshot { meta, data };
        self.out.snapshot = Some(self.snapshot.clone());
        Ok(())
    }

    /// Switches `to` to snapshot streaming from the first chunk.
    pub(super) fn start_snapshot(&mut self, to: NodeId) {
        let index = self.snapshot.meta.index;
        if let Some(pr) = self.lead.as_mut().and_then(|l| l.progress.get_mut(&to)) {
            pr.state = SendState::Snapshot { index, offset: 0 };
        }
        self.send_snapshot_chunk(to);
    }

    /// Sends the chunk at the acknowledged offset (restarting if a newer snapshot exists).
    pub(super) fn send_snapshot_chunk(&mut self, to: NodeId) {
        let latest = self.snapshot.meta.index;
        let Some(pr) = self.lead.as_mut().and_then(|l| l.progress.get_mut(&to)) else {
            return;
        };
        let SendState::Snapshot { index, offset } = pr.state else {
            return;
        };
        let offset = if index == latest { offset } else { 0 };
        pr.state = SendState::Snapshot {
            index: latest,
            offset,
        };
        let len = self.snapshot.data.len();
        let start = (offset as usize).min(len);
        let end = (start + self.cfg.snapshot_chunk_size).min(len);
        let body = MessageBody::InstallSnapshot {
            meta: Box::new(self.snapshot.meta.clone()),
            offset: start as u64,
            data: self.snapshot.data[start..end].to_vec(),
            done: end == len,
        };
        self.send(to, body);
    }

    /// Follower side of InstallSnapshot: collect chunks in order, install on the last one.
    pub(super) fn handle_install_snapshot(
        &mut self,
        from: NodeId,
        meta: SnapshotMeta,
        offset: u64,
        data: Vec<u8>,
        done: bool,
    ) {
        let index = meta.index;
        if index <= self.commit {
            self.incoming_snapshot = None;
            let body = MessageBody::InstallSnapshotResponse {
                index,
                next_offset: 0,
                done: true,
            };
            self.send(from, body);
            return;
        }
        let same = self
            .incoming_snapshot
            .as_ref()
            .is_some_and(|(m, _)| *m == meta);
        if !same {
            if self.incoming_snapshot.is_some() {
                self.probe(Probe::SnapshotRestarted);
            }
            if offset != 0 {
                let body = MessageBody::InstallSnapshotResponse {
                    index,
                    next_offset: 0,
                    done: false,
                };
                self.send(from, body);
                return;
            }
            self.incoming_snapshot = Some((meta.clone(), Vec::new()));
        }
        let Some((_, buf)) = self.incoming_snapshot.as_mut() else {
            return;
        };
        if offset == buf.len() as u64 {
            buf.extend_from_slice(&data);
        }
        let received = buf.len() as u64;
        if done && offset + data.len() as u64 == received {
            let Some((meta, data)) = self.incoming_snapshot.take() else {
                return;
            };
            self.install_snapshot(Snapshot { meta, data });
            let body = MessageBody::InstallSnapshotResponse {
                index,
                next_offset: received,
                done: true,
            };
            self.send(from, body);
        } else {
            let body = MessageBody::InstallSnapshotResponse {
                index,
                next_offset: received,
                done: false,
            };
            self.send(from, body);
        }
    }

    /// §7: keep log entries after the snapshot if the log holds its last entry, otherwise
    /// discard the whole log; the state machine is restored from the snapshot.
    fn install_snapshot(&mut self, snapshot: Snapshot) {
        let index = snapshot.meta.index;
        self.probe(Probe::SnapshotInstalled);
        if !self.log.compact_to(snapshot.meta.clone()) {
            self.mark_log_dirty(index + 1);
        }
        self.commit = index;
        self.applied = index;
        self.out.hard_state_dirty = true;
        self.out.snapshot = Some(snapshot.clone());
        self.out.apply_snapshot = true;
        self.snapshot = snapshot;
    }

    /// Leader side of an InstallSnapshot answer: next chunk, or resume appends when done.
    pub(super) fn handle_snapshot_response(
        &mut self,
        now: u64,
        from: NodeId,
        index: u64,
        next_offset: u64,
        done: bool,
    ) {
        let Some(pr) = self.lead.as_mut().and_then(|l| l.progress.get_mut(&from)) else {
            return;
        };
        pr.recent_active = true;
        let SendState::Snapshot {
            index: snap,
            offset,
        } = pr.state
        else {
            return;
        };
        if index != snap {
            return;
        }
        if done {
            pr.become_probe(snap + 1);
            if pr.acked(snap) {
                self.maybe_commit(now);
                self.maybe_send_timeout_now(from);
            }
            self.send_append(from, super::replication::IfEmpty::Probe);
        } else if next_offset > offset || (next_offset == 0 && offset != 0) {
            pr.state = SendState::Snapshot {
                index: snap,
                offset: next_offset,
            };
            self.send_snapshot_chunk(from);
        }
    }
}

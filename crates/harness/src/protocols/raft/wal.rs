//! The Raft server's write-ahead log on the kernel's disk (used when the scenario has a
//! `cluster.disk` block): log entries as checksummed records, the hard state and the snapshot
//! in checksummed slots, and recovery that reads them back after a restart.
//!
//! Every record and slot is `checksum (8 bytes, little endian) ++ JSON`, the checksum a
//! [`StableHasher`] digest of the JSON, so a torn write or a flipped bit is found on reading.
//! Record `p` holds the entry of index `first + p`; entries the snapshot covers stay on disk and
//! are skipped on recovery.

use faultline_raft::{Entry, HardState, PersistentState, Ready, Snapshot, SnapshotMeta};
use faultline_sim::{Disk, DiskError, StableHasher};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::hash::Hasher;

/// The slot holding the hard state (term, vote, commit).
pub const HARD_STATE: &str = "hard_state";
/// The slot holding the latest snapshot (metadata and state machine).
pub const SNAPSHOT: &str = "snapshot";
/// The slot holding the recovery fence of a server that found its storage damaged, so that a
/// crash before it caught up cannot lift it.
pub const FENCE: &str = "fence";

/// Where a damaged piece of storage was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Damaged {
    /// The log record at this position failed its checksum or could not be read (what follows
    /// it was not read); `last` if it is the last record on disk (a torn tail looks like that).
    Record {
        /// Its position.
        position: u64,
        /// True if no record follows it.
        last: bool,
    },
    /// The record at this position holds an entry out of sequence, or of a term below its
    /// predecessor's (what follows was not read).
    OutOfSequence(u64),
    /// The hard-state slot.
    HardState,
    /// The snapshot slot.
    Snapshot,
}

/// What reading the disk back found.
#[derive(Clone, Debug)]
pub struct Recovered {
    /// The state the server restarts from: the snapshot, the entries after it up to the first
    /// bad or out-of-sequence record, the hard state (its commit capped at the last entry).
    pub state: PersistentState,
    /// The first damaged piece, if any (a failed checksum, a read error, a torn record).
    pub damaged: Option<Damaged>,
    /// The highest log index the server may have acknowledged: its last record's (or, when
    /// record 0 cannot say where the log starts, an upper bound) or its commit index.
    pub acknowledged: u64,
    /// (term, index) of the last log record if it reads back in sequence: the end of the log
    /// the server had before the crash, whatever damage lies before it.
    pub end: Option<(u64, u64)>,
}

/// The log's layout on disk: the index of the entry in record 0.
#[derive(Clone, Debug, Default)]
pub struct Wal {
    first: Option<u64>,
}

fn checksum(payload: &[u8]) -> [u8; 8] {
    let mut hasher = StableHasher::new();
    hasher.write(payload);
    hasher.finish().to_le_bytes()
}

/// Writes `value` to the slot `name` as a checksummed record.
pub fn write_slot<T: Serialize>(disk: &mut Disk, name: &str, value: &T) -> Result<(), DiskError> {
    disk.write_slot(name, seal(value))
}

/// The value in slot `name`: `Ok(None)` if it was never written, `Err(())` if it is damaged.
#[allow(clippy::result_unit_err)]
pub fn read_slot<T: DeserializeOwned>(disk: &Disk, name: &str) -> Result<Option<T>, ()> {
    match disk.read_slot(name) {
        Ok(None) => Ok(None),
        Ok(Some(bytes)) => unseal(bytes).map(Some).ok_or(()),
        Err(_) => Err(()),
    }
}

/// A value as a checksummed record.
fn seal<T: Serialize>(value: &T) -> Vec<u8> {
    let payload = serde_json::to_vec(value).unwrap_or_default();
    let mut bytes = checksum(&payload).to_vec();
    bytes.extend_from_slice(&payload);
    bytes
}

/// The value of a checksummed record; `None` if it is torn or corrupted.
fn unseal<T: DeserializeOwned>(bytes: &[u8]) -> Option<T> {
    if bytes.len() < 8 || bytes[..8] != checksum(&bytes[8..]) {
        return None;
    }
    serde_json::from_slice(&bytes[8..]).ok()
}

impl Wal {
    /// Writes the persistence part of `ready` (snapshot, then log, then hard state); true if
    /// anything was written (a sync is then needed before dependent messages leave).
    pub fn write(&mut self, disk: &mut Disk, ready: &Ready) -> Result<bool, DiskError> {
        let mut wrote = false;
        if let Some(snapshot) = &ready.snapshot {
            disk.write_slot(SNAPSHOT, seal(snapshot))?;
            wrote = true;
        }
        if let Some(write) = &ready.log {
            let from = write.truncate_from;
            let end = self.first.map(|first| first + disk.len());
            match (self.first, end) {
                (Some(first), Some(end)) if first <= from && from <= end => {
                    disk.truncate(from - first);
                }
                _ => {
                    disk.truncate(0);
                    self.first = Some(from);
                }
            }
            for entry in &write.entries {
                disk.append(seal(entry))?;
            }
            wrote = true;
        }
        if let Some(hard) = &ready.hard_state {
            disk.write_slot(HARD_STATE, seal(hard))?;
            wrote = true;
        }
        Ok(wrote)
    }

    /// Reads the disk back. A fresh disk (no snapshot slot) starts from `initial`'s snapshot.
    pub fn recover(disk: &Disk, initial: &PersistentState) -> (Wal, Recovered) {
        let mut damaged = None;
        let snapshot = match disk.read_slot(SNAPSHOT) {
            Ok(None) => Some(initial.snapshot.clone()),
            Ok(Some(bytes)) => unseal::<Snapshot>(bytes),
            Err(_) => None,
        };
        let snapshot = snapshot.unwrap_or_else(|| {
            damaged = Some(Damaged::Snapshot);
            initial.snapshot.clone()
        });
        let hard_state = match disk.read_slot(HARD_STATE) {
            Ok(None) => Some(HardState::default()),
            Ok(Some(bytes)) => unseal::<HardState>(bytes),
            Err(_) => None,
        };
        let mut hard_state = hard_state.unwrap_or_else(|| {
            damaged = damaged.clone().or(Some(Damaged::HardState));
            HardState::default()
        });
        let LogRead {
            wal,
            entries,
            damaged: bad,
            end,
        } = read_log(disk, &snapshot.meta);
        damaged = damaged.or(bad);
        let records_end = match wal.first {
            Some(first) => first + disk.len(),
            None => snapshot.meta.index + 1 + disk.len(),
        };
        let acknowledged = hard_state.commit.max(records_end - 1);
        let (last, last_term) = entries
            .last()
            .map_or((snapshot.meta.index, snapshot.meta.term), |e| {
                (e.index, e.term)
            });
        hard_state.commit = hard_state.commit.min(last);
        // A lost hard state cannot be below the log's last term.
        hard_state.term = hard_state.term.max(last_term);
        let state = PersistentState {
            hard_state,
            snapshot,
            entries,
        };
        let recovered = Recovered {
            state,
            damaged,
            acknowledged,
            end,
        };
        (wal, recovered)
    }
}

/// What reading the log records back found.
struct LogRead {
    wal: Wal,
    /// The entries after the snapshot, contiguous from it, up to the first damage.
    entries: Vec<Entry>,
    damaged: Option<Damaged>,
    /// (term, index) of the last record, if it reads back in sequence.
    end: Option<(u64, u64)>,
}

/// The log records in order, up to the first unreadable, corrupted or out-of-sequence one (or
/// one whose term falls below its predecessor's or the snapshot's); only the entries after the
/// snapshot (and contiguous from it) are kept. The log's first index is taken from the first
/// record that reads back.
fn read_log(disk: &Disk, snapshot: &SnapshotMeta) -> LogRead {
    let snapshot_index = snapshot.index;
    let records: Vec<Option<Entry>> = (0..disk.len())
        .map(|p| disk.read(p).ok().and_then(unseal::<Entry>))
        .collect();
    let first = (0..disk.len())
        .zip(&records)
        .find_map(|(p, r)| r.as_ref().and_then(|e| e.index.checked_sub(p)));
    let end = records
        .last()
        .and_then(Option::as_ref)
        .filter(|e| first.is_some_and(|f| e.index + 1 == f + disk.len()))
        .map(|e| (e.term, e.index));
    let mut read = LogRead {
        wal: Wal { first },
        entries: Vec::new(),
        damaged: None,
        end,
    };
    for (position, record) in (0..disk.len()).zip(records) {
        let Some(entry) = record else {
            let last = position + 1 == disk.len();
            read.damaged = Some(Damaged::Record { position, last });
            break;
        };
        let prev_term = read.entries.last().map_or(snapshot.term, |e| e.term);
        let stale = entry.index > snapshot_index && entry.term < prev_term;
        if Some(entry.index) != first.map(|f| f + position) || stale {
            // Out of sequence, or a term below its predecessor's: a leftover of a truncation
            // a crash lost (the snapshot slot written before it survived); never committed.
            read.damaged = Some(Damaged::OutOfSequence(position));
            break;
        }
        let follows = read
            .entries
            .last()
            .map_or(entry.index == snapshot_index + 1, |last| {
                entry.index == last.index + 1
            });
        if entry.index > snapshot_index && follows {
            read.entries.push(entry);
        } else if entry.index > snapshot_index {
            // A gap after the snapshot: nothing later can be used.
            read.entries.clear();
            break;
        }
    }
    read
}

#[cfg(test)]
mod tests {
    use super::*;
    use faultline_raft::{EntryKind, LogWrite};
    use faultline_sim::{DiskConfig, DiskFault, DiskTarget, RngStreams};

    fn entry(index: u64, term: u64) -> Entry {
        Entry {
            index,
            term,
            kind: EntryKind::Normal(vec![index as u8; 4]),
        }
    }

    fn ready(truncate_from: u64, entries: Vec<Entry>, term: u64) -> Ready {
        Ready {
            log: Some(LogWrite {
                truncate_from,
                entries,
            }),
            hard_state: Some(HardState {
                term,
                vote: Some(1),
                commit: 2,
            }),
            ..Ready::default()
        }
    }

    fn disk() -> Disk {
        Disk::new(DiskConfig::default(), RngStreams::new(1), 0)
    }

    #[test]
    fn a_written_log_reads_back_after_truncation() {
        let mut d = disk();
        let mut wal = Wal::default();
        let initial = PersistentState::bootstrap([1, 2, 3]);
        wal.write(&mut d, &ready(1, (1..=4).map(|i| entry(i, 1)).collect(), 1))
            .unwrap();
        wal.write(&mut d, &ready(3, vec![entry(3, 2)], 2)).unwrap();
        let (_, back) = Wal::recover(&d, &initial);
        assert_eq!(back.damaged, None);
        assert_eq!(
            back.state.entries,
            vec![entry(1, 1), entry(2, 1), entry(3, 2)]
        );
        assert_eq!(back.state.hard_state.term, 2);
        assert_eq!(back.state.snapshot, initial.snapshot);
    }

    #[test]
    fn a_flipped_bit_or_read_error_stops_the_log_there() {
        for fault in [DiskFault::Corrupt, DiskFault::ReadError] {
            let mut d = disk();
            let mut wal = Wal::default();
            wal.write(&mut d, &ready(1, (1..=4).map(|i| entry(i, 1)).collect(), 1))
                .unwrap();
            d.apply_fault(&fault(DiskTarget::Record(2)));
            let (_, back) = Wal::recover(&d, &PersistentState::default());
            let damaged = Damaged::Record {
                position: 2,
                last: false,
            };
            assert_eq!(back.damaged, Some(damaged));
            assert_eq!(back.state.entries.len(), 2);
            assert_eq!(back.state.hard_state.commit, 2);
        }
        let mut d = disk();
        Wal::default()
            .write(&mut d, &ready(1, vec![entry(1, 1)], 1))
            .unwrap();
        d.apply_fault(&DiskFault::Corrupt(DiskTarget::Slot(HARD_STATE.into())));
        let (_, back) = Wal::recover(&d, &PersistentState::default());
        assert_eq!(back.damaged, Some(Damaged::HardState));
    }
}

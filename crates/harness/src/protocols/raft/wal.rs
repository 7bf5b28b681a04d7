//! The Raft server's write-ahead log on the kernel's disk (used when the scenario has a
//! `cluster.disk` block): log entries as checksummed records, the hard state and the snapshot
//! in checksummed slots, and recovery that reads them back after a restart.
//!
//! Every record and slot is `length ++ !length (4 bytes each) ++ checksum (8 bytes) ++ JSON`
//! (little endian): the JSON's length and its complement, and a [`StableHasher`] digest of the
//! JSON. Reading tells a torn record (shorter than its header or than the length it states: a
//! write a crash cut short, never acknowledged) from a corrupted one (whole, but a bit flipped
//! in its length, checksum or payload: latent damage to what may have been acknowledged).
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
/// The slot holding the vote (term, candidate) when the planted bug `forget_vote_on_restart`
/// keeps it out of the hard state: written where no sync reaches.
pub const VOTE: &str = "vote";
/// The slot holding the recovery fence of a server that found its storage damaged, so that a
/// crash before it caught up cannot lift it.
pub const FENCE: &str = "fence";

/// Where a damaged piece of storage was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Damaged {
    /// The log record at this position is torn, corrupted or unreadable (what follows it was
    /// not read).
    Record {
        /// Its position.
        position: u64,
        /// How it is damaged.
        kind: RecordDamage,
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

/// How a record or slot failed to read back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordDamage {
    /// Shorter than its header or than the length it states: a write a crash cut short.
    Torn,
    /// Whole, but its length, checksum or payload disagree: a flipped bit.
    Corrupt,
    /// The disk could not read it.
    Unreadable,
}

/// What reading the disk back found.
#[derive(Clone, Debug)]
pub struct Recovered {
    /// The state the server restarts from: the snapshot, the entries after it up to the first
    /// bad or out-of-sequence record, the hard state (its commit the snapshot's index).
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

/// Where the WAL writes the vote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum VoteWrite {
    /// In the hard-state slot, synced with it.
    #[default]
    WithHardState,
    /// In its own slot, never synced (the planted bug `forget_vote_on_restart`: a vote
    /// recorded without being made durable, which a crash loses as it does unsynced writes).
    Unsynced,
}

/// The log's layout on disk (the index of the entry in record 0, and how many records from
/// there hold the entries that follow in sequence) and where the vote goes.
#[derive(Clone, Debug, Default)]
pub struct Wal {
    first: Option<u64>,
    /// Records from position 0 that read back in sequence: the next append goes right after
    /// them. Records past them (a torn, damaged or out-of-sequence tail recovery stopped at)
    /// are cut before anything is appended, or an acknowledged entry appended after them
    /// would be unreachable on the next recovery, which stops at the same place.
    len: u64,
    votes: VoteWrite,
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

/// The value in slot `name`: `Ok(None)` if it was never written, `Err` if it is damaged.
pub fn read_slot<T: DeserializeOwned>(disk: &Disk, name: &str) -> Result<Option<T>, RecordDamage> {
    match disk.read_slot(name) {
        Ok(None) => Ok(None),
        Ok(Some(bytes)) => unseal(bytes).map(Some),
        Err(_) => Err(RecordDamage::Unreadable),
    }
}

/// Bytes before a record's payload: its length, the length's complement, its checksum.
const HEADER: usize = 16;

/// A value as a framed, checksummed record (see the module documentation).
fn seal<T: Serialize>(value: &T) -> Vec<u8> {
    let payload = serde_json::to_vec(value).unwrap_or_default();
    // A record's JSON is far below 4 GiB (a snapshot of the kv store at most some MiB).
    let len = u32::try_from(payload.len()).unwrap_or(u32::MAX);
    let mut bytes = Vec::with_capacity(HEADER + payload.len());
    bytes.extend_from_slice(&len.to_le_bytes());
    bytes.extend_from_slice(&(!len).to_le_bytes());
    bytes.extend_from_slice(&checksum(&payload));
    bytes.extend_from_slice(&payload);
    bytes
}

/// The value of a framed record: torn if it is shorter than its header or than the length
/// its (intact) header states, corrupted if the length and its complement disagree, it is
/// longer than stated, or its checksum or JSON do not hold.
fn unseal<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, RecordDamage> {
    let word =
        |at: usize| u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    if bytes.len() < HEADER {
        return Err(RecordDamage::Torn);
    }
    let len = word(0);
    if len != !word(4) {
        return Err(RecordDamage::Corrupt);
    }
    let payload = &bytes[HEADER..];
    match payload.len().cmp(&(len as usize)) {
        std::cmp::Ordering::Less => return Err(RecordDamage::Torn),
        std::cmp::Ordering::Greater => return Err(RecordDamage::Corrupt),
        std::cmp::Ordering::Equal => {}
    }
    if bytes[8..HEADER] != checksum(payload) {
        return Err(RecordDamage::Corrupt);
    }
    serde_json::from_slice(payload).map_err(|_| RecordDamage::Corrupt)
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
            let end = self.first.map(|first| first + self.len);
            self.len = match (self.first, end) {
                (Some(first), Some(end)) if first <= from && from <= end => from - first,
                _ => {
                    self.first = Some(from);
                    0
                }
            };
            disk.truncate(self.len);
            for entry in &write.entries {
                disk.append(seal(entry))?;
                self.len += 1;
            }
            wrote = true;
        }
        if let Some(hard) = &ready.hard_state {
            self.write_hard_state(disk, hard)?;
            wrote = true;
        }
        Ok(wrote)
    }

    /// Sets where the vote is written from now on.
    pub fn set_votes(&mut self, votes: VoteWrite) {
        self.votes = votes;
    }

    /// Writes the hard state, its vote apart and unsynced under [`VoteWrite::Unsynced`].
    fn write_hard_state(&self, disk: &mut Disk, hard: &HardState) -> Result<(), DiskError> {
        match self.votes {
            VoteWrite::WithHardState => disk.write_slot(HARD_STATE, seal(hard)),
            VoteWrite::Unsynced => {
                let synced = HardState {
                    vote: None,
                    ..*hard
                };
                disk.write_slot(HARD_STATE, seal(&synced))?;
                match hard.vote {
                    Some(vote) => disk.write_slot_unsynced(VOTE, seal(&(hard.term, vote))),
                    None => Ok(()),
                }
            }
        }
    }

    /// Reads the disk back. A fresh disk (no snapshot slot) starts from `initial`'s snapshot.
    pub fn recover(disk: &Disk, initial: &PersistentState) -> (Wal, Recovered) {
        let mut damaged = None;
        let snapshot = match disk.read_slot(SNAPSHOT) {
            Ok(None) => Some(initial.snapshot.clone()),
            Ok(Some(bytes)) => unseal::<Snapshot>(bytes).ok(),
            Err(_) => None,
        };
        let snapshot = snapshot.unwrap_or_else(|| {
            damaged = Some(Damaged::Snapshot);
            initial.snapshot.clone()
        });
        let hard_state = match disk.read_slot(HARD_STATE) {
            Ok(None) => Some(HardState::default()),
            Ok(Some(bytes)) => unseal::<HardState>(bytes).ok(),
            Err(_) => None,
        };
        let mut hard_state = hard_state.unwrap_or_else(|| {
            damaged = damaged.clone().or(Some(Damaged::HardState));
            HardState::default()
        });
        // A vote kept apart (`VoteWrite::Unsynced`) counts if it survived, for the same term.
        match read_slot::<(u64, u64)>(disk, VOTE) {
            Ok(Some((term, vote))) if term == hard_state.term && hard_state.vote.is_none() => {
                hard_state.vote = Some(vote);
            }
            Ok(_) => {}
            Err(_) => damaged = damaged.clone().or(Some(Damaged::HardState)),
        }
        let LogRead {
            wal,
            mut entries,
            damaged: bad,
            end,
        } = read_log(disk, &snapshot.meta);
        if damaged == Some(Damaged::Snapshot) {
            // Installing a snapshot leaves the records it replaced on disk, so read from the
            // initial snapshot the records may splice a stale entry the lost snapshot had
            // superseded with the entries appended after it: a log that never existed, which
            // the leader's consistency check (one entry's term) cannot see through. None of it
            // is trusted; the fence has the server catch up from its leader.
            entries.clear();
        }
        damaged = damaged.or(bad);
        let records_end = match wal.first {
            Some(first) => first + disk.len(),
            None => snapshot.meta.index + 1 + disk.len(),
        };
        let acknowledged = hard_state.commit.max(records_end - 1);
        let last_term = entries.last().map_or(snapshot.meta.term, |e| e.term);
        // The commit index is volatile in Raft: a restarted server learns it again from its
        // leader. The one on disk is not trusted: a crash that reorders writes may keep the
        // hard state yet lose the truncation and appends written before it, and the stale
        // entries it then finds at those indexes were never committed.
        hard_state.commit = snapshot.meta.index;
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
    let records: Vec<Result<Entry, RecordDamage>> = (0..disk.len())
        .map(|p| {
            disk.read(p)
                .map_err(|_| RecordDamage::Unreadable)
                .and_then(unseal::<Entry>)
        })
        .collect();
    let first = (0..disk.len())
        .zip(&records)
        .find_map(|(p, r)| r.as_ref().ok().and_then(|e| e.index.checked_sub(p)));
    let end = records
        .last()
        .and_then(|r| r.as_ref().ok())
        .filter(|e| first.is_some_and(|f| e.index + 1 == f + disk.len()))
        .map(|e| (e.term, e.index));
    let mut read = LogRead {
        wal: Wal {
            first,
            len: disk.len(),
            votes: VoteWrite::default(),
        },
        entries: Vec::new(),
        damaged: None,
        end,
    };
    for (position, record) in (0..disk.len()).zip(records) {
        let entry = match record {
            Ok(entry) => entry,
            Err(kind) => {
                let last = position + 1 == disk.len();
                read.damaged = Some(Damaged::Record {
                    position,
                    kind,
                    last,
                });
                read.wal.len = position;
                break;
            }
        };
        let prev_term = read.entries.last().map_or(snapshot.term, |e| e.term);
        let stale = entry.index > snapshot_index && entry.term < prev_term;
        if Some(entry.index) != first.map(|f| f + position) || stale {
            // Out of sequence, or a term below its predecessor's: a leftover of a truncation
            // a crash lost (the snapshot slot written before it survived); never committed.
            read.damaged = Some(Damaged::OutOfSequence(position));
            read.wal.len = position;
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
            read.wal.len = position;
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
            kind: EntryKind::Normal(vec![index as u8; 4].into()),
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

    /// `d` after a fresh log wrote entries 1 to 4 of term 1 (not synced), and the log.
    fn four_entries_on(mut d: Disk) -> (Disk, Wal) {
        let mut wal = Wal::default();
        wal.write(&mut d, &ready(1, (1..=4).map(|i| entry(i, 1)).collect(), 1))
            .unwrap();
        (d, wal)
    }

    #[test]
    fn a_written_log_reads_back_after_truncation() {
        let (mut d, mut wal) = four_entries_on(disk());
        let initial = PersistentState::bootstrap([1, 2, 3]);
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

    /// A crash that reorders writes (`crash_loss: subset`) may keep the hard state of a ready
    /// and lose its truncation and appends: the entries then found at the indexes it commits
    /// are the stale ones it replaced, and a restarted server must not apply them.
    #[test]
    fn a_hard_state_that_outlived_its_log_writes_commits_nothing_stale() {
        let (mut d, _) = four_entries_on(disk());
        d.sync_all();
        // A ready truncating at 3 and appending term-2 entries 3 and 4, then this hard state:
        // a reordering crash keeps the hard state alone.
        let hard = HardState {
            term: 2,
            vote: Some(1),
            commit: 4,
        };
        write_slot(&mut d, HARD_STATE, &hard).unwrap();
        d.sync_all();
        let (_, back) = Wal::recover(&d, &PersistentState::bootstrap([1, 2, 3]));
        assert_eq!(
            back.state.entries[2],
            entry(3, 1),
            "the stale entry is what is left"
        );
        assert!(
            back.state.hard_state.commit < 3,
            "commit {} covers the stale term-1 entries",
            back.state.hard_state.commit
        );
    }

    /// Recovery stops at an out-of-sequence record (the leftover of a truncation a crash
    /// lost) and the snapshot covers what precedes it: entries appended after the restart
    /// must not land after that leftover, where the next recovery, stopping at the same
    /// place, would never reach them (seed 15890 of raft-storage.json lost acknowledged
    /// entries so).
    #[test]
    fn appends_after_recovery_replace_the_tail_recovery_stopped_at() {
        let (mut d, _) = four_entries_on(disk());
        // A leftover: an entry out of sequence at position 4.
        d.append(seal(&entry(7, 1))).unwrap();
        let snapshot = Snapshot {
            meta: SnapshotMeta {
                index: 5,
                term: 1,
                config: faultline_raft::Membership::new([1, 2, 3]),
            },
            data: Vec::new(),
        };
        write_slot(&mut d, SNAPSHOT, &snapshot).unwrap();
        d.sync_all();
        let initial = PersistentState::bootstrap([1, 2, 3]);
        let (mut wal, back) = Wal::recover(&d, &initial);
        assert_eq!(back.damaged, Some(Damaged::OutOfSequence(4)));
        assert!(back.state.entries.is_empty());
        let appended: Vec<Entry> = (6..=8).map(|i| entry(i, 1)).collect();
        wal.write(&mut d, &ready(6, appended.clone(), 1)).unwrap();
        d.sync_all();
        d.crash();
        let (_, again) = Wal::recover(&d, &initial);
        assert_eq!(again.state.entries, appended, "{:?}", again.damaged);
    }

    /// A deposed leader's uncommitted term-1 entries 1-4, then the leader's snapshot installed
    /// at index 4 (term 2) and entry 5 of term 3 appended after it; the snapshot slot then
    /// cannot be read. The records read from the start would be the stale 1-4 followed by 5, a
    /// log that never existed whose entry 5 still matches the leader's (seed 6382 of
    /// raft-storage.json applied a stale entry so): none of it may be recovered.
    #[test]
    fn an_unreadable_snapshot_recovers_no_records_it_superseded() {
        let (mut d, mut wal) = four_entries_on(disk());
        let snapshot = Snapshot {
            meta: SnapshotMeta {
                index: 4,
                term: 2,
                config: faultline_raft::Membership::new([1, 2, 3]),
            },
            data: Vec::new(),
        };
        let install = Ready {
            snapshot: Some(snapshot),
            apply_snapshot: true,
            ..Ready::default()
        };
        wal.write(&mut d, &install).unwrap();
        wal.write(&mut d, &ready(5, vec![entry(5, 3)], 3)).unwrap();
        d.sync_all();
        let initial = PersistentState::bootstrap([1, 2, 3]);
        let (_, back) = Wal::recover(&d, &initial);
        assert_eq!(back.damaged, None);
        assert_eq!(back.state.entries, vec![entry(5, 3)]);
        d.apply_fault(&DiskFault::ReadError(DiskTarget::Slot(SNAPSHOT.into())));
        let (_, back) = Wal::recover(&d, &initial);
        assert_eq!(back.damaged, Some(Damaged::Snapshot));
        assert!(
            back.state.entries.is_empty(),
            "spliced log recovered: {:?}",
            back.state.entries
        );
        assert_eq!(
            back.acknowledged, 5,
            "the fence waits for what it acknowledged"
        );
    }

    #[test]
    fn a_flipped_bit_or_read_error_stops_the_log_there() {
        let faults = [
            (
                DiskFault::Corrupt as fn(DiskTarget) -> DiskFault,
                RecordDamage::Corrupt,
            ),
            (DiskFault::ReadError, RecordDamage::Unreadable),
        ];
        for (fault, kind) in faults {
            let (mut d, _) = four_entries_on(disk());
            d.apply_fault(&fault(DiskTarget::Record(2)));
            let (_, back) = Wal::recover(&d, &PersistentState::default());
            let damaged = Damaged::Record {
                position: 2,
                kind,
                last: false,
            };
            assert_eq!(back.damaged, Some(damaged));
            assert_eq!(back.state.entries.len(), 2);
        }
        let mut d = disk();
        Wal::default()
            .write(&mut d, &ready(1, vec![entry(1, 1)], 1))
            .unwrap();
        d.apply_fault(&DiskFault::Corrupt(DiskTarget::Slot(HARD_STATE.into())));
        let (_, back) = Wal::recover(&d, &PersistentState::default());
        assert_eq!(back.damaged, Some(Damaged::HardState));
    }

    /// Four entries written and synced, then a fifth appended as `bytes` makes it (the whole
    /// record, or a crash's torn prefix of it); what recovery finds.
    fn with_last_record(cut: impl Fn(Vec<u8>) -> Vec<u8>) -> Recovered {
        let (mut d, _) = four_entries_on(disk());
        d.append(cut(seal(&entry(5, 1)))).unwrap();
        Wal::recover(&d, &PersistentState::default()).1
    }

    /// A torn tail (shorter than its framing says, cut anywhere, header included) is told from
    /// a whole last record with any one bit flipped (length, complement, checksum or payload).
    #[test]
    fn a_torn_last_record_is_told_from_a_corrupted_one() {
        let whole = seal(&entry(5, 1));
        for cut in 0..whole.len() {
            let back = with_last_record(|bytes| bytes[..cut].to_vec());
            let torn = Damaged::Record {
                position: 4,
                kind: RecordDamage::Torn,
                last: true,
            };
            assert_eq!(back.damaged, Some(torn), "cut at {cut}");
            assert_eq!(back.state.entries.len(), 4);
        }
        for bit in 0..whole.len() * 8 {
            let back = with_last_record(|mut bytes| {
                bytes[bit / 8] ^= 1 << (bit % 8);
                bytes
            });
            let corrupt = Damaged::Record {
                position: 4,
                kind: RecordDamage::Corrupt,
                last: true,
            };
            assert_eq!(back.damaged, Some(corrupt), "bit {bit}");
            assert_eq!(back.acknowledged, 5, "it may have been acknowledged");
        }
        assert_eq!(with_last_record(|bytes| bytes).damaged, None);
    }

    /// A crash that tears the last write the disk keeps leaves a record recovery reads as torn.
    #[test]
    fn a_crash_tears_records_into_torn_ones() {
        let config = DiskConfig {
            crash_loss: faultline_sim::CrashLoss::Prefix,
            torn_write: 1.0,
            ..DiskConfig::default()
        };
        let mut torn = 0;
        for seed in 0..20 {
            let (mut d, _) = four_entries_on(Disk::new(config.clone(), RngStreams::new(seed), 0));
            d.crash();
            let (_, back) = Wal::recover(&d, &PersistentState::default());
            if let Some(Damaged::Record { kind, last, .. }) = back.damaged {
                assert_eq!((kind, last), (RecordDamage::Torn, true), "seed {seed}");
                torn += 1;
            }
        }
        assert!(torn > 5, "{torn} of 20 crashes tore a record");
    }

    /// With the vote written unsynced (`forget_vote_on_restart`), the hard state's term and
    /// commit are durable after a sync but a crash loses the vote; without it, the vote stays.
    #[test]
    fn a_vote_written_unsynced_is_lost_in_a_crash() {
        for (votes, kept) in [
            (VoteWrite::WithHardState, Some(1)),
            (VoteWrite::Unsynced, None),
        ] {
            let mut d = disk();
            let mut wal = Wal::default();
            wal.set_votes(votes);
            wal.write(&mut d, &ready(1, vec![entry(1, 1)], 1)).unwrap();
            let (_, before) = Wal::recover(&d, &PersistentState::default());
            assert_eq!(
                before.state.hard_state.vote,
                Some(1),
                "read back before a crash"
            );
            d.sync_all();
            d.crash();
            let (_, back) = Wal::recover(&d, &PersistentState::default());
            assert_eq!(back.state.hard_state.vote, kept, "{votes:?}");
            assert_eq!(back.state.hard_state.term, 1);
        }
    }
}

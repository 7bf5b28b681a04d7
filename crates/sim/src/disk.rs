//! The disk model: a node's storage as an append-only log of byte records plus named metadata
//! slots (what a write-ahead log and a hard-state file need).
//!
//! Writes go to a volatile buffer (the page cache) that the process reads back at once; they
//! become durable only when a sync the process asked for (through
//! [`crate::Context::sync`]) completes, after a latency drawn from [`DiskConfig::sync_latency`],
//! and the process hears of it in [`crate::Process::on_sync`]. A crash loses unsynced writes per
//! [`CrashLoss`] and may tear the last one that survives. Faults ([`DiskFault`]) flip a bit of a
//! stored record (latent corruption the process detects only by checksumming), make a record
//! unreadable, fill the disk or slow its syncs. Each kind of draw has its own stream per node:
//! `disk.sync`, `disk.loss`, `disk.torn`, `disk.corrupt`.

use crate::net::LatencyDist;
use crate::rng::{DetRng, RngStreams};
use crate::time::Time;
use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

/// Which unsynced writes a crash keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CrashLoss {
    /// Every unsynced write is lost.
    All,
    /// The oldest unsynced writes survive, up to a seeded count (0 to all of them).
    Prefix,
    /// Each unsynced write survives on a seeded coin flip: a later write may survive an earlier
    /// one that was lost (the disk reordered them).
    Subset,
}

/// How one node's disk behaves, fixed unless a [`DiskFault`] changes it.
#[derive(Clone, Debug, PartialEq)]
pub struct DiskConfig {
    /// Time from asking for a sync to its completion.
    pub sync_latency: LatencyDist,
    /// What a crash does to unsynced writes.
    pub crash_loss: CrashLoss,
    /// Probability that the last unsynced write a crash keeps, when it is a record append, is
    /// torn (cut short at a seeded byte count). Slot writes are atomic.
    pub torn_write: f64,
    /// Bytes the disk holds (records and slots); `None` is unlimited.
    pub capacity: Option<u64>,
}

impl Default for DiskConfig {
    /// Syncs complete at once, a crash loses every unsynced write, nothing is torn, no limit.
    fn default() -> Self {
        DiskConfig {
            sync_latency: LatencyDist::Fixed(Duration::ZERO),
            crash_loss: CrashLoss::All,
            torn_write: 0.0,
            capacity: None,
        }
    }
}

/// What a fault aims at on a disk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DiskTarget {
    /// The log record at this position (from 0); nothing happens if there is none.
    Record(u64),
    /// A log record picked from the `disk.corrupt` stream.
    AnyRecord,
    /// The named metadata slot.
    Slot(String),
}

/// A storage fault (or repair) applied to one node's disk.
#[derive(Clone, Debug, PartialEq)]
pub enum DiskFault {
    /// Flips one seeded bit of the durable target (latent corruption: reads succeed).
    Corrupt(DiskTarget),
    /// Reads of the durable target fail until it is rewritten.
    ReadError(DiskTarget),
    /// Every write fails with [`DiskError::Full`] until a [`DiskFault::Repair`].
    Full,
    /// Syncs take this long instead, until a [`DiskFault::Repair`].
    SlowSync(LatencyDist),
    /// Ends `Full` and `SlowSync` (corruption stays: it is on the media).
    Repair,
}

/// Why a disk operation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DiskError {
    /// No space left for the write.
    Full,
    /// The record or slot could not be read.
    ReadError,
    /// No record at that position.
    OutOfRange,
}

impl std::fmt::Display for DiskError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            DiskError::Full => "disk full",
            DiskError::ReadError => "read error",
            DiskError::OutOfRange => "no record at that position",
        })
    }
}

impl std::error::Error for DiskError {}

/// Identifies one sync a node asked for; unique per node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SyncId(pub u64);

/// A sync asked for during one callback: when it completes and which writes it covers.
#[derive(Clone, Copy, Debug)]
pub(crate) struct NewSync {
    pub(crate) id: SyncId,
    pub(crate) at: Time,
    /// Writes numbered below this are durable once it completes.
    pub(crate) upto: u64,
}

#[derive(Clone, Debug, Default)]
struct Stored {
    bytes: Vec<u8>,
    unreadable: bool,
}

impl Stored {
    fn new(bytes: Vec<u8>) -> Self {
        Stored {
            bytes,
            unreadable: false,
        }
    }
}

/// The records and slots at one point: what is durable, or what the process sees.
#[derive(Clone, Debug, Default)]
struct Image {
    records: Vec<Stored>,
    slots: BTreeMap<String, Stored>,
}

impl Image {
    fn apply(&mut self, write: &Write) {
        match write {
            Write::Append(bytes) => self.records.push(Stored::new(bytes.clone())),
            Write::Truncate(len) => self.records.truncate(*len as usize),
            Write::Slot(name, bytes) => {
                self.slots.insert(name.clone(), Stored::new(bytes.clone()));
            }
        }
    }

    fn bytes(&self) -> u64 {
        let records: usize = self.records.iter().map(|r| r.bytes.len()).sum();
        let slots: usize = self.slots.values().map(|s| s.bytes.len()).sum();
        (records + slots) as u64
    }

    /// The stored record or slot `target` names (`AnyRecord` is resolved by the caller).
    fn target(&mut self, target: &DiskTarget) -> Option<&mut Stored> {
        match target {
            DiskTarget::Record(index) => self.records.get_mut(*index as usize),
            DiskTarget::AnyRecord => None,
            DiskTarget::Slot(name) => self.slots.get_mut(name),
        }
    }
}

/// One write not yet durable.
#[derive(Clone, Debug)]
enum Write {
    Append(Vec<u8>),
    Truncate(u64),
    Slot(String, Vec<u8>),
}

impl Write {
    /// An appended record cut short at a seeded byte count (a torn sector). Slot writes are
    /// atomic (as a metadata file replaced by rename is) and truncations cannot tear.
    fn torn(self, rng: &mut DetRng) -> Write {
        match self {
            Write::Append(mut bytes) => {
                bytes.truncate(rng.below(bytes.len().max(1) as u64) as usize);
                Write::Append(bytes)
            }
            other => other,
        }
    }
}

struct DiskRngs {
    sync: DetRng,
    loss: DetRng,
    torn: DetRng,
    corrupt: DetRng,
}

/// One node's disk. Survives crashes; see the module documentation.
pub struct Disk {
    config: DiskConfig,
    slow: Option<LatencyDist>,
    full: bool,
    durable: Image,
    visible: Image,
    /// Writes not yet durable, oldest first; the first is number `written - pending.len()`.
    pending: VecDeque<Write>,
    /// Slots written where no sync reaches ([`Disk::write_slot_unsynced`]), latest per slot.
    unflushed: BTreeMap<String, Vec<u8>>,
    written: u64,
    next_sync: u64,
    /// Completion time of the latest sync asked for: syncs complete in the order asked.
    last_sync_at: Time,
    rng: DiskRngs,
}

impl std::fmt::Debug for Disk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Disk")
            .field("records", &self.visible.records.len())
            .field("durable_records", &self.durable.records.len())
            .field("unsynced", &self.pending.len())
            .finish()
    }
}

impl Disk {
    /// An empty disk of node `node` whose draws come from `streams`.
    pub fn new(config: DiskConfig, streams: RngStreams, node: u64) -> Self {
        Disk {
            config,
            slow: None,
            full: false,
            durable: Image::default(),
            visible: Image::default(),
            pending: VecDeque::new(),
            unflushed: BTreeMap::new(),
            written: 0,
            next_sync: 0,
            last_sync_at: Time::ZERO,
            rng: DiskRngs {
                sync: streams.indexed("disk.sync", node),
                loss: streams.indexed("disk.loss", node),
                torn: streams.indexed("disk.torn", node),
                corrupt: streams.indexed("disk.corrupt", node),
            },
        }
    }

    /// The disk's settings.
    pub fn config(&self) -> &DiskConfig {
        &self.config
    }

    /// Replaces the disk's settings (its contents stay).
    pub fn set_config(&mut self, config: DiskConfig) {
        self.config = config;
    }

    /// Appends a record to the log; returns its position.
    pub fn append(&mut self, bytes: Vec<u8>) -> Result<u64, DiskError> {
        self.make_room(bytes.len())?;
        let position = self.visible.records.len() as u64;
        self.write(Write::Append(bytes));
        Ok(position)
    }

    /// Drops every log record from position `len` on.
    pub fn truncate(&mut self, len: u64) {
        if len < self.len() {
            self.write(Write::Truncate(len));
        }
    }

    /// Replaces the named metadata slot's contents.
    pub fn write_slot(&mut self, name: &str, bytes: Vec<u8>) -> Result<(), DiskError> {
        let old = self.visible.slots.get(name).map_or(0, |s| s.bytes.len());
        self.make_room(bytes.len().saturating_sub(old))?;
        self.write(Write::Slot(name.to_string(), bytes));
        Ok(())
    }

    /// Replaces the named slot's contents in the page cache only, as a file written and never
    /// fsynced: the process reads it back at once, but no sync makes it durable, and a crash
    /// keeps or loses it like the writes pending then (per [`CrashLoss`], after them). A later
    /// [`Disk::write_slot`] to the same slot supersedes it. Used to plant the bug of a vote
    /// recorded without being made durable.
    pub fn write_slot_unsynced(&mut self, name: &str, bytes: Vec<u8>) -> Result<(), DiskError> {
        let old = self.visible.slots.get(name).map_or(0, |s| s.bytes.len());
        self.make_room(bytes.len().saturating_sub(old))?;
        self.visible
            .apply(&Write::Slot(name.to_string(), bytes.clone()));
        self.unflushed.insert(name.to_string(), bytes);
        Ok(())
    }

    /// Number of records in the log as the process sees it.
    pub fn len(&self) -> u64 {
        self.visible.records.len() as u64
    }

    /// True if the log has no records.
    pub fn is_empty(&self) -> bool {
        self.visible.records.is_empty()
    }

    /// The record at `position` (corrupted bytes if a fault flipped a bit of it).
    pub fn read(&self, position: u64) -> Result<&[u8], DiskError> {
        let record = self
            .visible
            .records
            .get(position as usize)
            .ok_or(DiskError::OutOfRange)?;
        readable(record)
    }

    /// The named slot's contents, `None` if it was never written.
    pub fn read_slot(&self, name: &str) -> Result<Option<&[u8]>, DiskError> {
        self.visible.slots.get(name).map(readable).transpose()
    }

    /// Writes not yet durable (slots written unsynced count once each).
    pub fn unsynced(&self) -> usize {
        self.pending.len() + self.unflushed.len()
    }

    /// Number of durable log records (what a crash now would keep at least).
    pub fn durable_len(&self) -> u64 {
        self.durable.records.len() as u64
    }

    /// Bytes held as the process sees them.
    pub fn used_bytes(&self) -> u64 {
        self.visible.bytes()
    }

    fn make_room(&self, bytes: usize) -> Result<(), DiskError> {
        let over = self
            .config
            .capacity
            .is_some_and(|cap| self.visible.bytes() + bytes as u64 > cap);
        if self.full || over {
            return Err(DiskError::Full);
        }
        Ok(())
    }

    fn write(&mut self, write: Write) {
        if let Write::Slot(name, _) = &write {
            self.unflushed.remove(name);
        }
        self.visible.apply(&write);
        self.pending.push_back(write);
        self.written += 1;
    }

    /// Plans a sync asked for at `now`, covering every write so far.
    pub(crate) fn request_sync(&mut self, now: Time) -> NewSync {
        let latency = self.slow.as_ref().unwrap_or(&self.config.sync_latency);
        let at = (now + latency.sample(&mut self.rng.sync)).max(self.last_sync_at);
        self.last_sync_at = at;
        let id = SyncId(self.next_sync);
        self.next_sync += 1;
        NewSync {
            id,
            at,
            upto: self.written,
        }
    }

    /// A sync completed: writes numbered below `upto` are durable.
    pub(crate) fn complete_sync(&mut self, upto: u64) {
        let first = self.written - self.pending.len() as u64;
        let count = upto.saturating_sub(first).min(self.pending.len() as u64);
        for write in self.pending.drain(..count as usize) {
            self.durable.apply(&write);
        }
    }

    /// Makes every write so far durable at once, as a sync asked for now would when it
    /// completes (for a process's own tests of its recovery; slots written unsynced stay so).
    pub fn sync_all(&mut self) {
        self.complete_sync(self.written);
    }

    /// The node crashed: unsynced writes (then the slots written unsynced) are lost per the
    /// crash-loss policy, the last kept one may be torn, and the process will see only what is
    /// durable. The kernel calls this when the node crashes; a process's own tests may too.
    pub fn crash(&mut self) {
        let unflushed = std::mem::take(&mut self.unflushed);
        let pending: Vec<Write> = self
            .pending
            .drain(..)
            .chain(
                unflushed
                    .into_iter()
                    .map(|(name, bytes)| Write::Slot(name, bytes)),
            )
            .collect();
        let keep: Vec<bool> = match self.config.crash_loss {
            CrashLoss::All => vec![false; pending.len()],
            CrashLoss::Prefix => {
                let kept = self.rng.loss.below(pending.len() as u64 + 1) as usize;
                (0..pending.len()).map(|i| i < kept).collect()
            }
            CrashLoss::Subset => pending.iter().map(|_| self.rng.loss.chance(0.5)).collect(),
        };
        let last_kept = keep.iter().rposition(|&k| k);
        for (i, write) in pending.into_iter().enumerate() {
            if !keep[i] {
                continue;
            }
            let write = if Some(i) == last_kept && self.rng.torn.chance(self.config.torn_write) {
                write.torn(&mut self.rng.torn)
            } else {
                write
            };
            self.durable.apply(&write);
        }
        self.visible = self.durable.clone();
    }

    /// Applies a storage fault (the kernel does this for [`crate::Fault::Disk`]).
    pub fn apply_fault(&mut self, fault: &DiskFault) {
        match fault {
            DiskFault::Corrupt(target) => self.damage(target, |stored, draw| {
                if !stored.bytes.is_empty() {
                    let bit = draw % (stored.bytes.len() as u64 * 8);
                    stored.bytes[(bit / 8) as usize] ^= 1 << (bit % 8);
                }
            }),
            DiskFault::ReadError(target) => {
                self.damage(target, |stored, _| stored.unreadable = true)
            }
            DiskFault::Full => self.full = true,
            DiskFault::SlowSync(latency) => self.slow = Some(latency.clone()),
            DiskFault::Repair => {
                self.full = false;
                self.slow = None;
            }
        }
    }

    /// Damages `target` as stored: its durable copy, and what the process reads of it unless
    /// that was rewritten since (a write not yet durable is damaged where the process reads it).
    fn damage(&mut self, target: &DiskTarget, f: impl Fn(&mut Stored, u64)) {
        let target = match target {
            DiskTarget::AnyRecord => {
                let len = self.durable.records.len().max(self.visible.records.len());
                if len == 0 {
                    return;
                }
                DiskTarget::Record(self.rng.corrupt.below(len as u64))
            }
            other => other.clone(),
        };
        let draw = self.rng.corrupt.next_u64();
        let before = self.durable.target(&target).map(|s| s.bytes.clone());
        if let Some(durable) = self.durable.target(&target) {
            f(durable, draw);
        }
        if let Some(seen) = self.visible.target(&target) {
            if before.as_ref().is_none_or(|b| *b == seen.bytes) {
                f(seen, draw);
            }
        }
    }
}

fn readable(stored: &Stored) -> Result<&[u8], DiskError> {
    if stored.unreadable {
        return Err(DiskError::ReadError);
    }
    Ok(&stored.bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn disk(config: DiskConfig) -> Disk {
        Disk::new(config, RngStreams::new(7), 0)
    }

    fn records(disk: &Disk) -> Vec<Vec<u8>> {
        (0..disk.len())
            .map(|i| disk.read(i).unwrap().to_vec())
            .collect()
    }

    #[test]
    fn writes_are_visible_at_once_and_durable_after_their_sync() {
        let mut d = disk(DiskConfig::default());
        d.append(b"a".to_vec()).unwrap();
        d.write_slot("hard", b"t1".to_vec()).unwrap();
        assert_eq!(d.read_slot("hard").unwrap(), Some(&b"t1"[..]));
        let sync = d.request_sync(Time::ZERO);
        d.append(b"b".to_vec()).unwrap();
        assert_eq!(d.unsynced(), 3);
        d.complete_sync(sync.upto);
        assert_eq!((d.unsynced(), d.durable_len()), (1, 1));
        d.crash();
        assert_eq!(records(&d), vec![b"a".to_vec()]);
        assert_eq!(d.read_slot("hard").unwrap(), Some(&b"t1"[..]));
    }

    #[test]
    fn syncs_complete_in_order_after_their_latency() {
        let latency = LatencyDist::Uniform {
            min: Duration::from_millis(1),
            max: Duration::from_millis(9),
        };
        let mut d = disk(DiskConfig {
            sync_latency: latency,
            ..DiskConfig::default()
        });
        let mut last = Time::ZERO;
        for i in 0..50 {
            let sync = d.request_sync(Time::from_millis(i));
            assert!(sync.at >= last && sync.at >= Time::from_millis(i + 1));
            assert_eq!(sync.id, SyncId(i));
            last = sync.at;
        }
        d.apply_fault(&DiskFault::SlowSync(LatencyDist::Fixed(
            Duration::from_secs(1),
        )));
        assert_eq!(d.request_sync(last).at, last + Duration::from_secs(1));
        d.apply_fault(&DiskFault::Repair);
        assert!(
            d.request_sync(last).at < last + Duration::from_secs(1) + Duration::from_millis(10)
        );
    }

    fn crash_kept(loss: CrashLoss, seed: u64) -> Vec<Vec<u8>> {
        let config = DiskConfig {
            crash_loss: loss,
            ..DiskConfig::default()
        };
        let mut d = Disk::new(config, RngStreams::new(seed), 3);
        for i in 0..8u8 {
            d.append(vec![i]).unwrap();
        }
        d.crash();
        records(&d)
    }

    #[test]
    fn crash_loses_unsynced_writes_per_policy() {
        assert!(crash_kept(CrashLoss::All, 1).is_empty());
        let mut prefix_lengths = std::collections::BTreeSet::new();
        let mut reordered = false;
        for seed in 0..40 {
            let prefix = crash_kept(CrashLoss::Prefix, seed);
            assert_eq!(
                prefix,
                (0..prefix.len() as u8).map(|i| vec![i]).collect::<Vec<_>>()
            );
            prefix_lengths.insert(prefix.len());
            let subset = crash_kept(CrashLoss::Subset, seed);
            assert!(subset.windows(2).all(|w| w[0] < w[1]), "kept in order");
            reordered |= subset.first().is_some_and(|first| first[0] > 0);
        }
        assert!(
            prefix_lengths.len() > 3,
            "prefix length varies: {prefix_lengths:?}"
        );
        assert!(reordered, "a later write survives an earlier lost one");
    }

    #[test]
    fn crash_may_tear_the_last_kept_write() {
        let config = DiskConfig {
            crash_loss: CrashLoss::Prefix,
            torn_write: 1.0,
            ..DiskConfig::default()
        };
        let torn = (0..40).any(|seed| {
            let mut d = Disk::new(config.clone(), RngStreams::new(seed), 0);
            d.append(vec![1; 64]).unwrap();
            d.append(vec![2; 64]).unwrap();
            d.crash();
            let kept = records(&d);
            kept.last().is_some_and(|last| last.len() < 64)
                && kept[..kept.len() - 1].iter().all(|r| r.len() == 64)
        });
        assert!(torn);
    }

    #[test]
    fn corruption_flips_one_bit_of_a_durable_record() {
        let mut d = disk(DiskConfig::default());
        d.append(vec![0; 16]).unwrap();
        d.append(vec![0; 16]).unwrap();
        let upto = d.request_sync(Time::ZERO).upto;
        d.complete_sync(upto);
        d.apply_fault(&DiskFault::Corrupt(DiskTarget::Record(1)));
        assert_eq!(d.read(0).unwrap(), &[0; 16]);
        let flipped: u32 = d.read(1).unwrap().iter().map(|b| b.count_ones()).sum();
        assert_eq!(flipped, 1);
        d.crash();
        let flipped: u32 = d.read(1).unwrap().iter().map(|b| b.count_ones()).sum();
        assert_eq!(flipped, 1, "latent: survives a restart");
    }

    #[test]
    fn read_errors_last_until_the_record_is_rewritten() {
        let mut d = disk(DiskConfig::default());
        d.append(b"x".to_vec()).unwrap();
        d.write_slot("meta", b"m".to_vec()).unwrap();
        let upto = d.request_sync(Time::ZERO).upto;
        d.complete_sync(upto);
        d.apply_fault(&DiskFault::ReadError(DiskTarget::Record(0)));
        d.apply_fault(&DiskFault::ReadError(DiskTarget::Slot("meta".into())));
        assert_eq!(d.read(0), Err(DiskError::ReadError));
        assert_eq!(d.read_slot("meta"), Err(DiskError::ReadError));
        assert_eq!(d.read(5), Err(DiskError::OutOfRange));
        d.truncate(0);
        d.append(b"y".to_vec()).unwrap();
        d.write_slot("meta", b"n".to_vec()).unwrap();
        assert_eq!(d.read(0).unwrap(), b"y");
        assert_eq!(d.read_slot("meta").unwrap(), Some(&b"n"[..]));
    }

    /// A slot written where no sync reaches is read back at once, survives no sync, and is
    /// lost in a crash that loses the pending writes; a synced write to it supersedes it.
    #[test]
    fn a_slot_written_unsynced_is_never_made_durable() {
        let mut d = disk(DiskConfig::default());
        d.write_slot_unsynced("vote", b"n2".to_vec()).unwrap();
        d.append(b"a".to_vec()).unwrap();
        assert_eq!(d.read_slot("vote").unwrap(), Some(&b"n2"[..]));
        let upto = d.request_sync(Time::ZERO).upto;
        d.complete_sync(upto);
        assert_eq!((d.unsynced(), d.durable_len()), (1, 1));
        d.crash();
        assert_eq!(
            d.read_slot("vote").unwrap(),
            None,
            "lost: no sync covered it"
        );
        assert_eq!(records(&d), vec![b"a".to_vec()]);
        d.write_slot_unsynced("vote", b"n3".to_vec()).unwrap();
        d.write_slot("vote", b"n1".to_vec()).unwrap();
        let upto = d.request_sync(Time::ZERO).upto;
        d.complete_sync(upto);
        d.crash();
        assert_eq!(d.read_slot("vote").unwrap(), Some(&b"n1"[..]));
        let kept = (0..40).any(|seed| {
            let config = DiskConfig {
                crash_loss: CrashLoss::Subset,
                ..DiskConfig::default()
            };
            let mut d = Disk::new(config, RngStreams::new(seed), 0);
            d.write_slot_unsynced("vote", b"n2".to_vec()).unwrap();
            d.crash();
            d.read_slot("vote").unwrap().is_some()
        });
        assert!(kept, "a crash that keeps some unsynced writes may keep it");
    }

    #[test]
    fn a_full_disk_refuses_writes() {
        let mut d = disk(DiskConfig {
            capacity: Some(10),
            ..DiskConfig::default()
        });
        d.append(vec![0; 8]).unwrap();
        assert_eq!(d.append(vec![0; 3]), Err(DiskError::Full));
        d.write_slot("s", vec![0; 2]).unwrap();
        d.truncate(0);
        d.apply_fault(&DiskFault::Full);
        assert_eq!(d.append(vec![0]), Err(DiskError::Full));
        d.apply_fault(&DiskFault::Repair);
        assert_eq!(d.append(vec![0]), Ok(0));
    }

    #[test]
    fn same_seed_same_disk() {
        let run = |seed| {
            let config = DiskConfig {
                crash_loss: CrashLoss::Subset,
                torn_write: 0.5,
                sync_latency: LatencyDist::Uniform {
                    min: Duration::from_millis(1),
                    max: Duration::from_millis(5),
                },
                capacity: None,
            };
            let mut d = Disk::new(config, RngStreams::new(seed), 2);
            let mut log = Vec::new();
            for round in 0..20u8 {
                d.append(vec![round; 1 + round as usize]).unwrap();
                let sync = d.request_sync(Time::from_millis(u64::from(round)));
                log.push(sync.at);
                if round % 3 == 0 {
                    d.complete_sync(sync.upto);
                }
                if round % 7 == 6 {
                    d.apply_fault(&DiskFault::Corrupt(DiskTarget::AnyRecord));
                    d.crash();
                }
            }
            (log, records(&d))
        };
        assert_eq!(run(11), run(11));
        assert_ne!(run(11), run(12));
    }
}

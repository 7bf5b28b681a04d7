//! The replicated key-value map. Each value carries a vector clock and the dot of the write that
//! made it; merging is a join (commutative, associative, idempotent) under either conflict mode:
//! - `Lww`: one version per key, the greatest by (timestamp, dot, clock, value). A local write's
//!   timestamp exceeds every version it overwrites, so causal order is respected.
//! - `Siblings`: the versions not dominated by another (by vector clock) are all kept (Dynamo
//!   style) until a write that has seen them all supersedes them.
//!
//! The store also keeps its causal context (dots reflected) for Scuttlebutt deltas, an XOR digest
//! of all versions and, optionally, a Merkle tree over key hashes.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;

use crate::clock::{Dot, VectorClock};
use crate::dots::DotSet;
use crate::hash::Hasher64;
use crate::merkle::{MerkleShape, MerkleTree};

/// Keys of the replicated map.
pub type Key = String;
/// Values of the replicated map.
pub type Value = Vec<u8>;

/// How concurrent writes to one key are resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConflictMode {
    /// Last writer wins, ties broken deterministically by dot.
    Lww,
    /// Concurrent versions are all kept as siblings.
    Siblings,
}

/// One version of one key.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Version {
    /// The write that produced it.
    pub dot: Dot,
    /// Causal history of this key at that write (includes `dot`).
    pub clock: VectorClock,
    /// Writer's timestamp (ns), raised above what it overwrote; orders LWW.
    pub timestamp: u64,
    /// The value, or `None` for a delete (tombstone).
    pub value: Option<Value>,
}

/// One version of one key in transit: the unit every dissemination mode moves.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Update {
    /// The key.
    pub key: Key,
    /// Its version.
    pub version: Version,
}

impl Update {
    /// Estimated encoded size in bytes.
    pub fn size_bytes(&self) -> usize {
        4 + self.key.len()
            + 16
            + 8
            + self.version.clock.size_bytes()
            + 5
            + self.version.value.as_ref().map_or(0, Vec::len)
    }

    /// Hash of the key and the full version: the unit of the store digest.
    fn hash(key: &str, v: &Version) -> u64 {
        let mut h = Hasher64::new();
        h.u64(key.len() as u64).bytes(key.as_bytes());
        h.u64(v.dot.origin).u64(v.dot.seq).u64(v.timestamp);
        h.u64(v.clock.len() as u64);
        for (node, counter) in v.clock.entries() {
            h.u64(node).u64(counter);
        }
        match &v.value {
            Some(bytes) => h.u64(1).u64(bytes.len() as u64).bytes(bytes),
            None => h.u64(0),
        };
        h.finish()
    }
}

/// The hash that places a key in the Merkle tree and orders the store.
pub(crate) fn key_hash(key: &str) -> u64 {
    Hasher64::new()
        .u64(key.len() as u64)
        .bytes(key.as_bytes())
        .finish()
}

/// Store order: by key hash first so a Merkle bucket is a contiguous range.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Slot {
    hash: u64,
    key: Key,
}

/// Keys held at most in the sorted vector of [`Entries::Few`]; one more moves them to a B-tree.
const FEW_KEYS: usize = 16;

/// The keys with their versions, in slot order: a sorted vector while there are few (a node
/// holding one key pays one 56-byte allocation, not a ~630-byte B-tree leaf; at 10^6 nodes that
/// is most of a node's memory), a B-tree beyond, so stores with many keys stay logarithmic.
#[derive(Clone, Debug)]
enum Entries {
    Few(Vec<(Slot, Vec<Version>)>),
    Many(BTreeMap<Slot, Vec<Version>>),
}

impl Entries {
    fn get(&self, hash: u64, key: &str) -> Option<&Vec<Version>> {
        match self {
            Entries::Few(few) => few
                .binary_search_by(|(s, _)| (s.hash, s.key.as_str()).cmp(&(hash, key)))
                .ok()
                .map(|i| &few[i].1),
            Entries::Many(many) => many.get(&Slot {
                hash,
                key: key.to_owned(),
            }),
        }
    }

    /// The versions of `slot`'s key, inserted empty if it is new.
    fn entry(&mut self, slot: Slot) -> &mut Vec<Version> {
        if let Entries::Few(few) = self {
            if few.len() >= FEW_KEYS && few.binary_search_by(|(s, _)| s.cmp(&slot)).is_err() {
                *self = Entries::Many(std::mem::take(few).into_iter().collect());
            }
        }
        match self {
            Entries::Few(few) => {
                let i = match few.binary_search_by(|(s, _)| s.cmp(&slot)) {
                    Ok(i) => i,
                    Err(i) => {
                        few.reserve_exact(1);
                        few.insert(i, (slot, Vec::new()));
                        i
                    }
                };
                &mut few[i].1
            }
            Entries::Many(many) => many.entry(slot).or_default(),
        }
    }

    /// Every key from `from` on (all of them with `None`), in slot order.
    fn since(&self, from: Option<&Slot>) -> impl Iterator<Item = (&Slot, &Vec<Version>)> {
        let (few, many) = match self {
            Entries::Few(few) => {
                let start = from.map_or(0, |f| few.partition_point(|(s, _)| s < f));
                (Some(few[start..].iter().map(|(s, v)| (s, v))), None)
            }
            Entries::Many(many) => (
                None,
                Some(many.range::<Slot, _>((
                    from.map_or(Bound::Unbounded, Bound::Included),
                    Bound::Unbounded,
                ))),
            ),
        };
        few.into_iter().flatten().chain(many.into_iter().flatten())
    }

    fn len(&self) -> usize {
        match self {
            Entries::Few(few) => few.len(),
            Entries::Many(many) => many.len(),
        }
    }
}

/// The LWW total order on versions.
fn lww_rank(v: &Version) -> (u64, Dot, &VectorClock, &Option<Value>) {
    (v.timestamp, v.dot, &v.clock, &v.value)
}

/// A replica of the map.
#[derive(Clone, Debug)]
pub struct Store {
    owner: u64,
    mode: ConflictMode,
    entries: Entries,
    digest: u64,
    context: DotSet,
    /// Boxed: most stores have none, and a node's every byte counts at 10^6 nodes.
    merkle: Option<Box<MerkleTree>>,
    counter: u64,
}

impl Store {
    /// An empty replica owned by node `owner` (whose writes it stamps).
    pub fn new(owner: u64, mode: ConflictMode, merkle: Option<MerkleShape>) -> Self {
        Self {
            owner,
            mode,
            entries: Entries::Few(Vec::new()),
            digest: 0,
            context: DotSet::new(),
            merkle: merkle.map(|shape| Box::new(MerkleTree::new(shape))),
            counter: 0,
        }
    }

    /// The versions of `key`: empty if unknown, one under LWW, one or more siblings otherwise.
    /// A delete shows as a version whose value is `None`.
    pub fn get(&self, key: &str) -> &[Version] {
        self.entries
            .get(key_hash(key), key)
            .map_or(&[], Vec::as_slice)
    }

    /// Every key with its versions, in store order (by key hash).
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[Version])> {
        self.entries
            .since(None)
            .map(|(s, v)| (s.key.as_str(), v.as_slice()))
    }

    /// Every version held, one update each, in store order: the whole state as it would be sent.
    pub fn updates(&self) -> Vec<Update> {
        self.iter()
            .flat_map(|(key, versions)| {
                versions.iter().map(move |v| Update {
                    key: key.to_owned(),
                    version: v.clone(),
                })
            })
            .collect()
    }

    /// Number of keys (tombstones included).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when no key was ever written.
    pub fn is_empty(&self) -> bool {
        self.entries.len() == 0
    }

    /// XOR of the hashes of all versions: equal (barring a 64-bit collision) iff the maps are equal.
    pub fn digest(&self) -> u64 {
        self.digest
    }

    /// The dots this replica reflects.
    pub fn context(&self) -> &DotSet {
        &self.context
    }

    /// The conflict mode.
    pub fn mode(&self) -> ConflictMode {
        self.mode
    }

    pub(crate) fn merkle(&self) -> Option<&MerkleTree> {
        self.merkle.as_deref()
    }

    /// The highest write counter used by the owner so far (including writes learnt from peers).
    pub fn write_counter(&self) -> u64 {
        self.counter.max(self.context.max_seq(self.owner))
    }

    /// Makes the next local write use a counter above `counter`.
    pub fn restore_write_counter(&mut self, counter: u64) {
        self.counter = self.counter.max(counter);
    }

    /// A local write (`None` deletes): supersedes every current version of `key`.
    pub fn write(&mut self, now: u64, key: &str, value: Option<Value>) -> Update {
        let mut clock = VectorClock::new();
        let mut timestamp = now;
        for v in self.get(key) {
            clock.merge(&v.clock);
            timestamp = timestamp.max(v.timestamp.saturating_add(1));
        }
        // Above every counter of ours seen anywhere, so the new clock dominates the old versions.
        self.counter = self
            .counter
            .max(self.context.max_seq(self.owner))
            .max(clock.get(self.owner))
            + 1;
        let dot = Dot {
            origin: self.owner,
            seq: self.counter,
        };
        clock.observe(dot);
        let update = Update {
            key: key.to_owned(),
            version: Version {
                dot,
                clock,
                timestamp,
                value,
            },
        };
        let applied = self.apply(&update);
        debug_assert!(applied, "a local write always supersedes");
        update
    }

    /// Merges one received version; returns whether the map changed. Either way the dot joins the
    /// context: a rejected version is dominated by what the store already holds.
    pub fn apply(&mut self, update: &Update) -> bool {
        let v = &update.version;
        self.context.insert(v.dot);
        let hash = key_hash(&update.key);
        let list = self.entries.entry(Slot {
            hash,
            key: update.key.clone(),
        });
        let removed: Vec<Version> = match self.mode {
            ConflictMode::Lww => {
                if list.first().is_some_and(|cur| lww_rank(v) <= lww_rank(cur)) {
                    return false;
                }
                std::mem::take(list)
            }
            ConflictMode::Siblings => {
                let covered = list
                    .iter()
                    .any(|e| e == v || (e.clock != v.clock && e.clock.descends(&v.clock)));
                if covered {
                    return false;
                }
                let (gone, kept) = std::mem::take(list)
                    .into_iter()
                    .partition(|e| e.clock != v.clock && v.clock.descends(&e.clock));
                *list = kept;
                gone
            }
        };
        let at =
            list.partition_point(|e| (e.dot, &e.clock, &e.value) < (v.dot, &v.clock, &v.value));
        list.reserve_exact(1);
        list.insert(at, v.clone());
        for old in &removed {
            self.toggle(hash, Update::hash(&update.key, old));
        }
        self.toggle(hash, Update::hash(&update.key, v));
        true
    }

    fn toggle(&mut self, key_hash: u64, h: u64) {
        self.digest ^= h;
        if let Some(tree) = &mut self.merkle {
            tree.toggle(key_hash, h);
        }
    }

    /// Adds dots to the context: only after receiving a complete delta from a replica that reflects them.
    pub(crate) fn union_context(&mut self, other: &DotSet) {
        self.context.union(other);
    }

    /// The versions whose dots `theirs` lacks, in dot order (so a cut-off prefix leaves the
    /// receiver's context compact, as in Scuttlebutt), within `budget` bytes (at least one, so an
    /// exchange always progresses); the flag says whether all of them fit.
    pub(crate) fn missing(&self, theirs: &DotSet, budget: usize) -> (Vec<Update>, bool) {
        let mut wanted: Vec<(&Slot, &Version)> = self
            .entries
            .since(None)
            .flat_map(|(s, vs)| vs.iter().map(move |v| (s, v)))
            .filter(|(_, v)| !theirs.contains(v.dot))
            .collect();
        wanted.sort_by_key(|(_, v)| v.dot);
        take_within(wanted.into_iter(), budget)
    }

    /// The versions in the given Merkle leaf buckets, except those in `known`, within `budget`
    /// bytes (at least one). When they do not all fit, the list starts at position `rotation`
    /// (mod its length) and wraps, so a caller passing a random rotation eventually sends every
    /// version.
    pub(crate) fn in_buckets(
        &self,
        buckets: &[u64],
        known: &[Update],
        budget: usize,
        rotation: u64,
    ) -> (Vec<Update>, bool) {
        let Some(shape) = self.merkle.as_deref().map(MerkleTree::shape) else {
            return (Vec::new(), true);
        };
        // A dot names one write, so (key, dot) names one version.
        let known: BTreeSet<(&str, Dot)> = known
            .iter()
            .map(|u| (u.key.as_str(), u.version.dot))
            .collect();
        let mut wanted: Vec<(&Slot, &Version)> = buckets
            .iter()
            .flat_map(|b| {
                let (lo, hi) = shape.bucket_range(*b);
                let from = Slot {
                    hash: lo,
                    key: Key::new(),
                };
                self.entries
                    .since(Some(&from))
                    .take_while(move |(s, _)| s.hash <= hi)
                    .flat_map(|(s, vs)| vs.iter().map(move |v| (s, v)))
            })
            .filter(|(s, v)| !known.contains(&(s.key.as_str(), v.dot)))
            .collect();
        let total: usize = wanted.iter().map(|(s, v)| update_size(s, v)).sum();
        if total > budget && !wanted.is_empty() {
            let len = wanted.len() as u64;
            wanted.rotate_left((rotation % len) as usize);
        }
        take_within(wanted.into_iter(), budget)
    }
}

fn update_size(slot: &Slot, v: &Version) -> usize {
    Update {
        key: slot.key.clone(),
        version: v.clone(),
    }
    .size_bytes()
}

fn take_within<'a>(
    items: impl Iterator<Item = (&'a Slot, &'a Version)>,
    budget: usize,
) -> (Vec<Update>, bool) {
    let mut out = Vec::new();
    let mut used = 0;
    for (slot, v) in items {
        let u = Update {
            key: slot.key.clone(),
            version: v.clone(),
        };
        let size = u.size_bytes();
        if !out.is_empty() && used + size > budget {
            return (out, false);
        }
        used += size;
        out.push(u);
    }
    (out, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn val(s: &str) -> Option<Value> {
        Some(s.as_bytes().to_vec())
    }

    #[test]
    fn lww_keeps_the_later_write_and_is_order_independent() {
        let mut a = Store::new(1, ConflictMode::Lww, None);
        let mut b = Store::new(2, ConflictMode::Lww, None);
        let ua = a.write(10, "k", val("a"));
        let ub = b.write(20, "k", val("b"));
        assert!(a.apply(&ub));
        assert!(!b.apply(&ua));
        assert_eq!(a.digest(), b.digest());
        assert_eq!(a.get("k")[0].value, val("b"));
        // Equal timestamps: the dot decides, the same way everywhere.
        let mut c = Store::new(3, ConflictMode::Lww, None);
        let mut d = Store::new(4, ConflictMode::Lww, None);
        let uc = c.write(5, "x", val("c"));
        let ud = d.write(5, "x", val("d"));
        c.apply(&ud);
        d.apply(&uc);
        assert_eq!(c.get("x"), d.get("x"));
        assert_eq!(c.get("x")[0].value, val("d"));
    }

    #[test]
    fn lww_overwrite_beats_a_faster_clock_it_has_seen() {
        let mut a = Store::new(1, ConflictMode::Lww, None);
        let mut b = Store::new(2, ConflictMode::Lww, None);
        let first = a.write(1_000, "k", val("old"));
        b.apply(&first);
        // b's clock lags behind a's, yet its causally later write wins.
        let second = b.write(10, "k", val("new"));
        assert!(second.version.timestamp > first.version.timestamp);
        assert!(a.apply(&second));
        assert_eq!(a.get("k")[0].value, val("new"));
    }

    #[test]
    fn siblings_keep_concurrent_writes_until_a_later_write() {
        let mut a = Store::new(1, ConflictMode::Siblings, None);
        let mut b = Store::new(2, ConflictMode::Siblings, None);
        let ua = a.write(1, "k", val("a"));
        let ub = b.write(1, "k", val("b"));
        a.apply(&ub);
        b.apply(&ua);
        assert_eq!(a.get("k").len(), 2);
        assert_eq!(a.digest(), b.digest());
        let resolved = a.write(2, "k", val("ab"));
        assert_eq!(a.get("k").len(), 1);
        assert!(b.apply(&resolved));
        assert_eq!(b.get("k").len(), 1);
        assert_eq!(b.get("k")[0].value, val("ab"));
        // A stale sibling arriving late is ignored.
        assert!(!b.apply(&ua));
        assert_eq!(a.digest(), b.digest());
    }

    #[test]
    fn delete_is_a_tombstone_that_replicates() {
        let mut a = Store::new(1, ConflictMode::Lww, None);
        let mut b = Store::new(2, ConflictMode::Lww, None);
        b.apply(&a.write(1, "k", val("v")));
        b.apply(&a.write(2, "k", None));
        assert_eq!(b.get("k")[0].value, None);
        assert_eq!(a.digest(), b.digest());
    }

    #[test]
    fn missing_lists_only_unseen_dots_and_respects_the_budget() {
        let mut a = Store::new(1, ConflictMode::Lww, None);
        let b = Store::new(2, ConflictMode::Lww, None);
        for i in 0..10 {
            a.write(i, &format!("k{i}"), val("v"));
        }
        let (all, complete) = a.missing(b.context(), usize::MAX);
        assert_eq!((all.len(), complete), (10, true));
        let one = all[0].size_bytes();
        let (some, complete) = a.missing(b.context(), 3 * one);
        assert_eq!((some.len(), complete), (3, false));
        let (none, complete) = a.missing(a.context(), usize::MAX);
        assert!(none.is_empty() && complete);
    }

    /// Across the move from the sorted vector to the B-tree (past `FEW_KEYS`), in any write
    /// order: every key found, iteration in key-hash order, equal digests.
    #[test]
    fn many_keys_keep_store_order_and_lookups() {
        let keys: Vec<String> = (0..3 * FEW_KEYS).map(|i| format!("k{i}")).collect();
        let mut a = Store::new(1, ConflictMode::Lww, None);
        let mut b = Store::new(2, ConflictMode::Lww, None);
        for (i, key) in keys.iter().enumerate() {
            b.apply(&a.write(i as u64, key, val(key)));
            let order: Vec<u64> = a.iter().map(|(k, _)| key_hash(k)).collect();
            assert!(
                order.windows(2).all(|w| w[0] < w[1]),
                "sorted after {i} keys"
            );
            assert!(keys[..=i].iter().all(|k| a.get(k)[0].value == val(k)));
            assert!(a.get("absent").is_empty());
        }
        let mut c = Store::new(3, ConflictMode::Lww, None);
        for u in a.updates().iter().rev() {
            c.apply(u);
        }
        assert_eq!((a.len(), a.digest()), (b.len(), b.digest()));
        assert_eq!((a.len(), a.digest()), (c.len(), c.digest()));
        assert_eq!(a.updates(), c.updates());
    }

    #[test]
    fn merkle_tree_root_matches_the_digest() {
        let shape = MerkleShape {
            fanout_bits: 2,
            depth: 3,
        };
        let mut a = Store::new(1, ConflictMode::Siblings, Some(shape));
        for i in 0..20 {
            a.write(i, &format!("k{i}"), val("v"));
        }
        a.write(30, "k3", val("w"));
        let tree = a.merkle().unwrap();
        assert_eq!(tree.node(0, 0), Some(a.digest()));
        let bucket = shape.index(3, key_hash("k3"));
        let (in_bucket, complete) = a.in_buckets(&[bucket], &[], usize::MAX, 0);
        assert!(complete);
        assert!(in_bucket
            .iter()
            .any(|u| u.key == "k3" && u.version.value == val("w")));
        assert!(in_bucket
            .iter()
            .all(|u| shape.index(3, key_hash(&u.key)) == bucket));
    }
}

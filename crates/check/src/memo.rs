//! The memo of visited search configurations: (set of linearized operations, state).
//!
//! Each configuration is stored once, in flat arenas, and named by its index; the
//! search refers to states by that index, so states are never cloned. An
//! open-addressing table of (hash, first word of the set, index) finds them: linear probing, at most half
//! full, the full 64-bit hash compared before the set and the state. Emptying it is
//! O(1) (an epoch per slot), so one memo serves every segment and partition a worker
//! searches without clearing or growing its table again. Nothing is ever iterated.

use std::hash::{BuildHasher, Hash};

use crate::hashing::FixedState;

/// One slot of the table: the configuration's hash, the first word of its set (most
/// sets have one word: compared without a second memory access), its index, and the
/// epoch it was written in (a slot of an older epoch is empty).
#[derive(Clone, Copy, Default)]
struct Slot {
    hash: u64,
    first: u64,
    id: u32,
    epoch: u32,
}

/// Slots of a fresh table (a power of two).
const INITIAL_SLOTS: usize = 1 << 10;

/// Set of visited (bitset, state) configurations.
pub(crate) struct Memo<S> {
    words: usize,
    /// Per configuration, the words of its set after the first.
    bits: Vec<u64>,
    slots: Vec<Slot>,
    /// Slots written in this epoch are live; epoch 0 marks never-written slots.
    epoch: u32,
    states: Vec<S>,
}

impl<S: Eq + Hash> Memo<S> {
    /// An empty memo (for bitsets of no words until [`Memo::reset`]).
    pub(crate) fn new() -> Self {
        Self {
            words: 0,
            slots: vec![Slot::default(); INITIAL_SLOTS],
            epoch: 1,
            states: Vec::new(),
            bits: Vec::new(),
        }
    }

    /// Empties the memo for bitsets of `words` words, keeping its allocations so the
    /// next segment or partition does not grow its tables again.
    pub(crate) fn reset(&mut self, words: usize) {
        self.words = words;
        self.states.clear();
        self.bits.clear();
        self.epoch = match self.epoch.checked_add(1) {
            Some(epoch) => epoch,
            None => {
                self.slots.fill(Slot::default());
                1
            }
        };
    }

    /// Records the configuration and returns its index, or `None` when it had been
    /// seen already. `set_hash` must be a hash of `bits` (the XOR of its members'
    /// Zobrist keys).
    pub(crate) fn insert(&mut self, set_hash: u64, bits: &[u64], state: S) -> Option<u32> {
        debug_assert_eq!(bits.len(), self.words);
        let hash = set_hash ^ FixedState::default().hash_one(&state);
        let (first, rest) = bits.split_first().map_or((0, &[][..]), |(f, r)| (*f, r));
        let stride = rest.len();
        let mask = self.slots.len() - 1;
        let mut at = hash as usize & mask;
        loop {
            let slot = self.slots[at];
            if slot.epoch != self.epoch {
                break;
            }
            if slot.hash == hash && slot.first == first {
                let i = slot.id as usize;
                let stored = &self.bits[i * stride..(i + 1) * stride];
                // An explicit loop: the sets are a few words, too short for a memcmp call.
                if stored.iter().zip(rest).all(|(a, b)| a == b) && self.states[i] == state {
                    return None;
                }
            }
            at = (at + 1) & mask;
        }
        let id = self.states.len() as u32;
        self.slots[at] = Slot {
            hash,
            first,
            id,
            epoch: self.epoch,
        };
        self.states.push(state);
        self.bits.extend_from_slice(rest);
        if 2 * self.states.len() > self.slots.len() {
            self.grow();
        }
        Some(id)
    }

    /// Doubles the table, moving the live slots by their stored hashes.
    fn grow(&mut self) {
        let mut slots = vec![Slot::default(); self.slots.len() * 2];
        let old = std::mem::take(&mut self.slots);
        let mask = slots.len() - 1;
        for slot in old.into_iter().filter(|s| s.epoch == self.epoch) {
            let mut at = slot.hash as usize & mask;
            while slots[at].epoch == self.epoch {
                at = (at + 1) & mask;
            }
            slots[at] = slot;
        }
        self.slots = slots;
    }

    /// Approximate memory held for the configurations recorded since the last reset
    /// (the arenas and the index; not memory that states point to). Depends only on
    /// what was recorded, so limits on it are deterministic.
    pub(crate) fn approx_bytes(&self) -> usize {
        // The table is at most half full: two slots per configuration.
        const INDEX_ENTRY: usize = 2 * std::mem::size_of::<Slot>();
        let per_config = 8 * self.words + std::mem::size_of::<S>() + INDEX_ENTRY;
        self.states.len() * per_config
    }

    /// The state of configuration `id`.
    pub(crate) fn state(&self, id: u32) -> &S {
        &self.states[id as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_repeats_even_on_hash_collisions() {
        let mut memo = {
            let mut m = Memo::new();
            m.reset(2);
            m
        };
        assert_eq!(memo.insert(7, &[1, 0], 'a'), Some(0));
        assert_eq!(memo.insert(7, &[1, 0], 'a'), None);
        // Same set hash, different content: both kept.
        assert_eq!(memo.insert(7, &[2, 0], 'a'), Some(1));
        assert_eq!(memo.insert(7, &[1, 0], 'b'), Some(2));
        assert_eq!(memo.insert(7, &[2, 0], 'a'), None);
        assert_eq!(*memo.state(2), 'b');
        let three = memo.approx_bytes();
        assert!(three > 3 * 16, "{three}");
        memo.reset(1);
        assert_eq!(memo.approx_bytes(), 0);
        assert_eq!(memo.insert(7, &[1], 'a'), Some(0));
        assert_eq!(memo.insert(7, &[1], 'a'), None);
    }

    #[test]
    fn survives_growth_and_many_resets() {
        let mut memo = {
            let mut m = Memo::new();
            m.reset(1);
            m
        };
        for round in 0..3u64 {
            for i in 0..5000u64 {
                assert_eq!(memo.insert(i % 7, &[i], round), Some(i as u32));
            }
            for i in 0..5000u64 {
                assert_eq!(memo.insert(i % 7, &[i], round), None, "{round} {i}");
            }
            memo.reset(1);
        }
        memo.epoch = u32::MAX;
        memo.reset(1);
        assert_eq!(memo.epoch, 1);
        assert_eq!(memo.insert(0, &[1], 9), Some(0));
    }
}

//! The memo of visited search configurations: (set of linearized operations, state).
//!
//! Each configuration is stored once, in flat arenas, and named by its index; the
//! search refers to states by that index, so states are never cloned. A fixed-hasher
//! map from the configuration's hash to the head of a collision chain finds them.
//! Nothing is ever iterated.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash};

use crate::hashing::FixedState;

const NONE: u32 = u32::MAX;

/// Set of visited (bitset, state) configurations.
pub(crate) struct Memo<S> {
    words: usize,
    heads: HashMap<u64, u32, FixedState>,
    states: Vec<S>,
    chain: Vec<u32>,
    bits: Vec<u64>,
}

impl<S: Eq + Hash> Memo<S> {
    /// An empty memo for bitsets of `words` 64-bit words.
    pub(crate) fn new(words: usize) -> Self {
        Self {
            words,
            heads: HashMap::default(),
            states: Vec::new(),
            chain: Vec::new(),
            bits: Vec::new(),
        }
    }

    /// Empties the memo for bitsets of `words` words, keeping its allocations so the
    /// next partition does not grow its tables again.
    pub(crate) fn reset(&mut self, words: usize) {
        self.words = words;
        self.heads.clear();
        self.states.clear();
        self.chain.clear();
        self.bits.clear();
    }

    /// Records the configuration and returns its index, or `None` when it had been
    /// seen already. `set_hash` must be a hash of `bits` (the XOR of its members'
    /// Zobrist keys).
    pub(crate) fn insert(&mut self, set_hash: u64, bits: &[u64], state: S) -> Option<u32> {
        debug_assert_eq!(bits.len(), self.words);
        let hash = set_hash ^ FixedState::default().hash_one(&state);
        let fresh = self.states.len() as u32;
        let head = self.heads.entry(hash).or_insert(NONE);
        let mut at = *head;
        while at != NONE {
            let i = at as usize;
            let stored = &self.bits[i * self.words..(i + 1) * self.words];
            // An explicit loop: the sets are a few words, too short for a memcmp call.
            if stored.iter().zip(bits).all(|(a, b)| a == b) && self.states[i] == state {
                return None;
            }
            at = self.chain[i];
        }
        self.chain.push(*head);
        *head = fresh;
        self.states.push(state);
        self.bits.extend_from_slice(bits);
        Some(fresh)
    }

    /// Approximate memory held for the configurations recorded since the last reset
    /// (the arenas and the index; not memory that states point to). Depends only on
    /// what was recorded, so limits on it are deterministic.
    pub(crate) fn approx_bytes(&self) -> usize {
        const INDEX_ENTRY: usize = 8 + 4 + 4;
        let per_config = 4 + 4 + 8 * self.words + std::mem::size_of::<S>() + INDEX_ENTRY;
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
        let mut memo = Memo::new(2);
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
}

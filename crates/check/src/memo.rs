//! The memo of visited search configurations: (set of linearized operations, state).
//!
//! Bitsets live in one flat arena; a fixed-hasher map from the configuration's hash to
//! the head of a collision chain finds them. Nothing is ever iterated.

use std::collections::HashMap;

use crate::hashing::{mix64, FixedState};

const NONE: u32 = u32::MAX;

/// Set of visited (bitset, state id) configurations.
pub(crate) struct Memo {
    words: usize,
    heads: HashMap<u64, u32, FixedState>,
    states: Vec<u32>,
    chain: Vec<u32>,
    bits: Vec<u64>,
}

impl Memo {
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

    /// Records the configuration; returns false when it had been seen already.
    /// `set_hash` must be a hash of `bits` (the XOR of its members' Zobrist keys).
    pub(crate) fn insert(&mut self, set_hash: u64, bits: &[u64], state: u32) -> bool {
        debug_assert_eq!(bits.len(), self.words);
        let hash = set_hash ^ mix64(u64::from(state));
        let fresh = self.states.len() as u32;
        let head = self.heads.entry(hash).or_insert(NONE);
        let mut at = *head;
        while at != NONE {
            let i = at as usize;
            if self.states[i] == state && &self.bits[i * self.words..(i + 1) * self.words] == bits {
                return false;
            }
            at = self.chain[i];
        }
        self.chain.push(*head);
        *head = fresh;
        self.states.push(state);
        self.bits.extend_from_slice(bits);
        true
    }

    /// Number of configurations recorded.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.states.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_repeats_even_on_hash_collisions() {
        let mut memo = Memo::new(2);
        assert!(memo.insert(7, &[1, 0], 0));
        assert!(!memo.insert(7, &[1, 0], 0));
        // Same hash, different content: both kept.
        assert!(memo.insert(7, &[2, 0], 0));
        assert!(memo.insert(7, &[1, 0], 1));
        assert!(!memo.insert(7, &[2, 0], 0));
        assert_eq!(memo.len(), 3);
    }
}

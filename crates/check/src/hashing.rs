//! A fixed, unseeded hasher so that memo tables behave the same on every run, and
//! per-operation Zobrist keys for hashing sets of linearized operations incrementally.

use std::hash::{BuildHasherDefault, Hasher};

const MUL: u64 = 0x9e37_79b9_7f4a_7c15;

/// SplitMix64 finaliser: a bijective avalanche of a 64-bit word.
pub(crate) fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(MUL);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The Zobrist key of operation `op`: the hash of a set of operations is the XOR of
/// its members' keys, so adding or removing one member costs one XOR.
pub(crate) fn zobrist(op: u32) -> u64 {
    mix64(u64::from(op) ^ 0x5a17_c0de_0000_0000)
}

/// Word-at-a-time multiplicative hasher with a fixed starting state.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct FixedHasher {
    hash: u64,
}

impl FixedHasher {
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(23) ^ word).wrapping_mul(MUL);
    }
}

impl Hasher for FixedHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        let mut word = [0u8; 8];
        word[..rest.len()].copy_from_slice(rest);
        self.add(u64::from_le_bytes(word) ^ ((rest.len() as u64) << 59));
    }

    fn write_u8(&mut self, n: u8) {
        self.add(u64::from(n));
    }

    fn write_u32(&mut self, n: u32) {
        self.add(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    fn finish(&self) -> u64 {
        mix64(self.hash)
    }
}

/// `BuildHasher` for std maps and sets that must not depend on a random seed.
pub(crate) type FixedState = BuildHasherDefault<FixedHasher>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::{BuildHasher, Hash};

    fn hash_of<T: Hash>(t: &T) -> u64 {
        FixedState::default().hash_one(t)
    }

    #[test]
    fn hashing_is_fixed_and_discriminates() {
        assert_eq!(hash_of(&"abc"), hash_of(&"abc"));
        assert_ne!(hash_of(&"abc"), hash_of(&"abd"));
        assert_ne!(hash_of(&(1u32, 2u32)), hash_of(&(2u32, 1u32)));
        assert_ne!(hash_of(&""), hash_of(&"\0"));
    }

    #[test]
    fn zobrist_keys_differ() {
        let keys: std::collections::BTreeSet<u64> = (0..1000).map(zobrist).collect();
        assert_eq!(keys.len(), 1000);
    }
}

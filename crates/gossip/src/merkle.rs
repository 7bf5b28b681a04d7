//! A fixed-shape Merkle tree over the key-hash space. Each node holds the XOR of the hashes of
//! all versions whose key hash falls in its range, so it updates in O(depth) per change and two
//! replicas find their `d` differing buckets in O(d · depth) compared hashes.

use crate::error::ConfigError;

/// The tree's shape: `2^fanout_bits` children per node, `depth` levels below the root.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MerkleShape {
    /// log2 of the fanout (1 = binary).
    pub fanout_bits: u32,
    /// Levels below the root; leaves (buckets) number `2^(fanout_bits * depth)`.
    pub depth: u32,
}

impl MerkleShape {
    /// Checks the shape is usable (at least one level, at most 2^24 buckets).
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bits = self.fanout_bits.saturating_mul(self.depth);
        if self.fanout_bits == 0 || self.depth == 0 || bits > 24 {
            return Err(ConfigError::new(
                "reconciliation.merkle",
                "fanout_bits >= 1, depth >= 1 and fanout_bits * depth <= 24",
            ));
        }
        Ok(())
    }

    /// Number of children of an inner node.
    pub fn fanout(&self) -> u64 {
        1 << self.fanout_bits
    }

    /// Number of nodes at `level` (level 0 is the root).
    pub fn width(&self, level: u32) -> u64 {
        1 << (self.fanout_bits * level)
    }

    /// The index at `level` of the node covering `key_hash`.
    pub fn index(&self, level: u32, key_hash: u64) -> u64 {
        if level == 0 {
            0
        } else {
            key_hash >> (64 - self.fanout_bits * level)
        }
    }

    /// The key-hash range `[lo, hi]` (inclusive) of leaf `bucket`.
    pub fn bucket_range(&self, bucket: u64) -> (u64, u64) {
        let shift = 64 - self.fanout_bits * self.depth;
        let lo = bucket << shift;
        (lo, lo | ((1u64 << shift) - 1))
    }
}

/// The tree itself: one vector of node hashes per level.
#[derive(Clone, Debug)]
pub(crate) struct MerkleTree {
    shape: MerkleShape,
    levels: Vec<Vec<u64>>,
}

impl MerkleTree {
    /// An all-zero tree (the empty store) of the given, validated shape.
    pub(crate) fn new(shape: MerkleShape) -> Self {
        let levels = (0..=shape.depth)
            .map(|l| vec![0; shape.width(l) as usize])
            .collect();
        Self { shape, levels }
    }

    /// The shape.
    pub(crate) fn shape(&self) -> MerkleShape {
        self.shape
    }

    /// Adds or removes (XOR is its own inverse) one version hash under `key_hash`.
    pub(crate) fn toggle(&mut self, key_hash: u64, h: u64) {
        for (level, nodes) in self.levels.iter_mut().enumerate() {
            nodes[self.shape.index(level as u32, key_hash) as usize] ^= h;
        }
    }

    /// The hash of node `index` at `level`, or `None` when out of range.
    pub(crate) fn node(&self, level: u32, index: u64) -> Option<u64> {
        self.levels
            .get(level as usize)?
            .get(usize::try_from(index).ok()?)
            .copied()
    }

    /// The `(index, hash)` children of node `index` at `level`.
    pub(crate) fn children(&self, level: u32, index: u64) -> Vec<(u64, u64)> {
        let fanout = self.shape.fanout();
        let next = &self.levels[level as usize + 1];
        (index * fanout..(index + 1) * fanout)
            .map(|i| (i, next[i as usize]))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toggling_twice_restores_the_tree_and_paths_agree() {
        let shape = MerkleShape {
            fanout_bits: 2,
            depth: 3,
        };
        shape.validate().unwrap();
        let mut t = MerkleTree::new(shape);
        let kh = 0xdead_beef_0000_0001;
        t.toggle(kh, 42);
        assert_eq!(t.node(0, 0), Some(42));
        let leaf = shape.index(3, kh);
        assert_eq!(t.node(3, leaf), Some(42));
        let (lo, hi) = shape.bucket_range(leaf);
        assert!(lo <= kh && kh <= hi);
        assert!(t.children(0, 0).contains(&(shape.index(1, kh), 42)));
        t.toggle(kh, 42);
        assert_eq!(t.node(0, 0), Some(0));
        assert_eq!(t.node(9, 0), None);
        assert!(MerkleShape {
            fanout_bits: 4,
            depth: 7
        }
        .validate()
        .is_err());
    }
}

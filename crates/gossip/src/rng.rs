//! Ranges and samples drawn from the node's own seeded generator (no global RNG), and that
//! generator in a compact form.

use std::collections::BTreeMap;

use rand_chacha::ChaCha8Rng;
use rand_core::RngCore;

use crate::view::Pool;

/// A uniform integer in `0..n` (`n > 0`), by multiply-shift on one 64-bit draw.
pub(crate) fn below(rng: &mut impl RngCore, n: u64) -> u64 {
    ((u128::from(rng.next_u64()) * u128::from(n)) >> 64) as u64
}

/// A uniform float in `[0, 1)` with 53 random bits.
pub(crate) fn unit(rng: &mut impl RngCore) -> f64 {
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

/// Up to `k` distinct items of `pool`, uniformly: a partial Fisher–Yates over the pool's
/// positions, where only the positions a swap overwrote are held (the same draws and result as
/// shuffling a copy, without the copy).
pub(crate) fn sample(rng: &mut impl RngCore, pool: &(impl Pool + ?Sized), k: usize) -> Vec<u64> {
    let n = pool.size();
    let mut moved: BTreeMap<usize, u64> = BTreeMap::new();
    let mut out = Vec::with_capacity(k.min(n));
    for i in 0..k.min(n) {
        let j = i + below(rng, (n - i) as u64) as usize;
        let at = |p: usize, moved: &BTreeMap<usize, u64>| {
            moved.get(&p).copied().unwrap_or_else(|| pool.at(p))
        };
        let (first, picked) = (at(i, &moved), at(j, &moved));
        out.push(picked);
        moved.insert(j, first);
    }
    out
}

/// A node's ChaCha8 generator kept as its key, stream and word position (48 bytes) instead of
/// `ChaCha8Rng`'s 256-byte buffer of four blocks (320 bytes): each draw computes the one block it
/// reads. It yields exactly the words of the `ChaCha8Rng` it was made from, in the same order, so
/// every draw (and trace hash) is unchanged; at 10^6 nodes the node state is what costs, and a
/// block (eight ChaCha rounds) is cheaper than the cache misses of a larger node.
#[derive(Clone, Debug)]
pub(crate) struct NodeRng {
    key: [u32; 8],
    stream: u64,
    /// Index of the next 32-bit word of the stream.
    word: u64,
}

/// 32-bit words per ChaCha block.
const BLOCK_WORDS: u64 = 16;

impl From<ChaCha8Rng> for NodeRng {
    fn from(rng: ChaCha8Rng) -> Self {
        let seed = rng.get_seed();
        let mut key = [0u32; 8];
        for (k, chunk) in key.iter_mut().zip(seed.chunks_exact(4)) {
            *k = u32::from_le_bytes(chunk.try_into().expect("4-byte chunk"));
        }
        // Positions past 2^64 words are beyond any run (2^70 bytes).
        let word = u64::try_from(rng.get_word_pos()).expect("word position below 2^64");
        NodeRng {
            key,
            stream: rng.get_stream(),
            word,
        }
    }
}

impl NodeRng {
    /// ChaCha with 8 rounds: block `counter` of this key and stream.
    fn block(&self, counter: u64) -> [u32; 16] {
        let mut input = [0u32; 16];
        input[..4].copy_from_slice(&[0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574]);
        input[4..12].copy_from_slice(&self.key);
        input[12] = counter as u32;
        input[13] = (counter >> 32) as u32;
        input[14] = self.stream as u32;
        input[15] = (self.stream >> 32) as u32;
        let mut x = input;
        for _ in 0..4 {
            quarter(&mut x, 0, 4, 8, 12);
            quarter(&mut x, 1, 5, 9, 13);
            quarter(&mut x, 2, 6, 10, 14);
            quarter(&mut x, 3, 7, 11, 15);
            quarter(&mut x, 0, 5, 10, 15);
            quarter(&mut x, 1, 6, 11, 12);
            quarter(&mut x, 2, 7, 8, 13);
            quarter(&mut x, 3, 4, 9, 14);
        }
        for (out, inp) in x.iter_mut().zip(input) {
            *out = out.wrapping_add(inp);
        }
        x
    }

    /// The stream's word at position `word`.
    fn word_at(&self, word: u64) -> u32 {
        self.block(word / BLOCK_WORDS)[(word % BLOCK_WORDS) as usize]
    }
}

/// The ChaCha quarter round on words `a`, `b`, `c`, `d` of `x`.
fn quarter(x: &mut [u32; 16], a: usize, b: usize, c: usize, d: usize) {
    x[a] = x[a].wrapping_add(x[b]);
    x[d] = (x[d] ^ x[a]).rotate_left(16);
    x[c] = x[c].wrapping_add(x[d]);
    x[b] = (x[b] ^ x[c]).rotate_left(12);
    x[a] = x[a].wrapping_add(x[b]);
    x[d] = (x[d] ^ x[a]).rotate_left(8);
    x[c] = x[c].wrapping_add(x[d]);
    x[b] = (x[b] ^ x[c]).rotate_left(7);
}

impl RngCore for NodeRng {
    fn next_u32(&mut self) -> u32 {
        let w = self.word_at(self.word);
        self.word += 1;
        w
    }

    /// Two consecutive words, the first in the low half (as `ChaCha8Rng` reads them).
    fn next_u64(&mut self) -> u64 {
        let at = self.word;
        self.word += 2;
        if at % BLOCK_WORDS == BLOCK_WORDS - 1 {
            return u64::from(self.word_at(at)) | u64::from(self.word_at(at + 1)) << 32;
        }
        let block = self.block(at / BLOCK_WORDS);
        let i = (at % BLOCK_WORDS) as usize;
        u64::from(block[i]) | u64::from(block[i + 1]) << 32
    }

    /// Whole words, little-endian; the unused bytes of a last partial word are dropped.
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for chunk in dest.chunks_mut(4) {
            let bytes = self.next_u32().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha8Rng;
    use rand_core::SeedableRng;

    #[test]
    fn below_stays_in_range_and_covers_it() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut seen = [false; 5];
        for _ in 0..200 {
            let x = below(&mut rng, 5);
            assert!(x < 5);
            seen[x as usize] = true;
        }
        assert!(seen.iter().all(|s| *s));
        let u = unit(&mut rng);
        assert!((0.0..1.0).contains(&u));
    }

    #[test]
    fn sample_is_distinct_and_bounded() {
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let pool = [10, 11, 12, 13];
        let mut s = sample(&mut rng, &pool[..], 3);
        assert_eq!(s.len(), 3);
        s.sort_unstable();
        s.dedup();
        assert_eq!(s.len(), 3);
        assert_eq!(sample(&mut rng, &pool[..], 9).len(), 4);
    }

    /// Every mix of 32- and 64-bit draws and byte fills, from fresh and part-used generators on
    /// several streams, crossing block and buffer boundaries at odd and even positions.
    #[test]
    fn node_rng_draws_exactly_as_chacha8() {
        for seed in 0..40u64 {
            let mut reference = ChaCha8Rng::seed_from_u64(seed);
            reference.set_stream(seed % 3);
            for _ in 0..seed % 7 {
                reference.next_u32();
            }
            let mut compact = NodeRng::from(reference.clone());
            let mut pattern = seed;
            for _ in 0..300 {
                pattern = pattern.wrapping_mul(6364136223846793005).wrapping_add(1);
                match pattern >> 62 {
                    0 => assert_eq!(compact.next_u32(), reference.next_u32()),
                    1 => {
                        let len = (pattern >> 40) as usize % 13;
                        let (mut a, mut b) = (vec![0u8; len], vec![0u8; len]);
                        compact.fill_bytes(&mut a);
                        reference.fill_bytes(&mut b);
                        assert_eq!(a, b);
                    }
                    _ => assert_eq!(compact.next_u64(), reference.next_u64()),
                }
            }
        }
    }

    #[test]
    fn sample_draws_as_a_partial_shuffle_of_a_copy() {
        let pool: Vec<u64> = (100..130).collect();
        for k in [0, 1, 3, 29, 30, 31] {
            let (mut a, mut b) = (ChaCha8Rng::seed_from_u64(k), ChaCha8Rng::seed_from_u64(k));
            let mut items = pool.clone();
            for i in 0..(k as usize).min(items.len()) {
                let j = i + below(&mut b, (items.len() - i) as u64) as usize;
                items.swap(i, j);
            }
            items.truncate(k as usize);
            assert_eq!(sample(&mut a, &pool[..], k as usize), items);
            assert_eq!(a.next_u64(), b.next_u64(), "the same number of draws");
        }
    }
}

//! Deterministic 64-bit hashing: FNV-1a over the bytes, finished with the SplitMix64 mixer.
//! The same input hashes to the same value on every run and every platform.

const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const PRIME: u64 = 0x0000_0100_0000_01b3;

/// An incremental hasher with a fixed seed.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Hasher64(u64);

impl Hasher64 {
    /// A fresh hasher.
    pub(crate) fn new() -> Self {
        Self(OFFSET)
    }

    /// Feeds raw bytes (callers prefix variable-length data with its length).
    pub(crate) fn bytes(&mut self, data: &[u8]) -> &mut Self {
        for b in data {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(PRIME);
        }
        self
    }

    /// Feeds one integer.
    pub(crate) fn u64(&mut self, v: u64) -> &mut Self {
        self.bytes(&v.to_le_bytes())
    }

    /// The finished, well-mixed hash.
    pub(crate) fn finish(&self) -> u64 {
        mix(self.0)
    }
}

/// SplitMix64's finaliser: spreads every input bit over the whole output.
pub(crate) fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_input_same_hash_and_order_matters() {
        let a = Hasher64::new().u64(1).u64(2).finish();
        let b = Hasher64::new().u64(1).u64(2).finish();
        let c = Hasher64::new().u64(2).u64(1).finish();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }
}

//! Ranges and samples drawn from the node's own seeded generator (no global RNG).

use std::collections::BTreeMap;

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

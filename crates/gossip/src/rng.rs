//! Ranges and samples drawn from the node's own seeded generator (no global RNG).

use rand_core::RngCore;

/// A uniform integer in `0..n` (`n > 0`), by multiply-shift on one 64-bit draw.
pub(crate) fn below(rng: &mut impl RngCore, n: u64) -> u64 {
    ((u128::from(rng.next_u64()) * u128::from(n)) >> 64) as u64
}

/// A uniform float in `[0, 1)` with 53 random bits.
pub(crate) fn unit(rng: &mut impl RngCore) -> f64 {
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

/// Fisher–Yates shuffle.
pub(crate) fn shuffle<T>(rng: &mut impl RngCore, items: &mut [T]) {
    for i in (1..items.len()).rev() {
        let j = below(rng, i as u64 + 1) as usize;
        items.swap(i, j);
    }
}

/// Up to `k` distinct items of `pool`, uniformly (partial Fisher–Yates on a copy).
pub(crate) fn sample(rng: &mut impl RngCore, pool: &[u64], k: usize) -> Vec<u64> {
    let mut items = pool.to_vec();
    let k = k.min(items.len());
    for i in 0..k {
        let j = i + below(rng, (items.len() - i) as u64) as usize;
        items.swap(i, j);
    }
    items.truncate(k);
    items
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
        let mut s = sample(&mut rng, &pool, 3);
        assert_eq!(s.len(), 3);
        s.sort_unstable();
        s.dedup();
        assert_eq!(s.len(), 3);
        assert_eq!(sample(&mut rng, &pool, 9).len(), 4);
    }
}

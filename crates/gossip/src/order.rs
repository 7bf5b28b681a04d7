//! SWIM's randomized round-robin probe order (each live member probed once per round, in a fresh
//! random order every round) without storing the order: a round is a keyed pseudo-random
//! permutation of the positions of the view's base and of the live members outside it when the
//! round began, so a node holds a few words per round instead of a shuffled copy of its view.
//! Members learned during a round are probed at a random place in its rest, as SWIM inserts them.

use rand_core::RngCore;

use crate::rng;
use crate::view::MemberView;

/// The probe order of one node.
#[derive(Clone, Debug, Default)]
pub(crate) struct ProbeOrder {
    /// Positions in this round: the base's, then `extra`'s.
    len: usize,
    /// The next position.
    pos: usize,
    /// This round's order of positions.
    perm: Permutation,
    /// The live members outside the base when the round began.
    extra: Vec<u64>,
    /// Members learned during the round and not probed yet.
    late: Vec<u64>,
}

impl ProbeOrder {
    /// A member learned since the round began: probed at a random place in the rest of it.
    pub(crate) fn learned(&mut self, id: u64) {
        self.late.push(id);
    }

    /// The next member in the order, live or not (the caller skips those that are not);
    /// `None` when a new round would begin on a view without live members.
    pub(crate) fn next(&mut self, view: &MemberView, rng: &mut impl RngCore) -> Option<u64> {
        if self.pos >= self.len && self.late.is_empty() {
            if view.live_len() == 0 {
                return None;
            }
            self.extra = view.extra().to_vec();
            self.len = view.base().len() + self.extra.len();
            self.pos = 0;
            self.perm = Permutation::new(self.len, rng);
        }
        let (rest, late) = ((self.len - self.pos) as u64, self.late.len() as u64);
        if late > 0 {
            let j = rng::below(rng, rest + late);
            if j < late {
                return Some(self.late.swap_remove(j as usize));
            }
        }
        let at = self.perm.apply(self.pos);
        self.pos += 1;
        let base = view.base();
        Some(match at.checked_sub(base.len()) {
            Some(i) => self.extra[i],
            None => base[at],
        })
    }
}

/// A keyed bijection of `0..len`: rounds of xor, multiplication by an odd key and a xor-shift,
/// each a bijection of `bits`-bit integers, walked until the value falls below `len`
/// (2^bits < 2 len, so under two steps on average).
#[derive(Clone, Copy, Debug, Default)]
struct Permutation {
    keys: [u64; 3],
    bits: u32,
    len: usize,
}

impl Permutation {
    fn new(len: usize, rng: &mut impl RngCore) -> Self {
        Self {
            keys: [rng.next_u64(), rng.next_u64() | 1, rng.next_u64() | 1],
            bits: usize::BITS - len.saturating_sub(1).leading_zeros(),
            len,
        }
    }

    fn apply(&self, i: usize) -> usize {
        let mask = u64::MAX >> (64 - self.bits.max(1));
        let shift = self.bits / 2 + 1;
        let mut x = i as u64;
        loop {
            x = (x ^ self.keys[0]) & mask;
            for k in &self.keys[1..] {
                x = x.wrapping_mul(*k) & mask;
                x ^= x >> shift;
            }
            if (x as usize) < self.len {
                return x as usize;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::swim::{Member, MemberState};
    use rand_chacha::ChaCha8Rng;
    use rand_core::SeedableRng;
    use std::collections::BTreeSet;

    #[test]
    fn every_permutation_is_a_bijection() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for len in [1, 2, 3, 7, 8, 9, 100, 1000, 4097] {
            let p = Permutation::new(len, &mut rng);
            let seen: BTreeSet<usize> = (0..len).map(|i| p.apply(i)).collect();
            assert_eq!(seen.len(), len);
            assert!(seen.iter().all(|x| *x < len));
        }
    }

    #[test]
    fn a_round_probes_each_live_member_once_and_rounds_differ() {
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let base: Vec<u64> = (0..50).collect();
        let mut view = MemberView::new(base.into(), 0);
        let dead = Member {
            state: MemberState::Dead,
            incarnation: 0,
            since: 0,
        };
        view.insert(10, dead);
        let alive = Member {
            state: MemberState::Alive,
            ..dead
        };
        view.insert(70, alive);
        let mut order = ProbeOrder::default();
        let mut round = |order: &mut ProbeOrder, calls: usize| {
            (0..calls)
                .map(|_| order.next(&view, &mut rng).unwrap())
                .filter(|id| view.is_live(*id))
                .collect::<Vec<u64>>()
        };
        let first = round(&mut order, 51);
        let want: BTreeSet<u64> = (1..50).filter(|i| *i != 10).chain([70]).collect();
        assert_eq!(first.iter().copied().collect::<BTreeSet<u64>>(), want);
        assert_eq!(first.len(), want.len());
        order.learned(99); // not live: drawn, then skipped
        let second = round(&mut order, 52);
        assert_ne!(first, second, "a fresh order every round");
        assert_eq!(second.len(), want.len());
    }
}

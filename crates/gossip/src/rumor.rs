//! Rumor mongering state (Demers et al.): the hot rumors a node is still spreading and how it
//! loses interest in them, by counter or by coin, on every contact (blind) or on useless ones
//! (feedback).

use std::collections::BTreeMap;

use rand_core::RngCore;

use crate::clock::Dot;
use crate::config::LossOfInterest;
use crate::rng;
use crate::store::Update;

#[derive(Clone, Debug)]
struct Hot {
    update: Update,
    contacts: u32,
}

/// The hot rumors of one node, by dot.
#[derive(Clone, Debug, Default)]
pub(crate) struct Rumors {
    hot: BTreeMap<Dot, Hot>,
}

impl Rumors {
    /// Starts spreading `update` (no-op if already hot).
    pub(crate) fn add(&mut self, update: Update) {
        self.hot.entry(update.version.dot).or_insert(Hot {
            update,
            contacts: 0,
        });
    }

    /// Number of hot rumors.
    pub(crate) fn len(&self) -> usize {
        self.hot.len()
    }

    /// The hot rumors in dot order within `budget` bytes (at least one).
    pub(crate) fn batch(&self, budget: usize) -> Vec<Update> {
        let mut out = Vec::new();
        let mut used = 0;
        for h in self.hot.values() {
            let size = h.update.size_bytes();
            if !out.is_empty() && used + size > budget {
                break;
            }
            used += size;
            out.push(h.update.clone());
        }
        out
    }

    /// Counts one contact (blind) or one useless contact (feedback) for each of `dots` still hot,
    /// dropping those the node loses interest in.
    pub(crate) fn contacted(
        &mut self,
        dots: &[Dot],
        loss: LossOfInterest,
        k: u32,
        rng: &mut impl RngCore,
    ) {
        for dot in dots {
            let Some(h) = self.hot.get_mut(dot) else {
                continue;
            };
            h.contacts += 1;
            let lose = match loss {
                LossOfInterest::Counter => h.contacts >= k,
                LossOfInterest::Coin => rng::below(rng, u64::from(k)) == 0,
            };
            if lose {
                self.hot.remove(dot);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{ConflictMode, Store};
    use rand_chacha::ChaCha8Rng;
    use rand_core::SeedableRng;

    fn update(store: &mut Store, key: &str) -> Update {
        store.write(0, key, Some(vec![1]))
    }

    #[test]
    fn counter_drops_a_rumor_after_exactly_k_contacts() {
        let mut s = Store::new(1, ConflictMode::Lww, None);
        let mut r = Rumors::default();
        let u = update(&mut s, "a");
        let dot = u.version.dot;
        r.add(u);
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for _ in 0..2 {
            r.contacted(&[dot], LossOfInterest::Counter, 3, &mut rng);
            assert_eq!(r.len(), 1);
        }
        r.contacted(&[dot], LossOfInterest::Counter, 3, &mut rng);
        assert_eq!(r.len(), 0);
    }

    #[test]
    fn coin_drops_with_probability_one_over_k() {
        let mut s = Store::new(1, ConflictMode::Lww, None);
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let mut total = 0u32;
        let runs = 400;
        for i in 0..runs {
            let mut r = Rumors::default();
            let u = update(&mut s, &format!("k{i}"));
            let dot = u.version.dot;
            r.add(u);
            while r.len() == 1 {
                r.contacted(&[dot], LossOfInterest::Coin, 4, &mut rng);
                total += 1;
            }
        }
        let mean = f64::from(total) / f64::from(runs);
        assert!(
            (3.4..4.6).contains(&mean),
            "mean contacts {mean}, expected about k = 4"
        );
    }

    #[test]
    fn batch_respects_the_budget_but_always_carries_one() {
        let mut s = Store::new(1, ConflictMode::Lww, None);
        let mut r = Rumors::default();
        for i in 0..5 {
            r.add(update(&mut s, &format!("k{i}")));
        }
        let one = r.batch(usize::MAX)[0].size_bytes();
        assert_eq!(r.batch(usize::MAX).len(), 5);
        assert_eq!(r.batch(2 * one).len(), 2);
        assert_eq!(r.batch(1).len(), 1);
    }
}

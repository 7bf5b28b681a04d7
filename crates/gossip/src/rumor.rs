//! Rumor mongering state (Demers et al.): the hot rumors a node is still spreading and how it
//! loses interest in them, by counter or by coin, on every contact (blind) or on useless ones
//! (feedback). With feedback, the counter counts *consecutive* useless contacts: a useful one
//! resets it, so a node stops only after `k` unnecessary contacts in a row (Demers et al.'s
//! bound: every unnecessary message comes from a site that sent a necessary one, or learned the
//! update, within its last `k` contacts).

use std::collections::BTreeMap;

use rand_core::RngCore;

use crate::clock::Dot;
use crate::config::LossOfInterest;
use crate::rng;
use crate::store::Update;

#[derive(Clone, Debug)]
struct Hot {
    update: Update,
    /// Contacts counted towards loss of interest (all with blind, useless in a row with feedback).
    contacts: u32,
    /// The node's round in which it learned the rumor.
    learned_in: u64,
}

/// The hot rumors of one node, by dot.
#[derive(Clone, Debug, Default)]
pub(crate) struct Rumors {
    hot: BTreeMap<Dot, Hot>,
}

impl Rumors {
    /// Starts spreading `update`, learned in round `round` (no-op if already hot).
    pub(crate) fn add(&mut self, update: Update, round: u64) {
        self.hot.entry(update.version.dot).or_insert(Hot {
            update,
            contacts: 0,
            learned_in: round,
        });
    }

    /// True if `dot` is hot and was learned in round `round`: a second sender telling it in the
    /// same round made a useful contact too, as in Demers et al.'s cycles, where a contact is
    /// useful if the recipient did not know the update when the cycle began.
    pub(crate) fn learned_in(&self, dot: &Dot, round: u64) -> bool {
        self.hot.get(dot).is_some_and(|h| h.learned_in == round)
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

    /// A useful contact (feedback) for each of `dots` still hot: the counter starts again.
    pub(crate) fn useful(&mut self, dots: &[Dot]) {
        for dot in dots {
            if let Some(h) = self.hot.get_mut(dot) {
                h.contacts = 0;
            }
        }
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
        r.add(u, 0);
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for _ in 0..2 {
            r.contacted(&[dot], LossOfInterest::Counter, 3, &mut rng);
            assert_eq!(r.len(), 1);
        }
        r.contacted(&[dot], LossOfInterest::Counter, 3, &mut rng);
        assert_eq!(r.len(), 0);
    }

    #[test]
    fn a_useful_contact_resets_the_counter() {
        let mut s = Store::new(1, ConflictMode::Lww, None);
        let mut r = Rumors::default();
        let u = update(&mut s, "a");
        let dot = u.version.dot;
        r.add(u, 0);
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        r.contacted(&[dot], LossOfInterest::Counter, 2, &mut rng);
        r.useful(&[dot]);
        r.contacted(&[dot], LossOfInterest::Counter, 2, &mut rng);
        assert_eq!(
            r.len(),
            1,
            "one useless contact since the useful one, k = 2"
        );
        r.contacted(&[dot], LossOfInterest::Counter, 2, &mut rng);
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
            r.add(u, 0);
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
            r.add(update(&mut s, &format!("k{i}")), 0);
        }
        let one = r.batch(usize::MAX)[0].size_bytes();
        assert_eq!(r.batch(usize::MAX).len(), 5);
        assert_eq!(r.batch(2 * one).len(), 2);
        assert_eq!(r.batch(1).len(), 1);
    }
}

//! Which timers are pending (set, and neither fired nor cancelled): a sliding bitset over timer
//! ids.
//!
//! Timer ids are handed out in increasing order, so the pending ones lie between the oldest
//! pending id and the newest id. One bit per id in that window makes the check at every timer
//! event a read of a small, dense array instead of a probe of a hash set per node.

use std::collections::VecDeque;

/// Pending timer ids.
#[derive(Debug, Default)]
pub(crate) struct PendingTimers {
    /// Id of the first bit of `words[0]` (a multiple of 64).
    base: u64,
    words: VecDeque<u64>,
    pending: usize,
}

impl PendingTimers {
    /// Marks `id` pending. Ids must come in increasing order.
    pub(crate) fn insert(&mut self, id: u64) {
        if self.pending == 0 {
            self.words.clear();
            self.base = id & !63;
        }
        debug_assert!(id >= self.base, "timer ids are increasing");
        let word = ((id - self.base) / 64) as usize;
        if word >= self.words.len() {
            self.words.resize(word + 1, 0);
        }
        let bit = 1 << (id % 64);
        if self.words[word] & bit == 0 {
            self.words[word] |= bit;
            self.pending += 1;
        }
    }

    /// Unmarks `id` (it fired or was cancelled); true if it was pending.
    pub(crate) fn remove(&mut self, id: u64) -> bool {
        let Some(offset) = id.checked_sub(self.base) else {
            return false;
        };
        let Some(word) = self.words.get_mut((offset / 64) as usize) else {
            return false;
        };
        let bit = 1 << (id % 64);
        if *word & bit == 0 {
            return false;
        }
        *word &= !bit;
        self.pending -= 1;
        // Words before the last can gain no new id: drop them once empty.
        while self.words.len() > 1 && self.words.front() == Some(&0) {
            self.words.pop_front();
            self.base += 64;
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    proptest! {
        /// Agrees with a plain set under any interleaving of increasing inserts and removals.
        #[test]
        fn behaves_as_a_set(ops in prop::collection::vec((any::<bool>(), 0u64..300), 1..300)) {
            let mut timers = PendingTimers::default();
            let mut reference = BTreeSet::new();
            let mut next = 0;
            for (insert, n) in ops {
                if insert {
                    next += n / 10;
                    timers.insert(next);
                    reference.insert(next);
                    next += 1;
                } else {
                    let id = n.min(next + 5);
                    prop_assert_eq!(timers.remove(id), reference.remove(&id));
                }
            }
            for id in 0..next + 70 {
                prop_assert_eq!(timers.remove(id), reference.remove(&id));
            }
        }
    }
}

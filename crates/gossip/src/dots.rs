//! The causal context: the set of write dots whose effect a replica already reflects, kept compact
//! as a contiguous prefix per origin plus the few dots beyond it (Scuttlebutt-style summary).

use std::collections::BTreeSet;

use crate::clock::Dot;
use crate::hash::Hasher64;

/// Dots of one origin: every seq in `1..=base`, plus `extra` (all above `base + 1`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
struct OriginDots {
    base: u64,
    extra: BTreeSet<u64>,
}

impl OriginDots {
    fn contains(&self, seq: u64) -> bool {
        seq <= self.base || self.extra.contains(&seq)
    }

    fn insert(&mut self, seq: u64) {
        if seq == self.base + 1 {
            // The usual case (dots in order): no extra is stored, so none is allocated.
            self.base = seq;
            self.compact();
        } else if seq > self.base {
            self.extra.insert(seq);
            self.compact();
        }
    }

    /// Folds extras that became contiguous into `base` and drops the covered ones. Once none is
    /// left, the set's node is freed (an emptied `BTreeSet` keeps it: ~100 bytes per origin).
    fn compact(&mut self) {
        if self.extra.is_empty() {
            return;
        }
        while let Some(&first) = self.extra.first() {
            if first <= self.base + 1 {
                self.base = self.base.max(first);
                self.extra.pop_first();
            } else {
                break;
            }
        }
        if self.extra.is_empty() {
            self.extra = BTreeSet::new();
        }
    }

    fn max(&self) -> u64 {
        self.extra.last().copied().unwrap_or(self.base)
    }
}

/// A set of dots, compact when dots arrive in order (one integer per origin).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct DotSet {
    /// Sorted by origin; a vector rather than a tree so a one-origin set costs one small allocation.
    origins: Vec<(u64, OriginDots)>,
}

impl DotSet {
    /// The empty set.
    pub fn new() -> Self {
        Self::default()
    }

    fn get(&self, origin: u64) -> Option<&OriginDots> {
        let i = self.origins.binary_search_by_key(&origin, |e| e.0).ok()?;
        Some(&self.origins[i].1)
    }

    fn entry(&mut self, origin: u64) -> &mut OriginDots {
        let i = match self.origins.binary_search_by_key(&origin, |e| e.0) {
            Ok(i) => i,
            Err(i) => {
                self.origins.reserve_exact(1);
                self.origins.insert(i, (origin, OriginDots::default()));
                i
            }
        };
        &mut self.origins[i].1
    }

    /// Whether `dot` is in the set.
    pub fn contains(&self, dot: Dot) -> bool {
        dot.seq == 0 || self.get(dot.origin).is_some_and(|o| o.contains(dot.seq))
    }

    /// Adds one dot.
    pub fn insert(&mut self, dot: Dot) {
        if dot.seq > 0 {
            self.entry(dot.origin).insert(dot.seq);
        }
    }

    /// Adds every dot of `other`.
    pub fn union(&mut self, other: &DotSet) {
        for (origin, theirs) in &other.origins {
            let mine = self.entry(*origin);
            mine.base = mine.base.max(theirs.base);
            mine.extra.extend(theirs.extra.iter().copied());
            mine.compact();
        }
    }

    /// The highest seq of `origin` in the set (0 if none).
    pub fn max_seq(&self, origin: u64) -> u64 {
        self.get(origin).map_or(0, OriginDots::max)
    }

    /// Number of origins with at least one dot.
    pub fn origins(&self) -> usize {
        self.origins.len()
    }

    /// A fingerprint of the set: equal sets give equal fingerprints. A delta names the
    /// fingerprint of the context it was computed against, so its receiver can tell whether
    /// the context it holds now is that one.
    pub fn fingerprint(&self) -> u64 {
        let mut h = Hasher64::new();
        for (origin, dots) in &self.origins {
            h.u64(*origin).u64(dots.base).u64(dots.extra.len() as u64);
            for seq in &dots.extra {
                h.u64(*seq);
            }
        }
        h.finish()
    }

    /// Estimated encoded size: per origin its id, base and extras.
    pub fn size_bytes(&self) -> usize {
        4 + self
            .origins
            .iter()
            .map(|(_, o)| 20 + 8 * o.extra.len())
            .sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(origin: u64, seq: u64) -> Dot {
        Dot { origin, seq }
    }

    #[test]
    fn out_of_order_dots_compact_once_the_gap_fills() {
        let mut s = DotSet::new();
        s.insert(d(1, 3));
        s.insert(d(1, 1));
        assert!(s.contains(d(1, 3)) && s.contains(d(1, 1)) && !s.contains(d(1, 2)));
        let gappy = s.size_bytes();
        s.insert(d(1, 2));
        assert!(s.contains(d(1, 2)));
        assert!(s.size_bytes() < gappy);
        assert_eq!(s.max_seq(1), 3);
        assert_eq!(s.max_seq(2), 0);
    }

    #[test]
    fn union_contains_both_sides() {
        let mut a = DotSet::new();
        a.insert(d(1, 1));
        a.insert(d(2, 4));
        let mut b = DotSet::new();
        b.insert(d(1, 1));
        b.insert(d(1, 2));
        b.insert(d(3, 1));
        a.union(&b);
        for dot in [d(1, 1), d(1, 2), d(2, 4), d(3, 1)] {
            assert!(a.contains(dot));
        }
        assert!(!a.contains(d(2, 3)));
        assert_eq!(a.origins(), 3);
    }
}

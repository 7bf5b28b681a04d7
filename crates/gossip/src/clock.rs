//! Vector clocks and dots (the identity of one write).

/// The identity of one write: the node that made it and that node's write counter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Dot {
    /// The node that made the write.
    pub origin: u64,
    /// The origin's write counter at that write (1, 2, ...), shared by all keys.
    pub seq: u64,
}

/// How two clocks relate causally.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Causality {
    /// The same history.
    Equal,
    /// The left clock happened before the right one.
    Before,
    /// The left clock happened after the right one.
    After,
    /// Neither saw the other: concurrent writes.
    Concurrent,
}

/// A vector clock: per node, the highest counter of that node's writes that this version has seen.
/// Stored sparse (zero entries omitted) and sorted by node id, so equal clocks are equal values.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct VectorClock {
    entries: Vec<(u64, u64)>,
}

impl VectorClock {
    /// The empty clock (seen nothing).
    pub fn new() -> Self {
        Self::default()
    }

    /// The counter recorded for `node` (0 when absent).
    pub fn get(&self, node: u64) -> u64 {
        match self.entries.binary_search_by_key(&node, |e| e.0) {
            Ok(i) => self.entries[i].1,
            Err(_) => 0,
        }
    }

    /// Records that the write `dot` has been seen.
    pub fn observe(&mut self, dot: Dot) {
        if dot.seq == 0 {
            return;
        }
        match self.entries.binary_search_by_key(&dot.origin, |e| e.0) {
            Ok(i) => self.entries[i].1 = self.entries[i].1.max(dot.seq),
            Err(i) => self.entries.insert(i, (dot.origin, dot.seq)),
        }
    }

    /// Pointwise maximum with `other` (the least clock that has seen both).
    pub fn merge(&mut self, other: &VectorClock) {
        let mut out = Vec::with_capacity(self.entries.len().max(other.entries.len()));
        let (mut i, mut j) = (0, 0);
        let (a, b) = (&self.entries, &other.entries);
        while i < a.len() || j < b.len() {
            if j == b.len() || (i < a.len() && a[i].0 < b[j].0) {
                out.push(a[i]);
                i += 1;
            } else if i == a.len() || b[j].0 < a[i].0 {
                out.push(b[j]);
                j += 1;
            } else {
                out.push((a[i].0, a[i].1.max(b[j].1)));
                i += 1;
                j += 1;
            }
        }
        self.entries = out;
    }

    /// The causal relation of `self` to `other`.
    pub fn compare(&self, other: &VectorClock) -> Causality {
        let (mut greater, mut less) = (false, false);
        let (mut i, mut j) = (0, 0);
        let (a, b) = (&self.entries, &other.entries);
        while i < a.len() || j < b.len() {
            if j == b.len() || (i < a.len() && a[i].0 < b[j].0) {
                greater = true;
                i += 1;
            } else if i == a.len() || b[j].0 < a[i].0 {
                less = true;
                j += 1;
            } else {
                greater |= a[i].1 > b[j].1;
                less |= a[i].1 < b[j].1;
                i += 1;
                j += 1;
            }
        }
        match (greater, less) {
            (false, false) => Causality::Equal,
            (true, false) => Causality::After,
            (false, true) => Causality::Before,
            (true, true) => Causality::Concurrent,
        }
    }

    /// True when `self` has seen everything `other` has (`self >= other`).
    pub fn descends(&self, other: &VectorClock) -> bool {
        matches!(self.compare(other), Causality::Equal | Causality::After)
    }

    /// The non-zero entries as `(node, counter)`, sorted by node.
    pub fn entries(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.entries.iter().copied()
    }

    /// Number of non-zero entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True for the empty clock.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Estimated encoded size: a length and 16 bytes per entry.
    pub fn size_bytes(&self) -> usize {
        4 + 16 * self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vc(pairs: &[(u64, u64)]) -> VectorClock {
        let mut c = VectorClock::new();
        for &(origin, seq) in pairs {
            c.observe(Dot { origin, seq });
        }
        c
    }

    #[test]
    fn compare_covers_all_four_relations() {
        let a = vc(&[(1, 2), (2, 1)]);
        assert_eq!(a.compare(&a.clone()), Causality::Equal);
        assert_eq!(vc(&[(1, 1)]).compare(&a), Causality::Before);
        assert_eq!(a.compare(&vc(&[(1, 1)])), Causality::After);
        assert_eq!(a.compare(&vc(&[(3, 1)])), Causality::Concurrent);
        assert_eq!(vc(&[(1, 3)]).compare(&a), Causality::Concurrent);
    }

    #[test]
    fn merge_is_the_pointwise_max() {
        let mut a = vc(&[(1, 2), (3, 1)]);
        a.merge(&vc(&[(1, 1), (2, 5)]));
        assert_eq!(
            a.entries().collect::<Vec<_>>(),
            vec![(1, 2), (2, 5), (3, 1)]
        );
        assert!(a.descends(&vc(&[(2, 5)])));
        assert!(!vc(&[(2, 5)]).descends(&a));
        assert_eq!(a.get(7), 0);
    }
}

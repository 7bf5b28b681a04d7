//! A SWIM node's membership view as a base list shared by every node that started from it (the
//! members at the start, alive at incarnation 0) and this node's own differences from it: members
//! whose state changed, members forgotten, members learned since. A node's memory grows with what
//! it has seen change, not with the cluster's size, so a run of n members costs O(n) in total
//! rather than n^2 (every node holding every other one).
//!
//! The live members (alive or suspect, this node excluded) form a sorted sequence read by rank
//! ([`MemberView::live_at`]) in O(log^2 d) for d differences, so peer sampling draws exactly as it
//! would from a sorted vector of them.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::swim::{Member, MemberState};

/// Every base member's state until it changes.
const AT_START: Member = Member {
    state: MemberState::Alive,
    incarnation: 0,
    since: 0,
};

/// A sequence of ids read by position: the pools peers and helpers are sampled from.
pub(crate) trait Pool {
    /// Number of ids.
    fn size(&self) -> usize;
    /// The id at position `i < size()`.
    fn at(&self, i: usize) -> u64;
}

impl Pool for [u64] {
    fn size(&self) -> usize {
        self.len()
    }

    fn at(&self, i: usize) -> u64 {
        self[i]
    }
}

/// One SWIM node's view of the membership (itself excluded).
#[derive(Clone, Debug)]
pub struct MemberView {
    /// The members at the start, sorted and distinct, shared between nodes.
    base: Arc<[u64]>,
    /// Differences from the base: for a base id, its changed state or `None` once forgotten (or
    /// for this node itself); for any other id, its state.
    diff: BTreeMap<u64, Option<Member>>,
    /// Positions in `base` of ids that are not live in this view, ascending.
    hidden: Vec<usize>,
    /// Live ids outside the base, ascending.
    extra: Vec<u64>,
    /// Members known.
    len: usize,
}

impl MemberView {
    /// The view of node `me` at the start: every id of `base` (sorted and distinct) but `me`.
    pub(crate) fn new(base: Arc<[u64]>, me: u64) -> Self {
        debug_assert!(base.windows(2).all(|w| w[0] < w[1]));
        let mut view = Self {
            len: base.len(),
            base,
            diff: BTreeMap::new(),
            hidden: Vec::new(),
            extra: Vec::new(),
        };
        view.remove(me);
        view
    }

    fn base_index(&self, id: u64) -> Option<usize> {
        self.base.binary_search(&id).ok()
    }

    /// The member `id`, if known.
    pub fn get(&self, id: &u64) -> Option<&Member> {
        match self.diff.get(id) {
            Some(entry) => entry.as_ref(),
            None => self.base_index(*id).map(|_| &AT_START),
        }
    }

    /// Number of members known (this node excluded).
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when this node knows no other member.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Every known member by ascending id.
    pub fn iter(&self) -> impl Iterator<Item = (u64, &Member)> + '_ {
        let mut diff = self.diff.iter().peekable();
        let mut base = self.base.iter().copied().peekable();
        std::iter::from_fn(move || loop {
            let next_diff = diff.peek().map(|(id, _)| **id);
            match (base.peek().copied(), next_diff) {
                (b, Some(d)) if b.is_none_or(|b| d <= b) => {
                    if b == Some(d) {
                        base.next();
                    }
                    if let Some((_, Some(m))) = diff.next() {
                        return Some((d, m));
                    }
                }
                (Some(b), _) => {
                    base.next();
                    return Some((b, &AT_START));
                }
                (None, _) => return None,
            }
        })
    }

    /// The members whose state differs from their start (every member outside the base), by
    /// ascending id: every member that is not alive at incarnation 0 is among them.
    pub fn changed(&self) -> impl Iterator<Item = (u64, &Member)> + '_ {
        self.diff
            .iter()
            .filter_map(|(id, m)| m.as_ref().map(|m| (*id, m)))
    }

    /// The members at the start, shared by every node built from the same list.
    pub fn base(&self) -> &Arc<[u64]> {
        &self.base
    }

    /// The ids of the base that this view does not hold live (this node among them when it is in
    /// the base), ascending.
    pub fn hidden(&self) -> impl Iterator<Item = u64> + '_ {
        self.hidden.iter().map(|i| self.base[*i])
    }

    /// The live members outside the base, ascending.
    pub fn extra(&self) -> &[u64] {
        &self.extra
    }

    /// Sets member `id` to `m`, returning its previous state.
    pub(crate) fn insert(&mut self, id: u64, m: Member) -> Option<Member> {
        let old = self.get(&id).copied();
        match self.base_index(id) {
            Some(_) if m == AT_START => self.diff.remove(&id),
            _ => self.diff.insert(id, Some(m)),
        };
        self.len += usize::from(old.is_none());
        self.set_live(id, is_live(m.state));
        old
    }

    /// Forgets member `id`, returning its state.
    pub(crate) fn remove(&mut self, id: u64) -> Option<Member> {
        let old = self.get(&id).copied();
        match self.base_index(id) {
            Some(_) => self.diff.insert(id, None),
            None => self.diff.remove(&id),
        };
        self.len -= usize::from(old.is_some());
        self.set_live(id, false);
        old
    }

    fn set_live(&mut self, id: u64, live: bool) {
        match self.base_index(id) {
            Some(at) => match (self.hidden.binary_search(&at), live) {
                (Ok(i), true) => {
                    self.hidden.remove(i);
                }
                (Err(i), false) => self.hidden.insert(i, at),
                _ => {}
            },
            None => match (self.extra.binary_search(&id), live) {
                (Err(i), true) => self.extra.insert(i, id),
                (Ok(i), false) => {
                    self.extra.remove(i);
                }
                _ => {}
            },
        }
    }

    /// Number of live members (alive or suspect).
    pub fn live_len(&self) -> usize {
        self.base.len() - self.hidden.len() + self.extra.len()
    }

    /// Whether `id` is a live member of this view.
    pub fn is_live(&self, id: u64) -> bool {
        self.get(&id).is_some_and(|m| is_live(m.state))
    }

    /// The `r`-th live member of the base (0-based, `r < base.len() - hidden.len()`): the base
    /// position `r + t`, where `t` hidden positions come before it.
    fn live_base_at(&self, r: usize) -> u64 {
        // hidden[k] - k (live base ids before hidden[k]) grows with k.
        let (mut lo, mut hi) = (0, self.hidden.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            if self.hidden[mid] - mid <= r {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        self.base[r + lo]
    }

    /// The `i`-th live member in ascending id order (`i < live_len()`): the `i`-th of the merge
    /// of the live base and the live extras, found by how many extras come first.
    pub fn live_at(&self, i: usize) -> u64 {
        let from_base = self.base.len() - self.hidden.len();
        if self.extra.is_empty() {
            return self.live_base_at(i);
        }
        // The largest t such that the first t extras are among the i + 1 smallest.
        let takes = |t: usize| {
            t == 0 || i + 1 - t >= from_base || self.extra[t - 1] < self.live_base_at(i + 1 - t)
        };
        let (mut lo, mut hi) = (
            (i + 1).saturating_sub(from_base),
            (i + 1).min(self.extra.len()),
        );
        while lo < hi {
            let mid = (lo + hi).div_ceil(2);
            if takes(mid) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        let last_extra = lo.checked_sub(1).map(|t| self.extra[t]);
        let last_base = (i + 1 - lo).checked_sub(1).map(|r| self.live_base_at(r));
        last_extra.max(last_base).expect("i < live_len()")
    }

    /// The number of live members below `id`.
    pub fn live_rank(&self, id: u64) -> usize {
        let base = self.base.partition_point(|b| *b < id);
        let hidden = self.hidden.partition_point(|h| *h < base);
        let extra = self.extra.partition_point(|e| *e < id);
        base - hidden + extra
    }
}

impl std::ops::Index<&u64> for MemberView {
    type Output = Member;

    /// The member `id`; panics if unknown (use [`MemberView::get`] otherwise).
    fn index(&self, id: &u64) -> &Member {
        self.get(id).expect("a known member")
    }
}

/// Whether views hold every member of a set live, checked view after view in O(differences)
/// each: a base member is live unless hidden, and the set's ids outside a base (found once per
/// distinct base) must be live extras.
#[derive(Debug)]
pub struct WholeCheck {
    ids: Vec<u64>,
    /// The last base met and the ids of the set outside it.
    outside: Option<(Arc<[u64]>, Vec<u64>)>,
}

impl WholeCheck {
    /// A check against the members `ids`, sorted ascending.
    pub fn new(ids: Vec<u64>) -> Self {
        Self { ids, outside: None }
    }

    /// True when `view`, the view of node `me`, holds every id of the set but `me` live.
    pub fn holds(&mut self, view: &MemberView, me: u64) -> bool {
        let ids = &self.ids;
        if view
            .hidden()
            .any(|h| h != me && ids.binary_search(&h).is_ok())
        {
            return false;
        }
        let outside = match &self.outside {
            Some((base, outside)) if Arc::ptr_eq(base, view.base()) => outside,
            _ => {
                let outside = ids
                    .iter()
                    .copied()
                    .filter(|id| view.base().binary_search(id).is_err())
                    .collect();
                &self.outside.insert((view.base().clone(), outside)).1
            }
        };
        outside
            .iter()
            .all(|id| *id == me || view.extra().binary_search(id).is_ok())
    }
}

/// The live members of a view as a pool, read by rank.
pub(crate) struct Live<'a>(pub(crate) &'a MemberView);

impl Pool for Live<'_> {
    fn size(&self) -> usize {
        self.0.live_len()
    }

    fn at(&self, i: usize) -> u64 {
        self.0.live_at(i)
    }
}

/// The live members of a view but one of them.
pub(crate) struct LiveBut<'a> {
    view: &'a MemberView,
    /// The rank of the member left out, if live.
    skip: Option<usize>,
}

impl<'a> LiveBut<'a> {
    /// The live members of `view` without `id`.
    pub(crate) fn new(view: &'a MemberView, id: u64) -> Self {
        let skip = view.is_live(id).then(|| view.live_rank(id));
        Self { view, skip }
    }
}

impl Pool for LiveBut<'_> {
    fn size(&self) -> usize {
        self.view.live_len() - usize::from(self.skip.is_some())
    }

    fn at(&self, i: usize) -> u64 {
        match self.skip {
            Some(s) if i >= s => self.view.live_at(i + 1),
            _ => self.view.live_at(i),
        }
    }
}

/// Alive and suspect members are live: probed and gossiped to.
pub(crate) fn is_live(state: MemberState) -> bool {
    matches!(state, MemberState::Alive | MemberState::Suspect)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn member(state: MemberState, incarnation: u64) -> Member {
        Member {
            state,
            incarnation,
            since: 0,
        }
    }

    fn state() -> impl Strategy<Value = Option<MemberState>> {
        prop_oneof![
            Just(None),
            Just(Some(MemberState::Alive)),
            Just(Some(MemberState::Suspect)),
            Just(Some(MemberState::Dead)),
            Just(Some(MemberState::Left))
        ]
    }

    proptest! {
        /// Against a plain map: lookups, order, length and live ranks agree after any changes.
        #[test]
        fn matches_a_plain_map(
            base in prop::collection::btree_set(0u64..40, 0..20),
            me in 0u64..40,
            ops in prop::collection::vec((0u64..40, state(), 0u64..2), 0..40),
        ) {
            let base: Vec<u64> = base.into_iter().collect();
            let mut view = MemberView::new(base.clone().into(), me);
            let mut plain: BTreeMap<u64, Member> =
                base.iter().filter(|b| **b != me).map(|b| (*b, AT_START)).collect();
            for (id, state, incarnation) in ops {
                let (got, want) = match state {
                    Some(s) => (view.insert(id, member(s, incarnation)), plain.insert(id, member(s, incarnation))),
                    None => (view.remove(id), plain.remove(&id)),
                };
                prop_assert_eq!(got, want);
            }
            let listed: Vec<(u64, Member)> = view.iter().map(|(id, m)| (id, *m)).collect();
            let expected: Vec<(u64, Member)> = plain.iter().map(|(id, m)| (*id, *m)).collect();
            prop_assert_eq!(listed, expected);
            prop_assert_eq!(view.len(), plain.len());
            let live: Vec<u64> = plain.iter().filter(|(_, m)| is_live(m.state)).map(|(id, _)| *id).collect();
            prop_assert_eq!(view.live_len(), live.len());
            for (i, id) in live.iter().enumerate() {
                prop_assert_eq!(view.live_at(i), *id);
                prop_assert_eq!(view.live_rank(*id), i);
            }
            let set: Vec<u64> = (0..40).filter(|i| i % 3 != 0).collect();
            let whole = set.iter().all(|id| *id == me || view.is_live(*id));
            prop_assert_eq!(WholeCheck::new(set).holds(&view, me), whole);
            for id in 0..40 {
                prop_assert_eq!(view.get(&id), plain.get(&id));
                let but = LiveBut::new(&view, id);
                let rest: Vec<u64> = live.iter().copied().filter(|l| *l != id).collect();
                let read: Vec<u64> = (0..but.size()).map(|i| but.at(i)).collect();
                prop_assert_eq!(read, rest);
            }
        }
    }

    #[test]
    fn an_unchanged_member_costs_nothing() {
        let base: Arc<[u64]> = (0..1000).collect::<Vec<u64>>().into();
        let mut view = MemberView::new(base, 7);
        assert_eq!(view.diff.len(), 1, "only this node itself");
        view.insert(3, member(MemberState::Suspect, 0));
        view.insert(3, AT_START);
        assert_eq!(view.diff.len(), 1, "back to the start: no difference kept");
        assert_eq!(view.len(), 999);
    }
}

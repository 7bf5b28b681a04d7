//! The in-memory Raft log: a compacted prefix (the snapshot point) followed by entries.
//! It also answers "which configuration is in force", which is always the latest one in the log.

use crate::types::{Entry, EntryKind, Membership, SnapshotMeta};

/// Entries after a snapshot point. `entries[i].index == snapshot.index + 1 + i`.
#[derive(Clone, Debug, Default)]
pub(crate) struct RaftLog {
    snapshot: SnapshotMeta,
    entries: Vec<Entry>,
    /// Indexes of the configuration entries among `entries`, ascending.
    config_indexes: Vec<u64>,
}

impl RaftLog {
    /// A log that starts right after `snapshot` and holds `entries`, if they are contiguous
    /// from `snapshot.index + 1` with non-decreasing terms not below the snapshot's.
    pub(crate) fn restore(snapshot: SnapshotMeta, entries: Vec<Entry>) -> Option<Self> {
        let mut prev_term = snapshot.term;
        for (i, e) in entries.iter().enumerate() {
            if e.index != snapshot.index + 1 + i as u64 || e.term < prev_term {
                return None;
            }
            prev_term = e.term;
        }
        let config_indexes = entries
            .iter()
            .filter(|e| matches!(e.kind, EntryKind::Config(_)))
            .map(|e| e.index)
            .collect();
        Some(RaftLog {
            snapshot,
            entries,
            config_indexes,
        })
    }

    /// Index of the first entry still held (one past the snapshot point).
    pub(crate) fn first_index(&self) -> u64 {
        self.snapshot.index + 1
    }

    /// Index of the last entry (the snapshot point if no entries follow it).
    pub(crate) fn last_index(&self) -> u64 {
        self.snapshot.index + self.entries.len() as u64
    }

    /// Term of the last entry.
    pub(crate) fn last_term(&self) -> u64 {
        self.entries.last().map_or(self.snapshot.term, |e| e.term)
    }

    /// The snapshot point.
    pub(crate) fn snapshot_meta(&self) -> &SnapshotMeta {
        &self.snapshot
    }

    /// Term of the entry at `index`, known for the snapshot point and held entries.
    pub(crate) fn term_at(&self, index: u64) -> Option<u64> {
        if index == self.snapshot.index {
            Some(self.snapshot.term)
        } else {
            self.entry(index).map(|e| e.term)
        }
    }

    /// The entry at `index`, if held.
    pub(crate) fn entry(&self, index: u64) -> Option<&Entry> {
        if index <= self.snapshot.index {
            return None;
        }
        self.entries.get((index - self.snapshot.index - 1) as usize)
    }

    /// Held entries in `[lo, hi]`, at most `max` of them and, beyond the first, at most
    /// `max_bytes` in total.
    pub(crate) fn slice(&self, lo: u64, hi: u64, max: usize, max_bytes: u64) -> Vec<Entry> {
        let mut i = lo.max(self.first_index());
        let held = (hi.min(self.last_index()) + 1).saturating_sub(i);
        let mut out = Vec::with_capacity(usize::try_from(held).unwrap_or(max).min(max));
        let mut bytes = 0;
        while i <= hi && out.len() < max {
            let Some(e) = self.entry(i) else { break };
            bytes += e.approx_size();
            if !out.is_empty() && bytes > max_bytes {
                break;
            }
            out.push(e.clone());
            i += 1;
        }
        out
    }

    /// Appends the held entries with indexes in `lo..=hi` to `out`.
    pub(crate) fn extend_range(&self, lo: u64, hi: u64, out: &mut Vec<Entry>) {
        let first = self.first_index();
        let start = lo.max(first) - first;
        let end = (hi.min(self.last_index()) + 1).saturating_sub(first);
        if let Some(held) = self.entries.get(start as usize..end.max(start) as usize) {
            out.extend_from_slice(held);
        }
    }

    /// Appends one entry at `last_index() + 1` (the caller sets its index).
    pub(crate) fn push(&mut self, entry: Entry) {
        debug_assert_eq!(entry.index, self.last_index() + 1);
        if matches!(entry.kind, EntryKind::Config(_)) {
            self.config_indexes.push(entry.index);
        }
        self.entries.push(entry);
    }

    /// Drops every entry with index `>= index` (never the snapshot point).
    pub(crate) fn truncate_from(&mut self, index: u64) {
        let keep = index.max(self.first_index()) - self.first_index();
        self.entries.truncate(keep as usize);
        self.config_indexes.retain(|&i| i < index);
    }

    /// Index of the last entry of `term` at or below `upto`, if any is held.
    pub(crate) fn last_index_of_term(&self, term: u64, upto: u64) -> Option<u64> {
        let mut i = upto.min(self.last_index());
        loop {
            match self.term_at(i) {
                Some(t) if t == term => return Some(i),
                Some(t) if t > term && i > self.snapshot.index => i -= 1,
                _ => return None,
            }
        }
    }

    /// First index of the run of entries with the same term as `index` (scanning back).
    pub(crate) fn first_index_of_term_run(&self, index: u64) -> u64 {
        let Some(term) = self.term_at(index) else {
            return index;
        };
        let mut i = index;
        while i > self.first_index() && self.term_at(i - 1) == Some(term) {
            i -= 1;
        }
        i
    }

    /// Moves the snapshot point to `meta.index`: entries up to it are dropped, later ones kept
    /// when the log holds the snapshot's last entry (same index and term), otherwise all dropped.
    /// Returns true if later entries were kept.
    pub(crate) fn compact_to(&mut self, meta: SnapshotMeta) -> bool {
        let keep = self.term_at(meta.index) == Some(meta.term) && meta.index >= self.snapshot.index;
        if keep {
            let drop = (meta.index - self.snapshot.index) as usize;
            self.entries.drain(..drop);
        } else {
            self.entries.clear();
        }
        self.config_indexes.retain(|&i| keep && i > meta.index);
        self.snapshot = meta;
        keep
    }

    /// The configuration in force: the latest configuration entry, else the snapshot's.
    pub(crate) fn config(&self) -> &Membership {
        self.config_at(self.last_index()).1
    }

    /// Index of the entry that set the configuration in force (the snapshot point if none).
    pub(crate) fn config_index(&self) -> u64 {
        self.config_at(self.last_index()).0
    }

    /// The configuration in force as of `index` and the index that set it.
    pub(crate) fn config_at(&self, index: u64) -> (u64, &Membership) {
        let upto = index.min(self.last_index());
        let pos = self.config_indexes.partition_point(|&i| i <= upto);
        pos.checked_sub(1)
            .and_then(|p| self.entry(self.config_indexes[p]))
            .and_then(|e| match &e.kind {
                EntryKind::Config(m) => Some((e.index, m)),
                _ => None,
            })
            .unwrap_or((self.snapshot.index, &self.snapshot.config))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(index: u64, term: u64) -> Entry {
        Entry {
            term,
            index,
            kind: EntryKind::Noop,
        }
    }

    fn log(terms: &[u64]) -> RaftLog {
        let entries = terms
            .iter()
            .enumerate()
            .map(|(i, &t)| e(i as u64 + 1, t))
            .collect();
        RaftLog::restore(SnapshotMeta::default(), entries).unwrap()
    }

    #[test]
    fn indexes_and_terms() {
        let l = log(&[1, 1, 2, 3]);
        assert_eq!((l.first_index(), l.last_index(), l.last_term()), (1, 4, 3));
        assert_eq!(l.term_at(0), Some(0));
        assert_eq!(l.term_at(3), Some(2));
        assert_eq!(l.term_at(5), None);
        assert_eq!(l.last_index_of_term(1, 4), Some(2));
        assert_eq!(l.last_index_of_term(4, 4), None);
        assert_eq!(l.first_index_of_term_run(2), 1);
    }

    #[test]
    fn restore_rejects_gaps_and_falling_terms() {
        assert!(RaftLog::restore(SnapshotMeta::default(), vec![e(2, 1)]).is_none());
        assert!(RaftLog::restore(SnapshotMeta::default(), vec![e(1, 2), e(2, 1)]).is_none());
    }

    #[test]
    fn compaction_keeps_matching_suffix_only() {
        let mut l = log(&[1, 1, 2, 3]);
        let meta = SnapshotMeta {
            index: 2,
            term: 1,
            config: Membership::new([1]),
        };
        assert!(l.compact_to(meta));
        assert_eq!((l.first_index(), l.last_index()), (3, 4));
        assert_eq!(l.term_at(2), Some(1));
        assert_eq!(l.entry(2), None);
        assert_eq!(l.config(), &Membership::new([1]));
        let other = SnapshotMeta {
            index: 3,
            term: 9,
            config: Membership::new([1]),
        };
        assert!(!l.compact_to(other));
        assert_eq!(l.last_index(), 3);
    }

    #[test]
    fn latest_config_in_log_wins_and_truncation_reverts_it() {
        let mut l = log(&[1]);
        l.push(Entry {
            term: 1,
            index: 2,
            kind: EntryKind::Config(Membership::new([1, 2])),
        });
        l.push(e(3, 1));
        assert_eq!(l.config(), &Membership::new([1, 2]));
        assert_eq!(l.config_index(), 2);
        l.truncate_from(2);
        assert_eq!(l.config(), &Membership::default());
    }

    #[test]
    fn config_lookup_survives_compaction() {
        let mut l = log(&[1, 1]);
        let c2 = Membership::new([1, 2]);
        l.push(Entry {
            term: 1,
            index: 3,
            kind: EntryKind::Config(c2.clone()),
        });
        l.push(e(4, 1));
        assert_eq!(l.config_at(2), (0, &Membership::default()));
        assert_eq!(l.config_at(4), (3, &c2));
        let meta = |index| SnapshotMeta {
            index,
            term: 1,
            config: c2.clone(),
        };
        l.compact_to(meta(2));
        assert_eq!(l.config_index(), 3, "the entry still sets it");
        l.compact_to(meta(4));
        assert_eq!(l.config_index(), 4, "now the snapshot does");
        assert_eq!(l.config(), &c2);
    }

    #[test]
    fn slice_respects_count_and_bytes() {
        let l = log(&[1, 1, 1, 1]);
        assert_eq!(l.slice(2, 4, 2, u64::MAX).len(), 2);
        assert_eq!(l.slice(1, 4, 10, 1).len(), 1);
        let mut out = Vec::new();
        l.extend_range(3, u64::MAX, &mut out);
        assert_eq!(out.iter().map(|e| e.index).collect::<Vec<_>>(), [3, 4]);
        l.extend_range(2, 2, &mut out);
        l.extend_range(5, 9, &mut out);
        l.extend_range(0, 1, &mut out);
        assert_eq!(
            out.iter().map(|e| e.index).collect::<Vec<_>>(),
            [3, 4, 2, 1]
        );
    }
}

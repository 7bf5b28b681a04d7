//! Whether a committed entry is safe yet: no voter that lacks it could still win an election.
//!
//! A server wins with the votes of a quorum whose logs are no more up to date than its own
//! (§5.4.1), whatever the terms. Raft commits an entry only once every such quorum includes a
//! server holding it with a log newer than any server lacking it (§5.4.3), so in a correct Raft
//! this never finds anyone. Committing an entry of an earlier term by counting replicas (the
//! paper's Figure 8) does: a server holding an entry of a later term at that index can still win,
//! and would overwrite it.

use faultline_raft::{Membership, PersistentState};

/// The position of a durable log for the election restriction: (last term, last index).
fn up_to_date(state: &PersistentState) -> (u64, u64) {
    match state.entries.last() {
        Some(last) => (last.term, last.index),
        None => (state.snapshot.meta.term, state.snapshot.meta.index),
    }
}

/// True if the durable log holds the entry of `term` at `index` (a compacted index counts as
/// held: only committed entries are compacted).
fn holds(state: &PersistentState, index: u64, term: u64) -> bool {
    if index <= state.snapshot.meta.index {
        return true;
    }
    let first = state.snapshot.meta.index + 1;
    usize::try_from(index - first)
        .ok()
        .and_then(|i| state.entries.get(i))
        .is_some_and(|e| e.index == index && e.term == term)
}

/// True if a majority of `voters` answers yes.
fn majority(voters: &std::collections::BTreeSet<u64>, yes: impl Fn(u64) -> bool) -> bool {
    voters.iter().filter(|&&v| yes(v)).count() > voters.len() / 2
}

/// A voter of `config` whose durable log lacks the committed entry (`index`, `term`) yet is at
/// least as up to date as the logs of a quorum of `config` (both halves in joint consensus):
/// it could be elected and overwrite the entry. `logs[id - 1]` is the durable state of the
/// server of Raft id `id`; a server without one votes for nobody.
pub fn could_win_without(
    index: u64,
    term: u64,
    config: &Membership,
    logs: &[Option<&PersistentState>],
) -> Option<u64> {
    let log = |id: u64| {
        let i = usize::try_from(id.checked_sub(1)?).ok()?;
        logs.get(i).copied().flatten()
    };
    let candidates = config.voters.iter().chain(&config.outgoing);
    candidates.copied().find(|&candidate| {
        let Some(own) = log(candidate) else {
            return false;
        };
        if holds(own, index, term) {
            return false;
        }
        let votes_for = |voter: u64| log(voter).is_some_and(|v| up_to_date(own) >= up_to_date(v));
        majority(&config.voters, votes_for)
            && (config.outgoing.is_empty() || majority(&config.outgoing, votes_for))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use faultline_raft::{Entry, EntryKind};

    /// A log of entries with these terms at indexes 1, 2, ...
    fn log(terms: &[u64]) -> PersistentState {
        let mut state = PersistentState::bootstrap([1, 2, 3, 4, 5]);
        state.entries = terms
            .iter()
            .enumerate()
            .map(|(i, &term)| Entry {
                index: i as u64 + 1,
                term,
                kind: EntryKind::Noop,
            })
            .collect();
        state
    }

    /// The paper's Figure 8 (d): S1 has replicated its term-2 entry at index 2 to S2 and S3 and
    /// counts it committed; S5 holds a term-3 entry there and wins with S2, S3 and S4.
    #[test]
    fn figure_8_commit_by_counting_is_unsafe() {
        let logs = [
            log(&[1, 2, 4]),
            log(&[1, 2]),
            log(&[1, 2]),
            log(&[1]),
            log(&[1, 3]),
        ];
        let logs: Vec<Option<&PersistentState>> = logs.iter().map(Some).collect();
        let config = Membership::new([1, 2, 3, 4, 5]);
        assert_eq!(could_win_without(2, 2, &config, &logs), Some(5));
        // Figure 8 (e): once S1's term-4 entry is on a quorum, S5 can no longer win.
        let safe = [
            log(&[1, 2, 4]),
            log(&[1, 2, 4]),
            log(&[1, 2, 4]),
            log(&[1]),
            log(&[1, 3]),
        ];
        let safe: Vec<Option<&PersistentState>> = safe.iter().map(Some).collect();
        assert_eq!(could_win_without(3, 4, &config, &safe), None);
        assert_eq!(could_win_without(2, 2, &config, &safe), None);
    }

    #[test]
    fn a_lagging_voter_cannot_win_against_a_quorum_holding_the_entry() {
        let logs = [log(&[1, 1, 1]), log(&[1, 1, 1]), log(&[1])];
        let logs: Vec<Option<&PersistentState>> = logs.iter().map(Some).collect();
        let config = Membership::new([1, 2, 3]);
        assert_eq!(could_win_without(3, 1, &config, &logs), None);
        // A server whose durable state is unknown votes for nobody: the lagging voter has
        // only its own vote.
        let without_second = [logs[0], None, logs[2]];
        assert_eq!(could_win_without(3, 1, &config, &without_second), None);
    }
}

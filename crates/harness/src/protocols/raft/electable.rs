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

/// Whom a server may vote for, and whether it may campaign.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ballot {
    /// Any candidate whose log is at least as up to date as its own; it may campaign.
    Free,
    /// Fenced after damage to its storage: only a candidate whose log is also at least as up to
    /// date as this (last term, last index); it does not campaign.
    AtLeast((u64, u64)),
    /// Fenced and unable to tell its log's end or its vote: nobody; it does not campaign.
    Never,
}

/// A server as an elector: its durable log and its ballot.
#[derive(Clone, Copy, Debug)]
pub struct Elector<'a> {
    /// Its durable state.
    pub log: &'a PersistentState,
    /// Whom it may vote for.
    pub ballot: Ballot,
}

impl Elector<'_> {
    /// True if it would vote for a candidate whose log ends at `candidate`.
    fn votes_for(&self, candidate: (u64, u64)) -> bool {
        let own = up_to_date(self.log);
        match self.ballot {
            Ballot::Free => candidate >= own,
            Ballot::AtLeast(end) => candidate >= own.max(end),
            Ballot::Never => false,
        }
    }
}

/// The elector of Raft id `id` (`electors[id - 1]`), if it has one.
fn elector_of<'a>(electors: &[Option<Elector<'a>>], id: u64) -> Option<Elector<'a>> {
    let i = usize::try_from(id.checked_sub(1)?).ok()?;
    electors.get(i).copied().flatten()
}

/// True if a majority of `voters` answers yes.
fn majority(voters: &std::collections::BTreeSet<u64>, yes: impl Fn(u64) -> bool) -> bool {
    voters.iter().filter(|&&v| yes(v)).count() > voters.len() / 2
}

/// A voter of `config` whose durable log lacks the committed entry (`index`, `term`) yet is at
/// least as up to date as the logs of a quorum of `config` (both halves in joint consensus):
/// it could be elected and overwrite the entry. `electors[id - 1]` is the server of Raft id
/// `id`; a server without one votes for nobody. Only a server with a [`Ballot::Free`]
/// campaigns.
pub fn could_win_without(
    index: u64,
    term: u64,
    config: &Membership,
    electors: &[Option<Elector>],
) -> Option<u64> {
    let candidates = config.voters.iter().chain(&config.outgoing);
    candidates.copied().find(|&candidate| {
        let Some(own) = elector_of(electors, candidate).filter(|e| e.ballot == Ballot::Free) else {
            return false;
        };
        !holds(own.log, index, term) && wins_votes(own.log, config, electors)
    })
}

/// True if a candidate whose durable log is `log` gets the votes of a quorum of `config`
/// (both halves in joint consensus) from `electors` (indexed as in [`could_win_without`]).
pub fn wins_votes(
    log: &PersistentState,
    config: &Membership,
    electors: &[Option<Elector>],
) -> bool {
    let position = up_to_date(log);
    let votes_for = |voter: u64| elector_of(electors, voter).is_some_and(|v| v.votes_for(position));
    majority(&config.voters, votes_for)
        && (config.outgoing.is_empty() || majority(&config.outgoing, votes_for))
}

#[cfg(test)]
mod tests {
    use super::*;
    use faultline_raft::{Entry, EntryKind};

    /// Servers that vote freely, with these durable logs.
    fn free(logs: &[PersistentState]) -> Vec<Option<Elector<'_>>> {
        logs.iter()
            .map(|log| {
                Some(Elector {
                    log,
                    ballot: Ballot::Free,
                })
            })
            .collect()
    }

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
        let logs = free(&logs);
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
        let safe = free(&safe);
        assert_eq!(could_win_without(3, 4, &config, &safe), None);
        assert_eq!(could_win_without(2, 2, &config, &safe), None);
    }

    #[test]
    fn a_lagging_voter_cannot_win_against_a_quorum_holding_the_entry() {
        let logs = [log(&[1, 1, 1]), log(&[1, 1, 1]), log(&[1])];
        let logs = free(&logs);
        let config = Membership::new([1, 2, 3]);
        assert_eq!(could_win_without(3, 1, &config, &logs), None);
        // A server whose durable state is unknown votes for nobody: the lagging voter has
        // only its own vote.
        let without_second = [logs[0], None, logs[2]];
        assert_eq!(could_win_without(3, 1, &config, &without_second), None);
    }

    /// Whether a candidate gets a quorum's votes: in a two-voter configuration a fenced
    /// voter whose log went further refuses the other, which then cannot win; with a third
    /// voter it can.
    #[test]
    fn a_fenced_voter_blocks_only_a_configuration_it_is_half_of() {
        let logs = [log(&[1, 1, 1]), log(&[1]), log(&[1])];
        let mut electors = free(&logs);
        electors[0] = Some(Elector {
            log: &logs[0],
            ballot: Ballot::AtLeast((1, 3)),
        });
        let pair = Membership::new([1, 2]);
        assert!(!wins_votes(&logs[1], &pair, &electors));
        let three = Membership::new([1, 2, 3]);
        assert!(wins_votes(&logs[1], &three, &electors));
        // Joint consensus: a quorum of both halves.
        let mut joint = three.clone();
        joint.outgoing = [1, 2].into_iter().collect();
        assert!(!wins_votes(&logs[1], &joint, &electors));
    }

    /// n2's durable log lost entries 2 and 3 to a damaged record: as a free voter it would
    /// elect n3, which lacks the committed entry 3; fenced, it votes only for a log as up to
    /// date as the one it had (ending at term 1, index 3), and a fenced n3 does not campaign.
    #[test]
    fn a_fenced_server_votes_as_its_whole_log_would_have() {
        let logs = [log(&[1, 1, 1]), log(&[1]), log(&[1])];
        let config = Membership::new([1, 2, 3]);
        let mut electors = free(&logs);
        assert_eq!(could_win_without(3, 1, &config, &electors), Some(2));
        let fenced = |ballot| Elector {
            log: &logs[1],
            ballot,
        };
        electors[1] = Some(fenced(Ballot::AtLeast((1, 3))));
        assert_eq!(could_win_without(3, 1, &config, &electors), None);
        electors[1] = Some(fenced(Ballot::Never));
        assert_eq!(could_win_without(3, 1, &config, &electors), None);
        let mut electors = free(&logs);
        electors[2] = Some(Elector {
            log: &logs[2],
            ballot: Ballot::Never,
        });
        assert_eq!(could_win_without(3, 1, &config, &electors), None);
    }
}

//! Raft's safety properties (Figure 3 of the paper), checked online after every simulation
//! step from what each server reports: election safety, log matching, leader completeness and
//! state machine safety; and the promise of a read lease, that a leader holding one (able to
//! answer a read without a heartbeat round) is still the only leader. The first violation of each is kept with
//! the step that caused it.

use faultline_raft::{RaftNode, Role};
use std::collections::BTreeMap;
use std::fmt;

/// Something a server did that the invariants care about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Observation {
    /// Its role or term changed.
    Role {
        /// New role.
        role: Role,
        /// Current term.
        term: u64,
    },
    /// It made an entry durable in its log.
    Appended {
        /// Entry index.
        index: u64,
        /// Entry term.
        term: u64,
        /// Digest of the payload.
        digest: u64,
        /// Term of the entry before it, when known.
        prev_term: Option<u64>,
    },
    /// It applied a committed entry.
    Applied {
        /// Entry index.
        index: u64,
        /// Entry term.
        term: u64,
        /// Digest of the payload.
        digest: u64,
        /// The server's current term: the entry was committed in this term or an earlier one.
        seen_in: u64,
    },
    /// It cut an entry out of its durable log (a conflicting write replaced or truncated it).
    Removed {
        /// Entry index.
        index: u64,
        /// Entry term.
        term: u64,
        /// Digest of the payload.
        digest: u64,
    },
    /// It granted its vote to another server in `term` (and made the vote durable).
    Voted {
        /// The term of the vote.
        term: u64,
    },
    /// As leader of `term`, it confirmed a read without a heartbeat round (trusting its lease,
    /// or nothing at all), whether the read had just arrived or was held back until the leader
    /// committed an entry of its term.
    ReadWithoutRound {
        /// The leader's term.
        term: u64,
    },
}

/// The Raft safety invariants checked after every step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Invariant {
    /// At most one leader per term.
    ElectionSafety,
    /// Two logs with an entry of the same index and term hold the same entry and predecessor.
    LogMatching,
    /// Every leader holds every entry committed before its term.
    LeaderCompleteness,
    /// No two servers apply different entries at one index; none loses a committed one.
    StateMachineSafety,
    /// No leader holds a read lease, or answers a read from one, once a later term has a
    /// leader.
    LeaseSafety,
}

impl Invariant {
    /// Every invariant, in report order.
    pub const ALL: [Invariant; 5] = [
        Invariant::ElectionSafety,
        Invariant::LogMatching,
        Invariant::LeaderCompleteness,
        Invariant::StateMachineSafety,
        Invariant::LeaseSafety,
    ];

    /// The check's name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Invariant::ElectionSafety => "election_safety",
            Invariant::LogMatching => "log_matching",
            Invariant::LeaderCompleteness => "leader_completeness",
            Invariant::StateMachineSafety => "state_machine_safety",
            Invariant::LeaseSafety => "lease_safety",
        }
    }
}

/// The entry applied at an index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct AppliedAt {
    /// Term and digest of the entry.
    entry: (u64, u64),
    /// The lowest term of a server that applied it: the entry was committed no later than
    /// that term, so every leader of a later term must hold it.
    committed_by: u64,
}

/// Online checker state.
#[derive(Debug, Default)]
pub struct Invariants {
    /// Leader of each term ever seen.
    leaders: BTreeMap<u64, u64>,
    /// Every (index, term) ever written to a log: payload digest and previous term.
    written: BTreeMap<(u64, u64), (u64, Option<u64>)>,
    /// Per log index, what was applied there, if anything (indexes are dense from 1).
    applied: Vec<Option<AppliedAt>>,
    /// Indexes applied for the first time (by anyone) since the last [`Self::take_new_commits`],
    /// with their terms.
    new_commits: Vec<(u64, u64)>,
    /// First violation of each check, indexed by [`Invariant`].
    violations: [Option<String>; Invariant::ALL.len()],
    /// Steps checked.
    steps: u64,
}

impl Invariants {
    /// Counts one simulation step.
    pub fn step(&mut self) {
        self.steps += 1;
    }

    /// Steps checked so far.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// Checks what server `id` reported; `core` is its state after the step, `at` describes
    /// the step (formatted only into a violation's report).
    pub fn observe(
        &mut self,
        id: u64,
        observation: &Observation,
        core: &RaftNode,
        at: &dyn fmt::Display,
    ) {
        match *observation {
            Observation::Role { role, term } => {
                if role == Role::Leader {
                    self.new_leader(id, term, core, at);
                }
            }
            Observation::Appended {
                index,
                term,
                digest,
                prev_term,
            } => self.appended(id, (index, term), digest, prev_term, core, at),
            Observation::Applied {
                index,
                term,
                digest,
                seen_in,
            } => self.applied(id, (index, term), digest, seen_in, at),
            Observation::Removed {
                index,
                term,
                digest,
            } => self.removed(id, (index, term), digest, core, at),
            // Election safety is checked on the winners; a vote alone changes nothing.
            Observation::Voted { .. } => {}
            Observation::ReadWithoutRound { term } => {
                self.lease_after_successor(id, term, "answered a read from", at)
            }
        }
    }

    /// Server `id`, leader of `term`, holds a read lease (it would answer a read from it now):
    /// a lease must expire before anyone else can be elected, whether or not a read comes.
    pub fn lease_held(&mut self, id: u64, term: u64, at: &dyn fmt::Display) {
        self.lease_after_successor(id, term, "held", at);
    }

    /// True if a term after `term` has a leader (a lease of `term` held now would break lease
    /// safety).
    pub fn has_leader_after(&self, term: u64) -> bool {
        self.leaders
            .last_key_value()
            .is_some_and(|(&last, _)| last > term)
    }

    /// Lease safety: server `id` `did` something with its `term` lease; a violation if a later
    /// term already has a leader.
    fn lease_after_successor(&mut self, id: u64, term: u64, did: &str, at: &dyn fmt::Display) {
        if let Some((later, leader)) = self.leaders.range(term + 1..).next() {
            self.violate(
                Invariant::LeaseSafety,
                format!("n{id} {did} its term-{term} lease after n{leader} was elected in term {later}; {at}"),
            );
        }
    }

    /// Server `id` wrote the entry at `(index, term)` with `digest`, after an entry of
    /// `prev_term`: state machine safety (never over its own commit index) and log matching.
    fn appended(
        &mut self,
        id: u64,
        (index, term): (u64, u64),
        digest: u64,
        prev_term: Option<u64>,
        core: &RaftNode,
        at: &dyn fmt::Display,
    ) {
        // A server may hold stale entries where others committed, but never below its
        // own commit index.
        if let Some((applied_term, _)) = self.applied_at(index).map(|a| a.entry) {
            if applied_term != term && index <= core.commit_index() {
                self.violate(
                    Invariant::StateMachineSafety,
                    format!(
                        "n{id} overwrote the committed term-{applied_term} entry at index {index} (its commit index is {}) with a term-{term} entry; {at}",
                        core.commit_index()
                    ),
                );
            }
        }
        let known = *self
            .written
            .entry((index, term))
            .or_insert((digest, prev_term));
        let prev_differs = matches!((known.1, prev_term), (Some(a), Some(b)) if a != b);
        if known.0 != digest || prev_differs {
            let what = if known.0 != digest {
                "a different entry"
            } else {
                "a different predecessor"
            };
            self.violate(
                Invariant::LogMatching,
                format!(
                    "n{id} wrote {what} at index {index} term {term} than another server; {at}"
                ),
            );
        }
    }

    /// Server `id` applied the entry at `(index, term)`, committed as seen in term `seen_in`:
    /// every server applies the same entry at an index.
    fn applied(
        &mut self,
        id: u64,
        (index, term): (u64, u64),
        digest: u64,
        seen_in: u64,
        at: &dyn fmt::Display,
    ) {
        let slot = usize::try_from(index).expect("a log index fits in memory");
        if self.applied.len() <= slot {
            self.applied.resize(slot + 1, None);
        }
        let at_index = self.applied[slot].get_or_insert_with(|| {
            self.new_commits.push((index, term));
            AppliedAt {
                entry: (term, digest),
                committed_by: seen_in,
            }
        });
        at_index.committed_by = at_index.committed_by.min(seen_in);
        let known = at_index.entry;
        if known != (term, digest) {
            self.violate(
                Invariant::StateMachineSafety,
                format!(
                    "n{id} applied the term-{term} entry at index {index}, another server applied the term-{} one; {at}",
                    known.0
                ),
            );
        }
    }

    /// Server `id` cut the entry at `(index, term)` out of its log. A committed entry stays in
    /// every log that holds it once the log follows a term at or after the commit: the leader
    /// of such a term has it too (leader completeness), so its appends never conflict with it.
    /// (A server may still follow a deposed leader of an older term, whose appends can cut it.)
    fn removed(
        &mut self,
        id: u64,
        (index, term): (u64, u64),
        digest: u64,
        core: &RaftNode,
        at: &dyn fmt::Display,
    ) {
        let at_index = self.applied_at(index);
        if at_index.is_some_and(|a| a.entry == (term, digest) && a.committed_by <= core.term()) {
            self.violate(
                Invariant::StateMachineSafety,
                format!("n{id} cut the committed term-{term} entry at index {index} out of its log; {at}"),
            );
        }
    }

    fn new_leader(&mut self, id: u64, term: u64, core: &RaftNode, at: &dyn fmt::Display) {
        let first = *self.leaders.entry(term).or_insert(id);
        if first != id {
            self.violate(
                Invariant::ElectionSafety,
                format!("n{first} and n{id} both led term {term}; {at}"),
            );
        }
        // Every entry committed in an earlier term must be in the new leader's log.
        let from = usize::try_from(core.first_index()).unwrap_or(usize::MAX);
        let missing = (self.applied.iter().enumerate().skip(from))
            .filter_map(|(index, slot)| Some((index as u64, slot.as_ref()?)))
            .find(|(index, a)| a.committed_by < term && core.term_at(*index) != Some(a.entry.0))
            .map(|(index, a)| (index, a.entry.0));
        if let Some((index, t)) = missing {
            let has = match core.term_at(index) {
                Some(other) => format!("a term-{other} entry"),
                None => "nothing".to_string(),
            };
            self.violate(
                Invariant::LeaderCompleteness,
                format!("n{id} became leader of term {term} without the committed term-{t} entry at index {index} (it has {has}); {at}"),
            );
        }
    }

    /// What was applied at `index`, if anything.
    fn applied_at(&self, index: u64) -> Option<&AppliedAt> {
        self.applied.get(usize::try_from(index).ok()?)?.as_ref()
    }

    /// True if an entry was first applied since the last [`Self::take_new_commits`] (one
    /// observation in sixteen commits one; the electors are looked at only then).
    pub fn has_new_commits(&self) -> bool {
        !self.new_commits.is_empty()
    }

    /// The entries first applied since the last call: (index, term).
    pub fn take_new_commits(&mut self) -> Vec<(u64, u64)> {
        std::mem::take(&mut self.new_commits)
    }

    /// Leader completeness, checked as soon as an entry is committed: `candidate` lacks the
    /// committed entry (`index`, `term`) yet could win an election (see [`super::electable`]).
    pub fn electable_without(
        &mut self,
        candidate: u64,
        (index, term): (u64, u64),
        at: &dyn fmt::Display,
    ) {
        self.violate(
            Invariant::LeaderCompleteness,
            format!("n{candidate} lacks the committed term-{term} entry at index {index} yet its log is as up to date as a quorum's: it could be elected and overwrite it; {at}"),
        );
    }

    fn violate(&mut self, check: Invariant, detail: String) {
        let first = &mut self.violations[check as usize];
        if first.is_none() {
            *first = Some(detail);
        }
    }

    /// Each check's name with its first violation, if any.
    pub fn verdicts(&self) -> impl Iterator<Item = (&'static str, Option<&str>)> {
        Invariant::ALL
            .iter()
            .zip(self.violations.iter())
            .map(|(check, v)| (check.name(), v.as_deref()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use faultline_raft::{Config, PersistentState};

    /// A server in `term`.
    fn core_in_term(term: u64) -> RaftNode {
        let mut state = PersistentState::bootstrap([1, 2, 3]);
        state.hard_state.term = term;
        RaftNode::with_seed(1, Config::default(), state, 1).unwrap()
    }

    fn core() -> RaftNode {
        RaftNode::with_seed(
            1,
            Config::default(),
            PersistentState::bootstrap([1, 2, 3]),
            1,
        )
        .unwrap()
    }

    #[test]
    fn two_leaders_in_one_term_break_election_safety() {
        let mut inv = Invariants::default();
        let lead = leads(2);
        inv.observe(1, &lead, &core(), &"step 1");
        inv.observe(1, &lead, &core(), &"step 2");
        assert!(inv.verdicts().all(|(_, v)| v.is_none()));
        inv.observe(2, &lead, &core(), &"step 3");
        let (name, detail) = inv.verdicts().next().unwrap();
        assert_eq!(name, "election_safety");
        assert!(detail.unwrap().contains("step 3"));
    }

    #[test]
    fn divergent_entries_break_log_matching_and_state_machine_safety() {
        let mut inv = Invariants::default();
        let write = |digest, prev_term| Observation::Appended {
            index: 5,
            term: 2,
            digest,
            prev_term,
        };
        inv.observe(1, &write(7, Some(1)), &core(), &"a");
        inv.observe(2, &write(7, None), &core(), &"b");
        assert!(inv.verdicts().all(|(_, v)| v.is_none()));
        inv.observe(3, &write(7, Some(2)), &core(), &"c");
        let apply = |term, digest| Observation::Applied {
            index: 5,
            term,
            digest,
            seen_in: term,
        };
        inv.observe(1, &apply(2, 7), &core(), &"d");
        inv.observe(2, &apply(3, 9), &core(), &"e");
        let broken: Vec<&str> = inv
            .verdicts()
            .filter(|(_, v)| v.is_some())
            .map(|(n, _)| n)
            .collect();
        assert_eq!(broken, ["log_matching", "state_machine_safety"]);
    }

    #[test]
    fn cutting_a_committed_entry_out_of_a_log_breaks_state_machine_safety() {
        let mut inv = Invariants::default();
        let removed = |term, digest| Observation::Removed {
            index: 4,
            term,
            digest,
        };
        // An uncommitted entry may be replaced: nobody applied anything at index 4 yet.
        inv.observe(2, &removed(1, 7), &core(), &"a");
        let applied = Observation::Applied {
            index: 4,
            term: 2,
            digest: 8,
            seen_in: 2,
        };
        inv.observe(1, &applied, &core(), &"b");
        // Nor is a stale entry that lost to the committed one.
        inv.observe(3, &removed(1, 7), &core(), &"c");
        // Nor the committed entry, by a server following a deposed leader of a term before
        // the commit (the entry was applied in term 2; this server is in term 1).
        inv.observe(3, &removed(2, 8), &core_in_term(1), &"d");
        assert!(inv.verdicts().all(|(_, v)| v.is_none()));
        inv.observe(3, &removed(2, 8), &core_in_term(2), &"e");
        let (name, detail) = inv.verdicts().nth(3).unwrap();
        assert_eq!(name, "state_machine_safety");
        assert!(detail
            .unwrap()
            .contains("cut the committed term-2 entry at index 4"));
    }

    #[test]
    fn a_leader_missing_an_applied_entry_breaks_leader_completeness() {
        let mut inv = Invariants::default();
        inv.observe(
            2,
            &Observation::Applied {
                index: 1,
                term: 1,
                digest: 0,
                seen_in: 2,
            },
            &core(),
            &"x",
        );
        let early = leads(2);
        inv.observe(1, &early, &core(), &"late winner of an older term");
        assert!(inv.verdicts().all(|(_, v)| v.is_none()));
        let lead = leads(3);
        inv.observe(1, &lead, &core(), &"y");
        let broken: Vec<&str> = inv
            .verdicts()
            .filter(|(_, v)| v.is_some())
            .map(|(n, _)| n)
            .collect();
        assert_eq!(broken, ["leader_completeness"]);
    }

    /// Becoming leader of `term`.
    fn leads(term: u64) -> Observation {
        Observation::Role {
            role: Role::Leader,
            term,
        }
    }

    /// The report of the one broken check, which must be lease safety.
    fn lease_safety_broken(inv: &Invariants) -> &str {
        let broken: Vec<(&str, &str)> = inv.verdicts().filter_map(|(n, v)| Some((n, v?))).collect();
        assert_eq!(broken.len(), 1, "{broken:?}");
        assert_eq!(broken[0].0, "lease_safety");
        broken[0].1
    }

    #[test]
    fn a_lease_read_after_a_later_leader_was_elected_breaks_lease_safety() {
        let mut inv = Invariants::default();
        let lease_read = |term| Observation::ReadWithoutRound { term };
        inv.observe(1, &leads(2), &core(), &"a");
        inv.observe(1, &lease_read(2), &core(), &"while it alone leads");
        inv.observe(2, &leads(3), &core(), &"b");
        inv.observe(2, &lease_read(3), &core(), &"the new leader's own lease");
        assert!(inv.verdicts().all(|(_, v)| v.is_none()));
        inv.observe(1, &lease_read(2), &core(), &"stale lease");
        assert!(lease_safety_broken(&inv).contains("n2 was elected in term 3; stale lease"));
    }

    #[test]
    fn a_lease_held_after_a_later_leader_was_elected_breaks_lease_safety_without_a_read() {
        let mut inv = Invariants::default();
        inv.observe(1, &leads(2), &core(), &"a");
        inv.lease_held(1, 2, &"while it alone leads");
        inv.observe(2, &leads(3), &core(), &"b");
        inv.lease_held(2, 3, &"the new leader's own lease");
        assert!(inv.verdicts().all(|(_, v)| v.is_none()));
        inv.lease_held(1, 2, &"old lease still running");
        assert!(lease_safety_broken(&inv).contains(
            "n1 held its term-2 lease after n2 was elected in term 3; old lease still running"
        ));
    }
}

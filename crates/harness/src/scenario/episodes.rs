//! Fault episodes: a fault and the later fault that undoes it (see [`FaultSpec::undoes`]). The
//! shrinker removes and shortens whole episodes, so that taking a fault away never leaves its
//! repair dangling or a node down forever by accident.

use crate::scenario::FaultSpec;

/// One episode: indices into the scenario's (time-sorted) fault list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Episode {
    /// The fault that starts it.
    pub cause: usize,
    /// The later fault that undoes it, if there is one.
    pub repair: Option<usize>,
}

impl Episode {
    /// The indices it covers.
    pub fn indices(&self) -> impl Iterator<Item = usize> {
        std::iter::once(self.cause).chain(self.repair)
    }
}

/// Groups `faults` (sorted by time) into episodes, in the order of their causes. Each fault
/// belongs to exactly one episode; a fault that undoes nothing earlier starts its own.
pub fn episodes(faults: &[FaultSpec]) -> Vec<Episode> {
    let mut claimed = vec![false; faults.len()];
    let mut out = Vec::new();
    for cause in 0..faults.len() {
        if claimed[cause] {
            continue;
        }
        claimed[cause] = true;
        let repair = (cause + 1..faults.len())
            .find(|&later| !claimed[later] && faults[later].undoes(&faults[cause]));
        if let Some(index) = repair {
            claimed[index] = true;
        }
        out.push(Episode { cause, repair });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{ClockSpec, FaultAction, MembershipSpec, Span};
    use std::time::Duration;

    fn at(ms: u64, action: FaultAction) -> FaultSpec {
        FaultSpec::new(Span(Duration::from_millis(ms)), action)
    }

    #[test]
    fn causes_pair_with_the_next_fault_that_undoes_them() {
        let faults = vec![
            at(0, FaultAction::Crash(2)),
            at(1, FaultAction::Partition(vec![vec![1], vec![3]])),
            at(2, FaultAction::Crash(3)),
            at(3, FaultAction::Restart(3)),
            at(4, FaultAction::Heal),
            at(5, FaultAction::Clock(ClockSpec { node: 1, rate: 0.8 })),
            at(
                6,
                FaultAction::Membership(MembershipSpec {
                    add: vec![],
                    remove: vec![4],
                }),
            ),
            at(7, FaultAction::Clock(ClockSpec { node: 1, rate: 1.0 })),
            at(
                8,
                FaultAction::Membership(MembershipSpec {
                    add: vec![4],
                    remove: vec![],
                }),
            ),
            at(9, FaultAction::Restart(2)),
        ];
        let pairs: Vec<(usize, Option<usize>)> = episodes(&faults)
            .iter()
            .map(|e| (e.cause, e.repair))
            .collect();
        assert_eq!(
            pairs,
            vec![
                (0, Some(9)),
                (1, Some(4)),
                (2, Some(3)),
                (5, Some(7)),
                (6, Some(8))
            ]
        );
    }

    #[test]
    fn a_fault_that_undoes_nothing_is_an_episode_of_its_own() {
        let faults = vec![at(0, FaultAction::Restart(1)), at(1, FaultAction::Crash(1))];
        let pairs: Vec<(usize, Option<usize>)> = episodes(&faults)
            .iter()
            .map(|e| (e.cause, e.repair))
            .collect();
        assert_eq!(pairs, vec![(0, None), (1, None)]);
    }
}

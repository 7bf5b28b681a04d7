//! Linearizability checking of a whole history: partitioning, budget, verdict.

use std::collections::BTreeMap;
use std::fmt;

use crate::counterexample::Counterexample;
use crate::history::{History, Operation};
use crate::memo::Memo;
use crate::model::Model;
use crate::search::{search, Outcome};

/// Default step budget: enough for every reference history, bounded so a pathological
/// history ends in `Unknown` within seconds instead of hanging.
pub const DEFAULT_MAX_STEPS: u64 = 200_000_000;

/// Default memory budget for the memo of one partition: 1 GiB.
pub const DEFAULT_MAX_MEMO_BYTES: usize = 1 << 30;

/// How to check a history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckOptions {
    /// Search steps allowed over all partitions; `None` is unlimited. Each step visits
    /// one event of the search, so the verdict for a given budget is deterministic.
    pub max_steps: Option<u64>,
    /// Approximate memory the memo of one partition may hold before the verdict is
    /// `Unknown`; `None` is unlimited. Counted from the configurations recorded, so it
    /// is deterministic too.
    pub max_memo_bytes: Option<usize>,
    /// Check each partition of a P-compositional model (e.g. each key) on its own.
    pub partition: bool,
}

impl Default for CheckOptions {
    fn default() -> Self {
        Self {
            max_steps: Some(DEFAULT_MAX_STEPS),
            max_memo_bytes: Some(DEFAULT_MAX_MEMO_BYTES),
            partition: true,
        }
    }
}

/// The result of a check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Some linearization explains the history.
    Linearizable,
    /// None does.
    NotLinearizable {
        /// The smallest failing partition and where the search got stuck.
        counterexample: Box<Counterexample>,
    },
    /// The step or memory budget ran out before a verdict.
    Unknown,
}

impl Verdict {
    /// `Some(true)` / `Some(false)` for a definite verdict, `None` for unknown.
    pub fn linearizable(&self) -> Option<bool> {
        match self {
            Verdict::Linearizable => Some(true),
            Verdict::NotLinearizable { .. } => Some(false),
            Verdict::Unknown => None,
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Linearizable => f.write_str("linearizable"),
            Verdict::NotLinearizable { counterexample } => {
                write!(f, "NOT linearizable: {counterexample}")
            }
            Verdict::Unknown => f.write_str("unknown (budget exhausted)"),
        }
    }
}

/// Checks `history` against `model`.
///
/// Partitions are searched smallest first, so a counterexample comes from the smallest
/// failing partition. The step budget is shared by all partitions and the memory
/// budget applies to each; once either is spent the verdict is `Unknown`.
pub fn check<M: Model>(
    model: &M,
    history: &History<M::Input, M::Output>,
    options: &CheckOptions,
) -> Verdict {
    let mut groups: BTreeMap<Option<&str>, Vec<usize>> = BTreeMap::new();
    for (i, op) in history.ops.iter().enumerate() {
        let key = if options.partition {
            model.partition_key(&op.input)
        } else {
            None
        };
        groups.entry(key).or_default().push(i);
    }
    let mut parts: Vec<(Option<&str>, Vec<usize>)> = groups.into_iter().collect();
    parts.sort_by_key(|(_, ops)| ops.len());
    let mut budget = options.max_steps.unwrap_or(u64::MAX);
    let max_memo_bytes = options.max_memo_bytes.unwrap_or(usize::MAX);
    let mut memo = Memo::new(0);
    for (key, indices) in parts {
        let ops: Vec<&Operation<M::Input, M::Output>> =
            indices.iter().map(|&i| &history.ops[i]).collect();
        match search(model, &ops, &mut budget, max_memo_bytes, &mut memo) {
            Outcome::Linearizable => {}
            Outcome::OutOfBudget => return Verdict::Unknown,
            Outcome::NotLinearizable(witness) => {
                let counterexample = Counterexample::new(key, history, &indices, &witness);
                return Verdict::NotLinearizable {
                    counterexample: Box::new(counterexample),
                };
            }
        }
    }
    Verdict::Linearizable
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::kv::{KvInput, KvModel, KvOutput};
    use crate::models::register::{RegisterInput as RI, RegisterModel, RegisterOutput as RO};

    type RegHistory = History<RI, RO>;

    fn verdict(h: &RegHistory) -> Option<bool> {
        check(&RegisterModel, h, &CheckOptions::default()).linearizable()
    }

    #[test]
    fn empty_history_is_linearizable() {
        assert_eq!(verdict(&History::new()), Some(true));
    }

    #[test]
    fn stale_read_after_completed_write_fails() {
        let mut h = History::new();
        h.push_complete(0, 0, 10, RI::Write(1), RO::Ok);
        h.push_complete(1, 20, 30, RI::Read, RO::Value(None));
        let Verdict::NotLinearizable { counterexample } =
            check(&RegisterModel, &h, &CheckOptions::default())
        else {
            panic!("stale read accepted");
        };
        assert_eq!(counterexample.linearized, 1);
        assert_eq!(counterexample.blocked.as_ref().map(|op| op.index), Some(1));
        assert_eq!(counterexample.state, "1");
        let text = counterexample.to_string();
        assert!(text.contains("#1 client 1 [20, 30] read -> nil"), "{text}");
        assert!(text.contains("state then: 1\n"), "{text}");
        let verdict = Verdict::NotLinearizable { counterexample };
        assert!(verdict
            .to_string()
            .starts_with("NOT linearizable: history (2 ops)"));
    }

    #[test]
    fn counterexample_lists_ops_that_were_pending_but_unplaceable() {
        let mut h = History::new();
        h.push_complete(0, 0, 10, RI::Write(1), RO::Ok);
        h.push_complete(
            1,
            5,
            100,
            RI::Cas {
                expected: 5,
                new: 6,
            },
            RO::Cas(true),
        );
        h.push_complete(2, 20, 30, RI::Read, RO::Value(Some(3)));
        let Verdict::NotLinearizable { counterexample } =
            check(&RegisterModel, &h, &CheckOptions::default())
        else {
            panic!("impossible read accepted");
        };
        assert_eq!(counterexample.blocked.as_ref().map(|op| op.index), Some(2));
        let pending: Vec<usize> = counterexample.pending.iter().map(|op| op.index).collect();
        assert_eq!(pending, [1]);
        assert!(counterexample
            .to_string()
            .contains("while these were pending:\n    #1 client 1 [5, 100] cas 5->6 -> true"));
    }

    #[test]
    fn ops_touching_at_one_instant_count_as_concurrent() {
        let mut h = History::new();
        h.push_complete(0, 0, 10, RI::Write(1), RO::Ok);
        h.push_complete(1, 10, 20, RI::Read, RO::Value(None));
        assert_eq!(verdict(&h), Some(true));
        h.ops[1].invoke = 11;
        assert_eq!(verdict(&h), Some(false));
    }

    #[test]
    fn read_overlapping_a_write_may_see_either_value() {
        for seen in [None, Some(1)] {
            let mut h = History::new();
            h.push_complete(0, 0, 10, RI::Write(1), RO::Ok);
            h.push_complete(1, 5, 15, RI::Read, RO::Value(seen));
            assert_eq!(verdict(&h), Some(true), "read saw {seen:?}");
        }
    }

    #[test]
    fn concurrent_writes_linearize_in_either_order_but_not_invent_values() {
        for (seen, ok) in [(1, true), (2, true), (3, false)] {
            let mut h = History::new();
            h.push_complete(0, 0, 10, RI::Write(1), RO::Ok);
            h.push_complete(1, 5, 15, RI::Write(2), RO::Ok);
            h.push_complete(2, 20, 30, RI::Read, RO::Value(Some(seen)));
            h.push_complete(2, 40, 50, RI::Read, RO::Value(Some(seen)));
            assert_eq!(verdict(&h), Some(ok), "read saw {seen}");
        }
    }

    #[test]
    fn values_cannot_flip_back_between_sequential_reads() {
        let mut h = History::new();
        h.push_complete(0, 0, 10, RI::Write(1), RO::Ok);
        h.push_complete(1, 5, 100, RI::Write(2), RO::Ok);
        h.push_complete(2, 20, 30, RI::Read, RO::Value(Some(2)));
        h.push_complete(2, 40, 50, RI::Read, RO::Value(Some(1)));
        assert_eq!(verdict(&h), Some(false));
    }

    #[test]
    fn indeterminate_write_may_be_observed() {
        let mut h = History::new();
        h.push_indeterminate(0, 0, RI::Write(7));
        h.push_complete(1, 10, 20, RI::Read, RO::Value(Some(7)));
        h.push_complete(1, 30, 40, RI::Read, RO::Value(Some(7)));
        assert_eq!(verdict(&h), Some(true));
    }

    #[test]
    fn indeterminate_write_may_never_happen() {
        let mut h = History::new();
        h.push_indeterminate(0, 0, RI::Write(7));
        h.push_complete(1, 10, 20, RI::Read, RO::Value(None));
        h.push_complete(1, 1_000, 1_010, RI::Read, RO::Value(None));
        assert_eq!(verdict(&h), Some(true));
    }

    #[test]
    fn indeterminate_write_cannot_take_effect_before_its_invocation_or_twice() {
        let mut early = History::new();
        early.push_complete(1, 0, 10, RI::Read, RO::Value(Some(7)));
        early.push_indeterminate(0, 20, RI::Write(7));
        assert_eq!(verdict(&early), Some(false));

        let mut twice = History::new();
        twice.push_indeterminate(0, 0, RI::Write(7));
        twice.push_complete(1, 10, 20, RI::Read, RO::Value(Some(7)));
        twice.push_complete(1, 30, 40, RI::Write(8), RO::Ok);
        twice.push_complete(1, 50, 60, RI::Read, RO::Value(Some(7)));
        assert_eq!(verdict(&twice), Some(false));
    }

    #[test]
    fn completed_op_with_unknown_result_constrains_nothing_but_its_effect() {
        let mut h = History::new();
        h.push_complete(0, 0, 10, RI::Write(1), RO::Ok);
        h.ops.push(Operation {
            client: 1,
            invoke: 20,
            complete: Some(30),
            input: RI::Cas {
                expected: 1,
                new: 2,
            },
            output: None,
        });
        h.push_complete(2, 40, 50, RI::Read, RO::Value(Some(2)));
        assert_eq!(verdict(&h), Some(true));
        h.push_complete(2, 60, 70, RI::Read, RO::Value(Some(1)));
        assert_eq!(verdict(&h), Some(false));
    }

    #[test]
    fn failed_cas_is_an_observation() {
        let mut h = History::new();
        h.push_complete(0, 0, 10, RI::Write(1), RO::Ok);
        h.push_complete(
            1,
            20,
            30,
            RI::Cas {
                expected: 1,
                new: 2,
            },
            RO::Cas(false),
        );
        assert_eq!(verdict(&h), Some(false));
    }

    fn kv(key: &str) -> (KvInput, KvInput) {
        let put = KvInput::Append {
            key: key.into(),
            value: "x".into(),
        };
        (put, KvInput::Get { key: key.into() })
    }

    #[test]
    fn kv_counterexample_names_the_smallest_failing_key() {
        let mut h: History<KvInput, KvOutput> = History::new();
        let (append_a, get_a) = kv("a");
        let (append_b, get_b) = kv("b");
        // Key "a": three ops, stale read. Key "b": two ops, stale read. Key "c": fine.
        h.push_complete(0, 0, 10, append_a.clone(), KvOutput::Ok);
        h.push_complete(0, 11, 12, append_a, KvOutput::Ok);
        h.push_complete(1, 20, 30, get_a, KvOutput::Value("x".into()));
        h.push_complete(2, 0, 10, append_b, KvOutput::Ok);
        h.push_complete(3, 20, 30, get_b, KvOutput::Value(String::new()));
        let (append_c, get_c) = kv("c");
        h.push_complete(4, 0, 10, append_c, KvOutput::Ok);
        h.push_complete(4, 20, 30, get_c, KvOutput::Value("x".into()));
        let Verdict::NotLinearizable { counterexample } =
            check(&KvModel, &h, &CheckOptions::default())
        else {
            panic!("stale reads accepted");
        };
        assert_eq!(counterexample.partition.as_deref(), Some("b"));
        assert_eq!(counterexample.partition_ops, 2);
        assert_eq!(counterexample.blocked.as_ref().map(|op| op.index), Some(4));

        let whole = CheckOptions {
            partition: false,
            ..CheckOptions::default()
        };
        let Verdict::NotLinearizable { counterexample } = check(&KvModel, &h, &whole) else {
            panic!("stale reads accepted without partitioning");
        };
        assert_eq!(counterexample.partition, None);
        assert_eq!(counterexample.partition_ops, 7);
    }

    #[test]
    fn exhausted_budget_gives_unknown_not_a_guess() {
        let mut h = History::new();
        for c in 0..6 {
            h.push_complete(c, 0, 100, RI::Write(c as i64), RO::Ok);
        }
        h.push_complete(9, 200, 300, RI::Read, RO::Value(Some(42)));
        let few_steps = CheckOptions {
            max_steps: Some(5),
            ..CheckOptions::default()
        };
        assert_eq!(check(&RegisterModel, &h, &few_steps), Verdict::Unknown);
        let little_memory = CheckOptions {
            max_memo_bytes: Some(200),
            ..CheckOptions::default()
        };
        assert_eq!(check(&RegisterModel, &h, &little_memory), Verdict::Unknown);
        assert_eq!(Verdict::Unknown.to_string(), "unknown (budget exhausted)");
        assert_eq!(verdict(&h), Some(false));
    }
}

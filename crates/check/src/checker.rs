//! Linearizability checking of a whole history: partitioning, budgets, verdict.

use std::collections::BTreeMap;
use std::fmt;

use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;

use crate::counterexample::Counterexample;
use crate::history::{History, Operation};
use crate::memo::Memo;
use crate::model::Model;
pub use crate::search::Exhausted;
use crate::search::{search, Limits, Outcome, Witness};

/// Default step budget of one partition: enough for every reference history, bounded
/// so a pathological history ends in `Unknown` within seconds instead of hanging.
pub const DEFAULT_MAX_STEPS: u64 = 200_000_000;

/// Default memory budget of one partition's search: 1 GiB.
pub const DEFAULT_MAX_MEMORY: usize = 1 << 30;

/// How to check a history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckOptions {
    /// Search steps allowed in each partition; `None` is unlimited. Each step visits
    /// one event of the search, so the verdict for a given budget is deterministic.
    pub max_steps: Option<u64>,
    /// Approximate bytes one partition's search may hold (memo, frontier and paths;
    /// not the history itself) before its verdict is `Unknown`; `None` is unlimited.
    /// Counted from what was recorded, so it is deterministic too. Partitions are
    /// searched in parallel, so the process may hold this much per worker thread.
    pub max_memory: Option<usize>,
    /// Check each partition of a P-compositional model (e.g. each key) on its own.
    pub partition: bool,
}

impl Default for CheckOptions {
    fn default() -> Self {
        Self {
            max_steps: Some(DEFAULT_MAX_STEPS),
            max_memory: Some(DEFAULT_MAX_MEMORY),
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
    /// No partition was refuted, but a budget ran out in at least one.
    Unknown(Exhausted),
}

impl Verdict {
    /// `Some(true)` / `Some(false)` for a definite verdict, `None` for unknown.
    pub fn linearizable(&self) -> Option<bool> {
        match self {
            Verdict::Linearizable => Some(true),
            Verdict::NotLinearizable { .. } => Some(false),
            Verdict::Unknown(_) => None,
        }
    }
}

impl fmt::Display for Exhausted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Exhausted::Steps => "step budget reached (raise --max-steps)",
            Exhausted::Memory => "memory budget reached (raise --memory)",
        })
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Linearizable => f.write_str("linearizable"),
            Verdict::NotLinearizable { counterexample } => {
                write!(f, "NOT linearizable: {counterexample}")
            }
            Verdict::Unknown(why) => write!(f, "unknown: {why}"),
        }
    }
}

/// What the search found in one partition, in history indices.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PartitionResult {
    /// A linearization: every completed operation and the indeterminate operations
    /// that took effect, in order.
    Linearizable {
        /// The order.
        order: Vec<usize>,
    },
    /// No linearization exists.
    NotLinearizable {
        /// The longest linearizable prefix found.
        prefix: Vec<usize>,
        /// The operation that returned before it could be placed after that prefix.
        blocked: Option<usize>,
        /// Other operations pending at that point (at most a few).
        pending: Vec<usize>,
        /// The model state after the prefix, rendered.
        state: String,
    },
    /// A budget ran out.
    Unknown(Exhausted),
    /// Not searched to the end: a partition checked before it (smaller, or as large
    /// with a smaller key) was refuted, which decides the verdict.
    Skipped,
}

/// One partition (e.g. one key) and its result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartitionAnalysis {
    /// The partition key; `None` when the history was checked as a whole.
    pub key: Option<String>,
    /// Its operations (history indices), in history order.
    pub ops: Vec<usize>,
    /// What the search found.
    pub result: PartitionResult,
}

/// The result of every partition, in key order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Analysis {
    /// The partitions.
    pub partitions: Vec<PartitionAnalysis>,
}

impl Analysis {
    /// The verdict: not linearizable if any partition is refuted (the counterexample
    /// comes from the smallest such), else unknown if any ran out of budget, else
    /// linearizable.
    pub fn verdict<I: fmt::Display, O: fmt::Display>(&self, history: &History<I, O>) -> Verdict {
        let refuted = self
            .partitions
            .iter()
            .filter(|p| matches!(p.result, PartitionResult::NotLinearizable { .. }))
            .min_by_key(|p| (p.ops.len(), p.key.as_deref()));
        if let Some(part) = refuted {
            return Verdict::NotLinearizable {
                counterexample: Box::new(Counterexample::new(part, history)),
            };
        }
        let unknown = self.partitions.iter().find_map(|p| match p.result {
            PartitionResult::Unknown(why) => Some(why),
            _ => None,
        });
        unknown.map_or(Verdict::Linearizable, Verdict::Unknown)
    }
}

/// Checks `history` against `model`: partitions are searched in parallel, each within
/// its own budgets, until one is refuted; the verdict is [`Analysis::verdict`].
pub fn check<M>(
    model: &M,
    history: &History<M::Input, M::Output>,
    options: &CheckOptions,
) -> Verdict
where
    M: Model + Sync,
    M::Input: Sync,
    M::Output: Sync,
{
    analyze(model, history, options).verdict(history)
}

/// Searches the partitions of `history`, smallest first and in parallel, and reports
/// each one's result. A partition over budget does not stop the others; a refuted
/// one stops those after it in that order, which are reported as
/// [`PartitionResult::Skipped`].
pub fn analyze<M>(
    model: &M,
    history: &History<M::Input, M::Output>,
    options: &CheckOptions,
) -> Analysis
where
    M: Model + Sync,
    M::Input: Sync,
    M::Output: Sync,
{
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
    parts.sort_by_key(|(key, ops)| (ops.len(), *key));
    // The first refuted partition in this order gives the counterexample; the ones
    // after it are given up, and reported as skipped whether or not they finished, so
    // the analysis does not depend on thread timing.
    let first_refuted = AtomicUsize::new(usize::MAX);
    let mut results: Vec<(usize, PartitionAnalysis)> = parts
        .into_par_iter()
        .enumerate()
        .map_init(Memo::new, |memo, (rank, (key, indices))| {
            let cancelled = || first_refuted.load(Ordering::Relaxed) < rank;
            let limits = Limits {
                steps: options.max_steps.unwrap_or(u64::MAX),
                bytes: options.max_memory.unwrap_or(usize::MAX),
                cancelled: &cancelled,
            };
            let ops: Vec<&Operation<M::Input, M::Output>> =
                indices.iter().map(|&i| &history.ops[i]).collect();
            let result = match search(model, &ops, limits, memo) {
                Outcome::Linearizable(order) => PartitionResult::Linearizable {
                    order: order.iter().map(|&l| indices[l as usize]).collect(),
                },
                Outcome::NotLinearizable(witness) => {
                    first_refuted.fetch_min(rank, Ordering::Relaxed);
                    refuted(&indices, witness)
                }
                Outcome::OutOfBudget(why) => PartitionResult::Unknown(why),
                Outcome::Cancelled => PartitionResult::Skipped,
            };
            let part = PartitionAnalysis {
                key: key.map(str::to_owned),
                ops: indices,
                result,
            };
            (rank, part)
        })
        .collect();
    let cut = first_refuted.into_inner();
    for (rank, part) in &mut results {
        if *rank > cut {
            part.result = PartitionResult::Skipped;
        }
    }
    let mut partitions: Vec<PartitionAnalysis> = results.into_iter().map(|(_, p)| p).collect();
    partitions.sort_by(|a, b| a.key.cmp(&b.key));
    Analysis { partitions }
}

fn refuted(indices: &[usize], witness: Witness) -> PartitionResult {
    let global = |l: u32| indices[l as usize];
    PartitionResult::NotLinearizable {
        prefix: witness.prefix.into_iter().map(global).collect(),
        blocked: witness.blocked.map(global),
        pending: witness.pending.into_iter().map(global).collect(),
        state: witness.state,
    }
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
    fn a_stuck_key_does_not_hide_a_refuted_one() {
        let mut h: History<KvInput, KvOutput> = History::new();
        // Key "a": eight concurrent appends, then a read of one particular order; far
        // more than 40 steps to find.
        let mut expected = String::new();
        for c in (0..8).rev() {
            let value = format!("{c}");
            expected.push_str(&value);
            h.push_complete(
                c,
                0,
                100,
                KvInput::Append {
                    key: "a".into(),
                    value,
                },
                KvOutput::Ok,
            );
        }
        h.push_complete(
            9,
            200,
            300,
            KvInput::Get { key: "a".into() },
            KvOutput::Value(expected),
        );
        // Key "z": a stale read, refuted in a few steps.
        let (append_z, get_z) = kv("z");
        h.push_complete(10, 0, 10, append_z, KvOutput::Ok);
        h.push_complete(11, 20, 30, get_z, KvOutput::Value(String::new()));
        let tight = CheckOptions {
            max_steps: Some(40),
            ..CheckOptions::default()
        };
        let analysis = analyze(&KvModel, &h, &tight);
        let results: Vec<(&str, &PartitionResult)> = analysis
            .partitions
            .iter()
            .map(|p| (p.key.as_deref().unwrap(), &p.result))
            .collect();
        assert!(matches!(
            results[1],
            ("z", PartitionResult::NotLinearizable { .. })
        ));
        assert!(matches!(
            results[0],
            (
                "a",
                PartitionResult::Skipped | PartitionResult::Unknown(Exhausted::Steps)
            )
        ));
        let Verdict::NotLinearizable { counterexample } = analysis.verdict(&h) else {
            panic!("the stale read on z must refute the history");
        };
        assert_eq!(counterexample.partition.as_deref(), Some("z"));
        h.ops.truncate(9);
        assert_eq!(
            check(&KvModel, &h, &tight),
            Verdict::Unknown(Exhausted::Steps)
        );
        assert_eq!(
            check(&KvModel, &h, &CheckOptions::default()),
            Verdict::Linearizable
        );
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
        assert_eq!(
            check(&RegisterModel, &h, &few_steps),
            Verdict::Unknown(Exhausted::Steps)
        );
        let little_memory = CheckOptions {
            max_memory: Some(200),
            ..CheckOptions::default()
        };
        assert_eq!(
            check(&RegisterModel, &h, &little_memory),
            Verdict::Unknown(Exhausted::Memory)
        );
        assert_eq!(
            Verdict::Unknown(Exhausted::Memory).to_string(),
            "unknown: memory budget reached (raise --memory)"
        );
        assert_eq!(verdict(&h), Some(false));
    }
}

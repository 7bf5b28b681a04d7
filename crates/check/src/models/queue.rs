//! Queues of integers with enqueue and dequeue, as Knossos' `fifo-queue` and
//! `unordered-queue` models. A dequeue from an empty queue is a Jepsen `:fail` (it did
//! not happen), so no dequeue can return "empty".

use std::collections::{BTreeMap, VecDeque};
use std::fmt;

use crate::model::Model;

/// A queue operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QueueInput {
    /// Add an element.
    Enqueue(i64),
    /// Take an element.
    Dequeue,
}

/// A queue operation's result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QueueOutput {
    /// An enqueue was acknowledged.
    Ok,
    /// The element a dequeue took.
    Value(i64),
}

/// FIFO queue model: starts empty; a dequeue takes the oldest element.
#[derive(Clone, Copy, Debug, Default)]
pub struct FifoQueueModel;

impl Model for FifoQueueModel {
    type State = VecDeque<i64>;
    type Input = QueueInput;
    type Output = QueueOutput;

    fn init(&self) -> VecDeque<i64> {
        VecDeque::new()
    }

    /// A dequeue whose result is unknown takes the oldest element; from an empty queue it
    /// cannot have succeeded.
    fn step(
        &self,
        state: &VecDeque<i64>,
        input: &QueueInput,
        output: Option<&QueueOutput>,
    ) -> Option<VecDeque<i64>> {
        match (input, output) {
            (QueueInput::Enqueue(v), None | Some(QueueOutput::Ok)) => {
                let mut next = state.clone();
                next.push_back(*v);
                Some(next)
            }
            (QueueInput::Dequeue, None) if !state.is_empty() => {
                Some(state.range(1..).copied().collect())
            }
            (QueueInput::Dequeue, Some(QueueOutput::Value(v))) if state.front() == Some(v) => {
                Some(state.range(1..).copied().collect())
            }
            _ => None,
        }
    }

    fn describe_state(&self, state: &VecDeque<i64>, _about: Option<&QueueInput>) -> String {
        let items: Vec<String> = state.iter().map(i64::to_string).collect();
        format!("[{}]", items.join(" "))
    }
}

/// Unordered queue model: starts empty; a dequeue takes any element (a multiset).
#[derive(Clone, Copy, Debug, Default)]
pub struct UnorderedQueueModel;

impl Model for UnorderedQueueModel {
    /// Element -> how many copies are queued.
    type State = BTreeMap<i64, u32>;
    type Input = QueueInput;
    type Output = QueueOutput;

    fn init(&self) -> BTreeMap<i64, u32> {
        BTreeMap::new()
    }

    /// A dequeue whose result is unknown needs a non-empty queue and is checked as taking
    /// no known element: keeping an element never makes a later dequeue impossible, so no
    /// history is refuted for this; it can accept one where the queue would have run dry.
    fn step(
        &self,
        state: &BTreeMap<i64, u32>,
        input: &QueueInput,
        output: Option<&QueueOutput>,
    ) -> Option<BTreeMap<i64, u32>> {
        match (input, output) {
            (QueueInput::Enqueue(v), None | Some(QueueOutput::Ok)) => {
                let mut next = state.clone();
                *next.entry(*v).or_insert(0) += 1;
                Some(next)
            }
            (QueueInput::Dequeue, None) => (!state.is_empty()).then(|| state.clone()),
            (QueueInput::Dequeue, Some(QueueOutput::Value(v))) => {
                let mut next = state.clone();
                match next.get_mut(v)? {
                    1 => {
                        next.remove(v);
                    }
                    n => *n -= 1,
                }
                Some(next)
            }
            _ => None,
        }
    }

    /// An enqueue of `v` can matter only to a dequeue that returned `v` or whose result is
    /// unknown (it needs some element). A dequeue that never returned changes nothing here.
    fn may_affect(
        &self,
        effect: &QueueInput,
        observer: &QueueInput,
        output: Option<&QueueOutput>,
    ) -> bool {
        match (effect, observer, output) {
            (QueueInput::Enqueue(v), QueueInput::Dequeue, Some(QueueOutput::Value(seen))) => {
                v == seen
            }
            (QueueInput::Enqueue(_), QueueInput::Dequeue, None) => true,
            _ => false,
        }
    }

    fn describe_state(&self, state: &BTreeMap<i64, u32>, _about: Option<&QueueInput>) -> String {
        let items: Vec<String> = state
            .iter()
            .flat_map(|(v, n)| std::iter::repeat_n(v.to_string(), *n as usize))
            .collect();
        format!("{{{}}}", items.join(" "))
    }
}

impl fmt::Display for QueueInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QueueInput::Enqueue(v) => write!(f, "enqueue {v}"),
            QueueInput::Dequeue => f.write_str("dequeue"),
        }
    }
}

impl fmt::Display for QueueOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QueueOutput::Ok => f.write_str("ok"),
            QueueOutput::Value(v) => write!(f, "{v}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENQ1: QueueInput = QueueInput::Enqueue(1);
    const ENQ2: QueueInput = QueueInput::Enqueue(2);
    const DEQ: QueueInput = QueueInput::Dequeue;

    fn run<M: Model<Input = QueueInput, Output = QueueOutput>>(
        m: &M,
        ops: &[(QueueInput, Option<QueueOutput>)],
    ) -> Option<M::State> {
        ops.iter()
            .try_fold(m.init(), |s, (i, o)| m.step(&s, i, o.as_ref()))
    }

    #[test]
    fn fifo_dequeues_the_oldest_element() {
        let ok = Some(QueueOutput::Ok);
        let deq = |v| (DEQ, Some(QueueOutput::Value(v)));
        let m = FifoQueueModel;
        assert!(run(
            &m,
            &[(ENQ1, ok.clone()), (ENQ2, ok.clone()), deq(1), deq(2)]
        )
        .is_some());
        assert!(run(&m, &[(ENQ1, ok.clone()), (ENQ2, ok.clone()), deq(2)]).is_none());
        assert!(run(&m, &[deq(1)]).is_none());
        assert!(run(&m, &[(DEQ, None)]).is_none());
        let s = run(&m, &[(ENQ1, None), (ENQ2, None), (DEQ, None)]).unwrap();
        assert_eq!(m.describe_state(&s, None), "[2]");
    }

    #[test]
    fn unordered_dequeues_any_element_once() {
        let ok = Some(QueueOutput::Ok);
        let deq = |v| (DEQ, Some(QueueOutput::Value(v)));
        let m = UnorderedQueueModel;
        assert!(run(
            &m,
            &[(ENQ1, ok.clone()), (ENQ2, ok.clone()), deq(2), deq(1)]
        )
        .is_some());
        assert!(run(&m, &[(ENQ1, ok.clone()), deq(1), deq(1)]).is_none());
        assert!(run(&m, &[(ENQ1, ok.clone()), (ENQ1, None), deq(1), deq(1)]).is_some());
        assert!(run(&m, &[(DEQ, None)]).is_none());
        let s = run(&m, &[(ENQ1, None), (ENQ1, None), (ENQ2, None)]).unwrap();
        assert_eq!(m.describe_state(&s, None), "{1 1 2}");
    }

    #[test]
    fn an_enqueue_matters_to_dequeues_that_may_have_taken_it() {
        let m = UnorderedQueueModel;
        let got = |v| Some(QueueOutput::Value(v));
        assert!(m.may_affect(&ENQ1, &DEQ, got(1).as_ref()));
        assert!(!m.may_affect(&ENQ1, &DEQ, got(2).as_ref()));
        assert!(m.may_affect(&ENQ1, &DEQ, None));
        assert!(!m.may_affect(&DEQ, &ENQ1, None));
        assert!(!m.may_affect(&DEQ, &DEQ, None));
        assert_eq!(QueueOutput::Value(3).to_string(), "3");
        assert_eq!(ENQ2.to_string(), "enqueue 2");
    }
}

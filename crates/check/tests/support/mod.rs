//! Shared by the model and brute-force tests: every model as a simulated atomic object
//! (small value domains, so operations collide), a history generator that runs it, and a
//! brute-force linearizability checker to compare the fast search with.

#![allow(dead_code)] // each test binary uses a different part

use std::collections::{BTreeSet, HashSet};
use std::fmt::Debug;
use std::hash::Hash;

use faultline_check::{
    FifoQueueModel, History, KvInput, KvModel, KvOutput, Model, MutexInput, MutexModel,
    MutexOutput, Operation, QueueInput, QueueOutput, RegisterInput, RegisterModel, RegisterOutput,
    SetInput, SetModel, SetOutput, UnorderedQueueModel,
};

/// One generated operation, in raw numbers a model maps to an input and the interval
/// around its linearization point.
#[derive(Clone, Debug)]
pub struct Raw {
    /// Picks the operation.
    pub a: u8,
    /// Picks its argument.
    pub b: u8,
    /// How far the invocation lies before the linearization point.
    pub before: u64,
    /// How far the completion lies after it.
    pub after: u64,
    /// The client gave up: the operation never returned.
    pub indeterminate: bool,
    /// For an indeterminate operation: whether it took effect.
    pub applied: bool,
    /// Replace the operation by a (likely) wrong one, picked by this number.
    pub corrupt: Option<u8>,
}

/// A model run as an atomic object.
pub trait Atomic:
    Model<Input: Clone + Debug + Sync + Send, Output: Clone + Debug + Sync + Send> + Sync
{
    /// The model's name on the command line.
    const NAME: &'static str;
    /// The operation `a` and `b` pick.
    fn input(&self, a: u8, b: u8) -> Self::Input;
    /// What the object returns, `None` when the operation cannot succeed here (a Jepsen
    /// `:fail`: it is left out of the history).
    fn output(&self, state: &Self::State, input: &Self::Input) -> Option<Self::Output>;
    /// A plausible wrong operation and result, picked by `c`.
    fn corrupt(
        &self,
        input: &Self::Input,
        output: &Self::Output,
        c: u8,
    ) -> (Self::Input, Self::Output);
    /// Makes a linearizable history impossible: a result no execution can give (a value
    /// never written), in the middle of the history where the model has one.
    fn refute(&self, history: &mut History<Self::Input, Self::Output>, pick: usize);
}

/// Operation `i` takes effect at time 1000 i + 500, within its interval.
pub fn execute<M>(model: &M, raws: &[Raw]) -> History<M::Input, M::Output>
where
    M: Atomic,
{
    let mut state = model.init();
    let mut history = History::new();
    for (i, raw) in raws.iter().enumerate() {
        let point = 1000 * i as u64 + 500;
        let invoke = point - raw.before.min(500);
        let input = model.input(raw.a, raw.b);
        let output = model.output(&state, &input);
        if raw.indeterminate {
            if let (true, Some(out)) = (raw.applied, &output) {
                state = model.step(&state, &input, Some(out)).expect("own output");
            }
            history.push_indeterminate(i as u64, invoke, input);
            continue;
        }
        let Some(output) = output else { continue };
        state = model
            .step(&state, &input, Some(&output))
            .expect("own output");
        let (input, output) = match raw.corrupt {
            Some(c) => model.corrupt(&input, &output, c),
            None => (input, output),
        };
        history.push_complete(i as u64, invoke, point + raw.after, input, output);
    }
    history
}

/// Whether some order of the operations respecting real time (an operation that
/// completed before another was invoked comes first), with each indeterminate one placed
/// anywhere after its invocation or left out, is valid for the model. Tries every such
/// order, remembering (placed set, state) pairs already seen.
pub fn brute_force<M>(model: &M, history: &History<M::Input, M::Output>) -> bool
where
    M: Model,
    M::State: Hash + Eq + Clone,
{
    let ops = &history.ops;
    assert!(ops.len() <= 64, "brute force takes at most 64 operations");
    let before: Vec<u64> = ops
        .iter()
        .map(|b| {
            ops.iter()
                .enumerate()
                .fold(0u64, |mask, (j, a)| match a.complete {
                    Some(done) if done < b.invoke => mask | 1 << j,
                    _ => mask,
                })
        })
        .collect();
    let required = ops.iter().enumerate().fold(0u64, |mask, (i, op)| {
        if op.complete.is_some() {
            mask | 1 << i
        } else {
            mask
        }
    });
    let mut seen = HashSet::new();
    search(model, ops, &before, required, 0, model.init(), &mut seen)
}

fn search<M>(
    model: &M,
    ops: &[Operation<M::Input, M::Output>],
    before: &[u64],
    required: u64,
    placed: u64,
    state: M::State,
    seen: &mut HashSet<(u64, M::State)>,
) -> bool
where
    M: Model,
    M::State: Hash + Eq + Clone,
{
    if placed & required == required {
        return true;
    }
    if !seen.insert((placed, state.clone())) {
        return false;
    }
    (0..ops.len()).any(|i| {
        let bit = 1u64 << i;
        placed & bit == 0
            && before[i] & !placed == 0
            && model
                .step(&state, &ops[i].input, ops[i].output.as_ref())
                .is_some_and(|next| search(model, ops, before, required, placed | bit, next, seen))
    })
}

/// The index of the `pick`-th (cyclically) completed operation `fits`, if any.
fn nth_completed<I, O>(
    history: &History<I, O>,
    pick: usize,
    fits: impl Fn(&Operation<I, O>) -> bool,
) -> Option<usize> {
    let fitting: Vec<usize> = (0..history.len())
        .filter(|&i| history.ops[i].complete.is_some() && fits(&history.ops[i]))
        .collect();
    (!fitting.is_empty()).then(|| fitting[pick % fitting.len()])
}

/// Sets the output of a completed operation `fits` picks, or appends `input` returning
/// `output` after everything else when there is none.
fn set_or_append<I, O>(
    history: &mut History<I, O>,
    pick: usize,
    fits: impl Fn(&Operation<I, O>) -> bool,
    input: I,
    output: O,
) {
    match nth_completed(history, pick, fits) {
        Some(i) => history.ops[i].output = Some(output),
        None => {
            let end = history
                .ops
                .iter()
                .map(|op| op.complete.unwrap_or(op.invoke))
                .max()
                .unwrap_or(0);
            history.push_complete(999, end + 1, end + 2, input, output);
        }
    }
}

impl Atomic for RegisterModel {
    const NAME: &'static str = "register";

    fn input(&self, a: u8, b: u8) -> RegisterInput {
        match a % 3 {
            0 => RegisterInput::Read,
            1 => RegisterInput::Write(i64::from(b % 3)),
            _ => RegisterInput::Cas {
                expected: i64::from(b % 3),
                new: i64::from(b / 3 % 3),
            },
        }
    }

    fn output(&self, state: &Option<i64>, input: &RegisterInput) -> Option<RegisterOutput> {
        Some(match input {
            RegisterInput::Read => RegisterOutput::Value(*state),
            RegisterInput::Write(_) => RegisterOutput::Ok,
            RegisterInput::Cas { expected, .. } => RegisterOutput::Cas(*state == Some(*expected)),
        })
    }

    fn corrupt(
        &self,
        input: &RegisterInput,
        output: &RegisterOutput,
        c: u8,
    ) -> (RegisterInput, RegisterOutput) {
        let wrong = match (input, output) {
            (RegisterInput::Read, _) => {
                RegisterOutput::Value((c % 4 > 0).then_some(i64::from(c % 4) - 1))
            }
            (RegisterInput::Cas { .. }, RegisterOutput::Cas(swapped)) => {
                RegisterOutput::Cas(!swapped)
            }
            _ => {
                return (
                    RegisterInput::Read,
                    RegisterOutput::Value(Some(i64::from(c % 3))),
                )
            }
        };
        (input.clone(), wrong)
    }

    fn refute(&self, history: &mut History<RegisterInput, RegisterOutput>, pick: usize) {
        let read = |op: &Operation<RegisterInput, RegisterOutput>| op.input == RegisterInput::Read;
        let never = RegisterOutput::Value(Some(-7));
        set_or_append(history, pick, read, RegisterInput::Read, never);
    }
}

fn kv_key(b: u8) -> String {
    format!("k{}", b % 2)
}

impl Atomic for KvModel {
    const NAME: &'static str = "kv";

    fn input(&self, a: u8, b: u8) -> KvInput {
        let key = kv_key(b);
        let value = ["x", "y"][usize::from(b / 2 % 2)].to_owned();
        match a % 4 {
            0 => KvInput::Get { key },
            1 => KvInput::Put { key, value },
            2 => KvInput::Append { key, value },
            _ => KvInput::Cas {
                key,
                expected: ["", "x", "y"][usize::from(b / 4 % 3)].to_owned(),
                new: value,
            },
        }
    }

    fn output(&self, state: &Self::State, input: &KvInput) -> Option<KvOutput> {
        Some(match input {
            KvInput::Get { key } => KvOutput::Value(state.get(key)),
            KvInput::Put { .. } | KvInput::Append { .. } => KvOutput::Ok,
            KvInput::Cas { key, expected, .. } => KvOutput::Cas(state.get(key) == *expected),
        })
    }

    fn corrupt(&self, input: &KvInput, output: &KvOutput, c: u8) -> (KvInput, KvOutput) {
        let seen = ["", "x", "y", "xy", "yx", "xx"][usize::from(c % 6)].to_owned();
        match (input, output) {
            (KvInput::Cas { .. }, KvOutput::Cas(swapped)) => {
                (input.clone(), KvOutput::Cas(!swapped))
            }
            (KvInput::Get { .. }, _) => (input.clone(), KvOutput::Value(seen)),
            _ => (
                KvInput::Get {
                    key: input.key().to_owned(),
                },
                KvOutput::Value(seen),
            ),
        }
    }

    fn refute(&self, history: &mut History<KvInput, KvOutput>, pick: usize) {
        let get = |op: &Operation<KvInput, KvOutput>| op.input.is_read();
        let input = KvInput::Get { key: kv_key(0) };
        set_or_append(history, pick, get, input, KvOutput::Value("never".into()));
    }
}

impl Atomic for SetModel {
    const NAME: &'static str = "set";

    fn input(&self, a: u8, b: u8) -> SetInput {
        match a % 2 {
            0 => SetInput::Read,
            _ => SetInput::Add(i64::from(b % 4)),
        }
    }

    fn output(&self, state: &BTreeSet<i64>, input: &SetInput) -> Option<SetOutput> {
        Some(match input {
            SetInput::Read => SetOutput::Values(state.clone()),
            SetInput::Add(_) => SetOutput::Ok,
        })
    }

    fn corrupt(&self, _input: &SetInput, _output: &SetOutput, c: u8) -> (SetInput, SetOutput) {
        let items = (0..4).filter(|bit| c >> bit & 1 == 1).collect();
        (SetInput::Read, SetOutput::Values(items))
    }

    fn refute(&self, history: &mut History<SetInput, SetOutput>, pick: usize) {
        let read = |op: &Operation<SetInput, SetOutput>| op.input == SetInput::Read;
        let i = nth_completed(history, pick, read);
        let mut never = i
            .and_then(|i| match &history.ops[i].output {
                Some(SetOutput::Values(items)) => Some(items.clone()),
                _ => None,
            })
            .unwrap_or_default();
        never.insert(99);
        set_or_append(
            history,
            pick,
            read,
            SetInput::Read,
            SetOutput::Values(never),
        );
    }
}

fn queue_input(a: u8, b: u8) -> QueueInput {
    match a % 2 {
        0 => QueueInput::Dequeue,
        _ => QueueInput::Enqueue(i64::from(b % 3)),
    }
}

fn queue_corrupt(c: u8) -> (QueueInput, QueueOutput) {
    (QueueInput::Dequeue, QueueOutput::Value(i64::from(c % 3)))
}

fn queue_refute(history: &mut History<QueueInput, QueueOutput>, pick: usize) {
    let dequeue = |op: &Operation<QueueInput, QueueOutput>| op.input == QueueInput::Dequeue;
    set_or_append(
        history,
        pick,
        dequeue,
        QueueInput::Dequeue,
        QueueOutput::Value(99),
    );
}

impl Atomic for FifoQueueModel {
    const NAME: &'static str = "fifo-queue";

    fn input(&self, a: u8, b: u8) -> QueueInput {
        queue_input(a, b)
    }

    fn output(&self, state: &Self::State, input: &QueueInput) -> Option<QueueOutput> {
        match input {
            QueueInput::Enqueue(_) => Some(QueueOutput::Ok),
            QueueInput::Dequeue => state.front().map(|v| QueueOutput::Value(*v)),
        }
    }

    fn corrupt(&self, _: &QueueInput, _: &QueueOutput, c: u8) -> (QueueInput, QueueOutput) {
        queue_corrupt(c)
    }

    fn refute(&self, history: &mut History<QueueInput, QueueOutput>, pick: usize) {
        queue_refute(history, pick);
    }
}

impl Atomic for UnorderedQueueModel {
    const NAME: &'static str = "unordered-queue";

    fn input(&self, a: u8, b: u8) -> QueueInput {
        queue_input(a, b)
    }

    /// Takes the largest element (any choice is valid for an unordered queue).
    fn output(&self, state: &Self::State, input: &QueueInput) -> Option<QueueOutput> {
        match input {
            QueueInput::Enqueue(_) => Some(QueueOutput::Ok),
            QueueInput::Dequeue => state.keys().next_back().map(|v| QueueOutput::Value(*v)),
        }
    }

    fn corrupt(&self, _: &QueueInput, _: &QueueOutput, c: u8) -> (QueueInput, QueueOutput) {
        queue_corrupt(c)
    }

    fn refute(&self, history: &mut History<QueueInput, QueueOutput>, pick: usize) {
        queue_refute(history, pick);
    }
}

impl Atomic for MutexModel {
    const NAME: &'static str = "mutex";

    fn input(&self, a: u8, _b: u8) -> MutexInput {
        [MutexInput::Acquire, MutexInput::Release][usize::from(a % 2)]
    }

    fn output(&self, held: &bool, input: &MutexInput) -> Option<MutexOutput> {
        self.step(held, input, None).map(|_| MutexOutput)
    }

    fn corrupt(&self, input: &MutexInput, _: &MutexOutput, _c: u8) -> (MutexInput, MutexOutput) {
        let flipped = match input {
            MutexInput::Acquire => MutexInput::Release,
            MutexInput::Release => MutexInput::Acquire,
        };
        (flipped, MutexOutput)
    }

    /// Appends one acquire more than releases may separate: every indeterminate release
    /// can sit between two of them, one gap stays without a release.
    fn refute(&self, history: &mut History<MutexInput, MutexOutput>, _pick: usize) {
        let releases = history
            .ops
            .iter()
            .filter(|op| op.complete.is_none() && op.input == MutexInput::Release)
            .count() as u64;
        let end = history
            .ops
            .iter()
            .map(|op| op.complete.unwrap_or(op.invoke))
            .max()
            .unwrap_or(0);
        for k in 0..releases + 2 {
            let at = end + 1 + 2 * k;
            history.push_complete(900 + k, at, at + 1, MutexInput::Acquire, MutexOutput);
        }
    }
}

/// SplitMix64: a seeded stream for generated histories.
pub struct Stream(pub u64);

impl Stream {
    /// The next number.
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number below `n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// `n` raw operations from 10 overlapping ones down to sequential, 15% indeterminate,
    /// none corrupted.
    pub fn raws(&mut self, n: usize) -> Vec<Raw> {
        let reach = [0, 400, 1500, 4000][self.below(4) as usize] + 1;
        (0..n)
            .map(|_| Raw {
                a: self.below(256) as u8,
                b: self.below(256) as u8,
                before: self.below(reach),
                after: self.below(reach),
                indeterminate: self.below(100) < 15,
                applied: self.below(2) == 0,
                corrupt: None,
            })
            .collect()
    }
}

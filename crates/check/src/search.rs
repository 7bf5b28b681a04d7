//! Wing–Gong/Lowe search for a linearization of one partition of a history.
//!
//! Call and return events sit in a doubly-linked list in time order. The search walks
//! the list: at a call it tries to linearize that operation next (the model must allow
//! it and the resulting (linearized set, state) must be new to the memo); at a return
//! it backtracks, because that operation should already have been linearized. Taking
//! an operation out of the list ("lift") and putting it back ("unlift") are O(1).
//!
//! An indeterminate operation has no return event: it may be linearized anywhere after
//! its invocation, and the search succeeds once every completed operation is placed,
//! so it may also never take effect.

use crate::hashing::zobrist;
use crate::history::Operation;
use crate::memo::Memo;
use crate::model::Model;

const NONE: u32 = u32::MAX;

/// Why a partition could not be linearized, in indices of the partition's operations.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Witness {
    /// The longest sequence of operations the search managed to linearize.
    pub(crate) prefix: Vec<u32>,
    /// The operation whose completion was reached without it being placeable.
    pub(crate) blocked: Option<u32>,
    /// Other operations that were invoked but not placed at that point.
    pub(crate) pending: Vec<u32>,
    /// The model state after the prefix, rendered.
    pub(crate) state: String,
}

/// The outcome of searching one partition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// A linearization exists.
    Linearizable,
    /// None exists.
    NotLinearizable(Witness),
    /// The step or memory budget ran out first.
    OutOfBudget,
}

const MAX_PENDING: usize = 8;

/// The time-ordered event list.
struct Events {
    /// Operation of each event.
    op: Vec<u32>,
    /// For a call event, its return event (`NONE` if indeterminate); `NONE` for returns.
    ret: Vec<u32>,
    is_call: Vec<bool>,
    /// Links; index `len` is the list head.
    next: Vec<u32>,
    prev: Vec<u32>,
    /// The call event of each operation.
    call_of: Vec<u32>,
}

impl Events {
    fn new<I, O>(ops: &[&Operation<I, O>]) -> Self {
        // (time, 0 = call / 1 = return, op): calls before returns at equal times, so
        // operations that touch are treated as concurrent.
        let mut order: Vec<(u64, u8, u32)> = Vec::with_capacity(ops.len() * 2);
        for (i, op) in ops.iter().enumerate() {
            order.push((op.invoke, 0, i as u32));
            if let Some(done) = op.complete {
                order.push((done.max(op.invoke), 1, i as u32));
            }
        }
        order.sort_unstable();
        let n = order.len();
        let mut events = Events {
            op: Vec::with_capacity(n),
            ret: vec![NONE; n],
            is_call: Vec::with_capacity(n),
            next: (1..=n as u32).chain([0]).collect(),
            prev: std::iter::once(n as u32).chain(0..n as u32).collect(),
            call_of: vec![NONE; ops.len()],
        };
        for (at, &(_, kind, op)) in order.iter().enumerate() {
            events.op.push(op);
            events.is_call.push(kind == 0);
            if kind == 0 {
                events.call_of[op as usize] = at as u32;
            } else {
                events.ret[events.call_of[op as usize] as usize] = at as u32;
            }
        }
        events
    }

    fn head(&self) -> u32 {
        self.op.len() as u32
    }

    fn unlink(&mut self, e: u32) {
        let (p, n) = (self.prev[e as usize], self.next[e as usize]);
        self.next[p as usize] = n;
        self.prev[n as usize] = p;
    }

    fn relink(&mut self, e: u32) {
        let (p, n) = (self.prev[e as usize], self.next[e as usize]);
        self.next[p as usize] = e;
        self.prev[n as usize] = e;
    }

    /// Removes a call and its return from the list.
    fn lift(&mut self, call: u32) {
        self.unlink(call);
        let ret = self.ret[call as usize];
        if ret != NONE {
            self.unlink(ret);
        }
    }

    /// Undoes the most recent `lift`.
    fn unlift(&mut self, call: u32) {
        let ret = self.ret[call as usize];
        if ret != NONE {
            self.relink(ret);
        }
        self.relink(call);
    }

    /// Operations whose calls precede event `until` in the current list.
    fn pending_before(&self, until: u32, skip: u32) -> Vec<u32> {
        let mut out = Vec::new();
        let mut e = self.next[self.head() as usize];
        while e != until && e != self.head() && out.len() < MAX_PENDING {
            if self.is_call[e as usize] && self.op[e as usize] != skip {
                out.push(self.op[e as usize]);
            }
            e = self.next[e as usize];
        }
        out
    }
}

/// Searches for a linearization of `ops` under `model`, spending at most `*budget`
/// steps (decremented by the steps used) and giving up when the memo would hold more
/// than about `max_memo_bytes`. `memo` is scratch space, reset here.
pub(crate) fn search<M: Model>(
    model: &M,
    ops: &[&Operation<M::Input, M::Output>],
    budget: &mut u64,
    max_memo_bytes: usize,
    memo: &mut Memo<M::State>,
) -> Outcome {
    let mut remaining = ops.iter().filter(|op| op.complete.is_some()).count();
    if remaining == 0 {
        return Outcome::Linearizable;
    }
    let mut events = Events::new(ops);
    let head = events.head();
    let keys: Vec<u64> = (0..ops.len() as u32).map(zobrist).collect();
    memo.reset(ops.len().div_ceil(64));
    let mut bits = vec![0u64; ops.len().div_ceil(64)];
    let mut set_hash = 0u64;
    // States are named by their memo index; the stack holds (call event, state before).
    let mut stack: Vec<(u32, u32)> = Vec::new();
    let mut best: Option<(Witness, u32)> = None;
    let Some(mut state) = memo.insert(set_hash, &bits, model.init()) else {
        return Outcome::Linearizable;
    };
    let mut entry = events.next[head as usize];
    loop {
        if *budget == 0 {
            return Outcome::OutOfBudget;
        }
        *budget -= 1;
        let e = entry as usize;
        if entry != head && events.is_call[e] {
            let op = events.op[e];
            let o = ops[op as usize];
            if let Some(next) = model.step(memo.state(state), &o.input, o.output.as_ref()) {
                let (word, bit) = (op as usize / 64, 1u64 << (op % 64));
                bits[word] |= bit;
                set_hash ^= keys[op as usize];
                if let Some(next) = memo.insert(set_hash, &bits, next) {
                    if memo.approx_bytes() > max_memo_bytes {
                        return Outcome::OutOfBudget;
                    }
                    stack.push((entry, state));
                    state = next;
                    events.lift(entry);
                    if o.complete.is_some() {
                        remaining -= 1;
                        if remaining == 0 {
                            return Outcome::Linearizable;
                        }
                    }
                    entry = events.next[head as usize];
                    continue;
                }
                bits[word] &= !bit;
                set_hash ^= keys[op as usize];
            }
            entry = events.next[e];
        } else {
            if best
                .as_ref()
                .is_none_or(|(w, _)| stack.len() > w.prefix.len())
            {
                let blocked = (entry != head).then(|| events.op[e]);
                let witness = Witness {
                    prefix: stack.iter().map(|&(c, _)| events.op[c as usize]).collect(),
                    blocked,
                    pending: events.pending_before(entry, blocked.unwrap_or(NONE)),
                    state: String::new(),
                };
                best = Some((witness, state));
            }
            let Some((call, before)) = stack.pop() else {
                let (mut witness, at) = best.take().unwrap_or_default();
                let about = witness.blocked.map(|op| &ops[op as usize].input);
                witness.state = model.describe_state(memo.state(at), about);
                return Outcome::NotLinearizable(witness);
            };
            let op = events.op[call as usize];
            bits[op as usize / 64] &= !(1u64 << (op % 64));
            set_hash ^= keys[op as usize];
            events.unlift(call);
            if ops[op as usize].complete.is_some() {
                remaining += 1;
            }
            state = before;
            entry = events.next[call as usize];
        }
    }
}

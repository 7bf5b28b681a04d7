//! The search for a linearization of one partition, segment by segment.
//!
//! The partition is cut at quiescent points ([`Plan`]). Each segment is searched
//! Wing–Gong/Lowe style (a depth-first walk of its [`Events`], memoised on the set of
//! linearized operations and the state) from every configuration the previous segment
//! can end in, and yields the configurations it can end in: the model state and the
//! live indeterminate operations applied so far ([`Frontier`]). Indeterminate
//! operations are tried only while some operation that could observe them is still to
//! come, and never after a segment's last completed operation (they can always wait for
//! the next segment). The last segment stops at the first linearization found. Memory
//! is the memo of one segment, the frontier and the paths, whatever the history's length.

use crate::events::{Events, MAX_PENDING, NONE};
use crate::frontier::{Config, Frontier, PathId, Paths, ROOT};
use crate::hashing::zobrist;
use crate::history::Operation;
use crate::memo::Memo;
use crate::model::Model;
use crate::plan::{Indeterminate, Plan, Segment};

/// Which budget ran out before a verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Exhausted {
    /// The step budget (`--max-steps`).
    Steps,
    /// The memory budget (`--memory`).
    Memory,
}

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
    /// A linearization exists: this one (applied indeterminate operations included).
    Linearizable(Vec<u32>),
    /// None exists.
    NotLinearizable(Witness),
    /// A budget ran out first.
    OutOfBudget(Exhausted),
    /// The caller gave the search up.
    Cancelled,
}

/// Budgets of one partition's search, and when to give it up.
#[derive(Clone, Copy)]
pub(crate) struct Limits<'a> {
    pub(crate) steps: u64,
    pub(crate) bytes: usize,
    /// Checked every few thousand steps: when it returns true the search stops with
    /// [`Outcome::Cancelled`].
    pub(crate) cancelled: &'a (dyn Fn() -> bool + Sync),
}

/// Searches for a linearization of `ops` under `model` within `limits`. `memo` is
/// scratch space, emptied before use; passing the same one to every search of a worker
/// saves growing its tables again.
pub(crate) fn search<M: Model>(
    model: &M,
    ops: &[&Operation<M::Input, M::Output>],
    limits: Limits<'_>,
    memo: &mut Memo<M::State>,
) -> Outcome {
    let plan = Plan::new(model, ops);
    if plan.segments.is_empty() {
        return Outcome::Linearizable(Vec::new());
    }
    let mut run = Run {
        model,
        ops,
        paths: Paths::default(),
        memo,
        uops: Vec::new(),
        before: Vec::new(),
        steps: limits.steps,
        enumeration_floor: 0,
        bytes: limits.bytes,
        cancelled: limits.cancelled,
    };
    let mut frontier = vec![Config {
        state: model.init(),
        applied: Vec::new(),
        path: ROOT,
    }];
    let mut live: Vec<Indeterminate> = Vec::new();
    let mut walk = Walk::default();
    let mut upcoming = 0;
    let (mut from, mut span) = (0, 1);
    loop {
        let to = (from + span).min(plan.segments.len());
        let seg = Segment::merged(&plan.segments[from..to]);
        let last = to == plan.segments.len();
        live.retain(|i| i.until >= seg.start);
        let arriving = plan.indeterminate[upcoming..]
            .iter()
            .take_while(|i| i.invoke <= seg.end)
            .count();
        let mut here = live.clone();
        here.extend(
            plan.indeterminate[upcoming..upcoming + arriving]
                .iter()
                .filter(|i| i.until >= seg.start),
        );
        let starts = forget_expired(std::mem::take(&mut frontier), &here);
        match run.segment(&mut walk, &seg, &here, &starts, last) {
            SegmentEnd::Next(next) => {
                (frontier, live, from, span) = (next, here, to, 1);
                upcoming += arriving;
            }
            SegmentEnd::TooWide => (frontier, span) = (starts, span * 2),
            SegmentEnd::Done(path) => return Outcome::Linearizable(run.paths.unroll(path)),
            SegmentEnd::Stuck(witness) => return Outcome::NotLinearizable(witness),
            SegmentEnd::OutOfBudget(why) => return Outcome::OutOfBudget(why),
            SegmentEnd::Cancelled => return Outcome::Cancelled,
        }
    }
}

/// Drops applied operations that can no longer matter, merging what becomes equal.
fn forget_expired<S: Clone + Eq + std::hash::Hash>(
    configs: Vec<Config<S>>,
    live: &[Indeterminate],
) -> Vec<Config<S>> {
    if configs.iter().all(|c| c.applied.is_empty()) {
        return configs;
    }
    let mut alive: Vec<u32> = live.iter().map(|i| i.op).collect();
    alive.sort_unstable();
    let mut frontier = Frontier::new();
    for mut config in configs {
        config.applied.retain(|op| alive.binary_search(op).is_ok());
        frontier.add(config);
    }
    frontier.into_configs()
}

/// A segment whose end configurations outnumber this is searched again merged with
/// the segments after it, so that wide concurrency costs one search, not an
/// enumeration of every order.
const MAX_FRONTIER: usize = 64;
/// Nor may enumerating a segment's end configurations take more steps than this.
const MAX_ENUMERATION_STEPS: u64 = 1 << 12;

enum SegmentEnd<S> {
    Next(Vec<Config<S>>),
    /// Enumerating the end configurations exceeded [`MAX_FRONTIER`] or
    /// [`MAX_ENUMERATION_STEPS`]; merge with the next segments.
    TooWide,
    Cancelled,
    Done(PathId),
    Stuck(Witness),
    OutOfBudget(Exhausted),
}

struct Run<'a, M: Model> {
    model: &'a M,
    ops: &'a [&'a Operation<M::Input, M::Output>],
    paths: Paths,
    memo: &'a mut Memo<M::State>,
    /// The operations of the segment being searched, by local index.
    uops: Vec<&'a Operation<M::Input, M::Output>>,
    /// Scratch for [`Run::unplaceable_return`].
    before: Vec<&'a M::Input>,
    steps: u64,
    /// While enumerating a segment, `steps` at which it counts as too wide.
    enumeration_floor: u64,
    bytes: usize,
    cancelled: &'a (dyn Fn() -> bool + Sync),
}

/// The longest prefix seen in a segment: from which start, then which local ops.
struct Best {
    linearized: usize,
    start: PathId,
    stack: Vec<u32>,
    blocked: Option<u32>,
    pending: Vec<u32>,
    state: u32,
}

/// A segment's universe: its completed operations, then the live indeterminate ones.
struct Universe {
    ops: Vec<u32>,
    completed: usize,
    /// (partition index, local index) of the indeterminate operations, sorted.
    info_local: Vec<(u32, u32)>,
}

impl Universe {
    fn new(seg: &Segment, live: &[Indeterminate]) -> Self {
        let ops: Vec<u32> = seg
            .ops
            .iter()
            .copied()
            .chain(live.iter().map(|i| i.op))
            .collect();
        let completed = seg.ops.len();
        let mut info_local: Vec<(u32, u32)> =
            (completed..ops.len()).map(|l| (ops[l], l as u32)).collect();
        info_local.sort_unstable();
        Universe {
            ops,
            completed,
            info_local,
        }
    }

    fn local(&self, op: u32) -> u32 {
        let at = self
            .info_local
            .binary_search_by_key(&op, |&(o, _)| o)
            .expect("applied operations are live");
        self.info_local[at].1
    }
}

/// One linearized operation of the walk.
struct Placed {
    /// Its call event.
    call: u32,
    /// The state before it.
    before: u32,
    /// A read-only operation placed as soon as it was valid: the configuration before
    /// it is explored once the one after it is, so backtracking passes over it.
    forced: bool,
}

/// The depth-first walk's mutable position; [`Walk::reset`] readies it for the next
/// segment in place, so one walk (and its vectors) serves every segment of a search.
#[derive(Default)]
struct Walk {
    events: Events,
    keys: Vec<u64>,
    /// Per local operation: completed and read-only, so placed as soon as valid.
    eager: Vec<bool>,
    bits: Vec<u64>,
    set_hash: u64,
    stack: Vec<Placed>,
    state: u32,
    remaining: usize,
    entry: u32,
}

impl Walk {
    /// The walk of a segment's `uops` (the first `completed` of them completed; `eager`
    /// says which of those are read-only) from the empty set, before any start.
    fn reset<I, O>(
        &mut self,
        uops: &[&Operation<I, O>],
        completed: usize,
        eager: impl Iterator<Item = bool>,
    ) {
        self.events.reset(uops);
        self.keys.clear();
        self.keys.extend((0..uops.len() as u32).map(zobrist));
        self.eager.clear();
        self.eager.extend(eager);
        self.bits.clear();
        self.bits.resize(uops.len().div_ceil(64), 0);
        self.set_hash = 0;
        self.stack.clear();
        self.state = 0;
        self.remaining = completed;
        self.entry = 0;
    }

    fn flip(&mut self, local: u32) {
        self.bits[local as usize / 64] ^= 1u64 << (local % 64);
        self.set_hash ^= self.keys[local as usize];
    }

    /// Linearized local operations, in order.
    fn order(&self) -> impl Iterator<Item = u32> + '_ {
        self.stack.iter().map(|p| self.events.op[p.call as usize])
    }

    /// Undoes the last linearized operation that was a choice (and the forced ones
    /// after it), moving on to the next candidate; `false` when there is none.
    fn pop(&mut self, completed: usize) -> bool {
        loop {
            let Some(placed) = self.stack.pop() else {
                return false;
            };
            let op = self.events.op[placed.call as usize];
            self.flip(op);
            self.events.unlift(placed.call);
            if (op as usize) < completed {
                self.remaining += 1;
            }
            self.state = placed.before;
            self.entry = self.events.next[placed.call as usize];
            if !placed.forced {
                return true;
            }
        }
    }
}

/// Records the walk's position as the longest prefix when it beats `best`: stuck at
/// event `at` (the return of an operation that could not be placed, or the head).
fn note_best(best: &mut Option<Best>, walk: &Walk, universe: &Universe, start: PathId, at: u32) {
    let linearized = universe.completed - walk.remaining;
    if best.as_ref().is_none_or(|b| linearized > b.linearized) {
        let blocked = (at != walk.events.head()).then(|| walk.events.op[at as usize]);
        *best = Some(Best {
            linearized,
            start,
            stack: walk.order().collect(),
            blocked,
            pending: walk.events.pending_before(at, blocked.unwrap_or(NONE)),
            state: walk.state,
        });
    }
}

/// How many of the next return events [`Run::unplaceable_return`] looks at: on the
/// kv sets 8 prunes nearly as much as all of them, at a fraction of the cost.
const LOOKAHEAD_RETURNS: usize = 8;

/// How often (in steps) a search asks whether it was given up.
const CANCEL_CHECK_STEPS: u64 = 4096;

enum Stop {
    Exhausted(Exhausted),
    Cancelled,
}

/// What [`Run::try_place`] did with the operation at the walk's entry.
enum Try {
    /// Not placed (the model refused it, or the configuration was seen): try the next entry.
    Next,
    /// Not placed, and undoing a forced placement emptied the stack.
    Exhausted,
    /// Placed; `forced` if it was a read-only operation placed eagerly.
    Placed { forced: bool },
}

enum WalkEnd {
    Exhausted,
    Found,
    Explored,
    TooWide,
}

impl<M: Model> Run<'_, M> {
    fn segment(
        &mut self,
        walk: &mut Walk,
        seg: &Segment,
        live: &[Indeterminate],
        starts: &[Config<M::State>],
        last: bool,
    ) -> SegmentEnd<M::State> {
        let universe = Universe::new(seg, live);
        let ops = self.ops;
        self.uops.clear();
        self.uops
            .extend(universe.ops.iter().map(|&i| ops[i as usize]));
        let uops = &self.uops;
        let words = uops.len().div_ceil(64);
        self.memo.reset(words);
        let model = self.model;
        walk.reset(
            uops,
            universe.completed,
            uops.iter().enumerate().map(|(l, op)| {
                l < universe.completed && model.read_only(&op.input, op.output.as_ref())
            }),
        );
        let mut next = Frontier::new();
        let mut best: Option<Best> = None;
        let allowance = if last {
            u64::MAX
        } else {
            MAX_ENUMERATION_STEPS
        };
        let steps_before = self.steps;
        self.enumeration_floor = steps_before.saturating_sub(allowance);
        for start in starts {
            let preset: Vec<u32> = start.applied.iter().map(|&op| universe.local(op)).collect();
            for &l in &preset {
                walk.flip(l);
                walk.events.lift(walk.events.call_of[l as usize]);
            }
            let end = match self
                .memo
                .insert(walk.set_hash, &walk.bits, start.state.clone())
            {
                Some(state) => {
                    walk.state = state;
                    walk.entry = walk.events.next[walk.events.head() as usize];
                    self.walk(walk, &universe, start, last, &mut next, &mut best)
                }
                None => Ok(WalkEnd::Explored),
            };
            match end {
                Err(Stop::Exhausted(why)) => return SegmentEnd::OutOfBudget(why),
                Err(Stop::Cancelled) => return SegmentEnd::Cancelled,
                Ok(WalkEnd::Found) => {
                    let order = walk.order().map(|l| universe.ops[l as usize]);
                    return SegmentEnd::Done(self.paths.extend(start.path, order));
                }
                Ok(WalkEnd::TooWide) => return SegmentEnd::TooWide,
                Ok(WalkEnd::Exhausted | WalkEnd::Explored) => {}
            }
            for &l in preset.iter().rev() {
                walk.flip(l);
                walk.events.unlift(walk.events.call_of[l as usize]);
            }
        }
        if next.len() > 0 {
            return SegmentEnd::Next(next.into_configs());
        }
        SegmentEnd::Stuck(self.witness(best, &universe))
    }

    /// Walks every order of the segment from one start; `Found` when `last` and one
    /// linearizes it all, else every end configuration goes to `next`.
    fn walk(
        &mut self,
        walk: &mut Walk,
        universe: &Universe,
        start: &Config<M::State>,
        last: bool,
        next: &mut Frontier<M::State>,
        best: &mut Option<Best>,
    ) -> Result<WalkEnd, Stop> {
        let head = walk.events.head();
        loop {
            if let Some(stop) = self.spend_step(last) {
                return stop;
            }
            if walk.entry == head || !walk.events.is_call[walk.entry as usize] {
                note_best(best, walk, universe, start.path, walk.entry);
                if !walk.pop(universe.completed) {
                    return Ok(WalkEnd::Exhausted);
                }
                continue;
            }
            let forced = match self.try_place(walk, universe) {
                Try::Next => continue,
                Try::Exhausted => return Ok(WalkEnd::Exhausted),
                Try::Placed { forced } => forced,
            };
            if walk.remaining == 0 {
                if last {
                    return Ok(WalkEnd::Found);
                }
                next.add(self.end_config(walk, universe, start));
                if next.len() > MAX_FRONTIER {
                    return Ok(WalkEnd::TooWide);
                }
                if !walk.pop(universe.completed) {
                    return Ok(WalkEnd::Exhausted);
                }
            } else if let Some(stuck) = self.unplaceable_return(walk, forced) {
                // An operation that must be placed soon can no longer become valid.
                note_best(best, walk, universe, start.path, stuck);
                if !walk.pop(universe.completed) {
                    return Ok(WalkEnd::Exhausted);
                }
            }
            if self.memo.approx_bytes() + self.paths.bytes() + next.bytes() > self.bytes {
                return Err(Stop::Exhausted(Exhausted::Memory));
            }
        }
    }

    /// Takes one step of the budget; `Some` with the end when the budget is spent, the search
    /// was given up, or (not `last`) the segment's enumeration allowance ran out.
    #[inline]
    fn spend_step(&mut self, last: bool) -> Option<Result<WalkEnd, Stop>> {
        if self.steps == 0 {
            return Some(Err(Stop::Exhausted(Exhausted::Steps)));
        }
        if self.steps % CANCEL_CHECK_STEPS == 0 && (self.cancelled)() {
            return Some(Err(Stop::Cancelled));
        }
        if self.steps <= self.enumeration_floor && !last {
            return Some(Ok(WalkEnd::TooWide));
        }
        self.steps -= 1;
        None
    }

    /// Tries the operation whose call is at `walk.entry` as the next one linearized: placed
    /// if the model accepts it and the configuration it reaches is new, else the walk moves
    /// on to the next entry.
    #[inline]
    fn try_place(&mut self, walk: &mut Walk, universe: &Universe) -> Try {
        let e = walk.entry as usize;
        let local = walk.events.op[e];
        let op = self.uops[local as usize];
        let state = self.memo.state(walk.state);
        let Some(after) = self.model.step(state, &op.input, op.output.as_ref()) else {
            walk.entry = walk.events.next[e];
            return Try::Next;
        };
        let completed = (local as usize) < universe.completed;
        // An indeterminate operation that changes nothing here can be left out.
        if !completed && after == *state {
            walk.entry = walk.events.next[e];
            return Try::Next;
        }
        let forced = walk.eager[local as usize];
        walk.flip(local);
        let Some(after) = self.memo.insert(walk.set_hash, &walk.bits, after) else {
            walk.flip(local);
            walk.entry = walk.events.next[e];
            // Placing a read-only operation first was explored, so was all from here.
            if forced && !walk.pop(universe.completed) {
                return Try::Exhausted;
            }
            return Try::Next;
        };
        walk.stack.push(Placed {
            call: walk.entry,
            before: walk.state,
            forced,
        });
        walk.state = after;
        walk.events.lift(walk.entry);
        walk.entry = walk.events.next[walk.events.head() as usize];
        if completed {
            walk.remaining -= 1;
        }
        Try::Placed { forced }
    }

    /// The first of the next few return events in the list whose operation cannot
    /// become valid any more, given the operations whose calls come before that return
    /// (only those may be placed before it: [`Model::may_become_valid`]). Every
    /// completed operation of the segment is placed in it, so such an event makes the
    /// configuration a dead end. Not asked after a forced operation (the state did not
    /// change).
    fn unplaceable_return(&mut self, walk: &Walk, forced: bool) -> Option<u32> {
        if forced {
            return None;
        }
        let events = &walk.events;
        let head = events.head();
        let op = |local: u32| self.uops[local as usize];
        self.before.clear();
        let mut returns = 0;
        let mut e = events.next[head as usize];
        while e != head && returns < LOOKAHEAD_RETURNS {
            let local = events.op[e as usize];
            let operation = op(local);
            if events.is_call[e as usize] {
                // Read-only operations change no state: they cannot help an observer.
                if !walk.eager[local as usize] {
                    self.before.push(&operation.input);
                }
            } else {
                returns += 1;
                let state = self.memo.state(walk.state);
                let output = operation.output.as_ref();
                if !self
                    .model
                    .may_become_valid(state, &operation.input, output, &self.before)
                {
                    return Some(e);
                }
            }
            e = events.next[e as usize];
        }
        None
    }

    fn end_config(
        &mut self,
        walk: &Walk,
        universe: &Universe,
        start: &Config<M::State>,
    ) -> Config<M::State> {
        let order = walk.order().map(|l| universe.ops[l as usize]);
        let path = self.paths.extend(start.path, order);
        let mut applied: Vec<u32> = (universe.completed..universe.ops.len())
            .filter(|&l| walk.bits[l / 64] & (1u64 << (l % 64)) != 0)
            .map(|l| universe.ops[l])
            .collect();
        applied.sort_unstable();
        Config {
            state: self.memo.state(walk.state).clone(),
            applied,
            path,
        }
    }

    fn witness(&self, best: Option<Best>, universe: &Universe) -> Witness {
        let Some(best) = best else {
            return Witness::default();
        };
        let global = |l: u32| universe.ops[l as usize];
        let mut prefix = self.paths.unroll(best.start);
        prefix.extend(best.stack.iter().map(|&l| global(l)));
        let blocked = best.blocked.map(global);
        let about = blocked.map(|op| &self.ops[op as usize].input);
        let mut pending: Vec<u32> = best.pending.iter().map(|&l| global(l)).collect();
        pending.truncate(MAX_PENDING);
        Witness {
            prefix,
            blocked,
            pending,
            state: self
                .model
                .describe_state(self.memo.state(best.state), about),
        }
    }
}

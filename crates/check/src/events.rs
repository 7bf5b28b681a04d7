//! The time-ordered list of call and return events a segment's search walks.
//!
//! Call and return events sit in a doubly-linked list in time order. The search walks
//! the list: at a call it tries to linearize that operation next; at a return it must
//! backtrack, because that operation should already have been linearized. Taking an
//! operation out of the list ("lift") and putting it back ("unlift") are O(1).
//! An indeterminate operation has no return event.

use crate::history::Operation;

pub(crate) const NONE: u32 = u32::MAX;

/// At most this many pending operations are listed in a witness.
pub(crate) const MAX_PENDING: usize = 8;

/// The time-ordered event list.
pub(crate) struct Events {
    /// Operation of each event.
    pub(crate) op: Vec<u32>,
    /// For a call event, its return event (`NONE` if indeterminate); `NONE` for returns.
    pub(crate) ret: Vec<u32>,
    pub(crate) is_call: Vec<bool>,
    /// Links; index `len` is the list head.
    pub(crate) next: Vec<u32>,
    prev: Vec<u32>,
    /// The call event of each operation.
    pub(crate) call_of: Vec<u32>,
}

impl Events {
    pub(crate) fn new<I, O>(ops: &[&Operation<I, O>]) -> Self {
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

    pub(crate) fn head(&self) -> u32 {
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
    pub(crate) fn lift(&mut self, call: u32) {
        self.unlink(call);
        let ret = self.ret[call as usize];
        if ret != NONE {
            self.unlink(ret);
        }
    }

    /// Undoes the most recent `lift`.
    pub(crate) fn unlift(&mut self, call: u32) {
        let ret = self.ret[call as usize];
        if ret != NONE {
            self.relink(ret);
        }
        self.relink(call);
    }

    /// Operations whose calls precede event `until` in the current list.
    pub(crate) fn pending_before(&self, until: u32, skip: u32) -> Vec<u32> {
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

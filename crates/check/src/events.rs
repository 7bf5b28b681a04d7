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

/// The time-ordered event list; [`Events::reset`] refills it in place, so one list
/// carries every segment of a search without allocating again.
#[derive(Default)]
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
    /// Scratch for [`Events::reset`]: (time, 0 = call / 1 = return, op) sorted.
    order: Vec<(u64, u8, u32)>,
}

impl Events {
    /// Makes this the event list of `ops`, every event linked.
    pub(crate) fn reset<I, O>(&mut self, ops: &[&Operation<I, O>]) {
        // Calls before returns at equal times, so operations that touch are treated as
        // concurrent.
        self.order.clear();
        for (i, op) in ops.iter().enumerate() {
            self.order.push((op.invoke, 0, i as u32));
            if let Some(done) = op.complete {
                self.order.push((done.max(op.invoke), 1, i as u32));
            }
        }
        self.order.sort_unstable();
        let n = self.order.len();
        self.op.clear();
        self.is_call.clear();
        self.ret.clear();
        self.ret.resize(n, NONE);
        self.next.clear();
        self.next.extend((1..=n as u32).chain([0]));
        self.prev.clear();
        self.prev
            .extend(std::iter::once(n as u32).chain(0..n as u32));
        self.call_of.clear();
        self.call_of.resize(ops.len(), NONE);
        for (at, &(_, kind, op)) in self.order.iter().enumerate() {
            self.op.push(op);
            self.is_call.push(kind == 0);
            if kind == 0 {
                self.call_of[op as usize] = at as u32;
            } else {
                self.ret[self.call_of[op as usize] as usize] = at as u32;
            }
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn op(invoke: u64, complete: Option<u64>) -> Operation<(), ()> {
        Operation {
            client: 0,
            invoke,
            complete,
            input: (),
            output: None,
        }
    }

    fn fields(e: &Events) -> [Vec<u32>; 5] {
        let calls = e.is_call.iter().map(|&c| u32::from(c)).collect();
        [
            e.op.clone(),
            e.ret.clone(),
            calls,
            e.next.clone(),
            e.call_of.clone(),
        ]
    }

    /// A list reset for one segment and then, after lifts, for a smaller one is the list a
    /// fresh reset gives: nothing of the earlier segment is left over.
    #[test]
    fn a_reused_list_is_the_list_of_its_last_reset() {
        let (a, b, c) = (op(0, Some(5)), op(1, None), op(2, Some(3)));
        let mut reused = Events::default();
        reused.reset(&[&a, &b, &c]);
        reused.lift(reused.call_of[2]);
        let (d, e) = (op(10, Some(12)), op(11, Some(11)));
        reused.reset(&[&d, &e]);
        let mut fresh = Events::default();
        fresh.reset(&[&d, &e]);
        assert_eq!(fields(&reused), fields(&fresh));
        assert_eq!(reused.prev, fresh.prev);
        assert_eq!(fresh.op, [0, 1, 1, 0]);
        assert_eq!(fresh.next, [1, 2, 3, 4, 0]);
    }
}

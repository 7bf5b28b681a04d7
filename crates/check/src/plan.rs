//! How one partition is cut up for the search: segments between quiescent points, and
//! the window in which each indeterminate operation can still matter.
//!
//! A quiescent point is an instant at which no completed operation is pending: every
//! operation before it precedes every operation after it, so the search may finish one
//! segment, keep only the set of (state, applied indeterminate operations) it can end
//! in, and start the next from those. Indeterminate operations never return, so they
//! do not hold segments open; each stays available from its invocation until the
//! return of the last operation that could observe it (see [`Model::may_affect`]),
//! after which applying it can no longer help and it is forgotten.

use crate::history::Operation;
use crate::model::Model;

/// A run of completed operations with no quiescent point inside.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Segment {
    /// Earliest invocation in the segment.
    pub(crate) start: u64,
    /// Latest return in the segment.
    pub(crate) end: u64,
    /// The segment's completed operations (partition indices), by invocation.
    pub(crate) ops: Vec<u32>,
}

impl Segment {
    /// One segment covering consecutive `segments`.
    pub(crate) fn merged(segments: &[Segment]) -> Segment {
        Segment {
            start: segments.first().map_or(0, |s| s.start),
            end: segments.iter().map(|s| s.end).max().unwrap_or(0),
            ops: segments
                .iter()
                .flat_map(|s| s.ops.iter().copied())
                .collect(),
        }
    }
}

/// An indeterminate operation that some later operation could observe.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Indeterminate {
    /// Partition index.
    pub(crate) op: u32,
    /// Invocation time.
    pub(crate) invoke: u64,
    /// Return of the last operation that may observe it.
    pub(crate) until: u64,
}

/// The segments and the indeterminate operations worth trying, each by time.
pub(crate) struct Plan {
    pub(crate) segments: Vec<Segment>,
    /// Sorted by invocation; operations nobody can observe are left out.
    pub(crate) indeterminate: Vec<Indeterminate>,
}

impl Plan {
    pub(crate) fn new<M: Model>(model: &M, ops: &[&Operation<M::Input, M::Output>]) -> Plan {
        let ret = |i: u32| {
            let op = ops[i as usize];
            op.complete.map(|c| c.max(op.invoke))
        };
        let mut completed: Vec<u32> = (0..ops.len() as u32)
            .filter(|&i| ret(i).is_some())
            .collect();
        completed.sort_by_key(|&i| (ops[i as usize].invoke, i));
        let mut segments: Vec<Segment> = Vec::new();
        for &i in &completed {
            let (invoke, end) = (ops[i as usize].invoke, ret(i).unwrap_or(u64::MAX));
            match segments.last_mut() {
                Some(seg) if invoke <= seg.end => {
                    seg.end = seg.end.max(end);
                    seg.ops.push(i);
                }
                _ => segments.push(Segment {
                    start: invoke,
                    end,
                    ops: vec![i],
                }),
            }
        }
        let indeterminate = windows(model, ops, &completed);
        Plan {
            segments,
            indeterminate,
        }
    }
}

/// Above this many (indeterminate × completed) pairs the windows are not computed:
/// every indeterminate operation stays available to the end (sound, only slower).
const MAX_WINDOW_PAIRS: u64 = 200_000_000;

/// Each indeterminate operation's window: until the latest return of a completed
/// operation it may affect, or of a later indeterminate one that may, transitively.
fn windows<M: Model>(
    model: &M,
    ops: &[&Operation<M::Input, M::Output>],
    completed: &[u32],
) -> Vec<Indeterminate> {
    let mut by_return: Vec<(u64, u32)> = completed
        .iter()
        .map(|&i| {
            let op = ops[i as usize];
            (op.complete.unwrap_or(op.invoke).max(op.invoke), i)
        })
        .collect();
    by_return.sort_unstable_by(|a, b| b.cmp(a));
    let count = ops.len() - completed.len();
    let pairs = (count as u64).saturating_mul(ops.len().max(count) as u64);
    if pairs > MAX_WINDOW_PAIRS {
        return everything_available(ops, by_return.first().map(|&(ret, _)| ret));
    }
    let mut info: Vec<(u32, u64, Option<u64>)> = (0..ops.len() as u32)
        .filter(|&i| ops[i as usize].complete.is_none())
        .map(|i| {
            let effect = ops[i as usize];
            let until = by_return
                .iter()
                .take_while(|&&(ret, _)| ret >= effect.invoke)
                .find(|&&(_, o)| {
                    let seen = ops[o as usize];
                    model.may_affect(&effect.input, &seen.input, seen.output.as_ref())
                })
                .map(|&(ret, _)| ret);
            (i, effect.invoke, until)
        })
        .collect();
    // Indeterminate observers extend the window of what they observe, to a fixpoint.
    let mut changed = true;
    while changed {
        changed = false;
        for a in 0..info.len() {
            for b in 0..info.len() {
                let (Some(until_b), until_a) = (info[b].2, info[a].2) else {
                    continue;
                };
                if a == b || until_a.is_some_and(|u| u >= until_b) || until_b < info[a].1 {
                    continue;
                }
                let (effect, seen) = (ops[info[a].0 as usize], ops[info[b].0 as usize]);
                if model.may_affect(&effect.input, &seen.input, None) {
                    info[a].2 = Some(until_b);
                    changed = true;
                }
            }
        }
    }
    let mut out: Vec<Indeterminate> = info
        .into_iter()
        .filter_map(|(op, invoke, until)| until.map(|until| Indeterminate { op, invoke, until }))
        .collect();
    out.sort_by_key(|i| (i.invoke, i.op));
    out
}

/// Every indeterminate operation invoked before `last_return`, available until then.
fn everything_available<I, O>(
    ops: &[&Operation<I, O>],
    last_return: Option<u64>,
) -> Vec<Indeterminate> {
    let Some(until) = last_return else {
        return Vec::new();
    };
    let mut out: Vec<Indeterminate> = (0..ops.len() as u32)
        .filter(|&i| ops[i as usize].complete.is_none() && ops[i as usize].invoke <= until)
        .map(|op| Indeterminate {
            op,
            invoke: ops[op as usize].invoke,
            until,
        })
        .collect();
    out.sort_by_key(|i| (i.invoke, i.op));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::register::{RegisterInput as RI, RegisterModel, RegisterOutput as RO};
    use crate::History;

    fn plan(h: &History<RI, RO>) -> Plan {
        let ops: Vec<&Operation<RI, RO>> = h.ops.iter().collect();
        Plan::new(&RegisterModel, &ops)
    }

    #[test]
    fn segments_split_where_nothing_completed_is_pending() {
        let mut h = History::new();
        h.push_complete(0, 0, 10, RI::Write(1), RO::Ok);
        h.push_complete(1, 10, 20, RI::Read, RO::Value(Some(1)));
        h.push_indeterminate(2, 15, RI::Write(2));
        h.push_complete(0, 21, 30, RI::Read, RO::Value(Some(2)));
        h.push_complete(1, 25, 40, RI::Read, RO::Value(Some(2)));
        let p = plan(&h);
        let ops: Vec<Vec<u32>> = p.segments.iter().map(|s| s.ops.clone()).collect();
        assert_eq!(ops, [vec![0, 1], vec![3, 4]]);
        assert_eq!((p.segments[1].start, p.segments[1].end), (21, 40));
        assert_eq!(
            p.indeterminate,
            [Indeterminate {
                op: 2,
                invoke: 15,
                until: 40
            }]
        );
    }

    #[test]
    fn unobservable_indeterminate_ops_are_left_out() {
        let mut h = History::new();
        h.push_indeterminate(0, 0, RI::Read);
        h.push_indeterminate(1, 0, RI::Write(7));
        h.push_complete(2, 5, 10, RI::Read, RO::Value(None));
        h.push_indeterminate(3, 0, RI::Write(8));
        h.push_complete(2, 20, 30, RI::Read, RO::Value(Some(8)));
        h.push_indeterminate(4, 40, RI::Write(8));
        let p = plan(&h);
        let kept: Vec<u32> = p.indeterminate.iter().map(|i| i.op).collect();
        assert_eq!(
            kept,
            [3],
            "the read, the unread 7 and the write after the last read go"
        );
    }

    #[test]
    fn an_indeterminate_observer_extends_the_window_of_what_it_observes() {
        let mut h = History::new();
        h.push_indeterminate(0, 0, RI::Write(1));
        h.push_indeterminate(
            1,
            5,
            RI::Cas {
                expected: 1,
                new: 2,
            },
        );
        h.push_complete(2, 50, 60, RI::Read, RO::Value(Some(2)));
        let p = plan(&h);
        let until: Vec<(u32, u64)> = p.indeterminate.iter().map(|i| (i.op, i.until)).collect();
        assert_eq!(until, [(0, 60), (1, 60)]);
    }
}

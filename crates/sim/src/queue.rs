//! The event queue: events popped in (time, sequence number) order.
//!
//! The sequence number is assigned at scheduling time, so events due at the same instant run in the
//! order they were scheduled (FIFO) and a run never depends on the queue's internal layout.
//!
//! Two kinds of storage, one order:
//! - **Lanes.** Events scheduled a fixed delay after the current time (a fixed-latency link, a
//!   periodic timer) arrive in nondecreasing time order for that delay, and their sequence numbers
//!   only grow. So each delay gets a FIFO lane (a ring buffer, events stored inline), and only the
//!   head of each lane sits in the heap. A run whose events mostly share a few delays keeps its
//!   heap tiny and its lanes read sequentially.
//! - **The heap.** Every other event: a binary heap of small keys (time, sequence, slot) while the
//!   events themselves wait in a slab of reusable slots, so sifting moves 24-byte keys. When it
//!   grows large, keys for the next second wait in time buckets in front of it
//!   ([`crate::calendar`]).
//!
//! The keys are those of every heap event and the head of every non-empty lane, so their minimum
//! is the global minimum by (time, sequence): the pop order is exactly that of a single heap. A
//! steady run allocates nothing per event.

use crate::calendar::{Calendar, Timed};
use crate::time::Time;
use std::cmp::Ordering;
use std::collections::VecDeque;

/// Lanes kept at most; a delay without a lane (and no empty lane to take over) uses the heap.
const MAX_LANES: usize = 8;

/// A lane that empties gives back its buffer if it had grown beyond this many events, so a burst
/// (every node starting at once) does not hold its memory for the rest of the run.
const LANE_KEEP: usize = 1024;

/// Where the event a heap key stands for waits.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Source {
    /// In the slab, at this slot.
    Slot(u32),
    /// At the head of this lane.
    Lane(u32),
}

#[derive(Clone, Copy, PartialEq, Eq)]
struct Key {
    time: Time,
    seq: u64,
    source: Source,
}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Key {
    /// (time, seq) as one number, compared in one step instead of two.
    #[inline]
    fn rank(&self) -> u128 {
        (u128::from(self.time.as_nanos()) << 64) | u128::from(self.seq)
    }
}

impl Timed for Key {
    #[inline]
    fn nanos(&self) -> u64 {
        self.time.as_nanos()
    }
}

impl Ord for Key {
    /// Reversed so the max-heap pops the earliest (time, seq) first.
    #[inline]
    fn cmp(&self, other: &Self) -> Ordering {
        other.rank().cmp(&self.rank())
    }
}

/// Events scheduled with one delay, in (time, seq) order.
struct Lane<E> {
    delay: u64,
    events: VecDeque<(Time, u64, E)>,
}

/// A min-queue of events keyed by virtual time with FIFO tie-breaking.
pub struct EventQueue<E> {
    keys: Calendar<Key>,
    slots: Vec<Option<E>>,
    free: Vec<u32>,
    lanes: Vec<Lane<E>>,
    next_seq: u64,
    len: usize,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        EventQueue {
            keys: Calendar::default(),
            slots: Vec::new(),
            free: Vec::new(),
            lanes: Vec::new(),
            next_seq: 0,
            len: 0,
        }
    }
}

impl<E> EventQueue<E> {
    /// An empty queue.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty queue whose keys go to buckets of 2^shift ns once its heap holds `spill`.
    #[cfg(test)]
    fn with_calendar(spill: usize, shift: u32) -> Self {
        EventQueue {
            keys: Calendar::new(spill, shift),
            ..Self::default()
        }
    }

    fn next_seq(&mut self) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.len += 1;
        seq
    }

    /// Schedules `event` at `time`, after every event already scheduled for that time.
    pub fn push(&mut self, time: Time, event: E) {
        let seq = self.next_seq();
        self.push_heap(time, seq, event);
    }

    fn push_heap(&mut self, time: Time, seq: u64, event: E) {
        let slot = match self.free.pop() {
            Some(slot) => {
                self.slots[slot as usize] = Some(event);
                slot
            }
            None => {
                let grows = self.slots.len() == self.slots.capacity();
                self.slots.push(Some(event));
                if grows {
                    // At 10^6 nodes the slab holds every node's first timer: huge pages for
                    // the part not yet written.
                    crate::hugepages::advise(&self.slots);
                }
                u32::try_from(self.slots.len() - 1).expect("more than 2^32 pending events")
            }
        };
        self.keys.push(Key {
            time,
            seq,
            source: Source::Slot(slot),
        });
    }

    /// Like [`EventQueue::push`] for an event due `delay` ns after the current time (`time` is
    /// that instant). Events pushed with one delay wait in that delay's FIFO lane (one that would
    /// break its lane's time order goes to the heap); the order they pop in is the same as with
    /// `push`.
    #[inline]
    pub fn push_after(&mut self, delay: u64, time: Time, event: E) {
        let seq = self.next_seq();
        let fits = |lane: &Lane<E>| lane.events.back().is_none_or(|last| last.0 <= time);
        let lane = match self.lanes.iter().position(|l| l.delay == delay) {
            Some(i) => Some(i).filter(|i| fits(&self.lanes[*i])),
            None => self.claim_lane(delay),
        };
        let Some(index) = lane else {
            self.push_heap(time, seq, event);
            return;
        };
        let lane = &mut self.lanes[index];
        if lane.events.is_empty() {
            self.keys.push(Key {
                time,
                seq,
                source: Source::Lane(index as u32),
            });
        }
        lane.events.push_back((time, seq, event));
    }

    /// A lane for `delay`: an empty one taken over, or a new one while there are fewer than
    /// [`MAX_LANES`].
    fn claim_lane(&mut self, delay: u64) -> Option<usize> {
        if let Some(i) = self.lanes.iter().position(|l| l.events.is_empty()) {
            self.lanes[i].delay = delay;
            return Some(i);
        }
        if self.lanes.len() < MAX_LANES {
            self.lanes.push(Lane {
                delay,
                events: VecDeque::new(),
            });
            return Some(self.lanes.len() - 1);
        }
        None
    }

    /// Removes and returns the earliest event.
    #[inline]
    pub fn pop(&mut self) -> Option<(Time, E)> {
        let top = *self.keys.peek()?;
        self.len -= 1;
        match top.source {
            Source::Slot(slot) => {
                self.keys.pop();
                let event = self.slots[slot as usize]
                    .take()
                    .expect("a queued slot holds its event");
                self.free.push(slot);
                Some((top.time, event))
            }
            Source::Lane(index) => {
                let lane = &mut self.lanes[index as usize].events;
                let (time, _, event) = lane.pop_front().expect("a lane in the heap has a head");
                match lane.front() {
                    // Replacing the top sifts it down once, instead of a pop and a push.
                    Some(&(time, seq, _)) => self.keys.replace_top(Key {
                        time,
                        seq,
                        source: Source::Lane(index),
                    }),
                    None => {
                        self.keys.pop();
                        if lane.capacity() > LANE_KEEP {
                            *lane = VecDeque::new();
                        }
                    }
                }
                Some((time, event))
            }
        }
    }

    /// The earliest event, if any (the one [`EventQueue::pop`] would return next).
    #[inline]
    pub fn peek(&self) -> Option<&E> {
        let top = self.keys.peek()?;
        match top.source {
            Source::Slot(slot) => self.slots[slot as usize].as_ref(),
            Source::Lane(index) => self.lanes[index as usize]
                .events
                .front()
                .map(|(_, _, event)| event),
        }
    }

    /// Starts loading the events likely to come after the earliest one (see [`crate::prefetch`]):
    /// the heap's second level holds the next smallest key, so its events in the slab are
    /// prefetched one step before [`EventQueue::peek`] reads them. Lanes are read in order and
    /// need no hint.
    #[inline]
    pub(crate) fn prefetch_following(&self) {
        for key in self.keys.heap_slice().iter().skip(1).take(2) {
            if let Some(event) = match key.source {
                Source::Slot(slot) => self.slots.get(slot as usize),
                Source::Lane(_) => None,
            } {
                crate::prefetch::prefetch(event);
            }
        }
    }

    /// The time of the earliest event, if any.
    pub fn peek_time(&self) -> Option<Time> {
        self.keys.peek().map(|key| key.time)
    }

    /// Every pending event, in storage order (not time order): the slab, then each lane.
    pub fn iter(&self) -> impl Iterator<Item = &E> {
        let slab = self.slots.iter().flatten();
        slab.chain(
            self.lanes
                .iter()
                .flat_map(|lane| lane.events.iter().map(|(_, _, event)| event)),
        )
    }

    /// Number of pending events.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when nothing is scheduled.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn pops_in_time_order_with_fifo_ties() {
        let mut queue = EventQueue::new();
        queue.push(Time::from_nanos(5), "late");
        queue.push(Time::from_nanos(1), "first-at-1");
        queue.push_after(1, Time::from_nanos(1), "second-at-1");
        queue.push(Time::from_nanos(3), "middle");
        queue.push_after(1, Time::from_nanos(1), "third-at-1");
        let order: Vec<_> = std::iter::from_fn(|| queue.pop().map(|(_, e)| e)).collect();
        assert_eq!(
            order,
            ["first-at-1", "second-at-1", "third-at-1", "middle", "late"]
        );
        assert!(queue.is_empty());
    }

    proptest! {
        /// Whatever mix of heap and lane pushes (including delays that break a lane's order and
        /// more delays than lanes) and whatever calendar in front of the heap (buckets from a
        /// heap of 0 to 5 keys, of 1 to 8 ns, keys beyond the last bucket), events pop exactly
        /// in (time, push order), and `peek` shows the event `pop` returns next.
        #[test]
        fn lanes_pop_in_the_same_order_as_one_heap(
            ops in prop::collection::vec(
                (0u8..4, prop_oneof![3 => 0u64..12, 1 => 0u64..10_000], any::<bool>()),
                1..400,
            ),
            spill in 0usize..6,
            shift in 0u32..4,
        ) {
            let mut queue = EventQueue::with_calendar(spill, shift);
            let mut reference: Vec<(Time, usize)> = Vec::new();
            let mut now = Time::ZERO;
            let mut popped = Vec::new();
            let mut expected = Vec::new();
            for (pushed, (op, delay, lane)) in ops.into_iter().enumerate() {
                if op == 0 {
                    let peeked = queue.peek().copied();
                    let next = queue.pop();
                    prop_assert_eq!(peeked, next.map(|(_, id)| id));
                    if let Some((time, id)) = next {
                        now = time;
                        popped.push((time, id));
                    }
                    reference.sort();
                    if !reference.is_empty() {
                        expected.push(reference.remove(0));
                    }
                    continue;
                }
                let time = Time::from_nanos(now.as_nanos() + delay);
                if lane {
                    // Keys shared by several delays can break a lane's order: the heap takes those.
                    let key = if op == 1 { delay % 5 } else { delay };
                    queue.push_after(key, time, pushed);
                } else {
                    queue.push(time, pushed);
                }
                reference.push((time, pushed));
                prop_assert_eq!(queue.len(), reference.len());
            }
            reference.sort();
            expected.extend(reference);
            popped.extend(std::iter::from_fn(|| queue.pop()));
            prop_assert_eq!(popped, expected);
        }
    }
}

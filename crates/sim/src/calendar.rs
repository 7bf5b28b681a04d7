//! The event queue's keys in pop order: a binary heap for the near future, and when the heap grows
//! large, time buckets ahead of it (a calendar queue in front of the heap).
//!
//! At 10^6 gossip nodes every node's first timer is queued at once, staggered over the first
//! second: a heap of 10^6 keys (24 MB) whose every pop sifts through levels that miss the cache.
//! Once the heap holds [`SPILL`] keys, keys due in the next [`BUCKETS`] buckets of 2^[`SHIFT`] ns
//! (1.05 ms each, ~1.07 s in all) wait unsorted in their bucket instead; a bucket enters the heap
//! only when the heap has nothing earlier. The heap then holds about one bucket's keys and stays
//! in the cache. Keys compare by their full order (time, then sequence), so the pop order is
//! exactly that of one heap: no outcome or trace hash depends on where a key waited.

use std::collections::{BinaryHeap, VecDeque};

/// Heap size above which keys go to buckets (96 KB of 24-byte keys: about the L2 cache).
const SPILL: usize = 4096;

/// Number of buckets ahead of the heap.
const BUCKETS: usize = 1024;

/// A bucket spans 2^SHIFT ns.
const SHIFT: u32 = 20;

/// A bucket whose buffer grew beyond this many keys gives it back once it enters the heap, so the
/// buckets keep at most ~1.5 MB between bursts.
const BUCKET_KEEP: usize = 64;

/// The heap gives back most of its buffer once it holds under a quarter of it, above this many
/// keys: the burst of every node's first (staggered) timer can grow it to 2^20 keys at 10^6 nodes,
/// and a steady run then holds a few thousand.
const HEAP_KEEP: usize = 1 << 16;

/// A queue key: totally ordered (the max pops first), and due at an instant.
pub(crate) trait Timed: Ord + Copy {
    /// The instant the key is due, in ns.
    fn nanos(&self) -> u64;
}

/// Keys popped greatest first (as [`BinaryHeap`]), some waiting in time buckets.
pub(crate) struct Calendar<K> {
    /// Every key in a bucket before `start`, and any others (far ones, or pushed while the
    /// buckets were idle). Unless `bucketed` is 0, its top is before bucket `start`, so it is
    /// the greatest key of all.
    heap: BinaryHeap<K>,
    /// `buckets[i]` holds keys of bucket `start + i`, unsorted; empty until first used.
    buckets: VecDeque<Vec<K>>,
    /// Bucket number (ns >> SHIFT) of `buckets[0]`.
    start: u64,
    /// Keys in buckets.
    bucketed: usize,
    /// Heap size from which keys go to buckets ([`SPILL`]).
    spill: usize,
    /// A bucket spans 2^shift ns ([`SHIFT`]).
    shift: u32,
}

impl<K: Timed> Default for Calendar<K> {
    fn default() -> Self {
        Calendar::new(SPILL, SHIFT)
    }
}

impl<K: Timed> Calendar<K> {
    /// Empty; keys go to buckets of 2^shift ns once the heap holds `spill`.
    pub(crate) fn new(spill: usize, shift: u32) -> Self {
        Calendar {
            heap: BinaryHeap::new(),
            buckets: VecDeque::new(),
            start: 0,
            bucketed: 0,
            spill,
            shift,
        }
    }

    fn bucket(&self, key: &K) -> u64 {
        key.nanos() >> self.shift
    }

    /// Adds `key`.
    #[inline]
    pub(crate) fn push(&mut self, key: K) {
        if self.bucketed == 0 {
            if self.heap.len() < self.spill {
                self.heap.push(key);
                return;
            }
            // Idle buckets may lag behind: start them at the earliest pending key.
            if let Some(top) = self.heap.peek() {
                self.start = self.start.max(self.bucket(top));
            }
        }
        self.push_spilled(key);
    }

    /// Adds `key` to its bucket, or to the heap when it is before or beyond the buckets.
    fn push_spilled(&mut self, key: K) {
        match self.bucket(&key).checked_sub(self.start) {
            Some(ahead) if ahead < BUCKETS as u64 => {
                if self.buckets.is_empty() {
                    self.buckets.resize_with(BUCKETS, Vec::new);
                }
                self.buckets[ahead as usize].push(key);
                self.bucketed += 1;
            }
            _ => self.heap.push(key),
        }
        self.settle();
    }

    /// The greatest key.
    #[inline]
    pub(crate) fn peek(&self) -> Option<&K> {
        self.heap.peek()
    }

    /// The heap's keys in its array order (the greatest first, its children next).
    pub(crate) fn heap_slice(&self) -> &[K] {
        self.heap.as_slice()
    }

    /// Removes the greatest key.
    #[inline]
    pub(crate) fn pop(&mut self) -> Option<K> {
        let key = self.heap.pop()?;
        if self.heap.capacity() > HEAP_KEEP && self.heap.len() < self.heap.capacity() / 4 {
            self.heap.shrink_to(self.heap.len() * 2);
        }
        if self.bucketed > 0 {
            self.settle();
        }
        Some(key)
    }

    /// Replaces the greatest key with `key` (one sift instead of a pop and a push); `key` must
    /// not be greater than the one it replaces.
    #[inline]
    pub(crate) fn replace_top(&mut self, key: K) {
        if let Some(mut top) = self.heap.peek_mut() {
            *top = key;
        }
        if self.bucketed > 0 {
            self.settle();
        }
    }

    /// Moves buckets into the heap until its top is the greatest key of all.
    fn settle(&mut self) {
        while self.bucketed > 0
            && self
                .heap
                .peek()
                .is_none_or(|top| self.bucket(top) >= self.start)
        {
            self.advance();
        }
    }

    /// Moves the first bucket into the heap; the next bucket becomes the first.
    fn advance(&mut self) {
        let Some(mut bucket) = self.buckets.pop_front() else {
            return;
        };
        self.bucketed -= bucket.len();
        self.heap.extend(bucket.drain(..));
        if bucket.capacity() > BUCKET_KEEP {
            bucket = Vec::new();
        }
        self.buckets.push_back(bucket);
        self.start += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Timed for u64 {
        fn nanos(&self) -> u64 {
            u64::MAX - self
        }
    }

    #[test]
    fn the_heap_gives_back_the_buffer_of_a_burst() {
        let mut keys = Calendar::default();
        for i in 0..4 * HEAP_KEEP as u64 {
            keys.push(u64::MAX - i);
        }
        while keys.heap.len() > 10 {
            keys.pop();
        }
        assert!(
            keys.heap.capacity() <= HEAP_KEEP,
            "{}",
            keys.heap.capacity()
        );
    }

    #[test]
    fn a_burst_waits_in_buckets_and_the_heap_stays_small() {
        // 10^5 keys spread over the first second, pushed in a scrambled order.
        let mut keys = Calendar::default();
        for i in 0..100_000u64 {
            keys.push(u64::MAX - (i * 7_919 % 100_000) * 10_000);
        }
        let mut largest_heap = 0;
        let mut last = u64::MAX;
        while let Some(key) = keys.pop() {
            assert!(key <= last, "popped out of order");
            last = key;
            largest_heap = largest_heap.max(keys.heap.len());
        }
        assert!(largest_heap < 2 * SPILL, "{largest_heap}");
    }
}

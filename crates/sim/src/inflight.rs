//! Messages in flight, kept apart from the events that will deliver them.
//!
//! A delivery event names its message by slot, so every queued event is as small as a timer
//! (~40 bytes instead of the message's size plus ~30): at 10^6 gossip nodes the queue holds one
//! pending timer per node all run long, and those timers, not the few thousand messages in
//! flight, are what the queue's memory is made of.

/// A slab of messages: parked when sent, taken when delivered, dropped or lost.
#[derive(Debug)]
pub(crate) struct InFlight<M> {
    slots: Vec<Option<M>>,
    free: Vec<u32>,
}

impl<M> Default for InFlight<M> {
    fn default() -> Self {
        InFlight {
            slots: Vec::new(),
            free: Vec::new(),
        }
    }
}

impl<M> InFlight<M> {
    /// Parks `msg`; returns the slot to take it back from.
    pub(crate) fn park(&mut self, msg: M) -> u32 {
        match self.free.pop() {
            Some(slot) => {
                self.slots[slot as usize] = Some(msg);
                slot
            }
            None => {
                let slot = u32::try_from(self.slots.len()).expect("fewer than 2^32 in flight");
                self.slots.push(Some(msg));
                slot
            }
        }
    }

    /// Takes back the message parked in `slot`; the slot is free again.
    pub(crate) fn take(&mut self, slot: u32) -> M {
        let msg = self.slots[slot as usize]
            .take()
            .expect("a delivery's message is parked until it is taken");
        self.free.push(slot);
        msg
    }

    /// Starts loading the message parked in `slot` into the cache (see [`crate::prefetch`]).
    #[inline]
    pub(crate) fn prefetch(&self, slot: u32) {
        if let Some(msg) = self.slots.get(slot as usize) {
            crate::prefetch::prefetch(msg);
        }
    }

    /// Number of messages parked.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.slots.len() - self.free.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_reused_and_messages_come_back_unchanged() {
        let mut parked = InFlight::default();
        let a = parked.park("a");
        let b = parked.park("b");
        assert_eq!(parked.take(a), "a");
        let c = parked.park("c");
        assert_eq!(c, a, "a freed slot is reused");
        assert_eq!((parked.take(b), parked.take(c)), ("b", "c"));
        assert_eq!(parked.len(), 0);
        assert_eq!(parked.slots.len(), 2);
    }
}

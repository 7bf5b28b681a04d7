//! What a leader knows about one follower's log, and the flow control of appends to it.

use std::collections::VecDeque;

/// How the leader is currently sending to a follower.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SendState {
    /// Looking for the match point: one append at a time.
    Probe,
    /// Match point known: pipelined appends, bounded by the in-flight window.
    Replicate,
    /// Streaming a snapshot at `index`; `offset` bytes are acknowledged.
    Snapshot { index: u64, offset: u64 },
}

/// Leader-side view of one follower.
#[derive(Clone, Debug)]
pub(crate) struct Progress {
    /// Highest index known replicated on the follower.
    pub(crate) match_index: u64,
    /// Next index to send.
    pub(crate) next_index: u64,
    /// Sending mode.
    pub(crate) state: SendState,
    /// In Probe: an append is outstanding; wait for an answer or a heartbeat response.
    pub(crate) probe_sent: bool,
    /// Appends in flight: (last index carried, bytes).
    inflight: VecDeque<(u64, u64)>,
    inflight_bytes: u64,
    /// Heard from the follower since the last check-quorum round.
    pub(crate) recent_active: bool,
    /// Highest heartbeat round the follower acknowledged in this term.
    pub(crate) acked_seq: u64,
    /// Send time of the latest acknowledged heartbeat (for the lease), if any.
    pub(crate) acked_at: Option<u64>,
    /// Highest commit index this follower was told it may adopt.
    pub(crate) commit_sent: u64,
}

impl Progress {
    /// A follower about which nothing is known yet; sending starts at `next_index`.
    pub(crate) fn new(next_index: u64) -> Self {
        Progress {
            match_index: 0,
            next_index,
            state: SendState::Probe,
            probe_sent: false,
            inflight: VecDeque::new(),
            inflight_bytes: 0,
            recent_active: false,
            acked_seq: 0,
            acked_at: None,
            commit_sent: 0,
        }
    }

    /// True if no append may be sent now.
    pub(crate) fn is_paused(&self, max_msgs: usize, max_bytes: u64) -> bool {
        match self.state {
            SendState::Probe => self.probe_sent,
            SendState::Replicate => {
                self.inflight.len() >= max_msgs || self.inflight_bytes >= max_bytes
            }
            SendState::Snapshot { .. } => true,
        }
    }

    /// Records an append carrying entries up to `last` (of `bytes` bytes) as sent.
    pub(crate) fn sent(&mut self, last: u64, bytes: u64) {
        match self.state {
            SendState::Replicate => {
                if last >= self.next_index {
                    self.next_index = last + 1;
                    self.inflight.push_back((last, bytes));
                    self.inflight_bytes += bytes;
                }
            }
            SendState::Probe => self.probe_sent = true,
            SendState::Snapshot { .. } => {}
        }
    }

    /// Records that the follower holds everything up to `index`. Returns true if that is news.
    pub(crate) fn acked(&mut self, index: u64) -> bool {
        self.probe_sent = false;
        while let Some(&(last, bytes)) = self.inflight.front() {
            if last > index {
                break;
            }
            self.inflight.pop_front();
            self.inflight_bytes -= bytes;
        }
        if index <= self.match_index {
            return false;
        }
        self.match_index = index;
        self.next_index = self.next_index.max(index + 1);
        if self.state == SendState::Probe {
            self.become_replicate();
        }
        true
    }

    /// Switches to pipelined sending right after the match point.
    pub(crate) fn become_replicate(&mut self) {
        self.state = SendState::Replicate;
        self.next_index = self.match_index + 1;
        self.clear_inflight();
    }

    /// Switches to probing from `next_index`.
    pub(crate) fn become_probe(&mut self, next_index: u64) {
        self.state = SendState::Probe;
        self.next_index = next_index.max(self.match_index + 1);
        self.probe_sent = false;
        self.clear_inflight();
    }

    /// Frees one in-flight slot (a heartbeat answer proves the link works even if an append
    /// was lost; the follower will reject the gap and the leader falls back to probing).
    pub(crate) fn free_first_inflight(&mut self) {
        if let Some((_, bytes)) = self.inflight.pop_front() {
            self.inflight_bytes -= bytes;
        }
    }

    fn clear_inflight(&mut self) {
        self.inflight.clear();
        self.inflight_bytes = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_sends_one_at_a_time() {
        let mut p = Progress::new(5);
        assert!(!p.is_paused(4, 100));
        p.sent(7, 10);
        assert!(p.is_paused(4, 100));
        assert_eq!(p.next_index, 5);
    }

    #[test]
    fn replicate_pipelines_until_window_full() {
        let mut p = Progress::new(1);
        assert!(p.acked(3));
        assert_eq!(p.state, SendState::Replicate);
        assert_eq!(p.next_index, 4);
        p.sent(5, 10);
        p.sent(7, 10);
        assert_eq!(p.next_index, 8);
        assert!(p.is_paused(2, 100));
        assert!(!p.is_paused(3, 100));
        assert!(p.is_paused(3, 20));
        assert!(p.acked(5));
        assert!(!p.is_paused(2, 100));
        assert!(!p.acked(4), "stale ack is not news");
    }

    #[test]
    fn probe_never_goes_below_match() {
        let mut p = Progress::new(1);
        p.acked(4);
        p.become_probe(2);
        assert_eq!(p.next_index, 5);
    }
}

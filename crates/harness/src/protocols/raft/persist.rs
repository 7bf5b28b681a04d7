//! How a Raft server makes each ready durable before what depends on it leaves the node.
//!
//! [`Storage::Instant`] (no `cluster.disk`): the kernel's durable value is written through at
//! once, as before the disk model existed. [`Storage::Disk`]: the ready's writes go to the
//! write-ahead log ([`super::wal`]) on the kernel disk and a sync is asked for; until it
//! completes the ready's messages, applies and reads wait, and so do the inputs that arrive (a
//! server blocked on fsync). The kernel's durable value then mirrors what is durable on disk,
//! for the observers. Planted bugs let acknowledgements or vote grants leave before the sync.

use super::electable::Ballot;
use super::msg::Msg;
use super::server::Ctx;
use super::wal::{self, Damaged, RecordDamage, VoteWrite, Wal};
use faultline_raft::{MessageBody, Outbound, PersistentState, Ready, Snapshot};
use faultline_sim::{DiskError, NodeId, SyncId};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// Where a server's durable state lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Storage {
    /// The kernel's durable value, written through at once.
    Instant,
    /// A write-ahead log on the kernel's disk, with these planted bugs.
    Disk(DiskBugs),
}

/// Planted storage bugs of the Raft adapter (all off by default).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DiskBugs {
    /// Send append acknowledgements before the entries' sync completes.
    pub ack_before_sync: bool,
    /// Send vote grants before the vote's sync completes.
    pub vote_before_sync: bool,
    /// Write the vote where no sync reaches ([`VoteWrite::Unsynced`]): it is recorded but
    /// never made durable, so a crash loses it as it loses unsynced writes.
    pub forget_vote_on_restart: bool,
    /// On a damaged record or slot, cut the log there (or forget the slot) and carry on
    /// as if nothing had been acknowledged beyond it (the naive policy).
    pub truncate_on_corruption: bool,
    /// On a damaged record or slot, refuse to start (the other naive policy).
    pub crash_on_corruption: bool,
    /// Apply and acknowledge a snapshot installed from the leader without writing it: only the
    /// log's truncation and the hard state are synced, and the snapshot waits in memory for
    /// the server's own next snapshot (as if a background write had not finished), so a crash
    /// loses it, and with it every entry after it that was acknowledged meanwhile.
    pub apply_snapshot_before_durable: bool,
}

/// What a server that found its storage damaged must not do: protocol-aware recovery (after
/// Alagappan et al., FAST 2018). It cannot tell what it acknowledged or whom it voted for, so
/// it does not campaign until the others have brought it up to every index it may have
/// acknowledged (its commit index reaches it). Meanwhile it votes only for a candidate whose
/// log is at least as up to date as the log it had (whose last record still reads back), and
/// not at all if it cannot tell that log's end or lost its vote; if its vote was lost, it then
/// still grants no vote in a term up to the one it caught up in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Fence {
    /// No restriction.
    Open,
    /// Catching up to `until`; `vote_lost` if the hard state was damaged.
    CatchingUp {
        /// The highest index it may have acknowledged.
        until: u64,
        /// Its term and vote were lost.
        vote_lost: bool,
        /// (term, index) of the last entry of the log it had, if its last record reads back.
        end: Option<(u64, u64)>,
    },
    /// Caught up after losing its vote: no vote for a term up to this one.
    NoVotesThrough(u64),
}

impl Fence {
    /// True while election timeouts must not reach the core (it must not campaign).
    pub fn holds_timeouts(&self) -> bool {
        matches!(self, Fence::CatchingUp { .. })
    }

    /// True if `msg` must not reach the core: a vote request it may not answer.
    pub fn blocks(&self, msg: &Msg) -> bool {
        let Msg::Raft(message) = msg else {
            return false;
        };
        let candidate = match message.body {
            MessageBody::RequestVote {
                last_log_index,
                last_log_term,
                ..
            }
            | MessageBody::PreVote {
                last_log_index,
                last_log_term,
            } => (last_log_term, last_log_index),
            _ => return false,
        };
        match self.ballot() {
            Ballot::Free => match *self {
                Fence::NoVotesThrough(term) => message.term <= term,
                _ => false,
            },
            Ballot::AtLeast(end) => candidate < end,
            Ballot::Never => true,
        }
    }

    /// Whom the server may vote for (a server in `NoVotesThrough` votes freely in the later
    /// terms every coming election has).
    pub fn ballot(&self) -> Ballot {
        match *self {
            Fence::Open | Fence::NoVotesThrough(_) => Ballot::Free,
            Fence::CatchingUp {
                vote_lost: false,
                end: Some(end),
                ..
            } => Ballot::AtLeast(end),
            Fence::CatchingUp { .. } => Ballot::Never,
        }
    }

    /// The fence that holds both `self` and `other` back (a server fenced again before it
    /// caught up keeps the older promise too; a lost vote blocks votes until it caught up).
    fn merge(self, other: Fence) -> Fence {
        match (self, other) {
            (Fence::Open, f) | (f, Fence::Open) => f,
            (Fence::NoVotesThrough(a), Fence::NoVotesThrough(b)) => Fence::NoVotesThrough(a.max(b)),
            (
                Fence::CatchingUp {
                    until: a,
                    vote_lost: lost_a,
                    end: end_a,
                },
                Fence::CatchingUp {
                    until: b,
                    vote_lost: lost_b,
                    end: end_b,
                },
            ) => Fence::CatchingUp {
                until: a.max(b),
                vote_lost: lost_a || lost_b,
                end: end_a.zip(end_b).map(|(a, b)| a.max(b)),
            },
            (Fence::CatchingUp { until, end, .. }, Fence::NoVotesThrough(_))
            | (Fence::NoVotesThrough(_), Fence::CatchingUp { until, end, .. }) => {
                Fence::CatchingUp {
                    until,
                    vote_lost: true,
                    end,
                }
            }
        }
    }

    /// Lifts the fence once the commit index reached what may have been acknowledged.
    pub fn update(&mut self, commit: u64, term: u64) {
        if let Fence::CatchingUp {
            until, vote_lost, ..
        } = *self
        {
            if commit >= until {
                *self = if vote_lost {
                    Fence::NoVotesThrough(term)
                } else {
                    Fence::Open
                };
            }
        }
    }
}

/// An input that arrived while the server waited for a sync.
#[derive(Debug)]
pub enum Input {
    /// A message.
    Message(NodeId, Msg),
    /// The core's wake-up timer fired.
    Timeout,
}

/// What became of a ready handed to [`Persistence::persist`].
pub enum Persisted {
    /// Durable now: send, apply and serve it.
    Done,
    /// Taken to wait for its sync ([`Persistence::synced`] gives it back); true if a planted
    /// bug let a vote grant leave already.
    Waiting(bool),
}

/// A server's durability state: its log layout, the sync it waits for, what arrived meanwhile.
#[derive(Debug)]
pub struct Persistence {
    storage: Storage,
    wal: Wal,
    /// The snapshot recovery starts from on a disk that holds none.
    initial: Snapshot,
    /// An installed snapshot is applied but not on disk (`apply_snapshot_before_durable`).
    snapshot_unwritten: bool,
    /// The pending sync's ready, and whether the observers' durable value must then be read
    /// back from the disk (an unwritten snapshot makes it differ from the ready's state).
    syncing: Option<(SyncId, Box<Ready>, bool)>,
    queued: VecDeque<Input>,
    /// Why the server stopped (a write failed), if it did: it then ignores every input.
    halted: Option<String>,
}

impl Persistence {
    /// Durability of a server that recovered `wal`'s layout (the default layout for `Instant`)
    /// and whose disk starts from `initial` when it holds no snapshot.
    pub fn new(storage: Storage, wal: Wal, initial: Snapshot) -> Self {
        Persistence {
            storage,
            wal,
            initial,
            snapshot_unwritten: false,
            syncing: None,
            queued: VecDeque::new(),
            halted: None,
        }
    }

    /// True while a sync is pending or the server halted: inputs must not reach the core.
    pub fn blocked(&self) -> bool {
        self.syncing.is_some() || self.halted.is_some()
    }

    /// Keeps `input` for later if the server is blocked (dropped if it halted); gives it back
    /// otherwise.
    pub fn hold(&mut self, input: Input) -> Option<Input> {
        if self.halted.is_some() {
            return None;
        }
        if self.syncing.is_some() {
            self.queued.push_back(input);
            return None;
        }
        Some(input)
    }

    /// The next input that waited, once the server is no longer blocked.
    pub fn next_input(&mut self) -> Option<Input> {
        if self.blocked() {
            return None;
        }
        self.queued.pop_front()
    }

    /// Makes `ready`'s state durable, or starts to (then it takes the ready, leaving an empty
    /// one).
    pub fn persist(&mut self, ctx: &mut Ctx, ready: &mut Ready) -> Persisted {
        let bugs = match self.storage {
            Storage::Instant => {
                ctx.durable().apply_ready(ready);
                return Persisted::Done;
            }
            Storage::Disk(bugs) => bugs,
        };
        let was_unwritten = self.snapshot_unwritten;
        match self.write(ctx, ready, bugs) {
            Ok(false) => Persisted::Done,
            Ok(true) => {
                let granted = send_early(ctx, ready, bugs);
                let sync = ctx.sync();
                let reread = was_unwritten || self.snapshot_unwritten;
                self.syncing = Some((sync, Box::new(std::mem::take(ready)), reread));
                Persisted::Waiting(granted)
            }
            Err(error) => {
                // Fail-stop: nothing that depends on the lost write may leave.
                self.halted = Some(format!("write failed: {error}"));
                Persisted::Waiting(false)
            }
        }
    }

    /// Writes `ready` to the WAL, leaving out a snapshot installed from the leader under
    /// `apply_snapshot_before_durable` (it stays in `ready`, to be applied).
    fn write(
        &mut self,
        ctx: &mut Ctx,
        ready: &mut Ready,
        bugs: DiskBugs,
    ) -> Result<bool, DiskError> {
        let hold = bugs.apply_snapshot_before_durable && ready.apply_snapshot;
        let held = if hold { ready.snapshot.take() } else { None };
        let wrote = self.wal.write(ctx.disk(), ready);
        if held.is_some() {
            ready.snapshot = held;
            self.snapshot_unwritten = true;
        } else if ready.snapshot.is_some() {
            self.snapshot_unwritten = false;
        }
        wrote
    }

    /// Makes a changed fence durable (with the next sync), so a crash cannot lift it.
    pub fn record_fence(&mut self, ctx: &mut Ctx, fence: &Fence) {
        if self.storage == Storage::Instant || self.halted.is_some() {
            return;
        }
        if let Err(error) = wal::write_slot(ctx.disk(), wal::FENCE, fence) {
            self.halted = Some(format!("write failed: {error}"));
        }
    }

    /// The ready whose sync `sync` completed, now durable (the kernel's durable value updated:
    /// from the ready, or, around an unwritten snapshot, read back as recovery would).
    pub fn synced(&mut self, ctx: &mut Ctx, sync: SyncId) -> Option<Box<Ready>> {
        if self.syncing.as_ref().map(|(id, _, _)| *id) != Some(sync) {
            return None;
        }
        let (_, ready, reread) = self.syncing.take()?;
        if reread {
            let initial = PersistentState {
                snapshot: self.initial.clone(),
                ..PersistentState::default()
            };
            *ctx.durable() = Wal::recover(ctx.disk(), &initial).1.state;
        } else {
            ctx.durable().apply_ready(&ready);
        }
        Some(ready)
    }
}

/// True if `messages` grant a vote.
pub fn grants_vote(messages: &[Outbound]) -> bool {
    messages.iter().any(|out| {
        matches!(
            out.message.body,
            MessageBody::RequestVoteResponse { granted: true }
        )
    })
}

/// Sends now the messages a planted bug lets leave before their sync; true if a vote grant
/// was among them.
fn send_early(ctx: &mut Ctx, ready: &mut Ready, bugs: DiskBugs) -> bool {
    let early = |body: &MessageBody| match body {
        MessageBody::AppendEntriesResponse { success: true, .. } => bugs.ack_before_sync,
        MessageBody::RequestVoteResponse { granted: true } => bugs.vote_before_sync,
        _ => false,
    };
    let (now, later): (Vec<Outbound>, _) = std::mem::take(&mut ready.messages)
        .into_iter()
        .partition(|out| early(&out.message.body));
    ready.messages = later;
    let granted = grants_vote(&now);
    for out in now {
        if let Some(to) = super::server::kernel_id(out.to) {
            ctx.send(to, Msg::Raft(out.message));
        }
    }
    granted
}

/// What a server restarts from.
pub struct Restart {
    /// Its durable state.
    pub state: PersistentState,
    /// Its log's layout on disk.
    pub wal: Wal,
    /// What it must not do until it caught up.
    pub fence: Fence,
}

/// The state a server (re)starts from: `initial` (its bootstrap state) under `Instant`, else
/// what its disk holds. The torn or out-of-sequence tail of writes a crash cut short (never
/// acknowledged) is cut. Other damage (a corrupted or unreadable record or slot) fences the
/// server ([`Fence`]), or with the naive policies stops the start (`crash_on_corruption`) or is
/// cut and forgotten (`truncate_on_corruption`).
pub fn recover(
    storage: Storage,
    ctx: &mut Ctx,
    initial: PersistentState,
) -> Result<Restart, String> {
    let Storage::Disk(bugs) = storage else {
        if *ctx.durable() == PersistentState::default() {
            *ctx.durable() = initial;
        }
        let state = ctx.durable().clone();
        return Ok(Restart {
            state,
            wal: Wal::default(),
            fence: Fence::Open,
        });
    };
    let (mut wal, recovered) = Wal::recover(ctx.disk(), &initial);
    if bugs.forget_vote_on_restart {
        wal.set_votes(VoteWrite::Unsynced);
    }
    let fence = match recovered.damaged {
        None => Fence::Open,
        Some(damaged) if damaged.benign() || bugs.truncate_on_corruption => Fence::Open,
        Some(damaged) if bugs.crash_on_corruption => {
            return Err(format!("damaged storage: {damaged:?}"));
        }
        Some(damaged) => Fence::CatchingUp {
            until: recovered.acknowledged,
            vote_lost: damaged == Damaged::HardState,
            end: recovered.end,
        },
    };
    // A fence a crash interrupted holds on (a damaged fence slot is a lost vote, unknown end).
    let kept = wal::read_slot(ctx.disk(), wal::FENCE).unwrap_or(Some(Fence::CatchingUp {
        until: recovered.acknowledged,
        vote_lost: true,
        end: None,
    }));
    let fence = kept.map_or(fence, |kept| kept.merge(fence));
    if kept.is_some() || fence != Fence::Open {
        wal::write_slot(ctx.disk(), wal::FENCE, &fence)
            .map_err(|e| format!("write failed: {e}"))?;
    }
    *ctx.durable() = recovered.state.clone();
    Ok(Restart {
        state: recovered.state,
        wal,
        fence,
    })
}

impl Damaged {
    /// True for damage a crash alone explains: the last record torn (shorter than its
    /// framing says: never synced, so never acknowledged), or records out of sequence (an
    /// unsynced truncation lost while later appends survived). A whole last record that fails
    /// its checksum, or one that cannot be read, may have been acknowledged: not benign.
    fn benign(&self) -> bool {
        matches!(
            self,
            Damaged::Record {
                kind: RecordDamage::Torn,
                last: true,
                ..
            } | Damaged::OutOfSequence(_)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use faultline_raft::Message;

    /// A vote request in `term` from a candidate whose log ends at (`last_term`, `last_index`).
    fn vote_request(term: u64, (last_log_term, last_log_index): (u64, u64)) -> Msg {
        Msg::Raft(Message {
            term,
            body: MessageBody::RequestVote {
                last_log_index,
                last_log_term,
                transfer: false,
            },
        })
    }

    #[test]
    fn a_fenced_server_votes_again_only_once_caught_up_and_past_its_lost_term() {
        let mut fence = Fence::CatchingUp {
            until: 10,
            vote_lost: true,
            end: Some((3, 10)),
        };
        assert!(fence.holds_timeouts() && fence.blocks(&vote_request(9, (9, 20))));
        fence.update(9, 4);
        assert!(fence.holds_timeouts(), "commit 9 < 10: still catching up");
        fence.update(10, 4);
        assert_eq!(fence, Fence::NoVotesThrough(4));
        assert!(!fence.holds_timeouts());
        assert!(fence.blocks(&vote_request(4, (0, 0))) && !fence.blocks(&vote_request(5, (0, 0))));
        let mut kept_vote = Fence::CatchingUp {
            until: 3,
            vote_lost: false,
            end: None,
        };
        kept_vote.update(3, 7);
        assert_eq!(kept_vote, Fence::Open);
        assert!(!kept_vote.blocks(&vote_request(1, (0, 0))));
    }

    /// While catching up, a server that kept its vote and can read its last record back votes
    /// as its whole log would have: for candidates at least as up to date as that record.
    #[test]
    fn a_fenced_server_votes_only_for_logs_as_up_to_date_as_the_one_it_had() {
        let fence = Fence::CatchingUp {
            until: 8,
            vote_lost: false,
            end: Some((2, 8)),
        };
        assert_eq!(fence.ballot(), Ballot::AtLeast((2, 8)));
        assert!(fence.holds_timeouts());
        assert!(fence.blocks(&vote_request(5, (2, 7))));
        assert!(!fence.blocks(&vote_request(5, (2, 8))));
        assert!(!fence.blocks(&vote_request(5, (3, 1))));
        let unknown_end = Fence::CatchingUp {
            until: 8,
            vote_lost: false,
            end: None,
        };
        assert!(unknown_end.blocks(&vote_request(5, (9, 99))));
    }

    /// A torn last record is what a crash leaves of a write never synced (so never
    /// acknowledged): dropped. A whole last record that fails its checksum, or one that cannot
    /// be read, may have been acknowledged: it goes through protocol-aware recovery.
    #[test]
    fn only_a_torn_tail_is_dropped_without_a_fence() {
        let record = |kind, last| Damaged::Record {
            position: 4,
            kind,
            last,
        };
        assert!(record(RecordDamage::Torn, true).benign());
        assert!(Damaged::OutOfSequence(4).benign());
        for damage in [
            record(RecordDamage::Corrupt, true),
            record(RecordDamage::Unreadable, true),
            record(RecordDamage::Torn, false),
            record(RecordDamage::Corrupt, false),
            Damaged::HardState,
            Damaged::Snapshot,
        ] {
            assert!(!damage.benign(), "{damage:?}");
        }
    }

    /// A server fenced again before it caught up keeps the older promise: the higher bound,
    /// the later log end, and a lost vote from either.
    #[test]
    fn a_fence_kept_across_a_crash_merges_with_new_damage() {
        let old = Fence::CatchingUp {
            until: 20,
            vote_lost: false,
            end: Some((3, 20)),
        };
        let new = Fence::CatchingUp {
            until: 12,
            vote_lost: false,
            end: Some((4, 12)),
        };
        let merged = old.merge(new);
        assert_eq!(
            merged,
            Fence::CatchingUp {
                until: 20,
                vote_lost: false,
                end: Some((4, 12)),
            }
        );
        assert_eq!(old.merge(Fence::Open), old);
        assert_eq!(Fence::Open.merge(new), new);
        let after_lost_vote = Fence::NoVotesThrough(5).merge(new);
        assert_eq!(after_lost_vote.ballot(), Ballot::Never);
    }
}

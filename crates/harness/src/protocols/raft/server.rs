//! The Raft server adapter: drives the sans-IO core under the kernel (feed, take the ready,
//! persist, send, apply), serves client requests from the key-value store and carries out
//! operator actions when it leads. Persisting is [`super::persist`]'s: at once, or through a
//! write-ahead log on the kernel disk whose sync the ready's effects wait for.

use super::electable::Ballot;
use super::invariants::Observation;
use super::kv::{Command, KvStore, OpResult};
use super::msg::{AdminAction, Msg, Reply};
use super::persist::{self, Fence, Input, Persisted, Persistence, Storage};
use faultline_check::KvInput;
use faultline_raft::{
    ConfChange, Config, ConfirmedRead, Entry, EntryKind, LogWrite, MessageBody, PersistentState,
    ProposeError, RaftNode, ReadBasis, ReadError, Ready, Role,
};
use faultline_sim::{Context, NodeId, StableHasher, SyncId, TimerId};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// The kernel context a Raft run's processes act through.
pub type Ctx<'a> = Context<'a, Msg, PersistentState>;

/// A learner counts as caught up when its log is within this many entries of the commit index.
const CAUGHT_UP_SLACK: u64 = 64;

/// Everything a server needs to (re)start, fixed for the run.
#[derive(Clone, Debug)]
pub struct ServerSetup {
    /// Raft id (the scenario's 1-based node id).
    pub id: u64,
    /// Core configuration (timeouts, reads, planted bugs).
    pub config: Config,
    /// Founding voters when this server founds the cluster; `None` for a server added later.
    pub founders: Option<BTreeSet<u64>>,
    /// Snapshot once this many entries were applied since the last snapshot.
    pub snapshot_every: Option<u64>,
    /// Reads go through the log instead of ReadIndex/lease.
    pub log_reads: bool,
    /// Where the durable state lives (a disk when the scenario has `cluster.disk`).
    pub storage: Storage,
}

/// Where a membership change stands, from the leader's point of view.
enum Step {
    /// The configuration in force is the target.
    Reached,
    /// A step is underway (joint consensus, learners catching up).
    Wait,
    /// Propose this configuration next.
    Propose(ConfChange),
}

/// The one kernel timer a server keeps. It fires at `at`; `due` is the core's wake-up, later
/// than `at` when the wake-up moved on since the timer was set (the timer is then kept rather
/// than cancelled and set again, and set again for `due` when it fires).
#[derive(Clone, Copy, Debug)]
struct Armed {
    id: TimerId,
    at: u64,
    due: u64,
}

/// A read waiting for its ReadIndex confirmation.
#[derive(Clone, Debug)]
struct PendingRead {
    client: NodeId,
    seq: u64,
    key: String,
}

/// One running Raft server.
#[derive(Debug)]
pub struct Server {
    setup: ServerSetup,
    core: RaftNode,
    kv: KvStore,
    timer: Option<Armed>,
    /// The last handled ready, kept so that the next one fills its vectors (boxed: it moves
    /// in and out of `drive` as a pointer).
    spare_ready: Option<Box<Ready>>,
    /// Writes (and log reads) proposed here, by (client, seq), waiting to be applied.
    waiters: BTreeMap<(u64, u64), NodeId>,
    /// Reads asked of the core, by request id.
    reads: BTreeMap<u64, PendingRead>,
    /// Confirmed reads: (read index, request id), served once applied.
    confirmed: Vec<(u64, u64)>,
    next_read: u64,
    /// Highest log index each peer acknowledged (used to promote caught-up learners).
    acked: BTreeMap<u64, u64>,
    observations: Vec<Observation>,
    /// Whether it acknowledged its leader (a heartbeat, or an append it accepted) since the
    /// watch last asked.
    acknowledged: bool,
    persistence: Persistence,
    /// What it must not do after finding its storage damaged.
    fence: Fence,
}

/// The kernel node of Raft id `id` (scenario node `id` is kernel node `id - 1`).
pub fn kernel_id(id: u64) -> Option<NodeId> {
    u32::try_from(id).ok()?.checked_sub(1).map(NodeId::new)
}

/// Digest of an entry's payload, for comparing entries across servers.
pub fn digest(entry: &Entry) -> u64 {
    StableHasher::hash_one(&entry.kind)
}

impl Server {
    /// Builds the server from what survived (its bootstrap state on a first start); the seed of
    /// its election timeouts comes from the node's stream.
    pub fn boot(setup: ServerSetup, ctx: &mut Ctx) -> Result<Self, String> {
        let seed = ctx.rng().next_u64();
        let initial = match &setup.founders {
            Some(voters) => PersistentState::bootstrap(voters.iter().copied()),
            None => PersistentState::default(),
        };
        let snapshot = initial.snapshot.clone();
        let restart = persist::recover(setup.storage, ctx, initial)
            .map_err(|e| format!("n{}: {e}", setup.id))?;
        let persistence = Persistence::new(setup.storage, restart.wal, snapshot);
        let mut server = Server::new(setup, restart.state, seed, persistence)?;
        server.fence = restart.fence;
        Ok(server)
    }

    /// Builds the server from its durable state; `seed` seeds its election timeouts.
    fn new(
        setup: ServerSetup,
        state: PersistentState,
        seed: u64,
        persistence: Persistence,
    ) -> Result<Self, String> {
        let kv = KvStore::decode(&state.snapshot.data)
            .ok_or_else(|| format!("n{}: unreadable state machine snapshot", setup.id))?;
        let core = RaftNode::with_seed(setup.id, setup.config.clone(), state, seed)
            .map_err(|e| format!("n{}: {e}", setup.id))?;
        Ok(Server {
            setup,
            core,
            kv,
            timer: None,
            spare_ready: None,
            waiters: BTreeMap::new(),
            reads: BTreeMap::new(),
            confirmed: Vec::new(),
            next_read: 0,
            acked: BTreeMap::new(),
            observations: Vec::new(),
            acknowledged: false,
            persistence,
            fence: Fence::Open,
        })
    }

    /// The Raft core, for observers.
    pub fn core(&self) -> &RaftNode {
        &self.core
    }

    /// Whom the server may vote for: anyone as up to date as it, or, fenced after damage to its
    /// storage (protocol-aware recovery), only some candidates (it does not campaign then).
    pub fn ballot(&self) -> Ballot {
        self.fence.ballot()
    }

    /// Moves what happened since the last call into `into`.
    pub fn drain_observations(&mut self, into: &mut Vec<Observation>) {
        into.append(&mut self.observations);
    }

    /// Whether it acknowledged its leader since the last call (the moment a `follower` aimed
    /// fault waits for: a follower's lease promise is made as its acknowledgement leaves).
    pub fn take_acknowledged(&mut self) -> bool {
        std::mem::take(&mut self.acknowledged)
    }

    /// First start or restart: hand out what the restored log already committed.
    pub fn start(&mut self, ctx: &mut Ctx) {
        self.drive(ctx);
    }

    /// The core's wake-up timer fired.
    pub fn on_timer(&mut self, ctx: &mut Ctx, timer: TimerId) {
        if let Some(armed) = self.timer.filter(|armed| armed.id == timer) {
            self.timer = None;
            if armed.due != armed.at && now(ctx) < armed.due {
                // Kept while the wake-up moved later: nothing is due yet.
                self.reset_timer(ctx);
                return;
            }
        }
        self.input(ctx, Input::Timeout);
    }

    /// A message arrived.
    #[inline]
    pub fn on_message(&mut self, ctx: &mut Ctx, from: NodeId, msg: Msg) {
        self.input(ctx, Input::Message(from, msg));
    }

    /// A disk sync completed: the ready that waited for it goes out, then what arrived meanwhile
    /// is handled.
    pub fn on_sync(&mut self, ctx: &mut Ctx, sync: SyncId) {
        if let Some(ready) = self.persistence.synced(ctx, sync) {
            let mut ready = *ready;
            self.release(ctx, &mut ready);
            self.core.recycle(ready);
            self.drive(ctx);
        }
        while let Some(input) = self.persistence.next_input() {
            self.handle(ctx, input);
        }
    }

    /// Handles `input` now, or keeps it while the server waits for a sync.
    #[inline]
    fn input(&mut self, ctx: &mut Ctx, input: Input) {
        if let Some(input) = self.persistence.hold(input) {
            self.handle(ctx, input);
        }
    }

    /// Feeds `input` to the core (unless the fence holds it back), then drives.
    fn handle(&mut self, ctx: &mut Ctx, input: Input) {
        match input {
            Input::Timeout if self.fence.holds_timeouts() => {}
            Input::Timeout => self.core.handle_timeout(now(ctx)),
            Input::Message(_, msg) if self.fence.blocks(&msg) => {}
            Input::Message(from, msg) => self.handle_message(ctx, from, msg),
        }
        self.drive(ctx);
        let before = self.fence;
        self.fence
            .update(self.core.commit_index(), self.core.term());
        if self.fence != before {
            self.persistence.record_fence(ctx, &self.fence);
        }
    }

    fn handle_message(&mut self, ctx: &mut Ctx, from: NodeId, msg: Msg) {
        match msg {
            Msg::Raft(message) => {
                let peer = from.index() as u64 + 1;
                match message.body {
                    MessageBody::AppendEntriesResponse {
                        success: true,
                        index,
                        ..
                    }
                    | MessageBody::InstallSnapshotResponse {
                        done: true, index, ..
                    } => {
                        let acked = self.acked.entry(peer).or_default();
                        *acked = (*acked).max(index);
                    }
                    _ => {}
                }
                self.core.handle_message(now(ctx), peer, message);
            }
            Msg::Request { seq, op } => self.on_request(ctx, from, seq, op),
            Msg::Admin { id, action } => {
                if self.core.role() == Role::Leader && self.admin(ctx, &action) {
                    ctx.send(from, Msg::AdminDone { id });
                }
            }
            Msg::Reply { .. } | Msg::AdminDone { .. } => {}
        }
    }

    fn on_request(&mut self, ctx: &mut Ctx, from: NodeId, seq: u64, op: KvInput) {
        let client = from.index() as u64;
        let reply = |ctx: &mut Ctx, reply| ctx.send(from, Msg::Reply { seq, reply });
        if self.core.role() != Role::Leader {
            reply(ctx, Reply::NotLeader(self.core.leader()));
            return;
        }
        if op.is_read() && !self.setup.log_reads {
            let id = self.next_read;
            self.next_read += 1;
            let key = op.key().to_string();
            match self.core.read_index(now(ctx), id) {
                Ok(()) => {
                    self.reads.insert(
                        id,
                        PendingRead {
                            client: from,
                            seq,
                            key,
                        },
                    );
                }
                Err(error) => reply(ctx, Reply::NotLeader(hint(error))),
            }
            return;
        }
        if let Some(result) = self.kv.cached(client, seq) {
            reply(ctx, Reply::Done(result.clone()));
            return;
        }
        if self.kv.superseded(client, seq) {
            return;
        }
        let data = Command { client, seq, op }.encode();
        match self.core.propose(now(ctx), data) {
            Ok(_) => {
                self.waiters.insert((client, seq), from);
            }
            Err(ProposeError::NotLeader { leader_hint }) => {
                reply(ctx, Reply::NotLeader(leader_hint));
            }
            Err(ProposeError::TransferInProgress) => reply(ctx, Reply::NotLeader(None)),
        }
    }

    /// Takes one step of an operator action; true once the action is complete.
    fn admin(&mut self, ctx: &mut Ctx, action: &AdminAction) -> bool {
        let now = now(ctx);
        match action {
            AdminAction::Transfer { to } => {
                if *to == self.setup.id {
                    return true;
                }
                // Refusals (not a voter yet, already transferring) are retried by the operator.
                let _ = self.core.transfer_leadership(now, *to);
                false
            }
            AdminAction::Membership { add, remove } => match self.next_change(add, remove) {
                Step::Reached => self.core.applied_config() == self.core.config(),
                Step::Wait => false,
                Step::Propose(change) => {
                    // Refusals (a change still in progress, no commit in this term yet) are
                    // retried by the operator.
                    let _ = self.core.change_membership(now, change);
                    false
                }
            },
        }
    }

    /// The next configuration step towards adding `add` and removing `remove`: learners first,
    /// then (once they caught up) the voter change by joint consensus.
    fn next_change(&self, add: &[u64], remove: &[u64]) -> Step {
        let config = self.core.config();
        if config.is_joint() {
            return Step::Wait;
        }
        let mut voters = config.voters.clone();
        voters.retain(|v| !remove.contains(v));
        voters.extend(add.iter().copied());
        let mut learners = config.learners.clone();
        learners.retain(|l| !voters.contains(l));
        if voters == config.voters && learners == config.learners {
            return Step::Reached;
        }
        let joining: BTreeSet<u64> = add
            .iter()
            .copied()
            .filter(|a| !config.contains(*a))
            .collect();
        if !joining.is_empty() {
            let mut with_learners = config.learners.clone();
            with_learners.extend(joining);
            return Step::Propose(ConfChange {
                voters: config.voters.clone(),
                learners: with_learners,
            });
        }
        let commit = self.core.commit_index();
        let lagging = add.iter().any(|a| {
            config.learners.contains(a)
                && self.acked.get(a).copied().unwrap_or(0) + CAUGHT_UP_SLACK < commit
        });
        if lagging {
            return Step::Wait;
        }
        Step::Propose(ConfChange { voters, learners })
    }

    /// Handles everything the core has ready: persist, then (once durable) send, apply, serve
    /// reads, snapshot. Stops at a ready that waits for its sync.
    fn drive(&mut self, ctx: &mut Ctx) {
        let mut ready = self.spare_ready.take().unwrap_or_default();
        while !self.persistence.blocked() && self.core.has_ready() {
            self.core.take_ready_into(&mut ready);
            self.observe(ctx, &ready);
            // Persist before anything that depends on it leaves the node.
            match self.persistence.persist(ctx, &mut ready) {
                Persisted::Done => self.release(ctx, &mut ready),
                Persisted::Waiting(true) => self.observe_grant(),
                Persisted::Waiting(false) => {}
            }
        }
        self.spare_ready = Some(ready);
        self.reset_timer(ctx);
    }

    /// What a ready shows the observers before it is persisted: role changes, votes granted,
    /// durable entries cut out, entries appended, and reads confirmed without a heartbeat
    /// round (at the moment the core confirms them, in its current term: with a disk their
    /// answers wait for the ready's sync, but what they read was fixed here).
    fn observe(&mut self, ctx: &mut Ctx, ready: &Ready) {
        for read in &ready.read_states {
            if matches!(&read.result, Ok(c) if c.basis != ReadBasis::HeartbeatRound) {
                self.observations.push(Observation::ReadWithoutRound {
                    term: self.core.term(),
                });
            }
        }
        if let Some(soft) = ready.soft_state {
            self.observations.push(Observation::Role {
                role: soft.role,
                term: soft.term,
            });
        }
        if let (Storage::Instant, Some(hard)) = (self.setup.storage, &ready.hard_state) {
            let before = &ctx.durable().hard_state;
            let granted = hard.vote.is_some_and(|c| c != self.setup.id);
            if granted && (hard.term, hard.vote) != (before.term, before.vote) {
                self.observations
                    .push(Observation::Voted { term: hard.term });
            }
        }
        if let Some(write) = &ready.log {
            self.observe_removed(&ctx.durable().entries, write);
            for entry in &write.entries {
                self.observations.push(Observation::Appended {
                    index: entry.index,
                    term: entry.term,
                    digest: digest(entry),
                    prev_term: self.core.term_at(entry.index - 1),
                });
            }
        }
    }

    /// A vote grant left the node (with a disk, the moment a grant is sent is the moment of
    /// the vote that aimed faults and observers see).
    fn observe_grant(&mut self) {
        self.observations.push(Observation::Voted {
            term: self.core.term(),
        });
    }

    /// A durable ready's effects: send, apply, serve reads, snapshot (what it held is taken
    /// out; the caller hands the emptied ready back to the core).
    fn release(&mut self, ctx: &mut Ctx, ready: &mut Ready) {
        if self.setup.storage != Storage::Instant && persist::grants_vote(&ready.messages) {
            self.observe_grant();
        }
        for out in ready.messages.drain(..) {
            self.acknowledged |= matches!(
                out.message.body,
                MessageBody::HeartbeatResponse { .. }
                    | MessageBody::AppendEntriesResponse { success: true, .. }
            );
            if let Some(to) = kernel_id(out.to) {
                ctx.send(to, Msg::Raft(out.message));
            }
        }
        if ready.apply_snapshot {
            if let Some(kv) = ready.snapshot.take().and_then(|s| KvStore::decode(&s.data)) {
                self.kv = kv;
            }
        }
        for entry in &ready.committed_entries {
            self.apply(ctx, entry);
        }
        for read in ready.read_states.drain(..) {
            match read.result {
                Ok(ConfirmedRead { index, .. }) => self.confirmed.push((index, read.request_id)),
                Err(error) => self.refuse_read(ctx, read.request_id, error),
            }
        }
        self.serve_reads(ctx);
        self.maybe_compact();
    }

    fn refuse_read(&mut self, ctx: &mut Ctx, request_id: u64, error: ReadError) {
        if let Some(pending) = self.reads.remove(&request_id) {
            let reply = Reply::NotLeader(hint(error));
            ctx.send(
                pending.client,
                Msg::Reply {
                    seq: pending.seq,
                    reply,
                },
            );
        }
    }

    /// Reports each durable entry that `write` cuts out of the log without writing the same
    /// entry back.
    fn observe_removed(&mut self, durable: &[Entry], write: &LogWrite) {
        let from = durable.partition_point(|e| e.index < write.truncate_from);
        for old in &durable[from..] {
            let rewritten = write
                .entries
                .iter()
                .find(|e| e.index == old.index)
                .is_some_and(|e| e == old);
            if !rewritten {
                self.observations.push(Observation::Removed {
                    index: old.index,
                    term: old.term,
                    digest: digest(old),
                });
            }
        }
    }

    fn apply(&mut self, ctx: &mut Ctx, entry: &Entry) {
        self.observations.push(Observation::Applied {
            index: entry.index,
            term: entry.term,
            digest: digest(entry),
            seen_in: self.core.term(),
        });
        let EntryKind::Normal(data) = &entry.kind else {
            return;
        };
        let applied = Command::decode_with(data, |command| {
            let result = self.kv.apply(command);
            (command.client, command.seq, result)
        });
        let Some((client, seq, result)) = applied else {
            return;
        };
        if let (Some(waiter), Some(result)) = (self.waiters.remove(&(client, seq)), result) {
            ctx.send(
                waiter,
                Msg::Reply {
                    seq,
                    reply: Reply::Done(result),
                },
            );
        }
    }

    fn serve_reads(&mut self, ctx: &mut Ctx) {
        if self.confirmed.is_empty() {
            return;
        }
        let applied = self.core.applied_index();
        let (ready, waiting): (Vec<_>, Vec<_>) = self
            .confirmed
            .drain(..)
            .partition(|(index, _)| *index <= applied);
        self.confirmed = waiting;
        for (_, id) in ready {
            if let Some(read) = self.reads.remove(&id) {
                let value = self.kv.get(&read.key);
                ctx.send(
                    read.client,
                    Msg::Reply {
                        seq: read.seq,
                        reply: Reply::Done(OpResult::Value(value)),
                    },
                );
            }
        }
    }

    fn maybe_compact(&mut self) {
        let Some(every) = self.setup.snapshot_every else {
            return;
        };
        let applied = self.core.applied_index();
        if applied >= self.core.snapshot().meta.index + every {
            // Refused only if already compacted that far, which the condition rules out.
            let _ = self.core.compact(applied, self.kv.encode());
        }
    }

    /// Keeps exactly one kernel timer, at the core's next wake-up or before it. A wake-up
    /// that moved later (a follower's election deadline at every heartbeat) keeps the timer:
    /// it fires early and is set again then, instead of being cancelled and set at each move.
    fn reset_timer(&mut self, ctx: &mut Ctx) {
        let mut want = self.core.poll_timeout();
        let holds = self.fence.holds_timeouts();
        if holds {
            // Timeouts are held back: check again a heartbeat later rather than at once.
            let later = now(ctx) + self.setup.config.heartbeat_interval;
            want = want.map(|at| at.max(later));
        }
        match (&mut self.timer, want) {
            (Some(armed), Some(due)) if due == armed.due => return,
            (Some(armed), Some(due)) if due >= armed.at && !holds => {
                armed.due = due;
                return;
            }
            _ => {}
        }
        if let Some(armed) = self.timer.take() {
            ctx.cancel_timer(armed.id);
        }
        if let Some(at) = want {
            let delay = Duration::from_nanos(at.saturating_sub(now(ctx)));
            let id = ctx.set_timer(delay, 0);
            self.timer = Some(Armed { id, at, due: at });
        }
    }
}

fn now(ctx: &Ctx) -> u64 {
    ctx.now().as_nanos()
}

fn hint(error: ReadError) -> Option<u64> {
    match error {
        ReadError::NotLeader { leader_hint } => leader_hint,
        ReadError::LeadershipLost => None,
    }
}

#[cfg(test)]
mod tests {
    use crate::driver::RunOptions;
    use crate::protocols::raft::simulate;
    use crate::scenario::{parse, ProtocolSpec};
    use std::path::Path;

    /// A fault-free run of 5 servers and a client for 8 s: heartbeats every 20 ms, election
    /// timeouts of 200-300 ms. Every server keeps its timer while heartbeats move its election
    /// deadline later, so the queue pops few cancelled timers (61; setting a new timer at every
    /// move popped 2,128), and still exactly one leader is elected, once.
    #[test]
    fn followers_keep_their_timer_while_heartbeats_arrive() {
        let text = r#"{"version": 1, "name": "t", "seed": 5, "duration": "8s",
          "protocol": {"raft": {"election_timeout": ["200ms", "300ms"], "heartbeat": "20ms"}},
          "cluster": {"nodes": 5}, "network": {"latency": ["1ms", "5ms"]},
          "workload": {"clients": 1, "ops": 50, "keys": 2, "timeout": "1s", "mix": {"put": 1.0}}}"#;
        let scenario = parse(text, Path::new("t.json")).unwrap();
        let ProtocolSpec::Raft(spec) = &scenario.protocol else {
            unreachable!()
        };
        let run = simulate(&scenario, spec, RunOptions::default()).unwrap();
        assert!(run.report.ok(), "{:?}", run.report.failed_checks());
        assert_eq!(run.leaders.len(), 1, "{:?}", run.leaders);
        let c = &run.report.counters;
        let starts = 6;
        let cancelled = c.events - starts - c.delivered - c.timers - c.syncs;
        assert!(
            cancelled < 100,
            "{cancelled} cancelled timers popped ({} fired, {} delivered)",
            c.timers,
            c.delivered
        );
    }
}

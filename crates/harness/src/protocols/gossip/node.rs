//! The gossip core as a simulated process: timers from `poll_timeout`, planned writes, the
//! scenario's joins and leaves, and observations the driver drains after every step.

use faultline_gossip::{
    record, Config, Dot, Event, GossipNode, Membership, Message, Topology, Update,
};
use faultline_sim::{Context, NodeId, Process, RngStreams, TimerId};
use rand_chacha::ChaCha8Rng;
use rand_core::SeedableRng;
use std::sync::Arc;
use std::time::Duration;

/// A write the driver planned: at `at` (the writer's clock, ns) node `node` puts `key`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedWrite {
    /// Kernel node that writes.
    pub node: NodeId,
    /// When, in the writer's clock (ns).
    pub at: u64,
    /// The key.
    pub key: String,
}

/// What a node saw, for the monitor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Observation {
    /// The node performed planned write `index`, identified by `dot`.
    Wrote {
        /// Index in the plan.
        index: usize,
        /// The write's identity.
        dot: Dot,
    },
    /// A core event (a version applied, a membership change).
    Core(Event),
    /// The node joined the cluster (as the scenario planned, or again after a restart).
    Joined,
    /// The node left the cluster gracefully.
    Left,
}

/// A join or leave the scenario planned for one node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// Join through these seeds (kernel node indices).
    Join(Vec<u64>),
    /// Leave gracefully.
    Leave,
}

/// A planned [`Change`]: at `at` (the node's clock, ns) node `node` joins or leaves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedChange {
    /// Kernel node that joins or leaves.
    pub node: NodeId,
    /// When, in the node's clock (ns).
    pub at: u64,
    /// Join or leave.
    pub change: Change,
}

/// How every node of a run builds its gossip core, and what it does when.
pub struct Recipe {
    /// The core's configuration, shared by every node's core.
    pub config: Arc<Config>,
    /// The nodes' zones, when the scenario has zones.
    pub topology: Option<Arc<Topology>>,
    /// The view of the nodes that are members at the start.
    pub membership: Membership,
    /// The run's random streams (`gossip.node` per node and boot, `gossip.join` per join).
    pub streams: RngStreams,
    /// The writes of the run.
    pub plan: Vec<PlannedWrite>,
    /// The joins and leaves of the run, in time order.
    pub changes: Vec<PlannedChange>,
    /// Per kernel node: true when it starts outside the cluster (its first change is a join).
    pub outside: Vec<bool>,
    /// Keep each node's own writes on its disk, and take them back after a restart.
    pub durable: bool,
}

impl Recipe {
    /// The core `id` starts with at boot `boots` as a member from the start.
    pub fn initial_core(&self, id: NodeId, boots: u64) -> GossipNode {
        let stream = self
            .streams
            .indexed("gossip.node", (id.index() as u64) << 20 | boots)
            .next_u64();
        self.core(id, self.membership.clone(), stream)
    }

    /// A fresh core for `id` joining by change `change` at boot `boots`: it knows nobody yet.
    fn joining_core(&self, id: NodeId, change: usize, boots: u64) -> GossipNode {
        let stream = self
            .streams
            .indexed("gossip.join", (change as u64) << 20 | boots)
            .next_u64();
        self.core(
            id,
            Membership::Swim {
                members: Vec::new().into(),
            },
            stream,
        )
    }

    fn core(&self, id: NodeId, membership: Membership, stream: u64) -> GossipNode {
        GossipNode::new(
            id.index() as u64,
            Arc::clone(&self.config),
            membership,
            self.topology.clone(),
            ChaCha8Rng::seed_from_u64(stream),
        )
        .expect("the scenario validated this configuration")
    }

    /// The last change of `node` before `now` (its clock), with its index.
    fn last_change(&self, node: NodeId, now: u64) -> Option<(usize, &Change)> {
        self.changes
            .iter()
            .enumerate()
            .rfind(|(_, c)| c.node == node && c.at < now)
            .map(|(i, c)| (i, &c.change))
    }
}

/// What survives a crash: the write counter, so a restarted (or rejoining) node never reuses a
/// write id, and the number of boots, so each incarnation draws from its own random stream.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GossipDurable {
    /// The core's write counter after the last write.
    pub write_counter: u64,
    /// Times the node has started.
    pub boots: u64,
}

/// What a timer is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tag {
    /// The core's wake-up (tag 0).
    Wake,
    /// Planned write `index` (tag `index + 1`).
    Write(usize),
    /// Planned change `index` (tag `writes + 1 + index`).
    Change(usize),
}

impl Tag {
    fn encode(self, writes: usize) -> u64 {
        match self {
            Tag::Wake => 0,
            Tag::Write(index) => index as u64 + 1,
            Tag::Change(index) => (writes + 1 + index) as u64,
        }
    }

    fn decode(tag: u64, writes: usize) -> Tag {
        match tag as usize {
            0 => Tag::Wake,
            t if t <= writes => Tag::Write(t - 1),
            t => Tag::Change(t - writes - 1),
        }
    }
}

/// A gossip node under the simulator: the core while the node is in the cluster, nothing while
/// it is outside (before its first join, or restarted after it left).
pub struct GossipProcess {
    core: Option<GossipNode>,
    armed: Option<(TimerId, u64)>,
    recipe: Arc<Recipe>,
    observations: Vec<Observation>,
}

impl GossipProcess {
    /// A process around `core` (a node's core at the start, see [`Recipe::initial_core`]),
    /// performing its share of the recipe's writes and changes.
    pub fn new(core: GossipNode, recipe: Arc<Recipe>) -> Self {
        GossipProcess {
            core: Some(core),
            armed: None,
            recipe,
            observations: Vec::new(),
        }
    }

    /// The core, for inspection (digest, stats, members); `None` while outside the cluster.
    pub fn core(&self) -> Option<&GossipNode> {
        self.core.as_ref()
    }

    /// The core while the node is a member (joined and not left).
    pub fn member(&self) -> Option<&GossipNode> {
        self.core.as_ref().filter(|core| !core.has_left())
    }

    /// Observations since the last call.
    pub fn take_observations(&mut self) -> Vec<Observation> {
        std::mem::take(&mut self.observations)
    }

    /// Sends the core's outputs, records its events, and re-arms the wake-up timer.
    fn flush(&mut self, ctx: &mut Context<'_, Message, GossipDurable>) {
        let Some(core) = self.core.as_mut() else {
            return;
        };
        for (to, msg) in core.take_outputs() {
            ctx.send(NodeId::new(to as u32), msg);
        }
        self.observations
            .extend(core.take_events().into_iter().map(Observation::Core));
        let wanted = core.poll_timeout();
        if self.armed.map(|(_, at)| at) == wanted {
            return;
        }
        if let Some((timer, _)) = self.armed.take() {
            ctx.cancel_timer(timer);
        }
        if let Some(at) = wanted {
            let delay = at.saturating_sub(ctx.now().as_nanos());
            self.armed = Some((
                ctx.set_timer(Duration::from_nanos(delay), Tag::Wake.encode(0)),
                at,
            ));
        }
    }

    /// The node's standing at (re)start, from its changes before now: outside before its first
    /// join or after a leave; after a join, it joins again through the same seeds.
    fn take_standing(&mut self, ctx: &mut Context<'_, Message, GossipDurable>) {
        let me = ctx.id();
        let now = ctx.now().as_nanos();
        let recipe = Arc::clone(&self.recipe);
        match recipe.last_change(me, now) {
            None if recipe.outside[me.index()] => self.core = None,
            None => {}
            Some((_, Change::Leave)) => self.core = None,
            Some((index, Change::Join(seeds))) => self.join(ctx, index, seeds),
        }
    }

    /// Joins through `seeds` with a fresh core (change `index`).
    fn join(&mut self, ctx: &mut Context<'_, Message, GossipDurable>, index: usize, seeds: &[u64]) {
        let durable = *ctx.durable();
        let mut core = self.recipe.joining_core(ctx.id(), index, durable.boots);
        core.restore_write_counter(durable.write_counter);
        if core.join(ctx.now().as_nanos(), seeds).is_ok() {
            if let Some((timer, _)) = self.armed.take() {
                ctx.cancel_timer(timer);
            }
            self.core = Some(core);
            self.observations.push(Observation::Joined);
        }
    }

    /// Carries out planned change `index`.
    fn change(&mut self, ctx: &mut Context<'_, Message, GossipDurable>, index: usize) {
        let recipe = Arc::clone(&self.recipe);
        match &recipe.changes[index].change {
            Change::Join(seeds) if self.member().is_none() => self.join(ctx, index, seeds),
            Change::Join(_) => {}
            Change::Leave => {
                if let Some(core) = self.core.as_mut().filter(|core| !core.has_left()) {
                    if core.leave(ctx.now().as_nanos()).is_ok() {
                        self.observations.push(Observation::Left);
                    }
                }
            }
        }
    }

    /// Performs planned write `index` if the node is a member.
    fn write(&mut self, ctx: &mut Context<'_, Message, GossipDurable>, index: usize) {
        let Some(core) = self.core.as_mut() else {
            return;
        };
        let value = format!("w{index}").into_bytes();
        let key = &self.recipe.plan[index].key;
        if let Ok(dot) = core.put(ctx.now().as_nanos(), key, value) {
            ctx.durable().write_counter = core.write_counter();
            self.observations.push(Observation::Wrote { index, dot });
            let version = core.get(key).iter().find(|v| v.dot == dot);
            if let Some(version) = version.filter(|_| self.recipe.durable) {
                let update = Update {
                    key: key.clone(),
                    version: version.clone(),
                };
                // A full disk refuses the record: the write is then as volatile as without
                // a durable store.
                if ctx.disk().append(record::encode(&update)).is_ok() {
                    ctx.sync();
                }
            }
        }
    }

    /// With a durable store, takes back every record of the node's disk that reads back whole.
    fn restore(&mut self, ctx: &mut Context<'_, Message, GossipDurable>) {
        let Some(core) = self.core.as_mut().filter(|_| self.recipe.durable) else {
            return;
        };
        let disk = ctx.disk();
        for position in 0..disk.len() {
            if let Some(update) = disk.read(position).ok().and_then(record::decode) {
                core.restore(&update);
            }
        }
    }
}

impl Process for GossipProcess {
    type Message = Message;
    type Durable = GossipDurable;

    /// As the core sizes it for its byte budget and bandwidth counters.
    fn message_size(msg: &Message) -> u64 {
        msg.size_bytes() as u64
    }

    fn on_start(&mut self, ctx: &mut Context<'_, Message, GossipDurable>) {
        ctx.durable().boots += 1;
        let now = ctx.now().as_nanos();
        let me = ctx.id();
        let recipe = Arc::clone(&self.recipe);
        let writes = recipe.plan.len();
        let planned = recipe.plan.iter().map(|w| (w.node, w.at));
        let changes = recipe.changes.iter().map(|c| (c.node, c.at));
        let tags = (0..writes).map(Tag::Write).chain((0..).map(Tag::Change));
        for ((node, at), tag) in planned.chain(changes).zip(tags) {
            if node == me && at >= now {
                ctx.set_timer(Duration::from_nanos(at - now), tag.encode(writes));
            }
        }
        self.take_standing(ctx);
        self.restore(ctx);
        self.flush(ctx);
    }

    fn on_message(
        &mut self,
        ctx: &mut Context<'_, Message, GossipDurable>,
        from: NodeId,
        msg: Message,
    ) {
        let Some(core) = self.core.as_mut() else {
            return;
        };
        // Malformed input is the sender's problem; the node ignores what it cannot use.
        let _ = core.handle_message(ctx.now().as_nanos(), from.index() as u64, msg);
        self.flush(ctx);
    }

    fn on_timer(
        &mut self,
        ctx: &mut Context<'_, Message, GossipDurable>,
        timer: TimerId,
        tag: u64,
    ) {
        match Tag::decode(tag, self.recipe.plan.len()) {
            Tag::Wake => {
                if self.armed.is_some_and(|(id, _)| id == timer) {
                    self.armed = None;
                    if let Some(core) = self.core.as_mut() {
                        core.handle_timeout(ctx.now().as_nanos());
                    }
                }
            }
            Tag::Write(index) => self.write(ctx, index),
            Tag::Change(index) => self.change(ctx, index),
        }
        self.flush(ctx);
    }
}

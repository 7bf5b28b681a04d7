//! The gossip core as a simulated process: timers from `poll_timeout`, planned writes, and
//! observations the driver drains after every step.

use faultline_gossip::{Dot, Event, GossipNode, Message};
use faultline_sim::{Context, NodeId, Process, TimerId};
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
}

/// What survives a crash: the write counter, so a restarted node never reuses a write id, and
/// the number of boots, so each incarnation draws from its own random stream.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GossipDurable {
    /// The core's write counter after the last write.
    pub write_counter: u64,
    /// Times the node has started.
    pub boots: u64,
}

/// Timer tag of the core's wake-up; tags above it are planned writes (`index + 1`).
const WAKE: u64 = 0;

/// A gossip node under the simulator.
pub struct GossipProcess {
    core: GossipNode,
    armed: Option<(TimerId, u64)>,
    plan: Arc<Vec<PlannedWrite>>,
    observations: Vec<Observation>,
}

impl GossipProcess {
    /// A process around `core`, performing its share of `plan`.
    pub fn new(core: GossipNode, plan: Arc<Vec<PlannedWrite>>) -> Self {
        GossipProcess {
            core,
            armed: None,
            plan,
            observations: Vec::new(),
        }
    }

    /// The core, for inspection (digest, stats, members).
    pub fn core(&self) -> &GossipNode {
        &self.core
    }

    /// Observations since the last call.
    pub fn take_observations(&mut self) -> Vec<Observation> {
        std::mem::take(&mut self.observations)
    }

    /// Sends the core's outputs, records its events, and re-arms the wake-up timer.
    fn flush(&mut self, ctx: &mut Context<'_, Message, GossipDurable>) {
        for (to, msg) in self.core.take_outputs() {
            ctx.send(NodeId::new(to as u32), msg);
        }
        self.observations
            .extend(self.core.take_events().into_iter().map(Observation::Core));
        let wanted = self.core.poll_timeout();
        if self.armed.map(|(_, at)| at) == wanted {
            return;
        }
        if let Some((timer, _)) = self.armed.take() {
            ctx.cancel_timer(timer);
        }
        if let Some(at) = wanted {
            let delay = at.saturating_sub(ctx.now().as_nanos());
            self.armed = Some((ctx.set_timer(Duration::from_nanos(delay), WAKE), at));
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
        let plan = Arc::clone(&self.plan);
        for (index, write) in plan
            .iter()
            .enumerate()
            .filter(|(_, w)| w.node == me && w.at >= now)
        {
            ctx.set_timer(Duration::from_nanos(write.at - now), index as u64 + 1);
        }
        self.flush(ctx);
    }

    fn on_message(
        &mut self,
        ctx: &mut Context<'_, Message, GossipDurable>,
        from: NodeId,
        msg: Message,
    ) {
        // Malformed input is the sender's problem; the node ignores what it cannot use.
        let _ = self
            .core
            .handle_message(ctx.now().as_nanos(), from.index() as u64, msg);
        self.flush(ctx);
    }

    fn on_timer(
        &mut self,
        ctx: &mut Context<'_, Message, GossipDurable>,
        timer: TimerId,
        tag: u64,
    ) {
        let now = ctx.now().as_nanos();
        if tag == WAKE {
            if self.armed.is_some_and(|(id, _)| id == timer) {
                self.armed = None;
                self.core.handle_timeout(now);
            }
        } else {
            let index = (tag - 1) as usize;
            let value = format!("w{index}").into_bytes();
            if let Ok(dot) = self.core.put(now, &self.plan[index].key, value) {
                ctx.durable().write_counter = self.core.write_counter();
                self.observations.push(Observation::Wrote { index, dot });
            }
        }
        self.flush(ctx);
    }
}

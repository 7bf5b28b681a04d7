//! The `Process` trait a simulated node implements, and the `Context` it acts through.

use crate::disk::{Disk, DiskConfig, NewSync, SyncId};
use crate::rng::{DetRng, RngStreams};
use crate::time::Time;
use crate::NodeId;
use std::fmt::Debug;
use std::hash::Hash;
use std::time::Duration;

/// Identifies one timer set by a node; unique within a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimerId(pub(crate) u64);

/// A timer set during one callback: its true deadline `at` and the local one it came from.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NewTimer {
    pub(crate) id: TimerId,
    pub(crate) at: Time,
    pub(crate) local_at: Time,
    pub(crate) tag: u64,
}

/// A simulated node: a state machine driven by start-up, messages and timers.
///
/// The simulator owns the process's volatile state (the value itself) and its durable storage
/// (`Self::Durable`). A crash drops the value; a restart builds a new one from the durable storage
/// through the factory given to [`crate::Simulation::new`], then calls [`Process::on_start`].
pub trait Process {
    /// Messages exchanged between nodes. `Hash` feeds the trace hash, `Debug` the trace file.
    type Message: Clone + Debug + Hash;
    /// What survives a crash. Writes through [`Context::durable`] are durable immediately.
    type Durable: Default;

    /// Called when the node starts, and again in each new incarnation after a restart.
    fn on_start(&mut self, ctx: &mut Context<'_, Self::Message, Self::Durable>);

    /// Called when a message from `from` is delivered.
    fn on_message(
        &mut self,
        ctx: &mut Context<'_, Self::Message, Self::Durable>,
        from: NodeId,
        msg: Self::Message,
    );

    /// Called when a timer set by this incarnation fires; `tag` is the value given to `set_timer`.
    fn on_timer(
        &mut self,
        ctx: &mut Context<'_, Self::Message, Self::Durable>,
        timer: TimerId,
        tag: u64,
    );

    /// Called when a sync asked for with [`Context::sync`] completed: every disk write made
    /// before it is durable. The default does nothing.
    fn on_sync(&mut self, _ctx: &mut Context<'_, Self::Message, Self::Durable>, _sync: SyncId) {}

    /// How many bytes `msg` would take on a real wire, as the protocol estimates it; counted
    /// per send and written to trace files. 0 (the default) means the protocol does not say.
    fn message_size(_msg: &Self::Message) -> u64 {
        0
    }
}

/// What a process may do while handling one event: read its clock, send, set timers, draw random
/// numbers from its own stream, write durable storage, and use its disk.
pub struct Context<'a, M, D> {
    pub(crate) node: NodeId,
    pub(crate) local_now: Time,
    pub(crate) sim_now: Time,
    pub(crate) rate_ppm: u64,
    pub(crate) outbox: &'a mut Vec<(NodeId, M)>,
    pub(crate) new_timers: &'a mut Vec<NewTimer>,
    pub(crate) cancelled: &'a mut Vec<TimerId>,
    pub(crate) next_timer: &'a mut u64,
    pub(crate) streams: RngStreams,
    /// The node's stream, created on first use (its draws do not depend on when).
    pub(crate) rng: &'a mut Option<Box<DetRng>>,
    pub(crate) durable: &'a mut D,
    /// The node's disk, created with default settings on first use.
    pub(crate) disk: &'a mut Option<Box<Disk>>,
    pub(crate) new_syncs: &'a mut Vec<NewSync>,
}

impl<M, D> Context<'_, M, D> {
    /// This node's id.
    pub fn id(&self) -> NodeId {
        self.node
    }

    /// This node's clock, which runs at the node's skewed rate. Protocol logic should use this.
    pub fn now(&self) -> Time {
        self.local_now
    }

    /// The simulation's true time. For recording observations (histories, metrics) only: real
    /// nodes cannot read it.
    pub fn sim_time(&self) -> Time {
        self.sim_now
    }

    /// Sends `msg` to `to` through the simulated network.
    pub fn send(&mut self, to: NodeId, msg: M) {
        self.outbox.push((to, msg));
    }

    /// Sets a timer that fires after `delay` as measured by this node's (skewed) clock.
    pub fn set_timer(&mut self, delay: Duration, tag: u64) -> TimerId {
        let id = TimerId(*self.next_timer);
        *self.next_timer += 1;
        let local = crate::time::duration_nanos(delay);
        // A node whose clock runs fast (rate > 1) sees its timers fire early in true time.
        let true_delay = if self.rate_ppm == crate::PPM_ONE {
            u128::from(local)
        } else {
            (u128::from(local) * u128::from(crate::PPM_ONE)).div_ceil(u128::from(self.rate_ppm))
        };
        let at = Time::from_nanos(
            self.sim_now
                .as_nanos()
                .saturating_add(true_delay.min(u128::from(u64::MAX)) as u64),
        );
        let local_at = Time::from_nanos(self.local_now.as_nanos().saturating_add(local));
        self.new_timers.push(NewTimer {
            id,
            at,
            local_at,
            tag,
        });
        id
    }

    /// Cancels a timer this node set; cancelling one that already fired does nothing.
    pub fn cancel_timer(&mut self, timer: TimerId) {
        self.cancelled.push(timer);
    }

    /// This node's own random stream (derived from the run seed and the node id).
    pub fn rng(&mut self) -> &mut DetRng {
        let (streams, node) = (self.streams, self.node);
        self.rng
            .get_or_insert_with(|| Box::new(streams.indexed("node", u64::from(node.0))))
    }

    /// The node's durable storage: survives crashes, written immediately.
    pub fn durable(&mut self) -> &mut D {
        self.durable
    }

    /// The node's disk (see [`Disk`]): writes are visible at once and durable after a sync.
    pub fn disk(&mut self) -> &mut Disk {
        let (streams, node) = (self.streams, self.node);
        self.disk.get_or_insert_with(|| {
            Box::new(Disk::new(DiskConfig::default(), streams, u64::from(node.0)))
        })
    }

    /// Asks for every disk write so far to be made durable; [`Process::on_sync`] is called with
    /// the returned id when it is (syncs complete in the order asked). A crash first loses it.
    pub fn sync(&mut self) -> SyncId {
        let now = self.sim_now;
        let sync = self.disk().request_sync(now);
        self.new_syncs.push(sync);
        sync.id
    }
}

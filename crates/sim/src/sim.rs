//! The simulation: nodes, the event loop, the network and fault application.

use crate::disk::{Disk, DiskConfig, DiskFault, NewSync, SyncId};
use crate::fault::Fault;
use crate::hash::StableHasher;
use crate::inflight::InFlight;
use crate::net::{Connectivity, FifoLinks, LastLink, LinkConfig, Topology, ZoneId, LAST_LINK_FROM};
use crate::prefetch::{prefetch, PREFETCH_FROM};
use crate::process::{Context, NewTimer, Process, TimerId};
use crate::queue::EventQueue;
use crate::rng::{DetRng, RngStreams};
use crate::stall::{RunawayGuard, Stall};
use crate::time::Time;
use crate::timers::PendingTimers;
use crate::trace::{Counters, DropReason, Trace, TraceEvent, TraceKind};
use crate::NodeId;
use std::collections::BTreeMap;
use std::io::Write;

/// One part per million: a clock rate of `PPM_ONE` runs at true speed.
pub const PPM_ONE: u64 = 1_000_000;

/// Settings fixed for the whole run.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// Root seed of every random stream.
    pub seed: u64,
    /// Zones and link behaviour.
    pub topology: Topology,
    /// Band of clock rates in ppm (e.g. 950_000..=1_050_000); each node draws its rate from it.
    /// `None` means every clock runs at true speed.
    pub clock_skew_ppm: Option<(u64, u64)>,
}

impl SimConfig {
    /// One zone with `link` everywhere and no clock skew.
    pub fn new(seed: u64, link: LinkConfig) -> Self {
        SimConfig {
            seed,
            topology: Topology::uniform(link),
            clock_skew_ppm: None,
        }
    }
}

/// What one call to [`Simulation::step`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stepped {
    /// When it happened.
    pub time: Time,
    /// What happened.
    pub kind: TraceKind,
    /// The node whose state may have changed, if any.
    pub node: Option<NodeId>,
}

enum Event {
    Start {
        node: NodeId,
        incarnation: u32,
    },
    Deliver {
        from: NodeId,
        to: NodeId,
        /// Number of the event during which it was sent: a crash of `to` after it loses it.
        sent_in: u64,
        id: u64,
        /// The message's hash, computed once when it was sent.
        digest: u64,
        /// Where the message waits in [`Simulation`]'s `in_flight` (see [`InFlight`]).
        msg: u32,
    },
    Timer {
        node: NodeId,
        incarnation: u32,
        id: TimerId,
        tag: u64,
        /// The deadline on the node's clock, from which a rate change re-plans it.
        local_at: Time,
        /// The node's clock epoch it was planned in; a rate change re-plans it in a new one and
        /// this copy is dropped.
        epoch: u32,
    },
    Fault(usize),
    /// A disk sync of `node` completes: its writes numbered below `upto` become durable.
    Sync {
        node: NodeId,
        incarnation: u32,
        id: SyncId,
        upto: u64,
    },
}

struct Clock {
    anchor_sim: Time,
    anchor_local: Time,
    rate_ppm: u64,
    /// Number of rate changes so far: timers planned under an older rate are stale.
    epoch: u32,
}

impl Clock {
    /// The true time at which this clock reads `local_at` (`sim_now` if it already does).
    fn true_time_of(&self, sim_now: Time, local_at: Time) -> Time {
        let ahead = local_at
            .as_nanos()
            .saturating_sub(self.local(sim_now).as_nanos());
        let true_delay =
            (u128::from(ahead) * u128::from(PPM_ONE)).div_ceil(u128::from(self.rate_ppm));
        Time::from_nanos(
            sim_now
                .as_nanos()
                .saturating_add(true_delay.min(u128::from(u64::MAX)) as u64),
        )
    }

    fn local(&self, sim_now: Time) -> Time {
        if self.rate_ppm == PPM_ONE {
            return Time::from_nanos(
                self.anchor_local.as_nanos() + (sim_now.as_nanos() - self.anchor_sim.as_nanos()),
            );
        }
        let elapsed = u128::from(sim_now.as_nanos() - self.anchor_sim.as_nanos());
        let scaled = elapsed * u128::from(self.rate_ppm) / u128::from(PPM_ONE);
        Time::from_nanos(
            self.anchor_local
                .as_nanos()
                .saturating_add(scaled.min(u128::from(u64::MAX)) as u64),
        )
    }
}

/// What liveness checks and routing read of a node: kept apart from the (large) process in a
/// dense array, so a check does not pull the node's state into cache.
#[derive(Clone, Copy)]
struct NodeMeta {
    incarnation: u32,
    zone: ZoneId,
    up: bool,
    /// Frozen by [`Fault::Pause`]: events due to it wait in `Simulation::waiting`.
    paused: bool,
    /// Number of the event that last crashed the node (0: never).
    crashed_in: u64,
    /// The node's latest FIFO link as a sender (used from [`LAST_LINK_FROM`] nodes).
    last_link: LastLink,
}

impl NodeMeta {
    /// True if the node is running `incarnation`.
    fn runs(&self, incarnation: u32) -> bool {
        self.up && self.incarnation == incarnation
    }

    /// True if a message sent during event `sent_in` reaches the node: it is up and has not
    /// crashed since (the same as "still the incarnation it was sent to", without reading the
    /// target at send time).
    fn receives(&self, sent_in: u64) -> bool {
        self.up && self.crashed_in < sent_in
    }
}

struct NodeSlot<P: Process> {
    process: Option<P>,
    durable: P::Durable,
    /// The node's disk, created on first use (or when configured).
    disk: Option<Box<Disk>>,
    /// The node's stream, drawn from the first time the process asks for it; boxed, so a node
    /// that never draws (a gossip node has its own generator) pays one pointer, not ~320 bytes.
    rng: Option<Box<DetRng>>,
    clock: Clock,
}

type Factory<P> = Box<dyn FnMut(NodeId, &<P as Process>::Durable) -> P>;

struct NetRngs {
    latency: DetRng,
    loss: DetRng,
    duplicate: DetRng,
    reorder: DetRng,
}

/// A deterministic simulation of processes of type `P` on a faulty network.
pub struct Simulation<P: Process> {
    now: Time,
    queue: EventQueue<Event>,
    in_flight: InFlight<P::Message>,
    nodes: Vec<NodeSlot<P>>,
    meta: Vec<NodeMeta>,
    pending_timers: PendingTimers,
    /// Per paused node, the deliveries and timers that came due while it was paused, in arrival
    /// order. Apart from the slots: few nodes are ever paused, and a list in every slot cost
    /// 24 B per node.
    waiting: BTreeMap<NodeId, Vec<Event>>,
    /// Set once any clock rate changes. Until then no timer can be stale, and [`Self::step`]
    /// skips the check: it reads the node's slot, a cache miss per timer at 10^6 nodes.
    rates_changed: bool,
    /// Set once any node is paused. Until then no event can be held back, and [`Self::step`]
    /// skips the check (a read of the node's entry in `meta`).
    ever_paused: bool,
    /// Counts the events of the current instant and watches the queue's length, against a
    /// livelock or a message storm.
    runaway: RunawayGuard,
    factory: Factory<P>,
    streams: RngStreams,
    net_rng: NetRngs,
    topology: Topology,
    connectivity: Connectivity,
    fifo: FifoLinks,
    clock_skew_ppm: Option<(u64, u64)>,
    faults: Vec<Fault>,
    counters: Counters,
    /// The kernel's code probes passed so far ([`crate::Probe::bit`] bits).
    probes: u64,
    trace: Trace,
    next_timer: u64,
    outbox: Vec<(NodeId, P::Message)>,
    new_timers: Vec<NewTimer>,
    cancelled: Vec<TimerId>,
    new_syncs: Vec<NewSync>,
    /// Set by [`Self::skip_teardown`]: the drop leaves the nodes, queued events and in-flight
    /// messages allocated.
    skip_teardown: bool,
}

impl<P: Process> Simulation<P> {
    /// A simulation with no nodes yet. `factory` builds a node's process from its durable storage:
    /// at first start (from `Default`) and at every restart.
    pub fn new(config: SimConfig, factory: impl FnMut(NodeId, &P::Durable) -> P + 'static) -> Self {
        let streams = RngStreams::new(config.seed);
        Simulation {
            now: Time::ZERO,
            queue: EventQueue::new(),
            in_flight: InFlight::default(),
            nodes: Vec::new(),
            meta: Vec::new(),
            pending_timers: PendingTimers::default(),
            waiting: BTreeMap::new(),
            rates_changed: false,
            ever_paused: false,
            runaway: RunawayGuard::default(),
            factory: Box::new(factory),
            net_rng: NetRngs {
                latency: streams.stream("net.latency"),
                loss: streams.stream("net.loss"),
                duplicate: streams.stream("net.duplicate"),
                reorder: streams.stream("net.reorder"),
            },
            streams,
            topology: config.topology,
            connectivity: Connectivity::default(),
            fifo: FifoLinks::default(),
            clock_skew_ppm: config.clock_skew_ppm,
            faults: Vec::new(),
            counters: Counters::default(),
            probes: 0,
            trace: Trace::new(),
            next_timer: 0,
            outbox: Vec::new(),
            new_timers: Vec::new(),
            cancelled: Vec::new(),
            new_syncs: Vec::new(),
            skip_teardown: false,
        }
    }

    /// Makes the drop of this simulation leave its nodes, queued events and in-flight messages
    /// allocated instead of freeing them one by one: for a process that exits soon after, such
    /// as the CLI's one-shot run, whose operating system takes the whole heap back at once (at
    /// 10^6 gossip nodes the frees took ~2 s). That memory is never given back while the
    /// process lives, so a program that runs many simulations must not call this.
    pub fn skip_teardown(&mut self) {
        self.skip_teardown = true;
    }

    /// Makes room for `additional` more nodes at once, before adding them: the node array is
    /// then one allocation, which at 10^6 nodes asks for huge pages ([`crate::hugepages`]), and
    /// is never copied as it grows.
    pub fn reserve_nodes(&mut self, additional: usize) {
        self.nodes.reserve_exact(additional);
        self.meta.reserve_exact(additional);
        crate::hugepages::advise(&self.nodes);
        crate::hugepages::advise(&self.meta);
    }

    /// Adds a node in the default zone; it starts at the current time.
    pub fn add_node(&mut self, name: &str) -> NodeId {
        self.add_node_in_zone(name, 0)
    }

    /// Adds a node in `zone` (see [`Topology::add_zone`]); it starts at the current time.
    pub fn add_node_in_zone(&mut self, name: &str, zone: ZoneId) -> NodeId {
        let id = NodeId::new(u32::try_from(self.nodes.len()).expect("more than 2^32 nodes"));
        let rate_ppm = match self.clock_skew_ppm {
            Some((low, high)) => self
                .streams
                .indexed("clock", u64::from(id.0))
                .between(low, high)
                .max(1),
            None => PPM_ONE,
        };
        let durable = P::Durable::default();
        let process = (self.factory)(id, &durable);
        self.nodes.push(NodeSlot {
            process: Some(process),
            durable,
            disk: None,
            rng: None,
            clock: Clock {
                anchor_sim: self.now,
                anchor_local: self.now,
                rate_ppm,
                epoch: 0,
            },
        });
        self.meta.push(NodeMeta {
            incarnation: 0,
            zone: zone.min(self.topology.zone_count().saturating_sub(1) as ZoneId),
            up: true,
            paused: false,
            crashed_in: 0,
            last_link: LastLink::default(),
        });
        self.trace.add_name(name);
        self.push_now(Event::Start {
            node: id,
            incarnation: 0,
        });
        id
    }

    /// Queues an event due now (a start, a message to oneself): they share the zero-delay lane.
    fn push_now(&mut self, event: Event) {
        self.queue.push_after(0, self.now, event);
    }

    /// Schedules `fault` at `at` (faults at the same time apply in scheduling order).
    pub fn schedule_fault(&mut self, at: Time, fault: Fault) {
        self.faults.push(fault);
        self.queue
            .push(at.max(self.now), Event::Fault(self.faults.len() - 1));
    }

    /// Writes every subsequent event to `sink` as a JSON line.
    pub fn record_trace(&mut self, sink: Box<dyn Write>) {
        self.trace.set_sink(sink);
    }

    /// Flushes the trace file, reporting the first write error.
    pub fn finish_trace(&mut self) -> std::io::Result<()> {
        self.trace.finish()
    }

    /// Current virtual time.
    pub fn now(&self) -> Time {
        self.now
    }

    /// Hash of every event so far; equal for equal (scenario, seed).
    pub fn trace_hash(&self) -> u64 {
        self.trace.hash()
    }

    /// Event counters so far.
    pub fn counters(&self) -> Counters {
        self.counters
    }

    /// The kernel's code probes this run passed, one bit per [`crate::Probe`]
    /// ([`crate::Probe::bit`]).
    pub fn probes(&self) -> u64 {
        self.probes
    }

    /// The named random streams of this run, for drivers that need their own purposes.
    pub fn streams(&self) -> RngStreams {
        self.streams
    }

    /// Number of nodes ever added.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// The name a node was added with.
    pub fn node_name(&self, node: NodeId) -> Option<&str> {
        self.trace.name(node.index())
    }

    /// The live process of `node`, or `None` if it is down or unknown.
    pub fn process(&self, node: NodeId) -> Option<&P> {
        self.nodes
            .get(node.index())
            .and_then(|slot| slot.process.as_ref())
    }

    /// Mutable access to a live process, for drivers that inject inputs between steps.
    pub fn process_mut(&mut self, node: NodeId) -> Option<&mut P> {
        self.nodes
            .get_mut(node.index())
            .and_then(|slot| slot.process.as_mut())
    }

    /// The durable storage of `node` (kept across crashes).
    pub fn durable(&self, node: NodeId) -> Option<&P::Durable> {
        self.nodes.get(node.index()).map(|slot| &slot.durable)
    }

    /// The disk of `node`, if it has one (a disk exists once configured or first used).
    pub fn disk(&self, node: NodeId) -> Option<&Disk> {
        self.nodes
            .get(node.index())
            .and_then(|slot| slot.disk.as_deref())
    }

    /// Gives `node`'s disk these settings (creating it if needed; its contents stay).
    pub fn configure_disk(&mut self, node: NodeId, config: DiskConfig) {
        if let Some(disk) = self.disk_mut(node) {
            disk.set_config(config);
        }
    }

    fn disk_mut(&mut self, node: NodeId) -> Option<&mut Disk> {
        let streams = self.streams;
        let slot = self.nodes.get_mut(node.index())?;
        Some(slot.disk.get_or_insert_with(|| {
            Box::new(Disk::new(DiskConfig::default(), streams, u64::from(node.0)))
        }))
    }

    /// True if `node` is running.
    pub fn is_up(&self, node: NodeId) -> bool {
        self.process(node).is_some()
    }

    /// How many times `node` has crashed.
    pub fn incarnation(&self, node: NodeId) -> Option<u32> {
        self.meta.get(node.index()).map(|meta| meta.incarnation)
    }

    /// `node`'s clock reading now.
    pub fn local_time(&self, node: NodeId) -> Option<Time> {
        self.nodes
            .get(node.index())
            .map(|slot| slot.clock.local(self.now))
    }

    /// The current partitions and cuts.
    pub fn connectivity(&self) -> &Connectivity {
        &self.connectivity
    }

    /// Time of the next pending event; `None` once the run has stalled ([`Self::stall`]).
    pub fn next_event_time(&self) -> Option<Time> {
        if self.runaway.stall().is_some() {
            return None;
        }
        self.queue.peek_time()
    }

    /// Why the run stopped before its end, if it did: one instant ran its limit of events, or
    /// the queue held its limit (see [`crate::stall`]); the kernel runs no more events.
    pub fn stall(&self) -> Option<Stall> {
        self.runaway.stall()
    }

    /// Sets how many events one instant may run before the run stalls, instead of the
    /// default for the node count ([`crate::stall`]).
    pub fn set_instant_limit(&mut self, events: u64) {
        self.runaway.set_instant_limit(events);
    }

    /// Sets how many events may wait in the queue before the run stalls, instead of the
    /// default for the node count ([`crate::stall`]).
    pub fn set_backlog_limit(&mut self, pending: u64) {
        self.runaway.set_backlog_limit(pending);
    }

    /// Processes the next event, if any; none once the run has stalled ([`Self::stall`]).
    pub fn step(&mut self) -> Option<Stepped> {
        if self.runaway.stall().is_some() {
            return None;
        }
        let (time, event) = self.queue.pop()?;
        self.runaway.count(time, self.nodes.len(), self.queue.len());
        self.now = time;
        self.prefetch_next();
        if self.rates_changed && self.is_stale_timer(&event) {
            // Re-planned by a clock-rate change: its replacement is queued.
            return Some(self.stepped(TraceKind::Timer, None));
        }
        if let Some((node, kind)) = self
            .ever_paused
            .then(|| self.paused_target(&event))
            .flatten()
        {
            self.waiting.entry(node).or_default().push(event);
            return Some(self.stepped(kind, None));
        }
        self.counters.events += 1;
        Some(match event {
            Event::Start { node, incarnation } => self.start(node, incarnation),
            Event::Deliver {
                from,
                to,
                sent_in,
                id,
                digest,
                msg,
            } => {
                let msg = self.in_flight.take(msg);
                self.deliver(from, to, sent_in, (id, digest), msg)
            }
            Event::Timer {
                node,
                incarnation,
                id,
                tag,
                ..
            } => self.fire_timer(node, incarnation, id, tag),
            Event::Fault(index) => self.apply_fault(index),
            Event::Sync {
                node,
                incarnation,
                id,
                upto,
            } => self.sync_done(node, incarnation, id, upto),
        })
    }

    /// Starts loading what the next event will read while this one runs (see
    /// [`crate::prefetch`]): its node's slot and liveness entry, and a delivery's message; and
    /// the queued events that may come after it, whose nodes the next step prefetches. The
    /// next event is known now unless this one schedules an earlier one (then the hint is
    /// wasted, nothing else). Only from [`PREFETCH_FROM`] nodes: below, everything is in cache.
    #[inline]
    fn prefetch_next(&self) {
        if self.meta.len() < PREFETCH_FROM {
            return;
        }
        self.queue.prefetch_following();
        let Some(event) = self.queue.peek() else {
            return;
        };
        let node = match *event {
            Event::Deliver { to, msg, .. } => {
                self.in_flight.prefetch(msg);
                to
            }
            Event::Start { node, .. } | Event::Timer { node, .. } | Event::Sync { node, .. } => {
                node
            }
            Event::Fault(_) => return,
        };
        if let (Some(slot), Some(meta)) =
            (self.nodes.get(node.index()), self.meta.get(node.index()))
        {
            prefetch(slot);
            prefetch(meta);
        }
    }

    /// True for a timer planned under a clock rate its node no longer runs at.
    fn is_stale_timer(&self, event: &Event) -> bool {
        match event {
            Event::Timer { node, epoch, .. } => self.nodes[node.index()].clock.epoch != *epoch,
            _ => false,
        }
    }

    /// The paused node an event is due to, if any (the event waits until it resumes; nothing
    /// happens in this step), and the kind of step it would have been.
    fn paused_target(&self, event: &Event) -> Option<(NodeId, TraceKind)> {
        let (node, kind) = match event {
            Event::Deliver { to, .. } => (*to, TraceKind::Deliver),
            Event::Timer { node, .. } => (*node, TraceKind::Timer),
            Event::Sync { node, .. } => (*node, TraceKind::Sync),
            Event::Start { .. } | Event::Fault(_) => return None,
        };
        self.meta[node.index()].paused.then_some((node, kind))
    }

    /// Runs every event due at or before `until`, then advances the clock to `until`; a run
    /// that stalls ([`Self::stall`]) stays at the instant that never ended.
    pub fn run_until(&mut self, until: Time) {
        while self.next_event_time().is_some_and(|t| t <= until) {
            self.step();
        }
        if self.runaway.stall().is_none() {
            self.now = self.now.max(until);
        }
    }

    /// Runs until no event is pending or the next one is after `limit`; returns true if quiescent.
    pub fn run_until_quiescent(&mut self, limit: Time) -> bool {
        self.run_until(limit);
        self.queue.is_empty()
    }

    fn stepped(&self, kind: TraceKind, node: Option<NodeId>) -> Stepped {
        Stepped {
            time: self.now,
            kind,
            node,
        }
    }

    /// Records one event in the trace (hash, and the file when recording).
    fn trace(
        &mut self,
        kind: TraceKind,
        (node, peer): (Option<NodeId>, Option<NodeId>),
        digest: u64,
        msg: Option<u64>,
        detail: impl FnOnce() -> String,
    ) {
        let event = self.event(kind, (node, peer), digest, msg);
        self.trace.record(event, detail);
    }

    /// An event happening now, with no byte count.
    #[inline]
    fn event(
        &self,
        kind: TraceKind,
        (node, peer): (Option<NodeId>, Option<NodeId>),
        digest: u64,
        msg: Option<u64>,
    ) -> TraceEvent {
        TraceEvent {
            time: self.now,
            kind,
            node,
            peer,
            digest,
            msg,
            bytes: None,
        }
    }

    fn start(&mut self, node: NodeId, incarnation: u32) -> Stepped {
        if !self.meta[node.index()].runs(incarnation) {
            return self.stepped(TraceKind::Start, None);
        }
        self.trace(
            TraceKind::Start,
            (Some(node), None),
            u64::from(incarnation),
            None,
            String::new,
        );
        self.with_process(node, |process, ctx| process.on_start(ctx));
        self.stepped(TraceKind::Start, Some(node))
    }

    fn deliver(
        &mut self,
        from: NodeId,
        to: NodeId,
        sent_in: u64,
        (id, digest): (u64, u64),
        msg: P::Message,
    ) -> Stepped {
        let reason = if !self.meta[to.index()].receives(sent_in) {
            Some(DropReason::Crashed)
        } else if self.connectivity.is_blocked(from, to) {
            Some(DropReason::Partition)
        } else {
            None
        };
        if let Some(reason) = reason {
            self.probes |= match reason {
                DropReason::Partition => crate::Probe::LostToPartitionInFlight.bit(),
                _ => crate::Probe::LostToCrashInFlight.bit(),
            };
            return self.drop_message(from, to, reason, (digest, id), &msg);
        }
        self.counters.delivered += 1;
        self.trace(
            TraceKind::Deliver,
            (Some(to), Some(from)),
            digest,
            Some(id),
            || format!("{msg:?}"),
        );
        self.with_process(to, |process, ctx| process.on_message(ctx, from, msg));
        self.stepped(TraceKind::Deliver, Some(to))
    }

    fn drop_message(
        &mut self,
        from: NodeId,
        to: NodeId,
        reason: DropReason,
        (digest, id): (u64, u64),
        msg: &P::Message,
    ) -> Stepped {
        self.counters.dropped += 1;
        let kind = TraceKind::Drop(reason);
        self.trace(kind, (Some(from), Some(to)), digest, Some(id), || {
            format!("{msg:?}")
        });
        self.stepped(kind, None)
    }

    fn fire_timer(&mut self, node: NodeId, incarnation: u32, id: TimerId, tag: u64) -> Stepped {
        // A timer of a crashed incarnation is no longer pending: remove it whether it runs or not.
        let pending = self.pending_timers.remove(id.0);
        if !pending || !self.meta[node.index()].runs(incarnation) {
            return self.stepped(TraceKind::Timer, None);
        }
        self.counters.timers += 1;
        self.trace(TraceKind::Timer, (Some(node), None), tag, None, || {
            format!("tag {tag}")
        });
        self.with_process(node, |process, ctx| process.on_timer(ctx, id, tag));
        self.stepped(TraceKind::Timer, Some(node))
    }

    /// A sync completed: its writes become durable and the process hears of it. A sync of an
    /// earlier incarnation is void (the crash already decided what survived).
    fn sync_done(&mut self, node: NodeId, incarnation: u32, id: SyncId, upto: u64) -> Stepped {
        if !self.meta[node.index()].runs(incarnation) {
            return self.stepped(TraceKind::Sync, None);
        }
        if let Some(disk) = self.nodes[node.index()].disk.as_mut() {
            disk.complete_sync(upto);
        }
        self.counters.syncs += 1;
        self.trace(TraceKind::Sync, (Some(node), None), id.0, None, || {
            format!("sync {}", id.0)
        });
        self.with_process(node, |process, ctx| process.on_sync(ctx, id));
        self.stepped(TraceKind::Sync, Some(node))
    }

    fn apply_disk_fault(&mut self, node: NodeId, fault: &DiskFault) {
        if let Some(disk) = self.disk_mut(node) {
            disk.apply_fault(fault);
        }
    }

    fn apply_fault(&mut self, index: usize) -> Stepped {
        self.counters.faults += 1;
        let fault = self.faults[index].clone();
        let node = match &fault {
            Fault::Crash(node)
            | Fault::Restart(node)
            | Fault::Pause(node)
            | Fault::Resume(node)
            | Fault::ClockRate { node, .. }
            | Fault::Disk { node, .. } => Some(*node),
            _ => None,
        };
        let kind = TraceKind::Fault(fault.kind());
        self.trace(kind, (node, None), index as u64, None, || {
            format!("{fault:?}")
        });
        match fault {
            Fault::Crash(node) => self.crash(node),
            Fault::Restart(node) => self.restart(node),
            Fault::Pause(node) => self.pause(node),
            Fault::Resume(node) => self.resume(node),
            Fault::Partition(groups) => self.connectivity.partition(&groups),
            Fault::Cut(cut) => self.connectivity.cut(cut),
            Fault::Heal => self.connectivity.heal(),
            Fault::ClockRate { node, rate_ppm } => self.set_clock_rate(node, rate_ppm),
            Fault::DefaultLink(link) => self.topology.set_default_link(link),
            Fault::Disk { node, fault } => self.apply_disk_fault(node, &fault),
        }
        self.stepped(kind, node)
    }

    /// Re-anchors `node`'s clock at a new rate (local time stays continuous) and re-plans its
    /// pending timers in true time from their local deadlines: a timer set for local 4 s fires
    /// when the clock reads 4 s at whatever rates it ran. The replacements are queued in the
    /// order of their local deadline (then timer id); the old copies are dropped when they pop.
    /// Timers already due and waiting for a paused node stay due.
    fn set_clock_rate(&mut self, node: NodeId, rate_ppm: u64) {
        self.rates_changed = true;
        let Some(slot) = self.nodes.get_mut(node.index()) else {
            return;
        };
        let old_epoch = slot.clock.epoch;
        slot.clock = Clock {
            anchor_sim: self.now,
            anchor_local: slot.clock.local(self.now),
            rate_ppm: rate_ppm.max(1),
            epoch: old_epoch.wrapping_add(1),
        };
        let epoch = slot.clock.epoch;
        for event in self.waiting.get_mut(&node).into_iter().flatten() {
            if let Event::Timer { epoch: e, .. } = event {
                *e = epoch;
            }
        }
        let mut replanned: Vec<_> = self
            .queue
            .iter()
            .filter_map(|event| match *event {
                Event::Timer {
                    node: n,
                    incarnation,
                    id,
                    tag,
                    local_at,
                    epoch: e,
                } if n == node && e == old_epoch => Some((local_at, id, incarnation, tag)),
                _ => None,
            })
            .collect();
        replanned.sort_unstable();
        let clock = &self.nodes[node.index()].clock;
        let planned: Vec<_> = replanned
            .into_iter()
            .map(|(local_at, id, incarnation, tag)| {
                let event = Event::Timer {
                    node,
                    incarnation,
                    id,
                    tag,
                    local_at,
                    epoch,
                };
                (clock.true_time_of(self.now, local_at), event)
            })
            .collect();
        for (at, event) in planned {
            self.queue.push(at, event);
        }
    }

    fn crash(&mut self, node: NodeId) {
        if let Some(slot) = self.nodes.get_mut(node.index()) {
            if slot.process.take().is_some() {
                // What waited for a paused node is lost with the rest of its volatile state.
                for event in self.waiting.remove(&node).into_iter().flatten() {
                    if let Event::Deliver { msg, .. } = event {
                        self.in_flight.take(msg);
                    }
                }
                if let Some(disk) = slot.disk.as_mut() {
                    disk.crash();
                }
                let meta = &mut self.meta[node.index()];
                meta.incarnation += 1;
                meta.up = false;
                meta.paused = false;
                meta.crashed_in = self.counters.events;
            }
        }
    }

    /// Freezes a running node (a crashed one has nothing to freeze).
    fn pause(&mut self, node: NodeId) {
        self.ever_paused = true;
        if let Some(meta) = self.meta.get_mut(node.index()) {
            meta.paused = meta.up;
        }
    }

    /// Unfreezes a paused node: what waited is due now, in the order it came.
    fn resume(&mut self, node: NodeId) {
        let Some(meta) = self.meta.get_mut(node.index()) else {
            return;
        };
        meta.paused = false;
        let waiting = self.waiting.remove(&node).unwrap_or_default();
        if !waiting.is_empty() {
            self.probes |= crate::Probe::ResumedWithWaiting.bit();
        }
        for event in waiting {
            self.push_now(event);
        }
    }

    fn restart(&mut self, node: NodeId) {
        let Some(slot) = self.nodes.get_mut(node.index()) else {
            return;
        };
        if slot.process.is_some() {
            return;
        }
        slot.process = Some((self.factory)(node, &slot.durable));
        let meta = &mut self.meta[node.index()];
        meta.up = true;
        let incarnation = meta.incarnation;
        self.push_now(Event::Start { node, incarnation });
    }

    /// Runs one callback of a live process with a fresh context, then routes what it produced.
    fn with_process(
        &mut self,
        node: NodeId,
        f: impl FnOnce(&mut P, &mut Context<'_, P::Message, P::Durable>),
    ) {
        let slot = &mut self.nodes[node.index()];
        let Some(process) = slot.process.as_mut() else {
            return;
        };
        let mut ctx = Context {
            node,
            local_now: slot.clock.local(self.now),
            sim_now: self.now,
            rate_ppm: slot.clock.rate_ppm,
            outbox: &mut self.outbox,
            new_timers: &mut self.new_timers,
            cancelled: &mut self.cancelled,
            next_timer: &mut self.next_timer,
            streams: self.streams,
            rng: &mut slot.rng,
            durable: &mut slot.durable,
            disk: &mut slot.disk,
            new_syncs: &mut self.new_syncs,
        };
        f(process, &mut ctx);
        let incarnation = self.meta[node.index()].incarnation;
        // Most callbacks cancel, set, sync or send little: an empty list is skipped, not
        // drained (a drain of an empty vector still costs its guard's drop, per callback).
        if !self.cancelled.is_empty() {
            for id in self.cancelled.drain(..) {
                self.pending_timers.remove(id.0);
            }
        }
        if !self.new_timers.is_empty() {
            self.queue_new_timers(node, incarnation);
        }
        if !self.new_syncs.is_empty() {
            for NewSync { id, at, upto } in self.new_syncs.drain(..) {
                let event = Event::Sync {
                    node,
                    incarnation,
                    id,
                    upto,
                };
                self.queue.push(at, event);
            }
        }
        if self.outbox.is_empty() {
            return;
        }
        // Sending needs the whole simulation: borrow the outbox out and back (no allocation).
        let mut outbox = std::mem::take(&mut self.outbox);
        for (to, msg) in outbox.drain(..) {
            self.send(node, to, msg);
        }
        self.outbox = outbox;
    }

    /// Queues the timers a callback of `node` set.
    fn queue_new_timers(&mut self, node: NodeId, incarnation: u32) {
        let epoch = self.nodes[node.index()].clock.epoch;
        for NewTimer {
            id,
            at,
            local_at,
            tag,
        } in self.new_timers.drain(..)
        {
            self.pending_timers.insert(id.0);
            // Periodic timers share a delay: they queue in that delay's FIFO lane.
            self.queue.push_after(
                at.as_nanos() - self.now.as_nanos(),
                at,
                Event::Timer {
                    node,
                    incarnation,
                    id,
                    tag,
                    local_at,
                    epoch,
                },
            );
        }
    }

    fn send(&mut self, from: NodeId, to: NodeId, msg: P::Message) {
        let id = self.counters.sent;
        self.counters.sent += 1;
        let bytes = P::message_size(&msg);
        self.counters.sent_bytes += bytes;
        let digest = StableHasher::hash_one(&msg);
        let event = TraceEvent {
            bytes: (bytes > 0).then_some(bytes),
            ..self.event(TraceKind::Send, (Some(from), Some(to)), digest, Some(id))
        };
        self.trace.record(event, || format!("{msg:?}"));
        if to.index() >= self.meta.len() {
            self.drop_message(from, to, DropReason::Crashed, (digest, id), &msg);
            return;
        }
        let sent_in = self.counters.events;
        if from == to {
            let msg = self.in_flight.park(msg);
            self.push_now(Event::Deliver {
                from,
                to,
                sent_in,
                id,
                digest,
                msg,
            });
            return;
        }
        if self.connectivity.is_blocked(from, to) {
            self.drop_message(from, to, DropReason::Partition, (digest, id), &msg);
            return;
        }
        self.transmit(from, to, msg, (digest, id), sent_in);
    }

    /// A message sent at step `sent_in` over the network: lost, or delivered after its link's
    /// latency, in send order on its link unless reordered, and perhaps twice.
    fn transmit(
        &mut self,
        from: NodeId,
        to: NodeId,
        msg: P::Message,
        (digest, id): (u64, u64),
        sent_in: u64,
    ) {
        let link = link_between(&self.topology, &self.meta, from, to);
        if self.net_rng.loss.chance(link.drop) {
            self.drop_message(from, to, DropReason::Loss, (digest, id), &msg);
            return;
        }
        // A fixed latency keeps each link in send order by itself (ties go by sequence number),
        // and its deliveries can wait in the queue's lane for that delay. It draws nothing.
        let fixed = link.latency.fixed_nanos();
        let latency = match fixed {
            Some(nanos) => nanos,
            None => link.latency.sample_nanos(&mut self.net_rng.latency),
        };
        let arrival = Time::from_nanos(self.now.as_nanos().saturating_add(latency));
        let at = if self.net_rng.reorder.chance(link.reorder) || fixed.is_some() {
            arrival
        } else {
            fifo_order(
                &mut self.fifo,
                &mut self.meta,
                (from, to),
                arrival,
                self.now,
            )
        };
        if self.net_rng.duplicate.chance(link.duplicate) {
            let delay = link.latency.sample_nanos(&mut self.net_rng.latency);
            let copy_at = Time::from_nanos(self.now.as_nanos().saturating_add(delay));
            self.counters.duplicated += 1;
            self.trace(
                TraceKind::Duplicate,
                (Some(from), Some(to)),
                digest,
                Some(id),
                String::new,
            );
            let copy = Event::Deliver {
                from,
                to,
                sent_in,
                id,
                digest,
                msg: self.in_flight.park(msg.clone()),
            };
            self.schedule_delivery(fixed, copy_at, copy);
        }
        let event = Event::Deliver {
            from,
            to,
            sent_in,
            id,
            digest,
            msg: self.in_flight.park(msg),
        };
        self.schedule_delivery(fixed, at, event);
    }

    /// Queues a delivery: in the lane of its link's `fixed` latency if it has one.
    #[inline]
    fn schedule_delivery(&mut self, fixed: Option<u64>, at: Time, event: Event) {
        match fixed {
            Some(delay) => self.queue.push_after(delay, at, event),
            None => self.queue.push(at, event),
        }
    }
}

/// The delivery time on the FIFO link `from` -> `to` for a message that would arrive at
/// `arrival`: never before an earlier message on that link.
#[inline]
fn fifo_order(
    fifo: &mut FifoLinks,
    meta: &mut [NodeMeta],
    (from, to): (NodeId, NodeId),
    arrival: Time,
    now: Time,
) -> Time {
    if meta.len() < LAST_LINK_FROM {
        return fifo.order(from, to, arrival, now);
    }
    fifo.order_from(&mut meta[from.index()].last_link, (from, to), arrival, now)
}

/// The link from `from` to `to`; with a single zone, without reading either node.
#[inline]
fn link_between<'a>(
    topology: &'a Topology,
    meta: &[NodeMeta],
    from: NodeId,
    to: NodeId,
) -> &'a LinkConfig {
    if topology.zone_count() == 1 {
        return topology.link(0, 0);
    }
    let zone = |n: NodeId| meta[n.index()].zone;
    topology.link(zone(from), zone(to))
}

/// Frees everything, or with [`Simulation::skip_teardown`] everything but the per-node parts.
impl<P: Process> Drop for Simulation<P> {
    fn drop(&mut self) {
        if self.skip_teardown {
            std::mem::forget(std::mem::take(&mut self.nodes));
            std::mem::forget(std::mem::take(&mut self.in_flight));
            std::mem::forget(std::mem::take(&mut self.queue));
        }
    }
}

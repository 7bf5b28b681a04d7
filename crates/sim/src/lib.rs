//! The faultline simulation kernel: virtual time, a deterministic event queue, named seeded random
//! streams, a faulty network, crash/restart with durable storage, a disk
//! model (unsynced writes, torn writes, corruption), clock skew, and a hashed trace.
//!
//! A user's protocol implements [`Process`]; a [`Simulation`] runs any number of them. One seed
//! determines the whole run: the same seed and inputs give the same [`Simulation::trace_hash`].
//!
//! ```
//! use faultline_sim::{Context, LinkConfig, NodeId, Process, SimConfig, Simulation, Time, TimerId};
//! use std::time::Duration;
//!
//! /// Each node pings node 0 every 10 ms and counts the pongs it gets back.
//! #[derive(Default)]
//! struct Pinger { pongs: u32 }
//!
//! impl Process for Pinger {
//!     type Message = &'static str;
//!     type Durable = ();
//!     fn on_start(&mut self, ctx: &mut Context<'_, &'static str, ()>) {
//!         ctx.set_timer(Duration::from_millis(10), 0);
//!     }
//!     fn on_message(&mut self, ctx: &mut Context<'_, &'static str, ()>, from: NodeId, msg: &'static str) {
//!         match msg {
//!             "ping" => ctx.send(from, "pong"),
//!             _ => self.pongs += 1,
//!         }
//!     }
//!     fn on_timer(&mut self, ctx: &mut Context<'_, &'static str, ()>, _: TimerId, _: u64) {
//!         ctx.send(NodeId::new(0), "ping");
//!         ctx.set_timer(Duration::from_millis(10), 0);
//!     }
//! }
//!
//! let mut sim = Simulation::new(SimConfig::new(7, LinkConfig::default()), |_, _| Pinger::default());
//! let server = sim.add_node("server");
//! let client = sim.add_node("client");
//! sim.run_until(Time::from_millis(105));
//! assert_eq!(sim.process(client).unwrap().pongs, 10);
//! ```
#![warn(missing_docs)]

mod calendar;
pub mod detmath;
mod disk;
mod fault;
mod hash;
mod hugepages;
mod inflight;
mod net;
mod prefetch;
mod probe;
mod process;
mod queue;
mod rng;
mod seeds;
mod sim;
pub mod stall;
mod time;
mod timers;
mod trace;

pub use disk::{CrashLoss, Disk, DiskConfig, DiskError, DiskFault, DiskTarget, SyncId};
pub use fault::Fault;
pub use hash::{StableBuildHasher, StableHasher};
pub use net::{Connectivity, LatencyDist, LinkConfig, OneWayCut, Topology, ZoneId};
pub use probe::Probe;
pub use process::{Context, Process, TimerId};
pub use queue::EventQueue;
pub use rng::{DetRng, RngStreams};
pub use seeds::{check_seeds, SEED_ENV};
pub use sim::{SimConfig, Simulation, Stepped, PPM_ONE};
pub use stall::Stall;
pub use time::{duration_nanos, Time};
pub use trace::{Counters, DropReason, Trace, TraceKind};

/// Identifies a node of a simulation: its index in the order nodes were added.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(pub(crate) u32);

impl NodeId {
    /// The node added `index`-th (from 0).
    pub const fn new(index: u32) -> Self {
        NodeId(index)
    }

    /// Position of the node in the order nodes were added.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl std::fmt::Display for NodeId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "#{}", self.0)
    }
}

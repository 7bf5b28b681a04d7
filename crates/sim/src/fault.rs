//! Faults the simulation can apply at a scheduled time.

use crate::disk::DiskFault;
use crate::net::{LinkConfig, OneWayCut};
use crate::NodeId;

/// One fault (or repair) applied to the simulated cluster.
#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    /// The node stops: its volatile state, timers and in-flight inbound messages are lost.
    Crash(NodeId),
    /// A crashed node comes back as a new incarnation built from its durable storage.
    Restart(NodeId),
    /// The node freezes (a GC pause, a stopped VM, SIGSTOP): it keeps its state, its clock keeps
    /// running, and the messages and timers due to it wait.
    Pause(NodeId),
    /// A paused node carries on: everything that waited is handled at once, in arrival order.
    Resume(NodeId),
    /// Splits the listed nodes into groups that cannot reach each other (replaces any partition).
    Partition(Vec<Vec<NodeId>>),
    /// Adds a one-way cut.
    Cut(OneWayCut),
    /// Removes every partition and cut.
    Heal,
    /// Sets a node's clock rate, in parts per million of true time (1_000_000 = no skew).
    ClockRate {
        /// The node whose clock changes.
        node: NodeId,
        /// New rate in ppm.
        rate_ppm: u64,
    },
    /// Replaces the default link behaviour (e.g. a burst of loss or a latency spike).
    DefaultLink(LinkConfig),
    /// A storage fault on a node's disk (see [`DiskFault`]).
    Disk {
        /// The node whose disk it hits.
        node: NodeId,
        /// What happens to it.
        fault: DiskFault,
    },
}

impl Fault {
    /// A short name for traces and reports.
    pub fn kind(&self) -> &'static str {
        match self {
            Fault::Crash(_) => "crash",
            Fault::Restart(_) => "restart",
            Fault::Pause(_) => "pause",
            Fault::Resume(_) => "resume",
            Fault::Partition(_) => "partition",
            Fault::Cut(_) => "cut",
            Fault::Heal => "heal",
            Fault::ClockRate { .. } => "clock-rate",
            Fault::DefaultLink(_) => "link",
            Fault::Disk { .. } => "disk",
        }
    }
}

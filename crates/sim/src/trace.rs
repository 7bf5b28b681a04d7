//! The run's trace: every send, delivery, drop, timer and fault, folded into a 64-bit hash and
//! optionally written as JSON lines.

use crate::hash::StableHasher;
use crate::time::Time;
use crate::NodeId;
use std::hash::Hasher;
use std::io::Write;

/// Why a message was not delivered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DropReason {
    /// Random loss on the link.
    Loss,
    /// A partition or one-way cut was in force (at send or at delivery).
    Partition,
    /// The destination was down, or restarted since the message was sent.
    Crashed,
}

impl DropReason {
    /// Name used in trace files.
    pub fn as_str(self) -> &'static str {
        match self {
            DropReason::Loss => "loss",
            DropReason::Partition => "partition",
            DropReason::Crashed => "crashed",
        }
    }
}

/// One traced event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TraceKind {
    /// A node started (or restarted, in a new incarnation).
    Start,
    /// A message left `node` for `peer`.
    Send,
    /// A message from `peer` was delivered to `node`.
    Deliver,
    /// A message from `node` to `peer` was lost.
    Drop(DropReason),
    /// The network duplicated a message from `node` to `peer`.
    Duplicate,
    /// A timer of `node` fired.
    Timer,
    /// A fault was applied (`node` is the node it concerns, if any).
    Fault(&'static str),
    /// A disk sync of `node` completed.
    Sync,
}

impl TraceKind {
    fn name(self) -> &'static str {
        match self {
            TraceKind::Start => "start",
            TraceKind::Send => "send",
            TraceKind::Deliver => "deliver",
            TraceKind::Drop(_) => "drop",
            TraceKind::Duplicate => "duplicate",
            TraceKind::Timer => "timer",
            TraceKind::Fault(_) => "fault",
            TraceKind::Sync => "sync",
        }
    }
}

/// One event as the trace sees it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TraceEvent {
    pub time: Time,
    pub kind: TraceKind,
    /// The node the event happened at (the sender, for sends and drops).
    pub node: Option<NodeId>,
    /// The other end of a message.
    pub peer: Option<NodeId>,
    /// Summary of the payload: message hash, timer tag, incarnation or fault index.
    pub digest: u64,
    /// The message's id (its send number), linking a send to its deliveries and drops. Written
    /// to trace files only: it follows from the order of events already in the hash.
    pub msg: Option<u64>,
    /// A send's size in bytes, when the protocol estimates it. Written to trace files only (a
    /// function of the message, whose hash is already in `digest`).
    pub bytes: Option<u64>,
}

/// Event counters for a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// Events popped from the queue and processed.
    pub events: u64,
    /// Messages handed to the network by processes.
    pub sent: u64,
    /// Their bytes, as [`crate::Process::message_size`] estimates them (0 if it does not).
    pub sent_bytes: u64,
    /// Messages delivered to a live process.
    pub delivered: u64,
    /// Messages lost, for any reason.
    pub dropped: u64,
    /// Extra copies created by duplication.
    pub duplicated: u64,
    /// Timers that fired into a live incarnation.
    pub timers: u64,
    /// Faults applied.
    pub faults: u64,
    /// Disk syncs completed into a live incarnation.
    pub syncs: u64,
}

/// Accumulates the trace hash and, when asked, writes each event as a JSON line.
pub struct Trace {
    hasher: StableHasher,
    sink: Option<Box<dyn Write>>,
    write_error: Option<std::io::Error>,
    /// Every node's name, one after another: one allocation for all instead of one per node.
    names: String,
    /// Where each node's name ends in `names`.
    name_ends: Vec<usize>,
}

impl Trace {
    pub(crate) fn new() -> Self {
        Trace {
            hasher: StableHasher::new(),
            sink: None,
            write_error: None,
            names: String::new(),
            name_ends: Vec::new(),
        }
    }

    pub(crate) fn set_sink(&mut self, sink: Box<dyn Write>) {
        self.sink = Some(sink);
    }

    pub(crate) fn add_name(&mut self, name: &str) {
        self.names.push_str(name);
        self.name_ends.push(self.names.len());
    }

    /// The name of the node with this index.
    pub(crate) fn name(&self, index: usize) -> Option<&str> {
        let end = *self.name_ends.get(index)?;
        let start = index.checked_sub(1).map_or(0, |i| self.name_ends[i]);
        Some(&self.names[start..end])
    }

    /// Folds one event into the hash and, if recording, writes it with `detail()` (a
    /// human-readable payload, only formatted when a file is being written).
    #[inline]
    pub(crate) fn record(&mut self, event: TraceEvent, detail: impl FnOnce() -> String) {
        let h = &mut self.hasher;
        h.write_u64(event.time.as_nanos());
        std::hash::Hash::hash(&event.kind, h);
        h.write_u64(event.node.map_or(u64::MAX, |n| u64::from(n.0)));
        h.write_u64(event.peer.map_or(u64::MAX, |n| u64::from(n.0)));
        h.write_u64(event.digest);
        if self.sink.is_some() && self.write_error.is_none() {
            self.write_line(&event, &detail());
        }
    }

    #[cold]
    fn write_line(&mut self, event: &TraceEvent, detail: &str) {
        let line = self.json_line(event, detail);
        if let Some(Err(e)) = self.sink.as_mut().map(|s| s.write_all(line.as_bytes())) {
            self.write_error = Some(e);
        }
    }

    fn json_line(&self, event: &TraceEvent, detail: &str) -> String {
        let TraceEvent {
            time,
            kind,
            node,
            peer,
            msg,
            bytes,
            ..
        } = *event;
        let name = |n: Option<NodeId>| n.and_then(|n| self.name(n.index()));
        let mut obj = serde_json::Map::new();
        obj.insert("t_ns".into(), time.as_nanos().into());
        obj.insert("ev".into(), kind.name().into());
        if let Some(id) = msg {
            obj.insert("msg".into(), id.into());
        }
        if let Some(bytes) = bytes {
            obj.insert("bytes".into(), bytes.into());
        }
        match kind {
            TraceKind::Drop(reason) => {
                obj.insert("reason".into(), reason.as_str().into());
            }
            TraceKind::Fault(fault) => {
                obj.insert("fault".into(), fault.into());
            }
            _ => {}
        }
        if let Some(node) = name(node) {
            obj.insert("node".into(), node.into());
        }
        if let Some(peer) = name(peer) {
            obj.insert("peer".into(), peer.into());
        }
        if !detail.is_empty() {
            obj.insert("detail".into(), detail.into());
        }
        let mut line = serde_json::Value::Object(obj).to_string();
        line.push('\n');
        line
    }

    /// The hash of every event so far.
    pub fn hash(&self) -> u64 {
        self.hasher.finish()
    }

    /// Flushes the trace file and reports the first write error, if any.
    pub fn finish(&mut self) -> std::io::Result<()> {
        if let Some(e) = self.write_error.take() {
            return Err(e);
        }
        match self.sink.as_mut() {
            Some(sink) => sink.flush(),
            None => Ok(()),
        }
    }
}

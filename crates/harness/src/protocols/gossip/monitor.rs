//! Watching a gossip run: when each write reached each node, SWIM verdicts, digests.

use super::node::Observation;
use faultline_gossip::{Dot, Event, MemberState};
use faultline_sim::{NodeId, Time};
use std::collections::BTreeMap;

/// Dissemination of one planned write.
#[derive(Clone, Debug, Default)]
pub struct WriteRecord {
    /// When the writer performed it (`None`: the writer was down at the planned time).
    pub done_at: Option<Time>,
    /// Its identity, once performed.
    pub dot: Option<Dot>,
    /// Nodes currently holding it (lost again when they crash).
    holders: Vec<bool>,
    /// Number of `true`s in `holders`.
    pub held_by: usize,
    /// (time, holders) after every change: the dissemination curve.
    pub curve: Vec<(Time, usize)>,
    /// First time every live node held it.
    pub full_at: Option<Time>,
}

/// A SWIM verdict about `subject` by `observer`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// When.
    pub at: Time,
    /// Who judged.
    pub observer: NodeId,
    /// About whom.
    pub subject: NodeId,
    /// Was the subject actually down then?
    pub subject_down: bool,
}

/// Everything the gossip checks and summaries need, updated after every step.
#[derive(Debug)]
pub struct Monitor {
    /// One record per planned write.
    pub writes: Vec<WriteRecord>,
    by_dot: BTreeMap<Dot, usize>,
    performed: usize,
    up: Vec<bool>,
    /// Nodes outside the cluster: not joined yet, or left.
    out: Vec<bool>,
    /// Nodes up and in the cluster.
    live: usize,
    /// Every `Dead` verdict.
    pub deaths: Vec<Verdict>,
    /// When each node last crashed, while it is down.
    pub down_since: Vec<Option<Time>>,
    /// The gossip code probes any node passed ([`faultline_gossip::Probe::bit`] bits).
    pub probes: u64,
}

impl Monitor {
    /// A monitor for nodes that are all up, outside the cluster where `outside` says so, and
    /// `writes` planned writes.
    pub fn new(outside: &[bool], writes: usize) -> Self {
        let nodes = outside.len();
        Monitor {
            writes: (0..writes)
                .map(|_| WriteRecord {
                    holders: vec![false; nodes],
                    ..WriteRecord::default()
                })
                .collect(),
            by_dot: BTreeMap::new(),
            performed: 0,
            up: vec![true; nodes],
            out: outside.to_vec(),
            live: outside.iter().filter(|out| !**out).count(),
            deaths: Vec::new(),
            down_since: vec![None; nodes],
            probes: 0,
        }
    }

    /// True once every planned write has been performed.
    pub fn all_performed(&self) -> bool {
        self.performed == self.writes.len()
    }

    /// True when `node` is outside the cluster (it has not joined yet, or it left).
    pub fn departed(&self, node: NodeId) -> bool {
        self.out[node.index()]
    }

    /// Records what `node` observed at `now`; true if it performed a planned write, joined or
    /// left (each disturbs convergence).
    pub fn observe(&mut self, now: Time, node: NodeId, observations: Vec<Observation>) -> bool {
        let mut wrote = false;
        for observation in observations {
            match observation {
                Observation::Joined => {
                    wrote = true;
                    self.joined(node);
                }
                Observation::Left => {
                    wrote = true;
                    self.left(now, node);
                }
                Observation::Wrote { index, dot } => {
                    wrote = true;
                    if self.writes[index].done_at.is_none() {
                        self.performed += 1;
                    }
                    self.writes[index].done_at = Some(now);
                    self.writes[index].dot = Some(dot);
                    self.by_dot.insert(dot, index);
                    self.hold(now, node, index);
                }
                Observation::Core(Event::Applied { dot, .. }) => {
                    if let Some(&index) = self.by_dot.get(&dot) {
                        self.hold(now, node, index);
                    }
                }
                Observation::Core(Event::Member {
                    id,
                    state: MemberState::Dead,
                    ..
                }) => {
                    let subject = NodeId::new(id as u32);
                    // A verdict about a node that left is no false positive: it is gone.
                    let subject_down = !self.up.get(subject.index()).copied().unwrap_or(false)
                        || self.out.get(subject.index()).copied().unwrap_or(false);
                    self.deaths.push(Verdict {
                        at: now,
                        observer: node,
                        subject,
                        subject_down,
                    });
                }
                Observation::Core(Event::Member { .. }) => {}
            }
        }
        wrote
    }

    fn hold(&mut self, now: Time, node: NodeId, index: usize) {
        let record = &mut self.writes[index];
        if std::mem::replace(&mut record.holders[node.index()], true) {
            return;
        }
        record.held_by += 1;
        record.curve.push((now, record.held_by));
        if record.full_at.is_none() && record.held_by >= self.live {
            record.full_at = Some(now);
        }
    }

    /// `node` crashed: it holds nothing any more.
    pub fn crashed(&mut self, now: Time, node: NodeId) {
        if !std::mem::replace(&mut self.up[node.index()], false) {
            return;
        }
        if !self.out[node.index()] {
            self.live -= 1;
        }
        self.down_since[node.index()] = Some(now);
        self.forget(now, node);
    }

    /// `node` left the cluster: it is gone, and what it held with it.
    fn left(&mut self, now: Time, node: NodeId) {
        if std::mem::replace(&mut self.out[node.index()], true) {
            return;
        }
        if self.up[node.index()] {
            self.live -= 1;
        }
        self.forget(now, node);
    }

    /// `node` joined the cluster (empty).
    fn joined(&mut self, node: NodeId) {
        if std::mem::replace(&mut self.out[node.index()], false) && self.up[node.index()] {
            self.live += 1;
        }
    }

    /// `node` holds none of the writes any more.
    fn forget(&mut self, now: Time, node: NodeId) {
        for record in &mut self.writes {
            if std::mem::replace(&mut record.holders[node.index()], false) {
                record.held_by -= 1;
                record.curve.push((now, record.held_by));
            }
        }
    }

    /// `node` restarted (empty).
    pub fn restarted(&mut self, node: NodeId) {
        if !std::mem::replace(&mut self.up[node.index()], true) {
            if !self.out[node.index()] {
                self.live += 1;
            }
            self.down_since[node.index()] = None;
        }
    }
}

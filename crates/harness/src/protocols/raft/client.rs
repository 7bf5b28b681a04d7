//! Simulated clients: each runs its operations one at a time over the faulty network, finds the
//! leader by following hints, retries with the same sequence number (the servers deduplicate),
//! and gives up after the workload's timeout. Every operation is recorded with virtual times.

use super::kv::{decimal_digits, OpResult};
use super::msg::{Msg, Reply};
use super::server::{kernel_id, Ctx};
use faultline_check::KvInput;
use faultline_sim::NodeId;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::time::Duration;

/// Timer tag of the pause between operations; retry timers use odd tags.
const THINK: u64 = 0;

/// What a client does, fixed for the run.
#[derive(Clone, Debug)]
pub struct ClientSetup {
    /// 1-based client number (named `c<number>`).
    pub number: u32,
    /// Operations this client runs.
    pub ops: u32,
    /// Number of keys to draw from.
    pub keys: u32,
    /// Weights of get, put, append, cas.
    pub mix: [f64; 4],
    /// Give up on an operation after this long (ns of the client's clock).
    pub timeout: u64,
    /// Pause between operations, `[min, max]` ns.
    pub think: [u64; 2],
    /// Wait this long for one attempt before trying the next server.
    pub attempt: u64,
    /// Wait this long after a "no leader known" answer before trying again.
    pub backoff: u64,
    /// The servers (kernel ids).
    pub servers: Vec<NodeId>,
}

/// How an operation ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Completed with a result.
    Ok,
    /// Definitely had no effect (a read that was given up on).
    Failed,
    /// May or may not have taken effect (a write that was given up on or still running).
    Indeterminate,
}

/// One operation as the client saw it.
#[derive(Clone, Debug)]
pub struct Record {
    /// Client number.
    pub client: u32,
    /// Invocation (true virtual time, ns).
    pub invoke: u64,
    /// Completion, for completed operations.
    pub complete: Option<u64>,
    /// The operation.
    pub op: KvInput,
    /// Its result, for completed operations.
    pub result: Option<OpResult>,
    /// How it ended.
    pub outcome: Outcome,
}

#[derive(Clone, Debug)]
struct InFlight {
    seq: u64,
    op: KvInput,
    invoked: u64,
    started_local: u64,
}

/// A client process.
#[derive(Debug)]
pub struct Client {
    setup: ClientSetup,
    issued: u32,
    seq: u64,
    current: Option<InFlight>,
    target: usize,
    attempt: u64,
    last_seen: BTreeMap<String, String>,
    records: Vec<Record>,
}

impl Client {
    /// A client that has not started yet.
    pub fn new(setup: ClientSetup) -> Self {
        Client {
            setup,
            issued: 0,
            seq: 0,
            current: None,
            target: 0,
            attempt: 0,
            last_seen: BTreeMap::new(),
            records: Vec::new(),
        }
    }

    /// Finished operations (borrowed), then the one still running (indeterminate, or failed
    /// for a read).
    pub fn records(&self) -> impl Iterator<Item = Cow<'_, Record>> {
        let running = self.current.as_ref().map(|op| self.given_up(op));
        let finished = self.records.iter().map(Cow::Borrowed);
        finished.chain(running.map(Cow::Owned))
    }

    /// Operations the run ended before this client could issue.
    pub fn never_issued(&self) -> u32 {
        self.setup.ops - self.issued
    }

    /// Picks a first server and schedules the first operation.
    pub fn start(&mut self, ctx: &mut Ctx) {
        let servers = self.setup.servers.len() as u64;
        self.target = ctx.rng().below(servers.max(1)) as usize;
        self.think(ctx);
    }

    /// A think or retry timer fired.
    pub fn on_timer(&mut self, ctx: &mut Ctx, tag: u64) {
        if tag == THINK {
            self.begin(ctx);
            return;
        }
        if tag >> 1 != self.attempt {
            return;
        }
        let Some(op) = &self.current else {
            return;
        };
        if local(ctx).saturating_sub(op.started_local) >= self.setup.timeout {
            let record = self.given_up(op);
            self.records.push(record);
            self.current = None;
            self.think(ctx);
            return;
        }
        self.target = (self.target + 1) % self.setup.servers.len().max(1);
        self.send(ctx);
    }

    /// A server answered.
    pub fn on_message(&mut self, ctx: &mut Ctx, from: NodeId, msg: Msg) {
        let Msg::Reply { seq, reply } = msg else {
            return;
        };
        if self.current.as_ref().is_none_or(|op| op.seq != seq) {
            return;
        }
        match reply {
            Reply::Done(result) => {
                let Some(op) = self.current.take() else {
                    return;
                };
                self.remember(&op.op, &result);
                self.records.push(Record {
                    client: self.setup.number,
                    invoke: op.invoked,
                    complete: Some(ctx.sim_time().as_nanos()),
                    op: op.op,
                    result: Some(result),
                    outcome: Outcome::Ok,
                });
                if let Some(i) = self.setup.servers.iter().position(|s| *s == from) {
                    self.target = i;
                }
                self.think(ctx);
            }
            Reply::NotLeader(hint) => {
                let hinted = hint
                    .and_then(kernel_id)
                    .and_then(|node| self.setup.servers.iter().position(|s| *s == node))
                    .filter(|i| self.setup.servers[*i] != from);
                match hinted {
                    Some(i) => {
                        self.target = i;
                        self.send(ctx);
                    }
                    None => {
                        // No leader known: try the next server after a pause.
                        self.attempt += 1;
                        let delay = self.remaining(ctx).min(self.setup.backoff);
                        ctx.set_timer(Duration::from_nanos(delay), self.attempt << 1 | 1);
                    }
                }
            }
        }
    }

    fn think(&mut self, ctx: &mut Ctx) {
        if self.issued >= self.setup.ops {
            return;
        }
        let [low, high] = self.setup.think;
        let pause = ctx.rng().between(low, high);
        ctx.set_timer(Duration::from_nanos(pause), THINK);
    }

    fn begin(&mut self, ctx: &mut Ctx) {
        if self.current.is_some() || self.issued >= self.setup.ops {
            return;
        }
        self.issued += 1;
        self.seq += 1;
        let op = self.next_op(ctx);
        self.current = Some(InFlight {
            seq: self.seq,
            op,
            invoked: ctx.sim_time().as_nanos(),
            started_local: local(ctx),
        });
        self.send(ctx);
    }

    fn send(&mut self, ctx: &mut Ctx) {
        let Some(op) = &self.current else {
            return;
        };
        let Some(&server) = self.setup.servers.get(self.target) else {
            return;
        };
        self.attempt += 1;
        let msg = Msg::Request {
            seq: op.seq,
            op: op.op.clone(),
        };
        ctx.send(server, msg);
        let delay = self.remaining(ctx).min(self.setup.attempt);
        ctx.set_timer(Duration::from_nanos(delay), self.attempt << 1 | 1);
    }

    /// Time left before the current operation is given up (at least 1 ns, so the timer fires).
    fn remaining(&self, ctx: &Ctx) -> u64 {
        let started = self.current.as_ref().map_or(0, |op| op.started_local);
        (started + self.setup.timeout)
            .saturating_sub(local(ctx))
            .max(1)
    }

    fn next_op(&mut self, ctx: &mut Ctx) -> KvInput {
        let [get, put, append, _] = self.setup.mix;
        let total: f64 = self.setup.mix.iter().sum();
        let draw = ctx.rng().unit() * total;
        // Built without the formatting machinery: this runs for every operation of a run.
        let mut key = String::from("k");
        push_decimal(&mut key, ctx.rng().below(u64::from(self.setup.keys)));
        let mut value = String::from("c");
        push_decimal(&mut value, u64::from(self.setup.number));
        value.push('.');
        push_decimal(&mut value, self.seq);
        if draw < get {
            KvInput::Get { key }
        } else if draw < get + put {
            KvInput::Put { key, value }
        } else if draw < get + put + append {
            value.push(',');
            KvInput::Append { key, value }
        } else {
            let expected = self.last_seen.get(&key).cloned().unwrap_or_default();
            KvInput::Cas {
                key,
                expected,
                new: value,
            }
        }
    }

    /// Remembers the value an operation showed, so a later compare-and-set can expect it.
    fn remember(&mut self, op: &KvInput, result: &OpResult) {
        let key = op.key().to_string();
        match (op, result) {
            (KvInput::Get { .. }, OpResult::Value(value)) => {
                self.last_seen.insert(key, value.clone());
            }
            (KvInput::Put { value, .. }, _)
            | (KvInput::Cas { new: value, .. }, OpResult::Swapped(true)) => {
                self.last_seen.insert(key, value.clone());
            }
            _ => {
                self.last_seen.remove(&key);
            }
        }
    }

    fn given_up(&self, op: &InFlight) -> Record {
        Record {
            client: self.setup.number,
            invoke: op.invoked,
            complete: None,
            op: op.op.clone(),
            result: None,
            outcome: if op.op.is_read() {
                Outcome::Failed
            } else {
                Outcome::Indeterminate
            },
        }
    }
}

/// Appends `n` in decimal, as `format!("{n}")` writes it.
fn push_decimal(text: &mut String, n: u64) {
    text.extend(
        decimal_digits(n, &mut [0; 20])
            .iter()
            .map(|&d| char::from(d)),
    );
}

fn local(ctx: &Ctx) -> u64 {
    ctx.now().as_nanos()
}

#[cfg(test)]
mod tests {
    use super::push_decimal;

    /// Keys and values are part of every trace hash: the digits must be `format!`'s.
    #[test]
    fn decimals_are_written_as_format_writes_them() {
        for n in [0, 1, 9, 10, 99, 100, 12_345, u64::from(u32::MAX), u64::MAX] {
            let mut text = String::from("k");
            push_decimal(&mut text, n);
            assert_eq!(text, format!("k{n}"));
        }
    }
}

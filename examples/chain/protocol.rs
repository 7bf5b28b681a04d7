//! Chain replication of one register (van Renesse and Schneider, OSDI 2004) as a faultline
//! protocol of a user's own: nodes n1..nN form the chain, n1 the head and nN the tail. Clients
//! send writes to the head, which numbers them; each replica applies a write (durably) and passes
//! it on; the tail answers the client. Reads go to the tail. Every client's history goes through
//! the linearizability checker.
//!
//! Planted bug `read_any_replica`: reads go to a random replica, which may answer with a write
//! the tail has not seen yet (and a later read at the tail then travels back in time).

use faultline_check::formats::AnyHistory;
use faultline_check::{check, CheckOptions, History, RegisterInput, RegisterModel, RegisterOutput};
use faultline_harness::protocol::{Judgement, NodeFactory, Protocol};
use faultline_harness::scenario::{Invalid, Scenario, Span};
use faultline_harness::{CheckOutcome, OpTiming};
use faultline_sim::{Context, NodeId, Process, Simulation, TimerId};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The `chain` protocol block.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainSpec {
    /// Simulated clients, named c1..cK.
    pub clients: u32,
    /// Operations each client issues, one at a time.
    pub ops: u32,
    /// A client gives up on an operation after this long (it is then indeterminate).
    pub timeout: Span,
    /// Planted bugs (all off by default).
    #[serde(default)]
    pub bugs: Bugs,
}

/// Planted-bug switches; the campaign turns each on in turn.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bugs {
    /// Serve reads at a random replica instead of the tail.
    #[serde(default)]
    pub read_any_replica: bool,
}

/// What a chain scenario's `expect` block may ask (nothing checked when it is absent).
#[derive(Clone, Copy, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainExpect {
    /// The client history is (true) or is not (false) linearizable.
    pub linearizable: Option<bool>,
}

/// Messages of a chain run.
#[derive(Clone, Debug, Hash)]
pub enum Msg {
    /// A client's operation `op` (its index in the client's history): a write of a value,
    /// numbered by the head (`(version, value)`, version 0 until then), or a read (`None`).
    Op {
        client: NodeId,
        op: usize,
        write: Option<(u64, i64)>,
    },
    /// The answer to operation `op`: `None` for a write, the value read for a read.
    Reply {
        op: usize,
        read: Option<Option<i64>>,
    },
}

/// A replica's durable state: the version and value it applied last.
pub type Applied = (u64, Option<i64>);

/// A chain run's one process type: a chain member (its state is its durable storage), or a
/// client with its history.
pub enum Node {
    Replica { chain: u32 },
    Client(Client),
}

/// An operation: what was asked, when, and the answer and when it came (none: indeterminate).
type Record = (RegisterInput, u64, Option<(u64, RegisterOutput)>);

/// A client: operations one at a time, each given up on after the timeout.
pub struct Client {
    spec: ChainSpec,
    chain: u32,
    history: Vec<Record>,
    timeout: Option<TimerId>,
}

impl Client {
    fn next_op(&mut self, ctx: &mut Context<'_, Msg, Applied>) {
        let (me, op) = (ctx.id(), self.history.len());
        if op as u32 >= self.spec.ops {
            return;
        }
        let value = (me.index() * 1_000_000 + op) as i64;
        let (input, to, write) = match ctx.rng().below(2) {
            0 => (RegisterInput::Write(value), 0, Some((0, value))),
            _ if self.spec.bugs.read_any_replica => (
                RegisterInput::Read,
                ctx.rng().below(u64::from(self.chain)) as u32,
                None,
            ),
            _ => (RegisterInput::Read, self.chain - 1, None),
        };
        self.history.push((input, ctx.sim_time().as_nanos(), None));
        ctx.send(
            NodeId::new(to),
            Msg::Op {
                client: me,
                op,
                write,
            },
        );
        self.timeout = Some(ctx.set_timer(self.spec.timeout.0, 0));
    }

    fn answered(
        &mut self,
        ctx: &mut Context<'_, Msg, Applied>,
        op: usize,
        read: Option<Option<i64>>,
    ) {
        if op + 1 != self.history.len() || self.history[op].2.is_some() {
            return; // the answer to an operation given up on
        }
        let output = read.map_or(RegisterOutput::Ok, RegisterOutput::Value);
        self.history[op].2 = Some((ctx.sim_time().as_nanos(), output));
        if let Some(timer) = self.timeout.take() {
            ctx.cancel_timer(timer);
        }
        let think = ctx.rng().between(0, 3);
        ctx.set_timer(Duration::from_millis(think), 0);
    }
}

impl Process for Node {
    type Message = Msg;
    type Durable = Applied;

    fn on_start(&mut self, ctx: &mut Context<'_, Msg, Applied>) {
        if let Node::Client(_) = self {
            ctx.set_timer(Duration::from_millis(1), 0);
        }
    }

    fn on_message(&mut self, ctx: &mut Context<'_, Msg, Applied>, _: NodeId, msg: Msg) {
        match (self, msg) {
            (Node::Client(client), Msg::Reply { op, read }) => client.answered(ctx, op, read),
            (
                Node::Replica { .. },
                Msg::Op {
                    client,
                    op,
                    write: None,
                },
            ) => {
                let read = Some(ctx.durable().1);
                ctx.send(client, Msg::Reply { op, read });
            }
            (
                Node::Replica { chain },
                Msg::Op {
                    client,
                    op,
                    write: Some((version, value)),
                },
            ) => {
                let (me, held) = (ctx.id().index() as u32, ctx.durable().0);
                let version = if me == 0 { held + 1 } else { version };
                if version <= held {
                    return; // older than what this replica holds: overtaken on the way
                }
                *ctx.durable() = (version, Some(value));
                let write = Some((version, value));
                match me + 1 < *chain {
                    true => ctx.send(NodeId::new(me + 1), Msg::Op { client, op, write }),
                    false => ctx.send(client, Msg::Reply { op, read: None }),
                }
            }
            _ => {}
        }
    }

    fn on_timer(&mut self, ctx: &mut Context<'_, Msg, Applied>, timer: TimerId, _: u64) {
        if let Node::Client(client) = self {
            if client.timeout == Some(timer) {
                client.timeout = None;
            }
            client.next_op(ctx);
        }
    }
}

/// The chain replication protocol.
pub struct Chain;

impl Protocol for Chain {
    const NAME: &'static str = "chain";
    type Spec = ChainSpec;
    type Expect = ChainExpect;
    type Node = Node;
    type Watch = ();

    fn validate(&self, spec: &ChainSpec, _scenario: &Scenario) -> Result<(), Invalid> {
        if !(1..=100).contains(&spec.clients) {
            return Err(Invalid::new(
                "clients",
                "expected between 1 and 100 clients",
            ));
        }
        if spec.ops > 10_000 {
            return Err(Invalid::new(
                "ops",
                "expected at most 10000 operations per client",
            ));
        }
        if spec.timeout.0.is_zero() {
            return Err(Invalid::new("timeout", "expected a positive duration"));
        }
        Ok(())
    }

    fn node(&self, spec: &ChainSpec, scenario: &Scenario) -> NodeFactory<Node> {
        let (spec, chain) = (spec.clone(), scenario.cluster.nodes);
        Box::new(move |id, _| match id.index() < chain as usize {
            true => Node::Replica { chain },
            false => Node::Client(Client {
                spec: spec.clone(),
                chain,
                history: Vec::new(),
                timeout: None,
            }),
        })
    }

    fn add_nodes(&self, spec: &ChainSpec, _: &Scenario, sim: &mut Simulation<Node>) {
        for k in 1..=spec.clients {
            sim.add_node(&format!("c{k}"));
        }
    }

    fn watch(&self, _: &ChainSpec, _: &Scenario) {}

    fn judge(
        &self,
        _: &ChainSpec,
        expect: &ChainExpect,
        scenario: &Scenario,
        sim: &Simulation<Node>,
        _: (),
    ) -> Judgement {
        let mut history = History::new();
        let mut ops = Vec::new();
        let clients = (scenario.cluster.nodes..).map(NodeId::new);
        for (client, id) in clients
            .take_while(|id| sim.process(*id).is_some())
            .enumerate()
        {
            let Some(Node::Client(c)) = sim.process(id) else {
                continue;
            };
            for (input, invoke, done) in &c.history {
                match done {
                    Some((at, output)) => history.push_complete(
                        client as u64,
                        *invoke,
                        *at,
                        input.clone(),
                        output.clone(),
                    ),
                    None => history.push_indeterminate(client as u64, *invoke, input.clone()),
                }
                ops.push(OpTiming {
                    invoke_ns: *invoke,
                    complete_ns: done.as_ref().map(|d| d.0),
                });
            }
        }
        let verdict = check(&RegisterModel, &history, &CheckOptions::default());
        let line = format!(
            "{} operations ({} indeterminate): {verdict}",
            history.len(),
            history.indeterminate()
        );
        Judgement {
            checks: Vec::from_iter(expect.linearizable.map(|want| {
                let ok = verdict.linearizable() == Some(want);
                CheckOutcome::new("linearizable", ok, line.clone())
            })),
            summary: vec![("history".into(), line)],
            ops,
            focus: None,
            history: Some(AnyHistory::Register(history)),
        }
    }
}

//! A protocol of a user's own that runs away ends its run with a failed check instead of
//! hanging the run, a sweep or CI, or exhausting memory: a livelock (a zero-delay timer
//! re-armed every time it fires) fails `time_advances` at the instant time stood still, a
//! message storm (each message answered by two) fails `backlog_bounded`.

use faultline_harness::protocol::{Judgement, NodeFactory, Protocol, Registry};
use faultline_harness::scenario::{self, Scenario, Span};
use faultline_harness::CheckOutcome;
use faultline_sim::{Context, NodeId, Process, Simulation, Time, TimerId};
use serde::Deserialize;
use std::time::Duration;

/// The protocol block: from `at` on (never, when absent), each node runs away as `how` says.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SpinSpec {
    at: Option<Span>,
    how: Runaway,
}

/// How a node runs away.
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Runaway {
    /// Re-arms its timer with no delay.
    Spin,
    /// Sends two messages to its neighbour and answers each message with two more.
    Storm,
}

/// Ticks every 10 ms until `at`, then runs away.
struct Spinner {
    at: Option<Duration>,
    how: Runaway,
    ticks: u64,
}

impl Spinner {
    fn running_away(&self, ctx: &Context<'_, (), ()>) -> bool {
        self.at
            .is_some_and(|at| ctx.now().as_nanos() >= at.as_nanos() as u64)
    }

    fn send_two(ctx: &mut Context<'_, (), ()>) {
        let next = NodeId::new((ctx.id().index() as u32 + 1) % 3);
        ctx.send(next, ());
        ctx.send(next, ());
    }
}

impl Process for Spinner {
    type Message = ();
    type Durable = ();

    fn on_start(&mut self, ctx: &mut Context<'_, (), ()>) {
        ctx.set_timer(Duration::from_millis(10), 0);
    }

    fn on_message(&mut self, ctx: &mut Context<'_, (), ()>, _: NodeId, _: ()) {
        Self::send_two(ctx);
    }

    fn on_timer(&mut self, ctx: &mut Context<'_, (), ()>, _: TimerId, _: u64) {
        self.ticks += 1;
        match (self.running_away(ctx), self.how) {
            (true, Runaway::Spin) => {
                ctx.set_timer(Duration::ZERO, 0);
            }
            (true, Runaway::Storm) => Self::send_two(ctx),
            (false, _) => {
                ctx.set_timer(Duration::from_millis(10), 0);
            }
        }
    }
}

struct Spin;

impl Protocol for Spin {
    const NAME: &'static str = "spin";
    type Spec = SpinSpec;
    type Expect = ();
    type Node = Spinner;
    type Watch = ();

    fn node(&self, spec: &SpinSpec, _: &Scenario) -> NodeFactory<Spinner> {
        let (at, how) = (spec.at.map(|at| at.0), spec.how);
        Box::new(move |_, _| Spinner { at, how, ticks: 0 })
    }

    fn watch(&self, _: &SpinSpec, _: &Scenario) {}

    fn judge(
        &self,
        _: &SpinSpec,
        _: &(),
        _: &Scenario,
        sim: &Simulation<Spinner>,
        _: (),
    ) -> Judgement {
        let ticked = sim
            .process(NodeId::new(0))
            .is_some_and(|node| node.ticks > 0);
        Judgement {
            checks: vec![CheckOutcome::new(
                "ticked",
                ticked,
                "the first node's timer fired",
            )],
            ..Judgement::default()
        }
    }
}

fn run(spec: &str) -> faultline_harness::RunReport {
    Registry::new()
        .with(Spin)
        .install()
        .expect("spin is no built-in name");
    let text = format!(
        r#"{{"version": 1, "name": "spin", "seed": 1, "duration": "2s",
            "protocol": {{"spin": {spec}}}, "cluster": {{"nodes": 3}},
            "network": {{"latency": ["1ms", "5ms"]}}}}"#
    );
    let scenario = scenario::parse(&text, std::path::Path::new("spin.json")).unwrap();
    faultline_harness::run(&scenario, Default::default()).unwrap()
}

/// The run's first check, which must be the failed `name` (and fail the run).
fn first_failed<'a>(report: &'a faultline_harness::RunReport, name: &str) -> &'a CheckOutcome {
    assert!(!report.ok(), "{:?}", report.checks);
    let first = &report.checks[0];
    assert_eq!(first.name, name);
    assert!(!first.ok);
    first
}

#[test]
fn a_livelocked_protocol_fails_time_advances_at_the_instant_it_stood_still() {
    let report = run(r#"{"at": "505ms", "how": "spin"}"#);
    let first = first_failed(&report, "time_advances");
    assert!(
        first.detail.contains("stood still at 0.510s"),
        "{}",
        first.detail
    );
    assert_eq!(report.virtual_ns, Time::from_millis(510).as_nanos());
}

#[test]
fn a_protocol_that_does_not_run_away_runs_to_the_end_with_neither_check() {
    let report = run(r#"{"how": "storm"}"#);
    assert!(report.ok(), "{:?}", report.checks);
    assert!(report.checks.iter().all(|c| c.name == "ticked"));
    assert_eq!(report.virtual_ns, Time::from_secs(2).as_nanos());
}

#[test]
fn a_message_storm_fails_backlog_bounded_before_memory_runs_out() {
    let report = run(r#"{"at": "505ms", "how": "storm"}"#);
    let first = first_failed(&report, "backlog_bounded");
    // Three nodes: the limit is 2^20 + 3 * 16 queued events, doubling every millisecond or so.
    assert!(
        first.detail.contains("the limit of 1048624"),
        "{}",
        first.detail
    );
    assert!(report.virtual_ns < Time::from_millis(600).as_nanos());
}

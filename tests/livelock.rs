//! A protocol of a user's own that livelocks (a zero-delay timer re-armed every time it fires)
//! ends its run with the failed `time_advances` check at the instant time stood still,
//! instead of hanging the run, a sweep or CI.

use faultline_harness::protocol::{Judgement, NodeFactory, Protocol, Registry};
use faultline_harness::scenario::{self, Scenario, Span};
use faultline_harness::CheckOutcome;
use faultline_sim::{Context, NodeId, Process, Simulation, Time, TimerId};
use serde::Deserialize;
use std::time::Duration;

/// The protocol block: each node starts spinning at `spin_at` (never, when absent).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SpinSpec {
    spin_at: Option<Span>,
}

/// Ticks every 10 ms; from `spin_at` on, re-arms its timer with no delay.
struct Spinner {
    spin_at: Option<Duration>,
    ticks: u64,
}

impl Process for Spinner {
    type Message = ();
    type Durable = ();

    fn on_start(&mut self, ctx: &mut Context<'_, (), ()>) {
        ctx.set_timer(Duration::from_millis(10), 0);
    }

    fn on_message(&mut self, _: &mut Context<'_, (), ()>, _: NodeId, _: ()) {}

    fn on_timer(&mut self, ctx: &mut Context<'_, (), ()>, _: TimerId, _: u64) {
        self.ticks += 1;
        let spinning = self
            .spin_at
            .is_some_and(|at| ctx.now().as_nanos() >= at.as_nanos() as u64);
        let delay = if spinning {
            Duration::ZERO
        } else {
            Duration::from_millis(10)
        };
        ctx.set_timer(delay, 0);
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
        let spin_at = spec.spin_at.map(|at| at.0);
        Box::new(move |_, _| Spinner { spin_at, ticks: 0 })
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

fn run(spin_at: &str) -> faultline_harness::RunReport {
    Registry::new()
        .with(Spin)
        .install()
        .expect("spin is no built-in name");
    let text = format!(
        r#"{{"version": 1, "name": "spin", "seed": 1, "duration": "2s",
            "protocol": {{"spin": {spin_at}}}, "cluster": {{"nodes": 3}},
            "network": {{"latency": ["1ms", "5ms"]}}}}"#
    );
    let scenario = scenario::parse(&text, std::path::Path::new("spin.json")).unwrap();
    faultline_harness::run(&scenario, Default::default()).unwrap()
}

#[test]
fn a_livelocked_protocol_fails_time_advances_at_the_instant_it_stood_still() {
    let report = run(r#"{"spin_at": "505ms"}"#);
    assert!(!report.ok(), "{:?}", report.checks);
    let first = &report.checks[0];
    assert_eq!(first.name, "time_advances");
    assert!(!first.ok);
    assert!(
        first.detail.contains("stood still at 0.510s"),
        "{}",
        first.detail
    );
    assert_eq!(report.virtual_ns, Time::from_millis(510).as_nanos());
}

#[test]
fn a_protocol_that_lets_time_pass_runs_to_the_end_without_the_check() {
    let report = run("{}");
    assert!(report.ok(), "{:?}", report.checks);
    assert!(report.checks.iter().all(|c| c.name != "time_advances"));
    assert_eq!(report.virtual_ns, Time::from_secs(2).as_nanos());
}

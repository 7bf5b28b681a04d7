//! Protocols of your own: implement [`Protocol`] (your spec and expectations, your nodes on the
//! kernel, what you watch after each step, your checks), put it in a [`Registry`] and install it. Scenario files
//! then name it in their `protocol` block, and everything the built-in protocols get works for
//! it: `run`, `fuzz` templates, shrinking, the planted-bug campaign (switches in a `bugs`
//! object of the block), `run --report` and JUnit, from `faultline::cli::main_with(registry)`,
//! and [`crate::fuzz::assert_seeds_pass`] from `cargo test`.
//!
//! The built-in protocols (heartbeat, gossip, raft) implement [`DynProtocol`], the object-safe
//! form every registered protocol is run through.

use crate::driver::{build, end_time, finish, RunOptions};
use crate::report::{CheckOutcome, Focus, OpTiming, RunReport};
use crate::scenario::{Invalid, ProtocolSpec, Scenario};
use faultline_check::formats::AnyHistory;
use faultline_sim::{NodeId, Process, Simulation, Stepped};
use serde::de::DeserializeOwned;
use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

/// The kernel process factory of a protocol: builds a node, or rebuilds it after a restart
/// from its durable storage.
pub type NodeFactory<N> = Box<dyn FnMut(NodeId, &<N as Process>::Durable) -> N>;

/// A protocol a scenario's `protocol` block can name, run on the kernel and check.
///
/// The harness adds nodes `n1..nN` (the scenario's `cluster.nodes`, built by [`Self::node`])
/// and schedules the scenario's faults; the protocol adds whatever else it needs (clients),
/// watches every step, and judges the run at its end.
pub trait Protocol: Send + Sync + 'static {
    /// The key of the protocol block in scenario files, e.g. `"chain"`.
    const NAME: &'static str;
    /// The protocol block, parsed by serde (use `deny_unknown_fields`). Planted-bug switches
    /// go in a `bugs` object of booleans, which the campaign switches on one at a time.
    type Spec: DeserializeOwned;
    /// What the scenario's `expect` block may ask of a run, parsed by serde (a struct with
    /// `deny_unknown_fields`; a field of another protocol's expectations is refused naming that
    /// protocol); its `Default` when the block is empty or absent.
    type Expect: DeserializeOwned + Default;
    /// The one process type of a run (an enum when there are servers and clients).
    type Node: Process;
    /// What the protocol keeps while watching the run.
    type Watch;

    /// Checks what serde cannot; [`Invalid::field`] is relative to the block (`"replicas"`),
    /// the harness prefixes `protocol.<NAME>.`.
    fn validate(&self, _spec: &Self::Spec, _scenario: &Scenario) -> Result<(), Invalid> {
        Ok(())
    }

    /// Checks the expectations beyond what serde can; [`Invalid::field`] is relative to the
    /// `expect` block (`"within"`), the harness prefixes `expect.`.
    fn validate_expect(&self, _expect: &Self::Expect, _spec: &Self::Spec) -> Result<(), Invalid> {
        Ok(())
    }

    /// The factory of nodes `n1..nN` (and of any node [`Self::add_nodes`] adds).
    fn node(&self, spec: &Self::Spec, scenario: &Scenario) -> NodeFactory<Self::Node>;

    /// Adds nodes beyond `n1..nN` (clients, an operator), after them.
    fn add_nodes(
        &self,
        _spec: &Self::Spec,
        _scenario: &Scenario,
        _sim: &mut Simulation<Self::Node>,
    ) {
    }

    /// The watch state at the start of the run.
    fn watch(&self, spec: &Self::Spec, scenario: &Scenario) -> Self::Watch;

    /// Called after every step of the run (invariants, faults aimed at a node picked now).
    fn after_step(
        &self,
        _watch: &mut Self::Watch,
        _sim: &mut Simulation<Self::Node>,
        _stepped: &Stepped,
    ) {
    }

    /// The checks and summary lines of the run, at its end: `expect` says which checks the
    /// scenario asks for.
    fn judge(
        &self,
        spec: &Self::Spec,
        expect: &Self::Expect,
        scenario: &Scenario,
        sim: &Simulation<Self::Node>,
        watch: Self::Watch,
    ) -> Judgement;
}

/// A protocol's verdict on a run.
#[derive(Clone, Debug, Default)]
pub struct Judgement {
    /// Each check and whether it held.
    pub checks: Vec<CheckOutcome>,
    /// Summary lines (label, value), in display order.
    pub summary: Vec<(String, String)>,
    /// Client operations' timings, for the latency and throughput charts.
    pub ops: Vec<OpTiming>,
    /// Where the run first went wrong, when the protocol can tell.
    pub focus: Option<Focus>,
    /// The client history the linearizability check judged, for the history view of
    /// `run --report` (`None`: the protocol has no client history).
    pub history: Option<AnyHistory>,
}

/// The object-safe form of a protocol, as the registry holds it.
pub trait DynProtocol: Send + Sync {
    /// The protocol block's key.
    fn name(&self) -> &'static str;
    /// Checks the scenario's protocol block beyond what [`crate::scenario::validate`] checks
    /// for every scenario.
    fn validate(&self, scenario: &Scenario) -> Result<(), Invalid>;
    /// The fields its expectations read from a scenario's `expect` block.
    fn expectations(&self) -> &'static [&'static str];
    /// Runs the scenario to its end and checks it.
    fn run(&self, scenario: &Scenario, options: RunOptions) -> std::io::Result<RunReport>;
}

/// A [`Protocol`] as a [`DynProtocol`].
struct Typed<P>(P);

impl<P: Protocol> Typed<P> {
    /// The scenario's block parsed as `P::Spec`; errors name the field under `protocol.NAME`.
    fn spec(scenario: &Scenario) -> Result<P::Spec, Invalid> {
        let prefix = format!("protocol.{}", P::NAME);
        let ProtocolSpec::Registered { name, block } = &scenario.protocol else {
            return Err(Invalid::new("protocol", format!("expected {}", P::NAME)));
        };
        if name != P::NAME {
            return Err(Invalid::new("protocol", format!("expected {}", P::NAME)));
        }
        let in_block = |path: &str, message: String| {
            let field = crate::scenario::field_path(path, &message);
            let field = if field.is_empty() {
                prefix.clone()
            } else {
                format!("{prefix}.{field}")
            };
            Invalid::new(field, message)
        };
        crate::scenario::strict::read_block(block.clone())
            .map_err(|(path, message)| in_block(&path, message))
    }

    /// The scenario's `expect` block read as `P::Expect` and checked by `protocol`; errors name
    /// the field under `expect`.
    fn expect(protocol: &P, spec: &P::Spec, scenario: &Scenario) -> Result<P::Expect, Invalid> {
        let expect = scenario.expectations::<P::Expect>()?;
        protocol.validate_expect(&expect, spec).map_err(|invalid| {
            let field = match invalid.field.as_str() {
                "" => "expect".to_string(),
                field => format!("expect.{field}"),
            };
            Invalid::new(field, invalid.message)
        })?;
        Ok(expect)
    }
}

impl<P: Protocol> DynProtocol for Typed<P> {
    fn name(&self) -> &'static str {
        P::NAME
    }

    fn validate(&self, scenario: &Scenario) -> Result<(), Invalid> {
        let spec = Self::spec(scenario)?;
        self.0.validate(&spec, scenario).map_err(|invalid| {
            let field = match invalid.field.as_str() {
                "" => format!("protocol.{}", P::NAME),
                field => format!("protocol.{}.{field}", P::NAME),
            };
            Invalid::new(field, invalid.message)
        })?;
        Self::expect(&self.0, &spec, scenario).map(drop)
    }

    fn expectations(&self) -> &'static [&'static str] {
        crate::scenario::field_names::<P::Expect>().unwrap_or_default()
    }

    fn run(&self, scenario: &Scenario, options: RunOptions) -> std::io::Result<RunReport> {
        let spec = Self::spec(scenario)?;
        let expect = Self::expect(&self.0, &spec, scenario)?;
        drive(&self.0, &spec, &expect, scenario, options)
    }
}

/// Runs `scenario` with `protocol`: nodes, faults, every step watched, judged at the end.
fn drive<P: Protocol>(
    protocol: &P,
    spec: &P::Spec,
    expect: &P::Expect,
    scenario: &Scenario,
    mut options: RunOptions,
) -> std::io::Result<RunReport> {
    let mut sim = build(scenario, &mut options, protocol.node(spec, scenario));
    protocol.add_nodes(spec, scenario, &mut sim);
    let mut watch = protocol.watch(spec, scenario);
    let end = end_time(scenario);
    while sim.next_event_time().is_some_and(|t| t <= end) {
        let Some(stepped) = sim.step() else { break };
        protocol.after_step(&mut watch, &mut sim, &stepped);
    }
    sim.run_until(end);
    let judgement = protocol.judge(spec, expect, scenario, &sim, watch);
    let mut report = finish(scenario, &mut sim, judgement.summary, judgement.checks)?;
    report.ops = judgement.ops;
    report.focus = judgement.focus;
    report.history = judgement.history;
    Ok(report)
}

/// The protocols scenario files may name beyond the built-in ones.
#[derive(Clone, Default)]
pub struct Registry {
    protocols: Vec<Arc<dyn DynProtocol>>,
}

/// The protocols built into the harness.
pub const BUILT_IN: [&str; 3] = ["heartbeat", "gossip", "raft"];

/// Protocols installed in this process, by name.
static INSTALLED: RwLock<BTreeMap<&'static str, Arc<dyn DynProtocol>>> =
    RwLock::new(BTreeMap::new());

impl Registry {
    /// The built-in protocols only.
    pub fn new() -> Self {
        Registry::default()
    }

    /// This registry with `protocol` added.
    pub fn with<P: Protocol>(mut self, protocol: P) -> Self {
        self.protocols.push(Arc::new(Typed(protocol)));
        self
    }

    /// Makes the registry's protocols known to scenario parsing and runs in this process.
    /// Installing the same name again replaces it (a test may install its registry more than
    /// once). Errors when a name is a built-in protocol's.
    pub fn install(&self) -> Result<(), String> {
        let mut installed = INSTALLED.write().unwrap_or_else(|e| e.into_inner());
        for protocol in &self.protocols {
            let name = protocol.name();
            if BUILT_IN.contains(&name) {
                return Err(format!(
                    "protocol {name:?} is built in; choose another name"
                ));
            }
            installed.insert(name, Arc::clone(protocol));
        }
        Ok(())
    }
}

/// Every installed protocol, in name order.
pub(crate) fn installed() -> Vec<Arc<dyn DynProtocol>> {
    let installed = INSTALLED.read().unwrap_or_else(|e| e.into_inner());
    installed.values().cloned().collect()
}

/// The installed protocol named `name`.
pub fn registered(name: &str) -> Option<Arc<dyn DynProtocol>> {
    let installed = INSTALLED.read().unwrap_or_else(|e| e.into_inner());
    installed.get(name).cloned()
}

/// True when `name` is an installed protocol.
pub fn is_registered(name: &str) -> bool {
    registered(name).is_some()
}

/// Every protocol name a scenario may use: the built-in ones, then the installed ones.
pub fn names() -> Vec<String> {
    let installed = INSTALLED.read().unwrap_or_else(|e| e.into_inner());
    BUILT_IN
        .iter()
        .map(|n| n.to_string())
        .chain(installed.keys().map(|n| n.to_string()))
        .collect()
}

/// The error of a protocol handed a scenario of another protocol.
pub(crate) fn mismatch(expected: &str, scenario: &Scenario) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidInput,
        format!(
            "{}: the {expected} protocol cannot run a {} scenario",
            scenario.name,
            scenario.protocol.name()
        ),
    )
}

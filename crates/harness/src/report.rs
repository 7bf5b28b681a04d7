//! The outcome of one run: identity, counters, trace hash and each check's verdict.

use faultline_sim::Counters;

/// One named check and whether it held.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckOutcome {
    /// Stable name, e.g. `linearizable`; used as a key in `--json` output.
    pub name: String,
    /// True when the check held.
    pub ok: bool,
    /// One line explaining the verdict.
    pub detail: String,
    /// Whether it checks that nothing bad happened or that something good did.
    pub kind: CheckKind,
}

/// What a check promises: the shrinker may make a fault permanent only where that cannot
/// be what fails the check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckKind {
    /// Nothing bad ever happens (an invariant, a linearizable history): a fault left in
    /// place can only give it more chances to break.
    Safety,
    /// Something good happens after the faults are repaired (a leader is elected, the
    /// nodes converge): a fault left unrepaired breaks it by itself.
    Liveness,
}

impl CheckOutcome {
    /// A safety check's result.
    pub fn new(name: &str, ok: bool, detail: impl Into<String>) -> Self {
        CheckOutcome {
            name: name.to_string(),
            ok,
            detail: detail.into(),
            kind: CheckKind::Safety,
        }
    }

    /// A liveness check's result.
    pub fn liveness(name: &str, ok: bool, detail: impl Into<String>) -> Self {
        CheckOutcome {
            kind: CheckKind::Liveness,
            ..CheckOutcome::new(name, ok, detail)
        }
    }
}

/// When one client operation was invoked and when it completed (true virtual time, ns).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpTiming {
    /// Invocation.
    pub invoke_ns: u64,
    /// Completion; `None` for an operation given up on.
    pub complete_ns: Option<u64>,
}

/// Where a failing run first went wrong, for reports to zoom in on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Focus {
    /// What went wrong, in a few words.
    pub what: String,
    /// The window (virtual ns, inclusive) to highlight: the step that broke an invariant, or
    /// the operations a linearizability counterexample names.
    pub window: (u64, u64),
}

/// Everything a run reports.
#[derive(Clone, Debug)]
pub struct RunReport {
    /// Scenario name.
    pub scenario: String,
    /// Seed the run used.
    pub seed: u64,
    /// Hash of every traced event.
    pub trace_hash: u64,
    /// Virtual time simulated, in nanoseconds.
    pub virtual_ns: u64,
    /// Kernel event counters.
    pub counters: Counters,
    /// Protocol-specific summary lines (label, value), in display order.
    pub summary: Vec<(String, String)>,
    /// Verdicts of every expectation.
    pub checks: Vec<CheckOutcome>,
    /// Client operations' timings, for protocols with clients (latency and throughput charts).
    pub ops: Vec<OpTiming>,
    /// Where the run first went wrong, when the protocol can tell.
    pub focus: Option<Focus>,
    /// The client history the linearizability check judged, for protocols with clients.
    pub history: Option<faultline_check::formats::AnyHistory>,
    /// The code probes the run passed (see [`crate::probes`]), by name, in declaration order.
    pub probes: Vec<&'static str>,
}

impl RunReport {
    /// True when every check held.
    pub fn ok(&self) -> bool {
        self.checks.iter().all(|c| c.ok)
    }

    /// The names of the checks that failed.
    pub fn failed_checks(&self) -> Vec<&str> {
        self.checks
            .iter()
            .filter(|c| !c.ok)
            .map(|c| c.name.as_str())
            .collect()
    }

    /// The trace hash as 16 hex digits.
    pub fn trace_hash_hex(&self) -> String {
        format!("{:016x}", self.trace_hash)
    }
}

//! Chart data of a run, built here and drawn by `faultline-report`: when faults were in force,
//! client latencies, throughput, and messages per operation.

use crate::report::RunReport;
use crate::scenario::{Scenario, Span};

/// One interval when a fault was in force, for charts.
#[derive(Clone, Debug, PartialEq)]
pub struct FaultWindow {
    /// Start, in virtual seconds.
    pub start: f64,
    /// End, in virtual seconds (the run's end when nothing undid it).
    pub end: f64,
    /// What was in force, e.g. `crash n2` or `partition`.
    pub label: String,
}

/// Intervals when a fault was in force: a partition or cut until the next heal, a crash until
/// that node's restart, a degraded network until the next network change, an outage or an
/// aimed fault for its duration.
pub fn fault_windows(scenario: &Scenario) -> Vec<FaultWindow> {
    let mut faults = scenario.faults.clone();
    faults.sort_by_key(|f| f.at);
    let secs = |span: Span| span.nanos() as f64 / 1e9;
    let end = secs(scenario.duration);
    let mut windows = Vec::new();
    for (i, fault) in faults.iter().enumerate() {
        let Some((label, own_end)) = fault.window_label() else {
            continue;
        };
        let until = match own_end {
            Some(over) => secs(over).min(end),
            None => faults[i + 1..]
                .iter()
                .find(|f| f.undoes(fault))
                .map_or(end, |f| secs(f.at)),
        };
        windows.push(FaultWindow {
            start: secs(fault.at),
            end: until,
            label,
        });
    }
    windows
}

/// What the client charts of a run plot.
#[derive(Clone, Debug, PartialEq)]
pub struct ClientFigures {
    /// Latency of every completed operation, in milliseconds.
    pub latencies_ms: Vec<f64>,
    /// Operations completed per second, in 100 ms buckets: (bucket start s, rate).
    pub throughput: Vec<(f64, f64)>,
    /// For each second in which some operation completed: (second, messages sent in it per
    /// operation completed in it).
    pub messages_per_operation: Vec<(f64, f64)>,
    /// The scenario's fault windows, to shade.
    pub fault_windows: Vec<FaultWindow>,
}

/// The client charts' data, for runs whose protocol has clients (`None` without operations).
/// `send_times_ns` are the times of every message send in the trace.
pub fn client_figures(
    report: &RunReport,
    scenario: &Scenario,
    send_times_ns: impl Iterator<Item = u64>,
) -> Option<ClientFigures> {
    if report.ops.is_empty() {
        return None;
    }
    let completions: Vec<u64> = report.ops.iter().filter_map(|op| op.complete_ns).collect();
    let latencies_ms = report
        .ops
        .iter()
        .filter_map(|op| Some((op.complete_ns? - op.invoke_ns) as f64 / 1e6))
        .collect();
    let per_bucket = counts(report.virtual_ns, 100_000_000, completions.iter().copied());
    let throughput = per_bucket
        .iter()
        .enumerate()
        .map(|(i, n)| (i as f64 * 0.1, *n as f64 * 10.0))
        .collect();
    let sent = counts(report.virtual_ns, 1_000_000_000, send_times_ns);
    let done = counts(report.virtual_ns, 1_000_000_000, completions.into_iter());
    let messages_per_operation = (0..done.len())
        .filter(|&w| done[w] > 0)
        .map(|w| (w as f64, sent[w] as f64 / done[w] as f64))
        .collect();
    Some(ClientFigures {
        latencies_ms,
        throughput,
        messages_per_operation,
        fault_windows: fault_windows(scenario),
    })
}

/// How many of `times_ns` fall in each `bucket_ns` bucket of a run `virtual_ns` long (times
/// past the end count in the last bucket).
fn counts(virtual_ns: u64, bucket_ns: u64, times_ns: impl Iterator<Item = u64>) -> Vec<u64> {
    let buckets = (virtual_ns / bucket_ns + 1) as usize;
    let mut counts = vec![0u64; buckets];
    for t in times_ns {
        counts[((t / bucket_ns) as usize).min(buckets - 1)] += 1;
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::OpTiming;
    use std::path::Path;

    #[test]
    fn messages_per_operation_divides_each_seconds_sends_by_its_completions() {
        const S: u64 = 1_000_000_000;
        let op = |done| OpTiming {
            invoke_ns: 0,
            complete_ns: done,
        };
        let report = RunReport {
            scenario: "t".into(),
            seed: 1,
            trace_hash: 0,
            virtual_ns: 3 * S,
            counters: Default::default(),
            summary: Vec::new(),
            checks: Vec::new(),
            // Two ops done in second 0, none in second 1 (skipped), one in second 2; one given up.
            ops: vec![
                op(Some(S / 2)),
                op(Some(S / 3)),
                op(Some(2 * S + 1)),
                op(None),
            ],
            focus: None,
            history: None,
            probes: Vec::new(),
        };
        let text = r#"{"version": 1, "name": "t", "seed": 1, "duration": "3s",
            "protocol": {"heartbeat": {"interval": "50ms", "timeout": "400ms"}},
            "cluster": {"nodes": 3}, "faults": [{"at": "1s", "crash": 2},
            {"at": "2s", "restart": 2}, {"at": "1500ms", "outage": "5ms"}]}"#;
        let scenario = crate::scenario::parse(text, Path::new("t.json")).unwrap();
        let sends = [0, 1, 2, 3, S + 5, 2 * S, 2 * S + 9].into_iter();
        let figures = client_figures(&report, &scenario, sends).unwrap();
        assert_eq!(figures.messages_per_operation, vec![(0.0, 2.0), (2.0, 2.0)]);
        assert_eq!(figures.latencies_ms.len(), 3);
        let windows: Vec<(f64, f64, &str)> = figures
            .fault_windows
            .iter()
            .map(|w| (w.start, w.end, w.label.as_str()))
            .collect();
        assert_eq!(windows, [(1.0, 2.0, "crash n2"), (1.5, 1.505, "outage")]);
    }
}

//! Chrome trace event JSON (opens in Perfetto and `chrome://tracing`): one process per node,
//! every event an instant event on it, and a flow arrow (`s` → `f`) from each send to each of
//! its deliveries. Network-wide faults are global instant events on a `network` process.

use super::clock::NETWORK_HOST;
use crate::trace::{nodes, EventKind, TraceEvent};
use crate::ReportError;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// The trace as a Chrome trace event JSON document (timestamps in microseconds).
pub fn to_chrome_trace(events: &[TraceEvent]) -> Result<String, ReportError> {
    let names = nodes(events);
    let pid_of: BTreeMap<&str, usize> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), i + 1))
        .collect();
    let mut out: Vec<Value> = Vec::new();
    let mut processes: Vec<(usize, &str)> = vec![(0, NETWORK_HOST)];
    processes.extend(names.iter().enumerate().map(|(i, n)| (i + 1, n.as_str())));
    for (pid, name) in processes {
        out.push(json!({"ph": "M", "name": "process_name", "pid": pid, "tid": 0, "args": {"name": name}}));
        out.push(json!({"ph": "M", "name": "process_sort_index", "pid": pid, "tid": 0, "args": {"sort_index": pid}}));
    }
    let mut sends: BTreeMap<u64, &TraceEvent> = BTreeMap::new();
    let mut flow_id = 0u64;
    for e in events {
        let pid = e.node.as_deref().map_or(0, |n| pid_of[n]);
        out.push(instant_event(e, pid));
        match (e.kind, e.msg) {
            (EventKind::Send, Some(msg)) => {
                sends.insert(msg, e);
            }
            (EventKind::Deliver, Some(msg)) => {
                let send = sends.get(&msg).ok_or_else(|| {
                    ReportError::input(format!(
                        "message {msg} delivered at {} ns but never sent",
                        e.t_ns
                    ))
                })?;
                let from = send.node.as_deref().map_or(0, |n| pid_of[n]);
                let flow = |ph: &str, t_ns: u64, pid: usize| {
                    json!({"ph": ph, "id": flow_id, "name": "message", "cat": "message",
                           "ts": micros(t_ns), "pid": pid, "tid": 0, "bp": "e"})
                };
                out.push(flow("s", send.t_ns, from));
                out.push(flow("f", e.t_ns, pid));
                flow_id += 1;
            }
            _ => {}
        }
    }
    let mut text = String::from("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n");
    for (i, v) in out.iter().enumerate() {
        if i > 0 {
            text.push_str(",\n");
        }
        text.push_str(&v.to_string());
    }
    text.push_str("\n]}\n");
    Ok(text)
}

/// The instant event for `e` on process `pid` (0: the network): named for what happened, with
/// its peer, reason, fault, detail and message id as arguments.
fn instant_event(e: &TraceEvent, pid: usize) -> Value {
    let mut args = Map::new();
    for (key, value) in [
        ("peer", &e.peer),
        ("reason", &e.reason),
        ("fault", &e.fault),
        ("detail", &e.detail),
    ] {
        if let Some(v) = value {
            args.insert(key.to_string(), json!(v));
        }
    }
    if let Some(msg) = e.msg {
        args.insert("msg".to_string(), json!(msg));
    }
    let name = match (&e.fault, &e.peer) {
        (Some(fault), _) => format!("fault {fault}"),
        (None, Some(peer)) if e.kind == EventKind::Deliver => format!("deliver from {peer}"),
        (None, Some(peer)) => format!("{} to {peer}", e.kind.as_str()),
        (None, None) => e.kind.as_str().to_string(),
    };
    let scope = if pid == 0 { "g" } else { "t" };
    json!({
        "ph": "i", "s": scope, "name": name, "cat": e.kind.as_str(),
        "ts": micros(e.t_ns), "pid": pid, "tid": 0, "args": args,
    })
}

/// Nanoseconds as the format's microseconds.
fn micros(t_ns: u64) -> f64 {
    t_ns as f64 / 1_000.0
}

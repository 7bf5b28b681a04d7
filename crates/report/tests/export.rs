// Exports a real kernel trace (tests/data, cut from heartbeat-partition-crash) to Chrome trace
// JSON and ShiViz, parses the output back and checks its structure.

use faultline_report::export::{
    to_chrome_trace, to_shiviz, vector_clocks, NETWORK_HOST, SHIVIZ_REGEX,
};
use faultline_report::trace::{parse_jsonl, EventKind, TraceEvent};
use serde_json::Value;
use std::collections::BTreeMap;

fn trace() -> Vec<TraceEvent> {
    parse_jsonl(include_str!("data/heartbeat-partition-crash.jsonl")).unwrap()
}

fn count(events: &[TraceEvent], kind: EventKind) -> usize {
    events.iter().filter(|e| e.kind == kind).count()
}

#[test]
fn chrome_trace_has_a_process_per_node_and_paired_flows() {
    let events = trace();
    let doc: Value = serde_json::from_str(&to_chrome_trace(&events).unwrap()).unwrap();
    let all = doc["traceEvents"].as_array().unwrap();
    let by_ph = |ph: &'static str| all.iter().filter(move |e| e["ph"] == ph);

    let names: BTreeMap<u64, &str> = by_ph("M")
        .filter(|e| e["name"] == "process_name")
        .map(|e| {
            (
                e["pid"].as_u64().unwrap(),
                e["args"]["name"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        names.values().copied().collect::<Vec<_>>(),
        vec![NETWORK_HOST, "n1", "n2", "n3", "n4", "n5"]
    );

    // One instant event per trace event, on its node's process, in time order.
    let instants: Vec<&Value> = by_ph("i").collect();
    assert_eq!(instants.len(), events.len());
    for (e, i) in events.iter().zip(&instants) {
        let pid = i["pid"].as_u64().unwrap();
        assert_eq!(names[&pid], e.node.as_deref().unwrap_or(NETWORK_HOST));
        assert_eq!(i["ts"].as_f64().unwrap(), e.t_ns as f64 / 1000.0);
        assert_eq!(i["cat"], e.kind.as_str());
    }
    let partition = instants
        .iter()
        .find(|i| i["args"]["fault"] == "partition")
        .unwrap();
    assert_eq!(
        partition["s"], "g",
        "network-wide faults are global instants"
    );

    // Every flow start has exactly one finish with the same id, later or at the same time, on
    // the receiver's process; one flow per delivery.
    let starts: BTreeMap<u64, &Value> =
        by_ph("s").map(|e| (e["id"].as_u64().unwrap(), e)).collect();
    let finishes: BTreeMap<u64, &Value> =
        by_ph("f").map(|e| (e["id"].as_u64().unwrap(), e)).collect();
    assert_eq!(starts.len(), count(&events, EventKind::Deliver));
    assert_eq!(
        starts.keys().collect::<Vec<_>>(),
        finishes.keys().collect::<Vec<_>>()
    );
    for (id, s) in &starts {
        let f = finishes[id];
        assert!(f["ts"].as_f64() >= s["ts"].as_f64());
        assert_ne!(f["pid"], s["pid"], "a message crosses processes");
    }
}

/// ShiViz events parsed back: (description, host, clock).
fn shiviz_events(text: &str) -> Vec<(String, String, BTreeMap<String, u64>)> {
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some(SHIVIZ_REGEX));
    assert_eq!(
        lines.next(),
        Some(""),
        "empty multiple-executions delimiter"
    );
    let rest: Vec<&str> = lines.collect();
    assert_eq!(rest.len() % 2, 0);
    rest.chunks(2)
        .map(|pair| {
            let (host, clock) = pair[1].split_once(' ').unwrap();
            (
                pair[0].to_string(),
                host.to_string(),
                serde_json::from_str(clock).unwrap(),
            )
        })
        .collect()
}

/// A budget of clock entries cuts the log after a prefix of the events, identical to the
/// beginning of the whole log.
#[test]
fn a_bounded_shiviz_log_is_a_prefix_of_the_whole_log() {
    let events = trace();
    let whole = to_shiviz(&events, usize::MAX).unwrap();
    assert_eq!(whole.events, events.len());
    let part = to_shiviz(&events, 12).unwrap();
    assert!(
        part.events > 0 && part.events < events.len(),
        "{}",
        part.events
    );
    assert!(whole.text.starts_with(&part.text));
    assert_eq!(shiviz_events(&part.text).len(), part.events);
}

#[test]
fn shiviz_clocks_tick_per_host_and_deliveries_dominate_sends() {
    let events = trace();
    let parsed = shiviz_events(&to_shiviz(&events, usize::MAX).unwrap().text);
    assert_eq!(parsed.len(), events.len());

    let mut own: BTreeMap<&str, u64> = BTreeMap::new();
    let mut send_clock: BTreeMap<u64, &BTreeMap<String, u64>> = BTreeMap::new();
    let mut checked_deliveries = 0;
    for (e, (text, host, clock)) in events.iter().zip(&parsed) {
        assert!(text.contains(e.kind.as_str()), "{text}");
        // ShiViz needs each host's own entry to start at 1 and grow by exactly one per event.
        let n = own.entry(host.as_str()).or_default();
        *n += 1;
        assert_eq!(clock[host], *n, "host {host} at {text}");
        match (e.kind, e.msg) {
            (EventKind::Send, Some(msg)) => {
                send_clock.insert(msg, clock);
            }
            (EventKind::Deliver, Some(msg)) => {
                let sent = send_clock[&msg];
                assert!(sent
                    .iter()
                    .all(|(h, &v)| clock.get(h).copied().unwrap_or(0) >= v));
                assert_ne!(clock, sent, "strictly after its send");
                checked_deliveries += 1;
            }
            _ => {}
        }
    }
    assert_eq!(checked_deliveries, count(&events, EventKind::Deliver));
    assert!(parsed
        .iter()
        .any(|(t, h, _)| h == NETWORK_HOST && t.contains("partition")));
}

#[test]
fn clocks_are_monotone_per_node() {
    let events = trace();
    let clocks = vector_clocks(&events).unwrap();
    let mut last: BTreeMap<&str, &BTreeMap<String, u64>> = BTreeMap::new();
    for (host, clock) in &clocks {
        if let Some(prev) = last.insert(host.as_str(), clock) {
            assert!(
                prev.iter().all(|(h, &v)| clock[h] >= v),
                "{host} went backwards"
            );
        }
    }
}

#[test]
fn a_delivery_without_its_send_is_an_error() {
    let events = trace();
    let first_send = events
        .iter()
        .position(|e| e.kind == EventKind::Send)
        .unwrap();
    let mut broken = events.clone();
    broken.remove(first_send);
    assert!(vector_clocks(&broken).is_err());
    assert!(to_shiviz(&broken, usize::MAX).is_err());
    assert!(to_chrome_trace(&broken).is_err());
}

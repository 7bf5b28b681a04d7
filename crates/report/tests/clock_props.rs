// Property tests over random valid traces: vector clocks order every delivery after its send and
// each node's events strictly, and the Chrome export pairs every flow.

use faultline_report::export::{to_chrome_trace, vector_clocks};
use faultline_report::trace::{parse_jsonl, EventKind};
use proptest::prelude::*;
use std::collections::BTreeMap;

/// A random execution among `nodes` nodes as trace JSON lines: each step sends a new message,
/// delivers or drops an in-flight one (`pick` chooses which), duplicates one, or fires a timer.
fn trace_text(nodes: usize, steps: &[(u8, usize, usize)]) -> String {
    let mut lines = Vec::new();
    let mut in_flight: Vec<(u64, usize, usize)> = Vec::new();
    let mut next_msg = 0u64;
    for (t, &(op, a, b)) in steps.iter().enumerate() {
        let (from, to) = (a % nodes, b % nodes);
        let t_ns = t as u64 * 1000;
        match op % 5 {
            0 | 1 if from != to => {
                lines.push(format!(r#"{{"ev":"send","msg":{next_msg},"node":"n{from}","peer":"n{to}","t_ns":{t_ns}}}"#));
                in_flight.push((next_msg, from, to));
                next_msg += 1;
            }
            2 | 3 if !in_flight.is_empty() => {
                let (msg, s, r) = in_flight.remove(a % in_flight.len());
                if op % 5 == 2 {
                    lines.push(format!(r#"{{"ev":"deliver","msg":{msg},"node":"n{r}","peer":"n{s}","t_ns":{t_ns}}}"#));
                } else {
                    lines.push(format!(r#"{{"ev":"drop","msg":{msg},"node":"n{s}","peer":"n{r}","reason":"loss","t_ns":{t_ns}}}"#));
                }
            }
            4 if !in_flight.is_empty() => {
                // Duplicate: the message is delivered now and stays in flight for a second delivery.
                let (msg, s, r) = in_flight[b % in_flight.len()];
                lines.push(format!(
                    r#"{{"ev":"duplicate","msg":{msg},"node":"n{s}","peer":"n{r}","t_ns":{t_ns}}}"#
                ));
                lines.push(format!(
                    r#"{{"ev":"deliver","msg":{msg},"node":"n{r}","peer":"n{s}","t_ns":{t_ns}}}"#
                ));
            }
            _ => lines.push(format!(
                r#"{{"ev":"timer","node":"n{from}","t_ns":{t_ns}}}"#
            )),
        }
    }
    lines.join("\n")
}

proptest! {
    #[test]
    fn clocks_respect_causality(nodes in 2usize..6, steps in prop::collection::vec((any::<u8>(), any::<usize>(), any::<usize>()), 1..120)) {
        let events = parse_jsonl(&trace_text(nodes, &steps)).unwrap();
        let clocks = vector_clocks(&events).unwrap();
        let le = |a: &BTreeMap<String, u64>, b: &BTreeMap<String, u64>| a.iter().all(|(h, &v)| b.get(h).copied().unwrap_or(0) >= v);
        let mut last: BTreeMap<&str, &BTreeMap<String, u64>> = BTreeMap::new();
        let mut sent: BTreeMap<u64, &BTreeMap<String, u64>> = BTreeMap::new();
        for (e, (host, clock)) in events.iter().zip(&clocks) {
            if let Some(prev) = last.insert(host.as_str(), clock) {
                prop_assert!(le(prev, clock) && prev != clock, "{host} did not advance");
            }
            match e.kind {
                EventKind::Send => { sent.insert(e.msg.unwrap(), clock); }
                EventKind::Deliver => {
                    let s = sent[&e.msg.unwrap()];
                    prop_assert!(le(s, clock) && s != clock);
                }
                _ => {}
            }
        }
        let doc: serde_json::Value = serde_json::from_str(&to_chrome_trace(&events).unwrap()).unwrap();
        let all = doc["traceEvents"].as_array().unwrap();
        let ids = |ph: &str| { let mut v: Vec<u64> = all.iter().filter(|e| e["ph"] == ph).map(|e| e["id"].as_u64().unwrap()).collect(); v.sort(); v };
        let delivered = events.iter().filter(|e| e.kind == EventKind::Deliver).count();
        prop_assert_eq!(ids("s").len(), delivered);
        prop_assert_eq!(ids("s"), ids("f"));
    }
}

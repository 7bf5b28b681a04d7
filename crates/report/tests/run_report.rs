// A run report built from a real kernel trace (tests/data): counts checked against the trace,
// charts and diagram present in the HTML.

mod common;

use common::check_markup;
use faultline_report::run_report::{run_report, TraceStats};
use faultline_report::spacetime::SpaceTimeOptions;
use faultline_report::trace::{parse_jsonl, EventKind, TraceEvent};

fn trace() -> Vec<TraceEvent> {
    parse_jsonl(include_str!("data/heartbeat-partition-crash.jsonl")).unwrap()
}

#[test]
fn stats_count_every_event_once() {
    let events = trace();
    let s = TraceStats::of(&events);
    let count = |k| events.iter().filter(|e| e.kind == k).count() as u64;
    assert_eq!(s.sent(), count(EventKind::Send));
    assert_eq!(s.delivered(), count(EventKind::Deliver));
    assert_eq!(s.dropped(), count(EventKind::Drop));
    assert_eq!(s.duplicates, count(EventKind::Duplicate));
    assert_eq!(
        s.faults.iter().map(|f| f.1.as_str()).collect::<Vec<_>>(),
        ["partition", "crash", "cut", "heal", "restart", "clock-rate"]
    );
    assert_eq!(
        s.drops_by_reason.keys().collect::<Vec<_>>(),
        ["crashed", "loss", "partition"]
    );
    let n3 = &s.nodes.iter().find(|(n, _)| n == "n3").unwrap().1;
    let n3_sends = events
        .iter()
        .filter(|e| e.kind == EventKind::Send && e.node.as_deref() == Some("n3"))
        .count();
    assert_eq!(n3.sent, n3_sends as u64);
    assert_eq!(s.end_ns, events.last().unwrap().t_ns);
}

#[test]
fn report_has_summary_charts_and_diagram() {
    let events = trace();
    let extra = [(
        "scenario".to_string(),
        "heartbeat-partition-crash".to_string(),
    )];
    let html = run_report("Run report", &extra, &events, &SpaceTimeOptions::default())
        .unwrap()
        .to_html()
        .unwrap();
    check_markup(&html);
    let s = TraceStats::of(&events);
    for row in [
        "<tr><th>scenario</th><td>heartbeat-partition-crash</td></tr>".to_string(),
        format!("<tr><th>messages sent</th><td>{}</td></tr>", s.sent()),
        format!(
            "<tr><th>messages dropped</th><td>{} (crashed {}, loss {}, partition {})</td></tr>",
            s.dropped(),
            s.drops_by_reason["crashed"],
            s.drops_by_reason["loss"],
            s.drops_by_reason["partition"]
        ),
        "<tr><th>trace events</th><td>428</td></tr>".to_string(),
    ] {
        assert!(html.contains(&row), "missing {row}");
    }
    assert!(html.contains("crash at 3000.000ms"));
    assert_eq!(html.matches("<figure").count(), 3);
    for text in [
        "Messages per node",
        "Dropped messages by reason",
        "partition",
        "sent",
        "received",
        "Space-time diagram",
    ] {
        assert!(
            html.contains(&format!(">{text}<")) || html.contains(&format!(">\n{text}\n<")),
            "missing {text}"
        );
    }
    assert!(html.contains("class=\"lane-name\""));
}

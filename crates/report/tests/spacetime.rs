// Space-time diagrams of a real kernel trace (tests/data, cut from heartbeat-partition-crash):
// the SVG is parsed back and its marks counted against the trace.

mod common;

use common::{check_markup, tags_with};
use faultline_report::spacetime::{render_html, render_svg, SpaceTimeOptions, TimeScale};
use faultline_report::trace::{parse_jsonl, EventKind, TraceEvent};
use std::collections::BTreeSet;

fn trace() -> Vec<TraceEvent> {
    parse_jsonl(include_str!("data/heartbeat-partition-crash.jsonl")).unwrap()
}

/// `(class, y)` of every `<text>` with a class, in order.
fn texts(svg: &str) -> Vec<(String, f64, String)> {
    tags_with(svg, "text", "class=")
        .into_iter()
        .map(|tag| {
            let attr = |name: &str| {
                let start = tag.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
                tag[start..start + tag[start..].find('"').unwrap()].to_string()
            };
            let after = &svg[svg.find(tag).unwrap() + tag.len() + 1..];
            let body = after[..after.find('<').unwrap()].to_string();
            (attr("class"), attr("y").parse().unwrap(), body)
        })
        .collect()
}

#[test]
fn first_200_events_draw_every_message_and_mark() {
    let events = trace();
    let d = render_svg(&events, &SpaceTimeOptions::default()).unwrap();
    assert_eq!((d.shown, d.total), (200, events.len()));
    check_markup(&d.svg);
    let shown = &events[..200];

    // One lane per node, named at the top.
    let lanes: Vec<String> = texts(&d.svg)
        .into_iter()
        .filter(|t| t.0 == "lane-name")
        .map(|t| t.2)
        .collect();
    assert_eq!(lanes, vec!["n1", "n2", "n3", "n4", "n5"]);

    assert_every_message_and_mark_drawn(&d.svg, shown);
    // Hover titles carry the message text.
    assert!(d
        .svg
        .contains("<title>18.995ms send #0 to n1: Beat { boot: 1 }</title>"));
    assert!(d
        .svg
        .contains("<title>22.738ms deliver #7 from n5: Beat { boot: 1 }\nsent 19.162ms</title>"));

    // Time runs downward: the labels' y grows with their time.
    let times: Vec<f64> = texts(&d.svg)
        .into_iter()
        .filter(|t| t.0 == "time")
        .map(|t| t.1)
        .collect();
    assert!(times.len() > 20 && times.windows(2).all(|w| w[0] < w[1]));
}

/// An arrow for every delivery and drop shown, plus a dashed stub for every shown send whose
/// outcome lies beyond the window; a cross per drop and a mark per send, delivery, timer and
/// start.
fn assert_every_message_and_mark_drawn(svg: &str, shown: &[TraceEvent]) {
    let outcome_msgs: BTreeSet<u64> = shown
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Deliver | EventKind::Drop))
        .map(|e| e.msg.unwrap())
        .collect();
    let outcomes = shown
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Deliver | EventKind::Drop))
        .count();
    let open_sends = shown
        .iter()
        .filter(|e| e.kind == EventKind::Send && !outcome_msgs.contains(&e.msg.unwrap()))
        .count();
    assert!(open_sends > 0);
    assert_eq!(
        tags_with(svg, "line", "class=\"msg").len(),
        outcomes + open_sends
    );
    let drops = shown.iter().filter(|e| e.kind == EventKind::Drop).count();
    assert!(drops > 0);
    assert_eq!(tags_with(svg, "path", "class=\"cross\"").len(), drops);
    let count = |kind| shown.iter().filter(|e| e.kind == kind).count();
    assert_eq!(
        tags_with(svg, "circle", "class=\"send\"").len(),
        count(EventKind::Send)
    );
    assert_eq!(
        tags_with(svg, "circle", "class=\"deliver\"").len(),
        count(EventKind::Deliver)
    );
    assert_eq!(
        tags_with(svg, "circle", "class=\"timer\"").len(),
        count(EventKind::Timer)
    );
    assert_eq!(
        tags_with(svg, "rect", "class=\"start\"").len(),
        count(EventKind::Start)
    );
}

#[test]
fn window_around_the_crash_marks_the_crash_and_the_downtime() {
    let events = trace();
    let options = SpaceTimeOptions {
        from_ns: Some(2_990_000_000),
        to_ns: Some(3_050_000_000),
        max_events: None,
        ..SpaceTimeOptions::default()
    };
    let d = render_svg(&events, &options).unwrap();
    check_markup(&d.svg);
    let expected = events
        .iter()
        .filter(|e| (2_990_000_000..=3_050_000_000).contains(&e.t_ns))
        .count();
    assert_eq!(d.shown, expected);
    assert_eq!(tags_with(&d.svg, "path", "class=\"crash\"").len(), 1);
    assert!(texts(&d.svg)
        .iter()
        .any(|t| t.0 == "fault-label" && t.2 == "crash"));
    // n3 is down from the crash to the end of the window.
    assert_eq!(tags_with(&d.svg, "line", "class=\"down-dash\"").len(), 1);
    assert!(d.svg.contains("n3 down 3000.000ms – 6000.000ms"));
    // Deliveries whose send precedes the window come in dashed from the top.
    assert!(!tags_with(&d.svg, "line", "class=\"msg out").is_empty());
}

#[test]
fn partitions_cross_all_lanes_and_timers_can_be_hidden() {
    let events = trace();
    let options = SpaceTimeOptions {
        from_ns: Some(1_990_000_000),
        to_ns: Some(2_020_000_000),
        timers: false,
        ..SpaceTimeOptions::default()
    };
    let d = render_svg(&events, &options).unwrap();
    let net = tags_with(&d.svg, "line", "class=\"netfault\"");
    assert_eq!(net.len(), 1);
    assert!(
        net[0].contains("x1=\"100.0\"") && net[0].contains("x2=\"750.0\""),
        "{}",
        net[0]
    );
    assert!(tags_with(&d.svg, "circle", "class=\"timer\"").is_empty());
}

#[test]
fn highlighted_messages_and_window_stand_out() {
    let events = trace();
    let delivered = events
        .iter()
        .find(|e| e.kind == EventKind::Deliver && e.t_ns > 10_000_000)
        .unwrap();
    let msg = delivered.msg.unwrap();
    let options = SpaceTimeOptions {
        highlight_msgs: vec![msg],
        highlight_window: Some((20_000_000, 30_000_000)),
        ..SpaceTimeOptions::default()
    };
    let d = render_svg(&events, &options).unwrap();
    let hl = tags_with(&d.svg, "line", "hl\"");
    assert_eq!(
        hl.len(),
        events[..200]
            .iter()
            .filter(|e| e.msg == Some(msg) && e.kind == EventKind::Deliver)
            .count()
    );
    assert!(hl[0].contains("st-arrow-hl"));
    assert_eq!(tags_with(&d.svg, "rect", "class=\"window\"").len(), 1);
}

#[test]
fn messages_can_be_highlighted_by_their_text() {
    // After its restart n3 announces `Beat { boot: 2 }`: highlight exactly those messages.
    let events = trace();
    let options = SpaceTimeOptions {
        from_ns: Some(5_990_000_000),
        to_ns: Some(6_050_000_000),
        max_events: None,
        highlight_detail: vec!["boot: 2".to_string()],
        ..SpaceTimeOptions::default()
    };
    let d = render_svg(&events, &options).unwrap();
    let selected: Vec<&TraceEvent> = events
        .iter()
        .filter(|e| (5_990_000_000..=6_050_000_000).contains(&e.t_ns))
        .collect();
    let boot2 = |e: &&&TraceEvent| e.detail.as_deref().is_some_and(|d| d.contains("boot: 2"));
    let arrows = selected
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Deliver | EventKind::Drop))
        .filter(boot2)
        .count();
    let sent: BTreeSet<u64> = selected
        .iter()
        .filter(|e| e.kind == EventKind::Send)
        .filter(boot2)
        .map(|e| e.msg.unwrap())
        .collect();
    assert!(!sent.is_empty());
    let ended: BTreeSet<u64> = selected
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Deliver | EventKind::Drop))
        .map(|e| e.msg.unwrap())
        .collect();
    let stubs = sent.difference(&ended).count();
    assert_eq!(tags_with(&d.svg, "line", " hl\"").len(), arrows + stubs);
}

#[test]
fn linear_scale_spaces_rows_by_elapsed_time() {
    let events = trace();
    let options = SpaceTimeOptions {
        max_events: Some(60),
        scale: TimeScale::Linear,
        ..SpaceTimeOptions::default()
    };
    let d = render_svg(&events, &options).unwrap();
    let starts: Vec<f64> = tags_with(&d.svg, "circle", "class=\"send\"")
        .iter()
        .map(|t| {
            let s = t.find("cy=\"").unwrap() + 4;
            t[s..s + t[s..].find('"').unwrap()].parse().unwrap()
        })
        .collect();
    let send_times: Vec<u64> = events[..60]
        .iter()
        .filter(|e| e.kind == EventKind::Send)
        .map(|e| e.t_ns)
        .collect();
    assert_eq!(starts.len(), send_times.len());
    // y is an affine function of time: equal time gaps give equal pixel gaps.
    let (t0, y0) = (send_times[0] as f64, starts[0]);
    let (t1, y1) = (*send_times.last().unwrap() as f64, *starts.last().unwrap());
    for (t, y) in send_times.iter().zip(&starts) {
        let expect = y0 + (y1 - y0) * (*t as f64 - t0) / (t1 - t0);
        assert!((y - expect).abs() < 0.2, "{t}: {y} vs {expect}");
    }
}

#[test]
fn html_page_embeds_the_diagram_and_summary() {
    let events = trace();
    let html = render_html(&events, &SpaceTimeOptions::default()).unwrap();
    let names = check_markup(&html);
    assert!(names.iter().any(|n| n == "svg"));
    assert!(html.contains("<tr><th>events shown</th><td>200 of 428</td></tr>"));
    assert!(html.contains("<tr><th>nodes</th><td>n1, n2, n3, n4, n5</td></tr>"));
    let urls: BTreeSet<&str> = html
        .match_indices("http")
        .map(|(i, _)| &html[i..i + 26])
        .collect();
    assert_eq!(
        urls.into_iter().collect::<Vec<_>>(),
        vec!["http://www.w3.org/2000/svg"]
    );
}

#[test]
fn empty_selections_are_errors() {
    let events = trace();
    let late = SpaceTimeOptions {
        from_ns: Some(u64::MAX),
        ..SpaceTimeOptions::default()
    };
    assert!(render_svg(&events, &late).is_err());
    let backwards = SpaceTimeOptions {
        from_ns: Some(10),
        to_ns: Some(5),
        ..SpaceTimeOptions::default()
    };
    assert!(render_svg(&events, &backwards).is_err());
    assert!(render_svg(&[], &SpaceTimeOptions::default()).is_err());
}

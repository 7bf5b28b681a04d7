//! The kernel's trace as typed events, parsed from its JSON lines.
//!
//! One object per line: `t_ns` (virtual nanoseconds), `ev` (start, send, deliver, drop,
//! duplicate, timer, fault, sync), `node`, `peer` (the other end of a message: the receiver for
//! send/drop/duplicate, the sender for deliver), `msg` (message id linking a send to its
//! deliveries and drops), `reason` (why a message was dropped), `fault` (fault kind) and `detail`
//! (the message or fault as text). Unknown fields are ignored so the format can grow.

use crate::ReportError;
use serde::Deserialize;
use std::collections::BTreeMap;

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum EventKind {
    /// A node (re)started.
    Start,
    /// A node sent a message.
    Send,
    /// A message reached its receiver.
    Deliver,
    /// A message was lost (see [`TraceEvent::reason`]).
    Drop,
    /// The network duplicated a message.
    Duplicate,
    /// A node's timer fired.
    Timer,
    /// A fault was injected (see [`TraceEvent::fault`]).
    Fault,
    /// A disk sync a node asked for completed.
    Sync,
}

impl EventKind {
    /// The name used in the trace (`"send"`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Start => "start",
            EventKind::Send => "send",
            EventKind::Deliver => "deliver",
            EventKind::Drop => "drop",
            EventKind::Duplicate => "duplicate",
            EventKind::Timer => "timer",
            EventKind::Fault => "fault",
            EventKind::Sync => "sync",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "start" => EventKind::Start,
            "send" => EventKind::Send,
            "deliver" => EventKind::Deliver,
            "drop" => EventKind::Drop,
            "duplicate" => EventKind::Duplicate,
            "timer" => EventKind::Timer,
            "fault" => EventKind::Fault,
            "sync" => EventKind::Sync,
            _ => return None,
        })
    }

    /// Whether events of this kind concern a message (and carry `peer` and `msg`).
    pub fn is_message(self) -> bool {
        matches!(
            self,
            EventKind::Send | EventKind::Deliver | EventKind::Drop | EventKind::Duplicate
        )
    }
}

/// One trace event.
#[derive(Clone, Debug, PartialEq)]
pub struct TraceEvent {
    /// Virtual time in nanoseconds.
    pub t_ns: u64,
    /// What happened.
    pub kind: EventKind,
    /// The node it happened on (absent for network-wide faults such as partitions).
    pub node: Option<String>,
    /// The other end of a message event.
    pub peer: Option<String>,
    /// The message id of a message event.
    pub msg: Option<u64>,
    /// A send's size in bytes, when the protocol estimates it.
    pub bytes: Option<u64>,
    /// Why a message was dropped (`loss`, `partition`, `crashed`).
    pub reason: Option<String>,
    /// The fault kind (`crash`, `restart`, `partition`, `cut`, `heal`, `clock-rate`, `link`).
    pub fault: Option<String>,
    /// The message or fault as text.
    pub detail: Option<String>,
}

#[derive(Deserialize)]
struct RawEvent {
    t_ns: u64,
    ev: String,
    node: Option<String>,
    peer: Option<String>,
    msg: Option<u64>,
    bytes: Option<u64>,
    reason: Option<String>,
    fault: Option<String>,
    detail: Option<String>,
}

/// Parses trace JSON lines (blank lines are skipped). Errors name the line and the problem:
/// malformed JSON, an unknown `ev`, a message event without `node`, `peer` or `msg`, a node
/// event without `node`, a fault without `fault`, or time going backwards.
pub fn parse_jsonl(text: &str) -> Result<Vec<TraceEvent>, ReportError> {
    let mut events = Vec::new();
    let mut last_t = 0;
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        let err = |message: String| ReportError::Trace {
            line: line_no,
            message,
        };
        let raw: RawEvent = serde_json::from_str(line).map_err(|e| err(e.to_string()))?;
        let kind = EventKind::parse(&raw.ev)
            .ok_or_else(|| err(format!("unknown event kind {:?}", raw.ev)))?;
        let missing = |field: &str| err(format!("{} event without `{field}`", kind.as_str()));
        if kind != EventKind::Fault && raw.node.is_none() {
            return Err(missing("node"));
        }
        if kind.is_message() {
            if raw.peer.is_none() {
                return Err(missing("peer"));
            }
            if raw.msg.is_none() {
                return Err(missing("msg"));
            }
        }
        if kind == EventKind::Fault && raw.fault.is_none() {
            return Err(missing("fault"));
        }
        if raw.t_ns < last_t {
            return Err(err(format!(
                "time goes backwards ({} after {last_t})",
                raw.t_ns
            )));
        }
        last_t = raw.t_ns;
        events.push(TraceEvent {
            t_ns: raw.t_ns,
            kind,
            node: raw.node,
            peer: raw.peer,
            msg: raw.msg,
            bytes: raw.bytes,
            reason: raw.reason,
            fault: raw.fault,
            detail: raw.detail,
        });
    }
    Ok(events)
}

/// Every node named in `events` (as `node` or `peer`), in order of first appearance.
pub fn nodes(events: &[TraceEvent]) -> Vec<String> {
    let mut seen = BTreeMap::new();
    for name in events
        .iter()
        .flat_map(|e| e.node.iter().chain(e.peer.iter()))
    {
        let next = seen.len();
        seen.entry(name.clone()).or_insert(next);
    }
    let mut order: Vec<(usize, String)> = seen.into_iter().map(|(name, i)| (i, name)).collect();
    order.sort();
    order.into_iter().map(|(_, name)| name).collect()
}

/// Virtual nanoseconds as milliseconds text with microsecond precision (`"18.995ms"`).
pub fn format_ms(t_ns: u64) -> String {
    format!("{}.{:03}ms", t_ns / 1_000_000, (t_ns / 1_000) % 1_000)
}

/// One line of text for an event: time, kind, message id, the other end, fault, drop reason and
/// detail (`"18.995ms send #7 to n2: Beat { boot: 1 }"`).
pub fn describe(e: &TraceEvent) -> String {
    let mut s = format!("{} {}", format_ms(e.t_ns), e.kind.as_str());
    if let Some(msg) = e.msg {
        s.push_str(&format!(" #{msg}"));
    }
    if let Some(peer) = &e.peer {
        let dir = if e.kind == EventKind::Deliver {
            "from"
        } else {
            "to"
        };
        s.push_str(&format!(" {dir} {peer}"));
    }
    if let Some(fault) = &e.fault {
        s.push_str(&format!(" {fault}"));
    }
    if let Some(reason) = &e.reason {
        s.push_str(&format!(" ({reason})"));
    }
    if let Some(detail) = &e.detail {
        s.push_str(": ");
        s.push_str(detail);
    }
    // One event per line: the regex's `.` does not cross newlines.
    s.replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"{"ev":"start","node":"n1","t_ns":0}
{"ev":"start","node":"n2","t_ns":0}

{"detail":"Ping","ev":"send","msg":0,"node":"n1","peer":"n2","t_ns":1000}
{"detail":"Ping","ev":"deliver","msg":0,"node":"n2","peer":"n1","t_ns":2500000,"extra":1}
{"detail":"Heal","ev":"fault","fault":"heal","t_ns":3000000}
"#;

    #[test]
    fn parses_every_field() {
        let ev = parse_jsonl(SAMPLE).unwrap();
        assert_eq!(ev.len(), 5);
        assert_eq!(ev[2].kind, EventKind::Send);
        assert_eq!(ev[2].peer.as_deref(), Some("n2"));
        assert_eq!(ev[3].msg, Some(0));
        assert_eq!(ev[3].t_ns, 2_500_000);
        assert_eq!(ev[4].fault.as_deref(), Some("heal"));
        assert_eq!(ev[4].node, None);
        assert_eq!(nodes(&ev), vec!["n1", "n2"]);
    }

    /// A run on simulated disks traces each completed sync; reports read it (they refused the
    /// whole trace before).
    #[test]
    fn a_disk_sync_is_an_event() {
        let text = "{\"ev\":\"start\",\"node\":\"n1\",\"t_ns\":0}\n{\"ev\":\"sync\",\"node\":\"n1\",\"t_ns\":5}\n";
        let ev = parse_jsonl(text).unwrap();
        assert_eq!(ev[1].kind, EventKind::Sync);
        assert_eq!(EventKind::Sync.as_str(), "sync");
        assert!(parse_jsonl("{\"ev\":\"sync\",\"t_ns\":5}").is_err());
    }

    #[test]
    fn errors_name_the_line() {
        let cases = [
            (
                r#"{"ev":"send","node":"n1","peer":"n2","t_ns":1}"#,
                "without `msg`",
            ),
            (
                r#"{"ev":"teleport","node":"n1","t_ns":1}"#,
                "unknown event kind",
            ),
            (r#"{"ev":"fault","t_ns":1}"#, "without `fault`"),
            (r#"{"ev":"timer","t_ns":1}"#, "without `node`"),
            ("not json", "expected"),
        ];
        for (line, want) in cases {
            let text = format!("{{\"ev\":\"start\",\"node\":\"n1\",\"t_ns\":0}}\n{line}\n");
            match parse_jsonl(&text) {
                Err(ReportError::Trace { line: 2, message }) => {
                    assert!(message.contains(want), "{message}")
                }
                other => panic!("{line}: expected an error on line 2, got {other:?}"),
            }
        }
        let backwards = "{\"ev\":\"start\",\"node\":\"n1\",\"t_ns\":5}\n{\"ev\":\"start\",\"node\":\"n1\",\"t_ns\":4}";
        assert!(matches!(
            parse_jsonl(backwards),
            Err(ReportError::Trace { line: 2, .. })
        ));
    }

    #[test]
    fn milliseconds_keep_microseconds() {
        assert_eq!(format_ms(18_995_246), "18.995ms");
        assert_eq!(format_ms(3_000_000_000), "3000.000ms");
    }
}

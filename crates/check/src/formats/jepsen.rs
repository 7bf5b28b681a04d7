//! Jepsen-style event streams (invoke, then ok/fail/info per process) turned into
//! histories; shared by the EDN format and Porcupine's etcd logs.
//!
//! Times are event positions: the stream is in real-time order, so an operation's
//! invocation is its event index and its completion the index of its completion event.

use std::collections::{BTreeMap, BTreeSet};

use super::edn::{parse_items, Edn};
use super::{AnyHistory, ModelKind, ParseError};
use crate::history::{History, Operation};
use crate::models::kv::{KvInput, KvOutput};
use crate::models::mutex::{MutexInput, MutexOutput};
use crate::models::queue::{QueueInput, QueueOutput};
use crate::models::register::{RegisterInput, RegisterOutput};
use crate::models::set::{SetInput, SetOutput};

/// An event's `:type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Invoke,
    Ok,
    Fail,
    Info,
}

impl Kind {
    pub(crate) fn parse(name: &str) -> Option<Kind> {
        match name {
            "invoke" => Some(Kind::Invoke),
            "ok" => Some(Kind::Ok),
            "fail" => Some(Kind::Fail),
            "info" => Some(Kind::Info),
            _ => None,
        }
    }
}

/// One line of a Jepsen history.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Event {
    pub(crate) line: usize,
    pub(crate) process: u64,
    pub(crate) kind: Kind,
    pub(crate) f: String,
    pub(crate) key: Option<Edn>,
    pub(crate) value: Edn,
}

/// What a `:fail` completion means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FailMeaning {
    /// Jepsen: the operation did not happen.
    DidNotHappen,
    /// Porcupine's etcd logs: a failed cas happened and returned false; a failed read
    /// happened with an unknown result; other failures did not happen.
    Porcupine,
}

/// How an invocation ended.
enum End<'a> {
    /// `:ok`, or a `:fail` that Porcupine counts as having happened.
    Returned(&'a Event),
    /// `:info`, or no completion at all.
    Unknown,
}

struct Paired<'a> {
    invoke_at: u64,
    invoke: &'a Event,
    end_at: Option<u64>,
    end: End<'a>,
}

fn pair(events: &[Event], fail: FailMeaning) -> Result<Vec<Paired<'_>>, ParseError> {
    let mut out: Vec<Option<Paired<'_>>> = Vec::new();
    let mut open: BTreeMap<u64, usize> = BTreeMap::new();
    for (at, ev) in events.iter().enumerate() {
        let at = at as u64;
        if ev.kind == Kind::Invoke {
            if let Some(&prev) = open.get(&ev.process) {
                let prev_line = out[prev].as_ref().map_or(0, |p| p.invoke.line);
                return Err(ParseError::at(
                    ev.line,
                    format!(
                        "process {} invokes again while its op from line {prev_line} is open; \
                         expected :ok, :fail or :info first",
                        ev.process
                    ),
                ));
            }
            open.insert(ev.process, out.len());
            out.push(Some(Paired {
                invoke_at: at,
                invoke: ev,
                end_at: None,
                end: End::Unknown,
            }));
            continue;
        }
        let Some(slot) = open.remove(&ev.process) else {
            return Err(ParseError::at(
                ev.line,
                format!("process {} completes an op it never invoked", ev.process),
            ));
        };
        let Some(op) = out[slot].as_mut() else {
            continue;
        };
        if op.invoke.f != ev.f {
            return Err(ParseError::at(
                ev.line,
                format!(
                    "completion :{} does not match the invocation :{} at line {}",
                    ev.f, op.invoke.f, op.invoke.line
                ),
            ));
        }
        let happened = match ev.kind {
            Kind::Ok => true,
            Kind::Fail => fail == FailMeaning::Porcupine && matches!(ev.f.as_str(), "cas" | "read"),
            Kind::Info | Kind::Invoke => {
                continue;
            }
        };
        if happened {
            op.end_at = Some(at);
            op.end = End::Returned(ev);
        } else {
            out[slot] = None;
        }
    }
    Ok(out.into_iter().flatten().collect())
}

fn expected(ev: &Event, what: &str, found: &Edn) -> ParseError {
    ParseError::at(
        ev.line,
        format!("expected {what} for :{}, found {found}", ev.f),
    )
}

fn string(ev: &Event, v: &Edn, what: &str) -> Result<String, ParseError> {
    match v {
        Edn::Str(s) => Ok(s.clone()),
        Edn::Int(n) => Ok(n.to_string()),
        other => Err(expected(ev, what, other)),
    }
}

fn int(ev: &Event, v: &Edn, what: &str) -> Result<i64, ParseError> {
    match v {
        Edn::Int(n) => Ok(*n),
        other => Err(expected(ev, what, other)),
    }
}

fn pair_of<'a>(ev: &Event, v: &'a Edn) -> Result<(&'a Edn, &'a Edn), ParseError> {
    match v {
        Edn::Vector(items) if items.len() == 2 => Ok((&items[0], &items[1])),
        other => Err(expected(ev, "a vector [expected new]", other)),
    }
}

fn kv_op(p: &Paired<'_>) -> Result<Operation<KvInput, KvOutput>, ParseError> {
    let ev = p.invoke;
    let key = match &ev.key {
        Some(k) => string(ev, k, "a string :key")?,
        None => {
            return Err(ParseError::at(
                ev.line,
                format!("expected a :key for :{}", ev.f),
            ))
        }
    };
    let input = match ev.f.as_str() {
        "get" | "read" => KvInput::Get { key },
        "put" | "write" => KvInput::Put {
            key,
            value: string(ev, &ev.value, "a string :value")?,
        },
        "append" => KvInput::Append {
            key,
            value: string(ev, &ev.value, "a string :value")?,
        },
        "cas" => {
            let (expected, new) = pair_of(ev, &ev.value)?;
            KvInput::Cas {
                key,
                expected: string(ev, expected, "a string")?,
                new: string(ev, new, "a string")?,
            }
        }
        other => {
            return Err(ParseError::at(
                ev.line,
                format!("expected :f :get, :put, :append or :cas for a kv history, found :{other}"),
            ))
        }
    };
    let output = match p.end {
        End::Unknown => None,
        End::Returned(done) => match (&input, done.kind) {
            (KvInput::Get { .. }, Kind::Ok) => Some(KvOutput::Value(match &done.value {
                Edn::Nil => String::new(),
                v => string(done, v, "a string :value")?,
            })),
            (KvInput::Cas { .. }, kind) => Some(KvOutput::Cas(kind == Kind::Ok)),
            (_, Kind::Ok) => Some(KvOutput::Ok),
            _ => None,
        },
    };
    Ok(Operation {
        client: ev.process,
        invoke: p.invoke_at,
        complete: p.end_at,
        input,
        output,
    })
}

fn register_op(p: &Paired<'_>) -> Result<Operation<RegisterInput, RegisterOutput>, ParseError> {
    let ev = p.invoke;
    let input = match ev.f.as_str() {
        "read" => RegisterInput::Read,
        "write" => RegisterInput::Write(int(ev, &ev.value, "an integer :value")?),
        "cas" => {
            let (expected, new) = pair_of(ev, &ev.value)?;
            RegisterInput::Cas {
                expected: int(ev, expected, "an integer")?,
                new: int(ev, new, "an integer")?,
            }
        }
        other => {
            return Err(ParseError::at(
                ev.line,
                format!("expected :f :read, :write or :cas for a register history, found :{other}"),
            ))
        }
    };
    let output = match p.end {
        End::Unknown => None,
        End::Returned(done) => match (&input, done.kind) {
            (RegisterInput::Read, Kind::Ok) => Some(RegisterOutput::Value(match &done.value {
                Edn::Nil => None,
                v => Some(int(done, v, "an integer or nil :value")?),
            })),
            (RegisterInput::Cas { .. }, kind) => Some(RegisterOutput::Cas(kind == Kind::Ok)),
            (_, Kind::Ok) => Some(RegisterOutput::Ok),
            _ => None,
        },
    };
    Ok(Operation {
        client: ev.process,
        invoke: p.invoke_at,
        complete: p.end_at,
        input,
        output,
    })
}

fn ints(ev: &Event, v: &Edn) -> Result<BTreeSet<i64>, ParseError> {
    match v {
        Edn::Set(items) | Edn::Vector(items) | Edn::List(items) => items
            .iter()
            .map(|item| int(ev, item, "integer elements"))
            .collect(),
        Edn::Nil => Ok(BTreeSet::new()),
        other => Err(expected(ev, "a set #{..} of integers", other)),
    }
}

fn wrong_f(ev: &Event, model: ModelKind, expected: &str) -> ParseError {
    ParseError::at(
        ev.line,
        format!(
            "expected :f {expected} for a {model} history, found :{}",
            ev.f
        ),
    )
}

fn op<I, O>(p: &Paired<'_>, input: I, output: Option<O>) -> Operation<I, O> {
    Operation {
        client: p.invoke.process,
        invoke: p.invoke_at,
        complete: p.end_at,
        input,
        output,
    }
}

/// The ended completion event, when the operation returned `:ok`.
fn ok_end<'a>(p: &Paired<'a>) -> Option<&'a Event> {
    match p.end {
        End::Returned(done) if done.kind == Kind::Ok => Some(done),
        _ => None,
    }
}

fn set_op(p: &Paired<'_>) -> Result<Operation<SetInput, SetOutput>, ParseError> {
    let ev = p.invoke;
    let (input, output) = match ev.f.as_str() {
        "add" => (
            SetInput::Add(int(ev, &ev.value, "an integer :value")?),
            ok_end(p).map(|_| SetOutput::Ok),
        ),
        "read" => (
            SetInput::Read,
            ok_end(p)
                .map(|done| ints(done, &done.value).map(SetOutput::Values))
                .transpose()?,
        ),
        _ => return Err(wrong_f(ev, ModelKind::Set, ":add or :read")),
    };
    Ok(op(p, input, output))
}

fn queue_op(
    p: &Paired<'_>,
    model: ModelKind,
) -> Result<Operation<QueueInput, QueueOutput>, ParseError> {
    let ev = p.invoke;
    let (input, output) = match ev.f.as_str() {
        "enqueue" => (
            QueueInput::Enqueue(int(ev, &ev.value, "an integer :value")?),
            ok_end(p).map(|_| QueueOutput::Ok),
        ),
        "dequeue" => (
            QueueInput::Dequeue,
            ok_end(p)
                .map(|done| int(done, &done.value, "the integer dequeued as :value"))
                .transpose()?
                .map(QueueOutput::Value),
        ),
        _ => return Err(wrong_f(ev, model, ":enqueue or :dequeue")),
    };
    Ok(op(p, input, output))
}

fn mutex_op(p: &Paired<'_>) -> Result<Operation<MutexInput, MutexOutput>, ParseError> {
    let ev = p.invoke;
    let input = match ev.f.as_str() {
        "acquire" => MutexInput::Acquire,
        "release" => MutexInput::Release,
        _ => return Err(wrong_f(ev, ModelKind::Mutex, ":acquire or :release")),
    };
    Ok(op(p, input, ok_end(p).map(|_| MutexOutput)))
}

/// The model an event stream implies from its functions: kv when any op has a `:key` or
/// a kv function, set for `:add`, mutex for `:acquire`/`:release`, else register. A queue
/// history must name its model (FIFO or unordered).
fn infer_model(events: &[Event]) -> Result<ModelKind, ParseError> {
    let has = |names: &[&str]| events.iter().find(|e| names.contains(&e.f.as_str()));
    if let Some(ev) = has(&["enqueue", "dequeue"]) {
        return Err(ParseError::at(
            ev.line,
            "a queue history: pass --model fifo-queue or --model unordered-queue",
        ));
    }
    Ok(
        if events.iter().any(|e| e.key.is_some()) || has(&["get", "put", "append"]).is_some() {
            ModelKind::Kv
        } else if has(&["add"]).is_some() {
            ModelKind::Set
        } else if has(&["acquire", "release"]).is_some() {
            ModelKind::Mutex
        } else {
            ModelKind::Register
        },
    )
}

fn each<I, O>(
    paired: &[Paired<'_>],
    convert: impl Fn(&Paired<'_>) -> Result<Operation<I, O>, ParseError>,
) -> Result<History<I, O>, ParseError> {
    Ok(History {
        ops: paired.iter().map(convert).collect::<Result<_, _>>()?,
    })
}

/// Pairs events into operations and converts them for `model` (inferred if `None`).
pub(crate) fn build(
    events: &[Event],
    model: Option<ModelKind>,
    fail: FailMeaning,
) -> Result<AnyHistory, ParseError> {
    let paired = pair(events, fail)?;
    let model = match model {
        Some(model) => model,
        None => infer_model(events)?,
    };
    Ok(match model {
        ModelKind::Kv => AnyHistory::Kv(each(&paired, kv_op)?),
        ModelKind::Register => AnyHistory::Register(each(&paired, register_op)?),
        ModelKind::Set => AnyHistory::Set(each(&paired, set_op)?),
        ModelKind::FifoQueue => AnyHistory::FifoQueue(each(&paired, |p| queue_op(p, model))?),
        ModelKind::UnorderedQueue => {
            AnyHistory::UnorderedQueue(each(&paired, |p| queue_op(p, model))?)
        }
        ModelKind::Mutex => AnyHistory::Mutex(each(&paired, mutex_op)?),
    })
}

fn event_from_map(line: usize, map: &Edn) -> Result<Option<Event>, ParseError> {
    if !matches!(map, Edn::Map(_)) {
        return Err(ParseError::at(
            line,
            format!("expected an op map {{:process ..}}, found {map}"),
        ));
    }
    let process = match map.get("process") {
        Some(Edn::Int(p)) => u64::try_from(*p).map_err(|_| {
            ParseError::at(line, format!("expected a non-negative :process, found {p}"))
        })?,
        // Nemesis and other non-client events are not client operations.
        Some(Edn::Keyword(_)) => return Ok(None),
        Some(other) => {
            return Err(ParseError::at(
                line,
                format!("expected an integer :process, found {other}"),
            ))
        }
        None => return Err(ParseError::at(line, "expected a :process")),
    };
    let kind = match map.get("type") {
        Some(Edn::Keyword(k)) => Kind::parse(k),
        _ => None,
    }
    .ok_or_else(|| ParseError::at(line, "expected :type :invoke, :ok, :fail or :info"))?;
    let f = match map.get("f") {
        Some(Edn::Keyword(f)) => f.clone(),
        _ => return Err(ParseError::at(line, "expected a keyword :f")),
    };
    Ok(Some(Event {
        line,
        process,
        kind,
        f,
        key: map.get("key").cloned(),
        value: map.get("value").cloned().unwrap_or(Edn::Nil),
    }))
}

/// Parses a Jepsen EDN history: a vector of op maps or one map per line.
pub fn parse_edn(text: &str, model: Option<ModelKind>) -> Result<AnyHistory, ParseError> {
    let items = parse_items(text).map_err(|e| ParseError::at(e.line, e.message))?;
    let mut events = Vec::with_capacity(items.len());
    for item in &items {
        if let Some(ev) = event_from_map(item.line, &item.value)? {
            events.push(ev);
        }
    }
    build(&events, model, FailMeaning::DidNotHappen)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kv(text: &str) -> History<KvInput, KvOutput> {
        match parse_edn(text, None).unwrap() {
            AnyHistory::Kv(h) => h,
            other => panic!("expected kv, got {other:?}"),
        }
    }

    fn register(text: &str) -> History<RegisterInput, RegisterOutput> {
        match parse_edn(text, None).unwrap() {
            AnyHistory::Register(h) => h,
            other => panic!("expected register, got {other:?}"),
        }
    }

    #[test]
    fn porcupine_kv_lines_become_kv_ops_timed_by_position() {
        let h = kv(
            r#"{:process 0, :type :invoke, :f :append, :key "0", :value "x 0 0 y"}
{:process 1, :type :invoke, :f :get, :key "0", :value nil}
{:process 0, :type :ok, :f :append, :key "0", :value "x 0 0 y"}
{:process 1, :type :ok, :f :get, :key "0", :value "x 0 0 y"}
"#,
        );
        assert_eq!(h.len(), 2);
        let append = &h.ops[0];
        assert_eq!(
            append.input,
            KvInput::Append {
                key: "0".into(),
                value: "x 0 0 y".into()
            }
        );
        assert_eq!((append.invoke, append.complete), (0, Some(2)));
        assert_eq!(append.output, Some(KvOutput::Ok));
        let get = &h.ops[1];
        assert_eq!((get.client, get.invoke, get.complete), (1, 1, Some(3)));
        assert_eq!(get.output, Some(KvOutput::Value("x 0 0 y".into())));
    }

    #[test]
    fn jepsen_register_vector_with_fail_info_and_nemesis() {
        let h = register(
            r#"[{:type :invoke, :f :write, :value 1, :process 0, :time 10}
 {:type :info, :f :start, :value nil, :process :nemesis}
 {:type :ok, :f :write, :value 1, :process 0}
 {:type :invoke, :f :cas, :value [1 2], :process 1}
 {:type :fail, :f :cas, :value [1 2], :process 1}
 {:type :invoke, :f :write, :value 3, :process 2}
 {:type :info, :f :write, :value 3, :process 2}
 {:type :invoke, :f :read, :value nil, :process 3}
 {:type :ok, :f :read, :value 3, :process 3}
 {:type :invoke, :f :read, :value nil, :process 4}]"#,
        );
        // The failed cas did not happen; the info write and the unfinished read may have.
        assert_eq!(h.len(), 4);
        assert_eq!(h.ops[0].complete, Some(1));
        assert_eq!(h.ops[1].input, RegisterInput::Write(3));
        assert_eq!(h.ops[1].complete, None);
        assert_eq!(h.ops[2].output, Some(RegisterOutput::Value(Some(3))));
        assert_eq!(h.ops[3].complete, None);
        assert_eq!(h.indeterminate(), 2);
    }

    #[test]
    fn jepsen_list_with_comments_reads_like_a_vector() {
        let text = ";; written by Jepsen\n; register test\n\
            ({:type :invoke, :f :write, :value 1, :process 0, :time 10, :index 0}\n\
             {:type :info, :f :start, :value nil, :process :nemesis, :index 1} ; partition\n\
             {:type :ok, :f :write, :value 1, :process 0, :index 2}\n\
             {:type :invoke, :f :read, :value nil, :process 1, :index 3}\n\
             {:type :ok, :f :read, :value 1, :process 1, :index 4})\n";
        let h = register(text);
        assert_eq!(h.len(), 2);
        assert_eq!(h.ops[1].output, Some(RegisterOutput::Value(Some(1))));
        assert_eq!(
            super::super::detect_format(text),
            Some(super::super::Format::Edn)
        );
    }

    #[test]
    fn explicit_model_overrides_inference() {
        let text = "{:process 0 :type :invoke :f :read :key \"k\" :value nil}";
        assert_eq!(parse_edn(text, None).unwrap().model(), ModelKind::Kv);
        let forced = parse_edn(text, Some(ModelKind::Kv)).unwrap();
        assert_eq!(forced.indeterminate(), 1);
        assert!(parse_edn(
            "{:process 0 :type :invoke :f :get :value nil}",
            Some(ModelKind::Register)
        )
        .unwrap_err()
        .message
        .contains("expected :f :read"));
    }

    #[test]
    fn malformed_histories_are_errors_with_lines() {
        let cases = [
            ("{:process 0, :type :ok, :f :read, :value 1}", 1, "never invoked"),
            (
                "{:process 0, :type :invoke, :f :read}\n{:process 0, :type :invoke, :f :read}",
                2,
                "invokes again",
            ),
            (
                "{:process 0, :type :invoke, :f :read}\n{:process 0, :type :ok, :f :write, :value 1}",
                2,
                "does not match",
            ),
            ("{:process 0, :type :invoke, :f :write, :value \"x\"}", 1, "integer :value"),
            ("{:process 0, :type :begin, :f :read}", 1, ":type"),
            ("{:type :invoke, :f :read}", 1, ":process"),
            ("{:process -1, :type :invoke, :f :read}", 1, "non-negative"),
            ("[1 2]", 1, "op map"),
            ("{:process 0, :type :invoke, :f :cas, :value [1]}", 1, "[expected new]"),
            ("{:process 0, :type :invoke, :f :put, :value \"v\"}", 1, ":key"),
            ("{:process 0, :type :invoke\n", 2, "expected '}'"),
        ];
        for (text, line, needle) in cases {
            let err = parse_edn(text, None).unwrap_err();
            assert_eq!(err.line, Some(line), "{text}: {err}");
            assert!(err.message.contains(needle), "{text}: {err}");
        }
    }
}

//! faultline's own JSON history, written by the simulator.
//!
//! ```json
//! {"model": "kv", "ops": [
//! {"client": 0, "invoke_ns": 100, "complete_ns": 250, "op": {"f": "put", "key": "k", "value": "v"}, "result": {"ok": true}},
//! {"client": 1, "invoke_ns": 120, "complete_ns": 300, "op": {"f": "get", "key": "k"}, "result": {"value": "v"}},
//! {"client": 2, "invoke_ns": 130, "complete_ns": null, "op": {"f": "append", "key": "k", "value": "x"}, "result": null}
//! ]}
//! ```
//!
//! - `model`: `"kv"`, `"register"` (or `"cas-register"`), `"set"`, `"fifo-queue"`,
//!   `"unordered-queue"` or `"mutex"`.
//! - `client`: the client id; `invoke_ns`, `complete_ns`: virtual nanoseconds.
//!   `complete_ns: null` means the client gave up: the operation may have taken effect
//!   at any point after `invoke_ns`, or never. Ops touching at the same instant count as
//!   concurrent.
//! - `op` for kv: `{"f":"get","key":K}`, `{"f":"put","key":K,"value":V}`,
//!   `{"f":"append","key":K,"value":V}`, `{"f":"cas","key":K,"expected":V,"new":V}`
//!   (strings). For register: `{"f":"read"}`, `{"f":"write","value":N}`,
//!   `{"f":"cas","expected":N,"new":N}` (integers). For set: `{"f":"add","value":N}`,
//!   `{"f":"read"}`. For both queues: `{"f":"enqueue","value":N}`, `{"f":"dequeue"}`.
//!   For mutex: `{"f":"acquire"}`, `{"f":"release"}`.
//! - `result`: `{"value": V}` for get/read/dequeue (`null` is nil for a register, a set
//!   read's value is an array of integers), `{"ok": true}` for put/append/write/add/
//!   enqueue/acquire/release, `{"ok": B}` for cas (false: it happened and saw another
//!   value), or `null`/absent when unknown. An operation known not to have taken effect
//!   (rejected, or a dequeue from an empty queue) should be left out of the file.
//!
//! Errors name the field path (`ops[3].invoke_ns: ...`); a bare top-level array of
//! operations is refused as JSON, naming the object it must be wrapped in.

use serde::{Deserialize, Serialize};

use super::{AnyHistory, ModelKind, ParseError, MAX_NESTING};
use crate::history::{History, Operation};
use crate::models::kv::{KvInput, KvOutput};
use crate::models::mutex::{MutexInput, MutexOutput};
use crate::models::queue::{QueueInput, QueueOutput};
use crate::models::register::{RegisterInput, RegisterOutput};
use crate::models::set::{SetInput, SetOutput};

#[derive(Serialize, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a faultline history {\"model\": NAME, \"ops\": [...]}"
)]
struct FileJson {
    #[serde(deserialize_with = "model_name")]
    model: ModelKind,
    ops: Vec<OpJson>,
}

/// An operation record. `remote = "Self"` makes the derives inherent functions, so the trait
/// impls below can read the record only as a JSON object ([`ObjectOnly`]): serde's derive
/// would also take its fields as an array, in order.
#[derive(Serialize, Deserialize)]
#[serde(
    remote = "Self",
    deny_unknown_fields,
    expecting = "an operation record {\"client\", \"invoke_ns\", \"complete_ns\", \"op\", \"result\"}"
)]
struct OpJson {
    client: u64,
    invoke_ns: u64,
    complete_ns: Option<u64>,
    op: CallJson,
    #[serde(default)]
    result: Option<ResultJson>,
}

/// The serde traits of a type whose derives are inherent (`remote = "Self"`): written as
/// derived, read only as a JSON object ([`ObjectOnly`]).
macro_rules! object_only_serde {
    ($($name:ident),*) => {$(
        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                $name::serialize(self, serializer)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                $name::deserialize(ObjectOnly(deserializer))
            }
        }
    )*};
}

object_only_serde!(OpJson, CallJson);

/// A deserializer for a type that is written only as a JSON object: whatever the type's
/// derive asks for (`deserialize_struct` for a struct, `deserialize_any` for an enum tagged
/// inside its content) is asked of the wrapped deserializer as `deserialize_map`, which
/// serde_json refuses for an array ("invalid type: sequence, expected ..."), where the other
/// two would read one.
struct ObjectOnly<D>(D);

impl<'de, D: serde::Deserializer<'de>> serde::Deserializer<'de> for ObjectOnly<D> {
    type Error = D::Error;

    fn deserialize_any<V: serde::de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_map(visitor)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum
        identifier ignored_any
    }
}

#[derive(Serialize, Deserialize, Clone, PartialEq)]
#[serde(
    untagged,
    expecting = "expected an integer, a string or a list of integers"
)]
enum Scalar {
    Int(i64),
    Str(String),
    List(Vec<i64>),
}

/// The operation names `f` takes, over every model, in [`CallJson`]'s order.
const OPERATIONS: &str =
    "get, put, append, read, write, add, enqueue, dequeue, acquire, release, cas";

/// An operation's call. As with [`OpJson`], the derives are inherent (`remote = "Self"`) so
/// that the trait impls read it only as a JSON object: serde's derive for a tag inside the
/// content would also take `["get", "k"]`, the tag first.
#[derive(Serialize, Deserialize)]
#[serde(
    remote = "Self",
    tag = "f",
    rename_all = "lowercase",
    deny_unknown_fields,
    expecting = "an operation object {\"f\": NAME, ...} (NAME an operation's name)"
)]
enum CallJson {
    Get {
        key: String,
    },
    Put {
        key: String,
        value: String,
    },
    Append {
        key: String,
        value: String,
    },
    Read,
    Write {
        value: i64,
    },
    Add {
        value: i64,
    },
    Enqueue {
        value: i64,
    },
    Dequeue,
    Acquire,
    Release,
    Cas {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        key: Option<String>,
        expected: Scalar,
        new: Scalar,
    },
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a result {\"value\": V}")]
struct ValueJson {
    value: Option<Scalar>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a result {\"ok\": true or false}")]
struct OkJson {
    ok: bool,
}

#[derive(Serialize, Deserialize)]
#[serde(
    untagged,
    expecting = "expected a result: null (no answer), {\"ok\": true or false} or {\"value\": V} (V null, an integer, a string or a list of integers)"
)]
enum ResultJson {
    Value(ValueJson),
    Ok(OkJson),
}

/// `model`: a model's name, read as a string and checked by [`ModelKind`]'s `FromStr`, so that a
/// number, null or an unknown name is answered with the names (serde's derived enum says only
/// "expected value" for anything but a string).
fn model_name<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<ModelKind, D::Error> {
    struct Name;
    impl serde::de::Visitor<'_> for Name {
        type Value = ModelKind;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            let names: Vec<&str> = ModelKind::ALL.iter().map(|k| k.name()).collect();
            write!(
                f,
                "a model name, one of {} (or cas-register)",
                names.join(", ")
            )
        }
        fn visit_str<E: serde::de::Error>(self, name: &str) -> Result<ModelKind, E> {
            name.parse().map_err(E::custom)
        }
    }
    deserializer.deserialize_str(Name)
}

fn op_error(i: usize, message: impl std::fmt::Display) -> ParseError {
    ParseError {
        line: None,
        message: format!("ops[{i}]: {message}"),
    }
}

fn text(i: usize, s: &Scalar, what: &str) -> Result<String, ParseError> {
    match s {
        Scalar::Str(s) => Ok(s.clone()),
        _ => Err(op_error(i, format!("expected a string {what} for kv"))),
    }
}

fn number(i: usize, s: &Scalar, what: &str) -> Result<i64, ParseError> {
    match s {
        Scalar::Int(n) => Ok(*n),
        _ => Err(op_error(i, format!("expected an integer {what}"))),
    }
}

fn kv_op(i: usize, op: OpJson) -> Result<Operation<KvInput, KvOutput>, ParseError> {
    let input = match op.op {
        CallJson::Get { key } => KvInput::Get { key },
        CallJson::Put { key, value } => KvInput::Put { key, value },
        CallJson::Append { key, value } => KvInput::Append { key, value },
        CallJson::Cas {
            key: Some(key),
            expected,
            new,
        } => KvInput::Cas {
            key,
            expected: text(i, &expected, "expected")?,
            new: text(i, &new, "new")?,
        },
        CallJson::Cas { key: None, .. } => return Err(op_error(i, "expected a key for kv cas")),
        _ => return Err(op_error(i, "expected f get, put, append or cas for kv")),
    };
    let output = match (&input, op.result) {
        (_, None) => None,
        (KvInput::Get { .. }, Some(ResultJson::Value(ValueJson { value: Some(v) }))) => {
            Some(KvOutput::Value(text(i, &v, "value")?))
        }
        (KvInput::Cas { .. }, Some(ResultJson::Ok(OkJson { ok }))) => Some(KvOutput::Cas(ok)),
        (
            KvInput::Put { .. } | KvInput::Append { .. },
            Some(ResultJson::Ok(OkJson { ok: true })),
        ) => Some(KvOutput::Ok),
        _ => return Err(op_error(i, format!("result does not fit {input}"))),
    };
    finish(i, op.client, op.invoke_ns, op.complete_ns, input, output)
}

fn register_op(
    i: usize,
    op: OpJson,
) -> Result<Operation<RegisterInput, RegisterOutput>, ParseError> {
    let input = match op.op {
        CallJson::Read => RegisterInput::Read,
        CallJson::Write { value } => RegisterInput::Write(value),
        CallJson::Cas {
            key: None,
            expected,
            new,
        } => RegisterInput::Cas {
            expected: number(i, &expected, "expected")?,
            new: number(i, &new, "new")?,
        },
        _ => {
            return Err(op_error(
                i,
                "expected f read, write or cas (no key) for register",
            ))
        }
    };
    let output = match (&input, op.result) {
        (_, None) => None,
        (RegisterInput::Read, Some(ResultJson::Value(ValueJson { value }))) => Some(
            RegisterOutput::Value(value.map(|v| number(i, &v, "value")).transpose()?),
        ),
        (RegisterInput::Cas { .. }, Some(ResultJson::Ok(OkJson { ok }))) => {
            Some(RegisterOutput::Cas(ok))
        }
        (RegisterInput::Write(_), Some(ResultJson::Ok(OkJson { ok: true }))) => {
            Some(RegisterOutput::Ok)
        }
        _ => return Err(op_error(i, format!("result does not fit {input}"))),
    };
    finish(i, op.client, op.invoke_ns, op.complete_ns, input, output)
}

fn set_op(i: usize, op: OpJson) -> Result<Operation<SetInput, SetOutput>, ParseError> {
    let input = match op.op {
        CallJson::Add { value } => SetInput::Add(value),
        CallJson::Read => SetInput::Read,
        _ => return Err(op_error(i, "expected f add or read for set")),
    };
    let output = match (&input, op.result) {
        (_, None) => None,
        (SetInput::Add(_), Some(ResultJson::Ok(OkJson { ok: true }))) => Some(SetOutput::Ok),
        (
            SetInput::Read,
            Some(ResultJson::Value(ValueJson {
                value: Some(Scalar::List(items)),
            })),
        ) => Some(SetOutput::Values(items.into_iter().collect())),
        _ => return Err(op_error(i, format!("result does not fit {input}"))),
    };
    finish(i, op.client, op.invoke_ns, op.complete_ns, input, output)
}

fn queue_op(i: usize, op: OpJson) -> Result<Operation<QueueInput, QueueOutput>, ParseError> {
    let input = match op.op {
        CallJson::Enqueue { value } => QueueInput::Enqueue(value),
        CallJson::Dequeue => QueueInput::Dequeue,
        _ => return Err(op_error(i, "expected f enqueue or dequeue for a queue")),
    };
    let output = match (&input, op.result) {
        (_, None) => None,
        (QueueInput::Enqueue(_), Some(ResultJson::Ok(OkJson { ok: true }))) => {
            Some(QueueOutput::Ok)
        }
        (QueueInput::Dequeue, Some(ResultJson::Value(ValueJson { value: Some(v) }))) => {
            Some(QueueOutput::Value(number(i, &v, "value")?))
        }
        _ => return Err(op_error(i, format!("result does not fit {input}"))),
    };
    finish(i, op.client, op.invoke_ns, op.complete_ns, input, output)
}

fn mutex_op(i: usize, op: OpJson) -> Result<Operation<MutexInput, MutexOutput>, ParseError> {
    let input = match op.op {
        CallJson::Acquire => MutexInput::Acquire,
        CallJson::Release => MutexInput::Release,
        _ => return Err(op_error(i, "expected f acquire or release for mutex")),
    };
    let output = match op.result {
        None => None,
        Some(ResultJson::Ok(OkJson { ok: true })) => Some(MutexOutput),
        Some(_) => return Err(op_error(i, format!("result does not fit {input}"))),
    };
    finish(i, op.client, op.invoke_ns, op.complete_ns, input, output)
}

fn finish<I, O>(
    i: usize,
    client: u64,
    invoke: u64,
    complete: Option<u64>,
    input: I,
    output: Option<O>,
) -> Result<Operation<I, O>, ParseError> {
    if complete.is_some_and(|c| c < invoke) {
        return Err(op_error(i, "expected complete_ns >= invoke_ns"));
    }
    if complete.is_none() && output.is_some() {
        return Err(op_error(i, "expected result null when complete_ns is null"));
    }
    Ok(Operation {
        client,
        invoke,
        complete,
        input,
        output,
    })
}

/// Refuses text whose arrays and objects nest deeper than [`MAX_NESTING`], naming the
/// line, before serde sees it.
fn check_nesting(text: &str) -> Result<(), ParseError> {
    let (mut depth, mut line, mut in_string, mut escaped) = (0usize, 1usize, false, false);
    for b in text.bytes() {
        match b {
            b'\n' => line += 1,
            _ if in_string => {
                (in_string, escaped) = match (escaped, b) {
                    (true, _) => (true, false),
                    (false, b'\\') => (true, true),
                    (false, b'"') => (false, false),
                    _ => (true, false),
                };
            }
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Err(ParseError::at(
                        line,
                        format!("nesting deeper than {MAX_NESTING} levels (the limit for history files)"),
                    ));
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// Deserializes the file object, naming the field path of an error (`ops[0].invoke_ns`).
fn deserialize(text: &str) -> Result<FileJson, ParseError> {
    if text.trim_start().starts_with('[') {
        return Err(ParseError::at(
            1,
            "expected a JSON object {\"model\": ..., \"ops\": [...]} at the top level, \
             found a JSON array (wrap the operations in that object)",
        ));
    }
    let mut deserializer = serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        let what = if path == "." {
            "expected a faultline history {\"model\", \"ops\"}".to_owned()
        } else {
            path
        };
        // The tag `f` given as a number, null, ...: serde names its own identifier type.
        let message = inner
            .to_string()
            .replace(
                "expected variant identifier",
                &format!("expected an operation name, one of {OPERATIONS}"),
            )
            .replace(
                "invalid type: sequence, expected",
                "found an array, expected",
            );
        ParseError {
            line: Some(inner.line()),
            message: format!("{what}: {message}"),
        }
    })
}

fn convert<I, O>(
    ops: Vec<OpJson>,
    one: impl Fn(usize, OpJson) -> Result<Operation<I, O>, ParseError>,
) -> Result<History<I, O>, ParseError> {
    Ok(History {
        ops: ops
            .into_iter()
            .enumerate()
            .map(|(i, op)| one(i, op))
            .collect::<Result<_, _>>()?,
    })
}

/// Parses a faultline JSON history; `model`, when given, must match the file's.
pub fn parse(text: &str, model: Option<ModelKind>) -> Result<AnyHistory, ParseError> {
    check_nesting(text)?;
    let file = deserialize(text)?;
    if let Some(wanted) = model.filter(|&m| m != file.model) {
        return Err(ParseError {
            line: None,
            message: format!("the file holds a {} history, not {wanted}", file.model),
        });
    }
    let ops = file.ops;
    Ok(match file.model {
        ModelKind::Kv => AnyHistory::Kv(convert(ops, kv_op)?),
        ModelKind::Register => AnyHistory::Register(convert(ops, register_op)?),
        ModelKind::Set => AnyHistory::Set(convert(ops, set_op)?),
        ModelKind::FifoQueue => AnyHistory::FifoQueue(convert(ops, queue_op)?),
        ModelKind::UnorderedQueue => AnyHistory::UnorderedQueue(convert(ops, queue_op)?),
        ModelKind::Mutex => AnyHistory::Mutex(convert(ops, mutex_op)?),
    })
}

fn kv_json(op: &Operation<KvInput, KvOutput>) -> OpJson {
    let call = match &op.input {
        KvInput::Get { key } => CallJson::Get { key: key.clone() },
        KvInput::Put { key, value } => CallJson::Put {
            key: key.clone(),
            value: value.clone(),
        },
        KvInput::Append { key, value } => CallJson::Append {
            key: key.clone(),
            value: value.clone(),
        },
        KvInput::Cas { key, expected, new } => CallJson::Cas {
            key: Some(key.clone()),
            expected: Scalar::Str(expected.clone()),
            new: Scalar::Str(new.clone()),
        },
    };
    let result = op.output.as_ref().map(|out| match out {
        KvOutput::Value(v) => ResultJson::Value(ValueJson {
            value: Some(Scalar::Str(v.clone())),
        }),
        KvOutput::Ok => ResultJson::Ok(OkJson { ok: true }),
        KvOutput::Cas(ok) => ResultJson::Ok(OkJson { ok: *ok }),
    });
    op_json(op, call, result)
}

fn register_json(op: &Operation<RegisterInput, RegisterOutput>) -> OpJson {
    let call = match op.input {
        RegisterInput::Read => CallJson::Read,
        RegisterInput::Write(value) => CallJson::Write { value },
        RegisterInput::Cas { expected, new } => CallJson::Cas {
            key: None,
            expected: Scalar::Int(expected),
            new: Scalar::Int(new),
        },
    };
    let result = op.output.as_ref().map(|out| match out {
        RegisterOutput::Value(v) => ResultJson::Value(ValueJson {
            value: v.map(Scalar::Int),
        }),
        RegisterOutput::Ok => ResultJson::Ok(OkJson { ok: true }),
        RegisterOutput::Cas(ok) => ResultJson::Ok(OkJson { ok: *ok }),
    });
    op_json(op, call, result)
}

fn set_json(op: &Operation<SetInput, SetOutput>) -> OpJson {
    let call = match op.input {
        SetInput::Add(value) => CallJson::Add { value },
        SetInput::Read => CallJson::Read,
    };
    let result = op.output.as_ref().map(|out| match out {
        SetOutput::Ok => ResultJson::Ok(OkJson { ok: true }),
        SetOutput::Values(items) => ResultJson::Value(ValueJson {
            value: Some(Scalar::List(items.iter().copied().collect())),
        }),
    });
    op_json(op, call, result)
}

fn queue_json(op: &Operation<QueueInput, QueueOutput>) -> OpJson {
    let call = match op.input {
        QueueInput::Enqueue(value) => CallJson::Enqueue { value },
        QueueInput::Dequeue => CallJson::Dequeue,
    };
    let result = op.output.as_ref().map(|out| match out {
        QueueOutput::Ok => ResultJson::Ok(OkJson { ok: true }),
        QueueOutput::Value(v) => ResultJson::Value(ValueJson {
            value: Some(Scalar::Int(*v)),
        }),
    });
    op_json(op, call, result)
}

fn mutex_json(op: &Operation<MutexInput, MutexOutput>) -> OpJson {
    let call = match op.input {
        MutexInput::Acquire => CallJson::Acquire,
        MutexInput::Release => CallJson::Release,
    };
    let result = op
        .output
        .map(|MutexOutput| ResultJson::Ok(OkJson { ok: true }));
    op_json(op, call, result)
}

fn op_json<I, O>(op: &Operation<I, O>, call: CallJson, result: Option<ResultJson>) -> OpJson {
    OpJson {
        client: op.client,
        invoke_ns: op.invoke,
        complete_ns: op.complete,
        op: call,
        result,
    }
}

/// Writes a history in this format, one operation per line.
pub fn to_json(history: &AnyHistory) -> String {
    let ops: Vec<OpJson> = match history {
        AnyHistory::Kv(h) => h.ops.iter().map(kv_json).collect(),
        AnyHistory::Register(h) => h.ops.iter().map(register_json).collect(),
        AnyHistory::Set(h) => h.ops.iter().map(set_json).collect(),
        AnyHistory::FifoQueue(h) | AnyHistory::UnorderedQueue(h) => {
            h.ops.iter().map(queue_json).collect()
        }
        AnyHistory::Mutex(h) => h.ops.iter().map(mutex_json).collect(),
    };
    let mut out = format!("{{\"model\": \"{}\", \"ops\": [\n", history.model());
    for (i, op) in ops.iter().enumerate() {
        let line = serde_json::to_string(op).unwrap_or_default();
        out.push_str(&line);
        out.push_str(if i + 1 < ops.len() { ",\n" } else { "\n" });
    }
    out.push_str("]}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const KV: &str = r#"{"model": "kv", "ops": [
{"client": 0, "invoke_ns": 100, "complete_ns": 250, "op": {"f": "put", "key": "k", "value": "v"}, "result": {"ok": true}},
{"client": 1, "invoke_ns": 120, "complete_ns": 300, "op": {"f": "get", "key": "k"}, "result": {"value": "v"}},
{"client": 2, "invoke_ns": 130, "complete_ns": null, "op": {"f": "append", "key": "k", "value": "x"}, "result": null},
{"client": 3, "invoke_ns": 140, "complete_ns": 150, "op": {"f": "cas", "key": "k", "expected": "a", "new": "b"}, "result": {"ok": false}}
]}"#;

    #[test]
    fn reads_the_documented_kv_example() {
        let AnyHistory::Kv(h) = parse(KV, None).unwrap() else {
            panic!("not kv")
        };
        assert_eq!(h.len(), 4);
        assert_eq!(h.ops[1].output, Some(KvOutput::Value("v".into())));
        assert_eq!(h.ops[2].complete, None);
        assert_eq!(h.ops[3].output, Some(KvOutput::Cas(false)));
        assert_eq!((h.ops[0].invoke, h.ops[0].complete), (100, Some(250)));
    }

    #[test]
    fn round_trips_both_models() {
        let kv = parse(KV, None).unwrap();
        assert_eq!(parse(&to_json(&kv), None).unwrap(), kv);
        let mut reg = History::new();
        reg.push_complete(0, 1, 2, RegisterInput::Write(3), RegisterOutput::Ok);
        reg.push_complete(1, 1, 5, RegisterInput::Read, RegisterOutput::Value(None));
        reg.push_complete(
            2,
            3,
            4,
            RegisterInput::Cas {
                expected: 3,
                new: 4,
            },
            RegisterOutput::Cas(true),
        );
        reg.push_indeterminate(3, 6, RegisterInput::Read);
        let reg = AnyHistory::Register(reg);
        let text = to_json(&reg);
        assert_eq!(text.lines().count(), 6, "{text}");
        assert_eq!(parse(&text, None).unwrap(), reg);
    }

    #[test]
    fn a_syntax_error_names_its_line_and_an_unknown_model_the_known_ones() {
        let syntax = parse(
            "{\"model\": \"kv\",\n \"ops\": [\n {\"client\": 0,}]}",
            None,
        )
        .unwrap_err();
        assert_eq!(syntax.line, Some(3));
        let unknown_model = parse(r#"{"model": "queue", "ops": []}"#, None).unwrap_err();
        assert!(
            unknown_model
                .message
                .contains("unknown model \"queue\", expected one of kv"),
            "{unknown_model}"
        );
    }

    #[test]
    fn an_operation_that_does_not_fit_its_model_is_named_with_what_was_expected() {
        let cases = [
            (
                r#"{"f":"write","value":1}"#,
                r#"{"ok":true}"#,
                "kv",
                "expected f get",
            ),
            (
                r#"{"f":"get","key":"k"}"#,
                r#"{"ok":true}"#,
                "kv",
                "does not fit",
            ),
            (
                r#"{"f":"cas","expected":1,"new":2}"#,
                "null",
                "kv",
                "expected a key",
            ),
            (
                r#"{"f":"cas","key":"k","expected":1,"new":"2"}"#,
                "null",
                "kv",
                "string expected",
            ),
            (
                r#"{"f":"get","key":"k"}"#,
                "null",
                "register",
                "expected f read",
            ),
            (
                r#"{"f":"read"}"#,
                r#"{"value":"x"}"#,
                "register",
                "integer value",
            ),
            (
                r#"{"f":"write","value":1}"#,
                r#"{"ok":false}"#,
                "register",
                "does not fit",
            ),
        ];
        for (op, result, model, needle) in cases {
            let text = format!(
                r#"{{"model":"{model}","ops":[{{"client":0,"invoke_ns":1,"complete_ns":2,"op":{op},"result":{result}}}]}}"#
            );
            let err = parse(&text, None).unwrap_err();
            assert!(err.message.starts_with("ops[0]: "), "{err}");
            assert!(err.message.contains(needle), "{op} {result}: {err}");
        }
    }

    #[test]
    fn a_return_before_its_call_and_a_model_mismatch_are_named() {
        let backwards = r#"{"model":"register","ops":[{"client":0,"invoke_ns":5,"complete_ns":2,"op":{"f":"read"}}]}"#;
        assert!(parse(backwards, None)
            .unwrap_err()
            .message
            .contains(">= invoke_ns"));
        let mismatch = parse(KV, Some(ModelKind::Register)).unwrap_err();
        assert!(mismatch.message.contains("kv history, not register"));
    }

    #[test]
    fn a_wrong_type_names_what_was_expected_and_no_rust_type() {
        let op = |op: &str, result: &str| {
            let text = format!(
                r#"{{"model": "kv", "ops": [{{"client": 0, "invoke_ns": 1, "complete_ns": 2, "op": {op}, "result": {result}}}]}}"#
            );
            parse(&text, None).unwrap_err().message
        };
        let ok = r#"{"ok": true}"#;
        for (wrong, expected) in [
            (
                op(r#"{"f": 7, "key": "k"}"#, ok),
                "ops[0].op.f: invalid type: integer `7`, expected an operation name, one of get, put",
            ),
            (
                op("7", ok),
                r#"ops[0].op: invalid type: integer `7`, expected an operation object {"f": NAME"#,
            ),
            (
                op(r#"{"f": "cas", "key": "k", "expected": null, "new": "w"}"#, ok),
                "ops[0].op: expected an integer, a string or a list of integers",
            ),
            (
                parse(r#"{"model": "kv", "ops": [7]}"#, None)
                    .unwrap_err()
                    .message,
                r#"ops[0]: invalid type: integer `7`, expected an operation record {"client""#,
            ),
            (
                op(r#"{"f": "get", "key": "k"}"#, "7"),
                r#"ops[0].result: expected a result: null (no answer), {"ok": true or false}"#,
            ),
        ] {
            assert!(wrong.contains(expected), "{wrong}");
            assert!(!wrong.contains("Json"), "a Rust type named: {wrong}");
        }
        for (model, found) in [
            ("7", "invalid type: integer `7`"),
            ("null", "invalid type: null"),
            ("[]", "found an array"),
        ] {
            let error = parse(&format!(r#"{{"model": {model}, "ops": []}}"#), None).unwrap_err();
            assert!(
                error.message.contains(&format!(
                    "model: {found}, expected a model name, one of kv, register"
                )),
                "{error}"
            );
        }
        let record = r#"{"model": "kv", "ops": [[0, 1, 2, {"f": "get", "key": "k"}, null]]}"#;
        assert!(
            parse(record, None)
                .unwrap_err()
                .message
                .contains(r#"ops[0]: found an array, expected an operation record {"client""#),
            "an operation record given as an array of its fields"
        );
        let call = r#"{"model": "kv", "ops": [{"client": 0, "invoke_ns": 1, "op": ["get", "k"]}]}"#;
        assert!(
            parse(call, None)
                .unwrap_err()
                .message
                .contains(r#"ops[0].op: found an array, expected an operation object {"f": NAME"#),
            "an operation given as an array, its name first"
        );
    }

    #[test]
    fn errors_name_the_field_path_and_a_bare_array_is_refused_as_json() {
        let negative = r#"{"model": "kv", "ops": [{"client": 0, "invoke_ns": -100, "complete_ns": 250, "op": {"f": "get", "key": "k"}}]}"#;
        let err = parse(negative, None).unwrap_err();
        assert!(err.message.starts_with("ops[0].invoke_ns: "), "{err}");
        let no_ops = parse(r#"{"model": "kv"}"#, None).unwrap_err();
        assert!(no_ops.message.contains("missing field `ops`"), "{no_ops}");
        let array = parse(r#"[{"client": 0}]"#, None).unwrap_err();
        assert_eq!(array.line, Some(1));
        assert!(array.message.contains("found a JSON array"), "{array}");
    }

    #[test]
    fn new_models_round_trip() {
        let text = r#"{"model": "set", "ops": [
{"client":0,"invoke_ns":1,"complete_ns":2,"op":{"f":"add","value":1},"result":{"ok":true}},
{"client":1,"invoke_ns":1,"complete_ns":null,"op":{"f":"add","value":2}},
{"client":2,"invoke_ns":3,"complete_ns":4,"op":{"f":"read"},"result":{"value":[1,2]}}
]}"#;
        let set = parse(text, None).unwrap();
        assert_eq!(parse(&to_json(&set), None).unwrap(), set);
        for model in ["fifo-queue", "unordered-queue"] {
            let text = format!(
                r#"{{"model": "{model}", "ops": [
{{"client":0,"invoke_ns":1,"complete_ns":2,"op":{{"f":"enqueue","value":1}},"result":{{"ok":true}}}},
{{"client":2,"invoke_ns":3,"complete_ns":4,"op":{{"f":"dequeue"}},"result":{{"value":1}}}}
]}}"#
            );
            let queue = parse(&text, None).unwrap();
            assert_eq!(queue.model().name(), model);
            assert_eq!(parse(&to_json(&queue), None).unwrap(), queue);
        }
        let text = r#"{"model": "mutex", "ops": [
{"client":0,"invoke_ns":1,"complete_ns":2,"op":{"f":"acquire"},"result":{"ok":true}},
{"client":0,"invoke_ns":3,"complete_ns":null,"op":{"f":"release"}}
]}"#;
        let mutex = parse(text, None).unwrap();
        assert_eq!(parse(&to_json(&mutex), None).unwrap(), mutex);
        let bad = text.replace(r#"{"ok":true}"#, r#"{"value":1}"#);
        assert!(parse(&bad, None)
            .unwrap_err()
            .message
            .contains("does not fit acquire"));
    }

    #[test]
    fn deep_nesting_is_refused_naming_the_limit_and_line() {
        let deep = format!(
            "{{\"model\": \"kv\",\n\"ops\": {}{}}}",
            "[".repeat(20_000),
            "]".repeat(20_000)
        );
        let err = parse(&deep, None).unwrap_err();
        assert_eq!(err.line, Some(2));
        assert!(
            err.message
                .contains(&format!("nesting deeper than {MAX_NESTING} levels")),
            "{err}"
        );
        let brackets_in_strings = format!(
            r#"{{"model":"kv","ops":[{{"client":0,"invoke_ns":1,"complete_ns":2,"op":{{"f":"put","key":"\"{}","value":"v"}},"result":{{"ok":true}}}}]}}"#,
            "[".repeat(500)
        );
        assert_eq!(parse(&brackets_in_strings, None).unwrap().len(), 1);
    }
}

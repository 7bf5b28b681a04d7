//! The set, FIFO queue, unordered queue and mutex models (and register and kv beside
//! them): hand-built histories in Jepsen EDN and faultline JSON with known verdicts, and
//! generated ones, a simulated atomic object's history (linearizable) against the same
//! history perturbed with a result no execution can give (not linearizable).

mod support;

use faultline_check::formats::{parse_history, ModelKind};
use faultline_check::{
    check, CheckOptions, FifoQueueModel, KvModel, MutexModel, RegisterModel, SetModel,
    UnorderedQueueModel,
};
use support::{Atomic, Stream};

/// Parses `text` for `model` (given as on the command line) and checks it.
fn verdict(text: &str, model: Option<&str>) -> Option<bool> {
    let model = model.map(|m| m.parse::<ModelKind>().expect("known model"));
    let history = parse_history(text, None, model).unwrap_or_else(|e| panic!("{e}\n{text}"));
    history.check(&CheckOptions::default()).linearizable()
}

/// An EDN history from `(process, type, f, value)` events, one map per line.
fn edn(events: &[(u64, &str, &str, &str)]) -> String {
    events
        .iter()
        .map(|(p, t, f, v)| format!("{{:process {p}, :type :{t}, :f :{f}, :value {v}}}\n"))
        .collect()
}

#[test]
fn set_histories_as_jepsen_writes_them() {
    let ok = edn(&[
        (0, "invoke", "add", "1"),
        (1, "invoke", "read", "nil"),
        (0, "ok", "add", "1"),
        (1, "ok", "read", "#{1}"),
        (2, "invoke", "add", "2"),
        (2, "info", "add", "2"),
        (0, "invoke", "read", "nil"),
        (0, "ok", "read", "#{1 2}"),
    ]);
    assert_eq!(verdict(&ok, None), Some(true), "model inferred from :add");
    assert_eq!(verdict(&ok, Some("set")), Some(true));
    // The add of 1 completed before the read began: the read must see it.
    let lost = edn(&[
        (0, "invoke", "add", "1"),
        (0, "ok", "add", "1"),
        (1, "invoke", "read", "nil"),
        (1, "ok", "read", "#{}"),
    ]);
    assert_eq!(verdict(&lost, Some("set")), Some(false));
    // A read that saw 2 and a later one that did not.
    let flicker = edn(&[
        (0, "invoke", "add", "2"),
        (1, "invoke", "read", "nil"),
        (1, "ok", "read", "[2]"),
        (1, "invoke", "read", "nil"),
        (1, "ok", "read", "#{}"),
        (0, "ok", "add", "2"),
    ]);
    assert_eq!(verdict(&flicker, Some("set")), Some(false));
}

#[test]
fn queue_histories_as_jepsen_writes_them() {
    // Two enqueues in order, dequeued in the other order.
    let swapped = edn(&[
        (0, "invoke", "enqueue", "1"),
        (0, "ok", "enqueue", "1"),
        (0, "invoke", "enqueue", "2"),
        (0, "ok", "enqueue", "2"),
        (1, "invoke", "dequeue", "nil"),
        (1, "ok", "dequeue", "2"),
        (1, "invoke", "dequeue", "nil"),
        (1, "ok", "dequeue", "1"),
        (2, "invoke", "dequeue", "nil"),
        (2, "fail", "dequeue", "nil"),
    ]);
    assert_eq!(verdict(&swapped, Some("fifo-queue")), Some(false));
    assert_eq!(verdict(&swapped, Some("unordered-queue")), Some(true));
    // One element dequeued twice.
    let twice = edn(&[
        (0, "invoke", "enqueue", "1"),
        (0, "ok", "enqueue", "1"),
        (1, "invoke", "dequeue", "nil"),
        (2, "invoke", "dequeue", "nil"),
        (1, "ok", "dequeue", "1"),
        (2, "ok", "dequeue", "1"),
    ]);
    assert_eq!(verdict(&twice, Some("fifo-queue")), Some(false));
    assert_eq!(verdict(&twice, Some("unordered-queue")), Some(false));
    // Concurrent enqueues may be dequeued in either order; an :info enqueue may land.
    let overlap = edn(&[
        (0, "invoke", "enqueue", "1"),
        (1, "invoke", "enqueue", "2"),
        (0, "ok", "enqueue", "1"),
        (1, "ok", "enqueue", "2"),
        (3, "invoke", "enqueue", "3"),
        (3, "info", "enqueue", "3"),
        (2, "invoke", "dequeue", "nil"),
        (2, "ok", "dequeue", "2"),
        (2, "invoke", "dequeue", "nil"),
        (2, "ok", "dequeue", "3"),
    ]);
    assert_eq!(
        verdict(&overlap, Some("fifo-queue")),
        Some(false),
        "1 is before 3"
    );
    let either = edn(&[
        (0, "invoke", "enqueue", "1"),
        (1, "invoke", "enqueue", "2"),
        (0, "ok", "enqueue", "1"),
        (1, "ok", "enqueue", "2"),
        (2, "invoke", "dequeue", "nil"),
        (2, "ok", "dequeue", "2"),
        (2, "invoke", "dequeue", "nil"),
        (2, "ok", "dequeue", "1"),
    ]);
    assert_eq!(verdict(&either, Some("fifo-queue")), Some(true));
    assert_eq!(verdict(&overlap, Some("unordered-queue")), Some(true));
    let err = parse_history(&overlap, None, None).unwrap_err();
    assert!(err.message.contains("--model fifo-queue"), "{err}");
}

#[test]
fn mutex_histories_as_jepsen_writes_them() {
    let ok = edn(&[
        (0, "invoke", "acquire", "nil"),
        (1, "invoke", "acquire", "nil"),
        (0, "ok", "acquire", "nil"),
        (1, "fail", "acquire", "nil"),
        (0, "invoke", "release", "nil"),
        (0, "ok", "release", "nil"),
        (1, "invoke", "acquire", "nil"),
        (1, "ok", "acquire", "nil"),
    ]);
    assert_eq!(
        verdict(&ok, None),
        Some(true),
        "model inferred from :acquire"
    );
    let both = edn(&[
        (0, "invoke", "acquire", "nil"),
        (0, "ok", "acquire", "nil"),
        (1, "invoke", "acquire", "nil"),
        (1, "ok", "acquire", "nil"),
    ]);
    assert_eq!(verdict(&both, Some("mutex")), Some(false));
    // An :info release may have freed the lock.
    let mut freed = both.clone();
    freed.insert_str(
        freed.find("{:process 1").unwrap(),
        &edn(&[
            (0, "invoke", "release", "nil"),
            (0, "info", "release", "nil"),
        ]),
    );
    assert_eq!(verdict(&freed, Some("mutex")), Some(true));
}

#[test]
fn json_histories_of_every_new_model() {
    let op = |client: u64, at: u64, op: &str, result: &str| {
        format!(
            r#"{{"client": {client}, "invoke_ns": {at}, "complete_ns": {}, "op": {op}, "result": {result}}}"#,
            at + 5
        )
    };
    let file = |model: &str, ops: &[String]| {
        format!(r#"{{"model": "{model}", "ops": [{}]}}"#, ops.join(",\n"))
    };
    let set = file(
        "set",
        &[
            op(0, 0, r#"{"f": "add", "value": 3}"#, r#"{"ok": true}"#),
            op(1, 10, r#"{"f": "read"}"#, r#"{"value": [3]}"#),
        ],
    );
    assert_eq!(verdict(&set, None), Some(true));
    assert_eq!(verdict(&set.replace("[3]", "[]"), None), Some(false));
    let queue = |model: &str, first: i64| {
        file(
            model,
            &[
                op(0, 0, r#"{"f": "enqueue", "value": 1}"#, r#"{"ok": true}"#),
                op(0, 10, r#"{"f": "enqueue", "value": 2}"#, r#"{"ok": true}"#),
                op(
                    1,
                    20,
                    r#"{"f": "dequeue"}"#,
                    &format!(r#"{{"value": {first}}}"#),
                ),
            ],
        )
    };
    assert_eq!(verdict(&queue("fifo-queue", 1), None), Some(true));
    assert_eq!(verdict(&queue("fifo-queue", 2), None), Some(false));
    assert_eq!(verdict(&queue("unordered-queue", 2), None), Some(true));
    assert_eq!(verdict(&queue("unordered-queue", 3), None), Some(false));
    let mutex = file(
        "mutex",
        &[
            op(0, 0, r#"{"f": "acquire"}"#, r#"{"ok": true}"#),
            op(1, 10, r#"{"f": "release"}"#, r#"{"ok": true}"#),
            op(1, 20, r#"{"f": "release"}"#, r#"{"ok": true}"#),
        ],
    );
    assert_eq!(verdict(&mutex, None), Some(false));
    let cas_register = file(
        "cas-register",
        &[op(0, 0, r#"{"f": "read"}"#, r#"{"value": null}"#)],
    );
    assert_eq!(verdict(&cas_register, None), Some(true));
    let wrong_f = parse_history(
        &file(
            "set",
            &[op(0, 0, r#"{"f": "enqueue", "value": 1}"#, "null")],
        ),
        None,
        None,
    );
    assert!(wrong_f
        .unwrap_err()
        .message
        .contains("ops[0]: expected f add or read"));
}

/// 300 generated histories of up to 40 operations: the atomic object's passes, the same
/// history with one impossible result fails.
fn generated<M: Atomic>(model: M) {
    let mut rng = Stream(7);
    for case in 0..300 {
        let n = 1 + rng.below(40) as usize;
        let mut history = support::execute(&model, &rng.raws(n));
        let options = CheckOptions::default();
        let got = check(&model, &history, &options).linearizable();
        assert_eq!(got, Some(true), "{} case {case}: {history:?}", M::NAME);
        model.refute(&mut history, rng.below(1000) as usize);
        let got = check(&model, &history, &options).linearizable();
        assert_eq!(
            got,
            Some(false),
            "{} case {case} perturbed: {history:?}",
            M::NAME
        );
    }
}

#[test]
fn generated_set_histories() {
    generated(SetModel);
}

#[test]
fn generated_fifo_queue_histories() {
    generated(FifoQueueModel);
}

#[test]
fn generated_unordered_queue_histories() {
    generated(UnorderedQueueModel);
}

#[test]
fn generated_mutex_histories() {
    generated(MutexModel);
}

#[test]
fn generated_register_and_kv_histories() {
    generated(RegisterModel);
    generated(KvModel);
}

//! Every reader of a user's file never panics: the scenario and template readers give a scenario
//! (or template) or a clear error naming the file and, for a field, what was expected, and every
//! accepted template expands to valid scenarios; the history readers (faultline JSON, Jepsen EDN,
//! Porcupine etcd logs, in `faultline-check`) give a history or an error that says what is wrong,
//! at any nesting depth.
//!
//! `PROPTEST_CASES` sets the cases per property (default 3,000, what CI runs); the documented
//! deep run (1,000,000 cases per property; see README, "Parser fuzzing") is
//! `PROPTEST_CASES=1000000 nice -n 19 cargo test --release -p faultline-harness --test parser_fuzz`.

use faultline_check::formats::{parse_history, Format, ModelKind};
use faultline_harness::fuzz;
use faultline_harness::scenario::{self, ScenarioError};
use proptest::prelude::*;
use serde_json::{json, Value};
use std::path::Path;

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3000)
}

fn valid_scenario() -> Value {
    json!({
        "version": 1, "name": "fuzzed", "seed": 3, "duration": "5s",
        "protocol": { "heartbeat": { "interval": "50ms", "timeout": "400ms" } },
        "cluster": { "nodes": 4, "clock_skew": [0.9, 1.1], "zones": { "a": [1, 2], "b": [3] } },
        "network": { "latency": ["1ms", "9ms"], "drop": 0.1, "links": [{ "from": "a", "to": "b", "link": { "drop": 0.2 } }] },
        "faults": [
            { "at": "1s", "partition": [[1], [2, 3]] },
            { "at": "2s", "cut": { "from": [1], "to": [4] } },
            { "at": "3s", "heal": "all" },
            { "at": "4s", "clock": { "node": 2, "rate": 1.01 } }
        ],
        "expect": { "live_nodes_connected": true }
    })
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        prop_oneof![
            "[a-z]{0,8}",
            "[0-9]{1,4}(ns|us|ms|s|m|h|)",
            Just("all".to_string()),
            Just("1.5s".to_string())
        ]
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::btree_map("[a-z_]{1,10}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Every path in a JSON value, so a mutation can hit any field.
fn paths(value: &Value, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    out.push(prefix.clone());
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                prefix.push(key.clone());
                paths(child, prefix, out);
                prefix.pop();
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                prefix.push(index.to_string());
                paths(child, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

fn replace_at(value: &mut Value, path: &[String], replacement: Value) {
    let mut cursor = value;
    for step in path {
        cursor = match cursor {
            Value::Object(map) => map.get_mut(step).expect("path exists"),
            Value::Array(items) => &mut items[step.parse::<usize>().expect("index")],
            _ => unreachable!("paths only descend into containers"),
        };
    }
    *cursor = replacement;
}

fn valid_template() -> Value {
    let mut value = valid_scenario();
    value["fuzz"] = json!({
        "max_faults": 4,
        "kinds": { "partition": 1, "one_way": 1, "crash": 1, "pause": 1, "loss": 0.5, "latency": 0.5, "clock": 0.5, "storm": 0.2 },
        "fault_duration": ["100ms", "1s"],
        "pause_duration": ["50ms", "300ms"],
        "quiet_tail": "1s",
        "max_crashed": 1,
        "loss": [0.1, 0.5],
        "clock_rate": [0.9, 1.1],
        "vary": {
            "/cluster/nodes": [4, 5, 6],
            "/network/drop": [0.0, 0.05],
            "/protocol/heartbeat": [{ "interval": "40ms" }, { "timeout": "500ms" }]
        }
    });
    value
}

/// An accepted template expands, for a few seeds, to scenarios the scenario reader accepts.
fn assert_expands(template: &fuzz::Template) {
    for seed in [0, 1, u64::MAX] {
        let scenario = fuzz::expand(template, seed);
        let text = serde_json::to_string(&scenario).unwrap();
        if let Err(error) = scenario::parse(&text, Path::new("expanded.json")) {
            panic!("seed {seed} expands to an invalid scenario: {error}\n{text}");
        }
    }
}

fn assert_clear_template(result: Result<fuzz::Template, ScenarioError>) {
    match result {
        Ok(template) => assert_expands(&template),
        Err(error) => assert_clear(Err(error)),
    }
}

fn assert_clear(result: Result<scenario::Scenario, ScenarioError>) {
    if let Err(error) = result {
        let text = error.to_string();
        assert!(
            text.starts_with("fuzz.json: "),
            "error must name the file: {text}"
        );
        if let ScenarioError::Field { message, .. } = &error {
            assert!(
                !message.is_empty(),
                "error must say what was expected: {text}"
            );
        }
    }
}

#[test]
fn the_base_scenario_and_template_are_valid() {
    assert!(scenario::parse(&valid_scenario().to_string(), Path::new("fuzz.json")).is_ok());
    let template = fuzz::parse_template(&valid_template().to_string(), Path::new("fuzz.json"))
        .expect("the base template is valid");
    assert_expands(&template);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let text = String::from_utf8_lossy(&bytes);
        assert_clear(scenario::parse(&text, Path::new("fuzz.json")));
    }

    #[test]
    fn arbitrary_json_never_panics(value in arb_json()) {
        assert_clear(scenario::parse(&value.to_string(), Path::new("fuzz.json")));
    }

    #[test]
    fn a_valid_scenario_with_one_field_replaced_never_panics(pick in any::<prop::sample::Index>(), replacement in arb_json()) {
        let mut value = valid_scenario();
        let mut all = Vec::new();
        paths(&value, &mut Vec::new(), &mut all);
        let path = pick.get(&all).clone();
        replace_at(&mut value, &path, replacement);
        let result = scenario::parse(&value.to_string(), Path::new("fuzz.json"));
        if let Ok(parsed) = &result {
            // Anything accepted must also build and run without panicking.
            let mut short = parsed.clone();
            short.duration = scenario::Span(std::time::Duration::from_millis(200));
            short.faults.retain(|f| f.at <= short.duration);
            let _ = faultline_harness::run(&short, faultline_harness::RunOptions::default());
        }
        assert_clear(result);
    }

    #[test]
    fn arbitrary_bytes_as_a_template_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let text = String::from_utf8_lossy(&bytes);
        assert_clear_template(fuzz::parse_template(&text, Path::new("fuzz.json")));
    }

    #[test]
    fn arbitrary_json_as_a_template_never_panics(value in arb_json()) {
        assert_clear_template(fuzz::parse_template(&value.to_string(), Path::new("fuzz.json")));
    }

    #[test]
    fn a_valid_template_with_one_field_replaced_never_panics(pick in any::<prop::sample::Index>(), replacement in arb_json()) {
        let mut value = valid_template();
        let mut all = Vec::new();
        paths(&value, &mut Vec::new(), &mut all);
        let path = pick.get(&all).clone();
        replace_at(&mut value, &path, replacement);
        assert_clear_template(fuzz::parse_template(&value.to_string(), Path::new("fuzz.json")));
    }

    #[test]
    fn a_valid_template_with_one_field_cut_short_is_a_syntax_error_at_its_position(cut in any::<prop::sample::Index>()) {
        let text = serde_json::to_string_pretty(&valid_template()).unwrap();
        let end = cut.index(text.len());
        if let Err(error) = fuzz::parse_template(&text[..end], Path::new("fuzz.json")) {
            assert!(
                matches!(error, ScenarioError::Syntax { .. }),
                "a template cut at byte {end} is a syntax error, not {error}"
            );
        }
    }
}

/// Small valid histories, one per reader and shape: faultline JSON (kv and register), Jepsen
/// EDN (a vector, and one map per line with a comment and a nemesis event), a Porcupine etcd log.
const HISTORIES: [(&str, Format); 5] = [
    (
        r#"{"model": "kv", "ops": [
{"client": 0, "invoke_ns": 100, "complete_ns": 250, "op": {"f": "put", "key": "k", "value": "v"}, "result": {"ok": true}},
{"client": 1, "invoke_ns": 120, "complete_ns": 300, "op": {"f": "get", "key": "k"}, "result": {"value": "v"}},
{"client": 2, "invoke_ns": 130, "complete_ns": null, "op": {"f": "append", "key": "k", "value": "x"}, "result": null},
{"client": 3, "invoke_ns": 140, "complete_ns": 150, "op": {"f": "cas", "key": "k", "expected": "a", "new": "b"}, "result": {"ok": false}}
]}"#,
        Format::Json,
    ),
    (
        r#"{"model": "register", "ops": [
{"client": 0, "invoke_ns": 1, "complete_ns": 2, "op": {"f": "write", "value": 3}, "result": {"ok": true}},
{"client": 1, "invoke_ns": 1, "complete_ns": 5, "op": {"f": "read"}, "result": {"value": null}},
{"client": 2, "invoke_ns": 3, "complete_ns": 4, "op": {"f": "cas", "expected": 3, "new": 4}, "result": {"ok": true}}
]}"#,
        Format::Json,
    ),
    (
        r#"[{:type :invoke, :f :write, :value 1, :process 0, :time 10}
 {:type :info, :f :start, :value nil, :process :nemesis}
 {:type :ok, :f :write, :value 1, :process 0}
 {:type :invoke, :f :cas, :value [1 2], :process 1}
 {:type :fail, :f :cas, :value [1 2], :process 1}
 {:type :invoke, :f :read, :value nil, :process 3}
 {:type :ok, :f :read, :value 1, :process 3}]"#,
        Format::Edn,
    ),
    (
        r#"; a Porcupine kv history
{:process 0, :type :invoke, :f :append, :key "0", :value "x 0 0 y"}
{:process 1, :type :invoke, :f :get, :key "0", :value nil}
{:process 0, :type :ok, :f :append, :key "0", :value "x 0 0 y"}
{:process 1, :type :ok, :f :get, :key "0", :value "x 0 0 y"}
"#,
        Format::Edn,
    ),
    (
        "INFO  jepsen.util - 0\t:invoke\t:read\tnil\n\
         INFO  jepsen.util - 2\t:invoke\t:write\t4\n\
         INFO  jepsen.util - 0\t:ok\t:read\tnil\n\
         INFO  jepsen.util - 2\t:ok\t:write\t4\n\
         INFO  jepsen.util - 1\t:invoke\t:cas\t[4 1]\n\
         INFO  jepsen.util - 1\t:fail\t:cas\t[4 1]\n",
        Format::EtcdLog,
    ),
];

/// Reads `text` as a history every way a user can ask: detected or named format, model implied
/// or named. An error must say what is wrong.
fn assert_history_clear(text: &str) {
    let formats = [
        None,
        Some(Format::Json),
        Some(Format::Edn),
        Some(Format::EtcdLog),
    ];
    let models = [None, Some(ModelKind::Kv), Some(ModelKind::Register)];
    for format in formats {
        for model in models {
            if let Err(error) = parse_history(text, format, model) {
                assert!(
                    !error.message.trim().is_empty(),
                    "an error must say what is wrong ({format:?}, {model:?})"
                );
            }
        }
    }
}

/// Text that looks like history syntax: brackets, keywords, strings, numbers, separators.
fn history_tokens() -> impl Strategy<Value = String> {
    "([\\[\\]{}()#:;,\"\\\\ \n\t]|:invoke|:ok|:fail|:info|:process|:type|:f|:value|nil|INFO  jepsen.util - |\"ops\"|\"model\"|-?[0-9]{1,20}|[a-z]{1,6}|é){0,24}"
}

#[test]
fn the_base_histories_are_valid() {
    for (text, format) in HISTORIES {
        if let Err(error) = parse_history(text, Some(format), None) {
            panic!("{format:?}: {error}\n{text}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn arbitrary_bytes_as_a_history_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        assert_history_clear(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn a_valid_history_with_a_span_replaced_never_panics(
        which in 0..HISTORIES.len(),
        start in any::<prop::sample::Index>(),
        length in 0usize..40,
        replacement in history_tokens(),
    ) {
        let text = HISTORIES[which].0;
        let start = floor_char_boundary(text, start.index(text.len() + 1));
        let end = floor_char_boundary(text, (start + length).min(text.len()));
        assert_history_clear(&format!("{}{replacement}{}", &text[..start], &text[end..]));
    }

    #[test]
    fn a_valid_history_cut_short_never_panics(which in 0..HISTORIES.len(), cut in any::<prop::sample::Index>()) {
        let text = HISTORIES[which].0;
        assert_history_clear(&text[..floor_char_boundary(text, cut.index(text.len() + 1))]);
    }

    #[test]
    fn deep_nesting_in_a_history_is_an_error_not_a_stack_overflow(
        depth in 1usize..20_000,
        opener in prop::sample::select(vec!["[", "(", "{:a ", "#{", "{\"model\": \"kv\", \"ops\": [", "{\"a\": "]),
    ) {
        let text = opener.repeat(depth);
        assert_history_clear(&text);
        if depth > 1000 {
            prop_assert!(parse_history(&text, None, None).is_err());
        }
    }
}

/// The largest char boundary of `text` at or below `index`.
fn floor_char_boundary(text: &str, mut index: usize) -> usize {
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

/// Every shipped scenario and template, and under `scenarios/fuzz` the templates, with each
/// JSON object in it (one at a time, the top level aside) replaced by the array of its values:
/// serde's derive would read a struct's fields from such an array, in order; the readers
/// refuse it instead, with the file named.
#[test]
fn no_object_of_a_shipped_file_is_read_from_the_array_of_its_values() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios");
    let mut files = Vec::new();
    for dir in std::fs::read_dir(&root).expect("scenarios/ is there") {
        let dir = dir.unwrap().path();
        if dir.is_dir() {
            files.extend(std::fs::read_dir(&dir).unwrap().map(|f| f.unwrap().path()));
        }
    }
    files.retain(|f| f.extension().is_some_and(|e| e == "json"));
    assert!(
        files.len() > 50,
        "the shipped scenarios are missing: {files:?}"
    );
    let mut tried = 0;
    for file in &files {
        let original: Value =
            serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
        let is_template = original.get("fuzz").is_some();
        let mut all = Vec::new();
        paths(&original, &mut Vec::new(), &mut all);
        for path in all.iter().filter(|p| !p.is_empty()) {
            let mut value = original.clone();
            let Some(Value::Object(map)) = path.iter().try_fold(&original, |v, step| match v {
                Value::Object(m) => m.get(step),
                Value::Array(items) => items.get(step.parse::<usize>().ok()?),
                _ => None,
            }) else {
                continue;
            };
            replace_at(
                &mut value,
                path,
                Value::Array(map.values().cloned().collect()),
            );
            let text = value.to_string();
            let name = Path::new("shipped.json");
            let accepted = if is_template {
                fuzz::parse_template(&text, name).is_ok()
            } else {
                scenario::parse(&text, name).is_ok()
            };
            assert!(
                !accepted,
                "{}: `{}` read from an array",
                file.display(),
                path.join(".")
            );
            tried += 1;
        }
    }
    assert!(tried > 500, "only {tried} objects tried");
}

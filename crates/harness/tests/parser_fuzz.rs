//! The scenario and template readers never panic: every input is a scenario (or template) or a
//! clear error naming the file and, for a field, what was expected; every accepted template
//! expands to valid scenarios.
//!
//! CI runs 3,000 cases per property; the documented deep run (1,000,000 cases per property, a
//! few minutes on 2 cores) is
//! `PROPTEST_CASES=1000000 cargo test --release -p faultline-harness --test parser_fuzz`.

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

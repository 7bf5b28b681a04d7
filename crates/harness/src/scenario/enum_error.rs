//! A named-form field given the wrong kind of value. serde_json reports an enum field (a
//! gossip `mode`, a Raft `reads`, a fault's action...) that holds a number, an array, a boolean
//! or null as a syntax error, "expected value" at the value's position, although the text is
//! valid JSON. This finds the field instead, and the names it takes.

use super::Invalid;
use serde::de::DeserializeOwned;
use serde_json::Value;
use serde_path_to_error::{Path, Segment};

/// A string no variant of any scenario enum is named.
const NO_SUCH_NAME: &str = "\u{1}";

/// Longest rendering of the found value in the message.
const SHOWN_CHARS: usize = 60;

/// For text that is valid JSON but that serde_json rejected as a syntax error at `path`: the
/// field and what it may hold. The names come from serde itself: the value at `path` is
/// replaced by a name no variant has and `T` parsed again, so its "unknown variant" error
/// lists them. `None` when the text is not valid JSON (a real syntax error) or `path` does not
/// lead to a value.
pub(crate) fn misplaced_enum<T: DeserializeOwned>(text: &str, path: &Path) -> Option<Invalid> {
    let mut document: Value = serde_json::from_str(text).ok()?;
    let slot = locate(&mut document, path)?;
    let found = describe(slot);
    *slot = Value::String(NO_SUCH_NAME.into());
    let field = path.to_string();
    let expected = match serde_path_to_error::deserialize::<_, T>(document) {
        Err(error) if error.path().to_string() == field => names(&error.into_inner().to_string()),
        _ => None,
    }
    .unwrap_or_else(|| "one of this field's named forms".into());
    Some(Invalid::new(
        field,
        format!("expected {expected}, found {found}"),
    ))
}

/// The value `path` leads to: object keys for fields and enum variants, positions for lists.
fn locate<'a>(document: &'a mut Value, path: &Path) -> Option<&'a mut Value> {
    path.iter()
        .try_fold(document, |value, segment| match segment {
            Segment::Map { key } | Segment::Enum { variant: key } => value.get_mut(key.as_str()),
            Segment::Seq { index } => value.get_mut(*index),
            Segment::Unknown => None,
        })
}

/// "one of `a`, `b`" from serde's "unknown variant `x`, expected one of `a`, `b`".
fn names(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown variant")?;
    let (_, expected) = rest.split_once(", expected ")?;
    Some(expected.to_string())
}

/// The kind of `value` and its text, shortened, e.g. "an array `[\"1ms\"]`".
fn describe(value: &Value) -> String {
    let kind = match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    };
    let text = value.to_string();
    let shown = match text.char_indices().nth(SHOWN_CHARS) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text,
    };
    format!("{kind} `{shown}`")
}

#[cfg(test)]
mod tests {
    use crate::scenario::{parse, ScenarioError};
    use std::path::Path as FilePath;

    fn gossip_with_mode(mode: &str) -> String {
        format!(
            r#"{{"version": 1, "name": "m", "duration": "10s", "cluster": {{"nodes": 3}},
            "protocol": {{"gossip": {{"mode": {mode}, "interval": "200ms",
            "writes": {{"count": 2, "keys": 2, "from": "1s", "until": "2s"}}}}}}}}"#
        )
    }

    fn field_error(text: &str) -> (String, String) {
        match parse(text, FilePath::new("s.json")) {
            Err(ScenarioError::Field { field, message, .. }) => (field, message),
            other => panic!("expected a field error, got {other:?}"),
        }
    }

    #[test]
    fn an_enum_given_an_array_names_the_field_and_the_variants() {
        let (field, message) = field_error(&gossip_with_mode(r#"["1ms"]"#));
        assert_eq!(field, "protocol.gossip.mode");
        assert!(
            message.contains("`push`, `pull`, `push_pull`, `rumor`"),
            "{message}"
        );
        assert!(
            message.ends_with(r#"found an array `["1ms"]`"#),
            "{message}"
        );
    }

    #[test]
    fn numbers_booleans_and_null_are_named_too() {
        for (value, kind) in [("-1", "a number"), ("true", "a boolean"), ("null", "null")] {
            let (field, message) = field_error(&gossip_with_mode(value));
            assert_eq!(field, "protocol.gossip.mode", "{value}");
            assert!(message.contains(&format!("found {kind}")), "{message}");
        }
    }

    #[test]
    fn real_syntax_errors_stay_syntax_errors() {
        let text = gossip_with_mode(r#""push""#).replace("\"interval\"", "interval");
        let error = parse(&text, FilePath::new("s.json")).unwrap_err();
        assert!(matches!(error, ScenarioError::Syntax { .. }), "{error}");
    }

    #[test]
    fn long_values_are_shortened() {
        let long = format!("[{}]", vec!["1"; 100].join(","));
        let (_, message) = field_error(&gossip_with_mode(&long));
        assert!(message.ends_with("...`"), "{message}");
        assert!(message.len() < 250, "{message}");
    }
}

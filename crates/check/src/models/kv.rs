//! A key-value store of strings with get, put, append and compare-and-set.
//!
//! Every key starts as the empty string. Keys are independent, so the model is
//! partitioned by key.

use std::collections::BTreeMap;
use std::fmt;

use crate::model::Model;

/// A key-value operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KvInput {
    /// Read a key.
    Get {
        /// The key.
        key: String,
    },
    /// Overwrite a key.
    Put {
        /// The key.
        key: String,
        /// The new value.
        value: String,
    },
    /// Append to a key's value.
    Append {
        /// The key.
        key: String,
        /// The suffix.
        value: String,
    },
    /// Set a key to `new` if it currently equals `expected`.
    Cas {
        /// The key.
        key: String,
        /// The value the key must hold for the swap to happen.
        expected: String,
        /// The value written when it does.
        new: String,
    },
}

impl KvInput {
    /// The key the operation touches.
    pub fn key(&self) -> &str {
        match self {
            KvInput::Get { key }
            | KvInput::Put { key, .. }
            | KvInput::Append { key, .. }
            | KvInput::Cas { key, .. } => key,
        }
    }
}

/// A key-value operation's result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KvOutput {
    /// The value a get returned.
    Value(String),
    /// A put or append was acknowledged.
    Ok,
    /// Whether a compare-and-set swapped.
    Cas(bool),
}

/// Key-value model. The state maps keys to non-empty values; a missing key is "".
#[derive(Clone, Copy, Debug, Default)]
pub struct KvModel;

fn set(state: &BTreeMap<String, String>, key: &str, value: String) -> BTreeMap<String, String> {
    let mut next = state.clone();
    if value.is_empty() {
        next.remove(key);
    } else {
        next.insert(key.to_owned(), value);
    }
    next
}

impl Model for KvModel {
    type State = BTreeMap<String, String>;
    type Input = KvInput;
    type Output = KvOutput;

    fn init(&self) -> Self::State {
        BTreeMap::new()
    }

    fn step(
        &self,
        state: &Self::State,
        input: &KvInput,
        output: Option<&KvOutput>,
    ) -> Option<Self::State> {
        let current = state.get(input.key()).map_or("", String::as_str);
        match (input, output) {
            (KvInput::Get { .. }, None) => Some(state.clone()),
            (KvInput::Get { .. }, Some(KvOutput::Value(v))) => {
                (v == current).then(|| state.clone())
            }
            (KvInput::Put { key, value }, None | Some(KvOutput::Ok)) => {
                Some(set(state, key, value.clone()))
            }
            (KvInput::Append { key, value }, None | Some(KvOutput::Ok)) => {
                Some(set(state, key, format!("{current}{value}")))
            }
            (KvInput::Cas { key, expected, new }, out) => {
                let swaps = current == expected;
                match out {
                    None if swaps => Some(set(state, key, new.clone())),
                    None => Some(state.clone()),
                    Some(KvOutput::Cas(true)) if swaps => Some(set(state, key, new.clone())),
                    Some(KvOutput::Cas(false)) if !swaps => Some(state.clone()),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    fn partition_key<'a>(&self, input: &'a KvInput) -> Option<&'a str> {
        Some(input.key())
    }
}

impl fmt::Display for KvInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KvInput::Get { key } => write!(f, "get({key:?})"),
            KvInput::Put { key, value } => write!(f, "put({key:?}, {value:?})"),
            KvInput::Append { key, value } => write!(f, "append({key:?}, {value:?})"),
            KvInput::Cas { key, expected, new } => {
                write!(f, "cas({key:?}, {expected:?} -> {new:?})")
            }
        }
    }
}

impl fmt::Display for KvOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KvOutput::Value(v) => write!(f, "{v:?}"),
            KvOutput::Ok => f.write_str("ok"),
            KvOutput::Cas(swapped) => write!(f, "{swapped}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(k: &str) -> KvInput {
        KvInput::Get { key: k.into() }
    }

    fn value(v: &str) -> KvOutput {
        KvOutput::Value(v.into())
    }

    #[test]
    fn keys_start_empty_and_append_concatenates() {
        let m = KvModel;
        let s = m.init();
        assert!(m.step(&s, &get("a"), Some(&value(""))).is_some());
        assert!(m.step(&s, &get("a"), Some(&value("x"))).is_none());
        let app = |v: &str| KvInput::Append {
            key: "a".into(),
            value: v.into(),
        };
        let s = m.step(&s, &app("x"), Some(&KvOutput::Ok)).unwrap();
        let s = m.step(&s, &app("y"), None).unwrap();
        assert!(m.step(&s, &get("a"), Some(&value("xy"))).is_some());
        assert!(m.step(&s, &get("b"), Some(&value(""))).is_some());
    }

    #[test]
    fn put_overwrites_and_empty_put_equals_initial_state() {
        let m = KvModel;
        let put = |v: &str| KvInput::Put {
            key: "k".into(),
            value: v.into(),
        };
        let s = m.step(&m.init(), &put("1"), Some(&KvOutput::Ok)).unwrap();
        let s = m.step(&s, &put("2"), Some(&KvOutput::Ok)).unwrap();
        assert!(m.step(&s, &get("k"), Some(&value("2"))).is_some());
        let s = m.step(&s, &put(""), Some(&KvOutput::Ok)).unwrap();
        assert_eq!(s, m.init());
    }

    #[test]
    fn cas_result_must_match_the_state() {
        let m = KvModel;
        let cas = KvInput::Cas {
            key: "k".into(),
            expected: "".into(),
            new: "n".into(),
        };
        let s = m.step(&m.init(), &cas, Some(&KvOutput::Cas(true))).unwrap();
        assert!(m.step(&s, &get("k"), Some(&value("n"))).is_some());
        assert!(m.step(&s, &cas, Some(&KvOutput::Cas(true))).is_none());
        assert_eq!(
            m.step(&s, &cas, Some(&KvOutput::Cas(false))),
            Some(s.clone())
        );
        assert!(m.step(&m.init(), &cas, Some(&KvOutput::Ok)).is_none());
    }

    #[test]
    fn partitions_by_key() {
        assert_eq!(KvModel.partition_key(&get("x")), Some("x"));
    }
}

//! A key-value store of strings with get, put, append and compare-and-set.
//!
//! Every key starts as the empty string. Keys are independent, so the model is
//! partitioned by key.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::rc::Rc;

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

/// A string shared between states, with a hash kept up to date on append, so that
/// states hash in time independent of their values' length.
#[derive(Clone, Debug)]
pub struct Text {
    hash: u64,
    text: Rc<String>,
}

const ROLL: u64 = 0x0000_0100_0000_01b3;

fn roll(hash: u64, s: &str) -> u64 {
    s.bytes().fold(hash, |h, b| {
        h.wrapping_mul(ROLL).wrapping_add(u64::from(b) + 1)
    })
}

impl Text {
    fn new(s: &str) -> Self {
        Text {
            hash: roll(0, s),
            text: Rc::new(s.to_owned()),
        }
    }

    fn appended(&self, suffix: &str) -> Self {
        let mut text = String::with_capacity(self.text.len() + suffix.len());
        text.push_str(&self.text);
        text.push_str(suffix);
        Text {
            hash: roll(self.hash, suffix),
            text: Rc::new(text),
        }
    }

    /// The string.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl PartialEq for Text {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.text, &other.text) || (self.hash == other.hash && self.text == other.text)
    }
}

impl Eq for Text {}

impl Hash for Text {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash);
    }
}

/// A key-value state: the non-empty keys, sorted; a missing key holds "".
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct KvState {
    entries: Vec<(Text, Text)>,
}

impl KvState {
    /// The value of `key` ("" when unset).
    pub fn get(&self, key: &str) -> &str {
        self.find(key)
            .ok()
            .map_or("", |i| self.entries[i].1.as_str())
    }

    fn find(&self, key: &str) -> Result<usize, usize> {
        self.entries.binary_search_by(|(k, _)| k.as_str().cmp(key))
    }

    fn value(&self, key: &str) -> Option<&Text> {
        self.find(key).ok().map(|i| &self.entries[i].1)
    }

    /// A copy with `key` set to `value` (removed when empty).
    fn with(&self, key: &str, value: Option<Text>) -> KvState {
        let mut next = self.clone();
        match (next.find(key), value.filter(|v| !v.text.is_empty())) {
            (Ok(i), Some(v)) => next.entries[i].1 = v,
            (Ok(i), None) => {
                next.entries.remove(i);
            }
            (Err(i), Some(v)) => next.entries.insert(i, (Text::new(key), v)),
            (Err(_), None) => {}
        }
        next
    }
}

/// Key-value model; every key starts as "".
#[derive(Clone, Copy, Debug, Default)]
pub struct KvModel;

impl Model for KvModel {
    type State = KvState;
    type Input = KvInput;
    type Output = KvOutput;

    fn init(&self) -> KvState {
        KvState::default()
    }

    fn step(&self, state: &KvState, input: &KvInput, output: Option<&KvOutput>) -> Option<KvState> {
        let key = input.key();
        let current = state.get(key);
        match (input, output) {
            (KvInput::Get { .. }, None) => Some(state.clone()),
            (KvInput::Get { .. }, Some(KvOutput::Value(v))) => {
                (v == current).then(|| state.clone())
            }
            (KvInput::Put { value, .. }, None | Some(KvOutput::Ok)) => {
                Some(state.with(key, Some(Text::new(value))))
            }
            (KvInput::Append { value, .. }, None | Some(KvOutput::Ok)) => {
                let next = match state.value(key) {
                    Some(text) => text.appended(value),
                    None => Text::new(value),
                };
                Some(state.with(key, Some(next)))
            }
            (KvInput::Cas { expected, new, .. }, out) => {
                let swaps = current == expected;
                match out {
                    None | Some(KvOutput::Cas(true)) if swaps => {
                        Some(state.with(key, Some(Text::new(new))))
                    }
                    None | Some(KvOutput::Cas(false)) if !swaps => Some(state.clone()),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    fn describe_state(&self, state: &KvState) -> String {
        let entries: Vec<String> = state
            .entries
            .iter()
            .map(|(k, v)| format!("{:?}: {:?}", k.as_str(), v.as_str()))
            .collect();
        format!("{{{}}}", entries.join(", "))
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
    use std::hash::BuildHasher;

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
        assert_eq!(s.get("a"), "xy");
    }

    #[test]
    fn equal_values_reached_differently_are_equal_states() {
        let m = KvModel;
        let app = |v: &str| KvInput::Append {
            key: "a".into(),
            value: v.into(),
        };
        let put = KvInput::Put {
            key: "a".into(),
            value: "xyz".into(),
        };
        let one = m.step(&m.init(), &put, None).unwrap();
        let s = m.step(&m.init(), &app("x"), None).unwrap();
        let s = m.step(&s, &app("yz"), None).unwrap();
        assert_eq!(s, one);
        let hash = |s: &KvState| crate::hashing::FixedState::default().hash_one(s);
        assert_eq!(hash(&s), hash(&one));
        let other = m.step(&m.init(), &app("xy"), None).unwrap();
        assert_ne!(other, one);
    }

    #[test]
    fn several_keys_stay_sorted_and_independent() {
        let m = KvModel;
        let put = |k: &str, v: &str| KvInput::Put {
            key: k.into(),
            value: v.into(),
        };
        let a = m.step(&m.init(), &put("b", "2"), None).unwrap();
        let a = m.step(&a, &put("a", "1"), None).unwrap();
        let b = m.step(&m.init(), &put("a", "1"), None).unwrap();
        let b = m.step(&b, &put("b", "2"), None).unwrap();
        assert_eq!(a, b);
        assert_eq!((a.get("a"), a.get("b"), a.get("c")), ("1", "2", ""));
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
        assert_eq!(s.get("k"), "");
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
    fn states_describe_as_maps() {
        let m = KvModel;
        let put = |k: &str, v: &str| KvInput::Put {
            key: k.into(),
            value: v.into(),
        };
        let s = m.step(&m.init(), &put("b", "2"), None).unwrap();
        let s = m.step(&s, &put("a", "1"), None).unwrap();
        assert_eq!(m.describe_state(&s), r#"{"a": "1", "b": "2"}"#);
        assert_eq!(m.describe_state(&m.init()), "{}");
    }

    #[test]
    fn partitions_by_key() {
        assert_eq!(KvModel.partition_key(&get("x")), Some("x"));
    }
}

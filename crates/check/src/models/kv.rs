//! A key-value store of strings with get, put, append and compare-and-set.
//!
//! Every key starts as the empty string. Keys are independent, so the model is
//! partitioned by key.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::rc::Rc;

use super::text::Text;

use crate::model::Model;

/// A key-value operation. It is also the command type of the simulator's replicated KV store
/// (hence `Hash` and serde), so histories need no translation.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
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

    /// True for a read.
    pub fn is_read(&self) -> bool {
        matches!(self, KvInput::Get { .. })
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

/// A key-value state: the non-empty keys in sorted order. The first is held inline, so
/// a state with one key (every state of a per-key partition) clones without allocating.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KvState {
    /// The smallest key; `None` only when there are no keys.
    first: Option<(Rc<str>, Text)>,
    /// The other keys, sorted.
    rest: Vec<(Rc<str>, Text)>,
}

/// Hashes each entry's key length and value hash (a `Text` carries its own): equal
/// states hash equally, and hashing costs no pass over the keys' bytes.
impl Hash for KvState {
    fn hash<H: Hasher>(&self, state: &mut H) {
        for (key, value) in self.entries() {
            state.write_usize(key.len());
            value.hash(state);
        }
    }
}

/// Whether two short strings are equal, without a library call for keys of a few bytes.
fn same_key(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).all(|(x, y)| x == y)
}

impl KvState {
    /// The value of `key` ("" when unset).
    pub fn get(&self, key: &str) -> String {
        self.value(key).map_or_else(String::new, Text::to_string)
    }

    fn entries(&self) -> impl Iterator<Item = &(Rc<str>, Text)> {
        self.first.iter().chain(&self.rest)
    }

    fn value(&self, key: &str) -> Option<&Text> {
        let (first, value) = self.first.as_ref()?;
        if same_key(first, key) {
            return Some(value);
        }
        match (**first).cmp(key) {
            Ordering::Equal => Some(value),
            Ordering::Greater => None,
            Ordering::Less => self
                .rest
                .binary_search_by(|(k, _)| (**k).cmp(key))
                .ok()
                .map(|i| &self.rest[i].1),
        }
    }

    /// True when `key` holds `value`.
    fn holds(&self, key: &str, value: &str) -> bool {
        self.value(key)
            .map_or(value.is_empty(), |t| t.eq_str(value))
    }

    fn single(key: Rc<str>, value: Text) -> KvState {
        if value.is_empty() {
            return KvState::default();
        }
        KvState {
            first: Some((key, value)),
            rest: Vec::new(),
        }
    }

    /// A copy with `key` set to `value` (removed when empty).
    fn with(&self, key: &str, value: Text) -> KvState {
        if self.rest.is_empty() {
            match &self.first {
                None => return KvState::single(Rc::from(key), value),
                Some((k, _)) if same_key(k, key) => return KvState::single(k.clone(), value),
                Some(_) => {}
            }
        }
        let mut all: Vec<(Rc<str>, Text)> = self.entries().cloned().collect();
        match (
            all.binary_search_by(|(k, _)| (**k).cmp(key)),
            value.is_empty(),
        ) {
            (Ok(i), false) => all[i].1 = value,
            (Ok(i), true) => {
                all.remove(i);
            }
            (Err(i), false) => all.insert(i, (Rc::from(key), value)),
            (Err(_), true) => {}
        }
        let mut all = all.into_iter();
        KvState {
            first: all.next(),
            rest: all.collect(),
        }
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
        match (input, output) {
            (KvInput::Get { .. }, None) => Some(state.clone()),
            (KvInput::Get { .. }, Some(KvOutput::Value(v))) => {
                state.holds(key, v).then(|| state.clone())
            }
            (KvInput::Put { value, .. }, None | Some(KvOutput::Ok)) => {
                Some(state.with(key, Text::new(value)))
            }
            (KvInput::Append { value, .. }, None | Some(KvOutput::Ok)) => {
                let next = match state.value(key) {
                    Some(text) => text.appended(value),
                    None => Text::new(value),
                };
                Some(state.with(key, next))
            }
            (KvInput::Cas { expected, new, .. }, out) => {
                let swaps = state.holds(key, expected);
                match out {
                    None | Some(KvOutput::Cas(true)) if swaps => {
                        Some(state.with(key, Text::new(new)))
                    }
                    None | Some(KvOutput::Cas(false)) if !swaps => Some(state.clone()),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// A get changes nothing; a put or cas of `v` leaves a value that starts with `v`
    /// until it is overwritten, an append of `s` one that contains `s`. Only an
    /// operation on the same key that saw such a value, or a cas whose result is false
    /// or unknown, can depend on it.
    fn may_affect(&self, effect: &KvInput, observer: &KvInput, output: Option<&KvOutput>) -> bool {
        if effect.key() != observer.key() {
            return false;
        }
        let shows = |seen: &str| match effect {
            KvInput::Get { .. } => false,
            KvInput::Put { value, .. } | KvInput::Cas { new: value, .. } => {
                seen.starts_with(value.as_str())
            }
            KvInput::Append { value, .. } => seen.contains(value.as_str()),
        };
        match (observer, output) {
            _ if effect.is_read() => false,
            (KvInput::Get { .. }, Some(KvOutput::Value(seen))) => shows(seen),
            (KvInput::Cas { expected, .. }, Some(KvOutput::Cas(true))) => shows(expected),
            (KvInput::Cas { .. }, _) => true,
            (KvInput::Get { .. } | KvInput::Put { .. } | KvInput::Append { .. }, _) => false,
        }
    }

    fn describe_state(&self, state: &KvState, about: Option<&KvInput>) -> String {
        let key = about.map(KvInput::key);
        let entries: Vec<String> = state
            .entries()
            .filter(|(k, _)| key.is_none_or(|key| **k == *key))
            .map(|(k, v)| format!("{k:?}: {v:?}"))
            .collect();
        format!("{{{}}}", entries.join(", "))
    }

    /// A get; a cas that did not swap.
    fn read_only(&self, input: &KvInput, output: Option<&KvOutput>) -> bool {
        matches!(
            (input, output),
            (KvInput::Get { .. }, _) | (KvInput::Cas { .. }, Some(KvOutput::Cas(false)))
        )
    }

    /// A get that returned `v` (a cas that swapped from `v`) needs the key to hold `v`.
    /// Values only grow by appends, so the key's value before the observer starts with
    /// the current value or with what a put or cas of that key placed first wrote: one
    /// of them must be a prefix of `v`. (The observer among `before` changes nothing:
    /// a cas that swapped from `v` wrote its `new` after reading `v`.)
    fn may_become_valid(
        &self,
        state: &KvState,
        observer: &KvInput,
        output: Option<&KvOutput>,
        before: &[&KvInput],
    ) -> bool {
        let needed = match (observer, output) {
            (KvInput::Get { .. }, Some(KvOutput::Value(v))) => v,
            (KvInput::Cas { expected, .. }, Some(KvOutput::Cas(true))) => expected,
            _ => return true,
        };
        let key = observer.key();
        let rewritten = before.iter().any(|op| match op {
            KvInput::Put { key: k, value }
            | KvInput::Cas {
                key: k, new: value, ..
            } => same_key(k, key) && needed.starts_with(value.as_str()),
            KvInput::Get { .. } | KvInput::Append { .. } => false,
        });
        rewritten
            || state
                .value(key)
                .is_none_or(|text| text.is_prefix_of(needed))
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
        assert_eq!([a.get("a"), a.get("b"), a.get("c")], ["1", "2", ""]);
        let c = m.step(&a, &put("0", "z"), None).unwrap();
        assert_eq!([c.get("0"), c.get("a"), c.get("b")], ["z", "1", "2"]);
        let d = m.step(&c, &put("0", ""), None).unwrap();
        assert_eq!(d, a);
        let e = m.step(&a, &put("a", ""), None).unwrap();
        let e = m.step(&e, &put("b", ""), None).unwrap();
        assert_eq!(e, m.init());
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
        assert_eq!(m.describe_state(&s, None), r#"{"a": "1", "b": "2"}"#);
        assert_eq!(m.describe_state(&s, Some(&get("b"))), r#"{"b": "2"}"#);
        assert_eq!(m.describe_state(&s, Some(&get("c"))), "{}");
        assert_eq!(m.describe_state(&m.init(), None), "{}");
    }

    #[test]
    fn a_get_is_reachable_only_through_a_prefix_or_a_rewrite() {
        let m = KvModel;
        let app = |v: &str| KvInput::Append {
            key: "k".into(),
            value: v.into(),
        };
        let put = |k: &str, v: &str| KvInput::Put {
            key: k.into(),
            value: v.into(),
        };
        let s = m.step(&m.init(), &app("ac"), None).unwrap();
        let reach = |want: &str, before: &[&KvInput]| {
            m.may_become_valid(&s, &get("k"), Some(&value(want)), before)
        };
        assert!(reach("acx", &[&app("x")]));
        assert!(reach("ac", &[]));
        assert!(!reach("ab", &[&app("b")]), "values only grow by appends");
        assert!(!reach("ab", &[&put("other", "ab")]), "another key's put");
        assert!(!reach("ab", &[&put("k", "x")]), "a put that is no prefix");
        assert!(reach("ab", &[&put("k", "a"), &app("b")]));
        assert!(
            m.may_become_valid(&s, &get("k"), None, &[]),
            "unknown output"
        );
        let cas = KvInput::Cas {
            key: "k".into(),
            expected: "z".into(),
            new: "ab".into(),
        };
        assert!(reach("ab", &[&cas]));
        assert!(!m.may_become_valid(&s, &cas, Some(&KvOutput::Cas(true)), &[&cas]));
        assert!(m.may_become_valid(&s, &cas, Some(&KvOutput::Cas(false)), &[]));
    }

    #[test]
    fn partitions_by_key() {
        assert_eq!(KvModel.partition_key(&get("x")), Some("x"));
    }
}

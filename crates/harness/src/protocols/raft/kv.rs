//! The replicated key-value state machine: get, put, append and compare-and-set, with client
//! sessions that make retried commands take effect exactly once.

use faultline_check::KvInput;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What an operation returned.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum OpResult {
    /// A read's value.
    Value(String),
    /// A put or append took effect.
    Done,
    /// Whether a compare-and-set swapped.
    Swapped(bool),
}

/// A command in the log: an operation tagged with its client session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Command {
    /// The client (kernel node index).
    pub client: u64,
    /// The client's sequence number for this operation (one operation at a time per client).
    pub seq: u64,
    /// The operation.
    pub op: KvInput,
}

impl Command {
    /// Log entry payload: serde_json's form of the command. When its strings need no escapes
    /// (the plain form [`CommandRef::plain`] reads) it is written by hand, the same bytes
    /// without serde (once per proposed command); otherwise by serde_json.
    pub fn encode(&self) -> Vec<u8> {
        let op = self.as_ref().op;
        let (fields, count) = op.fields();
        let fields = &fields[..count];
        if !fields.iter().all(|(_, text)| is_plain(text)) {
            return serde_json::to_vec(self).unwrap_or_default();
        }
        let text_len: usize = fields
            .iter()
            .map(|(name, text)| name.len() + text.len())
            .sum();
        let mut out = Vec::with_capacity(64 + text_len);
        out.extend_from_slice(b"{\"client\":");
        push_decimal(&mut out, self.client);
        out.extend_from_slice(b",\"seq\":");
        push_decimal(&mut out, self.seq);
        out.extend_from_slice(b",\"op\":{\"");
        out.extend_from_slice(op.name().as_bytes());
        out.extend_from_slice(b"\":{");
        push_string_pairs(&mut out, fields.iter().copied());
        out.extend_from_slice(b"}}}");
        out
    }

    /// The command with its strings borrowed.
    fn as_ref(&self) -> CommandRef<'_> {
        let op = match &self.op {
            KvInput::Get { key } => OpRef::Get { key },
            KvInput::Put { key, value } => OpRef::Put { key, value },
            KvInput::Append { key, value } => OpRef::Append { key, value },
            KvInput::Cas { key, expected, new } => OpRef::Cas { key, expected, new },
        };
        CommandRef {
            client: self.client,
            seq: self.seq,
            op,
        }
    }

    /// Reads a log entry payload and hands the command to `f`; `None` (and `f` not called) if
    /// the payload is not a command. Every server decodes every entry it applies, so the exact
    /// form [`Command::encode`] writes is read by hand ([`CommandRef::plain`]), its strings
    /// borrowed from the payload; anything else (escaped strings, other spacing) goes through
    /// serde_json, which has the last word.
    pub fn decode_with<R>(data: &[u8], f: impl FnOnce(CommandRef<'_>) -> R) -> Option<R> {
        if let Some(command) = CommandRef::plain(data) {
            return Some(f(command));
        }
        let command: Command = serde_json::from_slice(data).ok()?;
        Some(f(command.as_ref()))
    }
}

/// A decoded [`Command`] whose strings are borrowed (from the entry's payload when it is in
/// the plain form), so applying it allocates only what the store keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CommandRef<'a> {
    /// The client (kernel node index).
    pub client: u64,
    /// The client's sequence number for this operation.
    pub seq: u64,
    /// The operation.
    pub op: OpRef<'a>,
}

/// A [`KvInput`] with borrowed strings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpRef<'a> {
    /// Read a key.
    Get {
        /// The key.
        key: &'a str,
    },
    /// Overwrite a key.
    Put {
        /// The key.
        key: &'a str,
        /// The new value.
        value: &'a str,
    },
    /// Append to a key's value.
    Append {
        /// The key.
        key: &'a str,
        /// The suffix.
        value: &'a str,
    },
    /// Set a key to `new` if it currently equals `expected`.
    Cas {
        /// The key.
        key: &'a str,
        /// The value the key must hold for the swap to happen.
        expected: &'a str,
        /// The value written when it does.
        new: &'a str,
    },
}

impl<'a> OpRef<'a> {
    /// The variant's name, as serde names it.
    fn name(&self) -> &'static str {
        match self {
            OpRef::Get { .. } => "Get",
            OpRef::Put { .. } => "Put",
            OpRef::Append { .. } => "Append",
            OpRef::Cas { .. } => "Cas",
        }
    }

    /// The fields (name, text) in serde's order: the first `count` of the array.
    fn fields(&self) -> ([(&'static str, &'a str); 3], usize) {
        match *self {
            OpRef::Get { key } => ([("key", key), ("", ""), ("", "")], 1),
            OpRef::Put { key, value } | OpRef::Append { key, value } => {
                ([("key", key), ("value", value), ("", "")], 2)
            }
            OpRef::Cas { key, expected, new } => {
                ([("key", key), ("expected", expected), ("new", new)], 3)
            }
        }
    }
}

/// The ASCII digits of `n` in decimal, as serde_json and `format!` write it (no formatting
/// machinery), at the end of `digits`.
pub(super) fn decimal_digits(mut n: u64, digits: &mut [u8; 20]) -> &[u8] {
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    &digits[start..]
}

/// Appends `n` in decimal.
fn push_decimal(out: &mut Vec<u8>, n: u64) {
    out.extend_from_slice(decimal_digits(n, &mut [0; 20]));
}

/// Appends `"name":"text"` for each pair, separated by commas, as serde_json writes a map or a
/// struct whose strings are [`is_plain`].
fn push_string_pairs<'s>(out: &mut Vec<u8>, pairs: impl IntoIterator<Item = (&'s str, &'s str)>) {
    for (i, (name, text)) in pairs.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        push_string(out, name);
        out.push(b':');
        push_string(out, text);
    }
}

/// Appends `text` in quotes, as serde_json writes a string that [`is_plain`].
fn push_string(out: &mut Vec<u8>, text: &str) {
    out.push(b'"');
    out.extend_from_slice(text.as_bytes());
    out.push(b'"');
}

/// True if serde_json writes `text` as it is: no quote, backslash or control character.
fn is_plain(text: &str) -> bool {
    !text.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20)
}

impl<'a> CommandRef<'a> {
    /// Decodes `{"client":N,"seq":N,"op":{"Variant":{"field":"text",...}}}` exactly as
    /// serde_json writes it, with no escapes or control characters in the strings and no
    /// leading zeros; `None` for anything else (then serde_json decides).
    fn plain(data: &'a [u8]) -> Option<CommandRef<'a>> {
        let mut r = Plain { rest: data };
        r.literal(b"{\"client\":")?;
        let client = r.number()?;
        r.literal(b",\"seq\":")?;
        let seq = r.number()?;
        r.literal(b",\"op\":{\"")?;
        let op = if r.literal(b"Get\":{").is_some() {
            OpRef::Get {
                key: r.field(b"\"key\":")?,
            }
        } else if r.literal(b"Put\":{").is_some() {
            let key = r.field(b"\"key\":")?;
            let value = r.field(b",\"value\":")?;
            OpRef::Put { key, value }
        } else if r.literal(b"Append\":{").is_some() {
            let key = r.field(b"\"key\":")?;
            let value = r.field(b",\"value\":")?;
            OpRef::Append { key, value }
        } else {
            r.literal(b"Cas\":{")?;
            let key = r.field(b"\"key\":")?;
            let expected = r.field(b",\"expected\":")?;
            let new = r.field(b",\"new\":")?;
            OpRef::Cas { key, expected, new }
        };
        r.literal(b"}}}")?;
        r.rest.is_empty().then_some(CommandRef { client, seq, op })
    }
}

/// A cursor over the plain form of a [`Command`] (see [`CommandRef::plain`]).
struct Plain<'a> {
    rest: &'a [u8],
}

impl<'a> Plain<'a> {
    /// Consumes `expected` if the input starts with it.
    fn literal(&mut self, expected: &[u8]) -> Option<()> {
        self.rest = self.rest.strip_prefix(expected)?;
        Some(())
    }

    /// A decimal `u64` without sign or leading zeros.
    fn number(&mut self) -> Option<u64> {
        let digits = self.rest.iter().take_while(|b| b.is_ascii_digit()).count();
        let (text, rest) = self.rest.split_at(digits);
        if text.is_empty() || (text.len() > 1 && text[0] == b'0') {
            return None;
        }
        let value = text.iter().try_fold(0u64, |n, d| {
            n.checked_mul(10)?.checked_add(u64::from(d - b'0'))
        })?;
        self.rest = rest;
        Some(value)
    }

    /// `name` followed by a string with no escapes or control characters.
    fn field(&mut self, name: &[u8]) -> Option<&'a str> {
        self.literal(name)?;
        self.literal(b"\"")?;
        let len = self
            .rest
            .iter()
            .position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
        if self.rest[len] != b'"' {
            return None;
        }
        let text = std::str::from_utf8(&self.rest[..len]).ok()?;
        self.rest = &self.rest[len + 1..];
        Some(text)
    }
}

/// The state machine: the data and, per client, its latest sequence number and result.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KvStore {
    data: BTreeMap<String, String>,
    sessions: BTreeMap<u64, (u64, OpResult)>,
}

impl KvStore {
    /// The value of `key` ("" when unset).
    pub fn get(&self, key: &str) -> String {
        self.data.get(key).cloned().unwrap_or_default()
    }

    /// The cached result of `client`'s command `seq`, if it was the client's latest applied one.
    pub fn cached(&self, client: u64, seq: u64) -> Option<&OpResult> {
        self.sessions
            .get(&client)
            .filter(|(last, _)| *last == seq)
            .map(|(_, result)| result)
    }

    /// True if `client` already had a command newer than `seq` applied.
    pub fn superseded(&self, client: u64, seq: u64) -> bool {
        self.sessions
            .get(&client)
            .is_some_and(|(last, _)| *last > seq)
    }

    /// Applies `command` once: a repeat of the client's latest command returns the cached
    /// result without applying it again; an older one is ignored (`None`).
    pub fn apply(&mut self, command: CommandRef<'_>) -> Option<OpResult> {
        if let Some(result) = self.cached(command.client, command.seq) {
            return Some(result.clone());
        }
        if self.superseded(command.client, command.seq) {
            return None;
        }
        let result = match command.op {
            OpRef::Get { key } => OpResult::Value(self.get(key)),
            OpRef::Put { key, value } => {
                self.set(key, value);
                OpResult::Done
            }
            OpRef::Append { key, value } => {
                match self.data.get_mut(key) {
                    Some(held) => held.push_str(value),
                    None => self.set(key, value),
                }
                OpResult::Done
            }
            OpRef::Cas { key, expected, new } => {
                let swap = self.data.get(key).map_or("", String::as_str) == expected;
                if swap {
                    self.set(key, new);
                }
                OpResult::Swapped(swap)
            }
        };
        self.sessions
            .insert(command.client, (command.seq, result.clone()));
        Some(result)
    }

    /// Sets `key` to `value` (in place when the key is held).
    fn set(&mut self, key: &str, value: &str) {
        match self.data.get_mut(key) {
            Some(held) => value.clone_into(held),
            None => {
                self.data.insert(key.to_string(), value.to_string());
            }
        }
    }

    /// Snapshot bytes: serde_json's form of the store. When no string needs an escape it is
    /// written by hand, the same bytes without serde (a server snapshots as often as every
    /// third entry); otherwise by serde_json.
    pub fn encode(&self) -> Vec<u8> {
        let texts = self.data.iter().flat_map(|(k, v)| [k.as_str(), v.as_str()]);
        let values = self
            .sessions
            .values()
            .filter_map(|(_, result)| match result {
                OpResult::Value(value) => Some(value.as_str()),
                _ => None,
            });
        if !texts.chain(values).all(is_plain) {
            return serde_json::to_vec(self).unwrap_or_default();
        }
        let mut out = Vec::with_capacity(64 + 32 * (self.data.len() + self.sessions.len()));
        out.extend_from_slice(b"{\"data\":{");
        let data = self.data.iter().map(|(k, v)| (k.as_str(), v.as_str()));
        push_string_pairs(&mut out, data);
        out.extend_from_slice(b"},\"sessions\":{");
        for (i, (client, (seq, result))) in self.sessions.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.push(b'"');
            push_decimal(&mut out, *client);
            out.extend_from_slice(b"\":[");
            push_decimal(&mut out, *seq);
            out.push(b',');
            match result {
                OpResult::Value(value) => {
                    out.extend_from_slice(b"{\"Value\":");
                    push_string(&mut out, value);
                    out.push(b'}');
                }
                OpResult::Done => out.extend_from_slice(b"\"Done\""),
                OpResult::Swapped(true) => out.extend_from_slice(b"{\"Swapped\":true}"),
                OpResult::Swapped(false) => out.extend_from_slice(b"{\"Swapped\":false}"),
            }
            out.push(b']');
        }
        out.extend_from_slice(b"}}");
        out
    }

    /// Restores from snapshot bytes; an empty snapshot is the empty store.
    pub fn decode(data: &[u8]) -> Option<KvStore> {
        if data.is_empty() {
            return Some(KvStore::default());
        }
        serde_json::from_slice(data).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd(client: u64, seq: u64, op: KvInput) -> Command {
        Command { client, seq, op }
    }

    fn append(key: &str, value: &str) -> KvInput {
        KvInput::Append {
            key: key.into(),
            value: value.into(),
        }
    }

    #[test]
    fn retried_commands_apply_once() {
        let mut kv = KvStore::default();
        assert_eq!(
            kv.apply(cmd(1, 1, append("k", "a")).as_ref()),
            Some(OpResult::Done)
        );
        assert_eq!(
            kv.apply(cmd(1, 1, append("k", "a")).as_ref()),
            Some(OpResult::Done)
        );
        assert_eq!(kv.get("k"), "a");
        assert_eq!(
            kv.apply(cmd(1, 2, append("k", "b")).as_ref()),
            Some(OpResult::Done)
        );
        assert_eq!(kv.apply(cmd(1, 1, append("k", "a")).as_ref()), None);
        assert_eq!(kv.get("k"), "ab");
    }

    #[test]
    fn cas_swaps_only_on_match_and_snapshots_round_trip() {
        let mut kv = KvStore::default();
        let cas = |expected: &str, new: &str| KvInput::Cas {
            key: "k".into(),
            expected: expected.into(),
            new: new.into(),
        };
        assert_eq!(
            kv.apply(cmd(1, 1, cas("x", "y")).as_ref()),
            Some(OpResult::Swapped(false))
        );
        assert_eq!(
            kv.apply(cmd(1, 2, cas("", "y")).as_ref()),
            Some(OpResult::Swapped(true))
        );
        let copy = KvStore::decode(&kv.encode()).unwrap();
        assert_eq!(copy, kv);
        assert_eq!(copy.get("k"), "y");
        assert_eq!(KvStore::decode(b""), Some(KvStore::default()));
        let put = |value: &str| KvInput::Put {
            key: "k".into(),
            value: value.into(),
        };
        kv.apply(cmd(1, 3, put("longer")).as_ref());
        assert_eq!(kv.apply(cmd(1, 4, put("s")).as_ref()), Some(OpResult::Done));
        assert_eq!(kv.get("k"), "s");
        let c = cmd(3, 4, KvInput::Get { key: "k".into() });
        assert!(decodes_to(&c.encode(), Some(&c)));
    }

    /// `encode` writes exactly serde_json's bytes, by hand or (with escapes) through serde_json.
    #[test]
    fn encode_writes_serde_json_bytes() {
        let text = [
            "",
            "k",
            "v1 v2",
            "é1",
            "a\"b",
            "back\\slash",
            "line\n",
            "\u{7f}/",
        ];
        let mut ops = Vec::new();
        for (a, b, c) in text
            .iter()
            .flat_map(|a| text.iter().map(move |b| (a, b, b)))
        {
            let (key, value) = (a.to_string(), b.to_string());
            ops.push(KvInput::Get { key: key.clone() });
            ops.push(KvInput::Put {
                key: key.clone(),
                value: value.clone(),
            });
            ops.push(append(&key, &value));
            let (expected, new) = (c.to_string(), value);
            ops.push(KvInput::Cas { key, expected, new });
        }
        for (i, op) in ops.into_iter().enumerate() {
            let c = cmd(i as u64 * 7919 % 1000, u64::MAX - i as u64, op);
            assert_eq!(c.encode(), serde_json::to_vec(&c).unwrap(), "{c:?}");
        }
    }

    /// A store's `encode` writes exactly serde_json's bytes, by hand or (with escapes) through
    /// serde_json, and decodes back to the store.
    #[test]
    fn store_encode_writes_serde_json_bytes() {
        let mut kv = KvStore::default();
        assert_eq!(kv.encode(), serde_json::to_vec(&kv).unwrap());
        let text = ["", "k", "v1 v2", "é1", "\u{7f}/", "a\"b", "line\n"];
        for (i, t) in text.iter().enumerate() {
            let client = [0, 7, u64::MAX - 1][i % 3] + i as u64 % 2;
            let key = format!("k{}", i % 4);
            let op = match i % 4 {
                0 => KvInput::Put {
                    key,
                    value: t.to_string(),
                },
                1 => append(&key, t),
                2 => KvInput::Get { key },
                _ => KvInput::Cas {
                    key,
                    expected: String::new(),
                    new: t.to_string(),
                },
            };
            kv.apply(cmd(client, i as u64 * 1000, op).as_ref());
            kv.sessions.insert(99, (1, OpResult::Value(t.to_string())));
            kv.sessions.insert(98, (2, OpResult::Swapped(i % 2 == 0)));
            let data = kv.encode();
            assert_eq!(data, serde_json::to_vec(&kv).unwrap(), "{kv:?}");
            assert_eq!(KvStore::decode(&data).as_ref(), Some(&kv));
        }
    }

    /// True if `data` decodes to `expected` (or to nothing when `expected` is `None`).
    fn decodes_to(data: &[u8], expected: Option<&Command>) -> bool {
        let same = Command::decode_with(data, |d| expected.is_some_and(|e| e.as_ref() == d));
        same.unwrap_or(expected.is_none())
    }

    /// The hand-written reader agrees with serde_json on what `encode` writes, and leaves
    /// every other form (escapes, spacing, leading zeros, overflow, trailing bytes) to it.
    #[test]
    fn the_plain_reader_agrees_with_serde_json() {
        let cas = KvInput::Cas {
            key: "k".into(),
            expected: "é1".into(),
            new: "".into(),
        };
        for op in [KvInput::Get { key: "k".into() }, append("k", "v"), cas] {
            let c = cmd(u64::MAX, 0, op);
            let data = c.encode();
            assert_eq!(CommandRef::plain(&data), Some(c.as_ref()));
            assert!(decodes_to(&data, Some(&c)));
        }
        let put = KvInput::Put {
            key: "a\"b".into(),
            value: "line\n".into(),
        };
        let escaped = cmd(1, 2, put).encode();
        assert_eq!(CommandRef::plain(&escaped), None);
        let parsed: Option<Command> = serde_json::from_slice(&escaped).ok();
        assert!(parsed.is_some() && decodes_to(&escaped, parsed.as_ref()));
        for other in [
            &br#"{"client":01,"seq":2,"op":{"Get":{"key":"k"}}}"#[..],
            br#"{"client":18446744073709551616,"seq":2,"op":{"Get":{"key":"k"}}}"#,
            br#"{"client":1,"seq":2,"op":{"Get":{"key":"k"}}} "#,
            br#"{"client": 1,"seq":2,"op":{"Get":{"key":"k"}}}"#,
            br#"{"client":1,"seq":2,"op":{"Get":{"key":"k"}}}x"#,
            br#"{"client":1,"seq":2,"op":{"Put":{"value":"v","key":"k"}}}"#,
        ] {
            assert_eq!(CommandRef::plain(other), None);
            let parsed: Option<Command> = serde_json::from_slice(other).ok();
            assert!(decodes_to(other, parsed.as_ref()));
        }
    }
}

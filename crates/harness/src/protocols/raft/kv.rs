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
    /// Log entry payload.
    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Reads a log entry payload; `None` if it is not a command.
    pub fn decode(data: &[u8]) -> Option<Command> {
        serde_json::from_slice(data).ok()
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
    pub fn apply(&mut self, command: &Command) -> Option<OpResult> {
        if let Some(result) = self.cached(command.client, command.seq) {
            return Some(result.clone());
        }
        if self.superseded(command.client, command.seq) {
            return None;
        }
        let result = match &command.op {
            KvInput::Get { key } => OpResult::Value(self.get(key)),
            KvInput::Put { key, value } => {
                self.data.insert(key.clone(), value.clone());
                OpResult::Done
            }
            KvInput::Append { key, value } => {
                self.data.entry(key.clone()).or_default().push_str(value);
                OpResult::Done
            }
            KvInput::Cas { key, expected, new } => {
                let swap = self.get(key) == *expected;
                if swap {
                    self.data.insert(key.clone(), new.clone());
                }
                OpResult::Swapped(swap)
            }
        };
        self.sessions
            .insert(command.client, (command.seq, result.clone()));
        Some(result)
    }

    /// Snapshot bytes.
    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
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
        assert_eq!(kv.apply(&cmd(1, 1, append("k", "a"))), Some(OpResult::Done));
        assert_eq!(kv.apply(&cmd(1, 1, append("k", "a"))), Some(OpResult::Done));
        assert_eq!(kv.get("k"), "a");
        assert_eq!(kv.apply(&cmd(1, 2, append("k", "b"))), Some(OpResult::Done));
        assert_eq!(kv.apply(&cmd(1, 1, append("k", "a"))), None);
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
            kv.apply(&cmd(1, 1, cas("x", "y"))),
            Some(OpResult::Swapped(false))
        );
        assert_eq!(
            kv.apply(&cmd(1, 2, cas("", "y"))),
            Some(OpResult::Swapped(true))
        );
        let copy = KvStore::decode(&kv.encode()).unwrap();
        assert_eq!(copy, kv);
        assert_eq!(copy.get("k"), "y");
        assert_eq!(KvStore::decode(b""), Some(KvStore::default()));
        let c = cmd(3, 4, KvInput::Get { key: "k".into() });
        assert_eq!(Command::decode(&c.encode()), Some(c));
    }
}

//! The `expect` block: kept as written, and read by the scenario's protocol into its own
//! expectation type (`HeartbeatExpect`, `GossipExpect` and `RaftExpect` live with their
//! protocols; a registered protocol's is its [`crate::protocol::Protocol::Expect`]).

use super::error::Invalid;
use super::spec::Scenario;
use serde::de::{self, DeserializeOwned, Deserializer, Visitor};
use serde::{Deserialize, Serialize};

/// The scenario's `expect` object as written (absent: empty). Which fields it may hold is the
/// protocol's business: [`Scenario::expectations`] reads it into the protocol's type.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ExpectBlock(serde_json::Map<String, serde_json::Value>);

impl Scenario {
    /// The `expect` block read as `T`, the expectation type of the scenario's protocol (`T`'s
    /// default when the block is empty). Errors name `expect.<field>`; a field that belongs to
    /// another protocol's expectations names that protocol.
    pub fn expectations<T: DeserializeOwned + Default>(&self) -> Result<T, Invalid> {
        let block = &self.expect.0;
        if block.is_empty() {
            return Ok(T::default());
        }
        let protocol = self.protocol.name();
        if let Some(known) = field_names::<T>() {
            if let Some(field) = block.keys().find(|key| !known.contains(&key.as_str())) {
                return Err(foreign_field(field, protocol, known));
            }
        }
        let value = serde_json::Value::Object(block.clone());
        let in_block =
            |path: &str, message: String| match super::field_path(path, &message).as_str() {
                "" => Invalid::new("expect", message),
                field => Invalid::new(format!("expect.{field}"), message),
            };
        super::strict::read_block(value).map_err(|(path, message)| in_block(&path, message))
    }
}

/// The error for `field`, which the expectations of `protocol` (fields `known`) lack.
fn foreign_field(field: &str, protocol: &str, known: &[&str]) -> Invalid {
    let message = match crate::protocols::expectation_owner(field) {
        Some(owner) => format!(
            "applies only to the {owner} protocol, and this scenario runs {protocol}; \
             remove it or switch protocols"
        ),
        None if known.is_empty() => {
            format!("unknown field `{field}`: the {protocol} protocol has no expectations")
        }
        None => format!(
            "unknown field `{field}`: the {protocol} protocol expects one of `{}`",
            known.join("`, `")
        ),
    };
    Invalid::new(format!("expect.{field}"), message)
}

/// The fields of `T` when serde derives it as a struct (the names its `Deserialize` hands to
/// `deserialize_struct`, after renames); `None` for any other shape.
pub(crate) fn field_names<T: DeserializeOwned>() -> Option<&'static [&'static str]> {
    let mut names = None;
    let _ = T::deserialize(FieldNames(&mut names));
    names
}

/// A deserializer that records the field names of the struct asked of it and fails.
struct FieldNames<'a>(&'a mut Option<&'static [&'static str]>);

impl<'de> Deserializer<'de> for FieldNames<'_> {
    type Error = de::value::Error;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(de::Error::custom("not a struct"))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Self::Error> {
        *self.0 = Some(fields);
        Err(de::Error::custom("only the field names were asked for"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn scenario(protocol: &str, expect: &str) -> Result<Scenario, String> {
        let block = match protocol {
            "heartbeat" => r#"{"heartbeat": {"interval": "50ms", "timeout": "400ms"}}"#,
            "gossip" => {
                r#"{"gossip": {"mode": "push_pull", "interval": "200ms",
                "writes": {"count": 2, "keys": 2, "from": "100ms", "until": "1s"}}}"#
            }
            _ => r#"{"raft": {"election_timeout": ["150ms", "300ms"], "heartbeat": "50ms"}}"#,
        };
        let workload = match protocol {
            "raft" => r#","workload": {"clients": 1, "ops": 5, "keys": 1, "mix": {"put": 1}}"#,
            _ => "",
        };
        let text = format!(
            r#"{{"version": 1, "name": "t", "seed": 1, "duration": "2s", "protocol": {block},
               "cluster": {{"nodes": 3}}{workload}, "expect": {expect}}}"#
        );
        super::super::parse(&text, Path::new("t.json")).map_err(|e| e.to_string())
    }

    /// A field of another protocol's expectations is refused naming the field, the protocol
    /// it belongs to and the scenario's; a field of none gets the protocol's list.
    #[test]
    fn a_field_of_another_protocol_names_both_protocols() {
        let error = scenario("gossip", r#"{"leader_within": "1s"}"#).unwrap_err();
        assert!(
            error.contains("field `expect.leader_within`")
                && error.contains("applies only to the raft protocol")
                && error.contains("this scenario runs gossip"),
            "{error}"
        );
        let error = scenario("raft", r#"{"converged": true}"#).unwrap_err();
        assert!(
            error.contains("applies only to the gossip protocol"),
            "{error}"
        );
        let error = scenario("heartbeat", r#"{"swift": true}"#).unwrap_err();
        assert!(
            error.contains("field `expect.swift`")
                && error.contains("expects one of `live_nodes_connected`"),
            "{error}"
        );
        let error = scenario("raft", r#"{"leader_within": 3}"#).unwrap_err();
        assert!(error.contains("field `expect.leader_within`"), "{error}");
    }

    /// Each protocol reads its own fields; an empty or absent block expects nothing.
    #[test]
    fn each_protocol_reads_its_own_fields() {
        for (protocol, expect) in [
            ("heartbeat", r#"{"live_nodes_connected": true}"#),
            ("gossip", r#"{"converged": true, "converged_within": "3s"}"#),
            ("raft", r#"{"linearizable": true, "leader_within": "2s"}"#),
            ("raft", "{}"),
        ] {
            scenario(protocol, expect).unwrap_or_else(|e| panic!("{protocol} {expect}: {e}"));
        }
    }

    #[test]
    fn field_names_are_those_of_a_struct_and_none_otherwise() {
        #[derive(Deserialize)]
        #[allow(dead_code)]
        struct Two {
            a: u32,
            #[serde(rename = "bee")]
            b: u32,
        }
        assert_eq!(field_names::<Two>(), Some(&["a", "bee"][..]));
        assert_eq!(field_names::<u32>(), None);
        assert_eq!(field_names::<()>(), None);
    }
}

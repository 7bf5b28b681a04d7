//! The v1 scenario format, as typed Rust values (see the README's "Scenario format" section).

use super::duration::Span;
use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub use super::fault::FaultSpec;
use crate::protocols::heartbeat::HeartbeatSpec;
pub use crate::protocols::raft::spec::RaftSpec;

/// A whole scenario file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Format version; must be 1.
    pub version: u32,
    /// Short identifier, shown in every report.
    pub name: String,
    /// What the scenario exercises and what should happen.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Root seed of every random stream (the CLI's `--seed` overrides it).
    pub seed: u64,
    /// Virtual time to simulate.
    pub duration: Span,
    /// Which protocol runs on the nodes, with its parameters.
    pub protocol: ProtocolSpec,
    /// Nodes, zones and clocks.
    pub cluster: ClusterSpec,
    /// Link behaviour.
    #[serde(default)]
    pub network: NetworkSpec,
    /// Simulated clients and the operations they issue (Raft only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workload: Option<WorkloadSpec>,
    /// Scheduled faults, in any order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub faults: Vec<FaultSpec>,
    /// What must hold for the run to pass, read by the protocol into its own expectation type
    /// ([`Scenario::expectations`]).
    #[serde(default)]
    pub expect: super::expect::ExpectBlock,
}

/// The protocol block: exactly one protocol with its parameters.
#[derive(Clone, Debug, PartialEq)]
pub enum ProtocolSpec {
    /// All-to-all heartbeats with a timeout-based failure detector (the kernel's test protocol).
    Heartbeat(HeartbeatSpec),
    /// Epidemic dissemination with anti-entropy or rumor mongering, optionally SWIM membership.
    Gossip(crate::protocols::gossip::GossipSpec),
    /// Raft servers running a replicated key-value store.
    Raft(RaftSpec),
    /// A protocol registered by the user (see [`crate::protocol::Registry`]): its name and its
    /// block as written, which the protocol parses and validates itself.
    Registered {
        /// The block's key, the protocol's [`crate::protocol::Protocol::NAME`].
        name: String,
        /// The block's value.
        block: serde_json::Value,
    },
}

impl ProtocolSpec {
    /// The protocol's name as written in scenario files.
    pub fn name(&self) -> &str {
        match self {
            ProtocolSpec::Heartbeat(_) => "heartbeat",
            ProtocolSpec::Gossip(_) => "gossip",
            ProtocolSpec::Raft(_) => "raft",
            ProtocolSpec::Registered { name, .. } => name,
        }
    }
}

impl Serialize for ProtocolSpec {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(1))?;
        match self {
            ProtocolSpec::Heartbeat(spec) => map.serialize_entry("heartbeat", spec)?,
            ProtocolSpec::Gossip(spec) => map.serialize_entry("gossip", spec)?,
            ProtocolSpec::Raft(spec) => map.serialize_entry("raft", spec)?,
            ProtocolSpec::Registered { name, block } => map.serialize_entry(name, block)?,
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for ProtocolSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(ProtocolVisitor)
    }
}

/// Reads the one-key protocol block; a key that is no built-in protocol must be registered.
struct ProtocolVisitor;

impl<'de> de::Visitor<'de> for ProtocolVisitor {
    type Value = ProtocolSpec;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "an object with one key naming the protocol")
    }

    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<ProtocolSpec, A::Error> {
        let Some(name) = map.next_key::<String>()? else {
            return Err(de::Error::custom(format!(
                "expected one protocol, one of {}; found none",
                crate::protocol::names().join(", ")
            )));
        };
        let spec = match name.as_str() {
            "heartbeat" => ProtocolSpec::Heartbeat(map.next_value()?),
            "gossip" => ProtocolSpec::Gossip(map.next_value()?),
            "raft" => ProtocolSpec::Raft(map.next_value()?),
            other if crate::protocol::is_registered(other) => ProtocolSpec::Registered {
                name: name.clone(),
                block: map.next_value()?,
            },
            other => {
                let known = crate::protocol::names();
                return Err(de::Error::custom(format!(
                    "unknown variant `{other}`: expected one of `{}` (a protocol of your own must be registered, see faultline::cli::main_with)",
                    known.join("`, `")
                )));
            }
        };
        if let Some(extra) = map.next_key::<String>()? {
            return Err(de::Error::custom(format!(
                "expected one protocol; found {name} and {extra}"
            )));
        }
        Ok(spec)
    }
}

/// Simulated clients: each runs its share of `ops` one at a time against the cluster.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkloadSpec {
    /// Number of clients (named c1..cK).
    pub clients: u32,
    /// Total operations over all clients.
    pub ops: u32,
    /// Number of distinct keys (named k0..).
    pub keys: u32,
    /// Relative weights of the operation kinds.
    pub mix: MixSpec,
    /// A client gives up on an operation after this long (it is then indeterminate).
    #[serde(default = "default_op_timeout")]
    pub timeout: Span,
    /// `[min, max]` pause between a client's operations.
    #[serde(default = "default_think")]
    pub think: [Span; 2],
}

fn default_op_timeout() -> Span {
    Span(std::time::Duration::from_secs(2))
}

fn default_think() -> [Span; 2] {
    let ms = |n| Span(std::time::Duration::from_millis(n));
    [ms(0), ms(20)]
}

/// Weights of get, put, append and compare-and-set; missing kinds weigh 0.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MixSpec {
    /// Reads.
    #[serde(default)]
    pub get: f64,
    /// Overwrites.
    #[serde(default)]
    pub put: f64,
    /// Appends.
    #[serde(default)]
    pub append: f64,
    /// Compare-and-set against the last value the client saw.
    #[serde(default)]
    pub cas: f64,
}

/// Nodes and where they are.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterSpec {
    /// Number of protocol nodes; they are numbered 1..=nodes in faults and zones.
    pub nodes: u32,
    /// Band of clock rates, e.g. `[0.95, 1.05]`: each node's timers run at a rate drawn from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock_skew: Option<[f64; 2]>,
    /// Zones (racks, regions) by name, each listing its nodes; unlisted nodes are in "default".
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub zones: BTreeMap<String, Vec<u32>>,
    /// Each protocol node's disk (sync latency, crash loss, tearing, capacity); without it a
    /// protocol's durable state is written through at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disk: Option<super::disk::DiskSettings>,
}

/// Default link behaviour plus per-zone-pair overrides.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkSpec {
    /// Latency of every link not overridden.
    #[serde(default = "default_latency")]
    pub latency: LatencySpec,
    /// Probability a message is lost.
    #[serde(default)]
    pub drop: f64,
    /// Probability a message is delivered twice.
    #[serde(default)]
    pub duplicate: f64,
    /// Probability a message may overtake earlier ones on its link.
    #[serde(default)]
    pub reorder: f64,
    /// Overrides for messages between zones.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<ZoneLinkSpec>,
}

fn default_latency() -> LatencySpec {
    LatencySpec::Fixed(Span(std::time::Duration::from_millis(1)))
}

impl Default for NetworkSpec {
    fn default() -> Self {
        NetworkSpec {
            latency: default_latency(),
            drop: 0.0,
            duplicate: 0.0,
            reorder: 0.0,
            links: Vec::new(),
        }
    }
}

/// Link behaviour between two zones.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZoneLinkSpec {
    /// Zone the messages leave.
    pub from: String,
    /// Zone the messages reach.
    pub to: String,
    /// Apply only from `from` to `to` (by default the reverse direction gets the same link).
    #[serde(default)]
    pub one_way: bool,
    /// The link; fields left out keep the network's defaults.
    pub link: LinkOverride,
}

/// Some or all of a link's parameters.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkOverride {
    /// Latency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency: Option<LatencySpec>,
    /// Loss probability.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drop: Option<f64>,
    /// Duplication probability.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duplicate: Option<f64>,
    /// Reordering probability.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reorder: Option<f64>,
}

/// A latency distribution: `"5ms"`, `["1ms", "10ms"]` (uniform) or
/// `{"pareto": {"min": "1ms", "alpha": 1.5, "max": "1s"}}` (heavy-tailed).
#[derive(Clone, Debug, PartialEq)]
pub enum LatencySpec {
    /// Always the same.
    Fixed(Span),
    /// Uniform in a range.
    Uniform(Span, Span),
    /// Pareto, truncated.
    Pareto {
        /// Scale (most common value).
        min: Span,
        /// Shape (> 0).
        alpha: f64,
        /// Cap.
        max: Span,
    },
}

/// What a latency field expects; used in error messages.
pub const LATENCY_EXPECTED: &str =
    "a duration (\"5ms\"), a range [\"1ms\", \"10ms\"], or {\"pareto\": {\"min\": \"1ms\", \"alpha\": 1.5, \"max\": \"1s\"}}";

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ParetoFields {
    min: Span,
    alpha: f64,
    max: Span,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ParetoWrapper {
    pareto: ParetoFields,
}

impl Serialize for LatencySpec {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match *self {
            LatencySpec::Fixed(span) => span.serialize(serializer),
            LatencySpec::Uniform(min, max) => [min, max].serialize(serializer),
            LatencySpec::Pareto { min, alpha, max } => ParetoWrapper {
                pareto: ParetoFields { min, alpha, max },
            }
            .serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for LatencySpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        let invalid =
            |what: &str| de::Error::custom(format!("expected {LATENCY_EXPECTED}; found {what}"));
        match &value {
            serde_json::Value::String(text) => Span::parse(text)
                .map(LatencySpec::Fixed)
                .ok_or_else(|| invalid(&format!("{text:?}"))),
            serde_json::Value::Array(items) => match items.as_slice() {
                [serde_json::Value::String(a), serde_json::Value::String(b)] => {
                    match (Span::parse(a), Span::parse(b)) {
                        (Some(min), Some(max)) => Ok(LatencySpec::Uniform(min, max)),
                        _ => Err(invalid(&value.to_string())),
                    }
                }
                _ => Err(invalid(&value.to_string())),
            },
            serde_json::Value::Object(_) => {
                super::strict::objects_only::<ParetoWrapper>(&value)
                    .map_err(|(path, _)| invalid(&format!("an array at `{path}`")))?;
                serde_json::from_value::<ParetoWrapper>(value)
                    .map(|w| LatencySpec::Pareto {
                        min: w.pareto.min,
                        alpha: w.pareto.alpha,
                        max: w.pareto.max,
                    })
                    .map_err(|e| invalid(&e.to_string()))
            }
            other => Err(invalid(&other.to_string())),
        }
    }
}

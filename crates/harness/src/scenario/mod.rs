//! Scenario files: parsing, validation, and translation into kernel settings.

mod disk;
mod duration;
mod enum_error;
mod episodes;
mod error;
mod expect;
mod fault;
mod members;
mod outage;
mod spec;
pub(crate) mod strict;
mod validate;

/// The gossip protocol block's types (defined with the gossip protocol).
pub use crate::protocols::gossip::{
    ConflictSpec, GossipSpec, LossSpec, MerkleTreeSpec, ModeSpec, PeersSpec, ReconciliationSpec,
    RumorSpec, SpatialSpec, SwimSpec, WritesSpec, AUTO_MERKLE_BITS, MERKLE_SHAPE,
};
/// The heartbeat protocol block's types (defined with the heartbeat protocol).
pub use crate::protocols::heartbeat::{HeartbeatExpect, HeartbeatSpec};
/// The Raft protocol block's types (defined with the Raft protocol).
pub use crate::protocols::raft::spec::{BugsSpec, FlowControlSpec, RaftSpec, ReadMode};
/// Each built-in protocol's expectations (defined with the protocol).
pub use crate::protocols::{gossip::GossipExpect, raft::expect::RaftExpect};
pub use disk::{
    CrashLossSpec, DiskEffect, DiskFaultSpec, DiskOverride, DiskSettings, DiskTargetSpec,
};
pub use duration::{Span, DURATION_EXPECTED};
pub use episodes::{episodes, Episode};
pub use error::{Invalid, ScenarioError};
pub(crate) use expect::field_names;
pub use expect::ExpectBlock;
pub use fault::{
    Aim, AimedEffect, AimedFault, Carrier, ClockSpec, CutSpec, FaultAction, FaultSpec,
    MembershipSpec, TransferSpec,
};
pub use members::{member_changes, ChangeKind, JoinSpec, MemberChange, Standing};
pub use outage::{LateRestart, OutageSpec, OUTAGE_EXPECTED};
pub use spec::{
    ClusterSpec, LatencySpec, LinkOverride, MixSpec, NetworkSpec, ProtocolSpec, Scenario,
    WorkloadSpec, ZoneLinkSpec, LATENCY_EXPECTED,
};
pub(crate) use validate::latency as validate_latency;
pub(crate) use validate::{at_most, node_id, positive};
pub use validate::{validate, MAX_NODES};

use faultline_sim::{Fault, LatencyDist, LinkConfig, NodeId, SimConfig, Time, Topology, PPM_ONE};
use std::path::Path;

/// Reads, parses and validates a scenario file (at most [`crate::files::input_limit`] bytes read,
/// so pipes and devices are capped too).
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    let text = crate::files::read_input(path).map_err(|source| ScenarioError::Io {
        file: path.to_path_buf(),
        source,
    })?;
    parse(&text, path)
}

/// Parses and validates scenario text; `path` is only used to name the file in errors.
pub fn parse(text: &str, path: &Path) -> Result<Scenario, ScenarioError> {
    let file = path.to_path_buf();
    // A top level that is not an object is named by the ordinary reading below.
    if let Ok(value @ serde_json::Value::Object(_)) = serde_json::from_str(text) {
        strict::objects_only::<Scenario>(&value).map_err(|(path, message)| {
            ScenarioError::Field {
                file: file.clone(),
                field: field_path(&path, &message),
                message,
            }
        })?;
    }
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let scenario: Scenario =
        serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
            let path = error.path().to_string();
            let misplaced = if error.inner().is_syntax() {
                enum_error::misplaced_enum::<Scenario>(text, error.path())
            } else {
                None
            };
            let inner = error.into_inner();
            let message = plain_message(&inner.to_string());
            if let Some(invalid) = shape_error(text, &path).or(misplaced) {
                ScenarioError::Field {
                    file: file.clone(),
                    field: invalid.field,
                    message: invalid.message,
                }
            } else if inner.is_syntax() || inner.is_eof() {
                ScenarioError::Syntax {
                    file: file.clone(),
                    line: inner.line(),
                    column: inner.column(),
                    message,
                }
            } else {
                ScenarioError::Field {
                    file: file.clone(),
                    field: field_path(&path, &message),
                    message,
                }
            }
        })?;
    deserializer.end().map_err(|inner| ScenarioError::Syntax {
        file: file.clone(),
        line: inner.line(),
        column: inner.column(),
        message: plain_message(&inner.to_string()),
    })?;
    validate(&scenario).map_err(|invalid| ScenarioError::Field {
        file,
        field: invalid.field,
        message: invalid.message,
    })?;
    Ok(scenario)
}

/// What the protocol block must hold.
const PROTOCOL_EXPECTED: &str =
    "expected exactly one protocol block: {\"heartbeat\": {...}}, {\"gossip\": {...}} or {\"raft\": {...}}";

/// For valid JSON that serde rejected with a misleading message: a top level that is not an
/// object, or a protocol block with no protocol or more than one (serde reports these as syntax
/// errors or as type errors about the first field).
fn shape_error(text: &str, path: &str) -> Option<Invalid> {
    if let Some(found) = top_level_kind(text) {
        return Some(Invalid::new(
            "",
            format!("expected a JSON object at the top level (a scenario), found {found}"),
        ));
    }
    if !path.starts_with("protocol") {
        return None;
    }
    let value: serde_json::Value = serde_json::from_str(text).ok()?;
    let found = match value.get("protocol")? {
        serde_json::Value::Object(blocks) if blocks.len() == 1 => return None,
        serde_json::Value::Object(blocks) => format!("{} blocks", blocks.len()),
        serde_json::Value::String(_) => "a string".to_string(),
        serde_json::Value::Array(_) => "an array".to_string(),
        other => other.to_string(),
    };
    Some(Invalid::new(
        "protocol",
        format!("{PROTOCOL_EXPECTED}, found {found}"),
    ))
}

/// What the text holds at the top level when it starts like a JSON value other than an object
/// (whatever follows), e.g. `an array`.
pub(crate) fn top_level_kind(text: &str) -> Option<&'static str> {
    match text.trim_start().bytes().next()? {
        b'[' => Some("an array"),
        b'"' => Some("a string"),
        b'-' | b'0'..=b'9' => Some("a number"),
        b't' | b'f' => Some("a boolean"),
        b'n' => Some("null"),
        _ => None,
    }
}

/// The full path of the field an error is about; serde reports a missing field at its parent.
pub(crate) fn field_path(path: &str, message: &str) -> String {
    let parent = if path == "." { "" } else { path };
    let missing = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next());
    match (missing, parent) {
        (Some(name), "") => name.to_string(),
        (Some(name), parent) => format!("{parent}.{name}"),
        (None, parent) => parent.to_string(),
    }
}

/// serde's data error as a user reads it: without serde_json's " at line L column C" (the field
/// path already locates it) and without Rust type names. A struct is "a JSON object": "invalid
/// type: integer `7`, expected struct RaftSpec" ends "expected a JSON object", and an array
/// where an object belongs ("invalid length 0, expected struct X with 5 elements") reads
/// "expected a JSON object, found an array".
pub(crate) fn plain_message(message: &str) -> String {
    let message = strip_position(message);
    let Some(at) = message.find("expected struct ") else {
        return message;
    };
    if message.starts_with("invalid length ") {
        return "expected a JSON object, found an array".to_string();
    }
    format!("{}expected a JSON object", &message[..at])
}

/// serde_json appends " at line L column C" to data errors.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(cut) => message[..cut].to_string(),
        None => message.to_string(),
    }
}

/// The kernel id of scenario node `id` (1-based): protocol nodes are added first, in order.
pub fn node(id: u32) -> NodeId {
    NodeId::new(id - 1)
}

/// A clock rate as the kernel takes it: parts per million of true time.
pub fn rate_ppm(rate: f64) -> u64 {
    (rate * PPM_ONE as f64).round() as u64
}

impl LatencySpec {
    /// The kernel's distribution.
    pub fn to_dist(&self) -> LatencyDist {
        match *self {
            LatencySpec::Fixed(d) => LatencyDist::Fixed(d.0),
            LatencySpec::Uniform(min, max) => LatencyDist::Uniform {
                min: min.0,
                max: max.0,
            },
            LatencySpec::Pareto { min, alpha, max } => LatencyDist::Pareto {
                min: min.0,
                alpha,
                max: max.0,
            },
        }
    }
}

impl LinkOverride {
    /// `base` with this override's fields replacing its own.
    pub fn apply(&self, base: &LinkConfig) -> LinkConfig {
        LinkConfig {
            latency: self
                .latency
                .as_ref()
                .map_or_else(|| base.latency.clone(), LatencySpec::to_dist),
            drop: self.drop.unwrap_or(base.drop),
            duplicate: self.duplicate.unwrap_or(base.duplicate),
            reorder: self.reorder.unwrap_or(base.reorder),
        }
    }
}

impl Scenario {
    /// Link behaviour where no zone override applies.
    pub fn default_link(&self) -> LinkConfig {
        let n = &self.network;
        LinkConfig {
            latency: n.latency.to_dist(),
            drop: n.drop,
            duplicate: n.duplicate,
            reorder: n.reorder,
        }
    }

    /// Zones (in name order, after "default") and their links.
    pub fn topology(&self) -> Topology {
        let base = self.default_link();
        let mut topology = Topology::uniform(base.clone());
        for name in self.cluster.zones.keys() {
            if topology.zone(name).is_none() {
                topology.add_zone(name);
            }
        }
        for link in &self.network.links {
            let (Some(from), Some(to)) = (topology.zone(&link.from), topology.zone(&link.to))
            else {
                continue;
            };
            let config = link.link.apply(&base);
            if !link.one_way {
                topology.set_link(to, from, config.clone());
            }
            topology.set_link(from, to, config);
        }
        topology
    }

    /// The zone name of scenario node `id`.
    pub fn zone_of(&self, id: u32) -> &str {
        self.cluster
            .zones
            .iter()
            .find(|(_, members)| members.contains(&id))
            .map_or("default", |(name, _)| name)
    }

    /// Kernel settings for a run with `seed`.
    pub fn sim_config(&self, seed: u64) -> SimConfig {
        SimConfig {
            seed,
            topology: self.topology(),
            clock_skew_ppm: self
                .cluster
                .clock_skew
                .map(|[low, high]| (rate_ppm(low), rate_ppm(high))),
        }
    }

    /// The fault schedule in kernel terms, in file order (operator actions such as membership
    /// changes, and faults aimed at a leader, are resolved during the run and left out).
    pub fn kernel_faults(&self) -> Vec<(Time, Fault)> {
        fault::kernel_faults(self, &self.default_link())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_block_of_the_wrong_kind_is_called_a_json_object_not_a_rust_struct() {
        let base = r#"{"version": 1, "name": "t", "seed": 1, "duration": "3s",
            "protocol": {"heartbeat": {"interval": "50ms", "timeout": "400ms"}}, "cluster": CLUSTER}"#;
        for (cluster, expected) in [
            ("7", "invalid type: integer `7`, expected a JSON object"),
            (
                "\"x\"",
                "invalid type: string \"x\", expected a JSON object",
            ),
            ("[]", "expected a JSON object, found an array"),
        ] {
            let text = base.replace("CLUSTER", cluster);
            let error = parse(&text, Path::new("t.json")).unwrap_err().to_string();
            assert!(error.contains("field `cluster`"), "{error}");
            assert!(error.contains(expected), "{error}");
            assert!(!error.contains("struct"), "{error}");
        }
    }

    #[test]
    fn an_outage_crashes_every_node_and_restarts_them_all_after_it() {
        let text = r#"{"version": 1, "name": "t", "seed": 1, "duration": "3s",
            "protocol": {"heartbeat": {"interval": "50ms", "timeout": "400ms"}},
            "cluster": {"nodes": 3}, "faults": [{"at": "1s", "outage": "5ms"}]}"#;
        let scenario = parse(text, Path::new("t.json")).unwrap();
        let (down, up) = (Time::from_secs(1), Time::from_millis(1005));
        let expected: Vec<(Time, Fault)> = (1..=3)
            .map(|n| (down, Fault::Crash(node(n))))
            .chain((1..=3).map(|n| (up, Fault::Restart(node(n)))))
            .collect();
        assert_eq!(scenario.kernel_faults(), expected);
        assert_eq!(
            scenario.faults[0].repaired_at(),
            Span::parse("1005ms").unwrap()
        );
    }
}

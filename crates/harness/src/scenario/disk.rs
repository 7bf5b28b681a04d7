//! Storage in scenarios: the cluster's disk settings (`cluster.disk`) and the `disk` fault's
//! block, with their validation and kernel translation. The fault's place among the others
//! (undoes, describe, windows, shrinking) is in `fault.rs`.

use super::duration::Span;
use super::error::Invalid;
use super::spec::LatencySpec;
use super::validate as check;
use faultline_sim::{CrashLoss, DiskConfig, DiskFault, DiskTarget};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The zone of the nodes `cluster.zones` does not list.
const DEFAULT_ZONE: &str = "default";

/// `cluster.disk`: how each protocol node's disk behaves. Without it a protocol keeps its own
/// durable state written through at once (and no disk event enters the trace).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiskSettings {
    /// Time from asking for a sync to its completion (a latency, as for links).
    #[serde(default = "instant")]
    pub sync_latency: LatencySpec,
    /// What a crash does to unsynced writes: `"all"` are lost, a seeded `"prefix"` survives,
    /// or a seeded `"subset"` (reordered) survives.
    #[serde(default)]
    pub crash_loss: CrashLossSpec,
    /// Probability that the last unsynced write a crash keeps is torn.
    #[serde(default)]
    pub torn_write: f64,
    /// Bytes each disk holds; unlimited when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<u64>,
    /// Per zone (a name of `cluster.zones`, or `"default"` for the nodes it does not list):
    /// the fields in which that zone's disks differ from the cluster's.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub zones: BTreeMap<String, DiskOverride>,
}

/// `cluster.disk.zones.NAME`: some of a disk's settings; fields left out keep the cluster's.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiskOverride {
    /// Sync latency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync_latency: Option<LatencySpec>,
    /// Crash loss.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crash_loss: Option<CrashLossSpec>,
    /// Probability of a torn last write.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub torn_write: Option<f64>,
    /// Bytes each disk of the zone holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<u64>,
}

fn instant() -> LatencySpec {
    LatencySpec::Fixed(Span(std::time::Duration::ZERO))
}

/// The file form of [`CrashLoss`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CrashLossSpec {
    /// Every unsynced write is lost.
    #[default]
    All,
    /// A seeded number of the oldest unsynced writes survive.
    Prefix,
    /// Each unsynced write survives on a seeded coin flip.
    Subset,
}

impl DiskSettings {
    /// The kernel's form for the disks of zone `zone` (the cluster's settings, with the
    /// zone's override if it has one).
    pub fn config_for(&self, zone: &str) -> DiskConfig {
        let over = self.zones.get(zone).cloned().unwrap_or_default();
        let crash_loss = over.crash_loss.unwrap_or(self.crash_loss);
        DiskConfig {
            sync_latency: over
                .sync_latency
                .as_ref()
                .unwrap_or(&self.sync_latency)
                .to_dist(),
            crash_loss: match crash_loss {
                CrashLossSpec::All => CrashLoss::All,
                CrashLossSpec::Prefix => CrashLoss::Prefix,
                CrashLossSpec::Subset => CrashLoss::Subset,
            },
            torn_write: over.torn_write.unwrap_or(self.torn_write),
            capacity: over.capacity.or(self.capacity),
        }
    }

    /// Checks the latency, the probability and each zone's override (its zone must be one of
    /// `zones`, the cluster's, or `"default"`); `field` is the block's path.
    pub fn validate(&self, field: &str, zones: &BTreeMap<String, Vec<u32>>) -> Result<(), Invalid> {
        check::latency(&self.sync_latency, &format!("{field}.sync_latency"))?;
        check::probability(self.torn_write, &format!("{field}.torn_write"))?;
        for (zone, over) in &self.zones {
            let at = format!("{field}.zones.{zone}");
            if zone != DEFAULT_ZONE && !zones.contains_key(zone) {
                let known: Vec<&str> = zones.keys().map(String::as_str).collect();
                return Err(Invalid::new(
                    at,
                    format!(
                        "expected a zone of cluster.zones ({}) or \"{DEFAULT_ZONE}\" (the nodes it does not list), found {zone:?}",
                        known.join(", ")
                    ),
                ));
            }
            over.validate(&at)?;
        }
        Ok(())
    }
}

impl DiskOverride {
    /// Checks that the override sets something, and what it sets; `field` is its path.
    fn validate(&self, field: &str) -> Result<(), Invalid> {
        if *self == DiskOverride::default() {
            return Err(Invalid::new(
                field,
                "expected at least one of sync_latency, crash_loss, torn_write, capacity",
            ));
        }
        if let Some(latency) = &self.sync_latency {
            check::latency(latency, &format!("{field}.sync_latency"))?;
        }
        match self.torn_write {
            Some(p) => check::probability(p, &format!("{field}.torn_write")),
            None => Ok(()),
        }
    }
}

/// What a storage fault aims at: `"any"` (a log record picked from the disk's stream),
/// `{"record": 3}` (the log record at that position, from 0) or `{"slot": "hard_state"}` (a
/// named metadata slot).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum DiskTargetSpec {
    /// A seeded log record.
    Any,
    /// The log record at this position.
    Record(u64),
    /// The named slot.
    Slot(String),
}

impl DiskTargetSpec {
    fn to_kernel(&self) -> DiskTarget {
        match self {
            DiskTargetSpec::Any => DiskTarget::AnyRecord,
            DiskTargetSpec::Record(index) => DiskTarget::Record(*index),
            DiskTargetSpec::Slot(name) => DiskTarget::Slot(name.clone()),
        }
    }

    fn describe(&self) -> String {
        match self {
            DiskTargetSpec::Any => "a log record".to_string(),
            DiskTargetSpec::Record(index) => format!("log record {index}"),
            DiskTargetSpec::Slot(name) => format!("slot {name}"),
        }
    }
}

/// The `disk` fault: one node and exactly one of `corrupt` (flip a bit of the target),
/// `read_error` (its reads fail), `full: true`, `slow` (syncs take this latency) and
/// `repair: true` (ends `full` and `slow`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiskFaultSpec {
    /// The node (1-based).
    pub node: u32,
    /// Flip one bit of this target (latent corruption).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corrupt: Option<DiskTargetSpec>,
    /// Make reads of this target fail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_error: Option<DiskTargetSpec>,
    /// Fill the disk: writes fail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full: Option<bool>,
    /// Syncs take this long.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slow: Option<LatencySpec>,
    /// End `full` and `slow`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repair: Option<bool>,
}

/// What a disk fault does, once validated.
#[derive(Clone, Debug, PartialEq)]
pub enum DiskEffect<'a> {
    /// Flip a bit.
    Corrupt(&'a DiskTargetSpec),
    /// Fail reads.
    ReadError(&'a DiskTargetSpec),
    /// Fill the disk.
    Full,
    /// Slow syncs.
    Slow(&'a LatencySpec),
    /// Back to normal.
    Repair,
}

impl DiskFaultSpec {
    /// The one effect this block names, or what is wrong with it.
    pub fn effect(&self) -> Result<DiskEffect<'_>, String> {
        let effects = [
            self.corrupt.as_ref().map(DiskEffect::Corrupt),
            self.read_error.as_ref().map(DiskEffect::ReadError),
            self.full.map(|_| DiskEffect::Full),
            self.slow.as_ref().map(DiskEffect::Slow),
            self.repair.map(|_| DiskEffect::Repair),
        ];
        let mut set = effects.into_iter().flatten();
        match (set.next(), set.next()) {
            (Some(effect), None) => Ok(effect),
            _ => Err("expected exactly one of corrupt, read_error, full, slow and repair".into()),
        }
    }

    /// True for a fault that lasts until repaired (`full`, `slow`).
    pub fn lasting(&self) -> bool {
        matches!(self.effect(), Ok(DiskEffect::Full | DiskEffect::Slow(_)))
    }

    /// True for `repair`.
    pub fn is_repair(&self) -> bool {
        matches!(self.effect(), Ok(DiskEffect::Repair))
    }

    /// The kernel's form (`None` only for a block that failed validation).
    pub fn to_kernel(&self) -> Option<DiskFault> {
        Some(match self.effect().ok()? {
            DiskEffect::Corrupt(target) => DiskFault::Corrupt(target.to_kernel()),
            DiskEffect::ReadError(target) => DiskFault::ReadError(target.to_kernel()),
            DiskEffect::Full => DiskFault::Full,
            DiskEffect::Slow(latency) => DiskFault::SlowSync(latency.to_dist()),
            DiskEffect::Repair => DiskFault::Repair,
        })
    }

    /// `disk 2 full`-style description.
    pub fn describe(&self) -> String {
        let what = match self.effect() {
            Ok(DiskEffect::Corrupt(target)) => format!("corrupt {}", target.describe()),
            Ok(DiskEffect::ReadError(target)) => format!("read error at {}", target.describe()),
            Ok(DiskEffect::Full) => "full".to_string(),
            Ok(DiskEffect::Slow(latency)) => format!(
                "slow syncs {}",
                serde_json::to_string(latency).unwrap_or_default()
            ),
            Ok(DiskEffect::Repair) => "repaired".to_string(),
            Err(_) => "invalid".to_string(),
        };
        format!("disk {} {what}", self.node)
    }

    /// A weaker form of this fault for the shrinker, with what changed: a corruption or read
    /// error of a named record moved to the next record (less of the log behind it is lost); a
    /// corruption of a seeded record or a slot turned into a read error there (detected without
    /// a checksum); a full disk turned into a slow one (`FULL_AS_SLOW`); slow syncs at half
    /// their latency while it exceeds 1 ms. `None` for a repair or a read error of a seeded
    /// record or slot.
    pub fn weakened(&self) -> Option<(String, DiskFaultSpec)> {
        let base = DiskFaultSpec {
            node: self.node,
            ..DiskFaultSpec::default()
        };
        let (change, weaker) = match self.effect().ok()? {
            DiskEffect::Corrupt(DiskTargetSpec::Record(index)) => (
                "corrupted the next record instead",
                DiskFaultSpec {
                    corrupt: Some(DiskTargetSpec::Record(index + 1)),
                    ..base
                },
            ),
            DiskEffect::ReadError(DiskTargetSpec::Record(index)) => (
                "failed reads of the next record instead",
                DiskFaultSpec {
                    read_error: Some(DiskTargetSpec::Record(index + 1)),
                    ..base
                },
            ),
            DiskEffect::Corrupt(target) => (
                "made the corruption a read error",
                DiskFaultSpec {
                    read_error: Some(target.clone()),
                    ..base
                },
            ),
            DiskEffect::Full => (
                "made the full disk a slow one",
                DiskFaultSpec {
                    slow: Some(LatencySpec::Fixed(FULL_AS_SLOW)),
                    ..base
                },
            ),
            DiskEffect::Slow(latency) => (
                "halved the sync latency",
                DiskFaultSpec {
                    slow: Some(halved(latency)?),
                    ..base
                },
            ),
            DiskEffect::ReadError(_) | DiskEffect::Repair => return None,
        };
        Some((format!("{change} ({})", self.describe()), weaker))
    }

    /// Checks the node, the single effect and its value; `field` is the block's path.
    pub fn validate(&self, nodes: u32, field: &str) -> Result<(), Invalid> {
        check::node_id(self.node, nodes, &format!("{field}.node"))?;
        match self.effect().map_err(|e| Invalid::new(field, e))? {
            DiskEffect::Corrupt(DiskTargetSpec::Slot(name))
            | DiskEffect::ReadError(DiskTargetSpec::Slot(name))
                if name.trim().is_empty() =>
            {
                Err(Invalid::new(
                    format!("{field}.slot"),
                    "expected a slot name",
                ))
            }
            DiskEffect::Full if self.full != Some(true) => Err(Invalid::new(
                format!("{field}.full"),
                "expected true (a `repair` ends it)",
            )),
            DiskEffect::Repair if self.repair != Some(true) => {
                Err(Invalid::new(format!("{field}.repair"), "expected true"))
            }
            DiskEffect::Slow(latency) => check::latency(latency, &format!("{field}.slow")),
            _ => Ok(()),
        }
    }
}

/// How slow a full disk's syncs become when the shrinker weakens it into a slow one.
pub const FULL_AS_SLOW: Span = Span(std::time::Duration::from_millis(100));

/// `latency` with every duration halved, or `None` once its longest is 1 ms or less.
fn halved(latency: &LatencySpec) -> Option<LatencySpec> {
    let half = |span: Span| Span(span.0 / 2);
    let (longest, weaker) = match *latency {
        LatencySpec::Fixed(span) => (span, LatencySpec::Fixed(half(span))),
        LatencySpec::Uniform(min, max) => (max, LatencySpec::Uniform(half(min), half(max))),
        LatencySpec::Pareto { min, alpha, max } => (
            max,
            LatencySpec::Pareto {
                min: half(min),
                alpha,
                max: half(max),
            },
        ),
    };
    (longest.0 > std::time::Duration::from_millis(1)).then_some(weaker)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fault(text: &str) -> DiskFaultSpec {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn each_effect_parses_validates_and_translates() {
        let cases = [
            (
                r#"{"node": 2, "corrupt": "any"}"#,
                DiskFault::Corrupt(DiskTarget::AnyRecord),
            ),
            (
                r#"{"node": 2, "read_error": {"record": 4}}"#,
                DiskFault::ReadError(DiskTarget::Record(4)),
            ),
            (
                r#"{"node": 2, "corrupt": {"slot": "hard_state"}}"#,
                DiskFault::Corrupt(DiskTarget::Slot("hard_state".into())),
            ),
            (r#"{"node": 2, "full": true}"#, DiskFault::Full),
            (r#"{"node": 2, "repair": true}"#, DiskFault::Repair),
        ];
        for (text, kernel) in cases {
            let spec = fault(text);
            spec.validate(3, "faults[0].disk").unwrap();
            assert_eq!(spec.to_kernel(), Some(kernel), "{text}");
            let round: DiskFaultSpec =
                serde_json::from_value(serde_json::to_value(&spec).unwrap()).unwrap();
            assert_eq!(round, spec);
        }
        assert_eq!(
            fault(r#"{"node": 1, "slow": "200ms"}"#).describe(),
            "disk 1 slow syncs \"200ms\""
        );
    }

    #[test]
    fn bad_blocks_name_their_field() {
        let error = |text: &str| {
            let invalid = fault(text).validate(3, "faults[1].disk").unwrap_err();
            format!("{}: {}", invalid.field, invalid.message)
        };
        assert!(error(r#"{"node": 4, "full": true}"#).contains("faults[1].disk.node"));
        assert!(error(r#"{"node": 1}"#).contains("exactly one of corrupt"));
        assert!(error(r#"{"node": 1, "full": true, "repair": true}"#).contains("exactly one"));
        assert!(error(r#"{"node": 1, "full": false}"#).contains("faults[1].disk.full"));
        assert!(error(r#"{"node": 1, "slow": ["9ms", "1ms"]}"#).contains("faults[1].disk.slow"));
        assert!(error(r#"{"node": 1, "corrupt": {"slot": " "}}"#).contains("slot name"));
        let settings: DiskSettings = serde_json::from_str(r#"{"torn_write": 1.5}"#).unwrap();
        assert_eq!(
            settings
                .validate("cluster.disk", &BTreeMap::new())
                .unwrap_err()
                .field,
            "cluster.disk.torn_write"
        );
        assert!(serde_json::from_str::<DiskSettings>(r#"{"crash_loss": "some"}"#).is_err());
    }

    #[test]
    fn each_weakening_is_weaker_and_valid_and_ends() {
        let weaker = |text: &str| fault(text).weakened().map(|(_, spec)| spec);
        let cases = [
            (
                r#"{"node": 2, "corrupt": {"record": 3}}"#,
                Some(r#"{"node": 2, "corrupt": {"record": 4}}"#),
            ),
            (
                r#"{"node": 2, "read_error": {"record": 0}}"#,
                Some(r#"{"node": 2, "read_error": {"record": 1}}"#),
            ),
            (
                r#"{"node": 2, "corrupt": "any"}"#,
                Some(r#"{"node": 2, "read_error": "any"}"#),
            ),
            (
                r#"{"node": 2, "corrupt": {"slot": "hard_state"}}"#,
                Some(r#"{"node": 2, "read_error": {"slot": "hard_state"}}"#),
            ),
            (
                r#"{"node": 2, "full": true}"#,
                Some(r#"{"node": 2, "slow": "100ms"}"#),
            ),
            (
                r#"{"node": 2, "slow": ["10ms", "40ms"]}"#,
                Some(r#"{"node": 2, "slow": ["5ms", "20ms"]}"#),
            ),
            (
                r#"{"node": 2, "slow": {"pareto": {"min": "2ms", "alpha": 1.5, "max": "1s"}}}"#,
                Some(
                    r#"{"node": 2, "slow": {"pareto": {"min": "1ms", "alpha": 1.5, "max": "500ms"}}}"#,
                ),
            ),
            (r#"{"node": 2, "slow": "1ms"}"#, None),
            (r#"{"node": 2, "read_error": "any"}"#, None),
            (r#"{"node": 2, "repair": true}"#, None),
        ];
        for (text, expected) in cases {
            let got = weaker(text);
            assert_eq!(got, expected.map(fault), "{text}");
            if let Some(spec) = got {
                spec.validate(3, "faults[0].disk").unwrap();
            }
        }
        let (line, _) = fault(r#"{"node": 1, "full": true}"#).weakened().unwrap();
        assert_eq!(line, "made the full disk a slow one (disk 1 full)");
        // Slow syncs halve down to 1 ms, then stop.
        let mut slow = fault(r#"{"node": 1, "slow": "1s"}"#);
        let mut steps = 0;
        while let Some((_, next)) = slow.weakened() {
            slow = next;
            steps += 1;
        }
        assert_eq!(
            (steps, slow),
            (10, fault(r#"{"node": 1, "slow": "976562ns"}"#))
        );
    }

    /// A zone's override replaces the fields it gives for that zone's disks only; a zone
    /// missing from `cluster.zones`, an empty override and a bad field are refused by name.
    #[test]
    fn a_zone_overrides_the_clusters_disk_settings() {
        let settings: DiskSettings = serde_json::from_str(
            r#"{"sync_latency": "2ms", "torn_write": 0.5, "capacity": 4096,
                "zones": {"hdd": {"sync_latency": "30ms", "crash_loss": "subset"}}}"#,
        )
        .unwrap();
        let zones: BTreeMap<String, Vec<u32>> = [("hdd".to_string(), vec![3])].into();
        assert!(settings.validate("cluster.disk", &zones).is_ok());
        let hdd = settings.config_for("hdd");
        let other = settings.config_for(DEFAULT_ZONE);
        assert_eq!(other, settings.config_for("ssd"));
        assert_eq!(other.crash_loss, CrashLoss::All);
        assert_eq!(hdd.crash_loss, CrashLoss::Subset);
        assert_ne!(hdd.sync_latency, other.sync_latency);
        assert_eq!((hdd.torn_write, hdd.capacity), (0.5, Some(4096)));
        let error = |zones_block: &str| {
            let text = format!(r#"{{"zones": {zones_block}}}"#);
            let settings: DiskSettings = serde_json::from_str(&text).unwrap();
            let invalid = settings.validate("cluster.disk", &zones).unwrap_err();
            format!("{}: {}", invalid.field, invalid.message)
        };
        let unknown = error(r#"{"ssd": {"torn_write": 0.1}}"#);
        assert!(
            unknown.starts_with("cluster.disk.zones.ssd:") && unknown.contains("(hdd)"),
            "{unknown}"
        );
        assert!(error(r#"{"hdd": {}}"#).contains("expected at least one of"));
        assert!(error(r#"{"default": {"torn_write": 2}}"#)
            .starts_with("cluster.disk.zones.default.torn_write:"));
        assert!(error(r#"{"hdd": {"sync_latency": ["9ms", "1ms"]}}"#)
            .starts_with("cluster.disk.zones.hdd.sync_latency:"));
        let typo = r#"{"zones": {"hdd": {"latency": "1ms"}}}"#;
        assert!(serde_json::from_str::<DiskSettings>(typo).is_err());
    }
}

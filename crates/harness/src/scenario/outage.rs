//! A power loss (`outage`): every node crashes at once and restarts after `down`, or, with
//! `late` groups, some nodes come back later than the rest (a slower boot). In the file format
//! a plain outage is its duration, `"outage": "5ms"`, and a staggered one an object,
//! `"outage": {"down": "5ms", "late": [{"nodes": [3, 4], "by": "100ms"}]}`.

use super::duration::Span;
use super::error::Invalid;
use super::validate as check;
use serde::{Deserialize, Serialize};

/// Every node down for `down`; the nodes of each `late` group that much longer.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(into = "RawOutage")]
pub struct OutageSpec {
    /// How long every node is down.
    pub down: Span,
    /// Nodes that come back after the others, each group by its own delay.
    pub late: Vec<LateRestart>,
}

/// Nodes of an outage that restart `by` after the others.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LateRestart {
    /// The nodes (1-based).
    pub nodes: Vec<u32>,
    /// How much later than the others they restart.
    pub by: Span,
}

/// What an `outage` field is written as: a duration, or an object with `down` and `late`.
#[derive(Serialize)]
#[serde(untagged)]
enum RawOutage {
    Plain(Span),
    Staggered(Staggered),
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Staggered {
    down: Span,
    #[serde(default)]
    late: Vec<LateRestart>,
}

impl<'de> Deserialize<'de> for OutageSpec {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // One message for every wrong form: serde's for an untagged enum names neither, and
        // the object form is read only as an object (not as its fields in an array).
        let expected = || serde::de::Error::custom(format!("expected {OUTAGE_EXPECTED}"));
        let value = serde_json::Value::deserialize(deserializer)?;
        match value {
            serde_json::Value::String(_) => Span::deserialize(value)
                .map(OutageSpec::plain)
                .map_err(|_| expected()),
            serde_json::Value::Object(_)
                if super::strict::objects_only::<Staggered>(&value).is_ok() =>
            {
                let Staggered { down, late } =
                    Staggered::deserialize(value).map_err(|_| expected())?;
                Ok(OutageSpec { down, late })
            }
            _ => Err(expected()),
        }
    }
}

impl From<OutageSpec> for RawOutage {
    fn from(outage: OutageSpec) -> RawOutage {
        if outage.late.is_empty() {
            RawOutage::Plain(outage.down)
        } else {
            RawOutage::Staggered(Staggered {
                down: outage.down,
                late: outage.late,
            })
        }
    }
}

/// What `outage` expects, for parse errors.
pub const OUTAGE_EXPECTED: &str = "a duration such as \"5ms\", or {\"down\": DURATION, \"late\": \
    [{\"nodes\": [N, ...], \"by\": DURATION}, ...]}";

impl OutageSpec {
    /// Every node down for `down`, all back together.
    pub fn plain(down: Span) -> Self {
        OutageSpec {
            down,
            late: Vec::new(),
        }
    }

    /// How long `node` (1-based) stays down.
    pub fn down_for(&self, node: u32) -> Span {
        let late = self.late.iter().find(|group| group.nodes.contains(&node));
        Span(self.down.0 + late.map_or(std::time::Duration::ZERO, |group| group.by.0))
    }

    /// How long the last node stays down.
    pub fn longest(&self) -> Span {
        let latest = self.late.iter().map(|group| group.by.0).max();
        Span(self.down.0 + latest.unwrap_or_default())
    }

    /// `for 5ms`, with the late groups: `for 5ms (n3,n4 back 100ms later)`.
    pub fn describe(&self) -> String {
        let late: Vec<String> = self
            .late
            .iter()
            .map(|group| {
                let names: Vec<String> = group.nodes.iter().map(|n| format!("n{n}")).collect();
                format!("{} back {} later", names.join(","), group.by)
            })
            .collect();
        match late.is_empty() {
            true => format!("for {}", self.down),
            false => format!("for {} ({})", self.down, late.join("; ")),
        }
    }

    /// This outage without `gone` among the late nodes (the shrinker's smaller cluster).
    pub fn without_node(&mut self, gone: u32) {
        for group in &mut self.late {
            group.nodes.retain(|n| *n != gone);
        }
        self.late.retain(|group| !group.nodes.is_empty());
    }

    /// Checks the durations and the late nodes: ids in the cluster, none in two groups.
    pub fn validate(&self, nodes: u32, field: &str) -> Result<(), Invalid> {
        match self.late.is_empty() {
            true => check::positive(self.down, field)?,
            false => check::positive(self.down, &format!("{field}.down"))?,
        }
        for (g, group) in self.late.iter().enumerate() {
            check::positive(group.by, &format!("{field}.late[{g}].by"))?;
        }
        let groups = self.late.iter().enumerate();
        let paths = groups.map(|(g, group)| (format!("{field}.late[{g}].nodes"), &group.nodes[..]));
        check::disjoint_groups(paths, nodes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn ms(ms: u64) -> Span {
        Span(Duration::from_millis(ms))
    }

    #[test]
    fn a_plain_outage_reads_and_writes_as_its_duration() {
        let plain: OutageSpec = serde_json::from_str("\"5ms\"").unwrap();
        assert_eq!(plain, OutageSpec::plain(ms(5)));
        assert_eq!(serde_json::to_string(&plain).unwrap(), "\"5ms\"");
        assert_eq!(plain.down_for(2), ms(5));
    }

    #[test]
    fn late_groups_come_back_later_by_their_own_delay() {
        let text = r#"{"down": "5ms", "late": [{"nodes": [3, 4], "by": "100ms"}, {"nodes": [2], "by": "20ms"}]}"#;
        let staggered: OutageSpec = serde_json::from_str(text).unwrap();
        assert_eq!(staggered.down_for(1), ms(5));
        assert_eq!(staggered.down_for(2), ms(25));
        assert_eq!(staggered.down_for(4), ms(105));
        assert_eq!(staggered.longest(), ms(105));
        assert_eq!(
            staggered.describe(),
            "for 5ms (n3,n4 back 100ms later; n2 back 20ms later)"
        );
        let again: OutageSpec =
            serde_json::from_str(&serde_json::to_string(&staggered).unwrap()).unwrap();
        assert_eq!(again, staggered);
    }

    #[test]
    fn bad_late_groups_name_the_field() {
        let read = |text: &str| serde_json::from_str::<OutageSpec>(text).unwrap();
        let twice = read(
            r#"{"down": "5ms", "late": [{"nodes": [2], "by": "1ms"}, {"nodes": [2], "by": "2ms"}]}"#,
        );
        let err = twice.validate(3, "faults[0].outage").unwrap_err();
        assert_eq!(err.field, "faults[0].outage.late[1].nodes[0]");
        let outside = read(r#"{"down": "5ms", "late": [{"nodes": [4], "by": "1ms"}]}"#);
        let err = outside.validate(3, "faults[0].outage").unwrap_err();
        assert_eq!(err.field, "faults[0].outage.late[0].nodes[0]");
        let empty = read(r#"{"down": "5ms", "late": [{"nodes": [], "by": "1ms"}]}"#);
        let err = empty.validate(3, "faults[0].outage").unwrap_err();
        assert_eq!(err.field, "faults[0].outage.late[0].nodes");
        let unknown = serde_json::from_str::<OutageSpec>(r#"{"down": "5ms", "lat": []}"#);
        assert!(unknown
            .unwrap_err()
            .to_string()
            .contains("{\"down\": DURATION"));
    }

    #[test]
    fn the_object_forms_are_read_only_as_objects() {
        for text in [
            r#"["5ms"]"#,
            r#"["5ms", []]"#,
            r#"{"down": "5ms", "late": [[[2], "10ms"]]}"#,
            "5",
        ] {
            let error = serde_json::from_str::<OutageSpec>(text).unwrap_err();
            assert!(
                error.to_string().contains("{\"down\": DURATION"),
                "{text}: {error}"
            );
        }
    }

    #[test]
    fn a_smaller_cluster_drops_the_node_and_any_group_left_empty() {
        let mut outage = OutageSpec {
            down: ms(5),
            late: vec![LateRestart {
                nodes: vec![3],
                by: ms(9),
            }],
        };
        outage.without_node(3);
        assert_eq!(outage, OutageSpec::plain(ms(5)));
    }
}

//! The gossip protocol's expectations: what a scenario's `expect` block may ask of a gossip run.

use super::GossipSpec;
use crate::scenario::{Invalid, Scenario, Span};
use serde::{Deserialize, Serialize};

/// What must hold at the end of a gossip run; a field left out is not checked.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GossipExpect {
    /// At the end, live mutually reachable nodes hold equal state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub converged: Option<bool>,
    /// Equal state within this long after the last write and the last fault.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub converged_within: Option<Span>,
    /// With SWIM: every member crashed (and still down) is declared dead by every live member
    /// within this long.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub swim_detects_within: Option<Span>,
}

impl GossipExpect {
    /// The scenario's `expect` block read and checked as gossip expectations of `spec`; errors
    /// name `expect.<field>`.
    pub fn of(scenario: &Scenario, spec: &GossipSpec) -> Result<Self, Invalid> {
        let expect: GossipExpect = scenario.expectations()?;
        if expect.swim_detects_within.is_some() && spec.swim.is_none() {
            return Err(Invalid::new(
                "expect.swim_detects_within",
                "expected protocol.gossip.swim to be set",
            ));
        }
        Ok(expect)
    }
}

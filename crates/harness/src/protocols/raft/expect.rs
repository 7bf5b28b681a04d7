//! The Raft protocol's expectations: what a scenario's `expect` block may ask of a Raft run.

use crate::scenario::{Invalid, Scenario, Span};
use serde::{Deserialize, Serialize};

/// What must hold at the end of a Raft run; a field left out is not checked.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RaftExpect {
    /// The client history is (true) or is not (false) linearizable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linearizable: Option<bool>,
    /// After the last fault, a leader exists within this bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leader_within: Option<Span>,
    /// Every operation completed (ok or definitely failed; none indeterminate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub all_ops_complete: Option<bool>,
}

impl RaftExpect {
    /// The scenario's `expect` block read and checked as Raft expectations; errors name
    /// `expect.<field>`.
    pub fn of(scenario: &Scenario) -> Result<Self, Invalid> {
        let expect: RaftExpect = scenario.expectations()?;
        if let Some(within) = expect.leader_within {
            crate::scenario::positive(within, "expect.leader_within")?;
        }
        Ok(expect)
    }
}

//! Tunables of a Raft node, the planted-bug switches, and their validation.

use thiserror::Error;

/// Configuration of one Raft node. Durations are nanoseconds of the caller's clock.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Config {
    /// Lower bound of the randomized election timeout.
    pub election_timeout_min: u64,
    /// Upper bound (inclusive) of the randomized election timeout.
    pub election_timeout_max: u64,
    /// Interval between leader heartbeats; must be below `election_timeout_min`.
    pub heartbeat_interval: u64,
    /// Run a pre-vote round before raising the term.
    pub pre_vote: bool,
    /// A leader steps down if it has not heard from a quorum within `election_timeout_min`.
    pub check_quorum: bool,
    /// Serve reads from a leader lease instead of a heartbeat round (needs bounded clock drift).
    pub lease_reads: bool,
    /// Bound on how far clocks may drift apart during one lease; shortens the lease.
    pub max_clock_drift: u64,
    /// Maximum number of append messages in flight to one follower.
    pub max_inflight_msgs: usize,
    /// Maximum bytes of entries in flight to one follower.
    pub max_inflight_bytes: u64,
    /// Maximum number of entries carried by one append message.
    pub max_entries_per_msg: usize,
    /// Size of one InstallSnapshot chunk in bytes.
    pub snapshot_chunk_size: usize,
    /// Test-only switches that re-introduce known bugs. All off by default.
    pub bugs: PlantedBugs,
}

impl Default for Config {
    fn default() -> Self {
        const MS: u64 = 1_000_000;
        Config {
            election_timeout_min: 150 * MS,
            election_timeout_max: 300 * MS,
            heartbeat_interval: 50 * MS,
            pre_vote: true,
            check_quorum: true,
            lease_reads: false,
            max_clock_drift: 15 * MS,
            max_inflight_msgs: 64,
            max_inflight_bytes: 1 << 20,
            max_entries_per_msg: 64,
            snapshot_chunk_size: 64 * 1024,
            bugs: PlantedBugs::default(),
        }
    }
}

/// Switches that each re-introduce one published class of Raft bug, for the fuzzer to find.
///
/// **All are `false` by default and must stay off outside fault-finding experiments.** Each one
/// makes at least one of the crate's rule tests fail (see `tests/paper/planted_bugs.rs`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct PlantedBugs {
    /// Commit entries of earlier terms by counting replicas (the paper's Figure 8 mistake).
    pub commit_previous_term_by_counting: bool,
    /// Grant votes without checking that the candidate's log is at least as up-to-date.
    pub vote_without_log_check: bool,
    /// Serve reads from local state without confirming leadership (etcd 2.0 `quorum=false`).
    pub read_without_quorum_check: bool,
    /// Accept AppendEntries from a leader of an older term.
    pub accept_stale_term_append: bool,
    /// Lease reads trust the full `election_timeout_min`, ignoring `max_clock_drift`.
    pub lease_ignores_clock_drift: bool,
    /// A restarted server votes at once, forgetting that by acknowledging a heartbeat before
    /// it crashed it promised not to for `election_timeout_min` (a leader's lease relies on
    /// that promise). Found by the swarm Raft template; see `scenarios/regressions/`.
    pub forget_lease_promise_on_restart: bool,
    /// A pre-vote rejected because the voter is already at the campaign term (or later) is
    /// answered at the campaign term, and the pre-candidate does not adopt the voter's term:
    /// two halves of an even voter set, one a term ahead with the shorter logs, refuse each
    /// other forever. Found by the swarm Raft template; see `scenarios/regressions/`.
    pub prevote_rejection_hides_term: bool,
}

/// A configuration that cannot work.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum ConfigError {
    /// `election_timeout_min` must be positive and not above `election_timeout_max`.
    #[error("election timeout range must satisfy 0 < min <= max")]
    ElectionRange,
    /// The heartbeat must fire more often than the minimum election timeout.
    #[error("heartbeat_interval must be positive and below election_timeout_min")]
    Heartbeat,
    /// Limits on in-flight messages, entries per message and chunk size must be positive.
    #[error("max_inflight_msgs, max_inflight_bytes, max_entries_per_msg and snapshot_chunk_size must be positive")]
    Limits,
    /// With lease reads, the drift bound must leave a positive lease.
    #[error("max_clock_drift must be below election_timeout_min when lease_reads is on")]
    Drift,
}

impl Config {
    /// Checks the configuration for values that cannot work.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.election_timeout_min == 0 || self.election_timeout_min > self.election_timeout_max {
            return Err(ConfigError::ElectionRange);
        }
        if self.heartbeat_interval == 0 || self.heartbeat_interval >= self.election_timeout_min {
            return Err(ConfigError::Heartbeat);
        }
        if self.max_inflight_msgs == 0
            || self.max_inflight_bytes == 0
            || self.max_entries_per_msg == 0
            || self.snapshot_chunk_size == 0
        {
            return Err(ConfigError::Limits);
        }
        if self.lease_reads && self.max_clock_drift >= self.election_timeout_min {
            return Err(ConfigError::Drift);
        }
        Ok(())
    }

    /// Length of the leader lease: the minimum election timeout less the drift bound
    /// (or the whole minimum when the `lease_ignores_clock_drift` bug is planted).
    pub fn lease_duration(&self) -> u64 {
        if self.bugs.lease_ignores_clock_drift {
            self.election_timeout_min
        } else {
            self.election_timeout_min
                .saturating_sub(self.max_clock_drift)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_valid_and_bug_free() {
        let c = Config::default();
        assert_eq!(c.validate(), Ok(()));
        assert_eq!(c.bugs, PlantedBugs::default());
        assert!(!c.bugs.commit_previous_term_by_counting);
    }

    #[test]
    fn rejects_impossible_values() {
        let mut c = Config {
            election_timeout_min: 10,
            election_timeout_max: 5,
            ..Config::default()
        };
        assert_eq!(c.validate(), Err(ConfigError::ElectionRange));
        c.election_timeout_max = 20;
        c.heartbeat_interval = 10;
        assert_eq!(c.validate(), Err(ConfigError::Heartbeat));
        c.heartbeat_interval = 2;
        c.max_entries_per_msg = 0;
        assert_eq!(c.validate(), Err(ConfigError::Limits));
        c.max_entries_per_msg = 1;
        c.lease_reads = true;
        c.max_clock_drift = 10;
        assert_eq!(c.validate(), Err(ConfigError::Drift));
    }

    #[test]
    fn lease_shortened_by_drift_unless_bug() {
        let mut c = Config {
            election_timeout_min: 100,
            max_clock_drift: 20,
            ..Config::default()
        };
        assert_eq!(c.lease_duration(), 80);
        c.bugs.lease_ignores_clock_drift = true;
        assert_eq!(c.lease_duration(), 100);
    }
}

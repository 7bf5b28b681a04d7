//! The `raft` protocol block: its serde types (the v1 format), its validation (the core's own
//! `Config::validate`, mapped to field paths, plus what only the harness knows: node ids, read
//! modes, planted-bug combinations) and its translation into the core's `Config`.

use crate::scenario::{Invalid, Span};
use faultline_raft::{Config, ConfigError, PlantedBugs};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Largest Raft cluster (every server talks to every other).
pub const MAX_RAFT_NODES: u32 = 51;

/// Parameters of the Raft protocol.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RaftSpec {
    /// `[min, max]` of the randomized election timeout.
    pub election_timeout: [Span; 2],
    /// Leader heartbeat interval (below the minimum election timeout).
    pub heartbeat: Span,
    /// Run a pre-vote round before raising the term.
    #[serde(default = "yes")]
    pub pre_vote: bool,
    /// A leader that has not heard from a quorum for an election timeout steps down.
    #[serde(default = "yes")]
    pub check_quorum: bool,
    /// How reads are made linearizable.
    #[serde(default)]
    pub reads: ReadMode,
    /// Each server snapshots its state machine once this many entries were applied since its
    /// last snapshot; no snapshots when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot_every: Option<u64>,
    /// How much a leader sends a follower at once (etcd's MaxSizePerMsg and MaxInflightMsgs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow_control: Option<FlowControlSpec>,
    /// Founding voters (1-based ids); the other nodes start empty and join by membership change.
    /// Default: every node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial_members: Option<Vec<u32>>,
    /// Bound on clock drift during one lease (lease reads only); default 10% of the minimum
    /// election timeout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_clock_drift: Option<Span>,
    /// Planted bugs to switch on (all off by default).
    #[serde(default)]
    pub bugs: BugsSpec,
}

/// Replication flow control; `{"max_entries_per_msg": 1, "max_inflight_msgs": 1}` makes
/// replication stop-and-wait, one entry per round trip, as large entries do with a byte limit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlowControlSpec {
    /// Most log entries in one append message (default 64).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_entries_per_msg: Option<u64>,
    /// Most append messages in flight to one follower before the leader waits for an answer
    /// (default 64).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_inflight_msgs: Option<u64>,
    /// Bytes of a snapshot sent in one InstallSnapshot chunk (default 65,536): small chunks
    /// make a transfer take many round trips, long enough for a leader change or a newer
    /// snapshot to restart it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot_chunk_bytes: Option<u64>,
}

fn yes() -> bool {
    true
}

/// How the key-value store serves reads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadMode {
    /// The leader confirms its leadership with a heartbeat round (ReadIndex).
    #[default]
    ReadIndex,
    /// The leader serves reads while its lease (a recent quorum heartbeat) holds.
    Lease,
    /// Reads are appended to the log like writes.
    Log,
}

/// Switches that re-introduce classic Raft bugs, so a scenario can show a check catching them.
/// The core's switches go by the core's names ([`PlantedBugs`]); the storage ones are the
/// harness server's own.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BugsSpec {
    /// Commit entries of earlier terms by counting replicas (the paper's Figure 8). Also read
    /// under its old name `figure8_commit`.
    #[serde(default, alias = "figure8_commit")]
    pub commit_previous_term_by_counting: bool,
    /// Grant votes without the up-to-date log check.
    #[serde(default)]
    pub vote_without_log_check: bool,
    /// Record the vote without making it durable: the server writes it to its disk where no
    /// sync reaches (the kernel's default disk without `cluster.disk`), so a crash loses it.
    #[serde(default)]
    pub forget_vote_on_restart: bool,
    /// Serve reads from local state without confirming leadership. Also read under its old
    /// name `stale_local_reads`.
    #[serde(default, alias = "stale_local_reads")]
    pub read_without_quorum_check: bool,
    /// Accept AppendEntries from a leader of an older term.
    #[serde(default)]
    pub accept_stale_term_append: bool,
    /// Lease reads ignore the clock drift bound. Also read under its old name
    /// `lease_ignores_drift`.
    #[serde(default, alias = "lease_ignores_drift")]
    pub lease_ignores_clock_drift: bool,
    /// A restarted server votes at once, forgetting the promise its last heartbeat
    /// acknowledgement made to the leader's lease.
    #[serde(default)]
    pub forget_lease_promise_on_restart: bool,
    /// A pre-vote refusal hides the voter's higher term from the pre-candidate.
    #[serde(default)]
    pub prevote_rejection_hides_term: bool,
    /// With `cluster.disk`: acknowledge appended entries before their sync completes.
    #[serde(default)]
    pub ack_before_sync: bool,
    /// With `cluster.disk`: grant a vote before the vote's sync completes.
    #[serde(default)]
    pub vote_before_sync: bool,
    /// With `cluster.disk`: on a corrupted or unreadable record, cut the log there (or forget
    /// the damaged slot) and carry on as if nothing beyond it had been acknowledged.
    #[serde(default)]
    pub truncate_on_corruption: bool,
    /// With `cluster.disk`: on a corrupted or unreadable record or slot, refuse to start.
    #[serde(default)]
    pub crash_on_corruption: bool,
    /// With `cluster.disk`: a follower applies and acknowledges a snapshot installed from the
    /// leader without writing it to disk (it waits for the server's own next snapshot), so a
    /// crash loses it and the entries acknowledged after it.
    #[serde(default)]
    pub apply_snapshot_before_durable: bool,
}

impl RaftSpec {
    /// The core's configuration for this block.
    pub fn core_config(&self) -> Config {
        let spec = self;
        let [min, max] = spec.election_timeout;
        let bugs = &spec.bugs;
        let defaults = Config::default();
        let flow = spec.flow_control.unwrap_or_default();
        let count = |n: Option<u64>, default| {
            n.map_or(default, |n| usize::try_from(n).unwrap_or(usize::MAX))
        };
        Config {
            election_timeout_min: min.nanos(),
            election_timeout_max: max.nanos(),
            heartbeat_interval: spec.heartbeat.nanos(),
            pre_vote: spec.pre_vote,
            check_quorum: spec.check_quorum,
            lease_reads: spec.reads == ReadMode::Lease,
            max_clock_drift: spec.max_clock_drift.map_or(min.nanos() / 10, |d| d.nanos()),
            bugs: PlantedBugs {
                commit_previous_term_by_counting: bugs.commit_previous_term_by_counting,
                vote_without_log_check: bugs.vote_without_log_check,
                read_without_quorum_check: bugs.read_without_quorum_check,
                accept_stale_term_append: bugs.accept_stale_term_append,
                lease_ignores_clock_drift: bugs.lease_ignores_clock_drift,
                forget_lease_promise_on_restart: bugs.forget_lease_promise_on_restart,
                prevote_rejection_hides_term: bugs.prevote_rejection_hides_term,
            },
            max_entries_per_msg: count(flow.max_entries_per_msg, defaults.max_entries_per_msg),
            max_inflight_msgs: count(flow.max_inflight_msgs, defaults.max_inflight_msgs),
            snapshot_chunk_size: count(flow.snapshot_chunk_bytes, defaults.snapshot_chunk_size),
            ..defaults
        }
    }

    /// Checks the block for a cluster of `nodes`; field paths start at `protocol.raft`. The
    /// timing and flow-control limits are the core's own (`Config::validate`).
    pub fn validate(&self, nodes: u32) -> Result<(), Invalid> {
        let field = |name: &str| format!("protocol.raft.{name}");
        if self.max_clock_drift.is_some() && self.reads != ReadMode::Lease {
            return Err(Invalid::new(
                field("max_clock_drift"),
                "applies only to lease reads (\"reads\": \"lease\")",
            ));
        }
        self.core_config()
            .validate()
            .map_err(|error| self.config_error(error))?;
        if self.snapshot_every == Some(0) {
            return Err(Invalid::new(
                field("snapshot_every"),
                "expected a positive number",
            ));
        }
        if self.bugs.lease_ignores_clock_drift && self.reads != ReadMode::Lease {
            return Err(Invalid::new(
                field("bugs.lease_ignores_clock_drift"),
                "applies only to lease reads (\"reads\": \"lease\")",
            ));
        }
        if let Some(members) = &self.initial_members {
            if members.is_empty() {
                return Err(Invalid::new(
                    field("initial_members"),
                    "expected at least one founding voter",
                ));
            }
            let mut seen = BTreeSet::new();
            for (i, &node) in members.iter().enumerate() {
                let path = field(&format!("initial_members[{i}]"));
                crate::scenario::node_id(node, nodes, &path)?;
                if !seen.insert(node) {
                    return Err(Invalid::new(path, format!("node {node} is listed twice")));
                }
            }
        }
        crate::scenario::at_most(nodes, MAX_RAFT_NODES, "cluster.nodes", "the raft protocol")
    }

    /// The core's objection, as the field of this block that causes it and what was expected.
    fn config_error(&self, error: ConfigError) -> Invalid {
        let [min, max] = self.election_timeout;
        match error {
            ConfigError::ElectionRange => Invalid::new(
                "protocol.raft.election_timeout",
                format!("expected [min, max] with 0 < min <= max, found [{min}, {max}]"),
            ),
            ConfigError::Heartbeat => Invalid::new(
                "protocol.raft.heartbeat",
                format!(
                    "expected a positive heartbeat shorter than the minimum election timeout ({min}), found {}",
                    self.heartbeat
                ),
            ),
            ConfigError::Limits => {
                let flow = self.flow_control.unwrap_or_default();
                let name = if flow.max_entries_per_msg == Some(0) {
                    "max_entries_per_msg"
                } else if flow.snapshot_chunk_bytes == Some(0) {
                    "snapshot_chunk_bytes"
                } else {
                    "max_inflight_msgs"
                };
                Invalid::new(
                    format!("protocol.raft.flow_control.{name}"),
                    "expected a positive number",
                )
            }
            ConfigError::Drift => Invalid::new(
                "protocol.raft.max_clock_drift",
                format!(
                    "expected a drift bound below the minimum election timeout ({min}), found {}",
                    self.max_clock_drift.map_or(min, |drift| drift)
                ),
            ),
        }
    }
}

//! Code probes (FoundationDB's `CODE_PROBE`): named points at the rare paths of the core. A
//! node sets a probe's bit when it passes the point; the caller reads the set with
//! [`crate::RaftNode::probes`] after any input. Setting a bit changes nothing the node does,
//! so probes never change a run; a sweep counts them to show which rare paths it reached.

/// A rare path of the Raft core.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Probe {
    /// A pre-candidate adopted the newer term a pre-vote refusal named.
    PreVoteRefusalAdopted,
    /// A vote or pre-vote request, or a refusal naming a newer term, ignored: the server
    /// still keeps its promise to a leader's lease.
    VoteWithheldByPromise,
    /// A server with lease reads (re)started bound by the promise not to vote.
    PromiseOnRestart,
    /// A read answered from the leader's lease, without a heartbeat round.
    LeaseRead,
    /// With lease reads on, a read needed a heartbeat round: the lease had lapsed.
    LeaseLapsed,
    /// A new leader held a read until it committed an entry of its own term.
    ReadHeldForNewTerm,
    /// Reads a new leader held were released once it committed an entry of its term.
    HeldReadsReleased,
    /// Pending reads failed because their leadership ended.
    ReadsAborted,
    /// A leader stepped down: no quorum was recently active (check-quorum).
    CheckQuorumStepDown,
    /// A leader left a joint configuration entered in an earlier term.
    JointLeftByNewLeader,
    /// A leader stepped down once a configuration without it committed.
    RemovedLeaderStepsDown,
    /// A follower installed a snapshot.
    SnapshotInstalled,
    /// A snapshot transfer started over (a newer snapshot, or a new leader's) while another
    /// was under way.
    SnapshotRestarted,
    /// A follower cut conflicting entries out of its log.
    LogTruncated,
    /// A leader held back an append: the flow-control window was full.
    FlowControlFull,
    /// A server campaigned on a leader's TimeoutNow (leadership transfer).
    TransferTimeoutNow,
    /// A message of an older term carrying a leader's append, heartbeat or snapshot refused.
    StaleLeaderRefused,
}

impl Probe {
    /// Every probe, in declaration order (the bit order of [`crate::RaftNode::probes`]).
    pub const ALL: [Probe; 17] = [
        Probe::PreVoteRefusalAdopted,
        Probe::VoteWithheldByPromise,
        Probe::PromiseOnRestart,
        Probe::LeaseRead,
        Probe::LeaseLapsed,
        Probe::ReadHeldForNewTerm,
        Probe::HeldReadsReleased,
        Probe::ReadsAborted,
        Probe::CheckQuorumStepDown,
        Probe::JointLeftByNewLeader,
        Probe::RemovedLeaderStepsDown,
        Probe::SnapshotInstalled,
        Probe::SnapshotRestarted,
        Probe::LogTruncated,
        Probe::FlowControlFull,
        Probe::TransferTimeoutNow,
        Probe::StaleLeaderRefused,
    ];

    /// The probe's name in reports (`raft.` and snake case).
    pub fn name(self) -> &'static str {
        match self {
            Probe::PreVoteRefusalAdopted => "raft.prevote_refusal_adopted",
            Probe::VoteWithheldByPromise => "raft.vote_withheld_by_promise",
            Probe::PromiseOnRestart => "raft.promise_on_restart",
            Probe::LeaseRead => "raft.lease_read",
            Probe::LeaseLapsed => "raft.lease_lapsed",
            Probe::ReadHeldForNewTerm => "raft.read_held_for_new_term",
            Probe::HeldReadsReleased => "raft.held_reads_released",
            Probe::ReadsAborted => "raft.reads_aborted",
            Probe::CheckQuorumStepDown => "raft.check_quorum_step_down",
            Probe::JointLeftByNewLeader => "raft.joint_left_by_new_leader",
            Probe::RemovedLeaderStepsDown => "raft.removed_leader_steps_down",
            Probe::SnapshotInstalled => "raft.snapshot_installed",
            Probe::SnapshotRestarted => "raft.snapshot_restarted",
            Probe::LogTruncated => "raft.log_truncated",
            Probe::FlowControlFull => "raft.flow_control_full",
            Probe::TransferTimeoutNow => "raft.transfer_timeout_now",
            Probe::StaleLeaderRefused => "raft.stale_leader_refused",
        }
    }

    /// The probe's bit in a probe set.
    pub fn bit(self) -> u64 {
        1 << self as u32
    }
}

//! Code probes (FoundationDB's `CODE_PROBE`): named points at the rare paths of the gossip
//! core. A node sets a probe's bit when it passes the point; the caller reads the set with
//! [`crate::GossipNode::probes`] after any input. Setting a bit changes nothing the node does,
//! so probes never change a run; a sweep counts them to show which rare paths it reached.

/// A rare path of the gossip core.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Probe {
    /// This member refuted a suspicion of itself with a higher incarnation.
    SuspicionRefuted,
    /// This member refuted its own death (it was declared dead while up).
    DeathRefuted,
    /// Another member's accusation confirmed a suspicion (Lifeguard's dynamic suspicion).
    SuspicionConfirmed,
    /// Another member was declared dead.
    MemberDeclaredDead,
    /// A member believed dead was taken back as alive.
    DeadMemberRevived,
    /// A member believed dead was pinged to reconnect (Serf's reconnection).
    ReconnectPing,
    /// A Merkle exchange found every compared range different.
    MerkleAllRangesDiffer,
    /// This member, joining again after it left, refuted the tombstone others kept of it.
    DepartureRefuted,
    /// A join got no answer within a protocol period and was asked again.
    JoinRetried,
    /// A member believed dead answered a reconnection ping, and whole views were pushed to it.
    ReconnectSynced,
    /// An accusation of this member older than its incarnation was answered, to its sender,
    /// with the current one.
    StaleAccusationAnswered,
    /// A complete delta answered a context this node no longer holds (it changed meanwhile, or
    /// the delta answered this node's core before it left and joined again): its updates were
    /// taken, its context not joined.
    DeltaContextNotJoined,
}

impl Probe {
    /// Every probe, in declaration order (the bit order of [`crate::GossipNode::probes`]).
    pub const ALL: [Probe; 12] = [
        Probe::SuspicionRefuted,
        Probe::DeathRefuted,
        Probe::SuspicionConfirmed,
        Probe::MemberDeclaredDead,
        Probe::DeadMemberRevived,
        Probe::ReconnectPing,
        Probe::MerkleAllRangesDiffer,
        Probe::DepartureRefuted,
        Probe::JoinRetried,
        Probe::ReconnectSynced,
        Probe::StaleAccusationAnswered,
        Probe::DeltaContextNotJoined,
    ];

    /// The probe's name in reports (`gossip.` and snake case).
    pub fn name(self) -> &'static str {
        match self {
            Probe::SuspicionRefuted => "gossip.suspicion_refuted",
            Probe::DeathRefuted => "gossip.death_refuted",
            Probe::SuspicionConfirmed => "gossip.suspicion_confirmed",
            Probe::MemberDeclaredDead => "gossip.member_declared_dead",
            Probe::DeadMemberRevived => "gossip.dead_member_revived",
            Probe::ReconnectPing => "gossip.reconnect_ping",
            Probe::MerkleAllRangesDiffer => "gossip.merkle_all_ranges_differ",
            Probe::DepartureRefuted => "gossip.departure_refuted",
            Probe::JoinRetried => "gossip.join_retried",
            Probe::ReconnectSynced => "gossip.reconnect_synced",
            Probe::StaleAccusationAnswered => "gossip.stale_accusation_answered",
            Probe::DeltaContextNotJoined => "gossip.delta_context_not_joined",
        }
    }

    /// The probe's bit in a probe set.
    pub fn bit(self) -> u64 {
        1 << self as u32
    }
}

//! Expanding a template and a seed into a concrete scenario with every fault listed.

use super::template::{set_pointer, set_pointer_in, EpisodeKind as Kind, FuzzSpec, Template};
use crate::scenario::{
    member_changes, Aim, AimedFault, ChangeKind, ClockSpec, CutSpec, DiskFaultSpec, DiskTargetSpec,
    FaultAction, FaultSpec, JoinSpec, LateRestart, LinkOverride, MembershipSpec, OutageSpec,
    ProtocolSpec, ReadMode, Scenario, Span, TransferSpec,
};
use faultline_sim::{DetRng, RngStreams};
use std::time::Duration;

const MS: u64 = 1_000_000;

/// The concrete scenario for `seed`: the base scenario with this seed, a name that says where it
/// came from, and the drawn fault episodes added to its own faults, sorted by time.
///
/// The same (template, seed) always gives the same scenario: every draw comes from the seed's
/// streams `fuzz.vary<pointer>` (one per varied field), `fuzz.swarm.<purpose>` (see
/// `fuzz::swarm`) and `fuzz.faults`.
pub fn expand(template: &Template, seed: u64) -> Scenario {
    let scenario = vary(template, seed);
    let (mut scenario, mut fuzz) = match &template.fuzz.swarm {
        Some(swarm) => super::swarm::apply(swarm, &template.fuzz, scenario, seed),
        None => (scenario, template.fuzz.clone()),
    };
    narrow_clock_rates_to_lease(&scenario, &mut fuzz);
    scenario.seed = seed;
    scenario.name = format!("{}-seed-{seed}", template.base.name);
    let mut rng = RngStreams::new(seed).stream("fuzz.faults");
    let mut drawn = Episodes::new(&fuzz, &scenario);
    for _ in 0..rng.between(0, u64::from(template.fuzz.max_faults)) {
        drawn.draw(&mut rng);
    }
    scenario.faults.extend(drawn.faults);
    scenario.faults.sort_by_key(|f| f.at);
    scenario
}

/// With lease reads, the clock rates drawn for faults narrowed to what the lease's drift bound
/// allows ([`super::swarm::lease_clock_rates`]): a clock beyond the bound breaks a lease whatever
/// the core does, so such a failure would be the template's, not the protocol's.
fn narrow_clock_rates_to_lease(scenario: &Scenario, fuzz: &mut FuzzSpec) {
    if let ProtocolSpec::Raft(raft) = &scenario.protocol {
        if raft.reads == ReadMode::Lease {
            fuzz.clock_rate = super::swarm::lease_clock_rates(raft, fuzz.clock_rate);
        }
    }
}

/// The base scenario with each `vary` field set to a value drawn from its own stream,
/// `fuzz.vary` followed by the field's pointer: adding a field to a template leaves the other
/// fields' draws as they were. A choice that would make the scenario invalid together with
/// earlier choices is skipped (the field keeps its base value), so every expansion is valid.
/// A template checked free of such combinations ([`Template::check_vary`]) sets every choice
/// and parses once: the scenario the field-by-field way gives when no choice is skipped.
fn vary(template: &Template, seed: u64) -> Scenario {
    if template.fuzz.vary.is_empty() {
        return template.base.clone();
    }
    let streams = RngStreams::new(seed);
    let Ok(mut value) = serde_json::to_value(&template.base) else {
        return template.base.clone();
    };
    let drawn: Vec<_> = template
        .fuzz
        .vary
        .iter()
        .map(|(pointer, choices)| {
            let mut rng = streams.stream(&format!("fuzz.vary{pointer}"));
            (pointer, &choices[rng.below(choices.len() as u64) as usize])
        })
        .collect();
    let parse = |value: &serde_json::Value| {
        crate::scenario::parse(&value.to_string(), std::path::Path::new("<fuzz>")).ok()
    };
    if template.vary_conflict_free {
        for (pointer, choice) in &drawn {
            set_pointer_in(&mut value, pointer, choice);
        }
        if let Some(scenario) = parse(&value) {
            return scenario;
        }
        // The template's fields were changed after the check: vary field by field.
        let Ok(base) = serde_json::to_value(&template.base) else {
            return template.base.clone();
        };
        value = base;
    }
    let mut scenario = template.base.clone();
    for (pointer, choice) in drawn {
        let Some(varied) = set_pointer(&value, pointer, choice) else {
            continue;
        };
        if let Some(parsed) = parse(&varied) {
            value = varied;
            scenario = parsed;
        }
    }
    scenario
}

/// The disk block that repairs every storage fault of its node.
fn disk_repair() -> DiskFaultSpec {
    DiskFaultSpec {
        repair: Some(true),
        ..DiskFaultSpec::default()
    }
}

/// Where and on what one drawn episode falls: its window (ns), a node, and random bits and a
/// level in [0, 1) for the kinds that need more choices.
#[derive(Clone, Copy)]
struct Slot {
    start: u64,
    end: u64,
    subject: u32,
    split: u64,
    level: f64,
}

/// Draws fault episodes while keeping them consistent: one network change at a time, one link
/// change at a time, never more than `max_crashed` nodes down, no node crashed twice at once.
struct Episodes<'a> {
    fuzz: &'a FuzzSpec,
    nodes: u32,
    window_end: u64,
    network_free_at: u64,
    link_free_at: u64,
    membership_free_at: u64,
    /// Raft voters at the start (1-based), for membership episodes.
    voters: Vec<u32>,
    /// The Raft election timeout's `[min, max]` (ns), for `voter` episodes (Raft only); zeros
    /// for other protocols.
    election_timeout: [u64; 2],
    /// (node, down from, back at) for each drawn crash.
    crashes: Vec<(u32, u64, u64)>,
    /// The named disk slots a storage fault may hit besides log records; `None` without
    /// `cluster.disk` (no storage faults then).
    disk_slots: Option<&'static [&'static str]>,
    /// The one node whose storage damage episodes hit, once one did.
    damaged: Option<u32>,
    /// (node, left at, joined again at) for each drawn churn episode.
    churns: Vec<(u32, u64, u64)>,
    /// (seed, when) for each drawn join: the seed must not be away then.
    seeds: Vec<(u32, u64)>,
    /// Nodes the base scenario's own joins and leaves name: churn leaves them alone.
    fixed_members: Vec<u32>,
    faults: Vec<FaultSpec>,
}

impl<'a> Episodes<'a> {
    fn new(fuzz: &'a FuzzSpec, scenario: &Scenario) -> Self {
        Episodes {
            fuzz,
            nodes: scenario.cluster.nodes,
            window_end: scenario.duration.nanos() - fuzz.quiet_tail.nanos(),
            network_free_at: 0,
            link_free_at: 0,
            membership_free_at: 0,
            voters: match &scenario.protocol {
                ProtocolSpec::Raft(raft) => raft
                    .initial_members
                    .clone()
                    .unwrap_or_else(|| (1..=scenario.cluster.nodes).collect()),
                _ => Vec::new(),
            },
            election_timeout: match &scenario.protocol {
                ProtocolSpec::Raft(raft) => raft.election_timeout.map(|t| t.nanos()),
                _ => [0, 0],
            },
            crashes: Vec::new(),
            disk_slots: scenario
                .cluster
                .disk
                .as_ref()
                .map(|_| match scenario.protocol {
                    ProtocolSpec::Raft(_) => &[
                        crate::protocols::raft::wal::HARD_STATE,
                        crate::protocols::raft::wal::SNAPSHOT,
                    ][..],
                    _ => &[][..],
                }),
            damaged: None,
            churns: Vec::new(),
            seeds: Vec::new(),
            fixed_members: member_changes(&scenario.faults)
                .into_iter()
                .flat_map(|c| match c.kind {
                    ChangeKind::Join(seeds) => [vec![c.node], seeds].concat(),
                    ChangeKind::Leave => vec![c.node],
                })
                .collect(),
            faults: Vec::new(),
        }
    }

    fn pick_kind(&self, rng: &mut DetRng) -> Kind {
        let weights = &self.fuzz.kinds;
        let total: f64 = Kind::ALL.iter().map(|k| weights.weight(*k)).sum();
        let mut point = rng.unit() * total;
        for kind in Kind::ALL {
            let weight = weights.weight(kind);
            if point < weight {
                return kind;
            }
            point -= weight;
        }
        Kind::ALL
            .into_iter()
            .rev()
            .find(|k| weights.weight(*k) > 0.0)
            .unwrap_or(Kind::Crash)
    }

    /// Draws one episode; one that cannot fit (resource busy, too many down) is skipped, after
    /// consuming the same draws, so later episodes do not shift.
    fn draw(&mut self, rng: &mut DetRng) {
        let kind = self.pick_kind(rng);
        // Whole milliseconds keep expanded scenarios readable.
        let start = rng.between(0, self.window_end / MS) * MS;
        let [min, max] = match kind {
            Kind::Pause | Kind::LeaderPause => self.fuzz.pause_range(),
            _ => self.fuzz.fault_duration,
        };
        let scale = self.fuzz.duration_scale;
        let length = scale.draw(rng, min.nanos() / MS, max.nanos() / MS).max(1) * MS;
        let end = (start + length).min(self.window_end / MS * MS);
        let slot = Slot {
            start,
            end,
            subject: rng.between(1, u64::from(self.nodes)) as u32,
            split: rng.next_u64(),
            level: rng.unit(),
        };
        if end <= start {
            return;
        }
        match kind {
            Kind::Partition | Kind::OneWay => self.network_split(kind, slot),
            Kind::Crash => self.node_down(slot, FaultAction::Crash, FaultAction::Restart),
            // A frozen node is as good as down for the others: it takes a crash slot.
            Kind::Pause => self.node_down(slot, FaultAction::Pause, FaultAction::Resume),
            Kind::Loss | Kind::Latency => self.link_change(kind, slot),
            Kind::Storm => self.storm(start, end, slot.split),
            Kind::LeaderCrash => self.leader_down(slot, |span| AimedFault {
                crash: Some(span),
                ..AimedFault::default()
            }),
            // A frozen leader is as good as down for the others: it takes a crash slot.
            Kind::LeaderPause => self.leader_down(slot, |span| AimedFault {
                pause: Some(span),
                ..AimedFault::default()
            }),
            Kind::LeaderIsolate => self.leader_isolate(slot),
            Kind::LeaderBridge => self.leader_bridge(slot),
            Kind::Transfer => self.transfer(slot),
            Kind::NewLeader => self.new_leader(slot),
            Kind::Voter => self.voter(slot),
            Kind::Clock => self.clock(slot),
            Kind::Membership => self.membership(slot),
            Kind::Disk => self.disk(slot),
            Kind::Churn => self.churn(slot),
            Kind::Campaign => self.campaign(slot),
            Kind::Follower => self.follower(slot),
        }
    }

    /// The subject leaves gracefully and joins again at the end through one seed, the first
    /// node from `split` on that is not away then. A node gone is as good as down: it takes a
    /// crash slot. A node serving as a seed does not leave around its join.
    fn churn(&mut self, slot: Slot) {
        let Slot {
            start,
            end,
            subject,
            split,
            ..
        } = slot;
        let busy = self.fixed_members.contains(&subject)
            || self
                .seeds
                .iter()
                .any(|(s, t)| *s == subject && (start..=end).contains(t));
        if self.nodes < 2 || busy || !self.can_crash(subject, start, end) {
            return;
        }
        let nodes = u64::from(self.nodes);
        let away = |n: u32| {
            self.churns
                .iter()
                .any(|(c, from, to)| *c == n && (*from..=*to).contains(&end))
        };
        let Some(seed) = (0..nodes)
            .map(|i| ((split + i) % nodes) as u32 + 1)
            .find(|&n| n != subject && !away(n) && !self.fixed_members.contains(&n))
        else {
            return;
        };
        self.faults.push(at(start, FaultAction::Leave(subject)));
        let join = JoinSpec {
            node: subject,
            seeds: vec![seed],
        };
        self.faults.push(at(end, FaultAction::Join(join)));
        self.crashes.push((subject, start, end));
        self.churns.push((subject, start, end));
        self.seeds.push((seed, end));
    }

    /// A partition into two groups, or a one-way cut between them, healed at the end.
    fn network_split(&mut self, kind: Kind, slot: Slot) {
        if slot.start < self.network_free_at || self.nodes < 2 {
            return;
        }
        let (left, right) = self.split_nodes(slot.split);
        let cause = if kind == Kind::Partition {
            FaultAction::Partition(vec![left, right])
        } else {
            FaultAction::Cut(CutSpec {
                from: left,
                to: right,
            })
        };
        self.faults.push(at(slot.start, cause));
        self.faults.push(at(slot.end, FaultAction::Heal));
        self.network_free_at = slot.end + 1;
    }

    /// The subject crashed (or frozen) and restarted (or resumed) at the end.
    fn node_down(&mut self, slot: Slot, down: fn(u32) -> FaultAction, up: fn(u32) -> FaultAction) {
        let Slot {
            start,
            end,
            subject,
            ..
        } = slot;
        if !self.can_crash(subject, start, end) {
            return;
        }
        self.faults.push(at(start, down(subject)));
        self.faults.push(at(end, up(subject)));
        self.crashes.push((subject, start, end));
    }

    /// A loss burst or a latency spike, then back to the base network.
    fn link_change(&mut self, kind: Kind, slot: Slot) {
        if slot.start < self.link_free_at {
            return;
        }
        let [low, high] = self.fuzz.loss;
        let degraded = if kind == Kind::Loss {
            LinkOverride {
                drop: Some(low + (high - low) * slot.level),
                ..LinkOverride::default()
            }
        } else {
            LinkOverride {
                latency: Some(self.fuzz.latency.clone()),
                ..LinkOverride::default()
            }
        };
        self.faults
            .push(at(slot.start, FaultAction::Network(degraded)));
        self.faults
            .push(at(slot.end, FaultAction::Network(LinkOverride::default())));
        self.link_free_at = slot.end + 1;
    }

    /// A fault on whoever leads, lasting the episode. The node is only known when the fault
    /// fires; it takes a crash slot under the placeholder node 0, so at most `max_crashed` are
    /// down at once.
    fn leader_down(&mut self, slot: Slot, fault: fn(Span) -> AimedFault) {
        let Slot { start, end, .. } = slot;
        if !self.can_crash(0, start, end) {
            return;
        }
        let aimed = fault(Span(Duration::from_nanos(end - start)));
        self.faults
            .push(at(start, FaultAction::Aimed(Aim::Leader, aimed)));
        self.crashes.push((0, start, end));
    }

    /// The leader cut off, its clock at the slowest rate allowed: the worst case for a lease
    /// (and a deposed leader that notices last, taking writes it cannot replicate).
    fn leader_isolate(&mut self, slot: Slot) {
        let clock = Some(self.fuzz.clock_rate[0]);
        self.leader_network(slot, |span| AimedFault {
            isolate: Some(span),
            clock,
            ..AimedFault::default()
        });
    }

    /// The leader cut off from half the others, both ways, the rest bridging the sides.
    fn leader_bridge(&mut self, slot: Slot) {
        self.leader_network(slot, |span| AimedFault {
            bridge: Some(span),
            ..AimedFault::default()
        });
    }

    /// A network fault on the leader lasting the slot, made by `fault` from its length; it
    /// takes the network.
    fn leader_network(&mut self, slot: Slot, fault: impl FnOnce(Span) -> AimedFault) {
        let Slot { start, end, .. } = slot;
        if start < self.network_free_at {
            return;
        }
        let aimed = fault(Span(Duration::from_nanos(end - start)));
        self.faults
            .push(at(start, FaultAction::Aimed(Aim::Leader, aimed)));
        self.network_free_at = end + 1;
    }

    /// The leader is frozen (for a pause's length), and the server that wins the election
    /// this forces is cut off as it wins, before its first appends arrive (the entries it wrote
    /// stay its own); the armed fault waits for the first half of the episode and lasts the
    /// second half. The frozen leader resumes with its own unreplicated entries while the
    /// winner's sit cut off: the state of the Raft paper's Figure 8. (Crashing the winner
    /// instead finds far less: measured on `commit_previous_term_by_counting`, 2 failures in 300 seeds against 90.)
    fn new_leader(&mut self, slot: Slot) {
        let Slot {
            start, end, split, ..
        } = slot;
        let [low, high] = self.fuzz.pause_range();
        let frozen = DetRng::from_seed(split).between(low.nanos() / MS, high.nanos() / MS);
        let thawed = start + frozen.max(1) * MS;
        if !self.can_crash(0, start, thawed) || start < self.network_free_at {
            return;
        }
        let half = Some(Span(Duration::from_nanos((end - start) / 2)));
        let pause = AimedFault {
            pause: Some(Span(Duration::from_nanos(thawed - start))),
            ..AimedFault::default()
        };
        let cut_off = AimedFault {
            isolate: half,
            within: half,
            ..AimedFault::default()
        };
        self.faults
            .push(at(start, FaultAction::Aimed(Aim::Leader, pause)));
        self.faults
            .push(at(start, FaultAction::Aimed(Aim::NewLeader, cut_off)));
        self.crashes.push((0, start, thawed));
        self.network_free_at = end + 1;
    }

    /// A campaign, provoked and split: the leader is cut off for an election (the longest
    /// election timeout and a vote round, see [`Rhythm`]) so that a follower campaigns, and the
    /// first server to campaign within the episode's first half (at least that election) is
    /// split off as it campaigns, with the servers after it (half the cluster; the leader on
    /// the other side), for up to half the episode; the election that would have settled the
    /// term reaches one side only. The split's partition replaces the leader's isolation, and
    /// the first of their two heals ends both. A split waiting for a campaign that never comes
    /// would cut nothing. Not within an election of the quiet tail.
    fn campaign(&mut self, slot: Slot) {
        let Slot {
            start, end, split, ..
        } = slot;
        if start < self.network_free_at {
            return;
        }
        let half = (end - start) / 2;
        if half == 0 {
            return;
        }
        let election = Rhythm::draw(self.election_timeout, &mut DetRng::from_seed(split)).election;
        let within = half.max(election);
        if start + within + half > self.window_end {
            return;
        }
        let cut_off = AimedFault {
            isolate: Some(Span(Duration::from_nanos(election))),
            ..AimedFault::default()
        };
        let split = AimedFault {
            split: Some(Span(Duration::from_nanos(half))),
            within: Some(Span(Duration::from_nanos(within))),
            ..AimedFault::default()
        };
        self.faults
            .push(at(start, FaultAction::Aimed(Aim::Leader, cut_off)));
        self.faults
            .push(at(start, FaultAction::Aimed(Aim::Candidate, split)));
        self.network_free_at = start + within + half + 1;
    }

    /// Power blips: every server crashes and is back within a few milliseconds, so all of them
    /// take part in the election that follows. Each server that grants a vote in it crashes as
    /// it grants it, and is back as quickly, where a rival's request for the same term may find
    /// it. The blip repeats while the crash points are armed, each time forcing a fresh
    /// election (see [`Rhythm`]). Only while nothing else is down: a blip briefly takes every
    /// server, beyond `max_crashed`. While the network is free, each election is held across
    /// a bridge with its winner cut off as it wins ([`Self::bridged_election`]); the network
    /// is whole again between elections, so the servers' logs catch up.
    fn voter(&mut self, slot: Slot) {
        let Slot {
            start,
            end,
            subject,
            split,
            ..
        } = slot;
        let mut bits = DetRng::from_seed(split);
        let (blip, voter_down) = (bits.between(1, 10) * MS, bits.between(1, 3) * MS);
        let rhythm = Rhythm::draw(self.election_timeout, &mut bits);
        // At least three elections: one rarely brings the rivals and a lost vote together.
        let end = end
            .max(start + 3 * (rhythm.election + rhythm.catch_up))
            .min(self.window_end);
        let bridged = start >= self.network_free_at && self.nodes >= 3;
        // A bridged election ends with its winner's isolation, at most two elections on.
        let room = match bridged {
            true => 2 * rhythm.election,
            false => blip,
        };
        if !self.nothing_down(start, end) || end < start + room + voter_down {
            return;
        }
        let mut blip_at = start;
        while blip_at + room <= end - voter_down {
            let mut outage = OutageSpec::plain(Span(Duration::from_nanos(blip)));
            if bridged {
                outage.late = self.bridged_election(subject, blip_at, &rhythm);
            }
            for server in 1..=self.nodes {
                let back = blip_at + outage.down_for(server).nanos();
                self.crashes.push((server, blip_at, back));
            }
            self.faults.push(at(blip_at, FaultAction::Outage(outage)));
            blip_at += rhythm.election + rhythm.catch_up;
        }
        let aimed = AimedFault {
            crash: Some(Span(Duration::from_nanos(voter_down))),
            within: Some(Span(Duration::from_nanos(end - start - voter_down))),
            ..AimedFault::default()
        };
        self.faults
            .push(at(start, FaultAction::Aimed(Aim::Voter, aimed)));
        self.crashes.push((0, start, end));
        if bridged {
            self.network_free_at = end + 1;
        }
    }

    /// The election a power blip at `start` forces, held for the rhythm's `election` across
    /// Jepsen's bridge: `subject` cannot reach the half of the others after it by id (rounded
    /// down) nor they it, and the rest reach both sides. Each side with the bridge is a quorum
    /// and neither hears the other's campaign, so both campaign in the same term, and the
    /// servers of the bridge are asked twice for their vote in it. The first to win is cut off
    /// from everyone as it wins, for an election's length, so its first appends do not reach
    /// the bridge before the rival's request: a vote that did not survive a crash there elects
    /// a second leader in the term. Returns who comes back late from the blip: the far side
    /// `far_late` after `subject`, so its campaign follows the subject's (requests that reach
    /// a voter before its crash are lost with it), and the bridge `bridge_late` after, so a
    /// side's server campaigns first and the bridge only votes.
    fn bridged_election(&mut self, subject: u32, start: u64, rhythm: &Rhythm) -> Vec<LateRestart> {
        let far: Vec<u32> = (1..=(self.nodes - 1) / 2)
            .map(|step| (subject - 1 + step) % self.nodes + 1)
            .collect();
        let bridge: Vec<u32> = (1..=self.nodes)
            .filter(|n| *n != subject && !far.contains(n))
            .collect();
        let span = Some(Span(Duration::from_nanos(rhythm.election)));
        let cut_off = AimedFault {
            isolate: span,
            within: span,
            ..AimedFault::default()
        };
        self.faults.push(at(
            start,
            FaultAction::Partition(vec![vec![subject], far.clone()]),
        ));
        self.faults
            .push(at(start, FaultAction::Aimed(Aim::NewLeader, cut_off)));
        self.faults
            .push(at(start + rhythm.election, FaultAction::Heal));
        let late = |nodes, by| LateRestart {
            nodes,
            by: Span(Duration::from_nanos(by)),
        };
        vec![late(far, rhythm.far_late), late(bridge, rhythm.bridge_late)]
    }

    /// Crash points at acknowledgements: for the episode, each server that acknowledges its
    /// leader crashes as the acknowledgement leaves and is back 1-3 ms later (one server down
    /// at a time). Only while nothing else is down. While the network is free, a campaign is
    /// provoked for them to meet: the leader is bridged off from half the others for an
    /// election (see [`Rhythm`]), so those time out and ask for votes from servers that keep
    /// acknowledging the leader, and restarting, all the while; not within an election of the
    /// quiet tail.
    fn follower(&mut self, slot: Slot) {
        let Slot {
            start, end, split, ..
        } = slot;
        if !self.nothing_down(start, end) {
            return;
        }
        let mut bits = DetRng::from_seed(split);
        let down = bits.between(1, 3);
        if (end - start) / MS <= down {
            return;
        }
        let aimed = AimedFault {
            crash: Some(Span(Duration::from_nanos(down * MS))),
            within: Some(Span(Duration::from_nanos(end - start - down * MS))),
            ..AimedFault::default()
        };
        let election = Rhythm::draw(self.election_timeout, &mut bits).election;
        if start >= self.network_free_at && start + election <= self.window_end {
            let bridge = AimedFault {
                bridge: Some(Span(Duration::from_nanos(election))),
                ..AimedFault::default()
            };
            self.faults
                .push(at(start, FaultAction::Aimed(Aim::Leader, bridge)));
            self.network_free_at = start + election + 1;
        }
        self.faults
            .push(at(start, FaultAction::Aimed(Aim::Follower, aimed)));
        self.crashes.push((0, start, end));
    }

    /// The subject's clock at a rate drawn from `clock_rate`, then back to true speed.
    fn clock(&mut self, slot: Slot) {
        let [slow, fast] = self.fuzz.clock_rate;
        let rate = ((slow + (fast - slow) * slot.level) * 1000.0).round() / 1000.0;
        let node = slot.subject;
        self.faults
            .push(at(slot.start, FaultAction::Clock(ClockSpec { node, rate })));
        self.faults.push(at(
            slot.end,
            FaultAction::Clock(ClockSpec { node, rate: 1.0 }),
        ));
    }

    /// A Raft voter removed from the configuration, then added back.
    fn membership(&mut self, slot: Slot) {
        if slot.start < self.membership_free_at || self.voters.len() < 3 {
            return;
        }
        let voter = self.voters[(slot.split % self.voters.len() as u64) as usize];
        let change = |add: Vec<u32>, remove: Vec<u32>| {
            FaultAction::Membership(MembershipSpec { add, remove })
        };
        self.faults
            .push(at(slot.start, change(Vec::new(), vec![voter])));
        self.faults
            .push(at(slot.end, change(vec![voter], Vec::new())));
        self.membership_free_at = slot.end + 1;
    }

    /// A leadership transfer to one of the initial voters, asked at the slot's start, while no
    /// membership change is under way (the target is then still a voter).
    fn transfer(&mut self, slot: Slot) {
        if slot.start < self.membership_free_at || self.voters.is_empty() {
            return;
        }
        let to = self.voters[(slot.split % self.voters.len() as u64) as usize];
        self.faults
            .push(at(slot.start, FaultAction::Transfer(TransferSpec { to })));
        self.membership_free_at = slot.end + 1;
    }

    /// A storage fault on the subject's disk, picked by `level`: a bit flipped (35%) or reads
    /// failing (25%) in a seeded log record or, one time in `slots + 4`, a named slot (the
    /// subject power-cycles, so recovery reads the damage back, under a lagging minority when
    /// the network is free ([`Self::disk_damage`]); damage hits one node per seed, the
    /// single-fault model of protocol-aware recovery, which cannot rebuild a quorum of damaged
    /// servers); or syncs slowed to `latency` (20%), repaired at the end; or the
    /// disk full (20%: the subject stops at its first failed write, so this takes a crash
    /// slot), repaired at the end with a crash and a restart 1 ms later. Nothing without
    /// `cluster.disk`.
    fn disk(&mut self, slot: Slot) {
        let Some(slots) = self.disk_slots else {
            return;
        };
        let Slot {
            start,
            end,
            subject,
            split,
            level,
        } = slot;
        let target = match slots.get((split % (slots.len() as u64 + 4)) as usize) {
            Some(name) => DiskTargetSpec::Slot(name.to_string()),
            None => DiskTargetSpec::Any,
        };
        let on = |fault: DiskFaultSpec| {
            FaultAction::Disk(DiskFaultSpec {
                node: subject,
                ..fault
            })
        };
        let damage = match level {
            l if l < 0.35 => Some(DiskFaultSpec {
                corrupt: Some(target),
                ..DiskFaultSpec::default()
            }),
            l if l < 0.6 => Some(DiskFaultSpec {
                read_error: Some(target),
                ..DiskFaultSpec::default()
            }),
            _ => None,
        };
        match damage {
            Some(damage) => self.disk_damage(slot, on(damage)),
            None if level < 0.8 => {
                let slow = DiskFaultSpec {
                    slow: Some(self.fuzz.latency.clone()),
                    ..DiskFaultSpec::default()
                };
                self.faults.push(at(start, on(slow)));
                self.faults.push(at(end, on(disk_repair())));
            }
            None => self.disk_full(slot, on),
        }
    }

    /// Damage on the subject's disk, then its crash at once and its restart at the end (a
    /// crash slot); one damaged node per seed. While the network is free, the damage comes
    /// under a lagging minority instead ([`Self::damage_under_lagging`]).
    fn disk_damage(&mut self, slot: Slot, damage: FaultAction) {
        let Slot {
            start,
            end,
            subject,
            ..
        } = slot;
        if self.damaged.is_some_and(|n| n != subject) {
            return;
        }
        if start >= self.network_free_at && self.nodes >= 3 && end - start >= 4 * MS {
            return self.damage_under_lagging(slot, damage);
        }
        if !self.can_crash(subject, start, end) {
            return;
        }
        self.damaged = Some(subject);
        self.faults.push(at(start, damage));
        self.faults.push(at(start, FaultAction::Crash(subject)));
        self.faults.push(at(end, FaultAction::Restart(subject)));
        self.crashes.push((subject, start, end));
    }

    /// Storage damage on a server whose records a quorum needs (Alagappan et al.'s single
    /// storage fault, `scenarios/storage/corrupt-follower.json` drawn over the whole space): a
    /// minority of the others (`(nodes - 1) / 2` of them, picked by `split`) is cut off from
    /// the start, so what the rest commits meanwhile lives on a bare quorum that includes the
    /// subject; halfway the subject's disk is damaged, power fails for 1 ms (the whole
    /// cluster's when nothing else is down, else the subject's alone) and the subject comes
    /// back on the lagging side, where it and the laggards are a majority of an odd cluster:
    /// whether they can elect a leader lacking those entries is decided by its recovery
    /// alone. Healed at the end. The network changes and the power cycle each take their slot.
    fn damage_under_lagging(&mut self, slot: Slot, damage: FaultAction) {
        let Slot {
            start,
            end,
            subject,
            split,
            ..
        } = slot;
        let mid = start + (end - start) / 2 / MS * MS;
        let cluster = self.nothing_down(mid, mid + MS);
        if !cluster && !self.can_crash(subject, mid, mid + MS) {
            return;
        }
        let mut others: Vec<u32> = (1..=self.nodes).filter(|&n| n != subject).collect();
        DetRng::from_seed(split).shuffle(&mut others);
        let (lagging, holders) = others.split_at((self.nodes as usize - 1) / 2);
        let sorted = |group: &[u32], with: &[u32]| {
            let mut group = [group, with].concat();
            group.sort_unstable();
            group
        };
        let first = vec![sorted(lagging, &[]), sorted(holders, &[subject])];
        let second = vec![sorted(lagging, &[subject]), sorted(holders, &[])];
        // Each partition healed on its own, so that shrinking one away never leaves the other
        // standing for good.
        self.faults.push(at(start, FaultAction::Partition(first)));
        self.faults.push(at(mid, FaultAction::Heal));
        self.faults.push(at(mid, damage));
        self.faults.push(at(mid, FaultAction::Partition(second)));
        if cluster {
            let blip = Span(Duration::from_nanos(MS));
            self.faults
                .push(at(mid, FaultAction::Outage(OutageSpec::plain(blip))));
            self.crashes
                .extend((1..=self.nodes).map(|node| (node, mid, mid + MS)));
        } else {
            self.faults.push(at(mid, FaultAction::Crash(subject)));
            self.faults
                .push(at(mid + MS, FaultAction::Restart(subject)));
            self.crashes.push((subject, mid, mid + MS));
        }
        self.faults.push(at(end, FaultAction::Heal));
        self.network_free_at = end + 1;
        self.damaged = Some(subject);
    }

    /// The subject's disk full from the start to the end of `slot`. A failed write stops a
    /// server until it restarts: a full disk is as good as down (it takes a crash slot), and
    /// the repair comes with a crash and a restart 1 ms later.
    fn disk_full(&mut self, slot: Slot, on: impl Fn(DiskFaultSpec) -> FaultAction) {
        let Slot {
            start,
            end,
            subject,
            ..
        } = slot;
        if !self.can_crash(subject, start, end + MS) {
            return;
        }
        let full = DiskFaultSpec {
            full: Some(true),
            ..DiskFaultSpec::default()
        };
        self.faults.push(at(start, on(full)));
        self.faults.push(at(end, on(disk_repair())));
        self.faults.push(at(end, FaultAction::Crash(subject)));
        self.faults
            .push(at(end + MS, FaultAction::Restart(subject)));
        self.crashes.push((subject, start, end + MS));
    }

    /// Splits the nodes into two non-empty groups using the bits of `split`.
    fn split_nodes(&self, split: u64) -> (Vec<u32>, Vec<u32>) {
        let mut order: Vec<u32> = (1..=self.nodes).collect();
        DetRng::from_seed(split).shuffle(&mut order);
        let cut = 1 + (split % u64::from(self.nodes - 1)) as usize;
        let (mut left, mut right) = (order[..cut].to_vec(), order[cut..].to_vec());
        left.sort_unstable();
        right.sort_unstable();
        (left, right)
    }

    /// Crashes nodes in turn from `start` to `end`: every `period` (50-250 ms) the next node is
    /// down for 1-10 ms, skipping nodes another episode has down. `bits` seeds the choices.
    fn storm(&mut self, start: u64, end: u64, bits: u64) {
        let mut rng = DetRng::from_seed(bits);
        let period = rng.between(50, 250) * MS;
        let down = rng.between(1, 10) * MS;
        let mut node = rng.between(1, u64::from(self.nodes)) as u32;
        let mut at_ns = start;
        while at_ns + down <= end {
            if self.can_crash(node, at_ns, at_ns + down) {
                self.faults.push(at(at_ns, FaultAction::Crash(node)));
                self.faults
                    .push(at(at_ns + down, FaultAction::Restart(node)));
                self.crashes.push((node, at_ns, at_ns + down));
            }
            node = node % self.nodes + 1;
            at_ns += period;
        }
    }

    /// True if no crash or pause overlaps `start..=end`.
    fn nothing_down(&self, start: u64, end: u64) -> bool {
        self.crashes
            .iter()
            .all(|(_, from, to)| *to < start || end < *from)
    }

    fn can_crash(&self, node: u32, start: u64, end: u64) -> bool {
        let max_down = self
            .fuzz
            .max_crashed
            .unwrap_or(self.nodes.saturating_sub(1) / 2) as usize;
        let overlapping: Vec<&(u32, u64, u64)> = self
            .crashes
            .iter()
            .filter(|(_, from, to)| *from <= end && start <= *to)
            .collect();
        overlapping.len() < max_down && overlapping.iter().all(|(n, _, _)| *n != node)
    }
}

/// The pace of a voter episode's power blips (ns): an election after each blip, then the
/// network whole for a while before the next.
struct Rhythm {
    /// From a blip to the end of the election it forces: the longest election timeout and
    /// 30-60 ms more for a pre-vote and a vote round, each with its sync.
    election: u64,
    /// From there to the next blip: the winner's isolation ends first (it lasts an election),
    /// then half to one election timeout for a leader to bring the others' logs up to date. A
    /// blip sooner than an election timeout after the last would only reset the timers.
    catch_up: u64,
    /// How much later than the bridge's subject its far side comes back from a bridged blip:
    /// 10-30 ms, a campaign's round trip and sync, so the far side's campaign tends to come
    /// second, after the first one's voters crashed and restarted.
    far_late: u64,
    /// How much later than the subject the bridge's servers come back: the timeout's spread
    /// and `far_late` (at most the shortest timeout) up to the shortest timeout, so their own
    /// timers run out after every side's and they are up before a side's first request.
    bridge_late: u64,
}

impl Rhythm {
    fn draw([shortest, longest]: [u64; 2], bits: &mut DetRng) -> Self {
        let [shortest, longest] = [shortest / MS, longest / MS];
        let election = (longest + bits.between(30, 60)) * MS;
        let far_late = bits.between(10, 30);
        let spread = (longest - shortest + far_late).min(shortest);
        Rhythm {
            election,
            catch_up: election + bits.between(longest / 2, longest) * MS,
            far_late: far_late * MS,
            bridge_late: bits.between(spread, shortest) * MS,
        }
    }
}

fn at(nanos: u64, action: FaultAction) -> FaultSpec {
    FaultSpec::new(Span(Duration::from_nanos(nanos)), action)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzz::template::parse_template;
    use crate::scenario::{validate, DiskEffect};
    use std::path::Path;

    fn template(max_crashed: Option<u32>) -> Template {
        let crashed = max_crashed.map_or(String::new(), |n| format!(r#", "max_crashed": {n}"#));
        let text = format!(
            r#"{{"version": 1, "name": "t", "seed": 1, "duration": "10s",
              "protocol": {{"heartbeat": {{"interval": "50ms", "timeout": "400ms"}}}},
              "cluster": {{"nodes": 5}},
              "fuzz": {{"max_faults": 12, "fault_duration": ["100ms", "3s"], "quiet_tail": "2s"{crashed},
                        "kinds": {{"partition": 1, "one_way": 1, "crash": 2, "pause": 1, "loss": 1, "latency": 1, "clock": 1}}}}}}"#
        );
        parse_template(&text, Path::new("t.json")).unwrap()
    }

    #[test]
    fn expansion_is_deterministic_and_differs_between_seeds() {
        let t = template(None);
        assert_eq!(expand(&t, 9), expand(&t, 9));
        assert_ne!(expand(&t, 9).faults, expand(&t, 10).faults);
        assert_eq!(expand(&t, 9).seed, 9);
        assert_eq!(expand(&t, 9).name, "t-seed-9");
    }

    #[test]
    fn expanded_scenarios_are_valid_and_respect_the_bounds() {
        let t = template(Some(1));
        let mut kinds_seen = std::collections::BTreeSet::new();
        for seed in 0..300 {
            let s = expand(&t, seed);
            assert!(validate(&s).is_ok(), "seed {seed}");
            assert!(s.faults.len() <= 24);
            assert!(s.faults.windows(2).all(|w| w[0].at <= w[1].at), "sorted");
            assert!(
                s.faults.iter().all(|f| f.at.nanos() <= 8_000_000_000),
                "quiet tail respected"
            );
            let (mut down, mut cut) = (0i32, 0i32);
            for f in &s.faults {
                match f.action {
                    FaultAction::Crash(_) | FaultAction::Pause(_) => down += 1,
                    FaultAction::Restart(_) | FaultAction::Resume(_) => down -= 1,
                    FaultAction::Partition(_) | FaultAction::Cut(_) => cut += 1,
                    FaultAction::Heal => cut -= 1,
                    _ => {}
                }
                assert!(
                    (0..=1).contains(&down),
                    "seed {seed}: at most one node down or paused"
                );
                assert!(
                    (0..=1).contains(&cut),
                    "seed {seed}: one network fault at a time"
                );
                kinds_seen.insert(f.field());
            }
            assert_eq!(down, 0, "every crash is restarted, every pause resumed");
            assert_eq!(cut, 0, "every cut is healed");
        }
        for kind in [
            "partition",
            "cut",
            "crash",
            "restart",
            "pause",
            "resume",
            "heal",
            "network",
            "clock",
        ] {
            assert!(
                kinds_seen.contains(kind),
                "{kind} never drawn: {kinds_seen:?}"
            );
        }
    }

    /// A Raft template drawing only `kinds` (a JSON object) with 1-2 s episodes.
    fn raft_template(kinds: &str) -> Template {
        let text = format!(
            r#"{{"version": 1, "name": "r", "seed": 1, "duration": "10s",
              "protocol": {{"raft": {{"election_timeout": ["150ms", "300ms"], "heartbeat": "50ms"}}}},
              "cluster": {{"nodes": 3}},
              "workload": {{"clients": 1, "ops": 10, "keys": 1, "timeout": "1s", "mix": {{"put": 1.0}}}},
              "fuzz": {{"max_faults": 4, "fault_duration": ["1s", "2s"], "pause_duration": ["150ms", "350ms"],
                        "quiet_tail": "2s", "kinds": {kinds}}}}}"#
        );
        parse_template(&text, Path::new("r.json")).unwrap()
    }

    /// The leader's aimed faults at `at` in `s`, each with its effect's field.
    fn leader_faults_at(s: &Scenario, at: u64) -> Vec<(&'static str, &AimedFault)> {
        s.faults
            .iter()
            .filter(|f| f.at.nanos() == at)
            .filter_map(|f| match &f.action {
                FaultAction::Aimed(Aim::Leader, aimed) => Some((aimed.effect().field(), aimed)),
                _ => None,
            })
            .collect()
    }

    /// Every fault of `s` (an expansion of [`raft_template`]) is over before its 2 s quiet tail.
    fn assert_over_before_the_quiet_tail(s: &Scenario) {
        let last = s.faults.iter().map(|f| f.repaired_at().nanos()).max();
        assert!(last <= Some(8000 * MS), "{}: over at {last:?}", s.name);
    }

    /// A campaign episode provokes its campaign: the leader is cut off for an election (the
    /// longest timeout, 300 ms, and 30-60 ms) as the split is armed, and the split waits at
    /// least that long for the candidate.
    #[test]
    fn campaign_episodes_cut_the_leader_off_for_an_election_as_the_split_waits() {
        let t = raft_template(r#"{"campaign": 1}"#);
        let mut episodes = 0;
        for seed in 0..50 {
            let s = expand(&t, seed);
            assert_over_before_the_quiet_tail(&s);
            for split in s.faults.iter().filter(|f| f.field() == "candidate") {
                let FaultAction::Aimed(_, aimed) = &split.action else {
                    unreachable!()
                };
                let cut = leader_faults_at(&s, split.at.nanos());
                let [("isolate", leader)] = cut[..] else {
                    panic!("seed {seed}: {cut:?}");
                };
                let election = leader.isolate.unwrap().nanos();
                assert!((330 * MS..=360 * MS).contains(&election), "{election}");
                assert!(aimed.within.unwrap().nanos() >= election, "seed {seed}");
                episodes += 1;
            }
        }
        assert!(episodes > 20, "{episodes} episodes");
    }

    /// Crash points at acknowledgements meet a provoked campaign: while the network is free
    /// the leader is bridged off from half the others for an election as they are armed; a
    /// bridge never overlaps another network fault.
    #[test]
    fn follower_episodes_bridge_the_leader_off_while_the_network_is_free() {
        let t = raft_template(r#"{"follower": 1, "partition": 1}"#);
        let (mut bridged, mut plain) = (0, 0);
        for seed in 0..80 {
            let s = expand(&t, seed);
            assert_over_before_the_quiet_tail(&s);
            for follower in s.faults.iter().filter(|f| f.field() == "follower") {
                let at = follower.at.nanos();
                match leader_faults_at(&s, at)[..] {
                    [("bridge", leader)] => {
                        let until = at + leader.bridge.unwrap().nanos();
                        assert!((at + 330 * MS..=at + 360 * MS).contains(&until));
                        let cuts = s.faults.iter().filter(|f| f.field() == "partition");
                        let overlapping = cuts.filter(|f| (at..=until).contains(&f.at.nanos()));
                        assert_eq!(overlapping.count(), 0, "seed {seed}");
                        bridged += 1;
                    }
                    [] => plain += 1,
                    ref other => panic!("seed {seed}: {other:?}"),
                }
            }
        }
        assert!(
            bridged > 20 && plain > 0,
            "{bridged} bridged, {plain} plain"
        );
    }

    /// Storage episodes: every effect drawn, each on one node and repaired (a damaging one by
    /// the node's restart, a lasting one by a `repair`), and only with `cluster.disk`.
    #[test]
    fn disk_episodes_pair_each_storage_fault_with_its_repair() {
        let text = |disk: &str| {
            format!(
                r#"{{"version": 1, "name": "d", "seed": 1, "duration": "10s",
                  "protocol": {{"raft": {{"election_timeout": ["150ms", "300ms"], "heartbeat": "50ms"}}}},
                  "cluster": {{"nodes": 3{disk}}},
                  "workload": {{"clients": 1, "ops": 10, "keys": 1, "timeout": "1s", "mix": {{"put": 1.0}}}},
                  "fuzz": {{"max_faults": 4, "fault_duration": ["1s", "2s"], "quiet_tail": "2s",
                            "kinds": {{"disk": 1}}}}}}"#
            )
        };
        let t = parse_template(&text(r#", "disk": {}"#), Path::new("d.json")).unwrap();
        let mut effects = std::collections::BTreeSet::new();
        for seed in 0..200 {
            let s = expand(&t, seed);
            assert!(validate(&s).is_ok(), "seed {seed}");
            for (i, f) in s.faults.iter().enumerate() {
                let FaultAction::Disk(disk) = &f.action else {
                    continue;
                };
                let effect = disk.effect().unwrap();
                effects.insert(format!("{effect:?}").split('(').next().unwrap().to_string());
                // Damage is read back at a power cycle of its node at the same moment.
                let cycled = |(j, c): (usize, &FaultSpec)| {
                    c.at == f.at
                        && match c.action {
                            FaultAction::Outage(_) => true,
                            FaultAction::Crash(n) => {
                                n == disk.node && s.faults[j + 1..].iter().any(|r| r.undoes(c))
                            }
                            _ => false,
                        }
                };
                let repaired = match effect {
                    DiskEffect::Corrupt(_) | DiskEffect::ReadError(_) => {
                        s.faults.iter().enumerate().any(cycled)
                    }
                    DiskEffect::Full | DiskEffect::Slow(_) => {
                        s.faults[i + 1..].iter().any(|r| r.undoes(f))
                    }
                    DiskEffect::Repair => true,
                };
                assert!(repaired, "seed {seed}: {} left unrepaired", f.describe());
            }
        }
        assert_eq!(
            effects.into_iter().collect::<Vec<_>>(),
            ["Corrupt", "Full", "ReadError", "Repair", "Slow"]
        );
        let error = parse_template(&text(""), Path::new("d.json")).unwrap_err();
        assert!(error.to_string().contains("kinds.disk"), "{error}");
    }

    /// Damage under a lagging minority: `(nodes - 1) / 2` others cut off while the rest,
    /// the damaged server among them, go on; at the damage that partition is healed and the
    /// damaged server power-cycles into the laggards' side, healed in turn at the end.
    #[test]
    fn damage_under_lagging_moves_the_damaged_server_to_the_laggards() {
        let mut lagged = 0;
        for nodes in [3, 5] {
            let text = format!(
                r#"{{"version": 1, "name": "d", "seed": 1, "duration": "10s",
                  "protocol": {{"raft": {{"election_timeout": ["150ms", "300ms"], "heartbeat": "50ms"}}}},
                  "cluster": {{"nodes": {nodes}, "disk": {{}}}},
                  "workload": {{"clients": 1, "ops": 10, "keys": 1, "timeout": "1s", "mix": {{"put": 1.0}}}},
                  "fuzz": {{"max_faults": 1, "fault_duration": ["1s", "2s"], "quiet_tail": "2s",
                            "kinds": {{"disk": 1}}}}}}"#
            );
            let t = parse_template(&text, Path::new("d.json")).unwrap();
            for seed in 0..100 {
                let s = expand(&t, seed);
                let groups = |f: &FaultSpec| match &f.action {
                    FaultAction::Partition(groups) => Some(groups.clone()),
                    _ => None,
                };
                for (i, f) in s.faults.iter().enumerate() {
                    let FaultAction::Disk(disk) = &f.action else {
                        continue;
                    };
                    let Some(first) = s.faults[..i].iter().rev().find_map(groups) else {
                        continue;
                    };
                    let second = s.faults[i..].iter().find_map(groups).unwrap();
                    let lagging = (nodes as usize - 1) / 2;
                    let node = disk.node;
                    assert_eq!(first[0].len(), lagging, "seed {seed}: {first:?}");
                    assert!(first[1].contains(&node) && second[0].contains(&node));
                    assert!(second[0].iter().all(|n| *n == node || first[0].contains(n)));
                    assert_eq!(s.faults[i - 1].action, FaultAction::Heal, "seed {seed}");
                    let heals = s.faults.iter().filter(|h| h.action == FaultAction::Heal);
                    let partitions = s.faults.iter().filter_map(groups).count();
                    assert_eq!(
                        heals.count(),
                        partitions,
                        "seed {seed}: each partition healed"
                    );
                    lagged += 1;
                }
            }
        }
        assert!(lagged > 20, "{lagged}");
    }

    /// Churn: each leave is undone by a join of the same node through one seed, every
    /// expansion is valid (alternating changes, seeds members when asked), and nodes take turns.
    #[test]
    fn churn_episodes_pair_each_leave_with_a_join() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/fuzz");
        let mut t = crate::fuzz::load_template(&dir.join("gossip.json")).unwrap();
        t.fuzz.kinds = serde_json::from_value(serde_json::json!({"churn": 1})).unwrap();
        t.fuzz.max_faults = 12;
        let mut leaves = 0;
        for seed in 0..200 {
            let s = expand(&t, seed);
            assert!(validate(&s).is_ok(), "seed {seed}: {:?}", validate(&s));
            for (i, f) in s.faults.iter().enumerate() {
                let FaultAction::Leave(node) = f.action else {
                    continue;
                };
                leaves += 1;
                let join = s.faults[i + 1..].iter().find(|r| r.undoes(f));
                let join = join.unwrap_or_else(|| panic!("seed {seed}: {} never rejoins", node));
                assert!(matches!(&join.action, FaultAction::Join(j) if j.seeds.len() == 1));
            }
        }
        assert!(leaves > 200, "leaves drawn: {leaves}");
    }

    /// Pauses last `pause_duration`, not `fault_duration`.
    #[test]
    fn pauses_last_the_pause_duration() {
        let t = raft_template(r#"{"pause": 1, "leader_pause": 1}"#);
        let mut seen = 0;
        for seed in 0..50 {
            let s = expand(&t, seed);
            for (i, f) in s.faults.iter().enumerate() {
                let length = match &f.action {
                    FaultAction::Pause(node) => {
                        let resume = s.faults[i..]
                            .iter()
                            .find(|r| r.action == FaultAction::Resume(*node));
                        resume.expect("resumed").at.nanos() - f.at.nanos()
                    }
                    FaultAction::Aimed(Aim::Leader, leader) => {
                        leader.pause.expect("a leader pause").nanos()
                    }
                    _ => continue,
                };
                assert!(
                    (150 * MS..=350 * MS).contains(&length),
                    "seed {seed}: {f:?}"
                );
                seen += 1;
            }
        }
        assert!(seen > 20, "pauses drawn: {seen}");
    }

    /// A voter episode is a power blip repeated while its vote-grant crash points are armed,
    /// one election (the longest timeout and 30-60 ms) and a catch-up apart, at least three of
    /// them. While the network is free each election is held across a bridge, healed when the
    /// election is over, with the winner cut off as it wins; the far side comes back from the
    /// blip 10-30 ms after the bridge's subject, and the bridge's servers after the timeout's
    /// spread, before the shortest timeout.
    #[test]
    fn voter_episodes_hold_each_blips_election_across_a_bridge() {
        let text = serde_json::to_string(&raft_template(r#"{"voter": 1}"#).base)
            .unwrap()
            .replace(
                r#""election_timeout":["150ms","300ms"]"#,
                r#""election_timeout":["200ms","250ms"]"#,
            );
        assert!(text.contains("250ms"), "{text}");
        let mut t = raft_template(r#"{"voter": 1}"#);
        t.base = crate::scenario::parse(&text, Path::new("r.json")).unwrap();
        let (mut episodes, mut bridged) = (0, 0);
        for seed in 0..50 {
            let s = expand(&t, seed);
            for voter in s.faults.iter().filter(|f| f.field() == "voter") {
                let until = voter.repaired_at().nanos();
                let blips: Vec<(u64, &OutageSpec)> = s
                    .faults
                    .iter()
                    .filter_map(|f| match &f.action {
                        FaultAction::Outage(outage) => Some((f.at.nanos(), outage)),
                        _ => None,
                    })
                    .filter(|(at, _)| (voter.at.nanos()..until).contains(at))
                    .collect();
                assert_eq!(blips.first().map(|b| b.0), Some(voter.at.nanos()));
                assert!(
                    blips.len() >= 3 || until >= 8000 * MS,
                    "seed {seed}: {blips:?}"
                );
                for gap in blips.windows(2).map(|w| w[1].0 - w[0].0) {
                    assert!((685 * MS..=870 * MS).contains(&gap), "seed {seed}: {gap}");
                }
                episodes += 1;
                for (blip_at, outage) in blips {
                    bridged += usize::from(held_across_a_bridge(&s, blip_at, outage));
                }
            }
        }
        assert!(
            episodes > 10 && bridged > 20,
            "{episodes} episodes, {bridged} bridged"
        );
    }

    /// True if the blip at `blip_at` brings its far side back 10-30 ms late and its bridge
    /// after the spread (50 ms) and that, before the shortest timeout (200 ms), and its
    /// election is held across a bridge for 280-310 ms with the winner cut off as long; false
    /// if every server comes back together. Panics on anything else.
    fn held_across_a_bridge(s: &Scenario, blip_at: u64, outage: &OutageSpec) -> bool {
        let [far, bridge] = &outage.late[..] else {
            assert!(outage.late.is_empty(), "{outage:?}");
            return false;
        };
        let (far_by, bridge_by) = (far.by.nanos(), bridge.by.nanos());
        assert!((10 * MS..=30 * MS).contains(&far_by), "{far_by}");
        assert!(
            (50 * MS + far_by..=200 * MS).contains(&bridge_by),
            "{bridge_by}"
        );
        let at_blip = |field: &str| {
            let f = s
                .faults
                .iter()
                .find(|f| f.at.nanos() == blip_at && f.field() == field);
            f.map(|f| f.action.clone())
        };
        let Some(FaultAction::Partition(sides)) = at_blip("partition") else {
            panic!("no bridge at {blip_at}");
        };
        assert_eq!(sides[1], far.nodes);
        assert_eq!(sides[0].len() + far.nodes.len() + bridge.nodes.len(), 3);
        let Some(FaultAction::Aimed(Aim::NewLeader, cut_off)) = at_blip("new_leader") else {
            panic!("the winner is not cut off at {blip_at}");
        };
        let election = cut_off.isolate.unwrap().nanos();
        assert!((280 * MS..=310 * MS).contains(&election), "{election}");
        let healed_at = blip_at + election;
        let healed = s
            .faults
            .iter()
            .any(|f| f.at.nanos() == healed_at && f.field() == "heal");
        assert!(healed, "the bridge at {blip_at} outlasts its election");
        true
    }

    /// A new-leader episode forces its own election: the leader is paused as the fault on the
    /// next winner is armed.
    #[test]
    fn new_leader_episodes_pause_the_leader_they_replace() {
        let t = raft_template(r#"{"new_leader": 1}"#);
        let mut episodes = 0;
        for seed in 0..50 {
            let s = expand(&t, seed);
            for f in s.faults.iter().filter(|f| f.field() == "new_leader") {
                let pause = s.faults.iter().find(|p| {
                    p.at == f.at
                        && matches!(&p.action, FaultAction::Aimed(Aim::Leader, l) if l.pause.is_some())
                });
                assert!(pause.is_some(), "seed {seed}: {:?}", s.faults);
                episodes += 1;
            }
        }
        assert!(episodes > 20, "episodes drawn: {episodes}");
    }

    #[test]
    fn restart_storms_crash_nodes_in_turn_for_milliseconds() {
        let text = r#"{"version": 1, "name": "s", "seed": 1, "duration": "10s",
            "protocol": {"heartbeat": {"interval": "50ms", "timeout": "400ms"}}, "cluster": {"nodes": 5},
            "fuzz": {"max_faults": 2, "fault_duration": ["1s", "3s"], "quiet_tail": "2s", "kinds": {"storm": 1}}}"#;
        let t = parse_template(text, Path::new("s.json")).unwrap();
        let storms: Vec<Scenario> = (0..50)
            .map(|seed| expand(&t, seed))
            .filter(|s| s.faults.len() > 4)
            .collect();
        assert!(!storms.is_empty(), "storms are drawn");
        for s in storms {
            let crashes: Vec<(u32, u64)> = s
                .faults
                .iter()
                .filter_map(|f| match f.action {
                    FaultAction::Crash(node) => Some((node, f.at.nanos())),
                    _ => None,
                })
                .collect();
            for (node, at) in &crashes {
                let back = s
                    .faults
                    .iter()
                    .find(|f| f.action == FaultAction::Restart(*node) && f.at.nanos() > *at)
                    .expect("restarted");
                assert!(back.at.nanos() - at <= 10 * MS, "down for at most 10 ms");
            }
            let mut nodes: Vec<u32> = crashes.iter().map(|(n, _)| *n).collect();
            nodes.dedup();
            assert!(nodes.len() >= 3, "nodes take turns: {nodes:?}");
        }
    }

    /// Every kind a shipped template weighs is actually drawn, alone, in some of 100 seeds: a
    /// kind whose episodes never fit would silently never be tested.
    #[test]
    fn every_kind_of_the_shipped_templates_makes_faults() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/fuzz");
        for name in [
            "raft.json",
            "raft-swarm.json",
            "raft-storage.json",
            "gossip.json",
            "heartbeat.json",
        ] {
            let t = crate::fuzz::load_template(&dir.join(name)).unwrap();
            let weights = serde_json::to_value(&t.fuzz.kinds).unwrap();
            let weighed = weights.as_object().unwrap().iter();
            for (kind, _) in weighed.filter(|(_, w)| w.as_f64() > Some(0.0)) {
                let mut alone = t.clone();
                let only: serde_json::Value = serde_json::json!({ kind: 1.0 });
                alone.fuzz.kinds = serde_json::from_value(only).unwrap();
                let drawn =
                    (0..100).any(|seed| expand(&alone, seed).faults.len() > t.base.faults.len());
                assert!(drawn, "{name}: {kind} never makes a fault");
            }
        }
    }

    /// Every expansion of the shipped templates is a valid scenario, and every choice of every
    /// `vary` field is actually drawn: a choice that never makes a valid scenario would silently
    /// never be tested.
    #[test]
    fn every_vary_choice_of_the_shipped_templates_is_drawn() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/fuzz");
        for name in ["raft.json", "gossip.json", "heartbeat.json"] {
            let t = crate::fuzz::load_template(&dir.join(name)).unwrap();
            let scenarios: Vec<Scenario> = (0..200).map(|seed| expand(&t, seed)).collect();
            for s in &scenarios {
                assert!(validate(s).is_ok(), "{name}: {} is invalid", s.name);
            }
            let drawn: Vec<serde_json::Value> = scenarios
                .iter()
                .map(|s| serde_json::to_value(s).unwrap())
                .collect();
            for (pointer, choices) in &t.fuzz.vary {
                for choice in choices {
                    let applied = |scenario: &serde_json::Value| {
                        let Some(field) = scenario.pointer(pointer) else {
                            return false;
                        };
                        match choice.as_object() {
                            Some(keys) => keys.iter().all(|(k, v)| field.get(k) == Some(v)),
                            None => field == choice,
                        }
                    };
                    assert!(
                        drawn.iter().any(applied),
                        "{name}: {pointer} = {choice} is never drawn"
                    );
                }
            }
        }
    }

    /// A template checked free of `vary` conflicts sets every choice and parses once; that
    /// must give the scenario the field-by-field way gives, seed by seed.
    #[test]
    fn a_conflict_free_template_expands_as_the_field_by_field_way() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/fuzz");
        for name in ["raft.json", "raft-swarm.json"] {
            let unchecked = crate::fuzz::load_template(&dir.join(name)).unwrap();
            let mut checked = unchecked.clone();
            assert!(checked.check_vary().is_empty(), "{name}");
            assert!(checked.vary_conflict_free && !unchecked.vary_conflict_free);
            for seed in 0..60 {
                assert_eq!(
                    expand(&checked, seed),
                    expand(&unchecked, seed),
                    "{name} {seed}"
                );
            }
        }
    }

    /// A template whose base changed after its check (its fields are public) no longer
    /// parses with every choice set; expansion then goes field by field instead of failing.
    #[test]
    fn a_template_changed_after_its_check_still_expands_field_by_field() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios/fuzz");
        let mut checked = crate::fuzz::load_template(&dir.join("raft.json")).unwrap();
        assert!(checked.check_vary().is_empty());
        let ProtocolSpec::Raft(raft) = &mut checked.base.protocol else {
            unreachable!("raft.json is a Raft template")
        };
        // A heartbeat (not varied) longer than every election timeout the template draws: no
        // combination of choices parses any more.
        raft.heartbeat = Span(Duration::from_secs(1));
        let mut unchecked = checked.clone();
        unchecked.vary_conflict_free = false;
        for seed in 0..40 {
            assert_eq!(expand(&checked, seed), expand(&unchecked, seed), "{seed}");
        }
    }
}

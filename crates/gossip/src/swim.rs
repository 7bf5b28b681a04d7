//! SWIM membership (Das, Gupta, Motivala): one randomized round-robin probe per protocol period,
//! `ping`, then `ping-req` through `k` members, suspicion with a timeout and refutation by a
//! higher incarnation, membership updates piggybacked on messages, joins through seeds, graceful
//! leave; and, as in memberlist and Serf, failed members kept for hours and retried periodically
//! (reconnection), tombstones for members that left, and a periodic push-pull of whole views, so
//! a partition of any length shorter than the reconnect timeout heals once it ends.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use rand_core::RngCore;

use crate::config::SwimConfig;
use crate::event::Event;
use crate::lifeguard::{suspicion_timeout, LocalHealth};
use crate::message::Body;
use crate::order::ProbeOrder;
use crate::probe::Probe as CodeProbe;
use crate::rng;
use crate::view::{is_live, Live, LiveBut, MemberView};

/// A member's state in some node's view.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MemberState {
    /// Answering probes.
    Alive,
    /// Failed a probe; dead after the suspicion timeout unless it refutes.
    Suspect,
    /// Declared failed.
    Dead,
    /// Left gracefully.
    Left,
}

/// A membership change as disseminated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MemberUpdate {
    /// The member.
    pub id: u64,
    /// The incarnation the state refers to.
    pub incarnation: u64,
    /// The state.
    pub state: MemberState,
    /// Who says so: for `Suspect`, the accuser (each distinct one is an independent
    /// confirmation under Lifeguard's dynamic suspicion); otherwise the node that made it.
    pub by: u64,
}

impl MemberUpdate {
    /// Estimated encoded size.
    pub const SIZE: usize = 25;

    /// Whether this update should replace `cur`. SWIM's precedence rules amount to a total order
    /// on (incarnation, state) with Alive < Suspect < Dead < Left: a higher incarnation wins, and
    /// at equal incarnations suspicion beats aliveness and death beats suspicion. Replacing by
    /// the maximum makes a view independent of the order in which updates arrive.
    fn overrides(&self, cur: &Member) -> bool {
        (self.incarnation, self.state) > (cur.incarnation, cur.state)
    }
}

/// One entry of the membership view.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Member {
    /// Current state.
    pub state: MemberState,
    /// Incarnation of that state.
    pub incarnation: u64,
    /// When this node adopted the state (ns).
    pub since: u64,
}

#[derive(Clone, Copy, Debug)]
struct Probe {
    target: u64,
    seq: u64,
    start: u64,
    indirect: bool,
    /// Members asked to probe indirectly, and the nacks heard back from them.
    helpers: u32,
    nacks: u32,
}

#[derive(Clone, Copy, Debug)]
struct Relay {
    requester: u64,
    seq: u64,
    expires: u64,
    /// When to tell the requester the target did not answer (`None` once told or without
    /// local health awareness).
    nack_at: Option<u64>,
}

/// A suspicion under Lifeguard's dynamic timeout: when it began and who accused the member.
#[derive(Clone, Debug)]
struct Suspicion {
    start: u64,
    accusers: BTreeSet<u64>,
}

/// What a whole-view message is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ViewMessage {
    /// The answer to a join request.
    JoinReply,
    /// A push-pull opening: the first part asks for the receiver's view back.
    Push,
    /// The answer to a push-pull opening.
    PushReply,
}

#[derive(Clone, Copy, Debug)]
struct Queued {
    update: MemberUpdate,
    remaining: u32,
}

/// The SWIM state of one node.
#[derive(Clone, Debug)]
pub(crate) struct Swim {
    me: u64,
    incarnation: u64,
    cfg: SwimConfig,
    members: MemberView,
    /// The randomized round-robin probe order.
    order: ProbeOrder,
    probe: Option<Probe>,
    next_probe: u64,
    seq: u64,
    relays: BTreeMap<u64, Relay>,
    queue: Vec<Queued>,
    deadlines: BTreeSet<(u64, u64)>,
    left: bool,
    next_reconnect: u64,
    /// The last reconnection ping (sequence number, member): its answer opens a push-pull.
    reconnecting: Option<(u64, u64)>,
    next_push_pull: u64,
    /// Most member updates one whole-view message (join reply, push-pull) carries.
    view_chunk: usize,
    /// Lifeguard's local health multiplier, when on.
    health: Option<LocalHealth>,
    /// Current suspicions, when Lifeguard's dynamic suspicion is on.
    suspicions: BTreeMap<u64, Suspicion>,
    /// The code probes this member passed, one bit per [`CodeProbe`].
    code_probes: u64,
    /// Seeds of a join not answered yet: asked again every protocol period until one replies
    /// (a lost join request would otherwise leave the joiner alone for good).
    seeds: Vec<u64>,
    /// When the seeds were last asked.
    asked_at: u64,
}

/// Where the outputs of a SWIM step go.
pub(crate) struct Out<'a, R> {
    pub(crate) rng: &'a mut R,
    /// Messages to send; the optional update must ride in that very message's piggyback.
    pub(crate) send: &'a mut Vec<(u64, Body, Option<MemberUpdate>)>,
    pub(crate) events: &'a mut Vec<Event>,
}

impl<R> Out<'_, R> {
    fn to(&mut self, to: u64, body: Body) {
        self.send.push((to, body, None));
    }
}

impl Swim {
    /// A member `me` that starts out knowing `members` as alive (incarnation 0); its first probe
    /// is at `first_probe`, and a whole-view message holds at most `budget` bytes of members.
    /// A sorted list without repeats is shared, not copied.
    pub(crate) fn new(
        me: u64,
        cfg: SwimConfig,
        members: Arc<[u64]>,
        first_probe: u64,
        budget: usize,
    ) -> Self {
        let base = if members.windows(2).all(|w| w[0] < w[1]) {
            members
        } else {
            let mut sorted = members.to_vec();
            sorted.sort_unstable();
            sorted.dedup();
            sorted.into()
        };
        Self {
            me,
            incarnation: 0,
            cfg,
            members: MemberView::new(base, me),
            order: ProbeOrder::default(),
            probe: None,
            next_probe: first_probe,
            seq: 0,
            relays: BTreeMap::new(),
            queue: Vec::new(),
            deadlines: BTreeSet::new(),
            left: false,
            next_reconnect: first_probe.saturating_add(cfg.reconnect_interval),
            reconnecting: None,
            next_push_pull: match cfg.push_pull_interval {
                0 => u64::MAX,
                every => first_probe.saturating_add(every),
            },
            view_chunk: (budget / MemberUpdate::SIZE).max(1),
            health: cfg.lifeguard.local_health.map(LocalHealth::new),
            suspicions: BTreeMap::new(),
            code_probes: 0,
            seeds: Vec::new(),
            asked_at: 0,
        }
    }

    /// The code probes this member passed ([`CodeProbe::bit`] bits).
    pub(crate) fn code_probes(&self) -> u64 {
        self.code_probes
    }

    fn passed(&mut self, probe: CodeProbe) {
        self.code_probes |= probe.bit();
    }

    /// `timeout` stretched by local health (unchanged without it).
    fn scaled(&self, timeout: u64) -> u64 {
        self.health.map_or(timeout, |h| h.scale(timeout))
    }

    /// Lifeguard's local health score (0 without it).
    pub(crate) fn health_score(&self) -> u32 {
        self.health.map_or(0, |h| h.score())
    }

    fn health_delta(&mut self, delta: i64) {
        if let Some(h) = &mut self.health {
            h.apply(delta);
        }
    }

    pub(crate) fn members(&self) -> &MemberView {
        &self.members
    }

    pub(crate) fn incarnation(&self) -> u64 {
        self.incarnation
    }

    /// Alive and suspect members other than self, by ascending id: the view gossip peers are
    /// chosen from.
    pub(crate) fn live(&self) -> Live<'_> {
        Live(&self.members)
    }

    /// The next time `tick` has work.
    pub(crate) fn deadline(&self) -> Option<u64> {
        if self.left {
            return None;
        }
        let mut t = self.next_probe;
        if let Some(p) = &self.probe {
            let step = if p.indirect {
                self.cfg.probe_interval
            } else {
                self.cfg.ping_timeout
            };
            t = t.min(p.start.saturating_add(self.scaled(step)));
        }
        if let Some(nack) = self.relays.values().filter_map(|r| r.nack_at).min() {
            t = t.min(nack);
        }
        if let Some((d, _)) = self.deadlines.first() {
            t = t.min(*d);
        }
        Some(t.min(self.next_reconnect).min(self.next_push_pull))
    }

    fn retransmits(&self) -> u32 {
        let n = self.members.len() as u64 + 1;
        self.cfg.retransmit_mult * self.cfg.retransmit_scale.scale(n + 1)
    }

    fn enqueue(&mut self, update: MemberUpdate) {
        self.queue.retain(|q| q.update.id != update.id);
        let remaining = self.retransmits();
        self.queue.insert(0, Queued { update, remaining });
    }

    /// Membership updates to piggyback within `budget` bytes, least-sent first.
    pub(crate) fn piggyback(&mut self, budget: usize) -> Vec<MemberUpdate> {
        let max = budget / MemberUpdate::SIZE;
        if max == 0 || self.queue.is_empty() {
            return Vec::new();
        }
        self.queue.sort_by_key(|q| std::cmp::Reverse(q.remaining));
        let n = max.min(self.queue.len());
        let out = self.queue[..n].iter().map(|q| q.update).collect();
        for q in &mut self.queue[..n] {
            q.remaining -= 1;
        }
        self.queue.retain(|q| q.remaining > 0);
        out
    }

    fn deadline_of(&self, id: u64, m: &Member) -> Option<u64> {
        match m.state {
            MemberState::Alive => None,
            MemberState::Suspect => Some(self.suspicion_deadline(id, m)),
            MemberState::Dead => Some(m.since.saturating_add(self.cfg.failed_retention())),
            MemberState::Left => Some(m.since.saturating_add(self.cfg.tombstone_timeout)),
        }
    }

    /// When a suspicion of `id` (in state `m`) ends: the fixed timeout after it began, or with
    /// dynamic suspicion the timeout its independent confirmations so far give.
    fn suspicion_deadline(&self, id: u64, m: &Member) -> u64 {
        let base = self.cfg.suspicion.unwrap_or(0);
        match (
            self.cfg.lifeguard.dynamic_suspicion,
            self.suspicions.get(&id),
        ) {
            (Some(rule), Some(s)) => {
                let confirmations = s.accusers.len().saturating_sub(1);
                let members = self.members.len() + 1;
                s.start
                    .saturating_add(suspicion_timeout(base, members, confirmations, rule))
            }
            _ => m.since.saturating_add(base),
        }
    }

    /// Another accuser of a member already suspect at that incarnation: with dynamic suspicion,
    /// a new one shortens the timeout and is passed on.
    fn confirm<R: RngCore>(&mut self, u: MemberUpdate, out: &mut Out<'_, R>) {
        let Some(m) = self.members.get(&u.id).copied() else {
            return;
        };
        let before = self.suspicion_deadline(u.id, &m);
        let Some(s) = self.suspicions.get_mut(&u.id) else {
            return;
        };
        if !s.accusers.insert(u.by) {
            return;
        }
        self.passed(CodeProbe::SuspicionConfirmed);
        self.deadlines.remove(&(before, u.id));
        self.deadlines
            .insert((self.suspicion_deadline(u.id, &m), u.id));
        self.enqueue(u);
        out.events.push(Event::Member {
            id: u.id,
            state: u.state,
            incarnation: u.incarnation,
        });
    }

    /// True for a suspicion of a member this node suspects at the same incarnation, under
    /// dynamic suspicion: a confirmation rather than news.
    fn is_confirmation(&self, u: &MemberUpdate) -> bool {
        self.cfg.lifeguard.dynamic_suspicion.is_some()
            && u.state == MemberState::Suspect
            && self
                .members
                .get(&u.id)
                .is_some_and(|m| m.state == MemberState::Suspect && m.incarnation == u.incarnation)
    }

    /// An update about this node: adopt a higher incarnation of ours; refute a suspicion, a
    /// death (which, under Lifeguard, also counts against this node's local health) or, as
    /// memberlist does, a departure while this node is in fact a member (it left and joined
    /// again, and others still keep its tombstone).
    fn apply_about_me<R: RngCore>(&mut self, u: MemberUpdate, out: &mut Out<'_, R>) {
        if u.state == MemberState::Alive {
            // After a restart, others may remember a higher incarnation of ours: adopt it.
            self.incarnation = self.incarnation.max(u.incarnation);
        }
        if self.left || u.state == MemberState::Alive || u.incarnation < self.incarnation {
            return;
        }
        match u.state {
            MemberState::Left => self.passed(CodeProbe::DepartureRefuted),
            MemberState::Dead => self.passed(CodeProbe::DeathRefuted),
            _ => self.passed(CodeProbe::SuspicionRefuted),
        }
        if u.state != MemberState::Left {
            self.health_delta(1);
        }
        self.incarnation = u.incarnation + 1;
        let alive = MemberUpdate {
            id: self.me,
            incarnation: self.incarnation,
            state: MemberState::Alive,
            by: self.me,
        };
        self.enqueue(alive);
        out.events.push(Event::Member {
            id: self.me,
            state: MemberState::Alive,
            incarnation: self.incarnation,
        });
    }

    /// Applies an update piggybacked on a message from `from`. An accusation of this node
    /// older than its incarnation (`from` still holds a view it refuted long ago, say after a
    /// partition, and may never hear the refutation again once its retransmissions are spent)
    /// is answered with this node's current incarnation, straight to `from`.
    pub(crate) fn apply_from<R: RngCore>(
        &mut self,
        now: u64,
        from: u64,
        u: MemberUpdate,
        out: &mut Out<'_, R>,
    ) {
        let stale = u.id == self.me
            && !self.left
            && u.state != MemberState::Alive
            && u.incarnation < self.incarnation;
        if stale {
            self.passed(CodeProbe::StaleAccusationAnswered);
            let me = MemberUpdate {
                id: self.me,
                incarnation: self.incarnation,
                state: MemberState::Alive,
                by: self.me,
            };
            out.to(
                from,
                Body::MemberSync {
                    members: vec![me],
                    reply: false,
                },
            );
        }
        self.apply(now, u, out);
    }

    /// Applies one membership update under SWIM's precedence rules; updates about this node that
    /// suspect or kill it are refuted with a higher incarnation.
    pub(crate) fn apply<R: RngCore>(&mut self, now: u64, u: MemberUpdate, out: &mut Out<'_, R>) {
        if u.id == self.me {
            return self.apply_about_me(u, out);
        }
        if self.is_confirmation(&u) {
            return self.confirm(u, out);
        }
        let accept = match self.members.get(&u.id) {
            None => is_live(u.state),
            Some(cur) => u.overrides(cur),
        };
        if !accept {
            return;
        }
        let new = Member {
            state: u.state,
            incarnation: u.incarnation,
            since: now,
        };
        let old = self.members.insert(u.id, new);
        match (old.map(|m| m.state), u.state) {
            (Some(MemberState::Dead), MemberState::Alive) => {
                self.passed(CodeProbe::DeadMemberRevived)
            }
            (_, MemberState::Dead) => self.passed(CodeProbe::MemberDeclaredDead),
            _ => {}
        }
        if let Some(d) = old.and_then(|old| self.deadline_of(u.id, &old)) {
            self.deadlines.remove(&(d, u.id));
        }
        self.suspicions.remove(&u.id);
        if u.state == MemberState::Suspect && self.cfg.lifeguard.dynamic_suspicion.is_some() {
            let accusers = BTreeSet::from([u.by]);
            self.suspicions.insert(
                u.id,
                Suspicion {
                    start: now,
                    accusers,
                },
            );
        }
        if old.is_none() {
            // SWIM inserts a newcomer at a random place in the rest of the probe order.
            self.order.learned(u.id);
        }
        if let Some(d) = self.deadline_of(u.id, &new) {
            self.deadlines.insert((d, u.id));
        }
        self.enqueue(u);
        out.events.push(Event::Member {
            id: u.id,
            state: u.state,
            incarnation: u.incarnation,
        });
    }

    /// Runs the probe state machine and the suspicion and retention timers up to `now`.
    pub(crate) fn tick<R: RngCore>(&mut self, now: u64, out: &mut Out<'_, R>) {
        if self.left {
            return;
        }
        while let Some(&(t, id)) = self.deadlines.first() {
            if t > now {
                break;
            }
            self.deadlines.pop_first();
            let Some(m) = self.members.get(&id).copied() else {
                continue;
            };
            match m.state {
                MemberState::Suspect => self.apply(
                    now,
                    MemberUpdate {
                        id,
                        incarnation: m.incarnation,
                        state: MemberState::Dead,
                        by: self.me,
                    },
                    out,
                ),
                MemberState::Dead | MemberState::Left => {
                    self.members.remove(id);
                }
                MemberState::Alive => {}
            }
        }
        self.advance_probe(now, out);
        self.send_nacks(now, out);
        if now >= self.next_probe {
            while self.next_probe <= now {
                self.next_probe += self.cfg.probe_interval;
            }
            if self.probe.is_none() {
                self.start_probe(now, out);
            }
            if !self.seeds.is_empty() && now >= self.asked_at + self.cfg.probe_interval {
                self.passed(CodeProbe::JoinRetried);
                self.asked_at = now;
                self.ask_seeds(out.send);
            }
        }
        if now >= self.next_reconnect {
            self.next_reconnect =
                next_period(self.next_reconnect, self.cfg.reconnect_interval, now);
            self.reconnect(out);
        }
        if now >= self.next_push_pull {
            self.next_push_pull =
                next_period(self.next_push_pull, self.cfg.push_pull_interval, now);
            self.push_pull(out);
        }
        self.relays.retain(|_, r| r.expires > now);
    }

    /// Serf's reconnection: with probability failed / alive (this node counted alive; at most 1),
    /// pings one random member believed dead, telling it so. A member that is in fact up (say,
    /// behind a partition that has healed) refutes in its ack with a higher incarnation and is
    /// taken back. Without this, two halves that declared each other dead would never talk again.
    /// Failed members are tried until `reconnect_timeout` forgets them. As in Serf, where a
    /// reconnection is a memberlist join, an answer opens a push-pull of whole views with the
    /// member, so everything each side declared dead hears of it and refutes at once instead of
    /// waiting for its own reconnection or the next periodic push-pull.
    fn reconnect<R: RngCore>(&mut self, out: &mut Out<'_, R>) {
        let dead: Vec<(u64, u64)> = self
            .members
            .changed()
            .filter(|(_, m)| m.state == MemberState::Dead)
            .map(|(id, m)| (id, m.incarnation))
            .collect();
        let alive = self.members.live_len() as u64 + 1;
        if dead.is_empty() || rng::below(out.rng, alive) >= dead.len() as u64 {
            return;
        }
        let (id, incarnation) = dead[rng::below(out.rng, dead.len() as u64) as usize];
        self.passed(CodeProbe::ReconnectPing);
        self.seq += 1;
        self.reconnecting = Some((self.seq, id));
        let about = MemberUpdate {
            id,
            incarnation,
            state: MemberState::Dead,
            by: self.me,
        };
        out.send
            .push((id, Body::Ping { seq: self.seq }, Some(about)));
    }

    /// memberlist's push-pull: the whole view to one random live member, which answers in kind.
    fn push_pull<R: RngCore>(&mut self, out: &mut Out<'_, R>) {
        if let Some(&peer) = rng::sample(out.rng, &self.live(), 1).first() {
            self.send_view(peer, out, ViewMessage::Push);
        }
    }

    /// This node's whole view, itself first, in messages of at most `view_chunk` members.
    fn send_view<R: RngCore>(&self, to: u64, out: &mut Out<'_, R>, kind: ViewMessage) {
        let me = MemberUpdate {
            id: self.me,
            incarnation: self.incarnation,
            state: MemberState::Alive,
            by: self.me,
        };
        let view = self.members.iter().map(|(id, m)| MemberUpdate {
            id,
            incarnation: m.incarnation,
            state: m.state,
            by: self.me,
        });
        let all: Vec<MemberUpdate> = std::iter::once(me).chain(view).collect();
        for (i, chunk) in all.chunks(self.view_chunk).enumerate() {
            let members = chunk.to_vec();
            let body = match kind {
                ViewMessage::JoinReply => Body::JoinReply { members },
                ViewMessage::Push => Body::MemberSync {
                    members,
                    reply: i == 0,
                },
                ViewMessage::PushReply => Body::MemberSync {
                    members,
                    reply: false,
                },
            };
            out.to(to, body);
        }
    }

    /// Merges a pushed view. As in memberlist, a remote `Dead` is taken as `Suspect` (when
    /// suspicion is on): the subject, if up, gets a chance to refute instead of being killed
    /// on hearsay from the other side of a healed partition.
    fn merge_view<R: RngCore>(&mut self, now: u64, members: &[MemberUpdate], out: &mut Out<'_, R>) {
        for u in members {
            let state = match (u.state, self.cfg.suspicion) {
                (MemberState::Dead, Some(_)) => MemberState::Suspect,
                (state, _) => state,
            };
            self.apply(now, MemberUpdate { state, ..*u }, out);
        }
    }

    /// The probe in flight: past the (health-scaled) ping timeout, asks `indirect_probes`
    /// members to ping the target; past the (scaled) probe interval, gives up on it. A failed
    /// probe counts against local health the nacks that did not come, or one if no member was
    /// asked to relay (memberlist's probeNode: with nobody to vouch for the network, the prober
    /// may be the one at fault).
    fn advance_probe<R: RngCore>(&mut self, now: u64, out: &mut Out<'_, R>) {
        let Some(mut p) = self.probe else {
            return;
        };
        if !p.indirect && now >= p.start + self.scaled(self.cfg.ping_timeout) {
            p.indirect = true;
            let helpers = LiveBut::new(&self.members, p.target);
            let helpers = rng::sample(out.rng, &helpers, self.cfg.indirect_probes as usize);
            p.helpers = helpers.len() as u32;
            self.probe = Some(p);
            for h in helpers {
                let (seq, target) = (p.seq, p.target);
                out.to(h, Body::PingReq { seq, target });
            }
        }
        if now >= p.start + self.scaled(self.cfg.probe_interval) {
            self.probe = None;
            let missed = match p.helpers {
                0 => 1,
                helpers => helpers.saturating_sub(p.nacks),
            };
            self.health_delta(i64::from(missed));
            self.probe_failed(now, p.target, out);
        }
    }

    /// Lifeguard's nacks: a relay whose target has not answered within the ping timeout tells
    /// the requester so.
    fn send_nacks<R: RngCore>(&mut self, now: u64, out: &mut Out<'_, R>) {
        for relay in self.relays.values_mut() {
            if relay.nack_at.is_some_and(|at| at <= now) {
                relay.nack_at = None;
                out.to(relay.requester, Body::Nack { seq: relay.seq });
            }
        }
    }

    fn probe_failed<R: RngCore>(&mut self, now: u64, target: u64, out: &mut Out<'_, R>) {
        let Some(m) = self.members.get(&target).copied() else {
            return;
        };
        // Failing to reach a suspect again confirms the suspicion (under dynamic suspicion).
        let state = match (m.state, self.cfg.suspicion) {
            (MemberState::Alive | MemberState::Suspect, Some(_)) => MemberState::Suspect,
            (MemberState::Alive | MemberState::Suspect, None) => MemberState::Dead,
            _ => return,
        };
        self.apply(
            now,
            MemberUpdate {
                id: target,
                incarnation: m.incarnation,
                state,
                by: self.me,
            },
            out,
        );
    }

    fn start_probe<R: RngCore>(&mut self, now: u64, out: &mut Out<'_, R>) {
        // Ends: with a live member in the view, a round begun here holds it.
        while let Some(target) = self.order.next(&self.members, out.rng) {
            let Some(m) = self
                .members
                .get(&target)
                .copied()
                .filter(|m| is_live(m.state))
            else {
                continue;
            };
            self.seq += 1;
            self.probe = Some(Probe {
                target,
                seq: self.seq,
                start: now,
                indirect: false,
                helpers: 0,
                nacks: 0,
            });
            // Lifeguard's buddy system: a suspect hears of it in the ping itself.
            let about = (self.cfg.lifeguard.buddy && m.state == MemberState::Suspect).then_some(
                MemberUpdate {
                    id: target,
                    incarnation: m.incarnation,
                    state: MemberState::Suspect,
                    by: self.me,
                },
            );
            out.send.push((target, Body::Ping { seq: self.seq }, about));
            return;
        }
    }

    /// Handles a SWIM message body from `from`.
    pub(crate) fn handle<R: RngCore>(
        &mut self,
        now: u64,
        from: u64,
        body: &Body,
        out: &mut Out<'_, R>,
    ) {
        if self.left {
            return;
        }
        match body {
            Body::Ping { seq } => self.answer_ping(from, *seq, out),
            Body::Ack { seq } => {
                if self.probe.is_some_and(|p| p.seq == *seq) {
                    self.probe = None;
                    self.health_delta(-1);
                } else if let Some(r) = self.relays.remove(seq) {
                    out.to(r.requester, Body::Ack { seq: r.seq });
                } else if self.reconnecting == Some((*seq, from)) {
                    self.reconnecting = None;
                    self.passed(CodeProbe::ReconnectSynced);
                    self.send_view(from, out, ViewMessage::Push);
                }
            }
            Body::Nack { seq } => {
                if let Some(p) = self.probe.as_mut().filter(|p| p.seq == *seq) {
                    p.nacks += 1;
                }
            }
            Body::PingReq { seq, target } => self.relay_ping(now, from, *seq, *target, out),
            Body::Join { incarnation } => {
                let joiner = MemberUpdate {
                    id: from,
                    incarnation: *incarnation,
                    state: MemberState::Alive,
                    by: from,
                };
                self.apply(now, joiner, out);
                self.send_view(from, out, ViewMessage::JoinReply);
            }
            Body::MemberSync { members, reply } => {
                self.merge_view(now, members, out);
                if *reply {
                    self.send_view(from, out, ViewMessage::PushReply);
                }
            }
            Body::JoinReply { members } => {
                self.seeds.clear();
                for u in members {
                    self.apply(now, *u, out);
                }
            }
            _ => {}
        }
    }

    /// Acks a ping. From a member this node holds dead or gone, the answer says so, and the
    /// pinger refutes (or answers a stale verdict with its incarnation).
    fn answer_ping<R: RngCore>(&self, from: u64, seq: u64, out: &mut Out<'_, R>) {
        let about = self
            .members
            .get(&from)
            .filter(|m| matches!(m.state, MemberState::Dead | MemberState::Left))
            .map(|m| MemberUpdate {
                id: from,
                incarnation: m.incarnation,
                state: m.state,
                by: self.me,
            });
        out.send.push((from, Body::Ack { seq }, about));
    }

    /// Pings `target` for `requester`'s indirect probe `seq`, remembering to relay the ack
    /// (and, with local health, a nack if none comes in time).
    fn relay_ping<R: RngCore>(
        &mut self,
        now: u64,
        requester: u64,
        seq: u64,
        target: u64,
        out: &mut Out<'_, R>,
    ) {
        self.seq += 1;
        let relay = Relay {
            requester,
            seq,
            expires: now + self.cfg.probe_interval,
            nack_at: self
                .health
                .map(|_| now + self.scaled(self.cfg.ping_timeout)),
        };
        self.relays.insert(self.seq, relay);
        out.to(target, Body::Ping { seq: self.seq });
    }

    /// Asks `seeds` to let this node in; asks them again every protocol period until one
    /// answers.
    pub(crate) fn join(
        &mut self,
        now: u64,
        seeds: &[u64],
        send: &mut Vec<(u64, Body, Option<MemberUpdate>)>,
    ) {
        self.enqueue(MemberUpdate {
            id: self.me,
            incarnation: self.incarnation,
            state: MemberState::Alive,
            by: self.me,
        });
        self.seeds = seeds.iter().copied().filter(|s| *s != self.me).collect();
        self.asked_at = now;
        self.ask_seeds(send);
    }

    /// A join request to each seed of a join not answered yet.
    fn ask_seeds(&self, send: &mut Vec<(u64, Body, Option<MemberUpdate>)>) {
        for s in &self.seeds {
            send.push((
                *s,
                Body::Join {
                    incarnation: self.incarnation,
                },
                None,
            ));
        }
    }

    /// Leaves gracefully: tells a few live members (the `Left` update rides first in the
    /// piggyback) and goes quiet.
    pub(crate) fn leave<R: RngCore>(&mut self, out: &mut Out<'_, R>) {
        let notice = MemberUpdate {
            id: self.me,
            incarnation: self.incarnation,
            state: MemberState::Left,
            by: self.me,
        };
        self.queue.clear();
        self.queue.push(Queued {
            update: notice,
            remaining: u32::MAX,
        });
        for m in rng::sample(
            out.rng,
            &self.live(),
            self.cfg.indirect_probes.max(1) as usize + 1,
        ) {
            out.to(m, Body::Leave);
        }
        self.left = true;
    }
}

/// The first multiple of `period` after `now`, counting from `due`.
fn next_period(mut due: u64, period: u64, now: u64) -> u64 {
    while due <= now {
        due = due.saturating_add(period);
    }
    due
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{DynamicSuspicion, Lifeguard, RetransmitScale};
    use proptest::prelude::*;
    use rand_chacha::ChaCha8Rng;
    use rand_core::SeedableRng;

    fn state() -> impl Strategy<Value = MemberState> {
        prop_oneof![
            Just(MemberState::Alive),
            Just(MemberState::Suspect),
            Just(MemberState::Dead),
            Just(MemberState::Left)
        ]
    }

    const SEC: u64 = 1_000_000_000;
    const MS: u64 = 1_000_000;

    /// One SWIM core, node 0 of a cluster `0..n`, with its outputs kept for inspection.
    struct Rig {
        swim: Swim,
        rng: ChaCha8Rng,
        send: Vec<(u64, Body, Option<MemberUpdate>)>,
        events: Vec<Event>,
    }

    impl Rig {
        /// Node 0 of `0..n` under `cfg`, probing first at `first_probe` (use [`NEVER`] to keep
        /// probes, reconnection and push-pull out of the way).
        fn new(n: u64, cfg: SwimConfig, first_probe: u64) -> Self {
            Self {
                swim: Swim::new(0, cfg, (0..n).collect::<Vec<_>>().into(), first_probe, 1024),
                rng: ChaCha8Rng::seed_from_u64(0),
                send: Vec::new(),
                events: Vec::new(),
            }
        }

        fn step(&mut self, f: impl FnOnce(&mut Swim, &mut Out<'_, ChaCha8Rng>)) {
            let mut out = Out {
                rng: &mut self.rng,
                send: &mut self.send,
                events: &mut self.events,
            };
            f(&mut self.swim, &mut out);
        }

        fn apply(&mut self, now: u64, u: MemberUpdate) {
            self.step(|s, out| s.apply(now, u, out));
        }

        fn tick(&mut self, now: u64) {
            self.step(|s, out| s.tick(now, out));
        }

        fn handle(&mut self, now: u64, from: u64, body: Body) {
            self.step(|s, out| s.handle(now, from, &body, out));
        }

        fn state(&self, id: u64) -> Option<MemberState> {
            self.swim.members().get(&id).map(|m| m.state)
        }

        /// The queued updates that `rounds` messages with room for `per_message` updates carry.
        fn drain(&mut self, rounds: usize, per_message: usize) -> Vec<MemberUpdate> {
            (0..rounds)
                .flat_map(|_| self.swim.piggyback(per_message * MemberUpdate::SIZE))
                .collect()
        }
    }

    /// Far enough that no probe, reconnection or push-pull happens in a test.
    const NEVER: u64 = 1 << 60;

    fn update(id: u64, incarnation: u64, state: MemberState, by: u64) -> MemberUpdate {
        MemberUpdate {
            id,
            incarnation,
            state,
            by,
        }
    }

    fn view_after(updates: &[MemberUpdate]) -> Member {
        let mut rig = Rig::new(2, SwimConfig::default(), NEVER);
        for u in updates {
            rig.apply(1, *u);
        }
        rig.swim.members()[&1]
    }

    proptest! {
        #[test]
        fn views_converge_whatever_the_arrival_order(
            raw in prop::collection::vec((0u64..4, state()), 1..12),
            rotate in 0usize..12,
        ) {
            let updates: Vec<MemberUpdate> =
                raw.iter().map(|(incarnation, state)| MemberUpdate { id: 1, incarnation: *incarnation, state: *state, by: 2 }).collect();
            let mut reversed = updates.clone();
            reversed.reverse();
            let mut rotated = updates.clone();
            rotated.rotate_left(rotate % updates.len());
            let a = view_after(&updates);
            prop_assert_eq!((a.incarnation, a.state), (view_after(&reversed).incarnation, view_after(&reversed).state));
            prop_assert_eq!((a.incarnation, a.state), (view_after(&rotated).incarnation, view_after(&rotated).state));
            // The result is the maximum (incarnation, state), or the initial Alive{0}.
            let best = updates.iter().map(|u| (u.incarnation, u.state)).max().unwrap().max((0, MemberState::Alive));
            prop_assert_eq!((a.incarnation, a.state), best);
        }
    }

    #[test]
    fn precedence_follows_the_swim_rules() {
        let cur = |state, incarnation| Member {
            state,
            incarnation,
            since: 0,
        };
        let up = |state, incarnation| MemberUpdate {
            id: 1,
            incarnation,
            state,
            by: 2,
        };
        use MemberState::*;
        assert!(up(Suspect, 2).overrides(&cur(Alive, 2)));
        assert!(!up(Alive, 2).overrides(&cur(Suspect, 2)));
        assert!(up(Alive, 3).overrides(&cur(Suspect, 2)));
        assert!(up(Alive, 3).overrides(&cur(Dead, 2)));
        assert!(up(Dead, 2).overrides(&cur(Suspect, 2)));
        assert!(!up(Suspect, 1).overrides(&cur(Alive, 2)));
        assert!(up(Left, 2).overrides(&cur(Dead, 2)));
    }

    /// Dissemination (SWIM section 4.1, memberlist's `TransmitLimitedQueue`): an update rides
    /// `retransmit_mult * ceil(log(n + 1))` messages, `n` the cluster size, then no more.
    #[test]
    fn an_update_is_piggybacked_mult_times_log_n_plus_1_then_dropped() {
        let times = |n, retransmit_mult, retransmit_scale| {
            let cfg = SwimConfig {
                retransmit_mult,
                retransmit_scale,
                ..SwimConfig::default()
            };
            let mut rig = Rig::new(n, cfg, NEVER);
            rig.apply(SEC, update(1, 0, MemberState::Suspect, 2));
            let sent = rig.drain(100, 10);
            assert!(sent
                .iter()
                .all(|u| *u == update(1, 0, MemberState::Suspect, 2)));
            sent.len()
        };
        // 4 nodes: 4 * ceil(log2 5) = 12; 8 nodes: 4 * ceil(log2 9) = 16.
        assert_eq!(times(4, 4, RetransmitScale::Log2), 12);
        assert_eq!(times(8, 4, RetransmitScale::Log2), 16);
        // memberlist's base: 3 * ceil(log10 5) = 3; 10 nodes: 3 * ceil(log10 11) = 6.
        assert_eq!(times(4, 3, RetransmitScale::Log10), 3);
        assert_eq!(times(10, 3, RetransmitScale::Log10), 6);
    }

    /// A message carries as many queued updates as its budget holds, those sent least often
    /// first; a budget below one update carries none and spends nothing.
    #[test]
    fn piggyback_fills_the_budget_with_the_least_sent_updates_first() {
        let mut rig = Rig::new(4, SwimConfig::default(), NEVER);
        rig.apply(SEC, update(1, 0, MemberState::Suspect, 0));
        assert_eq!(rig.drain(1, 3).len(), 1);
        rig.apply(SEC, update(2, 0, MemberState::Suspect, 0));
        rig.apply(SEC, update(3, 0, MemberState::Suspect, 0));
        assert!(rig.swim.piggyback(MemberUpdate::SIZE - 1).is_empty());
        // Two slots: the two never sent, not the one sent once.
        let ids = |us: Vec<MemberUpdate>| us.iter().map(|u| u.id).collect::<BTreeSet<_>>();
        assert_eq!(ids(rig.drain(1, 2)), BTreeSet::from([2, 3]));
        // Each rides 12 times in all (4 nodes), whatever the budgets were.
        let rest = rig.drain(100, 2);
        for id in 1..=3 {
            assert_eq!(
                rest.iter().filter(|u| u.id == id).count() + 1,
                12,
                "member {id}"
            );
        }
    }

    /// A newer update about a member replaces the queued one: only the newest rides.
    #[test]
    fn a_newer_update_about_a_member_replaces_its_queued_one() {
        let mut rig = Rig::new(4, SwimConfig::default(), NEVER);
        rig.apply(SEC, update(1, 0, MemberState::Suspect, 0));
        rig.apply(SEC, update(2, 0, MemberState::Suspect, 0));
        rig.apply(SEC, update(1, 1, MemberState::Alive, 1));
        let sent = rig.drain(100, 10);
        assert!(!sent.contains(&update(1, 0, MemberState::Suspect, 0)));
        assert_eq!(sent.iter().filter(|u| u.id == 1).count(), 12);
        assert_eq!(sent.iter().filter(|u| u.id == 2).count(), 12);
    }

    /// Lifeguard's dynamic suspicion with memberlist's parameters on a 1 s base: in a cluster
    /// of 4 (log10 4 < 1, so min = 1 s), a suspicion lasts max = 6 * min with no confirmation.
    fn dynamic() -> SwimConfig {
        SwimConfig {
            suspicion: Some(SEC),
            lifeguard: Lifeguard {
                dynamic_suspicion: Some(DynamicSuspicion {
                    max_mult: 6,
                    confirmations: 2,
                }),
                ..Lifeguard::default()
            },
            ..SwimConfig::default()
        }
    }

    /// A suspect is declared dead exactly when its suspicion times out: not a nanosecond
    /// before, and at the deadline itself.
    #[test]
    fn an_unconfirmed_suspicion_ends_in_death_at_max_mult_times_min() {
        for (cfg, timeout) in [(SwimConfig::default(), 5 * SEC), (dynamic(), 6 * SEC)] {
            let mut rig = Rig::new(4, cfg, NEVER);
            rig.apply(10 * SEC, update(3, 0, MemberState::Suspect, 1));
            rig.tick(10 * SEC + timeout - 1);
            assert_eq!(rig.state(3), Some(MemberState::Suspect));
            rig.tick(10 * SEC + timeout);
            assert_eq!(rig.state(3), Some(MemberState::Dead));
            assert_eq!(rig.swim.members()[&3].since, 10 * SEC + timeout);
            assert_eq!(rig.swim.code_probes(), CodeProbe::MemberDeclaredDead.bit());
            rig.apply(20 * SEC, update(3, 1, MemberState::Alive, 3));
            assert_eq!(rig.state(3), Some(MemberState::Alive));
            let revived = CodeProbe::DeadMemberRevived.bit();
            assert_eq!(rig.swim.code_probes() & revived, revived);
        }
    }

    /// Each independent accuser shortens the suspicion, counted from when it began, by
    /// memberlist's formula: one confirmation gives 6 - 5 * ln 2 / ln 3 = 2.85 s, two reach
    /// min = 1 s and it goes no lower; an accuser heard again is no confirmation. Each new
    /// accusation is passed on.
    #[test]
    fn independent_confirmations_shorten_a_suspicion_down_to_min() {
        let mut rig = Rig::new(4, dynamic(), NEVER);
        rig.apply(10 * SEC, update(3, 0, MemberState::Suspect, 1));
        rig.apply(10 * SEC + 100 * MS, update(3, 0, MemberState::Suspect, 1));
        rig.tick(15 * SEC);
        assert_eq!(
            rig.state(3),
            Some(MemberState::Suspect),
            "a repeat is no confirmation"
        );
        assert_eq!(
            rig.swim.code_probes() & CodeProbe::SuspicionConfirmed.bit(),
            0
        );
        rig.events.clear();
        rig.apply(11 * SEC, update(3, 0, MemberState::Suspect, 2));
        assert!(rig.swim.code_probes() & CodeProbe::SuspicionConfirmed.bit() != 0);
        let news = Event::Member {
            id: 3,
            state: MemberState::Suspect,
            incarnation: 0,
        };
        assert_eq!(rig.events, vec![news]);
        let sent = rig.drain(100, 10);
        assert_eq!(sent.iter().filter(|u| u.by == 2).count(), 12, "passed on");
        rig.tick(12 * SEC + 840 * MS);
        assert_eq!(rig.state(3), Some(MemberState::Suspect));
        rig.tick(12 * SEC + 850 * MS);
        assert_eq!(rig.state(3), Some(MemberState::Dead));

        let mut rig = Rig::new(4, dynamic(), NEVER);
        rig.apply(10 * SEC, update(3, 0, MemberState::Suspect, 1));
        rig.apply(10 * SEC + 200 * MS, update(3, 0, MemberState::Suspect, 2));
        rig.apply(10 * SEC + 400 * MS, update(3, 0, MemberState::Suspect, 0));
        rig.tick(11 * SEC - 1);
        assert_eq!(rig.state(3), Some(MemberState::Suspect));
        rig.tick(11 * SEC);
        assert_eq!(
            rig.state(3),
            Some(MemberState::Dead),
            "min: 1 s after it began"
        );
    }

    /// Under dynamic suspicion only a suspicion at the incarnation this node suspects is a
    /// confirmation: a death or a suspicion of a newer incarnation is news and applies.
    #[test]
    fn only_a_same_incarnation_suspicion_is_a_confirmation() {
        let mut rig = Rig::new(4, dynamic(), NEVER);
        rig.apply(10 * SEC, update(3, 0, MemberState::Suspect, 1));
        rig.apply(10 * SEC, update(2, 0, MemberState::Suspect, 1));
        rig.apply(11 * SEC, update(3, 0, MemberState::Dead, 2));
        assert_eq!(rig.state(3), Some(MemberState::Dead));
        rig.apply(11 * SEC, update(2, 1, MemberState::Suspect, 3));
        let m = rig.swim.members()[&2];
        assert_eq!(
            (m.state, m.incarnation, m.since),
            (MemberState::Suspect, 1, 11 * SEC)
        );
        // A fresh suspicion (one accuser): the full 6 s from 11 s.
        rig.tick(17 * SEC - 1);
        assert_eq!(rig.state(2), Some(MemberState::Suspect));
        rig.tick(17 * SEC);
        assert_eq!(rig.state(2), Some(MemberState::Dead));
    }

    /// Lifeguard's local health awareness with memberlist's cap of 8.
    fn healthy() -> SwimConfig {
        SwimConfig {
            lifeguard: Lifeguard {
                local_health: Some(8),
                ..Lifeguard::default()
            },
            ..SwimConfig::default()
        }
    }

    /// The probe in flight, as sent: its target and sequence number.
    fn last_ping(rig: &Rig) -> (u64, u64) {
        match rig.send.last() {
            Some((to, Body::Ping { seq }, _)) => (*to, *seq),
            other => panic!("expected a ping, found {other:?}"),
        }
    }

    fn ping_reqs(rig: &Rig) -> usize {
        let is_req = |b: &Body| matches!(b, Body::PingReq { .. });
        rig.send.iter().filter(|(_, b, _)| is_req(b)).count()
    }

    /// A probe (health score `s`) asks for indirect pings after (s + 1) * ping_timeout and
    /// gives up after (s + 1) * probe_interval; a failed probe raises the score by the helpers
    /// that sent no nack, an answered one lowers it by one. Scores are capped at 0 and max - 1.
    #[test]
    fn local_health_follows_missed_nacks_and_answered_probes_and_stretches_timeouts() {
        let mut rig = Rig::new(4, healthy(), SEC);
        rig.tick(SEC);
        let (target, seq) = last_ping(&rig);
        assert_eq!(rig.swim.deadline(), Some(SEC + 200 * MS));
        rig.tick(SEC + 200 * MS - 1);
        assert_eq!(ping_reqs(&rig), 0);
        rig.tick(SEC + 200 * MS);
        // k = 3, but only the two members besides the target can help.
        let helpers: Vec<u64> = rig
            .send
            .iter()
            .filter(|(_, b, _)| *b == Body::PingReq { seq, target })
            .map(|(to, _, _)| *to)
            .collect();
        assert_eq!(helpers.len(), 2);
        assert!(!helpers.contains(&target) && !helpers.contains(&0));
        rig.tick(SEC + 500 * MS);
        assert_eq!(ping_reqs(&rig), 2, "asked once");
        assert_eq!(rig.swim.deadline(), Some(2 * SEC));
        rig.handle(SEC + 600 * MS, helpers[0], Body::Nack { seq });
        // Nacks for other probes count for nothing.
        rig.handle(SEC + 600 * MS, helpers[1], Body::Nack { seq: seq + 100 });
        rig.handle(SEC + 600 * MS, helpers[1], Body::Nack { seq: seq + 200 });
        rig.tick(2 * SEC - 1);
        assert_eq!(rig.state(target), Some(MemberState::Alive));
        assert_eq!(rig.swim.health_score(), 0);
        rig.send.clear();
        rig.tick(2 * SEC);
        assert_eq!(rig.state(target), Some(MemberState::Suspect));
        assert_eq!(rig.swim.health_score(), 1, "one helper sent no nack");
        // The next probe, with score 1: indirect after 400 ms, failure after 2 s.
        let (_, seq) = last_ping(&rig);
        assert_eq!(rig.swim.deadline(), Some(2 * SEC + 400 * MS));
        rig.tick(2 * SEC + 400 * MS - 1);
        assert_eq!(ping_reqs(&rig), 0);
        rig.tick(2 * SEC + 400 * MS);
        assert_eq!(ping_reqs(&rig), 2);
        rig.handle(2 * SEC + 500 * MS, 1, Body::Ack { seq: seq + 1 });
        assert_eq!(rig.swim.health_score(), 1, "not this probe's ack");
        rig.handle(2 * SEC + 500 * MS, 1, Body::Ack { seq });
        assert_eq!(rig.swim.health_score(), 0);
        assert!(rig.swim.probe.is_none());
        rig.handle(2 * SEC + 600 * MS, 1, Body::Ack { seq });
        assert_eq!(rig.swim.health_score(), 0, "never below 0");
    }

    /// A failed probe with nobody to relay it counts one against local health (memberlist's
    /// probeNode; the Lifeguard paper's +1 for a failed probe): in a two-member cluster, and
    /// with indirect probes off.
    #[test]
    fn a_failed_probe_with_no_relay_counts_against_local_health() {
        let no_relays = SwimConfig {
            indirect_probes: 0,
            ..healthy()
        };
        for (members, cfg) in [(2, healthy()), (4, no_relays)] {
            let mut rig = Rig::new(members, cfg, SEC);
            rig.tick(SEC);
            let (target, _) = last_ping(&rig);
            rig.tick(SEC + 200 * MS);
            assert_eq!(ping_reqs(&rig), 0, "{members} members: nobody to ask");
            rig.tick(2 * SEC);
            assert_eq!(rig.state(target), Some(MemberState::Suspect));
            assert_eq!(rig.swim.health_score(), 1, "{members} members");
        }
    }

    /// Having to refute a suspicion or a death of itself counts against a node's health (and
    /// so does a refutation of a departure: it did not leave); a higher incarnation of its own
    /// is adopted without a refutation.
    #[test]
    fn refuting_an_accusation_raises_local_health_and_the_incarnation() {
        let mut rig = Rig::new(4, healthy(), NEVER);
        rig.apply(SEC, update(0, 0, MemberState::Suspect, 1));
        assert_eq!((rig.swim.incarnation(), rig.swim.health_score()), (1, 1));
        rig.apply(SEC, update(0, 0, MemberState::Dead, 1));
        assert_eq!(
            (rig.swim.incarnation(), rig.swim.health_score()),
            (1, 1),
            "stale"
        );
        rig.apply(SEC, update(0, 1, MemberState::Dead, 1));
        assert_eq!((rig.swim.incarnation(), rig.swim.health_score()), (2, 2));
        rig.apply(SEC, update(0, 4, MemberState::Left, 1));
        assert_eq!((rig.swim.incarnation(), rig.swim.health_score()), (5, 2));
        rig.apply(SEC, update(0, 7, MemberState::Alive, 1));
        assert_eq!((rig.swim.incarnation(), rig.swim.health_score()), (7, 2));
        rig.apply(SEC, update(0, 3, MemberState::Alive, 1));
        assert_eq!(rig.swim.incarnation(), 7, "an older alive is no news");
        for _ in 0..20 {
            let now = rig.swim.incarnation();
            rig.apply(SEC, update(0, now, MemberState::Suspect, 1));
        }
        assert_eq!(rig.swim.health_score(), 7, "capped at max - 1");
        let refuted = [
            CodeProbe::SuspicionRefuted,
            CodeProbe::DeathRefuted,
            CodeProbe::DepartureRefuted,
        ];
        let bits = refuted.iter().fold(0, |bits, p| bits | p.bit());
        assert_eq!(
            rig.swim.code_probes(),
            bits,
            "each kind of refutation passed its probe"
        );
        // Each refutation rides the piggyback: the last one, at the current incarnation.
        let me = update(0, rig.swim.incarnation(), MemberState::Alive, 0);
        assert_eq!(rig.drain(1, 10), vec![me]);
    }

    /// A relay pings the target with a sequence number of its own, forwards the target's ack to
    /// the requester under the requester's number, and under local health sends a nack once
    /// the ping timeout has passed without one; a relay is forgotten after a probe interval.
    #[test]
    fn a_relay_forwards_the_ack_and_nacks_a_silent_target() {
        let mut rig = Rig::new(4, healthy(), NEVER);
        rig.handle(10 * SEC, 1, Body::PingReq { seq: 9, target: 2 });
        let (to, relayed) = last_ping(&rig);
        assert_eq!(to, 2);
        rig.send.clear();
        rig.tick(10 * SEC + 200 * MS - 1);
        assert!(rig.send.is_empty());
        rig.tick(10 * SEC + 200 * MS);
        rig.tick(10 * SEC + 300 * MS);
        assert_eq!(rig.send, vec![(1, Body::Nack { seq: 9 }, None)]);
        rig.send.clear();
        rig.handle(10 * SEC + 600 * MS, 2, Body::Ack { seq: relayed });
        assert_eq!(rig.send, vec![(1, Body::Ack { seq: 9 }, None)]);

        rig.handle(11 * SEC, 1, Body::PingReq { seq: 10, target: 3 });
        let (to, second) = last_ping(&rig);
        assert_eq!(to, 3);
        assert_ne!(second, relayed);
        rig.tick(12 * SEC - 1);
        rig.send.clear();
        rig.handle(12 * SEC - 1, 3, Body::Ack { seq: second });
        assert_eq!(
            rig.send,
            vec![(1, Body::Ack { seq: 10 }, None)],
            "still relayed"
        );
        rig.handle(12 * SEC, 1, Body::PingReq { seq: 11, target: 3 });
        let (_, third) = last_ping(&rig);
        rig.tick(13 * SEC);
        rig.send.clear();
        rig.handle(13 * SEC, 3, Body::Ack { seq: third });
        assert!(rig.send.is_empty(), "expired");
        // Without local health there are no nacks.
        let mut rig = Rig::new(4, SwimConfig::default(), NEVER);
        rig.handle(10 * SEC, 1, Body::PingReq { seq: 9, target: 2 });
        rig.send.clear();
        rig.tick(11 * SEC - 1);
        assert!(rig.send.is_empty());
    }

    fn pings(rig: &Rig) -> Vec<(u64, u64, Option<MemberUpdate>)> {
        let ping = |(to, b, about): &(u64, Body, Option<MemberUpdate>)| match b {
            Body::Ping { seq } => Some((*to, *seq, *about)),
            _ => None,
        };
        rig.send.iter().filter_map(ping).collect()
    }

    /// Lifeguard's buddy system: a ping to a member this node suspects tells it so; a ping to
    /// an alive member, or without the buddy system, carries nothing.
    #[test]
    fn the_buddy_system_tells_a_suspect_in_the_ping() {
        let buddy = |on: bool, suspect: bool| {
            let mut cfg = SwimConfig::default();
            cfg.lifeguard.buddy = on;
            let mut rig = Rig::new(2, cfg, SEC);
            if suspect {
                rig.apply(SEC / 2, update(1, 4, MemberState::Suspect, 0));
            }
            rig.tick(SEC);
            let [(1, _, about)] = pings(&rig)[..] else {
                panic!("one ping to 1: {:?}", rig.send);
            };
            about
        };
        assert_eq!(
            buddy(true, true),
            Some(update(1, 4, MemberState::Suspect, 0))
        );
        assert_eq!(buddy(true, false), None);
        assert_eq!(buddy(false, true), None);
    }

    /// One probe per protocol period, on the period's grid even when ticks come late.
    #[test]
    fn probes_start_once_per_period_on_the_grid() {
        let mut rig = Rig::new(4, SwimConfig::default(), SEC);
        rig.tick(SEC - 1);
        assert!(rig.send.is_empty());
        assert_eq!(rig.swim.deadline(), Some(SEC));
        rig.tick(SEC);
        let (_, seq) = last_ping(&rig);
        rig.handle(SEC + 10 * MS, 1, Body::Ack { seq });
        assert_eq!(rig.swim.deadline(), Some(2 * SEC));
        rig.tick(SEC + 500 * MS);
        assert_eq!(pings(&rig).len(), 1);
        rig.tick(3 * SEC + 500 * MS);
        assert_eq!(pings(&rig).len(), 2);
        let first = seq;
        let (_, seq) = last_ping(&rig);
        assert_ne!(seq, first, "each probe has a sequence number of its own");
        rig.handle(3 * SEC + 510 * MS, 1, Body::Ack { seq });
        assert_eq!(rig.swim.deadline(), Some(4 * SEC));
        assert_eq!(
            rig.swim.code_probes(),
            0,
            "a quiet run passes no code probe"
        );
    }

    /// Serf's reconnection pings a failed member, telling it it is thought dead, with
    /// probability failed / alive (this node counted); its ack opens a push-pull with it.
    #[test]
    fn reconnection_pings_the_dead_at_the_failed_to_alive_ratio_and_syncs_on_an_answer() {
        // 5 nodes, 4 held dead: always; 3 alive others and 1 dead: one time in four.
        for (dead, low, high) in [(&[1, 2, 3, 4][..], 400, 400), (&[4][..], 80, 120)] {
            let mut rig = Rig::new(5, SwimConfig::default(), NEVER);
            for id in dead {
                rig.apply(SEC, update(*id, 2, MemberState::Dead, 0));
            }
            for _ in 0..400 {
                rig.step(|s, out| s.reconnect(out));
            }
            let sent = pings(&rig);
            assert!((low..=high).contains(&sent.len()), "{} pings", sent.len());
            let seqs: BTreeSet<u64> = sent.iter().map(|p| p.1).collect();
            assert_eq!(
                seqs.len(),
                sent.len(),
                "each with a sequence number of its own"
            );
            for (to, _, about) in sent {
                assert!(dead.contains(&to));
                assert_eq!(about, Some(update(to, 2, MemberState::Dead, 0)));
            }
        }
        let mut rig = Rig::new(5, SwimConfig::default(), NEVER);
        rig.step(|s, out| s.reconnect(out));
        assert!(rig.send.is_empty(), "no one is dead");
        rig.apply(SEC, update(2, 0, MemberState::Dead, 0));
        rig.apply(SEC, update(3, 0, MemberState::Suspect, 0));
        while rig.send.is_empty() {
            rig.step(|s, out| s.reconnect(out));
        }
        let (to, seq) = last_ping(&rig);
        assert_eq!(to, 2, "only the dead are retried");
        rig.send.clear();
        rig.handle(2 * SEC, 1, Body::Ack { seq });
        assert!(rig.send.is_empty(), "an ack from another member");
        rig.handle(2 * SEC, 2, Body::Ack { seq });
        assert!(rig.swim.code_probes() & CodeProbe::ReconnectSynced.bit() != 0);
        let [(
            2,
            Body::MemberSync {
                members,
                reply: true,
            },
            None,
        )] = &rig.send[..]
        else {
            panic!("a push-pull opening to 2: {:?}", rig.send);
        };
        assert_eq!(members.len(), 5);
    }

    /// A whole view goes out itself first, `view_chunk` members a message; only a push's first
    /// message asks for the receiver's view back.
    #[test]
    fn a_whole_view_goes_in_chunks_and_only_a_push_opening_asks_for_a_reply() {
        let mut rig = Rig::new(5, SwimConfig::default(), NEVER);
        rig.swim.view_chunk = 2;
        let me = update(0, 0, MemberState::Alive, 0);
        rig.step(|s, out| s.send_view(3, out, ViewMessage::Push));
        let replies: Vec<(usize, bool)> = rig
            .send
            .iter()
            .map(|(to, b, _)| match b {
                Body::MemberSync { members, reply } if *to == 3 => (members.len(), *reply),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(replies, vec![(2, true), (2, false), (1, false)]);
        let Body::MemberSync { members, .. } = &rig.send[0].1 else {
            unreachable!()
        };
        assert_eq!(members[0], me);
        rig.send.clear();
        rig.handle(
            SEC,
            3,
            Body::MemberSync {
                members: vec![],
                reply: false,
            },
        );
        assert!(rig.send.is_empty());
        rig.handle(
            SEC,
            3,
            Body::MemberSync {
                members: vec![],
                reply: true,
            },
        );
        let answer = |b: &Body| matches!(b, Body::MemberSync { reply: false, .. });
        assert_eq!(rig.send.len(), 3);
        assert!(rig.send.iter().all(|(to, b, _)| *to == 3 && answer(b)));
    }

    /// Push-pull every `push_pull_interval` to one live member, none when it is 0.
    #[test]
    fn push_pull_opens_every_interval_with_one_live_member() {
        let cfg = SwimConfig {
            push_pull_interval: 10 * SEC,
            ..SwimConfig::default()
        };
        let mut rig = Rig::new(4, cfg, 5 * SEC);
        rig.apply(0, update(1, 0, MemberState::Dead, 0));
        rig.apply(0, update(2, 0, MemberState::Left, 0));
        let opens = |rig: &Rig| {
            let open = |b: &Body| matches!(b, Body::MemberSync { reply: true, .. });
            let to: Vec<u64> = rig
                .send
                .iter()
                .filter(|(_, b, _)| open(b))
                .map(|s| s.0)
                .collect();
            to
        };
        rig.tick(15 * SEC - 1);
        assert!(opens(&rig).is_empty());
        rig.tick(15 * SEC);
        assert_eq!(opens(&rig), vec![3]);
        rig.tick(30 * SEC);
        assert_eq!(opens(&rig), vec![3, 3]);
        rig.tick(35 * SEC - 1);
        assert_eq!(opens(&rig).len(), 2, "the next one is due at 35 s");
        let cfg = SwimConfig {
            push_pull_interval: 0,
            ..SwimConfig::default()
        };
        let mut rig = Rig::new(4, cfg, 5 * SEC);
        rig.tick(100 * SEC);
        assert!(opens(&rig).is_empty());
    }

    /// Reconnection runs every `reconnect_interval` from the first probe, on its grid.
    #[test]
    fn reconnection_runs_every_interval() {
        let mut rig = Rig::new(3, SwimConfig::default(), 5 * SEC);
        rig.apply(0, update(1, 0, MemberState::Dead, 0));
        rig.apply(0, update(2, 0, MemberState::Dead, 0));
        // Every other member is dead: each due reconnection pings one of them.
        rig.tick(35 * SEC - 1);
        assert!(pings(&rig).is_empty());
        rig.tick(35 * SEC);
        assert_eq!(pings(&rig).len(), 1);
        rig.tick(65 * SEC - 1);
        assert_eq!(pings(&rig).len(), 1);
        rig.tick(70 * SEC);
        assert_eq!(pings(&rig).len(), 2);
        rig.tick(95 * SEC - 1);
        assert_eq!(pings(&rig).len(), 2, "the next one is due at 95 s");
    }

    /// As in memberlist, a pushed `Dead` is taken as `Suspect` when suspicion is on, so the
    /// member can still refute; without suspicion it is taken as it is.
    #[test]
    fn a_pushed_death_is_only_a_suspicion_when_suspicion_is_on() {
        for (suspicion, state) in [(Some(SEC), MemberState::Suspect), (None, MemberState::Dead)] {
            let cfg = SwimConfig {
                suspicion,
                ..SwimConfig::default()
            };
            let mut rig = Rig::new(4, cfg, NEVER);
            let members = vec![update(2, 1, MemberState::Dead, 1)];
            rig.handle(
                SEC,
                1,
                Body::MemberSync {
                    members,
                    reply: false,
                },
            );
            let m = rig.swim.members()[&2];
            assert_eq!((m.state, m.incarnation), (state, 1));
        }
    }

    /// A graceful leave tells max(k, 1) + 1 live members, sends the `Left` notice first in
    /// every later message and goes quiet.
    #[test]
    fn a_leave_tells_k_plus_1_live_members_and_goes_quiet() {
        for (indirect_probes, told) in [(3, 4), (0, 2)] {
            let cfg = SwimConfig {
                indirect_probes,
                ..SwimConfig::default()
            };
            let mut rig = Rig::new(8, cfg, SEC);
            rig.apply(0, update(5, 0, MemberState::Dead, 0));
            rig.apply(0, update(6, 0, MemberState::Suspect, 0));
            rig.step(|s, out| s.leave(out));
            let to: BTreeSet<u64> = rig
                .send
                .iter()
                .map(|(to, b, _)| {
                    assert_eq!(*b, Body::Leave);
                    *to
                })
                .collect();
            assert_eq!(to.len(), told);
            assert_eq!(rig.send.len(), told);
            assert!(!to.contains(&0) && !to.contains(&5));
            assert_eq!(rig.swim.deadline(), None);
            let left = update(0, 0, MemberState::Left, 0);
            assert_eq!(rig.drain(1, 10), vec![left]);
            rig.send.clear();
            rig.tick(10 * SEC);
            rig.handle(10 * SEC, 1, Body::Ping { seq: 1 });
            assert!(rig.send.is_empty(), "quiet");
        }
    }

    /// (Callers only ask once `due` has come: `now >= due`.)
    #[test]
    fn next_period_is_the_first_due_time_after_now() {
        assert_eq!(next_period(10, 5, 10), 15);
        assert_eq!(next_period(10, 5, 22), 25);
    }

    /// A join request makes the joiner an alive member at its incarnation and is answered with
    /// the whole view; a joiner asks its seeds (not itself) again each protocol period until
    /// one answers.
    #[test]
    fn a_join_is_answered_with_the_view_and_retried_each_period_until_answered() {
        let mut rig = Rig::new(3, SwimConfig::default(), NEVER);
        rig.handle(SEC, 7, Body::Join { incarnation: 2 });
        let m = rig.swim.members()[&7];
        assert_eq!((m.state, m.incarnation), (MemberState::Alive, 2));
        let [(7, Body::JoinReply { members }, None)] = &rig.send[..] else {
            panic!("a join reply to 7: {:?}", rig.send);
        };
        let ids: Vec<u64> = members.iter().map(|u| u.id).collect();
        assert_eq!(ids, vec![0, 1, 2, 7]);

        let mut joiner = Rig::new(1, SwimConfig::default(), SEC);
        let asks = |rig: &Rig| {
            let join = |(to, b, _): &(u64, Body, Option<MemberUpdate>)| match b {
                Body::Join { incarnation: 0 } => Some(*to),
                _ => None,
            };
            rig.send.iter().filter_map(join).collect::<Vec<u64>>()
        };
        joiner.swim.join(SEC / 2, &[0, 5, 6], &mut joiner.send);
        assert_eq!(asks(&joiner), vec![5, 6]);
        assert_eq!(
            joiner.drain(1, 10),
            vec![update(0, 0, MemberState::Alive, 0)]
        );
        joiner.tick(SEC);
        assert_eq!(asks(&joiner).len(), 2, "not yet a period since it asked");
        joiner.tick(2 * SEC);
        assert_eq!(asks(&joiner), vec![5, 6, 5, 6]);
        assert!(joiner.swim.code_probes() & CodeProbe::JoinRetried.bit() != 0);
        let members = vec![update(5, 0, MemberState::Alive, 5)];
        joiner.handle(2 * SEC + 10 * MS, 5, Body::JoinReply { members });
        assert_eq!(joiner.state(5), Some(MemberState::Alive));
        joiner.tick(4 * SEC);
        assert_eq!(asks(&joiner).len(), 4, "answered: no more asking");
    }

    /// An accusation of this node older than its incarnation is answered straight to whoever
    /// sent it; a current one is refuted through the piggyback only, and an old verdict about
    /// another member, or an old alive of this node, gets no answer.
    #[test]
    fn only_a_stale_accusation_of_this_node_is_answered_directly() {
        let mut rig = Rig::new(4, SwimConfig::default(), NEVER);
        let from = |rig: &mut Rig, by: u64, u: MemberUpdate| {
            rig.step(|s, out| s.apply_from(SEC, by, u, out));
        };
        from(&mut rig, 1, update(0, 0, MemberState::Suspect, 1));
        assert_eq!(rig.swim.incarnation(), 1);
        from(&mut rig, 2, update(3, 0, MemberState::Suspect, 2));
        from(&mut rig, 2, update(0, 0, MemberState::Alive, 2));
        assert!(rig.send.is_empty());
        assert_eq!(
            rig.swim.code_probes() & CodeProbe::StaleAccusationAnswered.bit(),
            0
        );
        from(&mut rig, 2, update(0, 0, MemberState::Dead, 2));
        let me = vec![update(0, 1, MemberState::Alive, 0)];
        let answer = Body::MemberSync {
            members: me,
            reply: false,
        };
        assert_eq!(rig.send, vec![(2, answer, None)]);
        assert!(rig.swim.code_probes() & CodeProbe::StaleAccusationAnswered.bit() != 0);
        assert_eq!(rig.swim.incarnation(), 1);
    }
}

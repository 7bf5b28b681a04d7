//! SWIM membership (Das, Gupta, Motivala): one randomized round-robin probe per protocol period,
//! `ping`, then `ping-req` through `k` members, suspicion with a timeout and refutation by a
//! higher incarnation, membership updates piggybacked on messages, joins through seeds, graceful
//! leave; and, as in memberlist and Serf, failed members kept for hours and retried periodically
//! (reconnection), tombstones for members that left, and a periodic push-pull of whole views, so
//! a partition of any length shorter than the reconnect timeout heals once it ends.

use std::collections::{BTreeMap, BTreeSet};

use rand_core::RngCore;

use crate::config::SwimConfig;
use crate::event::Event;
use crate::message::Body;
use crate::rng;

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
}

impl MemberUpdate {
    /// Estimated encoded size.
    pub const SIZE: usize = 17;

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
}

#[derive(Clone, Copy, Debug)]
struct Relay {
    requester: u64,
    seq: u64,
    expires: u64,
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
    members: BTreeMap<u64, Member>,
    live: Vec<u64>,
    order: Vec<u64>,
    pos: usize,
    probe: Option<Probe>,
    next_probe: u64,
    seq: u64,
    relays: BTreeMap<u64, Relay>,
    queue: Vec<Queued>,
    deadlines: BTreeSet<(u64, u64)>,
    left: bool,
    next_reconnect: u64,
    next_push_pull: u64,
    /// Most member updates one whole-view message (join reply, push-pull) carries.
    view_chunk: usize,
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
    pub(crate) fn new(
        me: u64,
        cfg: SwimConfig,
        members: &[u64],
        first_probe: u64,
        budget: usize,
    ) -> Self {
        let members: BTreeMap<u64, Member> = members
            .iter()
            .filter(|m| **m != me)
            .map(|m| {
                (
                    *m,
                    Member {
                        state: MemberState::Alive,
                        incarnation: 0,
                        since: 0,
                    },
                )
            })
            .collect();
        let live = members.keys().copied().collect();
        Self {
            me,
            incarnation: 0,
            cfg,
            members,
            live,
            order: Vec::new(),
            pos: 0,
            probe: None,
            next_probe: first_probe,
            seq: 0,
            relays: BTreeMap::new(),
            queue: Vec::new(),
            deadlines: BTreeSet::new(),
            left: false,
            next_reconnect: first_probe.saturating_add(cfg.reconnect_interval),
            next_push_pull: match cfg.push_pull_interval {
                0 => u64::MAX,
                every => first_probe.saturating_add(every),
            },
            view_chunk: (budget / MemberUpdate::SIZE).max(1),
        }
    }

    pub(crate) fn members(&self) -> &BTreeMap<u64, Member> {
        &self.members
    }

    pub(crate) fn incarnation(&self) -> u64 {
        self.incarnation
    }

    /// Alive and suspect members other than self, sorted: the view gossip peers are chosen from.
    pub(crate) fn live(&self) -> &[u64] {
        &self.live
    }

    fn set_live(&mut self, id: u64, live: bool) {
        match (self.live.binary_search(&id), live) {
            (Err(i), true) => self.live.insert(i, id),
            (Ok(i), false) => {
                self.live.remove(i);
            }
            _ => {}
        }
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
            t = t.min(p.start.saturating_add(step));
        }
        if let Some((d, _)) = self.deadlines.first() {
            t = t.min(*d);
        }
        Some(t.min(self.next_reconnect).min(self.next_push_pull))
    }

    fn retransmits(&self) -> u32 {
        let n = self.members.len() as u64 + 2;
        self.cfg.retransmit_mult * (64 - (n - 1).leading_zeros())
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

    fn deadline_of(&self, m: &Member) -> Option<u64> {
        match m.state {
            MemberState::Alive => None,
            MemberState::Suspect => Some(m.since.saturating_add(self.cfg.suspicion.unwrap_or(0))),
            MemberState::Dead => Some(m.since.saturating_add(self.cfg.reconnect_timeout)),
            MemberState::Left => Some(m.since.saturating_add(self.cfg.tombstone_timeout)),
        }
    }

    /// Applies one membership update under SWIM's precedence rules; updates about this node that
    /// suspect or kill it are refuted with a higher incarnation.
    pub(crate) fn apply<R: RngCore>(&mut self, now: u64, u: MemberUpdate, out: &mut Out<'_, R>) {
        if u.id == self.me {
            if u.state == MemberState::Alive {
                // After a restart, others may remember a higher incarnation of ours: adopt it.
                self.incarnation = self.incarnation.max(u.incarnation);
            }
            let accusing = matches!(u.state, MemberState::Suspect | MemberState::Dead);
            if !self.left && accusing && u.incarnation >= self.incarnation {
                self.incarnation = u.incarnation + 1;
                let alive = MemberUpdate {
                    id: self.me,
                    incarnation: self.incarnation,
                    state: MemberState::Alive,
                };
                self.enqueue(alive);
                out.events.push(Event::Member {
                    id: self.me,
                    state: MemberState::Alive,
                    incarnation: self.incarnation,
                });
            }
            return;
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
        if let Some(old) = self.members.insert(u.id, new) {
            if let Some(d) = self.deadline_of(&old) {
                self.deadlines.remove(&(d, u.id));
            }
        } else {
            // SWIM inserts a newcomer at a random place in the rest of the probe order.
            let at = self.pos
                + rng::below(
                    out.rng,
                    (self.order.len() - self.pos.min(self.order.len()) + 1) as u64,
                ) as usize;
            self.order.insert(at.min(self.order.len()), u.id);
        }
        if let Some(d) = self.deadline_of(&new) {
            self.deadlines.insert((d, u.id));
        }
        self.set_live(u.id, is_live(u.state));
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
                    },
                    out,
                ),
                MemberState::Dead | MemberState::Left => {
                    self.members.remove(&id);
                }
                MemberState::Alive => {}
            }
        }
        if let Some(mut p) = self.probe {
            if !p.indirect && now >= p.start + self.cfg.ping_timeout {
                p.indirect = true;
                self.probe = Some(p);
                let helpers: Vec<u64> = self
                    .live
                    .iter()
                    .copied()
                    .filter(|m| *m != p.target)
                    .collect();
                for h in rng::sample(out.rng, &helpers, self.cfg.indirect_probes as usize) {
                    out.to(
                        h,
                        Body::PingReq {
                            seq: p.seq,
                            target: p.target,
                        },
                    );
                }
            }
            if now >= p.start + self.cfg.probe_interval {
                self.probe = None;
                self.probe_failed(now, p.target, out);
            }
        }
        if now >= self.next_probe {
            while self.next_probe <= now {
                self.next_probe += self.cfg.probe_interval;
            }
            if self.probe.is_none() {
                self.start_probe(now, out);
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
    /// Failed members are tried until `reconnect_timeout` forgets them.
    fn reconnect<R: RngCore>(&mut self, out: &mut Out<'_, R>) {
        let dead: Vec<(u64, u64)> = self
            .members
            .iter()
            .filter(|(_, m)| m.state == MemberState::Dead)
            .map(|(id, m)| (*id, m.incarnation))
            .collect();
        let alive = self.live.len() as u64 + 1;
        if dead.is_empty() || rng::below(out.rng, alive) >= dead.len() as u64 {
            return;
        }
        let (id, incarnation) = dead[rng::below(out.rng, dead.len() as u64) as usize];
        self.seq += 1;
        let about = MemberUpdate {
            id,
            incarnation,
            state: MemberState::Dead,
        };
        out.send
            .push((id, Body::Ping { seq: self.seq }, Some(about)));
    }

    /// memberlist's push-pull: the whole view to one random live member, which answers in kind.
    fn push_pull<R: RngCore>(&mut self, out: &mut Out<'_, R>) {
        if let Some(&peer) = rng::sample(out.rng, &self.live, 1).first() {
            self.send_view(peer, out, ViewMessage::Push);
        }
    }

    /// This node's whole view, itself first, in messages of at most `view_chunk` members.
    fn send_view<R: RngCore>(&self, to: u64, out: &mut Out<'_, R>, kind: ViewMessage) {
        let me = MemberUpdate {
            id: self.me,
            incarnation: self.incarnation,
            state: MemberState::Alive,
        };
        let view = self.members.iter().map(|(id, m)| MemberUpdate {
            id: *id,
            incarnation: m.incarnation,
            state: m.state,
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

    fn probe_failed<R: RngCore>(&mut self, now: u64, target: u64, out: &mut Out<'_, R>) {
        let Some(m) = self.members.get(&target).copied() else {
            return;
        };
        let state = match (m.state, self.cfg.suspicion) {
            (MemberState::Alive, Some(_)) => MemberState::Suspect,
            (MemberState::Alive | MemberState::Suspect, None) => MemberState::Dead,
            _ => return,
        };
        self.apply(
            now,
            MemberUpdate {
                id: target,
                incarnation: m.incarnation,
                state,
            },
            out,
        );
    }

    fn start_probe<R: RngCore>(&mut self, now: u64, out: &mut Out<'_, R>) {
        for _ in 0..=self.order.len() {
            if self.pos >= self.order.len() {
                self.order = self.live.clone();
                rng::shuffle(out.rng, &mut self.order);
                self.pos = 0;
                if self.order.is_empty() {
                    return;
                }
            }
            let target = self.order[self.pos];
            self.pos += 1;
            if self.members.get(&target).is_some_and(|m| is_live(m.state)) {
                self.seq += 1;
                self.probe = Some(Probe {
                    target,
                    seq: self.seq,
                    start: now,
                    indirect: false,
                });
                out.to(target, Body::Ping { seq: self.seq });
                return;
            }
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
            Body::Ping { seq } => {
                let about = self
                    .members
                    .get(&from)
                    .filter(|m| m.state == MemberState::Dead)
                    .map(|m| MemberUpdate {
                        id: from,
                        incarnation: m.incarnation,
                        state: MemberState::Dead,
                    });
                out.send.push((from, Body::Ack { seq: *seq }, about));
            }
            Body::Ack { seq } => {
                if self.probe.is_some_and(|p| p.seq == *seq) {
                    self.probe = None;
                } else if let Some(r) = self.relays.remove(seq) {
                    out.to(r.requester, Body::Ack { seq: r.seq });
                }
            }
            Body::PingReq { seq, target } => {
                self.seq += 1;
                let relay = Relay {
                    requester: from,
                    seq: *seq,
                    expires: now + self.cfg.probe_interval,
                };
                self.relays.insert(self.seq, relay);
                out.to(*target, Body::Ping { seq: self.seq });
            }
            Body::Join { incarnation } => {
                let joiner = MemberUpdate {
                    id: from,
                    incarnation: *incarnation,
                    state: MemberState::Alive,
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
                for u in members {
                    self.apply(now, *u, out);
                }
            }
            _ => {}
        }
    }

    /// Asks `seeds` to let this node in.
    pub(crate) fn join(
        &mut self,
        seeds: &[u64],
        send: &mut Vec<(u64, Body, Option<MemberUpdate>)>,
    ) {
        self.enqueue(MemberUpdate {
            id: self.me,
            incarnation: self.incarnation,
            state: MemberState::Alive,
        });
        for s in seeds.iter().filter(|s| **s != self.me) {
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
        };
        self.queue.clear();
        self.queue.push(Queued {
            update: notice,
            remaining: u32::MAX,
        });
        for m in rng::sample(
            out.rng,
            &self.live,
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

fn is_live(state: MemberState) -> bool {
    matches!(state, MemberState::Alive | MemberState::Suspect)
}

#[cfg(test)]
mod tests {
    use super::*;
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

    fn view_after(updates: &[MemberUpdate]) -> Member {
        let mut swim = Swim::new(0, SwimConfig::default(), &[1], 0, 1024);
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let (mut send, mut events) = (Vec::new(), Vec::new());
        let mut out = Out {
            rng: &mut rng,
            send: &mut send,
            events: &mut events,
        };
        for u in updates {
            swim.apply(1, *u, &mut out);
        }
        swim.members()[&1]
    }

    proptest! {
        #[test]
        fn views_converge_whatever_the_arrival_order(
            raw in prop::collection::vec((0u64..4, state()), 1..12),
            rotate in 0usize..12,
        ) {
            let updates: Vec<MemberUpdate> =
                raw.iter().map(|(incarnation, state)| MemberUpdate { id: 1, incarnation: *incarnation, state: *state }).collect();
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
}

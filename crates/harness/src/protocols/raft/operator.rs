//! The operator: at each scheduled time it asks the cluster to carry out an action (membership
//! change, leadership transfer) and keeps asking every server until the leader reports it done.
//! Actions are carried out one at a time, in time order, as an operator would: an action due while
//! an earlier one is unfinished waits for it (otherwise "add n4" could finish as a no-op while an
//! earlier "remove n4" is still pending, and n4 would end up removed).

use super::msg::{AdminAction, Msg};
use super::server::Ctx;
use faultline_sim::NodeId;
use std::time::Duration;

/// How often an unfinished action is asked for again.
const RETRY: Duration = Duration::from_millis(100);

/// An action at a virtual time.
#[derive(Clone, Debug)]
pub struct Scheduled {
    /// When to start asking (true virtual time, ns).
    pub at: u64,
    /// What to ask.
    pub action: AdminAction,
    /// Human description, e.g. `transfer to n3`.
    pub label: String,
}

/// The operator process.
#[derive(Debug)]
pub struct Operator {
    schedule: Vec<Scheduled>,
    servers: Vec<NodeId>,
    done: Vec<Option<u64>>,
}

impl Operator {
    /// An operator for `schedule`, talking to `servers`.
    pub fn new(mut schedule: Vec<Scheduled>, servers: Vec<NodeId>) -> Self {
        schedule.sort_by_key(|s| s.at);
        let done = vec![None; schedule.len()];
        Operator {
            schedule,
            servers,
            done,
        }
    }

    /// Each action with the virtual time it was reported done, if it was.
    pub fn progress(&self) -> impl Iterator<Item = (&Scheduled, Option<u64>)> {
        self.schedule.iter().zip(self.done.iter().copied())
    }

    /// Schedules every action.
    pub fn start(&mut self, ctx: &mut Ctx) {
        let now = ctx.sim_time().as_nanos();
        for (index, action) in self.schedule.iter().enumerate() {
            let delay = Duration::from_nanos(action.at.saturating_sub(now));
            ctx.set_timer(delay, index as u64);
        }
    }

    /// Asks (again) for action `tag` unless it is done.
    pub fn on_timer(&mut self, ctx: &mut Ctx, tag: u64) {
        let index = tag as usize;
        let (Some(action), Some(None)) = (self.schedule.get(index), self.done.get(index)) else {
            return;
        };
        if self.done[..index].iter().any(Option::is_none) {
            ctx.set_timer(RETRY, tag);
            return;
        }
        for &server in &self.servers {
            let msg = Msg::Admin {
                id: tag,
                action: action.action.clone(),
            };
            ctx.send(server, msg);
        }
        ctx.set_timer(RETRY, tag);
    }

    /// The leader reported an action done.
    pub fn on_message(&mut self, ctx: &mut Ctx, msg: Msg) {
        if let Msg::AdminDone { id } = msg {
            if let Some(slot @ None) = self.done.get_mut(id as usize) {
                *slot = Some(ctx.sim_time().as_nanos());
            }
        }
    }
}

//! The one process type of a Raft run: servers, clients and the operator share the network.

use super::client::Client;
use super::msg::Msg;
use super::operator::Operator;
use super::server::{Ctx, Server, ServerSetup};
use faultline_raft::PersistentState;
use faultline_sim::{NodeId, Process, SyncId, TimerId};

/// A node of a Raft run.
#[derive(Debug)]
pub enum Actor {
    /// A server before its first event: the core is built at start from durable storage.
    Booting(ServerSetup),
    /// A running server.
    Server(Box<Server>),
    /// A client.
    Client(Client),
    /// The operator.
    Operator(Operator),
    /// A server whose durable state could not be loaded; it does nothing.
    Broken(String),
}

impl Actor {
    /// The server, if this is a running one.
    pub fn server(&self) -> Option<&Server> {
        match self {
            Actor::Server(server) => Some(server),
            _ => None,
        }
    }

    /// The client, if this is one.
    pub fn client(&self) -> Option<&Client> {
        match self {
            Actor::Client(client) => Some(client),
            _ => None,
        }
    }
}

impl Process for Actor {
    type Message = Msg;
    /// Servers keep the core's persistent state (the state machine snapshot rides in it).
    type Durable = PersistentState;

    fn message_size(msg: &Msg) -> u64 {
        msg.approx_size()
    }

    fn on_start(&mut self, ctx: &mut Ctx) {
        match self {
            Actor::Booting(setup) => {
                *self = match Server::boot(setup.clone(), ctx) {
                    Ok(server) => Actor::Server(Box::new(server)),
                    Err(error) => Actor::Broken(error),
                };
                if let Actor::Server(server) = self {
                    server.start(ctx);
                }
            }
            Actor::Server(server) => server.start(ctx),
            Actor::Client(client) => client.start(ctx),
            Actor::Operator(operator) => operator.start(ctx),
            Actor::Broken(_) => {}
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx, from: NodeId, msg: Msg) {
        match self {
            Actor::Server(server) => server.on_message(ctx, from, msg),
            Actor::Client(client) => client.on_message(ctx, from, msg),
            Actor::Operator(operator) => operator.on_message(ctx, msg),
            Actor::Booting(_) | Actor::Broken(_) => {}
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx, timer: TimerId, tag: u64) {
        match self {
            Actor::Server(server) => server.on_timer(ctx, timer),
            Actor::Client(client) => client.on_timer(ctx, tag),
            Actor::Operator(operator) => operator.on_timer(ctx, tag),
            Actor::Booting(_) | Actor::Broken(_) => {}
        }
    }

    fn on_sync(&mut self, ctx: &mut Ctx, sync: SyncId) {
        if let Actor::Server(server) = self {
            server.on_sync(ctx, sync);
        }
    }
}

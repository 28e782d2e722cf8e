//! Client sessions driven by the world: waking a session (its next
//! operation, a timeout, a retry), sending an attempt or giving up, taking
//! an answer, and the scripted and workload sessions scenarios add. The
//! session's own rules (redirects, which node to ask next) live in
//! `crate::client`; this is the plumbing between them and the world's
//! clock, network, history and checkers.

use super::World;
use crate::action::Event;
use crate::client::{Client, InFlightOp, Reply, WakeReason};
use crate::history::Outcome;
use crate::kv::ClientId;
use crate::net::{Endpoint, Packet, Payload, ReplyOutcome};
use crate::read_path::ReadPath;
use crate::slot::NodeSlot;
use rand::RngExt;

impl World {
    pub(super) fn wake_client_after(&mut self, client: usize, delay_ns: u64, reason: WakeReason) {
        let c = &mut self.clients[client];
        c.wake_token += 1;
        c.wake_reason = reason;
        let token = c.wake_token;
        self.schedule(self.now_ns + delay_ns, Event::ClientWake { client, token });
    }

    pub(super) fn client_wake(&mut self, client: usize) {
        match self.clients[client].wake_reason {
            WakeReason::NextOp => {
                if self.clients[client].in_flight.is_some() {
                    return;
                }
                let command = if self.clients[client].script.is_some() {
                    match self.clients[client].next_scripted() {
                        Some(command) => command,
                        None => return, // the script is done
                    }
                } else if self.workload_on {
                    let command = self.clients[client]
                        .next_command(&self.spec.workload, &mut self.rng_clients);
                    self.spread_read(client, &command);
                    command
                } else {
                    return;
                };
                let history_at =
                    self.history
                        .invoke(command.client, command.seq, command.op, self.now_ns);
                self.clients[client].in_flight = Some(InFlightOp {
                    command,
                    attempts: 0,
                    history_at,
                    invoke_ns: self.now_ns,
                    maybe_applied: false,
                });
            }
            WakeReason::Timeout => {
                // No answer: the attempt may have been applied; ask another node.
                let nodes: Vec<NodeSlot> = self.present_nodes().collect();
                self.clients[client].timed_out(&nodes);
            }
            WakeReason::Retry => {}
        }
        self.client_attempt(client);
    }

    /// A workload `get` on a path followers serve goes, half the time, to
    /// a node drawn at random (follower reads, thesis §6.4), as a client
    /// spreads its reads over the replicas.
    fn spread_read(&mut self, client: usize, command: &crate::kv::Command) {
        let reads = self.spec.workload.reads;
        if !matches!(command.op, crate::kv::Op::Get { .. }) || !reads.served_by_followers() {
            return;
        }
        if !self.rng_clients.random_bool(0.5) {
            return;
        }
        let nodes: Vec<NodeSlot> = self.present_nodes().collect();
        if !nodes.is_empty() {
            let pick = nodes[self.rng_clients.random_range(0..nodes.len())];
            self.clients[client].leader_guess = pick;
        }
    }

    /// Sends the in-flight command again, or gives up after the bound.
    fn client_attempt(&mut self, client: usize) {
        let deadline_ns = self.spec.workload.give_up_after_ns;
        let now_ns = self.now_ns;
        let c = &mut self.clients[client];
        let Some(op) = c.in_flight.as_mut() else {
            return;
        };
        if now_ns >= op.invoke_ns.saturating_add(deadline_ns) {
            let outcome = if op.maybe_applied {
                Outcome::Unknown
            } else {
                Outcome::Fail
            };
            let at = op.history_at;
            c.finished();
            self.history.complete(at, outcome, self.now_ns);
            let think = Client::think_time_ns(&self.spec.workload, &mut self.rng_clients);
            self.wake_client_after(client, think, WakeReason::NextOp);
            return;
        }
        op.attempts += 1;
        let packet = Packet {
            from: Endpoint::Client(c.id),
            to: Endpoint::Node(c.leader_guess),
            payload: Payload::Request(op.command.clone()),
        };
        self.send(packet);
        let timeout = self.spec.workload.request_timeout_ns;
        self.wake_client_after(client, timeout, WakeReason::Timeout);
    }

    pub(super) fn client_reply(&mut self, client: usize, packet: Packet) {
        let Payload::Reply { seq, outcome, .. } = packet.payload else {
            return;
        };
        let Endpoint::Node(from) = packet.from else {
            return;
        };
        let nodes: Vec<NodeSlot> = self.present_nodes().collect();
        match self.clients[client].on_reply(seq, from, &outcome, &nodes) {
            Reply::Stale => {}
            Reply::Done => {
                let op = self.clients[client]
                    .finished()
                    .expect("checked by on_reply");
                if let ReplyOutcome::Done { output, entry } = outcome {
                    self.clients[client].leader_guess = from;
                    if let (Some(checkers), Some(entry)) = (self.checkers.as_mut(), entry) {
                        checkers.acknowledged(&[entry]);
                    }
                    self.history.complete(
                        op.history_at,
                        Outcome::Ok { output, entry },
                        self.now_ns,
                    );
                }
                let think = Client::think_time_ns(&self.spec.workload, &mut self.rng_clients);
                self.wake_client_after(client, think, WakeReason::NextOp);
            }
            Reply::Retry { backoff_ns } => {
                self.wake_client_after(client, backoff_ns, WakeReason::Retry);
            }
        }
    }

    /// Starts a scripted client session that runs `ops` in order (sent to
    /// the node it believes leads, first `first`, or only to `pinned`),
    /// then stops. Returns its client index.
    pub fn add_scripted_client(
        &mut self,
        ops: Vec<crate::kv::Op>,
        first: Option<NodeSlot>,
        pinned: Option<NodeSlot>,
    ) -> usize {
        let index = self.clients.len();
        let mut client = Client::new(
            index as ClientId,
            first.unwrap_or(NodeSlot::new(index % self.hosts.len())),
        );
        client.script = Some(ops.into());
        client.pinned = pinned;
        self.clients.push(client);
        self.wake_client_after(index, 0, WakeReason::NextOp);
        index
    }

    /// Starts a session that runs `op` alone, asking `via` first, and sends
    /// its first attempt now (the clock need not run: a manual scenario's
    /// client operation, the model checker's). Returns its client index.
    pub(super) fn start_client_op(&mut self, op: crate::kv::Op, via: NodeSlot) -> usize {
        let index = self.clients.len();
        let mut client = Client::new(index as ClientId, via);
        client.script = Some(std::collections::VecDeque::from([op]));
        self.clients.push(client);
        self.clients[index].wake_reason = WakeReason::NextOp;
        self.client_wake(index);
        index
    }

    /// The client's pending wake-up (its timeout, or the end of a back-off
    /// after a redirect), if one is scheduled: what a manual scenario's
    /// `wake client N` and the model checker's client step fire.
    #[must_use]
    pub fn pending_client_wake(&self, client: usize) -> Option<Event> {
        let c = self.clients.get(client)?;
        c.in_flight.as_ref()?;
        let event = Event::ClientWake {
            client,
            token: c.wake_token,
        };
        self.scheduled().any(|(_, e)| e == event).then_some(event)
    }

    /// From now on every node serves a `get` by `path` (a scenario's
    /// `clients ... reads=`). Whether raft-core's leaders may use a lease
    /// was settled when the world was built (see `World::new`).
    pub fn set_read_path(&mut self, path: ReadPath) {
        self.spec.workload.reads = path;
        for host in &mut self.hosts {
            if host.read_path != path {
                std::sync::Arc::make_mut(host).read_path = path;
            }
        }
    }

    /// Adds workload sessions until there are `count` of them, drawing
    /// random operations per `self.spec.workload`.
    pub fn set_workload_clients(&mut self, count: usize) {
        let existing = self.clients.iter().filter(|c| c.script.is_none()).count();
        for _ in existing..count {
            let index = self.clients.len();
            self.clients.push(Client::new(
                index as ClientId,
                NodeSlot::new(index % self.hosts.len()),
            ));
            let think = Client::think_time_ns(&self.spec.workload, &mut self.rng_clients);
            self.wake_client_after(index, think, WakeReason::NextOp);
        }
    }

    /// Whether every scripted client has finished its script.
    #[must_use]
    pub fn scripts_done(&self) -> bool {
        self.clients.iter().all(|c| {
            c.in_flight.is_none()
                && c.script
                    .as_ref()
                    .is_none_or(std::collections::VecDeque::is_empty)
        })
    }
}

//! Serving a client's `get` by the path the workload picks (thesis §6.4):
//! ReadIndex and lease reads through raft-core's `read_index` — on the
//! leader, or on a follower that asks the leader for the index — served
//! from the state machine once it has applied the read's index; through
//! the log like a write; or, unsafely, from the local state at once.

use std::collections::BTreeMap;

use raft_core::{Error, LogIndex, ReadOutcome, ReadState};
use serde::{Deserialize, Serialize};

use super::{Host, Outbox};
use crate::kv::{ClientId, Output};
use crate::net::{Endpoint, Packet, Payload, ReplyOutcome};
use crate::slot::NodeSlot;

/// A client's read waiting at this host.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ReadWaiter {
    /// The session.
    pub client: ClientId,
    /// Its sequence number.
    pub seq: u64,
    /// The key read.
    pub key: crate::kv::Key,
}

/// The reads a host holds: asked of raft-core, then confirmed and waiting
/// for the state machine to apply their index. Lost with the process.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct HostReads {
    /// The next context handed to raft-core.
    next_context: u64,
    /// Asked, by context.
    asked: BTreeMap<u64, ReadWaiter>,
    /// Confirmed, by (index to apply, context).
    confirmed: BTreeMap<(LogIndex, u64), ReadWaiter>,
}

impl HostReads {
    /// The reads a model checker tells apart: the waiters by the order
    /// they were asked (contexts are counters, not state).
    #[must_use]
    pub fn protocol_view(&self) -> (Vec<&ReadWaiter>, Vec<(LogIndex, &ReadWaiter)>) {
        (
            self.asked.values().collect(),
            self.confirmed.iter().map(|((i, _), w)| (*i, w)).collect(),
        )
    }

    /// Reads waiting at this host.
    #[must_use]
    pub fn waiting(&self) -> usize {
        self.asked.len() + self.confirmed.len()
    }
}

/// A reply to `waiter` from `slot`.
fn reply(slot: NodeSlot, waiter: ReadWaiter, outcome: ReplyOutcome) -> Packet {
    Packet {
        from: Endpoint::Node(slot),
        to: Endpoint::Client(waiter.client),
        payload: Payload::Reply {
            client: waiter.client,
            seq: waiter.seq,
            outcome,
        },
    }
}

impl Host {
    /// A `get` by ReadIndex (or lease): asks raft-core, on any node that
    /// leads or follows a known leader. A retry of a read already waiting
    /// here waits with it.
    pub(super) fn read_by_index(&mut self, waiter: ReadWaiter, out: &mut Outbox) {
        let reads = &mut self.reads;
        let same = |w: &ReadWaiter| w.client == waiter.client && w.seq == waiter.seq;
        if reads.asked.values().any(same) || reads.confirmed.values().any(same) {
            return;
        }
        let context = reads.next_context;
        let raw = self.node.as_mut().expect("an up host has a node");
        match raw.read_index(context) {
            Ok(()) => {
                reads.next_context += 1;
                reads.asked.insert(context, waiter);
            }
            Err(Error::NotLeader { leader }) => {
                let leader = leader.and_then(NodeSlot::of_id);
                out.packets
                    .push(reply(self.slot, waiter, ReplyOutcome::NotLeader { leader }));
            }
            Err(_) => out
                .packets
                .push(reply(self.slot, waiter, ReplyOutcome::Refused)),
        }
    }

    /// A `get` answered from this node's state machine as it stands.
    pub(super) fn read_locally(&self, waiter: ReadWaiter, out: &mut Outbox) {
        let outcome = ReplyOutcome::Done {
            output: Output::Read(self.kv.read(waiter.key)),
            entry: None,
        };
        out.packets.push(reply(self.slot, waiter, outcome));
    }

    /// Outcomes raft-core handed out: a confirmed read waits for its index
    /// to apply; a failed one sends the client elsewhere — to the leader
    /// this node follows, or on to the next node (a follower whose leader
    /// cannot be reached, a leader cut off from its quorum, would fail the
    /// same read again).
    pub(super) fn take_read_states(&mut self, states: Vec<ReadState>, out: &mut Outbox) {
        let me = self.slot;
        let leader = self
            .node
            .as_ref()
            .and_then(|node| node.leader())
            .and_then(NodeSlot::of_id)
            .filter(|leader| *leader != me);
        for state in states {
            let Some(waiter) = self.reads.asked.remove(&state.context) else {
                continue;
            };
            match state.outcome {
                ReadOutcome::Ready { index } => {
                    self.reads.confirmed.insert((index, state.context), waiter);
                }
                ReadOutcome::Failed(_) => {
                    let outcome = ReplyOutcome::NotLeader { leader };
                    out.packets.push(reply(self.slot, waiter, outcome));
                }
            }
        }
        self.serve_reads(out);
    }

    /// Serves every confirmed read whose index the state machine applied.
    pub(super) fn serve_reads(&mut self, out: &mut Outbox) {
        let applied = self.applied;
        while let Some(entry) = self.reads.confirmed.first_entry() {
            if entry.key().0 > applied {
                break;
            }
            let waiter = entry.remove();
            self.read_locally(waiter, out);
        }
    }
}

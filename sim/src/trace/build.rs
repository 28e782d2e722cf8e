//! A trace record built from the `Action` or `Event` itself, so runs and
//! scenarios describe the same action the same way.

use std::borrow::Cow;

use super::{Peer, TraceEvent, What, node_id};
use crate::membership::{MembershipOp, describe_change};
use crate::slot::NodeSlot;
use crate::world::{Action, Event, World};

impl TraceEvent {
    /// Describes `event` as it is about to run in `world`.
    #[must_use]
    pub fn of_event(world: &World, time_ns: u64, event: Event) -> TraceEvent {
        let what = match event {
            Event::Deliver(id) => packet_what(world, id, PacketVerb::Deliver),
            Event::Tick { node, .. } => What::Tick {
                node: node_id(node),
            },
            Event::Synced { node, .. } => What::Synced {
                node: node_id(node),
            },
            Event::AdminWake { .. } => What::AdminWake,
            Event::ClientWake { client, .. } => What::ClientWake {
                client: client as u64 + 1,
            },
        };
        TraceEvent { time_ns, what }
    }

    /// Describes `action` as it is about to be applied in `world`, now.
    #[must_use]
    pub fn of_action(world: &World, action: &Action) -> TraceEvent {
        let node = |n: &NodeSlot| node_id(*n);
        let what = match action {
            Action::Event(event) => return TraceEvent::of_event(world, world.now_ns, *event),
            Action::Drop(id) => packet_what(world, *id, PacketVerb::Drop),
            Action::Duplicate(id) => packet_what(world, *id, PacketVerb::Duplicate),
            Action::Crash(n) => What::Crash { node: node(n) },
            Action::CrashKeeping { node: n, kept } => What::CrashKeeping {
                node: node(n),
                meta_records: kept.meta,
                log_records: kept.log,
            },
            Action::Restart(n) => What::Restart { node: node(n) },
            Action::Pause(n) => What::Pause { node: node(n) },
            Action::Resume(n) => What::Resume { node: node(n) },
            Action::Block(links) => What::Block {
                links: links.iter().map(|(a, b)| [node(a), node(b)]).collect(),
            },
            Action::Heal => What::Heal,
            Action::SetNoise(noise) => What::Noise {
                drop_percent: percent(noise.drop_probability),
                dup_percent: percent(noise.duplicate_probability),
                delay_min_ns: noise.delay_min_ns,
                delay_max_ns: noise.delay_max_ns,
                tail_percent: percent(noise.tail_probability),
            },
            Action::SetTorn(on) => What::Torn { on: *on },
            Action::Skew { node: n, factor } => What::Skew {
                node: node(n),
                factor: *factor,
            },
            Action::SetWorkload(on) => What::Workload { on: *on },
            Action::Campaign(n) => What::Campaign { node: node(n) },
            Action::HeartbeatTimeout(n) => What::Heartbeat { node: node(n) },
            Action::CheckQuorum(n) => What::CheckQuorum { node: node(n) },
            Action::TickNow(n) => What::TickNow { node: node(n) },
            Action::Compact(n) => What::Compact { node: node(n) },
            Action::ClientOp { op, via } => What::ClientOp {
                client: world.clients.len() as u64 + 1,
                op: op.to_string(),
                via: node(via),
            },
            Action::ConfChange { node: n, change } => What::ConfChange {
                node: node(n),
                change: describe_change(change),
            },
            Action::TransferLeader { node: n, to } => What::TransferLeader {
                node: node(n),
                to: node(to),
            },
            Action::Membership(op) => What::Membership {
                op: match op {
                    MembershipOp::Change(change) => describe_change(change),
                    MembershipOp::TransferLeader(to) => format!("transfer-leader {}", to.number()),
                },
            },
            Action::Propose { node: n, count } => What::Propose {
                node: node(n),
                count: *count,
            },
            Action::SetDisk {
                node: n,
                fsync_ns,
                torn,
            } => What::Disk {
                node: node(n),
                fsync_ns: fsync_ns.map(|(low, high)| [low, high]),
                torn: *torn,
            },
        };
        TraceEvent {
            time_ns: world.now_ns,
            what,
        }
    }
}

/// A probability in percent, to a tenth of a percent (as scenarios write it).
fn percent(probability: f64) -> f64 {
    (probability * 1000.0).round() / 10.0
}

#[derive(Clone, Copy)]
enum PacketVerb {
    Deliver,
    Drop,
    Duplicate,
}

fn packet_what(world: &World, id: u64, verb: PacketVerb) -> What {
    let Some(packet) = world.net.packet(id) else {
        return What::Vanished { packet: id };
    };
    let (from, to) = (Peer::from(packet.from), Peer::from(packet.to));
    let msg = Cow::Borrowed(packet.payload.kind_name());
    let term = packet.payload.raft_message().map(|m| m.term.0);
    match verb {
        PacketVerb::Deliver => What::Deliver {
            packet: Some(id),
            from,
            to,
            msg,
            term,
        },
        PacketVerb::Drop => What::Drop {
            packet: Some(id),
            from,
            to,
            msg,
            term,
        },
        PacketVerb::Duplicate => What::Duplicate {
            packet: Some(id),
            from,
            to,
            msg,
            term,
        },
    }
}

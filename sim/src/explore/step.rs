//! The explorer's actions, each named as a manual-mode scenario line names
//! it, so that a path is a scenario.

use crate::disk::FileRecords;
use crate::kv::Op;
use crate::net::Endpoint;
use crate::scenario::print;
use crate::slot::NodeSlot;
use crate::world::{Action, World};

/// An in-flight message: the `nth` oldest (1-based, by send order) of the
/// messages of `kind` from `from` to `to` (a Raft message between nodes, a
/// client's request or a node's reply).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pick {
    /// Sender.
    pub from: Endpoint,
    /// Recipient.
    pub to: Endpoint,
    /// The message type, as scenario files name it.
    pub kind: &'static str,
    /// Which one, counting from 1 in send order.
    pub nth: u32,
}

/// The most prefixes of one file's unsynced records a crash chooses among.
pub(crate) const KEPT_CHOICES_MAX: usize = 4;

/// The prefixes of `unsynced` records a crash may keep of one file: each
/// one while there are few, else none, one, all but one and all (at most
/// [`KEPT_CHOICES_MAX`]; a node has one write unsynced at a time unless a
/// rule break skips its fsyncs).
pub(crate) fn kept_choices(unsynced: usize) -> Vec<usize> {
    if unsynced < KEPT_CHOICES_MAX {
        (0..=unsynced).collect()
    } else {
        vec![0, 1, unsynced - 1, unsynced]
    }
}

/// A single-server membership change the leader is asked for (thesis
/// §4.1): about one node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Reconfigure {
    /// Make the node a voter (a new node, or a learner promoted).
    AddVoter(NodeSlot),
    /// Make a new node a learner.
    AddLearner(NodeSlot),
    /// Remove the node.
    Remove(NodeSlot),
}

impl Reconfigure {
    /// The change as raft-core takes it.
    #[must_use]
    pub fn change(self) -> raft_core::ConfChange {
        use raft_core::ConfChangeSingle;
        let single = match self {
            Reconfigure::AddVoter(n) => ConfChangeSingle::AddVoter(n.id()),
            Reconfigure::AddLearner(n) => ConfChangeSingle::AddLearner(n.id()),
            Reconfigure::Remove(n) => ConfChangeSingle::Remove(n.id()),
        };
        raft_core::ConfChange {
            changes: vec![single],
        }
    }
}

/// One action of the search.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Step {
    /// Deliver an in-flight message.
    Deliver(Pick),
    /// Lose it.
    Drop(Pick),
    /// Put a second copy of it in flight.
    Duplicate(Pick),
    /// A node's election timer fires.
    Campaign(NodeSlot),
    /// A leader's heartbeat timer fires.
    Heartbeat(NodeSlot),
    /// A node's CheckQuorum timer fires (a leader checks its quorum, a
    /// follower's lease ends).
    CheckQuorum(NodeSlot),
    /// A node's pending write and fsync complete.
    Persist(NodeSlot),
    /// Power loss, keeping some of the node's unsynced records (a torn
    /// crash's outcome; none kept is the plain crash).
    Crash(NodeSlot, FileRecords),
    /// Boot from disk.
    Restart(NodeSlot),
    /// Cut every link to and from a node.
    Isolate(NodeSlot),
    /// Remove the partition.
    Heal,
    /// One client entry proposed straight to a leader.
    Propose(NodeSlot),
    /// A node snapshots its state machine and compacts its log (the
    /// snapshot's write and fsync follow as the node's pending write).
    Compact(NodeSlot),
    /// A new client session starts an operation, asking this node first.
    Submit(NodeSlot, Op),
    /// A client's pending timer fires (its timeout: it asks the next node;
    /// or the end of a back-off after a redirect: it asks again), by client
    /// index.
    WakeClient(u32),
    /// The leader a majority follows is asked for a membership change.
    Reconfigure(Reconfigure),
    /// The leader a majority follows is asked to hand leadership to a node.
    TransferLeader(NodeSlot),
    /// Deliveries and writes run in the order the network and disks
    /// schedule them until nothing is in flight, with no timer firing and
    /// no fault (a scenario's `stabilize`): one action for a stretch of
    /// calm, so a path reaches deep states in few actions.
    Stabilize,
}

impl Step {
    /// The step as a manual-mode scenario line.
    #[must_use]
    pub fn scenario_line(&self) -> String {
        let pick = |verb: &str, p: &Pick| print::message_step(verb, p.from, p.to, p.kind, p.nth);
        match *self {
            Step::Deliver(ref p) => pick("deliver", p),
            Step::Drop(ref p) => pick("drop", p),
            Step::Duplicate(ref p) => pick("duplicate", p),
            Step::Campaign(n) => print::on_node("campaign", n),
            Step::Heartbeat(n) => print::on_node("heartbeat", n),
            Step::CheckQuorum(n) => print::on_node("check-quorum", n),
            Step::Persist(n) => print::on_node("persist", n),
            Step::Crash(n, kept) if kept == FileRecords::NONE => print::on_node("crash", n),
            Step::Crash(n, kept) => format!(
                "{} keep_meta={} keep_log={}",
                print::on_node("crash", n),
                kept.meta,
                kept.log
            ),
            Step::Restart(n) => print::on_node("restart", n),
            Step::Isolate(n) => print::on_node("isolate", n),
            Step::Heal => "heal".to_string(),
            Step::Propose(n) => print::on_node("propose 1 on", n),
            Step::Compact(n) => print::on_node("compact", n),
            Step::Submit(n, op) => format!("{op} {}", print::on_node("via", n)),
            Step::WakeClient(c) => format!("wake client {}", c + 1),
            Step::Stabilize => "stabilize".to_string(),
            Step::Reconfigure(Reconfigure::AddVoter(n)) => print::on_node("add", n),
            Step::Reconfigure(Reconfigure::AddLearner(n)) => {
                format!("{} learner", print::on_node("add", n))
            }
            Step::Reconfigure(Reconfigure::Remove(n)) => print::on_node("remove", n),
            Step::TransferLeader(n) => print::on_node("transfer-leader", n),
        }
    }

    /// The one node whose state the step changes: the recipient of a
    /// delivery, the node of a timer, write, crash, restart or proposal;
    /// none for a drop or duplication (they change only the network) and
    /// for a client's steps (they change a client and send).
    #[must_use]
    pub fn node(&self) -> Option<NodeSlot> {
        match *self {
            Step::Deliver(Pick {
                to: Endpoint::Node(n),
                ..
            }) => Some(n),
            Step::Deliver(_)
            | Step::Drop(_)
            | Step::Duplicate(_)
            | Step::Submit(..)
            | Step::WakeClient(_)
            | Step::Stabilize
            | Step::Isolate(_)
            | Step::Heal
            // The leader's, and an added node's that starts: not one.
            | Step::Reconfigure(_)
            | Step::TransferLeader(_) => None,
            Step::Campaign(n)
            | Step::Heartbeat(n)
            | Step::CheckQuorum(n)
            | Step::Persist(n)
            | Step::Crash(n, _)
            | Step::Restart(n)
            | Step::Compact(n)
            | Step::Propose(n) => Some(n),
        }
    }

    /// The world action this step is in `world`, if it is enabled there and
    /// is one action: `stabilize` is many (`Model::settle` runs them), so
    /// it has none here, and a story never takes its first delivery for
    /// the message it moves.
    #[must_use]
    pub fn action(&self, world: &World) -> Option<Action> {
        Some(match *self {
            Step::Deliver(p) => Action::deliver(packet_id(world, &p)?),
            Step::Drop(p) => Action::Drop(packet_id(world, &p)?),
            Step::Duplicate(p) => Action::Duplicate(packet_id(world, &p)?),
            Step::Campaign(n) => Action::Campaign(n),
            Step::Heartbeat(n) => Action::HeartbeatTimeout(n),
            Step::CheckQuorum(n) => Action::CheckQuorum(n),
            Step::Persist(n) => Action::Event(world.pending_sync(n)?),
            Step::Crash(n, kept) if kept == FileRecords::NONE => Action::Crash(n),
            Step::Crash(node, kept) => Action::CrashKeeping { node, kept },
            Step::Restart(n) => Action::Restart(n),
            Step::Isolate(n) => Action::isolate(&[n], world.node_count()),
            Step::Heal => Action::Heal,
            Step::Propose(n) => Action::Propose { node: n, count: 1 },
            Step::Compact(n) => Action::Compact(n),
            Step::Submit(via, op) => Action::ClientOp { op, via },
            Step::WakeClient(c) => Action::Event(world.pending_client_wake(c as usize)?),
            Step::Reconfigure(r) => Action::ConfChange {
                node: world.followed_leader()?,
                change: r.change(),
            },
            Step::TransferLeader(to) => Action::TransferLeader {
                node: world.followed_leader()?,
                to,
            },
            Step::Stabilize => return None,
        })
    }

    /// Whether the step involves a client (its request, its answer, its
    /// timer, a new session): such steps change the history, whose order
    /// of events the linearizability checker reads.
    #[must_use]
    pub fn involves_a_client(&self) -> bool {
        match self {
            Step::Deliver(p) | Step::Drop(p) | Step::Duplicate(p) => {
                matches!(p.from, Endpoint::Client(_)) || matches!(p.to, Endpoint::Client(_))
            }
            Step::Submit(..) | Step::WakeClient(_) | Step::Stabilize => true,
            _ => false,
        }
    }
}

/// The id of the message `pick` names, as a scenario's `nth=` finds it.
fn packet_id(world: &World, pick: &Pick) -> Option<u64> {
    world
        .messages_in_flight(|f| f == pick.from, |t| t == pick.to, Some(pick.kind))
        .nth(pick.nth as usize - 1)
}

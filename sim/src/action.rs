//! The vocabulary every driver speaks: the events a world schedules and the
//! actions that change it (faults, timers fired by hand, messages picked).
//! Re-exported from [`crate::world`], where they are applied.

use raft_core::ConfChange;
use serde::{Deserialize, Serialize};

use crate::disk::FileRecords;
use crate::kv::Op;
use crate::membership::MembershipOp;
use crate::net::NetNoise;
use crate::slot::NodeSlot;

/// Something scheduled to happen at a virtual time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Event {
    /// Packet `id` arrives.
    Deliver(u64),
    /// Node `node`'s clock ticks (only if `epoch` is its current tick epoch).
    Tick {
        /// The node.
        node: NodeSlot,
        /// The host's tick epoch when scheduled.
        epoch: u64,
    },
    /// Node `node`'s fsync `token` completes.
    Synced {
        /// The node.
        node: NodeSlot,
        /// Which fsync.
        token: u64,
    },
    /// Client `client` wakes (think time over, or a timeout).
    ClientWake {
        /// Client index.
        client: usize,
        /// Only the current token counts.
        token: u64,
    },
    /// The operator tries its first pending membership operation again.
    AdminWake {
        /// Only the current token counts.
        token: u64,
    },
}

/// Everything that can change the world: scheduled events, faults and
/// operations. Every driver speaks this vocabulary.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Action {
    /// Run a scheduled event now (and remove it from the schedule).
    Event(Event),
    /// Lose in-flight packet `id`.
    Drop(u64),
    /// Put a second copy of in-flight packet `id` on the wire.
    Duplicate(u64),
    /// Power loss on a node.
    Crash(NodeSlot),
    /// Power loss on a node that keeps the first `kept` of its unsynced
    /// records in each file and loses the rest: one outcome of a torn
    /// crash, chosen (the model checker's crash, and `crash N keep_meta=K
    /// keep_log=K`).
    CrashKeeping {
        /// The node.
        node: NodeSlot,
        /// Unsynced records kept, per file.
        kept: FileRecords,
    },
    /// Boot a crashed node from its disk.
    Restart(NodeSlot),
    /// Stop a node's process without losing memory.
    Pause(NodeSlot),
    /// Resume a paused node.
    Resume(NodeSlot),
    /// Block the directed links (from, to).
    Block(Vec<(NodeSlot, NodeSlot)>),
    /// Remove every partition.
    Heal,
    /// Network noise from now on.
    SetNoise(NetNoise),
    /// Torn writes on crash from now on.
    SetTorn(bool),
    /// A node's clock runs `factor` times real time.
    Skew {
        /// The node.
        node: NodeSlot,
        /// Clock speed factor.
        factor: f64,
    },
    /// Stop or start clients issuing new operations.
    SetWorkload(bool),
    /// A node's election timer fires now.
    Campaign(NodeSlot),
    /// A leader's heartbeat timer fires now.
    HeartbeatTimeout(NodeSlot),
    /// A node's CheckQuorum timer fires now (a leader checks its quorum, a
    /// follower's lease ends).
    CheckQuorum(NodeSlot),
    /// One tick of a node's clock, now (outside the tick schedule).
    TickNow(NodeSlot),
    /// A node snapshots its state machine and compacts its log now (or as
    /// soon as its disk is idle).
    Compact(NodeSlot),
    /// Entries proposed straight to a node, bypassing clients.
    Propose {
        /// The node.
        node: NodeSlot,
        /// How many entries.
        count: u64,
    },
    /// A new client session starts one operation now, asking node `via`
    /// first; it then follows redirects, times out and retries as every
    /// session does (a manual scenario's `put`, `get` and `append`, the
    /// model checker's client step).
    ClientOp {
        /// The operation.
        op: Op,
        /// The node the session asks first.
        via: NodeSlot,
    },
    /// A membership change proposed straight to a node, once (a manual
    /// scenario's `add`, `remove` and `promote`, the model checker's
    /// step); a node it adds that never ran starts first.
    ConfChange {
        /// The node asked (the leader, if all goes well).
        node: NodeSlot,
        /// The change.
        change: ConfChange,
    },
    /// A node is asked, once, to hand its leadership to `to`.
    TransferLeader {
        /// The node asked.
        node: NodeSlot,
        /// The node to hand over to.
        to: NodeSlot,
    },
    /// The operator's membership operation, retried in the background
    /// through whoever leads until done (a scenario's `add`, `remove`,
    /// `promote` and `transfer-leader` in auto mode, the swarm's).
    Membership(MembershipOp),
    /// A node's disk: fsync latency range and torn writes.
    SetDisk {
        /// The node.
        node: NodeSlot,
        /// fsync latency range, if changed.
        fsync_ns: Option<(u64, u64)>,
        /// Torn writes on crash, if changed.
        torn: Option<bool>,
    },
}

impl Action {
    /// Cut every link to and from each of `nodes`, in a cluster of
    /// `node_count` nodes.
    #[must_use]
    pub fn isolate(nodes: &[NodeSlot], node_count: usize) -> Action {
        let links = nodes
            .iter()
            .flat_map(|&n| {
                NodeSlot::all(node_count)
                    .filter(move |&o| o != n)
                    .flat_map(move |o| [(n, o), (o, n)])
            })
            .collect();
        Action::Block(links)
    }

    /// Only nodes in the same group can talk: every link between two groups
    /// is cut, both ways.
    #[must_use]
    pub fn partition(groups: &[Vec<NodeSlot>]) -> Action {
        let mut links = Vec::new();
        for (i, a) in groups.iter().enumerate() {
            for (j, b) in groups.iter().enumerate() {
                if i != j {
                    links.extend(a.iter().flat_map(|&f| b.iter().map(move |&t| (f, t))));
                }
            }
        }
        Action::Block(links)
    }

    /// Messages from any of `from` to any of `to` are lost (one way).
    #[must_use]
    pub fn cut(from: &[NodeSlot], to: &[NodeSlot]) -> Action {
        let links = from
            .iter()
            .flat_map(|&f| to.iter().map(move |&t| (f, t)))
            .collect();
        Action::Block(links)
    }

    /// Deliver in-flight packet `id` now.
    #[must_use]
    pub fn deliver(id: u64) -> Action {
        Action::Event(Event::Deliver(id))
    }

    /// The node this action is aimed at, if it names one.
    #[must_use]
    pub fn node(&self) -> Option<NodeSlot> {
        match self {
            Action::Crash(n)
            | Action::Restart(n)
            | Action::Pause(n)
            | Action::Resume(n)
            | Action::Campaign(n)
            | Action::HeartbeatTimeout(n)
            | Action::CheckQuorum(n)
            | Action::TickNow(n)
            | Action::Compact(n)
            | Action::Skew { node: n, .. }
            | Action::Propose { node: n, .. }
            | Action::ConfChange { node: n, .. }
            | Action::TransferLeader { node: n, .. }
            | Action::SetDisk { node: n, .. }
            | Action::CrashKeeping { node: n, .. } => Some(*n),
            Action::Event(Event::Tick { node, .. } | Event::Synced { node, .. }) => Some(*node),
            _ => None,
        }
    }
}

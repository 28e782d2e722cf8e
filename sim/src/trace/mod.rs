//! The run's trace: every applied event, hashed into the trace hash (same
//! seed and build, same hash), the last few kept for violation reports, and
//! optionally all of them handed to a sink (`--trace FILE`). Here: the
//! records and their format; `build.rs` describes an action or event as a
//! record, `display.rs` writes records for people, `hash.rs` keeps the hash
//! and the tail.

mod build;
mod display;
mod hash;

pub use hash::Trace;

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::net::Endpoint;
use crate::slot::NodeSlot;
use crate::timeline::{InvokeRecord, NodeRecord, OpRecord, SendRecord};

/// How many events a violation report shows.
pub const TAIL_EVENTS: usize = 30;

/// The trace format's name, in every trace file's first line.
pub const TRACE_FORMAT: &str = "raftsim-trace";

/// The trace format's version: raised whenever a record changes shape, so a
/// consumer can refuse what it does not know. The README documents every
/// field of this version.
pub const TRACE_VERSION: u32 = 2;

/// The first line of a trace file: what it is and what ran.
#[derive(Clone, Debug, Serialize)]
pub struct TraceHeader<'a, P: Serialize> {
    /// Always `"header"`.
    pub kind: &'static str,
    /// Always [`TRACE_FORMAT`].
    pub format: &'static str,
    /// [`TRACE_VERSION`].
    pub version: u32,
    /// `"run"` (a seed) or `"scenario"` (a file).
    pub source: &'static str,
    /// The scenario file, for a scenario.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<&'a str>,
    /// The run's resolved plan ([`crate::plan::RunPlan`]), for a run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan: Option<&'a P>,
}

impl<'a, P: Serialize> TraceHeader<'a, P> {
    /// The header of a trace from `source`.
    #[must_use]
    pub fn new(source: &'static str, file: Option<&'a str>, plan: Option<&'a P>) -> Self {
        TraceHeader {
            kind: "header",
            format: TRACE_FORMAT,
            version: TRACE_VERSION,
            source,
            file,
            plan,
        }
    }
}

/// The last line of a trace file: how the run ended.
#[derive(Clone, Debug, Serialize)]
pub struct TraceEnd {
    /// Always `"end"`.
    pub kind: &'static str,
    /// `"pass"`, `"violation"` (an invariant broke or an expectation
    /// failed) or `"inconclusive"` (a bound was reached first).
    pub result: &'static str,
    /// The broken invariant's name, for a violation of one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invariant: Option<String>,
    /// What went wrong, unless the run passed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Virtual time at the end.
    pub time_ns: u64,
    /// Events and actions applied.
    pub events: u64,
    /// The trace hash, 16 hex digits.
    pub trace_hash: String,
    /// The nodes a broken invariant names.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub nodes: Vec<u64>,
    /// For a linearizability violation: the history positions of the
    /// operation no order fits, then of the others of its key it shows
    /// (the `op` records' `position`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rejected_ops: Vec<usize>,
}

impl TraceEnd {
    /// The end line of a run that ended as `result` at `time_ns`, after
    /// `events`, with trace hash `hash`; `violation` fills in the
    /// invariant, its nodes and the operations it rejects, `message` says
    /// what went wrong.
    #[must_use]
    pub fn new(
        result: &'static str,
        violation: Option<&crate::checker::Violation>,
        message: Option<String>,
        (time_ns, events, hash): (u64, u64, u64),
    ) -> TraceEnd {
        TraceEnd {
            kind: "end",
            result,
            invariant: violation.map(|v| v.invariant.to_string()),
            message,
            time_ns,
            events,
            trace_hash: format!("{hash:016x}"),
            nodes: violation
                .map_or_else(Vec::new, |v| v.nodes.iter().map(|n| n.number()).collect()),
            rejected_ops: crate::timeline::rejected_ops(violation),
        }
    }
}

/// A node or a client, named as every output of raftsim names them: nodes
/// by their 1-based id (the scenario language's and raft-core's `NodeId`),
/// clients by their 1-based number. Serialized as `{"node":1}` or
/// `{"client":2}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Peer {
    /// Node with this id.
    Node(u64),
    /// Client with this number.
    Client(u64),
}

impl From<Endpoint> for Peer {
    fn from(endpoint: Endpoint) -> Peer {
        match endpoint {
            Endpoint::Node(n) => Peer::Node(node_id(n)),
            Endpoint::Client(c) => Peer::Client(u64::from(c) + 1),
        }
    }
}

impl fmt::Display for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Peer::Node(id) => write!(f, "n{id}"),
            Peer::Client(c) => write!(f, "c{c}"),
        }
    }
}

/// A node as the trace names it: its 1-based number.
fn node_id(node: NodeSlot) -> u64 {
    node.number()
}

/// One thing that happened: a scheduled event of the world, or an action a
/// driver applied (a fault, a timer fired by hand, a message picked). Runs
/// and scenarios describe the same action the same way, because both build
/// the record from the [`Action`] itself ([`TraceEvent::of_action`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum What {
    /// A packet reached its recipient (or was refused there by a partition).
    Deliver {
        /// The packet's id (its `send` record lists it).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        packet: Option<u64>,
        /// Sender.
        from: Peer,
        /// Recipient.
        to: Peer,
        /// Message type (the scenario language's names: `append`, `vote-resp`, ...).
        msg: Cow<'static, str>,
        /// The Raft term it carried, if a Raft message.
        term: Option<u64>,
    },
    /// A driver lost an in-flight packet (manual `drop`, the model checker).
    Drop {
        /// The packet's id (its `send` record lists it).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        packet: Option<u64>,
        /// Sender.
        from: Peer,
        /// Recipient.
        to: Peer,
        /// Message type.
        msg: Cow<'static, str>,
        /// The Raft term it carried, if a Raft message.
        term: Option<u64>,
    },
    /// A driver put a second copy of an in-flight packet on the wire.
    Duplicate {
        /// The packet's id (its `send` record lists it).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        packet: Option<u64>,
        /// Sender.
        from: Peer,
        /// Recipient.
        to: Peer,
        /// Message type.
        msg: Cow<'static, str>,
        /// The Raft term it carried, if a Raft message.
        term: Option<u64>,
    },
    /// A delivery whose packet was no longer in flight (nothing happened).
    Vanished {
        /// The packet's id.
        packet: u64,
    },
    /// A node's clock ticked (scheduled).
    Tick {
        /// Node id.
        node: u64,
    },
    /// A node's fsync completed.
    Synced {
        /// Node id.
        node: u64,
    },
    /// A client woke up (think time over, or a timeout).
    ClientWake {
        /// Client number.
        client: u64,
    },
    /// Power loss.
    Crash {
        /// Node id.
        node: u64,
    },
    /// Power loss keeping the first unsynced records of each file.
    CrashKeeping {
        /// Node id.
        node: u64,
        /// Unsynced meta (hard state) records kept.
        meta_records: usize,
        /// Unsynced log records kept.
        log_records: usize,
    },
    /// Boot from disk.
    Restart {
        /// Node id.
        node: u64,
    },
    /// The process stopped without losing memory.
    Pause {
        /// Node id.
        node: u64,
    },
    /// The process continued.
    Resume {
        /// Node id.
        node: u64,
    },
    /// Directed links blocked: messages from the first node of a pair to the
    /// second are lost.
    Block {
        /// `[from, to]` node id pairs.
        links: Vec<[u64; 2]>,
    },
    /// Every partition, isolation and cut removed.
    Heal,
    /// Network noise from now on.
    Noise {
        /// Chance a message is lost, in percent.
        drop_percent: f64,
        /// Chance a message is duplicated, in percent.
        dup_percent: f64,
        /// Shortest one-way latency.
        delay_min_ns: u64,
        /// Longest ordinary one-way latency.
        delay_max_ns: u64,
        /// Chance a latency comes from the long tail, in percent.
        tail_percent: f64,
    },
    /// Torn writes on crash, on every node, from now on.
    Torn {
        /// On or off.
        on: bool,
    },
    /// One node's disk model from now on.
    Disk {
        /// Node id.
        node: u64,
        /// New fsync latency range, if changed.
        fsync_ns: Option<[u64; 2]>,
        /// Torn writes on crash, if changed.
        torn: Option<bool>,
    },
    /// A node's clock runs `factor` times real time.
    Skew {
        /// Node id.
        node: u64,
        /// Clock speed factor.
        factor: f64,
    },
    /// Clients start or stop issuing new operations.
    Workload {
        /// On or off.
        on: bool,
    },
    /// A node's election timer fired (by hand).
    Campaign {
        /// Node id.
        node: u64,
    },
    /// A leader's heartbeat timer fired (by hand).
    Heartbeat {
        /// Node id.
        node: u64,
    },
    /// A node's CheckQuorum timer fired (by hand).
    CheckQuorum {
        /// Node id.
        node: u64,
    },
    /// One tick of a node's clock, by hand.
    TickNow {
        /// Node id.
        node: u64,
    },
    /// A node asked to snapshot and compact its log (by hand).
    Compact {
        /// Node id.
        node: u64,
    },
    /// A new client session starts one operation (by a driver's hand).
    ClientOp {
        /// Client number.
        client: u64,
        /// The operation, as a scenario writes it (`append 0 5`).
        op: String,
        /// Node id asked first.
        via: u64,
    },
    /// Entries proposed straight to a node.
    Propose {
        /// Node id.
        node: u64,
        /// How many.
        count: u64,
    },
    /// A membership change proposed straight to a node, once.
    ConfChange {
        /// Node id asked.
        node: u64,
        /// The change, as a scenario writes it (`add 4`, `remove {1,2}`).
        change: String,
    },
    /// A node asked, once, to hand its leadership over.
    TransferLeader {
        /// Node id asked.
        node: u64,
        /// Node id to hand over to.
        to: u64,
    },
    /// The operator asked for a membership operation, retried in the
    /// background until done.
    Membership {
        /// The operation, as a scenario writes it (`add 4`,
        /// `transfer-leader 2`).
        op: String,
    },
    /// The operator tries its pending membership operations again.
    AdminWake,
    /// A message handed to the network, with its fate (a picture's record:
    /// not in the trace hash).
    Send(SendRecord),
    /// A node's state changed (a picture's record: not in the trace hash).
    Node(NodeRecord),
    /// A client operation invoked (a picture's record: not in the trace
    /// hash).
    Invoke(InvokeRecord),
    /// A client operation ended, or is listed at the end of the run
    /// unended (a picture's record: not in the trace hash).
    Op(OpRecord),
}

impl What {
    /// Whether this is a picture's record (what an event changed: `send`,
    /// `node`, `invoke`, `op`) rather than an event: such records are not
    /// counted as events, kept in the tail or hashed.
    #[must_use]
    pub fn is_picture_record(&self) -> bool {
        matches!(
            self,
            What::Send(_) | What::Node(_) | What::Invoke(_) | What::Op(_)
        )
    }
}

/// One line of the trace.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TraceEvent {
    /// Virtual time.
    pub time_ns: u64,
    /// What happened.
    #[serde(flatten)]
    pub what: What,
}

//! What a picture of a run needs beyond the trace's events: every message
//! sent with its fate (so an arrow can run from its send to its delivery,
//! or end in a loss), each node's state as it changes (role, term, commit
//! and apply index, a write waiting for its fsync), and the clients'
//! operations with their answers. These records go to a trace sink only
//! (`--trace`, `--html`); they are not part of the trace hash, so tracing a
//! run never changes it.

use serde::{Deserialize, Serialize};

use crate::checker::Violation;
use crate::history::{History, Outcome};
use crate::host::HostState;
use crate::kv::Output;
use crate::net::{NetStats, Packet};
use crate::trace::{Peer, TraceEvent, What};
use crate::world::World;

/// What became of a message when it was sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SendFate {
    /// On the wire, one copy.
    Wire,
    /// On the wire, two copies (network duplication).
    Duplicated,
    /// Lost by the network's noise.
    Lost,
    /// Lost: a partition cuts the link.
    Cut,
    /// Lost: the link's in-flight bound was full.
    Full,
}

/// A message handed to the network.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SendRecord {
    /// Sender.
    pub from: Peer,
    /// Recipient.
    pub to: Peer,
    /// Message type (the scenario language's names).
    pub msg: String,
    /// The Raft term it carried, if a Raft message.
    pub term: Option<u64>,
    /// The ids of the copies on the wire (a `deliver`, `drop` or
    /// `duplicate` names them): none if lost, two if duplicated.
    pub packets: Vec<u64>,
    /// What became of it.
    pub fate: SendFate,
}

impl SendRecord {
    /// The record of `packet`'s send, given the network's counters before
    /// and after and the ids of the copies on the wire.
    #[must_use]
    pub fn new(packet: &Packet, before: &NetStats, after: &NetStats, packets: Vec<u64>) -> Self {
        let fate = match packets.len() {
            2.. => SendFate::Duplicated,
            1 => SendFate::Wire,
            0 if after.dropped_partition > before.dropped_partition => SendFate::Cut,
            0 if after.dropped_overflow > before.dropped_overflow => SendFate::Full,
            0 => SendFate::Lost,
        };
        SendRecord {
            from: Peer::from(packet.from),
            to: Peer::from(packet.to),
            msg: packet.payload.kind_name().to_string(),
            term: packet.payload.raft_message().map(|m| m.term.0),
            packets,
            fate,
        }
    }
}

/// Whether a node's process runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Process {
    /// Running.
    Up,
    /// Stopped with its memory (a pause).
    Paused,
    /// Crashed, or not started: only its disk remains.
    Down,
}

/// One node's state, recorded whenever any of it changes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeRecord {
    /// Node id.
    pub node: u64,
    /// Whether its process runs.
    pub process: Process,
    /// `follower`, `pre_candidate`, `candidate` or `leader` (a node that is
    /// down has none).
    pub role: Option<String>,
    /// Its current term (while its process lives).
    pub term: u64,
    /// The leader it knows of.
    pub leader: Option<u64>,
    /// Its commit index.
    pub commit: u64,
    /// Its apply index.
    pub applied: u64,
    /// Its last log index.
    pub last_index: u64,
    /// A write waits for its fsync.
    pub syncing: bool,
}

impl NodeRecord {
    fn of(world: &World, node: crate::slot::NodeSlot) -> NodeRecord {
        let host = world.host(node);
        let process = match host.state {
            HostState::Up => Process::Up,
            HostState::Paused => Process::Paused,
            HostState::Down => Process::Down,
        };
        let raw = host.node().filter(|_| process != Process::Down);
        NodeRecord {
            node: node.number(),
            process,
            role: raw.map(|r| role_name(r.role()).to_string()),
            term: raw.map_or(0, |r| r.term().0),
            leader: raw.and_then(|node| node.leader()).map(|id| id.0),
            commit: raw.map_or(0, |r| r.log().committed().0),
            applied: raw.map_or(0, |r| r.log().applied().0),
            last_index: raw.map_or(0, |r| r.log().last_index().0),
            syncing: process != Process::Down && host.is_mid_write(),
        }
    }
}

fn role_name(role: raft_core::Role) -> &'static str {
    match role {
        raft_core::Role::Follower => "follower",
        raft_core::Role::PreCandidate => "pre_candidate",
        raft_core::Role::Candidate => "candidate",
        raft_core::Role::Leader => "leader",
    }
}

/// One client operation, from its invocation to its answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpRecord {
    /// Its position in the run's history (a violation names these).
    pub position: usize,
    /// Client number.
    pub client: u64,
    /// Its sequence number in the session.
    pub seq: u64,
    /// The operation, as a scenario writes it (`put 0 5`).
    pub op: String,
    /// When it was invoked.
    pub invoke_ns: u64,
    /// When it returned, if it did.
    pub complete_ns: Option<u64>,
    /// `ok`, `fail` (not applied), `unknown` (the client gave up) or
    /// `pending`.
    pub outcome: String,
    /// What a get read, if it did.
    pub read: Option<Vec<u64>>,
}

/// A client operation invoked (its `op` record follows when it ends, or
/// at the end of the run).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvokeRecord {
    /// Its position in the run's history.
    pub position: usize,
    /// Client number.
    pub client: u64,
    /// The operation, as a scenario writes it.
    pub op: String,
}

/// The `op` records of the operations of `history` that have not ended,
/// stamped with `time_ns` (the end of the run): the records of those that
/// ended came when they did.
#[must_use]
pub fn unfinished_op_records(history: &History, time_ns: u64) -> Vec<TraceEvent> {
    (0..history.ops.len())
        .filter(|&at| history.ops[at].complete_ns.is_none())
        .map(|at| op_record(history, at, time_ns))
        .collect()
}

/// The `op` record of the operation at `position` in `history`.
fn op_record(history: &History, position: usize, time_ns: u64) -> TraceEvent {
    let op = &history.ops[position];
    let (outcome, read) = match &op.outcome {
        Outcome::Ok { output, .. } => (
            "ok",
            match output {
                Output::Read(values) => Some(values.clone()),
                Output::Written => None,
            },
        ),
        Outcome::Fail => ("fail", None),
        Outcome::Unknown => ("unknown", None),
        Outcome::Pending => ("pending", None),
    };
    TraceEvent {
        time_ns,
        what: What::Op(OpRecord {
            position,
            client: u64::from(op.client) + 1,
            seq: op.seq,
            op: op.op.to_string(),
            invoke_ns: op.invoke_ns,
            complete_ns: op.complete_ns,
            outcome: outcome.to_string(),
            read,
        }),
    }
}

/// The history positions a linearizability violation names: the operation
/// no order fits, then the others of its key it shows.
#[must_use]
pub fn rejected_ops(violation: Option<&Violation>) -> Vec<usize> {
    let Some(found) = violation.and_then(|v| v.not_linearizable.as_deref()) else {
        return Vec::new();
    };
    let mut positions = vec![found.stuck];
    positions.extend(
        found
            .operations
            .iter()
            .map(|op| op.at)
            .filter(|&at| at != found.stuck),
    );
    positions
}

/// Emits what changed in a world after each step: the sends the step made,
/// the nodes whose state moved, the operations invoked and ended.
#[derive(Debug, Default)]
pub struct Timeline {
    nodes: Vec<Option<NodeRecord>>,
    /// Operations invoked so far.
    invoked: usize,
    /// The positions of operations invoked and not yet ended (at most one
    /// per client session).
    open: Vec<usize>,
}

impl Timeline {
    /// Hands `emit` the sends `world` logged since the last call and a
    /// record of every node whose state changed, all at the world's time.
    pub fn after_step(&mut self, world: &mut World, emit: &mut dyn FnMut(&TraceEvent)) {
        let time_ns = world.now_ns;
        for sent in world.take_sends() {
            emit(&TraceEvent {
                time_ns,
                what: What::Send(sent),
            });
        }
        self.nodes.resize(world.node_count(), None);
        for node in world.nodes() {
            let now = NodeRecord::of(world, node);
            let last = &mut self.nodes[node.index()];
            if last.as_ref() != Some(&now) {
                emit(&TraceEvent {
                    time_ns,
                    what: What::Node(now.clone()),
                });
                *last = Some(now);
            }
        }
        let history = &world.history;
        for position in self.invoked..history.ops.len() {
            let op = &history.ops[position];
            emit(&TraceEvent {
                time_ns,
                what: What::Invoke(InvokeRecord {
                    position,
                    client: u64::from(op.client) + 1,
                    op: op.op.to_string(),
                }),
            });
            self.open.push(position);
        }
        self.invoked = history.ops.len();
        self.open.retain(|&position| {
            let ended = history.ops[position].complete_ns.is_some();
            if ended {
                emit(&op_record(history, position, time_ns));
            }
            !ended
        });
    }
}

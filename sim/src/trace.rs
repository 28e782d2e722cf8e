//! The run's trace: every applied event, hashed into the trace hash (same
//! seed and build, same hash), the last few kept for violation reports, and
//! optionally all of them handed to a sink (`--trace FILE`).

use std::borrow::Cow;
use std::collections::VecDeque;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::membership::{MembershipOp, describe_change};
use crate::net::{Endpoint, Payload};
use crate::slot::NodeSlot;
use crate::timeline::{InvokeRecord, NodeRecord, OpRecord, SendRecord};
use crate::world::{Action, Event, World};

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

/// How many blocked links a trace line lists before it only counts them.
const LINKS_SHOWN: usize = 12;

impl fmt::Display for What {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let packet =
            |f: &mut fmt::Formatter<'_>, verb: &str, from, to, msg: &str, term: &Option<u64>| {
                let term = term.map(|t| format!(" t{t}")).unwrap_or_default();
                write!(f, "{verb}{from} -> {to} {msg}{term}")
            };
        match self {
            What::Deliver {
                from,
                to,
                msg,
                term,
                ..
            } => packet(f, "", from, to, msg, term),
            What::Drop {
                from,
                to,
                msg,
                term,
                ..
            } => packet(f, "drop ", from, to, msg, term),
            What::Duplicate {
                from,
                to,
                msg,
                term,
                ..
            } => packet(f, "duplicate ", from, to, msg, term),
            What::Vanished { packet } => write!(f, "packet {packet} no longer in flight"),
            What::Tick { node } => write!(f, "tick n{node}"),
            What::Synced { node } => write!(f, "fsync done n{node}"),
            What::ClientWake { client } => write!(f, "client c{client} wakes"),
            What::Crash { node } => write!(f, "crash n{node}"),
            What::CrashKeeping {
                node,
                meta_records,
                log_records,
            } => write!(
                f,
                "crash n{node} keeping {meta_records} meta and {log_records} log records"
            ),
            What::Restart { node } => write!(f, "restart n{node}"),
            What::Pause { node } => write!(f, "pause n{node}"),
            What::Resume { node } => write!(f, "resume n{node}"),
            What::Block { links } => write_links(f, links),
            What::Heal => write!(f, "heal"),
            What::Noise {
                drop_percent,
                dup_percent,
                delay_min_ns,
                delay_max_ns,
                tail_percent,
            } => write!(
                f,
                "net drop={drop_percent}% dup={dup_percent}% delay={delay_min_ns}ns..{delay_max_ns}ns tail={tail_percent}%"
            ),
            What::Torn { on } => write!(f, "disk torn={}", on_off(*on)),
            What::Disk {
                node,
                fsync_ns,
                torn,
            } => write_disk(f, *node, *fsync_ns, *torn),
            What::Skew { node, factor } => write!(f, "skew n{node} {factor}"),
            What::Workload { on } => write!(f, "clients {}", on_off(*on)),
            What::Campaign { node } => write!(f, "campaign n{node}"),
            What::Heartbeat { node } => write!(f, "heartbeat n{node}"),
            What::CheckQuorum { node } => write!(f, "check-quorum n{node}"),
            What::TickNow { node } => write!(f, "tick n{node} (by hand)"),
            What::Compact { node } => write!(f, "compact n{node}"),
            What::Propose { node, count } => write!(f, "propose {count} on n{node}"),
            What::ClientOp { client, op, via } => {
                write!(f, "client c{client} starts `{op}` via n{via}")
            }
            What::ConfChange { node, change } => write!(f, "{change} (asked of n{node})"),
            What::TransferLeader { node, to } => {
                write!(f, "transfer-leader {to} (asked of n{node})")
            }
            What::Membership { op } => write!(f, "{op}"),
            What::AdminWake => write!(f, "the operator retries"),
            What::Send(sent) => {
                let verb = format!("send ({:?}) ", sent.fate).to_lowercase();
                packet(f, &verb, &sent.from, &sent.to, &sent.msg, &sent.term)
            }
            What::Node(n) => write!(
                f,
                "n{} {:?} {} term {} commit {} applied {}",
                n.node,
                n.process,
                n.role.as_deref().unwrap_or("-"),
                n.term,
                n.commit,
                n.applied
            ),
            What::Invoke(op) => write!(f, "client c{} invokes `{}`", op.client, op.op),
            What::Op(op) => write!(f, "client c{} `{}`: {}", op.client, op.op, op.outcome),
        }
    }
}

/// `block n1->n2 n1->n3 ...`, the first [`LINKS_SHOWN`] links.
fn write_links(f: &mut fmt::Formatter<'_>, links: &[[u64; 2]]) -> fmt::Result {
    write!(f, "block")?;
    for [from, to] in links.iter().take(LINKS_SHOWN) {
        write!(f, " n{from}->n{to}")?;
    }
    if links.len() > LINKS_SHOWN {
        write!(f, " ... ({} links)", links.len())?;
    }
    Ok(())
}

/// `disk n2 latency=1ns..5ns torn=on`, the settings that changed.
fn write_disk(
    f: &mut fmt::Formatter<'_>,
    node: u64,
    fsync_ns: Option<[u64; 2]>,
    torn: Option<bool>,
) -> fmt::Result {
    write!(f, "disk n{node}")?;
    if let Some([low, high]) = fsync_ns {
        write!(f, " latency={low}ns..{high}ns")?;
    }
    if let Some(on) = torn {
        write!(f, " torn={}", on_off(on))?;
    }
    Ok(())
}

fn on_off(on: bool) -> &'static str {
    if on { "on" } else { "off" }
}

impl fmt::Display for TraceEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.time_ns as f64 / 1e6;
        write!(f, "{ms:>12.3}ms  {}", self.what)
    }
}

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
    let term = match &packet.payload {
        Payload::Raft(m) => Some(m.term.0),
        _ => None,
    };
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

/// The trace hash and the tail of recent events.
pub struct Trace {
    hasher: xxhash_rust::xxh3::Xxh3,
    tail: VecDeque<TraceEvent>,
}

impl fmt::Debug for Trace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Trace")
            .field("hash", &self.hash())
            .field("tail", &self.tail.len())
            .finish()
    }
}

impl Default for Trace {
    fn default() -> Trace {
        Trace {
            hasher: xxhash_rust::xxh3::Xxh3::new(),
            tail: VecDeque::with_capacity(TAIL_EVENTS),
        }
    }
}

impl Trace {
    /// Records an event.
    pub fn record(&mut self, event: TraceEvent) {
        // One update per event (xxh3's streaming update has a fixed cost).
        let mut bytes = [0u8; 40];
        bytes[..8].copy_from_slice(&event.time_ns.to_le_bytes());
        let peer = |p: &Peer| match p {
            Peer::Node(n) => *n,
            Peer::Client(c) => (1 << 32) | *c,
        };
        let packet = |tag: u8, from: &Peer, to: &Peer, msg: &str, term: &Option<u64>| {
            let kind = xxhash_rust::xxh3::xxh3_64(msg.as_bytes());
            (
                tag,
                peer(from) ^ (kind << 8),
                peer(to),
                term.unwrap_or(u64::MAX),
            )
        };
        let (tag, a, b, c): (u8, u64, u64, u64) = match &event.what {
            What::Deliver {
                from,
                to,
                msg,
                term,
                ..
            } => packet(1, from, to, msg, term),
            What::Tick { node } => (2, *node, 0, 0),
            What::Synced { node } => (3, *node, 0, 0),
            What::ClientWake { client } => (4, *client, 0, 0),
            // Rare: actions of the drivers, hashed by their description.
            other => (
                5,
                xxhash_rust::xxh3::xxh3_64(format!("{other:?}").as_bytes()),
                0,
                0,
            ),
        };
        bytes[8] = tag;
        bytes[9..17].copy_from_slice(&a.to_le_bytes());
        bytes[17..25].copy_from_slice(&b.to_le_bytes());
        bytes[25..33].copy_from_slice(&c.to_le_bytes());
        self.hasher.update(&bytes);
        if self.tail.len() == TAIL_EVENTS {
            self.tail.pop_front();
        }
        self.tail.push_back(event);
    }

    /// Mixes a final state digest into the hash.
    pub fn finish(&mut self, state_digest: u64) {
        self.hasher.update(&state_digest.to_le_bytes());
    }

    /// The hash so far.
    #[must_use]
    pub fn hash(&self) -> u64 {
        self.hasher.digest()
    }

    /// The last events, oldest first.
    #[must_use]
    pub fn tail(&self) -> Vec<TraceEvent> {
        self.tail.iter().cloned().collect()
    }
}

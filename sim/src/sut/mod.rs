//! The system under test: the Raft a host drives, behind one trait.
//!
//! A host runs a Raft node the way a production server would: it feeds it
//! ticks, messages and proposals, takes a [`NodeReady`] of what to persist,
//! send and apply, does that work against the simulated disk and network,
//! and calls [`RaftNode::advance`]. The checkers and the drivers read the
//! node back through the same trait, in raft-core's vocabulary (terms,
//! entries, configurations), so that one disk format, one set of checkers
//! and one explorer serve any implementation.
//!
//! raft-core implements the trait in [`raft_core_node`]; the `raft-rs-adapter` crate
//! implements it for tikv's raft-rs. To plug in another Raft:
//!
//! 1. implement [`RaftNode`] for a wrapper around your node: translate its
//!    log entries, hard state and configuration into raft-core's types
//!    (what the disk stores and the checkers judge); carry its messages as
//!    [`ForeignMessage`]s, each with the bytes your node reads back and a
//!    description in raft-core's vocabulary for the checkers (the
//!    persist-before-send check reads what a message promises from it);
//! 2. make it deterministic: no clock, no thread, no unseeded randomness
//!    (take the seed from [`raft_core::Config::seed`]);
//! 3. declare what it cannot do in [`Capabilities`]: scenario verbs and
//!    swarm knobs that need it are skipped with the reason, never run
//!    half-way;
//! 4. hand a [`Sut`] naming your builder to the cluster
//!    ([`crate::cluster::ClusterSpec::sut`]).

pub mod raft_core_node;

use std::fmt;
use std::hash::{Hash, Hasher};

use raft_core::{
    ConfChange, ConfState, Config, Entry, EntryId, Error, HardState, LogIndex, Message, NodeId,
    ReadState, Restored, Role, Snapshot, SnapshotMeta, SoftState, Term,
};
use serde::{Deserialize, Serialize};

/// A Raft node as a host drives it (see the module documentation).
///
/// Every method is deterministic: the same calls from the same restored
/// state give the same results. Errors are raft-core's [`Error`]s: an
/// implementation maps its own refusals onto the nearest one
/// (`NotLeader` for a proposal a follower refuses, say).
pub trait RaftNode: fmt::Debug + Send + Sync {
    // ---- inputs --------------------------------------------------------

    /// One tick of the node's logical clock.
    fn tick(&mut self);

    /// A message from another node. An error is a message a correct peer
    /// never sends (a checker's finding), not a message Raft ignores.
    ///
    /// # Errors
    /// The node refused the message as impossible.
    fn step(&mut self, message: WireMessage) -> Result<(), Error>;

    /// Proposes an entry carrying `data`; returns the index it was given.
    ///
    /// # Errors
    /// Not the leader, or flow control refused it.
    fn propose(&mut self, data: Vec<u8>) -> Result<LogIndex, Error>;

    /// Proposes a membership change (needs [`Capabilities::membership`]).
    ///
    /// # Errors
    /// Not the leader, or the change is not allowed now.
    fn propose_conf_change(&mut self, change: &ConfChange) -> Result<LogIndex, Error>;

    /// Whether [`propose_conf_change`](Self::propose_conf_change) would
    /// accept `change` now.
    ///
    /// # Errors
    /// Why it would be refused.
    fn conf_change_allowed(&self, change: &ConfChange) -> Result<(), Error>;

    /// Hands leadership to `to` (needs [`Capabilities::leader_transfer`]).
    ///
    /// # Errors
    /// Not the leader, or `to` cannot take over.
    fn transfer_leader(&mut self, to: NodeId) -> Result<(), Error>;

    /// Asks for a linearizable read; its outcome comes back as a
    /// [`ReadState`] with `context` (needs [`Capabilities::read_index`]).
    ///
    /// # Errors
    /// The node cannot serve reads now (no known leader, say).
    fn read_index(&mut self, context: u64) -> Result<(), Error>;

    /// The election timer fires now.
    fn campaign(&mut self);

    /// The leader's heartbeat timer fires now.
    fn heartbeat_timeout(&mut self);

    /// The CheckQuorum timer fires now.
    fn check_quorum_timeout(&mut self);

    /// Drops the log up to `index`, which the host's snapshot `data`
    /// covers (needs [`Capabilities::snapshots`]).
    ///
    /// # Errors
    /// `index` is not applied, or an installed snapshot overtook it.
    fn compact(&mut self, index: LogIndex, data: Vec<u8>) -> Result<(), Error>;

    // ---- the Ready cycle -------------------------------------------------

    /// Whether [`ready`](Self::ready) has work to hand out.
    fn has_ready(&self) -> bool;

    /// The work to do: persist, send, apply. One is outstanding at a time;
    /// the node may be stepped and ticked before it is advanced.
    fn ready(&mut self) -> NodeReady;

    /// The outstanding Ready's writes are durable and its committed
    /// entries applied.
    fn advance(&mut self, ready: NodeReady);

    /// Messages that may leave now, while a write is outstanding (the
    /// leader's replication).
    fn take_messages(&mut self) -> Vec<WireMessage>;

    /// Reads confirmed or failed, while a write is outstanding.
    fn take_read_states(&mut self) -> Vec<ReadState>;

    // ---- what can be read back -------------------------------------------

    /// Its id.
    fn id(&self) -> NodeId;
    /// Leader, candidate, follower...
    fn role(&self) -> Role;
    /// Its current term.
    fn term(&self) -> Term;
    /// Whom it voted for in its current term.
    fn vote(&self) -> Option<NodeId>;
    /// The leader it follows (itself if it leads), if known.
    fn leader(&self) -> Option<NodeId>;
    /// Its log, in memory (persisted or not).
    fn log(&self) -> LogView<'_>;
    /// The configuration in force (the latest in its log, thesis §4.1).
    fn conf(&self) -> &ConfState;
    /// The configuration in force once the log up to `index` is appended.
    fn conf_at(&self, index: LogIndex) -> &ConfState;
    /// A leader's match index of every member (itself included); empty
    /// unless leader.
    fn matched_indexes(&self) -> Vec<(NodeId, LogIndex)>;
    /// The metadata a snapshot as of the applied `index` would carry.
    fn snapshot_meta(&self, index: LogIndex) -> Option<SnapshotMeta>;
    /// Whether a follower believes a leader is alive (CheckQuorum's lease)
    /// or a leader holds its lease.
    fn in_lease(&self) -> bool;
    /// The node a leader is handing its leadership to.
    fn lead_transferee(&self) -> Option<NodeId>;

    // ---- for the model checker ---------------------------------------------

    /// The node's state without its clock or counters: what two paths must
    /// share for the model checker to merge them.
    fn protocol_state(&self) -> NodeProtocolState<'_>;

    /// A copy of the node (the model checker forks worlds).
    fn clone_node(&self) -> Box<dyn RaftNode>;

    /// Feeds everything that decides the node's future, its clock
    /// included, into `state` (the world's fingerprint).
    fn hash_everything(&self, state: &mut dyn Hasher);
}

impl Clone for Box<dyn RaftNode> {
    fn clone(&self) -> Box<dyn RaftNode> {
        self.clone_node()
    }
}

impl Hash for dyn RaftNode {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.hash_everything(state);
    }
}

/// What one Ready hands the host: raft-core's [`raft_core::Ready`] with its
/// messages on the wire.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct NodeReady {
    /// The role and leader, if they changed.
    pub soft_state: Option<SoftState>,
    /// Term, vote and commit, if they changed.
    pub hard_state: Option<HardState>,
    /// A snapshot the node installed: store it, restore the state machine
    /// from it.
    pub snapshot: Option<Snapshot>,
    /// Entries to append (from the first one's index on, the disk's older
    /// entries are stale).
    pub entries: Vec<Entry>,
    /// Committed entries to apply, in order.
    pub committed_entries: Vec<Entry>,
    /// Messages that may leave at once.
    pub messages: Vec<WireMessage>,
    /// Messages that leave once the writes are durable.
    pub messages_after_persist: Vec<WireMessage>,
    /// Whether the writes need an fsync before those messages go.
    pub must_sync: bool,
    /// Reads confirmed or failed.
    pub read_states: Vec<ReadState>,
}

/// A message between nodes: raft-core's own, or another implementation's.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum WireMessage {
    /// raft-core's message.
    Core(Message),
    /// Another implementation's (see [`ForeignMessage`]).
    Foreign(Box<ForeignMessage>),
}

impl WireMessage {
    /// The message in raft-core's vocabulary (a foreign message's
    /// description).
    #[must_use]
    pub fn seen(&self) -> &Message {
        match self {
            WireMessage::Core(message) => message,
            WireMessage::Foreign(foreign) => &foreign.seen,
        }
    }
}

/// Another implementation's message: its bytes, which only it reads, and
/// what it says in raft-core's vocabulary, which the checkers, the trace
/// and the scenario verbs read (its kind, term, sender and recipient; the
/// vote it grants; the index it acknowledges).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ForeignMessage {
    /// What it says, for everyone but the recipient.
    pub seen: Message,
    /// The encoded message the recipient decodes.
    pub bytes: Vec<u8>,
}

/// A node's log as the host and the checkers read it: the entries in
/// memory after its snapshot, contiguous.
#[derive(Clone, Copy, Debug)]
pub struct LogView<'a> {
    /// The last entry the snapshot covers.
    pub snapshot: EntryId,
    /// The entries after it, from `snapshot.index + 1` on.
    pub entries: &'a [Entry],
    /// The commit index.
    pub committed: LogIndex,
    /// The last index the host applied.
    pub applied: LogIndex,
}

impl<'a> LogView<'a> {
    /// The commit index.
    #[must_use]
    pub fn committed(&self) -> LogIndex {
        self.committed
    }

    /// The last index applied.
    #[must_use]
    pub fn applied(&self) -> LogIndex {
        self.applied
    }

    /// The last entry the snapshot covers.
    #[must_use]
    pub fn snapshot(&self) -> EntryId {
        self.snapshot
    }

    /// The entries after the snapshot.
    #[must_use]
    pub fn entries(&self) -> &'a [Entry] {
        self.entries
    }

    /// The last index (the snapshot's, with no entries after it).
    #[must_use]
    pub fn last_index(&self) -> LogIndex {
        self.snapshot.index.plus(self.entries.len() as u64)
    }

    /// The last entry's (index, term).
    #[must_use]
    pub fn last_id(&self) -> EntryId {
        self.entries.last().map_or(self.snapshot, Entry::id)
    }

    /// The term of the entry at `index`, if the log knows it.
    #[must_use]
    pub fn term(&self, index: LogIndex) -> Option<Term> {
        if index == self.snapshot.index {
            return Some(self.snapshot.term);
        }
        if index <= self.snapshot.index {
            return None;
        }
        let position = usize::try_from(index.0 - self.snapshot.index.0 - 1).ok()?;
        self.entries.get(position).map(|e| e.term)
    }
}

/// A node's state for the model checker to fingerprint.
#[derive(Debug, Hash, Serialize)]
pub enum NodeProtocolState<'a> {
    /// raft-core's, whose node ids the checker can relabel (symmetry).
    Core(raft_core::ProtocolState<'a>),
    /// Another implementation's, as a digest: the checker cannot relabel
    /// what it cannot read, so it explores without symmetry reduction.
    Opaque(u128),
}

/// What an implementation can do; what it cannot is skipped, with the
/// reason, by the scenario verbs and swarm knobs that need it.
#[allow(clippy::struct_excessive_bools)] // one flag per feature is the point
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Capabilities {
    /// Membership changes, learners and spare nodes (thesis ch. 4).
    pub membership: bool,
    /// Leader transfer (thesis §3.10).
    pub leader_transfer: bool,
    /// ReadIndex reads (thesis §6.4).
    pub read_index: bool,
    /// Lease reads (thesis §6.4.1).
    pub lease_reads: bool,
    /// Log compaction, snapshots and InstallSnapshot (§7).
    pub snapshots: bool,
    /// raft-core's test-only rule breaks (`--break`); the host's own rule
    /// breaks work with any implementation.
    pub raft_rule_breaks: bool,
    /// Symmetry reduction in the model checker (its state names node ids
    /// the checker can relabel).
    pub symmetry: bool,
}

impl Capabilities {
    /// Nothing beyond elections, replication and restarts.
    pub const NONE: Capabilities = Capabilities {
        membership: false,
        leader_transfer: false,
        read_index: false,
        lease_reads: false,
        snapshots: false,
        raft_rule_breaks: false,
        symmetry: false,
    };

    /// Everything (raft-core).
    pub const ALL: Capabilities = Capabilities {
        membership: true,
        leader_transfer: true,
        read_index: true,
        lease_reads: true,
        snapshots: true,
        raft_rule_breaks: true,
        symmetry: true,
    };
}

/// Builds a node from its settings and what its disk held.
pub type BuildNode = fn(Config, Restored) -> Result<Box<dyn RaftNode>, Error>;

/// An implementation to test: its name, how to build a node, what it can do.
#[derive(Clone, Copy)]
pub struct Sut {
    /// Its name (`--sut NAME`).
    pub name: &'static str,
    /// Builds a node.
    pub build: BuildNode,
    /// What it can do.
    pub capabilities: Capabilities,
}

impl Sut {
    /// raft-core, this project's Raft.
    pub const RAFT_CORE: Sut = Sut {
        name: "raft-core",
        build: raft_core_node::build,
        capabilities: Capabilities::ALL,
    };

    /// Whether this is raft-core.
    #[must_use]
    pub fn is_raft_core(&self) -> bool {
        self.name == Sut::RAFT_CORE.name
    }

    /// Why `feature` cannot run on this implementation, if it cannot.
    #[must_use]
    pub fn lacks(&self, feature: Feature) -> Option<String> {
        (!self.supports(feature))
            .then(|| format!("{} does not support {}", self.name, feature.describe()))
    }

    /// Every feature this implementation lacks.
    #[must_use]
    pub fn lacking(&self) -> Vec<Feature> {
        Feature::ALL
            .into_iter()
            .filter(|feature| !self.supports(*feature))
            .collect()
    }

    /// Whether this implementation can run `feature`.
    #[must_use]
    pub fn supports(&self, feature: Feature) -> bool {
        let c = &self.capabilities;
        match feature {
            Feature::Membership => c.membership,
            Feature::LeaderTransfer => c.leader_transfer,
            Feature::ReadIndex => c.read_index,
            Feature::LeaseReads => c.lease_reads,
            Feature::Snapshots => c.snapshots,
            Feature::RaftRuleBreaks => c.raft_rule_breaks,
        }
    }
}

impl Default for Sut {
    fn default() -> Sut {
        Sut::RAFT_CORE
    }
}

impl fmt::Debug for Sut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

impl PartialEq for Sut {
    fn eq(&self, other: &Sut) -> bool {
        self.name == other.name
    }
}

impl Eq for Sut {}

impl Hash for Sut {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

/// A feature a scenario, a swarm knob or the explorer may need.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Feature {
    /// Membership changes.
    Membership,
    /// Leader transfer.
    LeaderTransfer,
    /// ReadIndex reads.
    ReadIndex,
    /// Lease reads.
    LeaseReads,
    /// Snapshots.
    Snapshots,
    /// raft-core's rule breaks.
    RaftRuleBreaks,
}

impl Feature {
    /// Every feature, in the order of [`Capabilities`].
    pub const ALL: [Feature; 6] = [
        Feature::Membership,
        Feature::LeaderTransfer,
        Feature::ReadIndex,
        Feature::LeaseReads,
        Feature::Snapshots,
        Feature::RaftRuleBreaks,
    ];

    /// In words.
    #[must_use]
    pub fn describe(self) -> &'static str {
        match self {
            Feature::Membership => "membership changes (learners, spare nodes, add, remove)",
            Feature::LeaderTransfer => "leader transfer",
            Feature::ReadIndex => "ReadIndex reads",
            Feature::LeaseReads => "lease reads",
            Feature::Snapshots => "snapshots and log compaction",
            Feature::RaftRuleBreaks => "raft-core's rule breaks",
        }
    }
}

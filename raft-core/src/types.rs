//! The protocol's vocabulary: node ids, terms, log indexes, entries and the
//! persistent and volatile state a node exposes (Raft §5, Figure 2).

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

/// Identifies one server of the cluster. Zero is reserved for "nobody".
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct NodeId(pub u64);

/// A Raft term: a logical clock that only ever increases (Raft §5.1).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Term(pub u64);

/// A position in the replicated log. The first entry has index 1; index 0 is
/// the empty prefix that every log shares.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct LogIndex(pub u64);

impl Term {
    /// The term after this one.
    #[must_use]
    pub fn next(self) -> Term {
        Term(self.0 + 1)
    }
}

impl LogIndex {
    /// The index after this one.
    #[must_use]
    pub fn next(self) -> LogIndex {
        LogIndex(self.0 + 1)
    }

    /// The index before this one, saturating at 0.
    #[must_use]
    pub fn prev(self) -> LogIndex {
        LogIndex(self.0.saturating_sub(1))
    }

    /// This index moved forward by `count` entries.
    #[must_use]
    pub fn plus(self, count: u64) -> LogIndex {
        LogIndex(self.0 + count)
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "n{}", self.0)
    }
}

impl fmt::Display for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "t{}", self.0)
    }
}

impl fmt::Display for LogIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "i{}", self.0)
    }
}

/// What a log entry carries. Room is left for the kinds later features add.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EntryKind {
    /// Client data for the state machine.
    Normal,
    /// The empty entry a new leader appends at the start of its term, so that
    /// earlier entries become committed through it (Raft §5.4.2, §8).
    Noop,
    /// A membership change (Raft §6); its `data` encodes the change.
    ConfChange,
}

/// One entry of the replicated log.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Entry {
    /// The term of the leader that created the entry.
    pub term: Term,
    /// The entry's position in the log.
    pub index: LogIndex,
    /// What the entry carries.
    pub kind: EntryKind,
    /// The payload, opaque to raft-core.
    pub data: Vec<u8>,
}

impl Entry {
    /// The bytes this entry counts for in message and batch size limits.
    #[must_use]
    pub fn size_bytes(&self) -> u64 {
        // A fixed header (term, index, kind) plus the payload.
        24 + self.data.len() as u64
    }

    /// The entry's (index, term) pair, which identifies it (Log Matching, §5.3).
    #[must_use]
    pub fn id(&self) -> EntryId {
        EntryId {
            index: self.index,
            term: self.term,
        }
    }
}

/// An (index, term) pair: by the Log Matching Property (Raft §5.3) it
/// identifies an entry and the whole log prefix before it.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct EntryId {
    /// The entry's index.
    pub index: LogIndex,
    /// The entry's term.
    pub term: Term,
}

/// The state a node must persist before it answers any message that depends
/// on it (Raft Figure 2, "Persistent state on all servers").
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct HardState {
    /// The latest term the node has seen.
    pub term: Term,
    /// The candidate the node voted for in `term`, if any.
    pub vote: Option<NodeId>,
    /// The highest index the node knows to be committed. Persisting it is an
    /// optimization (it lets a restarted node re-apply without waiting for a
    /// leader); it is never needed for safety.
    pub commit: LogIndex,
}

/// A node's role (Raft §5.2; PreCandidate is the thesis' PreVote phase, §9.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Role {
    /// Follows a leader, or waits for one.
    Follower,
    /// Asks whether it could win an election, without raising its term.
    PreCandidate,
    /// Has raised its term and asks for votes.
    Candidate,
    /// Replicates its log to the others.
    Leader,
}

/// Volatile state that is useful to observe but never persisted.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SoftState {
    /// The node's role.
    pub role: Role,
    /// The leader the node believes in for its current term, if any.
    pub leader: Option<NodeId>,
}

/// A cluster configuration: who votes and who only listens (Raft §6).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ConfState {
    /// The nodes whose votes and acknowledgements count toward a majority
    /// (while a change is joint: the incoming configuration's voters).
    pub voters: BTreeSet<NodeId>,
    /// While a membership change is joint (Raft thesis §4.3): the voters of
    /// the configuration being left. Every quorum then needs a majority of
    /// `voters` and a majority of these. Empty when not joint.
    #[serde(default)]
    pub voters_outgoing: BTreeSet<NodeId>,
    /// Nodes that receive the log but do not vote (Raft thesis §4.2.1).
    pub learners: BTreeSet<NodeId>,
}

impl ConfState {
    /// A configuration of the given voters and no learners.
    pub fn with_voters(voters: impl IntoIterator<Item = NodeId>) -> ConfState {
        ConfState {
            voters: voters.into_iter().collect(),
            voters_outgoing: BTreeSet::new(),
            learners: BTreeSet::new(),
        }
    }

    /// Whether a membership change is under way (two majorities count).
    #[must_use]
    pub fn is_joint(&self) -> bool {
        !self.voters_outgoing.is_empty()
    }

    /// Every voter, of either half while joint, in id order, once.
    #[must_use]
    pub fn all_voters(&self) -> BTreeSet<NodeId> {
        self.voters.union(&self.voters_outgoing).copied().collect()
    }

    /// Every node of the configuration, voters (of either half) then
    /// learners, in id order.
    pub fn members(&self) -> impl Iterator<Item = NodeId> + '_ {
        let outgoing_only = self
            .voters_outgoing
            .iter()
            .filter(|id| !self.voters.contains(id));
        let mut voters: Vec<NodeId> = self.voters.iter().chain(outgoing_only).copied().collect();
        voters.sort_unstable();
        voters.into_iter().chain(self.learners.iter().copied())
    }

    /// Whether `id` is a voter (of either half) or a learner.
    #[must_use]
    pub fn contains(&self, id: NodeId) -> bool {
        self.voters.contains(&id)
            || self.voters_outgoing.contains(&id)
            || self.learners.contains(&id)
    }
}

/// What describes a snapshot: the last entry it covers and the configuration
/// in force at that entry (Raft §7).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SnapshotMeta {
    /// The last entry the snapshot replaces.
    pub last: EntryId,
    /// The configuration as of `last`.
    pub conf: ConfState,
}

/// A snapshot: the state machine's bytes as of `meta.last`, opaque to
/// raft-core, which keeps the latest one to send to a follower that needs
/// entries the log no longer holds (InstallSnapshot, Raft §7).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Snapshot {
    /// What the snapshot covers.
    pub meta: SnapshotMeta,
    /// The state machine's bytes.
    pub data: Vec<u8>,
}

//! What crosses the boundary between raft-core and its host: the state read
//! back at start-up ([`Restored`]), the work handed out ([`Ready`]), and the
//! read-only picture of a node ([`Status`]).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::message::Message;
use crate::progress::ProgressState;
use crate::read_index::ReadState;
use crate::types::{Entry, HardState, LogIndex, NodeId, Role, Snapshot, SoftState, Term};

/// What the host read back from stable storage when the node (re)starts, as
/// braft does on boot: term and vote, the latest snapshot, the log after it.
/// `Restored::default()` is a brand-new node with an empty disk.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Restored {
    /// The last hard state persisted.
    pub hard_state: HardState,
    /// The latest snapshot, if one was taken or installed; its
    /// configuration replaces `Config::voters`. The node keeps it to send
    /// to followers that need the entries it stands for.
    pub snapshot: Option<Snapshot>,
    /// The log entries after the snapshot, contiguous.
    pub entries: Vec<Entry>,
    /// The last index the host's state machine has already applied (the
    /// snapshot's index if the state machine was rebuilt from it). Committed
    /// entries after it are handed out again to apply.
    pub applied: LogIndex,
}

/// The work the host must do, handed out by [`crate::RawNode::ready`] and
/// acknowledged with [`crate::RawNode::advance`]. One `Ready` is outstanding
/// at a time; the node may be stepped and ticked while it is.
///
/// # Ordering contract
///
/// 1. Send `messages` at any time, even before the writes below (the
///    leader's appends and heartbeats: the leader counts its own copy of an
///    entry only after `advance`, so its disk write may overlap replication,
///    Raft thesis §10.2.1, braft's parallel append).
/// 2. Persist `snapshot` (if any: the stored entries after its last entry
///    stay only if the stored entry at its index has its term — Raft
///    Figure 13, step 6 — and go otherwise), then `hard_state` and
///    `entries` — durably (fsync) if `must_sync`.
/// 3. Only then send `messages_after_persist` (votes and acknowledgements
///    promise that what they acknowledge is on disk: Raft Figure 2, "respond
///    to RPCs only after updating stable storage").
/// 4. Restore the state machine from `snapshot` (if any), apply
///    `committed_entries` in order, then call `advance`. They are all
///    persisted on this node already.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Ready {
    /// The role and leader, if they changed since the last `Ready`. Never
    /// persisted.
    pub soft_state: Option<SoftState>,
    /// Term, vote and commit, if they changed since the last `Ready`.
    /// Persist before sending `messages_after_persist`.
    pub hard_state: Option<HardState>,
    /// A snapshot the leader sent and this node installed (Raft §7): store
    /// it durably (keeping the stored entries after it only if they follow
    /// it, Figure 13 step 6), and restore the state machine from it before
    /// applying anything else.
    pub snapshot: Option<Snapshot>,
    /// Entries to append to the log on disk. If the first one's index is at
    /// or below the last index on disk, the disk's entries from that index on
    /// are stale (overwritten by a new leader) and must be discarded first.
    /// Persist before sending `messages_after_persist`.
    pub entries: Vec<Entry>,
    /// Committed entries to apply to the state machine, in order. They may
    /// include `Noop` entries, which carry nothing to apply.
    pub committed_entries: Vec<Entry>,
    /// Messages that may be sent at once (see the ordering contract).
    pub messages: Vec<Message>,
    /// Messages to send only after `hard_state` and `entries` are durable.
    pub messages_after_persist: Vec<Message>,
    /// Whether `hard_state` and `entries` must be fsynced before
    /// `messages_after_persist` go out (true when the term, the vote or the
    /// log changed; a commit-index change alone needs no sync).
    pub must_sync: bool,
    /// Reads confirmed or failed since the last `Ready` (see
    /// [`crate::RawNode::read_index`]; a host whose disk is busy takes them
    /// sooner with [`crate::RawNode::take_read_states`]). A confirmed read
    /// is served once the state machine has applied its index, whichever
    /// `Ready` applies it.
    pub read_states: Vec<ReadState>,
    /// Which `Ready` this is, so that `advance` can check it is given the
    /// outstanding one.
    pub(crate) number: u64,
}

impl Ready {
    /// Whether the host has anything to persist.
    #[must_use]
    pub fn has_writes(&self) -> bool {
        self.hard_state.is_some() || !self.entries.is_empty() || self.snapshot.is_some()
    }
}

/// The leader's view of one peer, for observability.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PeerStatus {
    /// The highest index known replicated on the peer.
    pub matched: LogIndex,
    /// The next index to send.
    pub next: LogIndex,
    /// Probe or replicate.
    pub state: ProgressState,
    /// Appends in flight.
    pub inflight: u64,
    /// Heard from since the last CheckQuorum round.
    pub recent_active: bool,
}

/// A read-only picture of a node, for hosts, tests and checkers.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Status {
    /// This node.
    pub id: NodeId,
    /// Its role.
    pub role: Role,
    /// Its current term.
    pub term: Term,
    /// Whom it voted for in `term`.
    pub vote: Option<NodeId>,
    /// The leader it follows, if any.
    pub leader: Option<NodeId>,
    /// The commit index.
    pub commit: LogIndex,
    /// The last index the host applied.
    pub applied: LogIndex,
    /// The last index the host persisted.
    pub persisted: LogIndex,
    /// The last index of the log.
    pub last_index: LogIndex,
    /// Per-peer progress, when leader (the leader's own entry included).
    pub progress: BTreeMap<NodeId, PeerStatus>,
}

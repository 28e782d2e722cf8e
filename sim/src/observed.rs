//! Facts a node reports as they happen, for the checkers: entries as they
//! are applied (by a digest of their content) and what its acknowledgements
//! claimed. Shared by the host (which reports them through its `Outbox`)
//! and the checkers (which judge them), so neither imports the other.

use raft_core::{Entry, EntryId, LogIndex, Term};
use serde::{Deserialize, Serialize};

/// An applied entry, as the checkers see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AppliedEntry {
    /// Where it was in the log.
    pub id: EntryId,
    /// A digest of its content.
    pub digest: u64,
}

/// An acknowledgement a node sent once its `Ready` was durable: the index it
/// acknowledged, the term its log held there when the acknowledgement was
/// made, and the term its disk holds there now (`None`: nothing).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AckClaim {
    /// The acknowledged index (at least 1).
    pub index: LogIndex,
    /// The term the node's log held at `index` when it acknowledged.
    pub in_memory: Option<Term>,
    /// The term the node's disk holds at `index`.
    pub on_disk: Option<Term>,
}

/// A stable digest of an entry's content, for the checkers.
#[must_use]
pub fn entry_digest(entry: &Entry) -> u64 {
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    hasher.update(&entry.term.0.to_le_bytes());
    hasher.update(&entry.index.0.to_le_bytes());
    hasher.update(&[entry.kind as u8]);
    hasher.update(&entry.data);
    hasher.digest()
}

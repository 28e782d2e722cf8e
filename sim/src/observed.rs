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
    /// A digest of the whole state machine once it was applied: every node
    /// that applies the same log holds the same state at each index, and a
    /// snapshot restored at an index must hold it too.
    pub state_digest: u64,
}

/// A snapshot a node's state machine was restored from (at boot, or when it
/// installed one the leader sent), as the checkers see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RestoredSnapshot {
    /// The last entry it covers.
    pub last: EntryId,
    /// A digest of the state machine restored from it.
    pub state_digest: u64,
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

/// The log a node's disk holds durably, as the checkers see it: the last
/// entry of its durable snapshot and the terms of the durable entries after
/// it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DurableLog {
    /// The last entry the durable snapshot covers ((0, 0) if none).
    pub snapshot: EntryId,
    /// The term of each durable entry after it (index `snapshot.index + 1`
    /// at position 0).
    pub terms: Vec<Term>,
}

impl DurableLog {
    /// The last index held (the snapshot's if no entry follows it).
    #[must_use]
    pub fn last_index(&self) -> LogIndex {
        self.snapshot.index.plus(self.terms.len() as u64)
    }

    /// The term held at `index`: the snapshot's at its index, `None` below
    /// it (the snapshot holds those entries' effect, not their terms) and
    /// beyond the end.
    #[must_use]
    pub fn term(&self, index: LogIndex) -> Option<Term> {
        if index == self.snapshot.index {
            return Some(self.snapshot.term);
        }
        let at = index.0.checked_sub(self.snapshot.index.0 + 1)?;
        self.terms.get(usize::try_from(at).ok()?).copied()
    }

    /// Whether the disk holds `entry`: in its snapshot (every entry a
    /// snapshot covers was committed, so one below its end is held if
    /// `entry` is the committed one, which the caller knows), or as a
    /// durable entry.
    #[must_use]
    pub fn holds_committed(&self, entry: EntryId) -> bool {
        entry.index < self.snapshot.index || self.term(entry.index) == Some(entry.term)
    }

    /// Durable entries of these terms from `first` on replace what the disk
    /// held there (an entry at index i replaces every entry from i on).
    pub fn write(&mut self, first: LogIndex, terms: impl IntoIterator<Item = Term>) {
        assert!(
            first > self.snapshot.index,
            "an entry written at {first}, within the durable snapshot"
        );
        let keep = first.0.saturating_sub(self.snapshot.index.0 + 1);
        self.terms
            .truncate(usize::try_from(keep).expect("a log fits in memory"));
        self.terms.extend(terms);
    }
}

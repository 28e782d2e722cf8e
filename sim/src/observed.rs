//! What nodes hand the checkers: entries as they are applied, by a digest
//! of their content. Shared by the host (which records them) and the
//! checkers (which judge them), so neither imports the other.

use raft_core::{Entry, EntryId};
use serde::{Deserialize, Serialize};

/// An applied entry, as the checkers see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AppliedEntry {
    /// Where it was in the log.
    pub id: EntryId,
    /// A digest of its content.
    pub digest: u64,
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

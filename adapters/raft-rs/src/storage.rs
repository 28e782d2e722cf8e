//! raft-rs's `Storage`: what the node reads back of its own log. The
//! simulated disk is the durable copy (the host writes each Ready to it and
//! reads it back at boot); this is the node's memory of it, as TiKV keeps an
//! entry cache in front of its engine. Plain values, no lock: the node owns
//! it (`RawNode::mut_store`).

use raft::eraftpb::{ConfState, Entry, HardState, Snapshot};
use raft::{GetEntriesContext, RaftState, Storage, StorageError};

/// The log after the latest snapshot, the hard state, the configuration,
/// and the snapshot itself (its metadata and the state machine's bytes, to
/// send to a follower that needs it).
#[derive(Clone, Debug, Default)]
pub struct LogStore {
    /// Term, vote, commit.
    pub hard_state: HardState,
    /// The configuration as of the last entry applied.
    pub conf_state: ConfState,
    /// The latest snapshot.
    pub snapshot: Snapshot,
    /// The entries after it, contiguous.
    pub entries: Vec<Entry>,
}

impl LogStore {
    fn snapshot_index(&self) -> u64 {
        self.snapshot.get_metadata().index
    }

    fn first(&self) -> u64 {
        self.snapshot_index() + 1
    }

    fn last(&self) -> u64 {
        self.snapshot_index() + self.entries.len() as u64
    }

    /// Appends `entries`, replacing what it held from the first one's index
    /// on (a new leader overwrote them).
    ///
    /// # Panics
    /// If the entries leave a gap after the log, or start inside the
    /// snapshot: raft-rs never hands out such entries.
    pub fn append(&mut self, entries: &[Entry]) {
        let Some(first) = entries.first() else { return };
        assert!(
            first.index >= self.first() && first.index <= self.last() + 1,
            "raft-rs handed out entries from {} to a log of {}..={}",
            first.index,
            self.first(),
            self.last()
        );
        let keep = usize::try_from(first.index - self.first()).expect("a log fits in memory");
        self.entries.truncate(keep);
        self.entries.extend_from_slice(entries);
    }

    /// Installs a snapshot the leader sent: raft-rs installs one only when
    /// its log does not hold the snapshot's last entry, and then drops its
    /// whole log (its `restore`), so the store does too.
    pub fn install(&mut self, snapshot: Snapshot) {
        let meta = snapshot.get_metadata();
        self.entries.clear();
        self.conf_state = meta.get_conf_state().clone();
        if self.hard_state.commit < meta.index {
            self.hard_state.commit = meta.index;
        }
        if self.hard_state.term < meta.term {
            self.hard_state.term = meta.term;
        }
        self.snapshot = snapshot;
    }

    /// Replaces the log up to `snapshot`'s index, which it covers (the
    /// host's own snapshot of its state machine).
    pub fn compact(&mut self, snapshot: Snapshot) {
        let index = snapshot.get_metadata().index;
        let drop = usize::try_from(index.saturating_sub(self.snapshot_index()))
            .expect("a log fits in memory");
        self.entries.drain(..drop.min(self.entries.len()));
        self.snapshot = snapshot;
    }

    /// The term of the entry at `index`, if held (the snapshot's last
    /// included).
    #[must_use]
    pub fn term_at(&self, index: u64) -> Option<u64> {
        if index == self.snapshot_index() {
            return Some(self.snapshot.get_metadata().term);
        }
        if index < self.first() || index > self.last() {
            return None;
        }
        let position = usize::try_from(index - self.first()).ok()?;
        self.entries.get(position).map(|e| e.term)
    }
}

impl Storage for LogStore {
    fn initial_state(&self) -> raft::Result<RaftState> {
        Ok(RaftState {
            hard_state: self.hard_state.clone(),
            conf_state: self.conf_state.clone(),
        })
    }

    fn entries(
        &self,
        low: u64,
        high: u64,
        max_size: impl Into<Option<u64>>,
        _context: GetEntriesContext,
    ) -> raft::Result<Vec<Entry>> {
        if low < self.first() {
            return Err(raft::Error::Store(StorageError::Compacted));
        }
        if high > self.last() + 1 || low > high {
            return Err(raft::Error::Store(StorageError::Unavailable));
        }
        let from = usize::try_from(low - self.first()).expect("a log fits in memory");
        let to = usize::try_from(high - self.first()).expect("a log fits in memory");
        // raft-rs's size limit: at least one entry, then while the bytes fit.
        let limit = max_size.into().unwrap_or(u64::MAX);
        let mut bytes = 0u64;
        let mut taken = Vec::new();
        for entry in &self.entries[from..to] {
            bytes += protobuf::Message::compute_size(entry) as u64;
            if !taken.is_empty() && bytes > limit {
                break;
            }
            taken.push(entry.clone());
        }
        Ok(taken)
    }

    fn term(&self, index: u64) -> raft::Result<u64> {
        if index < self.snapshot_index() {
            return Err(raft::Error::Store(StorageError::Compacted));
        }
        self.term_at(index)
            .ok_or(raft::Error::Store(StorageError::Unavailable))
    }

    fn first_index(&self) -> raft::Result<u64> {
        Ok(self.first())
    }

    fn last_index(&self) -> raft::Result<u64> {
        Ok(self.last())
    }

    fn snapshot(&self, _request_index: u64, _to: u64) -> raft::Result<Snapshot> {
        Ok(self.snapshot.clone())
    }
}

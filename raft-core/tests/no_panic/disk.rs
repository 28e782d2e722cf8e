//! A host's disk as the properties keep it, and the documented rules for a
//! state a node can restart from.

use std::collections::BTreeSet;

use raft_core::{
    ConfChange, ConfState, Entry, EntryId, EntryKind, HardState, LogIndex, NodeId, RawNode, Ready,
    Restored, Snapshot, SnapshotMeta,
};

/// What the host has written: the hard state and the log after the snapshot.
#[derive(Clone, Debug, Default)]
pub(crate) struct Disk {
    pub(crate) hard_state: HardState,
    /// The latest snapshot stored; `entries` follow it.
    pub(crate) snapshot: Option<Snapshot>,
    pub(crate) entries: Vec<Entry>,
}

impl Disk {
    /// What the host would hand back after a crash now.
    pub(crate) fn restored(&self) -> Restored {
        Restored {
            hard_state: self.hard_state.clone(),
            snapshot: self.snapshot.clone(),
            entries: self.entries.clone(),
            applied: LogIndex(0),
        }
    }

    /// The disk is a state the node can restart from, and every entry the
    /// node counts as persisted is on it, as the node holds it (a leader
    /// counts its own copy toward commitment: Raft thesis §10.2.1).
    pub(crate) fn check_against(&self, node: &RawNode, after: &str) {
        let restored = self.restored();
        assert!(
            restored_is_valid(&restored, &node.config().voters),
            "after {after}: the disk holds a state the node cannot restart from: {restored:?}"
        );
        let log = node.log();
        let disk_first = self.entries.first().map_or(LogIndex(0), |e| e.index);
        let mut index = log.first_index();
        while index <= log.persisted() {
            let on_disk = index
                .0
                .checked_sub(disk_first.0)
                .and_then(|offset| self.entries.get(offset as usize));
            assert_eq!(
                on_disk,
                log.entry(index),
                "after {after}: entry {index} counted as persisted is not on disk as in memory"
            );
            index = index.next();
        }
    }

    /// Stores a snapshot the host took and drops the log it stands for.
    pub(crate) fn compact(&mut self, meta: SnapshotMeta, data: Vec<u8>) {
        let index = meta.last.index;
        self.snapshot = Some(Snapshot { meta, data });
        self.entries.retain(|e| e.index > index);
    }

    /// Writes what `ready` asks to persist.
    pub(crate) fn persist(&mut self, ready: &Ready) {
        if let Some(snapshot) = &ready.snapshot {
            // Figure 13 step 6: the stored entries after the snapshot stay
            // only if they follow it.
            let last = snapshot.meta.last;
            if self.entries.iter().any(|e| e.id() == last) {
                self.entries.retain(|e| e.index > last.index);
            } else {
                self.entries.clear();
            }
            self.snapshot = Some(snapshot.clone());
        }
        if let Some(hs) = &ready.hard_state {
            self.hard_state = hs.clone();
        }
        if let Some(first) = ready.entries.first() {
            self.entries.retain(|e| e.index < first.index);
            self.entries.extend_from_slice(&ready.entries);
        }
    }
}

/// The documented rules for a restored state (`Restored`, `RaftLog`,
/// `RawNode::new`).
pub(crate) fn restored_is_valid(r: &Restored, bootstrap_voters: &BTreeSet<NodeId>) -> bool {
    if r.hard_state.vote == Some(NodeId(0)) {
        return false;
    }
    if r.snapshot
        .as_ref()
        .is_some_and(|s| s.meta.conf.voters.is_empty() || s.meta.conf.contains(NodeId(0)))
    {
        return false;
    }
    let base = r
        .snapshot
        .as_ref()
        .map_or(EntryId::default(), |s| s.meta.last);
    let mut last = base;
    for e in &r.entries {
        if e.index != last.index.next() || e.term < last.term {
            return false;
        }
        last = e.id();
    }
    // Each membership change follows from the configuration before it:
    // the snapshot's, or the bootstrap one.
    let mut conf = r.snapshot.as_ref().map_or_else(
        || ConfState::with_voters(bootstrap_voters.iter().copied()),
        |s| s.meta.conf.clone(),
    );
    for e in r.entries.iter().filter(|e| e.kind == EntryKind::ConfChange) {
        match ConfChange::decode(&e.data).and_then(|change| conf.changed_by(&change)) {
            Ok(next) => conf = next,
            Err(_) => return false,
        }
    }
    let commit = r.hard_state.commit;
    commit <= last.index
        && r.applied.max(base.index) <= commit.max(base.index)
        && last.term <= r.hard_state.term
}

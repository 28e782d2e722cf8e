//! Snapshots (Raft §7): the host hands over the state machine as of an
//! applied index and the log drops the entries it stands for.
//!
//! Sending a snapshot to a follower that needs a compacted entry
//! (InstallSnapshot) is not built yet: until it is, a leader sends such a
//! follower nothing (see `replication::send_append`), so a host should
//! compact only entries every follower holds.

use crate::error::Error;
use crate::raw_node::RawNode;
use crate::types::{LogIndex, SnapshotMeta};

impl RawNode {
    /// Compacts the log up to `index`: the host has written a snapshot of
    /// its state machine as of `index` durably (Raft §7: it holds what the
    /// log up to there holds), so the entries up to it are dropped. The
    /// snapshot's metadata is returned for the host to store with it and
    /// hand back through [`crate::Restored::snapshot`] on restart.
    ///
    /// # Errors
    ///
    /// [`Error::CompactBeyondApplied`] if `index` has not been applied (the
    /// snapshot could not hold it), [`Error::StaleCompaction`] if the log
    /// already starts after `index`. Neither changes the node.
    pub fn compact(&mut self, index: LogIndex) -> Result<SnapshotMeta, Error> {
        let last = self.log.compact_to(index)?;
        Ok(SnapshotMeta {
            last,
            conf: self.conf.clone(),
        })
    }
}

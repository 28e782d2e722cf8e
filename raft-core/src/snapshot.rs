//! Snapshots (Raft §7): the host hands over the state machine as of an
//! applied index and the log drops the entries it stands for; a leader
//! sends its snapshot, in chunks, to a follower that needs entries it no
//! longer holds (InstallSnapshot, Figure 13); the follower installs it only
//! if it is newer than what it has committed, and hands it to its host to
//! restore through `Ready::snapshot`.

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::membership::Configurations;
use crate::message::MessageBody;
use crate::progress::ProgressState;
use crate::raw_node::RawNode;
use crate::types::{EntryId, LogIndex, NodeId, Role, Snapshot, SnapshotMeta, Term};

/// A snapshot a follower is receiving, chunk by chunk. Volatile: a restart
/// loses it, and the leader starts the transfer over.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub(crate) struct IncomingSnapshot {
    /// The leader sending it, and its term: chunks of another transfer
    /// never mix with these.
    pub from: NodeId,
    pub term: Term,
    /// What it covers.
    pub meta: SnapshotMeta,
    /// The bytes received so far, contiguous from the start.
    pub data: Vec<u8>,
}

impl RawNode {
    /// Compacts the log up to `index`: the host has written `data`, a
    /// snapshot of its state machine as of `index`, durably (Raft §7: it
    /// holds what the log up to there holds), so the entries up to it are
    /// dropped. The node keeps the snapshot to send to followers that need
    /// the dropped entries. The snapshot's metadata is returned for the
    /// host to store with `data` and hand back through
    /// [`crate::Restored::snapshot`] on restart.
    ///
    /// # Errors
    ///
    /// [`Error::CompactBeyondApplied`] if `index` has not been applied (the
    /// snapshot could not hold it), [`Error::StaleCompaction`] if the log
    /// already starts at or after `index`. Neither changes the node.
    pub fn compact(&mut self, index: LogIndex, data: Vec<u8>) -> Result<SnapshotMeta, Error> {
        let last = self.log.compact_to(index)?;
        let meta = SnapshotMeta {
            last,
            conf: self.confs.at(index).clone(),
        };
        self.confs.compact_to(index);
        self.snapshot = Some(Snapshot {
            meta: meta.clone(),
            data,
        });
        Ok(meta)
    }

    /// The metadata a snapshot of the state machine as of `index` carries:
    /// that entry's id and the configuration in force there — not the
    /// latest, which a later change may still replace (a host writing its
    /// snapshot before calling [`compact`](Self::compact) takes it from
    /// here). `None` unless `index` is applied and still in the log (or
    /// is the log's start).
    #[must_use]
    pub fn snapshot_meta(&self, index: LogIndex) -> Option<SnapshotMeta> {
        if index > self.log.applied() {
            return None;
        }
        let term = self.log.term(index)?;
        Some(SnapshotMeta {
            last: EntryId { index, term },
            conf: self.confs.at(index).clone(),
        })
    }

    /// The latest snapshot this node holds (taken or installed), if any.
    #[must_use]
    pub fn snapshot(&self) -> Option<&Snapshot> {
        self.snapshot.as_ref()
    }

    /// The leader sends `to` the next chunk of its latest snapshot,
    /// starting the transfer over if `to` was not receiving that one.
    /// Returns whether a chunk was sent.
    pub(crate) fn send_snapshot_chunk(&mut self, to: NodeId) -> bool {
        let Some(snapshot) = self.snapshot.as_ref() else {
            return false; // nothing was compacted: appends reach everything
        };
        let last = snapshot.meta.last;
        let Some(pr) = self.progress.get_mut(&to) else {
            return false;
        };
        if pr.snapshot.is_none_or(|s| s.last != last) {
            pr.become_snapshot(last);
        }
        let acked = pr.snapshot.map_or(0, |s| s.acked_bytes);
        let len = snapshot.data.len() as u64;
        let offset = acked.min(len);
        let end = offset
            .saturating_add(self.config.max_snapshot_chunk_bytes)
            .min(len);
        let body = MessageBody::InstallSnapshot {
            meta: snapshot.meta.clone(),
            offset,
            data: snapshot.data[offset as usize..end as usize].to_vec(),
            done: end == len,
        };
        pr.probe_sent = true;
        self.send(to, body);
        true
    }

    /// InstallSnapshot receiver (Raft Figure 13).
    pub(crate) fn on_install_snapshot(
        &mut self,
        from: NodeId,
        meta: SnapshotMeta,
        offset: u64,
        data: Vec<u8>,
        done: bool,
    ) -> Result<(), Error> {
        self.follow(from, "snapshot")?;
        let committed = self.log.committed();
        let stale_allowed = self.config.rule_breaks.install_stale_snapshot;
        if meta.last.index <= committed && !(stale_allowed && meta.last.index > LogIndex(0)) {
            // Everything it covers is committed here already: answer with
            // where this log stands and ignore the data (a stale or
            // repeated transfer; the leader resumes appends from there).
            self.incoming_snapshot = None;
            let body = MessageBody::AppendResponse {
                index: committed,
                reject: None,
            };
            self.send(from, body);
            return Ok(());
        }
        let last = meta.last;
        let term = self.term;
        let received = match &self.incoming_snapshot {
            Some(i) if i.from == from && i.term == term && i.meta == meta => i.data.len() as u64,
            _ => 0,
        };
        if offset != received {
            // A chunk lost, reordered, or of a transfer this node no longer
            // holds (it restarted): say where to resume.
            self.send(from, MessageBody::SnapshotResponse { last, received });
            return Ok(());
        }
        let incoming = match self.incoming_snapshot.as_mut() {
            Some(incoming) if offset > 0 => {
                incoming.data.extend_from_slice(&data);
                incoming
            }
            // The first chunk starts the transfer (Figure 13 step 2).
            _ => self.incoming_snapshot.insert(IncomingSnapshot {
                from,
                term,
                meta,
                data,
            }),
        };
        if !done {
            let received = incoming.data.len() as u64;
            self.send(from, MessageBody::SnapshotResponse { last, received });
            return Ok(());
        }
        let IncomingSnapshot { meta, data, .. } = self.incoming_snapshot.take().expect("held");
        if self.log.contains(meta.last) {
            // The suffix kept after the snapshot (Figure 13 step 6) must
            // follow from the snapshot's configuration.
            let suffix = self.log.entries_from(meta.last.index.next());
            Configurations::new(meta.conf.clone()).check_append(meta.last.index, suffix)?;
        }
        self.install_snapshot(Snapshot { meta, data });
        let body = MessageBody::AppendResponse {
            index: last.index,
            reject: None,
        };
        self.send(from, body);
        Ok(())
    }

    /// Figure 13 steps 5-8: the snapshot replaces the log up to its index
    /// (keeping a suffix that follows it), moves commit, loads its
    /// configuration, and goes to the host to restore.
    fn install_snapshot(&mut self, snapshot: Snapshot) {
        self.log.install(snapshot.meta.last);
        self.confs = Configurations::new(snapshot.meta.conf.clone());
        self.log_changed_from(self.log.first_index());
        self.snapshot = Some(snapshot);
        self.snapshot_to_restore = true;
        // Acknowledgements not yet handed out that claim entries past the
        // snapshot would be sent before those entries are written again.
        self.retract_acks_from(self.log.snapshot().index.next());
    }

    /// The leader hears how much of a snapshot a follower holds.
    pub(crate) fn on_snapshot_response(
        &mut self,
        from: NodeId,
        last: EntryId,
        received: u64,
    ) -> Result<(), Error> {
        if self.role != Role::Leader {
            return Ok(());
        }
        let len = self
            .snapshot
            .as_ref()
            .filter(|s| s.meta.last == last)
            .map(|s| s.data.len() as u64);
        let Some(pr) = self.progress.get_mut(&from) else {
            return Ok(()); // a node no longer in the configuration
        };
        pr.recent_active = true;
        let Some(transfer) = pr.snapshot.as_mut().filter(|t| t.last == last) else {
            return Ok(()); // an answer about a transfer that is over
        };
        if len.is_some_and(|len| received > len) {
            return Err(Error::MalformedMessage(format!(
                "{from} says it received {received} bytes of a {}-byte snapshot",
                len.unwrap_or(0)
            )));
        }
        transfer.acked_bytes = received;
        transfer.progressed = true;
        pr.probe_sent = false;
        debug_assert_eq!(pr.state, ProgressState::Snapshot);
        self.send_snapshot_chunk(from);
        Ok(())
    }
}

/// Rejects a snapshot a correct leader of `term` cannot have sent: one that
/// ends in a later term or at an entry without a term, or whose
/// configuration has no voters or names node 0.
pub(crate) fn validate_meta(meta: &SnapshotMeta, term: Term) -> Result<(), Error> {
    let malformed = |why: String| Err(Error::MalformedMessage(why));
    if meta.last.term > term {
        return malformed(format!(
            "a snapshot ending in {} sent in {term}",
            meta.last.term
        ));
    }
    if meta.last.term == Term(0) && meta.last.index > LogIndex(0) {
        return malformed(format!(
            "a snapshot ending at {} of term 0",
            meta.last.index
        ));
    }
    if meta.conf.voters.is_empty() {
        return malformed("a snapshot whose configuration has no voters".into());
    }
    if meta.conf.contains(NodeId(0)) {
        return malformed("a snapshot whose configuration names node 0".into());
    }
    Ok(())
}

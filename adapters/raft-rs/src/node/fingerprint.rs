//! A raft-rs node's state as the model checker fingerprints it: what
//! decides its future, without its clock. raft-rs's state is opaque to the
//! checker (no node ids to relabel), so it is a digest of the fields read
//! here; states that differ only in fields left out are merged.

use super::RaftRsNode;

impl RaftRsNode {
    /// The entry ids and data digests of a slice of the log, for the
    /// fingerprints.
    fn digest_log(&self, bytes: &mut Vec<u8>) {
        for entry in &self.mirror {
            bytes.extend_from_slice(&entry.index.0.to_le_bytes());
            bytes.extend_from_slice(&entry.term.0.to_le_bytes());
            bytes.extend_from_slice(&xxhash_rust::xxh3::xxh3_64(&entry.data).to_le_bytes());
        }
    }

    /// What decides the node's future, without its clock.
    pub(super) fn protocol_bytes(&self) -> Vec<u8> {
        let raft = &self.raw.raft;
        let log = &raft.raft_log;
        let mut bytes = Vec::with_capacity(256);
        for word in [
            raft.term,
            raft.vote,
            raft.state as u64,
            raft.leader_id,
            raft.lead_transferee.unwrap_or(0),
            raft.pending_conf_index,
            log.committed,
            log.applied,
            log.persisted,
            self.mirror_base.index.0,
            self.mirror_base.term.0,
            self.outstanding.unwrap_or(0),
            self.handed_to_apply,
            raft.read_only.pending_read_count() as u64,
        ] {
            bytes.extend_from_slice(&word.to_le_bytes());
        }
        self.digest_log(&mut bytes);
        let mut progress: Vec<_> = raft.prs().iter().collect();
        progress.sort_by_key(|(id, _)| **id);
        for (id, pr) in progress {
            for word in [
                *id,
                pr.matched,
                pr.next_idx,
                pr.state as u64,
                u64::from(pr.paused),
                pr.pending_snapshot,
                u64::from(pr.recent_active),
                pr.ins.count() as u64,
            ] {
                bytes.extend_from_slice(&word.to_le_bytes());
            }
        }
        let (granted, rejected, _) = raft.prs().tally_votes();
        bytes.extend_from_slice(&(granted as u64).to_le_bytes());
        bytes.extend_from_slice(&(rejected as u64).to_le_bytes());
        for context in self.reads.keys() {
            bytes.extend_from_slice(&context.to_le_bytes());
        }
        bytes.extend_from_slice(&(raft.msgs.len() as u64).to_le_bytes());
        for m in &raft.msgs {
            bytes.extend_from_slice(&protobuf::Message::write_to_bytes(m).unwrap_or_default());
        }
        bytes
    }
}

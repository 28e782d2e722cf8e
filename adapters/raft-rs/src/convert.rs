//! raft-rs's values in raft-core's vocabulary and back: entries, hard
//! state, configuration and snapshots (lossless, so that what the simulated
//! disk holds boots the same raft-rs node again), and what a message says
//! (for the checkers, the trace and the scenario verbs; lossy, the bytes
//! travel beside it).

use std::collections::BTreeSet;

use raft::eraftpb::{self, EntryType, MessageType};
use raft_core::{
    ConfState, Entry, EntryId, EntryKind, HardState, LogIndex, Message, MessageBody, NodeId,
    RejectHint, Snapshot, SnapshotMeta, Term,
};

/// raft-rs's "nobody" (no vote, no leader).
const NOBODY: u64 = 0;

/// An entry in raft-core's vocabulary. raft-rs's empty normal entry (a new
/// leader's, §5.4.2) is a no-op; a membership change keeps raft-rs's
/// encoding in `data` and its version in the kind.
#[must_use]
pub fn entry(e: &eraftpb::Entry) -> Entry {
    let kind = kind_of(e);
    let mut data = e.data.to_vec();
    if kind == EntryKind::ConfChange {
        // The version, so that the entry converts back as it was.
        data.push(u8::from(e.get_entry_type() == EntryType::EntryConfChangeV2));
    }
    Entry {
        term: Term(e.term),
        index: LogIndex(e.index),
        kind,
        data,
    }
}

/// An entry back in raft-rs's vocabulary (the inverse of [`entry`]).
#[must_use]
pub fn entry_back(e: &Entry) -> eraftpb::Entry {
    let mut out = eraftpb::Entry {
        term: e.term.0,
        index: e.index.0,
        ..Default::default()
    };
    match e.kind {
        EntryKind::Normal | EntryKind::Noop => {
            out.set_entry_type(EntryType::EntryNormal);
            out.data = e.data.clone().into();
        }
        EntryKind::ConfChange => {
            let (version, data) = e.data.split_last().unwrap_or((&0, &[]));
            out.set_entry_type(if *version == 1 {
                EntryType::EntryConfChangeV2
            } else {
                EntryType::EntryConfChange
            });
            out.data = data.to_vec().into();
        }
    }
    out
}

/// What an entry carries, in raft-core's kinds.
fn kind_of(e: &eraftpb::Entry) -> EntryKind {
    match e.get_entry_type() {
        EntryType::EntryNormal if e.data.is_empty() => EntryKind::Noop,
        EntryType::EntryNormal => EntryKind::Normal,
        EntryType::EntryConfChange | EntryType::EntryConfChangeV2 => EntryKind::ConfChange,
    }
}

/// The same entry with its data left out: what a message's description
/// needs.
fn entry_id_only(e: &eraftpb::Entry) -> Entry {
    Entry {
        term: Term(e.term),
        index: LogIndex(e.index),
        kind: kind_of(e),
        data: Vec::new(),
    }
}

/// A node id, `None` for raft-rs's 0.
#[must_use]
pub fn node(id: u64) -> Option<NodeId> {
    (id != NOBODY).then_some(NodeId(id))
}

/// Hard state in raft-core's vocabulary.
#[must_use]
pub fn hard_state(hs: &eraftpb::HardState) -> HardState {
    HardState {
        term: Term(hs.term),
        vote: node(hs.vote),
        commit: LogIndex(hs.commit),
    }
}

/// Hard state back in raft-rs's.
#[must_use]
pub fn hard_state_back(hs: &HardState) -> eraftpb::HardState {
    eraftpb::HardState {
        term: hs.term.0,
        vote: hs.vote.map_or(NOBODY, |v| v.0),
        commit: hs.commit.0,
        ..Default::default()
    }
}

fn ids(ids: &[u64]) -> BTreeSet<NodeId> {
    ids.iter().map(|id| NodeId(*id)).collect()
}

/// A configuration in raft-core's vocabulary.
#[must_use]
pub fn conf_state(cs: &eraftpb::ConfState) -> ConfState {
    ConfState {
        voters: ids(&cs.voters),
        voters_outgoing: ids(&cs.voters_outgoing),
        learners: ids(&cs.learners)
            .union(&ids(&cs.learners_next))
            .copied()
            .collect(),
    }
}

/// A configuration back in raft-rs's.
#[must_use]
pub fn conf_state_back(cs: &ConfState) -> eraftpb::ConfState {
    eraftpb::ConfState {
        voters: cs.voters.iter().map(|id| id.0).collect(),
        voters_outgoing: cs.voters_outgoing.iter().map(|id| id.0).collect(),
        learners: cs.learners.iter().map(|id| id.0).collect(),
        auto_leave: !cs.voters_outgoing.is_empty(),
        ..Default::default()
    }
}

/// A snapshot's metadata in raft-core's vocabulary.
#[must_use]
pub fn snapshot_meta(meta: &eraftpb::SnapshotMetadata) -> SnapshotMeta {
    SnapshotMeta {
        last: EntryId {
            index: LogIndex(meta.index),
            term: Term(meta.term),
        },
        conf: conf_state(meta.get_conf_state()),
    }
}

/// A snapshot in raft-core's vocabulary.
#[must_use]
pub fn snapshot(s: &eraftpb::Snapshot) -> Snapshot {
    Snapshot {
        meta: snapshot_meta(s.get_metadata()),
        data: s.data.to_vec(),
    }
}

/// A snapshot back in raft-rs's.
#[must_use]
pub fn snapshot_back(s: &Snapshot) -> eraftpb::Snapshot {
    let mut out = eraftpb::Snapshot {
        data: s.data.clone().into(),
        ..Default::default()
    };
    let meta = out.mut_metadata();
    meta.index = s.meta.last.index.0;
    meta.term = s.meta.last.term.0;
    meta.set_conf_state(conf_state_back(&s.meta.conf));
    out
}

/// What a raft-rs message says, in raft-core's vocabulary; `None` for the
/// messages a node sends only to itself (raft-rs's local messages), which
/// never reach the wire.
#[must_use]
pub fn described(m: &eraftpb::Message) -> Option<Message> {
    let at = |index: u64, term: u64| EntryId {
        index: LogIndex(index),
        term: Term(term),
    };
    let body = match m.get_msg_type() {
        MessageType::MsgRequestPreVote => MessageBody::PreVoteRequest {
            last_log: at(m.index, m.log_term),
        },
        MessageType::MsgRequestPreVoteResponse => {
            MessageBody::PreVoteResponse { granted: !m.reject }
        }
        MessageType::MsgRequestVote => MessageBody::VoteRequest {
            last_log: at(m.index, m.log_term),
            // raft-rs marks a transfer's vote requests in their context.
            leader_transfer: !m.context.is_empty(),
        },
        MessageType::MsgRequestVoteResponse => MessageBody::VoteResponse { granted: !m.reject },
        MessageType::MsgAppend => MessageBody::AppendEntries {
            prev: at(m.index, m.log_term),
            entries: m.entries.iter().map(entry_id_only).collect(),
            commit: LogIndex(m.commit),
        },
        MessageType::MsgAppendResponse => MessageBody::AppendResponse {
            index: LogIndex(m.index),
            reject: m.reject.then(|| RejectHint {
                probe: at(m.reject_hint, m.log_term),
            }),
        },
        MessageType::MsgHeartbeat => MessageBody::Heartbeat {
            commit: at(m.commit, 0),
            read_round: 0,
        },
        MessageType::MsgHeartbeatResponse => MessageBody::HeartbeatResponse { read_round: 0 },
        MessageType::MsgSnapshot => MessageBody::InstallSnapshot {
            meta: snapshot_meta(m.get_snapshot().get_metadata()),
            offset: 0,
            data: Vec::new(),
            done: true,
        },
        MessageType::MsgTimeoutNow => MessageBody::TimeoutNow,
        MessageType::MsgReadIndex => MessageBody::ReadIndex {
            context: read_context(m),
        },
        MessageType::MsgReadIndexResp => MessageBody::ReadIndexResponse {
            context: read_context(m),
            index: Some(LogIndex(m.index)),
        },
        MessageType::MsgHup
        | MessageType::MsgBeat
        | MessageType::MsgPropose
        | MessageType::MsgUnreachable
        | MessageType::MsgSnapStatus
        | MessageType::MsgCheckQuorum
        | MessageType::MsgTransferLeader => return None,
    };
    Some(Message {
        from: NodeId(m.from),
        to: NodeId(m.to),
        term: Term(m.term),
        body,
    })
}

/// The context a read was asked with (the host's number), from a read
/// message's first entry, where raft-rs carries it.
fn read_context(m: &eraftpb::Message) -> u64 {
    m.entries.first().map_or(0, |e| context_of(&e.data))
}

/// A read's context as raft-rs carries it (eight bytes).
#[must_use]
pub fn context_bytes(context: u64) -> Vec<u8> {
    context.to_le_bytes().to_vec()
}

/// The context back from raft-rs's bytes.
#[must_use]
pub fn context_of(bytes: &[u8]) -> u64 {
    let mut word = [0u8; 8];
    let n = bytes.len().min(8);
    word[..n].copy_from_slice(&bytes[..n]);
    u64::from_le_bytes(word)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raft_rs_entry(index: u64, kind: EntryType, data: &[u8]) -> eraftpb::Entry {
        let mut e = eraftpb::Entry {
            term: 3,
            index,
            data: data.to_vec().into(),
            ..Default::default()
        };
        e.set_entry_type(kind);
        e
    }

    #[test]
    fn entries_round_trip_and_keep_their_kind() {
        for (kind, data, expected) in [
            (EntryType::EntryNormal, &b"put"[..], EntryKind::Normal),
            (EntryType::EntryNormal, &b""[..], EntryKind::Noop),
            (
                EntryType::EntryConfChange,
                &b"v1"[..],
                EntryKind::ConfChange,
            ),
            (
                EntryType::EntryConfChangeV2,
                &b"v2"[..],
                EntryKind::ConfChange,
            ),
            (
                EntryType::EntryConfChangeV2,
                &b""[..],
                EntryKind::ConfChange,
            ),
        ] {
            let original = raft_rs_entry(7, kind, data);
            let ours = entry(&original);
            assert_eq!(
                (ours.index, ours.term, ours.kind),
                (LogIndex(7), Term(3), expected)
            );
            assert_eq!(entry_back(&ours), original, "{kind:?} {data:?}");
            // A message's description keeps the kind, not the data.
            let described = entry_id_only(&original);
            assert_eq!((described.kind, described.data.len()), (expected, 0));
        }
    }

    #[test]
    fn hard_state_configuration_and_snapshot_round_trip() {
        let hs = HardState {
            term: Term(4),
            vote: Some(NodeId(2)),
            commit: LogIndex(9),
        };
        assert_eq!(hard_state(&hard_state_back(&hs)), hs);
        let none = HardState::default();
        assert_eq!(hard_state_back(&none).vote, 0);
        assert_eq!(hard_state(&hard_state_back(&none)), none);
        let ids = |ns: &[u64]| ns.iter().map(|n| NodeId(*n)).collect();
        let joint = ConfState {
            voters: ids(&[1, 4, 5]),
            voters_outgoing: ids(&[1, 2, 3]),
            learners: ids(&[6]),
        };
        let back = conf_state_back(&joint);
        assert!(back.auto_leave, "a joint configuration leaves on its own");
        assert_eq!(conf_state(&back), joint);
        let simple = ConfState::with_voters([1, 2, 3].map(NodeId));
        assert!(!conf_state_back(&simple).auto_leave);
        let snap = Snapshot {
            meta: SnapshotMeta {
                last: EntryId {
                    index: LogIndex(12),
                    term: Term(4),
                },
                conf: joint,
            },
            data: b"state machine".to_vec(),
        };
        assert_eq!(snapshot(&snapshot_back(&snap)), snap);
    }

    fn message(kind: MessageType, reject: bool) -> eraftpb::Message {
        let mut m = eraftpb::Message {
            from: 1,
            to: 2,
            term: 5,
            index: 8,
            log_term: 4,
            commit: 6,
            reject,
            reject_hint: 3,
            ..Default::default()
        };
        m.set_msg_type(kind);
        m
    }

    #[test]
    fn messages_are_described_in_raft_cores_terms() {
        let body = |kind, reject| described(&message(kind, reject)).expect("on the wire").body;
        for reject in [false, true] {
            assert_eq!(
                body(MessageType::MsgRequestPreVoteResponse, reject),
                MessageBody::PreVoteResponse { granted: !reject }
            );
            assert_eq!(
                body(MessageType::MsgRequestVoteResponse, reject),
                MessageBody::VoteResponse { granted: !reject }
            );
        }
        assert_eq!(
            body(MessageType::MsgAppendResponse, false),
            MessageBody::AppendResponse {
                index: LogIndex(8),
                reject: None
            }
        );
        assert_eq!(
            body(MessageType::MsgAppendResponse, true),
            MessageBody::AppendResponse {
                index: LogIndex(8),
                reject: Some(RejectHint {
                    probe: EntryId {
                        index: LogIndex(3),
                        term: Term(4)
                    }
                })
            }
        );
        assert_eq!(
            body(MessageType::MsgRequestVote, false),
            MessageBody::VoteRequest {
                last_log: EntryId {
                    index: LogIndex(8),
                    term: Term(4)
                },
                leader_transfer: false
            }
        );
        let mut read = message(MessageType::MsgReadIndex, false);
        read.entries = vec![raft_rs_entry(0, EntryType::EntryNormal, &context_bytes(42))].into();
        assert_eq!(
            described(&read).expect("on the wire").body,
            MessageBody::ReadIndex { context: 42 }
        );
        let m = described(&message(MessageType::MsgHeartbeat, false)).expect("on the wire");
        assert_eq!((m.from, m.to, m.term), (NodeId(1), NodeId(2), Term(5)));
        for local in [
            MessageType::MsgHup,
            MessageType::MsgBeat,
            MessageType::MsgPropose,
        ] {
            assert_eq!(described(&message(local, false)), None, "{local:?}");
        }
    }
}

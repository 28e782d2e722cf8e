//! Messages between nodes (Raft Figure 2's RPCs, as one-way messages).

use serde::{Deserialize, Serialize};

use crate::types::{Entry, EntryId, LogIndex, NodeId, SnapshotMeta, Term};

/// A message from one node to another. Every message carries the sender's
/// term, so that any node learns of newer terms from any message (Raft §5.1).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Message {
    /// The sender.
    pub from: NodeId,
    /// The recipient.
    pub to: NodeId,
    /// The sender's term; for a PreVote request, the term the sender would
    /// campaign in (its own term plus one), and for a granted PreVote
    /// response, that same term (Raft thesis §9.6).
    pub term: Term,
    /// What the message says.
    pub body: MessageBody,
}

/// Why a follower rejected an append, and where the leader should look next
/// (the "fast back-up" of Raft §5.3, as etcd and the 6.824 labs do it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RejectHint {
    /// The largest index of the follower's log, no greater than the rejected
    /// `prev_log_index`, whose term is at most the rejected `prev_log_term`;
    /// with its term. The leader resumes below the first entry it holds with
    /// a larger term, skipping one whole term per round trip.
    pub probe: EntryId,
}

/// The kinds of messages.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MessageBody {
    /// "Would you vote for me?" — sent without raising the sender's term
    /// (Raft thesis §9.6).
    PreVoteRequest {
        /// The sender's last log entry, for the up-to-date check (§5.4.1).
        last_log: EntryId,
    },
    /// The answer to a PreVote request.
    PreVoteResponse {
        /// Whether the vote would be granted.
        granted: bool,
    },
    /// RequestVote (Raft §5.2).
    VoteRequest {
        /// The candidate's last log entry, for the up-to-date check (§5.4.1).
        last_log: EntryId,
        /// The candidate campaigns because the leader told it to (leader
        /// transfer, thesis §3.10): voters grant it even while they hold a
        /// lease on that leader.
        leader_transfer: bool,
    },
    /// The answer to a vote request.
    VoteResponse {
        /// Whether the vote was granted.
        granted: bool,
    },
    /// AppendEntries (Raft §5.3): entries following `prev`, and the leader's
    /// commit index.
    AppendEntries {
        /// The entry just before `entries`.
        prev: EntryId,
        /// Consecutive entries starting at `prev.index + 1`; may be empty (a probe).
        entries: Vec<Entry>,
        /// The leader's commit index.
        commit: LogIndex,
    },
    /// The answer to AppendEntries.
    AppendResponse {
        /// On success, the index of the last entry the follower now holds
        /// that matches the leader's log (`prev.index + entries.len()`); on
        /// rejection, the `prev.index` that did not match.
        index: LogIndex,
        /// `None` on success; on rejection, where to resume.
        reject: Option<RejectHint>,
    },
    /// The leader's heartbeat. It carries the commit index only up to what
    /// the follower is known to hold, and the term of the entry there, so a
    /// follower commits only a prefix it has verified (Log Matching, §5.3).
    Heartbeat {
        /// `min(follower's match index, leader's commit index)`.
        commit: EntryId,
        /// The leader's newest read round (thesis §6.4): a quorum's answers
        /// to it confirm that the leader still led once every read of that
        /// round or an earlier one had been asked. 0 before any round.
        read_round: u64,
    },
    /// The answer to a heartbeat: "I am alive and follow you".
    HeartbeatResponse {
        /// The heartbeat's `read_round`, echoed.
        read_round: u64,
    },
    /// InstallSnapshot (Raft §7, Figure 13): one chunk of the leader's
    /// latest snapshot, sent to a follower that needs entries the leader's
    /// log no longer holds. Chunks go one at a time, each acknowledged.
    InstallSnapshot {
        /// What the whole snapshot covers.
        meta: SnapshotMeta,
        /// Where this chunk starts in the snapshot's data.
        offset: u64,
        /// The chunk: at most `Config::max_snapshot_chunk_bytes` bytes.
        data: Vec<u8>,
        /// Whether this is the last chunk.
        done: bool,
    },
    /// The answer to a chunk that was not the last: how many bytes of the
    /// snapshot ending at `last` the follower holds, so the leader sends
    /// from there (a lost or reordered chunk is resent; a follower that
    /// restarted answers 0 and the transfer starts over). The last chunk
    /// is answered with an `AppendResponse` for the snapshot's index.
    SnapshotResponse {
        /// The snapshot's last entry.
        last: EntryId,
        /// The bytes received, contiguous from the start.
        received: u64,
    },
    /// "Your term is stale": the answer to an append or heartbeat from an
    /// earlier term, carrying only the newer term (in `Message::term`), so
    /// that a deposed leader steps down even when the newer node's vote
    /// requests are ignored under its lease. It acknowledges nothing.
    StaleTerm,
    /// "Campaign now": the leader hands leadership to the recipient, whose
    /// log it has brought up to date (leader transfer, thesis §3.10).
    TimeoutNow,
    /// A follower asks its leader to confirm a read (thesis §6.4, follower
    /// reads): the leader answers with the index the read may be served at.
    ReadIndex {
        /// The follower's name for the read, echoed in the answer.
        context: u64,
    },
    /// The leader's answer to `ReadIndex`.
    ReadIndexResponse {
        /// The `context` of the request.
        context: u64,
        /// The leader's commit index when the read was asked, once a quorum
        /// confirmed its leadership; `None` if it refused (it does not
        /// lead, or holds too many reads already).
        index: Option<LogIndex>,
    },
}

impl MessageBody {
    /// A short name for the kind, as used in traces and scenario files.
    #[must_use]
    pub fn kind_name(&self) -> &'static str {
        match self {
            MessageBody::PreVoteRequest { .. } => "prevote",
            MessageBody::PreVoteResponse { .. } => "prevote-resp",
            MessageBody::VoteRequest { .. } => "vote",
            MessageBody::VoteResponse { .. } => "vote-resp",
            MessageBody::AppendEntries { .. } => "append",
            MessageBody::AppendResponse { .. } => "append-resp",
            MessageBody::Heartbeat { .. } => "heartbeat",
            MessageBody::HeartbeatResponse { .. } => "heartbeat-resp",
            MessageBody::InstallSnapshot { .. } => "snapshot",
            MessageBody::SnapshotResponse { .. } => "snapshot-resp",
            MessageBody::StaleTerm => "stale-term",
            MessageBody::TimeoutNow => "timeout-now",
            MessageBody::ReadIndex { .. } => "read-index",
            MessageBody::ReadIndexResponse { .. } => "read-index-resp",
        }
    }

    /// Whether this is a leader's replication message, which the leader may
    /// send before its own copy of the log is durable (Raft thesis §10.2.1).
    #[must_use]
    pub fn is_leader_replication(&self) -> bool {
        matches!(
            self,
            MessageBody::AppendEntries { .. }
                | MessageBody::Heartbeat { .. }
                | MessageBody::InstallSnapshot { .. }
        )
    }

    /// Whether this may be sent before the sender's pending write is
    /// durable: it promises nothing the disk must back. A leader's
    /// replication (the leader counts its own copy only once written); a
    /// leader's answer to a read (the index it names is committed, so
    /// durable on a quorum already); a follower's heartbeat answer (it
    /// acknowledges no entry: it says the follower was in the leader's term
    /// when it answered, which a later crash does not undo; etcd sends it
    /// at once too) and its read request (whose answer counts only while
    /// it follows that leader in that term).
    #[must_use]
    pub fn leaves_before_persist(&self) -> bool {
        self.is_leader_replication()
            || matches!(
                self,
                MessageBody::HeartbeatResponse { .. }
                    | MessageBody::ReadIndex { .. }
                    | MessageBody::ReadIndexResponse { .. }
            )
    }
}

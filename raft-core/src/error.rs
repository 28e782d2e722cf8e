//! The crate's one error type.

use std::fmt;

use crate::types::{LogIndex, NodeId};

/// Everything that can go wrong in an operation of raft-core. Input that the
/// Raft paper says to ignore (a stale term, a duplicated response) is ignored,
/// not reported; these are the cases a caller should hear about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// The configuration is not usable; the text says which setting and why.
    InvalidConfig(String),
    /// The state read back from storage is inconsistent; the text says how.
    CorruptRestore(String),
    /// A message was addressed to another node.
    WrongRecipient {
        /// The node the message was for.
        to: NodeId,
        /// This node.
        me: NodeId,
    },
    /// A message was sent by this node to itself, or by node 0.
    InvalidSender(NodeId),
    /// A message is malformed (entries not contiguous, an index beyond what
    /// was sent, ...); the text says how. It was ignored.
    MalformedMessage(String),
    /// An append would overwrite an entry this node knows to be committed.
    /// Under correct Raft this cannot happen; the message was ignored.
    ConflictsWithCommitted {
        /// The committed index the append conflicts at.
        index: LogIndex,
    },
    /// Only the leader accepts proposals; `leader` is the node believed to be
    /// leader, if any, for the client to retry there.
    NotLeader {
        /// The leader this node knows of.
        leader: Option<NodeId>,
    },
    /// The leader holds `limit` uncommitted entries already: the proposal is
    /// refused until some commit (back-pressure instead of an unbounded log).
    TooManyUncommitted {
        /// The configured bound, `Config::max_uncommitted_entries`.
        limit: u64,
    },
    /// The node holds `limit` reads waiting already: the read is refused
    /// (back-pressure, `Config::max_pending_reads`).
    TooManyReads {
        /// The configured bound.
        limit: u64,
    },
    /// A snapshot was offered at an index the state machine has not applied
    /// yet: it cannot hold what the log up to there holds.
    CompactBeyondApplied {
        /// The index offered.
        index: LogIndex,
        /// The last index applied.
        applied: LogIndex,
    },
    /// A membership change that cannot be made from the configuration in
    /// force (thesis chapter 4), and why.
    InvalidConfChange(String),
    /// A membership change that cannot be proposed yet (another change is
    /// uncommitted, or this leader has not committed an entry of its
    /// term); the text says which. Retry later.
    ConfChangeNotNow(String),
    /// The leader is handing leadership to `to` (thesis §3.10) and takes
    /// no proposals meanwhile; retry at the new leader, or after the
    /// transfer is aborted.
    LeaderTransferring {
        /// The node leadership is being handed to.
        to: NodeId,
    },
    /// A leader transfer that cannot be made (to itself, to a learner, to
    /// a node outside the configuration), and why.
    InvalidTransfer(String),
    /// A snapshot was offered at or below the one the log already starts
    /// after: there is nothing to drop.
    StaleCompaction {
        /// The index offered.
        index: LogIndex,
        /// The index of the latest snapshot.
        snapshot: LogIndex,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidConfig(why) => write!(f, "invalid config: {why}"),
            Error::CorruptRestore(why) => write!(f, "corrupt restored state: {why}"),
            Error::WrongRecipient { to, me } => {
                write!(f, "message for {to} delivered to {me}")
            }
            Error::InvalidSender(from) => write!(f, "message from invalid sender {from}"),
            Error::MalformedMessage(why) => write!(f, "malformed message: {why}"),
            Error::ConflictsWithCommitted { index } => {
                write!(f, "append conflicts with committed entry at {index}")
            }
            Error::NotLeader { leader: Some(id) } => write!(f, "not leader (try {id})"),
            Error::NotLeader { leader: None } => write!(f, "not leader (no leader known)"),
            Error::TooManyUncommitted { limit } => {
                write!(f, "proposal dropped: {limit} entries already uncommitted")
            }
            Error::TooManyReads { limit } => {
                write!(f, "read refused: {limit} reads already waiting")
            }
            Error::CompactBeyondApplied { index, applied } => write!(
                f,
                "cannot compact up to {index}: only {applied} is applied (a snapshot holds \
                 what was applied)"
            ),
            Error::InvalidConfChange(why) => write!(f, "invalid membership change: {why}"),
            Error::ConfChangeNotNow(why) => write!(f, "membership change refused for now: {why}"),
            Error::LeaderTransferring { to } => {
                write!(
                    f,
                    "proposal dropped: leadership is being transferred to {to}"
                )
            }
            Error::InvalidTransfer(why) => write!(f, "invalid leader transfer: {why}"),
            Error::StaleCompaction { index, snapshot } => write!(
                f,
                "cannot compact up to {index}: the log already starts after {snapshot}"
            ),
        }
    }
}

impl std::error::Error for Error {}

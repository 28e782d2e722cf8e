//! raft-core: a sans-IO Raft library with a Ready/Advance interface, in the
//! style of etcd's RawNode.
//!
//! The library performs no I/O and keeps no clock: the host calls
//! [`RawNode::tick`] at a fixed interval, feeds messages to
//! [`RawNode::step`], proposes with [`RawNode::propose`], and regularly takes
//! a [`Ready`] — what to persist, send and apply — then calls
//! [`RawNode::advance`]. [`Ready`] documents the order that makes this safe.
//!
//! Implemented: leader election with randomized timeouts (Raft §5.2), PreVote
//! (thesis §9.6), CheckQuorum and the follower lease (thesis §6.2), log
//! replication with probe/replicate flow control, an inflight window and a
//! byte cap per message, fast log back-up with conflict hints (§5.3), commit
//! of current-term entries only with a no-op per term (§5.4.2, §8), the
//! leader's disk write in parallel with replication (thesis §10.2.1), log
//! compaction and InstallSnapshot in acknowledged chunks (§7, Figure 13),
//! membership changes ([`RawNode::propose_conf_change`]: one voter at once,
//! more through a joint configuration the leader leaves on its own, learners,
//! a removed leader stepping down; thesis ch. 4), leader transfer
//! ([`RawNode::transfer_leader`], thesis §3.10), and linearizable reads
//! without the log ([`RawNode::read_index`], thesis §6.4: a heartbeat round
//! a quorum answers, held until the leader has committed an entry of its
//! term; forwarded by followers; or the leader's lease, [`ReadMode`]).
//!
//! # Example
//!
//! A single-node cluster elects itself and commits a proposal:
//!
//! ```
//! use raft_core::{Config, NodeId, RawNode, Restored, Role};
//!
//! let config = Config::new(NodeId(1), [NodeId(1)]);
//! let mut node = RawNode::new(config, Restored::default()).unwrap();
//! node.campaign();
//! assert_eq!(node.role(), Role::Leader);
//! let index = node.propose(b"hello".to_vec()).unwrap();
//! let mut applied = Vec::new();
//! while node.has_ready() {
//!     let ready = node.ready();
//!     // A real host persists ready.hard_state and ready.entries here, sends
//!     // ready.messages, then ready.messages_after_persist.
//!     applied.extend(ready.committed_entries.iter().map(|e| e.index));
//!     node.advance(ready);
//! }
//! assert_eq!(applied.last(), Some(&index));
//! ```
//!
//! Architecture invariant: no clock, no I/O, no threads, no ambient
//! randomness. Election jitter comes from a generator seeded by
//! [`Config::seed`] and kept inside the node, so a node is a plain value that
//! can be cloned, hashed and serialized.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod conf_change;
mod config;
mod election;
mod error;
mod log;
mod membership;
mod message;
mod observation;
mod progress;
mod quorum;
mod raw_node;
mod read_index;
mod ready;
mod replication;
mod rng;
mod snapshot;
mod transfer;
mod types;

pub use conf_change::{CHANGES_MAX, ConfChange, ConfChangeSingle};
pub use config::Config;
#[doc(hidden)]
pub use config::RuleBreaks;
pub use error::Error;
pub use log::RaftLog;
pub use message::{Message, MessageBody, RejectHint};
pub use observation::ProtocolState;
pub use progress::ProgressState;
pub use raw_node::RawNode;
pub use read_index::{ReadFailure, ReadMode, ReadOutcome, ReadState};
pub use ready::{PeerStatus, Ready, Restored, Status};
pub use types::{
    ConfState, Entry, EntryId, EntryKind, HardState, LogIndex, NodeId, Role, Snapshot,
    SnapshotMeta, SoftState, Term,
};

/// The version of this crate.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

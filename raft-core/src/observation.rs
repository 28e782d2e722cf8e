//! The node observed from outside: its state read back (term, role, log,
//! configuration, status), its protocol state without the clock (what a
//! model checker hashes and relabels), and the invariants it asserts.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::config::Config;
use crate::log::RaftLog;
use crate::membership::Configurations;
use crate::message::Message;
use crate::progress::Progress;
use crate::raw_node::RawNode;
use crate::ready::{PeerStatus, Status};
use crate::snapshot::IncomingSnapshot;
use crate::types::{ConfState, HardState, LogIndex, NodeId, Role, SoftState, Term};

/// A node's protocol state without its clock: see
/// [`RawNode::protocol_state`]. Hash and serialize it; its fields are the
/// node's own.
#[derive(Debug, Hash, Serialize)]
pub struct ProtocolState<'a> {
    confs: &'a Configurations,
    lead_transferee: Option<NodeId>,
    term: Term,
    vote: Option<NodeId>,
    role: Role,
    leader: Option<NodeId>,
    log: &'a RaftLog,
    votes: &'a BTreeMap<NodeId, bool>,
    progress: &'a BTreeMap<NodeId, Progress>,
    replication_pending: bool,
    messages: &'a [Message],
    messages_after_persist: &'a [Message],
    reported_soft: &'a SoftState,
    reported_hard: &'a HardState,
    outstanding_ready: bool,
    outstanding_last_entry: Option<crate::types::EntryId>,
    outstanding_applied_to: Option<LogIndex>,
    snapshot: Option<&'a crate::types::SnapshotMeta>,
    incoming_snapshot: &'a Option<IncomingSnapshot>,
    snapshot_to_restore: bool,
    lease: bool,
    reads: &'a crate::read_index::Reads,
    read_lease: bool,
}

impl RawNode {
    /// This node's id.
    #[must_use]
    pub fn id(&self) -> NodeId {
        self.config.id
    }

    /// The current term.
    #[must_use]
    pub fn term(&self) -> Term {
        self.term
    }

    /// The vote cast in the current term.
    #[must_use]
    pub fn vote(&self) -> Option<NodeId> {
        self.vote
    }

    /// The current role.
    #[must_use]
    pub fn role(&self) -> Role {
        self.role
    }

    /// The leader this node follows, if known.
    #[must_use]
    pub fn leader(&self) -> Option<NodeId> {
        self.leader
    }

    /// The log, read-only.
    #[must_use]
    pub fn log(&self) -> &RaftLog {
        &self.log
    }

    /// The configuration in force: the latest in the log, committed or
    /// not (thesis §4.1).
    #[must_use]
    pub fn conf(&self) -> &ConfState {
        self.confs.latest()
    }

    /// The configuration in force once the log up to `index` is appended
    /// (`index` at or after the log's start).
    #[must_use]
    pub fn conf_at(&self, index: LogIndex) -> &ConfState {
        self.confs.at(index)
    }

    /// The settings this node runs with.
    #[must_use]
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The hard state as it is now (persisted or not).
    #[must_use]
    pub fn hard_state(&self) -> HardState {
        HardState {
            term: self.term,
            vote: self.vote,
            commit: self.log.committed(),
        }
    }

    /// The soft state as it is now.
    #[must_use]
    pub fn soft_state(&self) -> SoftState {
        SoftState {
            role: self.role,
            leader: self.leader,
        }
    }

    /// The leader's match index of every member (itself included), in id
    /// order; empty unless leader. Cheaper than [`status`](Self::status).
    pub fn matched_indexes(&self) -> impl Iterator<Item = (NodeId, LogIndex)> + '_ {
        self.progress.iter().map(|(id, pr)| (*id, pr.matched))
    }

    /// A picture of the node for observability.
    #[must_use]
    pub fn status(&self) -> Status {
        let progress = self
            .progress
            .iter()
            .map(|(id, pr)| {
                let peer = PeerStatus {
                    matched: pr.matched,
                    next: pr.next,
                    state: pr.state,
                    inflight: pr.inflights.count(),
                    recent_active: pr.recent_active,
                };
                (*id, peer)
            })
            .collect();
        Status {
            id: self.config.id,
            role: self.role,
            term: self.term,
            vote: self.vote,
            leader: self.leader,
            commit: self.log.committed(),
            applied: self.log.applied(),
            persisted: self.log.persisted(),
            last_index: self.log.last_index(),
            progress,
        }
    }

    /// Feeds the node's protocol state into `state`: everything that decides
    /// its future behaviour except its clock — the tick counters, the drawn
    /// election timeout and the jitter generator are left out (only whether
    /// the follower lease and the leader's read lease hold is kept, as
    /// flags), and so is the count of
    /// `Ready`s handed out. A model checker that fires timers as
    /// actions (instead of ticking) fingerprints nodes with this, so that
    /// states differing only in elapsed ticks are one state.
    pub fn hash_protocol_state<H: std::hash::Hasher>(&self, state: &mut H) {
        use std::hash::Hash;
        self.protocol_state().hash(state);
    }

    /// The node's protocol state as a value: what
    /// [`hash_protocol_state`](Self::hash_protocol_state) hashes, for a
    /// model checker that needs to feed it elsewhere too (through `serde`,
    /// to relabel node ids for symmetry reduction).
    #[must_use]
    pub fn protocol_state(&self) -> ProtocolState<'_> {
        ProtocolState {
            confs: &self.confs,
            lead_transferee: self.lead_transferee,
            term: self.term,
            vote: self.vote,
            role: self.role,
            leader: self.leader,
            log: &self.log,
            votes: &self.votes,
            progress: &self.progress,
            replication_pending: self.replication_pending,
            messages: &self.messages,
            messages_after_persist: &self.messages_after_persist,
            reported_soft: &self.reported_soft,
            reported_hard: &self.reported_hard,
            outstanding_ready: self.outstanding_ready.is_some(),
            outstanding_last_entry: self.outstanding_last_entry,
            outstanding_applied_to: self.outstanding_applied_to,
            // The data is the state machine's, which the host's state
            // covers; the metadata says which snapshot a leader would send.
            snapshot: self.snapshot.as_ref().map(|s| &s.meta),
            incoming_snapshot: &self.incoming_snapshot,
            snapshot_to_restore: self.snapshot_to_restore,
            // The one thing the clock decides that behaviour depends on
            // besides firing timers: whether the follower lease still holds.
            lease: self.lease_holds(),
            reads: &self.reads,
            // Likewise for a leader: whether its read lease holds.
            read_lease: self.lease_read_holds(),
        }
    }

    /// Asserts every internal invariant; a failure is a bug in raft-core.
    /// Cheap enough for tests and the simulator to call after every step.
    ///
    /// # Panics
    ///
    /// If an invariant is broken.
    pub fn assert_invariants(&self) {
        self.log.check();
        self.reads.check(self.role, self.config.max_pending_reads);
        if let Some(snapshot) = &self.snapshot {
            assert_eq!(
                snapshot.meta.last,
                self.log.snapshot(),
                "the snapshot held is not the one the log starts after"
            );
        }
        assert!(
            self.log.last_id().term <= self.term,
            "log holds a term beyond the node's term"
        );
        match self.role {
            Role::Leader => {
                assert_eq!(self.leader, Some(self.config.id), "leader not self");
                assert_eq!(
                    self.vote,
                    Some(self.config.id),
                    "leader did not vote for itself"
                );
                for (id, pr) in &self.progress {
                    assert!(pr.matched < pr.next, "progress of {id}: match >= next");
                    assert_eq!(
                        pr.snapshot.is_some(),
                        pr.state == crate::progress::ProgressState::Snapshot,
                        "progress of {id}: a snapshot transfer outside the snapshot state"
                    );
                    assert!(
                        pr.matched <= self.log.last_index(),
                        "progress of {id}: match beyond the log"
                    );
                }
            }
            Role::Candidate => {
                assert_eq!(
                    self.vote,
                    Some(self.config.id),
                    "candidate did not vote for itself"
                );
                assert!(self.progress.is_empty(), "candidate with progress");
            }
            Role::Follower | Role::PreCandidate => {
                assert!(self.progress.is_empty(), "non-leader with progress");
            }
        }
    }
}

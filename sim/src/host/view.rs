//! What the checkers may see of a host: its `NodeView` and its durable
//! state. The host builds them; the checkers never see the host itself.

use std::collections::BTreeSet;

use raft_core::{ConfState, EntryId, LogIndex, Role, Term};

use super::{Host, HostState};
use crate::checker::{DurableState, NodeView};

/// The configuration a node without memory is in: none.
static NO_CONF: ConfState = ConfState {
    voters: BTreeSet::new(),
    voters_outgoing: BTreeSet::new(),
    learners: BTreeSet::new(),
};

impl Host {
    /// The read-only picture the checkers judge.
    #[must_use]
    pub fn view(&self) -> NodeView<'_> {
        let alive = self.state != HostState::Down;
        let Some(raw) = self.node().filter(|_| alive) else {
            return NodeView {
                slot: self.slot,
                boots: self.boots,
                alive: false,
                role: Role::Follower,
                term: Term(0),
                vote: None,
                commit: LogIndex(0),
                applied: LogIndex(0),
                snapshot: EntryId::default(),
                log: &[],
                synced_snapshot: self.synced_log.snapshot.index,
                synced_term: self.synced_hard_state.term,
                synced_vote: self.synced_hard_state.vote,
                matched: Vec::new(),
                conf: &NO_CONF,
            };
        };
        NodeView {
            slot: self.slot,
            boots: self.boots,
            alive,
            role: raw.role(),
            term: raw.term(),
            vote: raw.vote(),
            commit: raw.log().committed(),
            applied: raw.log().applied(),
            snapshot: raw.log().snapshot(),
            log: raw.log().entries(),
            synced_snapshot: self.synced_log.snapshot.index,
            synced_term: self.synced_hard_state.term,
            synced_vote: self.synced_hard_state.vote,
            matched: raw.matched_indexes(),
            conf: raw.conf(),
        }
    }

    /// What the host has made durable, for the wire check.
    #[must_use]
    pub fn durable(&self) -> DurableState<'_> {
        DurableState {
            node: self.slot,
            hard_state: &self.synced_hard_state,
            last_index: self.synced_log.last_index(),
        }
    }
}

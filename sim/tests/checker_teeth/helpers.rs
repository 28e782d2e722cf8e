//! Helpers shared by the test modules.

use std::sync::LazyLock;

use raft_core::{ConfState, Entry, EntryId, EntryKind, LogIndex, NodeId, Role, Term};
use sim::checker::{Checkers, Invariant, LogChecker, NodeView, Violation};
use sim::host::{AppliedEntry, entry_digest};
pub(crate) use sim::slot::NodeSlot;

/// The configuration every view here is in: voters 1, 2 and 3.
static THREE_VOTERS: LazyLock<ConfState> =
    LazyLock::new(|| ConfState::with_voters([1, 2, 3].map(NodeId)));

/// The configuration of voters 1..=`count`.
pub(crate) fn voters(count: u64) -> ConfState {
    ConfState::with_voters((1..=count).map(NodeId))
}

/// Log checkers for `count` nodes, all of them bootstrap voters.
pub(crate) fn log_checker(count: u64) -> LogChecker {
    LogChecker::new(count as usize, voters(count))
}

/// Every checker, for `count` nodes, all of them bootstrap voters.
pub(crate) fn checkers(count: u64) -> Checkers {
    Checkers::new(count as usize, voters(count))
}

pub(crate) fn entry(index: u64, term: u64, data: &str) -> Entry {
    Entry {
        term: Term(term),
        index: LogIndex(index),
        kind: EntryKind::Normal,
        data: data.as_bytes().to_vec(),
    }
}

pub(crate) fn id(index: u64, term: u64) -> EntryId {
    EntryId {
        index: LogIndex(index),
        term: Term(term),
    }
}

/// A live follower in its first boot, in `term`, with `log`, nothing
/// committed or applied, its term durable and no vote.
pub(crate) fn view(node: usize, term: u64, log: &[Entry]) -> NodeView<'_> {
    NodeView {
        slot: NodeSlot::new(node),
        boots: 1,
        alive: true,
        role: Role::Follower,
        term: Term(term),
        vote: None,
        commit: LogIndex(0),
        applied: LogIndex(0),
        snapshot: EntryId::default(),
        log,
        synced_snapshot: LogIndex(0),
        synced_term: Term(term),
        synced_vote: None,
        matched: Vec::new(),
        conf: &THREE_VOTERS,
    }
}

/// The same node as a leader of `term`.
pub(crate) fn leader(node: usize, term: u64, log: &[Entry]) -> NodeView<'_> {
    NodeView {
        role: Role::Leader,
        vote: Some(NodeId(node as u64 + 1)),
        synced_vote: Some(NodeId(node as u64 + 1)),
        ..view(node, term, log)
    }
}

/// The node, crashed (what a checker sees of a down host).
pub(crate) fn down(
    node: usize,
    boots: u64,
    synced_term: u64,
    synced_vote: Option<u64>,
) -> NodeView<'static> {
    NodeView {
        slot: NodeSlot::new(node),
        boots,
        alive: false,
        role: Role::Follower,
        term: Term(0),
        vote: None,
        commit: LogIndex(0),
        applied: LogIndex(0),
        snapshot: EntryId::default(),
        log: &[],
        synced_snapshot: LogIndex(0),
        synced_term: Term(synced_term),
        synced_vote: synced_vote.map(NodeId),
        matched: Vec::new(),
        conf: &THREE_VOTERS,
    }
}

pub(crate) fn with_commit(view: NodeView<'_>, commit: u64) -> NodeView<'_> {
    NodeView {
        commit: LogIndex(commit),
        ..view
    }
}

pub(crate) fn applied(e: &Entry) -> AppliedEntry {
    AppliedEntry {
        id: e.id(),
        digest: entry_digest(e),
        // A state machine that is the log itself, up to the entry.
        state_digest: entry_digest(e),
    }
}

#[track_caller]
pub(crate) fn expect_violation<T: std::fmt::Debug>(
    result: Result<T, Violation>,
    invariant: Invariant,
) -> Violation {
    match result {
        Err(violation) => {
            assert_eq!(
                violation.invariant, invariant,
                "wrong invariant reported: {violation}"
            );
            assert!(!violation.message.is_empty());
            violation
        }
        Ok(value) => panic!("expected a {invariant} violation, got Ok({value:?})"),
    }
}

#[track_caller]
pub(crate) fn expect_ok<T>(result: Result<T, Violation>) -> T {
    match result {
        Ok(value) => value,
        Err(violation) => panic!("unexpected violation: {violation}"),
    }
}

/// The nodes in `indexes`' slots.
pub(crate) fn slots(indexes: &[usize]) -> Vec<NodeSlot> {
    indexes.iter().copied().map(NodeSlot::new).collect()
}

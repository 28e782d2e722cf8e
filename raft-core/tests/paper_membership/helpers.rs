//! Shorthands for membership tests.

use std::collections::BTreeSet;

use raft_core::{ConfChange, ConfChangeSingle, EntryKind, LogIndex, NodeId, RawNode};

use crate::common::{Network, id};

pub(crate) use ConfChangeSingle::{AddLearner, AddVoter, Remove};

/// Node ids as a set.
pub(crate) fn ids(ns: &[u64]) -> BTreeSet<NodeId> {
    ns.iter().map(|n| id(*n)).collect()
}

/// How a single change is made from a node id: `AddVoter`, `AddLearner`,
/// `Remove`.
pub(crate) type MakeSingle = fn(NodeId) -> ConfChangeSingle;

/// A change of the given singles, about the given node numbers.
pub(crate) fn change(singles: &[(MakeSingle, u64)]) -> ConfChange {
    ConfChange {
        changes: singles.iter().map(|(make, n)| make(id(*n))).collect(),
    }
}

/// The leader `n` proposes `change`, which it must accept; not stabilized.
pub(crate) fn propose_change(net: &mut Network, n: u64, change: &ConfChange) -> LogIndex {
    net.node_mut(n)
        .propose_conf_change(change)
        .expect("the leader accepts the change")
}

/// The membership change entries in a node's log, in order, decoded.
pub(crate) fn changes_in_log(node: &RawNode) -> Vec<(LogIndex, ConfChange)> {
    node.log()
        .entries()
        .iter()
        .filter(|e| e.kind == EntryKind::ConfChange)
        .map(|e| (e.index, ConfChange::decode(&e.data).expect("decodes")))
        .collect()
}

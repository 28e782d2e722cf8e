//! A node's slot in the simulated cluster: its place in the world's lists
//! (0-based), and the one place that turns it into raft-core's `NodeId`
//! (1-based; 0 is nobody) and into the `n1` people read. Every other file
//! speaks in slots, so no `+ 1` or `- 1` between the two numberings is
//! written anywhere else.
//!
//! A slot serializes as a serde newtype named [`NodeSlot::SERDE_NAME`]:
//! the model checker's symmetry reduction renames nodes by that type, as it
//! renames raft-core's `NodeId`s, wherever they sit in a state.

use std::fmt;

use raft_core::NodeId;
use serde::{Deserialize, Serialize};

/// A node of the simulated cluster, by its 0-based slot; its raft id is the
/// slot plus one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct NodeSlot(usize);

impl NodeSlot {
    /// The serde name of the type (what the symmetry reduction looks for).
    pub const SERDE_NAME: &'static str = "NodeSlot";

    /// The node in slot `index` (0-based).
    #[must_use]
    pub const fn new(index: usize) -> NodeSlot {
        NodeSlot(index)
    }

    /// The slot, 0-based: the node's place in the world's lists.
    #[must_use]
    pub const fn index(self) -> usize {
        self.0
    }

    /// The node's raft id (1-based).
    #[must_use]
    pub fn id(self) -> NodeId {
        NodeId(self.number())
    }

    /// The node's number as people write it (1-based; `3` in a scenario,
    /// `n3` in a message).
    #[must_use]
    pub fn number(self) -> u64 {
        self.0 as u64 + 1
    }

    /// The slot of raft id `id`; `None` for `NodeId(0)` (nobody) and for
    /// an id beyond the address space.
    #[must_use]
    pub fn of_id(id: NodeId) -> Option<NodeSlot> {
        NodeSlot::of_number(id.0)
    }

    /// The slot of the node people call `number` (1-based); `None` for 0.
    #[must_use]
    pub fn of_number(number: u64) -> Option<NodeSlot> {
        let index = number.checked_sub(1)?;
        usize::try_from(index).ok().map(NodeSlot)
    }

    /// The node after this one round the ring of `nodes` (in slot order):
    /// how a client tries the nodes in turn. This one itself if `nodes` is
    /// empty.
    #[must_use]
    pub fn next_among(self, nodes: &[NodeSlot]) -> NodeSlot {
        nodes
            .iter()
            .copied()
            .find(|n| *n > self)
            .or_else(|| nodes.first().copied())
            .unwrap_or(self)
    }

    /// Every slot of a cluster of `count` nodes, in order.
    pub fn all(count: usize) -> impl DoubleEndedIterator<Item = NodeSlot> + Clone {
        (0..count).map(NodeSlot)
    }
}

/// `n3`: the node's number after an `n`.
impl fmt::Display for NodeSlot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "n{}", self.number())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slot_is_its_raft_id_minus_one_and_reads_as_n_id() {
        let slot = NodeSlot::new(2);
        assert_eq!(slot.id(), NodeId(3));
        assert_eq!(NodeSlot::of_id(NodeId(3)), Some(slot));
        assert_eq!(NodeSlot::of_id(NodeId(0)), None);
        assert_eq!(slot.to_string(), "n3");
        assert_eq!(slot.number(), 3);
        let all: Vec<usize> = NodeSlot::all(3).map(NodeSlot::index).collect();
        assert_eq!(all, [0, 1, 2]);
    }

    #[test]
    fn a_slot_encodes_as_its_index() {
        let config = bincode::config::standard();
        let slot = bincode::serde::encode_to_vec(NodeSlot::new(4), config).expect("encodes");
        let index = bincode::serde::encode_to_vec(4usize, config).expect("encodes");
        assert_eq!(slot, index);
    }
}

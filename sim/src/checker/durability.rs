//! Durability: an entry a client saw acknowledged is never lost, across any
//! crashes. Raft keeps a committed entry in the durable logs of a quorum
//! forever, so once the live nodes that lack it form a quorum of the
//! configuration (the latest committed one), it is lost.
//! Checked when a node restarts (the only way a durable entry can vanish
//! without a truncation, which the log checkers catch) and at the end.

use raft_core::EntryId;

use super::{Invariant, LogChecker, Violation, describe_conf, is_quorum};
use crate::slot::NodeSlot;

/// The ledger of acknowledged entries.
#[derive(Clone, Debug)]
pub struct Durability {
    node_count: usize,
    acknowledged: Vec<EntryId>,
    /// Which nodes are alive, as of their last observation.
    alive: Vec<bool>,
}

impl Durability {
    /// A ledger for `node_count` nodes.
    #[must_use]
    pub fn new(node_count: usize) -> Durability {
        Durability {
            node_count,
            acknowledged: Vec::new(),
            alive: vec![true; node_count],
        }
    }

    /// Records acknowledged entries.
    pub fn acknowledged(&mut self, entries: &[EntryId]) {
        self.acknowledged.extend_from_slice(entries);
    }

    /// Records whether a node is alive.
    pub fn set_alive(&mut self, node: NodeSlot, alive: bool) {
        self.alive[node.index()] = alive;
    }

    /// Fails if some acknowledged entry is missing from a quorum of the
    /// latest committed configuration (counting only live nodes as missing
    /// it: a crashed node's disk may still hold it).
    pub fn check(&self, logs: &LogChecker) -> Result<(), Violation> {
        let conf = logs.committed_confs().latest();
        for entry in &self.acknowledged {
            let lacks = |node: NodeSlot| {
                node.index() < self.node_count
                    && self.alive[node.index()]
                    && !logs.holds(node, *entry)
            };
            if !is_quorum(conf, |id| NodeSlot::of_id(id).is_some_and(lacks)) {
                continue;
            }
            let lacking: Vec<NodeSlot> = NodeSlot::all(self.node_count)
                .filter(|n| lacks(*n) && conf.all_voters().contains(&n.id()))
                .collect();
            return Err(Violation::new(
                Invariant::Durability,
                lacking.clone(),
                format!(
                    "acknowledged entry at index {} term {} is gone from {} nodes, a quorum of {}",
                    entry.index.0,
                    entry.term.0,
                    lacking.len(),
                    describe_conf(conf)
                ),
            ));
        }
        Ok(())
    }
}

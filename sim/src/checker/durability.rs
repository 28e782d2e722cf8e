//! Durability: an entry a client saw acknowledged is never lost, across any
//! crashes. Raft keeps a committed entry in the durable logs of a majority
//! forever, so once the live nodes that lack it form a majority, it is lost.
//! Checked when a node restarts (the only way a durable entry can vanish
//! without a truncation, which the log checkers catch) and at the end.

use raft_core::EntryId;

use super::{Invariant, LogChecker, Violation};
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

    /// Fails if some acknowledged entry is missing from a majority of nodes
    /// (counting only live nodes as missing it).
    pub fn check(&self, logs: &LogChecker) -> Result<(), Violation> {
        let majority = self.node_count / 2 + 1;
        for entry in &self.acknowledged {
            let lacking: Vec<NodeSlot> = NodeSlot::all(self.node_count)
                .filter(|n| self.alive[n.index()] && !logs.holds(*n, *entry))
                .collect();
            if lacking.len() >= majority {
                return Err(Violation::new(
                    Invariant::Durability,
                    lacking.clone(),
                    format!(
                        "acknowledged entry at index {} term {} is gone from {} of {} nodes",
                        entry.index.0,
                        entry.term.0,
                        lacking.len(),
                        self.node_count
                    ),
                ));
            }
        }
        Ok(())
    }
}

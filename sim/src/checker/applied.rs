//! State Machine Safety (Raft Figure 3) at the state machine: no two nodes
//! apply different entries at one index, and each node applies its entries
//! in order, each once per boot.

use raft_core::LogIndex;

use super::{Invariant, Violation};
use crate::observed::AppliedEntry;
use crate::slot::NodeSlot;

/// The ledger of applied entries.
#[derive(Clone, Debug)]
pub struct StateMachineSafety {
    /// The digest of the entry applied at index i, at position i - 1.
    applied: Vec<u64>,
    /// The first node that applied each index (for the report).
    first_applier: Vec<NodeSlot>,
    /// Per node: (boot count, last index applied in that boot).
    last_applied: Vec<(u64, LogIndex)>,
}

impl StateMachineSafety {
    /// A ledger for `node_count` nodes.
    #[must_use]
    pub fn new(node_count: usize) -> StateMachineSafety {
        StateMachineSafety {
            applied: Vec::new(),
            first_applier: Vec::new(),
            last_applied: vec![(0, LogIndex(0)); node_count],
        }
    }

    /// Checks entries node `node` applied, in order, in its boot `boots`.
    pub fn applied(
        &mut self,
        node: NodeSlot,
        boots: u64,
        entries: &[AppliedEntry],
    ) -> Result<(), Violation> {
        let (seen_boots, mut last) = self.last_applied[node.index()];
        if seen_boots != boots {
            last = LogIndex(0); // a restarted state machine replays from the start
        }
        for applied in entries {
            let index = applied.id.index;
            if index != last.next() {
                return Err(Violation::new(
                    Invariant::StateMachineSafety,
                    vec![node],
                    format!("{} applied index {} right after {}", node, index.0, last.0),
                ));
            }
            last = index;
            let at = index.0 as usize - 1;
            if at == self.applied.len() {
                self.applied.push(applied.digest);
                self.first_applier.push(node);
            } else if self.applied[at] != applied.digest {
                let first = self.first_applier[at];
                return Err(Violation::new(
                    Invariant::StateMachineSafety,
                    vec![first, node],
                    format!(
                        "{} and {} applied different entries at index {}",
                        first, node, index.0
                    ),
                ));
            }
        }
        self.last_applied[node.index()] = (boots, last);
        Ok(())
    }
}

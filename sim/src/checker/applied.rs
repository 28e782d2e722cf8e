//! State Machine Safety (Raft Figure 3) at the state machine: no two nodes
//! apply different entries at one index, each node applies its entries in
//! order, each once per boot, and every node holds the same state at each
//! index — whether it applied the log up to there or restored a snapshot
//! taken there (a snapshot is checked against the state the committed log
//! produces at its index, Raft §7).

use raft_core::LogIndex;

use super::{Invariant, Violation};
use crate::observed::{AppliedEntry, RestoredSnapshot};
use crate::slot::NodeSlot;

/// The ledger of applied entries.
#[derive(Clone, Debug)]
pub struct StateMachineSafety {
    /// The digest of the entry applied at index i, and of the state after
    /// it, at position i - 1.
    applied: Vec<(u64, u64)>,
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

    /// Node `node`'s last applied index in its boot `boots` (a restarted
    /// state machine starts from nothing, or from a snapshot it restores).
    fn last(&self, node: NodeSlot, boots: u64) -> LogIndex {
        let (seen_boots, last) = self.last_applied[node.index()];
        if seen_boots == boots {
            last
        } else {
            LogIndex(0)
        }
    }

    /// Node `node` restored its state machine from a snapshot: it continues
    /// from the snapshot's index, whose state must be the one every node
    /// that applied the log up to there holds, and it never goes back.
    pub fn restored(
        &mut self,
        node: NodeSlot,
        boots: u64,
        restored: &RestoredSnapshot,
    ) -> Result<(), Violation> {
        let index = restored.last.index;
        let last = self.last(node, boots);
        if index <= last && last > LogIndex(0) {
            return Err(Violation::new(
                Invariant::StateMachineSafety,
                vec![node],
                format!(
                    "{} restored a snapshot at {} after applying up to {}",
                    node, index.0, last.0
                ),
            ));
        }
        let at = index.0 as usize - 1;
        match self.applied.get(at) {
            Some((_, state)) if *state != restored.state_digest => {
                let first = self.first_applier[at];
                return Err(Violation::new(
                    Invariant::StateMachineSafety,
                    vec![first, node],
                    format!(
                        "{node}'s snapshot at index {} holds another state than {first} had after applying the log up to it",
                        index.0
                    ),
                ));
            }
            Some(_) => {}
            None => {
                return Err(Violation::new(
                    Invariant::StateMachineSafety,
                    vec![node],
                    format!(
                        "{node} restored a snapshot at index {}, beyond anything any node applied",
                        index.0
                    ),
                ));
            }
        }
        self.last_applied[node.index()] = (boots, index);
        Ok(())
    }

    /// Checks entries node `node` applied, in order, in its boot `boots`.
    pub fn applied(
        &mut self,
        node: NodeSlot,
        boots: u64,
        entries: &[AppliedEntry],
    ) -> Result<(), Violation> {
        let mut last = self.last(node, boots);
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
                self.applied.push((applied.digest, applied.state_digest));
                self.first_applier.push(node);
                continue;
            }
            let (entry, state) = self.applied[at];
            let first = self.first_applier[at];
            let what = if entry != applied.digest {
                "different entries"
            } else if state != applied.state_digest {
                "the same entry but hold different states after it"
            } else {
                continue;
            };
            return Err(Violation::new(
                Invariant::StateMachineSafety,
                vec![first, node],
                format!("{} and {} applied {what} at index {}", first, node, index.0),
            ));
        }
        self.last_applied[node.index()] = (boots, last);
        Ok(())
    }
}

//! Election safety (Raft Figure 3): at most one leader per term, over the
//! whole run — a leader may crash before a rival wins the same term, so the
//! ledger keeps every term's leader, not only the current ones.

use std::collections::BTreeMap;

use raft_core::{Role, Term};

use super::{Invariant, NodeView, Violation};
use crate::slot::NodeSlot;

/// The ledger of leaders by term.
#[derive(Clone, Debug, Default)]
pub struct ElectionSafety {
    leader_of_term: BTreeMap<Term, NodeSlot>,
}

impl ElectionSafety {
    /// How many terms have had a leader.
    #[must_use]
    pub fn terms(&self) -> usize {
        self.leader_of_term.len()
    }

    /// Feeds the ledger of leaders by term into `state`, each node
    /// mapped by `relabel` (the identity, but for symmetry reduction).
    pub fn hash_history<H: std::hash::Hasher>(
        &self,
        state: &mut H,
        relabel: &dyn Fn(NodeSlot) -> NodeSlot,
    ) {
        use std::hash::Hash;
        self.leader_of_term.len().hash(state);
        for (term, node) in &self.leader_of_term {
            (term, relabel(*node)).hash(state);
        }
    }

    /// Records `view` if it leads; fails if its term had another leader.
    pub fn observe(&mut self, view: &NodeView<'_>) -> Result<(), Violation> {
        if view.role != Role::Leader {
            return Ok(());
        }
        let first = *self.leader_of_term.entry(view.term).or_insert(view.slot);
        if first != view.slot {
            return Err(Violation::new(
                Invariant::ElectionSafety,
                vec![first, view.slot],
                format!(
                    "{} and {} were both leader in term {}",
                    first, view.slot, view.term.0
                ),
            ));
        }
        Ok(())
    }
}

//! Per-node monotonicity: the term never decreases, across restarts too
//! (against what was durable at the crash, and a durable vote comes back with
//! its term: recovery loses nothing that was synced); commit and applied
//! indexes never decrease within one boot (installing a snapshot included),
//! and a restarted node's commit and applied indexes start at or above the
//! snapshot its disk held durably; a leader's match indexes never decrease
//! within its term.

use raft_core::{LogIndex, NodeId, Role, Term};

use super::{Invariant, NodeView, Violation};
use crate::slot::NodeSlot;

#[derive(Clone, Debug, Default)]
struct Seen {
    boots: u64,
    alive: bool,
    term: Term,
    synced_term: Term,
    synced_vote: Option<NodeId>,
    /// The durable snapshot's index, the floor of the next boot's indexes.
    synced_snapshot: LogIndex,
    commit: LogIndex,
    applied: LogIndex,
    leader_term: Option<Term>,
    matched: Vec<(NodeId, LogIndex)>,
}

impl Seen {
    /// Keeps the latest durable (term, vote) as the floor for the next boot.
    fn remember_synced(&mut self, view: &NodeView<'_>) {
        self.synced_snapshot = view.synced_snapshot;
        if view.synced_term > self.synced_term {
            self.synced_term = view.synced_term;
            self.synced_vote = view.synced_vote;
        } else if view.synced_term == self.synced_term && view.synced_vote.is_some() {
            self.synced_vote = view.synced_vote;
        }
    }
}

/// The ledger of what each node showed last.
#[derive(Clone, Debug)]
pub struct Monotonicity {
    seen: Vec<Seen>,
}

fn violation(node: NodeSlot, what: String) -> Violation {
    Violation::new(Invariant::Monotonicity, vec![node], what)
}

impl Monotonicity {
    /// A ledger for `node_count` nodes.
    #[must_use]
    pub fn new(node_count: usize) -> Monotonicity {
        Monotonicity {
            seen: vec![Seen::default(); node_count],
        }
    }

    /// Checks the node against what it showed last. Returns whether it has
    /// restarted since.
    pub fn observe(&mut self, view: &NodeView<'_>) -> Result<bool, Violation> {
        let node = view.slot;
        let seen = &mut self.seen[node.index()];
        let restarted = view.boots != seen.boots;
        if !view.alive {
            seen.alive = false;
            seen.remember_synced(view);
            return Ok(false);
        }
        if restarted {
            // What was durable before the crash is the floor for this boot.
            let floor = seen.synced_term;
            if view.term < floor {
                return Err(violation(
                    node,
                    format!(
                        "{} restarted in term {} though term {} was durable",
                        node, view.term.0, floor.0
                    ),
                ));
            }
            if view.term == floor && seen.synced_vote.is_some() && view.vote != seen.synced_vote {
                return Err(violation(
                    node,
                    format!(
                        "{} restarted in term {} without its durable vote for {}",
                        node,
                        floor.0,
                        seen.synced_vote.map_or(0, |v| v.0)
                    ),
                ));
            }
            let snapshot = seen.synced_snapshot;
            if view.commit < snapshot || view.applied < snapshot {
                return Err(violation(
                    node,
                    format!(
                        "{} restarted with commit {} and applied {} though its durable snapshot covers {}",
                        node, view.commit.0, view.applied.0, snapshot.0
                    ),
                ));
            }
            seen.commit = LogIndex(0);
            seen.applied = LogIndex(0);
            seen.leader_term = None;
        } else if seen.alive {
            for (name, before, now) in [
                ("term", seen.term.0, view.term.0),
                ("commit index", seen.commit.0, view.commit.0),
                ("applied index", seen.applied.0, view.applied.0),
            ] {
                if now < before {
                    return Err(violation(
                        node,
                        format!("{node}'s {name} went from {before} back to {now}"),
                    ));
                }
            }
        }
        if view.role == Role::Leader {
            if seen.leader_term == Some(view.term) {
                // By peer: a membership change adds and removes peers (one
                // added anew starts from nothing).
                let matched_before = |peer| seen.matched.iter().find(|(p, _)| *p == peer);
                for (peer, now) in &view.matched {
                    let Some((_, before)) = matched_before(*peer) else {
                        continue;
                    };
                    if now < before {
                        return Err(violation(
                            node,
                            format!(
                                "leader {}'s match index for {peer} went from {} back to {}",
                                node, before.0, now.0
                            ),
                        ));
                    }
                }
            }
            seen.leader_term = Some(view.term);
            seen.matched.clone_from(&view.matched);
        } else {
            seen.leader_term = None;
        }
        seen.boots = view.boots;
        seen.alive = true;
        seen.term = view.term;
        seen.remember_synced(view);
        seen.commit = view.commit;
        seen.applied = view.applied;
        Ok(restarted)
    }
}

//! Membership as the checkers see it: the configurations the run's
//! committed log leads to from the bootstrap one (thesis ch. 4), quorums
//! counted in a configuration, and the leader's rule for proposing a
//! change. The arithmetic is the checkers'
//! own, apart from raft-core's: a bug in one is not hidden by the other.

use raft_core::{ConfChange, ConfState, Entry, EntryKind, LogIndex, NodeId, Role, Term};

use super::{Invariant, NodeView, Violation};

/// The configurations of the run's committed log.
#[derive(Clone, Debug)]
pub struct CommittedConfs {
    bootstrap: ConfState,
    /// Each committed change entry's index with the configuration it leads
    /// to, in index order.
    changes: Vec<(LogIndex, ConfState)>,
}

impl CommittedConfs {
    /// Only the bootstrap configuration, before anything committed.
    #[must_use]
    pub fn new(bootstrap: ConfState) -> CommittedConfs {
        CommittedConfs {
            bootstrap,
            changes: Vec::new(),
        }
    }

    /// How many committed changes there are.
    #[must_use]
    pub fn changes(&self) -> usize {
        self.changes.len()
    }

    /// The latest committed configuration.
    #[must_use]
    pub fn latest(&self) -> &ConfState {
        self.changes.last().map_or(&self.bootstrap, |(_, c)| c)
    }

    /// The configuration once the committed log up to `index` is in force.
    #[must_use]
    pub fn at(&self, index: LogIndex) -> &ConfState {
        self.changes
            .iter()
            .rev()
            .find(|(at, _)| *at <= index)
            .map_or(&self.bootstrap, |(_, c)| c)
    }

    /// `entry` joined the committed prefix (entries arrive in index
    /// order). A membership change must follow from the configuration
    /// before it; the error says why it cannot.
    pub fn committed(&mut self, entry: &Entry) -> Result<(), String> {
        if entry.kind != EntryKind::ConfChange {
            return Ok(());
        }
        let next = ConfChange::decode(&entry.data)
            .and_then(|change| self.latest().changed_by(&change))
            .map_err(|err| format!("committed entry {}: {err}", entry.index))?;
        self.changes.push((entry.index, next));
        Ok(())
    }
}

/// Whether the nodes for which `holds` is true make a quorum of `conf`: a
/// majority of its voters, and while joint a majority of the outgoing
/// voters too (thesis §4.3).
pub fn is_quorum(conf: &ConfState, holds: impl Fn(NodeId) -> bool) -> bool {
    let majority_of = |voters: &std::collections::BTreeSet<NodeId>| {
        let count = voters.iter().filter(|id| holds(**id)).count();
        !voters.is_empty() && count > voters.len() / 2
    };
    majority_of(&conf.voters) && (!conf.is_joint() || majority_of(&conf.voters_outgoing))
}

#[cfg(test)]
mod tests {
    use super::*;
    use raft_core::{ConfChangeSingle, Term};

    fn conf_entry(index: u64, change: &[ConfChangeSingle]) -> Entry {
        Entry {
            term: Term(1),
            index: LogIndex(index),
            kind: EntryKind::ConfChange,
            data: ConfChange {
                changes: change.to_vec(),
            }
            .encode(),
        }
    }

    #[test]
    fn quorums_count_voters_only_and_both_halves_while_joint() {
        let ids = |ns: &[u64]| ns.iter().map(|n| NodeId(*n)).collect();
        let mut conf = ConfState::with_voters([1, 2, 3].map(NodeId));
        conf.learners.insert(NodeId(4));
        let has = |set: Vec<u64>| move |id: NodeId| set.contains(&id.0);
        assert!(is_quorum(&conf, has(vec![1, 2])));
        assert!(!is_quorum(&conf, has(vec![1, 4])), "a learner counted");
        let joint = ConfState {
            voters: ids(&[1, 4, 5]),
            voters_outgoing: ids(&[1, 2, 3]),
            learners: Default::default(),
        };
        assert!(!is_quorum(&joint, has(vec![1, 4, 5])), "one half alone");
        assert!(is_quorum(&joint, has(vec![1, 2, 4])));
    }

    #[test]
    fn committed_changes_lead_from_the_bootstrap_and_impossible_ones_are_errors() {
        let mut confs = CommittedConfs::new(ConfState::with_voters([1, 2, 3].map(NodeId)));
        confs
            .committed(&conf_entry(3, &[ConfChangeSingle::AddVoter(NodeId(4))]))
            .unwrap();
        assert_eq!(confs.at(LogIndex(2)).voters.len(), 3);
        assert_eq!(confs.at(LogIndex(3)).voters.len(), 4);
        let leave = conf_entry(5, &[]);
        assert!(
            confs.committed(&leave).is_err(),
            "leaving a joint that is not"
        );
    }
}

/// The leader's rule for proposing a membership change (thesis §4.1, with
/// the fix Ongaro posted in 2015): a leader appends a change only once the
/// configuration it is in is committed (one change at a time) and it has
/// committed an entry of its own term (else a change committed by an
/// earlier leader may be unknown to it, and two changes from one
/// configuration make majorities that do not overlap). Checked on each
/// leader's log, for each change entry of its own term it appends.
#[derive(Clone, Debug)]
pub struct ChangeRule {
    /// Per node, while it leads: its term and the last index of its log
    /// already looked at.
    looked: Vec<Option<(Term, LogIndex)>>,
}

impl ChangeRule {
    /// The rule for `node_count` nodes.
    #[must_use]
    pub fn new(node_count: usize) -> ChangeRule {
        ChangeRule {
            looked: vec![None; node_count],
        }
    }

    /// Looks at the change entries a leader appended since it was last seen.
    pub fn observe(&mut self, view: &NodeView<'_>) -> Result<(), Violation> {
        let node = view.slot.index();
        if view.role != Role::Leader {
            self.looked[node] = None;
            return Ok(());
        }
        let first = view.snapshot.index.next();
        let from = match self.looked[node] {
            Some((term, looked)) if term == view.term => looked.next().max(first),
            _ => first,
        };
        let last = view.snapshot.index.plus(view.log.len() as u64);
        self.looked[node] = Some((view.term, last));
        let at = |index: LogIndex| (index.0 - first.0) as usize;
        if from > last {
            return Ok(());
        }
        // Terms never decrease along a log: an entry of the leader's term
        // is committed iff the one at the commit index is of its term (the
        // snapshot's last entry, if the log was compacted up to there).
        let commit_term = if view.commit == view.snapshot.index {
            Some(view.snapshot.term)
        } else {
            view.commit
                .0
                .checked_sub(first.0)
                .and_then(|at| view.log.get(at as usize))
                .map(|e| e.term)
        };
        let own_term_committed = commit_term == Some(view.term);
        for entry in &view.log[at(from)..] {
            if entry.kind != EntryKind::ConfChange || entry.term != view.term {
                continue;
            }
            let earlier_change = view.log[..at(entry.index)]
                .iter()
                .rev()
                .find(|e| e.kind == EntryKind::ConfChange)
                .map(|e| e.index);
            let previous_committed = earlier_change.is_none_or(|index| view.commit >= index);
            if own_term_committed && previous_committed {
                continue;
            }
            let why = if own_term_committed {
                format!(
                    "while the change at {} was not committed (commit {})",
                    earlier_change.map_or(0, |i| i.0),
                    view.commit.0
                )
            } else {
                format!(
                    "before committing an entry of its term (commit {})",
                    view.commit.0
                )
            };
            return Err(Violation::new(
                Invariant::Membership,
                vec![view.slot],
                format!(
                    "leader {} of term {} appended a membership change at {} {why}",
                    view.slot, view.term.0, entry.index.0
                ),
            ));
        }
        Ok(())
    }
}

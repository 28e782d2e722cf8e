//! Membership operations as the drivers ask for them (thesis ch. 4,
//! §3.10): a change through the leader, retried until the committed
//! configuration shows it, or a leader transfer; and a change in the
//! scenario language's words, for traces and exported scenarios.

use raft_core::{ConfChange, ConfChangeSingle, ConfState, NodeId};
use serde::{Deserialize, Serialize};

use crate::slot::NodeSlot;

/// What an operator asks of the cluster.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MembershipOp {
    /// A membership change through whoever leads, retried (through
    /// refusals, elections and lost entries) until the committed
    /// configuration reflects it.
    Change(ConfChange),
    /// Hand leadership to this node: one attempt, once a leader is known.
    TransferLeader(NodeSlot),
}

impl MembershipOp {
    /// The nodes a change adds (voters or learners): a node that never ran
    /// starts, with an empty disk, when the change is asked for.
    pub fn added(&self) -> impl Iterator<Item = NodeSlot> + '_ {
        let changes = match self {
            MembershipOp::Change(change) => change.changes.as_slice(),
            MembershipOp::TransferLeader(_) => &[],
        };
        added_by(changes)
    }
}

/// The nodes `changes` add as voters or learners.
pub fn added_by(changes: &[ConfChangeSingle]) -> impl Iterator<Item = NodeSlot> + '_ {
    changes.iter().filter_map(|single| match single {
        ConfChangeSingle::AddVoter(id) | ConfChangeSingle::AddLearner(id) => NodeSlot::of_id(*id),
        ConfChangeSingle::Remove(_) => None,
    })
}

/// Whether `conf` shows `change` done: not joint, every node added as a
/// voter a voter, every learner a learner, every node removed gone.
#[must_use]
pub fn reflected(change: &ConfChange, conf: &ConfState) -> bool {
    !conf.is_joint()
        && change.changes.iter().all(|single| match *single {
            ConfChangeSingle::AddVoter(id) => conf.voters.contains(&id),
            ConfChangeSingle::AddLearner(id) => conf.learners.contains(&id),
            ConfChangeSingle::Remove(id) => !conf.contains(id),
        })
}

/// A change in the scenario language's words: `add 4`, `add {4,5}`,
/// `add 4 learner`, `remove 1`; a change mixing kinds (which no scenario
/// verb asks for) lists each kind, comma-separated.
#[must_use]
pub fn describe_change(change: &ConfChange) -> String {
    if change.changes.is_empty() {
        return "leave the joint configuration".into();
    }
    let of_kind = |pick: fn(&ConfChangeSingle) -> Option<NodeId>| -> Vec<u64> {
        change
            .changes
            .iter()
            .filter_map(pick)
            .map(|id| id.0)
            .collect()
    };
    let kinds = [
        (
            "add",
            "",
            of_kind(|s| matches!(s, ConfChangeSingle::AddVoter(_)).then(|| s.node())),
        ),
        (
            "add",
            " learner",
            of_kind(|s| matches!(s, ConfChangeSingle::AddLearner(_)).then(|| s.node())),
        ),
        (
            "remove",
            "",
            of_kind(|s| matches!(s, ConfChangeSingle::Remove(_)).then(|| s.node())),
        ),
    ];
    let parts: Vec<String> = kinds
        .iter()
        .filter(|(_, _, nodes)| !nodes.is_empty())
        .map(|(verb, suffix, nodes)| format!("{verb} {}{suffix}", node_set(nodes)))
        .collect();
    parts.join(", ")
}

/// Node numbers as a scenario writes a set: `4`, or `{4,5}`.
fn node_set(nodes: &[u64]) -> String {
    match nodes {
        [one] => one.to_string(),
        _ => {
            let list: Vec<String> = nodes.iter().map(ToString::to_string).collect();
            format!("{{{}}}", list.join(","))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ConfChangeSingle::{AddLearner, AddVoter, Remove};

    fn change(singles: &[ConfChangeSingle]) -> ConfChange {
        ConfChange {
            changes: singles.to_vec(),
        }
    }

    #[test]
    fn changes_read_as_scenario_lines() {
        assert_eq!(describe_change(&change(&[AddVoter(NodeId(4))])), "add 4");
        assert_eq!(
            describe_change(&change(&[AddVoter(NodeId(4)), AddVoter(NodeId(5))])),
            "add {4,5}"
        );
        assert_eq!(
            describe_change(&change(&[AddLearner(NodeId(4))])),
            "add 4 learner"
        );
        assert_eq!(
            describe_change(&change(&[AddVoter(NodeId(4)), Remove(NodeId(1))])),
            "add 4, remove 1"
        );
    }

    #[test]
    fn a_change_is_reflected_only_once_done_and_not_joint() {
        let three = ConfState::with_voters([1, 2, 3].map(NodeId));
        let add = change(&[AddVoter(NodeId(4))]);
        assert!(!reflected(&add, &three));
        let four = three.changed_by(&add).unwrap();
        assert!(reflected(&add, &four));
        let swap = change(&[AddVoter(NodeId(4)), Remove(NodeId(1))]);
        let joint = three.changed_by(&swap).unwrap();
        assert!(!reflected(&swap, &joint), "joint is not done");
        assert!(reflected(&change(&[Remove(NodeId(9))]), &three));
    }
}

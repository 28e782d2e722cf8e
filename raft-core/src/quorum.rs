//! Majority arithmetic (Raft §5.2, §5.3), and its joint form (Raft thesis
//! §4.3): while a membership change is joint, an entry commits, an election
//! is won and a leader keeps its quorum only with a majority of the
//! incoming voters and a majority of the outgoing ones. The callers count
//! through a `ConfState` and never see which form applies.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::types::{ConfState, LogIndex, NodeId};

/// The outcome of an election so far.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum VoteResult {
    /// A majority granted.
    Won,
    /// A majority refused: the election cannot be won.
    Lost,
    /// Neither yet.
    Pending,
}

/// The number of voters that make a majority of `voter_count`.
#[must_use]
pub fn majority(voter_count: usize) -> usize {
    voter_count / 2 + 1
}

/// The largest index held by a majority of each half of `conf` (the lower
/// of the two while joint), given each voter's match index (Raft §5.3: an
/// entry is committed once a majority stores it; the caller adds §5.4.2's
/// current-term check).
#[must_use]
pub fn committed_index(conf: &ConfState, matched: impl Fn(NodeId) -> LogIndex) -> LogIndex {
    LogIndex(quorum_value(conf, |id| matched(id).0))
}

/// The largest value that a majority of each half of `conf` has reached
/// (the lower of the two while joint), given each voter's value: the
/// commit rule's arithmetic, also used for the newest read round a quorum
/// acknowledged (thesis §6.4).
#[must_use]
pub fn quorum_value(conf: &ConfState, value: impl Fn(NodeId) -> u64) -> u64 {
    let incoming = majority_value(&conf.voters, &value);
    if conf.is_joint() {
        incoming.min(majority_value(&conf.voters_outgoing, &value))
    } else {
        incoming
    }
}

/// The outcome of an election among `conf`'s voters: won only if won in
/// each half, lost as soon as one half is lost.
#[must_use]
pub fn vote_result(conf: &ConfState, votes: &BTreeMap<NodeId, bool>) -> VoteResult {
    let incoming = majority_vote(&conf.voters, votes);
    if !conf.is_joint() {
        return incoming;
    }
    match (incoming, majority_vote(&conf.voters_outgoing, votes)) {
        (VoteResult::Won, VoteResult::Won) => VoteResult::Won,
        (VoteResult::Lost, _) | (_, VoteResult::Lost) => VoteResult::Lost,
        _ => VoteResult::Pending,
    }
}

/// Whether the voters for which `active` holds make a quorum of `conf`
/// (a majority of each half while joint): CheckQuorum's test.
#[must_use]
pub fn has_quorum(conf: &ConfState, active: impl Fn(NodeId) -> bool) -> bool {
    let majority_of = |voters: &BTreeSet<NodeId>| {
        voters.iter().filter(|id| active(**id)).count() >= majority(voters.len())
    };
    majority_of(&conf.voters) && (!conf.is_joint() || majority_of(&conf.voters_outgoing))
}

/// The largest value reached by a majority of `voters`.
fn majority_value(voters: &BTreeSet<NodeId>, value: &impl Fn(NodeId) -> u64) -> u64 {
    if voters.is_empty() {
        return 0;
    }
    let mut indexes: Vec<u64> = voters.iter().map(|id| value(*id)).collect();
    indexes.sort_unstable_by(|a, b| b.cmp(a));
    indexes[majority(indexes.len()) - 1]
}

/// Tallies the votes of `voters` (votes of non-voters are ignored).
fn majority_vote(voters: &BTreeSet<NodeId>, votes: &BTreeMap<NodeId, bool>) -> VoteResult {
    let needed = majority(voters.len());
    let granted = voters
        .iter()
        .filter(|id| votes.get(id) == Some(&true))
        .count();
    let refused = voters
        .iter()
        .filter(|id| votes.get(id) == Some(&false))
        .count();
    if granted >= needed {
        VoteResult::Won
    } else if refused >= needed {
        VoteResult::Lost
    } else {
        VoteResult::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(list: &[u64]) -> BTreeSet<NodeId> {
        list.iter().map(|i| NodeId(*i)).collect()
    }

    fn conf(voters: &[u64]) -> ConfState {
        ConfState::with_voters(ids(voters))
    }

    fn joint(incoming: &[u64], outgoing: &[u64]) -> ConfState {
        ConfState {
            voters_outgoing: ids(outgoing),
            ..conf(incoming)
        }
    }

    #[test]
    fn a_joint_commit_needs_a_majority_of_each_half() {
        // {1,2,3} -> {3,4,5}: 1, 2 and 3 hold 9; 4 and 5 hold 2.
        let matched = |id: NodeId| LogIndex([0, 9, 9, 9, 2, 2][id.0 as usize]);
        assert_eq!(committed_index(&conf(&[1, 2, 3]), matched), LogIndex(9));
        assert_eq!(committed_index(&conf(&[3, 4, 5]), matched), LogIndex(2));
        assert_eq!(
            committed_index(&joint(&[3, 4, 5], &[1, 2, 3]), matched),
            LogIndex(2),
            "the old majority alone commits nothing past the new one's"
        );
    }

    #[test]
    fn a_joint_election_is_won_in_both_halves_and_lost_in_either() {
        let both = joint(&[3, 4, 5], &[1, 2, 3]);
        let votes = |granted: &[u64], refused: &[u64]| {
            let mut votes = BTreeMap::new();
            for id in granted {
                votes.insert(NodeId(*id), true);
            }
            for id in refused {
                votes.insert(NodeId(*id), false);
            }
            votes
        };
        assert_eq!(
            vote_result(&both, &votes(&[1, 2, 3], &[])),
            VoteResult::Pending
        );
        assert_eq!(vote_result(&both, &votes(&[1, 3, 4], &[])), VoteResult::Won);
        assert_eq!(
            vote_result(&both, &votes(&[3, 4, 5], &[1, 2])),
            VoteResult::Lost
        );
        assert_eq!(
            vote_result(&conf(&[3, 4, 5]), &votes(&[3, 4, 5], &[1, 2])),
            VoteResult::Won
        );
    }

    #[test]
    fn a_joint_quorum_of_active_voters_needs_each_half() {
        let both = joint(&[3, 4, 5], &[1, 2, 3]);
        assert!(!has_quorum(&both, |id| id.0 >= 3), "only 3 of the old half");
        assert!(has_quorum(&both, |id| id.0 >= 2), "2 and 3, and 3, 4, 5");
        assert!(has_quorum(&conf(&[1, 2, 3]), |id| id.0 <= 2));
        assert_eq!(
            both.members().collect::<Vec<_>>(),
            [1, 2, 3, 4, 5].map(NodeId).to_vec()
        );
    }

    #[test]
    fn committed_index_is_the_majority_th_largest_match() {
        let voters = ids(&[1, 2, 3, 4, 5]);
        let matched = |id: NodeId| [0, 9, 7, 5, 3, 1][id.0 as usize];
        assert_eq!(majority_value(&voters, &matched), 5);
        let three = ids(&[1, 2, 3]);
        assert_eq!(majority_value(&three, &matched), 7);
        assert_eq!(majority_value(&ids(&[4]), &matched), 3);
    }

    #[test]
    fn a_joint_quorum_value_is_the_lower_of_the_two_halves() {
        // Read rounds answered: 1, 2, 3 at 5; 4 and 5 at 2.
        let answered = |id: NodeId| if id.0 <= 3 { 5 } else { 2 };
        assert_eq!(quorum_value(&conf(&[1, 2, 3]), answered), 5);
        assert_eq!(quorum_value(&joint(&[3, 4, 5], &[1, 2, 3]), answered), 2);
        assert_eq!(quorum_value(&joint(&[2, 3, 4], &[1, 2, 3]), answered), 5);
    }

    #[test]
    fn votes_need_a_strict_majority_and_ignore_strangers() {
        let voters = ids(&[1, 2, 3, 4]);
        let mut votes = BTreeMap::new();
        votes.insert(NodeId(1), true);
        votes.insert(NodeId(2), true);
        votes.insert(NodeId(9), true);
        assert_eq!(majority_vote(&voters, &votes), VoteResult::Pending);
        votes.insert(NodeId(3), true);
        assert_eq!(majority_vote(&voters, &votes), VoteResult::Won);
        let mut refusals = BTreeMap::new();
        for id in [2, 3, 4] {
            refusals.insert(NodeId(id), false);
        }
        assert_eq!(majority_vote(&voters, &refusals), VoteResult::Lost);
    }
}

//! Majority arithmetic (Raft §5.2, §5.3), kept apart so that joint consensus
//! (§6) can combine two majorities without touching the callers.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::types::{LogIndex, NodeId};

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

/// The largest index held by a majority of `voters`, given each voter's
/// match index (Raft §5.3: an entry is committed once a majority stores it;
/// the caller adds §5.4.2's current-term check).
#[must_use]
pub fn committed_index(
    voters: &BTreeSet<NodeId>,
    matched: impl Fn(NodeId) -> LogIndex,
) -> LogIndex {
    if voters.is_empty() {
        return LogIndex(0);
    }
    let mut indexes: Vec<LogIndex> = voters.iter().map(|id| matched(*id)).collect();
    indexes.sort_unstable_by(|a, b| b.cmp(a));
    indexes[majority(indexes.len()) - 1]
}

/// Tallies the votes of `voters` (votes of non-voters are ignored).
#[must_use]
pub fn vote_result(voters: &BTreeSet<NodeId>, votes: &BTreeMap<NodeId, bool>) -> VoteResult {
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

    #[test]
    fn committed_index_is_the_majority_th_largest_match() {
        let voters = ids(&[1, 2, 3, 4, 5]);
        let matched = |id: NodeId| LogIndex([0, 9, 7, 5, 3, 1][id.0 as usize]);
        assert_eq!(committed_index(&voters, matched), LogIndex(5));
        let three = ids(&[1, 2, 3]);
        assert_eq!(committed_index(&three, matched), LogIndex(7));
        assert_eq!(committed_index(&ids(&[4]), matched), LogIndex(3));
    }

    #[test]
    fn votes_need_a_strict_majority_and_ignore_strangers() {
        let voters = ids(&[1, 2, 3, 4]);
        let mut votes = BTreeMap::new();
        votes.insert(NodeId(1), true);
        votes.insert(NodeId(2), true);
        votes.insert(NodeId(9), true);
        assert_eq!(vote_result(&voters, &votes), VoteResult::Pending);
        votes.insert(NodeId(3), true);
        assert_eq!(vote_result(&voters, &votes), VoteResult::Won);
        let mut refusals = BTreeMap::new();
        for id in [2, 3, 4] {
            refusals.insert(NodeId(id), false);
        }
        assert_eq!(vote_result(&voters, &refusals), VoteResult::Lost);
    }
}

//! The bounds of a search: how far the explorer may go from the initial
//! state, and which of raft-core's features are on.

use crate::host::HostBugs;

/// The bounds of a search. Every bound cuts the state space the same way
/// in every search mode, so a mode changes only the order states are met.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bounds {
    /// Voters.
    pub nodes: usize,
    /// No election timer fires on a node already at this term.
    pub max_term: u64,
    /// No proposal on a leader whose log is already this long.
    pub max_log: u64,
    /// States with more messages in flight are checked but not expanded.
    pub max_msgs: usize,
    /// Messages lost, at most, along a path.
    pub max_drops: u32,
    /// Messages duplicated, at most, along a path.
    pub max_dups: u32,
    /// Crashes, at most, along a path (a crashed node may always restart).
    pub max_crashes: u32,
    /// Client proposals, at most, along a path.
    pub max_proposals: u32,
    /// Actions from the initial state, at most.
    pub max_depth: u32,
    /// raft-core's PreVote.
    pub pre_vote: bool,
    /// raft-core's CheckQuorum (and its timer as an action).
    pub check_quorum: bool,
    /// Test-only rule breaking by the hosts or by raft-core.
    pub host_bugs: HostBugs,
}

impl Default for Bounds {
    /// The bounds of a bare `raftsim check`: three nodes, two terms, a
    /// client entry, a lost message, a duplicated one and a crash, twelve
    /// actions deep — every sometimes-property is reached (a log is
    /// truncated at depth 12), in 3.4 million states, about 15 seconds on
    /// two cores.
    fn default() -> Bounds {
        Bounds {
            nodes: 3,
            max_term: 2,
            max_log: 2,
            max_msgs: 5,
            max_drops: 1,
            max_dups: 1,
            max_crashes: 1,
            max_proposals: 1,
            max_depth: 12,
            pre_vote: false,
            check_quorum: false,
            host_bugs: HostBugs::default(),
        }
    }
}

impl Bounds {
    /// Small bounds for tests and examples: `nodes` nodes, `max_term`
    /// terms, a log of two, no faults, no proposals, `max_depth` actions.
    #[must_use]
    pub fn small(nodes: usize, max_term: u64, max_depth: u32) -> Bounds {
        Bounds {
            nodes,
            max_term,
            max_log: 2,
            max_msgs: 5,
            max_drops: 0,
            max_dups: 0,
            max_crashes: 0,
            max_proposals: 0,
            max_depth,
            pre_vote: false,
            check_quorum: false,
            host_bugs: HostBugs::default(),
        }
    }
}

//! The shape of a simulated cluster and its timing: what every driver
//! builds a [`crate::world::World`] from (re-exported there).

use serde::{Deserialize, Serialize};

use crate::client::Workload;

/// The shape of a cluster and its timing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClusterSpec {
    /// Voters, ids 1..=nodes.
    pub nodes: usize,
    /// Client sessions.
    pub clients: usize,
    /// raft-core's PreVote.
    pub pre_vote: bool,
    /// raft-core's CheckQuorum.
    pub check_quorum: bool,
    /// Virtual nanoseconds per tick (before drift).
    pub tick_ns: u64,
    /// Election timeout, in ticks (randomized up to twice this).
    pub election_ticks: u64,
    /// Heartbeat interval, in ticks.
    pub heartbeat_ticks: u64,
    /// raft-core's inflight window per follower.
    pub max_inflight_msgs: u64,
    /// raft-core's byte cap per append.
    pub max_size_per_msg_bytes: u64,
    /// Disk fsync latency range.
    pub fsync_min_ns: u64,
    /// Disk fsync latency range, upper end.
    pub fsync_max_ns: u64,
    /// What clients do.
    pub workload: Workload,
    /// Test-only: rules every host breaks (see [`crate::host::HostBugs`]).
    pub host_bugs: crate::host::HostBugs,
}

impl Default for ClusterSpec {
    fn default() -> ClusterSpec {
        ClusterSpec {
            nodes: 3,
            clients: 2,
            pre_vote: true,
            check_quorum: true,
            tick_ns: 10_000_000,
            election_ticks: 15,
            heartbeat_ticks: 5,
            max_inflight_msgs: 256,
            max_size_per_msg_bytes: 1024 * 1024,
            fsync_min_ns: 100_000,
            fsync_max_ns: 2_000_000,
            workload: Workload::default(),
            host_bugs: crate::host::HostBugs::default(),
        }
    }
}

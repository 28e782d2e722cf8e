//! The shape of a simulated cluster and its timing: what every driver
//! builds a [`crate::world::World`] from (re-exported there).

use serde::{Deserialize, Serialize};

use crate::client::Workload;

/// The raft-core settings a simulated cluster runs with: the one place
/// they live (the cluster spec holds them, the swarm's fault mix draws
/// them, and [`RaftSettings::configure`] hands them to raft-core).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RaftSettings {
    /// PreVote (Raft thesis §9.6).
    pub pre_vote: bool,
    /// CheckQuorum: a leader that has not heard from a quorum for an
    /// election timeout steps down.
    pub check_quorum: bool,
    /// Election timeout, in ticks (randomized up to twice this).
    pub election_ticks: u64,
    /// Heartbeat interval, in ticks.
    pub heartbeat_ticks: u64,
    /// Appends in flight per follower.
    pub max_inflight_msgs: u64,
    /// Bytes per append (0: one entry per message).
    pub max_size_per_msg_bytes: u64,
    /// Bytes of snapshot per InstallSnapshot chunk.
    #[serde(default = "default_snapshot_chunk_bytes")]
    pub max_snapshot_chunk_bytes: u64,
}

fn default_snapshot_chunk_bytes() -> u64 {
    64 * 1024
}

impl Default for RaftSettings {
    fn default() -> RaftSettings {
        RaftSettings {
            pre_vote: true,
            check_quorum: true,
            election_ticks: 15,
            heartbeat_ticks: 5,
            max_inflight_msgs: 256,
            max_size_per_msg_bytes: 1024 * 1024,
            max_snapshot_chunk_bytes: default_snapshot_chunk_bytes(),
        }
    }
}

impl RaftSettings {
    /// Writes these settings into a raft-core configuration.
    pub fn configure(&self, config: &mut raft_core::Config) {
        config.pre_vote = self.pre_vote;
        config.check_quorum = self.check_quorum;
        config.election_ticks = self.election_ticks;
        config.heartbeat_ticks = self.heartbeat_ticks;
        config.max_inflight_msgs = self.max_inflight_msgs;
        config.max_size_per_msg_bytes = self.max_size_per_msg_bytes;
        config.max_snapshot_chunk_bytes = self.max_snapshot_chunk_bytes;
    }
}

/// The shape of a cluster and its timing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClusterSpec {
    /// Voters, ids 1..=nodes.
    pub nodes: usize,
    /// Client sessions.
    pub clients: usize,
    /// raft-core's settings (flattened: the JSON keeps one level).
    #[serde(flatten)]
    pub raft: RaftSettings,
    /// Virtual nanoseconds per tick (before drift).
    pub tick_ns: u64,
    /// Disk fsync latency range.
    pub fsync_min_ns: u64,
    /// Disk fsync latency range, upper end.
    pub fsync_max_ns: u64,
    /// What clients do.
    pub workload: Workload,
    /// Each host snapshots its state machine and compacts its log once this
    /// many entries were applied since its last snapshot (`None`: never).
    #[serde(default)]
    pub snapshot_every_entries: Option<u64>,
    /// Test-only: rules every host breaks (see [`crate::host::HostRuleBreaks`]).
    pub rule_breaks: crate::host::HostRuleBreaks,
}

impl Default for ClusterSpec {
    fn default() -> ClusterSpec {
        ClusterSpec {
            nodes: 3,
            clients: 2,
            raft: RaftSettings::default(),
            tick_ns: 10_000_000,
            fsync_min_ns: 100_000,
            fsync_max_ns: 2_000_000,
            workload: Workload::default(),
            snapshot_every_entries: None,
            rule_breaks: crate::host::HostRuleBreaks::default(),
        }
    }
}

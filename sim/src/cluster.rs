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
    /// Leaders may serve reads by their lease (raft-core's
    /// `ReadMode::LeaseBased`; only with CheckQuorum, which it needs):
    /// set when clients read by lease (`reads=lease`).
    #[serde(default)]
    pub lease_reads: bool,
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
            lease_reads: false,
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
        if self.lease_reads && self.check_quorum {
            config.read_mode = raft_core::ReadMode::LeaseBased;
        }
    }
}

/// The shape of a cluster and its timing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClusterSpec {
    /// Voters of the bootstrap configuration, ids 1..=nodes.
    pub nodes: usize,
    /// Learners of the bootstrap configuration (thesis §4.2.1), the ids
    /// after the voters.
    #[serde(default)]
    pub learners: usize,
    /// Nodes that exist but have never run, the ids after the learners: a
    /// membership change that adds one starts it with an empty disk.
    #[serde(default)]
    pub spares: usize,
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
    /// The operator shuts a node down for good once the change removing it
    /// is committed. Without PreVote and CheckQuorum a removed node that
    /// keeps timing out disrupts the cluster (Raft thesis §4.2.3: a known
    /// hazard, not a bug), so the swarm retires removed nodes then.
    #[serde(default)]
    pub retire_removed: bool,
    /// Test-only: rules every host breaks (see [`crate::host::HostRuleBreaks`]).
    pub rule_breaks: crate::host::HostRuleBreaks,
    /// The Raft implementation every node runs (raft-core unless a driver
    /// says otherwise; not part of the resolved plan's JSON).
    #[serde(skip)]
    pub sut: crate::sut::Sut,
}

impl Default for ClusterSpec {
    fn default() -> ClusterSpec {
        ClusterSpec {
            nodes: 3,
            learners: 0,
            spares: 0,
            clients: 2,
            raft: RaftSettings::default(),
            tick_ns: 10_000_000,
            fsync_min_ns: 100_000,
            fsync_max_ns: 2_000_000,
            workload: Workload::default(),
            snapshot_every_entries: None,
            retire_removed: false,
            rule_breaks: crate::host::HostRuleBreaks::default(),
            sut: crate::sut::Sut::default(),
        }
    }
}

impl ClusterSpec {
    /// Every node of the world: the bootstrap voters and learners, then
    /// the spares. The network, the checkers and every per-node table have
    /// this many slots.
    #[must_use]
    pub fn slot_count(&self) -> usize {
        self.nodes + self.learners + self.spares
    }

    /// The nodes that run from the start: the bootstrap voters and learners.
    #[must_use]
    pub fn bootstrap_count(&self) -> usize {
        self.nodes + self.learners
    }

    /// The bootstrap configuration: voters 1..=nodes, then the learners.
    #[must_use]
    pub fn bootstrap_conf(&self) -> raft_core::ConfState {
        let slots = crate::slot::NodeSlot::all(self.bootstrap_count());
        let (voters, learners): (Vec<_>, Vec<_>) = slots.partition(|s| s.index() < self.nodes);
        raft_core::ConfState {
            voters: voters.into_iter().map(crate::slot::NodeSlot::id).collect(),
            voters_outgoing: Default::default(),
            learners: learners
                .into_iter()
                .map(crate::slot::NodeSlot::id)
                .collect(),
        }
    }
}

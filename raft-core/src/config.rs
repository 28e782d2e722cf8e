//! A node's settings, validated before the node starts.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::read_index::ReadMode;
use crate::types::NodeId;

/// Settings of one node. Build it with [`Config::new`] and adjust the public
/// fields; [`crate::RawNode::new`] validates it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Config {
    /// This node's id; never 0.
    pub id: NodeId,
    /// The voters of the bootstrap configuration, in force until the log
    /// or a snapshot says otherwise (a node added later starts with the
    /// same bootstrap configuration, outside it, and learns the changes
    /// from the leader's log or snapshot).
    pub voters: BTreeSet<NodeId>,
    /// The learners of the bootstrap configuration (thesis §4.2.1): they
    /// receive the log without voting. Disjoint from `voters`.
    #[serde(default)]
    pub learners: BTreeSet<NodeId>,
    /// Ticks a follower waits without hearing from a leader before it starts
    /// an election. The actual timeout is drawn uniformly from
    /// `[election_ticks, 2 * election_ticks)` after every reset (Raft §5.2).
    pub election_ticks: u64,
    /// Ticks between a leader's heartbeats; must be below `election_ticks`.
    pub heartbeat_ticks: u64,
    /// Campaign in two phases, asking first whether an election could be won,
    /// so a node that was partitioned away does not disrupt the cluster with
    /// a raised term when it returns (Raft thesis §9.6).
    pub pre_vote: bool,
    /// A leader that has not heard from a majority within an election timeout
    /// steps down; followers that heard from a leader within the timeout
    /// ignore vote requests (leader stickiness, Raft thesis §6.2, §9.6).
    pub check_quorum: bool,
    /// At most this many append messages in flight to one follower in the
    /// replicate state (the pipelining window).
    pub max_inflight_msgs: u64,
    /// At most this many bytes of entries in one append message; one entry is
    /// always sent, however large.
    pub max_size_per_msg_bytes: u64,
    /// A leader refuses proposals while this many entries are uncommitted.
    pub max_uncommitted_entries: u64,
    /// At most this many bytes of snapshot data in one InstallSnapshot
    /// message; a larger snapshot goes in chunks, each acknowledged (Raft
    /// Figure 13's `offset` and `done`).
    pub max_snapshot_chunk_bytes: u64,
    /// A follower refuses a snapshot that would grow past this many bytes:
    /// the bound on what it buffers while a transfer is under way.
    pub max_snapshot_bytes: u64,
    /// At most this many bytes of committed entries in one `Ready` (at least
    /// one entry is always handed out).
    pub max_committed_bytes_per_ready: u64,
    /// How a leader confirms that a read it serves is not stale
    /// ([`crate::RawNode::read_index`]): a heartbeat round a quorum
    /// answers (the default), or its lease.
    #[serde(default)]
    pub read_mode: ReadMode,
    /// The clock assumption lease reads rest on: every node's clock runs
    /// within this many percent of real time (30: between 0.7x and 1.3x).
    /// A leader's lease is then `(election_ticks - 1) * (100 - d) / (100 +
    /// d)` of its own ticks from the send of a heartbeat a quorum answered:
    /// over before the lease of any follower that answered it can end
    /// (that lease lasts `election_ticks` of the follower's ticks from the
    /// heartbeat's arrival, less one tick of phase). Clocks that drift
    /// further apart make lease reads stale; ReadIndex rounds do not
    /// depend on clocks. Below 100.
    pub max_clock_drift_percent: u64,
    /// At most this many reads wait at once on a node (its own, and those
    /// its followers forwarded); more are refused.
    pub max_pending_reads: u64,
    /// Seeds the node's election-timeout jitter. Nodes of one cluster should
    /// get different seeds; the id is mixed in as well.
    pub seed: u64,
    /// Test-only: rules of Raft to break (all off by default, never set in
    /// production). They let the simulator and the model checker show that
    /// they catch a Raft that cuts a known corner.
    #[doc(hidden)]
    #[serde(default)]
    pub rule_breaks: RuleBreaks,
}

/// Rules of Raft a node can be told to break, for tests only: each is a bug
/// real implementations have shipped, and each must be caught by the
/// checkers (see `sim/tests/explore_teeth.rs` and `sim/tests/host_rule_breaks.rs`).
#[doc(hidden)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RuleBreaks {
    /// A leader commits an entry of an earlier term by counting replicas
    /// (§5.4.2 forbids it; Figure 8 shows the lost entry).
    pub commit_previous_term: bool,
    /// Votes are granted without the log up-to-date check (§5.4.1).
    pub vote_without_log_check: bool,
    /// The vote is cleared whenever the node (re)enters a role within the
    /// same term, so it can vote twice in one term (Figure 2, votedFor).
    pub reset_vote_in_same_term: bool,
    /// A follower drops every entry after an append's last entry even when
    /// they all match, so a stale, reordered append erases entries it has
    /// acknowledged (§5.3, receiver step 3: only a conflict truncates).
    pub truncate_on_match: bool,
    /// Election timeouts are drawn from eight times the configured range:
    /// every election, and every failover after a leader is lost, comes
    /// several timeouts late. Safe, and the cluster always elects in the
    /// end: only an availability check notices.
    pub slow_elections: bool,
    /// A heartbeat response does not resume a peer whose probe went
    /// unanswered (or whose window is full): one lost append stalls
    /// replication to that peer until the next election. etcd raft resumes
    /// on heartbeat responses for this reason (`MsgHeartbeatResp` clears
    /// `ProbeSent`). Safe; with enough peers stalled the leader, still
    /// followed, commits nothing.
    pub stall_after_lost_append: bool,
    /// A follower's consistency check looks only at the index before the
    /// append, not at that entry's term, so an append from a new leader
    /// lands on a divergent prefix (§5.3, receiver step 2: the term must
    /// match too).
    pub prev_index_only: bool,
    /// A follower commits up to the leader's commit index even past the
    /// entries this append verified, so an unverified stale suffix is
    /// committed and applied (§5.3, receiver step 5:
    /// min(leaderCommit, index of last new entry)).
    pub commit_unverified: bool,
    /// A follower installs any snapshot the leader sends, even one that is
    /// not newer than its commit index (a stale or repeated transfer): its
    /// commit index and state machine go back to the snapshot's (Raft §7:
    /// a snapshot of a prefix of the log must not replace it).
    pub install_stale_snapshot: bool,
    /// A new leader proposes a membership change before it has committed
    /// an entry of its own term, so it may not know of a change a
    /// previous leader committed: two single-server changes from one
    /// configuration then make majorities that do not overlap (the bug
    /// Ongaro reported in 2015, thesis §4.1 errata).
    pub conf_change_before_commit: bool,
    /// A new leader serves reads before it has committed an entry of its
    /// term, at a commit index that may lag what the previous leader
    /// committed and acknowledged: a stale read (etcd issue 7331; thesis
    /// §6.4 step 1 waits for the no-op).
    #[serde(default)]
    pub read_before_own_term_commit: bool,
}

impl Config {
    /// The bootstrap configuration: `voters` and `learners`.
    #[must_use]
    pub fn bootstrap_conf(&self) -> crate::types::ConfState {
        crate::types::ConfState {
            voters: self.voters.clone(),
            voters_outgoing: BTreeSet::new(),
            learners: self.learners.clone(),
        }
    }

    /// A configuration with etcd-like defaults: election after 10 ticks,
    /// heartbeat every tick, PreVote and CheckQuorum on.
    pub fn new(id: NodeId, voters: impl IntoIterator<Item = NodeId>) -> Config {
        Config {
            id,
            voters: voters.into_iter().collect(),
            learners: BTreeSet::new(),
            election_ticks: 10,
            heartbeat_ticks: 1,
            pre_vote: true,
            check_quorum: true,
            max_inflight_msgs: 256,
            max_size_per_msg_bytes: 1024 * 1024,
            max_uncommitted_entries: 1 << 16,
            max_snapshot_chunk_bytes: 64 * 1024,
            max_snapshot_bytes: 1 << 30,
            max_committed_bytes_per_ready: 16 * 1024 * 1024,
            read_mode: ReadMode::Safe,
            max_clock_drift_percent: 30,
            max_pending_reads: 4096,
            seed: 0,
            rule_breaks: RuleBreaks::default(),
        }
    }

    /// Checks every setting; the error names the first one that is wrong.
    pub fn validate(&self) -> Result<(), Error> {
        let bad = |why: String| Err(Error::InvalidConfig(why));
        if self.id == NodeId(0) {
            return bad("node id must not be 0 (0 means \"nobody\")".into());
        }
        if self.voters.is_empty() {
            return bad("the voter set is empty; a cluster needs at least one voter".into());
        }
        if self.voters.contains(&NodeId(0)) || self.learners.contains(&NodeId(0)) {
            return bad("the configuration names node 0, which is reserved".into());
        }
        if let Some(both) = self.voters.intersection(&self.learners).next() {
            return bad(format!("{both} is both a voter and a learner"));
        }
        if self.heartbeat_ticks == 0 {
            return bad("heartbeat_ticks must be at least 1".into());
        }
        if self.heartbeat_ticks >= self.election_ticks {
            return bad(format!(
                "heartbeat_ticks ({}) must be below election_ticks ({})",
                self.heartbeat_ticks, self.election_ticks
            ));
        }
        if self.max_inflight_msgs == 0 {
            return bad("max_inflight_msgs must be at least 1".into());
        }
        if self.max_uncommitted_entries == 0 {
            return bad("max_uncommitted_entries must be at least 1".into());
        }
        if self.max_snapshot_chunk_bytes == 0 {
            return bad("max_snapshot_chunk_bytes must be at least 1".into());
        }
        if self.max_snapshot_bytes < self.max_snapshot_chunk_bytes {
            return bad(format!(
                "max_snapshot_bytes ({}) must be at least max_snapshot_chunk_bytes ({})",
                self.max_snapshot_bytes, self.max_snapshot_chunk_bytes
            ));
        }
        if self.max_clock_drift_percent >= 100 {
            return bad(format!(
                "max_clock_drift_percent ({}) must be below 100",
                self.max_clock_drift_percent
            ));
        }
        if self.read_mode == ReadMode::LeaseBased && !self.check_quorum {
            return bad(
                "lease reads need check_quorum: without it followers hold no lease \
                 and a deposed leader never learns it"
                    .into(),
            );
        }
        if self.max_pending_reads == 0 {
            return bad("max_pending_reads must be at least 1".into());
        }
        Ok(())
    }

    /// How many of its own ticks a leader's lease lasts after the send of
    /// a heartbeat a quorum answered (see `max_clock_drift_percent`); 0
    /// means no lease: every read takes a round.
    #[must_use]
    pub fn lease_ticks(&self) -> u64 {
        let d = self.max_clock_drift_percent.min(99);
        self.election_ticks
            .saturating_sub(1)
            .saturating_mul(100 - d)
            / (100 + d)
    }
}

//! The bounds of a search: how far the explorer may go from the initial
//! state, and which of raft-core's features are on.

use super::clients::CLIENT_OP_KINDS;
use super::step::KEPT_CHOICES_MAX;
use crate::host::HostRuleBreaks;
use crate::sut::{Feature, Sut};

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
    /// Compactions, at most, along a path: a node snapshots its state
    /// machine and compacts its log; a follower that then needs a dropped
    /// entry gets InstallSnapshot chunks, delivered, dropped or duplicated
    /// like any message.
    pub max_compactions: u32,
    /// raft-core's bytes per InstallSnapshot chunk (small: a snapshot
    /// takes several chunks).
    pub snapshot_chunk_bytes: u64,
    /// Partitions, at most, along a path: a node cut off from every other
    /// (one at a time; `heal` ends it).
    pub max_partitions: u32,
    /// Client operations, at most, along a path: each a new session that
    /// asks a node that believes it leads, follows redirects and retries
    /// with the same sequence number; what it sees goes into the history
    /// the linearizability checker judges.
    pub max_client_ops: u32,
    /// Client timers fired, at most, along a path (a timeout, after which
    /// a client asks the next node; the end of a back-off after a redirect).
    pub max_client_retries: u32,
    /// Of the client operations, gets at most along a path (thesis §6.4:
    /// served by ReadIndex, by the leader or a follower that asks it, so a
    /// get may be sent to any node that runs). `CLIENT_OPS_MAX`: no bound
    /// beyond `max_client_ops`.
    pub max_reads: u32,
    /// Membership changes, at most, along a path: the leader a majority
    /// follows is asked to add a voter, add a learner or remove a node
    /// (one node each: a single-server change, thesis §4.1).
    pub max_conf_changes: u32,
    /// Leader transfers, at most, along a path (thesis §3.10).
    pub max_transfers: u32,
    /// Nodes beyond `nodes` that exist but never ran until a change adds
    /// them (symmetry reduction is off with spares).
    pub spares: usize,
    /// Actions from the initial state, at most.
    pub max_depth: u32,
    /// Whether `stabilize` is an action: every delivery and write run until
    /// nothing is in flight, as one step (a stretch of calm reaches deep
    /// states in few actions; the states between are still reached by
    /// single steps, within the depth bound).
    pub settle: bool,
    /// raft-core's bytes per append (`max_size_per_msg_bytes`; 0 sends one
    /// entry per message, so a follower can be brought up to date by
    /// several appends, each short of the leader's commit index).
    pub max_append_bytes: u64,
    /// raft-core's PreVote.
    pub pre_vote: bool,
    /// raft-core's CheckQuorum (and its timer as an action).
    pub check_quorum: bool,
    /// Test-only rule breaking by the hosts or by raft-core.
    pub rule_breaks: HostRuleBreaks,
    /// The Raft the nodes run (see [`Bounds::within`]).
    pub sut: Sut,
}

/// The simulator's bytes per append (what `--max-append` leaves as is).
fn default_append_bytes() -> u64 {
    crate::cluster::RaftSettings::default().max_size_per_msg_bytes
}

/// The simulator's bytes per snapshot chunk (what `--snapshot-chunk`
/// leaves as is).
fn default_snapshot_chunk_bytes() -> u64 {
    crate::cluster::RaftSettings::default().max_snapshot_chunk_bytes
}

/// Steps a node can take in one state: campaign, heartbeat, check-quorum,
/// persist, restart, propose, isolate, compact, a client operation of each
/// kind sent to it, a crash for each choice of the unsynced records it
/// keeps of its two files, and the leader's changes about it (add it as a
/// voter or a learner, remove it, hand leadership to it).
const STEPS_PER_NODE: usize = 12 + CLIENT_OP_KINDS + KEPT_CHOICES_MAX * KEPT_CHOICES_MAX;
/// The most client operations along a path: the history is judged after
/// every step that ends one, within a fixed budget of configurations.
pub const CLIENT_OPS_MAX: u32 = 8;

/// Steps an in-flight message can take: deliver, drop, duplicate.
const STEPS_PER_MESSAGE: usize = 3;
/// The most actions one state may enable: the trail stores an action's
/// index among its state's enabled actions in 16 bits.
pub const ENABLED_ACTIONS_MAX: usize = u16::MAX as usize;

impl Bounds {
    /// These bounds with the actions the Raft under test cannot take
    /// bounded to none (membership changes and spares, leader transfers,
    /// compactions, ReadIndex gets), and what was cut, with why.
    #[must_use]
    pub fn within(mut self, sut: Sut) -> (Bounds, Vec<String>) {
        let mut cut = Vec::new();
        let mut none = |on: bool, feature: Feature, what: &str, bound: &mut dyn FnMut()| {
            if on && !sut.supports(feature) {
                bound();
                cut.push(format!(
                    "{what}: none ({})",
                    sut.lacks(feature).unwrap_or_default()
                ));
            }
        };
        let membership = self.max_conf_changes > 0 || self.spares > 0;
        none(
            membership,
            Feature::Membership,
            "membership changes",
            &mut || {
                self.max_conf_changes = 0;
                self.spares = 0;
            },
        );
        none(
            self.max_transfers > 0,
            Feature::LeaderTransfer,
            "leader transfers",
            &mut || {
                self.max_transfers = 0;
            },
        );
        none(
            self.max_compactions > 0,
            Feature::Snapshots,
            "compactions",
            &mut || {
                self.max_compactions = 0;
            },
        );
        none(self.max_reads > 0, Feature::ReadIndex, "gets", &mut || {
            self.max_reads = 0;
        });
        self.sut = sut;
        (self, cut)
    }

    /// Whether a search within these bounds fits the explorer's fixed
    /// capacities, checked once before it starts (never a panic deep in
    /// it): a state may have at most `max_msgs` messages in flight when it
    /// is expanded, and all its enabled actions must be numbered in 16 bits.
    ///
    /// # Errors
    ///
    /// Which bound is too large, and by how much.
    pub fn check_capacity(&self) -> Result<(), String> {
        if self.max_client_ops > CLIENT_OPS_MAX {
            return Err(format!(
                "--max-client-ops {} is more than the {CLIENT_OPS_MAX} operations whose \
                 linearizability every explored state can afford to check",
                self.max_client_ops
            ));
        }
        // Per node; a timer per client; stabilize and heal.
        let fixed = (self.nodes + self.spares)
            .saturating_mul(STEPS_PER_NODE)
            .saturating_add(self.max_client_ops as usize)
            .saturating_add(2);
        let most = self
            .max_msgs
            .saturating_add(1)
            .saturating_mul(STEPS_PER_MESSAGE)
            .saturating_add(fixed);
        if most > ENABLED_ACTIONS_MAX {
            return Err(format!(
                "--max-msgs {} lets one state enable up to {most} actions; the explorer \
                 numbers a state's actions in 16 bits (at most {ENABLED_ACTIONS_MAX}): \
                 use --max-msgs {} or less",
                self.max_msgs,
                (ENABLED_ACTIONS_MAX.saturating_sub(fixed) / STEPS_PER_MESSAGE).saturating_sub(1)
            ));
        }
        Ok(())
    }
}

impl Bounds {
    /// The raft-core settings of the explored cluster (the simulator's
    /// defaults but for what the bounds choose).
    #[must_use]
    pub fn raft_settings(&self) -> crate::cluster::RaftSettings {
        crate::cluster::RaftSettings {
            pre_vote: self.pre_vote,
            check_quorum: self.check_quorum,
            max_size_per_msg_bytes: self.max_append_bytes,
            max_snapshot_chunk_bytes: self.snapshot_chunk_bytes,
            ..crate::cluster::RaftSettings::default()
        }
    }

    /// The bounds as `raftsim check` flags, every field spelled out (what a
    /// search prints when it starts, and what reruns it).
    #[must_use]
    pub fn flags(&self) -> String {
        let mut flags = format!(
            "--nodes {} --max-term {} --max-log {} --max-msgs {} --max-drops {} --max-dups {} \
             --max-crashes {} --max-proposals {} --max-depth {} --pre-vote {} --check-quorum {}",
            self.nodes,
            self.max_term,
            self.max_log,
            self.max_msgs,
            self.max_drops,
            self.max_dups,
            self.max_crashes,
            self.max_proposals,
            self.max_depth,
            self.pre_vote,
            self.check_quorum
        );
        if self.settle {
            flags.push_str(" --settle true");
        }
        if self.max_append_bytes != default_append_bytes() {
            flags.push_str(&format!(" --max-append {}", self.max_append_bytes));
        }
        if self.max_partitions > 0 {
            flags.push_str(&format!(" --max-partitions {}", self.max_partitions));
        }
        if self.max_compactions > 0 {
            flags.push_str(&format!(" --max-compactions {}", self.max_compactions));
        }
        if self.snapshot_chunk_bytes != default_snapshot_chunk_bytes() {
            flags.push_str(&format!(" --snapshot-chunk {}", self.snapshot_chunk_bytes));
        }
        if self.max_client_ops > 0 {
            flags.push_str(&format!(
                " --max-client-ops {} --max-client-retries {}",
                self.max_client_ops, self.max_client_retries
            ));
            if self.max_reads < self.max_client_ops {
                flags.push_str(&format!(" --max-reads {}", self.max_reads));
            }
        }
        if self.max_conf_changes > 0 {
            flags.push_str(&format!(" --max-conf-changes {}", self.max_conf_changes));
        }
        if self.max_transfers > 0 {
            flags.push_str(&format!(" --max-transfers {}", self.max_transfers));
        }
        if self.spares > 0 {
            flags.push_str(&format!(" --spares {}", self.spares));
        }
        for name in self.rule_breaks.names() {
            flags.push_str(&format!(" --break {name}"));
        }
        flags
    }
}

impl Default for Bounds {
    /// The bounds of a bare `raftsim check`: three nodes, two terms, a
    /// client entry, a lost message, a duplicated one and a crash, twelve
    /// actions deep — every sometimes-property is reached (a log is
    /// truncated at depth 12), in 4.6 million states, under 30 seconds on
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
            max_compactions: 0,
            snapshot_chunk_bytes: default_snapshot_chunk_bytes(),
            max_partitions: 0,
            max_client_ops: 0,
            max_client_retries: 0,
            max_reads: CLIENT_OPS_MAX,
            max_conf_changes: 0,
            max_transfers: 0,
            spares: 0,
            max_depth: 12,
            settle: false,
            max_append_bytes: default_append_bytes(),
            pre_vote: false,
            check_quorum: false,
            rule_breaks: HostRuleBreaks::default(),
            sut: Sut::RAFT_CORE,
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
            max_compactions: 0,
            snapshot_chunk_bytes: default_snapshot_chunk_bytes(),
            max_partitions: 0,
            max_client_ops: 0,
            max_client_retries: 0,
            max_reads: CLIENT_OPS_MAX,
            max_conf_changes: 0,
            max_transfers: 0,
            spares: 0,
            max_depth,
            settle: false,
            max_append_bytes: default_append_bytes(),
            pre_vote: false,
            check_quorum: false,
            rule_breaks: HostRuleBreaks::default(),
            sut: Sut::RAFT_CORE,
        }
    }
}

#[cfg(test)]
mod capacity_tests {
    use super::*;

    #[test]
    fn bounds_past_the_explorers_capacity_are_refused_before_the_search() {
        assert_eq!(Bounds::default().check_capacity(), Ok(()));
        let at_most = |max_msgs| Bounds {
            max_msgs,
            ..Bounds::default()
        };
        let err = at_most(30_000).check_capacity().expect_err("too many");
        assert!(err.contains("--max-msgs 30000"), "{err}");
        // The largest it suggests is accepted, one more is not.
        let largest: usize = err
            .rsplit("use --max-msgs ")
            .next()
            .and_then(|rest| rest.split(' ').next())
            .and_then(|n| n.parse().ok())
            .expect("a suggestion");
        assert_eq!(at_most(largest).check_capacity(), Ok(()));
        assert!(at_most(largest + 1).check_capacity().is_err());
    }
}

#[cfg(test)]
mod client_bound_tests {
    use super::*;

    #[test]
    fn more_client_operations_than_can_be_judged_are_refused() {
        let bounds = |max_client_ops| Bounds {
            max_client_ops,
            ..Bounds::default()
        };
        assert_eq!(bounds(CLIENT_OPS_MAX).check_capacity(), Ok(()));
        let err = bounds(CLIENT_OPS_MAX + 1)
            .check_capacity()
            .expect_err("too many");
        assert!(err.contains("--max-client-ops 9"), "{err}");
    }
}

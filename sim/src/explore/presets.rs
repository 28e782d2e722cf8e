//! Named bounds for `raftsim check --bounds NAME`: a preset is one or more
//! bound sets, searched in turn, chosen so that a user need not know which
//! bounds reach which behaviour. Flags given beside a preset override the
//! same field in every one of its bound sets.
//!
//! What each reaches (the sometimes-properties, the states and the time on
//! two cores) is measured and written in the README; `sim/tests/explore.rs`
//! runs `ci` in CI.

use super::bounds::Bounds;

/// A named choice of bounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Preset {
    /// Small enough for every CI run (under a minute on two cores): the
    /// default bounds without duplication (three nodes, two terms, a client
    /// entry, a crash, a lost message, twelve actions deep); then the calm
    /// bounds with two client operations (`stabilize` as one action, a node
    /// cut off once, nine actions deep), then the calm bounds for retries,
    /// then the calm bounds for snapshots, then the calm bounds for
    /// membership changes. Every sometimes-property a set allows is
    /// reached. Measured: 1.45 M + 0.40 M + 0.27 M + 1.49 M + 1.13 M
    /// states, 37 s.
    Ci,
    /// A bare `raftsim check`: [`Bounds::default`], then the calm bounds
    /// with clients, a duplicate, a crash and a client retry, then the calm
    /// bounds for recovery, for retries, for snapshots and for membership
    /// changes. Measured (before the snapshot and membership sets, which
    /// add 1.49 M and 1.13 M states): 4.59 M + 3.94 M + 1.17 M + 0.27 M
    /// states, 61 s, 2.5 GB peak.
    Default,
    /// Wider, for a longer run: three terms, logs of three, PreVote and
    /// CheckQuorum on, two crashes, two client entries, twelve actions deep,
    /// on three nodes and on four (where a majority is three of four); then
    /// the calm bounds with three terms, PreVote and CheckQuorum, clients,
    /// a proposal, a duplicate, a crash and a retry. With PreVote an
    /// election takes seven single actions on three nodes and twelve on
    /// four, so a second leader is beyond twelve: the calm set reaches it
    /// at five; then the calm bounds for recovery, for retries and for
    /// snapshots, with PreVote and CheckQuorum. Measured: 12.7 M + 11.2 M +
    /// 12.5 M + 3.7 M + 0.7 M states, about 3.5 minutes, 5.0 GB peak, before
    /// the snapshot set; that set alone: 3.9 M states, 39 s, 1.8 GB peak;
    /// then the calm membership set with PreVote and CheckQuorum (not
    /// measured).
    Deep,
}

impl Preset {
    /// Every preset, smallest first.
    pub const ALL: [Preset; 3] = [Preset::Ci, Preset::Default, Preset::Deep];

    /// Its name on the command line.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Preset::Ci => "ci",
            Preset::Default => "default",
            Preset::Deep => "deep",
        }
    }

    /// The preset called `name`, if there is one.
    #[must_use]
    pub fn named(name: &str) -> Option<Preset> {
        Preset::ALL.into_iter().find(|preset| preset.name() == name)
    }

    /// The bound sets it searches, in order.
    #[must_use]
    pub fn bounds(self) -> Vec<Bounds> {
        match self {
            Preset::Ci => vec![
                Bounds {
                    max_dups: 0,
                    ..Bounds::default()
                },
                calm(),
                calm_retries(),
                calm_snapshots(),
                calm_membership(),
            ],
            Preset::Default => vec![
                Bounds::default(),
                Bounds {
                    max_dups: 1,
                    max_crashes: 1,
                    max_client_retries: 1,
                    ..calm()
                },
                calm_recovery(),
                calm_retries(),
                calm_snapshots(),
                calm_membership(),
            ],
            Preset::Deep => {
                let three = Bounds {
                    nodes: 3,
                    max_term: 3,
                    max_log: 3,
                    max_msgs: 5,
                    max_drops: 1,
                    max_dups: 1,
                    max_crashes: 2,
                    max_proposals: 2,
                    max_depth: 12,
                    pre_vote: true,
                    check_quorum: true,
                    ..Bounds::default()
                };
                let four = Bounds {
                    nodes: 4,
                    ..three.clone()
                };
                let calm_three_terms = Bounds {
                    max_term: 3,
                    max_dups: 1,
                    max_crashes: 1,
                    max_proposals: 1,
                    max_client_retries: 1,
                    pre_vote: true,
                    check_quorum: true,
                    ..calm()
                };
                let prevote = |bounds: Bounds| Bounds {
                    pre_vote: true,
                    check_quorum: true,
                    ..bounds
                };
                vec![
                    three,
                    four,
                    calm_three_terms,
                    prevote(calm_recovery()),
                    prevote(calm_retries()),
                    prevote(calm_snapshots()),
                    prevote(calm_membership()),
                ]
            }
        }
    }
}

/// The calm bounds: `stabilize` is one action and a node may be cut off
/// once, so that an election, a commit and a client's answer each take one
/// or two actions; two client operations (appends and gets on one key,
/// judged linearizable), two terms, logs of four, no other fault, nine
/// actions deep. What single steps reach in eighteen to thirty actions — a
/// stale read from a deposed leader, a second leader's commit — this
/// reaches in nine.
fn calm() -> Bounds {
    Bounds {
        nodes: 3,
        max_term: 2,
        max_log: 4,
        max_msgs: 5,
        max_drops: 0,
        max_dups: 0,
        max_crashes: 0,
        max_proposals: 0,
        max_partitions: 1,
        max_client_ops: 2,
        max_client_retries: 0,
        max_depth: 9,
        settle: true,
        ..Bounds::default()
    }
}

/// Calm bounds for recovery: one term, a proposal, a torn crash and a node
/// cut off, eleven actions deep: long enough for a follower to hear of an
/// entry only after the leader committed it, write both in one go, and
/// lose one of the two records in a crash.
fn calm_recovery() -> Bounds {
    Bounds {
        max_term: 1,
        max_log: 3,
        max_crashes: 1,
        max_proposals: 1,
        max_client_ops: 0,
        max_depth: 11,
        ..calm()
    }
}

/// Calm bounds for snapshots: one term, a proposal, a compaction in
/// 16-byte InstallSnapshot chunks, a node cut off, a lost and a duplicated
/// message and a torn crash, nine actions deep: a follower cut off while
/// the leader commits and compacts catches up by snapshot (seven actions),
/// and a chunk, the snapshot's write or a node's boot can go wrong on the
/// way.
fn calm_snapshots() -> Bounds {
    Bounds {
        max_term: 1,
        max_log: 3,
        max_drops: 1,
        max_dups: 1,
        max_crashes: 1,
        max_proposals: 1,
        max_compactions: 1,
        snapshot_chunk_bytes: 16,
        max_client_ops: 0,
        max_depth: 9,
        ..calm()
    }
}

/// Calm bounds for membership changes: two terms, a spare node, two
/// single-server changes and a leader transfer asked of the leader a
/// majority follows, a proposal and a node cut off, eight actions deep: a
/// node added and caught up, a leader that removes itself and steps down,
/// a transfer that completes, and a change asked for at every point an
/// election leaves the cluster in (before the new leader's no-op commits,
/// it must be refused).
fn calm_membership() -> Bounds {
    Bounds {
        max_log: 4,
        max_proposals: 1,
        max_client_ops: 0,
        max_conf_changes: 2,
        max_transfers: 1,
        spares: 1,
        max_depth: 8,
        ..calm()
    }
}

/// Calm bounds for retries: one term, two client operations, a duplicated
/// message and a client timer, no partition, ten actions deep: a request
/// that reaches the leader twice, or is sent again, must take effect once.
fn calm_retries() -> Bounds {
    Bounds {
        max_term: 1,
        max_dups: 1,
        max_partitions: 0,
        max_client_retries: 1,
        max_depth: 10,
        ..calm()
    }
}

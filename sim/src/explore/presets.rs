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
    /// cut off once, nine actions deep). Every sometimes-property is
    /// reached.
    Ci,
    /// A bare `raftsim check`: [`Bounds::default`], then the calm bounds
    /// with clients, a duplicate, a crash and a client retry.
    Default,
    /// Wider, for a longer run: three terms, logs of three, PreVote and
    /// CheckQuorum on, two crashes, two client entries, twelve actions deep,
    /// on three nodes and on four (where a majority is three of four); then
    /// the calm bounds with three terms, PreVote and CheckQuorum, clients,
    /// a proposal, a duplicate, a crash and a retry. With PreVote an
    /// election takes seven single actions on three nodes and twelve on
    /// four, so a second leader is beyond twelve: the calm set reaches it.
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
            ],
            Preset::Default => vec![
                Bounds::default(),
                Bounds {
                    max_dups: 1,
                    max_crashes: 1,
                    max_client_retries: 1,
                    ..calm()
                },
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
                vec![three, four, calm_three_terms]
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

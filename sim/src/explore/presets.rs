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
    /// entry, a crash, a lost message, twelve actions deep); every
    /// sometimes-property is still reached.
    Ci,
    /// A bare `raftsim check`: [`Bounds::default`].
    Default,
    /// Wider, for a longer run: three terms, logs of three, PreVote and
    /// CheckQuorum on, two crashes, two client entries, twelve actions deep,
    /// on three nodes and on four (where a majority is three of four).
    /// Measured: 12.7 M states in 54–67 s on three nodes, 4.7 GB peak. With
    /// PreVote an election takes seven actions on three nodes and twelve on
    /// four, so a second leader is beyond twelve: deeper needs a frontier
    /// that fits in memory (not yet) or `--search swarm`.
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
            Preset::Ci => vec![Bounds {
                max_dups: 0,
                ..Bounds::default()
            }],
            Preset::Default => vec![Bounds::default()],
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
                vec![three, four]
            }
        }
    }
}

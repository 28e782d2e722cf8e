//! The swarm's membership changes (issue 14): a share of seeds changes the
//! cluster's members under the same faults — every node replaced one by
//! one, a learner added and promoted, two voters added and two removed at
//! once (joint consensus), and leader transfers. Drawn from their own
//! random stream, so every other setting and fault of every seed is as it
//! was without them.

use raft_core::{ConfChange, ConfChangeSingle};
use rand::RngExt;
use serde::{Deserialize, Serialize};

use crate::membership::MembershipOp;
use crate::slot::NodeSlot;
use crate::streams::{self, Concern};
use crate::swarm::{Fault, TimedFault};

/// The share of seeds that change membership.
pub const MEMBERSHIP_SHARE: f64 = 0.3;

/// The names transfers resolve their target under (a name per transfer,
/// far from the fault schedule's own, which count from 0).
pub const TRANSFER_NAMES: u32 = 1 << 30;

/// What membership changes a seed makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MembershipKind {
    /// Every bootstrap voter replaced, one by one: add a new node, remove
    /// an old one (single-server changes, thesis §4.1).
    ReplaceAll,
    /// A new node added as a learner, promoted, then a bootstrap voter
    /// removed (thesis §4.2.1).
    Learner,
    /// Two new voters added at once, then two bootstrap voters removed at
    /// once: each change through a joint configuration (thesis §4.3).
    Joint,
    /// No change of members; leader transfers only.
    TransfersOnly,
}

/// A seed's membership plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MembershipPlan {
    /// The changes.
    pub kind: MembershipKind,
    /// Leader transfers, to a voter picked when each strikes.
    pub transfers: u32,
}

impl MembershipPlan {
    /// The plan seed `seed` draws, and whether the seed turns it on (a
    /// pinned `--membership on` uses the plan whatever the coin said).
    #[must_use]
    pub fn for_seed(seed: u64) -> (bool, MembershipPlan) {
        let mut rng = streams::stream(seed, Concern::Membership);
        let on = rng.random_bool(MEMBERSHIP_SHARE);
        let kind = [
            MembershipKind::ReplaceAll,
            MembershipKind::Learner,
            MembershipKind::Joint,
            MembershipKind::TransfersOnly,
        ][rng.random_range(0..4)];
        let transfers = rng.random_range(0..=3) + u32::from(kind == MembershipKind::TransfersOnly);
        (on, MembershipPlan { kind, transfers })
    }

    /// The nodes the plan adds to a cluster of `nodes` voters: the world
    /// holds them from the start, as spares that never ran.
    #[must_use]
    pub fn spares(&self, nodes: usize) -> usize {
        match self.kind {
            MembershipKind::ReplaceAll => nodes,
            MembershipKind::Learner => 1,
            MembershipKind::Joint => 2,
            MembershipKind::TransfersOnly => 0,
        }
    }

    /// The plan's steps over `[0, fault_end_ns)` for a cluster of `nodes`
    /// bootstrap voters: the changes, in the order the operator is to make
    /// them, at rising random times, and the transfers at random times.
    #[must_use]
    pub fn steps(&self, seed: u64, nodes: usize, fault_end_ns: u64) -> Vec<TimedFault> {
        // A stream apart from the plan's own draw: the plan and its times
        // stay independent of each other's lengths.
        let mut rng = streams::stream(
            streams::seed_for(seed, Concern::Membership),
            Concern::Nemesis,
        );
        let ops = self.changes(nodes);
        let mut times: Vec<u64> = (0..ops.len())
            .map(|_| rng.random_range(0..fault_end_ns.max(1)))
            .collect();
        times.sort_unstable();
        let mut steps: Vec<TimedFault> = times
            .into_iter()
            .zip(ops)
            .map(|(at_ns, op)| TimedFault {
                at_ns,
                fault: Fault::Membership(op),
            })
            .collect();
        for k in 0..self.transfers {
            steps.push(TimedFault {
                at_ns: rng.random_range(0..fault_end_ns.max(1)),
                fault: Fault::TransferLeader {
                    pick: rng.random_range(0..u32::MAX),
                    name: TRANSFER_NAMES + k,
                },
            });
        }
        steps
    }

    /// The changes, in order.
    fn changes(&self, nodes: usize) -> Vec<MembershipOp> {
        let slot = |n: usize| NodeSlot::new(n).id();
        let change =
            |singles: Vec<ConfChangeSingle>| MembershipOp::Change(ConfChange { changes: singles });
        use ConfChangeSingle::{AddLearner, AddVoter, Remove};
        match self.kind {
            MembershipKind::ReplaceAll => (0..nodes)
                .flat_map(|old| {
                    [
                        change(vec![AddVoter(slot(nodes + old))]),
                        change(vec![Remove(slot(old))]),
                    ]
                })
                .collect(),
            MembershipKind::Learner => vec![
                change(vec![AddLearner(slot(nodes))]),
                change(vec![AddVoter(slot(nodes))]),
                change(vec![Remove(slot(0))]),
            ],
            MembershipKind::Joint => vec![
                change(vec![AddVoter(slot(nodes)), AddVoter(slot(nodes + 1))]),
                change(vec![Remove(slot(0)), Remove(slot(1))]),
            ],
            MembershipKind::TransfersOnly => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_share_of_seeds_changes_membership_and_plans_use_their_spares() {
        let on = (0..1000).filter(|s| MembershipPlan::for_seed(*s).0).count();
        assert!((250..350).contains(&on), "{on} of 1000 seeds");
        for kind in [
            MembershipKind::ReplaceAll,
            MembershipKind::Learner,
            MembershipKind::Joint,
        ] {
            let plan = MembershipPlan { kind, transfers: 0 };
            let steps = plan.steps(7, 3, 1_000_000);
            let highest = steps
                .iter()
                .flat_map(|s| match &s.fault {
                    Fault::Membership(op) => op.added().collect::<Vec<_>>(),
                    _ => Vec::new(),
                })
                .max()
                .expect("adds a node");
            assert_eq!(highest.index() + 1, 3 + plan.spares(3), "{kind:?}");
            assert!(steps.windows(2).all(|w| w[0].at_ns <= w[1].at_ns));
        }
    }
}

//! Partial-order reduction by sleep sets (Godefroid, "Partial-Order
//! Methods for the Verification of Concurrent Systems", ch. 5): when two
//! actions commute, exploring both orders reaches the same state twice;
//! after exploring `a` from a state, its later siblings that commute with
//! `a` carry it in their *sleep set* and do not take it again. Sleep sets
//! prune transitions, never states: every state within the bounds is still
//! reached (tested differentially on small bounds in this module).
//!
//! **Independence** (conservative): two actions commute if each changes one
//! node, they are different nodes, and they do not draw on the same budget
//! (two crashes, two proposals). A delivery changes only its recipient (and
//! adds that node's answers to the network, a multiset, so in either
//! order); timers, writes, crashes and restarts change only their node.
//! Drops and duplications are taken as dependent on everything.
//!
//! **The message bound.** A state with more than `max_msgs` in flight is
//! not expanded, which breaks commutation: `a` then `b` may pass through an
//! over-full state where `b` then `a` does not. So an action goes to sleep
//! only if it adds no message to the network (its delta in flight is at
//! most zero): then the path that covers it never holds more messages than
//! the one it stands for.
//!
//! **State caching needs no re-expansion here.** A stateful depth-first
//! search with sleep sets must explore a state again when it meets it with
//! fewer actions asleep (Godefroid, fig. 5.2), or it can lose states. A
//! breadth-first search need not: with states expanded in the order they
//! were first met, take a state `v` met first by the path `s0 -a1-> s1 ...
//! -ad-> v` and an action `c` asleep there; `c` was taken at some `s(j-1)`
//! before `aj`, and commutes with `aj .. ad`. The states `u(i) = s(i-1).c`
//! lead, by `ai`, to `u(i+1)`, and to `v.c` at the end. By induction on
//! (depth, order first met), each `u(i)` is met no later than `s(i)` at the
//! same depth (it was generated first, or its own covering path was), so it
//! is expanded before `s(i)`, and the chain reaches `v.c` before `v` itself
//! is expanded. Every state within the bounds is therefore reached, each
//! expanded once, with the sleep set of the path that met it first.

use super::step::Step;
use crate::slot::NodeSlot;

/// The one node a step changes, if it changes one node only. A client's
/// steps change the client history, whose order matters: dependent on
/// everything, like drops and duplications.
fn local_node(step: &Step) -> Option<NodeSlot> {
    match step {
        Step::Drop(_) | Step::Duplicate(_) => None,
        _ if step.involves_a_client() => None,
        _ => step.node(),
    }
}

/// Whether `a` and `b` commute from every state where both are enabled.
pub(crate) fn independent(a: &Step, b: &Step) -> bool {
    let (Some(x), Some(y)) = (local_node(a), local_node(b)) else {
        return false;
    };
    let same_budget = matches!(
        (a, b),
        (Step::Crash(..), Step::Crash(..))
            | (Step::Propose(_), Step::Propose(_))
            | (Step::Compact(_), Step::Compact(_))
    );
    x != y && !same_budget
}

/// A sleep set: the actions (by key) not to take again from a state.
pub(crate) type Sleep = Vec<(u128, Step)>;

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::disk::FileRecords;
    use crate::explore::{Bounds, Options, Pick, check};
    use crate::host::HostRuleBreaks;
    use crate::net::Endpoint;

    fn pick(from: usize, to: usize) -> Pick {
        Pick {
            from: Endpoint::Node(NodeSlot::new(from)),
            to: Endpoint::Node(NodeSlot::new(to)),
            kind: "vote",
            nth: 1,
        }
    }

    #[test]
    fn independence_is_per_node_and_per_budget() {
        assert!(independent(
            &Step::Deliver(pick(0, 1)),
            &Step::Deliver(pick(0, 2))
        ));
        assert!(!independent(
            &Step::Deliver(pick(0, 1)),
            &Step::Deliver(pick(2, 1))
        ));
        assert!(independent(
            &Step::Persist(NodeSlot::new(0)),
            &Step::Campaign(NodeSlot::new(1))
        ));
        assert!(!independent(
            &Step::Persist(NodeSlot::new(1)),
            &Step::Campaign(NodeSlot::new(1))
        ));
        assert!(
            !independent(
                &Step::Crash(NodeSlot::new(0), FileRecords::NONE),
                &Step::Crash(NodeSlot::new(1), FileRecords::NONE)
            ),
            "one crash budget"
        );
        assert!(
            !independent(
                &Step::Propose(NodeSlot::new(0)),
                &Step::Propose(NodeSlot::new(1))
            ),
            "one proposal budget"
        );
        assert!(independent(
            &Step::Crash(NodeSlot::new(0), FileRecords::NONE),
            &Step::Propose(NodeSlot::new(1))
        ));
        assert!(!independent(
            &Step::Drop(pick(0, 1)),
            &Step::Campaign(NodeSlot::new(2))
        ));
        assert!(!independent(
            &Step::Duplicate(pick(0, 1)),
            &Step::Persist(NodeSlot::new(2))
        ));
    }

    /// The reachable states and the violations found, with and without
    /// the reduction.
    fn both_ways(bounds: &Bounds) -> [(BTreeSet<u128>, Option<String>, u64); 2] {
        [false, true].map(|por| {
            let options = Options {
                partial_order: por,
                record_fingerprints: true,
                ..Options::default()
            };
            let report = check(bounds, &options, |_| {});
            let violation = report
                .counterexample
                .map(|c| format!("{} after {} actions", c.violation.invariant, c.steps.len()));
            let states: BTreeSet<u128> = report.fingerprints.into_iter().collect();
            (states, violation, report.generated_states)
        })
    }

    #[test]
    fn the_reduction_reaches_every_state_and_finds_the_same_violations() {
        let small = Bounds {
            max_msgs: 4,
            max_proposals: 1,
            ..Bounds::small(3, 2, 9)
        };
        let cases = [
            small.clone(),
            Bounds {
                max_crashes: 1,
                max_drops: 1,
                max_depth: 8,
                ..small.clone()
            },
            Bounds {
                pre_vote: true,
                check_quorum: true,
                max_dups: 1,
                max_depth: 9,
                ..small.clone()
            },
            Bounds {
                max_msgs: 2,
                max_depth: 11,
                ..small.clone()
            },
            Bounds {
                rule_breaks: HostRuleBreaks {
                    skip_fsync: true,
                    ..HostRuleBreaks::default()
                },
                ..small.clone()
            },
            // Deeper, more nodes, every kind of fault: the cases where a
            // sleeping action's covering path is longest.
            Bounds {
                max_crashes: 1,
                max_dups: 1,
                max_proposals: 2,
                max_log: 3,
                ..Bounds::small(3, 3, 10)
            },
            Bounds::small(4, 2, 8),
            Bounds {
                max_msgs: 6,
                ..Bounds::small(5, 1, 7)
            },
            // A violation deep enough that many sleeping actions precede it.
            Bounds {
                rule_breaks: HostRuleBreaks {
                    raft: raft_core::RuleBreaks {
                        vote_without_log_check: true,
                        ..raft_core::RuleBreaks::default()
                    },
                    ..HostRuleBreaks::default()
                },
                ..Bounds::small(3, 2, 14)
            },
        ];
        let mut reduced_some = false;
        for bounds in cases {
            let [
                (full, found, full_generated),
                (reduced, found_reduced, reduced_generated),
            ] = both_ways(&bounds);
            assert_eq!(found, found_reduced, "{bounds:?}");
            if found.is_none() {
                assert_eq!(full.len(), reduced.len(), "{bounds:?}");
                assert!(full == reduced, "the same states: {bounds:?}");
                assert!(reduced_generated <= full_generated, "{bounds:?}");
                reduced_some |= reduced_generated < full_generated;
            }
        }
        assert!(reduced_some, "the reduction pruned transitions somewhere");
    }
}

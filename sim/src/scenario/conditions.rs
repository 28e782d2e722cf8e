//! Evaluating expectations: whether a condition holds of the world (a leader,
//! terms, indexes, convergence), for `expect` and the waits.

use super::ast::{Compare, Condition, NodeSet};
use super::interp::{Interp, Stop};
use crate::host::HostState;
use crate::slot::NodeSlot;
use crate::sut::RaftNode;
use std::collections::BTreeSet;

impl Interp<'_> {
    pub(super) fn holds(
        &mut self,
        condition: &Condition,
        line: &mut Vec<NodeSlot>,
    ) -> Result<bool, Stop> {
        Ok(match condition {
            Condition::Leader => self.leader_node().is_some(),
            Condition::NoLeader => self.leader_node().is_none(),
            Condition::LeaderIn(set) => {
                let set = self.resolve(set, line)?;
                self.leader_node().is_some_and(|l| set.contains(&l))
            }
            Condition::LeaderNot(set) => {
                let set = self.resolve(set, line)?;
                self.leader_node().is_some_and(|l| !set.contains(&l))
            }
            Condition::Committed(op, n, on) => {
                self.indexes_hold(*op, *n, on.as_ref(), line, false)?
            }
            Condition::Applied(op, n, on) => self.indexes_hold(*op, *n, on.as_ref(), line, true)?,
            Condition::Term(op, n) => {
                let term = self
                    .stepper
                    .world
                    .hosts
                    .iter()
                    .filter_map(|h| h.node())
                    .map(|r| r.term().0)
                    .max();
                term.is_some_and(|t| compare(*op, t, *n))
            }
            Condition::Converged => self.converged(),
            Condition::ClientsDone(since_ns) => {
                // Operations a script has yet to start count as unfinished.
                let world = &self.stepper.world;
                let scripted = world
                    .clients
                    .iter()
                    .any(|c| c.script.as_ref().is_some_and(|s| !s.is_empty()));
                !scripted
                    && world
                        .history
                        .unfinished(since_ns.unwrap_or(u64::MAX))
                        .is_empty()
            }
            // The history so far, pending operations as unknown. A failure
            // is reported with its counterexample, not as a bare "not met".
            Condition::Linearizable => {
                let budget = self.stepper.lincheck_budget();
                self.stepper
                    .check_linearizable(budget)
                    .map_err(Stop::from)?;
                true
            }
            Condition::Members(set) => {
                // The leader's committed configuration, not joint: a change
                // counts once it is in force for good.
                let set = self.resolve(set, line)?;
                let world = &self.stepper.world;
                let voters = self
                    .leader_node()
                    .and_then(|l| world.host(l).node())
                    .map(|r| {
                        let conf = r.conf_at(r.log().committed());
                        let voters: BTreeSet<NodeSlot> = conf
                            .voters
                            .iter()
                            .filter_map(|id| NodeSlot::of_id(*id))
                            .collect();
                        (voters, conf.is_joint())
                    });
                voters.is_some_and(|(voters, joint)| !joint && voters == set)
            }
        })
    }

    /// The leader a majority of the cluster follows, if any (SCENARIOS.md:
    /// "one leader that a majority follows").
    pub(super) fn leader_node(&self) -> Option<NodeSlot> {
        self.stepper.world.followed_leader()
    }

    pub(super) fn indexes_hold(
        &mut self,
        op: Compare,
        n: u64,
        on: Option<&NodeSet>,
        line: &mut Vec<NodeSlot>,
        applied: bool,
    ) -> Result<bool, Stop> {
        let nodes: Vec<NodeSlot> = match on {
            Some(set) => self.resolve(set, line)?.into_iter().collect(),
            None => match self.leader_node() {
                Some(l) => vec![l],
                None => return Ok(false),
            },
        };
        Ok(nodes.iter().all(|node| {
            let host = self.stepper.world.host(*node);
            host.node()
                .filter(|_| host.state != HostState::Down)
                .is_some_and(|raw| {
                    let index = if applied {
                        raw.log().applied()
                    } else {
                        raw.log().committed()
                    };
                    compare(op, index.0, n)
                })
        }))
    }

    /// All running nodes hold the same committed log, applied all of it,
    /// and hold the same state machine.
    pub(super) fn converged(&self) -> bool {
        let running: Vec<_> = self
            .stepper
            .world
            .hosts
            .iter()
            .filter(|h| h.state == HostState::Up)
            .filter_map(|h| h.node().map(|raw| (h, raw)))
            .collect();
        let Some((first_host, first)) = running.first() else {
            return false;
        };
        let commit = first.log().committed();
        // The term at the commit index is known in memory even where a
        // snapshot ends there; the state machines hold the rest.
        let last = |raw: &&dyn RaftNode| raw.log().term(commit);
        running.iter().all(|(host, raw)| {
            raw.log().committed() == commit
                && raw.log().applied() == commit
                && last(raw) == last(first)
                && host.kv() == first_host.kv()
        })
    }
}

/// Whether `value` stands in relation `op` to `n`.
pub(super) fn compare(op: Compare, value: u64, n: u64) -> bool {
    match op {
        Compare::AtLeast => value >= n,
        Compare::AtMost => value <= n,
        Compare::Equal => value == n,
    }
}

//! Availability while the run goes on, not only at its end. Whenever a
//! majority of the nodes is up, not paused, connected to one another both
//! ways, cut off from every other running node, and the network's noise is
//! within bounds (a stable window; it ends, and a new one starts, whenever
//! that majority changes: a crash, a restart, a cut), a
//! leader that a majority follows must appear within a bound derived from
//! the configuration: a few maximum election timeouts (Raft §5.2: a
//! follower that hears nothing for one timeout campaigns; PreVote and the
//! CheckQuorum lease add at most one more) plus round trips and fsyncs. A
//! miss is a liveness failure naming the window and the terms it spent.
//!
//! Once that leader is followed it must make progress: an entry it holds
//! uncommitted must commit within the same bound (a heartbeat round or two
//! repairs any loss, §5.3), or the window's clients wait on a leader that
//! cannot serve them. And every client operation still waiting must finish
//! within a bound of its own: a client may ask each node once and time out
//! on it before it finds the leader, and more timeouts cover lost requests
//! and answers — as many as make a correct run's miss less likely than one
//! in a billion at the network's drop rate. When that bound is longer than
//! the client's own patience the operations are not judged (the commit
//! bound still is), and so they are not while a follower the quorum needs
//! catches up a backlog longer than the clients can have asked for (with a
//! small flow-control window that takes many round trips, and is progress,
//! not a stall). Both are measured from the later of the start (of the
//! wait, of the operation) and the leader's arrival; a new leader restarts
//! them (the leader bound judges elections). Sessions pinned to one node
//! are not judged: they never look for the leader.
//!
//! The run is sampled every tick of virtual time; the tracker also keeps the
//! run's availability figures (time without a leader, terms, client
//! latency, messages per committed entry).

use serde::{Deserialize, Serialize};

use crate::checker::{Stuck, Violation};
use crate::history::{History, Outcome};
use crate::host::HostState;
use crate::slot::NodeSlot;
use crate::units::format_ns;
use crate::world::World;

/// Maximum election timeouts a stable majority may take to elect (and its
/// followers to learn of) a leader. Measured on the correct raft-core over
/// seeds 0..5000 of the default swarm: the longest stable gap came to 62%
/// of the bound (README); a cluster whose elections come several timeouts
/// late is caught.
pub const LEADER_WITHIN_ELECTION_TIMEOUTS: u64 = 3;
/// Request timeouts a waiting client operation may spend beyond one per
/// node, at the least (lost requests and answers).
const OPS_WITHIN_EXTRA_TIMEOUTS_MIN: u64 = 2;
/// One more election timeout when the window is a bare majority: every
/// vote is then needed, so one lost message or one member still inside the
/// old leader's lease fails a round (measured: with three timeouts, a bare
/// majority of five came to 86% of the bound).
const BARE_MAJORITY_EXTRA_TIMEOUTS: u64 = 1;
/// How unlikely a correct client's miss of the operation bound must be: the
/// extra timeouts are as many attempts as all fail with at most this chance.
const OPS_MISS_CHANCE_MAX: f64 = 1e-9;
/// How much longer the bound is without PreVote.
const WITHOUT_PRE_VOTE_FACTOR: u64 = 3;
/// Round trips (message delay plus fsync) allowed on top: a pre-vote round,
/// a vote round and the first heartbeat, with room for losses.
const LEADER_WITHIN_ROUND_TRIPS: u64 = 20;
/// The noisiest network still counted as stable: messages lost.
const STABLE_DROP_MAX: f64 = 0.10;
/// The noisiest network still counted as stable: latencies from the tail.
const STABLE_TAIL_MAX: f64 = 0.05;

/// What a run's availability looked like.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AvailabilityFigures {
    /// Virtual time sampled without a leader a majority follows.
    pub leaderless_ns: u64,
    /// Virtual time sampled.
    pub sampled_ns: u64,
    /// The longest time a stable window went without a leader.
    pub stable_leaderless_max_ns: u64,
    /// That longest time as a share of the bound it had to keep.
    pub stable_leaderless_max_of_bound: f64,
    /// The longest a followed leader's replication stood still with entries
    /// uncommitted, as a share of its bound.
    #[serde(default)]
    pub replication_stall_max_of_bound: f64,
    /// The longest a judged client operation waited, as a share of its bound.
    #[serde(default)]
    pub op_wait_max_of_bound: f64,
    /// Virtual time during which client operations were judged (a stable
    /// window with a followed leader and a bound within the clients'
    /// patience).
    #[serde(default)]
    pub ops_judged_ns: u64,
    /// Terms spent in the run (the highest term any node reached).
    pub terms: u64,
    /// Terms per simulated minute.
    pub terms_per_minute: f64,
    /// Client operations answered.
    pub ops_ok: u64,
    /// Median latency of answered client operations.
    pub latency_p50_ns: u64,
    /// 99th percentile latency of answered client operations.
    pub latency_p99_ns: u64,
    /// Messages sent per entry committed.
    pub messages_per_commit: f64,
}

/// A stable window still open.
#[derive(Clone, Copy, Debug)]
struct Window {
    /// The nodes (a bit each) that are up and connected in it.
    group: u64,
    /// The voters (a bit each, both halves while joint) of the
    /// configuration it was judged in.
    voters: u64,
    /// When it opened.
    start_ns: u64,
    /// The last sample in it that saw a leader.
    leader_seen_ns: Option<u64>,
    /// The highest term when it opened.
    term_at_start: u64,
    /// The leader its majority follows, while one does.
    leader: Option<FollowedLeader>,
}

/// A leader a stable window's majority follows, and since when.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct FollowedLeader {
    node: NodeSlot,
    term: u64,
    since_ns: u64,
    /// Its commit index and the sum of its match indexes: replication
    /// progress, whichever moves.
    progress: (u64, u64),
    /// Since when it has held entries uncommitted without progress.
    stalled_since_ns: Option<u64>,
    /// The last sample at which a quorum lagged further behind its log than
    /// the clients can have asked for (a follower catching up a backlog).
    backlogged_ns: Option<u64>,
}

/// What a stable window must deliver.
#[derive(Clone, Copy, Debug)]
struct Stable {
    /// The nodes (a bit each) that are up and connected in it.
    group: u64,
    /// The voters (a bit each, both halves while joint) of the
    /// configuration in force.
    voters: u64,
    /// The longest it may go without a leader.
    leader_bound_ns: u64,
    /// The longest a client operation may wait on its leader, if the
    /// client waits that long before it gives up.
    ops_bound_ns: Option<u64>,
}

/// The tracker, sampled by the stepper before every scheduled event.
#[derive(Clone, Debug, Default)]
pub struct Availability {
    next_sample_ns: u64,
    last_sample_ns: u64,
    window: Option<Window>,
    figures: AvailabilityFigures,
}

impl Availability {
    /// Samples the world if a tick of virtual time passed since the last
    /// sample; a stable window without a leader for too long fails.
    pub fn sample(&mut self, world: &World) -> Result<(), Violation> {
        let now_ns = world.now_ns;
        if now_ns < self.next_sample_ns {
            return Ok(());
        }
        let interval_ns = now_ns - self.last_sample_ns;
        self.last_sample_ns = now_ns;
        self.next_sample_ns = now_ns + world.spec.tick_ns.max(1);
        let followed = world.followed_leader();
        self.figures.sampled_ns += interval_ns;
        if followed.is_none() {
            self.figures.leaderless_ns += interval_ns;
        }
        let Some(stable) = stable_window(world) else {
            self.window = None;
            return Ok(());
        };
        let term = highest_term(world);
        // A different quorum (a node crashed, restarted or was cut off, or
        // the configuration changed): a new window, judged from now.
        if self
            .window
            .is_some_and(|w| (w.group, w.voters) != (stable.group, stable.voters))
        {
            self.window = None;
        }
        let window = self.window.get_or_insert(Window {
            group: stable.group,
            voters: stable.voters,
            start_ns: now_ns,
            leader_seen_ns: None,
            term_at_start: term,
            leader: None,
        });
        window.leader = follow(world, window.leader, followed, now_ns);
        if window.leader.is_some() {
            window.leader_seen_ns = Some(now_ns);
        }
        let window = *window;
        self.judge_leader(&window, &stable, now_ns, term)?;
        judge_commit(&mut self.figures, &window, &stable, now_ns)?;
        judge_ops(
            &mut self.figures,
            world,
            &window,
            &stable,
            now_ns,
            interval_ns,
        )
    }

    /// A stable window must not go longer than its bound without a leader.
    fn judge_leader(
        &mut self,
        window: &Window,
        stable: &Stable,
        now_ns: u64,
        term: u64,
    ) -> Result<(), Violation> {
        let bound_ns = stable.leader_bound_ns;
        let since_ns = window.leader_seen_ns.unwrap_or(window.start_ns);
        let leaderless_ns = now_ns - since_ns;
        if leaderless_ns > self.figures.stable_leaderless_max_ns {
            self.figures.stable_leaderless_max_ns = leaderless_ns;
        }
        let share = leaderless_ns as f64 / bound_ns as f64;
        if share > self.figures.stable_leaderless_max_of_bound {
            self.figures.stable_leaderless_max_of_bound = share;
        }
        if leaderless_ns <= bound_ns {
            return Ok(());
        }
        let what = if window.leader_seen_ns.is_some() {
            "lost its leader and had none"
        } else {
            "had no leader"
        };
        Err(Violation::liveness(
            Stuck::Unavailable,
            format!(
                "a stable window ({} up, connected and not paused since {}) {what} for {}, \
                 past the bound of {}; terms {} to {} were spent",
                nodes(window.group),
                format_ns(window.start_ns),
                format_ns(leaderless_ns),
                format_ns(bound_ns),
                window.term_at_start,
                term
            ),
        ))
    }

    /// The run's figures, completed from its history and counters.
    #[must_use]
    pub fn figures(&self, world: &World, history: &History, committed: u64) -> AvailabilityFigures {
        let mut figures = self.figures.clone();
        figures.terms = highest_term(world);
        let minutes = world.now_ns as f64 / 60e9;
        figures.terms_per_minute = if minutes > 0.0 {
            figures.terms as f64 / minutes
        } else {
            0.0
        };
        let mut latencies: Vec<u64> = history
            .ops
            .iter()
            .filter(|op| matches!(op.outcome, Outcome::Ok { .. }))
            .filter_map(|op| op.complete_ns.map(|done| done - op.invoke_ns))
            .collect();
        latencies.sort_unstable();
        figures.ops_ok = latencies.len() as u64;
        let percentile = |p: usize| {
            latencies
                .get((latencies.len() * p / 100).min(latencies.len().saturating_sub(1)))
                .copied()
                .unwrap_or(0)
        };
        figures.latency_p50_ns = percentile(50);
        figures.latency_p99_ns = percentile(99);
        figures.messages_per_commit = if committed > 0 {
            world.net.stats.sent as f64 / committed as f64
        } else {
            0.0
        };
        figures
    }
}

/// The leader a stable window's majority follows now (`node`), carried on
/// from `previous` if it is the same leader of the same term: since when it
/// leads, whether its replication stands still with entries uncommitted,
/// and when a quorum last lagged its log by more than the clients can have
/// asked for.
fn follow(
    world: &World,
    previous: Option<FollowedLeader>,
    node: Option<NodeSlot>,
    now_ns: u64,
) -> Option<FollowedLeader> {
    let followed = node.and_then(|node| {
        let raw = world.host(node).node()?;
        let log = raw.log();
        let voters = &raw.conf().voters;
        let mut matched: Vec<u64> = raw
            .matched_indexes()
            .into_iter()
            .filter(|(id, _)| voters.contains(id))
            .map(|(_, index)| index.0)
            .collect();
        let progress = (log.committed().0, matched.iter().sum());
        let uncommitted = log.last_index() > log.committed();
        // What a quorum holds: the majority-th highest match index.
        matched.sort_unstable_by(|a, b| b.cmp(a));
        let quorum_matched = matched.get(matched.len() / 2).copied().unwrap_or(0);
        let quorum_lag = log.last_index().0.saturating_sub(quorum_matched);
        // Each session has one operation in flight; the leader adds its
        // own empty entry at the start of its term.
        let backlogged = quorum_lag > world.clients.len() as u64 + 1;
        Some((node, raw.term().0, progress, uncommitted, backlogged))
    });
    followed.map(|(node, term, progress, uncommitted, backlogged)| {
        let mut leader = match previous {
            Some(old) if (old.node, old.term) == (node, term) => old,
            _ => FollowedLeader {
                node,
                term,
                since_ns: now_ns,
                progress,
                stalled_since_ns: None,
                backlogged_ns: None,
            },
        };
        if backlogged {
            leader.backlogged_ns = Some(now_ns);
        }
        if !uncommitted || leader.progress != progress {
            leader.stalled_since_ns = None;
        }
        if uncommitted && leader.stalled_since_ns.is_none() {
            leader.stalled_since_ns = Some(now_ns);
        }
        leader.progress = progress;
        leader
    })
}

/// While a stable window's majority follows a leader that holds entries
/// uncommitted, replication must move (the commit index, or a follower's
/// match index) within the window's leader bound: a slow follower catching
/// up one entry a round trip is progress, a leader that stopped sending is
/// not.
fn judge_commit(
    figures: &mut AvailabilityFigures,
    window: &Window,
    stable: &Stable,
    now_ns: u64,
) -> Result<(), Violation> {
    let Some(leader) = window.leader else {
        return Ok(());
    };
    let Some(stalled_since_ns) = leader.stalled_since_ns else {
        return Ok(());
    };
    let stalled_ns = now_ns - stalled_since_ns;
    let share = stalled_ns as f64 / stable.leader_bound_ns as f64;
    figures.replication_stall_max_of_bound = figures.replication_stall_max_of_bound.max(share);
    if stalled_ns <= stable.leader_bound_ns {
        return Ok(());
    }
    Err(Violation::liveness(
        Stuck::OpsSlow,
        format!(
            "in a stable window ({} up, connected and not paused since {}) that followed \
             leader {} of term {} since {}, the leader held entries above its commit index {} \
             and replication did not move for {}, past the bound of {}",
            nodes(window.group),
            format_ns(window.start_ns),
            leader.node,
            leader.term,
            format_ns(leader.since_ns),
            leader.progress.0,
            format_ns(stalled_ns),
            format_ns(stable.leader_bound_ns),
        ),
    ))
}

/// While a stable window's majority follows a leader, no client operation
/// may wait longer than the window's bound for it.
fn judge_ops(
    figures: &mut AvailabilityFigures,
    world: &World,
    window: &Window,
    stable: &Stable,
    now_ns: u64,
    interval_ns: u64,
) -> Result<(), Violation> {
    let (Some(leader), Some(bound_ns)) = (window.leader, stable.ops_bound_ns) else {
        return Ok(());
    };
    figures.ops_judged_ns += interval_ns;
    let waiting = world
        .clients
        .iter()
        .filter(|c| c.pinned.is_none())
        .filter_map(|c| c.in_flight.as_ref().map(|op| (c, op)))
        .map(|(c, op)| {
            let from_ns = op
                .invoke_ns
                .max(leader.since_ns)
                .max(leader.backlogged_ns.unwrap_or(0));
            (c, op, now_ns - from_ns)
        })
        .max_by_key(|(_, _, waited_ns)| *waited_ns);
    let Some((client, op, waited_ns)) = waiting else {
        return Ok(());
    };
    let share = waited_ns as f64 / bound_ns as f64;
    figures.op_wait_max_of_bound = figures.op_wait_max_of_bound.max(share);
    if waited_ns <= bound_ns {
        return Ok(());
    }
    Err(Violation::liveness(
        Stuck::OpsSlow,
        format!(
            "in a stable window ({} up, connected and not paused since {}) that followed \
             leader {} of term {} since {}, client {}'s {:?} (started at {}, {} attempts) \
             waited {}, past the bound of {}",
            nodes(window.group),
            format_ns(window.start_ns),
            leader.node,
            leader.term,
            format_ns(leader.since_ns),
            client.id,
            op.command.op,
            format_ns(op.invoke_ns),
            op.attempts,
            format_ns(waited_ns),
            format_ns(bound_ns),
        ),
    ))
}

/// The nodes of `group` (a bit each), as `n1,n2,n4`.
fn nodes(group: u64) -> String {
    let names: Vec<String> = NodeSlot::all(64)
        .filter(|n| group & (1 << n.index()) != 0)
        .map(|n| n.to_string())
        .collect();
    names.join(",")
}

/// The highest term any node with memory holds.
fn highest_term(world: &World) -> u64 {
    world
        .hosts
        .iter()
        .filter_map(|h| h.node())
        .map(|r| r.term().0)
        .max()
        .unwrap_or(0)
}

/// If the world is in a stable window (a quorum of the configuration in
/// force up and pairwise connected both ways, and the network's noise
/// within bounds), its quorum and bounds.
fn stable_window(world: &World) -> Option<Stable> {
    let noise = &world.net.noise;
    if noise.drop_probability > STABLE_DROP_MAX || noise.tail_probability > STABLE_TAIL_MAX {
        return None;
    }
    let conf = world.conf_in_force()?;
    let bits = |ids: &std::collections::BTreeSet<raft_core::NodeId>| {
        ids.iter()
            .filter_map(|id| NodeSlot::of_id(*id))
            .filter(|slot| slot.index() < 64)
            .fold(0u64, |mask, slot| mask | 1 << slot.index())
    };
    let is_quorum = |group: u64| {
        crate::checker::is_quorum(&conf, |id| {
            NodeSlot::of_id(id)
                .is_some_and(|slot| slot.index() < 64 && group & (1 << slot.index()) != 0)
        })
    };
    let up: u64 = world
        .hosts
        .iter()
        .filter(|h| h.state == HostState::Up && h.node().is_some())
        .fold(0, |mask, h| mask | 1 << h.slot.index());
    if !is_quorum(up) {
        return None;
    }
    let group = connected_quorum(world, up, is_quorum)?;
    let majority = conf.voters.len() / 2 + 1;
    let tick_ns = world
        .hosts
        .iter()
        .filter(|h| group & (1 << h.slot.index()) != 0)
        .map(|h| h.tick_interval_ns)
        .max()?;
    // Election timeouts are drawn from [election, 2 * election) ticks.
    let election_max_ns = 2 * world.spec.raft.election_ticks * tick_ns;
    let fsync_max_ns = world
        .fsync_ns
        .iter()
        .enumerate()
        .filter(|(n, _)| group & (1 << n) != 0)
        .map(|(_, (_, high))| *high)
        .max()
        .unwrap_or(0);
    let round_trip_ns = 2 * noise.delay_max_ns + fsync_max_ns;
    let bare_majority = (group & bits(&conf.voters)).count_ones() as usize == majority;
    let election_timeouts =
        LEADER_WITHIN_ELECTION_TIMEOUTS + u64::from(bare_majority) * BARE_MAJORITY_EXTRA_TIMEOUTS;
    let bound_ns = election_timeouts * election_max_ns + LEADER_WITHIN_ROUND_TRIPS * round_trip_ns;
    // Without PreVote a node that rejoins the window (restarted, or back
    // from a partition) with a higher term deposes the leader, and elections
    // churn until terms settle (Raft thesis §9.6): measured, a correct
    // cluster then comes within 1% of the PreVote bound, so it gets three
    // times as long.
    let leader_bound_ns = if world.spec.raft.pre_vote {
        bound_ns
    } else {
        WITHOUT_PRE_VOTE_FACTOR * bound_ns
    };
    let workload = &world.spec.workload;
    // An attempt fails if its request, its answer or one of the
    // replication messages between is lost.
    let attempt_fail = 1.0 - (1.0 - noise.drop_probability).powi(3);
    let extra_timeouts = if attempt_fail > 0.0 {
        (OPS_MISS_CHANCE_MAX.ln() / attempt_fail.ln()).ceil() as u64
    } else {
        0
    }
    .max(OPS_WITHIN_EXTRA_TIMEOUTS_MIN);
    let timeouts = world.node_count() as u64 + extra_timeouts;
    let ops_bound_ns = timeouts * (workload.request_timeout_ns + round_trip_ns)
        + LEADER_WITHIN_ROUND_TRIPS * round_trip_ns;
    let ops_bound_ns = (ops_bound_ns + workload.request_timeout_ns <= workload.give_up_after_ns)
        .then_some(ops_bound_ns);
    Some(Stable {
        group,
        voters: bits(&conf.all_voters()),
        leader_bound_ns,
        ops_bound_ns,
    })
}

/// A set of nodes of `up` holding a quorum that all reach one another,
/// and that no other running node can reach (a node that can send to the
/// group but not hear its leader may campaign again and again: without
/// PreVote that disrupts the group, Raft thesis §4.2.3 — a fault, not a
/// stable window), if there is one.
///
/// There is at most one: every running node that can send to a member
/// must be a member, so the group is the closure of any of its members
/// under "can send to" — and two such groups would be disjoint quorums.
/// So the closure of each running node is the only candidate it has:
/// `up.count_ones()` closures of at most 64 steps each, where trying every
/// subset would take 2^64 steps for a scenario's 64 nodes.
fn connected_quorum(world: &World, up: u64, is_quorum: impl Fn(u64) -> bool) -> Option<u64> {
    let slots: Vec<NodeSlot> = world
        .nodes()
        .filter(|n| up & (1 << n.index()) != 0)
        .collect();
    // senders[i]: the running nodes that can send to node i.
    let mut senders = [0u64; 64];
    for &from in &slots {
        let reaches = !world.net.blocked_from(from) & up;
        for &to in &slots {
            if reaches & (1 << to.index()) != 0 {
                senders[to.index()] |= 1 << from.index();
            }
        }
    }
    for &start in &slots {
        let mut group = 1u64 << start.index();
        loop {
            let mut grown = group;
            let mut rest = group;
            while rest != 0 {
                let i = rest.trailing_zeros() as usize;
                rest &= rest - 1;
                grown |= senders[i];
            }
            if grown == group {
                break;
            }
            group = grown;
        }
        // Closed: no running outsider sends to a member. Every member must
        // send to every other.
        let all_connected = slots
            .iter()
            .filter(|n| group & (1 << n.index()) != 0)
            .all(|&n| world.net.blocked_from(n) & group == 0);
        if all_connected && is_quorum(group) {
            return Some(group);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    use super::connected_quorum;
    use crate::cluster::ClusterSpec;
    use crate::slot::NodeSlot;
    use crate::world::World;

    fn world(nodes: usize) -> World {
        World::new(
            ClusterSpec {
                nodes,
                ..ClusterSpec::default()
            },
            1,
        )
    }

    /// The definition, tried on every subset of `up` (fine for a few nodes).
    fn every_subset(world: &World, up: u64, is_quorum: &dyn Fn(u64) -> bool) -> Option<u64> {
        let fits = |group: u64| {
            world.nodes().all(|n| {
                let blocked = world.net.blocked_from(n);
                let bit = 1 << n.index();
                if group & bit != 0 {
                    blocked & group == 0
                } else {
                    up & bit == 0 || blocked & group == group
                }
            })
        };
        let mut found = Vec::new();
        let mut subset = up;
        loop {
            if subset != 0 && is_quorum(subset) && fits(subset) {
                found.push(subset);
            }
            if subset == 0 {
                break;
            }
            subset = (subset - 1) & up;
        }
        assert!(found.len() <= 1, "two groups: {found:?}");
        found.pop()
    }

    #[test]
    fn the_group_found_is_the_one_every_subset_finds() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let mut groups = 0;
        for _ in 0..3000 {
            let nodes = rng.random_range(1..=7usize);
            let mut world = world(nodes);
            for from in NodeSlot::all(nodes) {
                for to in NodeSlot::all(nodes) {
                    if rng.random_bool(0.3) {
                        world.net.block(from, to);
                    }
                }
            }
            let up = rng.random_range(0..1u64 << nodes);
            let majority = |group: u64| group.count_ones() as usize > nodes / 2;
            let expected = every_subset(&world, up, &majority);
            assert_eq!(connected_quorum(&world, up, majority), expected);
            groups += usize::from(expected.is_some());
        }
        assert!(groups > 100, "{groups} cases had a group");
    }

    /// A scenario may have 64 nodes: trying every subset of a partitioned
    /// one would never end.
    #[test]
    fn a_partitioned_cluster_of_64_nodes_is_judged() {
        let mut world = world(64);
        let majority = |group: u64| group.count_ones() > 32;
        let all = u64::MAX;
        let minority = |n: NodeSlot| n.index() < 30;
        for a in NodeSlot::all(64) {
            for b in NodeSlot::all(64) {
                if minority(a) != minority(b) {
                    world.net.block(a, b);
                }
            }
        }
        let majority_side = all << 30;
        assert_eq!(connected_quorum(&world, all, majority), Some(majority_side));
        world.net.heal();
        assert_eq!(connected_quorum(&world, all, majority), Some(all));
    }
}

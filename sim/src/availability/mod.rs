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
use crate::slot::NodeSlot;
use crate::units::format_ns;
use crate::world::World;

mod stable_window;
use stable_window::stable_window;

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

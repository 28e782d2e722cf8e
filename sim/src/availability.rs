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
//! The run is sampled every tick of virtual time; the tracker also keeps the
//! run's availability figures (time without a leader, terms, client
//! latency, messages per committed entry).

use serde::{Deserialize, Serialize};

use crate::checker::{Stuck, Violation};
use crate::history::{History, Outcome};
use crate::host::HostState;
use crate::units::format_ns;
use crate::world::World;

/// Maximum election timeouts a stable majority may take to elect (and its
/// followers to learn of) a leader. Measured on the correct raft-core over
/// seeds 0..5000 of the default swarm: the longest stable gap came to 64%
/// of the bound (README); a cluster whose elections come several timeouts
/// late is caught.
pub const LEADER_WITHIN_ELECTION_TIMEOUTS: u64 = 3;
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
    /// When it opened.
    start_ns: u64,
    /// The last sample in it that saw a leader.
    leader_seen_ns: Option<u64>,
    /// The highest term when it opened.
    term_at_start: u64,
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
        let leader = world.followed_leader().is_some();
        self.figures.sampled_ns += interval_ns;
        if !leader {
            self.figures.leaderless_ns += interval_ns;
        }
        let Some((group, bound_ns)) = stable_bound_ns(world) else {
            self.window = None;
            return Ok(());
        };
        let term = highest_term(world);
        // A different majority (a node crashed, restarted or was cut off):
        // a new window, judged from now.
        if self.window.is_some_and(|w| w.group != group) {
            self.window = None;
        }
        let window = self.window.get_or_insert(Window {
            group,
            start_ns: now_ns,
            leader_seen_ns: None,
            term_at_start: term,
        });
        if leader {
            window.leader_seen_ns = Some(now_ns);
        }
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

/// The nodes of `group` (a bit each), as `n1,n2,n4`.
fn nodes(group: u64) -> String {
    let names: Vec<String> = (0..64)
        .filter(|n| group & (1 << n) != 0)
        .map(|n| format!("n{}", n + 1))
        .collect();
    names.join(",")
}

/// The highest term any node with memory holds.
fn highest_term(world: &World) -> u64 {
    world
        .hosts
        .iter()
        .filter_map(|h| h.raw())
        .map(|r| r.term().0)
        .max()
        .unwrap_or(0)
}

/// If the world is in a stable window, its majority and the bound on its
/// time without a leader: a majority of nodes up and pairwise connected both ways, and the
/// network's noise within bounds.
fn stable_bound_ns(world: &World) -> Option<(u64, u64)> {
    let noise = &world.net.noise;
    if noise.drop_probability > STABLE_DROP_MAX || noise.tail_probability > STABLE_TAIL_MAX {
        return None;
    }
    let majority = world.node_count() / 2 + 1;
    let up: u64 = world
        .hosts
        .iter()
        .filter(|h| h.state == HostState::Up && h.raw().is_some())
        .fold(0, |mask, h| mask | 1 << h.index);
    if (up.count_ones() as usize) < majority {
        return None;
    }
    let group = connected_majority(world, up, majority)?;
    let tick_ns = world
        .hosts
        .iter()
        .filter(|h| group & (1 << h.index) != 0)
        .map(|h| h.tick_interval_ns)
        .max()?;
    // Election timeouts are drawn from [election, 2 * election) ticks.
    let election_max_ns = 2 * world.spec.election_ticks * tick_ns;
    let fsync_max_ns = world
        .fsync_ns
        .iter()
        .enumerate()
        .filter(|(n, _)| group & (1 << n) != 0)
        .map(|(_, (_, high))| *high)
        .max()
        .unwrap_or(0);
    let round_trip_ns = 2 * noise.delay_max_ns + fsync_max_ns;
    let bound_ns = LEADER_WITHIN_ELECTION_TIMEOUTS * election_max_ns
        + LEADER_WITHIN_ROUND_TRIPS * round_trip_ns;
    // Without PreVote a node that rejoins the window (restarted, or back
    // from a partition) with a higher term deposes the leader, and elections
    // churn until terms settle (Raft thesis §9.6): measured, a correct
    // cluster then comes within 1% of the PreVote bound, so it gets three
    // times as long.
    let bound_ns = if world.spec.pre_vote {
        bound_ns
    } else {
        WITHOUT_PRE_VOTE_FACTOR * bound_ns
    };
    Some((group, bound_ns))
}

/// A set of at least `majority` nodes of `up` that all reach one another,
/// and that no other running node can reach (a node that can send to the
/// group but not hear its leader may campaign again and again: without
/// PreVote that disrupts the group, Raft thesis §4.2.3 — a fault, not a
/// stable window), if there is one.
fn connected_majority(world: &World, up: u64, majority: usize) -> Option<u64> {
    let reaches_all = |group: u64| {
        (0..world.node_count()).all(|n| {
            let blocked = world.net.blocked_from(n);
            if group & (1 << n) != 0 {
                blocked & group == 0
            } else {
                // Down or paused nodes send nothing; a running outsider
                // must be cut off from the whole group.
                up & (1 << n) == 0 || blocked & group == group
            }
        })
    };
    if reaches_all(up) {
        return Some(up);
    }
    // Partitioned: try the subsets of `up` (at most 2^9 for 9 nodes).
    let mut subset = up;
    while subset != 0 {
        subset = (subset - 1) & up;
        if subset.count_ones() as usize >= majority && reaches_all(subset) {
            return Some(subset);
        }
    }
    None
}

//! `raftsim check`, first cut: an exhaustive breadth-first search over the
//! real raft-core code, hosts and checkers. Time is abstract: timers are
//! actions ("node n's election timeout fires", "leader n's heartbeat
//! fires"), so states do not multiply by tick counts, and tick counters are
//! left out of the fingerprint. Breadth-first order makes the first
//! counterexample a shortest one; it is written as a manual-mode scenario.
//!
//! Not yet here (issue 5 continues): partial-order reduction, symmetry,
//! the parallel search, depth-first and random-walk modes, the 128-bit
//! fingerprint option, message duplication, and reordering of two messages
//! of one kind on one link (deliveries on a link are FIFO per message kind,
//! which is what a manual-mode `deliver A -> B TYPE` can name).

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::hash::Hash;

use raft_core::Role;

use crate::checker::{Checkers, Violation};
use crate::host::{HostBugs, HostState};
use crate::net::{Endpoint, Payload};
use crate::world::{Action, ClusterSpec, Event, World};

/// The bounds of a search.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bounds {
    /// Voters.
    pub nodes: usize,
    /// No election past this term.
    pub max_term: u64,
    /// No proposal past this log length.
    pub max_log: u64,
    /// States with more messages in flight are not expanded.
    pub max_msgs: usize,
    /// Messages lost, at most.
    pub max_drops: u32,
    /// Crashes, at most.
    pub max_crashes: u32,
    /// Client proposals, at most.
    pub max_proposals: u32,
    /// Actions from the initial state, at most.
    pub max_depth: u32,
    /// raft-core's PreVote.
    pub pre_vote: bool,
    /// raft-core's CheckQuorum (its timer is not an action yet).
    pub check_quorum: bool,
    /// Test-only rule breaking by the hosts.
    pub host_bugs: HostBugs,
}

impl Default for Bounds {
    fn default() -> Bounds {
        Bounds {
            nodes: 3,
            max_term: 2,
            max_log: 3,
            max_msgs: 6,
            max_drops: 0,
            max_crashes: 0,
            max_proposals: 1,
            max_depth: 40,
            pre_vote: false,
            check_quorum: false,
            host_bugs: HostBugs::default(),
        }
    }
}

/// One action of the search, as a manual-mode scenario names it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Step {
    /// Deliver the oldest in-flight message of `kind` from `from` to `to`.
    Deliver(usize, usize, &'static str),
    /// Lose it instead.
    Drop(usize, usize, &'static str),
    /// A node's election timer fires.
    Campaign(usize),
    /// A leader's heartbeat timer fires.
    Heartbeat(usize),
    /// A node's pending write completes.
    Persist(usize),
    /// Power loss.
    Crash(usize),
    /// Boot from disk.
    Restart(usize),
    /// One client entry proposed straight to a leader.
    Propose(usize),
}

impl Step {
    /// The step as a scenario line.
    #[must_use]
    pub fn scenario_line(&self) -> String {
        match self {
            Step::Deliver(a, b, kind) => format!("deliver {} -> {} {kind}", a + 1, b + 1),
            Step::Drop(a, b, kind) => format!("drop {} -> {} {kind}", a + 1, b + 1),
            Step::Campaign(n) => format!("campaign {}", n + 1),
            Step::Heartbeat(n) => format!("heartbeat {}", n + 1),
            Step::Persist(n) => format!("persist {}", n + 1),
            Step::Crash(n) => format!("crash {}", n + 1),
            Step::Restart(n) => format!("restart {}", n + 1),
            Step::Propose(n) => format!("propose 1 on {}", n + 1),
        }
    }
}

/// Budget spent along a path (part of the state: a state with budget left
/// can do more than the same cluster without).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
struct Spent {
    drops: u32,
    crashes: u32,
    proposals: u32,
}

/// A state of the search: the world, the checkers' ledgers along the path
/// that reached it, and the budget spent.
#[derive(Clone, Debug)]
struct State {
    world: World,
    checkers: Checkers,
    spent: Spent,
}

/// "Sometimes" properties: each must be reached in some state, so that a
/// bound too small to reach anything shows instead of passing silently.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sometimes {
    /// A leader was elected.
    pub leader_elected: bool,
    /// An entry committed.
    pub entry_committed: bool,
    /// Leaders of two different terms were seen.
    pub leader_changed: bool,
    /// A node's log got shorter (entries replaced or lost).
    pub log_truncated: bool,
}

/// A shortest path to a violation.
#[derive(Clone, Debug)]
pub struct Counterexample {
    /// What broke.
    pub violation: Violation,
    /// The actions from the initial state.
    pub steps: Vec<Step>,
}

/// What a search found.
#[derive(Clone, Debug)]
pub struct Report {
    /// Distinct states visited.
    pub distinct_states: u64,
    /// States generated (with duplicates).
    pub generated_states: u64,
    /// The deepest level reached.
    pub depth: u32,
    /// The sometimes-properties reached.
    pub sometimes: Sometimes,
    /// The first (shortest) violation, if any.
    pub counterexample: Option<Counterexample>,
}

fn initial(bounds: &Bounds) -> State {
    let spec = ClusterSpec {
        nodes: bounds.nodes,
        clients: 0,
        pre_vote: bounds.pre_vote,
        check_quorum: bounds.check_quorum,
        host_bugs: bounds.host_bugs,
        ..ClusterSpec::default()
    };
    State {
        world: World::new(spec, 0),
        checkers: Checkers::new(bounds.nodes),
        spent: Spent::default(),
    }
}

/// The oldest in-flight Raft message of `kind` from `from` to `to`.
fn oldest(world: &World, from: usize, to: usize, kind: &str) -> Option<u64> {
    world
        .net
        .in_flight()
        .find(|(_, p)| match (p.from, p.to, &p.payload) {
            (Endpoint::Node(f), Endpoint::Node(t), Payload::Raft(m)) => {
                f == from && t == to && m.body.kind_name() == kind
            }
            _ => false,
        })
        .map(|(id, _)| id)
}

/// Every action enabled in `state`, in a fixed order.
fn enabled(state: &State, bounds: &Bounds) -> Vec<Step> {
    let world = &state.world;
    let mut links = BTreeSet::new();
    for (_, packet) in world.net.in_flight() {
        if let (Endpoint::Node(f), Endpoint::Node(t), Payload::Raft(m)) =
            (packet.from, packet.to, &packet.payload)
        {
            links.insert((f, t, m.body.kind_name()));
        }
    }
    let mut steps = Vec::new();
    for (f, t, kind) in links {
        steps.push(Step::Deliver(f, t, kind));
        if state.spent.drops < bounds.max_drops {
            steps.push(Step::Drop(f, t, kind));
        }
    }
    for (node, host) in world.hosts.iter().enumerate() {
        let pending = world
            .scheduled()
            .any(|(_, e)| matches!(e, Event::Synced { node: n, .. } if n == node));
        if pending {
            steps.push(Step::Persist(node));
        }
        match (host.state, host.raw()) {
            (HostState::Down, _) | (_, None) => steps.push(Step::Restart(node)),
            (_, Some(raw)) => {
                let leader = raw.role() == Role::Leader;
                if !leader && raw.term().0 < bounds.max_term {
                    steps.push(Step::Campaign(node));
                }
                if leader {
                    steps.push(Step::Heartbeat(node));
                    if state.spent.proposals < bounds.max_proposals
                        && raw.log().last_index().0 < bounds.max_log
                    {
                        steps.push(Step::Propose(node));
                    }
                }
                if state.spent.crashes < bounds.max_crashes {
                    steps.push(Step::Crash(node));
                }
            }
        }
    }
    steps
}

/// Applies `step`; the checkers look at once.
fn apply(state: &mut State, step: &Step) -> Result<(), Violation> {
    let world = &mut state.world;
    let action = match *step {
        Step::Deliver(f, t, kind) => {
            Action::Event(Event::Deliver(oldest(world, f, t, kind).expect("enabled")))
        }
        Step::Drop(f, t, kind) => {
            state.spent.drops += 1;
            Action::Drop(oldest(world, f, t, kind).expect("enabled"))
        }
        Step::Campaign(n) => Action::Campaign(n),
        Step::Heartbeat(n) => Action::HeartbeatTimeout(n),
        Step::Persist(n) => {
            let event = world
                .scheduled()
                .find(|(_, e)| matches!(e, Event::Synced { node, .. } if *node == n))
                .map(|(_, e)| e)
                .expect("enabled");
            Action::Event(event)
        }
        Step::Crash(n) => {
            state.spent.crashes += 1;
            Action::Crash(n)
        }
        Step::Restart(n) => Action::Restart(n),
        Step::Propose(n) => {
            state.spent.proposals += 1;
            Action::Propose { node: n, count: 1 }
        }
    };
    world.apply(action);
    state.checkers.after_step(world, true)
}

/// The fingerprint of a state: hosts without their clocks, in-flight
/// messages as a sorted multiset (ids and delivery times left out), blocked
/// links, and the budget spent.
fn fingerprint(state: &State) -> u64 {
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    for host in &state.world.hosts {
        host.hash_protocol_state(&mut hasher);
    }
    let mut packets: Vec<u64> = state
        .world
        .net
        .in_flight()
        .map(|(_, p)| {
            let mut h = xxhash_rust::xxh3::Xxh3::new();
            p.hash(&mut h);
            std::hash::Hasher::finish(&h)
        })
        .collect();
    packets.sort_unstable();
    packets.hash(&mut hasher);
    state.world.net.blocked_links().hash(&mut hasher);
    state.spent.hash(&mut hasher);
    std::hash::Hasher::finish(&hasher)
}

fn note_sometimes(
    sometimes: &mut Sometimes,
    parent: &State,
    child: &State,
    leaders: &mut BTreeMap<u64, usize>,
) {
    for (host, before) in child.world.hosts.iter().zip(&parent.world.hosts) {
        let Some(raw) = host.raw() else { continue };
        if raw.role() == Role::Leader {
            sometimes.leader_elected = true;
            leaders.insert(raw.term().0, host.index);
            sometimes.leader_changed |= leaders.len() > 1;
        }
        sometimes.entry_committed |= raw.log().committed().0 > 0;
        if let Some(old) = before.raw() {
            sometimes.log_truncated |= raw.log().last_index() < old.log().last_index();
        }
    }
}

/// Breadth-first search within `bounds`; `progress` is told the distinct
/// states and depth now and then.
pub fn check(bounds: &Bounds, mut progress: impl FnMut(u64, u32)) -> Report {
    let start = initial(bounds);
    let mut visited = BTreeSet::new();
    let mut parents: BTreeMap<u64, (u64, u32)> = BTreeMap::new();
    let root = fingerprint(&start);
    visited.insert(root);
    let mut queue = VecDeque::from([(start, root, 0u32)]);
    let mut report = Report {
        distinct_states: 1,
        generated_states: 1,
        depth: 0,
        sometimes: Sometimes::default(),
        counterexample: None,
    };
    let mut leaders = BTreeMap::new();
    while let Some((state, fp, depth)) = queue.pop_front() {
        report.depth = report.depth.max(depth);
        if state.world.net.in_flight_count() > bounds.max_msgs || depth >= bounds.max_depth {
            continue;
        }
        for (index, step) in enabled(&state, bounds).iter().enumerate() {
            let mut child = state.clone();
            report.generated_states += 1;
            if let Err(violation) = apply(&mut child, step) {
                let mut path = vec![index as u32];
                let mut at = fp;
                while let Some((parent, i)) = parents.get(&at) {
                    path.push(*i);
                    at = *parent;
                }
                path.reverse();
                report.counterexample = Some(replay(bounds, &path, violation));
                return report;
            }
            note_sometimes(&mut report.sometimes, &state, &child, &mut leaders);
            let child_fp = fingerprint(&child);
            if visited.insert(child_fp) {
                parents.insert(child_fp, (fp, index as u32));
                report.distinct_states += 1;
                if report.distinct_states % 4096 == 0 {
                    progress(report.distinct_states, depth + 1);
                }
                queue.push_back((child, child_fp, depth + 1));
            }
        }
    }
    progress(report.distinct_states, report.depth);
    report
}

/// Rebuilds the path by replaying action indexes from the initial state.
/// A replay that does not end in the same violation means hidden
/// nondeterminism, which is a bug of its own.
fn replay(bounds: &Bounds, path: &[u32], found: Violation) -> Counterexample {
    let mut state = initial(bounds);
    let mut steps = Vec::new();
    for (n, index) in path.iter().enumerate() {
        let step = enabled(&state, bounds)[*index as usize].clone();
        let result = apply(&mut state, &step);
        steps.push(step);
        if n + 1 == path.len() {
            let violation = result.err().unwrap_or_else(|| {
                panic!(
                    "replaying the counterexample did not break {} again: hidden nondeterminism",
                    found.invariant
                )
            });
            return Counterexample { violation, steps };
        }
        assert!(
            result.is_ok(),
            "replay broke an invariant early: hidden nondeterminism"
        );
    }
    Counterexample {
        violation: found,
        steps,
    }
}

/// A counterexample as a manual-mode scenario that `raftsim scenario` replays.
#[must_use]
pub fn scenario_text(bounds: &Bounds, counterexample: &Counterexample) -> String {
    let on = |b: bool| if b { "on" } else { "off" };
    let mut text = format!(
        "# Found by `raftsim check`: a shortest path ({} actions) to a violation of\n# {}: {}\ncluster {} pre_vote={} check_quorum={}\nmanual\n",
        counterexample.steps.len(),
        counterexample.violation.invariant,
        counterexample.violation.message,
        bounds.nodes,
        on(bounds.pre_vote),
        on(bounds.check_quorum)
    );
    for step in &counterexample.steps {
        text.push_str(&step.scenario_line());
        text.push('\n');
    }
    text
}

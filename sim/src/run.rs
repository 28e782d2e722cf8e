//! The random driver: one swarm run of one seed. The seed picks the fault
//! mix and the schedule; the world runs its earliest event (or the next
//! scheduled fault) until the end; the checkers look after every step; the
//! last part of the run is healed and must make progress.

use std::panic::{self, AssertUnwindSafe};

use raft_core::Role;
use serde::Serialize;

use crate::checker::{Checkers, Invariant, Violation};
use crate::history::{Outcome, OutcomeCounts};
use crate::host::HostState;
use crate::net::NetStats;
use crate::swarm::{Fault, FaultMix, Resolver, Schedule, Who};
use crate::trace::{Trace, TraceEvent, What};
use crate::world::{Action, ClusterSpec, World, WorldStats};

/// What to run.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// The seed: it decides everything else.
    pub seed: u64,
    /// The cluster.
    pub spec: ClusterSpec,
    /// Length of the fault phase.
    pub fault_ns: u64,
    /// Length of the healed phase that must show progress.
    pub heal_ns: u64,
    /// Run the invariant checkers (off only to measure their cost).
    pub checkers: bool,
    /// A bound on events, so no run can hang.
    pub max_events: u64,
    /// Use this fault mix instead of the seed's.
    pub mix: Option<FaultMix>,
    /// Use this schedule instead of the one the mix and seed make.
    pub schedule: Option<Schedule>,
    /// Pin the cluster size instead of letting the seed choose.
    pub nodes: Option<usize>,
    /// Pin PreVote instead of letting the seed choose.
    pub pre_vote: Option<bool>,
    /// Pin CheckQuorum instead of letting the seed choose.
    pub check_quorum: Option<bool>,
    /// Let the seed choose raft-core's timing and flow-control settings,
    /// the client rate and disk latency (swarm testing); off, `spec` is used
    /// as given.
    pub seed_picks_settings: bool,
}

impl RunOptions {
    /// The default run for `seed`: 3 nodes, 20 s of faults, 10 s healed.
    #[must_use]
    pub fn new(seed: u64) -> RunOptions {
        RunOptions {
            seed,
            spec: ClusterSpec::default(),
            fault_ns: 20_000_000_000,
            heal_ns: 10_000_000_000,
            checkers: true,
            max_events: 5_000_000,
            mix: None,
            schedule: None,
            nodes: None,
            pre_vote: None,
            check_quorum: None,
            seed_picks_settings: true,
        }
    }

    /// The cluster this run builds: `spec`, with the settings the seed picks.
    #[must_use]
    pub fn cluster_spec(&self) -> ClusterSpec {
        let mut spec = self.spec.clone();
        if self.seed_picks_settings {
            let mix = self.fault_mix();
            spec.pre_vote = mix.raft.pre_vote;
            spec.check_quorum = mix.raft.check_quorum;
            spec.election_ticks = mix.raft.election_ticks;
            spec.heartbeat_ticks = mix.raft.heartbeat_ticks;
            spec.max_inflight_msgs = mix.raft.max_inflight_msgs;
            spec.max_size_per_msg_bytes = mix.raft.max_size_per_msg_bytes;
            spec.workload.rate_per_s = mix.client_rate_per_s;
            spec.fsync_min_ns = mix.fsync_min_ns;
            spec.fsync_max_ns = mix.fsync_max_ns;
            spec.nodes = mix.nodes;
        }
        spec.nodes = self.nodes.unwrap_or(spec.nodes);
        spec.pre_vote = self.pre_vote.unwrap_or(spec.pre_vote);
        spec.check_quorum = self.check_quorum.unwrap_or(spec.check_quorum);
        spec
    }

    /// The fault mix this run uses.
    #[must_use]
    pub fn fault_mix(&self) -> FaultMix {
        self.mix
            .clone()
            .unwrap_or_else(|| FaultMix::from_seed(self.seed))
    }

    /// The schedule this run uses.
    #[must_use]
    pub fn fault_schedule(&self) -> Schedule {
        self.schedule.clone().unwrap_or_else(|| {
            Schedule::generate(
                &self.fault_mix(),
                self.seed,
                self.cluster_spec().nodes,
                self.fault_ns,
                self.fault_ns + self.heal_ns / 2,
            )
        })
    }
}

/// A failed run: the broken invariant, when, and what led there.
#[derive(Clone, Debug, Serialize)]
pub struct Failure {
    /// What broke.
    pub violation: Violation,
    /// Virtual time of the event after which it was seen.
    pub time_ns: u64,
    /// The last events before it.
    #[serde(skip)]
    pub tail: Vec<TraceEvent>,
}

/// The outcome of one run.
#[derive(Clone, Debug, Serialize)]
pub struct RunReport {
    /// The seed.
    pub seed: u64,
    /// The fault mix used.
    pub mix: FaultMix,
    /// Steps in the fault schedule.
    pub schedule_steps: usize,
    /// The failure, if any.
    pub failure: Option<Failure>,
    /// Virtual time reached.
    pub sim_time_ns: u64,
    /// Events applied.
    pub events: u64,
    /// Network counters.
    pub net: NetStats,
    /// Fault counters.
    pub world: WorldStats,
    /// The highest index committed.
    pub committed: u64,
    /// Client operations by outcome.
    pub ops: OutcomeCounts,
    /// The trace hash: the same seed and build give the same hash.
    pub trace_hash: u64,
    /// The node each named fault hit (faults aimed at "the leader" or at a
    /// node caught mid-write are resolved only when they strike).
    pub resolved: std::collections::BTreeMap<u32, usize>,
    /// When each mid-write crash struck.
    pub fired_at_ns: std::collections::BTreeMap<u32, u64>,
}

impl RunReport {
    /// Whether no invariant broke.
    #[must_use]
    pub fn ok(&self) -> bool {
        self.failure.is_none()
    }
}

/// Everything a run mutates, kept outside the panic boundary so that a
/// panic inside raft-core still yields a report.
struct RunState {
    world: World,
    checkers: Checkers,
    trace: Trace,
    failure: Option<Failure>,
    resolver: Resolver,
}

/// Runs one seed. `sink`, if given, receives every trace event.
pub fn run(options: &RunOptions, mut sink: Option<&mut dyn FnMut(&TraceEvent)>) -> RunReport {
    let mix = options.fault_mix();
    let schedule = options.fault_schedule();
    let mut state = RunState {
        world: World::new(options.cluster_spec(), options.seed),
        checkers: Checkers::new(options.cluster_spec().nodes),
        trace: Trace::default(),
        failure: None,
        resolver: Resolver::default(),
    };
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
        drive(options, &schedule, &mut state, &mut sink);
    }));
    if let Err(payload) = outcome {
        let message = panic_message(payload.as_ref());
        let violation = Violation::new(Invariant::Panic, state.world.touched.clone(), message);
        state.failure = Some(Failure {
            violation,
            time_ns: state.world.now_ns,
            tail: state.trace.tail(),
        });
    }
    let digest = state
        .world
        .hosts
        .iter()
        .filter_map(|h| h.raw())
        .fold(0u64, |acc, raw| {
            acc.rotate_left(7) ^ raw.log().committed().0 ^ (raw.term().0 << 32)
        });
    state.trace.finish(digest);
    let world = &state.world;
    RunReport {
        seed: options.seed,
        mix,
        schedule_steps: schedule.steps.len(),
        failure: state.failure,
        sim_time_ns: world.now_ns,
        events: world.stats.events,
        net: world.net.stats.clone(),
        world: world.stats.clone(),
        committed: state.checkers.committed_index().0,
        ops: world.history.counts(),
        trace_hash: state.trace.hash(),
        resolved: state.resolver.names().clone(),
        fired_at_ns: state.resolver.fired_at_ns().clone(),
    }
}

fn drive(
    options: &RunOptions,
    schedule: &Schedule,
    state: &mut RunState,
    sink: &mut Option<&mut dyn FnMut(&TraceEvent)>,
) {
    let mut resolver = std::mem::take(&mut state.resolver);
    drive_with(options, schedule, state, sink, &mut resolver);
    state.resolver = resolver;
}

fn drive_with(
    options: &RunOptions,
    schedule: &Schedule,
    state: &mut RunState,
    sink: &mut Option<&mut dyn FnMut(&TraceEvent)>,
    resolver: &mut Resolver,
) {
    let end_ns = options.fault_ns + options.heal_ns;
    let mut faults = schedule.steps.iter().peekable();
    let mut armed: Vec<u32> = Vec::new();
    loop {
        if let Some(message) = over_budget(options, &state.world) {
            fail(
                state,
                Violation::new(Invariant::Liveness, Vec::new(), message),
            );
            return;
        }
        if let Some(name) = armed.first().copied() {
            if let Some(event) = fire_mid_write_crash(state, resolver, name) {
                armed.remove(0);
                record(state, sink, event);
                if check(options, state).is_err() {
                    return;
                }
            }
        }
        let next_event = state.world.next_event();
        let fault_first = match (faults.peek(), next_event) {
            (Some(f), Some((t, _))) => f.at_ns <= t,
            (Some(_), None) => true,
            (None, _) => false,
        };
        if fault_first {
            let fault = faults.next().expect("peeked");
            if fault.at_ns > end_ns {
                break;
            }
            state.world.advance_clock_to(fault.at_ns);
            let event = TraceEvent {
                time_ns: fault.at_ns,
                what: What::Fault {
                    action: format!("{:?}", fault.fault),
                },
            };
            // Recorded before it runs, so a failure's tail ends with it.
            record(state, sink, event);
            match fault.fault {
                Fault::CrashMidWrite(name) => armed.push(name),
                // The crash's time is over (or everything heals): disarm.
                Fault::Restart(Who::Named(name)) => armed.retain(|a| *a != name),
                _ if fault.at_ns >= options.fault_ns => armed.clear(),
                _ => {}
            }
            for action in resolver.actions(&fault.fault, &state.world) {
                state.world.apply(action);
                if check(options, state).is_err() {
                    break;
                }
            }
        } else {
            let Some((time_ns, next)) = next_event else {
                break;
            };
            if time_ns > end_ns {
                break;
            }
            let event = TraceEvent::of_event(&state.world, time_ns, next);
            record(state, sink, event);
            state.world.step();
            let _ = check(options, state);
        }
        if state.failure.is_some() {
            return;
        }
    }
    state.world.advance_clock_to(end_ns);
    if let Err(violation) = final_checks(options, state) {
        fail(state, violation);
    }
}

fn record(state: &mut RunState, sink: &mut Option<&mut dyn FnMut(&TraceEvent)>, event: TraceEvent) {
    if let Some(sink) = sink.as_mut() {
        sink(&event);
    }
    state.trace.record(event);
}

/// Events beyond the run's bounds: an absolute cap, and a pace no healthy
/// cluster reaches (a message storm: 100,000 events per simulated second).
fn over_budget(options: &RunOptions, world: &World) -> Option<String> {
    let events = world.stats.events;
    if events >= options.max_events {
        return Some(format!("event bound of {} hit", options.max_events));
    }
    let entries = world.net.stats.entries_sent;
    let entries_bound = 1_000_000 + world.now_ns / 10_000;
    if entries > entries_bound {
        return Some(format!(
            "replication storm: {entries} entries sent in {:.3} simulated seconds",
            world.now_ns as f64 / 1e9
        ));
    }
    let pace_bound = 100_000 + world.now_ns / 10_000;
    (events > pace_bound).then(|| {
        format!(
            "message storm: {events} events in {:.3} simulated seconds",
            world.now_ns as f64 / 1e9
        )
    })
}

/// Fires an armed mid-write crash if the last event left a node with a
/// write waiting for its fsync.
fn fire_mid_write_crash(
    state: &mut RunState,
    resolver: &mut Resolver,
    name: u32,
) -> Option<TraceEvent> {
    let world = &mut state.world;
    let node = world
        .touched
        .iter()
        .copied()
        .find(|n| world.hosts[*n].state == HostState::Up && world.hosts[*n].is_mid_write())?;
    resolver.fired(name, node, world.now_ns);
    world.apply(Action::Crash(node));
    Some(TraceEvent {
        time_ns: world.now_ns,
        what: What::Fault {
            action: format!("Crash(Node({node})) mid-write"),
        },
    })
}

fn fail(state: &mut RunState, violation: Violation) {
    state.failure = Some(Failure {
        violation,
        time_ns: state.world.now_ns,
        tail: state.trace.tail(),
    });
}

/// Runs the checkers on the nodes the last action touched.
fn check(options: &RunOptions, state: &mut RunState) -> Result<(), ()> {
    let RunState {
        world, checkers, ..
    } = state;
    checkers
        .after_step(world, options.checkers)
        .map_err(|violation| fail(state, violation))
}

/// The end of the run: durability over every node, then liveness — after
/// the heal there must be a leader that a majority follows, and every client
/// operation must have finished, those started after the heal successfully.
fn final_checks(options: &RunOptions, state: &RunState) -> Result<(), Violation> {
    if options.checkers {
        state.checkers.final_check()?;
    }
    let world = &state.world;
    let majority = world.node_count() / 2 + 1;
    let followed = world.hosts.iter().filter_map(|h| h.raw()).any(|leader| {
        leader.role() == Role::Leader
            && world
                .hosts
                .iter()
                .filter(|h| h.state == HostState::Up)
                .filter_map(|h| h.raw())
                .filter(|n| n.term() == leader.term() && n.leader() == Some(leader.id()))
                .count()
                >= majority
    });
    if !followed {
        return Err(Violation::new(
            Invariant::Liveness,
            Vec::new(),
            "no leader followed by a majority after every fault healed".into(),
        ));
    }
    let stuck: Vec<_> = world
        .history
        .ops
        .iter()
        .filter(|op| match op.outcome {
            Outcome::Pending => true,
            Outcome::Ok { .. } => false,
            Outcome::Fail | Outcome::Unknown => op.invoke_ns >= options.fault_ns,
        })
        .collect();
    if let Some(op) = stuck.first() {
        return Err(Violation::new(
            Invariant::Liveness,
            Vec::new(),
            format!(
                "{} client operation(s) did not complete after the heal, e.g. client {} seq {} ({:?})",
                stuck.len(),
                op.client,
                op.seq,
                op.outcome
            ),
        ));
    }
    Ok(())
}

/// The message a panic carried.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_string()))
        .unwrap_or_else(|| "unknown panic".into())
}

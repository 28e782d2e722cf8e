//! The random driver: one swarm run of one seed. The seed picks the fault
//! mix and the schedule; the world runs its earliest event (or the next
//! scheduled fault) until the end; the checkers look after every step; the
//! last part of the run is healed and must make progress.

use serde::Serialize;

use crate::availability::AvailabilityFigures;
use crate::checker::{Invariant, Stuck, Violation};
use crate::history::OutcomeCounts;
use crate::membership_plan::MembershipPlan;
use crate::net::NetStats;
use crate::read_path::ReadPath;
use crate::stepper::{Halt, StepBounds, Stepper};
use crate::sut::Feature;
use crate::swarm::{Fault, FaultMix, Resolver, Schedule, Who};
use crate::trace::TraceEvent;
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
    /// The linearizability checker's budget of configurations per key;
    /// `None` skips it (`--no-lincheck`).
    pub lincheck_budget: Option<u64>,
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
    /// Pin how often hosts snapshot (`Some(None)`: never) instead of
    /// letting the seed choose.
    pub snapshot_every: Option<Option<u64>>,
    /// Pin whether the seed's membership plan runs (`Some(true)`: the plan
    /// the seed draws, even if its coin said no) instead of letting the
    /// seed choose.
    pub membership: Option<bool>,
    /// Pin how clients' gets are served instead of letting the seed choose.
    pub reads: Option<ReadPath>,
    /// Pin the largest clock drift, as a fraction (0.5: clocks run 0.5x
    /// to 1.5x), instead of letting the seed choose (none, or up to 30%:
    /// within the lease's allowance, raft-core's `max_clock_drift_percent`).
    pub clock_drift: Option<f64>,
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
            max_events: event_bound(30_000_000_000),
            lincheck_budget: Some(lincheck::BUDGET_CONFIGURATIONS_DEFAULT),
            mix: None,
            schedule: None,
            nodes: None,
            pre_vote: None,
            check_quorum: None,
            snapshot_every: None,
            membership: None,
            reads: None,
            clock_drift: None,
            seed_picks_settings: true,
        }
    }

    /// What the seed resolves into, computed once: the fault mix, the
    /// cluster built from it, and the schedule of faults. A run uses exactly
    /// this (the printed plan is made from the same resolution).
    #[must_use]
    pub fn resolve(&self) -> Resolved {
        let mix = self.fault_mix();
        let spec = self.cluster_spec_from(&mix);
        let schedule = self.schedule.clone().unwrap_or_else(|| {
            Schedule::generate(
                &mix,
                self.seed,
                spec.nodes,
                self.fault_ns,
                self.fault_ns + self.heal_ns / 2,
            )
        });
        Resolved {
            mix,
            spec,
            schedule,
        }
    }

    /// The cluster this run builds: `spec`, with the settings the seed picks.
    #[must_use]
    pub fn cluster_spec(&self) -> ClusterSpec {
        self.cluster_spec_from(&self.fault_mix())
    }

    /// `spec`, with the settings `mix` (the seed's) picks, then the pins.
    fn cluster_spec_from(&self, mix: &FaultMix) -> ClusterSpec {
        let mut spec = self.spec.clone();
        if self.seed_picks_settings {
            spec.raft = mix.raft.clone();
            spec.workload.rate_per_s = mix.client_rate_per_s;
            spec.fsync_min_ns = mix.fsync_min_ns;
            spec.fsync_max_ns = mix.fsync_max_ns;
            spec.nodes = mix.nodes;
            spec.snapshot_every_entries = mix.snapshot_every_entries;
            spec.workload.reads = mix.reads;
        }
        spec.workload.reads = self.reads.unwrap_or(spec.workload.reads);
        spec.workload.reads = spec.workload.reads.within(&spec.sut);
        spec.raft.lease_reads = spec.workload.reads == ReadPath::Lease;
        spec.snapshot_every_entries = self.snapshot_every.unwrap_or(spec.snapshot_every_entries);
        if !spec.sut.supports(Feature::Snapshots) {
            spec.snapshot_every_entries = None;
        }
        spec.nodes = self.nodes.unwrap_or(spec.nodes);
        spec.raft.pre_vote = self.pre_vote.unwrap_or(spec.raft.pre_vote);
        spec.raft.check_quorum = self.check_quorum.unwrap_or(spec.raft.check_quorum);
        spec.spares = mix.membership.map_or(0, |plan| plan.spares(spec.nodes));
        // Without PreVote and CheckQuorum a removed node that keeps timing
        // out disrupts the cluster (thesis §4.2.3): the operator shuts it
        // down, as one would.
        spec.retire_removed =
            mix.membership.is_some() && !spec.raft.pre_vote && !spec.raft.check_quorum;
        spec
    }

    /// The fault mix this run uses.
    #[must_use]
    pub fn fault_mix(&self) -> FaultMix {
        let mut mix = self
            .mix
            .clone()
            .unwrap_or_else(|| FaultMix::from_seed(self.seed));
        match self.membership {
            Some(true) if mix.membership.is_none() => {
                mix.membership = Some(MembershipPlan::for_seed(self.seed).1);
            }
            Some(false) => mix.membership = None,
            _ => {}
        }
        mix.reads = self.reads.unwrap_or(mix.reads);
        mix.clock_drift = self.clock_drift.unwrap_or(mix.clock_drift);
        // What the Raft under test cannot do, the seed does not ask of it
        // (a pin it cannot honour is the command line's usage error).
        let sut = &self.spec.sut;
        if !sut.supports(Feature::Membership) {
            mix.membership = None;
        }
        if !sut.supports(Feature::Snapshots) {
            mix.snapshot_every_entries = None;
        }
        mix.reads = mix.reads.within(sut);
        mix
    }

    /// The schedule this run uses.
    #[must_use]
    pub fn fault_schedule(&self) -> Schedule {
        self.resolve().schedule
    }
}

/// A seed's resolution (see [`RunOptions::resolve`]).
#[derive(Clone, Debug)]
pub struct Resolved {
    /// The fault mix.
    pub mix: FaultMix,
    /// The cluster.
    pub spec: ClusterSpec,
    /// The timed faults.
    pub schedule: Schedule,
}

/// The event bound of a run planned to last `length_ns` of virtual time:
/// 50,000 events per simulated second, at least 5 million (a healthy
/// cluster runs one to ten thousand a second; past the bound the run stops,
/// inconclusive, rather than run on for hours).
#[must_use]
pub fn event_bound(length_ns: u64) -> u64 {
    (length_ns / 1_000_000_000)
        .saturating_mul(EVENTS_PER_SIMULATED_S)
        .max(MIN_EVENT_BOUND)
}

/// Events per simulated second a run may take (see [`event_bound`]).
pub const EVENTS_PER_SIMULATED_S: u64 = 50_000;
/// The least event bound of a run (see [`event_bound`]).
pub const MIN_EVENT_BOUND: u64 = 5_000_000;

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
    /// Why the run stopped before its end without a failure (a bound was
    /// reached), if it did: then it neither passed nor failed.
    pub inconclusive: Option<String>,
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
    /// Whether the invariant checkers ran (off, nothing was judged).
    pub checked: bool,
    /// The node each named fault hit (faults aimed at "the leader" or at a
    /// node caught mid-write are resolved only when they strike).
    pub resolved: std::collections::BTreeMap<u32, crate::slot::NodeSlot>,
    /// When each mid-write crash struck.
    pub fired_at_ns: std::collections::BTreeMap<u32, u64>,
    /// What the clients saw (`--history` writes it).
    #[serde(skip)]
    pub history: crate::history::History,
    /// Time without a leader, terms, client latency, messages per commit.
    pub availability: AvailabilityFigures,
}

impl RunReport {
    /// Whether no invariant broke.
    #[must_use]
    pub fn ok(&self) -> bool {
        self.failure.is_none()
    }

    /// Whether the run passed: nothing broke and it ran to its end.
    #[must_use]
    pub fn passed(&self) -> bool {
        self.failure.is_none() && self.inconclusive.is_none()
    }
}

/// Everything a run mutates, kept outside the panic boundary so that a
/// panic inside raft-core still yields a report.
struct RunState<'s> {
    stepper: Stepper<'s>,
    failure: Option<Failure>,
    inconclusive: Option<String>,
    resolver: Resolver,
}

/// Runs one seed. `sink`, if given, receives every trace event.
pub fn run(options: &RunOptions, sink: Option<&mut dyn FnMut(&TraceEvent)>) -> RunReport {
    run_until(options, sink, &|| false).expect("a run that is never cancelled ends")
}

/// Runs one seed, checking `cancelled` every few thousand events: `None` if
/// it was cancelled before the end (a user's Ctrl-C), so that a long run
/// stops within a fraction of a second. `sink`, if given, receives every
/// trace event.
pub fn run_until(
    options: &RunOptions,
    sink: Option<&mut dyn FnMut(&TraceEvent)>,
    cancelled: &dyn Fn() -> bool,
) -> Option<RunReport> {
    let Resolved {
        mix,
        spec,
        schedule,
    } = options.resolve();
    let world = World::new(spec, options.seed);
    let bounds = StepBounds {
        max_events: options.max_events,
        lincheck_budget: options.lincheck_budget,
    };
    let mut state = RunState {
        stepper: Stepper::new(world, options.checkers, bounds, sink),
        failure: None,
        inconclusive: None,
        resolver: Resolver::default(),
    };
    // The stepper catches panics in the world and the checkers; this
    // catches any in the driver itself.
    let outcome = crate::panics::catch(|| drive(options, &schedule, &mut state, cancelled));
    match outcome {
        Ok(Drive::Cancelled) => return None,
        Ok(Drive::Ended) => {}
        Err(caught) => {
            let nodes = state.stepper.world.touched.clone();
            let violation = Violation::new(Invariant::Panic, nodes, caught.to_string());
            fail(&mut state, violation);
        }
    }
    let digest = state
        .stepper
        .world
        .hosts
        .iter()
        .filter_map(|h| h.node())
        .fold(0u64, |acc, raw| {
            acc.rotate_left(7) ^ raw.log().committed().0 ^ (raw.term().0 << 32)
        });
    state.stepper.finish_trace(digest);
    let history = std::mem::take(&mut state.stepper.world.history);
    let world = &state.stepper.world;
    // The checkers' ledger when they ran; else the highest commit index a
    // live node holds.
    let committed = if let Some(checkers) = world.checkers() {
        checkers.committed_index().0
    } else {
        world
            .hosts
            .iter()
            .filter_map(|h| h.node())
            .map(|r| r.log().committed().0)
            .max()
            .unwrap_or(0)
    };
    let availability = state.stepper.availability_figures(&history, committed);
    Some(RunReport {
        seed: options.seed,
        mix,
        schedule_steps: schedule.steps.len(),
        failure: state.failure,
        inconclusive: state.inconclusive,
        sim_time_ns: world.now_ns,
        events: world.stats.events,
        net: world.net.stats.clone(),
        world: world.stats.clone(),
        committed,
        checked: options.checkers,
        ops: history.counts(),
        trace_hash: state.stepper.trace().hash(),
        resolved: state.resolver.names().clone(),
        fired_at_ns: state.resolver.fired_at_ns().clone(),
        history,
        availability,
    })
}

/// How a drive ended.
enum Drive {
    /// At its end, a failure, or a bound.
    Ended,
    /// Cancelled by the caller.
    Cancelled,
}

/// How often (in events) a run asks whether it was cancelled.
const CANCEL_CHECK_EVENTS: u64 = 4096;

fn drive(
    options: &RunOptions,
    schedule: &Schedule,
    state: &mut RunState<'_>,
    cancelled: &dyn Fn() -> bool,
) -> Drive {
    let mut resolver = std::mem::take(&mut state.resolver);
    let ended = drive_with(options, schedule, state, &mut resolver, cancelled);
    state.resolver = resolver;
    match ended {
        Ok(drive) => drive,
        Err(halt) => {
            match halt {
                Halt::Violation(violation) => fail(state, violation),
                Halt::Bound(why) => state.inconclusive = Some(why),
            }
            Drive::Ended
        }
    }
}

fn drive_with(
    options: &RunOptions,
    schedule: &Schedule,
    state: &mut RunState<'_>,
    resolver: &mut Resolver,
    cancelled: &dyn Fn() -> bool,
) -> Result<Drive, Halt> {
    let end_ns = options.fault_ns.saturating_add(options.heal_ns);
    let mut faults = schedule.steps.iter().peekable();
    let mut armed: Vec<u32> = Vec::new();
    let stepper = &mut state.stepper;
    loop {
        if stepper.world.stats.events % CANCEL_CHECK_EVENTS == 0 && cancelled() {
            return Ok(Drive::Cancelled);
        }
        if let Some(name) = armed.first().copied() {
            if let Some(node) = stepper.world.node_mid_write() {
                armed.remove(0);
                resolver.fired(name, node, stepper.world.now_ns);
                stepper.apply(Action::Crash(node))?;
            }
        }
        let next_event = stepper.world.next_event();
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
            stepper.world.advance_clock_to(fault.at_ns);
            match fault.fault {
                Fault::CrashMidWrite(name) => armed.push(name),
                // The crash's time is over (or everything heals): disarm.
                Fault::Restart(Who::Named(name)) => armed.retain(|a| *a != name),
                _ if fault.at_ns >= options.fault_ns => armed.clear(),
                _ => {}
            }
            for action in resolver.actions(&fault.fault, &stepper.world) {
                stepper.apply(action)?;
            }
        } else {
            let Some((time_ns, _)) = next_event else {
                break;
            };
            if time_ns > end_ns {
                break;
            }
            stepper.step_event()?;
        }
    }
    stepper.world.advance_clock_to(end_ns);
    stepper.final_check()?;
    // Without a healed phase (a run the shrinker cut short after a safety
    // failure) there is no progress to demand.
    if options.heal_ns > 0 {
        final_checks(options, &stepper.world).map_err(Halt::Violation)?;
    }
    Ok(Drive::Ended)
}

fn fail(state: &mut RunState<'_>, violation: Violation) {
    state.failure = Some(Failure {
        violation,
        time_ns: state.stepper.world.now_ns,
        tail: state.stepper.trace().tail(),
    });
}

/// The end of the run: durability over every node, then liveness — after
/// the heal there must be a leader that a majority follows, and every client
/// operation must have finished, those started after the heal successfully.
fn final_checks(options: &RunOptions, world: &World) -> Result<(), Violation> {
    if world.followed_leader().is_none() {
        return Err(Violation::liveness(
            Stuck::NoLeader,
            "no leader followed by a majority after every fault healed".into(),
        ));
    }
    let unfinished = world.history.unfinished(options.fault_ns);
    if let Some(op) = unfinished.first() {
        return Err(Violation::liveness(
            Stuck::OpsUnfinished,
            format!(
                "{} client operation(s) did not complete after the heal, e.g. client {} seq {} ({:?})",
                unfinished.len(),
                op.client + 1,
                op.seq,
                op.outcome
            ),
        ));
    }
    Ok(())
}

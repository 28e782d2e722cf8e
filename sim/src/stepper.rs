//! The one stepper: what happens around every event and action, whichever
//! driver chose it (DESIGN.md, "One stepper"). It records the trace event
//! (before the action runs, so a failure's tail ends with it), applies the
//! action with panics caught (the world's checkers judge it as it runs),
//! and enforces the bounds. A
//! swarm run and the scenario it exports go through the same code, so they
//! judge, bound and spell the same things the same way.

use crate::availability::{Availability, AvailabilityFigures};
use crate::checker::{Invariant, LincheckResult, Stuck, Violation, check_history};
use crate::history::History;
use crate::slot::NodeSlot;
use crate::timeline::Timeline;
use crate::trace::{Trace, TraceEvent};
use crate::world::{Action, World};

/// Why the stepper stopped the run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Halt {
    /// An invariant broke (a panic included): the run failed.
    Violation(Violation),
    /// A bound on the run's length was reached before it could finish: the
    /// run is inconclusive, neither passed nor failed.
    Bound(String),
}

/// Bounds on one run, so that no input can make it hang.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StepBounds {
    /// Events and actions, at most (then: inconclusive).
    pub max_events: u64,
    /// The linearizability checker's budget of configurations per key
    /// (then: inconclusive); `None` does not run it (`--no-lincheck`).
    pub lincheck_budget: Option<u64>,
}

impl StepBounds {
    /// `max_events`, with the linearizability checker on at its default budget.
    #[must_use]
    pub fn new(max_events: u64) -> StepBounds {
        StepBounds {
            max_events,
            lincheck_budget: Some(lincheck::BUDGET_CONFIGURATIONS_DEFAULT),
        }
    }
}

/// A pace no healthy cluster reaches: 100,000 scheduled events per simulated
/// second (a message storm), with room for a busy start, plus
/// [`STORM_EVENTS_PER_OP`] for every client operation per second the
/// workload offers (64 clients at 400/s each are busy, not stormy).
/// Reported as a liveness failure: the cluster is doing something, but
/// nothing useful.
const STORM_EVENTS_BASE: u64 = 100_000;
/// Simulated nanoseconds per event allowed past the base (10 us: 100,000/s).
const STORM_NS_PER_EVENT: u64 = 10_000;
/// Events per offered client operation a healthy cluster may take (a
/// request, its redirects and retries, the appends, fsyncs and ticks it
/// causes), with a wide margin.
const STORM_EVENTS_PER_OP: f64 = 100.0;
/// Entries sent per offered client operation and per node a healthy
/// cluster may take (its entry to every follower, resent after losses and
/// probes).
const STORM_ENTRIES_PER_OP: f64 = 10.0;
/// Events per tick per node a healthy cluster may take (the tick, and the
/// heartbeats and answers it may cause), with a margin.
const STORM_EVENTS_PER_TICK: f64 = 4.0;
/// Entries sent, at most, before a replication storm: one million plus
/// 100,000 per simulated second.
const STORM_ENTRIES_BASE: u64 = 1_000_000;

/// The world (with its checkers) and its trace, stepped as one.
pub struct Stepper<'s> {
    /// The world.
    pub world: World,
    trace: Trace,
    sink: Option<&'s mut dyn FnMut(&TraceEvent)>,
    /// With a sink: what each step changed, for the picture of the run.
    timeline: Option<Timeline>,
    checking: bool,
    bounds: StepBounds,
    /// Scheduled events run (the pace bound counts these, not the actions
    /// a manual scenario names at one instant).
    scheduled_run: u64,
    /// Availability while the clock runs; `None` once a scenario goes
    /// manual (then time moves only as its steps say).
    availability: Option<Availability>,
}

impl std::fmt::Debug for Stepper<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stepper")
            .field("now_ns", &self.world.now_ns)
            .field("events", &self.world.stats.events)
            .field("trace", &self.trace)
            .finish_non_exhaustive()
    }
}

impl<'s> Stepper<'s> {
    /// A stepper over `world`; `checking` off skips the invariant checkers
    /// (to measure their cost); `sink`, if given, sees every trace event.
    #[must_use]
    pub fn new(
        mut world: World,
        checking: bool,
        bounds: StepBounds,
        sink: Option<&'s mut dyn FnMut(&TraceEvent)>,
    ) -> Stepper<'s> {
        if !checking {
            world.switch_off_checkers();
        }
        let timeline = sink.is_some().then(|| {
            world.log_sends();
            Timeline::default()
        });
        Stepper {
            world,
            trace: Trace::default(),
            sink,
            timeline,
            checking,
            bounds,
            scheduled_run: 0,
            availability: checking.then(Availability::default),
        }
    }

    /// Runs the earliest scheduled event; `Ok(false)` if none is scheduled.
    pub fn step_event(&mut self) -> Result<bool, Halt> {
        let Some((time_ns, event)) = self.world.next_event() else {
            return Ok(false);
        };
        self.bound()?;
        self.storm()?;
        self.scheduled_run += 1;
        if let Some(availability) = self.availability.as_mut() {
            availability.sample(&self.world).map_err(Halt::Violation)?;
        }
        self.record(TraceEvent::of_event(&self.world, time_ns, event));
        let aimed = Action::Event(event).node();
        let stepped = self.guarded(aimed, |world| world.step().map(|_| ()));
        self.after_step();
        stepped?;
        Ok(true)
    }

    /// Applies `action` now.
    pub fn apply(&mut self, action: Action) -> Result<(), Halt> {
        self.bound()?;
        self.record(TraceEvent::of_action(&self.world, &action));
        let aimed = action.node();
        let applied = self.guarded(aimed, |world| world.apply(action));
        self.after_step();
        applied
    }

    /// With a sink: hands it what the step changed (the sends it made, the
    /// nodes whose state moved), after the step's own event.
    fn after_step(&mut self) {
        if let (Some(timeline), Some(sink)) = (self.timeline.as_mut(), self.sink.as_mut()) {
            timeline.after_step(&mut self.world, *sink);
        }
    }

    /// The checks at the end of a run: durability over every node, then
    /// linearizability of what the clients saw.
    pub fn final_check(&self) -> Result<(), Halt> {
        if !self.checking {
            return Ok(());
        }
        if let Some(checkers) = self.world.checkers() {
            checkers.final_check().map_err(Halt::Violation)?;
        }
        match self.bounds.lincheck_budget {
            Some(budget) => self.check_linearizable(budget),
            None => Ok(()),
        }
    }

    /// Whether the client history so far is linearizable (pending operations
    /// count as unknown), exploring at most `budget` configurations per key.
    pub fn check_linearizable(&self, budget: u64) -> Result<(), Halt> {
        match check_history(&self.world.history, budget) {
            LincheckResult::Linearizable => Ok(()),
            LincheckResult::Violated(violation) => Err(Halt::Violation(violation)),
            LincheckResult::Unknown(why) => Err(Halt::Bound(why)),
        }
    }

    /// The linearizability checker's budget: the run's, or the default when
    /// the end-of-run check is off (an explicit `expect linearizable`).
    #[must_use]
    pub fn lincheck_budget(&self) -> u64 {
        self.bounds
            .lincheck_budget
            .unwrap_or(lincheck::BUDGET_CONFIGURATIONS_DEFAULT)
    }

    /// Stops judging availability: the clock no longer runs by itself (a
    /// scenario in manual mode), so no window can be judged by time.
    pub fn stop_availability(&mut self) {
        self.availability = None;
    }

    /// The run's availability figures, completed from its history and
    /// committed index (without the checkers, only those the history and
    /// counters give: nothing was sampled).
    #[must_use]
    pub fn availability_figures(&self, history: &History, committed: u64) -> AvailabilityFigures {
        let unsampled = Availability::default();
        let tracker = self.availability.as_ref().unwrap_or(&unsampled);
        tracker.figures(&self.world, history, committed)
    }

    /// The trace so far (its hash and its tail).
    #[must_use]
    pub fn trace(&self) -> &Trace {
        &self.trace
    }

    /// Mixes the end state into the trace hash.
    pub fn finish_trace(&mut self, state_digest: u64) {
        self.trace.finish(state_digest);
    }

    fn record(&mut self, event: TraceEvent) {
        if let Some(sink) = self.sink.as_mut() {
            sink(&event);
        }
        self.trace.record(event);
    }

    /// Runs one step of the world (`f`) with panics caught; the world's
    /// checkers judge it as it goes. A panic is charged to the nodes touched
    /// so far and the node the step was aimed at.
    fn guarded(
        &mut self,
        aimed: Option<NodeSlot>,
        f: impl FnOnce(&mut World) -> Result<(), Violation>,
    ) -> Result<(), Halt> {
        let world = &mut self.world;
        match crate::panics::catch(|| f(world)) {
            Ok(result) => result.map_err(Halt::Violation),
            Err(caught) => {
                let mut nodes = self.world.touched.clone();
                nodes.extend(aimed.filter(|n| !nodes.contains(n)));
                nodes.sort_unstable();
                Err(Halt::Violation(Violation::new(
                    Invariant::Panic,
                    nodes,
                    caught.to_string(),
                )))
            }
        }
    }

    fn bound(&self) -> Result<(), Halt> {
        let events = self.world.stats.events;
        if events >= self.bounds.max_events {
            return Err(Halt::Bound(format!(
                "the event bound ({} events) was reached at {}",
                self.bounds.max_events,
                crate::units::format_ns(self.world.now_ns)
            )));
        }
        Ok(())
    }

    fn storm(&self) -> Result<(), Halt> {
        let now_ns = self.world.now_ns;
        let seconds = now_ns as f64 / 1e9;
        let offered_per_s = self.world.clients.len() as f64 * self.world.spec.workload.rate_per_s;
        let entries = self.world.net.stats.entries_sent;
        let nodes = self.world.node_count() as f64;
        let for_clients = (offered_per_s * STORM_ENTRIES_PER_OP * nodes * seconds) as u64;
        if entries > STORM_ENTRIES_BASE + now_ns / STORM_NS_PER_EVENT + for_clients {
            return Err(storm(format!(
                "replication storm: {entries} entries sent in {seconds:.3} simulated seconds"
            )));
        }
        let events = self.scheduled_run;
        // Every tick is an event and may send a heartbeat to every peer: a
        // cluster ticking every 20 us is busy, not stormy.
        let ticks_per_s: f64 = self
            .world
            .hosts
            .iter()
            .map(|h| 1e9 / h.tick_interval_ns.max(1) as f64)
            .sum();
        let nodes = self.world.node_count() as f64;
        let for_ticks = (ticks_per_s * STORM_EVENTS_PER_TICK * nodes * seconds) as u64;
        let for_clients = (offered_per_s * STORM_EVENTS_PER_OP * seconds) as u64;
        if events > STORM_EVENTS_BASE + now_ns / STORM_NS_PER_EVENT + for_clients + for_ticks {
            return Err(storm(format!(
                "message storm: {events} events in {seconds:.3} simulated seconds"
            )));
        }
        Ok(())
    }
}

fn storm(message: String) -> Halt {
    Halt::Violation(Violation::liveness(Stuck::Storm, message))
}

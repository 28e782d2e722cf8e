//! Running a scenario: the entry points (with bugs, bounds, a cancel hook),
//! the cluster a `cluster` line builds, and the outcome a run reports — its
//! failure or bound with the step, the cluster's state and the last events.

use std::collections::BTreeMap;

use super::ast::{ClusterOptions, Condition, Scenario, Span, Step, StepKind};
use super::interp::{Interp, Stop};
use crate::checker::{Invariant, Violation};
use crate::cluster::RaftSettings;
use crate::host::{HostRuleBreaks, HostState};
use crate::stepper::{Halt, StepBounds, Stepper};
use crate::sut::Sut;
use crate::trace::TraceEvent;
use crate::world::{ClusterSpec, World};

/// How a scenario ended.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// Virtual time at the end.
    pub sim_time_ns: u64,
    /// Events and actions applied.
    pub events: u64,
    /// The trace hash.
    pub trace_hash: u64,
    /// Why it failed, if it did.
    pub failure: Option<Failure>,
    /// Why it stopped before its end without failing (a bound was
    /// reached), if it did: then it neither passed nor failed.
    pub inconclusive: Option<Failure>,
    /// What the clients saw (`--history` writes it).
    pub history: crate::history::History,
    /// The world's counters (faults, snapshots taken, sent, installed).
    pub stats: crate::world::WorldStats,
}

impl Outcome {
    /// Whether the run broke `invariant`: what a scenario marked
    /// `# expect failure: INVARIANT` (a documented hazard) must do.
    #[must_use]
    pub fn broke(&self, invariant: Invariant) -> bool {
        self.failure
            .as_ref()
            .and_then(|f| f.violation.as_ref())
            .is_some_and(|v| v.invariant == invariant)
    }
}

/// A failed expectation or a broken invariant.
#[derive(Clone, Debug)]
pub struct Failure {
    /// The step's line and column.
    pub span: Span,
    /// The step's text.
    pub line: String,
    /// What went wrong.
    pub message: String,
    /// The broken invariant, if that is what failed.
    pub violation: Option<Violation>,
    /// The condition of the `expect` that failed, if that is what failed.
    pub expectation: Option<Condition>,
    /// The cluster at the time, one line per node.
    pub state: Vec<String>,
    /// The last events.
    pub tail: Vec<TraceEvent>,
}

/// A scenario that cannot run as written (exit status 2): a verb raft-core
/// does not support yet, a time in the past, a set that names nobody.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    /// `file:line:col`.
    pub location: String,
    /// The step's text.
    pub line: String,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {} (in `{}`)",
            self.location,
            self.message,
            super::ast::shown(&self.line)
        )
    }
}

/// A bound on events per scenario, so that no scenario can hang.
pub const MAX_EVENTS: u64 = 20_000_000;

/// Runs a parsed scenario. `sink`, if given, receives every trace event.
pub fn run_scenario(
    scenario: &Scenario,
    sink: Option<&mut dyn FnMut(&TraceEvent)>,
) -> Result<Outcome, ScenarioError> {
    run_scenario_with_breaks(scenario, sink, HostRuleBreaks::default())
}

/// Runs a parsed scenario on hosts told to break `bugs` (tests only: to
/// show that a failure found by a seed replays from its exported scenario).
pub fn run_scenario_with_breaks(
    scenario: &Scenario,
    sink: Option<&mut dyn FnMut(&TraceEvent)>,
    breaks: HostRuleBreaks,
) -> Result<Outcome, ScenarioError> {
    run_scenario_bounded(scenario, sink, breaks, StepBounds::new(MAX_EVENTS))
}

/// Runs a parsed scenario on nodes running `sut`, with hosts told to
/// break `breaks` (how `shrink` replays what it found).
pub fn run_scenario_on(
    sut: Sut,
    scenario: &Scenario,
    breaks: HostRuleBreaks,
) -> Result<Outcome, ScenarioError> {
    let bounds = StepBounds::new(MAX_EVENTS);
    run_scenario_until(sut, scenario, None, breaks, bounds, &|| false)
}

/// Runs a parsed scenario within `bounds`: it stops, inconclusive, after
/// `bounds.max_events` events and actions (fuzzing uses a bound far below
/// the default).
pub fn run_scenario_bounded(
    scenario: &Scenario,
    sink: Option<&mut dyn FnMut(&TraceEvent)>,
    breaks: HostRuleBreaks,
    bounds: StepBounds,
) -> Result<Outcome, ScenarioError> {
    run_scenario_until(Sut::RAFT_CORE, scenario, sink, breaks, bounds, &|| false)
}

/// How often (in events) a scenario asks whether it was cancelled.
pub(super) const CANCEL_CHECK_EVENTS: u64 = 4096;
/// The inconclusive reason of a cancelled scenario.
pub const INTERRUPTED: &str = "interrupted";

/// Runs a parsed scenario as [`run_scenario_bounded`] does, asking
/// `cancelled` every few thousand events: a cancelled scenario ends
/// inconclusive, with the reason [`INTERRUPTED`] (the CLI's Ctrl-C).
pub fn run_scenario_until<'a>(
    sut: Sut,
    scenario: &Scenario,
    sink: Option<&'a mut dyn FnMut(&TraceEvent)>,
    breaks: HostRuleBreaks,
    bounds: StepBounds,
    cancelled: &'a dyn Fn() -> bool,
) -> Result<Outcome, ScenarioError> {
    let error = |step: &Step, message: String| ScenarioError {
        location: format!("{}:{}:{}", scenario.file, step.span.line, step.span.col),
        line: step.text.clone(),
        message,
    };
    let Some((first, rest)) = scenario.steps.split_first() else {
        return Err(ScenarioError {
            location: format!("{}:1:1", scenario.file),
            line: String::new(),
            message: "the scenario has no steps".into(),
        });
    };
    let StepKind::Cluster { nodes, options } = &first.kind else {
        return Err(error(first, "the first step must be `cluster`".into()));
    };
    let (mut spec, seed) = cluster_spec(*nodes, options).map_err(|m| error(first, m))?;
    // Nodes an `add` brings in exist from the start, as spares that never
    // ran (the parser allows ids up to 64).
    let highest_added = rest
        .iter()
        .filter_map(|step| match &step.kind {
            StepKind::Add(set, _) => set.expr.written_ids().max(),
            _ => None,
        })
        .max()
        .unwrap_or(0) as usize;
    spec.spares = highest_added.saturating_sub(spec.bootstrap_count());
    spec.rule_breaks = breaks;
    spec.sut = sut;
    if let Some(skip) = super::needs::unsupported_step(scenario, &sut) {
        return Err(ScenarioError {
            location: skip.location,
            line: skip.line,
            message: format!("cannot run here: {}", skip.why),
        });
    }
    // Whether leaders may read by lease is the nodes' configuration, set
    // when they are built (a node that boots under lease reads keeps its
    // promise to its old leader): on if any `clients` line reads by lease.
    // Gets before that line go by ReadIndex, as the language says.
    spec.raft.lease_reads = rest.iter().any(|step| {
        matches!(
            step.kind,
            StepKind::Clients {
                reads: Some(crate::read_path::ReadPath::Lease),
                ..
            }
        )
    });
    let mut interp = Interp {
        stepper: Stepper::new(World::new(spec, seed), true, bounds, sink),
        names: BTreeMap::new(),
        keys: BTreeMap::new(),
        values: BTreeMap::new(),
        manual: false,
        ticks: 0,
        cancelled,
    };
    let mut finished_ns = 0;
    for step in rest {
        // The stepper catches panics in the world and the checkers; this
        // catches any in the interpreter itself, as a violation at the step.
        let ran = crate::panics::catch(|| interp.step(step, finished_ns)).unwrap_or_else(|c| {
            let nodes = interp.stepper.world.touched.clone();
            let violation = Violation::new(Invariant::Panic, nodes, c.to_string());
            Err(Stop::Failed(
                format!("invariant broken: {violation}"),
                Some(violation),
            ))
        });
        match ran {
            Ok(()) => finished_ns = interp.stepper.world.now_ns,
            Err(Stop::Invalid(message)) => return Err(error(step, message)),
            Err(Stop::Failed(message, None)) => {
                // The scenario ends here, so the final checks apply: a
                // broken invariant is graver than the expectation.
                return match interp.stepper.final_check().map_err(Stop::from) {
                    Ok(()) => Ok(interp.outcome(Some((step, message, None)), None)),
                    Err(Stop::Bound(why)) => Ok(interp.outcome(None, Some((step, why)))),
                    Err(Stop::Failed(why, v)) => Ok(interp.outcome(Some((step, why, v)), None)),
                    Err(Stop::Invalid(why)) => Err(error(step, why)),
                };
            }
            Err(Stop::Failed(message, violation)) => {
                return Ok(interp.outcome(Some((step, message, violation)), None));
            }
            Err(Stop::Bound(message)) => return Ok(interp.outcome(None, Some((step, message)))),
        }
    }
    let last = scenario.steps.last().expect("has a cluster step");
    match interp.stepper.final_check() {
        Ok(()) => {}
        Err(Halt::Violation(violation)) => {
            let failure = (last, violation.to_string(), Some(violation));
            return Ok(interp.outcome(Some(failure), None));
        }
        Err(Halt::Bound(why)) => return Ok(interp.outcome(None, Some((last, why)))),
    }
    Ok(interp.outcome(None, None))
}

/// The cluster a `cluster` line describes, and the noise seed.
fn cluster_spec(nodes: u64, options: &ClusterOptions) -> Result<(ClusterSpec, u64), String> {
    if nodes == 0 || nodes > 64 {
        return Err(format!("a cluster has 1 to 64 nodes, not {nodes}"));
    }
    let tick_ns = options.tick_ns.unwrap_or(10_000_000).max(1);
    let (election_min_ns, _) = options.election_ns.unwrap_or((150_000_000, 300_000_000));
    let heartbeat_ns = options.heartbeat_ns.unwrap_or(50_000_000);
    let election_ticks = (election_min_ns / tick_ns).max(2);
    let heartbeat_ticks = (heartbeat_ns / tick_ns).clamp(1, election_ticks - 1);
    let defaults = RaftSettings::default();
    let spec = ClusterSpec {
        nodes: nodes as usize,
        learners: options.learners.unwrap_or(0) as usize,
        clients: 0,
        raft: RaftSettings {
            max_snapshot_chunk_bytes: options
                .snapshot_chunk_bytes
                .unwrap_or(defaults.max_snapshot_chunk_bytes),
            pre_vote: options.pre_vote.unwrap_or(true),
            check_quorum: options.check_quorum.unwrap_or(true),
            election_ticks,
            heartbeat_ticks,
            max_inflight_msgs: options.inflight.unwrap_or(defaults.max_inflight_msgs),
            max_size_per_msg_bytes: options
                .max_append_bytes
                .unwrap_or(defaults.max_size_per_msg_bytes),
            lease_reads: false,
        },
        tick_ns,
        snapshot_every_entries: options.snapshot_every,
        retire_removed: options.retire_removed.unwrap_or(false),
        ..ClusterSpec::default()
    };
    Ok((spec, options.seed.unwrap_or(0)))
}

impl Interp<'_> {
    fn outcome(
        &self,
        failure: Option<(&Step, String, Option<Violation>)>,
        inconclusive: Option<(&Step, String)>,
    ) -> Outcome {
        let at = |step: &Step, message: String, violation: Option<Violation>| Failure {
            span: step.span,
            line: step.text.clone(),
            message,
            expectation: match (&step.kind, &violation) {
                (StepKind::Expect(condition, _), None) => Some(condition.clone()),
                _ => None,
            },
            violation,
            state: self.describe_cluster(),
            tail: self.stepper.trace().tail(),
        };
        Outcome {
            sim_time_ns: self.stepper.world.now_ns,
            events: self.stepper.world.stats.events,
            trace_hash: self.stepper.trace().hash(),
            failure: failure.map(|(step, message, violation)| at(step, message, violation)),
            inconclusive: inconclusive.map(|(step, message)| at(step, message, None)),
            history: self.stepper.world.history.clone(),
            stats: self.stepper.world.stats.clone(),
        }
    }

    /// One line per node: role, term, commit, applied, last index.
    fn describe_cluster(&self) -> Vec<String> {
        self.stepper
            .world
            .hosts
            .iter()
            .map(|host| match (host.state, host.node()) {
                (HostState::Down, _) | (_, None) => format!("{}: down", host.slot),
                (state, Some(raw)) => format!(
                    "{}: {:?} term {} commit {} applied {} last {}{}",
                    host.slot,
                    raw.role(),
                    raw.term().0,
                    raw.log().committed().0,
                    raw.log().applied().0,
                    raw.log().last_index().0,
                    if state == HostState::Paused {
                        " (paused)"
                    } else {
                        ""
                    }
                ),
            })
            .collect()
    }
}

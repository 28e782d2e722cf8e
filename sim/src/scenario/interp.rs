//! The scenario interpreter: lowers every step to the World's actions and
//! runs the clock between them. In `auto` mode the world runs its events in
//! time order; in `manual` mode nothing happens unless a step says so. The
//! checkers look after every action and event, as in a swarm run.

use std::collections::{BTreeMap, BTreeSet};

use super::ast::{
    ClusterOptions, Condition, MessagePick, NodeSet, OpKind, Scenario, Span, Step, StepKind,
    Timing, Which,
};
use super::limits::{CLOCK_NS_MAX, TICKS_TOTAL_MAX};
use super::resolve::names;
use crate::checker::{Invariant, Violation};
use crate::host::{HostBugs, HostState};
use crate::kv::Op;
use crate::net::{Endpoint, Payload};
use crate::stepper::{Halt, StepBounds, Stepper};
use crate::trace::TraceEvent;
use crate::units::format_ns;
use crate::world::{Action, ClusterSpec, Event, World};

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

/// Why a step stopped the run.
pub(super) enum Stop {
    /// An expectation failed or an invariant broke: exit 1.
    Failed(String, Option<Violation>),
    /// The scenario cannot run as written: exit 2.
    Invalid(String),
    /// A bound on the run was reached: inconclusive, exit 3.
    Bound(String),
}

impl From<Halt> for Stop {
    fn from(halt: Halt) -> Stop {
        match halt {
            Halt::Violation(v) => Stop::Failed(format!("invariant broken: {v}"), Some(v)),
            Halt::Bound(why) => Stop::Bound(why),
        }
    }
}

/// A bound on events per scenario, so that no scenario can hang.
pub const MAX_EVENTS: u64 = 20_000_000;
/// A bound on `stabilize`'s rounds.
const MAX_STABILIZE_ACTIONS: u64 = 1_000_000;

pub(super) struct Interp<'a> {
    pub(super) stepper: Stepper<'a>,
    pub(super) names: BTreeMap<String, BTreeSet<usize>>,
    pub(super) keys: BTreeMap<String, u8>,
    pub(super) values: BTreeMap<String, u64>,
    pub(super) manual: bool,
    /// Ticks fired by `tick` steps so far, per node.
    pub(super) ticks: u64,
    /// Asked every few thousand events: true stops the scenario (Ctrl-C).
    pub(super) cancelled: &'a dyn Fn() -> bool,
}

/// Runs a parsed scenario. `sink`, if given, receives every trace event.
pub fn run_scenario(
    scenario: &Scenario,
    sink: Option<&mut dyn FnMut(&TraceEvent)>,
) -> Result<Outcome, ScenarioError> {
    run_scenario_with_bugs(scenario, sink, HostBugs::default())
}

/// Runs a parsed scenario on hosts told to break `bugs` (tests only: to
/// show that a failure found by a seed replays from its exported scenario).
pub fn run_scenario_with_bugs(
    scenario: &Scenario,
    sink: Option<&mut dyn FnMut(&TraceEvent)>,
    bugs: HostBugs,
) -> Result<Outcome, ScenarioError> {
    run_scenario_bounded(scenario, sink, bugs, StepBounds::new(MAX_EVENTS))
}

/// Runs a parsed scenario within `bounds`: it stops, inconclusive, after
/// `bounds.max_events` events and actions (fuzzing uses a bound far below
/// the default).
pub fn run_scenario_bounded(
    scenario: &Scenario,
    sink: Option<&mut dyn FnMut(&TraceEvent)>,
    bugs: HostBugs,
    bounds: StepBounds,
) -> Result<Outcome, ScenarioError> {
    run_scenario_until(scenario, sink, bugs, bounds, &|| false)
}

/// How often (in events) a scenario asks whether it was cancelled.
const CANCEL_CHECK_EVENTS: u64 = 4096;
/// The inconclusive reason of a cancelled scenario.
pub const INTERRUPTED: &str = "interrupted";

/// Runs a parsed scenario as [`run_scenario_bounded`] does, asking
/// `cancelled` every few thousand events: a cancelled scenario ends
/// inconclusive, with the reason [`INTERRUPTED`] (the CLI's Ctrl-C).
pub fn run_scenario_until<'a>(
    scenario: &Scenario,
    sink: Option<&'a mut dyn FnMut(&TraceEvent)>,
    bugs: HostBugs,
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
    spec.host_bugs = bugs;
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
    if options.learners.unwrap_or(0) > 0 {
        return Err(
            "learners need membership changes, which raft-core does not implement yet".into(),
        );
    }
    if options.snapshot_every.is_some() {
        return Err(
            "snapshot_every needs snapshots, which raft-core does not implement yet".into(),
        );
    }
    let tick_ns = options.tick_ns.unwrap_or(10_000_000).max(1);
    let (election_min_ns, _) = options.election_ns.unwrap_or((150_000_000, 300_000_000));
    let heartbeat_ns = options.heartbeat_ns.unwrap_or(50_000_000);
    let election_ticks = (election_min_ns / tick_ns).max(2);
    let heartbeat_ticks = (heartbeat_ns / tick_ns).clamp(1, election_ticks - 1);
    let spec = ClusterSpec {
        nodes: nodes as usize,
        clients: 0,
        pre_vote: options.pre_vote.unwrap_or(true),
        check_quorum: options.check_quorum.unwrap_or(true),
        tick_ns,
        election_ticks,
        heartbeat_ticks,
        ..ClusterSpec::default()
    };
    let spec = ClusterSpec {
        max_inflight_msgs: options.inflight.unwrap_or(spec.max_inflight_msgs),
        max_size_per_msg_bytes: options
            .max_append_bytes
            .unwrap_or(spec.max_size_per_msg_bytes),
        ..spec
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
        }
    }

    /// One line per node: role, term, commit, applied, last index.
    fn describe_cluster(&self) -> Vec<String> {
        self.stepper
            .world
            .hosts
            .iter()
            .map(|host| match (host.state, host.raw()) {
                (HostState::Down, _) | (_, None) => format!("n{}: down", host.index + 1),
                (state, Some(raw)) => format!(
                    "n{}: {:?} term {} commit {} applied {} last {}{}",
                    host.index + 1,
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

    // ---- running the world --------------------------------------------

    /// Runs the earliest scheduled event.
    pub(super) fn step_event(&mut self) -> Result<bool, Stop> {
        if self.stepper.world.stats.events % CANCEL_CHECK_EVENTS == 0 && (self.cancelled)() {
            return Err(Stop::Bound(INTERRUPTED.into()));
        }
        self.stepper.step_event().map_err(Stop::from)
    }

    /// Applies an action now.
    fn act(&mut self, action: Action) -> Result<(), Stop> {
        self.stepper.apply(action).map_err(Stop::from)
    }

    /// Moves the clock to `time_ns`, running every event before it (auto
    /// mode) or none (manual mode).
    fn advance_to(&mut self, time_ns: u64) -> Result<(), Stop> {
        if time_ns > CLOCK_NS_MAX {
            return Err(Stop::Invalid(format!(
                "this step would move the clock to {}, past the scenario limit of {} (365 days)",
                format_ns(time_ns),
                format_ns(CLOCK_NS_MAX)
            )));
        }
        if !self.manual {
            // Strictly before: a step at time t runs before the events of t,
            // as a swarm run applies its faults (so exported runs replay).
            while self
                .stepper
                .world
                .next_event_time()
                .is_some_and(|t| t < time_ns)
            {
                self.step_event()?;
            }
        }
        self.stepper.world.advance_clock_to(time_ns);
        Ok(())
    }

    // ---- steps ----------------------------------------------------------

    fn step(&mut self, step: &Step, finished_ns: u64) -> Result<(), Stop> {
        let now = self.stepper.world.now_ns;
        let start = match step.timing {
            Timing::Next => now,
            Timing::At(t) if t < now => {
                return Err(Stop::Invalid(format!(
                    "`at {}` is in the past: the clock is at {} (time only moves forward)",
                    format_ns(t),
                    format_ns(now)
                )));
            }
            Timing::At(t) => t,
            Timing::After(d) => finished_ns.saturating_add(d).max(now),
        };
        self.advance_to(start)?;
        let mut line_sets = Vec::new();
        self.execute(&step.kind, &mut line_sets)
    }

    fn execute(&mut self, kind: &StepKind, line: &mut Vec<usize>) -> Result<(), Stop> {
        match kind {
            StepKind::Cluster { .. } => {
                Err(Stop::Invalid("a scenario has one `cluster` line".into()))
            }
            StepKind::Net {
                drop,
                dup,
                delay_ns,
                tail,
            } => {
                let mut noise = self.stepper.world.net.noise.clone();
                if let Some(p) = drop {
                    noise.drop_probability = *p;
                }
                if let Some(p) = dup {
                    noise.duplicate_probability = *p;
                }
                if let Some(p) = tail {
                    noise.tail_probability = *p;
                }
                if let Some((low, high)) = delay_ns {
                    noise.delay_min_ns = *low;
                    noise.delay_max_ns = *high;
                }
                self.act(Action::SetNoise(noise))
            }
            StepKind::Disk {
                nodes,
                latency_ns,
                latency_max_ns,
                torn,
            } => {
                let targets = match nodes {
                    Some(set) => self.resolve(set, line)?,
                    None => (0..self.stepper.world.node_count()).collect(),
                };
                for node in targets {
                    let fsync_ns = latency_ns.map(|l| (l, latency_max_ns.unwrap_or(l)));
                    self.act(Action::SetDisk {
                        node,
                        fsync_ns,
                        torn: *torn,
                    })?;
                }
                Ok(())
            }
            StepKind::Clients {
                count,
                rate_per_s,
                keys,
                ops,
            } => {
                let workload = &mut self.stepper.world.spec.workload;
                if let Some(rate) = rate_per_s {
                    workload.rate_per_s = *rate;
                }
                if let Some(keys) = keys {
                    workload.keys = u8::try_from(*keys).unwrap_or(u8::MAX).max(1);
                }
                if let Some(ops) = ops {
                    workload.puts = ops.contains(&OpKind::Put);
                    workload.gets = ops.contains(&OpKind::Get);
                    workload.appends = ops.contains(&OpKind::Append);
                }
                // `clients 0` stops new operations (those in flight finish);
                // a count adds sessions up to it and (re)starts them.
                if *count == 0 {
                    return self.act(Action::SetWorkload(false));
                }
                self.stepper.world.set_workload_clients(*count as usize);
                if self.stepper.world.workload_on {
                    return Ok(());
                }
                self.act(Action::SetWorkload(true))
            }
            StepKind::Crash(set) => self.each(set, line, Action::Crash),
            StepKind::Restart(set) => self.each(set, line, Action::Restart),
            StepKind::Pause(set) => self.each(set, line, Action::Pause),
            StepKind::Resume(set) => self.each(set, line, Action::Resume),
            StepKind::Partition(sets) => self.partition(sets, line),
            StepKind::Isolate(set) => {
                let nodes = self.resolve(set, line)?;
                let all = self.stepper.world.node_count();
                let links = nodes
                    .iter()
                    .flat_map(|n| {
                        (0..all)
                            .filter(move |o| o != n)
                            .flat_map(move |o| [(*n, o), (o, *n)])
                    })
                    .collect();
                self.act(Action::Block(links))
            }
            StepKind::Cut(from, to) => {
                let from = self.resolve(from, line)?;
                let to = self.resolve(to, line)?;
                let links = from
                    .iter()
                    .flat_map(|f| to.iter().map(move |t| (*f, *t)))
                    .collect();
                self.act(Action::Block(links))
            }
            StepKind::Heal => self.act(Action::Heal),
            StepKind::Skew(set, factor) => {
                let factor = *factor;
                self.each(set, line, |node| Action::Skew { node, factor })
            }
            StepKind::Run(duration) => {
                self.advance_to(self.stepper.world.now_ns.saturating_add(*duration))
            }
            StepKind::Propose(count, on) => self.propose(*count, on.as_ref(), line),
            StepKind::Put(key, value) => {
                let op = Op::Put {
                    key: self.key(key),
                    value: self.value(value),
                };
                self.client_op(op)
            }
            StepKind::Get(key) => {
                let op = Op::Get { key: self.key(key) };
                self.client_op(op)
            }
            StepKind::Append(key, value) => {
                let op = Op::Append {
                    key: self.key(key),
                    value: self.value(value),
                };
                self.client_op(op)
            }
            StepKind::Compact(_) => unsupported("compact", "snapshots"),
            StepKind::Add(..) => unsupported("add", "membership changes"),
            StepKind::Remove(_) => unsupported("remove", "membership changes"),
            StepKind::Promote(_) => unsupported("promote", "membership changes"),
            StepKind::TransferLeader(_) => unsupported("transfer-leader", "leader transfer"),
            StepKind::Expect(condition, within) => self.expect(condition, *within, line),
            StepKind::Manual => {
                self.manual = true;
                Ok(())
            }
            StepKind::Auto => {
                self.manual = false;
                Ok(())
            }
            StepKind::Campaign(set) => self.each(set, line, Action::Campaign),
            StepKind::Heartbeat(set) => self.each(set, line, Action::HeartbeatTimeout),
            StepKind::Tick(set, count) => {
                let nodes = self.resolve(set, line)?;
                self.ticks = self.ticks.saturating_add(nodes.len() as u64 * count);
                if self.ticks > TICKS_TOTAL_MAX {
                    return Err(Stop::Invalid(format!(
                        "`tick` would fire more than {TICKS_TOTAL_MAX} ticks in all (counted per node)"
                    )));
                }
                for node in nodes {
                    for _ in 0..*count {
                        self.act(Action::TickNow(node))?;
                    }
                }
                Ok(())
            }
            StepKind::CheckQuorum(set) => self.each(set, line, Action::CheckQuorum),
            StepKind::Deliver(pick) => self.pick_messages(pick, line, Action::deliver),
            StepKind::Drop(pick) => self.pick_messages(pick, line, Action::Drop),
            StepKind::Duplicate(pick) => self.pick_messages(pick, line, Action::Duplicate),
            StepKind::Persist(set) => {
                for node in self.resolve(set, line)? {
                    let pending =
                        self.stepper.world.scheduled().find(
                            |(_, e)| matches!(e, Event::Synced { node: n, .. } if *n == node),
                        );
                    if let Some((_, event)) = pending {
                        self.act(Action::Event(event))?;
                    }
                }
                Ok(())
            }
            StepKind::Stabilize => self.stabilize(),
        }
    }

    /// Applies `action` to every node of `set`.
    fn each(
        &mut self,
        set: &NodeSet,
        line: &mut Vec<usize>,
        action: impl Fn(usize) -> Action,
    ) -> Result<(), Stop> {
        for node in self.resolve(set, line)? {
            self.act(action(node))?;
        }
        Ok(())
    }

    fn partition(&mut self, sets: &[NodeSet], line: &mut Vec<usize>) -> Result<(), Stop> {
        let mut groups: Vec<BTreeSet<usize>> = Vec::new();
        for set in sets {
            let group = self.resolve(set, line)?;
            // Groups are disjoint: a node in two groups would bridge them,
            // which is what `cut` is for (and the links would multiply).
            if let Some(node) = groups.iter().flatten().find(|n| group.contains(n)) {
                return Err(Stop::Invalid(format!(
                    "node {} is in two groups of the partition; groups must not overlap",
                    node + 1
                )));
            }
            groups.push(group);
        }
        // Nodes named by no group join the last one.
        let named: BTreeSet<usize> = groups.iter().flatten().copied().collect();
        if let Some(last) = groups.last_mut() {
            last.extend((0..self.stepper.world.node_count()).filter(|n| !named.contains(n)));
        }
        // Only nodes in the same set can talk: a partition replaces the
        // links an earlier partition, isolation or cut blocked.
        self.act(Action::Heal)?;
        let mut links = Vec::new();
        for (i, a) in groups.iter().enumerate() {
            for (j, b) in groups.iter().enumerate() {
                if i != j {
                    links.extend(a.iter().flat_map(|f| b.iter().map(move |t| (*f, *t))));
                }
            }
        }
        self.act(Action::Block(links))
    }

    fn propose(
        &mut self,
        count: u64,
        on: Option<&NodeSet>,
        line: &mut Vec<usize>,
    ) -> Result<(), Stop> {
        let target = match on {
            Some(set) => Some(self.one_node(set, line)?),
            None => None,
        };
        if self.manual {
            let node = match target {
                Some(node) => node,
                None => self.leader_node().ok_or_else(|| {
                    Stop::Failed(
                        "`propose` in manual mode needs a leader or `on NODE`".into(),
                        None,
                    )
                })?,
            };
            self.act(Action::Propose { node, count })?;
            return match self.stepper.world.refusal.take() {
                Some(why) => Err(Stop::Failed(why, None)),
                None => Ok(()),
            };
        }
        let key = self.key("propose");
        let ops = (0..count)
            .map(|_| Op::Append {
                key,
                value: self.next_value(),
            })
            .collect();
        self.stepper.world.add_scripted_client(ops, target);
        Ok(())
    }

    fn client_op(&mut self, op: Op) -> Result<(), Stop> {
        if self.manual {
            let node = self.leader_node().ok_or_else(|| {
                Stop::Failed(
                    "a client operation in manual mode needs a leader".into(),
                    None,
                )
            })?;
            self.act(Action::Propose { node, count: 1 })?;
            return match self.stepper.world.refusal.take() {
                Some(why) => Err(Stop::Failed(why, None)),
                None => Ok(()),
            };
        }
        self.stepper.world.add_scripted_client(vec![op], None);
        Ok(())
    }

    fn pick_messages(
        &mut self,
        pick: &MessagePick,
        line: &mut Vec<usize>,
        action: impl Fn(u64) -> Action,
    ) -> Result<(), Stop> {
        let from = self.resolve(&pick.from, line)?;
        let to = self.resolve(&pick.to, line)?;
        let matching: Vec<u64> = self
            .stepper
            .world
            .net
            .in_flight()
            .filter(|(_, p)| {
                let (Endpoint::Node(f), Endpoint::Node(t), Payload::Raft(m)) =
                    (p.from, p.to, &p.payload)
                else {
                    return false;
                };
                from.contains(&f)
                    && to.contains(&t)
                    && pick.kind.as_deref().is_none_or(|k| k == m.body.kind_name())
            })
            .map(|(id, _)| id)
            .collect();
        if matching.is_empty() {
            let kind = pick.kind.as_deref().unwrap_or("message");
            return Err(Stop::Failed(
                format!(
                    "no {kind} from {} to {} is in flight",
                    names(&from),
                    names(&to)
                ),
                None,
            ));
        }
        let chosen = match pick.which {
            Which::All => matching,
            Which::Oldest => matching[..1].to_vec(),
            Which::Nth(nth) => {
                let at = usize::try_from(nth).map_or(usize::MAX, |n| n - 1);
                let Some(id) = matching.get(at) else {
                    let kind = pick.kind.as_deref().unwrap_or("message");
                    return Err(Stop::Failed(
                        format!(
                            "nth={nth}: only {} {kind}s from {} to {} are in flight",
                            matching.len(),
                            names(&from),
                            names(&to)
                        ),
                        None,
                    ));
                };
                vec![*id]
            }
        };
        for id in chosen {
            self.act(action(id))?;
        }
        Ok(())
    }

    /// Delivers, persists and applies until nothing is in flight (ticks and
    /// clients do not run).
    fn stabilize(&mut self) -> Result<(), Stop> {
        for _ in 0..MAX_STABILIZE_ACTIONS {
            let next = self
                .stepper
                .world
                .scheduled()
                .find(|(_, e)| matches!(e, Event::Deliver(_) | Event::Synced { .. }));
            match next {
                Some((_, event)) => self.act(Action::Event(event))?,
                None => return Ok(()),
            }
        }
        Err(Stop::Bound(format!(
            "stabilize did not settle in {MAX_STABILIZE_ACTIONS} actions"
        )))
    }

    fn expect(
        &mut self,
        condition: &Condition,
        within: Option<u64>,
        line: &mut Vec<usize>,
    ) -> Result<(), Stop> {
        let deadline = within.map(|d| self.stepper.world.now_ns.saturating_add(d));
        loop {
            line.clear();
            if self.holds(condition, line)? {
                return Ok(());
            }
            let can_wait = !self.manual
                && deadline
                    .is_some_and(|d| self.stepper.world.next_event_time().is_some_and(|t| t <= d));
            if !can_wait {
                if let (Some(d), false) = (deadline, self.manual) {
                    self.advance_to(d)?;
                    line.clear();
                    if self.holds(condition, line)? {
                        return Ok(());
                    }
                }
                let when = within
                    .map(|d| format!(" within {}", format_ns(d)))
                    .unwrap_or_default();
                return Err(Stop::Failed(format!("expectation not met{when}"), None));
            }
            self.step_event()?;
        }
    }
}

fn unsupported(verb: &str, feature: &str) -> Result<(), Stop> {
    Err(Stop::Invalid(format!(
        "`{verb}` needs {feature}, which raft-core does not implement yet"
    )))
}

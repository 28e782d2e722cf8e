//! The scenario interpreter: lowers every step to the World's actions and
//! runs the clock between them. In `auto` mode the world runs its events in
//! time order; in `manual` mode nothing happens unless a step says so. The
//! checkers look after every action and event, as in a swarm run.

use std::collections::{BTreeMap, BTreeSet};

use raft_core::{ConfChange, ConfChangeSingle};

use super::ast::{
    Condition, FileRecords, MessagePick, NodeSet, OpKind, Step, StepKind, Timing, Which,
};
use super::limits::{CLOCK_NS_MAX, TICKS_TOTAL_MAX};
use crate::checker::Violation;
use crate::kv::Op;
use crate::membership::MembershipOp;
use crate::queries::{SETTLE_ACTIONS_MAX, unsettled};
use crate::slot::NodeSlot;
use crate::stepper::{Halt, Stepper};
use crate::units::format_ns;
use crate::world::Action;

use super::run::{CANCEL_CHECK_EVENTS, INTERRUPTED};

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

pub(super) struct Interp<'a> {
    pub(super) stepper: Stepper<'a>,
    pub(super) names: BTreeMap<String, BTreeSet<NodeSlot>>,
    pub(super) keys: BTreeMap<String, crate::kv::Key>,
    pub(super) values: BTreeMap<String, u64>,
    pub(super) manual: bool,
    /// Ticks fired by `tick` steps so far, per node.
    pub(super) ticks: u64,
    /// Asked every few thousand events: true stops the scenario (Ctrl-C).
    pub(super) cancelled: &'a dyn Fn() -> bool,
}

impl Interp<'_> {
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

    pub(super) fn step(&mut self, step: &Step, finished_ns: u64) -> Result<(), Stop> {
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

    fn execute(&mut self, kind: &StepKind, line: &mut Vec<NodeSlot>) -> Result<(), Stop> {
        match kind {
            StepKind::Cluster { .. } => {
                Err(Stop::Invalid("a scenario has one `cluster` line".into()))
            }
            StepKind::Net {
                drop,
                dup,
                delay_ns,
                tail,
            } => self.net(*drop, *dup, *delay_ns, *tail),
            StepKind::Disk {
                nodes,
                latency_ns,
                latency_max_ns,
                torn,
            } => self.disk(nodes.as_ref(), *latency_ns, *latency_max_ns, *torn, line),
            StepKind::Clients {
                count,
                rate_per_s,
                keys,
                ops,
                reads,
            } => {
                if let Some(path) = reads {
                    self.stepper.world.set_read_path(*path);
                }
                self.clients(*count, *rate_per_s, *keys, ops.as_deref())
            }
            StepKind::Crash(set, kept) => self.crash(set, *kept, line),
            StepKind::Restart(set) => self.each(set, line, Action::Restart),
            StepKind::Pause(set) => self.each(set, line, Action::Pause),
            StepKind::Resume(set) => self.each(set, line, Action::Resume),
            StepKind::Partition(sets) => self.partition(sets, line),
            StepKind::Isolate(set) => self.isolate(set, line),
            StepKind::Cut(from, to) => self.cut(from, to, line),
            StepKind::Heal => self.act(Action::Heal),
            StepKind::Skew(set, factor) => {
                let factor = *factor;
                self.each(set, line, |node| Action::Skew { node, factor })
            }
            StepKind::Run(duration) => {
                self.advance_to(self.stepper.world.now_ns.saturating_add(*duration))
            }
            StepKind::Propose(count, on) => self.propose(*count, on.as_ref(), line),
            StepKind::Put(key, value, via) => {
                let (key, value) = (self.key(key)?, self.value(value));
                self.client_op(Op::Put { key, value }, via.as_ref(), line)
            }
            StepKind::Get(key, via) => {
                let key = self.key(key)?;
                self.client_op(Op::Get { key }, via.as_ref(), line)
            }
            StepKind::Append(key, value, via) => {
                let (key, value) = (self.key(key)?, self.value(value));
                self.client_op(Op::Append { key, value }, via.as_ref(), line)
            }
            StepKind::WakeClient(number) => self.wake_client(*number),
            StepKind::Compact(set) => self.each(set, line, Action::Compact),
            StepKind::Add(set, learner) => {
                let make = if *learner {
                    ConfChangeSingle::AddLearner
                } else {
                    ConfChangeSingle::AddVoter
                };
                self.change_membership(set, make, line)
            }
            StepKind::Remove(set) => self.change_membership(set, ConfChangeSingle::Remove, line),
            StepKind::Promote(set) => self.change_membership(set, ConfChangeSingle::AddVoter, line),
            StepKind::TransferLeader(set) => self.transfer_leader(set, line),
            StepKind::Expect(condition, within) => self.expect(condition, *within, line),
            StepKind::Manual => {
                // Time now moves only as steps say: availability is no
                // longer judged by the clock, for the rest of the file.
                self.manual = true;
                self.stepper.stop_availability();
                Ok(())
            }
            StepKind::Auto => {
                self.manual = false;
                Ok(())
            }
            StepKind::Campaign(set) => self.each(set, line, Action::Campaign),
            StepKind::Heartbeat(set) => self.each(set, line, Action::HeartbeatTimeout),
            StepKind::Tick(set, count) => self.tick(set, *count, line),
            StepKind::CheckQuorum(set) => self.each(set, line, Action::CheckQuorum),
            StepKind::Deliver(pick) => self.pick_messages(pick, line, Action::deliver),
            StepKind::Drop(pick) => self.pick_messages(pick, line, Action::Drop),
            StepKind::Duplicate(pick) => self.pick_messages(pick, line, Action::Duplicate),
            StepKind::Persist(set) => self.persist(set, line),
            StepKind::Stabilize => self.stabilize(),
        }
    }

    /// `crash 3 keep_meta=0 keep_log=1`: power loss on each node of the
    /// set, keeping the unsynced records `kept` names (or, without, what
    /// the disk's torn setting draws).
    fn crash(
        &mut self,
        set: &NodeSet,
        kept: Option<FileRecords>,
        line: &mut Vec<NodeSlot>,
    ) -> Result<(), Stop> {
        let Some(kept) = kept else {
            return self.each(set, line, Action::Crash);
        };
        self.each(set, line, |node| Action::CrashKeeping { node, kept })
    }

    /// `net drop=5% dup=1% delay=1ms..5ms tail=2%`: network noise from now
    /// on, each setting left out kept as it was.
    fn net(
        &mut self,
        drop: Option<f64>,
        dup: Option<f64>,
        delay_ns: Option<(u64, u64)>,
        tail: Option<f64>,
    ) -> Result<(), Stop> {
        let mut noise = self.stepper.world.net.noise.clone();
        if let Some(p) = drop {
            noise.drop_probability = p;
        }
        if let Some(p) = dup {
            noise.duplicate_probability = p;
        }
        if let Some(p) = tail {
            noise.tail_probability = p;
        }
        if let Some((low, high)) = delay_ns {
            noise.delay_min_ns = low;
            noise.delay_max_ns = high;
        }
        self.act(Action::SetNoise(noise))
    }

    /// `disk {1,2} latency=2ms..9ms torn=on`: the disk model of some nodes
    /// (all, if none are named) from now on.
    fn disk(
        &mut self,
        nodes: Option<&NodeSet>,
        latency_ns: Option<u64>,
        latency_max_ns: Option<u64>,
        torn: Option<bool>,
        line: &mut Vec<NodeSlot>,
    ) -> Result<(), Stop> {
        let fsync_ns = latency_ns.map(|l| (l, latency_max_ns.unwrap_or(l)));
        let targets = match nodes {
            Some(set) => self.resolve(set, line)?,
            None => self.stepper.world.nodes().collect(),
        };
        for node in targets {
            self.act(Action::SetDisk {
                node,
                fsync_ns,
                torn,
            })?;
        }
        Ok(())
    }

    /// `clients 3 rate=50/s keys=4 ops=put,get`: workload sessions from now
    /// on; `clients 0` stops new operations (those in flight finish), a
    /// count adds sessions up to it and (re)starts them.
    fn clients(
        &mut self,
        count: u64,
        rate_per_s: Option<f64>,
        keys: Option<u64>,
        ops: Option<&[OpKind]>,
    ) -> Result<(), Stop> {
        let workload = &mut self.stepper.world.spec.workload;
        if let Some(rate) = rate_per_s {
            workload.rate_per_s = rate;
        }
        if let Some(keys) = keys {
            workload.keys = u8::try_from(keys).unwrap_or(u8::MAX).max(1);
        }
        if let Some(ops) = ops {
            workload.puts = ops.contains(&OpKind::Put);
            workload.gets = ops.contains(&OpKind::Get);
            workload.appends = ops.contains(&OpKind::Append);
        }
        if count == 0 {
            return self.act(Action::SetWorkload(false));
        }
        self.stepper.world.set_workload_clients(count as usize);
        if self.stepper.world.workload_on {
            return Ok(());
        }
        self.act(Action::SetWorkload(true))
    }

    /// `isolate 2`: every link to and from the named nodes is cut.
    fn isolate(&mut self, set: &NodeSet, line: &mut Vec<NodeSlot>) -> Result<(), Stop> {
        let nodes: Vec<NodeSlot> = self.resolve(set, line)?.into_iter().collect();
        let all = self.stepper.world.node_count();
        self.act(Action::isolate(&nodes, all))
    }

    /// `cut {1,2} -> 3`: messages from the first set to the second are lost.
    fn cut(&mut self, from: &NodeSet, to: &NodeSet, line: &mut Vec<NodeSlot>) -> Result<(), Stop> {
        let from: Vec<NodeSlot> = self.resolve(from, line)?.into_iter().collect();
        let to: Vec<NodeSlot> = self.resolve(to, line)?.into_iter().collect();
        self.act(Action::cut(&from, &to))
    }

    /// `tick {1,2} 3`: that many ticks of each node's clock, now (bounded in
    /// all by `TICKS_TOTAL_MAX`).
    fn tick(&mut self, set: &NodeSet, count: u64, line: &mut Vec<NodeSlot>) -> Result<(), Stop> {
        let nodes = self.resolve(set, line)?;
        self.ticks = self.ticks.saturating_add(nodes.len() as u64 * count);
        if self.ticks > TICKS_TOTAL_MAX {
            return Err(Stop::Invalid(format!(
                "`tick` would fire more than {TICKS_TOTAL_MAX} ticks in all (counted per node)"
            )));
        }
        for node in nodes {
            for _ in 0..count {
                self.act(Action::TickNow(node))?;
            }
        }
        Ok(())
    }

    /// `persist 2`: each named node's pending write and fsync complete now
    /// (a node with none is left alone).
    fn persist(&mut self, set: &NodeSet, line: &mut Vec<NodeSlot>) -> Result<(), Stop> {
        for node in self.resolve(set, line)? {
            if let Some(event) = self.stepper.world.pending_sync(node) {
                self.act(Action::Event(event))?;
            }
        }
        Ok(())
    }

    /// Applies `action` to every node of `set`.
    fn each(
        &mut self,
        set: &NodeSet,
        line: &mut Vec<NodeSlot>,
        action: impl Fn(NodeSlot) -> Action,
    ) -> Result<(), Stop> {
        for node in self.resolve(set, line)? {
            self.act(action(node))?;
        }
        Ok(())
    }

    fn partition(&mut self, sets: &[NodeSet], line: &mut Vec<NodeSlot>) -> Result<(), Stop> {
        let mut groups: Vec<BTreeSet<NodeSlot>> = Vec::new();
        for set in sets {
            let group = self.resolve(set, line)?;
            // Groups are disjoint: a node in two groups would bridge them,
            // which is what `cut` is for (and the links would multiply).
            if let Some(node) = groups.iter().flatten().find(|n| group.contains(n)) {
                return Err(Stop::Invalid(format!(
                    "node {} is in two groups of the partition; groups must not overlap",
                    node.number()
                )));
            }
            groups.push(group);
        }
        // Nodes named by no group join the last one.
        let named: BTreeSet<NodeSlot> = groups.iter().flatten().copied().collect();
        if let Some(last) = groups.last_mut() {
            last.extend(self.stepper.world.nodes().filter(|n| !named.contains(n)));
        }
        // Only nodes in the same set can talk: a partition replaces the
        // links an earlier partition, isolation or cut blocked.
        self.act(Action::Heal)?;
        let groups: Vec<Vec<NodeSlot>> = groups
            .into_iter()
            .map(|g| g.into_iter().collect())
            .collect();
        self.act(Action::partition(&groups))
    }

    fn propose(
        &mut self,
        count: u64,
        on: Option<&NodeSet>,
        line: &mut Vec<NodeSlot>,
    ) -> Result<(), Stop> {
        let target = on.map(|set| self.one_node(set, line)).transpose()?;
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
            return self.refused_fails();
        }
        let key = self.key("propose")?;
        let ops = (0..count)
            .map(|_| Op::Append {
                key,
                value: self.next_value(),
            })
            .collect();
        self.stepper.world.add_scripted_client(ops, target, target);
        Ok(())
    }

    /// `add`, `remove`, `promote`: one membership change of every node of
    /// the set (more than one voter changed goes through a joint
    /// configuration). In auto mode the operator retries it through
    /// whoever leads until the committed configuration shows it (wait with
    /// `expect members == SET within D`); in manual mode it is proposed
    /// once to the leader, and a refusal fails the step.
    fn change_membership(
        &mut self,
        set: &NodeSet,
        make: fn(raft_core::NodeId) -> ConfChangeSingle,
        line: &mut Vec<NodeSlot>,
    ) -> Result<(), Stop> {
        let nodes = self.resolve(set, line)?;
        let changes = nodes.iter().map(|n| make(n.id())).collect();
        self.operate(MembershipOp::Change(ConfChange { changes }))
    }

    /// `transfer-leader NODE`: the leader is asked to hand over to NODE
    /// (in auto mode by the operator, once a leader is known; in manual
    /// mode at once, and a refusal fails the step).
    fn transfer_leader(&mut self, set: &NodeSet, line: &mut Vec<NodeSlot>) -> Result<(), Stop> {
        let to = self.one_node(set, line)?;
        self.operate(MembershipOp::TransferLeader(to))
    }

    /// An operator's request: in auto mode retried in the background until
    /// done; in manual mode asked once of the leader, a refusal failing
    /// the step.
    fn operate(&mut self, op: MembershipOp) -> Result<(), Stop> {
        if !self.manual {
            return self.act(Action::Membership(op));
        }
        let node = self.leader_node().ok_or_else(|| {
            Stop::Failed(
                "a membership change or transfer in manual mode needs a leader".into(),
                None,
            )
        })?;
        let action = match op {
            MembershipOp::Change(change) => Action::ConfChange { node, change },
            MembershipOp::TransferLeader(to) => Action::TransferLeader { node, to },
        };
        self.act(action)?;
        self.refused_fails()
    }

    /// A refusal of the last direct proposal fails the step.
    fn refused_fails(&mut self) -> Result<(), Stop> {
        match self.stepper.world.refusal.take() {
            Some(why) => Err(Stop::Failed(why, None)),
            None => Ok(()),
        }
    }

    /// `put`, `get`, `append`: a new client session runs `op`, asking
    /// `via` first (or the leader, or the node a new session asks). In
    /// manual mode its request is in flight at once and nothing more
    /// happens until steps deliver it, its answer and its timers.
    fn client_op(
        &mut self,
        op: Op,
        via: Option<&NodeSet>,
        line: &mut Vec<NodeSlot>,
    ) -> Result<(), Stop> {
        let via = via.map(|set| self.one_node(set, line)).transpose()?;
        if self.manual {
            let via = via.or_else(|| self.leader_node()).ok_or_else(|| {
                Stop::Failed(
                    "a client operation in manual mode needs a leader or `via NODE`".into(),
                    None,
                )
            })?;
            return self.act(Action::ClientOp { op, via });
        }
        self.stepper.world.add_scripted_client(vec![op], via, None);
        Ok(())
    }

    /// `wake client N`: the session's pending timer fires now (after a
    /// timeout it asks the next node, after a back-off it asks again).
    fn wake_client(&mut self, number: u64) -> Result<(), Stop> {
        let client = usize::try_from(number - 1).unwrap_or(usize::MAX);
        match self.stepper.world.pending_client_wake(client) {
            Some(event) => self.act(Action::Event(event)),
            None => Err(Stop::Failed(
                format!("client {number} has no timer pending (no operation waiting on it)"),
                None,
            )),
        }
    }

    fn pick_messages(
        &mut self,
        pick: &MessagePick,
        line: &mut Vec<NodeSlot>,
        action: impl Fn(u64) -> Action,
    ) -> Result<(), Stop> {
        let from = self.resolve_end(&pick.from, line)?;
        let to = self.resolve_end(&pick.to, line)?;
        let matching: Vec<u64> = self
            .stepper
            .world
            .messages_in_flight(|f| from.accepts(f), |t| to.accepts(t), pick.kind.as_deref())
            .collect();
        if matching.is_empty() {
            let kind = pick.kind.as_deref().unwrap_or("message");
            return Err(Stop::Failed(
                format!("no {kind} from {from} to {to} is in flight"),
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
                            "nth={nth}: only {} {kind}s from {from} to {to} are in flight",
                            matching.len(),
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
        for _ in 0..SETTLE_ACTIONS_MAX {
            match self.stepper.world.settling_event() {
                Some(event) => self.act(Action::Event(event))?,
                None => return Ok(()),
            }
        }
        Err(Stop::from(Halt::Violation(unsettled())))
    }

    fn expect(
        &mut self,
        condition: &Condition,
        within: Option<u64>,
        line: &mut Vec<NodeSlot>,
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

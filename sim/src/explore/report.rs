//! What a search reports: counts, the sometimes-properties, the memory it
//! held, and a counterexample rebuilt by replay, as a scenario and a story.

use raft_core::{EntryId, Role};

use super::bounds::Bounds;
use super::state::{Model, State, explored_latencies};
use super::step::Step;
use super::story;
use crate::checker::Violation;
use crate::history::Outcome;
use crate::host::HostState;
use crate::scenario::print;

/// A "sometimes" property: it must hold in some state, so that a bound too
/// small to reach anything shows instead of passing silently (stateright's
/// `sometimes`, TLC's coverage). The table is [`Property::ALL`]; a report
/// keeps, per property, the depth where it was first seen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Property {
    /// A running node leads.
    LeaderElected,
    /// A running node has committed an entry.
    EntryCommitted,
    /// Leaders of two terms were seen along one path.
    LeaderChanged,
    /// A running node lost an entry of its log (replaced by a later
    /// leader's, Raft §5.3).
    LogTruncated,
    /// A client got an answer to an operation (only searched for when the
    /// bounds allow clients).
    ClientAnswered,
    /// A follower installed a snapshot a leader sent (only searched for
    /// when the bounds allow compactions).
    SnapshotInstalled,
    /// A membership change committed (only searched for when the bounds
    /// allow changes).
    ConfChangeCommitted,
    /// A leader accepted to hand leadership over (only searched for when
    /// the bounds allow transfers).
    TransferAccepted,
}

impl Property {
    /// Every property, in report order.
    pub const ALL: [Property; 8] = [
        Property::LeaderElected,
        Property::EntryCommitted,
        Property::LeaderChanged,
        Property::LogTruncated,
        Property::ClientAnswered,
        Property::SnapshotInstalled,
        Property::ConfChangeCommitted,
        Property::TransferAccepted,
    ];

    /// The property in words.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Property::LeaderElected => "a leader is elected",
            Property::EntryCommitted => "an entry commits",
            Property::LeaderChanged => "the leader changes",
            Property::LogTruncated => "a log is truncated",
            Property::ClientAnswered => "a client is answered",
            Property::SnapshotInstalled => "a follower installs a snapshot",
            Property::ConfChangeCommitted => "a membership change commits",
            Property::TransferAccepted => "a leader hands over",
        }
    }

    /// Whether the transition to `child` shows the property, given
    /// `before` (what [`Sometimes::before`] took of the state it left).
    fn seen(self, before: &[(bool, u64, EntryId)], child: &State) -> bool {
        let running = || {
            child
                .world
                .hosts
                .iter()
                .zip(before)
                .filter_map(|(host, was)| {
                    let raw = host.node().filter(|_| host.state == HostState::Up)?;
                    Some((host, raw, was))
                })
        };
        match self {
            Property::LeaderElected => running().any(|(_, raw, _)| raw.role() == Role::Leader),
            Property::EntryCommitted => running().any(|(_, raw, _)| raw.log().committed().0 > 0),
            Property::LeaderChanged => child.checkers().terms_with_a_leader() > 1,
            // Its old last entry is gone from a node that ran throughout
            // (the same boot): replaced by a leader's entry of a later term.
            Property::LogTruncated => running().any(|(host, raw, &(was_up, boots, last))| {
                was_up
                    && boots == host.boots
                    && last.index.0 > 0
                    && raw.log().term(last.index) != Some(last.term)
            }),
            Property::ClientAnswered => child
                .world
                .history
                .ops
                .iter()
                .any(|op| matches!(op.outcome, Outcome::Ok { .. })),
            Property::SnapshotInstalled => child.world.stats.snapshots_installed > 0,
            Property::ConfChangeCommitted => child.checkers().committed_conf_changes() > 0,
            Property::TransferAccepted => child.world.stats.leader_transfers > 0,
        }
    }

    fn bit(self) -> SometimesBits {
        1 << (self as u8)
    }
}

/// The depth where each [`Property`] was first seen, if it was.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sometimes {
    depths: [Option<u32>; Property::ALL.len()],
    /// Whether the bounds allowed clients: without, no client can be
    /// answered, and [`Property::ClientAnswered`] is not listed.
    pub clients: bool,
    /// Whether the bounds allowed a second term: with one, the leader
    /// cannot change nor a log be truncated, and those are not listed.
    pub terms: bool,
    /// Whether the bounds allowed compactions: without, no snapshot is
    /// sent, and [`Property::SnapshotInstalled`] is not listed.
    pub snapshots: bool,
    /// Whether the bounds allowed membership changes (else
    /// [`Property::ConfChangeCommitted`] is not listed).
    pub conf_changes: bool,
    /// Whether the bounds allowed leader transfers (else
    /// [`Property::TransferAccepted`] is not listed).
    pub transfers: bool,
}

/// The properties one transition shows, a bit each ([`Property`] order):
/// kept per state on the search's frontier, so it is small.
pub(crate) type SometimesBits = u8;

impl Sometimes {
    /// Where `property` was first seen, if it was.
    #[must_use]
    pub fn depth(&self, property: Property) -> Option<u32> {
        self.depths[property as usize]
    }

    /// Each property the bounds can reach, with its name.
    #[must_use]
    pub fn list(&self) -> Vec<(&'static str, Option<u32>)> {
        Property::ALL
            .into_iter()
            .filter(|&p| self.clients || p != Property::ClientAnswered)
            .filter(|&p| self.snapshots || p != Property::SnapshotInstalled)
            .filter(|&p| self.conf_changes || p != Property::ConfChangeCommitted)
            .filter(|&p| self.transfers || p != Property::TransferAccepted)
            .filter(|&p| {
                self.terms || !matches!(p, Property::LeaderChanged | Property::LogTruncated)
            })
            .map(|p| (p.name(), self.depth(p)))
            .collect()
    }

    /// Whether every property the bounds can reach was reached.
    #[must_use]
    pub fn all_reached(&self) -> bool {
        self.list().iter().all(|(_, depth)| depth.is_some())
    }

    /// Takes in what `other` reached (each at the lesser depth).
    pub(crate) fn merge(&mut self, other: &Sometimes) {
        for (mine, theirs) in self.depths.iter_mut().zip(other.depths) {
            *mine = match (*mine, theirs) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
    }

    /// Records the properties in `bits`, first seen at `depth`.
    pub(crate) fn note(&mut self, bits: SometimesBits, depth: u32) {
        for property in Property::ALL {
            if bits & property.bit() != 0 {
                let field = &mut self.depths[property as usize];
                *field = Some(field.map_or(depth, |d| d.min(depth)));
            }
        }
    }

    /// What `seen` needs to know of a state before an action: per host,
    /// whether it runs, its boot count and its last log entry.
    pub(crate) fn before(state: &State) -> Vec<(bool, u64, EntryId)> {
        state
            .world
            .hosts
            .iter()
            .map(|host| {
                let last = host
                    .node()
                    .map_or(EntryId::default(), |raw| raw.log().last_id());
                (host.state == HostState::Up, host.boots, last)
            })
            .collect()
    }

    /// The properties a transition to `child` shows, from `before`.
    pub(crate) fn seen(before: &[(bool, u64, EntryId)], child: &State) -> SometimesBits {
        Property::ALL
            .into_iter()
            .filter(|p| p.seen(before, child))
            .fold(0, |bits, p| bits | p.bit())
    }
}

/// A path to a violation.
#[derive(Clone, Debug)]
pub struct Counterexample {
    /// What broke.
    pub violation: Violation,
    /// The actions from the initial state.
    pub steps: Vec<Step>,
    /// The actions as a story: the message moved, what changed.
    pub story: Vec<String>,
}

/// How far a search got and what it held, now and then during the search.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    /// States generated (with duplicates).
    pub generated: u64,
    /// Distinct states.
    pub distinct: u64,
    /// The depth being explored.
    pub depth: u32,
    /// States waiting to be expanded.
    pub queue: u64,
    /// Bytes held by the visited set and the trail.
    pub visited_bytes: u64,
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
    /// States that were not expanded because they sit at the depth bound
    /// (zero: the search exhausted the bounded state space).
    pub cut_by_depth: u64,
    /// States that were not expanded because the trail was full (it holds
    /// 2^32 - 1 states; zero unless a search got that far).
    pub cut_by_capacity: u64,
    /// The sometimes-properties.
    pub sometimes: Sometimes,
    /// The first violation found, if any (a shortest one, in breadth-first
    /// order).
    pub counterexample: Option<Counterexample>,
    /// Whether a counterexample is a shortest one (breadth-first search).
    pub shortest: bool,
    /// A replay of the found path that did not end as the search saw it:
    /// hidden nondeterminism in the code under test or the simulator.
    pub nondeterminism: Option<String>,
    /// Bytes held by the visited set and the trail at the end.
    pub visited_bytes: u64,
    /// Whether the search was stopped before its end (Ctrl-C): the counts
    /// are what it had reached.
    pub interrupted: bool,
    /// Every distinct state's fingerprint, in the order met, when
    /// `Options::record_fingerprints` asked for them (tests compare
    /// searches with them).
    pub fingerprints: Vec<u128>,
}

impl Report {
    pub(crate) fn empty(shortest: bool) -> Report {
        Report {
            distinct_states: 0,
            generated_states: 0,
            depth: 0,
            cut_by_depth: 0,
            cut_by_capacity: 0,
            sometimes: Sometimes::default(),
            counterexample: None,
            shortest,
            nondeterminism: None,
            visited_bytes: 0,
            interrupted: false,
            fingerprints: Vec::new(),
        }
    }

    /// Takes `step` in `state`, `depth` actions from the start, counting it
    /// and noting the sometimes-properties it shows; the violation if it
    /// broke an invariant.
    pub(crate) fn take(
        &mut self,
        model: &Model,
        state: &mut State,
        step: Step,
        depth: u32,
    ) -> Result<(), Violation> {
        let before = Sometimes::before(state);
        self.generated_states += 1;
        self.depth = self.depth.max(depth);
        model.apply(state, step)?;
        self.sometimes.note(Sometimes::seen(&before, state), depth);
        Ok(())
    }

    /// Replays `path` (action indexes) from the initial state and records
    /// the counterexample, or the divergence if the replay does not end in
    /// `found` (hidden nondeterminism, reported, never papered over).
    pub(crate) fn found(&mut self, model: &Model, path: &[u16], found: Violation) {
        match rebuild(model, path, &found) {
            Ok(counterexample) => self.counterexample = Some(counterexample),
            Err(why) => {
                self.nondeterminism = Some(why);
                self.counterexample = Some(Counterexample {
                    violation: found,
                    steps: Vec::new(),
                    story: Vec::new(),
                });
            }
        }
    }
}

fn rebuild(model: &Model, path: &[u16], found: &Violation) -> Result<Counterexample, String> {
    let mut state = model.initial();
    let mut steps = Vec::with_capacity(path.len());
    let mut story = Vec::with_capacity(path.len());
    for (n, index) in path.iter().enumerate() {
        let enabled = model.enabled(&state);
        let Some(step) = enabled.get(usize::from(*index)).copied() else {
            return Err(format!(
                "replaying the path, action {} has only {} enabled actions, not {}",
                n + 1,
                enabled.len(),
                index + 1
            ));
        };
        let before = state.clone();
        let result = model.apply(&mut state, step);
        steps.push(step);
        story.push(story::line(&before, &step, &state));
        match (result, n + 1 == path.len()) {
            (Ok(()), false) => {}
            (Err(violation), true) if violation.invariant == found.invariant => {
                return Ok(Counterexample {
                    violation,
                    steps,
                    story,
                });
            }
            (Err(violation), _) => {
                return Err(format!(
                    "replaying the path broke {} at action {} ({}), where the search saw {}",
                    violation.invariant,
                    n + 1,
                    step.scenario_line(),
                    found.invariant
                ));
            }
            (Ok(()), true) => {
                return Err(format!(
                    "replaying the path did not break {} again",
                    found.invariant
                ));
            }
        }
    }
    Err("the path to a violation is empty".to_string())
}

/// A counterexample as a manual-mode scenario that `raftsim scenario`
/// replays to the same violation.
#[must_use]
pub fn scenario_text(bounds: &Bounds, counterexample: &Counterexample) -> String {
    // A message may run over several lines (a linearizability verdict
    // lists operations): each is a comment.
    let message = counterexample.violation.message.replace('\n', "\n# ");
    let mut text = format!(
        "# Found by `raftsim check`: a path of {} actions to a violation of\n# {}: {}\n",
        counterexample.steps.len(),
        counterexample.violation.invariant,
        message,
    );
    text.push_str(&format!("# Bounds: {}\n", bounds.flags()));
    let broken = bounds.rule_breaks.names();
    if !broken.is_empty() {
        let flags: Vec<String> = broken
            .iter()
            .map(|name| format!("--break {name}"))
            .collect();
        text.push_str(&format!(
            "# Rules broken on purpose: replay with `raftsim scenario {} FILE`\n",
            flags.join(" ")
        ));
    }
    if !bounds.sut.is_raft_core() {
        text.push_str(&format!(
            "# Found on {0}, step by step in its messages: replay with\n# `raftsim scenario --sut {0} FILE`\n# runs on: {0}\n",
            bounds.sut.name
        ));
    }
    let spec = crate::world::ClusterSpec {
        nodes: bounds.nodes,
        raft: bounds.raft_settings(),
        snapshot_every_entries: None,
        ..crate::world::ClusterSpec::default()
    };
    text.push_str(&print::cluster(&spec, None));
    let (latency_ns, fsync_ns) = explored_latencies();
    text.push_str(&format!(
        "\nnet delay={latency_ns}ns..{latency_ns}ns\ndisk latency={fsync_ns}ns..{fsync_ns}ns\nmanual\n"
    ));
    for step in &counterexample.steps {
        text.push_str(&step.scenario_line());
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checker::Invariant;

    fn model() -> Model {
        Model {
            bounds: Bounds::small(3, 2, 10),
            renamings: Vec::new(),
            cancelled: || false,
        }
    }

    fn violation() -> Violation {
        Violation::new(
            Invariant::ElectionSafety,
            vec![crate::slot::NodeSlot::new(0)],
            "made up".into(),
        )
    }

    #[test]
    fn a_path_that_does_not_replay_is_reported_as_nondeterminism() {
        let mut report = Report::empty(true);
        report.found(&model(), &[0, 999], violation());
        let why = report.nondeterminism.expect("the path cannot replay");
        assert!(why.contains("action 2 has only"), "{why}");
        let mut report = Report::empty(true);
        report.found(&model(), &[0], violation());
        let why = report.nondeterminism.expect("campaigning breaks nothing");
        assert!(why.contains("did not break election-safety again"), "{why}");
        let mut report = Report::empty(true);
        report.found(&model(), &[], violation());
        assert!(report.nondeterminism.is_some(), "an empty path");
    }
}

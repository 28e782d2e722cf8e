//! Invariant checkers, owned by the world and fed where facts happen: a
//! message leaves a node ([`Checkers::on_send`]), a node applies entries
//! ([`Checkers::on_applied`]) or sends acknowledgements
//! ([`Checkers::on_ack_claims`]), raft-core refuses a message
//! ([`Checkers::on_refused`]), a client sees a write acknowledged
//! ([`Checkers::acknowledged`]), and, at the end of each step, every node
//! it touched is looked at through its [`NodeView`]
//! ([`Checkers::observe`]). They see nothing else: not the world, not a
//! host. Each keeps its own ledger of the run's history, so every check is
//! incremental and a property "over the whole run" (one leader per term,
//! ever) is checked as such, not only against the present.

mod applied;
mod durability;
mod election;
mod linearizability;
mod logs;
mod membership;
mod monotonic;
mod wire;

use std::fmt;

use raft_core::{ConfState, Entry, EntryId, LogIndex, Message, NodeId, Role, Term};
use serde::{Deserialize, Serialize};

use crate::observed::{AckClaim, AppliedEntry, DurableLog, RestoredSnapshot};
use crate::slot::NodeSlot;

pub use applied::StateMachineSafety;
pub use durability::Durability;
pub use election::ElectionSafety;
pub use linearizability::{
    LincheckResult, NotLinearizable, SeenOperation, check_history, lincheck_history,
};
pub use logs::LogChecker;
pub use membership::{ChangeRule, CommittedConfs, is_quorum};
pub use monotonic::Monotonicity;
pub use wire::{DurableState, VoteLedger, check_send};

/// The invariants raftsim checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Invariant {
    /// At most one leader per term (Raft Figure 3).
    ElectionSafety,
    /// A leader never overwrites or deletes entries of its log (Figure 3).
    LeaderAppendOnly,
    /// Two logs with an entry of the same index and term are identical up to
    /// it (Figure 3).
    LogMatching,
    /// A leader holds every entry committed in earlier terms (Figure 3).
    LeaderCompleteness,
    /// A leader moves its commit index only to an entry of its own term
    /// (§5.4.2: older entries are never committed by counting replicas).
    CurrentTermCommit,
    /// No two nodes commit or apply different entries at one index (Figure 3).
    StateMachineSafety,
    /// An entry a client saw acknowledged is never lost.
    Durability,
    /// A message promises only what its sender has made durable.
    PersistBeforeSend,
    /// An entry commits only once a majority holds it on disk.
    DurableCommit,
    /// A node grants at most one vote per term, across restarts (Figure 2).
    OneVotePerTerm,
    /// Term, commit and applied index only grow, across restarts for the
    /// term; a leader's match indexes only grow within its term.
    Monotonicity,
    /// A node could not boot from its own disk.
    Recovery,
    /// raft-core panicked: an internal invariant broke.
    Panic,
    /// The cluster made no progress after every fault healed.
    Liveness,
    /// raft-core refused a message no correct peer sends (malformed, from
    /// an unknown peer, or overwriting a committed entry): the sender broke
    /// the protocol.
    RefusedMessage,
    /// What clients saw fits no order of single operations on the store
    /// that respects real time (Herlihy & Wing).
    Linearizability,
    /// A committed membership change does not follow from the committed
    /// configuration before it, or a leader appended a change before its
    /// configuration was committed or before it committed an entry of its
    /// own term (thesis ch. 4: one change at a time, each from the
    /// configuration in force; Ongaro's 2015 fix).
    Membership,
}

impl Invariant {
    /// Every invariant.
    pub const ALL: [Invariant; 17] = [
        Invariant::ElectionSafety,
        Invariant::LeaderAppendOnly,
        Invariant::LogMatching,
        Invariant::LeaderCompleteness,
        Invariant::CurrentTermCommit,
        Invariant::StateMachineSafety,
        Invariant::Durability,
        Invariant::PersistBeforeSend,
        Invariant::DurableCommit,
        Invariant::OneVotePerTerm,
        Invariant::Monotonicity,
        Invariant::Recovery,
        Invariant::Panic,
        Invariant::Liveness,
        Invariant::Linearizability,
        Invariant::RefusedMessage,
        Invariant::Membership,
    ];

    /// The invariant named `name` (as printed: `linearizability`,
    /// `election-safety`, ...).
    #[must_use]
    pub fn named(name: &str) -> Option<Invariant> {
        Invariant::ALL.into_iter().find(|i| i.to_string() == name)
    }
}

impl fmt::Display for Invariant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Invariant::ElectionSafety => "election-safety",
            Invariant::LeaderAppendOnly => "leader-append-only",
            Invariant::LogMatching => "log-matching",
            Invariant::LeaderCompleteness => "leader-completeness",
            Invariant::CurrentTermCommit => "current-term-commit",
            Invariant::StateMachineSafety => "state-machine-safety",
            Invariant::Durability => "durability",
            Invariant::PersistBeforeSend => "persist-before-send",
            Invariant::DurableCommit => "durable-commit",
            Invariant::OneVotePerTerm => "one-vote-per-term",
            Invariant::Monotonicity => "monotonicity",
            Invariant::Recovery => "recovery",
            Invariant::Panic => "panic",
            Invariant::Liveness => "liveness",
            Invariant::Linearizability => "linearizability",
            Invariant::RefusedMessage => "refused-message",
            Invariant::Membership => "membership",
        };
        f.write_str(name)
    }
}

/// How a cluster failed to make progress (the liveness conditions a run
/// checks once every fault healed).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Stuck {
    /// No leader that a majority follows.
    NoLeader,
    /// Client operations still pending, or started after the heal and not
    /// successful.
    OpsUnfinished,
    /// A message or replication storm: busy, but not useful.
    Storm,
    /// While the run went on, a stable majority (up, connected, not paused,
    /// little noise) went too long without a leader.
    Unavailable,
    /// While the run went on, a client operation waited too long on a
    /// stable majority that had a leader all along.
    OpsSlow,
}

impl fmt::Display for Stuck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Stuck::NoLeader => "no leader",
            Stuck::OpsUnfinished => "client operations unfinished",
            Stuck::Storm => "storm",
            Stuck::Unavailable => "unavailable",
            Stuck::OpsSlow => "client operations slow",
        })
    }
}

/// A broken invariant: which, on which nodes, and how.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    /// The invariant.
    pub invariant: Invariant,
    /// The nodes involved.
    pub nodes: Vec<NodeSlot>,
    /// What was seen.
    pub message: String,
    /// For a liveness failure: which condition failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stuck: Option<Stuck>,
    /// For a linearizability failure: the operations no order fits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_linearizable: Option<Box<NotLinearizable>>,
}

impl Violation {
    pub(crate) fn new(invariant: Invariant, nodes: Vec<NodeSlot>, message: String) -> Violation {
        Violation {
            invariant,
            nodes,
            message,
            stuck: None,
            not_linearizable: None,
        }
    }

    /// A liveness failure: the cluster is `stuck` so.
    pub(crate) fn liveness(stuck: Stuck, message: String) -> Violation {
        Violation {
            stuck: Some(stuck),
            ..Violation::new(Invariant::Liveness, Vec::new(), message)
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let nodes: Vec<String> = self.nodes.iter().map(NodeSlot::to_string).collect();
        if nodes.is_empty() {
            // A property of the whole cluster or of what clients saw.
            return write!(f, "{}: {}", self.invariant, self.message);
        }
        write!(
            f,
            "{} [{}]: {}",
            self.invariant,
            nodes.join(","),
            self.message
        )
    }
}

/// What the checkers see of one node: a read-only picture, independent of
/// how the node is implemented.
#[derive(Clone, Debug)]
pub struct NodeView<'a> {
    /// The node.
    pub slot: NodeSlot,
    /// How many times the node booted (a change means it restarted).
    pub boots: u64,
    /// Whether the process has memory (up or paused).
    pub alive: bool,
    /// Role (meaningless unless alive).
    pub role: Role,
    /// Current term.
    pub term: Term,
    /// The vote cast in `term`.
    pub vote: Option<NodeId>,
    /// Commit index.
    pub commit: LogIndex,
    /// Applied index.
    pub applied: LogIndex,
    /// The last entry the node's snapshot covers ((0, 0) if none): its log
    /// starts after it.
    pub snapshot: EntryId,
    /// The log after `snapshot`.
    pub log: &'a [Entry],
    /// The index of the snapshot the node's disk holds durably (before a
    /// crash, the floor of what the next boot applies).
    pub synced_snapshot: LogIndex,
    /// The term last made durable (before a crash, the floor for the next boot).
    pub synced_term: Term,
    /// The vote last made durable, with `synced_term`.
    pub synced_vote: Option<NodeId>,
    /// The leader's match index per member, when leader.
    pub matched: Vec<(NodeId, LogIndex)>,
    /// The configuration the node is in: the latest in its log (thesis
    /// §4.1); empty unless alive.
    pub conf: &'a ConfState,
}

/// Every checker, run together.
#[derive(Clone, Debug)]
pub struct Checkers {
    /// The highest committed index already checked to be durable on a majority.
    durable_commit_checked: LogIndex,
    /// The configuration of the node whose view last extended the run's
    /// committed prefix (the leader that committed it, as a rule): the
    /// one it counted a quorum in.
    commit_conf: Option<ConfState>,
    /// The highest committed index counted as acknowledged by
    /// `acknowledge_committed`.
    acknowledged_committed: LogIndex,
    election: ElectionSafety,
    logs: LogChecker,
    applied: StateMachineSafety,
    monotonic: Monotonicity,
    durability: Durability,
    votes: VoteLedger,
    change_rule: ChangeRule,
}

impl Checkers {
    /// Checkers for a world of `node_count` nodes whose bootstrap
    /// configuration is `bootstrap`.
    #[must_use]
    pub fn new(node_count: usize, bootstrap: ConfState) -> Checkers {
        Checkers {
            durable_commit_checked: LogIndex(0),
            commit_conf: None,
            acknowledged_committed: LogIndex(0),
            election: ElectionSafety::default(),
            logs: LogChecker::new(node_count, bootstrap),
            applied: StateMachineSafety::new(node_count),
            monotonic: Monotonicity::new(node_count),
            durability: Durability::new(node_count),
            votes: VoteLedger::default(),
            change_rule: ChangeRule::new(node_count),
        }
    }

    /// A message leaves a node whose disk holds `durable`: it may promise
    /// only what is durable, and a vote it grants counts toward one per
    /// term.
    pub fn on_send(
        &mut self,
        durable: &DurableState<'_>,
        message: &Message,
    ) -> Result<(), Violation> {
        match check_send(durable, message).or_else(|| self.votes.observe(durable.node, message)) {
            Some(violation) => Err(violation),
            None => Ok(()),
        }
    }

    /// Node `node`, in its boot `boots`, restored its state machine from a
    /// snapshot: it must hold the state the committed log produces there.
    pub fn on_restored(
        &mut self,
        node: NodeSlot,
        boots: u64,
        restored: &RestoredSnapshot,
    ) -> Result<(), Violation> {
        self.applied.restored(node, boots, restored)
    }

    /// Node `node`, in its boot `boots`, applied `entries` in order.
    pub fn on_applied(
        &mut self,
        node: NodeSlot,
        boots: u64,
        entries: &[AppliedEntry],
    ) -> Result<(), Violation> {
        self.applied.applied(node, boots, entries)
    }

    /// Node `node` sent acknowledgements once its writes were durable: each
    /// must acknowledge the entry its disk holds (Figure 2: respond only
    /// after updating stable storage).
    pub fn on_ack_claims(&mut self, node: NodeSlot, claims: &[AckClaim]) -> Result<(), Violation> {
        let Some(claim) = claims.iter().find(|c| c.in_memory != c.on_disk) else {
            return Ok(());
        };
        Err(Violation::new(
            Invariant::PersistBeforeSend,
            vec![node],
            format!(
                "{} acknowledged index {} (term {:?} in memory) with term {:?} there on disk",
                node,
                claim.index.0,
                claim.in_memory.map(|t| t.0),
                claim.on_disk.map(|t| t.0)
            ),
        ))
    }

    /// raft-core refused a message as impossible from a correct peer
    /// (`what` says which, and why): a finding.
    pub fn on_refused(&mut self, node: NodeSlot, what: &str) -> Result<(), Violation> {
        Err(Violation::new(
            Invariant::RefusedMessage,
            vec![node],
            what.to_owned(),
        ))
    }

    /// The votes seen granted on the wire so far (a history the model
    /// checker keeps in its fingerprints, with [`Checkers::hash_history`]).
    #[must_use]
    pub fn vote_ledger(&self) -> &VoteLedger {
        &self.votes
    }

    /// Looks at one node after an event that touched it.
    pub fn observe(&mut self, view: &NodeView<'_>) -> Result<(), Violation> {
        let restarted = self.monotonic.observe(view)?;
        self.durability.set_alive(view.slot, view.alive);
        if !view.alive {
            return Ok(());
        }
        self.election.observe(view)?;
        self.change_rule.observe(view)?;
        let committed_before = self.logs.committed_index();
        self.logs.observe(view)?;
        if self.logs.committed_index() > committed_before {
            self.commit_conf = Some(view.conf.clone());
        }
        if restarted {
            self.durability.check(&self.logs)?;
        }
        Ok(())
    }

    /// An entry is committed only once a quorum holds it durably (Raft
    /// §5.3 with Figure 2's stable storage): when the run's committed prefix
    /// grows, its new last entry must be on the disks of a quorum of the
    /// configuration in force there (the committed log's), or of the one
    /// the committing node counted in (its latest, which may be a change
    /// appended after the entry: thesis §4.1). `disks` holds, per node in
    /// slot order, the log its disk holds durably.
    pub fn check_commit_durable<'d>(
        &mut self,
        disks: impl Iterator<Item = &'d DurableLog>,
    ) -> Result<(), Violation> {
        let committed = self.logs.committed_index();
        if committed <= self.durable_commit_checked {
            return Ok(());
        }
        self.durable_commit_checked = committed;
        let term = self.logs.committed_term(committed).expect("committed");
        let entry = EntryId {
            index: committed,
            term,
        };
        let holders: std::collections::BTreeSet<NodeId> = disks
            .enumerate()
            .filter(|(_, disk)| disk.holds_committed(entry))
            .map(|(slot, _)| NodeSlot::new(slot).id())
            .collect();
        let holds = |id: NodeId| holders.contains(&id);
        let in_force = self.logs.committed_confs().at(committed);
        if is_quorum(in_force, holds)
            || self
                .commit_conf
                .as_ref()
                .is_some_and(|c| is_quorum(c, holds))
        {
            return Ok(());
        }
        let names: Vec<String> = holders.iter().map(|id| id.0.to_string()).collect();
        Err(Violation::new(
            Invariant::DurableCommit,
            Vec::new(),
            format!(
                "index {} committed while only {{{}}} hold it on disk, no quorum of {}",
                committed.0,
                names.join(","),
                describe_conf(in_force)
            ),
        ))
    }

    /// Feeds the run's history as far as future verdicts depend on more
    /// than the present: the leader of every term so far and the run's
    /// committed prefix. The model checker adds this to a state's
    /// fingerprint (a history variable, as TLA+ specifications of Raft
    /// keep `elections`), so that two paths merge only if the checkers
    /// would judge their futures alike on these ledgers. The log ledger of
    /// every (index, term) ever seen is left out: it would split states by
    /// entries long since overwritten. Each node is mapped by `relabel`:
    /// the identity, but for symmetry reduction.
    pub fn hash_history<H: std::hash::Hasher>(
        &self,
        state: &mut H,
        relabel: &dyn Fn(NodeSlot) -> NodeSlot,
    ) {
        self.election.hash_history(state, relabel);
        self.logs.hash_committed(state);
    }

    /// How many membership changes the run's committed log holds.
    #[must_use]
    pub fn committed_conf_changes(&self) -> usize {
        self.logs.committed_confs().changes()
    }

    /// Records entries that clients saw acknowledged.
    pub fn acknowledged(&mut self, entries: &[EntryId]) {
        self.durability.acknowledged(entries);
    }

    /// Counts every entry committed so far as acknowledged to a client (a
    /// leader answers once it applies an entry, and it may apply as soon as
    /// the entry commits). The model checker has no clients; this gives
    /// its durability check every committed entry to guard.
    pub fn acknowledge_committed(&mut self) {
        let committed = self.logs.committed_index();
        let mut index = self.acknowledged_committed;
        let mut fresh = Vec::new();
        while index < committed {
            index = index.next();
            if let Some(term) = self.logs.committed_term(index) {
                fresh.push(EntryId { index, term });
            }
        }
        self.acknowledged_committed = committed;
        self.durability.acknowledged(&fresh);
    }

    /// How many terms have had a leader so far.
    #[must_use]
    pub fn terms_with_a_leader(&self) -> usize {
        self.election.terms()
    }

    /// The end-of-run durability check over every node.
    pub fn final_check(&self) -> Result<(), Violation> {
        self.durability.check(&self.logs)
    }

    /// The highest index known committed.
    #[must_use]
    pub fn committed_index(&self) -> LogIndex {
        self.logs.committed_index()
    }
}

/// A configuration in words: `voters {1,2,3}`, with the outgoing voters
/// while joint.
#[must_use]
pub fn describe_conf(conf: &ConfState) -> String {
    let list = |ids: &std::collections::BTreeSet<NodeId>| {
        let names: Vec<String> = ids.iter().map(|id| id.0.to_string()).collect();
        format!("{{{}}}", names.join(","))
    };
    if conf.is_joint() {
        format!(
            "voters {} and {} (joint)",
            list(&conf.voters),
            list(&conf.voters_outgoing)
        )
    } else {
        format!("voters {}", list(&conf.voters))
    }
}

//! Property: a cluster of three voters, with two more nodes that membership
//! changes may add (and voters they may remove), under an arbitrary
//! schedule keeps election and log safety, and every delivery obeys the
//! [`step_rules`].

use std::cell::RefCell;
use std::collections::BTreeMap;

use proptest::prelude::*;
use proptest::sample::Index;
use raft_core::{
    ConfChange, ConfChangeSingle, Config, Entry, EntryId, EntryKind, LogIndex, Message,
    MessageBody, NodeId, RawNode, Ready, Restored, Role, Term,
};

use crate::disk::Disk;
use crate::gen_state::id;
use crate::runner::{cases_requested, run_property, scaled};
use crate::step_rules::Expectation;

const CASES: u32 = scaled(2048);

/// Every node that exists; the first `BOOTSTRAP_VOTERS` are the initial
/// configuration, the others start empty until a change adds them.
const CLUSTER: u64 = 5;
const BOOTSTRAP_VOTERS: u64 = 3;

#[derive(Clone, Debug)]
enum Act {
    /// Takes a `Ready`, sends its immediate messages, persists, sends the
    /// rest, applies, advances.
    ProcessReady(u64),
    /// Takes a `Ready` and sends its immediate messages only (the leader's
    /// appends go out before its own write, thesis §10.2.1).
    TakeReady(u64),
    /// Completes a `Ready` taken earlier.
    FinishReady(u64),
    Deliver(Index),
    DeliverAll,
    Drop(Index),
    Duplicate(Index),
    /// Holds a message back: it stays out of reach of `Deliver`,
    /// `DeliverAll` and `Settle` until released, however long that takes
    /// (a slow link: it arrives terms later).
    Delay(Index),
    /// Delivers a held-back message.
    Release(Index),
    Tick(u64, u8),
    TickAll(u8),
    Propose(u64),
    ProposeToLeader(u8),
    Campaign(u64),
    /// Crashes a node: what it did not persist is lost, including a `Ready`
    /// taken but not finished (whose immediate messages are already out).
    Restart(u64),
    /// Rounds of "every node processes its Ready, then everything in flight
    /// is delivered".
    Settle(u8),
    /// The node's host snapshots what it applied and compacts its log.
    Compact(u64),
    /// The leader (the highest-numbered one) is asked for a membership
    /// change: of `kind` (see [`change_of`]) about node `node`.
    ChangeMembership {
        kind: u8,
        node: u64,
    },
    /// The leader is asked to hand leadership to `to`.
    TransferLeader(u64),
    /// A node is asked for a linearizable read (thesis §6.4).
    Read(u64),
}

/// A membership change of `kind` about `node` (and its neighbour): add a
/// voter, add a learner, remove, swap two voters, add two voters; the
/// last two go through a joint configuration.
fn change_of(kind: u8, node: u64) -> ConfChange {
    let other = id(node % CLUSTER + 1);
    let node = id(node);
    let changes = match kind % 5 {
        0 => vec![ConfChangeSingle::AddVoter(node)],
        1 => vec![ConfChangeSingle::AddLearner(node)],
        2 => vec![ConfChangeSingle::Remove(node)],
        3 => vec![
            ConfChangeSingle::AddVoter(node),
            ConfChangeSingle::Remove(other),
        ],
        _ => vec![
            ConfChangeSingle::AddVoter(node),
            ConfChangeSingle::AddVoter(other),
        ],
    };
    ConfChange { changes }
}

fn act() -> impl Strategy<Value = Act> {
    let node = || 1u64..=CLUSTER;
    prop_oneof![
        20 => node().prop_map(Act::ProcessReady),
        5 => node().prop_map(Act::TakeReady),
        5 => node().prop_map(Act::FinishReady),
        25 => any::<Index>().prop_map(Act::Deliver),
        4 => Just(Act::DeliverAll),
        6 => any::<Index>().prop_map(Act::Drop),
        3 => any::<Index>().prop_map(Act::Duplicate),
        3 => any::<Index>().prop_map(Act::Delay),
        2 => any::<Index>().prop_map(Act::Release),
        12 => (node(), 1u8..=4).prop_map(|(n, c)| Act::Tick(n, c)),
        5 => (1u8..=3).prop_map(Act::TickAll),
        2 => node().prop_map(Act::Propose),
        8 => (1u8..=4).prop_map(Act::ProposeToLeader),
        2 => node().prop_map(Act::Campaign),
        2 => node().prop_map(Act::Restart),
        3 => (1u8..=3).prop_map(Act::Settle),
        2 => node().prop_map(Act::Compact),
        3 => (0u8..5, node()).prop_map(|(kind, node)| Act::ChangeMembership { kind, node }),
        1 => node().prop_map(Act::TransferLeader),
        4 => node().prop_map(Act::Read),
    ]
}

#[derive(Clone, Debug)]
struct ClusterCase {
    pre_vote: bool,
    check_quorum: bool,
    election_ticks: u64,
    max_inflight_msgs: u64,
    max_size_per_msg_bytes: u64,
    max_committed_bytes_per_ready: u64,
    max_snapshot_chunk_bytes: u64,
    seed: u64,
    acts: Vec<Act>,
}

fn cluster_case() -> impl Strategy<Value = ClusterCase> {
    (
        any::<bool>(),
        any::<bool>(),
        3u64..=6,
        1u64..=4,
        prop_oneof![Just(0u64), 1u64..=200, Just(1 << 20)],
        prop_oneof![Just(0u64), 1u64..=200, Just(1 << 20)],
        (prop_oneof![1u64..=16, Just(1 << 20)], any::<u64>()),
        prop::collection::vec(act(), 1..600),
    )
        .prop_map(
            |(
                pre_vote,
                check_quorum,
                election_ticks,
                inflight,
                max_size,
                max_bytes,
                (chunk, seed),
                acts,
            )| {
                ClusterCase {
                    pre_vote,
                    check_quorum,
                    election_ticks,
                    max_inflight_msgs: inflight,
                    max_size_per_msg_bytes: max_size,
                    max_committed_bytes_per_ready: max_bytes,
                    max_snapshot_chunk_bytes: chunk,
                    seed,
                    acts,
                }
            },
        )
}

struct Host {
    raw: RawNode,
    config: Config,
    disk: Disk,
    /// A `Ready` taken, whose immediate messages are out, not yet persisted.
    pending: Option<Ready>,
    /// The state machine: the ids of the entries applied, in order (a
    /// snapshot's data is this list, encoded).
    applied: Vec<EntryId>,
}

fn encode_ids(ids: &[EntryId]) -> Vec<u8> {
    bincode::serde::encode_to_vec(ids, bincode::config::standard()).expect("encodes")
}

fn decode_ids(data: &[u8]) -> Vec<EntryId> {
    bincode::serde::decode_from_slice(data, bincode::config::standard())
        .expect("a snapshot this test took")
        .0
}

#[derive(Debug, Default)]
struct ClusterStats {
    cases: u64,
    leaders_elected: u64,
    max_commit: u64,
    entries_applied: u64,
    restarts: u64,
    deliveries: u64,
    /// Deliveries of a term below the recipient's.
    stale_deliveries: u64,
    /// `StaleTerm` answers delivered.
    stale_terms: u64,
    /// Of those, the ones delivered to the leader of their term (which must
    /// not take them for an acknowledgement).
    stale_terms_to_leader: u64,
    max_term: u64,
    compactions: u64,
    snapshots_installed: u64,
    conf_changes_accepted: u64,
    /// Membership change entries seen committed, and of those the ones
    /// that leave a joint configuration.
    conf_changes_committed: u64,
    joint_left: u64,
    transfers_accepted: u64,
    /// Leaders elected that were not in the bootstrap configuration.
    leaders_added_later: u64,
    reads_asked: u64,
    /// Reads confirmed, and of those the ones a follower asked.
    reads_confirmed: u64,
    follower_reads_confirmed: u64,
    reads_failed: u64,
}

struct Cluster {
    hosts: BTreeMap<NodeId, Host>,
    in_flight: Vec<Message>,
    /// Messages held back by `Act::Delay`.
    delayed: Vec<Message>,
    /// The leader of each term, over the whole run.
    leaders: BTreeMap<Term, NodeId>,
    /// Every entry seen committed, with the term of the first node seen
    /// holding it committed (at least the term it was committed in).
    committed: BTreeMap<LogIndex, (Entry, Term)>,
    /// Votes granted, by (voter, term).
    votes: BTreeMap<(NodeId, Term), NodeId>,
    /// The highest term each node persisted.
    durable_terms: BTreeMap<NodeId, Term>,
    proposals: u64,
    /// Reads waiting for an outcome, by context: the node asked and the
    /// highest index seen committed anywhere when it was asked.
    reads: BTreeMap<u64, (NodeId, LogIndex)>,
    next_read: u64,
    stats: ClusterStats,
}

impl Cluster {
    fn new(case: &ClusterCase) -> Cluster {
        let hosts = (1..=CLUSTER)
            .map(|n| {
                let mut config = Config::new(id(n), (1..=BOOTSTRAP_VOTERS).map(id));
                config.pre_vote = case.pre_vote;
                config.check_quorum = case.check_quorum;
                config.election_ticks = case.election_ticks;
                config.heartbeat_ticks = 1;
                config.max_inflight_msgs = case.max_inflight_msgs;
                config.max_size_per_msg_bytes = case.max_size_per_msg_bytes;
                config.max_committed_bytes_per_ready = case.max_committed_bytes_per_ready;
                config.max_snapshot_chunk_bytes = case.max_snapshot_chunk_bytes;
                config.seed = case.seed.wrapping_add(n);
                let raw = RawNode::new(config.clone(), Restored::default()).expect("valid");
                let host = Host {
                    raw,
                    config,
                    disk: Disk::default(),
                    pending: None,
                    applied: Vec::new(),
                };
                (id(n), host)
            })
            .collect();
        Cluster {
            hosts,
            in_flight: Vec::new(),
            delayed: Vec::new(),
            leaders: BTreeMap::new(),
            committed: BTreeMap::new(),
            votes: BTreeMap::new(),
            durable_terms: BTreeMap::new(),
            proposals: 0,
            reads: BTreeMap::new(),
            next_read: 0,
            stats: ClusterStats::default(),
        }
    }

    fn host(&mut self, n: u64) -> &mut Host {
        self.hosts.get_mut(&id(n)).expect("node exists")
    }

    fn send(&mut self, messages: Vec<Message>) {
        for m in messages {
            assert!(
                self.hosts.contains_key(&m.to),
                "message to a stranger: {m:?}"
            );
            assert_ne!(m.from, m.to, "message to self: {m:?}");
            if let MessageBody::VoteResponse { granted: true } = m.body {
                let first = *self.votes.entry((m.from, m.term)).or_insert(m.to);
                assert_eq!(
                    first, m.to,
                    "{} voted for both {first} and {} in {}",
                    m.from, m.to, m.term
                );
            }
            self.in_flight.push(m);
        }
    }

    fn take_ready(&mut self, n: u64) {
        let host = self.host(n);
        if host.pending.is_some() || !host.raw.has_ready() {
            return;
        }
        let mut ready = host.raw.ready();
        let immediate = std::mem::take(&mut ready.messages);
        host.pending = Some(ready);
        self.send(immediate);
    }

    fn finish_ready(&mut self, n: u64) {
        let host = self.host(n);
        let Some(mut ready) = host.pending.take() else {
            return;
        };
        host.disk.persist(&ready);
        let installed = ready.snapshot.is_some();
        if let Some(snapshot) = &ready.snapshot {
            host.applied = decode_ids(&snapshot.data);
        }
        host.applied
            .extend(ready.committed_entries.iter().map(Entry::id));
        let state = host.applied.clone();
        let durable = host.disk.hard_state.term;
        let after = std::mem::take(&mut ready.messages_after_persist);
        let applied = ready.committed_entries.clone();
        let read_states = std::mem::take(&mut ready.read_states);
        host.raw.advance(ready);
        let previous = self
            .durable_terms
            .insert(id(n), durable)
            .unwrap_or_default();
        assert!(durable >= previous, "{n}'s persisted term went down");
        self.send(after);
        for e in &applied {
            let seen = self.committed.get(&e.index).map(|(entry, _)| entry.clone());
            if let Some(seen) = seen {
                assert_eq!(
                    &seen, e,
                    "node {n} applies an entry that differs from the committed one"
                );
            }
        }
        // The state machine, restored or replayed, holds the committed log.
        for (k, applied_id) in state.iter().enumerate() {
            let index = LogIndex(k as u64 + 1);
            assert_eq!(applied_id.index, index, "node {n} applied out of order");
            if let Some((entry, _)) = self.committed.get(&index) {
                assert_eq!(
                    *applied_id,
                    entry.id(),
                    "node {n}'s state machine holds a different entry"
                );
            }
        }
        self.stats.entries_applied += applied.len() as u64;
        self.stats.snapshots_installed += u64::from(installed);
        for read in read_states {
            self.read_outcome(id(n), &read);
        }
    }

    /// A read's outcome: at most one per read, to the node that asked,
    /// and a confirmed one at an index no lower than anything committed
    /// before it was asked (so serving it there cannot miss a write that
    /// was acknowledged: §6.4's linearizability argument).
    fn read_outcome(&mut self, node: NodeId, read: &raft_core::ReadState) {
        let Some((asked_at, committed_then)) = self.reads.remove(&read.context) else {
            panic!(
                "{node} handed out read {} twice, or one never asked",
                read.context
            );
        };
        assert_eq!(
            asked_at, node,
            "read {} answered on another node",
            read.context
        );
        match read.outcome {
            raft_core::ReadOutcome::Ready { index } => {
                assert!(
                    index >= committed_then,
                    "read {} on {node} confirmed at {index}, below {committed_then} \
                     committed before it was asked",
                    read.context
                );
                self.stats.reads_confirmed += 1;
                let leads = self.hosts[&node].raw.role() == Role::Leader;
                self.stats.follower_reads_confirmed += u64::from(!leads);
            }
            raft_core::ReadOutcome::Failed(_) => self.stats.reads_failed += 1,
        }
    }

    fn read(&mut self, n: u64) {
        self.next_read += 1;
        let context = self.next_read;
        let committed_then = self
            .committed
            .keys()
            .next_back()
            .copied()
            .unwrap_or_default();
        if self.host(n).raw.read_index(context).is_ok() {
            self.reads.insert(context, (id(n), committed_then));
            self.stats.reads_asked += 1;
        }
    }

    fn compact(&mut self, n: u64) {
        let host = self.host(n);
        let index = host.raw.log().applied();
        let data = encode_ids(&host.applied[..index.0 as usize]);
        if let Ok(meta) = host.raw.compact(index, data.clone()) {
            host.disk.compact(meta, data);
            self.stats.compactions += 1;
        }
    }

    fn process_ready(&mut self, n: u64) {
        self.take_ready(n);
        self.finish_ready(n);
    }

    fn deliver(&mut self, message: Message) {
        let to = message.to;
        let host = self.hosts.get_mut(&to).expect("recipient exists");
        let stats = &mut self.stats;
        stats.deliveries += 1;
        if message.term < host.raw.term() {
            stats.stale_deliveries += 1;
        }
        if message.body == MessageBody::StaleTerm {
            stats.stale_terms += 1;
            if host.raw.role() == Role::Leader && host.raw.term() == message.term {
                stats.stale_terms_to_leader += 1;
            }
        }
        let expectation = Expectation::of(&host.raw, &message);
        // Between correct nodes no message is malformed, misaddressed or
        // in conflict with a committed entry: any error is a safety problem.
        let copy = message.clone();
        let result = host.raw.step(message);
        if let Err(err) = &result {
            panic!("{to} refused {copy:?}: {err}");
        }
        if let Some(expectation) = expectation {
            expectation.check(&result, &host.raw);
        }
    }

    fn restart(&mut self, n: u64) {
        // Its reads die with it (as a client's request does with a server).
        self.reads.retain(|_, (node, _)| *node != id(n));
        let host = self.host(n);
        host.pending = None;
        let restored = host.disk.restored();
        host.applied = restored
            .snapshot
            .as_ref()
            .map_or(Vec::new(), |s| decode_ids(&s.data));
        host.raw = match RawNode::new(host.config.clone(), restored) {
            Ok(raw) => raw,
            Err(err) => panic!("node {n} cannot restart from its disk: {err}"),
        };
        self.stats.restarts += 1;
    }

    fn apply(&mut self, act: &Act) {
        match act {
            Act::ProcessReady(n) => self.process_ready(*n),
            Act::TakeReady(n) => self.take_ready(*n),
            Act::FinishReady(n) => self.finish_ready(*n),
            Act::Deliver(pick) => {
                if !self.in_flight.is_empty() {
                    let message = self.in_flight.remove(pick.index(self.in_flight.len()));
                    self.deliver(message);
                }
            }
            Act::DeliverAll => {
                for message in std::mem::take(&mut self.in_flight) {
                    self.deliver(message);
                }
            }
            Act::Drop(pick) => {
                if !self.in_flight.is_empty() {
                    self.in_flight.remove(pick.index(self.in_flight.len()));
                }
            }
            Act::Duplicate(pick) => {
                if !self.in_flight.is_empty() && self.in_flight.len() < 256 {
                    let copy = self.in_flight[pick.index(self.in_flight.len())].clone();
                    self.in_flight.push(copy);
                }
            }
            Act::Delay(pick) => {
                if !self.in_flight.is_empty() {
                    let message = self.in_flight.remove(pick.index(self.in_flight.len()));
                    self.delayed.push(message);
                }
            }
            Act::Release(pick) => {
                if !self.delayed.is_empty() {
                    let message = self.delayed.remove(pick.index(self.delayed.len()));
                    self.deliver(message);
                }
            }
            Act::Tick(n, count) => {
                for _ in 0..*count {
                    self.host(*n).raw.tick();
                }
            }
            Act::TickAll(count) => {
                for _ in 0..*count {
                    for host in self.hosts.values_mut() {
                        host.raw.tick();
                    }
                }
            }
            Act::Propose(n) => self.propose(*n),
            Act::ProposeToLeader(count) => {
                if let Some(n) = self.leader() {
                    for _ in 0..*count {
                        self.propose(n);
                    }
                }
            }
            Act::Campaign(n) => self.host(*n).raw.campaign(),
            Act::Restart(n) => self.restart(*n),
            Act::Compact(n) => self.compact(*n),
            Act::ChangeMembership { kind, node } => {
                if let Some(leader) = self.leader() {
                    let change = change_of(*kind, *node);
                    if self.host(leader).raw.propose_conf_change(&change).is_ok() {
                        self.stats.conf_changes_accepted += 1;
                    }
                }
            }
            Act::TransferLeader(to) => {
                if let Some(leader) = self.leader() {
                    if self.host(leader).raw.transfer_leader(id(*to)).is_ok() {
                        self.stats.transfers_accepted += 1;
                    }
                }
            }
            Act::Read(n) => self.read(*n),
            Act::Settle(rounds) => {
                for _ in 0..*rounds {
                    for n in 1..=CLUSTER {
                        self.process_ready(n);
                    }
                    for message in std::mem::take(&mut self.in_flight) {
                        self.deliver(message);
                    }
                }
            }
        }
    }

    /// The highest-numbered node that believes it leads.
    fn leader(&self) -> Option<u64> {
        self.hosts
            .values()
            .filter(|h| h.raw.role() == Role::Leader)
            .map(|h| h.raw.id().0)
            .max()
    }

    fn propose(&mut self, n: u64) {
        self.proposals += 1;
        let data = format!("proposal {}", self.proposals).into_bytes();
        // Refusals (not leader, back-pressure) are fine.
        let _ = self.host(n).raw.propose(data);
    }

    /// The safety checks made after every action.
    fn check(&mut self, after: &str) {
        for (node_id, host) in &self.hosts {
            let raw = &host.raw;
            raw.assert_invariants();
            assert!(
                raw.term() >= host.disk.hard_state.term,
                "after {after}: {node_id} runs in a term below the one it persisted"
            );
            self.stats.max_term = self.stats.max_term.max(raw.term().0);
            host.disk.check_against(raw, after);
            if raw.role() == Role::Leader {
                if node_id.0 > BOOTSTRAP_VOTERS && !self.leaders.contains_key(&raw.term()) {
                    self.stats.leaders_added_later += 1;
                }
                let first = *self.leaders.entry(raw.term()).or_insert(*node_id);
                assert_eq!(
                    first,
                    *node_id,
                    "after {after}: two leaders in {}: {first} and {node_id}",
                    raw.term()
                );
            }
            let log = raw.log();
            // The snapshot's last entry is the committed one there.
            let snapshot = log.snapshot();
            if let Some((e, _)) = self.committed.get(&snapshot.index) {
                assert_eq!(
                    e.id(),
                    snapshot,
                    "after {after}: {node_id}'s snapshot ends at another entry than committed"
                );
            }
            let mut index = log.first_index();
            while index <= log.committed() {
                let e = log
                    .entry(index)
                    .expect("committed entries after the snapshot are in memory");
                if e.kind == EntryKind::ConfChange && !self.committed.contains_key(&index) {
                    self.stats.conf_changes_committed += 1;
                    let leaves = ConfChange::decode(&e.data).is_ok_and(|c| c.changes.is_empty());
                    self.stats.joint_left += u64::from(leaves);
                }
                let (seen, _) = self
                    .committed
                    .entry(index)
                    .or_insert_with(|| (e.clone(), raw.term()));
                assert_eq!(
                    &*seen, e,
                    "after {after}: {node_id} committed a different entry at {index}"
                );
                index = index.next();
            }
            self.stats.max_commit = self.stats.max_commit.max(log.committed().0);
        }
        for (node_id, host) in &self.hosts {
            if host.raw.role() != Role::Leader {
                continue;
            }
            self.check_matches_are_backed(*node_id, &host.raw, after);
            // Leader Completeness (Raft §5.4): a leader holds every entry
            // that was committed in an earlier term.
            let compacted = host.raw.log().snapshot().index;
            for (index, (e, seen_in)) in self.committed.range(compacted.next()..) {
                if host.raw.term() > *seen_in {
                    assert_eq!(
                        host.raw.log().entry(*index),
                        Some(e),
                        "after {after}: leader {node_id} of {} lacks entry {index}, committed by {seen_in}",
                        host.raw.term()
                    );
                }
            }
        }
    }
}

impl Cluster {
    /// A leader counts a follower's match only on the follower's word that
    /// it holds the leader's entries, on disk (it answers after persisting).
    /// While the follower is in the leader's term, nothing can take those
    /// entries away: only that leader sends it entries, and they never
    /// conflict with its own. So the follower's disk agrees with the
    /// leader's log up to the match index: an acknowledgement that says
    /// more (such as a stale leader's answer taken for one) breaks this at
    /// once, long before it breaks the safety of what commits.
    fn check_matches_are_backed(&self, leader_id: NodeId, leader: &RawNode, after: &str) {
        for (peer, matched) in leader.matched_indexes() {
            let follower = &self.hosts[&peer];
            if peer == leader_id || follower.raw.term() != leader.term() {
                continue;
            }
            // What the snapshot on disk covers is committed there; the
            // entries after it must be the leader's.
            let stored = follower
                .disk
                .snapshot
                .as_ref()
                .map_or(EntryId::default(), |s| s.meta.last);
            let backed = (stored.index.0 + 1..=matched.0).all(|i| {
                let index = LogIndex(i);
                let on_disk = follower
                    .disk
                    .entries
                    .iter()
                    .find(|e| e.index == index)
                    .map(Entry::id);
                let leader_term = leader.log().term(index);
                // Below the leader's own snapshot only the follower's word counts.
                on_disk.is_some()
                    && (leader_term.is_none()
                        || on_disk == leader_term.map(|term| EntryId { index, term }))
            });
            assert!(
                backed,
                "after {after}: leader {leader_id} of {} counts {peer} as matching up to \
                 {matched}, but {peer} holds {:?} on disk",
                leader.term(),
                follower
                    .disk
                    .entries
                    .iter()
                    .map(Entry::id)
                    .collect::<Vec<_>>()
            );
        }
    }
}

fn run_cluster_case(case: &ClusterCase, stats: &RefCell<ClusterStats>) {
    let mut cluster = Cluster::new(case);
    for (k, act) in case.acts.iter().enumerate() {
        cluster.apply(act);
        cluster.check(&format!("act {k} ({act:?})"));
    }
    let mut total = stats.borrow_mut();
    let run = &cluster.stats;
    total.cases += 1;
    total.leaders_elected += cluster.leaders.len() as u64;
    total.max_commit = total.max_commit.max(run.max_commit);
    total.entries_applied += run.entries_applied;
    total.restarts += run.restarts;
    total.deliveries += run.deliveries;
    total.stale_deliveries += run.stale_deliveries;
    total.stale_terms += run.stale_terms;
    total.stale_terms_to_leader += run.stale_terms_to_leader;
    total.max_term = total.max_term.max(run.max_term);
    total.compactions += run.compactions;
    total.snapshots_installed += run.snapshots_installed;
    total.conf_changes_accepted += run.conf_changes_accepted;
    total.conf_changes_committed += run.conf_changes_committed;
    total.joint_left += run.joint_left;
    total.transfers_accepted += run.transfers_accepted;
    total.leaders_added_later += run.leaders_added_later;
    total.reads_asked += run.reads_asked;
    total.reads_confirmed += run.reads_confirmed;
    total.follower_reads_confirmed += run.follower_reads_confirmed;
    total.reads_failed += run.reads_failed;
}

#[test]
fn schedules_keep_election_and_log_safety() {
    let stats = RefCell::new(ClusterStats::default());
    run_property("cluster", CASES, &cluster_case(), |case| {
        run_cluster_case(&case, &stats);
    });
    let stats = stats.into_inner();
    eprintln!("cluster: {stats:?}");
    if cases_requested(CASES) >= 64 {
        assert!(
            stats.leaders_elected > 0,
            "no leader was ever elected: {stats:?}"
        );
        assert!(
            stats.max_commit > 1,
            "nothing beyond a no-op committed: {stats:?}"
        );
        assert!(stats.restarts > 0, "no restart happened: {stats:?}");
        assert!(
            stats.compactions > 0 && stats.snapshots_installed > 0,
            "no snapshot taken or installed: {stats:?}"
        );
        assert!(
            stats.stale_deliveries > 0 && stats.stale_terms > 0,
            "no stale leader was answered: {stats:?}"
        );
        assert!(
            stats.conf_changes_committed > 0
                && stats.joint_left > 0
                && stats.transfers_accepted > 0
                && stats.leaders_added_later > 0,
            "membership changes did not reach commit, a joint configuration, a transfer or \
             a leader added later: {stats:?}"
        );
        assert!(
            stats.reads_confirmed > 0
                && stats.follower_reads_confirmed > 0
                && stats.reads_failed > 0,
            "reads were not confirmed (by a leader and through one), or none failed: {stats:?}"
        );
    }
    // Rarer (a few per hundred cases): an answer to a stale append reaches
    // the old sender while it leads the answerer's term.
    if cases_requested(CASES) >= 512 {
        assert!(
            stats.stale_terms_to_leader > 0,
            "no StaleTerm reached a leader of its term: {stats:?}"
        );
    }
}

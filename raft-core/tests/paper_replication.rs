mod common;
use common::*;

// Log replication and commitment, rule by rule, after the Raft paper
// (Ongaro & Ousterhout, "In Search of an Understandable Consensus
// Algorithm", §5.3 and §5.4) and the thesis (§10.2.1), in the way etcd's
// `raft_paper_test.go` is organised: one test per rule, each citing it.
//
// Every test drives the nodes by hand (deliver, drop, tick), so it is
// deterministic.

use std::collections::BTreeSet;

use raft_core::{
    Entry, EntryId, EntryKind, Error, HardState, LogIndex, Message, MessageBody, ProgressState,
    Ready, RejectHint, Role, Term,
};

// ---- helpers ---------------------------------------------------------------

/// An entry whose payload names its (index, term), so that two logs holding
/// the same (index, term) hold identical entries.
fn ent(index: u64, term: u64) -> Entry {
    Entry {
        term: Term(term),
        index: LogIndex(index),
        kind: EntryKind::Normal,
        data: format!("{index}@{term}").into_bytes(),
    }
}

/// A log whose entry at index `k + 1` has term `terms[k]`.
fn entries_of(terms: &[u64]) -> Vec<Entry> {
    terms
        .iter()
        .enumerate()
        .map(|(k, term)| ent(k as u64 + 1, *term))
        .collect()
}

fn eid(index: u64, term: u64) -> EntryId {
    EntryId {
        index: LogIndex(index),
        term: Term(term),
    }
}

/// Writes a disk for node `n` (term, no vote, commit, the log `terms`) and
/// boots the node from it.
fn boot(net: &mut Network, n: u64, term: u64, commit: u64, terms: &[u64]) {
    let node = net.nodes.get_mut(&id(n)).expect("node exists");
    node.disk = Disk {
        hard_state: HardState {
            term: Term(term),
            vote: None,
            commit: LogIndex(commit),
        },
        entries: entries_of(terms),
    };
    net.restart(n);
}

fn msg(from: u64, to: u64, term: u64, body: MessageBody) -> Message {
    Message {
        from: id(from),
        to: id(to),
        term: Term(term),
        body,
    }
}

fn append_msg(
    from: u64,
    to: u64,
    term: u64,
    prev: EntryId,
    entries: Vec<Entry>,
    commit: u64,
) -> Message {
    msg(
        from,
        to,
        term,
        MessageBody::AppendEntries {
            prev,
            entries,
            commit: LogIndex(commit),
        },
    )
}

fn is_append(m: &Message) -> bool {
    matches!(m.body, MessageBody::AppendEntries { .. })
}

fn is_rejection(m: &Message) -> bool {
    matches!(
        m.body,
        MessageBody::AppendResponse {
            reject: Some(_),
            ..
        }
    )
}

/// The entries an AppendEntries carries.
fn carried(m: &Message) -> &[Entry] {
    match &m.body {
        MessageBody::AppendEntries { entries, .. } => entries,
        other => panic!("not an append: {other:?}"),
    }
}

/// The in-flight appends from `from` to `to`, oldest first.
fn appends_in_flight(net: &Network, from: u64, to: u64) -> Vec<Message> {
    net.in_flight
        .iter()
        .filter(|m| m.from == id(from) && m.to == id(to) && is_append(m))
        .cloned()
        .collect()
}

/// Delivers, in order, every in-flight message from `from` to `to`.
fn deliver_from_to(net: &mut Network, from: u64, to: u64) -> usize {
    let mut count = 0;
    while net
        .deliver_first(|m| m.from == id(from) && m.to == id(to))
        .is_some()
    {
        count += 1;
    }
    count
}

/// One round trip on the link leader -> follower: deliver what the leader
/// sent, let the follower persist and answer, deliver the answers.
fn round_trip(net: &mut Network, leader: u64, follower: u64) {
    deliver_from_to(net, leader, follower);
    net.process_ready(follower);
    deliver_from_to(net, follower, leader);
}

/// Takes node `n`'s Ready and sends only what may leave before the write
/// (`messages`); the caller advances it later with [`finish_ready`].
fn ready_send_now(net: &mut Network, n: u64) -> Ready {
    let mut ready = net.node_mut(n).ready();
    net.in_flight.append(&mut ready.messages);
    ready
}

/// Does what a careful host does with a Ready: send `messages`, persist,
/// send `messages_after_persist`, apply, advance.
fn finish_ready(net: &mut Network, n: u64, mut ready: Ready) {
    net.in_flight.append(&mut ready.messages);
    let node = net.nodes.get_mut(&id(n)).expect("node exists");
    if let Some(hs) = &ready.hard_state {
        node.disk.hard_state = hs.clone();
    }
    if let Some(first) = ready.entries.first() {
        let from = first.index;
        node.disk.entries.retain(|e| e.index < from);
        node.disk.entries.extend_from_slice(&ready.entries);
    }
    net.in_flight.append(&mut ready.messages_after_persist);
    for entry in &ready.committed_entries {
        if entry.kind == EntryKind::Normal {
            node.applied.push(entry.clone());
        }
    }
    node.raw.advance(ready);
    node.raw.assert_invariants();
}

/// What one handled Ready looked like.
#[derive(Clone, Debug)]
struct Handled {
    node: u64,
    /// The hard state on disk before this Ready was written.
    before: HardState,
    hard_state: Option<HardState>,
    entries: Vec<Entry>,
    committed: Vec<Entry>,
    must_sync: bool,
}

fn process_recorded(net: &mut Network, n: u64, record: &mut Vec<Handled>) -> bool {
    if net.frozen.contains(&id(n)) || !net.node(n).has_ready() {
        return false;
    }
    let before = net.nodes[&id(n)].disk.hard_state.clone();
    let ready = net.node_mut(n).ready();
    record.push(Handled {
        node: n,
        before,
        hard_state: ready.hard_state.clone(),
        entries: ready.entries.clone(),
        committed: ready.committed_entries.clone(),
        must_sync: ready.must_sync,
    });
    finish_ready(net, n, ready);
    true
}

/// `Network::stabilize`, recording every Ready handled.
fn stabilize_recorded(net: &mut Network, record: &mut Vec<Handled>) {
    let ids: Vec<u64> = net.nodes.keys().map(|n| n.0).collect();
    for _ in 0..10_000 {
        let mut processed = false;
        for n in &ids {
            processed |= process_recorded(net, *n, record);
        }
        let delivered = net.deliver_all();
        if !processed && delivered == 0 {
            return;
        }
    }
    panic!("network did not stabilize");
}

fn commit_of(net: &Network, n: u64) -> LogIndex {
    net.node(n).log().committed()
}

fn matched(net: &Network, leader: u64, peer: u64) -> LogIndex {
    net.node(leader).status().progress[&id(peer)].matched
}

/// Runs the cluster until quiet, then lets leader `n` send two heartbeat
/// rounds, running until quiet after each: a follower whose window was full or
/// whose probe was outstanding when the leader's commit index last moved
/// learns the commit index from the heartbeat (as in etcd).
fn settle(net: &mut Network, n: u64) {
    net.stabilize();
    let ticks = net.node(n).config().heartbeat_ticks;
    // The first round may itself trigger a repair that moves the commit index.
    for _ in 0..2 {
        net.tick(n, ticks);
        net.stabilize();
    }
}

/// Campaigns on `n` and delivers the votes by hand (nothing else moves).
fn win_election(net: &mut Network, n: u64) {
    net.node_mut(n).campaign();
    net.process_ready(n);
    net.deliver_all();
    net.process_all();
    net.deliver_all();
    assert_eq!(net.node(n).role(), Role::Leader, "node {n} should have won");
}

// ---- §5.3: commitment ------------------------------------------------------

/// Raft §5.3: "A log entry is committed once the leader that created the
/// entry has replicated it on a majority of the servers"; the leader counts
/// its own copy once its write is done (its Ready advanced). Followers learn
/// the commit index from later AppendEntries and heartbeats ("the leader
/// keeps track of the highest index it knows to be committed, and it includes
/// that index in future AppendEntries RPCs (including heartbeats)").
/// With five servers, two copies are not a majority; three are.
#[test]
fn leader_commits_entry_once_a_majority_stores_it() {
    let mut net = Network::new(5);
    net.elect(1);
    let index = net.node_mut(1).propose(b"x".to_vec()).unwrap();
    assert_eq!(index, LogIndex(2));
    assert!(net.process_ready(1), "leader persists and sends");
    assert_eq!(matched(&net, 1, 1), index, "own copy counted after advance");
    assert_eq!(commit_of(&net, 1), LogIndex(1), "one copy of five");

    round_trip(&mut net, 1, 2);
    assert_eq!(matched(&net, 1, 2), index);
    assert_eq!(commit_of(&net, 1), LogIndex(1), "two copies of five");

    round_trip(&mut net, 1, 3);
    assert_eq!(commit_of(&net, 1), index, "three copies of five commit");
    assert_eq!(commit_of(&net, 2), LogIndex(1), "follower not told yet");
    assert_eq!(commit_of(&net, 3), LogIndex(1), "follower not told yet");

    // The next append carries the new commit index to node 2.
    net.process_ready(1);
    let to2 = appends_in_flight(&net, 1, 2);
    assert!(!to2.is_empty(), "the leader announces the commit");
    for m in &to2 {
        let MessageBody::AppendEntries { commit, .. } = m.body else {
            unreachable!()
        };
        assert_eq!(commit, index);
    }
    deliver_from_to(&mut net, 1, 2);
    assert_eq!(commit_of(&net, 2), index, "learned from an append");
    net.process_ready(2);
    assert_eq!(
        net.applied(2).last().map(|e| e.data.clone()),
        Some(b"x".to_vec())
    );

    // Node 3 loses that append but learns the commit from a heartbeat.
    net.drop_where(|m| m.to == id(3));
    net.tick(1, net.node(1).config().heartbeat_ticks);
    net.process_ready(1);
    let heartbeat = net
        .in_flight
        .iter()
        .find(|m| m.to == id(3) && matches!(m.body, MessageBody::Heartbeat { .. }))
        .cloned()
        .expect("a heartbeat to node 3");
    assert_eq!(
        heartbeat.body,
        MessageBody::Heartbeat {
            commit: eid(2, net.node(1).term().0)
        }
    );
    net.deliver_first(|m| *m == heartbeat);
    assert_eq!(commit_of(&net, 3), index, "learned from a heartbeat");

    // Nodes 4 and 5 still have their first append queued, and commit
    // nothing beyond what they hold.
    assert!(commit_of(&net, 4) < index);
    settle(&mut net, 1);
    for n in 1..=5 {
        assert_eq!(commit_of(&net, n), index, "node {n}");
        assert_eq!(net.applied(n).len(), 1, "node {n}");
    }
}

/// Raft §5.3 with the leader's parallel append (thesis §10.2.1): until its
/// own write is advanced the leader does not count itself, so of five
/// servers it needs three follower acknowledgements; two are not enough.
#[test]
fn leader_without_own_write_needs_three_follower_acks_of_five() {
    let mut net = Network::new(5);
    net.elect(1);
    let index = net.node_mut(1).propose(b"x".to_vec()).unwrap();
    let ready = ready_send_now(&mut net, 1);
    assert_eq!(ready.entries.len(), 1);
    for follower in [2, 3] {
        round_trip(&mut net, 1, follower);
    }
    assert_eq!(matched(&net, 1, 2), index);
    assert_eq!(matched(&net, 1, 3), index);
    assert_eq!(matched(&net, 1, 1), LogIndex(1), "own write not advanced");
    assert_eq!(commit_of(&net, 1), LogIndex(1), "two acks of five");
    round_trip(&mut net, 1, 4);
    assert_eq!(commit_of(&net, 1), index, "three acks of five");
    finish_ready(&mut net, 1, ready);
    settle(&mut net, 1);
    for n in 1..=5 {
        assert_eq!(commit_of(&net, n), index, "node {n}");
    }
}

// ---- thesis §10.2.1: the leader's parallel append ---------------------------

/// Thesis §10.2.1 and Figure 2 (persistent state is "updated on stable
/// storage before responding to RPCs"): a leader's AppendEntries are in `Ready::messages`, sendable
/// before its own write; a candidate's vote requests, votes, and follower
/// AppendResponses are in `messages_after_persist`.
#[test]
fn leader_appends_leave_before_the_write_acks_and_votes_after() {
    let mut net = Network::new(3);
    net.node_mut(1).campaign();
    let ready = net.node_mut(1).ready();
    assert!(ready.messages.is_empty(), "vote requests wait for the vote");
    assert_eq!(ready.messages_after_persist.len(), 2);
    assert!(
        ready
            .messages_after_persist
            .iter()
            .all(|m| matches!(m.body, MessageBody::VoteRequest { .. }))
    );
    finish_ready(&mut net, 1, ready);
    net.deliver_all();

    let ready = net.node_mut(2).ready();
    assert!(ready.messages.is_empty());
    assert_eq!(
        ready.messages_after_persist,
        vec![msg(2, 1, 1, MessageBody::VoteResponse { granted: true })]
    );
    assert_eq!(ready.hard_state.as_ref().unwrap().vote, Some(id(1)));
    finish_ready(&mut net, 2, ready);
    net.process_ready(3);
    net.deliver_all();
    assert_eq!(net.node(1).role(), Role::Leader);

    let ready = net.node_mut(1).ready();
    assert_eq!(ready.entries.len(), 1, "the no-op");
    let appends: Vec<&Message> = ready.messages.iter().filter(|m| is_append(m)).collect();
    assert_eq!(appends.len(), 2, "one append per follower, sent at once");
    assert!(
        !ready.messages_after_persist.iter().any(is_append),
        "appends do not wait for the leader's write"
    );
    finish_ready(&mut net, 1, ready);
    net.deliver_all();

    let ready = net.node_mut(2).ready();
    assert_eq!(ready.entries.len(), 1);
    assert!(
        ready.messages.is_empty(),
        "a follower's ack waits for its write"
    );
    assert_eq!(
        ready.messages_after_persist,
        vec![msg(
            2,
            1,
            1,
            MessageBody::AppendResponse {
                index: LogIndex(1),
                reject: None
            }
        )]
    );
    finish_ready(&mut net, 2, ready);
}

/// Thesis §10.2.1: the leader may write its log in parallel with
/// replication; an entry is committed once a majority of *followers* hold it
/// even if the leader's own write has not finished. Its committed entries
/// are applied only after its own write completes.
#[test]
fn leader_with_stuck_disk_commits_once_both_followers_ack() {
    let mut net = Network::new(3);
    net.elect(1);
    let index = net.node_mut(1).propose(b"x".to_vec()).unwrap();
    let ready = ready_send_now(&mut net, 1);
    assert_eq!(appends_in_flight(&net, 1, 2).len(), 1);
    round_trip(&mut net, 1, 2);
    assert_eq!(
        commit_of(&net, 1),
        LogIndex(1),
        "one follower ack without the leader's own copy is not a majority"
    );
    round_trip(&mut net, 1, 3);
    assert_eq!(commit_of(&net, 1), index, "two of three copies");
    assert_eq!(net.node(1).status().persisted, LogIndex(1));
    assert_eq!(matched(&net, 1, 1), LogIndex(1));
    assert!(ready.committed_entries.is_empty());
    assert!(net.applied(1).is_empty());
    finish_ready(&mut net, 1, ready);
    assert!(net.process_ready(1));
    assert_eq!(net.applied(1).len(), 1, "applied once persisted");
    assert_eq!(net.applied(1)[0].index, index);
}

/// Raft §5.3 with thesis §10.2.1: with one follower's disk stuck (it never
/// acknowledges), the leader's own copy is the second of three, and it
/// counts only once the leader's Ready is advanced.
#[test]
fn leader_with_frozen_follower_commits_only_after_its_own_advance() {
    let mut net = Network::new(3);
    net.elect(1);
    net.frozen.insert(id(3));
    let index = net.node_mut(1).propose(b"y".to_vec()).unwrap();
    let ready = ready_send_now(&mut net, 1);
    round_trip(&mut net, 1, 2);
    round_trip(&mut net, 1, 3);
    assert_eq!(matched(&net, 1, 2), index);
    assert_eq!(matched(&net, 1, 3), LogIndex(1), "frozen node never acked");
    assert_eq!(commit_of(&net, 1), LogIndex(1), "own copy not yet durable");
    finish_ready(&mut net, 1, ready);
    assert_eq!(matched(&net, 1, 1), index);
    assert_eq!(
        commit_of(&net, 1),
        index,
        "own write completes the majority"
    );
}

/// Figure 2: persistent state (the log included) is "updated on stable
/// storage before responding to RPCs". A follower whose disk is stuck sends no acknowledgement, so the
/// leader never counts an entry that a crash would erase.
#[test]
fn follower_acknowledges_only_entries_on_its_disk() {
    let mut net = Network::new(3);
    net.elect(1);
    net.frozen.insert(id(3));
    let index = net.node_mut(1).propose(b"z".to_vec()).unwrap();
    net.process_ready(1);
    net.drop_where(|m| m.to == id(2));
    deliver_from_to(&mut net, 1, 3);
    assert_eq!(net.node(3).log().last_index(), index, "in memory");
    net.process_all();
    assert!(
        !net.in_flight.iter().any(|m| m.from == id(3)),
        "no ack before the write"
    );
    assert_eq!(commit_of(&net, 1), LogIndex(1));
    net.restart(3);
    net.frozen.clear();
    assert_eq!(
        net.node(3).log().last_index(),
        LogIndex(1),
        "lost in the crash"
    );
    // The leader learns of the loss and repairs node 3.
    settle(&mut net, 1);
    for n in 1..=3 {
        assert_eq!(commit_of(&net, n), index, "node {n}");
    }
}

// ---- §5.4.2: committing entries from previous terms -------------------------

/// Raft §5.4.2 and Figure 8: a leader never commits an entry of a previous
/// term by counting replicas; only entries of its own term are committed that
/// way, and earlier ones commit with them.
///
/// Built by hand: S1 holds an entry of term 2 at index 2, S5 one of term 3.
/// S1 becomes leader of term 4 and, sending one entry per message, puts the
/// term-2 entry on S1, S2 and S3 — a majority — before its term-4 no-op. The
/// commit index must stay at 1: as the fork shows, S5 could still be elected
/// and overwrite index 2. Once the term-4 entry is on a majority, both
/// commit, and S5 can no longer win.
#[test]
fn leader_commits_only_current_term_entries_by_counting_figure_8() {
    let mut net = Network::with_config(5, |c| c.max_size_per_msg_bytes = 1);
    boot(&mut net, 1, 3, 1, &[1, 2]);
    for n in 2..=4 {
        boot(&mut net, n, 3, 1, &[1]);
    }
    boot(&mut net, 5, 3, 1, &[1, 3]);
    net.process_all();
    assert!(net.in_flight.is_empty());

    win_election(&mut net, 1);
    assert_eq!(net.node(1).term(), Term(4));
    net.process_ready(1); // the no-op (3, 4): persisted, probes sent
    net.drop_where(|m| m.to == id(4) || m.to == id(5));
    for follower in [2, 3] {
        round_trip(&mut net, 1, follower); // rejected: no index 2
    }
    net.process_ready(1);
    for follower in [2, 3] {
        let sent = appends_in_flight(&net, 1, follower);
        assert_eq!(sent.len(), 1);
        assert_eq!(
            carried(&sent[0]),
            &[ent(2, 2)][..],
            "the term-2 entry alone"
        );
        round_trip(&mut net, 1, follower);
    }
    for n in 1..=3 {
        assert_eq!(
            net.node(n).log().term(LogIndex(2)),
            Some(Term(2)),
            "node {n}"
        );
    }
    assert_eq!(matched(&net, 1, 2), LogIndex(2));
    assert_eq!(matched(&net, 1, 3), LogIndex(2));
    assert_eq!(
        commit_of(&net, 1),
        LogIndex(1),
        "the term-2 entry is on a majority but must not be committed"
    );

    // Why: if S1 crashes now, S5 can be elected and overwrite index 2.
    let mut fork = net.clone();
    fork.isolate(1);
    fork.in_flight.clear();
    for _ in 0..3 {
        fork.node_mut(5).campaign();
        fork.stabilize();
        if fork.node(5).role() == Role::Leader {
            break;
        }
    }
    assert_eq!(fork.node(5).role(), Role::Leader);
    assert_eq!(fork.node(2).log().term(LogIndex(2)), Some(Term(3)));
    assert_eq!(fork.node(3).log().term(LogIndex(2)), Some(Term(3)));

    // The term-4 entry: on two servers still no commit; on three, both commit.
    net.process_ready(1);
    round_trip(&mut net, 1, 2);
    assert_eq!(commit_of(&net, 1), LogIndex(1));
    round_trip(&mut net, 1, 3);
    assert_eq!(commit_of(&net, 1), LogIndex(3), "(3, 4) on a majority");

    // And now S5 cannot be elected any more.
    let mut fork = net.clone();
    fork.isolate(1);
    fork.in_flight.clear();
    for _ in 0..3 {
        fork.node_mut(5).campaign();
        fork.stabilize();
        assert_ne!(fork.node(5).role(), Role::Leader);
    }
}

// ---- §5.3: the consistency check and log repair -----------------------------

/// Raft §5.3, AppendEntries receiver step 2: "Reply false if log doesn't
/// contain an entry at prevLogIndex whose term matches prevLogTerm". The
/// rejection carries a hint: the largest index at or below prevLogIndex
/// whose term is at most prevLogTerm. The log and commit index are untouched.
#[test]
fn follower_rejects_append_whose_prev_does_not_match() {
    let mut net = Network::new(3);
    boot(&mut net, 2, 3, 1, &[1, 1, 2, 2]);
    net.process_all();
    let before = net.node(2).log().entries().to_vec();
    // (prev, expected hint)
    let cases = [
        (eid(4, 3), eid(4, 2)), // same index, other term
        (eid(6, 3), eid(4, 2)), // beyond the log
        (eid(3, 1), eid(2, 1)), // skip the whole term 2
        (eid(4, 1), eid(2, 1)),
    ];
    for (prev, hint) in cases {
        net.deliver(append_msg(1, 2, 3, prev, vec![ent(prev.index.0 + 1, 3)], 4));
        net.process_ready(2);
        let answers = net.drop_where(|m| m.from == id(2));
        assert_eq!(
            answers,
            vec![msg(
                2,
                1,
                3,
                MessageBody::AppendResponse {
                    index: prev.index,
                    reject: Some(RejectHint { probe: hint })
                }
            )],
            "prev {prev:?}"
        );
        assert_eq!(net.node(2).log().entries(), &before[..], "prev {prev:?}");
        assert_eq!(commit_of(&net, 2), LogIndex(1), "prev {prev:?}");
    }
    // A matching prev is accepted.
    net.deliver(append_msg(1, 2, 3, eid(4, 2), vec![ent(5, 3)], 4));
    net.process_ready(2);
    assert_eq!(
        net.drop_where(|m| m.from == id(2)),
        vec![msg(
            2,
            1,
            3,
            MessageBody::AppendResponse {
                index: LogIndex(5),
                reject: None
            }
        )]
    );
    assert_eq!(net.node(2).log().last_id(), eid(5, 3));
    assert!(net.nodes[&id(2)].step_errors.is_empty());
}

/// Runs a 3-node cluster where S1 (whose log is `leader`) is elected, S3 holds
/// S1's log and S2 holds `follower`; returns the network after it is quiet
/// and the number of rejections S2 sent. S1 is leader of term 8.
fn back_up(leader: &[u64], follower: &[u64]) -> (Network, usize) {
    let mut net = Network::new(3);
    // Everyone at term 7, as in Figure 7: S1 becomes leader of term 8.
    let top = 7;
    assert!(leader.iter().chain(follower).all(|t| *t <= top));
    let common = leader
        .iter()
        .zip(follower)
        .take_while(|(a, b)| a == b)
        .count() as u64;
    boot(&mut net, 1, top, common, leader);
    boot(&mut net, 2, top, common, follower);
    boot(&mut net, 3, top, common, leader);
    net.process_all();
    net.node_mut(1).campaign();
    let mut rejections = 0;
    // (a heartbeat round at the end lets S2 learn the final commit index)
    let mut ticked = false;
    for _ in 0..1_000 {
        let processed = net.process_all();
        let batch = std::mem::take(&mut net.in_flight);
        if !processed && batch.is_empty() {
            if ticked {
                break;
            }
            ticked = true;
            net.tick(1, 1);
            continue;
        }
        for m in batch {
            if m.from == id(2) && m.to == id(1) && is_rejection(&m) {
                rejections += 1;
            }
            net.deliver(m);
        }
    }
    assert_eq!(net.node(1).role(), Role::Leader);
    (net, rejections)
}

/// The distinct terms of `follower`'s entries that are not in `leader`.
fn conflicting_terms(leader: &[u64], follower: &[u64]) -> BTreeSet<u64> {
    follower
        .iter()
        .enumerate()
        .filter(|(k, term)| leader.get(*k) != Some(*term))
        .map(|(_, term)| *term)
        .collect()
}

fn assert_logs_identical(net: &Network, a: u64, b: u64) {
    assert_eq!(net.node(a).log().entries(), net.node(b).log().entries());
    assert_eq!(
        net.nodes[&id(a)].disk.entries,
        net.nodes[&id(b)].disk.entries
    );
    assert_eq!(
        net.node(a).log().entries(),
        &net.nodes[&id(a)].disk.entries[..]
    );
}

/// Raft §5.3 and Figure 7: the leader repairs every follower of Figure 7
/// (missing entries, extra uncommitted entries, or both), and with the
/// conflict hint it needs at most one rejected round trip per conflicting
/// term, plus one for missing entries — not one per entry ("the follower can
/// include the term of the conflicting entry and the first index it stores
/// for that term ... one AppendEntries RPC will be required for each term
/// with conflicting entries, rather than one RPC per entry").
#[test]
fn leader_repairs_figure_7_followers_one_round_trip_per_conflicting_term() {
    let leader = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6];
    let followers: [(&str, &[u64]); 6] = [
        ("a", &[1, 1, 1, 4, 4, 5, 5, 6, 6]),
        ("b", &[1, 1, 1, 4]),
        ("c", &[1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6]),
        ("d", &[1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7]),
        ("e", &[1, 1, 1, 4, 4, 4, 4]),
        ("f", &[1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3]),
    ];
    for (name, follower) in followers {
        let (net, rejections) = back_up(&leader, follower);
        let bound = conflicting_terms(&leader, follower).len() + 1;
        assert!(
            rejections <= bound,
            "({name}): {rejections} rejections, at most {bound} expected"
        );
        assert_logs_identical(&net, 1, 2);
        assert_eq!(net.node(2).log().last_id(), eid(11, 8), "({name})");
        assert_eq!(commit_of(&net, 2), LogIndex(11), "({name})");
    }
}

/// Raft §5.3 (the optimization after Figure 7): a follower with a long
/// divergent suffix of several terms, interleaved with the leader's terms,
/// is repaired with at most one rejection per conflicting term (+1), far
/// fewer than one per conflicting entry; the logs end identical.
#[test]
fn leader_backs_up_a_term_per_round_trip_over_a_long_divergent_suffix() {
    let leader = [1, 1, 2, 2, 2, 4, 4, 4, 6, 6, 6];
    let follower = [1, 1, 3, 3, 3, 3, 5, 5, 5, 7, 7, 7, 7, 7];
    let conflicting_entries = follower.len() - 2;
    let terms = conflicting_terms(&leader, &follower);
    assert_eq!(terms.len(), 3);
    let (net, rejections) = back_up(&leader, &follower);
    assert!(rejections >= 1, "the follower's log does diverge");
    assert!(
        rejections <= terms.len() + 1,
        "{rejections} rejections for {} conflicting terms",
        terms.len()
    );
    assert!(rejections < conflicting_entries / 2, "not one per entry");
    assert_logs_identical(&net, 1, 2);
    assert_logs_identical(&net, 1, 3);
    assert_eq!(net.node(2).log().last_id(), eid(12, 8));
}

/// Raft §5.3, AppendEntries receiver steps 3-4: "If an existing entry
/// conflicts with a new one (same index but different terms), delete the
/// existing entry and all that follow it"; "Append any new entries not
/// already in the log". Matching entries are kept, not rewritten.
#[test]
fn follower_deletes_conflicting_suffix_and_appends_new_entries() {
    let mut net = Network::new(3);
    boot(&mut net, 2, 2, 1, &[1, 1, 2, 2, 2]);
    net.process_all();
    net.deliver(append_msg(
        1,
        2,
        3,
        eid(1, 1),
        vec![ent(2, 1), ent(3, 3), ent(4, 3)],
        1,
    ));
    assert_eq!(
        net.node(2).log().entries(),
        &[ent(1, 1), ent(2, 1), ent(3, 3), ent(4, 3)][..],
        "index 5 went with the conflict at 3"
    );
    let ready = net.node_mut(2).ready();
    assert_eq!(
        ready.entries,
        vec![ent(3, 3), ent(4, 3)],
        "the matching entry 2 is not rewritten"
    );
    assert!(ready.must_sync);
    finish_ready(&mut net, 2, ready);
    assert_eq!(net.nodes[&id(2)].disk.entries, net.node(2).log().entries());
    assert_eq!(
        net.drop_where(|m| m.from == id(2)),
        vec![msg(
            2,
            1,
            3,
            MessageBody::AppendResponse {
                index: LogIndex(4),
                reject: None
            }
        )]
    );
}

/// Raft §5.3, receiver step 3 applies only to *conflicting* entries: an
/// older, shorter append delivered after a newer, longer one (reordered or
/// duplicated by the network) must not truncate the log: Figure 2 deletes
/// entries only "if an existing entry conflicts with a new one (same index
/// but different terms)", and the entries after the stale RPC's may be
/// committed already (the 6.824 "Students' Guide to Raft" makes the same
/// point).
#[test]
fn follower_never_truncates_on_a_reordered_older_append() {
    let mut net = Network::new(3);
    boot(&mut net, 2, 1, 0, &[1]);
    net.process_all();
    let longer = append_msg(1, 2, 1, eid(1, 1), vec![ent(2, 1), ent(3, 1), ent(4, 1)], 0);
    let shorter = append_msg(1, 2, 1, eid(1, 1), vec![ent(2, 1)], 0);
    net.deliver(longer);
    net.process_ready(2);
    net.deliver(shorter.clone());
    net.deliver(shorter);
    assert_eq!(net.node(2).log().last_index(), LogIndex(4), "nothing lost");
    let ready = net.node_mut(2).ready();
    assert!(ready.entries.is_empty(), "nothing rewritten");
    finish_ready(&mut net, 2, ready);
    assert_eq!(net.nodes[&id(2)].disk.entries, entries_of(&[1, 1, 1, 1]));
    let answers = net.drop_where(|m| m.from == id(2));
    let indexes: Vec<(LogIndex, bool)> = answers
        .iter()
        .map(|m| match m.body {
            MessageBody::AppendResponse { index, reject } => (index, reject.is_none()),
            _ => panic!("unexpected {m:?}"),
        })
        .collect();
    assert_eq!(
        indexes,
        vec![
            (LogIndex(4), true),
            (LogIndex(2), true),
            (LogIndex(2), true)
        ]
    );
}

/// Raft §5.3 with a real leader: a duplicated older append (a network
/// duplicate of the first of two pipelined appends) changes neither the
/// follower's log nor the leader's match index for it.
#[test]
fn duplicated_append_from_the_leader_loses_nothing() {
    let mut net = Network::new(3);
    net.elect(1);
    net.node_mut(1).propose(b"a".to_vec()).unwrap();
    net.process_ready(1);
    net.node_mut(1).propose(b"b".to_vec()).unwrap();
    net.node_mut(1).propose(b"c".to_vec()).unwrap();
    net.process_ready(1);
    let sent = appends_in_flight(&net, 1, 2);
    assert_eq!(sent.len(), 2, "pipelined");
    assert_eq!(carried(&sent[0]).len(), 1);
    assert_eq!(carried(&sent[1]).len(), 2);
    deliver_from_to(&mut net, 1, 2);
    net.deliver(sent[0].clone()); // the duplicate, late
    assert_eq!(net.node(2).log().last_index(), LogIndex(4));
    net.process_ready(2);
    deliver_from_to(&mut net, 2, 1);
    assert_eq!(matched(&net, 1, 2), LogIndex(4));
    settle(&mut net, 1);
    assert_logs_identical(&net, 1, 2);
    assert_eq!(net.applied(2).len(), 3);
    assert!(net.nodes.values().all(|n| n.step_errors.is_empty()));
}

// ---- heartbeats and the follower's commit -----------------------------------

/// Raft §5.3: followers learn the commit index from "future AppendEntries
/// RPCs". A follower that was paused (its probe outstanding) when the
/// leader's commit index moved is sent the new commit index as soon as its
/// acknowledgement unpauses it, as etcd does (`oldPaused` in `stepLeader`:
/// `sendAppend`, which sends even an empty append) — not only at the next
/// heartbeat.
#[test]
fn paused_follower_learns_the_commit_index_when_its_ack_unpauses_it() {
    let mut net = Network::new(3);
    win_election(&mut net, 1);
    net.process_ready(1); // the no-op, probed to S2 and S3
    round_trip(&mut net, 1, 2);
    assert_eq!(commit_of(&net, 1), LogIndex(1), "S1 and S2 hold the no-op");
    round_trip(&mut net, 1, 3); // S3 was paused when the commit moved
    net.process_ready(1);
    deliver_from_to(&mut net, 1, 3);
    assert_eq!(commit_of(&net, 3), LogIndex(1), "no tick needed");
}

/// Raft §5.3 (Log Matching) applied to heartbeats: a heartbeat carries the
/// commit index as an entry id, and a follower commits it only if it holds
/// that very entry. A follower whose log diverges at the commit index does
/// not commit its own, different entry.
#[test]
fn heartbeat_commits_only_an_entry_the_follower_holds() {
    let mut net = Network::new(3);
    boot(&mut net, 2, 3, 1, &[1, 1, 2]);
    net.process_all();
    net.deliver(msg(1, 2, 3, MessageBody::Heartbeat { commit: eid(3, 3) }));
    assert_eq!(commit_of(&net, 2), LogIndex(1), "(3, 2) is not (3, 3)");
    assert_eq!(net.node(2).leader(), Some(id(1)));
    net.process_ready(2);
    assert_eq!(
        net.drop_where(|m| m.from == id(2)),
        vec![msg(2, 1, 3, MessageBody::HeartbeatResponse)]
    );
    net.deliver(msg(1, 2, 3, MessageBody::Heartbeat { commit: eid(5, 3) }));
    assert_eq!(commit_of(&net, 2), LogIndex(1), "beyond the log");
    net.deliver(msg(1, 2, 3, MessageBody::Heartbeat { commit: eid(2, 1) }));
    assert_eq!(commit_of(&net, 2), LogIndex(2), "(2, 1) is held");
    net.deliver(msg(1, 2, 3, MessageBody::Heartbeat { commit: eid(1, 1) }));
    assert_eq!(commit_of(&net, 2), LogIndex(2), "commit never decreases");
}

/// Raft §5.3 with a real leader: the leader's heartbeat carries the commit
/// index only up to what the follower is known to hold, so a follower whose
/// log diverges below the leader's commit index commits nothing of its own
/// divergent suffix, however many heartbeats it gets; once repaired by
/// appends it commits the leader's entries.
#[test]
fn leader_heartbeat_never_makes_a_divergent_follower_commit() {
    let mut net = Network::new(3);
    boot(&mut net, 1, 3, 2, &[1, 1, 3]);
    boot(&mut net, 2, 3, 2, &[1, 1, 2]);
    boot(&mut net, 3, 3, 2, &[1, 1, 3]);
    net.process_all();
    win_election(&mut net, 1);
    for _ in 0..20 {
        net.process_all();
        net.drop_where(|m| m.to == id(2) && is_append(m));
        net.deliver_all();
    }
    assert_eq!(commit_of(&net, 1), LogIndex(4), "(4, 4) on S1 and S3");
    for _ in 0..5 {
        net.tick(1, 1);
        net.process_ready(1);
        net.drop_where(|m| m.to == id(2) && is_append(m));
        let heartbeat = net
            .in_flight
            .iter()
            .find(|m| m.to == id(2) && matches!(m.body, MessageBody::Heartbeat { .. }))
            .cloned()
            .expect("heartbeat to S2");
        let MessageBody::Heartbeat { commit } = heartbeat.body else {
            unreachable!()
        };
        assert!(commit.index <= matched(&net, 1, 2), "{commit:?}");
        net.deliver_all();
        net.process_all();
        net.drop_where(|m| m.to == id(2) && is_append(m));
        net.deliver_all();
        assert_eq!(commit_of(&net, 2), LogIndex(2), "S2 must not commit (3, 2)");
    }
    net.tick(1, 1);
    net.stabilize();
    assert_logs_identical(&net, 1, 2);
    assert_eq!(commit_of(&net, 2), LogIndex(4));
}

/// Raft §5.3, AppendEntries receiver step 5: "If leaderCommit > commitIndex,
/// set commitIndex = min(leaderCommit, index of last new entry)".
#[test]
fn follower_commits_min_of_leader_commit_and_last_new_entry() {
    let mut net = Network::new(3);
    boot(&mut net, 2, 1, 0, &[1, 1, 1, 1, 1]);
    net.process_all();
    // (prev, entries, leader commit, expected commit)
    let steps: [(EntryId, Vec<Entry>, u64, u64); 4] = [
        (eid(1, 1), vec![ent(2, 1)], 5, 2),
        (eid(2, 1), vec![ent(3, 1)], 2, 2),
        (eid(3, 1), vec![], 5, 3),
        (eid(1, 1), vec![], 5, 3),
    ];
    for (prev, entries, commit, expected) in steps {
        net.deliver(append_msg(1, 2, 1, prev, entries, commit));
        assert_eq!(commit_of(&net, 2), LogIndex(expected), "prev {prev:?}");
    }
    assert_eq!(net.node(2).log().last_index(), LogIndex(5), "nothing lost");
}

/// Raft §5.3, receiver step 5, with a real leader sending one entry per
/// message to a lagging follower: after every accepted append the follower's
/// commit index is min(leader commit, last new entry), never the leader's
/// commit index ahead of the entries received.
#[test]
fn lagging_follower_commits_only_up_to_the_last_entry_received() {
    let mut net = Network::with_config(3, |c| c.max_size_per_msg_bytes = 1);
    net.elect(1);
    net.isolate(3);
    for data in [b"a", b"b", b"c"] {
        net.propose(1, data);
    }
    assert_eq!(commit_of(&net, 1), LogIndex(4));
    assert!(commit_of(&net, 3) < LogIndex(2));
    net.heal();
    net.tick(1, 1);
    let mut limited = 0;
    for _ in 0..1_000 {
        let processed = net.process_all();
        let batch = std::mem::take(&mut net.in_flight);
        if !processed && batch.is_empty() {
            break;
        }
        for m in batch {
            let to3 = m.to == id(3);
            let before = commit_of(&net, 3);
            let expect = match &m.body {
                MessageBody::AppendEntries {
                    prev,
                    entries,
                    commit,
                } if to3 && net.node(3).log().contains(*prev) => {
                    let last_new = prev.index.plus(entries.len() as u64);
                    if *commit > last_new {
                        limited += 1;
                    }
                    Some(before.max((*commit).min(last_new)))
                }
                _ => None,
            };
            net.deliver(m);
            if let Some(expect) = expect {
                assert_eq!(commit_of(&net, 3), expect);
            }
        }
    }
    assert!(limited >= 2, "the leader's commit ran ahead of the entries");
    assert_eq!(commit_of(&net, 3), LogIndex(4));
    assert_logs_identical(&net, 1, 3);
}

// ---- flow control ------------------------------------------------------------

/// etcd's flow control (Raft §5.3 pipelining): in the replicate state the
/// leader has at most `max_inflight_msgs` appends in flight to a follower;
/// an acknowledgement frees room for the next.
#[test]
fn replicate_state_sends_at_most_max_inflight_appends() {
    let mut net = Network::with_config(3, |c| {
        c.max_inflight_msgs = 2;
        c.max_size_per_msg_bytes = 1;
    });
    net.elect(1);
    assert_eq!(
        net.node(1).status().progress[&id(2)].state,
        ProgressState::Replicate
    );
    for k in 0..5u8 {
        net.node_mut(1).propose(vec![k]).unwrap();
    }
    net.process_ready(1);
    for follower in [2, 3] {
        let sent = appends_in_flight(&net, 1, follower);
        assert_eq!(sent.len(), 2, "window of 2 to node {follower}");
        assert!(sent.iter().all(|m| carried(m).len() == 1));
        assert_eq!(net.node(1).status().progress[&id(follower)].inflight, 2);
    }
    net.node_mut(1).propose(vec![9]).unwrap();
    net.process_ready(1);
    assert_eq!(appends_in_flight(&net, 1, 2).len(), 2, "window full");

    // One ack frees one slot: exactly one more append goes to node 2.
    net.deliver_first(|m| m.to == id(2) && is_append(m));
    net.process_ready(2);
    deliver_from_to(&mut net, 2, 1);
    net.process_ready(1);
    let sent = appends_in_flight(&net, 1, 2);
    assert_eq!(sent.len(), 2, "one delivered, one new");
    assert_eq!(carried(&sent[1]), &net.node(1).log().entries()[3..4]);
    assert_eq!(appends_in_flight(&net, 1, 3).len(), 2, "node 3 still full");
    settle(&mut net, 1);
    for n in 1..=3 {
        assert_eq!(commit_of(&net, n), LogIndex(7), "node {n}");
    }
}

/// etcd's `MaxSizePerMsg`: an append carries at most
/// `max_size_per_msg_bytes` of entries, but always at least one entry.
#[test]
fn max_size_per_msg_caps_entries_but_sends_at_least_one() {
    let one = ent(1, 1).size_bytes() - ent(1, 1).data.len() as u64 + 10;
    let mut net = Network::with_config(3, |c| c.max_size_per_msg_bytes = 2 * one);
    net.elect(1);
    for k in 0..5u8 {
        net.node_mut(1).propose(vec![k; 10]).unwrap();
    }
    net.process_ready(1);
    let sizes: Vec<usize> = appends_in_flight(&net, 1, 2)
        .iter()
        .map(|m| carried(m).len())
        .collect();
    assert_eq!(sizes, vec![2, 2, 1]);
    for m in appends_in_flight(&net, 1, 2) {
        let bytes: u64 = carried(&m).iter().map(Entry::size_bytes).sum();
        assert!(bytes <= 2 * one);
    }
    net.stabilize();
    let big = net.node_mut(1).propose(vec![7; 1000]).unwrap();
    net.process_ready(1);
    let sent = appends_in_flight(&net, 1, 2);
    assert_eq!(sent.len(), 1);
    assert_eq!(carried(&sent[0]).len(), 1, "an oversized entry goes alone");
    assert_eq!(carried(&sent[0])[0].index, big);
    settle(&mut net, 1);
    assert_eq!(commit_of(&net, 2), big);
}

/// etcd's probe state (Raft §5.3's decrement-and-retry): while the leader
/// does not know where a follower's log matches, it has only one append in
/// flight to it; a heartbeat response unpauses the probe and lets exactly one
/// more append go.
#[test]
fn probe_state_sends_one_append_until_heard_from() {
    let mut net = Network::new(3);
    win_election(&mut net, 1);
    net.process_ready(1);
    assert_eq!(appends_in_flight(&net, 1, 2).len(), 1);
    assert_eq!(
        net.node(1).status().progress[&id(2)].state,
        ProgressState::Probe
    );
    net.drop_where(|m| m.to == id(2)); // the probe is lost
    for k in 0..3u8 {
        net.node_mut(1).propose(vec![k]).unwrap();
        net.process_ready(1);
    }
    assert!(
        appends_in_flight(&net, 1, 2).is_empty(),
        "probe outstanding"
    );
    assert_eq!(
        net.node(1).status().progress[&id(2)].state,
        ProgressState::Probe
    );

    net.tick(1, 1);
    net.process_ready(1);
    net.drop_where(|m| m.to == id(3));
    deliver_from_to(&mut net, 1, 2); // the heartbeat
    net.process_ready(2);
    deliver_from_to(&mut net, 2, 1);
    net.process_ready(1);
    let sent = appends_in_flight(&net, 1, 2);
    assert_eq!(
        sent.len(),
        1,
        "exactly one append after the heartbeat answer"
    );
    assert_eq!(carried(&sent[0]).len(), 4, "from the probe point on");
    net.stabilize();
    assert_eq!(
        net.node(1).status().progress[&id(2)].state,
        ProgressState::Replicate
    );
    assert_logs_identical(&net, 1, 2);
}

/// etcd's rule for a full window: a heartbeat response shows the follower is
/// alive, so one slot is freed and replication resumes even if the appends
/// that filled the window were lost.
#[test]
fn heartbeat_response_frees_a_full_window() {
    let mut net = Network::with_config(3, |c| {
        c.max_inflight_msgs = 2;
        c.max_size_per_msg_bytes = 1;
    });
    net.elect(1);
    for k in 0..3u8 {
        net.node_mut(1).propose(vec![k]).unwrap();
    }
    net.process_ready(1);
    assert_eq!(net.drop_where(|m| m.to == id(2)).len(), 2, "both lost");
    net.node_mut(1).propose(vec![3]).unwrap();
    net.process_ready(1);
    assert!(appends_in_flight(&net, 1, 2).is_empty(), "window full");
    assert_eq!(net.node(1).status().progress[&id(2)].inflight, 2);

    net.tick(1, 1);
    net.process_ready(1);
    let heartbeat = net
        .deliver_first(|m| m.to == id(2) && matches!(m.body, MessageBody::Heartbeat { .. }))
        .expect("heartbeat to node 2");
    assert_eq!(heartbeat.from, id(1));
    net.process_ready(2);
    deliver_from_to(&mut net, 2, 1);
    net.process_ready(1);
    assert_eq!(
        appends_in_flight(&net, 1, 2).len(),
        1,
        "the window reopened"
    );
    settle(&mut net, 1);
    assert_logs_identical(&net, 1, 2);
    assert_eq!(commit_of(&net, 2), LogIndex(5));
}

// ---- responses out of order ---------------------------------------------------

/// Raft Figure 2: matchIndex "increases monotonically". Reordered and
/// duplicated AppendResponses (and a stale rejection of an index below the
/// match) move neither the match index nor the commit index backwards, and
/// are not errors.
#[test]
fn reordered_and_duplicated_responses_never_lower_the_match_index() {
    let mut net = Network::new(3);
    net.elect(1);
    net.node_mut(1).propose(b"a".to_vec()).unwrap();
    net.process_ready(1);
    net.node_mut(1).propose(b"b".to_vec()).unwrap();
    net.process_ready(1);
    deliver_from_to(&mut net, 1, 2);
    net.process_ready(2);
    let answers = net.drop_where(|m| m.from == id(2));
    assert_eq!(answers.len(), 2);
    let (first, second) = (answers[0].clone(), answers[1].clone());
    assert_eq!(
        second.body,
        MessageBody::AppendResponse {
            index: LogIndex(3),
            reject: None
        }
    );
    let term = net.node(1).term().0;
    let stale_rejection = msg(
        2,
        1,
        term,
        MessageBody::AppendResponse {
            index: LogIndex(2),
            reject: Some(RejectHint { probe: eid(1, 1) }),
        },
    );
    for m in [
        second.clone(),
        first.clone(),
        second,
        first,
        stale_rejection,
    ] {
        net.deliver(m);
        assert_eq!(matched(&net, 1, 2), LogIndex(3));
        assert_eq!(commit_of(&net, 1), LogIndex(3));
        assert_eq!(
            net.node(1).status().progress[&id(2)].state,
            ProgressState::Replicate
        );
    }
    assert!(net.nodes[&id(1)].step_errors.is_empty());
    settle(&mut net, 1);
    for n in 1..=3 {
        assert_eq!(commit_of(&net, n), LogIndex(3), "node {n}");
        assert_eq!(net.applied(n).len(), 2, "node {n}");
    }
}

/// A success AppendResponse acknowledging an index the leader never had
/// cannot come from a correct follower: `Err(MalformedMessage)`, ignored.
#[test]
fn acknowledgement_beyond_the_leaders_log_is_malformed() {
    let mut net = Network::new(3);
    net.elect(1);
    let term = net.node(1).term().0;
    let before = net.node(1).status();
    let bogus = msg(
        2,
        1,
        term,
        MessageBody::AppendResponse {
            index: LogIndex(99),
            reject: None,
        },
    );
    let result = net.node_mut(1).step(bogus);
    assert!(
        matches!(result, Err(Error::MalformedMessage(_))),
        "{result:?}"
    );
    assert_eq!(net.node(1).status(), before);
    assert!(!net.node(1).has_ready());
}

/// An AppendEntries whose entries do not follow `prev` contiguously cannot
/// come from a correct leader: `Err(MalformedMessage)`, and nothing changes —
/// no entry appended, no commit, no answer, no new leader.
#[test]
fn non_contiguous_append_is_malformed_and_changes_nothing() {
    let mut net = Network::new(3);
    boot(&mut net, 2, 1, 1, &[1, 1]);
    net.process_all();
    let before = net.node(2).status();
    let bad: [Vec<Entry>; 3] = [
        vec![ent(4, 1)],
        vec![ent(3, 1), ent(5, 1)],
        vec![ent(3, 1), ent(3, 1)],
    ];
    for entries in bad {
        let m = append_msg(1, 2, 1, eid(2, 1), entries.clone(), 2);
        let result = net.node_mut(2).step(m);
        assert!(
            matches!(result, Err(Error::MalformedMessage(_))),
            "{entries:?}: {result:?}"
        );
        assert_eq!(net.node(2).status(), before, "{entries:?}");
        assert!(!net.node(2).has_ready(), "{entries:?}");
    }
}

/// As above, for a malformed append that carries a newer term: the crate
/// documents that input answered with an `Err` "was ignored", so it must not
/// raise the term (or clear the vote) either.
#[test]
fn malformed_append_of_a_newer_term_changes_nothing() {
    let mut net = Network::new(3);
    boot(&mut net, 2, 1, 1, &[1, 1]);
    net.process_all();
    let before = net.node(2).status();
    let m = append_msg(1, 2, 5, eid(2, 1), vec![ent(4, 5)], 2);
    let result = net.node_mut(2).step(m);
    assert!(
        matches!(result, Err(Error::MalformedMessage(_))),
        "{result:?}"
    );
    assert_eq!(net.node(2).status(), before);
    assert!(!net.node(2).has_ready());
}

// ---- proposals ------------------------------------------------------------------

/// Raft §5.1/§8: only the leader accepts client requests; a follower points
/// the client at the leader it knows.
#[test]
fn proposal_on_a_follower_is_refused_with_the_leader() {
    let mut net = Network::new(3);
    assert_eq!(
        net.node_mut(2).propose(b"x".to_vec()),
        Err(Error::NotLeader { leader: None })
    );
    net.elect(1);
    let last = net.node(2).log().last_index();
    assert_eq!(
        net.node_mut(2).propose(b"x".to_vec()),
        Err(Error::NotLeader {
            leader: Some(id(1))
        })
    );
    assert_eq!(net.node(2).log().last_index(), last);
    assert!(!net.node(2).has_ready());
}

/// Back-pressure (etcd's `MaxUncommittedEntriesSize`): a leader cut off from
/// its followers accepts `max_uncommitted_entries` proposals, then refuses
/// with `TooManyUncommitted` without growing its log; once entries commit,
/// it accepts again.
#[test]
fn leader_refuses_proposals_beyond_max_uncommitted() {
    let mut net = Network::with_config(3, |c| c.max_uncommitted_entries = 3);
    net.elect(1);
    net.isolate(1);
    for k in 0..3u8 {
        net.node_mut(1).propose(vec![k]).unwrap();
        net.process_all();
        net.deliver_all();
    }
    let last = net.node(1).log().last_index();
    assert_eq!(last, LogIndex(4));
    assert_eq!(
        net.node_mut(1).propose(b"x".to_vec()),
        Err(Error::TooManyUncommitted { limit: 3 })
    );
    assert_eq!(net.node(1).log().last_index(), last);
    net.heal();
    net.tick(1, 1);
    net.stabilize();
    assert_eq!(commit_of(&net, 1), last);
    assert!(net.node_mut(1).propose(b"x".to_vec()).is_ok());
}

// ---- durability (§5.4, Figure 2) ----------------------------------------------

/// Figure 2, "Persistent state on all servers: currentTerm, votedFor,
/// log[]": a follower rebooted from its disk keeps its term, its vote (and
/// so refuses a second candidate of that term) and its log.
#[test]
fn restarted_follower_keeps_term_vote_and_log() {
    let mut net = Network::new(3);
    net.elect(1);
    net.propose(1, b"a");
    net.propose(1, b"b");
    let term = net.node(2).term();
    let log = net.node(2).log().entries().to_vec();
    let commit = commit_of(&net, 2);
    net.restart(2);
    assert_eq!(net.node(2).term(), term);
    assert_eq!(net.node(2).vote(), Some(id(1)));
    assert_eq!(net.node(2).log().entries(), &log[..]);
    assert!(commit_of(&net, 2) <= commit);
    // Node 3, with a log as good, asks for a vote in the same term: refused.
    net.deliver(msg(
        3,
        2,
        term.0,
        MessageBody::VoteRequest {
            last_log: eid(10, term.0),
        },
    ));
    net.process_ready(2);
    assert_eq!(
        net.drop_where(|m| m.from == id(2)),
        vec![msg(
            2,
            3,
            term.0,
            MessageBody::VoteResponse { granted: false }
        )]
    );
    // Back with the leader, the node re-applies what was committed.
    net.tick(1, 1);
    net.stabilize();
    assert_eq!(commit_of(&net, 2), LogIndex(3));
    let data: Vec<Vec<u8>> = net.applied(2).iter().map(|e| e.data.clone()).collect();
    assert_eq!(data, vec![b"a".to_vec(), b"b".to_vec()]);
}

/// Raft §5.4, Leader Completeness: "if a log entry is committed in a given
/// term, then that entry will be present in the logs of the leaders for all
/// higher-numbered terms". Entries committed by S1 and S2 (S3 lagging)
/// survive S1's crash: S3 cannot be elected, S2 is, and has them; so does
/// every leader after a crash of the whole cluster.
#[test]
fn committed_entries_survive_the_leaders_crash() {
    let mut net = Network::new(3);
    net.elect(1);
    net.cut(1, 3);
    let a = net.propose(1, b"a");
    let b = net.propose(1, b"b");
    assert_eq!(commit_of(&net, 1), b);
    assert_eq!(net.node(3).log().last_index(), LogIndex(1), "S3 lags");
    let committed: Vec<Entry> = net.node(1).log().entries()[..b.0 as usize].to_vec();

    net.restart(1);
    net.isolate(1);
    net.in_flight.clear();
    net.node_mut(3).campaign();
    net.stabilize();
    assert_ne!(
        net.node(3).role(),
        Role::Leader,
        "S3 lacks committed entries"
    );
    net.elect(2);
    assert_eq!(&net.node(2).log().entries()[..b.0 as usize], &committed[..]);
    net.propose(2, b"c");
    assert_eq!(&net.node(3).log().entries()[..b.0 as usize], &committed[..]);
    let data: Vec<Vec<u8>> = net.applied(3).iter().map(|e| e.data.clone()).collect();
    assert_eq!(data, vec![b"a".to_vec(), b"b".to_vec(), b"c".to_vec()]);
    assert!(a < b);

    // Whole-cluster crash: whoever leads next has every committed entry.
    net.heal();
    net.in_flight.clear();
    let committed: Vec<Entry> = net.node(2).log().entries().to_vec();
    for n in 1..=3 {
        net.restart(n);
    }
    net.node_mut(1).campaign();
    net.stabilize();
    assert_ne!(net.node(1).role(), Role::Leader, "S1 lacks entry c");
    net.elect(3);
    net.propose(3, b"d");
    for n in 1..=3 {
        assert_eq!(
            &net.node(n).log().entries()[..committed.len()],
            &committed[..],
            "node {n}"
        );
    }
}

// ---- Ready: must_sync and applying ---------------------------------------------

/// Figure 2 (persist currentTerm, votedFor, log[] before answering) and the
/// `Ready` contract: `must_sync` is true exactly when the term, the vote or
/// the log changes, and false for a Ready whose only write is a new commit
/// index (the commit index need not be durable).
#[test]
fn must_sync_exactly_when_term_vote_or_entries_change() {
    let mut net = Network::new(3);
    let mut record = Vec::new();
    net.node_mut(1).campaign();
    stabilize_recorded(&mut net, &mut record);
    for k in 0..3u8 {
        net.node_mut(1).propose(vec![k]).unwrap();
        stabilize_recorded(&mut net, &mut record);
    }
    net.tick(1, 1);
    stabilize_recorded(&mut net, &mut record);
    // A new term, by an election on node 2.
    net.node_mut(2).campaign();
    stabilize_recorded(&mut net, &mut record);
    assert_eq!(net.node(2).role(), Role::Leader);

    let mut commit_only = 0;
    let mut vote_only = 0;
    for h in &record {
        let term_or_vote = h
            .hard_state
            .as_ref()
            .is_some_and(|hs| hs.term != h.before.term || hs.vote != h.before.vote);
        let expected = term_or_vote || !h.entries.is_empty();
        assert_eq!(h.must_sync, expected, "{h:?}");
        if let Some(hs) = &h.hard_state
            && !term_or_vote
            && h.entries.is_empty()
        {
            commit_only += 1;
            assert!(!h.must_sync);
            assert_ne!(hs.commit, h.before.commit);
        }
        if term_or_vote && h.entries.is_empty() {
            vote_only += 1;
        }
    }
    assert!(commit_only >= 4, "commit-only writes seen: {commit_only}");
    assert!(vote_only >= 4, "term/vote-only writes seen: {vote_only}");
}

/// Raft §5.3 ("the leader applies the entry to its state machine"), Figure 2
/// ("If commitIndex > lastApplied: increment lastApplied, apply
/// log[lastApplied]"): every node applies each committed entry exactly once,
/// in log order, even when committed entries are handed out one per Ready.
#[test]
fn committed_entries_are_applied_in_order_exactly_once() {
    // One committed entry per Ready, then the default batch size.
    apply_exactly_once(Some(1));
    apply_exactly_once(None);
}

fn apply_exactly_once(committed_bytes_per_ready: Option<u64>) {
    let mut net = Network::with_config(3, |c| {
        if let Some(cap) = committed_bytes_per_ready {
            c.max_committed_bytes_per_ready = cap;
        }
    });
    let mut record = Vec::new();
    net.node_mut(1).campaign();
    stabilize_recorded(&mut net, &mut record);
    let mut proposed = Vec::new();
    for batch in 0..4u8 {
        if batch == 2 {
            net.isolate(3);
        }
        for k in 0..4u8 {
            let data = vec![batch, k];
            net.node_mut(1).propose(data.clone()).unwrap();
            proposed.push(data);
            if k % 2 == 1 {
                for n in 1..=3 {
                    process_recorded(&mut net, n, &mut record);
                }
            }
        }
        stabilize_recorded(&mut net, &mut record);
        if batch == 2 {
            net.heal();
        }
        net.tick(1, 1);
        stabilize_recorded(&mut net, &mut record);
    }
    net.tick(1, 1);
    stabilize_recorded(&mut net, &mut record);
    let mut batched = false;
    for n in 1..=3u64 {
        let readies: Vec<&Handled> = record.iter().filter(|h| h.node == n).collect();
        if committed_bytes_per_ready == Some(1) {
            assert!(
                readies.iter().all(|h| h.committed.len() <= 1),
                "one entry per Ready under a 1-byte cap"
            );
        }
        batched |= readies.iter().any(|h| h.committed.len() > 1);
        let indexes: Vec<u64> = readies
            .iter()
            .flat_map(|h| h.committed.iter())
            .map(|e| e.index.0)
            .collect();
        assert_eq!(commit_of(&net, n), LogIndex(17), "node {n}");
        let expected: Vec<u64> = (1..=17).collect();
        assert_eq!(indexes, expected, "node {n}: each index once, in order");
        let data: Vec<Vec<u8>> = net.applied(n).iter().map(|e| e.data.clone()).collect();
        assert_eq!(data, proposed, "node {n}");
        assert_eq!(net.node(n).status().applied, LogIndex(17));
    }
    assert_eq!(
        batched,
        committed_bytes_per_ready.is_none(),
        "batches of several committed entries only without the cap"
    );
}

// ---- acknowledgements withdrawn by a newer leader -----------------------------

fn ack(from: u64, to: u64, term: u64, index: u64) -> Message {
    msg(
        from,
        to,
        term,
        MessageBody::AppendResponse {
            index: LogIndex(index),
            reject: None,
        },
    )
}

/// Figure 2 ("Persistent state ... updated on stable storage before
/// responding to RPCs") with §5.3, AppendEntries receiver step 3 ("If an
/// existing entry conflicts with a new one ... delete the existing entry and
/// all that follow it"): an acknowledgement promises that the follower holds
/// the acknowledged entries durably. A follower that has queued (not yet
/// handed out in a Ready) an old leader's acknowledgement of index i, and
/// then lets a newer leader replace entries from an index <= i, must not
/// send that acknowledgement: the old leader would count an entry the
/// follower no longer has. Acknowledgements below the replaced suffix, and
/// rejections, stay true and are still sent.
#[test]
fn follower_withdraws_unsent_acks_for_entries_a_newer_leader_replaced() {
    let mut net = Network::new(3);
    boot(&mut net, 2, 1, 1, &[1]);
    net.process_all();
    assert!(!net.node(2).has_ready());
    // Old leader S1 (term 1), all stepped into S2 with no ready() between.
    let steps = [
        append_msg(1, 2, 1, eid(1, 1), vec![], 1),
        append_msg(1, 2, 1, eid(1, 1), vec![ent(2, 1)], 1),
        append_msg(1, 2, 1, eid(2, 1), vec![ent(3, 1)], 1),
        append_msg(1, 2, 1, eid(5, 1), vec![ent(6, 1)], 1),
        // New leader S3 (term 2) replaces index 2 on.
        append_msg(3, 2, 2, eid(1, 1), vec![ent(2, 2)], 1),
    ];
    for m in steps {
        net.node_mut(2).step(m).expect("well-formed append");
    }
    assert_eq!(net.node(2).log().entries(), &[ent(1, 1), ent(2, 2)][..]);
    let ready = net.node_mut(2).ready();
    assert_eq!(ready.entries, vec![ent(2, 2)]);
    let rejection = msg(
        2,
        1,
        1,
        MessageBody::AppendResponse {
            index: LogIndex(5),
            reject: Some(RejectHint { probe: eid(3, 1) }),
        },
    );
    assert_eq!(
        ready.messages_after_persist,
        vec![ack(2, 1, 1, 1), rejection, ack(2, 3, 2, 2)],
        "the old acks of 2 and 3 are withdrawn; the ack of 1 and the rejection stay"
    );
    finish_ready(&mut net, 2, ready);
}

// ---- flow control: which acknowledgements end a probe or move the window -------

/// Sets up a 3-node cluster whose leader S1 probes S2 with its match index
/// at 2 (the entry `a`): two pipelined appends were sent, the first was lost,
/// S2 rejected the second, and the probe that followed was lost too. Nothing
/// is in flight to S2 and S1 has no Ready.
fn leader_probing_node_2_matched_at_2() -> Network {
    let mut net = Network::new(3);
    net.elect(1);
    net.propose(1, b"a");
    assert_eq!(matched(&net, 1, 2), LogIndex(2));
    for data in [b"b", b"c"] {
        net.node_mut(1).propose(data.to_vec()).unwrap();
        net.process_ready(1);
    }
    let to2 = appends_in_flight(&net, 1, 2);
    assert_eq!(to2.len(), 2, "pipelined");
    net.drop_where(|m| *m == to2[0]);
    round_trip(&mut net, 1, 2); // S2 rejects index 3
    let pr = net.node(1).status().progress[&id(2)].clone();
    assert_eq!(pr.state, ProgressState::Probe);
    assert_eq!(pr.matched, LogIndex(2));
    net.process_ready(1);
    let probe = net.drop_where(|m| m.to == id(2));
    assert_eq!(probe.len(), 1, "one probe, lost");
    net.process_ready(1);
    assert!(!net.node(1).has_ready());
    net
}

/// Raft §5.3 ("If successful: update nextIndex and matchIndex for
/// follower") with etcd's probe/replicate flow control: in the probe state,
/// any successful AppendResponse — even one acknowledging exactly the
/// current match index, such as a duplicate of an earlier answer — shows
/// where the logs match, so the leader leaves the probe state and streams
/// the rest from match + 1.
#[test]
fn probe_ends_when_an_ack_confirms_the_match_index() {
    let mut net = leader_probing_node_2_matched_at_2();
    let term = net.node(1).term().0;
    net.deliver(ack(2, 1, term, 2));
    let pr = net.node(1).status().progress[&id(2)].clone();
    assert_eq!(pr.state, ProgressState::Replicate, "{pr:?}");
    assert_eq!(pr.matched, LogIndex(2));
    net.process_ready(1);
    let sent = appends_in_flight(&net, 1, 2);
    assert_eq!(sent.len(), 1);
    assert_eq!(carried(&sent[0]), &net.node(1).log().entries()[2..4]);
    settle(&mut net, 1);
    assert_logs_identical(&net, 1, 2);
    assert_eq!(commit_of(&net, 2), LogIndex(4));
}

/// Raft Figure 2 (matchIndex "increases monotonically") and etcd's probe
/// state (§5.3's decrement-and-retry): an acknowledgement below the match
/// index is stale — it answers an append older than the outstanding probe —
/// so it neither ends the probe nor unpauses it, and the leader sends
/// nothing.
#[test]
fn stale_ack_below_the_match_leaves_a_probe_untouched() {
    let mut net = leader_probing_node_2_matched_at_2();
    let term = net.node(1).term().0;
    let before = net.node(1).status();
    net.deliver(ack(2, 1, term, 1));
    assert_eq!(net.node(1).status(), before);
    assert_eq!(
        net.node(1).status().progress[&id(2)].state,
        ProgressState::Probe
    );
    assert!(!net.node(1).has_ready(), "nothing to send");
    assert!(net.nodes[&id(1)].step_errors.is_empty());
}

/// Raft Figure 2 (matchIndex "increases monotonically") with etcd's
/// replicate state and batching: a duplicate acknowledgement of the current
/// match index in the replicate state is no news. It changes neither the
/// follower's progress nor its window, and in particular does not make the
/// leader send the entries proposed since its last Ready ahead of the batch
/// (which would split that batch in two).
#[test]
fn duplicate_ack_of_the_match_index_in_replicate_state_changes_nothing() {
    let mut net = Network::new(3);
    net.elect(1);
    net.propose(1, b"a");
    let term = net.node(1).term().0;
    assert_eq!(matched(&net, 1, 2), LogIndex(2));
    assert_eq!(
        net.node(1).status().progress[&id(2)].state,
        ProgressState::Replicate
    );
    net.node_mut(1).propose(b"b".to_vec()).unwrap();
    let before = net.node(1).status();
    assert_eq!(before.progress[&id(2)].next, LogIndex(3));
    assert_eq!(before.progress[&id(2)].inflight, 0);
    net.deliver(ack(2, 1, term, 2));
    assert_eq!(net.node(1).status(), before, "no news, no send");
    // Both entries proposed since the last Ready go out together with the
    // next one, in one append to each follower.
    net.node_mut(1).propose(b"c".to_vec()).unwrap();
    net.process_ready(1);
    let sent = appends_in_flight(&net, 1, 2);
    assert_eq!(sent.len(), 1, "one batch: {sent:?}");
    assert_eq!(carried(&sent[0]), &net.node(1).log().entries()[2..4]);
    settle(&mut net, 1);
    assert_logs_identical(&net, 1, 2);
}

// ---- flow control: heartbeat responses ---------------------------------------

/// Raft §5.2/§5.3: heartbeats are AppendEntries "that carry no log entries";
/// their answer tells the leader only that the follower is alive. From a
/// follower that already holds the leader's whole log, it must not make the
/// leader send an append: there is nothing to send.
#[test]
fn heartbeat_response_from_a_caught_up_follower_sends_no_append() {
    let mut net = Network::new(3);
    net.elect(1);
    net.propose(1, b"a");
    settle(&mut net, 1);
    assert_eq!(matched(&net, 1, 2), net.node(1).log().last_index());
    net.node_mut(1).heartbeat_timeout();
    net.process_ready(1);
    net.drop_where(|m| m.to == id(3));
    round_trip(&mut net, 1, 2);
    net.process_ready(1);
    assert!(
        appends_in_flight(&net, 1, 2).is_empty(),
        "{:?}",
        net.in_flight
    );
    assert!(net.nodes[&id(1)].step_errors.is_empty());
}

/// etcd's flow-control rule for heartbeats (Raft §5.3 pipelining): a
/// heartbeat response frees one inflight slot only if the window is full
/// (the appends that filled it may have been lost). With room left in the
/// window, the appends in flight are still awaited: the count is unchanged.
#[test]
fn heartbeat_response_frees_a_slot_only_from_a_full_window() {
    let mut net = Network::with_config(3, |c| {
        c.max_inflight_msgs = 3;
        c.max_size_per_msg_bytes = 1;
    });
    net.elect(1);
    net.node_mut(1).propose(b"a".to_vec()).unwrap();
    net.process_ready(1);
    assert_eq!(appends_in_flight(&net, 1, 2).len(), 1);
    assert_eq!(net.node(1).status().progress[&id(2)].inflight, 1);
    net.node_mut(1).heartbeat_timeout();
    net.process_ready(1);
    net.deliver_first(|m| m.to == id(2) && matches!(m.body, MessageBody::Heartbeat { .. }))
        .expect("heartbeat to node 2");
    net.process_ready(2);
    deliver_from_to(&mut net, 2, 1);
    let pr = net.node(1).status().progress[&id(2)].clone();
    assert_eq!(pr.state, ProgressState::Replicate);
    assert_eq!(pr.inflight, 1, "the window was not full: nothing freed");
    settle(&mut net, 1);
    assert_logs_identical(&net, 1, 2);
    assert_eq!(commit_of(&net, 2), LogIndex(2));
}

//! Raft §5.3 commitment, the leader's parallel append (thesis §10.2.1) and
//! committing entries from previous terms (§5.4.2).

use super::common::*;
use super::helpers::*;
use raft_core::{LogIndex, Message, MessageBody, Role, Term};

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
            commit: eid(2, net.node(1).term().0),
            read_round: 0,
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

//! Proposals, durability (§5.4, Figure 2) and `Ready`: must_sync and applying.

use super::common::*;
use super::helpers::*;
use raft_core::{Entry, Error, LogIndex, MessageBody, Role};

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
            leader_transfer: false,
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

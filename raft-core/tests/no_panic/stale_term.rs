//! Regression: a node's answer to an append from a stale term is a
//! `StaleTerm`, which the old sender — by then leading a newer term — must
//! not count as an acknowledgement. (It used to be an `AppendResponse {
//! index: <the answerer's last index>, reject: None }`, counted as a match,
//! which let a leader commit an entry only it held.)

use raft_core::{EntryId, LogIndex, Message, MessageBody, Role, Term};

use crate::common::{Network, id};

/// Every node's committed prefix, as (index, term) pairs.
fn committed_prefixes(net: &Network) -> Vec<Vec<EntryId>> {
    net.nodes
        .values()
        .map(|node| {
            let log = node.raw.log();
            (1..=log.committed().0)
                .map(|i| log.entry(LogIndex(i)).expect("no snapshots").id())
                .collect()
        })
        .collect()
}

/// The committed prefixes agree: each is a prefix of the longest.
fn assert_committed_entries_agree(net: &Network, when: &str) {
    let prefixes = committed_prefixes(net);
    let longest = prefixes.iter().max_by_key(|p| p.len()).expect("nodes");
    for prefix in &prefixes {
        assert_eq!(
            prefix.as_slice(),
            &longest[..prefix.len()],
            "{when}: committed entries disagree: {prefixes:?}"
        );
    }
}

/// Three nodes with CheckQuorum on and PreVote off (`answer_stale` answers
/// the same way whenever either is on).
///
/// Node 2 leads term 2 and sends node 1 an append that is delayed. Later
/// node 2 leads term 3 with the log `[1:t2, 2:t3, 3:t3]`, of which only
/// `1:t2` is committed (with node 3), while node 1 is at term 3 with the
/// unrelated log `[1:t1, 2:t1, 3:t1]`. The delayed term-2 append reaches
/// node 1, which answers `StaleTerm` in term 3. Node 2 must not take that
/// for "node 1 matches my log up to 3": its match index for node 1 and its
/// commit index stay. Then node 3 wins term 4 with node 1's vote and
/// commits its own entry at index 2, which is safe only because node 2
/// never committed `2:t3`; once everyone hears from everyone, the committed
/// entries agree.
#[test]
fn stale_term_answer_is_not_counted_as_a_match() {
    let mut net = Network::with_config(3, |c| c.check_quorum = true);
    let from = |n: u64| move |m: &Message| m.from == id(n);
    let to = |n: u64| move |m: &Message| m.to == id(n);

    // Term 1: node 1 wins with node 2's vote, then logs 1..=3 alone.
    net.node_mut(1).campaign();
    net.process_ready(1);
    net.drop_where(to(3));
    net.deliver_all();
    net.process_ready(2);
    net.deliver_all();
    assert_eq!(net.node(1).role(), Role::Leader);
    net.node_mut(1).propose(b"a".to_vec()).unwrap();
    net.node_mut(1).propose(b"b".to_vec()).unwrap();
    while net.process_ready(1) {}
    net.drop_where(from(1));
    assert_eq!(net.node(1).log().last_id().index, LogIndex(3));

    // Term 2: node 2 wins with node 3's vote; its append to node 1 is delayed.
    net.node_mut(2).campaign();
    net.process_ready(2);
    net.drop_where(to(1));
    net.deliver_all();
    net.process_ready(3);
    net.deliver_all();
    assert_eq!(net.node(2).role(), Role::Leader);
    assert_eq!(net.node(2).term(), Term(2));
    net.process_ready(2);
    let delayed = net.drop_where(|m| m.from == id(2) && m.to == id(1));
    assert!(matches!(
        delayed.as_slice(),
        [Message {
            term: Term(2),
            body: MessageBody::AppendEntries { .. },
            ..
        }]
    ));
    net.isolate(1);
    net.stabilize();
    assert_eq!(net.node(2).log().committed(), LogIndex(1));

    // Node 1 (isolated) and node 2 (no more answers) both lose CheckQuorum:
    // exactly one round for node 1, two for node 2 (whose first round still
    // counts node 3's answers); no election timeout fires yet.
    net.isolate(2);
    net.tick(1, 10);
    net.tick(2, 20);
    while net.process_all() {}
    net.drop_where(|_| true);
    assert_eq!(net.node(1).role(), Role::Follower);
    assert_eq!(net.node(2).role(), Role::Follower);
    assert_eq!((net.node(1).term(), net.node(2).term()), (Term(1), Term(2)));
    net.heal();

    // Term 3: node 2 wins with node 1's vote and logs 2..=3 alone.
    net.node_mut(2).campaign();
    net.process_ready(2);
    net.drop_where(to(3));
    net.deliver_all();
    net.process_ready(1);
    net.deliver_all();
    assert_eq!(net.node(2).role(), Role::Leader);
    assert_eq!(net.node(2).term(), Term(3));
    net.node_mut(2).propose(b"c".to_vec()).unwrap();
    while net.process_ready(2) {}
    net.drop_where(from(2));
    assert_eq!(net.node(2).log().last_id().index, LogIndex(3));
    assert_eq!(net.node(1).log().term(LogIndex(3)), Some(Term(1)));
    let matched_before: Vec<_> = net.node(2).matched_indexes().collect();

    // The delayed term-2 append reaches node 1, at term 3, which answers
    // in its own term; the answer reaches node 2.
    for m in delayed {
        net.deliver(m);
    }
    net.process_ready(1);
    let answers = net.drop_where(|_| true);
    for m in answers.clone() {
        net.deliver(m);
    }

    // Node 2 still leads term 3 and counts no match from the answer:
    // entries 2 and 3 (term 3) are held by node 2 alone.
    assert_eq!(net.node(2).role(), Role::Leader);
    assert_eq!(net.node(2).term(), Term(3));
    assert_eq!(
        net.node(2).matched_indexes().collect::<Vec<_>>(),
        matched_before,
        "node 2 counted {answers:?} as a match"
    );
    while net.process_ready(2) {}
    assert_eq!(
        net.node(2).log().committed(),
        LogIndex(1),
        "node 2 committed on the strength of {answers:?}"
    );
    // The answer was a StaleTerm, which says nothing but the term.
    assert_eq!(
        answers,
        [Message {
            from: id(1),
            to: id(2),
            term: Term(3),
            body: MessageBody::StaleTerm,
        }]
    );
    assert_committed_entries_agree(&net, "after the stale answer");

    // Term 4: node 3 wins with node 1's vote while node 2 is cut off (in
    // term 3 node 1 voted for node 2 already), and commits its own entry at
    // index 2 (safe: nobody committed 2:t3).
    net.isolate(2);
    net.node_mut(3).campaign();
    net.stabilize();
    assert_eq!(net.node(3).role(), Role::Candidate);
    assert_eq!(net.node(3).term(), Term(3));
    net.elect(3);
    assert_eq!(net.node(3).term(), Term(4));
    let index = net.propose(3, b"d");
    assert_eq!(net.node(3).log().committed(), index);
    assert_eq!(net.node(3).log().term(LogIndex(2)), Some(Term(4)));
    assert_committed_entries_agree(&net, "after term 4 commits");

    // Everyone hears from everyone: node 2 steps down and takes node 3's log.
    net.heal();
    net.tick(3, 1);
    net.stabilize();
    assert_eq!(net.leaders(), [3]);
    for n in 1..=3 {
        assert_eq!(net.node(n).log().committed(), index, "node {n}");
        assert!(
            net.nodes[&id(n)].step_errors.is_empty(),
            "node {n} refused a message: {:?}",
            net.nodes[&id(n)].step_errors
        );
    }
    assert_committed_entries_agree(&net, "at the end");
}

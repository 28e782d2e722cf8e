//! Bad input, and a few odds and ends of the election code.

use super::common::*;
use super::helpers::*;
use raft_core::{Error, NodeId, RawNode, Role, Term};

// ---- bad input ----------------------------------------------------------

/// A message for another node is refused and changes nothing.
#[test]
fn step_rejects_a_message_for_another_node() {
    let mut n = node(1, 3, plain);
    let result = n.step(msg(2, 3, 5, heartbeat()));
    assert_eq!(
        result,
        Err(Error::WrongRecipient {
            to: id(3),
            me: id(1)
        })
    );
    assert_eq!(n.term(), Term(0));
    assert_eq!(n.leader(), None);
    assert!(!n.has_ready());
}

/// A message from node 0 ("nobody") or from the node itself is refused and
/// changes nothing, even with a higher term.
#[test]
fn step_rejects_invalid_senders() {
    for from in [0, 1] {
        let mut n = node(1, 3, plain);
        let result = n.step(msg(from, 1, 5, vote_req(9, 4)));
        assert_eq!(result, Err(Error::InvalidSender(NodeId(from))));
        assert_eq!((n.term(), n.vote()), (Term(0), None));
        assert!(!n.has_ready());
    }
}

/// §5.2: a majority "of the servers in the full cluster": grants from nodes
/// outside the voter set do not count, in an election or a pre-election.
#[test]
fn vote_from_unknown_node_does_not_count() {
    let mut n = node(1, 3, plain);
    n.campaign();
    let _ = n.step(msg(9, 1, 1, vote_resp(true)));
    let _ = n.step(msg(10, 1, 1, vote_resp(true)));
    assert_eq!(n.role(), Role::Candidate);
    step_ok(&mut n, msg(2, 1, 1, vote_resp(true)));
    assert_eq!(n.role(), Role::Leader, "control: a voter's grant wins");

    let mut n = node(1, 3, with_pre_vote);
    n.campaign();
    let _ = n.step(msg(9, 1, 1, pre_vote_resp(true)));
    assert_eq!(n.role(), Role::PreCandidate);
    assert_eq!(n.term(), Term(0));
}

/// Thesis §9.6 with Figure 2's one vote per term: a PreVote request for a
/// term in which this node has already voted for someone else is refused
/// (only a request for a later term may be granted without a free vote).
#[test]
fn pre_vote_for_a_term_already_voted_in_is_refused() {
    let mut n = node(2, 3, with_pre_vote);
    // Vote for node 1 in term 1.
    step_ok(&mut n, msg(1, 2, 1, vote_req(0, 0)));
    assert_eq!(n.vote(), Some(id(1)));
    drain(&mut n);
    // Node 3, still in term 0, asks whether it could win term 1.
    step_ok(&mut n, msg(3, 2, 1, pre_vote_req(0, 0)));
    let out = drain(&mut n);
    let answers: Vec<_> = out.all().into_iter().filter(|m| m.to == id(3)).collect();
    assert_eq!(answers.len(), 1, "{answers:?}");
    assert_eq!(
        answers[0].body,
        pre_vote_resp(false),
        "the vote of term 1 is taken"
    );
    // A request for term 2 may be granted: that term's vote is free.
    step_ok(&mut n, msg(3, 2, 2, pre_vote_req(0, 0)));
    let out = drain(&mut n);
    assert!(
        out.all()
            .iter()
            .any(|m| m.to == id(3) && m.body == pre_vote_resp(true)),
        "{out:?}"
    );
}

/// §5.2: a leader sends a heartbeat every `heartbeat_ticks`, also on the tick
/// where a CheckQuorum round ends (and it stays leader).
#[test]
fn leader_heartbeats_on_every_heartbeat_tick_through_check_quorum_rounds() {
    let mut net = Network::with_config(3, |c| {
        c.check_quorum = true;
        c.heartbeat_ticks = 1;
    });
    net.elect(1);
    for tick in 1..=3 * ET {
        net.in_flight.clear();
        net.tick(1, 1);
        net.process_ready(1);
        let heartbeats = net
            .in_flight
            .iter()
            .filter(|m| m.body.kind_name() == "heartbeat")
            .count();
        assert_eq!(heartbeats, 2, "tick {tick}: one heartbeat per follower");
        // Followers answer, so the leader keeps its quorum.
        net.stabilize();
        assert_eq!(net.node(1).role(), Role::Leader, "tick {tick}");
    }
}

/// The protocol fingerprint leaves the clock out: ticking a follower (which
/// moves only its timer) keeps it, while a vote changes it.
#[test]
fn protocol_state_hash_ignores_the_clock_but_not_the_protocol() {
    use std::hash::{DefaultHasher, Hasher};
    let digest = |n: &RawNode| {
        let mut h = DefaultHasher::new();
        n.hash_protocol_state(&mut h);
        h.finish()
    };
    let mut n = node(2, 3, plain);
    let before = digest(&n);
    n.tick();
    n.tick();
    assert_eq!(digest(&n), before, "ticks are not protocol state");
    step_ok(&mut n, msg(1, 2, 1, vote_req(0, 0)));
    assert_ne!(digest(&n), before, "a vote is");
}

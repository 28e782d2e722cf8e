//! Thesis §9.6: PreVote.

use super::common::*;
use super::helpers::*;
use raft_core::{Message, Role, Term};

// ---- thesis §9.6: PreVote --------------------------------------------------

/// Thesis §9.6: a pre-candidate asks with the term it would campaign in but
/// does not raise its own term, vote, or persist anything; and the voter
/// answering does not raise its term either. Repeated pre-elections keep the
/// term where it was.
#[test]
fn pre_candidate_does_not_raise_its_term() {
    let mut n = node_from(1, 3, with_pre_vote, disk(4, &[(1, 4)]));
    drain(&mut n);
    n.campaign();
    assert_eq!(n.role(), Role::PreCandidate);
    assert_eq!((n.term(), n.vote()), (Term(4), None));
    let ready = n.ready();
    assert_eq!(ready.hard_state, None, "nothing to persist");
    assert!(!ready.must_sync);
    let requests: Vec<Message> = ready
        .messages
        .iter()
        .chain(&ready.messages_after_persist)
        .cloned()
        .collect();
    n.advance(ready);
    assert_eq!(
        requests,
        vec![
            msg(1, 2, 5, pre_vote_req(1, 4)),
            msg(1, 3, 5, pre_vote_req(1, 4))
        ]
    );

    // The voter grants with the requested term, keeping its own.
    let mut voter = node_from(2, 3, with_pre_vote, disk(4, &[(1, 4)]));
    step_ok(&mut voter, requests[0].clone());
    assert_eq!((voter.term(), voter.vote()), (Term(4), None));
    assert_eq!(
        drain(&mut voter).all(),
        vec![&msg(2, 1, 5, pre_vote_resp(true))]
    );

    // Unanswered pre-elections repeat without raising the term.
    for _ in 0..5 {
        let t = ticks_to_campaign(&n);
        n.tick_n(t);
        drain(&mut n);
        assert_eq!(n.role(), Role::PreCandidate);
        assert_eq!((n.term(), n.vote()), (Term(4), None));
    }
}

/// Thesis §9.6: "a candidate would first ask other servers whether its log
/// was up-to-date enough to get their vote. Only if the candidate believed
/// it could get votes from a majority ... would it increment its term and
/// start a normal election."
#[test]
fn pre_vote_needs_a_majority_before_the_real_election() {
    let mut n = node(1, 5, with_pre_vote);
    n.campaign();
    drain(&mut n);
    step_ok(&mut n, msg(2, 1, 1, pre_vote_resp(true)));
    step_ok(&mut n, msg(2, 1, 1, pre_vote_resp(true)));
    assert_eq!(
        n.role(),
        Role::PreCandidate,
        "2 of 5, a duplicate counts once"
    );
    assert_eq!(n.term(), Term(0));
    assert!(drain(&mut n).all().iter().all(|m| !is_vote_request(m)));
    step_ok(&mut n, msg(3, 1, 1, pre_vote_resp(true)));
    assert_eq!(n.role(), Role::Candidate);
    assert_eq!((n.term(), n.vote()), (Term(1), Some(id(1))));
    let out = drain(&mut n);
    let mut to: Vec<u64> = out
        .all()
        .iter()
        .filter(|m| m.body == vote_req(0, 0) && m.term == Term(1))
        .map(|m| m.to.0)
        .collect();
    to.sort_unstable();
    assert_eq!(to, vec![2, 3, 4, 5]);

    // A majority of refusals ends the pre-election: follower, same term.
    let mut n = node(1, 3, with_pre_vote);
    n.campaign();
    step_ok(&mut n, msg(2, 1, 0, pre_vote_resp(false)));
    assert_eq!(n.role(), Role::PreCandidate);
    step_ok(&mut n, msg(3, 1, 0, pre_vote_resp(false)));
    assert_eq!(n.role(), Role::Follower);
    assert_eq!((n.term(), n.vote()), (Term(0), None));
}

/// Thesis §9.6: a server that was partitioned away does not disrupt the
/// leader when it returns: its pre-election fails (its log is behind, or —
/// with CheckQuorum — the others still hear from the leader), so the
/// majority's term never moves.
#[test]
fn partitioned_pre_vote_node_does_not_disrupt_the_leader() {
    for (check_quorum, behind) in [(false, true), (true, false), (true, true)] {
        let case = format!("check_quorum {check_quorum}, log behind {behind}");
        let mut net = Network::with_config(3, |c| {
            c.pre_vote = true;
            c.check_quorum = check_quorum;
        });
        net.elect(1);
        let term = net.node(1).term();
        net.isolate(3);
        if behind {
            net.propose(1, b"while 3 was away");
        }
        for _ in 0..10 * ET {
            for n in 1..=3 {
                net.tick(n, 1);
            }
            net.stabilize();
        }
        assert_eq!(net.node(3).role(), Role::PreCandidate, "{case}");
        assert_eq!(net.node(3).term(), term, "{case}: no term inflation");
        net.heal();
        net.in_flight.clear();
        // Node 3's pre-election reaches the others before any heartbeat.
        net.node_mut(3).campaign();
        net.process_ready(3);
        assert_eq!(net.in_flight.len(), 2, "{case}");
        net.deliver_all();
        for n in [1, 2] {
            assert_eq!(net.node(n).term(), term, "{case}: node {n} kept its term");
        }
        assert_eq!(net.node(1).role(), Role::Leader, "{case}");
        net.stabilize();
        assert_eq!(net.node(3).term(), term, "{case}: node 3 did not campaign");
        if behind && !check_quorum {
            // Refused by both (stale log): the pre-election is lost. With
            // CheckQuorum the requests are ignored instead (lease).
            assert_eq!(net.node(3).role(), Role::Follower, "{case}");
        }
        for _ in 0..5 * ET {
            for n in 1..=3 {
                net.tick(n, 1);
            }
            net.stabilize();
        }
        assert_eq!(net.leaders(), vec![1], "{case}");
        for n in 1..=3 {
            assert_eq!(net.node(n).term(), term, "{case}: node {n}");
            assert_eq!(net.node(n).leader(), Some(id(1)), "{case}: node {n}");
        }
        assert_eq!(
            net.node(3).log().committed(),
            net.node(1).log().committed(),
            "{case}: node 3 caught up"
        );
    }
}

/// Thesis §9.6: a PreVote grant counts only for the pre-election it answers.
/// A grant delayed from an earlier round (it echoes an older term) must not
/// complete a later pre-election.
#[test]
fn late_pre_vote_grant_from_an_earlier_round_does_not_count() {
    let mut n = node(1, 3, with_pre_vote);
    n.campaign();
    drain(&mut n);
    // Round 1 (asks for term 1): node 3's grant arrives, node 2's is delayed.
    let late = msg(2, 1, 1, pre_vote_resp(true));
    step_ok(&mut n, msg(3, 1, 1, pre_vote_resp(true)));
    assert_eq!((n.role(), n.term()), (Role::Candidate, Term(1)));
    drain(&mut n); // the election of term 1 gets no answers
    let t = ticks_to_campaign(&n);
    n.tick_n(t);
    drain(&mut n);
    // Round 2 asks for term 2.
    assert_eq!((n.role(), n.term()), (Role::PreCandidate, Term(1)));
    step_ok(&mut n, late);
    assert_eq!(
        n.role(),
        Role::PreCandidate,
        "a grant for term 1 completed the pre-election for term 2"
    );
    assert_eq!(n.term(), Term(1));
    // Control: node 2's grant for this round does count.
    step_ok(&mut n, msg(2, 1, 2, pre_vote_resp(true)));
    assert_eq!((n.role(), n.term()), (Role::Candidate, Term(2)));
}

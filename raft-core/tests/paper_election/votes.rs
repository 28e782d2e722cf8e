//! Raft §5.2 and §5.4: RequestVote, winning and losing elections, the new
//! leader's no-op (§5.4.2, §8) and non-voters (thesis §4.2.1).

use super::common::*;
use super::helpers::*;
use raft_core::{
    Config, EntryKind, HardState, LogIndex, MessageBody, RawNode, Restored, Role, Term,
};

// ---- §5.2: RequestVote ----------------------------------------------------

/// Figure 2 ("Persistent state ... updated on stable storage before
/// responding to RPCs"): the candidate's own vote and new term must be
/// durable before its RequestVotes leave, so they are handed out in
/// `messages_after_persist`, never in `messages`.
#[test]
fn vote_requests_wait_for_the_vote_to_be_durable() {
    for via_tick in [false, true] {
        let mut n = node(1, 3, plain);
        if via_tick {
            let t = ticks_to_campaign(&n);
            n.tick_n(t);
        } else {
            n.campaign();
        }
        let ready = n.ready();
        assert!(ready.messages.is_empty(), "{:?}", ready.messages);
        assert_eq!(ready.messages_after_persist.len(), 2);
        assert!(ready.messages_after_persist.iter().all(is_vote_request));
        assert_eq!(
            ready.hard_state,
            Some(HardState {
                term: Term(1),
                vote: Some(id(1)),
                commit: LogIndex(0)
            })
        );
        assert!(ready.must_sync, "the vote must be fsynced first");
        n.advance(ready);
    }
}

/// Figure 2 again, on the voter's side: the grant waits for the vote to be
/// durable.
#[test]
fn vote_response_waits_for_the_vote_to_be_durable() {
    let mut n = node(2, 3, plain);
    drain(&mut n);
    step_ok(&mut n, msg(1, 2, 1, vote_req(0, 0)));
    let ready = n.ready();
    assert!(ready.messages.is_empty(), "{:?}", ready.messages);
    assert_eq!(
        ready.messages_after_persist,
        vec![msg(2, 1, 1, vote_resp(true))]
    );
    assert_eq!(ready.hard_state.as_ref().map(|h| h.vote), Some(Some(id(1))));
    assert!(ready.must_sync);
    n.advance(ready);
}

/// §5.2: "Each server will vote for at most one candidate in a given term,
/// on a first-come-first-served basis" — a second candidate of the same term
/// is refused, also after a restart (the vote is persistent state).
#[test]
fn voter_grants_at_most_one_vote_per_term() {
    let mut n = node(2, 3, plain);
    step_ok(&mut n, msg(1, 2, 1, vote_req(0, 0)));
    step_ok(&mut n, msg(3, 2, 1, vote_req(0, 0)));
    assert_eq!(n.vote(), Some(id(1)));
    let out = drain(&mut n);
    assert_eq!(
        out.all(),
        vec![
            &msg(2, 1, 1, vote_resp(true)),
            &msg(2, 3, 1, vote_resp(false))
        ]
    );

    // The same across a restart: the vote comes back from disk.
    let mut net = Network::new(3);
    net.deliver(msg(1, 2, 1, vote_req(0, 0)));
    net.process_ready(2);
    net.in_flight.clear();
    net.restart(2);
    net.deliver(msg(3, 2, 1, vote_req(0, 0)));
    net.process_ready(2);
    assert_eq!(net.in_flight, vec![msg(2, 3, 1, vote_resp(false))]);
    assert_eq!(net.node(2).vote(), Some(id(1)));
}

/// §5.2 (RequestVote receiver, "votedFor is null or candidateId"): a
/// duplicated request from the candidate already voted for is granted again
/// (its first answer may have been lost).
#[test]
fn voter_regrants_a_duplicate_request() {
    let mut n = node(2, 3, plain);
    step_ok(&mut n, msg(1, 2, 1, vote_req(0, 0)));
    drain(&mut n);
    step_ok(&mut n, msg(1, 2, 1, vote_req(0, 0)));
    assert_eq!(n.vote(), Some(id(1)));
    assert_eq!(drain(&mut n).all(), vec![&msg(2, 1, 1, vote_resp(true))]);
}

/// Figure 2 (Rules for Followers): the election timer restarts on "granting
/// vote to candidate" — so a voter does not start a rival election right
/// after voting — but not on refusing one.
#[test]
fn granting_a_vote_resets_the_election_timer_refusing_does_not() {
    // Term 1, no vote, no leader (learned from a response of term 1).
    let mut n = node(2, 3, plain);
    step_ok(
        &mut n,
        msg(3, 2, 1, MessageBody::HeartbeatResponse { read_round: 0 }),
    );
    assert_eq!((n.term(), n.vote(), n.leader()), (Term(1), None, None));
    drain(&mut n);
    let timeout = ticks_to_campaign(&n);
    n.tick_n(timeout - 1);
    assert_eq!(ticks_to_campaign(&n), 1, "about to time out");
    step_ok(&mut n, msg(1, 2, 1, vote_req(0, 0)));
    assert_eq!(n.vote(), Some(id(1)));
    let after_grant = ticks_to_campaign(&n);
    assert!(
        after_grant >= ET,
        "granting must restart the timer: campaigns {after_grant} ticks later"
    );

    // Refusing (same term, already voted) leaves the timer alone.
    drain(&mut n);
    n.tick_n(after_grant - 1);
    step_ok(&mut n, msg(3, 2, 1, vote_req(0, 0)));
    assert_eq!(drain(&mut n).all(), vec![&msg(2, 3, 1, vote_resp(false))]);
    assert_eq!(
        ticks_to_campaign(&n),
        1,
        "a refusal does not restart the timer"
    );
}

/// Figure 2 again: a vote request of a newer term moves the voter to that
/// term, but if the voter refuses it (the candidate's log is behind), its
/// election timer runs on: the voter, who could win, campaigns when its
/// own timeout says, however often a stale candidate retries.
#[test]
fn a_refused_vote_request_of_a_newer_term_leaves_the_timer_running() {
    // Node 2 holds (1, t1) in term 1 and has heard from no leader.
    let restored = Restored {
        hard_state: HardState {
            term: Term(1),
            vote: None,
            commit: LogIndex(0),
        },
        entries: vec![entry(1, 1)],
        ..Restored::default()
    };
    let mut n = RawNode::new(config(2, 3), restored).expect("valid");
    drain(&mut n);
    let timeout = ticks_to_campaign(&n);
    n.tick_n(timeout - 2);
    for term in 2..6 {
        // A candidate with an empty log, again and again.
        step_ok(&mut n, msg(3, 2, term, vote_req(0, 0)));
        assert_eq!(n.term(), Term(term));
        assert_eq!(
            drain(&mut n).all(),
            vec![&msg(2, 3, term, vote_resp(false))]
        );
        assert_eq!(
            ticks_to_campaign(&n),
            2,
            "the refusal in term {term} restarted the timer"
        );
    }
    n.tick_n(2);
    assert_eq!(
        n.role(),
        Role::Candidate,
        "the up-to-date voter campaigns on time"
    );
}

/// §5.4.1: "the voter denies its vote if its own log is more up-to-date than
/// that of the candidate": later last term wins; with equal last terms the
/// longer log wins. Same rule for PreVote (thesis §9.6).
#[test]
fn voter_up_to_date_check() {
    // The voter's log: (1, t1), (2, t2); its term is 2.
    let cases = [
        (eid(1, 1), false, "lower last term, shorter"),
        (eid(5, 1), false, "lower last term, longer"),
        (eid(1, 2), false, "same last term, shorter"),
        (eid(0, 0), false, "empty log"),
        (eid(2, 2), true, "identical"),
        (eid(3, 2), true, "same last term, longer"),
        (eid(1, 3), true, "higher last term, shorter"),
    ];
    for (last_log, granted, why) in cases {
        let mut voter = node_from(2, 3, plain, disk(2, &[(1, 1), (2, 2)]));
        step_ok(
            &mut voter,
            msg(
                1,
                2,
                3,
                MessageBody::VoteRequest {
                    last_log,
                    leader_transfer: false,
                },
            ),
        );
        assert_eq!(voter.term(), Term(3), "{why}");
        assert_eq!(voter.vote(), granted.then_some(id(1)), "{why}");
        assert_eq!(
            drain(&mut voter).all(),
            vec![&msg(2, 1, 3, vote_resp(granted))],
            "{why}"
        );

        let mut pre_voter = node_from(2, 3, with_pre_vote, disk(2, &[(1, 1), (2, 2)]));
        step_ok(
            &mut pre_voter,
            msg(1, 2, 3, MessageBody::PreVoteRequest { last_log }),
        );
        assert_eq!(pre_voter.term(), Term(2), "pre-vote, {why}: term unchanged");
        let answers = drain(&mut pre_voter);
        let answers = answers.all();
        assert_eq!(answers.len(), 1, "pre-vote, {why}");
        assert_eq!(answers[0].body, pre_vote_resp(granted), "pre-vote, {why}");
    }
}

/// §5.2: "A candidate wins an election if it receives votes from a majority
/// of the servers in the full cluster for the same term"; it loses (returns
/// to follower) once a majority refused; otherwise it keeps waiting. A
/// duplicated grant counts once.
#[test]
fn leader_election_in_one_round_rpc() {
    type Votes = &'static [(u64, bool)];
    let cases: [(u64, Votes, Role); 13] = [
        (1, &[], Role::Leader),
        (3, &[(2, true), (3, true)], Role::Leader),
        (3, &[(2, true)], Role::Leader),
        (
            5,
            &[(2, true), (3, true), (4, true), (5, true)],
            Role::Leader,
        ),
        (5, &[(2, true), (3, true)], Role::Leader),
        (5, &[(2, false), (3, true), (4, true)], Role::Leader),
        (3, &[], Role::Candidate),
        (5, &[(2, true)], Role::Candidate),
        (5, &[(2, true), (2, true), (2, true)], Role::Candidate),
        (5, &[(2, false), (3, false)], Role::Candidate),
        (3, &[(2, false), (3, false)], Role::Follower),
        (5, &[(2, false), (3, false), (4, false)], Role::Follower),
        (
            5,
            &[(2, true), (3, false), (4, false), (5, false)],
            Role::Follower,
        ),
    ];
    for (size, votes, expected) in cases {
        let mut n = node(1, size, plain);
        n.campaign();
        for &(from, granted) in votes {
            step_ok(&mut n, msg(from, 1, 1, vote_resp(granted)));
        }
        assert_eq!(n.role(), expected, "{size} voters, votes {votes:?}");
        assert_eq!(n.term(), Term(1), "{size} voters, votes {votes:?}");
        assert_eq!(n.vote(), Some(id(1)), "a loser keeps its vote for itself");
    }
}

/// §5.2: "if many followers become candidates at the same time, votes could
/// be split so that no candidate obtains a majority. When this happens,
/// each candidate will time out and start a new election by incrementing
/// its term."
#[test]
fn candidate_split_vote_then_new_election() {
    let mut net = Network::new(4);
    net.node_mut(1).campaign();
    net.node_mut(2).campaign();
    net.process_all();
    // 3 votes for 1, 4 votes for 2; everything else is refused.
    net.deliver_first(|m| m.from == id(1) && m.to == id(3));
    net.deliver_first(|m| m.from == id(2) && m.to == id(4));
    net.stabilize();
    for n in [1, 2] {
        assert_eq!(net.node(n).role(), Role::Candidate, "node {n}: split vote");
        assert_eq!(net.node(n).term(), Term(1));
    }
    assert_eq!(net.node(3).vote(), Some(id(1)));
    assert_eq!(net.node(4).vote(), Some(id(2)));

    let timeout = ticks_to_campaign(net.node(1));
    net.tick(1, timeout);
    assert_eq!(net.node(1).term(), Term(2), "a new election, a new term");
    assert_eq!(net.node(1).role(), Role::Candidate);
    net.stabilize();
    assert_eq!(net.leaders(), vec![1]);
    assert!((1..=4).all(|n| net.node(n).term() == Term(2)));
}

/// §5.2: "If the leader's term ... is at least as large as the candidate's
/// current term, then the candidate recognizes the leader as legitimate and
/// returns to follower state." Also for a pre-candidate (thesis §9.6).
#[test]
fn candidate_fallback_on_append_from_leader_of_its_term() {
    for pre in [false, true] {
        for body in [empty_append(), heartbeat()] {
            let kind = body.kind_name();
            let adjust = move |c: &mut Config| c.pre_vote = pre;
            let mut n = node_from(1, 3, adjust, disk(1, &[]));
            n.campaign();
            drain(&mut n);
            let role = if pre {
                Role::PreCandidate
            } else {
                Role::Candidate
            };
            assert_eq!(n.role(), role);
            let term = n.term().0;
            step_ok(&mut n, msg(2, 1, term, body));
            assert_eq!(n.role(), Role::Follower, "{role:?} given {kind}");
            assert_eq!(n.term(), Term(term), "{role:?} given {kind}");
            assert_eq!(n.leader(), Some(id(2)), "{role:?} given {kind}");
            let out = drain(&mut n);
            assert!(
                out.all().iter().any(|m| m.to == id(2)),
                "{role:?} given {kind}: the leader is answered"
            );
        }
    }
}

// ---- §5.4.2 / §8: the new leader's no-op ----------------------------------

/// §8: "each leader commit[s] a blank no-op entry into the log at the start
/// of its term", and sends it at once.
#[test]
fn leader_appends_noop_of_its_term_on_election() {
    let mut n = node_from(1, 3, plain, disk(2, &[(1, 1), (2, 2)]));
    n.campaign();
    step_ok(&mut n, msg(2, 1, 3, vote_resp(true)));
    assert_eq!(n.role(), Role::Leader);
    let last = n.log().entry(LogIndex(3)).expect("a new entry").clone();
    assert_eq!(n.log().last_index(), LogIndex(3));
    assert_eq!((last.term, last.kind), (Term(3), EntryKind::Noop));
    assert!(last.data.is_empty());
    let ready = n.ready();
    assert_eq!(
        ready.entries,
        vec![last.clone()],
        "the no-op is to be persisted"
    );
    let mut to = Vec::new();
    for m in &ready.messages {
        if let MessageBody::AppendEntries { entries, .. } = &m.body {
            assert!(entries.contains(&last), "{m:?}");
            to.push(m.to.0);
        }
    }
    to.sort_unstable();
    assert_eq!(to, vec![2, 3], "the no-op is sent to every follower");
    n.advance(ready);
}

/// §5.4.2: a leader commits entries of earlier terms only by committing one
/// of its own — which the no-op provides without waiting for a client.
#[test]
fn new_leader_commits_earlier_terms_through_its_noop() {
    let mut net = Network::new(3);
    net.elect(1);
    let x = net.node_mut(1).propose(b"x".to_vec()).expect("leader");
    net.process_ready(1);
    // Only node 2 gets x; every acknowledgement is lost.
    net.deliver_first(|m| m.to == id(2) && m.body.kind_name() == "append");
    net.in_flight.clear();
    net.process_all();
    net.in_flight.clear();
    assert_eq!(
        net.node(1).log().committed(),
        LogIndex(1),
        "x is not committed"
    );
    assert_eq!(net.node(2).log().last_id(), eid(x.0, 1));

    net.elect(2);
    assert_eq!(net.node(2).term(), Term(2));
    let noop = net
        .node(2)
        .log()
        .entry(x.next())
        .expect("the no-op")
        .clone();
    assert_eq!((noop.term, noop.kind), (Term(2), EntryKind::Noop));
    for n in 1..=3 {
        assert_eq!(net.node(n).log().committed(), x.next(), "node {n}");
        let applied: Vec<_> = net.applied(n).iter().map(|e| e.data.clone()).collect();
        assert_eq!(applied, vec![b"x".to_vec()], "node {n}");
    }
}

// ---- thesis §4.2.1: non-voters ----------------------------------------------

/// Thesis §4.2.1: only voters may become leader; a node outside the voter
/// set never campaigns, by timeout or on request.
#[test]
fn non_voter_never_campaigns() {
    for pre in [false, true] {
        let mut c = config(4, 3);
        c.pre_vote = pre;
        assert!(!c.voters.contains(&id(4)));
        let mut n = RawNode::new(c, Restored::default()).expect("valid");
        for _ in 0..20 * ET {
            n.tick();
            assert!(!n.has_ready(), "pre_vote {pre}: a non-voter sent something");
        }
        n.campaign();
        assert_eq!(n.role(), Role::Follower);
        assert_eq!(n.term(), Term(0));
        assert!(!n.has_ready());
    }
}

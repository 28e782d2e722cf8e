//! Thesis §6.2: CheckQuorum and the leader lease.

use super::common::*;
use super::helpers::*;
use raft_core::{MessageBody, Role, Term};

// ---- thesis §6.2: CheckQuorum and the lease ----------------------------------

/// Thesis §6.2: "a leader steps down if an election timeout elapses without
/// a successful round of heartbeats to a majority of its cluster". Without
/// CheckQuorum an isolated leader never notices.
#[test]
fn check_quorum_isolated_leader_steps_down() {
    let mut net = Network::with_config(3, |c| c.check_quorum = true);
    net.elect(1);
    let term = net.node(1).term();
    net.isolate(1);
    let mut stepped_down_at = None;
    for t in 1..=3 * ET {
        net.tick(1, 1);
        net.stabilize();
        if net.node(1).role() != Role::Leader {
            stepped_down_at = Some(t);
            break;
        }
    }
    let t = stepped_down_at.expect("the isolated leader stepped down");
    assert!(
        (ET..=2 * ET).contains(&t),
        "stepped down after {t} ticks: not within one to two election timeouts"
    );
    assert_eq!(net.node(1).role(), Role::Follower);
    assert_eq!(
        net.node(1).term(),
        term,
        "stepping down does not raise the term"
    );
    assert_eq!(net.node(1).leader(), None);

    // Control: the same without CheckQuorum.
    let mut net = Network::new(3);
    net.elect(1);
    net.isolate(1);
    for _ in 0..5 * ET {
        net.tick(1, 1);
        net.stabilize();
    }
    assert_eq!(net.node(1).role(), Role::Leader);
}

/// Thesis §6.2: a leader that keeps hearing from a majority (itself and one
/// of two followers) stays leader however long the third is gone.
#[test]
fn check_quorum_leader_hearing_from_a_majority_stays() {
    let mut net = Network::with_config(3, |c| c.check_quorum = true);
    net.elect(1);
    let term = net.node(1).term();
    net.isolate(3);
    for t in 0..10 * ET {
        net.tick(1, 1);
        net.tick(2, 1);
        net.stabilize();
        assert_eq!(net.node(1).role(), Role::Leader, "tick {t}");
    }
    assert_eq!(net.node(1).term(), term);
    assert_eq!(net.node(2).leader(), Some(id(1)));
    assert_eq!(net.node(2).term(), term);
}

/// Thesis §6.2/§9.6 (etcd's `inLease`): with CheckQuorum, a node that heard
/// from a leader within the minimum election timeout ignores a (pre)vote
/// request of a higher term — no term change, no answer — and the leader
/// does too; once the timeout has passed without news, it grants.
fn check_lease(pre_vote: bool) {
    let mut net = Network::with_config(3, |c| {
        c.check_quorum = true;
        c.pre_vote = pre_vote;
    });
    net.elect(1);
    net.in_flight.clear();
    let term = net.node(1).term().0;
    assert!(
        ticks_to_campaign(net.node(2)) > ET,
        "precondition: node 2 must not campaign within {ET} ticks (pick other seeds)"
    );
    let last_log = net.node(3).log().last_id();
    let request = |to: u64| {
        let body = if pre_vote {
            MessageBody::PreVoteRequest { last_log }
        } else {
            MessageBody::VoteRequest {
                last_log,
                leader_transfer: false,
            }
        };
        msg(3, to, term + 1, body)
    };

    net.tick(2, ET - 1);
    net.deliver(request(2));
    net.deliver(request(1));
    assert_eq!(net.node(2).term(), Term(term), "in lease: term unchanged");
    assert_eq!(net.node(2).vote(), Some(id(1)));
    assert_eq!(net.node(2).leader(), Some(id(1)));
    assert!(!net.node(2).has_ready(), "in lease: no answer");
    assert_eq!(
        net.node(1).role(),
        Role::Leader,
        "the leader ignores it too"
    );
    assert_eq!(net.node(1).term(), Term(term));
    assert!(!net.node(1).has_ready());

    net.tick(2, 1);
    assert_eq!(net.node(2).role(), Role::Follower, "precondition");
    net.deliver(request(2));
    let out = drain(net.node_mut(2));
    if pre_vote {
        assert_eq!(
            net.node(2).term(),
            Term(term),
            "a pre-vote never raises the term"
        );
        assert_eq!(out.all(), vec![&msg(2, 3, term + 1, pre_vote_resp(true))]);
    } else {
        assert_eq!(net.node(2).term(), Term(term + 1));
        assert_eq!(net.node(2).vote(), Some(id(3)));
        assert_eq!(out.all(), vec![&msg(2, 3, term + 1, vote_resp(true))]);
    }
}

/// Thesis §6.2/§9.6: the lease against a RequestVote of a higher term.
#[test]
fn lease_follower_ignores_vote_request_until_election_timeout() {
    check_lease(false);
}

/// Thesis §6.2/§9.6: the lease against a PreVote request of a higher term.
#[test]
fn lease_follower_ignores_pre_vote_request_until_election_timeout() {
    check_lease(true);
}

/// §5.1: without CheckQuorum there is no lease: a higher-term request is
/// obeyed at once even right after a heartbeat.
#[test]
fn no_lease_without_check_quorum() {
    let mut net = Network::new(3);
    net.elect(1);
    let last_log = net.node(3).log().last_id();
    net.deliver(msg(
        3,
        2,
        2,
        MessageBody::VoteRequest {
            last_log,
            leader_transfer: false,
        },
    ));
    assert_eq!(net.node(2).term(), Term(2));
    assert_eq!(net.node(2).vote(), Some(id(3)));
}

/// Thesis §6.2 with the stale-leader answer (etcd's
/// TestFreeStuckCandidateWithCheckQuorum): a node partitioned away with
/// PreVote off inflates its term; when it returns, followers in lease
/// ignore its requests, but the cluster must not get stuck: someone ends up
/// leader at a term at least as high, and commits again. Since its log is
/// behind, the returning node cannot be that leader (§5.4.1).
#[test]
fn check_quorum_cluster_recovers_from_returning_high_term_node() {
    let mut net = Network::with_config(3, |c| c.check_quorum = true);
    net.elect(1);
    net.isolate(3);
    net.propose(1, b"during");
    for _ in 0..5 * ET {
        for n in 1..=3 {
            net.tick(n, 1);
        }
        net.stabilize();
    }
    assert_eq!(net.leaders(), vec![1]);
    let high = net.node(3).term();
    assert!(high > net.node(1).term(), "node 3 inflated its term");
    net.heal();

    let mut recovered = None;
    for _ in 0..30 * ET {
        for n in 1..=3 {
            net.tick(n, 1);
        }
        net.stabilize();
        if let [l] = net.leaders()[..] {
            let t = net.node(l).term();
            let agreed =
                (1..=3).all(|n| net.node(n).term() == t && net.node(n).leader() == Some(id(l)));
            if t >= high && agreed {
                recovered = Some(l);
                break;
            }
        }
    }
    let leader = recovered.expect("the cluster elects a leader at the higher term");
    assert_ne!(leader, 3, "a node missing a committed entry cannot lead");
    let index = net.propose(leader, b"after");
    for n in 1..=3 {
        assert_eq!(net.node(n).log().committed(), index, "node {n}");
        let applied: Vec<_> = net.applied(n).iter().map(|e| e.data.clone()).collect();
        assert_eq!(
            applied,
            vec![b"during".to_vec(), b"after".to_vec()],
            "node {n}"
        );
    }
}

/// Thesis §6.2, the timer fired directly (`check_quorum_timeout`, as the
/// model checker and scenario files do): a leader that heard from a
/// follower since the last round stays; a second round with no news in
/// between steps it down, without raising the term.
#[test]
fn check_quorum_timeout_keeps_a_heard_leader_and_deposes_an_unheard_one() {
    let mut net = Network::with_config(3, |c| c.check_quorum = true);
    net.elect(1);
    let term = net.node(1).term();
    net.node_mut(1).check_quorum_timeout();
    assert_eq!(
        net.node(1).role(),
        Role::Leader,
        "heard from both since election"
    );
    net.node_mut(1).check_quorum_timeout();
    assert_eq!(
        net.node(1).role(),
        Role::Follower,
        "nothing heard since the last round"
    );
    assert_eq!(net.node(1).term(), term);
    assert_eq!(net.node(1).leader(), None);
}

/// Without CheckQuorum the fired timer does nothing, on a leader or a
/// follower.
#[test]
fn check_quorum_timeout_does_nothing_without_check_quorum() {
    let mut net = Network::new(3);
    net.elect(1);
    for _ in 0..3 {
        net.node_mut(1).check_quorum_timeout();
        net.node_mut(2).check_quorum_timeout();
    }
    assert_eq!(net.node(1).role(), Role::Leader);
    assert!(!net.node(2).in_lease(), "no lease without CheckQuorum");
}

/// Thesis §9.6: the fired timer ends a follower's lease, so it grants a
/// vote of a higher term; the lease comes back with the next news from the
/// leader. Whether the lease holds is part of the protocol hash (it is the
/// one thing the clock decides besides timers firing).
#[test]
fn check_quorum_timeout_ends_a_follower_lease_and_news_renews_it() {
    let mut net = Network::with_config(3, |c| c.check_quorum = true);
    net.elect(1);
    net.in_flight.clear();
    assert!(net.node(2).in_lease());
    let hash = |node: &raft_core::RawNode| {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        node.hash_protocol_state(&mut hasher);
        std::hash::Hasher::finish(&hasher)
    };
    let in_lease = hash(net.node(2));
    net.node_mut(2).check_quorum_timeout();
    assert!(!net.node(2).in_lease());
    assert_ne!(hash(net.node(2)), in_lease, "the lease is state");
    assert_eq!(net.node(2).role(), Role::Follower, "it does not campaign");
    assert_eq!(net.node(2).leader(), Some(id(1)));
    let term = net.node(1).term().0;
    net.node_mut(1).heartbeat_timeout();
    net.stabilize();
    assert!(net.node(2).in_lease(), "a heartbeat renews the lease");
    assert_eq!(hash(net.node(2)), in_lease);
    net.node_mut(2).check_quorum_timeout();
    let last_log = net.node(3).log().last_id();
    net.deliver(msg(
        3,
        2,
        term + 1,
        MessageBody::VoteRequest {
            last_log,
            leader_transfer: false,
        },
    ));
    assert_eq!(net.node(2).term(), Term(term + 1), "out of lease: obeyed");
    assert_eq!(net.node(2).vote(), Some(id(3)));
}

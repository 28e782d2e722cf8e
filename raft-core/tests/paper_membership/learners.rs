//! Learners (thesis §4.2.1): they receive the log but neither vote nor
//! count toward any majority, until promoted.

use raft_core::{MessageBody, Role};

use crate::common::{Network, msg};
use crate::helpers::{AddLearner, AddVoter, change, ids, propose_change};

#[test]
fn a_learner_receives_the_log_but_counts_toward_no_majority() {
    let mut net = Network::with_spares(3, 1, |_| {});
    net.elect(1);
    propose_change(&mut net, 1, &change(&[(AddLearner, 4)]));
    net.stabilize();
    assert_eq!(net.node(4).conf().learners, ids(&[4]));
    assert_eq!(net.node(4).log().last_id(), net.node(1).log().last_id());
    // The leader and the learner alone commit nothing.
    net.isolate(2);
    net.isolate(3);
    let index = net.node_mut(1).propose(b"x".to_vec()).expect("leader");
    net.stabilize();
    assert_eq!(net.node(4).log().last_index(), index, "the learner has it");
    assert!(
        net.node(1).log().committed() < index,
        "a learner's copy counted"
    );
}

#[test]
fn a_learner_never_campaigns() {
    let mut net = Network::with_spares(3, 1, |_| {});
    net.elect(1);
    propose_change(&mut net, 1, &change(&[(AddLearner, 4)]));
    net.stabilize();
    net.isolate(1);
    net.node_mut(4).campaign();
    net.tick(4, 100);
    net.process_all();
    assert_eq!(net.node(4).role(), Role::Follower);
    assert!(
        net.in_flight.iter().all(|m| m.from.0 != 4),
        "a learner asked for votes: {:?}",
        net.in_flight
    );
}

#[test]
fn a_promoted_learner_votes_and_counts() {
    let mut net = Network::with_spares(3, 1, |_| {});
    net.elect(1);
    propose_change(&mut net, 1, &change(&[(AddLearner, 4)]));
    net.stabilize();
    propose_change(&mut net, 1, &change(&[(AddVoter, 4)]));
    assert!(
        !net.node(1).conf().is_joint(),
        "a promotion changes one voter"
    );
    net.stabilize();
    let conf = net.node(4).conf().clone();
    assert_eq!(conf.voters, ids(&[1, 2, 3, 4]));
    assert!(conf.learners.is_empty());
    // It can now be elected.
    net.node_mut(4).campaign();
    net.stabilize();
    assert_eq!(net.node(4).role(), Role::Leader);
}

/// A learner's election timer runs on without campaigning, so its lease
/// on a leader it no longer hears from ends, and it answers vote requests
/// (etcd's `tickElection` resets the timer only for a voter). Were it reset
/// each round, the lease would hold most of the time, and a node that
/// does not know yet it was made a voter would withhold a vote the
/// configuration needs.
#[test]
fn a_learner_that_no_longer_hears_the_leader_answers_vote_requests() {
    let mut net = Network::with_spares(3, 1, |c| {
        c.pre_vote = false;
        c.check_quorum = true;
    });
    net.elect(1);
    propose_change(&mut net, 1, &change(&[(AddLearner, 4)]));
    net.stabilize();
    assert!(net.node(4).in_lease());
    net.isolate(1);
    let election_ticks = net.node(4).config().election_ticks;
    net.tick(4, 3 * election_ticks);
    assert!(!net.node(4).in_lease(), "the learner's lease never ended");
    // A candidate that counts 4 as a voter (its log holds a promotion 4
    // has not received yet) asks for its vote.
    let term = net.node(4).term().0 + 1;
    let last_log = net.node(4).log().last_id();
    let ask = MessageBody::VoteRequest {
        last_log,
        leader_transfer: false,
    };
    net.deliver(msg(2, 4, term, ask));
    net.process_ready(4);
    assert!(
        net.in_flight
            .iter()
            .any(|m| m.from.0 == 4 && m.body.kind_name() == "vote-resp"),
        "the learner ignored the vote request: {:?}",
        net.in_flight
    );
}

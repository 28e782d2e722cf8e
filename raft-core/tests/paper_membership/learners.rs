//! Learners (thesis §4.2.1): they receive the log but neither vote nor
//! count toward any majority, until promoted.

use raft_core::Role;

use crate::common::Network;
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

//! Leader transfer (thesis §3.10): the leader brings the target up to
//! date, stops taking proposals, sends TimeoutNow; the target campaigns at
//! once, past its voters' leases; an unfinished transfer is aborted after
//! an election timeout.

use raft_core::{Error, MessageBody, Role};

use crate::common::{Network, id};
use crate::helpers::{AddLearner, change, propose_change};

/// With PreVote and CheckQuorum on, every follower holds a lease on the
/// leader and would ignore a vote request: the transfer's says the leader
/// asked, and is granted.
#[test]
fn a_transfer_hands_leadership_to_an_up_to_date_voter_despite_leases() {
    let mut net = Network::with_config(3, |c| {
        c.pre_vote = true;
        c.check_quorum = true;
    });
    net.elect(1);
    assert!(net.node(3).in_lease());
    let term = net.node(1).term();
    net.node_mut(1).transfer_leader(id(2)).expect("a voter");
    net.stabilize();
    assert_eq!(net.leaders(), vec![2]);
    assert_eq!(net.node(2).term(), term.next(), "one election, no pre-vote");
    assert_eq!(net.node(1).lead_transferee(), None);
}

#[test]
fn a_lagging_target_is_caught_up_first_and_proposals_wait() {
    let mut net = Network::new(3);
    net.elect(1);
    net.cut(1, 3);
    for k in 0..3u8 {
        net.propose(1, &[k]);
    }
    let last = net.node(1).log().last_id();
    assert!(net.node(3).log().last_index() < last.index);
    net.node_mut(1).transfer_leader(id(3)).expect("a voter");
    let refused = net.node_mut(1).propose(b"late".to_vec());
    assert_eq!(refused, Err(Error::LeaderTransferring { to: id(3) }));
    net.process_all();
    assert!(
        !net.in_flight
            .iter()
            .any(|m| m.body == MessageBody::TimeoutNow),
        "TimeoutNow before the target caught up"
    );
    net.heal();
    net.node_mut(1).heartbeat_timeout();
    net.stabilize();
    assert_eq!(net.leaders(), vec![3]);
    assert!(
        net.node(3).log().contains(last),
        "3 leads with the whole log"
    );
}

#[test]
fn a_transfer_not_done_within_an_election_timeout_is_aborted() {
    let mut net = Network::new(3);
    net.elect(1);
    net.isolate(3);
    net.node_mut(1).transfer_leader(id(3)).expect("a voter");
    assert_eq!(net.node(1).lead_transferee(), Some(id(3)));
    let election_ticks = net.node(1).config().election_ticks;
    net.tick(1, election_ticks);
    assert_eq!(net.node(1).lead_transferee(), None);
    assert_eq!(net.node(1).role(), Role::Leader);
    net.node_mut(1)
        .propose(b"x".to_vec())
        .expect("proposals resume");
}

#[test]
fn a_transfer_to_itself_a_learner_or_a_stranger_is_an_error() {
    let mut net = Network::with_spares(3, 1, |_| {});
    net.elect(1);
    propose_change(&mut net, 1, &change(&[(AddLearner, 4)]));
    net.stabilize();
    let before = net.node(1).clone();
    for to in [1, 4, 9] {
        let result = net.node_mut(1).transfer_leader(id(to));
        assert!(
            matches!(result, Err(Error::InvalidTransfer(_))),
            "to {to}: {result:?}"
        );
        assert_eq!(net.node(1), &before);
    }
    let follower = net.node_mut(2).transfer_leader(id(3));
    assert!(matches!(follower, Err(Error::NotLeader { .. })));
}

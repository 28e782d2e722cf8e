//! Follower reads (thesis §6.4.1): a follower asks its leader for the
//! read index and serves the read once it has applied that far.

use raft_core::{Error, MessageBody, ReadFailure};

use crate::common::{Network, msg};
use crate::helpers::{confirmed_at, failure, outcome};

#[test]
fn a_follower_read_is_confirmed_at_the_leader_commit_index() {
    let mut net = Network::new(3);
    net.elect(1);
    net.propose(1, b"x");
    let commit = net.node(1).log().committed();
    net.node_mut(3).read_index(11).expect("3 follows 1");
    net.stabilize();
    assert_eq!(confirmed_at(&net, 3, 11), Some(commit));
    assert_eq!(outcome(&net, 1, 11), None, "the outcome is the follower's");
    assert_eq!(net.node(1).log().last_index(), commit, "nothing written");
}

#[test]
fn a_node_that_knows_no_leader_refuses_a_read() {
    let mut net = Network::new(3);
    assert_eq!(
        net.node_mut(2).read_index(1),
        Err(Error::NotLeader { leader: None })
    );
}

#[test]
fn a_forwarded_read_fails_when_the_follower_hears_of_a_newer_term() {
    let mut net = Network::new(3);
    net.elect(1);
    net.node_mut(2).read_index(3).expect("2 follows 1");
    net.process_ready(2);
    net.drop_where(|m| matches!(m.body, MessageBody::ReadIndex { .. }));
    let newer = net.node(2).term().0 + 1;
    net.deliver(msg(3, 2, newer, MessageBody::StaleTerm));
    net.process_ready(2);
    assert_eq!(failure(&net, 2, 3), Some(ReadFailure::LeadershipLost));
}

/// A lost request (or answer) must not leave the read hanging.
#[test]
fn a_forwarded_read_whose_request_was_lost_times_out() {
    let mut net = Network::new(3);
    net.elect(1);
    net.node_mut(2).read_index(3).expect("2 follows 1");
    net.process_ready(2);
    net.drop_where(|m| matches!(m.body, MessageBody::ReadIndex { .. }));
    net.node_mut(2).check_quorum_timeout();
    net.process_ready(2);
    assert_eq!(outcome(&net, 2, 3), None, "one timeout is not enough");
    net.node_mut(2).check_quorum_timeout();
    net.process_ready(2);
    assert_eq!(failure(&net, 2, 3), Some(ReadFailure::TimedOut));
}

#[test]
fn a_node_that_no_longer_leads_refuses_a_forwarded_read() {
    let mut net = Network::new(3);
    net.elect(1);
    net.node_mut(2).read_index(4).expect("2 follows 1");
    net.process_ready(2);
    // 1 has stepped down (to a newer term 2 does not know) by the time the
    // request arrives.
    let newer = net.node(1).term().0 + 1;
    net.deliver(msg(3, 1, newer, MessageBody::StaleTerm));
    let request = net
        .drop_where(|m| matches!(m.body, MessageBody::ReadIndex { .. }))
        .pop()
        .expect("the forwarded read");
    let mut request = request;
    request.term = net.node(1).term();
    net.deliver(request);
    net.process_ready(1);
    let answer = net
        .drop_where(|m| matches!(m.body, MessageBody::ReadIndexResponse { .. }))
        .pop()
        .expect("an answer");
    assert_eq!(
        answer.body,
        MessageBody::ReadIndexResponse {
            context: 4,
            index: None
        }
    );
}

/// Only the leader the read was forwarded to answers it: an answer from
/// another node of the term (a forged or misrouted message) is ignored.
#[test]
fn a_read_index_answer_from_a_node_that_does_not_lead_is_ignored() {
    let mut net = Network::new(3);
    net.elect(1);
    net.node_mut(2).read_index(7).expect("2 follows 1");
    net.process_ready(2);
    net.drop_where(|m| matches!(m.body, MessageBody::ReadIndex { .. }));
    let term = net.node(2).term().0;
    let body = MessageBody::ReadIndexResponse {
        context: 7,
        index: Some(raft_core::LogIndex(1)),
    };
    net.deliver(msg(3, 2, term, body));
    net.process_ready(2);
    assert_eq!(outcome(&net, 2, 7), None, "still waiting for node 1");
}

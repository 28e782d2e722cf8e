mod common;
use common::*;
use raft_core::{LogIndex, Role};

#[test]
fn three_nodes_elect_and_replicate() {
    let mut net = Network::new(3);
    net.elect(1);
    let index = net.propose(1, b"x");
    for n in 1..=3 {
        assert_eq!(net.node(n).log().committed(), index, "node {n}");
        assert_eq!(net.applied(n).len(), 1, "node {n}");
    }
    assert_eq!(net.node(2).role(), Role::Follower);
    assert_eq!(net.node(2).leader(), Some(id(1)));
    assert_eq!(index, LogIndex(2), "the no-op took index 1");
}

//! Removing servers: a removed leader manages the cluster until C_new
//! commits, then steps down (thesis §4.2.2); a removed server that never
//! learns of its removal cannot disrupt the cluster (§4.2.3).

use raft_core::Role;

use crate::common::Network;
use crate::helpers::{AddVoter, Remove, change, ids, propose_change};

#[test]
fn a_removed_leader_leads_until_the_new_configuration_commits() {
    let mut net = Network::new(3);
    net.elect(1);
    let at = propose_change(&mut net, 1, &change(&[(Remove, 1)]));
    assert_eq!(net.node(1).conf().voters, ids(&[2, 3]));
    assert_eq!(net.node(1).role(), Role::Leader, "still leading");
    // C_new = {2, 3}: the leader's own copy does not count; 2 alone is not
    // a majority of it.
    net.cut(1, 3);
    net.stabilize();
    assert!(net.node(1).log().committed() < at);
    assert_eq!(net.node(1).role(), Role::Leader);
    net.heal();
    net.node_mut(1).heartbeat_timeout();
    net.stabilize();
    assert!(net.node(2).log().committed() >= at);
    assert_eq!(net.node(1).role(), Role::Follower, "stepped down");
    // The remaining voters elect one of themselves; 1 never campaigns.
    net.node_mut(1).campaign();
    net.node_mut(2).campaign();
    net.stabilize();
    assert_eq!(net.leaders(), vec![2]);
}

#[test]
fn a_leader_removed_in_a_joint_change_steps_down_only_when_c_new_commits() {
    let mut net = Network::with_spares(3, 1, |_| {});
    net.elect(1);
    let joint_at = propose_change(&mut net, 1, &change(&[(AddVoter, 4), (Remove, 1)]));
    assert!(net.node(1).conf().is_joint());
    // Let C_old,new commit, and hold C_new back from everyone.
    for _ in 0..20 {
        net.process_all();
        net.deliver_all();
        if net.node(1).log().committed() >= joint_at {
            break;
        }
    }
    assert!(net.node(1).log().committed() >= joint_at);
    net.process_all();
    net.isolate(1);
    net.drop_where(|m| m.from.0 == 1);
    assert!(!net.node(1).conf().is_joint(), "C_new appended");
    assert_eq!(net.node(1).role(), Role::Leader, "C_new not committed yet");
    net.heal();
    net.node_mut(1).heartbeat_timeout();
    net.stabilize();
    assert_eq!(net.node(1).role(), Role::Follower);
    assert_eq!(net.node(4).conf().voters, ids(&[2, 3, 4]));
}

/// §4.2.3: a server removed without hearing of it times out and campaigns
/// with ever higher terms. PreVote keeps its term down (its log is behind)
/// and the lease of CheckQuorum makes the others ignore it: the leader
/// keeps its term.
#[test]
fn a_removed_server_that_keeps_campaigning_does_not_disrupt_the_cluster() {
    let mut net = Network::with_config(3, |c| {
        c.pre_vote = true;
        c.check_quorum = true;
    });
    net.elect(1);
    net.isolate(3);
    propose_change(&mut net, 1, &change(&[(Remove, 3)]));
    net.stabilize();
    assert_eq!(net.node(1).conf().voters, ids(&[1, 2]));
    assert_eq!(net.node(3).conf().voters, ids(&[1, 2, 3]), "3 never heard");
    let term = net.node(1).term();
    net.heal();
    for _ in 0..10 {
        net.node_mut(3).campaign();
        net.stabilize();
        net.node_mut(1).heartbeat_timeout();
        net.stabilize();
    }
    assert_eq!(net.node(1).role(), Role::Leader);
    assert_eq!(
        net.node(1).term(),
        term,
        "the removed server raised the term"
    );
}

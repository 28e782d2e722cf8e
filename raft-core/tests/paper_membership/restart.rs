//! The configuration lives in the log and in snapshots (thesis §4.1): it
//! is what a restarted node finds there, joint or not, and a snapshot
//! records the configuration as of its own last entry.

use raft_core::{LogIndex, Role};

use crate::common::Network;
use crate::helpers::{AddVoter, Remove, change, ids, propose_change};

#[test]
fn a_node_restarting_inside_a_joint_configuration_is_joint_again() {
    let mut net = Network::with_spares(3, 2, |_| {});
    net.elect(1);
    // The joint entry reaches 2 only: it cannot commit.
    net.cut(1, 3);
    net.cut(1, 4);
    net.cut(1, 5);
    let joint_at = propose_change(&mut net, 1, &change(&[(AddVoter, 4), (AddVoter, 5)]));
    net.stabilize();
    assert_eq!(net.node(2).log().last_index(), joint_at);
    net.restart(2);
    let conf = net.node(2).conf().clone();
    assert!(conf.is_joint(), "restarted out of the joint configuration");
    assert_eq!(conf.voters, ids(&[1, 2, 3, 4, 5]));
    assert_eq!(conf.voters_outgoing, ids(&[1, 2, 3]));
    // And the change completes after the restart.
    net.heal();
    net.node_mut(1).heartbeat_timeout();
    net.stabilize();
    assert!(!net.node(2).conf().is_joint());
    assert_eq!(net.node(2).conf().voters, ids(&[1, 2, 3, 4, 5]));
}

#[test]
fn a_snapshot_records_the_configuration_of_its_last_entry() {
    let mut net = Network::with_spares(3, 1, |_| {});
    net.elect(1);
    net.propose(1, b"a");
    let applied = net.node(1).log().applied();
    // A change appended after the snapshot's index is not in it.
    net.isolate(1);
    propose_change(&mut net, 1, &change(&[(AddVoter, 4)]));
    net.process_all();
    net.compact(1, applied).expect("applied");
    let meta = &net.node(1).snapshot().expect("taken").meta;
    assert_eq!(meta.conf.voters, ids(&[1, 2, 3]));
    assert_eq!(net.node(1).conf().voters, ids(&[1, 2, 3, 4]));
    // The node restarts into the change (from the log), not the snapshot's.
    net.restart(1);
    assert_eq!(net.node(1).conf().voters, ids(&[1, 2, 3, 4]));
}

#[test]
fn a_node_added_after_compaction_learns_the_configuration_from_the_snapshot() {
    let mut net = Network::with_spares(3, 2, |_| {});
    net.elect(1);
    propose_change(&mut net, 1, &change(&[(AddVoter, 4)]));
    net.stabilize();
    net.propose(1, b"a");
    let applied = net.node(1).log().applied();
    net.compact(1, applied).expect("applied");
    propose_change(&mut net, 1, &change(&[(Remove, 2)]));
    net.stabilize();
    // 5 joins now: its whole history before the snapshot comes from it.
    propose_change(&mut net, 1, &change(&[(AddVoter, 5)]));
    net.stabilize();
    let five = net.node(5);
    assert!(five.snapshot().is_some(), "5 was sent the snapshot");
    assert_eq!(five.conf().voters, ids(&[1, 3, 4, 5]));
    assert_eq!(five.log().last_id(), net.node(1).log().last_id());
    assert_eq!(five.role(), Role::Follower);
    assert!(five.log().committed() > LogIndex(0));
}

//! Adding and removing voters: one at a time at once (thesis §4.1), more
//! through a joint configuration (§4.3), one change in flight, and a new
//! leader's duty to commit in its term before changing anything.

use raft_core::{ConfChange, Error, Role, Term};

use crate::common::Network;
use crate::helpers::{AddLearner, AddVoter, Remove, change, changes_in_log, ids, propose_change};

/// §4.1: "a server always uses the latest configuration in its log,
/// regardless of whether the entry is committed": the leader counts the
/// new voter from the moment it appends the change.
#[test]
fn a_single_voter_added_counts_from_the_moment_its_entry_is_appended() {
    let mut net = Network::with_spares(3, 1, |_| {});
    net.elect(1);
    let at = propose_change(&mut net, 1, &change(&[(AddVoter, 4)]));
    assert_eq!(net.node(1).conf().voters, ids(&[1, 2, 3, 4]));
    assert!(!net.node(1).conf().is_joint(), "one voter changes at once");
    assert!(net.node(1).log().committed() < at);
    net.stabilize();
    for n in 1..=4 {
        assert_eq!(net.node(n).conf().voters, ids(&[1, 2, 3, 4]), "node {n}");
        assert!(net.node(n).log().committed() >= at, "node {n}");
    }
    // Four voters: a commit now needs three of them.
    net.isolate(3);
    net.isolate(4);
    let index = net.node_mut(1).propose(b"x".to_vec()).expect("leader");
    net.stabilize();
    assert!(
        net.node(1).log().committed() < index,
        "two of four voters committed an entry"
    );
    net.heal();
    net.node_mut(1).heartbeat_timeout();
    net.stabilize();
    assert!(net.node(1).log().committed() >= index);
}

/// §4.3: a change of more than one voter goes through C_old,new, and the
/// leader appends C_new on its own once C_old,new commits.
#[test]
fn two_voters_changed_go_through_a_joint_configuration_the_leader_leaves() {
    let mut net = Network::with_spares(3, 2, |_| {});
    net.elect(1);
    let joint_at = propose_change(&mut net, 1, &change(&[(AddVoter, 4), (AddVoter, 5)]));
    let joint = net.node(1).conf().clone();
    assert!(joint.is_joint());
    assert_eq!(joint.voters, ids(&[1, 2, 3, 4, 5]));
    assert_eq!(joint.voters_outgoing, ids(&[1, 2, 3]));
    net.stabilize();
    for n in 1..=5 {
        let node = net.node(n);
        assert_eq!(node.conf().voters, ids(&[1, 2, 3, 4, 5]), "node {n}");
        assert!(!node.conf().is_joint(), "node {n} is still joint");
        let changes = changes_in_log(node);
        assert_eq!(changes.len(), 2, "node {n}: {changes:?}");
        assert_eq!(changes[0].0, joint_at);
        assert_eq!(changes[1].1, ConfChange::default(), "the second leaves");
        assert!(node.log().committed() >= changes[1].0, "node {n}");
    }
}

/// §4.3: while joint, an entry commits only with a majority of the old
/// voters and a majority of the new ones: the new voters alone cannot.
#[test]
fn while_joint_a_commit_needs_a_majority_of_each_half() {
    let mut net = Network::with_spares(3, 3, |_| {});
    net.elect(1);
    // C_old = {1,2,3}, C_new = {1,4,5}: 1, 4 and 5 make a majority of C_new
    // but only one voter of C_old.
    let swap = change(&[(AddVoter, 4), (AddVoter, 5), (Remove, 2), (Remove, 3)]);
    net.cut(1, 2);
    net.cut(1, 3);
    let joint_at = propose_change(&mut net, 1, &swap);
    net.stabilize();
    assert_eq!(net.node(4).log().last_index(), joint_at, "4 holds it");
    assert!(
        net.node(1).log().committed() < joint_at,
        "C_old,new committed without a majority of C_old"
    );
    assert!(net.node(1).conf().is_joint());
    net.heal();
    net.node_mut(1).heartbeat_timeout();
    net.stabilize();
    let node = net.node(1);
    assert_eq!(node.conf().voters, ids(&[1, 4, 5]));
    assert!(!node.conf().is_joint());
}

/// One change at a time: a second proposal while the first is
/// uncommitted is refused, and accepted once it commits.
#[test]
fn a_change_is_refused_while_another_is_uncommitted() {
    let mut net = Network::with_spares(3, 2, |_| {});
    net.elect(1);
    propose_change(&mut net, 1, &change(&[(AddVoter, 4)]));
    let before = net.node(1).clone();
    let second = net
        .node_mut(1)
        .propose_conf_change(&change(&[(AddVoter, 5)]));
    assert!(
        matches!(second, Err(Error::ConfChangeNotNow(_))),
        "{second:?}"
    );
    assert_eq!(net.node(1), &before, "a refused change left a trace");
    net.stabilize();
    net.node_mut(1)
        .propose_conf_change(&change(&[(AddVoter, 5)]))
        .expect("accepted once the first committed");
}

/// A change a configuration cannot make is an error naming the rule, and
/// changes nothing; an empty change is the leader's own business.
#[test]
fn impossible_changes_are_refused_with_the_reason() {
    let mut net = Network::new(3);
    net.elect(1);
    let before = net.node(1).clone();
    for bad in [
        change(&[(Remove, 9)]),
        ConfChange::default(),
        change(&[(AddLearner, 2)]),
    ] {
        let result = net.node_mut(1).propose_conf_change(&bad);
        assert!(
            matches!(result, Err(Error::InvalidConfChange(_))),
            "{bad:?}: {result:?}"
        );
        assert_eq!(net.node(1), &before);
    }
    let follower = net
        .node_mut(2)
        .propose_conf_change(&change(&[(AddVoter, 4)]));
    assert!(
        matches!(follower, Err(Error::NotLeader { .. })),
        "{follower:?}"
    );
}

/// A new leader may not propose a change before it has committed an entry
/// of its own term (the fix for the single-server bug Ongaro reported in
/// 2015): until then it may not know of a change a previous leader
/// committed.
#[test]
fn a_new_leader_changes_nothing_before_committing_in_its_term() {
    let mut net = Network::with_spares(3, 1, |_| {});
    net.node_mut(1).campaign();
    // Deliver the votes only: the leader's no-op stays uncommitted.
    for _ in 0..2 {
        net.process_all();
        net.deliver_first(|m| m.body.kind_name() == "vote");
        net.deliver_first(|m| m.body.kind_name() == "vote");
        net.process_all();
        net.deliver_first(|m| m.body.kind_name() == "vote-resp");
    }
    assert_eq!(net.node(1).role(), Role::Leader);
    let early = net
        .node_mut(1)
        .propose_conf_change(&change(&[(AddVoter, 4)]));
    assert!(
        matches!(early, Err(Error::ConfChangeNotNow(_))),
        "{early:?}"
    );
    net.stabilize();
    net.node_mut(1)
        .propose_conf_change(&change(&[(AddVoter, 4)]))
        .expect("accepted once the no-op committed");
}

/// The bug the rule above prevents (Ongaro, raft-dev, 2015), in four
/// voters: leader 1 appends C1 = {1,2,3} alone; 2 wins the next term and
/// appends C2 = {2,3,4}; then 1 wins a majority of C1 with 3's vote. The
/// story up to 2's proposal: `Ok` with C2's index if 2 may propose it
/// before committing in its term, else 2's refusal.
fn ongaro_story(net: &mut Network) -> Result<raft_core::LogIndex, Error> {
    net.elect(1);
    net.isolate(1);
    propose_change(net, 1, &change(&[(Remove, 4)]));
    net.stabilize();
    // 2 wins with 3's and 4's votes; its no-op has not left it yet.
    net.node_mut(2).campaign();
    for _ in 0..2 {
        net.process_all();
        net.deliver_all();
    }
    assert_eq!(net.node(2).role(), Role::Leader);
    net.cut(2, 3);
    net.node_mut(2).propose_conf_change(&change(&[(Remove, 1)]))
}

/// 1 restarts (a follower again, C1 on its disk), reaches 3 only, and
/// campaigns twice (its first term is the one 3 voted in already).
fn node_1_campaigns_with_3(net: &mut Network) {
    net.restart(1);
    net.heal();
    net.isolate(2);
    net.isolate(4);
    for _ in 0..2 {
        net.node_mut(1).campaign();
        net.stabilize();
    }
}

#[test]
fn proposing_before_committing_in_the_term_loses_a_committed_change() {
    // Broken: 2 commits C2 with 4 alone (a majority of C2), and 1 then
    // leads without it.
    let mut net = Network::with_config(4, |c| c.rule_breaks.conf_change_before_commit = true);
    let c2 = ongaro_story(&mut net).expect("the rule is broken");
    net.stabilize();
    assert!(
        net.node(2).log().committed() >= c2,
        "C2 committed with 2 and 4"
    );
    node_1_campaigns_with_3(&mut net);
    assert_eq!(net.node(1).role(), Role::Leader, "1 leads in C1");
    assert!(net.node(1).term() > Term(2));
    assert_ne!(
        net.node(1).log().term(c2),
        Some(Term(2)),
        "the new leader holds C2 after all"
    );

    // Kept: 2 is refused until its no-op commits on a majority of the four,
    // and then 3 holds an entry of 2's term, so 1 cannot win.
    let mut net = Network::new(4);
    let refused = ongaro_story(&mut net);
    assert!(
        matches!(refused, Err(Error::ConfChangeNotNow(_))),
        "{refused:?}"
    );
    net.heal();
    net.isolate(1);
    net.stabilize();
    propose_change(&mut net, 2, &change(&[(Remove, 1)]));
    net.stabilize();
    node_1_campaigns_with_3(&mut net);
    assert_ne!(
        net.node(1).role(),
        Role::Leader,
        "1 won without 2's entries"
    );
}

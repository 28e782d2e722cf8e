//! Monotonicity.

use super::helpers::*;
use raft_core::{LogIndex, NodeId};
use sim::checker::{Invariant, Monotonicity, NodeView};

// ---- monotonicity ----------------------------------------------------------

#[test]
fn monotonicity_catches_a_term_going_back_within_a_boot() {
    let mut mono = Monotonicity::new(3);
    expect_ok(mono.observe(&view(0, 3, &[])));
    let violation = expect_violation(mono.observe(&view(0, 2, &[])), Invariant::Monotonicity);
    assert_eq!(violation.nodes, slots(&[0]));

    // Through every checker.
    let mut checkers = checkers(3);
    expect_ok(checkers.observe(&view(1, 3, &[])));
    expect_violation(checkers.observe(&view(1, 2, &[])), Invariant::Monotonicity);
}

#[test]
fn monotonicity_catches_commit_and_applied_going_back() {
    let log = [entry(1, 1, "a"), entry(2, 1, "b")];
    let mut mono = Monotonicity::new(3);
    expect_ok(mono.observe(&with_commit(view(0, 1, &log), 2)));
    expect_violation(
        mono.observe(&with_commit(view(0, 1, &log), 1)),
        Invariant::Monotonicity,
    );

    let mut mono = Monotonicity::new(3);
    let at = |applied| NodeView {
        commit: LogIndex(2),
        applied: LogIndex(applied),
        ..view(0, 1, &log)
    };
    expect_ok(mono.observe(&at(2)));
    expect_violation(mono.observe(&at(1)), Invariant::Monotonicity);
}

#[test]
fn monotonicity_catches_a_restart_below_the_durable_term() {
    let mut mono = Monotonicity::new(3);
    assert!(expect_ok(mono.observe(&view(0, 3, &[]))), "first boot");
    assert!(!expect_ok(mono.observe(&view(0, 3, &[]))));
    expect_ok(mono.observe(&down(0, 1, 3, None)));
    let rebooted = NodeView {
        boots: 2,
        ..view(0, 2, &[])
    };
    let violation = expect_violation(mono.observe(&rebooted), Invariant::Monotonicity);
    assert_eq!(violation.nodes, slots(&[0]));

    // Through every checker, the durable term learned only from the crash
    // view (the node was last seen alive in an older term).
    let mut checkers = checkers(3);
    expect_ok(checkers.observe(&view(1, 2, &[])));
    expect_ok(checkers.observe(&down(1, 1, 4, None)));
    expect_violation(
        checkers.observe(&NodeView {
            boots: 2,
            ..view(1, 3, &[])
        }),
        Invariant::Monotonicity,
    );
}

#[test]
fn monotonicity_catches_a_restart_without_the_durable_vote() {
    let voted = NodeView {
        vote: Some(NodeId(3)),
        synced_vote: Some(NodeId(3)),
        ..view(0, 5, &[])
    };
    let mut mono = Monotonicity::new(3);
    expect_ok(mono.observe(&voted));
    expect_ok(mono.observe(&down(0, 1, 5, Some(3))));
    // Back in term 5 with no vote: it could vote again in term 5.
    let forgot = NodeView {
        boots: 2,
        synced_vote: None,
        ..view(0, 5, &[])
    };
    expect_violation(mono.observe(&forgot), Invariant::Monotonicity);

    // Back in term 5 having voted for someone else is as bad.
    let mut mono = Monotonicity::new(3);
    expect_ok(mono.observe(&voted));
    expect_ok(mono.observe(&down(0, 1, 5, Some(3))));
    let changed = NodeView {
        boots: 2,
        vote: Some(NodeId(2)),
        synced_vote: Some(NodeId(2)),
        ..view(0, 5, &[])
    };
    expect_violation(mono.observe(&changed), Invariant::Monotonicity);
}

#[test]
fn monotonicity_passes_a_restart_that_keeps_what_was_durable() {
    let voted = NodeView {
        vote: Some(NodeId(3)),
        synced_vote: Some(NodeId(3)),
        ..view(0, 5, &[])
    };
    // Same term and vote back.
    let mut mono = Monotonicity::new(3);
    expect_ok(mono.observe(&voted));
    expect_ok(mono.observe(&down(0, 1, 5, Some(3))));
    let back = NodeView {
        boots: 2,
        ..voted.clone()
    };
    assert!(expect_ok(mono.observe(&back)), "a reboot is reported");
    // A later term with no vote yet, and commit/applied starting over.
    let mut mono = Monotonicity::new(3);
    let log = [entry(1, 1, "a")];
    expect_ok(mono.observe(&NodeView {
        commit: LogIndex(1),
        applied: LogIndex(1),
        ..voted.clone()
    }));
    expect_ok(mono.observe(&down(0, 1, 5, Some(3))));
    expect_ok(mono.observe(&NodeView {
        boots: 2,
        ..view(0, 6, &log)
    }));
}

#[test]
fn monotonicity_catches_a_leaders_match_index_going_back() {
    let leading = |matched: [(u64, u64); 2]| NodeView {
        matched: matched
            .iter()
            .map(|(peer, index)| (NodeId(*peer), LogIndex(*index)))
            .collect(),
        ..leader(0, 4, &[])
    };
    let mut mono = Monotonicity::new(3);
    expect_ok(mono.observe(&leading([(2, 5), (3, 3)])));
    expect_ok(mono.observe(&leading([(2, 6), (3, 3)])));
    let violation = expect_violation(
        mono.observe(&leading([(2, 6), (3, 2)])),
        Invariant::Monotonicity,
    );
    assert_eq!(violation.nodes, slots(&[0]));

    // A new term starts the match indexes over.
    let mut mono = Monotonicity::new(3);
    expect_ok(mono.observe(&leading([(2, 5), (3, 3)])));
    expect_ok(mono.observe(&NodeView {
        matched: vec![(NodeId(2), LogIndex(0)), (NodeId(3), LogIndex(0))],
        ..leader(0, 5, &[])
    }));
}

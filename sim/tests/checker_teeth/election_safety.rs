//! Election safety: at most one leader per term.

use super::helpers::*;
use raft_core::Role;
use sim::checker::{ElectionSafety, Invariant, NodeView};

// ---- election safety ----------------------------------------------------

#[test]
fn election_safety_catches_two_leaders_in_one_term() {
    let mut checker = ElectionSafety::default();
    expect_ok(checker.observe(&leader(0, 2, &[])));
    let violation = expect_violation(
        checker.observe(&leader(1, 2, &[])),
        Invariant::ElectionSafety,
    );
    assert_eq!(violation.nodes, slots(&[0, 1]));
}

#[test]
fn election_safety_remembers_a_leader_that_stepped_down_or_crashed() {
    // n1 led term 2 then stepped down; n2 leading term 2 later is still a
    // second leader of that term.
    let mut checker = ElectionSafety::default();
    expect_ok(checker.observe(&leader(0, 2, &[])));
    expect_ok(checker.observe(&view(0, 2, &[])));
    expect_ok(checker.observe(&view(0, 3, &[])));
    expect_violation(
        checker.observe(&leader(1, 2, &[])),
        Invariant::ElectionSafety,
    );

    // Through every checker: the first leader crashed in between.
    let mut checkers = checkers(3);
    expect_ok(checkers.observe(&leader(0, 2, &[])));
    expect_ok(checkers.observe(&down(0, 1, 2, Some(1))));
    let violation = expect_violation(
        checkers.observe(&leader(2, 2, &[])),
        Invariant::ElectionSafety,
    );
    assert_eq!(violation.nodes, slots(&[0, 2]));
}

#[test]
fn election_safety_passes_one_leader_per_term() {
    let mut checker = ElectionSafety::default();
    for _ in 0..3 {
        expect_ok(checker.observe(&leader(0, 2, &[])));
    }
    // Candidates and followers of term 2 are no rivals.
    let candidate = NodeView {
        role: Role::Candidate,
        ..view(1, 2, &[])
    };
    expect_ok(checker.observe(&candidate));
    expect_ok(checker.observe(&view(2, 2, &[])));
    expect_ok(checker.observe(&leader(1, 3, &[])));
    expect_ok(checker.observe(&leader(2, 4, &[])));
    expect_ok(checker.observe(&leader(0, 5, &[])));
}

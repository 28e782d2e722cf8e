//! Current-term commit.

use super::helpers::*;
use sim::checker::Invariant;

// ---- current-term commit --------------------------------------------------

#[test]
fn current_term_commit_catches_a_leader_committing_an_older_entry() {
    let log = [entry(1, 1, "a"), entry(2, 1, "b"), entry(3, 3, "noop")];
    let mut logs = log_checker(3);
    expect_ok(logs.observe(&leader(0, 3, &log)));
    let violation = expect_violation(
        logs.observe(&with_commit(leader(0, 3, &log), 2)),
        Invariant::CurrentTermCommit,
    );
    assert_eq!(violation.nodes, slots(&[0]));

    // Through every checker.
    let mut checkers = checkers(3);
    expect_ok(checkers.observe(&leader(0, 3, &log)));
    expect_violation(
        checkers.observe(&with_commit(leader(0, 3, &log), 1)),
        Invariant::CurrentTermCommit,
    );
}

#[test]
fn current_term_commit_passes_a_commit_through_an_own_term_entry() {
    let log = [entry(1, 1, "a"), entry(2, 1, "b"), entry(3, 3, "noop")];
    let mut logs = log_checker(3);
    expect_ok(logs.observe(&leader(0, 3, &log)));
    // Entries 1 and 2 commit with the leader's no-op (Figure 8).
    expect_ok(logs.observe(&with_commit(leader(0, 3, &log), 3)));
    // A follower may learn a commit at an older-term entry.
    expect_ok(logs.observe(&with_commit(view(1, 3, &log[..2]), 2)));
}

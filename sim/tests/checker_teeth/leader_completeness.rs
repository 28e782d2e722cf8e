//! Leader completeness.

use super::helpers::*;
use sim::checker::Invariant;

// ---- leader completeness --------------------------------------------------

#[test]
fn leader_completeness_catches_a_later_leader_without_a_committed_entry() {
    let log = [entry(1, 1, "a")];
    let mut logs = log_checker(3);
    expect_ok(logs.observe(&leader(0, 1, &log)));
    expect_ok(logs.observe(&with_commit(leader(0, 1, &log), 1)));
    // n2 leads term 2 with nothing at all.
    let violation = expect_violation(
        logs.observe(&leader(1, 2, &[])),
        Invariant::LeaderCompleteness,
    );
    assert_eq!(violation.nodes, slots(&[1]));

    // n3 leads term 3 with its own entry where the committed one was.
    let own = [entry(1, 3, "noop")];
    expect_violation(
        logs.observe(&leader(2, 3, &own)),
        Invariant::LeaderCompleteness,
    );
}

#[test]
fn leader_completeness_counts_commits_learned_by_followers() {
    // The entry is known committed only by a follower of term 1; the
    // leader of term 2 must still hold it.
    let log = [entry(1, 1, "a")];
    let mut checkers = checkers(3);
    expect_ok(checkers.observe(&view(0, 1, &log)));
    expect_ok(checkers.observe(&with_commit(view(0, 1, &log), 1)));
    expect_violation(
        checkers.observe(&leader(1, 2, &[])),
        Invariant::LeaderCompleteness,
    );
}

#[test]
fn leader_completeness_passes_a_leader_with_every_committed_entry() {
    let log = [entry(1, 1, "a")];
    let mut logs = log_checker(3);
    expect_ok(logs.observe(&with_commit(leader(0, 1, &log), 1)));
    let next = [entry(1, 1, "a"), entry(2, 2, "noop")];
    expect_ok(logs.observe(&leader(1, 2, &next)));
    // A leader of the same term as the commit need not be checked against
    // itself, and an uncommitted entry may be missing.
    let more = [entry(1, 1, "a"), entry(2, 2, "noop"), entry(3, 2, "y")];
    expect_ok(logs.observe(&with_commit(leader(1, 2, &more), 2)));
    let later = [entry(1, 1, "a"), entry(2, 2, "noop"), entry(3, 3, "noop")];
    expect_ok(logs.observe(&leader(2, 3, &later)));
}

//! Leader append-only.

use super::helpers::*;
use sim::checker::Invariant;

// ---- leader append-only ---------------------------------------------------

#[test]
fn leader_append_only_catches_a_leader_losing_its_last_entry() {
    let full = [entry(1, 1, "a"), entry(2, 2, "noop"), entry(3, 2, "x")];
    let mut logs = log_checker(3);
    expect_ok(logs.observe(&leader(0, 2, &full)));
    let violation = expect_violation(
        logs.observe(&leader(0, 2, &full[..2])),
        Invariant::LeaderAppendOnly,
    );
    assert_eq!(violation.nodes, slots(&[0]));

    // Replacing the last entry with one of an older term is no better.
    let mut logs = log_checker(3);
    expect_ok(logs.observe(&leader(0, 2, &full)));
    let replaced = [entry(1, 1, "a"), entry(2, 2, "noop"), entry(3, 1, "old")];
    expect_violation(
        logs.observe(&leader(0, 2, &replaced)),
        Invariant::LeaderAppendOnly,
    );

    // Through every checker.
    let mut checkers = checkers(3);
    expect_ok(checkers.observe(&leader(0, 2, &full)));
    expect_violation(
        checkers.observe(&leader(0, 2, &full[..2])),
        Invariant::LeaderAppendOnly,
    );
}

#[test]
fn leader_append_only_passes_appends_and_a_new_term() {
    let full = [entry(1, 1, "a"), entry(2, 2, "noop"), entry(3, 2, "x")];
    let mut logs = log_checker(3);
    expect_ok(logs.observe(&leader(0, 2, &full[..1])));
    expect_ok(logs.observe(&leader(0, 2, &full[..2])));
    expect_ok(logs.observe(&leader(0, 2, &full)));
    // Deposed, n1 may lose its uncommitted entry 3 to the next leader, and
    // lead again later with a shorter log.
    expect_ok(logs.observe(&view(0, 3, &full[..2])));
    expect_ok(logs.observe(&leader(0, 4, &full[..2])));
}

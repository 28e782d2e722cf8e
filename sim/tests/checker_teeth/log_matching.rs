//! Log matching.

use super::helpers::*;
use sim::checker::Invariant;

// ---- log matching ---------------------------------------------------------

#[test]
fn log_matching_catches_one_index_and_term_with_different_content() {
    let a = [entry(1, 1, "x=1")];
    let b = [entry(1, 1, "x=2")];
    let mut logs = log_checker(3);
    expect_ok(logs.observe(&view(0, 1, &a)));
    let violation = expect_violation(logs.observe(&view(1, 1, &b)), Invariant::LogMatching);
    assert_eq!(violation.nodes, slots(&[0, 1]));

    // Through every checker.
    let mut checkers = checkers(3);
    expect_ok(checkers.observe(&view(0, 1, &a)));
    expect_violation(checkers.observe(&view(1, 1, &b)), Invariant::LogMatching);
}

#[test]
fn log_matching_catches_equal_entries_on_different_prefixes() {
    // Entry (2, t2) is byte for byte the same on both nodes, but the logs
    // differ before it: Log Matching says they must be identical up to it.
    let a = [entry(1, 1, "a"), entry(2, 2, "same")];
    let b = [entry(1, 2, "b"), entry(2, 2, "same")];
    let mut logs = log_checker(2);
    expect_ok(logs.observe(&view(0, 2, &a)));
    expect_violation(logs.observe(&view(1, 2, &b)), Invariant::LogMatching);
}

#[test]
fn log_matching_passes_equal_logs_and_replaced_uncommitted_suffixes() {
    let mut logs = log_checker(3);
    let base = [entry(1, 1, "a"), entry(2, 1, "b")];
    expect_ok(logs.observe(&view(0, 1, &base)));
    expect_ok(logs.observe(&view(1, 1, &base[..1])));
    expect_ok(logs.observe(&view(1, 1, &base)));
    // n3 holds a stale uncommitted entry 2, then takes the leader's
    // version of term 2: a conflict resolved by the leader, not a break.
    let stale = [entry(1, 1, "a"), entry(2, 1, "b"), entry(3, 1, "c")];
    expect_ok(logs.observe(&view(2, 1, &stale)));
    let fixed = [entry(1, 1, "a"), entry(2, 2, "d")];
    expect_ok(logs.observe(&view(2, 2, &fixed)));
    expect_ok(logs.observe(&view(0, 2, &fixed)));
}

#[test]
fn log_matching_catches_an_entry_rewritten_in_place() {
    // n1 and n2 agree on entry (2, t1); then n2's copy changes content
    // without changing term. Its log now differs from n1's at a shared
    // (index, term): Log Matching is broken. `sync_mirror` keeps every
    // mirrored entry whose term still matches, so it never looks at the new
    // content and the ledger is never consulted.
    let before = [entry(1, 1, "a"), entry(2, 1, "b")];
    let after = [entry(1, 1, "a"), entry(2, 1, "B")];
    let mut logs = log_checker(2);
    expect_ok(logs.observe(&view(0, 1, &before)));
    expect_ok(logs.observe(&view(1, 1, &before)));
    let result = logs.observe(&view(1, 1, &after));
    let violation = result.expect_err("a rewritten entry must be caught");
    assert!(
        matches!(
            violation.invariant,
            Invariant::LogMatching | Invariant::StateMachineSafety
        ),
        "{violation}"
    );
}

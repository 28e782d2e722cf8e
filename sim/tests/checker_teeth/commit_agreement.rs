//! Commit agreement and committed entries.

use super::helpers::*;
use raft_core::LogIndex;
use sim::checker::{Invariant, NodeView};

// ---- commit agreement and committed entries -------------------------------

#[test]
fn commit_disagreement_between_two_nodes_is_caught() {
    let a = [entry(1, 1, "a")];
    let b = [entry(1, 2, "b")];
    let mut logs = log_checker(3);
    expect_ok(logs.observe(&with_commit(view(0, 1, &a), 1)));
    expect_ok(logs.observe(&view(1, 2, &b)));
    let violation = expect_violation(
        logs.observe(&with_commit(view(1, 2, &b), 1)),
        Invariant::StateMachineSafety,
    );
    assert_eq!(violation.nodes, slots(&[1]));

    // A commit index beyond the node's own log is as bad.
    let mut logs = log_checker(3);
    expect_violation(
        logs.observe(&with_commit(view(2, 1, &a), 2)),
        Invariant::StateMachineSafety,
    );
}

#[test]
fn commit_agreement_passes_nodes_committing_one_prefix() {
    let log = [entry(1, 1, "a"), entry(2, 1, "b"), entry(3, 2, "c")];
    let mut logs = log_checker(3);
    expect_ok(logs.observe(&with_commit(view(0, 2, &log), 3)));
    expect_ok(logs.observe(&with_commit(view(1, 2, &log[..2]), 1)));
    expect_ok(logs.observe(&with_commit(view(1, 2, &log), 3)));
    expect_ok(logs.observe(&with_commit(view(2, 2, &log), 2)));
    assert_eq!(logs.committed_index(), LogIndex(3));
}

#[test]
fn removing_a_committed_entry_within_one_boot_is_caught() {
    let log = [entry(1, 1, "a"), entry(2, 1, "b")];
    let mut logs = log_checker(3);
    expect_ok(logs.observe(&with_commit(view(0, 1, &log), 2)));
    // Same boot, entry 2 replaced by another term's.
    let replaced = [entry(1, 1, "a"), entry(2, 2, "other")];
    let violation = expect_violation(
        logs.observe(&with_commit(view(0, 2, &replaced), 1)),
        Invariant::StateMachineSafety,
    );
    assert_eq!(violation.nodes, slots(&[0]));

    // Same boot, the log cut short under its committed entries.
    let mut logs = log_checker(3);
    expect_ok(logs.observe(&with_commit(view(0, 1, &log), 2)));
    expect_violation(
        logs.observe(&with_commit(view(0, 1, &log[..1]), 1)),
        Invariant::StateMachineSafety,
    );
}

#[test]
fn a_crash_may_take_unsynced_entries_and_uncommitted_ones_may_go() {
    let log = [entry(1, 1, "a"), entry(2, 1, "b")];
    let mut logs = log_checker(3);
    expect_ok(logs.observe(&with_commit(view(0, 1, &log), 1)));
    // Entry 2 was never committed: a new leader may replace it.
    let replaced = [entry(1, 1, "a"), entry(2, 2, "other")];
    expect_ok(logs.observe(&with_commit(view(0, 2, &replaced), 1)));

    // After a reboot the log is what the disk kept (durability is another
    // checker's business).
    let mut logs = log_checker(3);
    expect_ok(logs.observe(&with_commit(view(0, 1, &log), 2)));
    let rebooted = NodeView {
        boots: 2,
        ..view(0, 1, &log[..1])
    };
    expect_ok(logs.observe(&rebooted));
}

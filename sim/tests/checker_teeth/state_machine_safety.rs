//! State machine safety (applied entries).

use super::helpers::*;
use raft_core::LogIndex;
use sim::checker::{Checkers, Invariant, NodeView, StateMachineSafety};
use sim::host::AppliedEntry;

// ---- state machine safety (applied entries) -------------------------------

#[test]
fn state_machine_safety_catches_two_nodes_applying_different_entries() {
    let a = entry(1, 1, "x=1");
    let b = entry(1, 1, "x=2");
    let mut sms = StateMachineSafety::new(3);
    let applied_a = [applied(&a)];
    let applied_b = [applied(&b)];
    expect_ok(sms.observe(&NodeView {
        newly_applied: &applied_a,
        ..view(0, 1, &[])
    }));
    let violation = expect_violation(
        sms.observe(&NodeView {
            newly_applied: &applied_b,
            ..view(2, 1, &[])
        }),
        Invariant::StateMachineSafety,
    );
    assert_eq!(violation.nodes, vec![0, 2]);

    // The digest alone differs (same index and term): still caught.
    let mut sms = StateMachineSafety::new(2);
    let one = [AppliedEntry {
        id: id(1, 1),
        digest: 10,
    }];
    let other = [AppliedEntry {
        id: id(1, 1),
        digest: 11,
    }];
    expect_ok(sms.observe(&NodeView {
        newly_applied: &one,
        ..view(0, 1, &[])
    }));
    expect_violation(
        sms.observe(&NodeView {
            newly_applied: &other,
            ..view(1, 1, &[])
        }),
        Invariant::StateMachineSafety,
    );

    // Through every checker (logs left empty so no log check fires first).
    let mut checkers = Checkers::new(3);
    expect_ok(checkers.observe(&NodeView {
        applied: LogIndex(1),
        newly_applied: &applied_a,
        ..view(0, 1, &[])
    }));
    expect_violation(
        checkers.observe(&NodeView {
            applied: LogIndex(1),
            newly_applied: &applied_b,
            ..view(1, 1, &[])
        }),
        Invariant::StateMachineSafety,
    );
}

#[test]
fn state_machine_safety_catches_out_of_order_and_repeated_applies() {
    let log = [entry(1, 1, "a"), entry(2, 1, "b"), entry(3, 1, "c")];
    let skipping = [applied(&log[0]), applied(&log[2])];
    let mut sms = StateMachineSafety::new(3);
    expect_violation(
        sms.observe(&NodeView {
            newly_applied: &skipping,
            ..view(0, 1, &[])
        }),
        Invariant::StateMachineSafety,
    );

    let backwards = [applied(&log[1]), applied(&log[0])];
    let mut sms = StateMachineSafety::new(3);
    expect_violation(
        sms.observe(&NodeView {
            newly_applied: &backwards,
            ..view(0, 1, &[])
        }),
        Invariant::StateMachineSafety,
    );

    // Applied twice in one boot, across two looks.
    let first = [applied(&log[0]), applied(&log[1])];
    let again = [applied(&log[1])];
    let mut sms = StateMachineSafety::new(3);
    expect_ok(sms.observe(&NodeView {
        newly_applied: &first,
        ..view(0, 1, &[])
    }));
    expect_violation(
        sms.observe(&NodeView {
            newly_applied: &again,
            ..view(0, 1, &[])
        }),
        Invariant::StateMachineSafety,
    );
}

#[test]
fn state_machine_safety_passes_in_order_applies_and_a_replay_after_reboot() {
    let log = [entry(1, 1, "a"), entry(2, 1, "b"), entry(3, 1, "c")];
    let all: Vec<AppliedEntry> = log.iter().map(applied).collect();
    let mut sms = StateMachineSafety::new(3);
    expect_ok(sms.observe(&NodeView {
        newly_applied: &all[..2],
        ..view(0, 1, &[])
    }));
    expect_ok(sms.observe(&NodeView {
        newly_applied: &all[2..],
        ..view(0, 1, &[])
    }));
    expect_ok(sms.observe(&NodeView {
        newly_applied: &all,
        ..view(1, 1, &[])
    }));
    // A rebooted node rebuilds its state machine from index 1.
    expect_ok(sms.observe(&NodeView {
        boots: 2,
        newly_applied: &all,
        ..view(0, 1, &[])
    }));
}

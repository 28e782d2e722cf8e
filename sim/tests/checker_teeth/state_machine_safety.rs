//! State machine safety (applied entries, handed to the checker as each
//! node applies them).

use super::helpers::*;
use sim::checker::{Invariant, StateMachineSafety};
use sim::host::AppliedEntry;

// ---- state machine safety (applied entries) -------------------------------

#[test]
fn state_machine_safety_catches_two_nodes_applying_different_entries() {
    let a = entry(1, 1, "x=1");
    let b = entry(1, 1, "x=2");
    let mut sms = StateMachineSafety::new(3);
    expect_ok(sms.applied(NodeSlot::new(0), 1, &[applied(&a)]));
    let violation = expect_violation(
        sms.applied(NodeSlot::new(2), 1, &[applied(&b)]),
        Invariant::StateMachineSafety,
    );
    assert_eq!(violation.nodes, slots(&[0, 2]));

    // The digest alone differs (same index and term): still caught.
    let mut sms = StateMachineSafety::new(2);
    let one = AppliedEntry {
        id: id(1, 1),
        digest: 10,
        state_digest: 20,
    };
    let other = AppliedEntry {
        id: id(1, 1),
        digest: 11,
        state_digest: 20,
    };
    expect_ok(sms.applied(NodeSlot::new(0), 1, &[one]));
    expect_violation(
        sms.applied(NodeSlot::new(1), 1, &[other]),
        Invariant::StateMachineSafety,
    );

    // Through every checker's hook.
    let mut checkers = checkers(3);
    expect_ok(checkers.on_applied(NodeSlot::new(0), 1, &[applied(&a)]));
    expect_violation(
        checkers.on_applied(NodeSlot::new(1), 1, &[applied(&b)]),
        Invariant::StateMachineSafety,
    );
}

#[test]
fn state_machine_safety_catches_out_of_order_and_repeated_applies() {
    let log = [entry(1, 1, "a"), entry(2, 1, "b"), entry(3, 1, "c")];
    let mut sms = StateMachineSafety::new(3);
    expect_violation(
        sms.applied(NodeSlot::new(0), 1, &[applied(&log[0]), applied(&log[2])]),
        Invariant::StateMachineSafety,
    );

    let mut sms = StateMachineSafety::new(3);
    expect_violation(
        sms.applied(NodeSlot::new(0), 1, &[applied(&log[1]), applied(&log[0])]),
        Invariant::StateMachineSafety,
    );

    // Applied twice in one boot, across two hand-overs.
    let mut sms = StateMachineSafety::new(3);
    expect_ok(sms.applied(NodeSlot::new(0), 1, &[applied(&log[0]), applied(&log[1])]));
    expect_violation(
        sms.applied(NodeSlot::new(0), 1, &[applied(&log[1])]),
        Invariant::StateMachineSafety,
    );
}

#[test]
fn state_machine_safety_passes_in_order_applies_and_a_replay_after_reboot() {
    let log = [entry(1, 1, "a"), entry(2, 1, "b"), entry(3, 1, "c")];
    let all: Vec<AppliedEntry> = log.iter().map(applied).collect();
    let mut sms = StateMachineSafety::new(3);
    expect_ok(sms.applied(NodeSlot::new(0), 1, &all[..2]));
    expect_ok(sms.applied(NodeSlot::new(0), 1, &all[2..]));
    expect_ok(sms.applied(NodeSlot::new(1), 1, &all));
    // A rebooted node rebuilds its state machine from index 1.
    expect_ok(sms.applied(NodeSlot::new(0), 2, &all));
}

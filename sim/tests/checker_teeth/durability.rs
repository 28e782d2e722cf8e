//! Durability.

use super::helpers::*;
use sim::checker::{Durability, Invariant, NodeView};

// ---- durability ------------------------------------------------------------

#[test]
fn durability_catches_an_acknowledged_entry_gone_from_a_majority() {
    let log = [entry(1, 1, "a")];
    let mut checkers = checkers(3);
    for node in 0..3 {
        expect_ok(checkers.observe(&view(node, 1, &log)));
    }
    checkers.acknowledged(&[id(1, 1)]);
    expect_ok(checkers.final_check());
    // n2 reboots without it: one node is not a majority.
    expect_ok(checkers.observe(&down(1, 1, 1, None)));
    expect_ok(checkers.observe(&NodeView {
        boots: 2,
        ..view(1, 1, &[])
    }));
    expect_ok(checkers.final_check());
    // n3 too: the entry survives on one node of three.
    expect_ok(checkers.observe(&down(2, 1, 1, None)));
    let violation = expect_violation(
        checkers.observe(&NodeView {
            boots: 2,
            ..view(2, 1, &[])
        }),
        Invariant::Durability,
    );
    assert_eq!(violation.nodes, slots(&[1, 2]));
    expect_violation(checkers.final_check(), Invariant::Durability);
}

#[test]
fn durability_final_check_catches_a_loss_without_a_restart() {
    // The acknowledged entry was never seen committed, and two nodes
    // replaced it: only the end-of-run check can tell.
    let log = [entry(1, 1, "a")];
    let other = [entry(1, 2, "b")];
    let mut checkers = checkers(3);
    for node in 0..3 {
        expect_ok(checkers.observe(&view(node, 1, &log)));
    }
    checkers.acknowledged(&[id(1, 1)]);
    expect_ok(checkers.observe(&view(1, 2, &other)));
    expect_ok(checkers.final_check());
    expect_ok(checkers.observe(&view(2, 2, &other)));
    expect_violation(checkers.final_check(), Invariant::Durability);
}

#[test]
fn durability_counts_only_live_nodes_as_missing() {
    let log = [entry(1, 1, "a")];
    let mut logs = log_checker(3);
    for node in 0..3 {
        expect_ok(logs.observe(&view(node, 1, &log)));
    }
    expect_ok(logs.observe(&view(1, 2, &[entry(1, 2, "b")])));
    expect_ok(logs.observe(&view(2, 2, &[entry(1, 2, "b")])));
    assert!(logs.holds(NodeSlot::new(0), id(1, 1)));
    assert!(!logs.holds(NodeSlot::new(1), id(1, 1)));

    let mut durability = Durability::new(3);
    durability.acknowledged(&[id(1, 1)]);
    expect_violation(durability.check(&logs), Invariant::Durability);
    // With n3 down, only n2 is known to lack it.
    durability.set_alive(NodeSlot::new(2), false);
    expect_ok(durability.check(&logs));
    // Entries nobody acknowledged are nobody's business.
    let mut durability = Durability::new(3);
    durability.acknowledged(&[id(1, 2)]);
    expect_ok(durability.check(&logs));
}

//! The checkers have teeth: each is fed hand-built node views that break its
//! invariant and must name it, and the same history without the break must
//! pass (so a checker that fails everything does not pass these tests
//! either).

use raft_core::{
    Config, Entry, EntryId, EntryKind, LogIndex, Message, MessageBody, NodeId, RejectHint, Role,
    Term,
};
use sim::checker::{
    Checkers, Durability, ElectionSafety, Invariant, LogChecker, Monotonicity, NodeView,
    StateMachineSafety, Violation, VoteLedger, check_send,
};
use sim::host::{AppliedEntry, Host, Outbox, entry_digest};
use sim::net::{Endpoint, Packet, Payload};

// ---- helpers ------------------------------------------------------------

fn entry(index: u64, term: u64, data: &str) -> Entry {
    Entry {
        term: Term(term),
        index: LogIndex(index),
        kind: EntryKind::Normal,
        data: data.as_bytes().to_vec(),
    }
}

fn id(index: u64, term: u64) -> EntryId {
    EntryId {
        index: LogIndex(index),
        term: Term(term),
    }
}

/// A live follower in its first boot, in `term`, with `log`, nothing
/// committed or applied, its term durable and no vote.
fn view(node: usize, term: u64, log: &[Entry]) -> NodeView<'_> {
    NodeView {
        index: node,
        boots: 1,
        alive: true,
        role: Role::Follower,
        term: Term(term),
        vote: None,
        commit: LogIndex(0),
        applied: LogIndex(0),
        log,
        synced_term: Term(term),
        synced_vote: None,
        newly_applied: &[],
        matched: Vec::new(),
    }
}

/// The same node as a leader of `term`.
fn leader(node: usize, term: u64, log: &[Entry]) -> NodeView<'_> {
    NodeView {
        role: Role::Leader,
        vote: Some(NodeId(node as u64 + 1)),
        synced_vote: Some(NodeId(node as u64 + 1)),
        ..view(node, term, log)
    }
}

/// The node, crashed (what a checker sees of a down host).
fn down(node: usize, boots: u64, synced_term: u64, synced_vote: Option<u64>) -> NodeView<'static> {
    NodeView {
        index: node,
        boots,
        alive: false,
        role: Role::Follower,
        term: Term(0),
        vote: None,
        commit: LogIndex(0),
        applied: LogIndex(0),
        log: &[],
        synced_term: Term(synced_term),
        synced_vote: synced_vote.map(NodeId),
        newly_applied: &[],
        matched: Vec::new(),
    }
}

fn with_commit(view: NodeView<'_>, commit: u64) -> NodeView<'_> {
    NodeView {
        commit: LogIndex(commit),
        ..view
    }
}

fn applied(e: &Entry) -> AppliedEntry {
    AppliedEntry {
        id: e.id(),
        digest: entry_digest(e),
    }
}

#[track_caller]
fn expect_violation<T: std::fmt::Debug>(
    result: Result<T, Violation>,
    invariant: Invariant,
) -> Violation {
    match result {
        Err(violation) => {
            assert_eq!(
                violation.invariant, invariant,
                "wrong invariant reported: {violation}"
            );
            assert!(!violation.message.is_empty());
            violation
        }
        Ok(value) => panic!("expected a {invariant} violation, got Ok({value:?})"),
    }
}

#[track_caller]
fn expect_ok<T>(result: Result<T, Violation>) -> T {
    match result {
        Ok(value) => value,
        Err(violation) => panic!("unexpected violation: {violation}"),
    }
}

// ---- election safety ----------------------------------------------------

#[test]
fn election_safety_catches_two_leaders_in_one_term() {
    let mut checker = ElectionSafety::default();
    expect_ok(checker.observe(&leader(0, 2, &[])));
    let violation = expect_violation(
        checker.observe(&leader(1, 2, &[])),
        Invariant::ElectionSafety,
    );
    assert_eq!(violation.nodes, vec![0, 1]);
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
    let mut checkers = Checkers::new(3);
    expect_ok(checkers.observe(&leader(0, 2, &[])));
    expect_ok(checkers.observe(&down(0, 1, 2, Some(1))));
    let violation = expect_violation(
        checkers.observe(&leader(2, 2, &[])),
        Invariant::ElectionSafety,
    );
    assert_eq!(violation.nodes, vec![0, 2]);
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

// ---- log matching ---------------------------------------------------------

#[test]
fn log_matching_catches_one_index_and_term_with_different_content() {
    let a = [entry(1, 1, "x=1")];
    let b = [entry(1, 1, "x=2")];
    let mut logs = LogChecker::new(3);
    expect_ok(logs.observe(&view(0, 1, &a)));
    let violation = expect_violation(logs.observe(&view(1, 1, &b)), Invariant::LogMatching);
    assert_eq!(violation.nodes, vec![0, 1]);

    // Through every checker.
    let mut checkers = Checkers::new(3);
    expect_ok(checkers.observe(&view(0, 1, &a)));
    expect_violation(checkers.observe(&view(1, 1, &b)), Invariant::LogMatching);
}

#[test]
fn log_matching_catches_equal_entries_on_different_prefixes() {
    // Entry (2, t2) is byte for byte the same on both nodes, but the logs
    // differ before it: Log Matching says they must be identical up to it.
    let a = [entry(1, 1, "a"), entry(2, 2, "same")];
    let b = [entry(1, 2, "b"), entry(2, 2, "same")];
    let mut logs = LogChecker::new(2);
    expect_ok(logs.observe(&view(0, 2, &a)));
    expect_violation(logs.observe(&view(1, 2, &b)), Invariant::LogMatching);
}

#[test]
fn log_matching_passes_equal_logs_and_replaced_uncommitted_suffixes() {
    let mut logs = LogChecker::new(3);
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
    let mut logs = LogChecker::new(2);
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

// ---- leader append-only ---------------------------------------------------

#[test]
fn leader_append_only_catches_a_leader_losing_its_last_entry() {
    let full = [entry(1, 1, "a"), entry(2, 2, "noop"), entry(3, 2, "x")];
    let mut logs = LogChecker::new(3);
    expect_ok(logs.observe(&leader(0, 2, &full)));
    let violation = expect_violation(
        logs.observe(&leader(0, 2, &full[..2])),
        Invariant::LeaderAppendOnly,
    );
    assert_eq!(violation.nodes, vec![0]);

    // Replacing the last entry with one of an older term is no better.
    let mut logs = LogChecker::new(3);
    expect_ok(logs.observe(&leader(0, 2, &full)));
    let replaced = [entry(1, 1, "a"), entry(2, 2, "noop"), entry(3, 1, "old")];
    expect_violation(
        logs.observe(&leader(0, 2, &replaced)),
        Invariant::LeaderAppendOnly,
    );

    // Through every checker.
    let mut checkers = Checkers::new(3);
    expect_ok(checkers.observe(&leader(0, 2, &full)));
    expect_violation(
        checkers.observe(&leader(0, 2, &full[..2])),
        Invariant::LeaderAppendOnly,
    );
}

#[test]
fn leader_append_only_passes_appends_and_a_new_term() {
    let full = [entry(1, 1, "a"), entry(2, 2, "noop"), entry(3, 2, "x")];
    let mut logs = LogChecker::new(3);
    expect_ok(logs.observe(&leader(0, 2, &full[..1])));
    expect_ok(logs.observe(&leader(0, 2, &full[..2])));
    expect_ok(logs.observe(&leader(0, 2, &full)));
    // Deposed, n1 may lose its uncommitted entry 3 to the next leader, and
    // lead again later with a shorter log.
    expect_ok(logs.observe(&view(0, 3, &full[..2])));
    expect_ok(logs.observe(&leader(0, 4, &full[..2])));
}

// ---- leader completeness --------------------------------------------------

#[test]
fn leader_completeness_catches_a_later_leader_without_a_committed_entry() {
    let log = [entry(1, 1, "a")];
    let mut logs = LogChecker::new(3);
    expect_ok(logs.observe(&leader(0, 1, &log)));
    expect_ok(logs.observe(&with_commit(leader(0, 1, &log), 1)));
    // n2 leads term 2 with nothing at all.
    let violation = expect_violation(
        logs.observe(&leader(1, 2, &[])),
        Invariant::LeaderCompleteness,
    );
    assert_eq!(violation.nodes, vec![1]);

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
    let mut checkers = Checkers::new(3);
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
    let mut logs = LogChecker::new(3);
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

// ---- commit agreement and committed entries -------------------------------

#[test]
fn commit_disagreement_between_two_nodes_is_caught() {
    let a = [entry(1, 1, "a")];
    let b = [entry(1, 2, "b")];
    let mut logs = LogChecker::new(3);
    expect_ok(logs.observe(&with_commit(view(0, 1, &a), 1)));
    expect_ok(logs.observe(&view(1, 2, &b)));
    let violation = expect_violation(
        logs.observe(&with_commit(view(1, 2, &b), 1)),
        Invariant::StateMachineSafety,
    );
    assert_eq!(violation.nodes, vec![1]);

    // A commit index beyond the node's own log is as bad.
    let mut logs = LogChecker::new(3);
    expect_violation(
        logs.observe(&with_commit(view(2, 1, &a), 2)),
        Invariant::StateMachineSafety,
    );
}

#[test]
fn commit_agreement_passes_nodes_committing_one_prefix() {
    let log = [entry(1, 1, "a"), entry(2, 1, "b"), entry(3, 2, "c")];
    let mut logs = LogChecker::new(3);
    expect_ok(logs.observe(&with_commit(view(0, 2, &log), 3)));
    expect_ok(logs.observe(&with_commit(view(1, 2, &log[..2]), 1)));
    expect_ok(logs.observe(&with_commit(view(1, 2, &log), 3)));
    expect_ok(logs.observe(&with_commit(view(2, 2, &log), 2)));
    assert_eq!(logs.committed_index(), LogIndex(3));
}

#[test]
fn removing_a_committed_entry_within_one_boot_is_caught() {
    let log = [entry(1, 1, "a"), entry(2, 1, "b")];
    let mut logs = LogChecker::new(3);
    expect_ok(logs.observe(&with_commit(view(0, 1, &log), 2)));
    // Same boot, entry 2 replaced by another term's.
    let replaced = [entry(1, 1, "a"), entry(2, 2, "other")];
    let violation = expect_violation(
        logs.observe(&with_commit(view(0, 2, &replaced), 1)),
        Invariant::StateMachineSafety,
    );
    assert_eq!(violation.nodes, vec![0]);

    // Same boot, the log cut short under its committed entries.
    let mut logs = LogChecker::new(3);
    expect_ok(logs.observe(&with_commit(view(0, 1, &log), 2)));
    expect_violation(
        logs.observe(&with_commit(view(0, 1, &log[..1]), 1)),
        Invariant::StateMachineSafety,
    );
}

#[test]
fn a_crash_may_take_unsynced_entries_and_uncommitted_ones_may_go() {
    let log = [entry(1, 1, "a"), entry(2, 1, "b")];
    let mut logs = LogChecker::new(3);
    expect_ok(logs.observe(&with_commit(view(0, 1, &log), 1)));
    // Entry 2 was never committed: a new leader may replace it.
    let replaced = [entry(1, 1, "a"), entry(2, 2, "other")];
    expect_ok(logs.observe(&with_commit(view(0, 2, &replaced), 1)));

    // After a reboot the log is what the disk kept (durability is another
    // checker's business).
    let mut logs = LogChecker::new(3);
    expect_ok(logs.observe(&with_commit(view(0, 1, &log), 2)));
    let rebooted = NodeView {
        boots: 2,
        ..view(0, 1, &log[..1])
    };
    expect_ok(logs.observe(&rebooted));
}

// ---- current-term commit --------------------------------------------------

#[test]
fn current_term_commit_catches_a_leader_committing_an_older_entry() {
    let log = [entry(1, 1, "a"), entry(2, 1, "b"), entry(3, 3, "noop")];
    let mut logs = LogChecker::new(3);
    expect_ok(logs.observe(&leader(0, 3, &log)));
    let violation = expect_violation(
        logs.observe(&with_commit(leader(0, 3, &log), 2)),
        Invariant::CurrentTermCommit,
    );
    assert_eq!(violation.nodes, vec![0]);

    // Through every checker.
    let mut checkers = Checkers::new(3);
    expect_ok(checkers.observe(&leader(0, 3, &log)));
    expect_violation(
        checkers.observe(&with_commit(leader(0, 3, &log), 1)),
        Invariant::CurrentTermCommit,
    );
}

#[test]
fn current_term_commit_passes_a_commit_through_an_own_term_entry() {
    let log = [entry(1, 1, "a"), entry(2, 1, "b"), entry(3, 3, "noop")];
    let mut logs = LogChecker::new(3);
    expect_ok(logs.observe(&leader(0, 3, &log)));
    // Entries 1 and 2 commit with the leader's no-op (Figure 8).
    expect_ok(logs.observe(&with_commit(leader(0, 3, &log), 3)));
    // A follower may learn a commit at an older-term entry.
    expect_ok(logs.observe(&with_commit(view(1, 3, &log[..2]), 2)));
}

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

// ---- monotonicity ----------------------------------------------------------

#[test]
fn monotonicity_catches_a_term_going_back_within_a_boot() {
    let mut mono = Monotonicity::new(3);
    expect_ok(mono.observe(&view(0, 3, &[])));
    let violation = expect_violation(mono.observe(&view(0, 2, &[])), Invariant::Monotonicity);
    assert_eq!(violation.nodes, vec![0]);

    // Through every checker.
    let mut checkers = Checkers::new(3);
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
    assert_eq!(violation.nodes, vec![0]);

    // Through every checker, the durable term learned only from the crash
    // view (the node was last seen alive in an older term).
    let mut checkers = Checkers::new(3);
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
    assert_eq!(violation.nodes, vec![0]);

    // A new term starts the match indexes over.
    let mut mono = Monotonicity::new(3);
    expect_ok(mono.observe(&leading([(2, 5), (3, 3)])));
    expect_ok(mono.observe(&NodeView {
        matched: vec![(NodeId(2), LogIndex(0)), (NodeId(3), LogIndex(0))],
        ..leader(0, 5, &[])
    }));
}

// ---- durability ------------------------------------------------------------

#[test]
fn durability_catches_an_acknowledged_entry_gone_from_a_majority() {
    let log = [entry(1, 1, "a")];
    let mut checkers = Checkers::new(3);
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
    assert_eq!(violation.nodes, vec![1, 2]);
    expect_violation(checkers.final_check(), Invariant::Durability);
}

#[test]
fn durability_final_check_catches_a_loss_without_a_restart() {
    // The acknowledged entry was never seen committed, and two nodes
    // replaced it: only the end-of-run check can tell.
    let log = [entry(1, 1, "a")];
    let other = [entry(1, 2, "b")];
    let mut checkers = Checkers::new(3);
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
    let mut logs = LogChecker::new(3);
    for node in 0..3 {
        expect_ok(logs.observe(&view(node, 1, &log)));
    }
    expect_ok(logs.observe(&view(1, 2, &[entry(1, 2, "b")])));
    expect_ok(logs.observe(&view(2, 2, &[entry(1, 2, "b")])));
    assert!(logs.holds(0, id(1, 1)));
    assert!(!logs.holds(1, id(1, 1)));

    let mut durability = Durability::new(3);
    durability.acknowledged(&[id(1, 1)]);
    expect_violation(durability.check(&logs), Invariant::Durability);
    // With n3 down, only n2 is known to lack it.
    durability.set_alive(2, false);
    expect_ok(durability.check(&logs));
    // Entries nobody acknowledged are nobody's business.
    let mut durability = Durability::new(3);
    durability.acknowledged(&[id(1, 2)]);
    expect_ok(durability.check(&logs));
}

// ---- the wire: persist before send, one vote per term -----------------------

fn host(index: usize) -> Host {
    let voters = [NodeId(1), NodeId(2), NodeId(3)];
    Host::new(
        index,
        Config::new(NodeId(index as u64 + 1), voters),
        10_000_000,
    )
}

fn message(from: u64, to: u64, term: u64, body: MessageBody) -> Message {
    Message {
        from: NodeId(from),
        to: NodeId(to),
        term: Term(term),
        body,
    }
}

const GRANT: MessageBody = MessageBody::VoteResponse { granted: true };

#[test]
fn a_vote_granted_before_it_is_synced_is_caught() {
    let mut h = host(0);
    h.synced_hard_state.term = Term(4);
    // The vote for n2 in term 4 is not on disk yet.
    let violation = check_send(&h, &message(1, 2, 4, GRANT)).expect("an unsynced vote");
    assert_eq!(violation.invariant, Invariant::PersistBeforeSend);
    assert_eq!(violation.nodes, vec![0]);
    // Nor is term 5.
    let violation = check_send(&h, &message(1, 2, 5, GRANT)).expect("an unsynced term");
    assert_eq!(violation.invariant, Invariant::PersistBeforeSend);
    // A vote for someone else on disk does not cover this one.
    h.synced_hard_state.vote = Some(NodeId(3));
    assert!(check_send(&h, &message(1, 2, 4, GRANT)).is_some());
    // Once durable, it may go.
    h.synced_hard_state.vote = Some(NodeId(2));
    assert_eq!(check_send(&h, &message(1, 2, 4, GRANT)), None);
    // A refusal promises nothing.
    h.synced_hard_state.vote = None;
    let refuse = MessageBody::VoteResponse { granted: false };
    assert_eq!(check_send(&h, &message(1, 2, 4, refuse)), None);
}

#[test]
fn persist_before_send_covers_vote_requests_acks_and_terms() {
    let mut h = host(1);
    h.synced_hard_state.term = Term(3);
    let ask = MessageBody::VoteRequest { last_log: id(0, 0) };
    // Asking for votes in term 3 before its own vote is durable.
    assert!(check_send(&h, &message(2, 1, 3, ask.clone())).is_some());
    h.synced_hard_state.vote = Some(NodeId(2));
    assert_eq!(check_send(&h, &message(2, 1, 3, ask)), None);

    // Acknowledging entries the disk does not hold.
    h.synced_log_terms = vec![Term(1), Term(3)];
    let ack = |index| MessageBody::AppendResponse {
        index: LogIndex(index),
        reject: None,
    };
    let violation = check_send(&h, &message(2, 1, 3, ack(3))).expect("an unsynced entry");
    assert_eq!(violation.invariant, Invariant::PersistBeforeSend);
    assert_eq!(check_send(&h, &message(2, 1, 3, ack(2))), None);
    // A rejection acknowledges nothing.
    let reject = MessageBody::AppendResponse {
        index: LogIndex(7),
        reject: Some(RejectHint { probe: id(2, 3) }),
    };
    assert_eq!(check_send(&h, &message(2, 1, 3, reject)), None);

    // Any message in a term the disk has not seen.
    let violation = check_send(&h, &message(2, 1, 4, MessageBody::HeartbeatResponse))
        .expect("an unsynced term");
    assert_eq!(violation.invariant, Invariant::PersistBeforeSend);
    assert_eq!(
        check_send(&h, &message(2, 1, 3, MessageBody::HeartbeatResponse)),
        None
    );
    // PreVote speaks of a future term and promises nothing.
    let pre = MessageBody::PreVoteRequest { last_log: id(2, 3) };
    assert_eq!(check_send(&h, &message(2, 1, 4, pre)), None);
}

#[test]
fn a_second_vote_in_one_term_is_caught() {
    let mut ledger = VoteLedger::default();
    assert_eq!(ledger.observe(0, &message(1, 2, 3, GRANT)), None);
    // The same vote sent again (a retry) is the same vote.
    assert_eq!(ledger.observe(0, &message(1, 2, 3, GRANT)), None);
    // Refusals and other messages are not votes.
    let refuse = MessageBody::VoteResponse { granted: false };
    assert_eq!(ledger.observe(0, &message(1, 3, 3, refuse)), None);
    assert_eq!(
        ledger.observe(0, &message(1, 3, 3, MessageBody::HeartbeatResponse)),
        None
    );
    // Another node, or another term, may vote for someone else.
    assert_eq!(ledger.observe(1, &message(2, 3, 3, GRANT)), None);
    assert_eq!(ledger.observe(0, &message(1, 3, 4, GRANT)), None);
    let violation = ledger
        .observe(0, &message(1, 3, 3, GRANT))
        .expect("a second vote in term 3");
    assert_eq!(violation.invariant, Invariant::OneVotePerTerm);
    assert_eq!(violation.nodes, vec![0]);
}

/// Delivers `message` to `host` and returns the Raft messages it sends, and
/// the fsync it starts.
fn deliver(host: &mut Host, message: Message) -> (Vec<Message>, Option<u64>) {
    let mut out = Outbox::default();
    let packet = Packet {
        from: Endpoint::Node(message.from.0 as usize - 1),
        to: Endpoint::Node(host.index),
        payload: Payload::Raft(message),
    };
    assert!(host.on_packet(packet, &mut out));
    (raft_of(out.packets), out.sync)
}

fn raft_of(packets: Vec<Packet>) -> Vec<Message> {
    packets
        .into_iter()
        .filter_map(|p| match p.payload {
            Payload::Raft(m) => Some(m),
            _ => None,
        })
        .collect()
}

fn vote_request(from: u64, term: u64) -> Message {
    message(
        from,
        1,
        term,
        MessageBody::VoteRequest { last_log: id(0, 0) },
    )
}

#[test]
fn a_correct_host_votes_only_after_the_fsync() {
    let mut h = host(0);
    assert!(h.boot());
    let (sent, sync) = deliver(&mut h, vote_request(2, 1));
    assert!(
        !sent
            .iter()
            .any(|m| matches!(m.body, MessageBody::VoteResponse { .. })),
        "voted before the fsync: {sent:?}"
    );
    let token = sync.expect("the vote is written and synced");
    let mut out = Outbox::default();
    h.on_synced(token, &mut out);
    let sent = raft_of(out.packets);
    let vote = sent
        .iter()
        .find(|m| m.body == GRANT)
        .expect("the vote, once durable");
    assert_eq!(vote.to, NodeId(2));
    assert_eq!(check_send(&h, vote), None);
    let mut ledger = VoteLedger::default();
    assert_eq!(ledger.observe(0, vote), None);
}

#[test]
fn a_host_skipping_its_fsync_is_caught_on_the_wire() {
    let mut h = host(0);
    assert!(h.boot());
    h.bugs.skip_fsync = true;
    let (sent, sync) = deliver(&mut h, vote_request(2, 1));
    assert_eq!(sync, None);
    let vote = sent
        .iter()
        .find(|m| m.body == GRANT)
        .expect("the vote goes out at once");
    let violation = check_send(&h, vote).expect("an unsynced vote on the wire");
    assert_eq!(violation.invariant, Invariant::PersistBeforeSend);
}

#[test]
fn a_host_forgetting_its_vote_on_boot_votes_twice() {
    let mut h = host(0);
    h.bugs.forget_vote_on_boot = true;
    assert!(h.boot());
    let mut ledger = VoteLedger::default();
    let mut votes = Vec::new();
    for candidate in [2, 3] {
        let (_, sync) = deliver(&mut h, vote_request(candidate, 1));
        if let Some(token) = sync {
            let mut out = Outbox::default();
            h.on_synced(token, &mut out);
            for m in raft_of(out.packets) {
                assert_eq!(check_send(&h, &m), None, "durable before sent");
                votes.push(ledger.observe(0, &m));
            }
        }
        // Power loss and reboot between the two requests.
        h.crash(false, &mut disk_rng());
        assert!(h.boot());
    }
    let violation = votes
        .into_iter()
        .flatten()
        .next()
        .expect("the second vote in term 1 is caught");
    assert_eq!(violation.invariant, Invariant::OneVotePerTerm);

    // A correct host refuses the second candidate after the reboot.
    let mut h = host(0);
    assert!(h.boot());
    let mut ledger = VoteLedger::default();
    for candidate in [2, 3] {
        let (sent, sync) = deliver(&mut h, vote_request(candidate, 1));
        let mut sent = sent;
        if let Some(token) = sync {
            let mut out = Outbox::default();
            h.on_synced(token, &mut out);
            sent.extend(raft_of(out.packets));
        }
        for m in &sent {
            assert_eq!(ledger.observe(0, m), None);
        }
        h.crash(false, &mut disk_rng());
        assert!(h.boot());
    }
}

/// A generator for `Host::crash` (untorn crashes draw nothing from it).
fn disk_rng() -> rand_chacha::ChaCha8Rng {
    sim::streams::stream(0, sim::streams::Concern::Disk)
}

fn append(from: u64, term: u64, prev: EntryId, entries: Vec<Entry>) -> Message {
    message(
        from,
        1,
        term,
        MessageBody::AppendEntries {
            prev,
            entries,
            commit: LogIndex(0),
        },
    )
}

/// Delivers `message` and, if the host starts an fsync, completes it;
/// returns everything the host sent.
fn deliver_and_sync(host: &mut Host, message: Message) -> Vec<Message> {
    let (mut sent, sync) = deliver(host, message);
    if let Some(token) = sync {
        let mut out = Outbox::default();
        host.on_synced(token, &mut out);
        sent.extend(raft_of(out.packets));
    }
    sent
}

fn acks(sent: &[Message]) -> Vec<&Message> {
    sent.iter()
        .filter(|m| matches!(m.body, MessageBody::AppendResponse { reject: None, .. }))
        .collect()
}

/// n1 holds entries 1..=3 of term 1 durably and term 2 durably (it follows
/// n3, the leader of term 2).
fn follower_with_old_entries() -> Host {
    let mut h = host(0);
    assert!(h.boot());
    let old = vec![entry(1, 1, "a"), entry(2, 1, "b"), entry(3, 1, "c")];
    let sent = deliver_and_sync(&mut h, append(2, 1, id(0, 0), old));
    assert_eq!(acks(&sent).len(), 1, "{sent:?}");
    let heartbeat = message(3, 1, 2, MessageBody::Heartbeat { commit: id(0, 0) });
    deliver_and_sync(&mut h, heartbeat);
    assert_eq!(h.synced_hard_state.term, Term(2));
    assert_eq!(h.synced_log_terms, vec![Term(1); 3]);
    h
}

#[test]
fn an_ack_for_entries_beyond_the_disk_is_caught_on_the_wire() {
    let mut h = follower_with_old_entries();
    h.bugs.skip_fsync = true;
    // Entry 4 exists only in memory when the ack leaves.
    let sent = deliver_and_sync(&mut h, append(3, 2, id(3, 1), vec![entry(4, 2, "d")]));
    let ack = acks(&sent);
    assert_eq!(ack.len(), 1, "{sent:?}");
    let violation = check_send(&h, ack[0]).expect("an ack of an unsynced entry");
    assert_eq!(violation.invariant, Invariant::PersistBeforeSend);
}

#[test]
fn a_correct_follower_acks_replaced_entries_once_durable() {
    let mut h = follower_with_old_entries();
    let sent = deliver_and_sync(
        &mut h,
        append(3, 2, id(1, 1), vec![entry(2, 2, "B"), entry(3, 2, "C")]),
    );
    let ack = acks(&sent);
    assert_eq!(ack.len(), 1, "{sent:?}");
    assert_eq!(check_send(&h, ack[0]), None);
    assert_eq!(h.synced_log_terms, vec![Term(1), Term(2), Term(2)]);
}

#[test]
fn an_ack_for_entries_that_replaced_durable_ones_in_memory_is_caught() {
    // The follower replaces its durable entries 2 and 3 (term 1) with the
    // leader's (term 2) and acknowledges index 3 before the fsync. The disk
    // still holds three entries, the old ones, so the ack promises what is
    // not durable: after a crash n1 holds (2, t1) and (3, t1), yet the
    // leader counted it as a replica of (3, t2). `check_send` sees only the
    // count; the host checks what the ack claimed against the disk and
    // reports it in `false_acks` (the world turns it into a violation).
    let mut h = follower_with_old_entries();
    h.bugs.skip_fsync = true;
    let sent = deliver_and_sync(
        &mut h,
        append(3, 2, id(1, 1), vec![entry(2, 2, "B"), entry(3, 2, "C")]),
    );
    let ack = acks(&sent);
    assert_eq!(ack.len(), 1, "{sent:?}");
    assert_eq!(h.synced_log_terms, vec![Term(1); 3], "nothing was synced");
    assert_eq!(
        h.false_acks.len(),
        1,
        "an ack of replaced, unsynced entries"
    );
    assert!(
        h.false_acks[0].contains("acknowledged index 3"),
        "{:?}",
        h.false_acks
    );
}

//! The model checker has teeth: with a rule broken on purpose — by raft-core
//! (`RuleBreaks`) or by the host (`HostRuleBreaks`), each a bug real systems
//! have shipped — it finds a violation within small bounds, the path is a
//! shortest one (breadth-first) and short, and the scenario it writes fails
//! the same way when the simulator runs it on its own.

use raft_core::RuleBreaks;
use sim::checker::Invariant;
use sim::explore::{Bounds, Options, Preset, Search, check, scenario_text};
use sim::host::HostRuleBreaks;
use sim::scenario::{parse, run_scenario_with_breaks};

/// What the explorer found: the invariant, the path length, the scenario.
struct Found {
    invariant: Invariant,
    steps: usize,
    text: String,
}

/// Searches `bounds` breadth-first on `jobs` threads; the bug must be
/// found, and the scenario written for it must fail the same way in the
/// simulator.
fn caught(bounds: &Bounds, jobs: usize) -> Found {
    let options = Options {
        jobs,
        ..Options::default()
    };
    caught_by(bounds, &options)
}

fn caught_by(bounds: &Bounds, options: &Options) -> Found {
    let report = check(bounds, options, |_| {});
    assert!(
        report.nondeterminism.is_none(),
        "{:?}",
        report.nondeterminism
    );
    let breadth_first = options.search == Search::BreadthFirst;
    assert_eq!(
        report.shortest, breadth_first,
        "breadth-first paths are shortest"
    );
    let found = report.counterexample.unwrap_or_else(|| {
        panic!(
            "the bug escaped {bounds:?} ({} states)",
            report.distinct_states
        )
    });
    assert_eq!(
        found.story.len(),
        found.steps.len(),
        "a story line per step"
    );
    let text = scenario_text(bounds, &found);
    let scenario = parse("found.scn", &text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let outcome = run_scenario_with_breaks(&scenario, None, bounds.rule_breaks)
        .unwrap_or_else(|e| panic!("{e}\n{text}"));
    let replayed = outcome
        .failure
        .and_then(|f| f.violation)
        .unwrap_or_else(|| panic!("the scenario must fail:\n{text}"));
    assert_eq!(replayed.invariant, found.violation.invariant, "{text}");
    // With the rule kept, the same scenario runs clean (or stops at a step
    // the correct code does not allow), never breaking an invariant.
    let fixed = run_scenario_with_breaks(&scenario, None, HostRuleBreaks::default())
        .unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert!(
        fixed.failure.is_none_or(|f| f.violation.is_none()),
        "the correct code breaks nothing on this path:\n{text}"
    );
    Found {
        invariant: found.violation.invariant,
        steps: found.steps.len(),
        text,
    }
}

fn raft(breaks: RuleBreaks, mut bounds: Bounds) -> Bounds {
    bounds.rule_breaks.raft = breaks;
    bounds
}

/// Two terms, two entries (the no-ops), no proposals: enough for the
/// election and commit bugs.
fn two_terms(max_depth: u32) -> Bounds {
    Bounds::small(3, 2, max_depth)
}

#[test]
fn a_vote_granted_without_the_log_check_elects_a_leader_missing_a_committed_entry() {
    let breaks = RuleBreaks {
        vote_without_log_check: true,
        ..RuleBreaks::default()
    };
    let found = caught(&raft(breaks, two_terms(14)), 2);
    assert_eq!(
        found.invariant,
        Invariant::LeaderCompleteness,
        "{}",
        found.text
    );
    assert_eq!(found.steps, 14, "{}", found.text);
}

#[test]
fn a_vote_reset_within_a_term_is_caught() {
    let breaks = RuleBreaks {
        reset_vote_in_same_term: true,
        ..RuleBreaks::default()
    };
    let found = caught(&raft(breaks, two_terms(14)), 2);
    assert!(found.steps <= 14, "{}", found.text);
}

#[test]
fn committing_an_earlier_terms_entry_by_counting_replicas_is_caught() {
    // Raft §5.4.2: the leader of term 2 counts a majority for term 1's
    // entry and commits it. Sixteen actions, six messages in flight.
    let breaks = RuleBreaks {
        commit_previous_term: true,
        ..RuleBreaks::default()
    };
    let bounds = Bounds {
        max_msgs: 6,
        ..two_terms(16)
    };
    let found = caught(&raft(breaks, bounds), 2);
    assert_eq!(
        found.invariant,
        Invariant::CurrentTermCommit,
        "{}",
        found.text
    );
    assert_eq!(found.steps, 16, "{}", found.text);
}

#[test]
fn a_host_that_answers_before_its_fsync_is_caught() {
    let bounds = Bounds {
        rule_breaks: HostRuleBreaks {
            skip_fsync: true,
            ..HostRuleBreaks::default()
        },
        ..two_terms(10)
    };
    let found = caught(&bounds, 1);
    assert_eq!(
        found.invariant,
        Invariant::PersistBeforeSend,
        "{}",
        found.text
    );
    assert!(found.steps <= 4, "{}", found.text);
}

#[test]
fn a_host_that_forgets_its_vote_on_reboot_is_caught() {
    let bounds = Bounds {
        max_crashes: 1,
        rule_breaks: HostRuleBreaks {
            forget_vote_on_boot: true,
            ..HostRuleBreaks::default()
        },
        ..two_terms(10)
    };
    let found = caught(&bounds, 1);
    assert_eq!(found.invariant, Invariant::Monotonicity, "{}", found.text);
    assert!(found.steps <= 6, "{}", found.text);
}

#[test]
fn a_torn_crash_that_keeps_an_entry_but_loses_its_term_is_caught_at_boot() {
    // The explorer's crashes keep any prefix of a node's unsynced records:
    // here the log record of an entry of the new term survives and the
    // hard state that raised the term does not. A host that boots from the
    // meta file alone hands raft-core a log beyond its term.
    let bounds = Bounds {
        max_crashes: 1,
        max_proposals: 1,
        rule_breaks: HostRuleBreaks {
            ignore_log_term_on_boot: true,
            ..HostRuleBreaks::default()
        },
        ..two_terms(12)
    };
    let found = caught(&bounds, 2);
    assert_eq!(found.invariant, Invariant::Recovery, "{}", found.text);
    // The crash on the path keeps the entry and loses the term.
    assert!(
        found.text.contains("keep_meta=0 keep_log=1"),
        "{}",
        found.text
    );
    assert!(found.steps <= 8, "{}", found.text);
}

#[test]
fn swarm_walks_find_a_stale_append_that_erases_acknowledged_entries() {
    // Too deep for breadth-first search within a test's budget: the stale
    // append must arrive after the entries it erases were acknowledged and
    // committed. Swarm walks, each of its own drawn shape, find it (seeds
    // 0..6: all six, in 0.2 to 1.3 s on two cores; uniform walks found it
    // for none of those seeds in 200,000 walks).
    let breaks = RuleBreaks {
        truncate_on_match: true,
        ..RuleBreaks::default()
    };
    let bounds = Bounds {
        max_term: 4,
        max_log: 3,
        max_proposals: 2,
        max_depth: 40,
        ..Bounds::default()
    };
    let options = Options {
        search: Search::RandomWalk {
            walks: 200_000,
            seed: 0,
            swarm: true,
        },
        jobs: 2,
        ..Options::default()
    };
    let found = caught_by(&raft(breaks, bounds), &options);
    assert!(found.steps <= 40, "{}", found.text);
}

/// Bounds where a stretch of calm is one action (`stabilize`) and a node
/// can be cut off (`isolate`, `heal`): deep states in few actions.
fn calm(max_term: u64, max_depth: u32) -> Bounds {
    Bounds {
        max_term,
        max_log: 4,
        max_drops: 0,
        max_dups: 0,
        max_crashes: 0,
        max_proposals: 0,
        max_partitions: 1,
        settle: true,
        max_depth,
        ..Bounds::default()
    }
}

/// `calm` bounds with two client operations.
fn with_clients(max_term: u64, max_depth: u32) -> Bounds {
    Bounds {
        max_client_ops: 2,
        ..calm(max_term, max_depth)
    }
}

#[test]
fn a_deposed_leader_serving_reads_from_its_own_state_is_caught() {
    // The stale read Jepsen found in etcd 0.4: a leader cut off from the
    // others keeps answering gets while a new leader commits a write.
    let bounds = Bounds {
        rule_breaks: HostRuleBreaks {
            local_reads: true,
            ..HostRuleBreaks::default()
        },
        ..with_clients(2, 9)
    };
    let found = caught(&bounds, 2);
    assert_eq!(
        found.invariant,
        Invariant::Linearizability,
        "{}",
        found.text
    );
    assert!(found.text.contains("isolate 1"), "{}", found.text);
    assert!(found.text.contains("get 0 via 1"), "{}", found.text);
    assert_eq!(found.steps, 9, "{}", found.text);
}

#[test]
fn a_new_leader_reading_before_its_no_op_commits_is_caught() {
    // etcd issue 7331: a leader that serves a ReadIndex read before an
    // entry of its term commits reads at a commit index that may lag a
    // write the old leader acknowledged. Two nodes keep the 18 actions it
    // takes (a write acknowledged, an election, a read confirmed by a
    // heartbeat round while the no-op waits) within reach: 1.2 million
    // states.
    let bounds = Bounds {
        nodes: 2,
        max_term: 2,
        max_log: 3,
        max_msgs: 3,
        max_drops: 0,
        max_dups: 0,
        max_crashes: 0,
        max_proposals: 0,
        max_client_ops: 2,
        max_reads: 1,
        max_client_retries: 0,
        settle: true,
        max_depth: 18,
        rule_breaks: HostRuleBreaks {
            raft: RuleBreaks {
                read_before_own_term_commit: true,
                ..RuleBreaks::default()
            },
            ..HostRuleBreaks::default()
        },
        ..Bounds::default()
    };
    let found = caught(&bounds, 2);
    assert_eq!(
        found.invariant,
        Invariant::Linearizability,
        "{}",
        found.text
    );
    assert!(found.text.contains("campaign 2"), "{}", found.text);
    assert!(found.text.contains("get 0 via 2"), "{}", found.text);
    assert_eq!(found.steps, 18, "{}", found.text);
}

#[test]
fn a_retried_append_applied_twice_is_caught() {
    // Without the session table (Raft thesis §6.3) a request that reaches
    // the leader twice — a duplicate on the wire here — is applied twice,
    // and a later read shows it.
    let bounds = Bounds {
        max_dups: 1,
        max_partitions: 0,
        rule_breaks: HostRuleBreaks {
            no_dedup: true,
            ..HostRuleBreaks::default()
        },
        ..with_clients(1, 10)
    };
    let found = caught(&bounds, 2);
    assert_eq!(
        found.invariant,
        Invariant::Linearizability,
        "{}",
        found.text
    );
    assert!(
        found.text.contains("duplicate client 1 -> 1 request"),
        "{}",
        found.text
    );
    assert!(found.steps <= 10, "{}", found.text);
}

#[test]
fn a_commit_hint_trusted_past_a_torn_log_is_caught_at_boot() {
    // The follower writes an append's entries and the commit index it
    // carries in one go; a torn crash keeps the hard state's record and
    // loses the entry's, and recovery boots with a commit index past its
    // log. The leader must commit before the follower hears of the entry:
    // the follower is cut off meanwhile.
    let bounds = Bounds {
        max_proposals: 1,
        max_crashes: 1,
        max_log: 3,
        rule_breaks: HostRuleBreaks {
            trust_commit_on_boot: true,
            ..HostRuleBreaks::default()
        },
        ..calm(1, 11)
    };
    let found = caught(&bounds, 2);
    assert_eq!(found.invariant, Invariant::Recovery, "{}", found.text);
    assert!(
        found.text.contains("keep_meta=1 keep_log=0"),
        "{}",
        found.text
    );
    assert!(found.steps <= 11, "{}", found.text);
}

#[test]
fn an_append_checked_by_index_alone_is_caught() {
    // A follower that accepts an append whose previous entry matches by
    // index but not term keeps a divergent prefix (§5.3, receiver step 2).
    let breaks = RuleBreaks {
        prev_index_only: true,
        ..RuleBreaks::default()
    };
    let bounds = Bounds {
        max_log: 3,
        max_proposals: 2,
        max_crashes: 1,
        max_drops: 1,
        ..calm(3, 9)
    };
    let found = caught(&raft(breaks, bounds), 2);
    assert_eq!(found.invariant, Invariant::LogMatching, "{}", found.text);
    assert!(found.steps <= 9, "{}", found.text);
}

/// The presets' snapshot bounds (one term, a proposal, a compaction in
/// 16-byte chunks, a node cut off, a lost and a duplicated message, a
/// crash, 9 deep) with `breaks`: a follower cut off while the leader
/// compacts catches up by InstallSnapshot.
fn with_snapshots(breaks: HostRuleBreaks) -> Bounds {
    ci_set(|bounds| bounds.max_compactions > 0, breaks)
}

/// The first bound set of the `ci` preset that `pick` chooses, with
/// `breaks`.
fn ci_set(pick: impl Fn(&Bounds) -> bool, breaks: HostRuleBreaks) -> Bounds {
    let set = Preset::Ci
        .bounds()
        .into_iter()
        .find(|bounds| pick(bounds))
        .expect("the ci preset has such a set");
    Bounds {
        rule_breaks: breaks,
        ..set
    }
}

#[test]
fn a_snapshot_without_the_session_table_is_caught_where_it_is_restored() {
    let breaks = HostRuleBreaks {
        snapshot_without_sessions: true,
        ..HostRuleBreaks::default()
    };
    let found = caught(&with_snapshots(breaks), 2);
    assert_eq!(
        found.invariant,
        Invariant::StateMachineSafety,
        "{}",
        found.text
    );
    assert!(found.text.contains("compact"), "{}", found.text);
    assert!(found.steps <= 9, "{}", found.text);
}

#[test]
fn compacting_before_the_snapshot_is_durable_is_caught_at_boot() {
    let breaks = HostRuleBreaks {
        compact_before_sync: true,
        ..HostRuleBreaks::default()
    };
    let found = caught(&with_snapshots(breaks), 2);
    assert_eq!(found.invariant, Invariant::Recovery, "{}", found.text);
    assert!(found.text.contains("compact"), "{}", found.text);
    assert!(found.text.contains("restart"), "{}", found.text);
}

#[test]
fn installing_a_stale_snapshot_is_caught() {
    let breaks = HostRuleBreaks {
        raft: RuleBreaks {
            install_stale_snapshot: true,
            ..RuleBreaks::default()
        },
        ..HostRuleBreaks::default()
    };
    let found = caught(&with_snapshots(breaks), 2);
    assert!(
        matches!(
            found.invariant,
            Invariant::StateMachineSafety | Invariant::Monotonicity
        ),
        "{}",
        found.text
    );
    assert!(found.text.contains("compact"), "{}", found.text);
}

/// The membership set of the `ci` preset (a spare node, two changes and a
/// transfer asked of the leader), with `breaks`.
fn with_membership(breaks: HostRuleBreaks) -> Bounds {
    ci_set(|bounds| bounds.max_conf_changes > 0, breaks)
}

/// Ongaro's 2015 bug: a new leader proposes a change before committing an
/// entry of its term. The checkers' rule for changes catches the proposal
/// itself, a few actions after an election; the safety it costs (a
/// committed change lost) takes four nodes and two dozen actions and is
/// shown step by step in raft-core's `paper_membership` tests. Without the
/// break the same set passes (`pinned_state_counts`, and `ci` in
/// `explore.rs`).
#[test]
fn a_change_proposed_before_committing_in_the_term_is_caught() {
    let breaks = HostRuleBreaks {
        raft: RuleBreaks {
            conf_change_before_commit: true,
            ..RuleBreaks::default()
        },
        ..HostRuleBreaks::default()
    };
    let found = caught(&with_membership(breaks), 2);
    assert_eq!(found.invariant, Invariant::Membership, "{}", found.text);
    assert!(found.steps <= 8, "{}", found.text);
    assert!(
        found.text.contains("remove") || found.text.contains("add"),
        "{}",
        found.text
    );
}

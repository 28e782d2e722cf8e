//! End to end: hosts told to break a durability rule (`HostRuleBreaks`, test
//! only) are caught by the swarm, and the same seeds pass with correct hosts.

mod common;

use common::kinds;
use raft_core::RuleBreaks;
use sim::checker::Invariant;
use sim::host::HostRuleBreaks;
use sim::run::{RunOptions, RunReport};

fn options(seed: u64, breaks: HostRuleBreaks) -> RunOptions {
    let mut options = RunOptions::new(seed);
    options.spec.rule_breaks = breaks;
    options
}

/// Runs `seeds` with `breaks`, on two threads, in seed order.
fn swarm(seeds: std::ops::Range<u64>, breaks: HostRuleBreaks) -> Vec<RunReport> {
    common::swarm(seeds, |seed| options(seed, breaks))
}

/// Invariants that say the cluster lost or promised data it should not
/// have (not "it got stuck" or "it crashed").
fn is_safety(invariant: Invariant) -> bool {
    !matches!(
        invariant,
        Invariant::Liveness | Invariant::Panic | Invariant::Recovery
    )
}

#[test]
fn hosts_that_skip_the_fsync_are_caught() {
    let breaks = HostRuleBreaks {
        skip_fsync: true,
        ..HostRuleBreaks::default()
    };
    let reports = swarm(0..50, breaks);
    let kinds = kinds(&reports);
    let failed: usize = kinds.values().map(Vec::len).sum();
    eprintln!("skip_fsync: {failed} of 50 seeds failed; by invariant: {kinds:?}");
    assert!(failed >= 40, "only {failed} of 50 seeds caught skip_fsync");
    // A vote or an ack sent before its write is durable is caught on the
    // wire, the moment it is sent.
    assert!(
        kinds.contains_key(&Invariant::PersistBeforeSend),
        "persist-before-send never fired: {kinds:?}"
    );
    for (invariant, seeds) in &kinds {
        assert!(
            is_safety(*invariant),
            "skip_fsync showed up as {invariant} (seeds {seeds:?}), not as a safety violation"
        );
    }
    // Caught early, not by the end-of-run checks.
    for report in &reports {
        if let Some(failure) = &report.failure {
            assert!(
                failure.time_ns < 20_000_000_000,
                "seed {}: caught only at {} ns",
                report.seed,
                failure.time_ns
            );
        }
    }
}

#[test]
fn hosts_that_forget_their_vote_on_boot_are_caught() {
    let breaks = HostRuleBreaks {
        forget_vote_on_boot: true,
        ..HostRuleBreaks::default()
    };
    let reports = swarm(0..200, breaks);
    let kinds = kinds(&reports);
    let failed: usize = kinds.values().map(Vec::len).sum();
    eprintln!("forget_vote_on_boot: {failed} of 200 seeds failed; by invariant: {kinds:?}");
    assert!(
        failed >= 10,
        "only {failed} of 200 seeds caught forget_vote_on_boot"
    );
    // Forgetting a durable vote is a monotonicity break at the restart, or
    // a second vote in one term on the wire.
    assert!(
        kinds
            .keys()
            .any(|k| matches!(k, Invariant::Monotonicity | Invariant::OneVotePerTerm)),
        "neither monotonicity nor one-vote-per-term fired: {kinds:?}"
    );
    for (invariant, seeds) in &kinds {
        assert!(
            is_safety(*invariant),
            "forget_vote_on_boot showed up as {invariant} (seeds {seeds:?})"
        );
    }
    // Only runs with crashes can forget anything.
    for report in &reports {
        if report.failure.is_some() {
            assert!(
                report.world.restarts > 0 || report.world.crashes > 0,
                "seed {} failed without a crash",
                report.seed
            );
        }
    }
}

#[test]
fn the_same_seeds_pass_with_correct_hosts() {
    let reports = swarm(0..200, HostRuleBreaks::default());
    let failures: Vec<String> = reports
        .iter()
        .filter_map(|r| {
            r.failure
                .as_ref()
                .map(|f| format!("seed {}: {}", r.seed, f.violation))
        })
        .collect();
    assert!(failures.is_empty(), "failures: {failures:#?}");
    // The seeds exercise crashes, so the bug runs above had a chance.
    let crashed = reports.iter().filter(|r| r.world.crashes > 0).count();
    assert!(crashed >= 50, "only {crashed} of 200 seeds crashed a node");
}

/// raft-core told to break a rule of Raft: the swarm catches each with a
/// safety violation on some of the first 200 seeds (the same seeds pass
/// with the rules kept, above).
#[test]
fn raft_rule_breaks_are_caught_by_the_swarm() {
    let cases = [
        (
            "commit by counting an earlier term's replicas",
            RuleBreaks {
                commit_previous_term: true,
                ..RuleBreaks::default()
            },
        ),
        (
            "a vote without the log check",
            RuleBreaks {
                vote_without_log_check: true,
                ..RuleBreaks::default()
            },
        ),
        (
            "a vote reset within a term",
            RuleBreaks {
                reset_vote_in_same_term: true,
                ..RuleBreaks::default()
            },
        ),
        (
            "a truncation on a matching append",
            RuleBreaks {
                truncate_on_match: true,
                ..RuleBreaks::default()
            },
        ),
    ];
    for (name, raft) in cases {
        let breaks = HostRuleBreaks {
            raft,
            ..HostRuleBreaks::default()
        };
        let kinds = kinds(&swarm(0..200, breaks));
        assert!(
            kinds.keys().any(|invariant| is_safety(*invariant)),
            "{name} escaped 200 seeds: {kinds:?}"
        );
    }
}

/// Runs `seeds` with `bugs` and returns the seeds caught, asserting that
/// every failure is a linearizability violation with a small counterexample.
fn caught_by_linearizability(seeds: std::ops::Range<u64>, breaks: HostRuleBreaks) -> Vec<u64> {
    let reports = swarm(seeds, breaks);
    let mut caught = Vec::new();
    for report in &reports {
        let Some(failure) = &report.failure else {
            continue;
        };
        let violation = &failure.violation;
        assert_eq!(
            violation.invariant,
            Invariant::Linearizability,
            "seed {}: {violation}",
            report.seed
        );
        let found = violation
            .not_linearizable
            .as_ref()
            .expect("a linearizability violation carries its counterexample");
        // Cut down to the stale or doubled read and the writes it saw (a
        // list of a few values), out of the dozens the key had.
        assert!(
            !found.operations.is_empty() && found.operations.len() <= 12,
            "seed {}: cut down to {} operations",
            report.seed,
            found.operations.len()
        );
        assert!(
            found.operations.iter().any(|op| op.at == found.stuck),
            "the stuck operation is among those shown"
        );
        caught.push(report.seed);
    }
    caught
}

#[test]
fn a_deposed_leader_serving_reads_from_its_own_state_is_caught_by_linearizability() {
    let breaks = HostRuleBreaks {
        local_reads: true,
        ..HostRuleBreaks::default()
    };
    // Rare in the swarm (a client must read from a leader cut off without
    // CheckQuorum while the majority writes): 7 of seeds 0..1000.
    // `linearizable_deposed_leader.scn` shows it every time.
    let caught = caught_by_linearizability(0..1000, breaks);
    eprintln!(
        "local_reads: {} of 1000 seeds caught: {caught:?}",
        caught.len()
    );
    assert!(caught.len() >= 3, "only {caught:?} caught local reads");
}

/// A new leader that serves ReadIndex reads before its no-op commits reads
/// at a commit index that may lag an acknowledged write (etcd issue 7331).
/// It takes a leader change while writes are acknowledged and a read
/// confirmed before the no-op commits: with the default two clients, 1 of
/// seeds 0..1000; with eight, 11 of seeds 0..500 (the `--clients 8`
/// swarm). `reads_before_new_leader_commits.scn` shows it every time.
#[test]
fn a_new_leader_reading_before_its_no_op_commits_is_caught_by_linearizability() {
    let breaks = HostRuleBreaks {
        raft: RuleBreaks {
            read_before_own_term_commit: true,
            ..RuleBreaks::default()
        },
        ..HostRuleBreaks::default()
    };
    let reports = common::swarm(0..200, |seed| {
        let mut options = options(seed, breaks);
        options.spec.clients = 8;
        options
    });
    let caught: Vec<u64> = reports
        .iter()
        .filter(|r| {
            r.failure
                .as_ref()
                .is_some_and(|f| f.violation.invariant == Invariant::Linearizability)
        })
        .map(|r| r.seed)
        .collect();
    let others: Vec<String> = reports
        .iter()
        .filter_map(|r| r.failure.as_ref().map(|f| (r.seed, f)))
        .filter(|(_, f)| f.violation.invariant != Invariant::Linearizability)
        .map(|(seed, f)| format!("{seed}: {}", f.violation))
        .collect();
    eprintln!("read_before_own_term_commit: caught in {caught:?} of 0..200");
    assert!(others.is_empty(), "other failures: {others:?}");
    assert!(caught.len() >= 2, "only {caught:?} caught");
}

#[test]
fn a_retry_applied_twice_is_caught_by_linearizability() {
    let breaks = HostRuleBreaks {
        no_dedup: true,
        ..HostRuleBreaks::default()
    };
    let caught = caught_by_linearizability(0..40, breaks);
    eprintln!("no_dedup: {} of 40 seeds caught", caught.len());
    assert!(
        caught.len() >= 20,
        "only {caught:?} caught a retry applied twice"
    );
}

#[test]
fn elections_several_timeouts_late_are_caught_by_the_availability_check() {
    let breaks = breaking(RuleBreaks {
        slow_elections: true,
        ..RuleBreaks::default()
    });
    let reports = swarm(0..100, breaks);
    // Safe, and it always elects in the end: only availability fails.
    assert_only_liveness(&reports);
    let mut caught = Vec::new();
    for report in &reports {
        let Some(failure) = &report.failure else {
            continue;
        };
        let violation = &failure.violation;
        assert_eq!(
            violation.stuck,
            Some(sim::checker::Stuck::Unavailable),
            "seed {}: {violation}",
            report.seed
        );
        caught.push(report.seed);
    }
    eprintln!(
        "slow_elections: {} of 100 seeds caught: {caught:?}",
        caught.len()
    );
    assert!(caught.len() >= 3, "only {caught:?} caught slow elections");
    // The figures show it on every run: the median run's longest stable
    // time without a leader is several times the correct cluster's.
    let mut shares: Vec<f64> = reports
        .iter()
        .map(|r| r.availability.stable_leaderless_max_of_bound)
        .collect();
    shares.sort_by(f64::total_cmp);
    let correct = swarm(0..100, HostRuleBreaks::default());
    let mut correct_shares: Vec<f64> = correct
        .iter()
        .map(|r| r.availability.stable_leaderless_max_of_bound)
        .collect();
    correct_shares.sort_by(f64::total_cmp);
    assert!(
        shares[50] > 3.0 * correct_shares[50],
        "median share {} vs correct {}",
        shares[50],
        correct_shares[50]
    );
}

/// A host whose raft-core breaks `rules`.
fn breaking(rules: RuleBreaks) -> HostRuleBreaks {
    HostRuleBreaks {
        raft: rules,
        ..HostRuleBreaks::default()
    }
}

/// Every failure among `reports` is a liveness failure (the rule broken is
/// safe).
fn assert_only_liveness(reports: &[RunReport]) {
    for report in reports {
        if let Some(failure) = &report.failure {
            let violation = &failure.violation;
            assert_eq!(
                violation.invariant,
                Invariant::Liveness,
                "seed {}: {violation}",
                report.seed
            );
        }
    }
}

/// Seeds of `reports` that failed on liveness with `stuck`, and whose
/// message contains `says`.
fn stuck_seeds(reports: &[RunReport], stuck: sim::checker::Stuck, says: &str) -> Vec<u64> {
    reports
        .iter()
        .filter_map(|r| Some((r.seed, &r.failure.as_ref()?.violation)))
        .filter(|(_, v)| v.stuck == Some(stuck) && v.message.contains(says))
        .map(|(seed, _)| seed)
        .collect()
}

#[test]
fn a_leader_whose_replication_stalls_is_caught_while_the_run_goes_on() {
    let breaks = breaking(RuleBreaks {
        stall_after_lost_append: true,
        ..RuleBreaks::default()
    });
    let reports = swarm(0..60, breaks);
    // Safe: whatever fails, fails on liveness.
    assert_only_liveness(&reports);
    let caught = stuck_seeds(
        &reports,
        sim::checker::Stuck::OpsSlow,
        "replication did not move",
    );
    eprintln!(
        "stall_after_lost_append: {} of 60 seeds caught while running: {caught:?}",
        caught.len()
    );
    assert!(
        caught.len() >= 10,
        "only {caught:?} caught a stalled leader"
    );
}

#[test]
fn a_host_that_ignores_clients_is_caught_while_they_wait() {
    let breaks = HostRuleBreaks {
        mute_after_restart: true,
        ..HostRuleBreaks::default()
    };
    let reports = swarm(0..60, breaks);
    let caught = stuck_seeds(&reports, sim::checker::Stuck::OpsSlow, "waited");
    eprintln!(
        "mute_after_restart: {} of 60 seeds caught while clients waited: {caught:?}",
        caught.len()
    );
    assert!(
        caught.len() >= 5,
        "only {caught:?} caught clients waiting on a muted leader"
    );
}

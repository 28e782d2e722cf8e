//! End to end: snapshot bugs real servers have shipped, switched on as
//! test-only rule breaks, are caught by the swarm with snapshots every 3
//! entries; the same seeds pass with correct hosts, and a share of the
//! default swarm's seeds (which pick snapshots for themselves) catch up by
//! InstallSnapshot.

mod common;

use common::kinds;
use raft_core::RuleBreaks;
use sim::checker::Invariant;
use sim::host::HostRuleBreaks;
use sim::run::{RunOptions, RunReport};

/// Runs `seeds` with snapshots every `every` entries (`None`: the seed
/// picks) and `breaks`, on two threads, in seed order.
fn swarm(
    seeds: std::ops::Range<u64>,
    every: Option<Option<u64>>,
    breaks: HostRuleBreaks,
) -> Vec<RunReport> {
    common::swarm(seeds, |seed| {
        let mut options = RunOptions::new(seed);
        options.spec.rule_breaks = breaks;
        options.snapshot_every = every;
        options
    })
}

const EVERY_3: Option<Option<u64>> = Some(Some(3));

#[test]
fn correct_hosts_pass_with_snapshots_every_3_entries_and_followers_install_them() {
    let reports = swarm(0..60, EVERY_3, HostRuleBreaks::default());
    let kinds = kinds(&reports);
    assert!(kinds.is_empty(), "failures: {kinds:?}");
    let installed = reports
        .iter()
        .filter(|r| r.world.snapshots_installed > 0)
        .count();
    let taken: u64 = reports.iter().map(|r| r.world.snapshots_taken).sum();
    assert!(taken > 1000, "only {taken} snapshots in 60 seeds");
    assert!(
        installed >= 40,
        "only {installed} of 60 seeds installed one"
    );
}

#[test]
fn a_snapshot_without_the_session_table_is_caught_where_it_is_restored() {
    let breaks = HostRuleBreaks {
        snapshot_without_sessions: true,
        ..HostRuleBreaks::default()
    };
    let kinds = kinds(&swarm(0..30, EVERY_3, breaks));
    let caught = kinds
        .get(&Invariant::StateMachineSafety)
        .map_or(0, Vec::len);
    assert!(caught >= 20, "caught on {caught} of 30 seeds: {kinds:?}");
}

#[test]
fn compacting_before_the_snapshot_is_durable_is_caught_after_a_crash() {
    let breaks = HostRuleBreaks {
        compact_before_sync: true,
        ..HostRuleBreaks::default()
    };
    let kinds = kinds(&swarm(0..30, EVERY_3, breaks));
    let caught = kinds.get(&Invariant::Recovery).map_or(0, Vec::len);
    assert!(caught >= 10, "caught on {caught} of 30 seeds: {kinds:?}");
}

#[test]
fn installing_a_snapshot_older_than_the_commit_index_is_caught() {
    let breaks = HostRuleBreaks {
        raft: RuleBreaks {
            install_stale_snapshot: true,
            ..RuleBreaks::default()
        },
        ..HostRuleBreaks::default()
    };
    let kinds = kinds(&swarm(0..30, EVERY_3, breaks));
    let caught: usize = [Invariant::StateMachineSafety, Invariant::Monotonicity]
        .iter()
        .filter_map(|invariant| kinds.get(invariant))
        .map(Vec::len)
        .sum();
    assert!(caught >= 20, "caught on {caught} of 30 seeds: {kinds:?}");
}

/// The default swarm turns snapshots on in about half of its seeds, with
/// small thresholds, so that a node that was down or cut off catches up by
/// InstallSnapshot in a share of them.
#[test]
fn the_default_swarm_sends_snapshots_in_a_share_of_its_seeds() {
    let reports = swarm(0..100, None, HostRuleBreaks::default());
    let kinds = kinds(&reports);
    assert!(kinds.is_empty(), "failures: {kinds:?}");
    let on = reports
        .iter()
        .filter(|r| r.mix.snapshot_every_entries.is_some())
        .count();
    let sent = reports
        .iter()
        .filter(|r| r.world.snapshot_chunks_sent > 0)
        .count();
    assert!((30..=70).contains(&on), "{on} of 100 seeds snapshot");
    assert!(sent >= 15, "only {sent} of 100 seeds sent a snapshot");
}

//! Helpers the swarm-level tests share: seeds run on two threads (one run
//! per thread at a time, as the swarm does) and failures counted by
//! invariant.
#![allow(dead_code)]

use std::collections::BTreeMap;

use sim::checker::Invariant;
use sim::run::{RunOptions, RunReport, run};

/// Runs `seeds`, each with the options `options` makes for it, on two
/// threads; the reports in seed order.
pub fn swarm(
    seeds: std::ops::Range<u64>,
    options: impl Fn(u64) -> RunOptions + Sync,
) -> Vec<RunReport> {
    let options = &options;
    let mut reports: Vec<RunReport> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..2u64)
            .map(|parity| {
                let seeds = seeds.clone();
                scope.spawn(move || {
                    seeds
                        .filter(|seed| seed % 2 == parity)
                        .map(|seed| run(&options(seed), None))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("runs catch their own panics"))
            .collect()
    });
    reports.sort_by_key(|r| r.seed);
    reports
}

/// The seeds that failed, by invariant.
pub fn kinds(reports: &[RunReport]) -> BTreeMap<Invariant, Vec<u64>> {
    let mut kinds: BTreeMap<Invariant, Vec<u64>> = BTreeMap::new();
    for report in reports {
        if let Some(failure) = &report.failure {
            kinds
                .entry(failure.violation.invariant)
                .or_default()
                .push(report.seed);
        }
    }
    kinds
}

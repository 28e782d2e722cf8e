//! The simulator's speed, on one core, for the default 3-node swarm run:
//! events per wall second, simulated seconds per wall second, seeds per
//! minute, and the share of the time spent in the checkers (the same seeds
//! run again with the checkers off) and in the linearizability checker
//! alone (run again with only it off).
//!
//! `cargo bench -p sim --bench swarm_throughput` (add a seed count to change
//! the default of 200). Benchmarks are outside the determinism rules: they
//! read the wall clock, never the simulated runs.

mod common;

use std::time::Instant;

use sim::run::{RunOptions, run};

struct Totals {
    wall_s: f64,
    events: u64,
    sim_ns: u64,
    seeds: u64,
}

fn measure(seeds: u64, checkers: bool, lincheck: bool) -> Totals {
    let started = Instant::now();
    let mut totals = Totals {
        wall_s: 0.0,
        events: 0,
        sim_ns: 0,
        seeds,
    };
    for seed in 0..seeds {
        let mut options = RunOptions::new(seed);
        options.nodes = Some(3); // the default 3-node configuration
        options.checkers = checkers;
        if !lincheck {
            options.lincheck_budget = None;
        }
        let report = run(&options, None);
        assert!(
            report.ok() || !checkers,
            "seed {seed} failed: {:?}",
            report.failure
        );
        totals.events += report.events;
        totals.sim_ns += report.sim_time_ns;
    }
    totals.wall_s = started.elapsed().as_secs_f64();
    totals
}

fn main() {
    let seeds: u64 = common::count_arg(200);
    let rounds = 5;
    let mut on = Vec::new();
    let mut off = Vec::new();
    let mut no_lincheck = Vec::new();
    let mut last = None;
    for _ in 0..rounds {
        let with = measure(seeds, true, true);
        let without = measure(seeds, false, false);
        no_lincheck.push(measure(seeds, true, false).wall_s);
        on.push(with.wall_s);
        off.push(without.wall_s);
        last = Some(with);
    }
    let totals = last.expect("at least one round");
    let wall_on = common::median(on);
    let wall_off = common::median(off);
    let wall_no_lincheck = common::median(no_lincheck);
    println!(
        "swarm_throughput: {} seeds x {rounds} rounds, one core, checkers on (median wall {wall_on:.3} s)",
        totals.seeds
    );
    println!(
        "  {:.0} events/s, {:.0} simulated s per wall s, {:.0} seeds/min",
        totals.events as f64 / wall_on,
        totals.sim_ns as f64 / 1e9 / wall_on,
        totals.seeds as f64 / wall_on * 60.0
    );
    println!(
        "  checkers: {:.1}% of the run (checkers off: median wall {wall_off:.3} s)",
        (wall_on - wall_off) / wall_on * 100.0
    );
    println!(
        "  linearizability checker: {:.1}% of the run (only it off: median wall {wall_no_lincheck:.3} s)",
        (wall_on - wall_no_lincheck) / wall_on * 100.0
    );
}

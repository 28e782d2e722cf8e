//! What membership changes cost the swarm, on one core: the default
//! swarm's seeds with the membership plan off and on (`--membership
//! off|on`: each seed's other settings and faults as the seed picks them),
//! events per wall second and simulated seconds per wall second, with the
//! ratio to "off"; and how many seeds changed members, committed changes
//! and transferred leadership.
//!
//! `cargo bench -p sim --bench membership_throughput` (add a seed count to
//! change the default of 100). Benchmarks read the wall clock; the
//! simulated runs never do.

mod common;

use std::time::Instant;

use sim::run::{RunOptions, run};

/// One pass over `seeds`: wall seconds, events, simulated ns, and the
/// seeds whose members changed, the changes committed, the transfers.
fn swarm(seeds: u64, membership: bool) -> (f64, u64, u64, u64, u64, u64) {
    let started = Instant::now();
    let (mut events, mut sim_ns, mut changed, mut done, mut transfers) = (0, 0, 0, 0, 0);
    for seed in 0..seeds {
        let mut options = RunOptions::new(seed);
        options.membership = Some(membership);
        let report = run(&options, None);
        assert!(report.ok(), "seed {seed} failed: {:?}", report.failure);
        events += report.events;
        sim_ns += report.sim_time_ns;
        let stats = &report.world;
        changed += u64::from(stats.membership_changes_done > 0);
        done += stats.membership_changes_done;
        transfers += stats.leader_transfers;
    }
    let wall = started.elapsed().as_secs_f64();
    (wall, events, sim_ns, changed, done, transfers)
}

fn main() {
    let seeds: u64 = common::count_arg(100);
    let rounds = 3;
    println!("membership_throughput: {seeds} seeds x {rounds} rounds, one core");
    let mut off = (0.0, 0.0);
    for membership in [false, true] {
        let mut walls = Vec::new();
        let mut last = (0, 0, 0, 0, 0);
        for _ in 0..rounds {
            let (wall, events, sim_ns, changed, done, transfers) = swarm(seeds, membership);
            walls.push(wall);
            last = (events, sim_ns, changed, done, transfers);
        }
        let wall = common::median(walls);
        let events_per_s = last.0 as f64 / wall;
        let sim_per_s = last.1 as f64 / 1e9 / wall;
        if !membership {
            off = (events_per_s, sim_per_s);
        }
        let name = if membership { "on" } else { "off" };
        println!(
            "  membership {name:>3}: {events_per_s:>9.0} events/s ({:.2}x off), {sim_per_s:>6.0} simulated s per wall s ({:.2}x off), median wall {wall:.3} s; {} seeds changed members, {} changes committed, {} transfers",
            events_per_s / off.0,
            sim_per_s / off.1,
            last.2,
            last.3,
            last.4
        );
    }
}

//! What snapshots cost and how fast one travels, on one core:
//!
//! 1. The default swarm's seeds with snapshots never, and every 10 and
//!    every 3 applied entries (each seed's other settings as the seed
//!    picks): events per wall second and simulated seconds per wall second,
//!    with the ratio to "never" (target: within 15%).
//! 2. A 1 MiB snapshot sent to a follower that was cut off, in 64 KiB
//!    chunks, over the simulated network: the events from the heal until
//!    the follower applied the snapshot, the chunks sent, and the wall time.
//!
//! `cargo bench -p sim --bench snapshot_throughput` (add a seed count to
//! change the default of 100). Benchmarks read the wall clock; the
//! simulated runs never do.

mod common;

use std::time::Instant;

use sim::cluster::ClusterSpec;
use sim::run::{RunOptions, run};
use sim::slot::NodeSlot;
use sim::world::{Action, World};

fn swarm(seeds: u64, every: Option<u64>) -> (f64, u64, u64) {
    let started = Instant::now();
    let (mut events, mut sim_ns) = (0, 0);
    for seed in 0..seeds {
        let mut options = RunOptions::new(seed);
        options.nodes = Some(3);
        options.snapshot_every = Some(every);
        let report = run(&options, None);
        assert!(report.ok(), "seed {seed} failed: {:?}", report.failure);
        events += report.events;
        sim_ns += report.sim_time_ns;
    }
    (started.elapsed().as_secs_f64(), events, sim_ns)
}

/// Steps `world` until `done` holds (or the schedule runs dry); returns the
/// events stepped.
fn step_until(world: &mut World, done: impl Fn(&World) -> bool) -> u64 {
    let mut events = 0;
    while !done(world) {
        match world.step() {
            Ok(true) => events += 1,
            Ok(false) => break,
            Err(violation) => panic!("{violation}"),
        }
        assert!(events < 50_000_000, "the cluster never got there");
    }
    events
}

/// A 1 MiB snapshot to a follower: (events, chunks, wall seconds).
fn one_mebibyte_install() -> (u64, u64, f64) {
    let mut spec = ClusterSpec {
        clients: 0,
        ..ClusterSpec::default()
    };
    spec.raft.max_snapshot_chunk_bytes = 64 * 1024;
    let mut world = World::new(spec, 1);
    step_until(&mut world, |w| w.followed_leader().is_some());
    let leader = world.followed_leader().expect("elected");
    let lagging = NodeSlot::all(3).find(|n| *n != leader).expect("3 nodes");
    world
        .apply(Action::isolate(&[lagging], 3))
        .expect("no violation");
    // Direct proposals append small values to one key: about 350,000 of
    // them make the store's snapshot 1 MiB.
    let size = |w: &World| w.hosts[leader.index()].kv().snapshot().len();
    while size(&world) < 1 << 20 {
        world
            .apply(Action::Propose {
                node: leader,
                count: 50_000,
            })
            .expect("no violation");
        let target = world.hosts[leader.index()]
            .node()
            .expect("up")
            .log()
            .last_index();
        step_until(&mut world, |w| {
            w.hosts[leader.index()].node().expect("up").log().applied() >= target
        });
    }
    world.apply(Action::Compact(leader)).expect("no violation");
    step_until(&mut world, |w| w.stats.snapshots_taken > 0);
    let index = world.hosts[leader.index()]
        .node()
        .expect("up")
        .log()
        .snapshot()
        .index;
    let chunks_before = world.stats.snapshot_chunks_sent;
    let started = Instant::now();
    world.apply(Action::Heal).expect("no violation");
    let events = step_until(&mut world, |w| {
        w.hosts[lagging.index()]
            .node()
            .is_some_and(|raw| raw.log().applied() >= index)
    });
    let wall_s = started.elapsed().as_secs_f64();
    (
        events,
        world.stats.snapshot_chunks_sent - chunks_before,
        wall_s,
    )
}

fn main() {
    let seeds: u64 = common::count_arg(100);
    let rounds = 3;
    println!("snapshot_throughput: {seeds} seeds x {rounds} rounds, one core, 3 nodes");
    let mut never = (0.0, 0.0);
    for every in [None, Some(10), Some(3)] {
        let mut walls = Vec::new();
        let mut last = (0, 0);
        for _ in 0..rounds {
            let (wall, events, sim_ns) = swarm(seeds, every);
            walls.push(wall);
            last = (events, sim_ns);
        }
        let wall = common::median(walls);
        let events_per_s = last.0 as f64 / wall;
        let sim_per_s = last.1 as f64 / 1e9 / wall;
        if every.is_none() {
            never = (events_per_s, sim_per_s);
        }
        let name = every.map_or("never".to_string(), |e| format!("every {e}"));
        println!(
            "  snapshots {name:>8}: {events_per_s:>9.0} events/s ({:.2}x never), {sim_per_s:>6.0} simulated s per wall s ({:.2}x never), median wall {wall:.3} s",
            events_per_s / never.0,
            sim_per_s / never.1
        );
    }
    let (events, chunks, wall) = one_mebibyte_install();
    println!(
        "  a 1 MiB snapshot to a follower back from a partition: {events} events, {chunks} chunks of 64 KiB, {:.1} ms wall, from the heal until it applied it",
        wall * 1e3
    );
}

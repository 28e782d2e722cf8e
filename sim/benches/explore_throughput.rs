//! The model checker's speed and memory for `--nodes 3 --max-term 3
//! --max-log 2`-class bounds: distinct states per second on one core and on
//! every core, bytes per visited state (the visited set and the trail), and
//! the process's peak resident memory.
//!
//! `cargo bench -p sim --bench explore_throughput` (add a depth to change
//! the default of 13). Benchmarks are outside the determinism rules: they
//! read the wall clock, never the search.

mod common;

use std::time::Instant;

use sim::explore::{Bounds, Options, Report, check};

// The allocator `raftsim` itself runs on, so the figures match the CLI's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn bounds(max_depth: u32) -> Bounds {
    Bounds {
        max_term: 3,
        max_log: 2,
        max_msgs: 5,
        max_drops: 0,
        max_dups: 0,
        max_crashes: 0,
        max_proposals: 1,
        max_depth,
        ..Bounds::default()
    }
}

fn measure(bounds: &Bounds, jobs: usize, partial_order: bool) -> (f64, Report) {
    let options = Options {
        jobs,
        partial_order,
        ..Options::default()
    };
    let started = Instant::now();
    let report = check(bounds, &options, |_| {});
    let wall = started.elapsed().as_secs_f64();
    assert!(
        report.counterexample.is_none(),
        "{:?}",
        report.counterexample
    );
    (wall, report)
}

/// The peak resident memory so far, where the system tells it (Linux).
fn peak_resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

fn main() {
    let max_depth = u32::try_from(common::count_arg(13)).unwrap_or(13);
    let bounds = bounds(max_depth);
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let rounds = 3;
    println!(
        "explore_throughput: --nodes 3 --max-term 3 --max-log 2 --max-msgs 5 --max-proposals 1 \
         --max-depth {max_depth}, {rounds} rounds"
    );
    let mut one_core = 0.0;
    let mut configurations = vec![(1, false)];
    if cores > 1 {
        configurations.push((cores, false));
    }
    configurations.push((1, true));
    if cores > 1 {
        configurations.push((cores, true));
    }
    for (jobs, partial_order) in configurations {
        let runs: Vec<(f64, Report)> = (0..rounds)
            .map(|_| measure(&bounds, jobs, partial_order))
            .collect();
        let distinct = runs[0].1.distinct_states;
        assert!(runs.iter().all(|(_, r)| r.distinct_states == distinct));
        let wall = common::median(runs.iter().map(|(w, _)| *w).collect());
        let rate = distinct as f64 / wall;
        if jobs == 1 {
            one_core = rate;
        }
        let report = &runs[0].1;
        let reduction = if partial_order {
            ", partial-order reduction"
        } else {
            ""
        };
        println!(
            "  {jobs} thread(s){reduction}: {distinct} distinct ({} generated) in {wall:.2} s \
             (median): {rate:.0} distinct states/s{}",
            report.generated_states,
            if jobs > 1 {
                format!(", {:.2}x one thread", rate / one_core)
            } else {
                String::new()
            }
        );
        println!(
            "    visited set and trail: {} bytes, {:.1} bytes per visited state",
            report.visited_bytes,
            report.visited_bytes as f64 / distinct as f64
        );
    }
    if let Some(peak) = peak_resident_bytes() {
        println!(
            "  peak resident memory of the process: {:.0} MB",
            peak as f64 / 1e6
        );
    }
}

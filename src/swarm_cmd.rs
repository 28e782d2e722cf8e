//! `raftsim swarm`: many seeds, one run per thread at a time (parallelism
//! only across runs, never inside one), with a progress bar.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::Instant;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use sim::run::{RunReport, run};

use crate::RunArgs;
use crate::run_cmd::json_line;

/// Arguments of `raftsim swarm`.
#[derive(Debug, Args)]
pub struct SwarmArgs {
    /// Seeds to run, as START..END (END excluded), e.g. 0..1000.
    #[arg(long, value_parser = parse_range)]
    seeds: (u64, u64),
    /// Runs at once (default: the number of cores).
    #[arg(long)]
    jobs: Option<usize>,
    /// Run only slice K of N of the seed range (1-based), e.g. 3/8, so that
    /// a CI matrix or a batch system splits a large range across machines.
    #[arg(long, value_parser = parse_partition)]
    partition: Option<(u64, u64)>,
    #[command(flatten)]
    run: RunArgs,
}

fn parse_range(text: &str) -> Result<(u64, u64), String> {
    let (start, end) = text
        .split_once("..")
        .ok_or_else(|| format!("`{text}` is not a range START..END"))?;
    let number = |s: &str| {
        s.parse::<u64>()
            .map_err(|_| format!("`{s}` in `{text}` is not a seed number"))
    };
    let (start, end) = (number(start)?, number(end)?);
    if end <= start {
        return Err(format!("`{text}` is empty: END must be above START"));
    }
    Ok((start, end))
}

fn parse_partition(text: &str) -> Result<(u64, u64), String> {
    let (k, n) = text
        .split_once('/')
        .ok_or_else(|| format!("`{text}` is not K/N"))?;
    let k: u64 = k.parse().map_err(|_| format!("`{k}` is not a number"))?;
    let n: u64 = n.parse().map_err(|_| format!("`{n}` is not a number"))?;
    if n == 0 || k == 0 || k > n {
        return Err(format!("`{text}`: need 1 <= K <= N"));
    }
    Ok((k, n))
}

/// The seeds of slice `k` of `n` of `[start, end)`: contiguous chunks.
fn slice((start, end): (u64, u64), partition: Option<(u64, u64)>) -> (u64, u64) {
    let Some((k, n)) = partition else {
        return (start, end);
    };
    let len = u128::from(end - start);
    let at = |i: u64| start + (len * u128::from(i) / u128::from(n)) as u64;
    (at(k - 1), at(k))
}

/// Runs the swarm; returns the exit status.
pub fn swarm(args: &SwarmArgs) -> i32 {
    if args.run.trace.is_some() || args.run.seed.is_some() {
        eprintln!(
            "raftsim swarm: --trace and --seed apply to single runs; replay one seed for a trace"
        );
        return 2;
    }
    let (start, end) = slice(args.seeds, args.partition);
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let total = end - start;
    let bar = if args.run.json {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(total)
    };
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} seeds  {msg}  {per_sec}  eta {eta}")
            .expect("valid template"),
    );
    bar.set_message("0 failures");
    let started = Instant::now();
    let next = AtomicU64::new(start);
    let (sender, receiver) = mpsc::channel::<RunReport>();
    let mut failures: Vec<RunReport> = Vec::new();
    let mut events = 0u64;
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            let sender = sender.clone();
            let next = &next;
            let run_args = &args.run;
            scope.spawn(move || {
                loop {
                    let seed = next.fetch_add(1, Ordering::Relaxed);
                    if seed >= end {
                        return;
                    }
                    if sender.send(run(&run_args.options(seed), None)).is_err() {
                        return;
                    }
                }
            });
        }
        drop(sender);
        for report in receiver {
            events += report.events;
            if args.run.json {
                println!("{}", json_line(&report));
            }
            if !report.ok() {
                failures.push(report);
                bar.set_message(format!("{} failures", failures.len()));
            }
            bar.inc(1);
        }
    });
    bar.finish_and_clear();
    failures.sort_by_key(|r| r.seed);
    if !args.run.json {
        let wall = started.elapsed().as_secs_f64();
        println!(
            "raftsim swarm: seeds {start}..{end}, {total} runs, {} failed, {:.1} s wall ({:.0} seeds/min, {:.0} events/s, {jobs} jobs)",
            failures.len(),
            wall,
            total as f64 / wall.max(1e-9) * 60.0,
            events as f64 / wall.max(1e-9)
        );
        if !failures.is_empty() {
            println!("{:>12}  {:<22}  message", "seed", "invariant");
            for report in &failures {
                let failure = report.failure.as_ref().expect("failed");
                println!(
                    "{:>12}  {:<22}  {}",
                    report.seed, failure.violation.invariant, failure.violation.message
                );
            }
            println!(
                "replay one: cargo run --release -- --seed {}{}",
                failures[0].seed,
                args.run.replay_flags()
            );
        }
    }
    i32::from(!failures.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slices_cover_the_range_exactly_once() {
        let range = (10, 107);
        let mut covered = Vec::new();
        for k in 1..=7 {
            let (a, b) = slice(range, Some((k, 7)));
            covered.extend(a..b);
        }
        assert_eq!(covered, (10..107).collect::<Vec<_>>());
    }

    #[test]
    fn bad_ranges_and_partitions_are_refused() {
        assert!(parse_range("5..5").is_err());
        assert!(parse_range("a..5").is_err());
        assert!(parse_range("7").is_err());
        assert_eq!(parse_range("0..200"), Ok((0, 200)));
        assert!(parse_partition("0/4").is_err());
        assert!(parse_partition("5/4").is_err());
        assert_eq!(parse_partition("2/4"), Ok((2, 4)));
    }
}

//! `raftsim swarm`: many seeds, one run per thread at a time (parallelism
//! only across runs, never inside one), with a progress bar.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::Instant;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use sim::run::{RunReport, run_until};

use crate::availability_report::{compare, print_distribution, read_baseline};
use crate::run_cmd::{json_line, status_of};
use crate::settings::RunSettings;
use crate::status::Status;
use crate::{interrupt, say};
use sim::availability::AvailabilityFigures;

/// Arguments of `raftsim swarm`.
#[derive(Debug, Args)]
pub struct SwarmArgs {
    /// Seeds to run, as START..END (END excluded), e.g. 0..1000.
    #[arg(long, value_parser = parse_range)]
    seeds: (u64, u64),
    /// Runs at once, 1 to 256 (default: the number of cores).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=256))]
    jobs: Option<u64>,
    /// Run only slice K of N of the seed range (1-based), e.g. 3/8, so that
    /// a CI matrix or a batch system splits a large range across machines.
    #[arg(long, value_parser = parse_partition)]
    partition: Option<(u64, u64)>,
    /// Print one JSON object per seed (with its resolved plan) instead of
    /// the progress bar and the table.
    #[arg(long)]
    json: bool,
    /// Stop at the first failing seed and print how to replay and shrink it.
    #[arg(long, conflicts_with = "max_failures")]
    fail_fast: bool,
    /// Stop once N seeds have failed.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    max_failures: Option<u64>,
    /// Skip the invariant checkers (to measure their cost).
    #[arg(long)]
    no_checkers: bool,
    /// Compare the runs' availability figures with an earlier `swarm --json`
    /// over the same seeds; a statistically clear regression is a finding
    /// (exit 1).
    #[arg(long, value_name = "FILE")]
    baseline: Option<std::path::PathBuf>,
    #[command(flatten)]
    settings: RunSettings,
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

/// What the workers found.
#[derive(Debug, Default)]
struct Found {
    failures: Vec<RunReport>,
    inconclusive: Vec<RunReport>,
    runs: u64,
    events: u64,
    /// Every run's availability figures, by seed.
    availability: Vec<(u64, AvailabilityFigures)>,
}

/// Runs the swarm; returns the exit status.
pub fn swarm(args: &SwarmArgs) -> Status {
    if let Err(why) = args.settings.check_sut() {
        eprintln!("raftsim swarm: --sut: {why}");
        return Status::Usage;
    }
    let baseline = match args.baseline.as_deref().map(read_baseline).transpose() {
        Ok(baseline) => baseline,
        Err(message) => {
            eprintln!("raftsim swarm: --baseline: {message}");
            return Status::Usage;
        }
    };
    let (start, end) = slice(args.seeds, args.partition);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get() as u64);
    let jobs = args.jobs.unwrap_or(cores);
    let total = end - start;
    let started = Instant::now();
    let found = run_seeds(args, (start, end), jobs);
    if !args.json {
        print_summary(
            args,
            &found,
            (start, end),
            jobs,
            started.elapsed().as_secs_f64(),
        );
    }
    if interrupt::requested() {
        notice(
            args,
            &format!(
                "raftsim swarm: INTERRUPTED after {} of {total} runs; what was found is above",
                found.runs
            ),
        );
        return Status::Interrupted;
    }
    let regressed = baseline.is_some_and(|baseline| {
        !compare(&found.availability, &baseline, &|line| notice(args, &line)).is_empty()
    });
    if !found.failures.is_empty() || regressed {
        Status::Violation
    } else if !found.inconclusive.is_empty() {
        Status::Inconclusive
    } else {
        Status::Ok
    }
}

/// A line beside the results: on standard output under the table, on
/// standard error under `--json` (JSON lines stay JSON).
fn notice(args: &SwarmArgs, line: &str) {
    if args.json {
        eprintln!("{line}");
    } else {
        say!("{line}");
    }
}

/// Runs the seeds of `[start, end)` on `jobs` threads, one run per thread
/// at a time, until they are done, enough have failed or the user
/// interrupts; the results come back sorted by seed.
fn run_seeds(args: &SwarmArgs, (start, end): (u64, u64), jobs: u64) -> Found {
    let total = end - start;
    let bar = if args.json {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(total)
    };
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} seeds  {msg}  {per_sec}  eta {eta}")
            .expect("valid template"),
    );
    bar.set_message("0 failures");
    let max_failures = if args.fail_fast {
        Some(1)
    } else {
        args.max_failures
    };
    let next = AtomicU64::new(start);
    // Set when enough seeds failed; the workers and their runs stop.
    let enough = AtomicBool::new(false);
    let stop = || enough.load(Ordering::Relaxed) || interrupt::requested();
    let (sender, receiver) = mpsc::channel::<RunReport>();
    let mut found = Found::default();
    std::thread::scope(|scope| {
        for _ in 0..jobs.min(total) {
            let sender = sender.clone();
            let (next, stop) = (&next, &stop);
            scope.spawn(move || {
                // Never past END: a counter that wrapped past u64::MAX would
                // start the range over, forever.
                while let Ok(seed) = next.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |s| {
                    (s < end).then(|| s + 1)
                }) {
                    if stop() {
                        return;
                    }
                    let mut options = args.settings.options(seed);
                    options.checkers = !args.no_checkers;
                    let Some(report) = run_until(&options, None, stop) else {
                        return;
                    };
                    if sender.send(report).is_err() {
                        return;
                    }
                }
            });
        }
        drop(sender);
        for report in receiver {
            if args.json {
                say!(
                    "{}",
                    json_line(&report, &args.settings.options(report.seed).plan())
                );
            }
            let failed_before = found.failures.len();
            found.add(report);
            if found.failures.len() > failed_before {
                bar.set_message(format!("{} failures", found.failures.len()));
                if max_failures.is_some_and(|m| found.failures.len() as u64 >= m) {
                    enough.store(true, Ordering::Relaxed);
                }
            }
            bar.inc(1);
        }
    });
    bar.finish_and_clear();
    found.failures.sort_by_key(|r| r.seed);
    found.availability.sort_by_key(|(seed, _)| *seed);
    found.inconclusive.sort_by_key(|r| r.seed);
    found
}

impl Found {
    /// Counts one finished run and keeps it if it failed or was inconclusive.
    fn add(&mut self, report: RunReport) {
        self.runs += 1;
        self.events += report.events;
        self.availability
            .push((report.seed, report.availability.clone()));
        match status_of(&report) {
            Status::Violation => self.failures.push(report),
            Status::Inconclusive => self.inconclusive.push(report),
            _ => {}
        }
    }
}

fn print_summary(args: &SwarmArgs, found: &Found, (start, end): (u64, u64), jobs: u64, wall: f64) {
    let flags = args.settings.replay_flags();
    say!(
        "raftsim swarm: seeds {start}..{end}, {} runs, {} failed, {} inconclusive, {:.1} s wall ({:.0} seeds/min, {:.0} events/s, {jobs} jobs)",
        found.runs,
        found.failures.len(),
        found.inconclusive.len(),
        wall,
        found.runs as f64 / wall.max(1e-9) * 60.0,
        found.events as f64 / wall.max(1e-9)
    );
    print_distribution(&found.availability);
    if found.runs < end - start && !interrupt::requested() {
        say!(
            "stopped early: {} failure(s) found (--fail-fast / --max-failures)",
            found.failures.len()
        );
    }
    if !found.failures.is_empty() {
        say!("{:>20}  {:<22}  message", "seed", "invariant");
        for report in &found.failures {
            let failure = report.failure.as_ref().expect("failed");
            say!(
                "{:>20}  {:<22}  {}",
                report.seed,
                failure.violation.invariant,
                // The first line: a counterexample's detail is in the replay.
                failure.violation.message.lines().next().unwrap_or("")
            );
        }
        let first = found.failures[0].seed;
        say!("replay one: cargo run --release -- --seed {first}{flags}");
        say!("shrink it:  cargo run --release -- shrink --seed {first}{flags}");
    }
    if !found.inconclusive.is_empty() {
        say!("inconclusive (a bound was reached before the run could say):");
        for report in &found.inconclusive {
            let why = report.inconclusive.as_deref().unwrap_or("");
            say!("{:>20}  {why}", report.seed);
        }
    }
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

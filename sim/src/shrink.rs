//! Shrinking a failing seed: keep the noise streams fixed (same seed, same
//! cluster), and reduce the fault schedule by delta debugging — remove
//! chunks of steps, then single steps — while the same invariant still
//! fails; then cut the run short and lower the client load. The result is
//! exported as a scenario file (see [`crate::export`]).

use crate::checker::Invariant;
use crate::run::{RunOptions, RunReport, run};
use crate::swarm::Schedule;

/// A bound on the runs one shrink may try.
pub const MAX_SHRINK_RUNS: u64 = 3000;

/// Where the shrinker stands, for a progress display.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    /// Steps in the smallest failing schedule so far.
    pub schedule_steps: usize,
    /// Runs tried.
    pub runs: u64,
}

/// The smallest failing run found.
#[derive(Clone, Debug)]
pub struct Shrunk {
    /// The options that reproduce it (with the shrunk schedule).
    pub options: RunOptions,
    /// Its report (with the nodes its faults hit).
    pub report: RunReport,
    /// The invariant it breaks.
    pub invariant: Invariant,
    /// Steps in the original schedule.
    pub original_steps: usize,
    /// Runs tried.
    pub runs: u64,
}

/// Shrinks the failure of `options` (which must fail); `progress` is told
/// after every run. Returns `None` if the run does not fail.
pub fn shrink(options: &RunOptions, mut progress: impl FnMut(Progress)) -> Option<Shrunk> {
    let first = run(options, None);
    let invariant = first.failure.as_ref()?.violation.invariant;
    let original = options.fault_schedule();
    let mut best = options.clone();
    best.schedule = Some(original.clone());
    let mut best_report = first;
    let mut runs = 1;
    let mut attempt = |candidate: &RunOptions, runs: &mut u64| -> Option<RunReport> {
        if *runs >= MAX_SHRINK_RUNS {
            return None;
        }
        *runs += 1;
        let report = run(candidate, None);
        let same = report.failure.as_ref().map(|f| f.violation.invariant) == Some(invariant);
        progress(Progress {
            schedule_steps: candidate.schedule.as_ref().map_or(0, |s| s.steps.len()),
            runs: *runs,
        });
        same.then_some(report)
    };
    // Delta debugging over the schedule: remove chunks, halving their size.
    let mut steps = original.steps.clone();
    let mut chunk = steps.len().div_ceil(2).max(1);
    while chunk >= 1 && !steps.is_empty() {
        let mut removed_any = false;
        let mut at = 0;
        while at < steps.len() {
            let mut candidate_steps = steps.clone();
            candidate_steps.drain(at..(at + chunk).min(steps.len()));
            let mut candidate = best.clone();
            candidate.schedule = Some(Schedule {
                steps: candidate_steps.clone(),
            });
            if let Some(report) = attempt(&candidate, &mut runs) {
                steps = candidate_steps;
                best = candidate;
                best_report = report;
                removed_any = true;
            } else {
                at += chunk;
            }
        }
        if !removed_any {
            if chunk == 1 {
                break;
            }
            chunk = chunk.div_ceil(2);
        }
    }
    // Shorten the run to just past the failure, if it still fails so.
    if let Some(failure) = &best_report.failure {
        if invariant != Invariant::Liveness {
            let mut candidate = best.clone();
            candidate.fault_ns = failure.time_ns + 1_000_000;
            candidate.heal_ns = 0;
            if let Some(report) = attempt(&candidate, &mut runs) {
                best = candidate;
                best_report = report;
            }
        }
    }
    // Lower the client load: fewer sessions, then a slower rate.
    for clients in (0..best.spec.clients).rev() {
        let mut candidate = best.clone();
        candidate.spec.clients = clients;
        match attempt(&candidate, &mut runs) {
            Some(report) => {
                best = candidate;
                best_report = report;
            }
            None => break,
        }
    }
    Some(Shrunk {
        options: best,
        report: best_report,
        invariant,
        original_steps: original.steps.len(),
        runs,
    })
}

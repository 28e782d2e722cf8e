//! Shrinking a failing seed: keep the noise streams fixed (same seed, same
//! cluster), and reduce the fault schedule by delta debugging — remove
//! chunks of steps, then single steps — while the run still fails the same
//! way; then cut the run short and lower the client load. The result is
//! exported as a scenario file (see [`crate::export`]).
//!
//! The file is the product, so the shrinker checks it: every smaller run it
//! accepted is kept, and the smallest whose exported scenario fails the same
//! way on its own is the one returned. If none does (the original's export
//! included), [`Shrunk::reproduced`] says so and the caller must not claim
//! it does.

use std::fmt;

use crate::checker::{Invariant, Stuck, Violation};
use crate::export::scenario_text;
use crate::host::HostRuleBreaks;
use crate::run::{RunOptions, RunReport, run_until};
use crate::scenario::ast::Condition;
use crate::scenario::{Outcome, parse, run_scenario_on};
use crate::swarm::Schedule;

/// A bound on the runs one shrink may try.
pub const MAX_SHRINK_RUNS: u64 = 3000;

/// How a run failed, as precisely as two failures must agree to count as
/// the same: the invariant, and for a liveness failure which condition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Signature {
    /// The broken invariant.
    pub invariant: Invariant,
    /// For liveness: which condition failed.
    pub stuck: Option<Stuck>,
}

impl Signature {
    /// The signature of a violation.
    #[must_use]
    pub fn of(violation: &Violation) -> Signature {
        Signature {
            invariant: violation.invariant,
            stuck: violation.stuck,
        }
    }

    /// The signature of a run's failure, if it failed.
    #[must_use]
    pub fn of_run(report: &RunReport) -> Option<Signature> {
        report.failure.as_ref().map(|f| Signature::of(&f.violation))
    }

    /// The signature of a scenario's failure, if it failed: a broken
    /// invariant, or one of the liveness expectations an exported run ends
    /// with (`expect leader`, `expect clients done`).
    #[must_use]
    pub fn of_scenario(outcome: &Outcome) -> Option<Signature> {
        let failure = outcome.failure.as_ref()?;
        if let Some(violation) = &failure.violation {
            return Some(Signature::of(violation));
        }
        let stuck = match failure.expectation.as_ref()? {
            Condition::Leader => Stuck::NoLeader,
            Condition::ClientsDone(_) => Stuck::OpsUnfinished,
            _ => return None,
        };
        Some(Signature {
            invariant: Invariant::Liveness,
            stuck: Some(stuck),
        })
    }
}

impl fmt::Display for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.stuck {
            Some(stuck) => write!(f, "{} ({stuck})", self.invariant),
            None => write!(f, "{}", self.invariant),
        }
    }
}

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
    /// How it fails.
    pub signature: Signature,
    /// Steps in the original schedule.
    pub original_steps: usize,
    /// Runs tried (scenario replays included).
    pub runs: u64,
    /// Whether its exported scenario fails the same way on its own. False
    /// only if no accepted run's export did, the original's included.
    pub reproduced: bool,
    /// How the export of the smallest run failed, if it did not reproduce
    /// (why a larger run was returned, or why none reproduces).
    pub export_mismatch: Option<String>,
    /// Whether the user stopped the shrink early (the result is the
    /// smallest found so far).
    pub interrupted: bool,
}

/// Why there is nothing to shrink.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NotShrunk {
    /// The seed breaks nothing.
    Passes,
    /// The seed's run stopped at a bound before it could fail or pass.
    Inconclusive(String),
    /// Cancelled before the seed's own run ended.
    Interrupted,
}

/// Shrinks the failure of `options`; `progress` is told after every run;
/// `cancelled` is asked between runs (and inside them), and stops the
/// shrink with the smallest run found so far.
pub fn shrink(
    options: &RunOptions,
    mut progress: impl FnMut(Progress),
    cancelled: &dyn Fn() -> bool,
) -> Result<Shrunk, NotShrunk> {
    let first = run_until(options, None, cancelled).ok_or(NotShrunk::Interrupted)?;
    let Some(signature) = Signature::of_run(&first) else {
        return Err(match first.inconclusive {
            Some(why) => NotShrunk::Inconclusive(why),
            None => NotShrunk::Passes,
        });
    };
    let original = options.fault_schedule();
    let mut start = options.clone();
    start.schedule = Some(original.clone());
    let mut search = Search {
        signature,
        accepted: vec![(start, first)],
        runs: 1,
        interrupted: false,
        progress: &mut progress,
        cancelled,
    };
    search.drop_steps();
    search.shorten();
    search.fewer_clients();
    let (index, mismatch) = search.smallest_reproducing();
    let smallest = search.accepted.len() - 1;
    let (options, report) = search.accepted.swap_remove(index.unwrap_or(smallest));
    Ok(Shrunk {
        options,
        report,
        signature,
        original_steps: original.steps.len(),
        runs: search.runs,
        reproduced: index.is_some(),
        export_mismatch: mismatch,
        interrupted: search.interrupted,
    })
}

/// The state of one shrink.
struct Search<'a> {
    signature: Signature,
    /// Every run accepted, in order: each smaller than the one before.
    accepted: Vec<(RunOptions, RunReport)>,
    runs: u64,
    interrupted: bool,
    progress: &'a mut dyn FnMut(Progress),
    cancelled: &'a dyn Fn() -> bool,
}

impl Search<'_> {
    fn best(&self) -> &RunOptions {
        &self.accepted.last().expect("the original is accepted").0
    }

    /// Runs `candidate`; keeps it if it fails the same way.
    fn attempt(&mut self, candidate: RunOptions) -> bool {
        if self.runs >= MAX_SHRINK_RUNS || self.interrupted {
            return false;
        }
        if (self.cancelled)() {
            self.interrupted = true;
            return false;
        }
        self.runs += 1;
        let Some(report) = run_until(&candidate, None, self.cancelled) else {
            self.interrupted = true;
            return false;
        };
        (self.progress)(Progress {
            schedule_steps: candidate.schedule.as_ref().map_or(0, |s| s.steps.len()),
            runs: self.runs,
        });
        let same = Signature::of_run(&report) == Some(self.signature);
        if same {
            self.accepted.push((candidate, report));
        }
        same
    }

    /// Delta debugging over the schedule: remove chunks, halving their
    /// size. For a liveness failure the heal (every fault undone at the end
    /// of the fault phase, then the clients winding down) is kept whole:
    /// without it a run fails liveness whatever the code does. A safety
    /// failure needs no heal: no fault makes a correct Raft break one.
    fn drop_steps(&mut self) {
        let fault_ns = self.best().fault_ns;
        let liveness = self.signature.invariant == Invariant::Liveness;
        let (mut steps, heal): (Vec<_>, Vec<_>) = self
            .best()
            .fault_schedule()
            .steps
            .into_iter()
            .partition(|step| !liveness || step.at_ns < fault_ns);
        let mut chunk = steps.len().div_ceil(2).max(1);
        while !steps.is_empty() && !self.interrupted {
            let mut removed_any = false;
            let mut at = 0;
            while at < steps.len() && !self.interrupted {
                let mut fewer = steps.clone();
                fewer.drain(at..(at + chunk).min(steps.len()));
                let mut candidate = self.best().clone();
                candidate.schedule = Some(Schedule {
                    steps: fewer.iter().chain(&heal).cloned().collect(),
                });
                if self.attempt(candidate) {
                    steps = fewer;
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
    }

    /// Shortens the run to just past a safety failure.
    fn shorten(&mut self) {
        if self.signature.invariant == Invariant::Liveness {
            return;
        }
        let report = &self.accepted.last().expect("accepted").1;
        let Some(failure) = &report.failure else {
            return;
        };
        let mut candidate = self.best().clone();
        candidate.fault_ns = failure.time_ns + 1_000_000;
        candidate.heal_ns = 0;
        self.attempt(candidate);
    }

    /// Lowers the client load: fewer sessions while it still fails.
    fn fewer_clients(&mut self) {
        for clients in (0..self.best().spec.clients).rev() {
            let mut candidate = self.best().clone();
            candidate.spec.clients = clients;
            if !self.attempt(candidate) {
                break;
            }
        }
    }

    /// The index of the smallest accepted run whose exported scenario fails
    /// the same way on its own (`None` if none does), and how the smallest
    /// one's export differed, if it did.
    fn smallest_reproducing(&mut self) -> (Option<usize>, Option<String>) {
        let mut first_mismatch = None;
        for index in (0..self.accepted.len()).rev() {
            self.runs += 1;
            let (options, report) = &self.accepted[index];
            match replay(options, report) {
                Ok(got) if got == Some(self.signature) => {
                    match fails_without_the_bugs(options, report) {
                        Ok(false) => return (Some(index), first_mismatch),
                        Ok(true) => {
                            first_mismatch.get_or_insert(
                                "its scenario fails the same way with every rule kept".to_string(),
                            );
                        }
                        Err(why) => {
                            first_mismatch.get_or_insert(why);
                        }
                    }
                }
                Ok(got) => {
                    let got = got.map_or_else(|| "a pass".to_string(), |s| s.to_string());
                    first_mismatch.get_or_insert(format!("its scenario gave {got}"));
                }
                Err(why) => {
                    first_mismatch.get_or_insert(why);
                }
            }
        }
        (None, first_mismatch)
    }
}

/// Exports `options`' run as a scenario and runs the scenario: how it fails
/// (`None`: it passes), or why it could not run.
pub fn replay(options: &RunOptions, report: &RunReport) -> Result<Option<Signature>, String> {
    replay_with(options, report, options.spec.rule_breaks)
}

/// Whether the exported scenario of a run with rules broken on purpose also
/// fails the same way with every rule kept: then it shows the schedule, not
/// the broken rule (false when no rule is broken).
fn fails_without_the_bugs(options: &RunOptions, report: &RunReport) -> Result<bool, String> {
    if options.spec.rule_breaks == HostRuleBreaks::default() {
        return Ok(false);
    }
    let with = replay(options, report)?;
    Ok(replay_with(options, report, HostRuleBreaks::default())? == with)
}

fn replay_with(
    options: &RunOptions,
    report: &RunReport,
    breaks: HostRuleBreaks,
) -> Result<Option<Signature>, String> {
    let text = scenario_text(options, &options.fault_schedule(), report, "replay");
    let scenario = parse("shrunk.scn", &text).map_err(|e| e.to_string())?;
    let outcome =
        run_scenario_on(options.spec.sut, &scenario, breaks).map_err(|e| e.to_string())?;
    Ok(Signature::of_scenario(&outcome))
}

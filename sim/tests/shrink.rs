//! `raftsim shrink`'s engine: a failure caused by a test-only bug shrinks to
//! a short scenario that fails the same invariant when run on its own.

use sim::export::scenario_text;
use sim::host::HostBugs;
use sim::run::{RunOptions, run};
use sim::scenario::{parse, run_scenario_with_bugs};
use sim::shrink::shrink;

fn buggy(seed: u64) -> RunOptions {
    let mut options = RunOptions::new(seed);
    options.spec.host_bugs = HostBugs {
        forget_vote_on_boot: true,
        ..HostBugs::default()
    };
    options
}

#[test]
fn a_failing_seed_shrinks_to_a_short_scenario_that_fails_the_same_way() {
    let seed = (0..50)
        .find(|s| !run(&buggy(*s), None).ok())
        .expect("the bug makes some seed fail");
    let options = buggy(seed);
    let original = options.fault_schedule().steps.len();
    let mut runs_seen = 0;
    let shrunk = shrink(&options, |p| runs_seen = p.runs).expect("the seed fails");
    assert_eq!(runs_seen, shrunk.runs, "progress reports every run");
    let schedule = shrunk.options.fault_schedule();
    assert!(
        schedule.steps.len() < original,
        "{} of {original} steps kept",
        schedule.steps.len()
    );
    let text = scenario_text(&shrunk.options, &schedule, &shrunk.report, "shrunk");
    let fault_lines = text.lines().filter(|l| l.starts_with("at ")).count();
    assert!(fault_lines <= 10, "a short reproducer:\n{text}");
    let scenario = parse("shrunk.scn", &text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let outcome = run_scenario_with_bugs(&scenario, None, shrunk.options.spec.host_bugs)
        .unwrap_or_else(|e| panic!("{e}\n{text}"));
    let violation = outcome
        .failure
        .and_then(|f| f.violation)
        .unwrap_or_else(|| panic!("the scenario must fail:\n{text}"));
    assert_eq!(violation.invariant, shrunk.invariant, "{text}");
}

#[test]
fn a_passing_seed_has_nothing_to_shrink() {
    assert!(shrink(&RunOptions::new(1), |_| {}).is_none());
}

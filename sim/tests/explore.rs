//! The model checker, first cut: exhaustive within bounds, with pinned state
//! counts (a change in the state space is noticed), sometimes-properties,
//! and teeth (a rule-breaking host is caught with a shortest path that
//! replays as a scenario).

use sim::explore::{Bounds, Options, check, scenario_text};
use sim::host::HostBugs;
use sim::scenario::{parse, run_scenario_with_bugs};

#[test]
fn small_bounds_hold_and_reach_every_sometimes_property() {
    let bounds = Bounds {
        max_term: 2,
        max_log: 2,
        max_depth: 10,
        max_msgs: 4,
        ..Bounds::default()
    };
    let report = check(&bounds, &Options::default(), |_| {});
    assert!(
        report.counterexample.is_none(),
        "{:?}",
        report.counterexample
    );
    println!(
        "distinct {} generated {} depth {} sometimes {:?}",
        report.distinct_states, report.generated_states, report.depth, report.sometimes
    );
    assert!(report.sometimes.leader_elected.is_some());
    assert!(report.sometimes.entry_committed.is_some());
    // Pinned, as stateright pins its examples' counts: a change in raft-core,
    // the hosts or the search that changes the state space shows here.
    assert_eq!(report.distinct_states, 26_051);
    assert_eq!(report.generated_states, 42_407);
    assert_eq!(report.depth, 10);
}

fn finds(bugs: HostBugs, crashes: u32) -> (String, String) {
    let bounds = Bounds {
        max_term: 2,
        max_log: 2,
        max_crashes: crashes,
        max_depth: 24,
        host_bugs: bugs,
        ..Bounds::default()
    };
    let report = check(&bounds, &Options::default(), |_| {});
    let found = report.counterexample.expect("the broken host is caught");
    let text = scenario_text(&bounds, &found);
    let scenario = parse("found.scn", &text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let outcome =
        run_scenario_with_bugs(&scenario, None, bugs).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let replayed = outcome
        .failure
        .and_then(|f| f.violation)
        .unwrap_or_else(|| panic!("the scenario must fail:\n{text}"));
    assert_eq!(replayed.invariant, found.violation.invariant, "{text}");
    (found.violation.invariant.to_string(), text)
}

#[test]
fn a_host_that_skips_fsync_is_caught_with_a_replayable_path() {
    let (invariant, text) = finds(
        HostBugs {
            skip_fsync: true,
            ..HostBugs::default()
        },
        0,
    );
    assert_eq!(invariant, "persist-before-send", "{text}");
    assert!(text.lines().count() < 12, "a short path:\n{text}");
}

#[test]
fn a_host_that_forgets_its_vote_is_caught_with_a_replayable_path() {
    let (invariant, text) = finds(
        HostBugs {
            forget_vote_on_boot: true,
            ..HostBugs::default()
        },
        1,
    );
    assert_eq!(invariant, "monotonicity", "{text}");
}

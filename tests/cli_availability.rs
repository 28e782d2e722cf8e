//! Availability from the command line: the figures a run prints, their
//! distribution over a swarm, and `swarm --baseline` flagging a build whose
//! elections come late though it always elects in the end.

mod common;

use common::*;

#[test]
fn a_run_prints_its_availability_figures_in_text_and_json() {
    let text = stdout(&raftsim(&["--seed", "42"]));
    assert!(text.contains("availability   no leader"), "{text}");
    let json = json_object(&raftsim(&["--seed", "42", "--json"]));
    let figures = &json["availability"];
    assert!(
        figures["sampled_ns"].as_u64().is_some_and(|ns| ns > 0),
        "{figures}"
    );
    assert!(
        figures["terms"].as_u64().is_some_and(|t| t >= 1),
        "{figures}"
    );
}

#[test]
fn swarm_baseline_flags_slow_elections_and_passes_the_same_build() {
    let baseline = TempFile::new("baseline.jsonl");
    let run = raftsim(&["swarm", "--seeds", "0..60", "--json"]);
    assert_exit(&run, 0);
    std::fs::write(&baseline.0, stdout(&run)).expect("the baseline is written");

    let same = raftsim(&["swarm", "--seeds", "0..60", "--baseline", baseline.arg()]);
    assert_exit(&same, 0);
    let text = stdout(&same);
    assert!(text.contains("availability over 60 runs"), "{text}");
    assert!(text.contains("baseline: 60 of 60 seeds"), "{text}");
    assert!(!text.contains("REGRESSION"), "{text}");

    let slow = raftsim(&[
        "swarm",
        "--seeds",
        "0..60",
        "--break",
        "slow-elections",
        "--baseline",
        baseline.arg(),
    ]);
    assert_exit(&slow, 1);
    let text = stdout(&slow);
    assert!(
        text.lines()
            .any(|l| l.contains("time without a leader") && l.contains("REGRESSION")),
        "{text}"
    );
}

#[test]
fn a_baseline_that_is_not_swarm_json_is_a_usage_error_with_its_line() {
    let baseline = TempFile::new("bad-baseline.jsonl");
    std::fs::write(
        &baseline.0,
        "{\"seed\": 1, \"availability\": {}}\nnot json\n",
    )
    .expect("written");
    let run = raftsim(&["swarm", "--seeds", "0..2", "--baseline", baseline.arg()]);
    assert_exit(&run, 2);
    let err = stderr(&run);
    assert!(err.contains("bad-baseline.jsonl:"), "{err}");
}

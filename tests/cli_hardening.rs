//! The command line, hardened: output errors after the verdict, closed
//! pipes, limits, exit statuses, Ctrl-C, panics, what is printed is what ran.

mod common;

use std::process::{Command, Output};

use common::*;

// ---- hardening: output errors, limits, exit statuses ----------------------

#[test]
fn a_trace_that_cannot_be_written_is_reported_after_the_verdict() {
    for args in [
        &["--seed", "1", "--duration", "2s", "--trace", "/dev/full"][..],
        &[
            "scenario",
            "scenarios/one_way_cut.scn",
            "--trace",
            "/dev/full",
        ][..],
    ] {
        let output = raftsim(args);
        assert_exit(&output, 2);
        let (out, err) = (stdout(&output), stderr(&output));
        assert!(
            out.contains("result: ok") || out.contains("PASS"),
            "{args:?}: the verdict is printed:\n{out}"
        );
        assert!(err.contains("/dev/full") && err.contains("failed"), "{err}");
    }
    // A violation stays exit 1 with the write error printed after it.
    let output = raftsim(&[
        "--seed",
        "2",
        "--duration",
        "2s",
        "--break",
        "skip-fsync",
        "--trace",
        "/dev/full",
    ]);
    assert_exit(&output, 1);
    assert!(stdout(&output).contains("result: VIOLATION"));
    assert!(stderr(&output).contains("/dev/full"));
}

#[test]
fn a_closed_output_pipe_ends_the_program_quietly() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_raftsim"))
        .args(["swarm", "--seeds", "0..100000", "--json", "--jobs", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("raftsim runs");
    let mut first = String::new();
    let out = child.stdout.take().expect("piped");
    BufReader::new(out).read_line(&mut first).expect("one line");
    assert!(first.starts_with('{'), "{first}");
    // The reader is gone (dropped above): the next write fails.
    let output = child.wait_with_output().expect("it ends");
    assert_exit(&output, 141);
    assert_eq!(stderr(&output), "", "nothing on stderr");
}

#[test]
fn settings_that_cannot_work_are_usage_errors() {
    assert_usage_error(&["--seed", "1", "--heal", "0s"], "at least 3.000s");
    assert_usage_error(
        &["--seed", "1", "--duration", "10000000000s"],
        "at most 60m",
    );
    assert_usage_error(
        &["swarm", "--seeds", "0..2", "--jobs", "0"],
        "not in 1..=256",
    );
    assert_usage_error(
        &["swarm", "--seeds", "0..2", "--jobs", "18446744073709551615"],
        "not in 1..=256",
    );
    assert_usage_error(&["swarm", "--seeds", "0..2", "--trace", "t"], "--trace");
    assert_usage_error(
        &["swarm", "--seeds", "0..2", "--emit-scenario", "x"],
        "--emit-scenario",
    );
    assert_usage_error(&["shrink", "--seed", "1", "--json"], "--json");
    assert_usage_error(&["shrink", "--seed", "1", "--trace", "t"], "--trace");
    assert_usage_error(&["shrink"], "--seed");
    let dir = std::env::temp_dir().join(format!("raftsim-empty-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    assert_usage_error(
        &["scenario", dir.to_str().expect("utf-8")],
        "no scenario files",
    );
    assert_usage_error(
        &[
            "scenario",
            "scenarios/one_way_cut.scn",
            "scenarios/torn_writes.scn",
            "--trace",
            "t",
        ],
        "one scenario file",
    );
}

#[test]
fn a_seed_range_ending_at_the_top_of_u64_runs_each_seed_once() {
    let output = raftsim(&[
        "swarm",
        "--seeds",
        "18446744073709551613..18446744073709551615",
        "--jobs",
        "2",
        "--duration",
        "2s",
        "--heal",
        "3s",
        "--json",
    ]);
    assert_exit(&output, 0);
    assert_eq!(
        seeds_of(&json_lines(&stdout(&output))),
        vec![18446744073709551613, 18446744073709551614]
    );
}

#[test]
fn fail_fast_stops_at_the_first_failure_with_its_replay_and_shrink_commands() {
    let output = raftsim(&[
        "swarm",
        "--seeds",
        "0..100000",
        "--jobs",
        "2",
        "--duration",
        "2s",
        "--break",
        "skip-fsync",
        "--fail-fast",
    ]);
    assert_exit(&output, 1);
    let text = stdout(&output);
    assert!(text.contains("stopped early"), "{text}");
    assert!(
        text.contains("replay one: cargo run --release -- --seed "),
        "{text}"
    );
    assert!(
        text.contains("shrink it:  cargo run --release -- shrink --seed "),
        "{text}"
    );
    assert!(text.contains("--break skip-fsync"), "{text}");
}

#[test]
fn what_is_printed_is_what_ran() {
    let output = raftsim(&[
        "--seed",
        "7",
        "--nodes",
        "5",
        "--pre-vote",
        "false",
        "--duration",
        "2s",
    ]);
    assert_exit(&output, 0);
    let text = stdout(&output);
    assert!(text.contains("5 nodes (pinned)"), "{text}");
    assert!(text.contains("pre_vote off (pinned)"), "{text}");
    assert!(!text.contains("pre_vote on"), "{text}");
    assert!(!text.contains("nodes: 4"), "{text}");
    let json = json_object(&raftsim(&[
        "--seed",
        "7",
        "--nodes",
        "5",
        "--pre-vote",
        "false",
        "--duration",
        "2s",
        "--json",
    ]));
    let plan = &json["plan"];
    assert_eq!(plan["cluster"]["nodes"], 5, "{plan}");
    assert_eq!(plan["cluster"]["pre_vote"], false);
    assert_eq!(plan["faults"]["nodes"], 5);
    assert_eq!(plan["fault_ns"], 2_000_000_000u64);
    let no_checkers = raftsim(&["--seed", "7", "--duration", "2s", "--no-checkers"]);
    assert!(
        stdout(&no_checkers).contains("invariants NOT checked"),
        "{}",
        stdout(&no_checkers)
    );
}

#[test]
fn a_run_that_reaches_its_event_bound_is_inconclusive() {
    let output = raftsim(&["--seed", "1", "--max-events", "1000"]);
    assert_exit(&output, 3);
    let text = stdout(&output);
    assert!(text.contains("result: INCONCLUSIVE"), "{text}");
    assert!(text.contains("event bound (1000 events)"), "{text}");
    let json = json_object(&raftsim(&["--seed", "1", "--max-events", "1000", "--json"]));
    assert_eq!(json["result"], "inconclusive");
    assert_eq!(json["ok"], true, "nothing broke");
    let swarm = raftsim(&["swarm", "--seeds", "0..3", "--max-events", "1000"]);
    assert_exit(&swarm, 3);
    assert!(
        stdout(&swarm).contains("3 inconclusive"),
        "{}",
        stdout(&swarm)
    );
}

/// Starts raftsim with `args`, sends it SIGINT after `after_ms`, and
/// returns what it printed.
fn interrupted(args: &[&str], after_ms: u64) -> Output {
    use std::process::Stdio;
    let child = Command::new(env!("CARGO_BIN_EXE_raftsim"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("raftsim runs");
    std::thread::sleep(std::time::Duration::from_millis(after_ms));
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    child.wait_with_output().expect("it ends")
}

#[test]
fn ctrl_c_stops_a_swarm_and_prints_what_it_found() {
    let output = interrupted(&["swarm", "--seeds", "0..1000000", "--jobs", "2"], 1500);
    assert_exit(&output, 130);
    let text = stdout(&output);
    assert!(text.contains("INTERRUPTED after"), "{text}");
    assert!(text.contains("raftsim swarm: seeds 0..1000000"), "{text}");
}

#[test]
fn ctrl_c_stops_a_model_check_and_prints_its_counts() {
    let output = interrupted(&["check", "--max-depth", "40", "--max-term", "4"], 1500);
    assert_exit(&output, 130);
    let text = stdout(&output);
    assert!(text.contains("distinct states"), "{text}");
    assert!(text.contains("result: INTERRUPTED"), "{text}");
}

#[test]
fn a_panic_inside_a_run_is_a_violation_with_its_location_and_a_replay() {
    let output = raftsim(&["--seed", "3", "--break", "panic-on-restart"]);
    assert_exit(&output, 1);
    let text = stdout(&output);
    assert!(text.contains("result: VIOLATION of panic"), "{text}");
    assert!(
        text.contains("the host panicked at sim/src/host/mod.rs:"),
        "{text}"
    );
    assert!(text.contains("asserts on restart"), "{text}");
    assert!(
        text.contains("replay: cargo run --release -- --seed 3 --break panic-on-restart"),
        "{text}"
    );
    // In a scenario: a failure at the step, not a silent exit.
    let file = TempFile::new("panic.scn");
    std::fs::write(
        &file.0,
        "cluster 3\nexpect leader within 2s\ncrash 1\nrestart 1\n",
    )
    .expect("temp file");
    let output = raftsim(&["scenario", "--break", "panic-on-restart", file.arg()]);
    assert_exit(&output, 1);
    let text = stdout(&output);
    assert!(
        text.contains(":4:1: invariant broken: panic [n1]"),
        "{text}"
    );
    assert!(text.contains("sim/src/host/mod.rs:"), "{text}");
}

#[test]
fn check_writes_its_counterexample_before_the_report_even_into_a_closed_pipe() {
    use std::process::Stdio;
    // The search ends in milliseconds; a child another test forks at that
    // moment may briefly hold the pipe's reading end open too, so a few
    // tries are allowed: the file is written every time, and the closed pipe
    // ends the program quietly at least once.
    let mut statuses = Vec::new();
    for _ in 0..5 {
        let file = TempFile::new("cx.scn");
        let mut child = Command::new(env!("CARGO_BIN_EXE_raftsim"))
            .args([
                "check",
                "--break",
                "skip-fsync",
                "--max-drops",
                "0",
                "--max-dups",
                "0",
                "--max-crashes",
                "1",
                "--max-proposals",
                "0",
                "--max-depth",
                "8",
                "-o",
                file.arg(),
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("raftsim runs");
        // Close the reading end at once: every line of the report fails.
        drop(child.stdout.take());
        let output = child.wait_with_output().expect("it ends");
        let text = std::fs::read_to_string(&file.0).expect("the counterexample was written");
        assert!(text.starts_with('#') && text.contains("manual"), "{text}");
        // Quiet: nothing on standard error but the bounds announced as the
        // search started.
        let errors = stderr(&output);
        assert!(
            errors
                .lines()
                .all(|line| line.starts_with("bounds default (1 of 6): ")),
            "quiet: {errors}"
        );
        statuses.push(output.status.code());
        if output.status.code() == Some(141) {
            break;
        }
    }
    assert!(
        statuses.iter().all(|s| matches!(s, Some(1 | 141))) && statuses.contains(&Some(141)),
        "{statuses:?}"
    );
}

#[test]
fn check_refuses_flags_its_search_would_ignore() {
    assert_usage_error(
        &["check", "--walks", "5"],
        "--walks does nothing with --search bfs",
    );
    assert_usage_error(
        &["check", "--seed", "5"],
        "--seed does nothing with --search bfs",
    );
    assert_usage_error(
        &["check", "--search", "dfs", "--jobs", "2"],
        "--jobs does nothing",
    );
    assert_usage_error(
        &["check", "--search", "walk", "--por", "false"],
        "--por does nothing",
    );
    assert_usage_error(&["check", "--symmetry", "--por", "true"], "--symmetry");
}

#[test]
fn ctrl_c_stops_a_running_scenario() {
    let file = TempFile::new("long.scn");
    std::fs::write(&file.0, "cluster 3\nclients 8 rate=1000/s\nrun 60m\n").expect("temp file");
    let output = interrupted(&["scenario", file.arg()], 1000);
    assert_exit(&output, 130);
    assert!(
        stdout(&output).contains("INTERRUPTED"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn a_trace_never_overwrites_the_scenario_being_run_and_errors_escape_control_characters() {
    let file = TempFile::new("clobber.scn");
    std::fs::write(&file.0, "cluster 3\nrun 1s\n").expect("temp file");
    assert_usage_error(
        &["scenario", file.arg(), "--trace", file.arg()],
        "would overwrite",
    );
    assert_eq!(
        std::fs::read_to_string(&file.0).expect("still there"),
        "cluster 3\nrun 1s\n"
    );
    std::fs::write(&file.0, "cluster 3\ncrash \u{1b}[31m\n").expect("temp file");
    let output = raftsim(&["scenario", file.arg()]);
    assert_exit(&output, 2);
    let err = stderr(&output);
    assert!(err.contains("`\\u{1b}`"), "{err}");
    assert!(
        !err.contains('\u{1b}'),
        "a raw escape reached the terminal: {err:?}"
    );
}

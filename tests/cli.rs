//! The command line, end to end: exit codes, the trace hash, JSON output,
//! trace files, the swarm and its partitions, and usage errors.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

fn raftsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_raftsim"))
        .args(args)
        .output()
        .expect("raftsim runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("stderr is UTF-8")
}

#[track_caller]
fn assert_exit(output: &Output, code: i32) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "exit status {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status,
        stdout(output),
        stderr(output)
    );
}

/// The hash the human-readable report prints.
fn printed_hash(text: &str) -> String {
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("trace hash"))
        .unwrap_or_else(|| panic!("no trace hash in:\n{text}"));
    let hash = line.split_whitespace().last().expect("a hash").to_string();
    assert!(is_hash(&hash), "`{hash}` is not a 64-bit hex hash");
    hash
}

fn is_hash(text: &str) -> bool {
    text.len() == 16 && text.chars().all(|c| c.is_ascii_hexdigit())
}

/// The one JSON object a `--json` run prints.
fn json_object(output: &Output) -> Value {
    let text = stdout(output);
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "expected one JSON line, got:\n{text}");
    let value: Value = serde_json::from_str(lines[0]).expect("valid JSON");
    assert!(value.is_object(), "not an object: {value}");
    value
}

/// One JSON object per line.
fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l}: {e}")))
        .collect()
}

fn seeds_of(lines: &[Value]) -> Vec<u64> {
    let mut seeds: Vec<u64> = lines
        .iter()
        .map(|v| v["seed"].as_u64().expect("a seed"))
        .collect();
    seeds.sort_unstable();
    seeds
}

/// A file in the temp directory, removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str) -> TempFile {
        let path = std::env::temp_dir().join(format!("raftsim-cli-{}-{name}", std::process::id()));
        let _ = std::fs::remove_file(&path);
        TempFile(path)
    }

    fn arg(&self) -> &str {
        self.0.to_str().expect("a UTF-8 temp path")
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

// ---- one run -------------------------------------------------------------

#[test]
fn a_seed_runs_clean_and_replays_the_same_hash() {
    let first = raftsim(&["--seed", "42"]);
    assert_exit(&first, 0);
    let text = stdout(&first);
    assert!(text.contains("seed 42"), "{text}");
    assert!(text.contains("result: ok"), "{text}");
    let hash = printed_hash(&text);
    let second = raftsim(&["--seed", "42"]);
    assert_exit(&second, 0);
    assert_eq!(printed_hash(&stdout(&second)), hash);
    // Another seed is another run.
    let other = raftsim(&["--seed", "43"]);
    assert_exit(&other, 0);
    assert_ne!(printed_hash(&stdout(&other)), hash);
}

#[test]
fn json_prints_one_object_that_matches_the_report() {
    let output = raftsim(&["--seed", "42", "--json"]);
    assert_exit(&output, 0);
    let value = json_object(&output);
    assert_eq!(value["seed"].as_u64(), Some(42));
    assert_eq!(value["ok"].as_bool(), Some(true));
    assert!(
        value.get("violation").is_some_and(Value::is_null),
        "{value}"
    );
    // 20 s of faults and 10 s healed, by default.
    assert_eq!(value["sim_time_ns"].as_u64(), Some(30_000_000_000));
    let events = value["events"].as_u64().expect("events");
    assert!(events > 1000, "{value}");
    let hash = value["trace_hash"].as_str().expect("trace_hash");
    assert!(is_hash(hash), "{value}");
    // The same run as the human-readable one.
    let human = raftsim(&["--seed", "42"]);
    assert_eq!(printed_hash(&stdout(&human)), hash);
    assert!(
        stdout(&human).contains(&format!("events         {events}")),
        "{}",
        stdout(&human)
    );
}

#[test]
fn a_trace_file_holds_every_event_as_json_lines() {
    let file = TempFile::new("trace.jsonl");
    let output = raftsim(&["--seed", "42", "--json", "--trace", file.arg()]);
    assert_exit(&output, 0);
    let report = json_object(&output);
    let text = std::fs::read_to_string(&file.0).expect("the trace file was written");
    let lines = json_lines(&text);
    assert!(!lines.is_empty(), "empty trace");
    let mut last = 0;
    for line in &lines[1..lines.len() - 1] {
        let time = line["time_ns"].as_u64().unwrap_or_else(|| panic!("{line}"));
        assert!(line["kind"].is_string(), "{line}");
        assert!(time >= last, "time went back at {line}");
        last = time;
    }
    assert!(last <= report["sim_time_ns"].as_u64().expect("sim_time_ns"));
    // A header with the format, its version and the resolved plan; one line
    // per event or action the world ran; an end line with the outcome.
    let (header, end) = (&lines[0], &lines[lines.len() - 1]);
    assert_eq!(header["kind"], "header", "{header}");
    assert_eq!(header["format"], "raftsim-trace");
    assert_eq!(header["version"], 1);
    assert_eq!(header["plan"], report["plan"], "the plan that ran");
    assert_eq!(end["kind"], "end", "{end}");
    assert_eq!(end["result"], "pass");
    assert_eq!(end["trace_hash"], report["trace_hash"]);
    assert_eq!(
        lines.len() as u64 - 2,
        report["events"].as_u64().expect("events")
    );
    // Nodes are 1-based ids everywhere, in one shape.
    let deliver = lines
        .iter()
        .find(|l| l["kind"] == "deliver" && l["to"]["node"].is_u64() && l["from"]["node"].is_u64())
        .expect("a delivery from a node");
    assert!(
        deliver["to"]["node"].as_u64().is_some_and(|n| n >= 1),
        "{deliver}"
    );
    let request = lines
        .iter()
        .find(|l| l["msg"] == "request")
        .expect("a request");
    assert!(
        request["from"]["client"].as_u64().is_some_and(|c| c >= 1),
        "{request}"
    );
    // Tracing does not change the run.
    let plain = json_object(&raftsim(&["--seed", "42", "--json"]));
    assert_eq!(plain["trace_hash"], report["trace_hash"]);
}

#[test]
fn a_violation_exits_1_and_prints_a_replay_that_replays_it() {
    // Hosts that answer before their fsync: caught on the wire.
    let flags = ["--seed", "2", "--duration", "2s", "--break", "skip-fsync"];
    let output = raftsim(&[&flags[..], &["--json"][..]].concat());
    assert_exit(&output, 1);
    let value = json_object(&output);
    assert_eq!(value["ok"].as_bool(), Some(false));
    let violation = &value["violation"];
    assert_eq!(violation["invariant"], "persist-before-send", "{value}");
    assert!(violation["message"].is_string());
    assert!(violation["time_ns"].is_u64());

    let human = raftsim(&flags);
    assert_exit(&human, 1);
    let text = stdout(&human);
    assert!(
        text.contains("result: VIOLATION of persist-before-send"),
        "{text}"
    );
    assert!(
        text.contains("rules broken on purpose: skip-fsync"),
        "{text}"
    );
    assert_eq!(printed_hash(&text), value["trace_hash"].as_str().unwrap());
    // The printed replay command names every flag that differs from the
    // defaults: running it gives the same run.
    let replay = text
        .lines()
        .find_map(|l| l.strip_prefix("replay: cargo run --release -- "))
        .unwrap_or_else(|| panic!("no replay line in:\n{text}"));
    let args: Vec<&str> = replay.split_whitespace().collect();
    let again = raftsim(&[&args[..], &["--json"][..]].concat());
    assert_exit(&again, 1);
    assert_eq!(json_object(&again)["trace_hash"], value["trace_hash"]);
}

// ---- swarm ---------------------------------------------------------------

#[test]
fn the_ci_swarm_of_200_seeds_passes() {
    let output = raftsim(&["swarm", "--seeds", "0..200", "--jobs", "2"]);
    assert_exit(&output, 0);
    let text = stdout(&output);
    assert!(text.contains("seeds 0..200, 200 runs, 0 failed"), "{text}");
}

#[test]
fn swarm_json_prints_one_line_per_seed() {
    let output = raftsim(&["swarm", "--seeds", "10..16", "--json", "--jobs", "2"]);
    assert_exit(&output, 0);
    let lines = json_lines(&stdout(&output));
    assert_eq!(lines.len(), 6, "{}", stdout(&output));
    assert_eq!(seeds_of(&lines), (10..16).collect::<Vec<_>>());
    for line in &lines {
        assert_eq!(line["ok"].as_bool(), Some(true), "{line}");
        assert!(line["violation"].is_null());
    }
    // A swarm run is the same run as a single one.
    let single = json_object(&raftsim(&["--seed", "13", "--json"]));
    let in_swarm = lines
        .iter()
        .find(|l| l["seed"].as_u64() == Some(13))
        .expect("seed 13");
    assert_eq!(in_swarm["trace_hash"], single["trace_hash"]);
    assert_eq!(in_swarm["events"], single["events"]);
}

#[test]
fn swarm_partitions_split_the_seed_range_exactly() {
    let slice = |k: &str| {
        let output = raftsim(&[
            "swarm",
            "--seeds",
            "0..8",
            "--partition",
            k,
            "--json",
            "--jobs",
            "2",
            "--duration",
            "2s",
            "--heal",
            "3s",
        ]);
        assert_exit(&output, 0);
        seeds_of(&json_lines(&stdout(&output)))
    };
    assert_eq!(slice("2/4"), vec![2, 3]);
    let mut all = Vec::new();
    for k in ["1/4", "2/4", "3/4", "4/4"] {
        all.extend(slice(k));
    }
    all.sort_unstable();
    assert_eq!(all, (0..8).collect::<Vec<_>>());
    assert_eq!(slice("1/1"), (0..8).collect::<Vec<_>>());
}

#[test]
fn a_swarm_with_failures_exits_1_and_lists_them() {
    let output = raftsim(&[
        "swarm",
        "--seeds",
        "0..4",
        "--jobs",
        "2",
        "--duration",
        "2s",
        "--break",
        "skip-fsync",
    ]);
    assert_exit(&output, 1);
    let text = stdout(&output);
    assert!(text.contains("4 runs"), "{text}");
    assert!(text.contains("persist-before-send"), "{text}");
    assert!(
        text.contains("replay one: cargo run --release -- --seed "),
        "{text}"
    );
    let json = raftsim(&[
        "swarm",
        "--seeds",
        "0..4",
        "--jobs",
        "2",
        "--duration",
        "2s",
        "--break",
        "skip-fsync",
        "--json",
    ]);
    assert_exit(&json, 1);
    let lines = json_lines(&stdout(&json));
    assert_eq!(seeds_of(&lines), vec![0, 1, 2, 3]);
    let failed: BTreeSet<u64> = lines
        .iter()
        .filter(|l| l["ok"] == false)
        .map(|l| l["seed"].as_u64().unwrap())
        .collect();
    assert!(failed.contains(&2), "{lines:?}");
    let expected = format!("{} failed", failed.len());
    assert!(text.contains(&expected), "{text}");
}

// ---- the model checker -----------------------------------------------------

#[test]
fn check_with_small_bounds_passes_and_reports_what_it_reached() {
    let output = raftsim(&[
        "check",
        "--max-depth",
        "9",
        "--max-drops",
        "0",
        "--max-crashes",
        "0",
        "--max-dups",
        "0",
        "--jobs",
        "1",
    ]);
    assert_exit(&output, 0);
    let text = stdout(&output);
    for says in [
        "distinct states",
        "bytes per distinct state",
        "sometimes: a leader is elected (depth 5)",
        "a log is truncated: NOT REACHED",
        "result: no violation within the bounds",
    ] {
        assert!(text.contains(says), "`{says}` missing:\n{text}");
    }
}

/// The README's promise: a bare `raftsim check` finds no violation and
/// reaches every sometimes-property (3.4 million states).
#[test]
fn check_with_the_default_bounds_passes_and_reaches_every_sometimes_property() {
    let output = raftsim(&["check"]);
    assert_exit(&output, 0);
    let text = stdout(&output);
    assert!(!text.contains("NOT REACHED"), "{text}");
    assert!(text.contains("a log is truncated (depth 12)"), "{text}");
    assert!(
        text.contains("result: no violation within the bounds"),
        "{text}"
    );
}

#[test]
fn check_finds_a_broken_rule_and_writes_a_scenario_that_replays_it() {
    let dir = std::env::temp_dir().join(format!("raftsim-cli-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("cx.scn");
    let file_arg = file.to_str().expect("UTF-8 path");
    let rule = ["--break", "vote-without-log-check"];
    let mut args = vec!["check", "--max-proposals", "0", "--max-drops", "0"];
    args.extend(["--max-crashes", "0", "--max-dups", "0", "--max-depth", "14"]);
    args.extend(["-o", file_arg]);
    args.extend(rule);
    let output = raftsim(&args);
    assert_exit(&output, 1);
    let text = stdout(&output);
    assert!(
        text.contains("result: VIOLATION leader-completeness"),
        "{text}"
    );
    assert!(text.contains("shortest path (14 actions)"), "{text}");
    assert!(
        text.contains("[vote granted (term 2)]"),
        "the story names messages:\n{text}"
    );
    assert!(
        text.contains(&format!(
            "scenario --break vote-without-log-check {file_arg}"
        )),
        "{text}"
    );
    let replay = raftsim(&["scenario", rule[0], rule[1], file_arg]);
    assert_exit(&replay, 1);
    assert!(
        stdout(&replay).contains("leader-completeness"),
        "{}",
        stdout(&replay)
    );
    let fixed = raftsim(&["scenario", file_arg]);
    assert_exit(&fixed, 0);
    let _ = std::fs::remove_dir_all(&dir);
}

// ---- usage errors ----------------------------------------------------------

#[track_caller]
fn assert_usage_error(args: &[&str], says: &str) {
    let output = raftsim(args);
    assert_exit(&output, 2);
    let err = stderr(&output);
    assert!(
        err.contains(says),
        "raftsim {args:?}: stderr does not say `{says}`:\n{err}"
    );
    assert!(
        !stdout(&output).contains("result:"),
        "raftsim {args:?} ran anyway"
    );
}

#[test]
fn bad_usage_exits_2_with_a_message() {
    assert_usage_error(&["--seed", "notanumber"], "notanumber");
    assert_usage_error(&["--seed", "1", "--duration", "10"], "no unit");
    assert_usage_error(&["--seed", "1", "--heal", "10h"], "unknown unit");
    assert_usage_error(&["swarm", "--seeds", "5..5"], "is empty");
    assert_usage_error(&["swarm", "--seeds", "9"], "not a range");
    assert_usage_error(
        &["swarm", "--seeds", "0..8", "--partition", "5/4"],
        "1 <= K <= N",
    );
    assert_usage_error(&["swarm", "--seeds", "0..8", "--partition", "0/4"], "K");
    assert_usage_error(&["--seed", "1", "--bogus"], "--bogus");
    assert_usage_error(&["--bogus"], "--bogus");
    assert_usage_error(&["--seed", "1", "--nodes", "10"], "not in 1..=9");
    assert_usage_error(&["swarm", "--seeds", "0..2", "--seed", "3"], "--seed");
    assert_usage_error(&["check", "--nodes", "0"], "not in 1..=7");
    assert_usage_error(&["check", "--search", "sideways"], "sideways");
    assert_usage_error(&["check", "--jobs", "0"], "not in 1..=256");
    assert_usage_error(&["check", "--max-depth", "70000"], "not in 0..=65535");
    assert_usage_error(
        &["check", "--break", "everything"],
        "no rule named `everything`",
    );
    assert_usage_error(&["scenario", "--break", "x", "a.scn"], "no rule named `x`");
    assert_usage_error(
        &[
            "--seed",
            "1",
            "--trace",
            "/nonexistent-dir/raftsim/trace.jsonl",
        ],
        "cannot write the trace file",
    );
}

#[test]
fn no_arguments_prints_help_and_exits_2() {
    let output = raftsim(&[]);
    assert_exit(&output, 2);
    let text = stdout(&output);
    assert!(text.contains("--seed"), "{text}");
    assert!(text.contains("swarm"), "{text}");
}

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
    assert!(text.contains("panicked at sim/src/host.rs:"), "{text}");
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
    assert!(text.contains("sim/src/host.rs:"), "{text}");
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
        assert_eq!(stderr(&output), "", "quiet");
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

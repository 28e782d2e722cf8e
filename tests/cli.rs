//! The command line, end to end: exit codes, the trace hash, JSON output,
//! trace files, the swarm and its partitions, and usage errors.

mod common;

use std::collections::BTreeSet;

use common::*;
use serde_json::Value;

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
    assert_eq!(header["version"], 2);
    assert_eq!(header["plan"], report["plan"], "the plan that ran");
    assert_eq!(end["kind"], "end", "{end}");
    assert_eq!(end["result"], "pass");
    assert_eq!(end["trace_hash"], report["trace_hash"]);
    // The picture's records (what each event changed) come after their
    // event and are not events themselves.
    let picture = ["send", "node", "invoke", "op"];
    let events = lines[1..lines.len() - 1]
        .iter()
        .filter(|l| !picture.iter().any(|k| l["kind"] == *k))
        .count();
    assert_eq!(events as u64, report["events"].as_u64().expect("events"));
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

/// The README's promise: `raftsim check --bounds ci`, what CI runs, prints
/// its five bound sets in full, finds no violation and reaches every
/// sometimes-property its bounds allow in each (1.4 million states, then
/// 0.4 and 0.3 million with clients, then 1.5 million with a compaction,
/// then 1.1 million with membership changes and a transfer).
#[test]
fn check_with_the_ci_preset_passes_and_reaches_every_sometimes_property() {
    let output = raftsim(&["check", "--bounds", "ci"]);
    assert_exit(&output, 0);
    let text = stdout(&output);
    assert!(
        text.contains(
            "bounds ci (1 of 5): --nodes 3 --max-term 2 --max-log 2 --max-msgs 5 --max-drops 1 \
             --max-dups 0 --max-crashes 1 --max-proposals 1 --max-depth 12 --pre-vote false \
             --check-quorum false\n"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "bounds ci (2 of 5): --nodes 3 --max-term 2 --max-log 4 --max-msgs 5 --max-drops 0 \
             --max-dups 0 --max-crashes 0 --max-proposals 0 --max-depth 9 --pre-vote false \
             --check-quorum false --settle true --max-partitions 1 --max-client-ops 2 \
             --max-client-retries 0\n"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "bounds ci (3 of 5): --nodes 3 --max-term 1 --max-log 4 --max-msgs 5 --max-drops 0 \
             --max-dups 1 --max-crashes 0 --max-proposals 0 --max-depth 10 --pre-vote false \
             --check-quorum false --settle true --max-client-ops 2 --max-client-retries 1\n"
        ),
        "{text}"
    );
    assert!(
        text.contains(
            "bounds ci (4 of 5): --nodes 3 --max-term 1 --max-log 3 --max-msgs 5 --max-drops 1 \
             --max-dups 1 --max-crashes 1 --max-proposals 1 --max-depth 9 --pre-vote false \
             --check-quorum false --settle true --max-partitions 1 --max-compactions 1 \
             --snapshot-chunk 16\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("a follower installs a snapshot (depth 7)"),
        "{text}"
    );
    assert!(
        text.contains(
            "bounds ci (5 of 5): --nodes 3 --max-term 2 --max-log 4 --max-msgs 5 --max-drops 0 \
             --max-dups 0 --max-crashes 0 --max-proposals 1 --max-depth 8 --pre-vote false \
             --check-quorum false --settle true --max-partitions 1 --max-conf-changes 2 \
             --max-transfers 1 --spares 1\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("a membership change commits (depth 4), a leader hands over (depth 3)"),
        "{text}"
    );
    assert!(!text.contains("NOT REACHED"), "{text}");
    assert!(text.contains("a log is truncated (depth 12)"), "{text}");
    assert!(text.contains("a client is answered (depth 4)"), "{text}");
    // One term: the leader cannot change, and that is not asked for.
    assert!(
        text.contains(
            "sometimes: a leader is elected (depth 2), an entry commits (depth 2), a client is \
             answered (depth 4)\n"
        ),
        "{text}"
    );
    assert_eq!(
        text.matches("result: no violation within the bounds")
            .count(),
        5,
        "{text}"
    );
}

/// A budget stops a search that would outgrow it: inconclusive (exit 3),
/// with what it reached, never a pass.
#[test]
fn check_stops_at_its_memory_or_time_budget_inconclusive() {
    let output = raftsim(&["check", "--memory", "150M", "-o", "/dev/null"]);
    assert_exit(&output, 3);
    let text = stdout(&output);
    assert!(
        text.contains("result: INCONCLUSIVE: the memory budget (--memory 150.0 MB) ran out"),
        "{text}"
    );
    assert!(text.contains("bounds: not exhausted"), "{text}");
    let output = raftsim(&["check", "--time", "1ms", "-o", "/dev/null"]);
    assert_exit(&output, 3);
    assert!(
        stdout(&output).contains("result: INCONCLUSIVE: the time budget (--time) ran out"),
        "{}",
        stdout(&output)
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
    assert_usage_error(&["check", "--bounds", "huge"], "no preset named `huge`");
    assert_usage_error(&["check", "--jobs", "0"], "not in 1..=256");
    assert_usage_error(&["check", "--max-depth", "70000"], "not in 0..=65535");
    assert_usage_error(&["check", "--memory", "lots"], "not a size");
    assert_usage_error(&["check", "--memory", "1M"], "at least 64 MB");
    assert_usage_error(&["check", "--time", "soon"], "soon");
    assert_usage_error(&["check", "--max-client-ops", "9"], "not in 0..=8");
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

/// `--help` names every rule `--break` accepts (the list is written by
/// hand in the flag's documentation; this keeps it whole).
#[test]
fn help_lists_every_rule_that_can_be_broken() {
    let output = raftsim(&["--help"]);
    assert_exit(&output, 0);
    let help = stdout(&output)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    for name in sim::host::HostRuleBreaks::NAMES {
        assert!(help.contains(name), "`{name}` missing from --help:\n{help}");
    }
}

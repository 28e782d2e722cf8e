//! `raftsim lincheck`, end to end: verdicts and exit codes in both file
//! syntaxes, the counterexample in text and JSON, input errors with their
//! line numbers, and a budget that runs out.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::*;

/// A history file with `text` in it; the extension picks the syntax.
fn history(name: &str, text: &str) -> TempFile {
    let file = TempFile::new(name);
    std::fs::write(&file.0, text).expect("the history is written");
    file
}

/// A put of 7 on key 1 over [1 s, 2 s]; then a get of key 1 over [3 s, 4 s]
/// that saw `seen`.
fn put_then_get(seen: &str) -> String {
    format!(
        r#"{{"type":"invoke","process":1,"f":"put","key":1,"value":7,"time":1000000000}}
{{"type":"ok","process":1,"f":"put","key":1,"value":7,"time":2000000000}}
{{"type":"invoke","process":2,"f":"get","key":1,"value":null,"time":3000000000}}
{{"type":"ok","process":2,"f":"get","key":1,"value":{seen},"time":4000000000}}
"#
    )
}

/// A write of 1 over [0, 10], a concurrent write of 2 over [5, 15], then a
/// read over [20, 30] that saw `seen`.
fn two_writes_then_read(seen: &str) -> String {
    format!(
        "{{:type :invoke, :f :write, :value 1, :process 0, :time 0}}
{{:type :invoke, :f :write, :value 2, :process 1, :time 5, :index 1}}
{{:type :ok, :f :write, :value 1, :process 0, :time 10}}
{{:type :ok, :f :write, :value 2, :process 1, :time 15}}
{{:type :invoke, :f :read, :value nil, :process 0, :time 20}}
{{:type :ok, :f :read, :value {seen}, :process 0, :time 30}}
"
    )
}

#[test]
fn a_linearizable_json_lines_history_exits_0() {
    let file = history("lin.jsonl", &put_then_get("[7]"));
    let output = raftsim(&["lincheck", file.arg()]);
    assert_exit(&output, 0);
    let text = stdout(&output);
    assert!(text.contains("kv model, JSON lines"), "{text}");
    assert!(text.contains("2 operations"), "{text}");
    assert!(text.contains("result: linearizable"), "{text}");
}

#[test]
fn a_stale_read_in_json_lines_exits_1_and_names_the_read() {
    let file = history("stale.jsonl", &put_then_get("[]"));
    let output = raftsim(&["lincheck", file.arg()]);
    assert_exit(&output, 1);
    let text = stdout(&output);
    assert!(text.contains("result: NOT LINEARIZABLE"), "{text}");
    assert!(text.contains("get(k1) → []"), "{text}");
    assert!(text.contains("put(k1, 7) → ok"), "{text}");
    // Nanoseconds are shown as seconds, to the millisecond.
    assert!(text.contains("[3.000s .. 4.000s]"), "{text}");
}

#[test]
fn a_linearizable_edn_history_exits_0() {
    // Either write may take effect last.
    for seen in ["1", "2"] {
        let file = history("lin.edn", &two_writes_then_read(seen));
        let output = raftsim(&["lincheck", file.arg()]);
        assert_exit(&output, 0);
        let text = stdout(&output);
        assert!(text.contains("register model, EDN"), "{text}");
        assert!(text.contains("result: linearizable"), "{text}");
    }
}

#[test]
fn an_impossible_read_in_edn_exits_1_and_names_the_read() {
    let file = history("bad.edn", &two_writes_then_read("nil"));
    let output = raftsim(&["lincheck", file.arg()]);
    assert_exit(&output, 1);
    let text = stdout(&output);
    assert!(text.contains("result: NOT LINEARIZABLE"), "{text}");
    assert!(text.contains("read → nil"), "{text}");
    // EDN times are shown as they are.
    assert!(text.contains("[20 .. 30]"), "{text}");
}

#[test]
fn json_prints_the_verdict_and_the_described_counterexample() {
    let file = history("bad-json.edn", &two_writes_then_read("nil"));
    let output = raftsim(&["lincheck", file.arg(), "--json"]);
    assert_exit(&output, 1);
    let value = json_object(&output);
    assert_eq!(value["verdict"], "not_linearizable", "{value}");
    assert_eq!(value["model"], "register");
    assert_eq!(value["format"], "edn");
    assert_eq!(value["operations"], 3);
    let found = &value["counterexample"];
    assert_eq!(found["stuck"]["operation"], "read → nil", "{value}");
    assert_eq!(found["stuck"]["invoked"], 20);
    assert_eq!(found["stuck"]["returned"], 30);
    assert_eq!(found["stuck"]["outcome"], "ok");
    let operations = found["operations"].as_array().expect("operations");
    assert!(
        operations.iter().any(|op| op["operation"] == "read → nil"),
        "{value}"
    );
    assert!(
        operations.iter().all(|op| op["operation"].is_string()),
        "{value}"
    );
    let lin = history("lin-json.edn", &two_writes_then_read("2"));
    let output = raftsim(&["lincheck", lin.arg(), "--json"]);
    assert_exit(&output, 0);
    let value = json_object(&output);
    assert_eq!(value["verdict"], "linearizable", "{value}");
    assert!(value["counterexample"].is_null(), "{value}");
}

#[test]
fn a_malformed_line_exits_2_with_its_line_number() {
    let mut text = put_then_get("[7]");
    text.push_str("{\"type\":\"invoke\",\"process\":3,\"f\":\"get\" \"key\":1}\n");
    let file = history("malformed.jsonl", &text);
    let output = raftsim(&["lincheck", file.arg()]);
    assert_exit(&output, 2);
    let err = stderr(&output);
    assert!(err.contains(&format!("{}:5:", file.arg())), "{err}");
    assert!(err.contains("expected `,` or `}`"), "{err}");
    assert!(!stdout(&output).contains("result:"), "it ran anyway");
}

#[test]
fn a_return_without_an_invocation_exits_2() {
    let text = "{:type :invoke, :f :read, :value nil, :process 0, :time 0}\n\
                {:type :ok, :f :read, :value nil, :process 0, :time 1}\n\
                {:type :ok, :f :write, :value 3, :process 7, :time 2}\n";
    let file = history("orphan.edn", text);
    let output = raftsim(&["lincheck", file.arg()]);
    assert_exit(&output, 2);
    let err = stderr(&output);
    assert!(
        err.contains(&format!(
            "{}:3: ok on process 7, which has no open invoke",
            file.arg()
        )),
        "{err}"
    );
}

#[test]
fn two_open_invocations_on_one_process_exit_2() {
    let text = r#"{"type":"invoke","process":4,"f":"put","key":1,"value":1,"time":0}
{"type":"invoke","process":4,"f":"get","key":1,"time":5}
"#;
    let file = history("twice.jsonl", text);
    let output = raftsim(&["lincheck", file.arg()]);
    assert_exit(&output, 2);
    let err = stderr(&output);
    assert!(
        err.contains(&format!(
            "{}:2: process 4 invokes again while its invoke on line 1 is open",
            file.arg()
        )),
        "{err}"
    );
}

#[test]
fn a_budget_that_runs_out_exits_3_unknown() {
    // Four writes whose outcome is unknown and a read that one of them
    // explains: linearizable, but only a search of more than one
    // configuration can tell.
    let text = "{:type :invoke, :f :write, :value 1, :process 0, :time 0}
{:type :invoke, :f :write, :value 2, :process 1, :time 1}
{:type :invoke, :f :write, :value 3, :process 2, :time 2}
{:type :invoke, :f :write, :value 4, :process 3, :time 3}
{:type :info, :f :write, :value 1, :process 0, :time 4}
{:type :info, :f :write, :value 2, :process 1, :time 5}
{:type :invoke, :f :read, :value nil, :process 5, :time 6}
{:type :ok, :f :read, :value 3, :process 5, :time 7}
";
    let file = history("unknowns.edn", text);
    let output = raftsim(&["lincheck", file.arg(), "--budget", "1"]);
    assert_exit(&output, 3);
    let text = stdout(&output);
    assert!(text.contains("result: UNKNOWN"), "{text}");
    assert!(text.contains("verdict is unknown"), "{text}");
    let output = raftsim(&["lincheck", file.arg(), "--budget", "1", "--json"]);
    assert_exit(&output, 3);
    let value = json_object(&output);
    assert_eq!(value["verdict"], "unknown", "{value}");
    assert_eq!(value["parts_exhausted"], 1, "{value}");
    // With the default budget the verdict is known.
    assert_exit(&raftsim(&["lincheck", file.arg()]), 0);
}

#[test]
fn the_model_and_the_syntax_can_be_named() {
    // A kv history read as a register: `put` is not one of its operations.
    let file = history("kv.jsonl", &put_then_get("[7]"));
    assert_usage_error(
        &["lincheck", file.arg(), "--model", "register"],
        "unknown f `put` (the register model knows read, write, cas)",
    );
    // EDN in a file whose name does not say so.
    let file = history("register.txt", &two_writes_then_read("1"));
    assert_usage_error(
        &["lincheck", file.arg()],
        ":1:2: key must be a string (the line looks like EDN)",
    );
    let output = raftsim(&["lincheck", file.arg(), "--format", "edn"]);
    assert_exit(&output, 0);
}

#[test]
fn a_dash_reads_standard_input() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_raftsim"))
        .args(["lincheck", "-", "--json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("raftsim runs");
    let mut stdin = child.stdin.take().expect("a pipe");
    stdin
        .write_all(put_then_get("[]").as_bytes())
        .expect("the history is sent");
    drop(stdin);
    let output = child.wait_with_output().expect("raftsim ends");
    assert_exit(&output, 1);
    let value = json_object(&output);
    assert_eq!(value["file"], "<stdin>");
    assert_eq!(value["format"], "jsonl");
    assert_eq!(value["verdict"], "not_linearizable");
}

#[test]
fn a_missing_file_or_a_bad_budget_is_a_usage_error() {
    assert_usage_error(
        &["lincheck", "/nonexistent/history.jsonl"],
        "/nonexistent/history.jsonl: cannot read",
    );
    let file = history("budget.jsonl", &put_then_get("[7]"));
    assert_usage_error(&["lincheck", file.arg(), "--budget", "0"], "--budget");
}

/// A run's `--history` file, in either syntax, reads back into `raftsim
/// lincheck` with the run's own verdict: a correct run's history passes, and
/// the history of a run whose deposed leader served stale reads fails.
#[test]
fn a_runs_history_file_gets_the_runs_verdict_from_lincheck() {
    // A seed whose run serves stale reads when leaders read locally: the
    // first the swarm finds (which one depends on raft-core's timing).
    let swarm = raftsim(&[
        "swarm",
        "--seeds",
        "0..200",
        "--break",
        "local-reads",
        "--json",
        "--jobs",
        "2",
    ]);
    let stale = json_lines(&stdout(&swarm))
        .into_iter()
        .filter(|line| line["violation"]["invariant"] == "linearizability")
        .filter_map(|line| line["seed"].as_u64())
        .min()
        .expect("local reads are stale in some seed of 0..200");
    let seed = stale.to_string();
    for extension in ["jsonl", "edn"] {
        let file = TempFile::new(&format!("run-history.{extension}"));
        let run = raftsim(&["--seed", &seed, "--history", file.arg()]);
        assert_exit(&run, 0);
        let text = std::fs::read_to_string(&file.0).expect("the history is written");
        assert!(
            text.lines().count() > 100,
            "a run's worth of events: {text}"
        );
        assert_exit(&raftsim(&["lincheck", file.arg(), "--model", "kv"]), 0);

        let run = raftsim(&[
            "--seed",
            &seed,
            "--break",
            "local-reads",
            "--history",
            file.arg(),
        ]);
        assert_exit(&run, 1);
        assert!(stdout(&run).contains("linearizability"), "{}", stdout(&run));
        let check = raftsim(&["lincheck", file.arg(), "--model", "kv"]);
        assert_exit(&check, 1);
        assert!(stdout(&check).contains("get(k"), "{}", stdout(&check));
    }
}

#[test]
fn output_files_of_one_run_must_differ() {
    let file = TempFile::new("same.jsonl");
    let run = raftsim(&[
        "--seed",
        "1",
        "--history",
        file.arg(),
        "--trace",
        file.arg(),
    ]);
    assert_exit(&run, 2);
    assert!(stderr(&run).contains("different files"), "{}", stderr(&run));
}

#[test]
fn a_scenarios_history_file_gets_the_scenarios_verdict_from_lincheck() {
    let file = TempFile::new("scenario-history.jsonl");
    let scenario = "scenarios/linearizable_retries.scn";
    assert_exit(
        &raftsim(&["scenario", scenario, "--history", file.arg()]),
        0,
    );
    assert_exit(&raftsim(&["lincheck", file.arg()]), 0);
    let broken = [
        "scenario",
        scenario,
        "--break",
        "no-dedup",
        "--history",
        file.arg(),
    ];
    assert_exit(&raftsim(&broken), 1);
    assert_exit(&raftsim(&["lincheck", file.arg()]), 1);
    // One history per command: several scenarios are refused.
    assert_exit(
        &raftsim(&["scenario", "scenarios/", "--history", file.arg()]),
        2,
    );
}

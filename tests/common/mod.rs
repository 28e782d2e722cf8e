//! Helpers shared by the command-line tests: run the binary, read what it
//! printed, temp files, and the usage-error assertion.
#![allow(dead_code)] // each test binary uses its own share of them

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

pub fn raftsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_raftsim"))
        .args(args)
        .output()
        .expect("raftsim runs")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("stdout is UTF-8")
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("stderr is UTF-8")
}

#[track_caller]
pub fn assert_exit(output: &Output, code: i32) {
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
pub fn printed_hash(text: &str) -> String {
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("trace hash"))
        .unwrap_or_else(|| panic!("no trace hash in:\n{text}"));
    let hash = line.split_whitespace().last().expect("a hash").to_string();
    assert!(is_hash(&hash), "`{hash}` is not a 64-bit hex hash");
    hash
}

pub fn is_hash(text: &str) -> bool {
    text.len() == 16 && text.chars().all(|c| c.is_ascii_hexdigit())
}

/// The one JSON object a `--json` run prints.
pub fn json_object(output: &Output) -> Value {
    let text = stdout(output);
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "expected one JSON line, got:\n{text}");
    let value: Value = serde_json::from_str(lines[0]).expect("valid JSON");
    assert!(value.is_object(), "not an object: {value}");
    value
}

/// One JSON object per line.
pub fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l}: {e}")))
        .collect()
}

pub fn seeds_of(lines: &[Value]) -> Vec<u64> {
    let mut seeds: Vec<u64> = lines
        .iter()
        .map(|v| v["seed"].as_u64().expect("a seed"))
        .collect();
    seeds.sort_unstable();
    seeds
}

/// A file in the temp directory, removed when dropped.
pub struct TempFile(pub PathBuf);

impl TempFile {
    pub fn new(name: &str) -> TempFile {
        let path = std::env::temp_dir().join(format!("raftsim-cli-{}-{name}", std::process::id()));
        let _ = std::fs::remove_file(&path);
        TempFile(path)
    }

    pub fn arg(&self) -> &str {
        self.0.to_str().expect("a UTF-8 temp path")
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[track_caller]
pub fn assert_usage_error(args: &[&str], says: &str) {
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

//! `raftsim scenario FILE...`: run scenario files, a line per file.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;
use sim::scenario::{parse, run_scenario_with_bugs};
use sim::trace::TraceEvent;
use sim::units::format_ns;

/// Arguments of `raftsim scenario`.
#[derive(Debug, Args)]
pub struct ScenarioArgs {
    /// Scenario files (`*.scn`), directories of them, or a pattern such as
    /// 'scenarios/*.scn'.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Write every event to FILE as JSON lines (one file: the last scenario's).
    #[arg(long, value_name = "FILE")]
    trace: Option<PathBuf>,
    /// Break a rule of Raft on purpose, as `raftsim check --break` did when
    /// it wrote the file (repeatable).
    #[arg(long = "break", value_name = "RULE", value_parser = crate::rule_break)]
    breaks: Vec<String>,
}

/// Expands directories and `*` patterns (in the last path component) into
/// the sorted list of scenario files.
fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for path in paths {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if path.is_dir() {
            out.extend(matching(path, "*.scn")?);
        } else if name.contains('*') {
            let dir = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            let found = matching(dir, name)?;
            if found.is_empty() {
                return Err(format!("no file matches {}", path.display()));
            }
            out.extend(found);
        } else {
            out.push(path.clone());
        }
    }
    Ok(out)
}

fn matching(dir: &Path, pattern: &str) -> Result<Vec<PathBuf>, String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    let (prefix, suffix) = pattern.split_once('*').unwrap_or((pattern, ""));
    let mut found: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            p.is_file()
                && name.starts_with(prefix)
                && name.ends_with(suffix)
                && name.len() >= prefix.len() + suffix.len()
        })
        .collect();
    found.sort();
    Ok(found)
}

/// Runs the scenarios; returns the exit status (0 all pass, 1 a failure,
/// 2 an error in a file or in the arguments).
pub fn scenario(args: &ScenarioArgs) -> i32 {
    let files = match expand(&args.files) {
        Ok(files) => files,
        Err(message) => {
            eprintln!("raftsim scenario: {message}");
            return 2;
        }
    };
    let mut status = 0;
    for path in &files {
        status = status.max(run_file(path, args.trace.as_deref(), &args.breaks));
    }
    if files.len() > 1 {
        println!("{} scenario files run", files.len());
    }
    status
}

fn run_file(path: &Path, trace: Option<&Path>, breaks: &[String]) -> i32 {
    let name = path.display().to_string();
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) => {
            eprintln!("raftsim scenario: cannot read {name}: {err}");
            return 2;
        }
    };
    let scenario = match parse(&name, &text) {
        Ok(scenario) => scenario,
        Err(err) => {
            eprintln!("ERROR {err}");
            return 2;
        }
    };
    let mut out = match trace.map(File::create).transpose() {
        Ok(out) => out.map(BufWriter::new),
        Err(err) => {
            eprintln!("raftsim scenario: cannot write the trace: {err}");
            return 2;
        }
    };
    let mut sink = |event: &TraceEvent| {
        if let Some(out) = out.as_mut() {
            let _ = writeln!(
                out,
                "{}",
                serde_json::to_string(event).expect("trace events serialize")
            );
        }
    };
    let started = Instant::now();
    let tracing = trace.is_some();
    let result = run_scenario_with_bugs(
        &scenario,
        tracing.then_some(&mut sink as &mut dyn FnMut(&TraceEvent)),
        crate::host_bugs(breaks),
    );
    let wall = started.elapsed().as_secs_f64();
    if let Some(mut out) = out {
        let _ = out.flush();
    }
    match result {
        Err(err) => {
            eprintln!("ERROR {err}");
            2
        }
        Ok(outcome) => match outcome.failure {
            None => {
                println!(
                    "PASS {name}  (virtual {}, wall {wall:.3}s, {} events)",
                    format_ns(outcome.sim_time_ns),
                    outcome.events
                );
                0
            }
            Some(failure) => {
                println!(
                    "FAIL {name}:{}:{}: {}",
                    failure.span.line, failure.span.col, failure.message
                );
                println!("  at: {}", failure.line);
                println!("  virtual time {}", format_ns(outcome.sim_time_ns));
                println!("  cluster:");
                for line in &failure.state {
                    println!("    {line}");
                }
                println!("  last events:");
                for event in &failure.tail {
                    println!("    {event}");
                }
                1
            }
        },
    }
}

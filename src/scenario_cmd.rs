//! `raftsim scenario FILE...`: run scenario files, a line per file.

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Args;
use sim::checker::Invariant;
use sim::host::HostRuleBreaks;
use sim::scenario::limits::FILE_BYTES_MAX;
use sim::scenario::needs::unsupported_step;
use sim::scenario::{
    INTERRUPTED, MAX_EVENTS, Outcome, Scenario, ScenarioError, parse_bytes, run_scenario_until,
};
use sim::stepper::StepBounds;
use sim::sut::{Feature, Sut};
use sim::trace::{TraceEnd, TraceEvent, TraceHeader};
use sim::units::format_ns;

use crate::say;
use crate::status::Status;
use crate::trace_file::TraceFiles;

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
    /// Write a picture of the run to FILE: one self-contained HTML page
    /// (one file: give one scenario).
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// Break a rule of Raft on purpose, as `raftsim check --break` did when
    /// it wrote the file (repeatable).
    #[arg(long = "break", value_name = "RULE", value_parser = crate::settings::rule_break)]
    breaks: Vec<String>,
    /// Write what the clients saw to FILE: JSON lines, or Jepsen EDN when
    /// FILE ends in `.edn` (one file: give one scenario).
    #[arg(long, value_name = "FILE")]
    history: Option<PathBuf>,
    /// The Raft the nodes run: raft-core, or raft-rs (tikv's, through its
    /// adapter). A scenario that needs what it cannot do is skipped
    /// (`SKIP`, exit 0), naming the step and the feature.
    #[arg(long, value_name = "NAME", default_value = "raft-core", value_parser = crate::sut_arg::parse_sut)]
    sut: Sut,
    #[command(flatten)]
    lincheck: crate::settings::LincheckSettings,
}

/// Expands directories and `*` patterns (in the last path component) into
/// the sorted list of scenario files.
fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for path in paths {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if path.is_dir() {
            let found = matching(path, "*.scn")?;
            if found.is_empty() {
                return Err(format!("no scenario files (*.scn) in {}", path.display()));
            }
            out.extend(found);
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

/// Runs the scenarios; returns the exit status (the gravest of the files':
/// 0 all pass, 1 a failure, 2 an error in a file or in the arguments, 3 a
/// scenario stopped by a bound).
pub fn scenario(args: &ScenarioArgs) -> Status {
    let files = match expand(&args.files) {
        Ok(files) => files,
        Err(message) => {
            eprintln!("raftsim scenario: {message}");
            return Status::Usage;
        }
    };
    let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    let outputs = [
        ("--trace", &args.trace),
        ("--html", &args.html),
        ("--history", &args.history),
    ];
    for (flag, path) in outputs.iter().filter_map(|(f, p)| Some((*f, p.as_ref()?))) {
        if files.iter().any(|f| same(f, path)) {
            eprintln!(
                "raftsim scenario: {flag} {} would overwrite a scenario file being run",
                path.display()
            );
            return Status::Usage;
        }
        if files.len() > 1 {
            eprintln!(
                "raftsim scenario: {flag} writes one run; give it one scenario file, not {}",
                files.len()
            );
            return Status::Usage;
        }
    }
    let named: Vec<&PathBuf> = outputs.iter().filter_map(|(_, p)| p.as_ref()).collect();
    if (1..named.len()).any(|i| named[..i].contains(&named[i])) {
        eprintln!("raftsim scenario: --trace, --html and --history must name different files");
        return Status::Usage;
    }
    let mut status = Status::Ok;
    for path in &files {
        if status == Status::Interrupted {
            break;
        }
        status = status.and(run_file(path, args));
    }
    if files.len() > 1 && status != Status::Interrupted {
        say!("{} scenario files named", files.len());
    }
    status
}

fn run_file(path: &Path, args: &ScenarioArgs) -> Status {
    let (breaks, lincheck) = (&args.breaks, &args.lincheck);
    let name = path.display().to_string();
    let bytes = match read_bounded(path) {
        Ok(bytes) => bytes,
        Err(message) => {
            eprintln!("raftsim scenario: cannot read {name}: {message}");
            return Status::Usage;
        }
    };
    let scenario = match parse_bytes(&name, &bytes) {
        Ok(scenario) => scenario,
        Err(err) => {
            eprintln!("ERROR {err}");
            return Status::Usage;
        }
    };
    let out = match TraceFiles::open(args.trace.as_deref(), args.html.as_deref()) {
        Ok(out) => out,
        Err(message) => {
            eprintln!("raftsim scenario: {message}");
            return Status::Usage;
        }
    };
    let breaks = crate::settings::rule_breaks(breaks);
    if breaks.raft != raft_core::RuleBreaks::default() {
        if let Some(why) = args.sut.lacks(Feature::RaftRuleBreaks) {
            eprintln!("raftsim scenario: --sut: {why}");
            return Status::Usage;
        }
    }
    if let Some(skip) = unsupported_step(&scenario, &args.sut) {
        say!("SKIP {name}: {skip}");
        return Status::Ok;
    }
    let started = Instant::now();
    let bounds = StepBounds {
        max_events: MAX_EVENTS,
        lincheck_budget: lincheck.budget(),
    };
    let (result, mut errors) = run_traced(args.sut, &name, &scenario, breaks, bounds, out);
    let wall = started.elapsed().as_secs_f64();
    let outcome = match result {
        Err(err) => {
            eprintln!("ERROR {err}");
            return Status::Usage;
        }
        Ok(outcome) => outcome,
    };
    // The files first, then the verdict, then any write error.
    if let Some(path) = &args.history {
        if let Err(message) = crate::history_file::write(path, &outcome.history) {
            errors.push(message);
        }
    }
    let status = match scenario.expected_failure_for(args.sut.name) {
        Some(invariant) => print_hazard(&name, &outcome, wall, invariant),
        None => print_outcome(&name, &outcome, wall),
    };
    for message in &errors {
        eprintln!("raftsim scenario: {message}");
    }
    if errors.is_empty() {
        status
    } else {
        status.and(Status::Usage)
    }
}

/// Runs `scenario` (named `name`) with its records going to `out`; the
/// outcome, and the errors writing `out` met.
fn run_traced(
    sut: Sut,
    name: &str,
    scenario: &Scenario,
    breaks: HostRuleBreaks,
    bounds: StepBounds,
    mut out: TraceFiles,
) -> (Result<Outcome, ScenarioError>, Vec<String>) {
    out.header(&TraceHeader::<()>::new("scenario", Some(name), None));
    let tracing = out.any();
    let mut sink = |event: &TraceEvent| out.event(event);
    let result = run_scenario_until(
        sut,
        scenario,
        tracing.then_some(&mut sink as &mut dyn FnMut(&TraceEvent)),
        breaks,
        bounds,
        &crate::interrupt::requested,
    );
    let errors = match &result {
        Ok(outcome) => out.finish(&outcome.history, &trace_end(outcome)),
        Err(_) => Vec::new(),
    };
    (result, errors)
}

/// Writes the picture of the scenario `text` (named `name`, run with the
/// rule breaks `breaks`) to `path`: how `shrink` and `check` draw the run
/// they found. `Err` says what went wrong.
pub fn picture_of(
    sut: Sut,
    name: &str,
    text: &str,
    breaks: HostRuleBreaks,
    path: &Path,
) -> Result<(), String> {
    let scenario = parse_bytes(name, text.as_bytes()).map_err(|err| err.to_string())?;
    let out = TraceFiles::open(None, Some(path))?;
    let bounds = StepBounds::new(MAX_EVENTS);
    let (result, errors) = run_traced(sut, name, &scenario, breaks, bounds, out);
    result.map_err(|err| err.to_string())?;
    errors.into_iter().next().map_or(Ok(()), Err)
}

/// The file's bytes, refusing one past [`FILE_BYTES_MAX`] without reading
/// it all.
fn read_bounded(path: &Path) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut bytes = Vec::new();
    file.take(FILE_BYTES_MAX + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 > FILE_BYTES_MAX {
        return Err(format!(
            "larger than {} MiB, the limit for a scenario file",
            FILE_BYTES_MAX >> 20
        ));
    }
    Ok(bytes)
}

fn trace_end(outcome: &Outcome) -> TraceEnd {
    let (result, stop) = match (&outcome.failure, &outcome.inconclusive) {
        (None, Some(stop)) if stop.message == INTERRUPTED => ("interrupted", Some(stop)),
        (Some(failure), _) => ("violation", Some(failure)),
        (None, Some(stop)) => ("inconclusive", Some(stop)),
        (None, None) => ("pass", None),
    };
    TraceEnd::new(
        result,
        stop.and_then(|f| f.violation.as_ref()),
        stop.map(|f| f.message.clone()),
        (outcome.sim_time_ns, outcome.events, outcome.trace_hash),
    )
}

/// A scenario marked `# expect failure: INVARIANT`: a documented hazard,
/// shown when the run breaks that invariant (`XFAIL`, exit 0); a run that
/// passes has lost its teeth (`XPASS`, exit 1); any other ending is
/// reported as usual.
fn print_hazard(name: &str, outcome: &Outcome, wall: f64, invariant: Invariant) -> Status {
    if outcome.broke(invariant) {
        say!(
            "XFAIL {name}  (fails as expected: {invariant}; virtual {}, wall {wall:.3}s, {} events)",
            format_ns(outcome.sim_time_ns),
            outcome.events
        );
        return Status::Ok;
    }
    if outcome.failure.is_none() && outcome.inconclusive.is_none() {
        say!("XPASS {name}: expected to fail with {invariant} (a documented hazard), but passed");
        return Status::Violation;
    }
    print_outcome(name, outcome, wall)
}

fn print_outcome(name: &str, outcome: &Outcome, wall: f64) -> Status {
    let (word, stop, status) = match (&outcome.failure, &outcome.inconclusive) {
        (None, None) => {
            say!(
                "PASS {name}  (virtual {}, wall {wall:.3}s, {} events)",
                format_ns(outcome.sim_time_ns),
                outcome.events
            );
            return Status::Ok;
        }
        (None, Some(stop)) if stop.message == INTERRUPTED => {
            say!(
                "INTERRUPTED {name} at virtual {} ({} events)",
                format_ns(outcome.sim_time_ns),
                outcome.events
            );
            return Status::Interrupted;
        }
        (Some(failure), _) => ("FAIL", failure, Status::Violation),
        (None, Some(stop)) => ("INCONCLUSIVE", stop, Status::Inconclusive),
    };
    say!(
        "{word} {name}:{}:{}: {}",
        stop.span.line,
        stop.span.col,
        stop.message
    );
    say!("  at: {}", stop.line);
    say!("  virtual time {}", format_ns(outcome.sim_time_ns));
    say!("  cluster:");
    for line in &stop.state {
        say!("    {line}");
    }
    say!("  last events:");
    for event in &stop.tail {
        say!("    {event}");
    }
    status
}

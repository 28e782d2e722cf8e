//! `raftsim --seed N`: one run, printed for people or as JSON.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use sim::plan::RunPlan;
use sim::run::{RunOptions, RunReport, run_until};
use sim::trace::{TraceEnd, TraceEvent, TraceHeader};
use sim::units::format_ns;

use crate::settings::RunSettings;
use crate::status::Status;
use crate::trace_file::TraceFiles;
use crate::{interrupt, say};

/// The arguments of a single run (the command line without a subcommand).
#[derive(Debug, Args, Clone)]
pub struct RunArgs {
    /// The seed of the run to play: it picks the faults, schedule and noise.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Print one JSON object (with the resolved plan) instead of the report.
    #[arg(long)]
    json: bool,
    /// Write every event to FILE as JSON lines (format in the README).
    #[arg(long, value_name = "FILE")]
    trace: Option<PathBuf>,
    /// Write a picture of the run to FILE: one self-contained HTML page (a
    /// lane per node over virtual time, messages, faults, the clients'
    /// operations, the violation), opened from disk in any browser.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// Also write the run as a scenario file that replays the same faults.
    #[arg(long, value_name = "FILE")]
    emit_scenario: Option<PathBuf>,
    /// Write what the clients saw to FILE: JSON lines, or Jepsen EDN when
    /// FILE ends in `.edn` (for `raftsim lincheck`; format in the README).
    #[arg(long, value_name = "FILE")]
    history: Option<PathBuf>,
    /// Skip the invariant checkers (to measure their cost).
    #[arg(long)]
    no_checkers: bool,
    #[command(flatten)]
    pub settings: RunSettings,
}

/// Runs seed `seed` and reports it.
pub fn run_one(args: &RunArgs, seed: u64) -> Status {
    if let Err(why) = args.settings.check_sut() {
        eprintln!("raftsim: --sut: {why}");
        return Status::Usage;
    }
    let mut options = args.settings.options(seed);
    options.checkers = !args.no_checkers;
    let plan = options.plan();
    let mut trace = match open_trace(args, &plan) {
        Ok(trace) => trace,
        Err(status) => return status,
    };
    if !args.json {
        say!("{plan}");
    }
    let started = Instant::now();
    let tracing = trace.any();
    let mut sink = |event: &TraceEvent| trace.event(event);
    let report = run_until(
        &options,
        tracing.then_some(&mut sink as &mut dyn FnMut(&TraceEvent)),
        &interrupt::requested,
    );
    let wall_s = started.elapsed().as_secs_f64();
    let Some(report) = report else {
        report_interrupted(args, seed, &plan, trace);
        return Status::Interrupted;
    };
    // Files first, then the report: a reader that stops early (a closed
    // pipe) never costs them; their errors come after the verdict.
    let write_errors = write_files(args, &options, &report, trace);
    if args.json {
        say!("{}", json_line(&report, &plan));
    } else {
        print_report(args, &report, wall_s);
    }
    for message in &write_errors {
        eprintln!("raftsim: {message}");
    }
    let written = if write_errors.is_empty() {
        Status::Ok
    } else {
        Status::Usage
    };
    status_of(&report).and(written)
}

/// Checks that the output files are distinct and opens the trace, headed by
/// the plan; a problem is reported here and comes back as the status.
fn open_trace(args: &RunArgs, plan: &RunPlan) -> Result<TraceFiles, Status> {
    let outputs = [&args.trace, &args.html, &args.emit_scenario, &args.history];
    let named: Vec<&PathBuf> = outputs.iter().filter_map(|p| p.as_ref()).collect();
    if (1..named.len()).any(|i| named[..i].contains(&named[i])) {
        eprintln!(
            "raftsim: --trace, --html, --emit-scenario and --history must name different files"
        );
        return Err(Status::Usage);
    }
    let mut trace =
        TraceFiles::open(args.trace.as_deref(), args.html.as_deref()).map_err(|message| {
            eprintln!("raftsim: {message}");
            Status::Usage
        })?;
    trace.header(&TraceHeader::new("run", None, Some(plan)));
    Ok(trace)
}

/// Closes the trace of a run the user interrupted and says so.
fn report_interrupted(args: &RunArgs, seed: u64, plan: &RunPlan, trace: TraceFiles) {
    let end = TraceEnd::new("interrupted", None, None, (0, 0, 0));
    for message in trace.finish(&sim::history::History::default(), &end) {
        eprintln!("raftsim: {message}");
    }
    if args.json {
        say!(
            "{}",
            serde_json::json!({"seed": seed, "result": "interrupted", "plan": plan})
        );
    } else {
        say!("result: INTERRUPTED before the end of the run (nothing to report)");
    }
}

/// Finishes the trace and writes the history and the exported scenario;
/// returns what could not be written.
fn write_files(
    args: &RunArgs,
    options: &RunOptions,
    report: &RunReport,
    trace: TraceFiles,
) -> Vec<String> {
    let mut write_errors = trace.finish(&report.history, &trace_end(report));
    if let Some(path) = &args.history {
        if let Err(message) = crate::history_file::write(path, &report.history) {
            write_errors.push(message);
        }
    }
    if let Some(path) = &args.emit_scenario {
        let story = format!(
            "Exported from `raftsim --seed {}{}`: the same cluster, noise seed\nand faults, each at its virtual time and on the node it hit.",
            report.seed,
            args.settings.replay_flags()
        );
        let text = sim::export::scenario_text(options, &options.fault_schedule(), report, &story);
        if let Err(err) = std::fs::write(path, text) {
            write_errors.push(format!("cannot write {}: {err}", path.display()));
        }
    }
    write_errors
}

/// The exit status a run's outcome calls for.
pub fn status_of(report: &RunReport) -> Status {
    if report.failure.is_some() {
        Status::Violation
    } else if report.inconclusive.is_some() {
        Status::Inconclusive
    } else {
        Status::Ok
    }
}

/// `"pass"`, `"violation"` or `"inconclusive"`.
pub fn result_word(report: &RunReport) -> &'static str {
    match status_of(report) {
        Status::Violation => "violation",
        Status::Inconclusive => "inconclusive",
        _ if !report.checked => "unchecked",
        _ => "pass",
    }
}

fn trace_end(report: &RunReport) -> TraceEnd {
    let failure = report.failure.as_ref();
    TraceEnd::new(
        result_word(report),
        failure.map(|f| &f.violation),
        failure
            .map(|f| f.violation.to_string())
            .or_else(|| report.inconclusive.clone()),
        (report.sim_time_ns, report.events, report.trace_hash),
    )
}

/// One JSON object for a run: its outcome, its counters and its plan.
pub fn json_line(report: &RunReport, plan: &RunPlan) -> String {
    let violation = report.failure.as_ref().map(|f| {
        serde_json::json!({
            "invariant": f.violation.invariant.to_string(),
            "time_ns": f.time_ns,
            "nodes": f.violation.nodes.iter().map(|n| n.number()).collect::<Vec<_>>(),
            "message": f.violation.message,
            "not_linearizable": f.violation.not_linearizable,
        })
    });
    serde_json::json!({
        "seed": report.seed,
        "result": result_word(report),
        "ok": report.ok(),
        "violation": violation,
        "inconclusive": report.inconclusive,
        "sim_time_ns": report.sim_time_ns,
        "events": report.events,
        "committed": report.committed,
        "ops": report.ops,
        "availability": report.availability,
        "net": report.net,
        "faults": report.world,
        "trace_hash": format!("{:016x}", report.trace_hash),
        "plan": plan,
    })
    .to_string()
}

fn print_report(args: &RunArgs, report: &RunReport, wall_s: f64) {
    let net = &report.net;
    let faults = &report.world;
    let ops = &report.ops;
    say!("summary:");
    say!("  virtual time   {}", format_ns(report.sim_time_ns));
    say!("  events         {}", report.events);
    say!(
        "  messages       {} sent, {} delivered, {} dropped (noise {}, partition {}, overflow {}), {} duplicated",
        net.sent,
        net.delivered,
        net.dropped_noise + net.dropped_partition + net.dropped_overflow,
        net.dropped_noise,
        net.dropped_partition,
        net.dropped_overflow,
        net.duplicated
    );
    say!(
        "  faults         {} crashes, {} restarts, {} pauses, {} partitions ({} schedule steps)",
        faults.crashes,
        faults.restarts,
        faults.pauses,
        faults.partitions,
        report.schedule_steps
    );
    if faults.snapshots_taken + faults.snapshots_installed > 0 {
        say!(
            "  snapshots      {} taken, {} chunks sent, {} installed",
            faults.snapshots_taken,
            faults.snapshot_chunks_sent,
            faults.snapshots_installed
        );
    }
    let membership_ops = faults.conf_changes_proposed + faults.leader_transfers;
    if membership_ops + faults.membership_changes_done > 0 {
        say!(
            "  membership     {} changes committed ({} proposals accepted), {} leader transfers, {} nodes retired",
            faults.membership_changes_done,
            faults.conf_changes_proposed,
            faults.leader_transfers,
            faults.nodes_retired
        );
    }
    say!("  committed      {} entries", report.committed);
    say!(
        "  client ops     {} ok, {} failed, {} unknown, {} pending",
        ops.ok,
        ops.failed,
        ops.unknown,
        ops.pending
    );
    let a = &report.availability;
    say!(
        "  availability   no leader {:.1}% of the time, longest stable gap {} ({:.0}% of its bound), \
         {} terms ({:.1}/min), latency p50 {} p99 {}, {:.1} messages per commit",
        a.leaderless_ns as f64 * 100.0 / a.sampled_ns.max(1) as f64,
        format_ns(a.stable_leaderless_max_ns),
        a.stable_leaderless_max_of_bound * 100.0,
        a.terms,
        a.terms_per_minute,
        format_ns(a.latency_p50_ns),
        format_ns(a.latency_p99_ns),
        a.messages_per_commit
    );
    let sim_s = report.sim_time_ns as f64 / 1e9;
    say!(
        "  wall time      {wall_s:.3}s ({:.0} simulated s per wall s, {:.0} events/s)",
        sim_s / wall_s.max(1e-9),
        report.events as f64 / wall_s.max(1e-9)
    );
    say!("  trace hash     {:016x}", report.trace_hash);
    print_verdict(args, report);
}

/// The result line, and for a failure its last events and how to replay
/// and shrink it.
fn print_verdict(args: &RunArgs, report: &RunReport) {
    let replay = format!(
        "replay: cargo run --release -- --seed {}{}",
        report.seed,
        args.settings.replay_flags()
    );
    match (&report.failure, &report.inconclusive) {
        (None, None) if args.no_checkers => {
            say!("result: ran to the end; invariants NOT checked (--no-checkers)");
        }
        (None, None) => say!("result: ok, no invariant broken"),
        (None, Some(why)) => {
            say!("result: INCONCLUSIVE: {why}; nothing broke before it");
            say!("{replay}");
        }
        (Some(failure), _) => {
            say!(
                "result: VIOLATION of {} at {}",
                failure.violation.invariant,
                format_ns(failure.time_ns)
            );
            say!("  {}", failure.violation);
            say!("last events:");
            for event in &failure.tail {
                say!("  {event}");
            }
            say!("{replay}");
            say!(
                "shrink: cargo run --release -- shrink --seed {}{}",
                report.seed,
                args.settings.replay_flags()
            );
        }
    }
}

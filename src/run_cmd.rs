//! `raftsim --seed N`: one run, printed for people or as JSON.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::time::Instant;

use sim::run::{RunReport, run};
use sim::trace::TraceEvent;
use sim::units::format_ns;

use crate::RunArgs;

/// Runs seed `seed`; returns the exit status (0 ok, 1 violation, 2 usage).
pub fn run_one(args: &RunArgs, seed: u64) -> i32 {
    let options = args.options(seed);
    let mut trace_file = match &args.trace {
        Some(path) => match File::create(path) {
            Ok(file) => Some(BufWriter::new(file)),
            Err(err) => {
                eprintln!("raftsim: cannot write trace file {}: {err}", path.display());
                return 2;
            }
        },
        None => None,
    };
    if !args.json {
        println!(
            "raftsim: seed {seed}, {} nodes, {} clients, {} of faults then {} healed",
            options.cluster_spec().nodes,
            options.spec.clients,
            format_ns(options.fault_ns),
            format_ns(options.heal_ns)
        );
        println!("fault mix (from the seed):\n{}", options.fault_mix());
        for (name, pinned) in [
            ("pre_vote", args.pre_vote),
            ("check_quorum", args.check_quorum),
        ] {
            if let Some(on) = pinned {
                println!("  pinned by flag: {name} {}", if on { "on" } else { "off" });
            }
        }
    }
    let started = Instant::now();
    let mut write_error = None;
    let mut sink = |event: &TraceEvent| {
        if let Some(out) = trace_file.as_mut() {
            let line = serde_json::to_string(event).expect("trace events serialize");
            if let Err(err) = writeln!(out, "{line}") {
                write_error.get_or_insert(err);
            }
        }
    };
    let tracing = args.trace.is_some();
    let report = run(
        &options,
        tracing.then_some(&mut sink as &mut dyn FnMut(&TraceEvent)),
    );
    let wall = started.elapsed();
    if let Some(mut out) = trace_file {
        if let Err(err) = out.flush() {
            write_error.get_or_insert(err);
        }
    }
    if let Some(err) = write_error {
        eprintln!("raftsim: writing the trace failed: {err}");
        return 2;
    }
    if let Some(path) = &args.emit_scenario {
        let story = format!(
            "Exported from `raftsim --seed {seed}{}`: the same cluster, noise seed\nand faults, each at its virtual time and on the node it hit.",
            args.replay_flags()
        );
        let text = sim::export::scenario_text(&options, &options.fault_schedule(), &report, &story);
        if let Err(err) = std::fs::write(path, text) {
            eprintln!("raftsim: cannot write {}: {err}", path.display());
            return 2;
        }
    }
    if args.json {
        println!("{}", json_line(&report));
    } else {
        print_report(args, &report, wall.as_secs_f64());
    }
    i32::from(!report.ok())
}

/// One JSON object for a run.
pub fn json_line(report: &RunReport) -> String {
    let violation = report.failure.as_ref().map(|f| {
        serde_json::json!({
            "invariant": f.violation.invariant.to_string(),
            "time_ns": f.time_ns,
            "nodes": f.violation.nodes.iter().map(|n| n + 1).collect::<Vec<_>>(),
            "message": f.violation.message,
        })
    });
    serde_json::json!({
        "seed": report.seed,
        "ok": report.ok(),
        "violation": violation,
        "sim_time_ns": report.sim_time_ns,
        "events": report.events,
        "committed": report.committed,
        "ops": report.ops,
        "net": report.net,
        "faults": report.world,
        "trace_hash": format!("{:016x}", report.trace_hash),
    })
    .to_string()
}

fn print_report(args: &RunArgs, report: &RunReport, wall_s: f64) {
    let net = &report.net;
    let faults = &report.world;
    let ops = &report.ops;
    println!("summary:");
    println!("  virtual time   {}", format_ns(report.sim_time_ns));
    println!("  events         {}", report.events);
    println!(
        "  messages       {} sent, {} delivered, {} dropped (noise {}, partition {}, overflow {}), {} duplicated",
        net.sent,
        net.delivered,
        net.dropped_noise + net.dropped_partition + net.dropped_overflow,
        net.dropped_noise,
        net.dropped_partition,
        net.dropped_overflow,
        net.duplicated
    );
    println!(
        "  faults         {} crashes, {} restarts, {} pauses, {} partitions ({} schedule steps)",
        faults.crashes, faults.restarts, faults.pauses, faults.partitions, report.schedule_steps
    );
    println!("  committed      {} entries", report.committed);
    println!(
        "  client ops     {} ok, {} failed, {} unknown, {} pending",
        ops.ok, ops.failed, ops.unknown, ops.pending
    );
    let sim_s = report.sim_time_ns as f64 / 1e9;
    println!(
        "  wall time      {wall_s:.3}s ({:.0} simulated s per wall s, {:.0} events/s)",
        sim_s / wall_s.max(1e-9),
        report.events as f64 / wall_s.max(1e-9)
    );
    println!("  trace hash     {:016x}", report.trace_hash);
    match &report.failure {
        None => println!("result: ok, no invariant broken"),
        Some(failure) => {
            println!(
                "result: VIOLATION of {} at {}",
                failure.violation.invariant,
                format_ns(failure.time_ns)
            );
            println!("  {}", failure.violation);
            println!("last events:");
            for event in &failure.tail {
                println!("  {event}");
            }
            println!(
                "replay: cargo run --release -- --seed {}{}",
                report.seed,
                args.replay_flags()
            );
        }
    }
}

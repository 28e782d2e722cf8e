//! `raftsim check`: the model checker (breadth-first, bounded).

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use sim::explore::{Bounds, check, scenario_text};

/// Arguments of `raftsim check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Voters.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=5))]
    nodes: u64,
    /// No election past this term.
    #[arg(long, default_value_t = 2)]
    max_term: u64,
    /// No proposal past this log length.
    #[arg(long, default_value_t = 2)]
    max_log: u64,
    /// States with more messages in flight are not expanded.
    #[arg(long, default_value_t = 4)]
    max_msgs: usize,
    /// Messages lost, at most.
    #[arg(long, default_value_t = 0)]
    max_drops: u32,
    /// Crashes, at most.
    #[arg(long, default_value_t = 0)]
    max_crashes: u32,
    /// Client proposals, at most.
    #[arg(long, default_value_t = 1)]
    max_proposals: u32,
    /// Actions from the initial state, at most.
    #[arg(long, default_value_t = 10)]
    max_depth: u32,
    /// raft-core's PreVote (true/false).
    #[arg(long, default_value_t = false, action = clap::ArgAction::Set)]
    pre_vote: bool,
    /// raft-core's CheckQuorum (true/false; its timer is not an action yet).
    #[arg(long, default_value_t = false, action = clap::ArgAction::Set)]
    check_quorum: bool,
    /// Where to write the shortest counterexample as a scenario.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<PathBuf>,
}

/// Runs the search; returns the exit status (0 no violation, 1 violation).
pub fn check_command(args: &CheckArgs) -> i32 {
    let bounds = Bounds {
        nodes: args.nodes as usize,
        max_term: args.max_term,
        max_log: args.max_log,
        max_msgs: args.max_msgs,
        max_drops: args.max_drops,
        max_crashes: args.max_crashes,
        max_proposals: args.max_proposals,
        max_depth: args.max_depth,
        pre_vote: args.pre_vote,
        check_quorum: args.check_quorum,
        ..Bounds::default()
    };
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} [{elapsed}]").expect("valid template"),
    );
    let started = Instant::now();
    let report = check(&bounds, |states, depth| {
        let rate = states as f64 / started.elapsed().as_secs_f64().max(1e-9);
        bar.set_message(format!(
            "{states} distinct states, depth {depth}, {rate:.0} states/s"
        ));
        bar.tick();
    });
    bar.finish_and_clear();
    let wall = started.elapsed().as_secs_f64();
    println!(
        "raftsim check: {} distinct states ({} generated), depth {}, {wall:.2}s, {:.0} distinct states/s",
        report.distinct_states,
        report.generated_states,
        report.depth,
        report.distinct_states as f64 / wall.max(1e-9)
    );
    let s = &report.sometimes;
    let mark = |b: bool| if b { "reached" } else { "NOT reached" };
    println!(
        "sometimes: leader elected {}, entry committed {}, leader changed {}, log truncated {}",
        mark(s.leader_elected),
        mark(s.entry_committed),
        mark(s.leader_changed),
        mark(s.log_truncated)
    );
    let Some(found) = report.counterexample else {
        println!("result: no violation within the bounds");
        return 0;
    };
    println!("result: VIOLATION {}", found.violation);
    println!("shortest path ({} actions):", found.steps.len());
    for (n, step) in found.steps.iter().enumerate() {
        println!("  {:>3}. {}", n + 1, step.scenario_line());
    }
    let text = scenario_text(&bounds, &found);
    let path = args
        .output
        .clone()
        .unwrap_or_else(|| PathBuf::from("counterexample.scn"));
    match std::fs::write(&path, text) {
        Ok(()) => println!("replay: cargo run --release -- scenario {}", path.display()),
        Err(err) => eprintln!("raftsim check: cannot write {}: {err}", path.display()),
    }
    1
}

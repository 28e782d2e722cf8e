//! The raftsim command line: argument parsing and output only; everything
//! else lives in the `sim` crate.

mod check_cmd;
mod run_cmd;
mod scenario_cmd;
mod shrink_cmd;
mod swarm_cmd;

use clap::{Args, Parser, Subcommand};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use sim::run::RunOptions;
use sim::units::parse_duration_ns;

/// raftsim: deterministic simulation and model checking for Raft.
///
/// With `--seed N`, runs one simulated cluster under the faults seed N
/// picks, checks the Raft invariants after every event, and prints what
/// happened. The same seed always replays the same run.
#[derive(Debug, Parser)]
#[command(
    name = "raftsim",
    version,
    about,
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run many seeds in parallel with a progress bar; list the failures.
    Swarm(swarm_cmd::SwarmArgs),
    /// Run scenario files (see scenarios/README.md).
    Scenario(scenario_cmd::ScenarioArgs),
    /// Reduce a failing seed to a minimal scenario file.
    Shrink(shrink_cmd::ShrinkArgs),
    /// Model-check raft-core exhaustively within bounds.
    Check(check_cmd::CheckArgs),
}

/// The settings of one run (shared by a single run and a swarm).
#[derive(Debug, Args, Clone)]
pub struct RunArgs {
    /// The seed of the run to play: it picks the faults, schedule and noise.
    #[arg(long)]
    seed: Option<u64>,
    /// Print one JSON object instead of the report.
    #[arg(long)]
    json: bool,
    /// Write every event to FILE as JSON lines.
    #[arg(long, value_name = "FILE")]
    trace: Option<std::path::PathBuf>,
    /// Pin the number of voting nodes (1 to 9); by default the seed
    /// chooses 3, 4 or 5.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=9))]
    nodes: Option<u64>,
    /// Number of client sessions.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(0..=64))]
    clients: u64,
    /// Length of the fault phase, with a unit (e.g. 20s, 1m).
    #[arg(long, default_value = "20s", value_parser = parse_duration_ns)]
    duration: u64,
    /// Length of the healed phase that must show progress.
    #[arg(long, default_value = "10s", value_parser = parse_duration_ns)]
    heal: u64,
    /// Pin raft-core's PreVote (true/false); by default the seed chooses.
    #[arg(long)]
    pre_vote: Option<bool>,
    /// Pin raft-core's CheckQuorum (true/false); by default the seed chooses.
    #[arg(long)]
    check_quorum: Option<bool>,
    /// Skip the invariant checkers (to measure their cost).
    #[arg(long)]
    no_checkers: bool,
    /// Also write the run as a scenario file that replays the same faults.
    #[arg(long, value_name = "FILE")]
    emit_scenario: Option<std::path::PathBuf>,
}

impl RunArgs {
    /// The run options for `seed`.
    fn options(&self, seed: u64) -> RunOptions {
        let mut options = RunOptions::new(seed);
        options.nodes = self.nodes.map(|n| n as usize);
        options.spec.clients = self.clients as usize;
        options.pre_vote = self.pre_vote;
        options.check_quorum = self.check_quorum;
        options.fault_ns = self.duration;
        options.heal_ns = self.heal;
        options.checkers = !self.no_checkers;
        options
    }

    /// The flags that differ from the defaults, to repeat in a replay command.
    fn replay_flags(&self) -> String {
        let mut flags = String::new();
        if let Some(nodes) = self.nodes {
            flags += &format!(" --nodes {nodes}");
        }
        if self.clients != 2 {
            flags += &format!(" --clients {}", self.clients);
        }
        if self.duration != 20_000_000_000 {
            flags += &format!(" --duration {}ns", self.duration);
        }
        if self.heal != 10_000_000_000 {
            flags += &format!(" --heal {}ns", self.heal);
        }
        if let Some(on) = self.pre_vote {
            flags += &format!(" --pre-vote {on}");
        }
        if let Some(on) = self.check_quorum {
            flags += &format!(" --check-quorum {on}");
        }
        flags
    }
}

/// Parses a `--break` rule name (see `sim::host::HostBugs::NAMES`).
fn rule_break(name: &str) -> Result<String, String> {
    let mut bugs = sim::host::HostBugs::default();
    if bugs.set(name) {
        Ok(name.to_string())
    } else {
        Err(format!(
            "no rule named `{name}`; one of: {}",
            sim::host::HostBugs::NAMES.join(", ")
        ))
    }
}

/// The rules named by `--break` flags, all broken.
fn host_bugs(names: &[String]) -> sim::host::HostBugs {
    let mut bugs = sim::host::HostBugs::default();
    for name in names {
        bugs.set(name);
    }
    bugs
}

fn main() {
    // A panic inside a run is caught and reported as a violation; the
    // default hook would only scribble over the progress bar.
    std::panic::set_hook(Box::new(|_| {}));
    let cli = Cli::parse();
    let code = match cli.command {
        Some(Command::Swarm(args)) => swarm_cmd::swarm(&args),
        Some(Command::Scenario(args)) => scenario_cmd::scenario(&args),
        Some(Command::Shrink(args)) => shrink_cmd::shrink_seed(&args),
        Some(Command::Check(args)) => check_cmd::check_command(&args),
        None => match cli.run.seed {
            Some(seed) => run_cmd::run_one(&cli.run, seed),
            None => {
                use clap::CommandFactory;
                Cli::command().print_help().expect("stdout is writable");
                println!();
                2
            }
        },
    };
    std::process::exit(code);
}

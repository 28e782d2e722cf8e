//! The raftsim command line: argument parsing and output only; everything
//! else lives in the `sim` crate.

mod availability_report;
mod budget;
mod check_cmd;
mod history_file;
mod interrupt;
mod lincheck_cmd;
mod output;
mod picture;
mod run_cmd;
mod scenario_cmd;
mod serve_cmd;
mod settings;
mod shrink_cmd;
mod status;
mod sut_arg;
mod swarm_cmd;
mod trace_file;

use clap::{Parser, Subcommand};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use status::Status;

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
    run: run_cmd::RunArgs,
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
    /// Check a history file (JSON lines or Jepsen EDN) for linearizability.
    Lincheck(lincheck_cmd::LincheckArgs),
    /// Run one node of a real cluster: the simulator's host over TCP, real
    /// files and HTTP.
    Serve(serve_cmd::ServeArgs),
    /// Start a local cluster of `serve` processes to try; Ctrl-C stops it.
    Cluster(serve_cmd::ClusterArgs),
}

fn main() {
    output::install_panic_hook();
    let cli = Cli::parse();
    // The servers handle SIGINT and SIGTERM themselves, on their event loop.
    if !matches!(cli.command, Some(Command::Serve(_) | Command::Cluster(_))) {
        interrupt::install();
    }
    let status = match cli.command {
        Some(Command::Swarm(args)) => swarm_cmd::swarm(&args),
        Some(Command::Scenario(args)) => scenario_cmd::scenario(&args),
        Some(Command::Shrink(args)) => shrink_cmd::shrink_seed(&args),
        Some(Command::Check(args)) => check_cmd::check_command(&args),
        Some(Command::Lincheck(args)) => lincheck_cmd::lincheck_command(&args),
        Some(Command::Serve(args)) => serve_cmd::serve_command(&args),
        Some(Command::Cluster(args)) => serve_cmd::cluster_command(&args),
        None => match cli.run.seed {
            Some(seed) => run_cmd::run_one(&cli.run, seed),
            None => {
                use clap::CommandFactory;
                let help = Cli::command().render_help();
                say!("{help}");
                eprintln!("raftsim: give --seed N to run one seed, or a subcommand");
                Status::Usage
            }
        },
    };
    std::process::exit(status.code());
}

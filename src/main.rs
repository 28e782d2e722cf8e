//! The raftsim command line.
use clap::Parser;

/// raftsim: deterministic simulation and model checking for Raft.
#[derive(Debug, Parser)]
#[command(name = "raftsim", version, about)]
struct Cli {
    /// Run one simulation with this seed (arrives with the simulator).
    #[arg(long)]
    seed: Option<u64>,
}

fn main() {
    let cli = Cli::parse();
    match cli.seed {
        Some(seed) => {
            eprintln!(
                "raftsim: the simulator is not built yet (raft-core {}); seed {seed} cannot run",
                sim::RAFT_CORE
            );
            std::process::exit(2);
        }
        None => {
            use clap::CommandFactory;
            Cli::command().print_help().expect("stdout is writable");
        }
    }
}

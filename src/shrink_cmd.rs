//! `raftsim shrink --seed N`: reduce a failing seed to a minimal scenario.

use std::path::PathBuf;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use sim::export::scenario_text;
use sim::scenario::{parse, run_scenario};
use sim::shrink::{MAX_SHRINK_RUNS, shrink};

use crate::say;
use crate::settings::RunSettings;
use crate::status::Status;

/// Arguments of `raftsim shrink`.
#[derive(Debug, Args)]
pub struct ShrinkArgs {
    /// Where to write the minimal scenario (default: shrunk-SEED.scn).
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<PathBuf>,
    /// The failing seed to shrink.
    #[arg(long)]
    seed: u64,
    #[command(flatten)]
    settings: RunSettings,
}

/// Shrinks; returns the exit status (0 written and reproduced, 1 the seed
/// passes or the scenario does not reproduce, 2 usage).
pub fn shrink_seed(args: &ShrinkArgs) -> Status {
    let seed = args.seed;
    let options = args.settings.options(seed);
    let bar = ProgressBar::new(MAX_SHRINK_RUNS);
    bar.set_style(
        ProgressStyle::with_template("{spinner} shrinking seed {prefix}: {msg}  [{elapsed}]")
            .expect("valid template"),
    );
    bar.set_prefix(seed.to_string());
    let shrunk = shrink(&options, |p| {
        bar.set_message(format!(
            "schedule {} steps, {} runs tried",
            p.schedule_steps, p.runs
        ));
        bar.set_position(p.runs);
    });
    bar.finish_and_clear();
    let Some(shrunk) = shrunk else {
        say!("raftsim shrink: seed {seed} breaks no invariant; nothing to shrink");
        return Status::Violation;
    };
    let schedule = shrunk.options.fault_schedule();
    let story = format!(
        "Shrunk from `raftsim --seed {seed}{}`: {} of {} fault steps kept\n({} runs tried); it breaks {}.",
        args.settings.replay_flags(),
        schedule.steps.len(),
        shrunk.original_steps,
        shrunk.runs,
        shrunk.invariant
    );
    let text = scenario_text(&shrunk.options, &schedule, &shrunk.report, &story);
    let path = args
        .output
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("shrunk-{seed}.scn")));
    if let Err(err) = std::fs::write(&path, &text) {
        eprintln!("raftsim shrink: cannot write {}: {err}", path.display());
        return Status::Usage;
    }
    say!(
        "raftsim shrink: seed {seed} breaks {}: schedule {} -> {} steps in {} runs; wrote {}",
        shrunk.invariant,
        shrunk.original_steps,
        schedule.steps.len(),
        shrunk.runs,
        path.display()
    );
    // The file must fail the same way on its own.
    let name = path.display().to_string();
    let replayed = parse(&name, &text)
        .map_err(|e| e.to_string())
        .and_then(|s| run_scenario(&s, None).map_err(|e| e.to_string()));
    match replayed {
        Ok(outcome) => match outcome.failure.and_then(|f| f.violation) {
            Some(v) if v.invariant == shrunk.invariant => {
                say!(
                    "replayed: `cargo run --release -- scenario {name}` breaks {}",
                    v.invariant
                );
                Status::Ok
            }
            other => {
                say!(
                    "warning: the scenario does not reproduce the failure (got {:?}); replay the seed instead",
                    other.map(|v| v.invariant)
                );
                Status::Violation
            }
        },
        Err(err) => {
            say!("warning: the written scenario does not run: {err}");
            Status::Violation
        }
    }
}

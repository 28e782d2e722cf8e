//! `raftsim shrink --seed N`: reduce a failing seed to a minimal scenario.

use std::path::PathBuf;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use sim::export::scenario_text;
use sim::scenario::{parse, run_scenario_on};
use sim::shrink::{MAX_SHRINK_RUNS, NotShrunk, Shrunk, Signature, shrink};

use crate::settings::RunSettings;
use crate::status::Status;
use crate::{interrupt, say};

/// Arguments of `raftsim shrink`.
#[derive(Debug, Args)]
pub struct ShrinkArgs {
    /// Where to write the minimal scenario (default: shrunk-SEED.scn).
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<PathBuf>,
    /// Also write a picture of the minimal run to FILE: one self-contained
    /// HTML page.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// The failing seed to shrink.
    #[arg(long)]
    seed: u64,
    #[command(flatten)]
    settings: RunSettings,
}

/// Shrinks; returns the exit status: 0 written and reproduced, 1 the seed
/// passes or no scenario reproduces it, 2 usage or the file could not be
/// written, 3 the seed is inconclusive, 130 interrupted (the smallest
/// schedule so far is written).
pub fn shrink_seed(args: &ShrinkArgs) -> Status {
    if let Err(why) = args.settings.check_sut() {
        eprintln!("raftsim shrink: --sut: {why}");
        return Status::Usage;
    }
    let seed = args.seed;
    let shrunk = match shrink_with_progress(args) {
        Ok(shrunk) => shrunk,
        Err(status) => return status,
    };
    let schedule = shrunk.options.fault_schedule();
    let story = format!(
        "Shrunk from `raftsim --seed {seed}{}`: {} of {} fault steps kept\n({} runs tried); it breaks {}.",
        args.settings.replay_flags(),
        schedule.steps.len(),
        shrunk.original_steps,
        shrunk.runs,
        shrunk.signature
    );
    let text = scenario_text(&shrunk.options, &schedule, &shrunk.report, &story);
    let path = args
        .output
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("shrunk-{seed}.scn")));
    // The file first; its replay, then the report.
    let written = std::fs::write(&path, &text);
    let name = path.display().to_string();
    let replayed = parse(&name, &text)
        .map_err(|e| e.to_string())
        .and_then(|s| {
            run_scenario_on(shrunk.options.spec.sut, &s, shrunk.options.spec.rule_breaks)
                .map_err(|e| e.to_string())
        })
        .map(|outcome| Signature::of_scenario(&outcome));
    let interrupted = if shrunk.interrupted {
        " (INTERRUPTED: the smallest so far)"
    } else {
        ""
    };
    say!(
        "raftsim shrink: seed {seed} breaks {}: schedule {} -> {} steps in {} runs{interrupted}",
        shrunk.signature,
        shrunk.original_steps,
        schedule.steps.len(),
        shrunk.runs
    );
    if let Err(err) = written {
        eprintln!("raftsim shrink: cannot write {name}: {err}");
        return Status::Usage;
    }
    say!("wrote {name}");
    if let Some(html) = &args.html {
        let breaks = shrunk.options.spec.rule_breaks;
        match crate::scenario_cmd::picture_of(shrunk.options.spec.sut, &name, &text, breaks, html) {
            Ok(()) => say!("wrote {}", html.display()),
            Err(message) => {
                eprintln!("raftsim shrink: the picture: {message}");
                return Status::Usage;
            }
        }
    }
    let status = report_replay(args, &shrunk, &name, replayed);
    if shrunk.interrupted {
        Status::Interrupted
    } else {
        status
    }
}

/// Shrinks the seed under a spinner; a seed with nothing to shrink is
/// reported here and comes back as the status to exit with.
fn shrink_with_progress(args: &ShrinkArgs) -> Result<Shrunk, Status> {
    let seed = args.seed;
    let options = args.settings.options(seed);
    let bar = ProgressBar::new(MAX_SHRINK_RUNS);
    bar.set_style(
        ProgressStyle::with_template("{spinner} shrinking seed {prefix}: {msg}  [{elapsed}]")
            .expect("valid template"),
    );
    bar.set_prefix(seed.to_string());
    let shrunk = shrink(
        &options,
        |p| {
            bar.set_message(format!(
                "schedule {} steps, {} runs tried",
                p.schedule_steps, p.runs
            ));
            bar.set_position(p.runs);
        },
        &interrupt::requested,
    );
    bar.finish_and_clear();
    shrunk.map_err(|not_shrunk| match not_shrunk {
        NotShrunk::Passes => {
            say!("raftsim shrink: seed {seed} breaks no invariant; nothing to shrink");
            Status::Violation
        }
        NotShrunk::Inconclusive(why) => {
            say!("raftsim shrink: seed {seed} is inconclusive ({why}); nothing to shrink");
            Status::Inconclusive
        }
        NotShrunk::Interrupted => {
            say!("raftsim shrink: INTERRUPTED before seed {seed}'s own run ended");
            Status::Interrupted
        }
    })
}

/// Says whether the written scenario `name` failed as the seed did
/// (`replayed` is what it broke, if anything) and how to replay it.
fn report_replay(
    args: &ShrinkArgs,
    shrunk: &Shrunk,
    name: &str,
    replayed: Result<Option<Signature>, String>,
) -> Status {
    let seed = args.seed;
    let mut flags: String = args
        .settings
        .breaks
        .iter()
        .map(|b| format!(" --break {b}"))
        .collect();
    if !args.settings.sut.is_raft_core() {
        flags += &format!(" --sut {}", args.settings.sut.name);
    }
    match replayed {
        Ok(Some(got)) if got == shrunk.signature => {
            if let Some(why) = &shrunk.export_mismatch {
                say!(
                    "note: a smaller schedule failed the same way as a seed run, but not as a scenario ({why}); the smallest that does is written"
                );
            }
            say!(
                "replayed: `cargo run --release -- scenario{flags} {name}` breaks {}",
                shrunk.signature
            );
            Status::Ok
        }
        Ok(got) => {
            let got = got.map_or_else(|| "no failure".to_string(), |s| s.to_string());
            say!(
                "NOT REPRODUCED: the scenario gives {got}, not {}; replay the seed instead: \
                 cargo run --release -- --seed {seed}{}",
                shrunk.signature,
                args.settings.replay_flags()
            );
            Status::Violation
        }
        Err(err) => {
            say!("NOT REPRODUCED: the written scenario does not run: {err}");
            Status::Violation
        }
    }
}

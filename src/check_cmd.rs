//! `raftsim check`: the model checker's command line — bounds and search
//! options in, a progress line while it runs, a report and (on a
//! violation) the shortest path as a story and a scenario file out.

use std::path::PathBuf;
use std::time::Instant;

use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use sim::explore::{Bounds, Options, Preset, Progress, Report, Search, check, scenario_text};

use crate::say;
use crate::status::Status;

/// How to search.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum SearchMode {
    /// Breadth-first: the first counterexample is a shortest one.
    Bfs,
    /// Depth-first within --max-depth: little memory, any counterexample.
    Dfs,
    /// Depth-first to depth 1, 2, ... up to --max-depth: a shortest
    /// counterexample, as breadth-first, with depth-first memory, for more
    /// time (one thread).
    Deepening,
    /// Seeded random walks (--walks, --seed): for bounds too large to exhaust.
    Walk,
    /// Seeded random walks, each of its own shape drawn within the bounds
    /// (depth, budgets, how often each kind of action is taken), as the
    /// swarm draws a fault mix per seed.
    Swarm,
}

fn preset(name: &str) -> Result<Preset, String> {
    Preset::named(name).ok_or_else(|| {
        let names: Vec<&str> = Preset::ALL.iter().map(|p| p.name()).collect();
        format!("no preset named `{name}`; one of: {}", names.join(", "))
    })
}

/// Arguments of `raftsim check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Named bounds: ci (under a minute on two cores), default, or deep
    /// (three terms, logs of three, PreVote and CheckQuorum, two crashes,
    /// three and four nodes; minutes). Each bound set is printed in full as
    /// its search starts; the flags below override it.
    #[arg(long = "bounds", value_name = "PRESET", default_value = "default",
          value_parser = preset)]
    preset: Preset,
    /// Voters (default: the preset's).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=7))]
    nodes: Option<u64>,
    /// No election timer fires on a node already at this term.
    #[arg(long)]
    max_term: Option<u64>,
    /// No proposal on a leader whose log is already this long.
    #[arg(long)]
    max_log: Option<u64>,
    /// States with more messages in flight are checked but not expanded.
    #[arg(long)]
    max_msgs: Option<usize>,
    /// Messages lost, at most, along a path.
    #[arg(long)]
    max_drops: Option<u32>,
    /// Messages duplicated, at most, along a path.
    #[arg(long)]
    max_dups: Option<u32>,
    /// Crashes, at most, along a path.
    #[arg(long)]
    max_crashes: Option<u32>,
    /// Client proposals, at most, along a path.
    #[arg(long)]
    max_proposals: Option<u32>,
    /// Partitions, at most, along a path: a node cut off from every other,
    /// one at a time, until `heal`.
    #[arg(long)]
    max_partitions: Option<u32>,
    /// Compactions, at most, along a path: a node snapshots its state
    /// machine and compacts its log (its snapshot's write and fsync follow
    /// as its pending write); a follower that then needs a dropped entry
    /// gets the snapshot in InstallSnapshot chunks, delivered, dropped or
    /// duplicated like any message.
    #[arg(long)]
    max_compactions: Option<u32>,
    /// raft-core's bytes per InstallSnapshot chunk (1 to 2^30; default 64
    /// KiB, a whole explored snapshot in one).
    #[arg(long, value_name = "BYTES", value_parser = clap::value_parser!(u64).range(1..=1 << 30))]
    snapshot_chunk: Option<u64>,
    /// Client operations, at most, along a path (at most 8): each a new
    /// session that asks a node believing it leads, follows redirects and
    /// retries; what the clients saw must be linearizable.
    #[arg(long, value_parser = clap::value_parser!(u32).range(0..=i64::from(sim::explore::CLIENT_OPS_MAX)))]
    max_client_ops: Option<u32>,
    /// Client timers fired, at most, along a path (at most 64): a timeout
    /// (the client asks the next node) or the end of a back-off after a
    /// redirect.
    #[arg(long, value_parser = clap::value_parser!(u32).range(0..=64))]
    max_client_retries: Option<u32>,
    /// Of the client operations, gets at most along a path (0 to 8;
    /// default: no bound beyond --max-client-ops). A get is served by
    /// ReadIndex and may be asked of any running node: a follower asks
    /// the leader for the read index (thesis §6.4).
    #[arg(long, value_parser = clap::value_parser!(u32).range(0..=i64::from(sim::explore::CLIENT_OPS_MAX)))]
    max_reads: Option<u32>,
    /// Membership changes, at most, along a path: the leader a majority
    /// follows is asked to add a voter, add a learner or remove a node (one
    /// node each, as raft-core accepts it then).
    #[arg(long, value_parser = clap::value_parser!(u32).range(0..=8))]
    max_conf_changes: Option<u32>,
    /// Leader transfers, at most, along a path: the leader a majority
    /// follows hands over to another voter (TimeoutNow).
    #[arg(long, value_parser = clap::value_parser!(u32).range(0..=8))]
    max_transfers: Option<u32>,
    /// Nodes beyond --nodes that exist but never ran until a membership
    /// change adds them (at most 4; turns symmetry reduction off).
    #[arg(long, value_parser = clap::value_parser!(u64).range(0..=4))]
    spares: Option<u64>,
    /// Actions from the initial state, at most.
    #[arg(long, value_parser = clap::value_parser!(u32).range(0..=65535))]
    max_depth: Option<u32>,
    /// Whether `stabilize` is an action (true/false): every delivery and
    /// write run until nothing is in flight, as one step, so that few
    /// actions reach deep states.
    #[arg(long, action = clap::ArgAction::Set)]
    settle: Option<bool>,
    /// raft-core's bytes per append (0: one entry per message; default 1
    /// MiB, every entry a follower lacks in one).
    #[arg(long, value_name = "BYTES")]
    max_append: Option<u64>,
    /// raft-core's PreVote (true/false).
    #[arg(long, action = clap::ArgAction::Set)]
    pre_vote: Option<bool>,
    /// raft-core's CheckQuorum (true/false); its timer becomes an action.
    #[arg(long, action = clap::ArgAction::Set)]
    check_quorum: Option<bool>,
    /// How to search.
    #[arg(long, value_enum, default_value_t = SearchMode::Bfs)]
    search: SearchMode,
    /// Random walks to take (with --search walk or swarm; default 10000, at most
    /// 10^12).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1_000_000_000_000))]
    walks: Option<u64>,
    /// The seed of the random walks (with --search walk or swarm; default 0).
    #[arg(long)]
    seed: Option<u64>,
    /// Worker threads for breadth-first search and random walks (default:
    /// every core); the counts and the counterexample are the same for any
    /// number.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=256))]
    jobs: Option<u64>,
    /// Keep 128-bit fingerprints (for runs past ~10^8 states).
    #[arg(long)]
    fp128: bool,
    /// Partial-order reduction by sleep sets (true/false; breadth-first
    /// only): fewer transitions explored, the same states reached.
    #[arg(long, action = clap::ArgAction::Set)]
    por: Option<bool>,
    /// Symmetry reduction over node renamings (states that differ only by
    /// which node is which are one). Sound only for code that never breaks
    /// ties by node id; turns partial-order reduction off.
    #[arg(long)]
    symmetry: bool,
    /// Break a rule of Raft on purpose, to see a counterexample (repeatable;
    /// the rules are those `raftsim --break` takes).
    #[arg(long = "break", value_name = "RULE", value_parser = crate::settings::rule_break)]
    breaks: Vec<String>,
    /// Stop the search with an inconclusive result (exit 3) once the
    /// process holds this much memory (8G, 512MiB, 1.5GB), rather than be
    /// killed by the system.
    #[arg(long, value_name = "SIZE", value_parser = crate::budget::parse_memory)]
    memory: Option<u64>,
    /// Stop the search with an inconclusive result (exit 3) after this long
    /// (90s, 10m, 2h), counted from the start of the command.
    #[arg(long, value_name = "DURATION", value_parser = sim::units::parse_duration_ns)]
    time: Option<u64>,
    /// Where to write the counterexample as a scenario (default:
    /// counterexample.scn, only if a violation is found).
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<PathBuf>,
    /// Also write a picture of the counterexample to FILE (one
    /// self-contained HTML page), if a violation is found.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// The Raft the nodes run: raft-core, or raft-rs (tikv's, through its
    /// adapter: forked by replaying each node's inputs, fingerprinted
    /// without symmetry). A preset's bounds on actions it cannot take are
    /// cut to none, and said so.
    #[arg(long, value_name = "NAME", default_value = "raft-core", value_parser = crate::sut_arg::parse_sut)]
    sut: sim::sut::Sut,
}

impl CheckArgs {
    /// Refuses flags the chosen search would ignore (what is printed is
    /// what ran).
    fn ignored_flag(&self) -> Option<String> {
        let search = match self.search {
            SearchMode::Bfs => "bfs",
            SearchMode::Dfs => "dfs",
            SearchMode::Deepening => "deepening",
            SearchMode::Walk => "walk",
            SearchMode::Swarm => "swarm",
        };
        let walking = matches!(self.search, SearchMode::Walk | SearchMode::Swarm);
        let ignored = [
            ("--walks", self.walks.is_some() && !walking),
            ("--seed", self.seed.is_some() && !walking),
            (
                "--jobs",
                self.jobs.is_some()
                    && matches!(self.search, SearchMode::Dfs | SearchMode::Deepening),
            ),
            (
                "--por",
                self.por.is_some() && self.search != SearchMode::Bfs,
            ),
            ("--por", self.por == Some(true) && self.symmetry),
        ];
        let (flag, _) = ignored.iter().find(|(_, ignored)| *ignored)?;
        Some(if *flag == "--por" && self.symmetry {
            "--por true does nothing with --symmetry (symmetry turns partial-order reduction off)"
                .to_string()
        } else {
            format!("{flag} does nothing with --search {search}; leave it out")
        })
    }

    /// Refuses a flag that asks the Raft under test for what it cannot do.
    fn refuse_pins(&self) -> Result<(), String> {
        use sim::sut::Feature;
        let asked = [
            (
                self.max_conf_changes.is_some_and(|n| n > 0),
                Feature::Membership,
            ),
            (self.spares.is_some_and(|n| n > 0), Feature::Membership),
            (
                self.max_transfers.is_some_and(|n| n > 0),
                Feature::LeaderTransfer,
            ),
            (
                self.max_compactions.is_some_and(|n| n > 0),
                Feature::Snapshots,
            ),
            (self.max_reads.is_some_and(|n| n > 0), Feature::ReadIndex),
            (
                crate::settings::rule_breaks(&self.breaks).raft != raft_core::RuleBreaks::default(),
                Feature::RaftRuleBreaks,
            ),
        ];
        if let Some(why) = asked
            .iter()
            .filter(|(on, _)| *on)
            .find_map(|(_, feature)| self.sut.lacks(*feature))
        {
            return Err(why);
        }
        if self.symmetry && !self.sut.capabilities.symmetry {
            return Err(format!(
                "{} keeps its state opaque to the checker, which cannot rename its nodes: leave out --symmetry",
                self.sut.name
            ));
        }
        Ok(())
    }

    /// The preset's bound sets with the flags given laid over each (a set
    /// the flags make equal to an earlier one is searched once).
    fn bound_sets(&self) -> Vec<Bounds> {
        let mut sets: Vec<Bounds> = Vec::new();
        for preset in self.preset.bounds() {
            let set = Bounds {
                nodes: self.nodes.map_or(preset.nodes, |n| n as usize),
                max_term: self.max_term.unwrap_or(preset.max_term),
                max_log: self.max_log.unwrap_or(preset.max_log),
                max_msgs: self.max_msgs.unwrap_or(preset.max_msgs),
                max_drops: self.max_drops.unwrap_or(preset.max_drops),
                max_dups: self.max_dups.unwrap_or(preset.max_dups),
                max_crashes: self.max_crashes.unwrap_or(preset.max_crashes),
                max_proposals: self.max_proposals.unwrap_or(preset.max_proposals),
                max_compactions: self.max_compactions.unwrap_or(preset.max_compactions),
                snapshot_chunk_bytes: self.snapshot_chunk.unwrap_or(preset.snapshot_chunk_bytes),
                max_partitions: self.max_partitions.unwrap_or(preset.max_partitions),
                max_client_ops: self.max_client_ops.unwrap_or(preset.max_client_ops),
                max_client_retries: self.max_client_retries.unwrap_or(preset.max_client_retries),
                max_reads: self.max_reads.unwrap_or(preset.max_reads),
                max_conf_changes: self.max_conf_changes.unwrap_or(preset.max_conf_changes),
                max_transfers: self.max_transfers.unwrap_or(preset.max_transfers),
                spares: self.spares.map_or(preset.spares, |n| n as usize),
                max_depth: self.max_depth.unwrap_or(preset.max_depth),
                settle: self.settle.unwrap_or(preset.settle),
                max_append_bytes: self.max_append.unwrap_or(preset.max_append_bytes),
                pre_vote: self.pre_vote.unwrap_or(preset.pre_vote),
                check_quorum: self.check_quorum.unwrap_or(preset.check_quorum),
                rule_breaks: crate::settings::rule_breaks(&self.breaks),
                sut: sim::sut::Sut::RAFT_CORE,
            };
            let (set, _) = set.within(self.sut);
            if !sets.contains(&set) {
                sets.push(set);
            }
        }
        sets
    }

    fn options(&self) -> Options {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Options {
            search: match self.search {
                SearchMode::Bfs => Search::BreadthFirst,
                SearchMode::Dfs => Search::DepthFirst,
                SearchMode::Deepening => Search::Deepening,
                SearchMode::Walk | SearchMode::Swarm => Search::RandomWalk {
                    walks: self.walks.unwrap_or(10_000),
                    seed: self.seed.unwrap_or(0),
                    swarm: self.search == SearchMode::Swarm,
                },
            },
            jobs: self.jobs.map_or(cores, |jobs| jobs as usize),
            fingerprint_128: self.fp128,
            partial_order: self.por.unwrap_or(true),
            symmetry: self.symmetry,
            record_fingerprints: false,
            cancelled: crate::budget::stop_requested,
        }
    }
}

fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

fn progress_line(progress: &Progress, seconds: f64) -> String {
    let rate = progress.distinct as f64 / seconds.max(1e-9);
    let memory = crate::budget::resident_bytes().map_or_else(
        || format!("visited set {}", megabytes(progress.visited_bytes)),
        |rss| format!("{} resident", megabytes(rss)),
    );
    format!(
        "{} states, {} distinct, depth {}, queue {}, {rate:.0} distinct/s, {memory}",
        progress.generated, progress.distinct, progress.depth, progress.queue
    )
}

/// Runs the search; returns the exit status (0 no violation, 1 violation
/// or hidden nondeterminism, 2 the counterexample file could not be
/// written, 130 interrupted).
pub fn check_command(args: &CheckArgs) -> Status {
    if let Some(why) = args.ignored_flag() {
        eprintln!("raftsim check: {why}");
        return Status::Usage;
    }
    if let Err(why) = args.refuse_pins() {
        eprintln!("raftsim check: --sut: {why}");
        return Status::Usage;
    }
    let sets = args.bound_sets();
    for preset in args.preset.bounds() {
        for cut in preset.within(args.sut).1 {
            eprintln!("raftsim check: {cut}");
        }
    }
    if let Some(why) = sets.iter().find_map(|b| b.check_capacity().err()) {
        eprintln!("raftsim check: {why}");
        return Status::Usage;
    }
    if args.memory.is_some() && !crate::budget::can_measure_memory() {
        eprintln!("raftsim check: --memory needs /proc/self/statm, which this system lacks");
        return Status::Usage;
    }
    crate::budget::set(args.memory, args.time.map(std::time::Duration::from_nanos));
    let options = args.options();
    for (n, bounds) in sets.iter().enumerate() {
        let line = format!(
            "bounds {} ({} of {}): {}",
            args.preset.name(),
            n + 1,
            sets.len(),
            bounds.flags()
        );
        // On standard error as the search starts (standard output may be
        // a closed pipe, and the counterexample file comes before any
        // report); again at the head of the report.
        eprintln!("{line}");
        let status = check_one(args, bounds, &options, &line);
        if status != Status::Ok {
            return status;
        }
    }
    Status::Ok
}

/// Searches one bound set and reports it; returns the exit status.
fn check_one(args: &CheckArgs, bounds: &Bounds, options: &Options, bounds_line: &str) -> Status {
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} [{elapsed}]").expect("valid template"),
    );
    crate::budget::reset_peak();
    let started = Instant::now();
    let report = check(bounds, options, |progress| {
        bar.set_message(progress_line(progress, started.elapsed().as_secs_f64()));
        bar.tick();
    });
    bar.finish_and_clear();
    // The counterexample file first, then the report: a reader that stops
    // early never costs the file; a write error comes after the verdict.
    let path = args
        .output
        .clone()
        .unwrap_or_else(|| PathBuf::from("counterexample.scn"));
    let written = report
        .counterexample
        .as_ref()
        .map(|found| std::fs::write(&path, scenario_text(bounds, found)));
    say!("{bounds_line}");
    print_report(&report, options, started.elapsed().as_secs_f64());
    if report.interrupted {
        if let Some(budget) = crate::budget::exceeded() {
            say!(
                "result: INCONCLUSIVE: {budget}; the counts above are what the search reached; \
                 no violation so far"
            );
            return Status::Inconclusive;
        }
        say!(
            "result: INTERRUPTED: the counts above are what the search reached; no violation so far"
        );
        return Status::Interrupted;
    }
    if let Some(why) = &report.nondeterminism {
        say!("result: HIDDEN NONDETERMINISM: {why}");
        return Status::Violation;
    }
    let Some(found) = &report.counterexample else {
        say!("result: no violation within the bounds");
        return Status::Ok;
    };
    let shortest = if report.shortest { "shortest " } else { "" };
    say!("result: VIOLATION {}", found.violation);
    say!("{shortest}path ({} actions):", found.steps.len());
    for (n, line) in found.story.iter().enumerate() {
        say!("  {:>3}. {line}", n + 1);
    }
    let flags: String = args
        .breaks
        .iter()
        .map(|b| format!(" --break {b}"))
        .collect();
    if let (Some(html), Some(Ok(()))) = (&args.html, &written) {
        let name = path.display().to_string();
        let text = scenario_text(bounds, found);
        let breaks = crate::settings::rule_breaks(&args.breaks);
        match crate::scenario_cmd::picture_of(args.sut, &name, &text, breaks, html) {
            Ok(()) => say!("picture: {}", html.display()),
            Err(message) => eprintln!("raftsim check: the picture: {message}"),
        }
    }
    match written {
        Some(Err(err)) => {
            eprintln!("raftsim check: cannot write {}: {err}", path.display());
            Status::Violation
        }
        _ => {
            say!(
                "replay: cargo run --release -- scenario{flags} {}",
                path.display()
            );
            Status::Violation
        }
    }
}

fn print_report(report: &Report, options: &Options, seconds: f64) {
    let symmetry = if options.symmetry { ", symmetry" } else { "" };
    let mode = match options.search {
        Search::BreadthFirst => format!("breadth-first, {} thread(s){symmetry}", options.jobs),
        Search::DepthFirst => "depth-first".to_string(),
        Search::Deepening => "iterative deepening, depth-first".to_string(),
        Search::RandomWalk { walks, seed, swarm } => format!(
            "{walks} {} walks, seed {seed}, {} thread(s)",
            if swarm { "swarm" } else { "random" },
            options.jobs
        ),
    };
    say!(
        "raftsim check ({mode}): {} distinct states ({} generated), depth {}, {seconds:.2}s, \
         {:.0} distinct states/s",
        report.distinct_states,
        report.generated_states,
        report.depth,
        report.distinct_states as f64 / seconds.max(1e-9)
    );
    let per_state = report.visited_bytes as f64 / report.distinct_states.max(1) as f64;
    // The peak is the process's: with several bound sets, the largest so
    // far.
    let distinct = report.distinct_states.max(1) as f64;
    let resident = crate::budget::peak_resident_bytes().map_or_else(String::new, |peak| {
        format!(
            ", peak resident {} ({:.0} bytes per distinct state)",
            megabytes(peak),
            peak as f64 / distinct
        )
    });
    say!(
        "memory: visited set and trail {} ({per_state:.1} bytes per distinct state){resident}",
        megabytes(report.visited_bytes)
    );
    if report.interrupted {
        say!(
            "bounds: not exhausted (interrupted at depth {})",
            report.depth
        );
    } else if let Search::RandomWalk { .. } = options.search {
        say!("bounds: sampled by random walks, not exhausted");
    } else if report.cut_by_capacity > 0 {
        say!(
            "bounds: not exhausted: {} states were not expanded because the trail holds at most 2^32 - 1 states",
            report.cut_by_capacity
        );
    } else if report.cut_by_depth > 0 {
        say!(
            "bounds: {} states at the depth bound were not expanded (raise --max-depth to go on)",
            report.cut_by_depth
        );
    } else if report.counterexample.is_none() {
        say!("bounds: exhausted (no state within the other bounds was cut by the depth bound)");
    }
    let reached: Vec<String> = report
        .sometimes
        .list()
        .iter()
        .map(|(name, depth)| match depth {
            Some(depth) => format!("{name} (depth {depth})"),
            None => format!("{name}: NOT REACHED"),
        })
        .collect();
    say!("sometimes: {}", reached.join(", "));
}

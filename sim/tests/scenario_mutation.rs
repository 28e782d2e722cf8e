//! Mutation fuzzing of the scenario library: each file is mutated at the
//! level of tokens, lines and bytes (numbers at the edges of their types,
//! words of the language in the wrong place, lines deleted, doubled, swapped
//! or borrowed from another file, byte-order marks, invalid UTF-8, huge
//! tokens, long set expressions), and every mutant must
//!
//! - never panic (a panic inside a run would surface as a `panic`
//!   violation; one in the parser would fail this test);
//! - if it does not parse, or cannot run as written (exit status 2), name
//!   `file:line:col` in an error of bounded size;
//! - if it runs, end within the event bound, and break no invariant: the
//!   shipped raft-core is correct, so a violation is a bug in it or a false
//!   alarm of a checker;
//! - keep the process's peak memory bounded.
//!
//! The cases are drawn from a seeded stream, so CI runs the same ones every
//! time. `RAFTSIM_MUTANTS=N` sets the mutants per file (default 100) for a
//! larger campaign; `RAFTSIM_MUTANTS_DIR=DIR` also writes every mutant to
//! DIR, to run through the command line (exit statuses, time, memory).

use std::path::PathBuf;

use rand::{Rng, RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sim::host::HostRuleBreaks;
use sim::scenario::parse::MESSAGE_TYPES;
use sim::scenario::verbs::words;
use sim::scenario::{parse_bytes, run_scenario_bounded};
use sim::stepper::StepBounds;

/// Events a mutant may run (far below the CLI's 20 million, for CI time).
const MAX_EVENTS: u64 = 200_000;
/// The linearizability checker's budget per key for a mutant.
const LINCHECK_BUDGET: u64 = 20_000;
/// The longest error message a mutant may produce, in bytes.
const MAX_ERROR_BYTES: usize = 2048;
/// Peak resident memory the whole campaign may reach.
const MAX_PEAK_BYTES: u64 = 4 << 30;

/// Numbers at the edges of the types a scenario's numbers pass through.
const EDGE_NUMBERS: &[&str] = &[
    "0",
    "1",
    "2",
    "63",
    "64",
    "65",
    "255",
    "256",
    "4096",
    "4097",
    "65536",
    "100000",
    "100001",
    "4294967295",
    "4294967296",
    "9223372036854775807",
    "9223372036854775808",
    "18446744073709551615",
    "18446744073709551616",
    "99999999999999999999999999999",
    "0.0",
    "1e308",
    "-1",
    "0ns",
    "1ns",
    "86400s",
    "86401s",
    "1440m",
    "18446744073709551615ns",
    "99999999999999m",
    "0.5s",
    "100%",
    "100.1%",
    "0%",
    "1000000/s",
    "1000001/s",
    "0/s",
    "0.01",
    "100",
    "100.5",
];

/// Punctuation, keywords and odd characters, to put where they do not
/// belong (the verbs and message types come from the parser's own lists).
const WORDS: &[&str] = &[
    "all", "leader", "rest", "writing", "as", "at", "on", "within", "since", "done", "{", "}", ",",
    "|", "+", "-", "->", "=", ">=", "!=", "nth=0", "#", "\t", "\u{a0}", "é", "\u{200b}",
];

/// Any word of the language.
fn word(rng: &mut impl Rng) -> String {
    let verbs: Vec<&str> = words().collect();
    let lists: [&[&str]; 3] = [WORDS, &verbs, MESSAGE_TYPES];
    let list = lists[rng.random_range(0..lists.len())];
    pick(rng, list).to_string()
}

fn library() -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .expect("the scenario library")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "scn"))
        .map(|p| {
            let name = p
                .file_name()
                .expect("a name")
                .to_string_lossy()
                .into_owned();
            (name, std::fs::read(&p).expect("readable"))
        })
        .collect();
    files.sort();
    assert!(files.len() >= 10, "the library is there");
    files
}

fn pick<'a, T>(rng: &mut impl Rng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

/// One mutation of `text` (lines of whitespace-separated tokens), drawing
/// borrowed lines from `others`.
fn mutate(rng: &mut impl Rng, bytes: &[u8], others: &[String]) -> Vec<u8> {
    let text = String::from_utf8_lossy(bytes).into_owned();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    if lines.is_empty() {
        lines.push(String::new());
    }
    let at = rng.random_range(0..lines.len());
    match rng.random_range(0..12) {
        0 | 1 => {
            let with = pick(rng, EDGE_NUMBERS).to_string();
            replace_token(rng, &mut lines[at], with);
        }
        2 | 3 => {
            let with = word(rng);
            replace_token(rng, &mut lines[at], with);
        }
        4 => {
            lines.remove(at);
        }
        5 => {
            let line = lines[at].clone();
            lines.insert(at, line);
        }
        6 => {
            let other = rng.random_range(0..lines.len());
            lines.swap(at, other);
        }
        7 => lines.insert(at, pick(rng, others).clone()),
        8 => {
            let cut = rng.random_range(0..=lines[at].chars().count());
            lines[at] = lines[at].chars().take(cut).collect();
        }
        9 => {
            let huge = if rng.random_bool(0.5) { "9" } else { "a" };
            replace_token(rng, &mut lines[at], huge.repeat(10_000));
        }
        10 => {
            let terms = rng.random_range(100..3000);
            lines.insert(at, format!("crash 1{}", " + 1".repeat(terms)));
        }
        _ => return mutate_bytes(rng, &lines.join("\n")),
    }
    lines.join("\n").into_bytes()
}

fn replace_token(rng: &mut impl Rng, line: &mut String, with: String) {
    let mut tokens: Vec<String> = line.split_whitespace().map(str::to_string).collect();
    if tokens.is_empty() {
        *line = with;
        return;
    }
    let at = rng.random_range(0..tokens.len());
    // Keep an option's key half the time, so values are mutated too.
    match tokens[at].split_once('=') {
        Some((key, _)) if rng.random_bool(0.5) => tokens[at] = format!("{key}={with}"),
        _ => tokens[at] = with,
    }
    *line = tokens.join(" ");
}

/// A mutation below the level of text: a byte-order mark, invalid UTF-8, a
/// NUL, carriage returns.
fn mutate_bytes(rng: &mut impl Rng, text: &str) -> Vec<u8> {
    let mut bytes = text.as_bytes().to_vec();
    let at = rng.random_range(0..=bytes.len());
    match rng.random_range(0..4) {
        0 => {
            let mut with_bom = "\u{feff}".as_bytes().to_vec();
            with_bom.extend(bytes);
            return with_bom;
        }
        1 => bytes.insert(at, *pick(rng, &[0xff_u8, 0xc3, 0x80, 0xfe])),
        2 => bytes.insert(at, 0),
        _ => return text.replace('\n', "\r\n").into_bytes(),
    }
    bytes
}

/// Whether `message` starts with `file:LINE:COL`.
fn names_a_location(message: &str, file: &str) -> bool {
    let Some(rest) = message.strip_prefix(file).and_then(|r| r.strip_prefix(':')) else {
        return false;
    };
    let mut parts = rest.splitn(3, ':');
    let numeric =
        |p: Option<&str>| p.is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    numeric(parts.next()) && numeric(parts.next())
}

fn peak_resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

#[derive(Debug, Default)]
struct Tally {
    parse_errors: u64,
    run_errors: u64,
    passed: u64,
    failed_expectation: u64,
    inconclusive: u64,
    /// Stale reads by a hazardous read path (see `reads_hazardously`).
    hazards_shown: u64,
}

/// Whether `scenario` reads by a path whose stale reads are a documented
/// hazard: `reads=local`, or `reads=lease` (stale once clocks drift past
/// raft-core's allowance, which `skew` can make them).
fn reads_hazardously(scenario: &sim::scenario::Scenario) -> bool {
    use sim::read_path::ReadPath;
    scenario.steps.iter().any(|step| {
        matches!(
            step.kind,
            sim::scenario::ast::StepKind::Clients {
                reads: Some(ReadPath::Local | ReadPath::Lease),
                ..
            }
        )
    })
}

#[test]
fn mutated_library_scenarios_never_panic_hang_or_break_an_invariant() {
    let per_file: u64 = std::env::var("RAFTSIM_MUTANTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100);
    let out_dir = std::env::var("RAFTSIM_MUTANTS_DIR").ok().map(PathBuf::from);
    let files = library();
    let all_lines: Vec<String> = files
        .iter()
        .flat_map(|(_, b)| {
            String::from_utf8_lossy(b)
                .lines()
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .filter(|l| !l.trim().is_empty())
        .collect();
    let mut rng = ChaCha8Rng::seed_from_u64(0x5ce7a710);
    let mut tally = Tally::default();
    let mut problems = Vec::new();
    for (name, original) in &files {
        for case in 0..per_file {
            let mut bytes = original.clone();
            for _ in 0..rng.random_range(1..=3) {
                bytes = mutate(&mut rng, &bytes, &all_lines);
            }
            let file = format!("{}-m{case}.scn", name.trim_end_matches(".scn"));
            if let Some(dir) = &out_dir {
                std::fs::write(dir.join(&file), &bytes).expect("the mutants folder");
            }
            let show = || {
                String::from_utf8_lossy(&bytes)
                    .chars()
                    .take(600)
                    .collect::<String>()
            };
            let scenario = match parse_bytes(&file, &bytes) {
                Ok(scenario) => scenario,
                Err(err) => {
                    tally.parse_errors += 1;
                    let message = err.to_string();
                    if !names_a_location(&message, &file) || message.len() > MAX_ERROR_BYTES {
                        problems.push(format!(
                            "{file}: parse error without a location or too long: {}",
                            &message[..message.len().min(300)]
                        ));
                    }
                    continue;
                }
            };
            // The linearizability checker on a small budget: a mutant that
            // reads hazardously may serve thousands of stale reads, which
            // the checker cuts down one operation at a time. A budget run
            // out is "unknown" (inconclusive), never a false violation.
            let bounds = StepBounds {
                max_events: MAX_EVENTS,
                lincheck_budget: Some(LINCHECK_BUDGET),
            };
            match run_scenario_bounded(&scenario, None, HostRuleBreaks::default(), bounds) {
                Err(err) => {
                    tally.run_errors += 1;
                    if !names_a_location(&err.location, &file)
                        || err.to_string().len() > MAX_ERROR_BYTES
                    {
                        problems.push(format!("{file}: run error without a location: {err}"));
                    }
                }
                Ok(outcome) => {
                    if outcome.events > MAX_EVENTS + 1 {
                        problems.push(format!(
                            "{file}: ran {} events past the bound",
                            outcome.events
                        ));
                    }
                    match (&outcome.failure, &outcome.inconclusive) {
                        // Stale reads are what `reads=local` does, and what
                        // lease reads do when clocks drift past the
                        // allowance (a mutant may skew them anyhow): the
                        // documented hazards, not a bug.
                        (Some(f), _)
                            if reads_hazardously(&scenario)
                                && f.violation.as_ref().is_some_and(|v| {
                                    v.invariant == sim::checker::Invariant::Linearizability
                                }) =>
                        {
                            tally.hazards_shown += 1;
                        }
                        (Some(f), _) if f.violation.is_some() => problems.push(format!(
                            "{file}: invariant broken on a correct raft-core: {}\n{}",
                            f.message,
                            show()
                        )),
                        (Some(_), _) => tally.failed_expectation += 1,
                        (None, Some(_)) => tally.inconclusive += 1,
                        (None, None) => tally.passed += 1,
                    }
                }
            }
        }
    }
    eprintln!("mutants: {} files x {per_file}: {tally:?}", files.len());
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n\n")
    );
    // Mutation must exercise both sides: files that fail to parse and files
    // that still run.
    assert!(
        tally.parse_errors > 0 && tally.passed + tally.failed_expectation > 0,
        "{tally:?}"
    );
    if let Some(peak) = peak_resident_bytes() {
        assert!(peak < MAX_PEAK_BYTES, "peak resident memory {peak} bytes");
    }
}

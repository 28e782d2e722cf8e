//! The scenario library (`scenarios/*.scn`) end to end: every file tells its
//! story in a comment header, parses, and passes. The interpreter's failures
//! are tested too: an expectation that cannot hold fails at its line, an
//! `at` into the past and an unsupported verb are errors, a manual-mode
//! `deliver` that finds nothing says so. And the library's guide
//! (`scenarios/README.md`) names every file, verb and message type, and its
//! examples parse.

use std::path::{Path, PathBuf};

use sim::scenario::ast::Span;
use sim::scenario::parse::MESSAGE_TYPES;
use sim::scenario::verbs::words;
use sim::scenario::{Outcome, ScenarioError, parse, run_scenario};

/// The library folder.
fn library() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios")
}

/// Every `*.scn` file of the library, sorted by name.
fn library_files() -> Vec<PathBuf> {
    let dir = library();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "scn"))
        .collect();
    files.sort();
    files
}

/// The file name, for messages.
fn name(path: &Path) -> String {
    path.file_name()
        .expect("a file name")
        .to_string_lossy()
        .into_owned()
}

/// What a failure says: where, why, the cluster and the last events.
fn describe(file: &str, outcome: &Outcome) -> String {
    let Some(failure) = &outcome.failure else {
        return format!("{file}: passed");
    };
    let mut text = format!(
        "{file}:{}:{}: {}\n  at: {}\n  cluster:\n",
        failure.span.line, failure.span.col, failure.message, failure.line
    );
    for line in &failure.state {
        text += &format!("    {line}\n");
    }
    text += "  last events:\n";
    for event in &failure.tail {
        text += &format!("    {event}\n");
    }
    text
}

/// Parses and runs a scenario written here; a parse error is a bug of the
/// test.
fn run_text(text: &str) -> Result<Outcome, ScenarioError> {
    let scenario = parse("t.scn", text).unwrap_or_else(|e| panic!("{e}"));
    run_scenario(&scenario, None)
}

/// Runs a scenario written here that must run to its end; returns how.
fn outcome(text: &str) -> Outcome {
    run_text(text).unwrap_or_else(|e| panic!("{e}"))
}

// ---- the library ------------------------------------------------------

#[test]
fn every_library_scenario_has_a_story_and_passes() {
    let files = library_files();
    assert!(
        files.len() >= 14,
        "the library holds {} scenario files, expected at least 14: {files:?}",
        files.len()
    );
    let mut failures = Vec::new();
    for path in &files {
        let file = name(path);
        let text = std::fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        // The header: the comment lines before the first step.
        let header: Vec<&str> = text
            .lines()
            .take_while(|line| line.trim_start().starts_with('#'))
            .map(|line| line.trim_start().trim_start_matches('#').trim())
            .collect();
        assert!(
            text.starts_with('#'),
            "{file} does not start with a comment header telling its story"
        );
        let story = header.join(" ");
        assert!(
            story.split_whitespace().count() >= 8,
            "{file}'s header is too short to tell a story: {story:?}"
        );
        let scenario = parse(&file, &text).unwrap_or_else(|e| panic!("{e}"));
        match (run_scenario(&scenario, None), scenario.expected_failure) {
            (Err(error), _) => failures.push(format!("{error}")),
            // A documented hazard: it must show the checker catching it.
            (Ok(outcome), Some(invariant)) if !outcome.broke(invariant) => {
                failures.push(format!(
                    "{file}: expected to fail with {invariant}, but: {}",
                    describe(&file, &outcome)
                ));
            }
            (Ok(_), Some(_)) => {}
            (Ok(outcome), None) if outcome.failure.is_some() => {
                failures.push(describe(&file, &outcome));
            }
            (Ok(_), None) => {}
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} library scenarios failed:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}

#[test]
fn library_scenarios_are_deterministic() {
    let path = library().join("leader_isolated.scn");
    let text = std::fs::read_to_string(&path).expect("the library has leader_isolated.scn");
    let scenario = parse("leader_isolated.scn", &text).expect("parses");
    let first = run_scenario(&scenario, None).expect("runs");
    let second = run_scenario(&scenario, None).expect("runs");
    assert_eq!(
        (first.sim_time_ns, first.events, first.trace_hash),
        (second.sim_time_ns, second.events, second.trace_hash)
    );
}

// ---- the interpreter's failures ----------------------------------------

#[test]
fn an_expectation_that_cannot_hold_fails_at_its_line() {
    // The failing line is indented: its span points at its first token.
    let text = "# A healthy cluster always has a leader.\n\
                cluster 3\n\
                expect leader within 2s\n\
                \x20 expect no leader within 1s\n\
                run 1s\n";
    let outcome = outcome(text);
    let failure = outcome
        .failure
        .as_ref()
        .unwrap_or_else(|| panic!("`expect no leader` held in a healthy cluster"));
    assert_eq!(
        failure.span,
        Span { line: 4, col: 3 },
        "{}",
        describe("t.scn", &outcome)
    );
    assert_eq!(failure.line, "expect no leader within 1s");
    assert_eq!(failure.message, "expectation not met within 1.000s");
    assert!(failure.violation.is_none(), "no invariant broke");
    assert_eq!(
        failure.state.len(),
        3,
        "one line per node: {:?}",
        failure.state
    );
    assert!(
        failure.state.iter().any(|line| line.contains("Leader")),
        "the cluster has its leader: {:?}",
        failure.state
    );
    assert!(!failure.tail.is_empty(), "the trace tail is shown");
    // The run stopped at the deadline: the `run 1s` after it never ran.
    assert!(
        (1_000_000_000..2_000_000_000).contains(&outcome.sim_time_ns),
        "stopped at {}ns",
        outcome.sim_time_ns
    );
}

#[test]
fn an_at_into_the_past_is_a_scenario_error() {
    let error = run_text("cluster 3\nrun 2s\nat 1s heal\n")
        .expect_err("`at 1s` after `run 2s` is in the past");
    assert_eq!(error.location, "t.scn:3:1");
    assert_eq!(error.line, "at 1s heal");
    assert!(error.message.contains("in the past"), "{error}");
}

#[test]
fn compact_snapshots_every_node_and_a_node_that_was_away_installs_one() {
    let text = "cluster 3\n\
                expect leader within 2s\n\
                propose 5\n\
                expect committed >= 6 on all within 2s\n\
                compact all\n\
                run 100ms\n";
    let compacted = outcome(text);
    assert!(compacted.failure.is_none(), "{:?}", compacted.failure);
    assert_eq!(compacted.stats.snapshots_taken, 3, "one per node");
    assert_eq!(compacted.stats.snapshots_installed, 0);
    // `snapshot_every`: node 3, cut off, comes back to a leader whose log
    // starts after what it lacks.
    let text = "cluster 3 snapshot_every=4 snapshot_chunk=8\n\
                expect leader within 2s\n\
                isolate 3\n\
                propose 12\n\
                expect committed >= 12 within 3s\n\
                heal\n\
                expect committed >= 13 on all within 3s\n\
                expect converged within 2s\n";
    let caught_up = outcome(text);
    assert!(caught_up.failure.is_none(), "{:?}", caught_up.failure);
    assert!(
        caught_up.stats.snapshots_installed >= 1,
        "{:?}",
        caught_up.stats
    );
    assert!(
        caught_up.stats.snapshot_chunks_sent >= 2,
        "{:?}",
        caught_up.stats
    );
}

#[test]
fn a_manual_deliver_with_nothing_in_flight_fails_saying_so() {
    // Node 1 is elected and everything settles; then no append is in flight.
    let text = "cluster 3 pre_vote=off check_quorum=off\n\
                manual\n\
                campaign 1\n\
                stabilize\n\
                expect leader in {1}\n\
                deliver 1 -> 2 append\n";
    let outcome = outcome(text);
    let failure = outcome
        .failure
        .as_ref()
        .expect("nothing is in flight after `stabilize`");
    assert_eq!(failure.span, Span { line: 6, col: 1 });
    assert_eq!(failure.line, "deliver 1 -> 2 append");
    assert_eq!(failure.message, "no append from {1} to {2} is in flight");
    assert_eq!(
        outcome.sim_time_ns, 0,
        "manual mode does not move the clock"
    );
}

#[test]
fn a_crashed_and_restarted_node_converges() {
    let text = "cluster 3\n\
                expect leader within 2s\n\
                propose 5\n\
                expect committed >= 6 within 5s\n\
                crash 1\n\
                restart 1\n\
                expect converged within 5s\n\
                expect committed >= 6 on all\n";
    let outcome = outcome(text);
    assert!(outcome.failure.is_none(), "{}", describe("t.scn", &outcome));
}

// ---- the guide --------------------------------------------------------

/// The library's guide.
fn readme() -> String {
    let path = library().join("README.md");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// The cells of a Markdown table row (`\|` inside a cell stays a `|`).
fn cells(row: &str) -> Vec<String> {
    let mut cells = vec![String::new()];
    let mut chars = row.trim().trim_start_matches('|').chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                cells.last_mut().expect("a cell").push('|');
                chars.next();
            }
            '|' => cells.push(String::new()),
            _ => cells.last_mut().expect("a cell").push(c),
        }
    }
    cells.pop(); // after the closing `|`
    cells.iter().map(|cell| cell.trim().to_string()).collect()
}

/// The example lines of the guide: the last column of every table whose
/// header ends with `example`, split at ` · `, without backticks.
fn readme_examples(readme: &str) -> Vec<String> {
    let mut examples = Vec::new();
    let mut in_table = false;
    for line in readme.lines() {
        if !line.starts_with('|') {
            in_table = false;
            continue;
        }
        if line.starts_with("|---") {
            continue;
        }
        let row = cells(line);
        let last = row.last().map_or("", String::as_str);
        if last == "example" {
            in_table = true;
        } else if in_table {
            for example in last.split(" · ") {
                let example = example.trim();
                assert!(
                    example.len() > 2 && example.starts_with('`') && example.ends_with('`'),
                    "an example is one line in backticks: {example:?}"
                );
                examples.push(example[1..example.len() - 1].to_string());
            }
        }
    }
    examples
}

#[test]
fn the_guide_names_every_file_verb_and_message_type_and_its_examples_parse() {
    let readme = readme();
    for path in library_files() {
        let file = name(&path);
        assert!(
            readme.contains(&format!("[`{file}`]({file})")),
            "scenarios/README.md's library table lacks {file}"
        );
    }
    for verb in words() {
        assert!(
            readme.contains(&format!("`{verb} ")) || readme.contains(&format!("`{verb}`")),
            "scenarios/README.md does not document `{verb}`"
        );
    }
    for kind in MESSAGE_TYPES {
        assert!(
            readme.contains(&format!("| `{kind}` |")),
            "scenarios/README.md's message table lacks `{kind}`"
        );
    }
    let examples = readme_examples(&readme);
    for verb in words() {
        assert!(
            examples
                .iter()
                .any(|e| e == verb || e.starts_with(&format!("{verb} "))),
            "scenarios/README.md has no example of `{verb}`"
        );
    }
    // The names the examples use, bound first; `cluster` stands alone.
    let prelude = "cluster 5\nisolate 5 as old\nisolate 4 as stable\nisolate 3 as lagging\n";
    for example in &examples {
        let text = if example.starts_with("cluster ") {
            format!("{example}\n")
        } else {
            format!("{prelude}{example}\n")
        };
        if let Err(error) = parse("README.md", &text) {
            panic!("the example `{example}` does not parse: {error}");
        }
    }
}

/// Regressions: a manual stretch that moved the clock hands overdue events
/// to `auto` in order; a crash forgets the pending fsync, so `persist` after
/// a restart completes the new boot's write; a second partition replaces the
/// first.
#[test]
fn manual_clock_crash_and_repartition_behave() {
    let run = |text: &str| {
        let scenario = parse("t.scn", text).expect("parses");
        run_scenario(&scenario, None).expect("runs")
    };
    let outcome = run("cluster 3\nmanual\nrun 1s\nauto\nexpect leader within 2s\n");
    assert!(
        outcome.failure.is_none(),
        "{:?}",
        outcome.failure.map(|f| f.message)
    );
    for seed in 0..6 {
        let text = format!(
            "cluster 3 pre_vote=off check_quorum=off seed={seed}\nmanual\ncampaign 1\ncrash 1\n\
             restart 1\ncampaign 1\npersist 1\ndeliver 1 -> 2 vote\n"
        );
        let outcome = run(&text);
        assert!(
            outcome.failure.is_none(),
            "seed {seed}: {:?}",
            outcome.failure.map(|f| f.message)
        );
    }
    let outcome = run(
        "cluster 3\nexpect leader within 2s\npartition {1} | rest\npartition {2} | rest\n\
         run 2s\nexpect leader within 3s\n",
    );
    assert!(
        outcome.failure.is_none(),
        "{:?}",
        outcome.failure.map(|f| f.message)
    );
}

#[test]
fn nth_and_duplicate_pick_exact_messages() {
    // n1 campaigns and persists: one vote request to each peer is in flight.
    let elect = "cluster 3 pre_vote=off check_quorum=off\nmanual\ncampaign 1\npersist 1\n";
    // A duplicated vote request makes two in flight to n2: nth=2 is the copy.
    let outcome = outcome(&format!(
        "{elect}duplicate 1 -> 2 vote\ndeliver 1 -> 2 vote nth=2\ndeliver 1 -> 2 vote\n\
         deliver 1 -> 2 vote\n"
    ));
    let failure = outcome.failure.as_ref().expect("only two copies existed");
    assert_eq!(failure.span.line, 8, "{}", describe("t.scn", &outcome));
    assert_eq!(failure.message, "no vote from {1} to {2} is in flight");
    let outcome = self::outcome(&format!("{elect}deliver 1 -> 2 vote nth=2\n"));
    let failure = outcome.failure.as_ref().expect("one vote request to n2");
    assert_eq!(
        failure.message,
        "nth=2: only 1 votes from {1} to {2} are in flight"
    );
    // Dropping the request to n3 and delivering n2's twice still elects n1
    // (a duplicate answer counts once).
    let outcome = self::outcome(&format!(
        "{elect}drop 1 -> 3 vote\nduplicate 1 -> 2 vote\ndeliver 1 -> 2 vote all\npersist 2\n\
         duplicate 2 -> 1 vote-resp\ndeliver 2 -> 1 vote-resp all\nstabilize\nexpect leader in {{1}}\n"
    ));
    assert!(outcome.failure.is_none(), "{}", describe("t.scn", &outcome));
}

#[test]
fn check_quorum_steps_down_a_leader_without_a_majority_and_ends_a_lease() {
    let elect = "cluster 3 pre_vote=off check_quorum=on\nmanual\ncampaign 1\nstabilize\n\
                 heartbeat 1\nstabilize\nexpect leader in {1}\n";
    // Heard from everyone since election: the leader stays.
    let outcome = outcome(&format!("{elect}check-quorum 1\nexpect leader in {{1}}\n"));
    assert!(outcome.failure.is_none(), "{}", describe("t.scn", &outcome));
    // A second round with no answers in between: it steps down.
    let outcome = self::outcome(&format!(
        "{elect}check-quorum 1\ncheck-quorum 1\nexpect no leader\n"
    ));
    assert!(outcome.failure.is_none(), "{}", describe("t.scn", &outcome));
    // n2 campaigns: n3 still holds its lease on n1 and ignores the vote
    // request until its own CheckQuorum timer fires.
    let campaign = "isolate 1\ncampaign 2\npersist 2\n";
    let outcome = self::outcome(&format!(
        "{elect}{campaign}deliver 2 -> 3 vote\nstabilize\nexpect leader in {{1}}\n"
    ));
    assert!(outcome.failure.is_none(), "{}", describe("t.scn", &outcome));
    let outcome = self::outcome(&format!(
        "{elect}{campaign}check-quorum 3\ndeliver 2 -> 3 vote\nstabilize\nexpect leader in {{2}}\n"
    ));
    assert!(outcome.failure.is_none(), "{}", describe("t.scn", &outcome));
}

// ---- hardening -------------------------------------------------------------

#[test]
fn overlapping_partition_groups_are_an_error_at_their_line() {
    let err = run_text("cluster 3\nrun 1s\npartition {1,2} | {2,3}\n").unwrap_err();
    assert_eq!(err.location, "t.scn:3:1", "{err}");
    assert!(err.message.contains("node 2 is in two groups"), "{err}");
    // Disjoint groups (with the unnamed node joining the last) are fine.
    assert!(
        outcome("cluster 3\npartition 1 | 2\nrun 1s\n")
            .failure
            .is_none()
    );
}

#[test]
fn clients_done_waits_for_every_operation_and_judges_those_after_the_heal() {
    let done = outcome(
        "cluster 3\nexpect leader within 2s\nput x 1\nappend x 2\nget x\n\
         expect clients done within 5s\nexpect clients done since 0s\n",
    );
    assert!(done.failure.is_none(), "{:?}", done.failure);
    // With every node down, the put cannot finish: the expectation fails
    // and says which condition it was.
    let stuck = outcome(
        "cluster 3\nexpect leader within 2s\ncrash all\nput x 1\nexpect clients done within 2s\n",
    );
    let failure = stuck.failure.expect("the put hangs");
    assert!(
        failure.message.contains("expectation not met"),
        "{}",
        failure.message
    );
    assert!(failure.expectation.is_some());
}

#[test]
fn totals_across_steps_are_bounded_too() {
    // Each `propose` is within its limit; together they are not.
    let text = format!("cluster 3\n{}", "propose 100000\n".repeat(11));
    let err = parse("t.scn", &text).unwrap_err();
    assert_eq!((err.span.line, err.span.col), (12, 9), "{err}");
    assert!(err.expected.contains("at most 1000000 in all"), "{err}");
    // Ticks are counted per node as they run.
    let err =
        run_text("cluster 64 pre_vote=off check_quorum=off\nmanual\ntick all 20000\n").unwrap_err();
    assert_eq!(err.location, "t.scn:3:1", "{err}");
    assert!(err.message.contains("more than 1000000 ticks"), "{err}");
    // The clock stops at 365 days, whatever `run` adds up to.
    let text = format!("cluster 1\nmanual\n{}", "run 86400s\n".repeat(366));
    let err = run_text(&text).unwrap_err();
    assert_eq!(err.location, "t.scn:368:1", "{err}");
    assert!(err.message.contains("365 days"), "{err}");
}

#[test]
fn a_cancelled_scenario_stops_within_a_few_thousand_events() {
    let scenario = parse("t.scn", "cluster 3\nclients 4 rate=1000/s\nrun 60m\n").expect("parses");
    let asked = std::cell::Cell::new(0u32);
    let cancel = || {
        asked.set(asked.get() + 1);
        asked.get() > 3
    };
    let outcome = sim::scenario::run_scenario_until(
        sim::sut::Sut::RAFT_CORE,
        &scenario,
        None,
        sim::host::HostRuleBreaks::default(),
        sim::stepper::StepBounds::new(sim::scenario::MAX_EVENTS),
        &cancel,
    )
    .expect("runs");
    let stop = outcome.inconclusive.expect("stopped");
    assert_eq!(stop.message, sim::scenario::INTERRUPTED);
    assert!(outcome.events < 20_000, "{} events", outcome.events);
}

/// The library's stories about what clients see have teeth: each fails, on
/// a host that breaks the rule it is about, with the invariant it names
/// (linearizability with a counterexample; availability while the run goes
/// on), and passes (above) on a correct one.
#[test]
fn the_client_facing_scenarios_catch_the_bugs_they_describe() {
    use sim::checker::{Invariant, Stuck};
    let cases = [
        (
            "linearizable_deposed_leader.scn",
            "local-reads",
            Invariant::Linearizability,
            None,
        ),
        (
            "linearizable_retries.scn",
            "no-dedup",
            Invariant::Linearizability,
            None,
        ),
        (
            "failover_in_time.scn",
            "slow-elections",
            Invariant::Liveness,
            Some(Stuck::Unavailable),
        ),
        (
            "replication_keeps_moving.scn",
            "stall-after-lost-append",
            Invariant::Liveness,
            Some(Stuck::OpsSlow),
        ),
        (
            "reads_before_new_leader_commits.scn",
            "read-before-own-term-commit",
            Invariant::Linearizability,
            None,
        ),
    ];
    for (file, rule, invariant, stuck) in cases {
        let path = library().join(file);
        let text = std::fs::read_to_string(&path).expect("the library file exists");
        let scenario = parse(file, &text).expect("parses");
        let mut breaks = sim::host::HostRuleBreaks::default();
        assert!(breaks.set(rule));
        let outcome =
            sim::scenario::run_scenario_with_breaks(&scenario, None, breaks).expect("runs");
        let failure = outcome
            .failure
            .unwrap_or_else(|| panic!("{file} passed with --break {rule}"));
        let violation = failure.violation.expect("an invariant broke");
        assert_eq!(violation.invariant, invariant, "{file}: {violation}");
        if invariant == Invariant::Linearizability {
            assert!(
                violation.not_linearizable.is_some(),
                "{file}: a counterexample"
            );
        } else {
            assert_eq!(violation.stuck, stuck, "{file}: {violation}");
        }
    }
}

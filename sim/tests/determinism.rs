//! One seed gives one run, bit for bit: the same seed replays the same trace
//! hash and the same report, in any thread and with or without a trace sink;
//! different seeds give different runs.

use std::collections::BTreeSet;

use sim::checker::{Invariant, Violation};
use sim::host::HostRuleBreaks;
use sim::net::NetStats;
use sim::run::{RunOptions, RunReport, run};
use sim::swarm::FaultMix;
use sim::trace::{TAIL_EVENTS, TraceEvent, What};
use sim::world::WorldStats;

const SEEDS: u64 = 50;

/// Everything in a report that a replay must reproduce.
#[derive(Debug, PartialEq)]
struct Fingerprint {
    seed: u64,
    trace_hash: u64,
    events: u64,
    committed: u64,
    ops: (u64, u64, u64, u64),
    net: NetStats,
    world: WorldStats,
    sim_time_ns: u64,
    schedule_steps: usize,
    mix: FaultMix,
    failure: Option<(Violation, u64, Vec<TraceEvent>)>,
}

fn fingerprint(report: &RunReport) -> Fingerprint {
    Fingerprint {
        seed: report.seed,
        trace_hash: report.trace_hash,
        events: report.events,
        committed: report.committed,
        ops: (
            report.ops.ok,
            report.ops.failed,
            report.ops.unknown,
            report.ops.pending,
        ),
        net: report.net.clone(),
        world: report.world.clone(),
        sim_time_ns: report.sim_time_ns,
        schedule_steps: report.schedule_steps,
        mix: report.mix.clone(),
        failure: report
            .failure
            .as_ref()
            .map(|f| (f.violation.clone(), f.time_ns, f.tail.clone())),
    }
}

/// A shorter run than the default (still with faults and a heal), to keep
/// the many-seed tests fast.
fn short(seed: u64) -> RunOptions {
    let mut options = RunOptions::new(seed);
    options.fault_ns = 4_000_000_000;
    options.heal_ns = 4_000_000_000;
    options
}

#[test]
fn the_same_seed_replays_the_same_run_in_any_thread() {
    // First pass: in order, on this thread.
    let first: Vec<Fingerprint> = (0..SEEDS)
        .map(|seed| fingerprint(&run(&RunOptions::new(seed), None)))
        .collect();
    // Second pass: on two other threads, in reverse order and interleaved,
    // so that any state shared between runs (a global counter, a
    // thread-local generator, a cache) shows up as a different run.
    let mut second: Vec<Fingerprint> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..2u64)
            .map(|parity| {
                scope.spawn(move || {
                    (0..SEEDS)
                        .rev()
                        .filter(|seed| seed % 2 == parity)
                        .map(|seed| fingerprint(&run(&RunOptions::new(seed), None)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("a run panicked outside its guard"))
            .collect()
    });
    second.sort_by_key(|f| f.seed);
    assert_eq!(first.len(), second.len());
    for (a, b) in first.iter().zip(&second) {
        assert_eq!(a, b, "seed {} replayed differently", a.seed);
    }
    // The runs did something: a replay of an idle cluster proves nothing.
    for f in &first {
        assert!(f.events > 1000, "seed {}: only {} events", f.seed, f.events);
        if f.failure.is_none() {
            assert_eq!(
                f.sim_time_ns, 30_000_000_000,
                "seed {}: a passing run stopped before its end",
                f.seed
            );
        }
    }
    let busy = first.iter().filter(|f| f.committed > 0).count();
    assert!(
        busy as u64 >= SEEDS * 9 / 10,
        "only {busy} of {SEEDS} runs committed anything"
    );
}

#[test]
fn different_seeds_give_different_runs() {
    let reports: Vec<RunReport> = (0..100).map(|seed| run(&short(seed), None)).collect();
    let hashes: BTreeSet<u64> = reports.iter().map(|r| r.trace_hash).collect();
    assert!(
        hashes.len() >= 99,
        "only {} distinct trace hashes among 100 seeds",
        hashes.len()
    );
    // The seed also picks different settings: not all runs share one mix.
    let mixes: Vec<&FaultMix> = reports.iter().map(|r| &r.mix).collect();
    let distinct_mixes = mixes
        .iter()
        .enumerate()
        .filter(|(i, m)| !mixes[..*i].contains(m))
        .count();
    assert!(distinct_mixes >= 99, "only {distinct_mixes} distinct mixes");
}

#[test]
fn the_trace_hash_depends_on_what_happened_not_only_on_the_seed() {
    // Same seed, different run: pinning one setting must change the hash.
    let seed = 7;
    let base = run(&short(seed), None);
    let mut pinned = short(seed);
    pinned.pre_vote = Some(!base.mix.raft.pre_vote);
    let other = run(&pinned, None);
    assert_ne!(
        base.trace_hash, other.trace_hash,
        "flipping pre_vote left the trace hash unchanged"
    );
    let mut longer = short(seed);
    longer.heal_ns += 1_000_000_000;
    assert_ne!(base.trace_hash, run(&longer, None).trace_hash);
}

/// The run, and the events its sink saw (the picture's records, which
/// follow the events they describe, left out: they are not events).
fn run_with_sink(options: &RunOptions) -> (RunReport, Vec<TraceEvent>) {
    let mut events = Vec::new();
    let mut records = 0usize;
    let mut sink = |event: &TraceEvent| {
        if event.what.is_picture_record() {
            records += 1;
        } else {
            events.push(event.clone());
        }
    };
    let report = run(options, Some(&mut sink));
    assert!(records > 0, "a sink sees the picture's records too");
    (report, events)
}

#[test]
fn a_trace_sink_sees_every_event_and_changes_nothing() {
    for seed in [0, 1, 2, 3, 5, 8, 13, 42] {
        let options = RunOptions::new(seed);
        let plain = run(&options, None);
        let (traced, events) = run_with_sink(&options);
        assert_eq!(
            fingerprint(&plain),
            fingerprint(&traced),
            "seed {seed}: a trace sink changed the run"
        );
        assert!(!events.is_empty(), "seed {seed}: the sink saw nothing");
        for pair in events.windows(2) {
            assert!(
                pair[0].time_ns <= pair[1].time_ns,
                "seed {seed}: time went back from {} to {}",
                pair[0],
                pair[1]
            );
        }
        let last = events.last().expect("non-empty");
        assert!(last.time_ns <= traced.sim_time_ns);
        assert!(traced.ok(), "seed {seed} failed: {:?}", traced.failure);
        // Every world step and every action a fault resolved into is one
        // trace event: the world counts exactly the events the sink saw.
        assert_eq!(
            events.len() as u64,
            traced.events,
            "seed {seed}: the sink saw {} events, the world counted {}",
            events.len(),
            traced.events
        );
        let crashes = events
            .iter()
            .filter(|e| matches!(e.what, What::Crash { .. }))
            .count() as u64;
        assert_eq!(crashes, traced.world.crashes, "seed {seed}: crashes traced");
        let deliveries = events
            .iter()
            .filter(|e| matches!(e.what, What::Deliver { .. }))
            .count() as u64;
        assert!(deliveries > 0 && deliveries <= traced.net.sent + traced.net.duplicated);
    }
}

fn skip_fsync_run() -> RunOptions {
    // A host that never waits for its fsync breaks persist-before-send early.
    let mut options = short(3);
    options.spec.rule_breaks = HostRuleBreaks {
        skip_fsync: true,
        ..HostRuleBreaks::default()
    };
    options
}

#[test]
fn a_failing_run_replays_the_same_failure() {
    let options = skip_fsync_run();
    let first = run(&options, None);
    let (second, events) = run_with_sink(&options);
    assert_eq!(fingerprint(&first), fingerprint(&second));
    let failure = second.failure.as_ref().expect("skip_fsync must be caught");
    assert_eq!(failure.violation.invariant, Invariant::PersistBeforeSend);
    // The run stopped at the failure, long before its planned end.
    assert!(failure.time_ns <= second.sim_time_ns);
    assert!(second.sim_time_ns < options.fault_ns + options.heal_ns);
    // The tail is a run of consecutive events the sink saw, the last one
    // at most one event before the end of the trace.
    assert_eq!(failure.tail.len(), TAIL_EVENTS);
    let found = events
        .windows(TAIL_EVENTS)
        .rposition(|w| w == failure.tail.as_slice())
        .expect("the tail is a window of the trace");
    assert!(found + TAIL_EVENTS + 1 >= events.len());
    let last = events.last().expect("non-empty");
    assert_eq!(last.time_ns, failure.time_ns);
}

#[test]
fn a_failures_tail_ends_with_the_event_that_broke_the_invariant() {
    // `run::drive` checks the invariants after a world step (or a fault's
    // actions) but records the step's trace event only afterwards, so
    // `fail` snapshots a tail that ends one event early: the report's
    // "last events" omit the very event whose time is `failure.time_ns`.
    let options = skip_fsync_run();
    let (report, events) = run_with_sink(&options);
    let failure = report.failure.as_ref().expect("skip_fsync must be caught");
    let tail_start = events.len().saturating_sub(TAIL_EVENTS);
    assert_eq!(failure.tail, events[tail_start..].to_vec());
    assert_eq!(
        failure.tail.last().map(|e| e.time_ns),
        Some(failure.time_ns)
    );
}

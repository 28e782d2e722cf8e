//! Reads per simulated second by read path, on one core: the standard
//! 3-node cluster (default raft settings, the calm mix: no faults) with 32
//! client sessions, 90% gets and 10% puts, for 10 simulated seconds, with
//! gets served by ReadIndex (`index`, the default), the leader's lease
//! (`lease`) and through the log (`log`); under two timings:
//!
//! - `sim`: the simulator's defaults, network 1-5 ms one way, fsync
//!   0.1-2 ms (a slow network, a fast disk);
//! - `dc`: a datacenter with a disk that syncs slowly, network 0.1-0.5 ms
//!   one way, fsync 2-10 ms (a cloud volume).
//!
//! A session has one operation in flight at a time and its think time
//! (0.5 ms mean) is small beside an answer's latency, so the sessions are
//! always busy and operations per simulated second are about sessions
//! divided by latency: the simulator charges nothing for handling a
//! message or an entry. A read through the log waits for a quorum's fsync;
//! a ReadIndex read for one heartbeat round; a lease read for nothing but
//! the client's round trip (half the gets go to a follower, which asks the
//! leader: one more round trip). So the ratio is the ratio of those
//! latencies: near 1 where the network dominates, large where fsync does.
//!
//! For each timing and path: completed gets and operations per simulated
//! second, node-to-node messages per completed get (client requests and
//! replies left out; the puts' replication included), all messages handed
//! to the network per get (the clients' too), the gets' median latency,
//! the median wall time of 3 rounds, and the ratio of gets per simulated
//! second to the log path's (target: index at least 5x log). Each round
//! must pass (no invariant broken, the run reached its end) and give the
//! same figures. The invariant checkers run; the linearizability checker
//! does not (32 sessions on 4 keys exhaust its budget).
//!
//! `cargo bench -p sim --bench read_throughput` (add a number to change the
//! simulated seconds from 10). Benchmarks read the wall clock; the
//! simulated runs never do.

mod common;

use std::time::Instant;

use sim::client::Workload;
use sim::cluster::ClusterSpec;
use sim::history::Outcome;
use sim::kv::Op;
use sim::read_path::ReadPath;
use sim::run::{RunOptions, run};
use sim::swarm::FaultMix;
use sim::trace::{Peer, TraceEvent, What};

/// Client sessions: enough to keep the cluster busy.
const CLIENTS: usize = 32;
/// Operations a second each session asks (mean): far above what one
/// session gets done, so the sessions are never idle for long.
const RATE_PER_S: f64 = 2000.0;
/// Rounds per combination; the wall time quoted is their median.
const ROUNDS: usize = 3;

/// The share of operations that are gets.
const GET_SHARE: f64 = 0.9;

/// A timing: network one-way delay and fsync latency ranges.
struct Timing {
    name: &'static str,
    delay_ns: (u64, u64),
    fsync_ns: (u64, u64),
}

const TIMINGS: [Timing; 2] = [
    Timing {
        name: "sim",
        delay_ns: (1_000_000, 5_000_000),
        fsync_ns: (100_000, 2_000_000),
    },
    Timing {
        name: "dc",
        delay_ns: (100_000, 500_000),
        fsync_ns: (2_000_000, 10_000_000),
    },
];

const PATHS: [ReadPath; 3] = [ReadPath::Index, ReadPath::Lease, ReadPath::Log];

/// What one run did (the same every round: the run is deterministic).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Counts {
    sim_ns: u64,
    gets: u64,
    ops: u64,
    node_messages: u64,
    all_messages: u64,
    /// Median latency of the completed gets, invoke to answer.
    get_p50_ns: u64,
}

/// The run under `timing` with gets served by `reads`, `sim_s` simulated
/// seconds.
fn options(timing: &Timing, reads: ReadPath, sim_s: u64) -> RunOptions {
    let length_ns = sim_s * 1_000_000_000;
    let mut options = RunOptions::new(1);
    options.seed_picks_settings = false;
    let mut mix = FaultMix::calm();
    (mix.noise.delay_min_ns, mix.noise.delay_max_ns) = timing.delay_ns;
    options.mix = Some(mix);
    options.membership = Some(false);
    // The linearizability checker's search runs out of budget on 32
    // sessions sharing 4 keys (and would dominate the wall time); the
    // invariant checkers still run.
    options.lincheck_budget = None;
    options.reads = Some(reads);
    options.fault_ns = length_ns / 2;
    options.heal_ns = length_ns - length_ns / 2;
    // Far above what a healthy run takes: a run that reaches it stops
    // short, and the bench fails rather than quote a partial run.
    options.max_events = 200_000 * sim_s;
    options.spec = ClusterSpec {
        nodes: 3,
        clients: CLIENTS,
        workload: Workload {
            rate_per_s: RATE_PER_S,
            puts: true,
            gets: true,
            appends: false,
            get_share: Some(GET_SHARE),
            reads,
            ..Workload::default()
        },
        fsync_min_ns: timing.fsync_ns.0,
        fsync_max_ns: timing.fsync_ns.1,
        ..ClusterSpec::default()
    };
    options
}

/// One round: wall seconds and what the run did.
fn round(options: &RunOptions) -> (f64, Counts) {
    let mut node_messages = 0u64;
    let mut sink = |event: &TraceEvent| {
        if let What::Deliver {
            from: Peer::Node(_),
            to: Peer::Node(_),
            ..
        } = event.what
        {
            node_messages += 1;
        }
    };
    let started = Instant::now();
    let report = run(options, Some(&mut sink));
    let wall = started.elapsed().as_secs_f64();
    assert!(
        report.passed(),
        "{:?} failed: {:?} {:?}",
        options.reads,
        report.failure,
        report.inconclusive
    );
    let done = || {
        report
            .history
            .ops
            .iter()
            .filter(|op| matches!(op.outcome, Outcome::Ok { .. }))
    };
    let mut latencies: Vec<u64> = done()
        .filter(|op| matches!(op.op, Op::Get { .. }))
        .filter_map(|op| op.complete_ns.map(|at| at - op.invoke_ns))
        .collect();
    latencies.sort_unstable();
    let counts = Counts {
        sim_ns: report.sim_time_ns,
        gets: done().filter(|op| matches!(op.op, Op::Get { .. })).count() as u64,
        ops: done().count() as u64,
        node_messages,
        all_messages: report.net.sent,
        get_p50_ns: latencies.get(latencies.len() / 2).copied().unwrap_or(0),
    };
    (wall, counts)
}

/// Per simulated second.
fn per_s(count: u64, sim_ns: u64) -> f64 {
    count as f64 / (sim_ns as f64 / 1e9)
}

fn main() {
    let sim_s = common::count_arg(10);
    println!(
        "read_throughput: 3 nodes, calm mix, {CLIENTS} clients at {RATE_PER_S:.0} ops/s each, {:.0}% gets, {sim_s} simulated s, {ROUNDS} rounds (median wall), one core",
        GET_SHARE * 100.0
    );
    println!(
        "  timings: sim = network 1-5 ms one way, fsync 0.1-2 ms; dc = network 0.1-0.5 ms, fsync 2-10 ms; msgs/get counts every node-to-node message (the puts' replication too)"
    );
    for timing in &TIMINGS {
        let mut results = Vec::new();
        for reads in PATHS {
            let options = options(timing, reads, sim_s);
            let mut walls = Vec::new();
            let mut first = None;
            for _ in 0..ROUNDS {
                let (wall, counts) = round(&options);
                walls.push(wall);
                assert!(
                    first.is_none_or(|c| c == counts),
                    "{reads}: rounds differ ({first:?} then {counts:?})"
                );
                first = Some(counts);
            }
            let counts = first.expect("at least one round");
            results.push((reads, counts, common::median(walls)));
        }
        let log_gets_per_s = results
            .iter()
            .find(|(reads, ..)| *reads == ReadPath::Log)
            .map(|(_, c, _)| per_s(c.gets, c.sim_ns))
            .expect("the log path ran");
        for (reads, c, wall) in results {
            let gets_per_s = per_s(c.gets, c.sim_ns);
            println!(
                "  {:<7} {:<5}: {gets_per_s:>8.0} gets/sim s ({:.2}x log), {:>8.0} ops/sim s, {:>6.2} node msgs/get ({:.2} incl. clients'), get p50 {:.1} ms, {} gets of {} ops, median wall {wall:.3} s",
                timing.name,
                reads.name(),
                gets_per_s / log_gets_per_s,
                per_s(c.ops, c.sim_ns),
                c.node_messages as f64 / c.gets.max(1) as f64,
                c.all_messages as f64 / c.gets.max(1) as f64,
                c.get_p50_ns as f64 / 1e6,
                c.gets,
                c.ops,
            );
        }
    }
}

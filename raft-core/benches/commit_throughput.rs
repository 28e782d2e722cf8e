//! commit_throughput: how fast three RawNodes in one process commit entries,
//! and how much heap that costs per entry.
//!
//! Three nodes with the default configuration (PreVote and CheckQuorum on);
//! node 1 is elected first (not measured). Then, round after round, the
//! leader takes a batch of 128-byte proposals, every node runs one Ready
//! (messages sent, writes "persisted" by dropping them, committed entries
//! "applied" by counting them, advance), and every message is delivered by
//! hand. A run ends when the leader has applied all its entries; its time is
//! the wall-clock time of those rounds. Heap use is counted by a counting
//! global allocator (`stats_alloc`) over the same rounds: every byte
//! requested from the allocator, by raft-core and by this host (payloads,
//! message queue), divided by the number of entries.
//!
//! `cargo bench -p raft-core --bench commit_throughput` runs the full
//! measurement; run without `--bench` (as `cargo test --benches` does) it
//! does one small smoke run instead.

use std::alloc::System;
use std::time::{Duration, Instant};

use raft_core::{Config, EntryKind, Error, Message, NodeId, RawNode, Restored, Role};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// The payload size of every proposal.
const ENTRY_BYTES: usize = 128;
/// The number of nodes.
const NODES: u64 = 3;

/// Three nodes and the messages between them.
struct Cluster {
    nodes: Vec<RawNode>,
    /// Messages sent and not yet delivered (reused between rounds).
    queue: Vec<Message>,
    /// Normal entries each node has applied.
    applied: Vec<u64>,
    /// Bytes of entries each node was asked to persist.
    persisted_bytes: Vec<u64>,
}

fn slot(id: NodeId) -> usize {
    (id.0 - 1) as usize
}

impl Cluster {
    fn new() -> Cluster {
        let nodes = (1..=NODES)
            .map(|n| {
                let mut config = Config::new(NodeId(n), (1..=NODES).map(NodeId));
                config.seed = n;
                RawNode::new(config, Restored::default()).expect("valid configuration")
            })
            .collect();
        Cluster {
            nodes,
            queue: Vec::new(),
            applied: vec![0; NODES as usize],
            persisted_bytes: vec![0; NODES as usize],
        }
    }

    /// One round: every node with work runs one Ready, then every message
    /// sent is delivered. Returns whether anything happened.
    fn round(&mut self) -> bool {
        let mut busy = false;
        for (i, node) in self.nodes.iter_mut().enumerate() {
            if !node.has_ready() {
                continue;
            }
            busy = true;
            let mut ready = node.ready();
            self.queue.append(&mut ready.messages);
            // "Persist": a real host writes these to its log file.
            self.persisted_bytes[i] += ready
                .entries
                .iter()
                .map(|e| e.data.len() as u64)
                .sum::<u64>();
            self.queue.append(&mut ready.messages_after_persist);
            self.applied[i] += ready
                .committed_entries
                .iter()
                .filter(|e| e.kind == EntryKind::Normal)
                .count() as u64;
            node.advance(ready);
        }
        busy |= !self.queue.is_empty();
        for message in self.queue.drain(..) {
            let to = slot(message.to);
            if let Err(err) = self.nodes[to].step(message) {
                panic!("a healthy cluster exchanged a bad message: {err}");
            }
        }
        busy
    }

    /// Elects node 1 and lets the cluster settle.
    fn elect(&mut self) {
        self.nodes[0].campaign();
        for _ in 0..100 {
            if !self.round() {
                break;
            }
        }
        assert_eq!(self.nodes[0].role(), Role::Leader, "node 1 should lead");
    }
}

/// What one run measured.
#[derive(Clone, Copy, Debug)]
struct RunResult {
    elapsed: Duration,
    bytes_allocated: u64,
    allocations: u64,
    rounds: u64,
}

/// Commits `entries` proposals of `ENTRY_BYTES` bytes, proposing `batch` of
/// them before every round.
fn run(entries: u64, batch: u64) -> RunResult {
    let mut cluster = Cluster::new();
    cluster.elect();
    let payload = vec![0x5A_u8; ENTRY_BYTES];

    let region = Region::new(GLOBAL);
    let start = Instant::now();
    let mut proposed = 0;
    let mut rounds = 0;
    while cluster.applied[0] < entries {
        let upto = (proposed + batch).min(entries);
        while proposed < upto {
            match cluster.nodes[0].propose(payload.clone()) {
                Ok(_) => proposed += 1,
                // Back-pressure: wait for commits.
                Err(Error::TooManyUncommitted { .. }) => break,
                Err(err) => panic!("the leader refused a proposal: {err}"),
            }
        }
        cluster.round();
        rounds += 1;
        assert!(rounds < 100 * entries + 1000, "no progress");
    }
    let elapsed = start.elapsed();
    let stats = region.change();

    // Not measured: the followers catch up, and everything checks out.
    for _ in 0..100 {
        if !cluster.round() {
            break;
        }
    }
    for (i, applied) in cluster.applied.iter().enumerate() {
        assert_eq!(*applied, entries, "node {} applied {applied}", i + 1);
        assert_eq!(cluster.persisted_bytes[i], entries * ENTRY_BYTES as u64);
    }
    RunResult {
        elapsed,
        bytes_allocated: stats.bytes_allocated as u64,
        allocations: stats.allocations as u64,
        rounds,
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    }
}

/// Runs `runs` times; returns the median rate and the median bytes and
/// allocations per entry.
fn measure(entries: u64, batch: u64, runs: usize, verbose: bool) -> (f64, f64, f64) {
    let mut rates = Vec::new();
    let mut bytes = Vec::new();
    let mut allocations = Vec::new();
    for k in 0..runs {
        let result = run(entries, batch);
        let rate = entries as f64 / result.elapsed.as_secs_f64();
        let per_entry = result.bytes_allocated as f64 / entries as f64;
        let allocs = result.allocations as f64 / entries as f64;
        if verbose {
            println!(
                "  run {}: {entries} entries in {:.1} ms ({} rounds): {rate:.0} entries/s, \
                 {per_entry:.0} bytes and {allocs:.1} allocations per entry",
                k + 1,
                result.elapsed.as_secs_f64() * 1e3,
                result.rounds,
            );
        }
        rates.push(rate);
        bytes.push(per_entry);
        allocations.push(allocs);
    }
    (median(rates), median(bytes), median(allocations))
}

fn main() {
    // `cargo bench` passes `--bench`; anything else (`cargo test --benches`)
    // gets a quick smoke run.
    let full = std::env::args().any(|arg| arg == "--bench");
    let (entries, runs, batch) = if full {
        (100_000, 7, 128)
    } else {
        (2_000, 1, 128)
    };

    println!(
        "commit_throughput: 3 nodes, {entries} entries of {ENTRY_BYTES} bytes, \
         batches of {batch} per Ready round, {runs} runs after a warm-up run"
    );
    if full {
        // Warm-up (allocator, caches, CPU frequency): not counted.
        run(entries, batch);
    }
    let (rate, bytes, allocations) = measure(entries, batch, runs, true);
    if full {
        println!("other batch sizes (median of 3 runs):");
        for other in [64, 256] {
            let (rate, bytes, allocations) = measure(entries, other, 3, false);
            println!(
                "  batch {other:>3}: {rate:.0} entries/s, {bytes:.0} bytes and \
                 {allocations:.1} allocations per entry"
            );
        }
    }
    println!(
        "commit_throughput: {rate:.0} entries/s (median of {runs} runs), \
         {bytes:.0} bytes allocated per entry ({allocations:.1} allocations per entry){}",
        if full { "" } else { " [smoke run]" }
    );
}

//! The host in production against the host in the simulator, one workload:
//! 3 `raftsim serve` processes on loopback with fsync on, 16 concurrent
//! clients each writing (`PUT`) as fast as it is answered, then reading
//! (`GET`, linearizable by ReadIndex); next to it, the same 16 closed-loop
//! writers in the simulator (its disk's fsync takes 0.1 to 2 ms, its
//! network's delivery a few ms: the model's parameters, not this machine's).
//!
//! Quoted: operations per second and p50/p99 latency, real time for the
//! servers and virtual time for the simulator, and how fast the simulator
//! ran the workload (virtual seconds per wall second).
//!
//! `cargo bench --bench server_loopback` (add a number of seconds per
//! phase; 5 by default).

#[path = "../tests/common/servers.rs"]
mod servers;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use servers::{Answer, TempDir, request, servers, wait_for_leader};
use sim::history::Outcome;
use sim::kv::Op;
use sim::world::{ClusterSpec, World};

const CLIENTS: u64 = 16;

fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let at = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[at]
}

fn ms(ns: u64) -> f64 {
    ns as f64 / 1e6
}

/// Runs `CLIENTS` closed-loop clients against `http` for `phase`; returns
/// the latencies (ns) of the answered operations and how many failed.
fn closed_loop(http: &str, phase: Duration, write: bool) -> (Vec<u64>, u64) {
    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|t| {
            let (http, stop) = (http.to_owned(), stop.clone());
            thread::spawn(move || {
                let (mut latencies, mut failed) = (Vec::new(), 0u64);
                let mut i = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    i += 1;
                    let key = t * 1000 + i % 1000;
                    let started = Instant::now();
                    let answer = if write {
                        request("PUT", &format!("http://{http}/kv/{key}"), Some(i))
                    } else {
                        request("GET", &format!("http://{http}/kv/{key}"), None)
                    };
                    match answer {
                        Answer::Ok(_) => latencies.push(started.elapsed().as_nanos() as u64),
                        Answer::Failed | Answer::Unknown => failed += 1,
                    }
                }
                (latencies, failed)
            })
        })
        .collect();
    thread::sleep(phase);
    stop.store(true, Ordering::Relaxed);
    let (mut all, mut failed) = (Vec::new(), 0);
    for client in clients {
        let (latencies, f) = client.join().expect("a client");
        all.extend(latencies);
        failed += f;
    }
    all.sort_unstable();
    (all, failed)
}

fn report(what: &str, latencies: &[u64], failed: u64, seconds: f64) {
    println!(
        "{what:<44} {:>9.0} ops/s  p50 {:>7.2} ms  p99 {:>7.2} ms  ({} ops, {failed} failed)",
        latencies.len() as f64 / seconds,
        ms(percentile(latencies, 0.5)),
        ms(percentile(latencies, 0.99)),
        latencies.len()
    );
}

fn real(phase: Duration) {
    let dir = TempDir::new("bench");
    let mut servers = servers(&dir.0, 3, &[]);
    for server in &mut servers.0 {
        server.start();
    }
    let leader = wait_for_leader(&servers, &[0, 1, 2]);
    let leader_http = servers.0[leader].http.clone();
    let follower_http = servers.0[(leader + 1) % 3].http.clone();
    let seconds = phase.as_secs_f64();
    let (latencies, failed) = closed_loop(&leader_http, phase, true);
    report(
        "real: PUT to the leader (fsync on)",
        &latencies,
        failed,
        seconds,
    );
    let (latencies, failed) = closed_loop(&follower_http, phase, true);
    report(
        "real: PUT to a follower (proxied)",
        &latencies,
        failed,
        seconds,
    );
    let (latencies, failed) = closed_loop(&leader_http, phase, false);
    report(
        "real: GET from the leader (ReadIndex)",
        &latencies,
        failed,
        seconds,
    );
    let (latencies, failed) = closed_loop(&follower_http, phase, false);
    report(
        "real: GET from a follower (ReadIndex)",
        &latencies,
        failed,
        seconds,
    );
    for server in &mut servers.0 {
        server.terminate();
    }
}

fn simulated(virtual_seconds: u64) {
    let mut spec = ClusterSpec {
        clients: CLIENTS as usize,
        ..ClusterSpec::default()
    };
    spec.workload.gets = false;
    spec.workload.appends = false;
    // Closed loop: each client sends its next write as soon as it is
    // answered (a mean gap of 10 µs).
    spec.workload.rate_per_s = 100_000.0;
    let mut world = World::new(spec, 1);
    let started = Instant::now();
    let end_ns = virtual_seconds * 1_000_000_000;
    while world.now_ns < end_ns {
        if world.step().is_err() {
            println!("sim: a checker failed; no figures");
            return;
        }
    }
    let wall = started.elapsed().as_secs_f64();
    // From the first second on: the first election is not the steady state.
    let mut latencies: Vec<u64> = world
        .history
        .ops
        .iter()
        .filter(|op| matches!(op.op, Op::Put { .. }) && op.invoke_ns >= 1_000_000_000)
        .filter(|op| matches!(op.outcome, Outcome::Ok { .. }))
        .filter_map(|op| op.complete_ns.map(|c| c - op.invoke_ns))
        .collect();
    latencies.sort_unstable();
    report(
        "sim: PUT, 16 clients (virtual time)",
        &latencies,
        0,
        (virtual_seconds - 1) as f64,
    );
    println!(
        "sim: ran {virtual_seconds} virtual s in {wall:.2} wall s ({:.1} virtual s per wall s)",
        virtual_seconds as f64 / wall
    );
}

fn main() {
    let seconds: u64 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(5);
    real(Duration::from_secs(seconds));
    simulated(seconds * 2 + 1);
}

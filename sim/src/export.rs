//! Exports a swarm run as a scenario file that replays the same faults: the
//! cluster and settings the seed picked, the noise seed, and every fault at
//! its virtual time, aimed at the node it actually hit. `raftsim scenario`
//! on the file re-runs the same world with the same random streams.

use std::fmt::Write;

use crate::membership::{MembershipOp, describe_change};
use crate::run::{RunOptions, RunReport};
use crate::scenario::print;
use crate::slot::NodeSlot;
use crate::swarm::{Fault, Schedule, Who};

/// The scenario text for `options` with `schedule` (the run's own schedule
/// or a shrunk one); `report` supplies the nodes that faults aimed at "the
/// leader" hit. `story` becomes the header comment.
#[must_use]
pub fn scenario_text(
    options: &RunOptions,
    schedule: &Schedule,
    report: &RunReport,
    story: &str,
) -> String {
    let spec = options.cluster_spec();
    let mut out = String::new();
    for line in story.lines() {
        let _ = writeln!(out, "# {line}");
    }
    let timing = print::ClusterTiming {
        tick_ns: spec.tick_ns,
        seed: options.seed,
    };
    let _ = writeln!(out, "{}", print::cluster(&spec, Some(timing)));
    let _ = writeln!(
        out,
        "disk latency={}ns..{}ns",
        spec.fsync_min_ns, spec.fsync_max_ns
    );
    let workload = &spec.workload;
    let _ = writeln!(
        out,
        "clients {} rate={}/s keys={} ops=put,get,append reads={}",
        spec.clients, workload.rate_per_s, workload.keys, workload.reads
    );
    let mut lines: Vec<(u64, String)> = Vec::new();
    // Steps after the run's end never ran (a run cut short by the shrinker
    // keeps its heal's steps in the schedule): they are not part of it.
    let end_ns = options.fault_ns + options.heal_ns;
    let ran: Vec<_> = schedule
        .steps
        .iter()
        .filter(|step| step.at_ns <= end_ns)
        .collect();
    let times: Vec<Option<u64>> = ran
        .iter()
        .map(|step| fault_line(&step.fault, report).map(|_| step.at_ns))
        .collect();
    // A scenario names a node beyond the cluster line only after an `add`
    // of it: the heal's restarts of spares no change added are left out
    // (they change nothing in the run either: a spare that never ran
    // does not boot).
    let mut added: Vec<NodeSlot> = Vec::new();
    for (index, step) in ran.iter().enumerate() {
        if let Fault::Membership(op) = &step.fault {
            added.extend(op.added());
        }
        if let Fault::Restart(Who::Node(n)) | Fault::Resume(Who::Node(n)) = step.fault {
            if n.index() >= spec.bootstrap_count() && !added.contains(&n) {
                continue;
            }
        }
        if let Fault::CrashMidWrite(name) = step.fault {
            let Some(&fired_ns) = report.fired_at_ns.get(&name) else {
                continue;
            };
            lines.push(mid_write_crash(
                name, step.at_ns, fired_ns, index, &times, report,
            ));
        } else if let Some(line) = fault_line(&step.fault, report) {
            lines.push((step.at_ns, line));
        }
    }
    // Stable: steps of one time keep their schedule order.
    lines.sort_by_key(|(at_ns, _)| *at_ns);
    for (at_ns, line) in lines {
        let _ = writeln!(out, "at {at_ns}ns {line}");
    }
    // The run's final checks: after the events of its last nanosecond (a
    // step runs before the events of its own time, hence one ns later), a
    // leader that a majority follows, then every client operation finished
    // and those started once the faults healed successful.
    // A run without a healed phase (one the shrinker cut short after a
    // safety failure) demands no progress, and neither does its file.
    // Linearizability first, as the run checks it before progress.
    let _ = writeln!(out, "at {end_ns}ns run 1ns");
    if options.lincheck_budget.is_some() {
        let _ = writeln!(out, "expect linearizable");
    }
    if options.heal_ns > 0 {
        let _ = writeln!(out, "expect leader");
        let _ = writeln!(out, "expect clients done since {}ns", options.fault_ns);
    }
    out
}

/// A mid-write crash armed at `armed_ns` that struck at `fired_ns`. The run
/// crashed the first node an event left with a write waiting for its fsync;
/// `crash writing`, written at the arming time, does exactly that, waiting
/// for such an event. It waits without running other steps, so it is exact
/// only if no other step of the schedule falls between the arming and the
/// strike; otherwise the crash is written at its time, on the node it hit
/// (one ns after the event it followed: a step runs before the events of its
/// own time), which is exact unless other events shared that nanosecond.
fn mid_write_crash(
    name: u32,
    armed_ns: u64,
    fired_ns: u64,
    index: usize,
    times: &[Option<u64>],
    report: &RunReport,
) -> (u64, String) {
    let crowded = times
        .iter()
        .enumerate()
        .any(|(other, at)| other != index && at.is_some_and(|t| t >= armed_ns && t <= fired_ns));
    if crowded {
        let node = report.resolved.get(&name).map_or(0, |n| n.number());
        (fired_ns + 1, format!("crash {node} as f{name}"))
    } else {
        (armed_ns, format!("crash writing as f{name}"))
    }
}

fn who(target: Who, report: &RunReport) -> Option<String> {
    match target {
        Who::Node(n) => Some(print::node(n)),
        Who::Named(name) => report
            .resolved
            .contains_key(&name)
            .then(|| format!("f{name}")),
        Who::Leader => None,
    }
}

/// The node a named fault hit, as a scenario set, bound to its name.
fn hit(name: u32, report: &RunReport) -> Option<String> {
    report
        .resolved
        .get(&name)
        .map(|node| format!("{} as f{name}", print::node(*node)))
}

/// One fault as a scenario step (without its time); `None` if it never
/// struck (its target was never resolved) or changes nothing.
fn fault_line(fault: &Fault, report: &RunReport) -> Option<String> {
    // In tenths of a percent, computed as the parser computes `P%`.
    let percent = |p: f64| format!("{}%", (p * 1000.0).round() / 10.0);
    Some(match fault {
        Fault::Crash(_, name) => format!("crash {}", hit(*name, report)?),
        Fault::CrashMidWrite(name) => format!("crash {}", hit(*name, report)?),
        Fault::Restart(target) => format!("restart {}", who(*target, report)?),
        Fault::Pause(_, name) => format!("pause {}", hit(*name, report)?),
        Fault::Resume(target) => format!("resume {}", who(*target, report)?),
        Fault::Isolate(_, name) => format!("isolate {}", hit(*name, report)?),
        Fault::OneWay(_, name, hears_only) => {
            let node = hit(*name, report)?;
            if *hears_only {
                format!("cut {node} -> all - f{name}")
            } else {
                format!(
                    "cut all - {} -> {node}",
                    print::node_set(&[report.resolved[name]])
                )
            }
        }
        Fault::Partition(groups) => {
            let sets: Vec<String> = groups.iter().map(|g| print::node_set(g)).collect();
            format!("partition {}", sets.join(" | "))
        }
        Fault::Cut(from, to) => format!("cut {} -> {}", print::node_set(from), print::node_set(to)),
        Fault::Heal => "heal".to_string(),
        Fault::Skew(n, factor) => format!("{} {factor}", print::on_node("skew", *n)),
        Fault::Noise(noise) => format!(
            "net drop={} dup={} delay={}ns..{}ns tail={}",
            percent(noise.drop_probability),
            percent(noise.duplicate_probability),
            noise.delay_min_ns,
            noise.delay_max_ns,
            percent(noise.tail_probability)
        ),
        Fault::Torn(on) => format!("disk torn={}", print::on_off(*on)),
        Fault::Workload(true) => "clients 1".to_string(),
        Fault::Workload(false) => "clients 0".to_string(),
        Fault::Membership(MembershipOp::Change(change)) => describe_change(change),
        Fault::Membership(MembershipOp::TransferLeader(to)) => {
            format!("transfer-leader {}", print::node(*to))
        }
        Fault::TransferLeader { name, .. } => {
            format!(
                "transfer-leader {}",
                print::node(*report.resolved.get(name)?)
            )
        }
    })
}

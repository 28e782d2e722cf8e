//! The scenario syntax, written: the one printer every writer of scenario
//! files uses — `--emit-scenario` and `shrink` (a run's schedule, in
//! `crate::export`) and `raftsim check` (a counterexample, in
//! `crate::explore`) — so that what they write is what the parser reads
//! (SCENARIOS.md).

use crate::cluster::{ClusterSpec, RaftSettings};
use crate::net::Endpoint;
use crate::slot::NodeSlot;

/// `on` or `off`.
#[must_use]
pub fn on_off(flag: bool) -> &'static str {
    if flag { "on" } else { "off" }
}

/// A node as the page names it: its number (`2`).
#[must_use]
pub fn node(slot: NodeSlot) -> String {
    slot.number().to_string()
}

/// A set of nodes: `{1,2,4}`.
#[must_use]
pub fn node_set(nodes: &[NodeSlot]) -> String {
    let ids: Vec<String> = nodes.iter().map(|&n| node(n)).collect();
    format!("{{{}}}", ids.join(","))
}

/// A verb on one node: `crash 2`.
#[must_use]
pub fn on_node(verb: &str, slot: NodeSlot) -> String {
    format!("{verb} {}", node(slot))
}

/// One end of a message: `2`, or `client 1`.
#[must_use]
pub fn endpoint(end: Endpoint) -> String {
    match end {
        Endpoint::Node(slot) => node(slot),
        Endpoint::Client(id) => format!("client {}", u64::from(id) + 1),
    }
}

/// A manual step on one in-flight message: `deliver 1 -> 2 vote nth=2`,
/// `deliver client 1 -> 2 request` (`nth` left out when it is the oldest).
#[must_use]
pub fn message_step(verb: &str, from: Endpoint, to: Endpoint, kind: &str, nth: u32) -> String {
    let nth = if nth > 1 {
        format!(" nth={nth}")
    } else {
        String::new()
    };
    format!("{verb} {} -> {} {kind}{nth}", endpoint(from), endpoint(to))
}

/// The timing a `cluster` line spells out in full.
#[derive(Clone, Copy, Debug)]
pub struct ClusterTiming {
    /// Virtual nanoseconds per tick.
    pub tick_ns: u64,
    /// The noise seed.
    pub seed: u64,
}

/// The `cluster` line: its size (and learners) and PreVote and
/// CheckQuorum, how often hosts snapshot (if they do) and in what chunks,
/// whether removed nodes are retired, and, with `timing`,
/// every raft setting in time units (election and heartbeat from ticks,
/// the inflight window, the bytes per append) and the seed.
#[must_use]
pub fn cluster(spec: &ClusterSpec, timing: Option<ClusterTiming>) -> String {
    let raft = &spec.raft;
    let mut short = format!(
        "cluster {} pre_vote={} check_quorum={}",
        spec.nodes,
        on_off(raft.pre_vote),
        on_off(raft.check_quorum)
    );
    if spec.learners > 0 {
        short += &format!(" learners={}", spec.learners);
    }
    if let Some(every) = spec.snapshot_every_entries {
        short += &format!(" snapshot_every={every}");
    }
    if spec.retire_removed {
        short += " retire_removed=on";
    }
    if raft.max_snapshot_chunk_bytes != RaftSettings::default().max_snapshot_chunk_bytes {
        short += &format!(" snapshot_chunk={}", raft.max_snapshot_chunk_bytes);
    }
    let Some(ClusterTiming { tick_ns, seed }) = timing else {
        // The model checker's cluster: raft-core's defaults but for these.
        if raft.max_size_per_msg_bytes != RaftSettings::default().max_size_per_msg_bytes {
            return format!("{short} max_append={}", raft.max_size_per_msg_bytes);
        }
        return short;
    };
    format!(
        "{short} tick={tick_ns}ns election={}ns..{}ns heartbeat={}ns inflight={} max_append={} seed={seed}",
        raft.election_ticks * tick_ns,
        2 * raft.election_ticks * tick_ns,
        raft.heartbeat_ticks * tick_ns,
        raft.max_inflight_msgs,
        raft.max_size_per_msg_bytes,
    )
}

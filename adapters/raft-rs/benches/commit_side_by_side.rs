//! raft-core against tikv's raft-rs, in one run: three nodes of each in
//! one process, every message delivered by hand, 100,000 entries of 128
//! bytes committed and applied by the leader, with equal batching (one
//! proposal before every round of Readies, then batches of 100) and equal
//! settings (PreVote and CheckQuorum on, 256 appends in flight, 1 MiB per
//! append). A round: every node with work runs one Ready (writes kept in
//! memory, committed entries counted), then every message sent is
//! delivered. Each host does what its library needs and no more: raft-core
//! keeps its log itself, so its writes are dropped; raft-rs reads entries
//! back from its `Storage` to send them, so the adapter appends them to
//! raft-rs's `MemStorage`. Time is the wall time of the rounds after node 1
//! is elected;
//! quoted are the median of 3 runs and the ratio (target: raft-core at
//! least 1.5x raft-rs at every batching).
//!
//! `cargo bench -p raft-rs-adapter --bench commit_side_by_side` (add a
//! number to change the entries).

use std::time::Instant;

use raft_core::{Config, EntryKind, Error, Message, NodeId, RawNode, Restored, Role};
use raft_rs_adapter::{ManualNode, Settings};

const NODES: u64 = 3;
const ENTRY_BYTES: usize = 128;
const RUNS: usize = 3;
const MAX_INFLIGHT: u64 = 256;
const MAX_APPEND_BYTES: u64 = 1 << 20;

/// What the bench needs of a Raft: the same four verbs from both.
trait Node {
    type Message;
    fn recipient(message: &Self::Message) -> usize;
    /// Proposes one entry; false when the leader pushes back.
    fn propose(&mut self, data: Vec<u8>) -> bool;
    /// Runs one Ready: its messages, and how many entries it applied.
    fn run_ready(&mut self, out: &mut Vec<Self::Message>) -> u64;
    fn step(&mut self, message: Self::Message);
    fn campaign(&mut self);
    fn leads(&self) -> bool;
}

impl Node for RawNode {
    type Message = Message;

    fn recipient(message: &Message) -> usize {
        (message.to.0 - 1) as usize
    }

    fn propose(&mut self, data: Vec<u8>) -> bool {
        match RawNode::propose(self, data) {
            Ok(_) => true,
            Err(Error::TooManyUncommitted { .. }) => false,
            Err(err) => panic!("raft-core refused a proposal: {err}"),
        }
    }

    fn run_ready(&mut self, out: &mut Vec<Message>) -> u64 {
        if !self.has_ready() {
            return 0;
        }
        let mut ready = self.ready();
        out.append(&mut ready.messages);
        out.append(&mut ready.messages_after_persist);
        let applied = ready
            .committed_entries
            .iter()
            .filter(|e| e.kind == EntryKind::Normal && !e.data.is_empty())
            .count() as u64;
        self.advance(ready);
        applied
    }

    fn step(&mut self, message: Message) {
        RawNode::step(self, message).expect("a healthy cluster's message");
    }

    fn campaign(&mut self) {
        RawNode::campaign(self);
    }

    fn leads(&self) -> bool {
        self.role() == Role::Leader
    }
}

impl Node for ManualNode {
    type Message = raft::eraftpb::Message;

    fn recipient(message: &Self::Message) -> usize {
        (message.to - 1) as usize
    }

    fn propose(&mut self, data: Vec<u8>) -> bool {
        match ManualNode::propose(self, data) {
            Ok(()) => true,
            Err(raft::Error::ProposalDropped) => false,
            Err(err) => panic!("raft-rs refused a proposal: {err}"),
        }
    }

    fn run_ready(&mut self, out: &mut Vec<Self::Message>) -> u64 {
        let handled = self.handle_ready();
        out.extend(handled.messages);
        handled.applied.len() as u64
    }

    fn step(&mut self, message: Self::Message) {
        ManualNode::step(self, message).expect("a healthy cluster's message");
    }

    fn campaign(&mut self) {
        ManualNode::campaign(self).expect("a voter may campaign");
    }

    fn leads(&self) -> bool {
        self.is_leader()
    }
}

fn raft_core_cluster() -> Vec<RawNode> {
    (1..=NODES)
        .map(|n| {
            let mut config = Config::new(NodeId(n), (1..=NODES).map(NodeId));
            config.seed = n;
            config.pre_vote = true;
            config.check_quorum = true;
            config.max_inflight_msgs = MAX_INFLIGHT;
            config.max_size_per_msg_bytes = MAX_APPEND_BYTES;
            RawNode::new(config, Restored::default()).expect("a valid configuration")
        })
        .collect()
}

fn raft_rs_cluster() -> Vec<ManualNode> {
    let voters: Vec<u64> = (1..=NODES).collect();
    let settings = Settings {
        pre_vote: true,
        check_quorum: true,
        max_inflight_msgs: MAX_INFLIGHT as usize,
        max_size_per_msg: MAX_APPEND_BYTES,
        ..Settings::default()
    };
    voters
        .iter()
        .map(|&n| ManualNode::new(n, &voters, settings).expect("a valid configuration"))
        .collect()
}

/// One round; returns the entries the leader (node 1) applied and
/// whether anything happened.
fn round<N: Node>(nodes: &mut [N], queue: &mut Vec<N::Message>) -> (u64, bool) {
    let mut applied = 0;
    for (i, node) in nodes.iter_mut().enumerate() {
        let count = node.run_ready(queue);
        if i == 0 {
            applied += count;
        }
    }
    let busy = !queue.is_empty();
    for message in queue.drain(..) {
        let to = N::recipient(&message);
        nodes[to].step(message);
    }
    (applied, busy || applied > 0)
}

/// Seconds to commit and apply `entries` at the leader, `batch` proposed
/// before every round.
fn run<N: Node>(mut nodes: Vec<N>, entries: u64, batch: u64) -> f64 {
    let mut queue = Vec::new();
    nodes[0].campaign();
    for _ in 0..100 {
        if !round(&mut nodes, &mut queue).1 {
            break;
        }
    }
    assert!(nodes[0].leads(), "node 1 should lead");
    let payload = vec![0x5A_u8; ENTRY_BYTES];
    let started = Instant::now();
    let (mut proposed, mut applied, mut rounds) = (0, 0, 0u64);
    while applied < entries {
        let upto = (proposed + batch).min(entries);
        while proposed < upto && nodes[0].propose(payload.clone()) {
            proposed += 1;
        }
        applied += round(&mut nodes, &mut queue).0;
        rounds += 1;
        assert!(rounds < 100 * entries + 1000, "no progress");
    }
    started.elapsed().as_secs_f64()
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let entries = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(100_000u64);
    println!(
        "commit_side_by_side: 3 nodes in one process, {entries} entries of {ENTRY_BYTES} bytes, median of {RUNS} runs"
    );
    for batch in [1, 100] {
        let core = median(
            (0..RUNS)
                .map(|_| run(raft_core_cluster(), entries, batch))
                .collect(),
        );
        let rs = median(
            (0..RUNS)
                .map(|_| run(raft_rs_cluster(), entries, batch))
                .collect(),
        );
        let per_s = |seconds: f64| entries as f64 / seconds;
        println!(
            "  batch {batch:>3}: raft-core {:>9.0} entries/s, raft-rs {:>9.0} entries/s: raft-core {:.2}x raft-rs",
            per_s(core),
            per_s(rs),
            rs / core
        );
    }
}

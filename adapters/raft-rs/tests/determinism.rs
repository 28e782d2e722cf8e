//! raft-rs, driven through the adapter, is deterministic: the same inputs
//! give the same messages, in the same order, every time (raftsim's rule
//! for a Raft under test), because the adapter pins raft-rs's otherwise
//! unseeded election timeout draw.

use raft_rs_adapter::{ManualNode, Settings};

/// Every message of a run, as (from, to, type, term, index, commit).
type Transcript = Vec<(u64, u64, i32, u64, u64, u64)>;

/// Three nodes ticked by hand, node `n` starting `n` ticks late so that
/// one of them times out first; a proposal every tick once a leader is
/// known; every message delivered at the end of its tick.
fn run(ticks: usize) -> (Transcript, u64) {
    let voters = [1, 2, 3];
    let mut nodes: Vec<ManualNode> = voters
        .iter()
        .map(|&n| ManualNode::new(n, &voters, Settings::default()).expect("valid"))
        .collect();
    let mut transcript = Transcript::new();
    for tick in 0..ticks {
        for (i, node) in nodes.iter_mut().enumerate() {
            if tick >= i {
                node.tick();
            }
        }
        if let Some(leader) = nodes.iter_mut().find(|n| n.is_leader()) {
            leader
                .propose(tick.to_le_bytes().to_vec())
                .expect("the leader takes it");
        }
        for _ in 0..10 {
            let mut sent = Vec::new();
            for node in &mut nodes {
                sent.extend(node.handle_ready().messages);
            }
            if sent.is_empty() {
                break;
            }
            for message in sent {
                transcript.push((
                    message.from,
                    message.to,
                    message.get_msg_type() as i32,
                    message.term,
                    message.index,
                    message.commit,
                ));
                let to = (message.to - 1) as usize;
                nodes[to].step(message).expect("a message of the cluster");
            }
        }
    }
    (transcript, nodes[0].commit())
}

#[test]
fn the_same_inputs_give_the_same_run() {
    let (first, commit) = run(60);
    assert!(commit > 20, "the cluster made progress: commit {commit}");
    for _ in 0..3 {
        assert_eq!(run(60).0, first);
    }
}

#[test]
fn the_election_timeout_is_pinned() {
    let settings = Settings::default();
    let voters = [1, 2, 3];
    let mut node = ManualNode::new(2, &voters, settings).expect("valid");
    for _ in 0..5 {
        assert_eq!(node.election_timeout(), settings.election_tick);
        // A campaign and a step down both draw a new timeout.
        node.campaign().expect("a voter");
        assert_eq!(node.election_timeout(), settings.election_tick);
        for _ in 0..settings.election_tick * 2 {
            node.tick();
        }
    }
}

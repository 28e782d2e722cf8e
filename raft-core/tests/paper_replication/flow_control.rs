//! Flow control: probes, the window, and which acknowledgements end a probe
//! or move the window, heartbeat responses included.

use super::common::*;
use super::helpers::*;
use raft_core::{Entry, LogIndex, MessageBody, ProgressState};

// ---- flow control ------------------------------------------------------------

/// etcd's flow control (Raft §5.3 pipelining): in the replicate state the
/// leader has at most `max_inflight_msgs` appends in flight to a follower;
/// an acknowledgement frees room for the next.
#[test]
fn replicate_state_sends_at_most_max_inflight_appends() {
    let mut net = Network::with_config(3, |c| {
        c.max_inflight_msgs = 2;
        c.max_size_per_msg_bytes = 1;
    });
    net.elect(1);
    assert_eq!(
        net.node(1).status().progress[&id(2)].state,
        ProgressState::Replicate
    );
    for k in 0..5u8 {
        net.node_mut(1).propose(vec![k]).unwrap();
    }
    net.process_ready(1);
    for follower in [2, 3] {
        let sent = appends_in_flight(&net, 1, follower);
        assert_eq!(sent.len(), 2, "window of 2 to node {follower}");
        assert!(sent.iter().all(|m| carried(m).len() == 1));
        assert_eq!(net.node(1).status().progress[&id(follower)].inflight, 2);
    }
    net.node_mut(1).propose(vec![9]).unwrap();
    net.process_ready(1);
    assert_eq!(appends_in_flight(&net, 1, 2).len(), 2, "window full");

    // One ack frees one slot: exactly one more append goes to node 2.
    net.deliver_first(|m| m.to == id(2) && is_append(m));
    net.process_ready(2);
    deliver_from_to(&mut net, 2, 1);
    net.process_ready(1);
    let sent = appends_in_flight(&net, 1, 2);
    assert_eq!(sent.len(), 2, "one delivered, one new");
    assert_eq!(carried(&sent[1]), &net.node(1).log().entries()[3..4]);
    assert_eq!(appends_in_flight(&net, 1, 3).len(), 2, "node 3 still full");
    settle(&mut net, 1);
    for n in 1..=3 {
        assert_eq!(commit_of(&net, n), LogIndex(7), "node {n}");
    }
}

/// etcd's `MaxSizePerMsg`: an append carries at most
/// `max_size_per_msg_bytes` of entries, but always at least one entry.
#[test]
fn max_size_per_msg_caps_entries_but_sends_at_least_one() {
    let one = ent(1, 1).size_bytes() - ent(1, 1).data.len() as u64 + 10;
    let mut net = Network::with_config(3, |c| c.max_size_per_msg_bytes = 2 * one);
    net.elect(1);
    for k in 0..5u8 {
        net.node_mut(1).propose(vec![k; 10]).unwrap();
    }
    net.process_ready(1);
    let sizes: Vec<usize> = appends_in_flight(&net, 1, 2)
        .iter()
        .map(|m| carried(m).len())
        .collect();
    assert_eq!(sizes, vec![2, 2, 1]);
    for m in appends_in_flight(&net, 1, 2) {
        let bytes: u64 = carried(&m).iter().map(Entry::size_bytes).sum();
        assert!(bytes <= 2 * one);
    }
    net.stabilize();
    let big = net.node_mut(1).propose(vec![7; 1000]).unwrap();
    net.process_ready(1);
    let sent = appends_in_flight(&net, 1, 2);
    assert_eq!(sent.len(), 1);
    assert_eq!(carried(&sent[0]).len(), 1, "an oversized entry goes alone");
    assert_eq!(carried(&sent[0])[0].index, big);
    settle(&mut net, 1);
    assert_eq!(commit_of(&net, 2), big);
}

/// etcd's probe state (Raft §5.3's decrement-and-retry): while the leader
/// does not know where a follower's log matches, it has only one append in
/// flight to it; a heartbeat response unpauses the probe and lets exactly one
/// more append go.
#[test]
fn probe_state_sends_one_append_until_heard_from() {
    let mut net = Network::new(3);
    win_election(&mut net, 1);
    net.process_ready(1);
    assert_eq!(appends_in_flight(&net, 1, 2).len(), 1);
    assert_eq!(
        net.node(1).status().progress[&id(2)].state,
        ProgressState::Probe
    );
    net.drop_where(|m| m.to == id(2)); // the probe is lost
    for k in 0..3u8 {
        net.node_mut(1).propose(vec![k]).unwrap();
        net.process_ready(1);
    }
    assert!(
        appends_in_flight(&net, 1, 2).is_empty(),
        "probe outstanding"
    );
    assert_eq!(
        net.node(1).status().progress[&id(2)].state,
        ProgressState::Probe
    );

    net.tick(1, 1);
    net.process_ready(1);
    net.drop_where(|m| m.to == id(3));
    deliver_from_to(&mut net, 1, 2); // the heartbeat
    net.process_ready(2);
    deliver_from_to(&mut net, 2, 1);
    net.process_ready(1);
    let sent = appends_in_flight(&net, 1, 2);
    assert_eq!(
        sent.len(),
        1,
        "exactly one append after the heartbeat answer"
    );
    assert_eq!(carried(&sent[0]).len(), 4, "from the probe point on");
    net.stabilize();
    assert_eq!(
        net.node(1).status().progress[&id(2)].state,
        ProgressState::Replicate
    );
    assert_logs_identical(&net, 1, 2);
}

/// etcd's rule for a full window: a heartbeat response shows the follower is
/// alive, so one slot is freed and replication resumes even if the appends
/// that filled the window were lost.
#[test]
fn heartbeat_response_frees_a_full_window() {
    let mut net = Network::with_config(3, |c| {
        c.max_inflight_msgs = 2;
        c.max_size_per_msg_bytes = 1;
    });
    net.elect(1);
    for k in 0..3u8 {
        net.node_mut(1).propose(vec![k]).unwrap();
    }
    net.process_ready(1);
    assert_eq!(net.drop_where(|m| m.to == id(2)).len(), 2, "both lost");
    net.node_mut(1).propose(vec![3]).unwrap();
    net.process_ready(1);
    assert!(appends_in_flight(&net, 1, 2).is_empty(), "window full");
    assert_eq!(net.node(1).status().progress[&id(2)].inflight, 2);

    net.tick(1, 1);
    net.process_ready(1);
    let heartbeat = net
        .deliver_first(|m| m.to == id(2) && matches!(m.body, MessageBody::Heartbeat { .. }))
        .expect("heartbeat to node 2");
    assert_eq!(heartbeat.from, id(1));
    net.process_ready(2);
    deliver_from_to(&mut net, 2, 1);
    net.process_ready(1);
    assert_eq!(
        appends_in_flight(&net, 1, 2).len(),
        1,
        "the window reopened"
    );
    settle(&mut net, 1);
    assert_logs_identical(&net, 1, 2);
    assert_eq!(commit_of(&net, 2), LogIndex(5));
}

// ---- flow control: which acknowledgements end a probe or move the window -------

/// Sets up a 3-node cluster whose leader S1 probes S2 with its match index
/// at 2 (the entry `a`): two pipelined appends were sent, the first was lost,
/// S2 rejected the second, and the probe that followed was lost too. Nothing
/// is in flight to S2 and S1 has no Ready.
fn leader_probing_node_2_matched_at_2() -> Network {
    let mut net = Network::new(3);
    net.elect(1);
    net.propose(1, b"a");
    assert_eq!(matched(&net, 1, 2), LogIndex(2));
    for data in [b"b", b"c"] {
        net.node_mut(1).propose(data.to_vec()).unwrap();
        net.process_ready(1);
    }
    let to2 = appends_in_flight(&net, 1, 2);
    assert_eq!(to2.len(), 2, "pipelined");
    net.drop_where(|m| *m == to2[0]);
    round_trip(&mut net, 1, 2); // S2 rejects index 3
    let pr = net.node(1).status().progress[&id(2)].clone();
    assert_eq!(pr.state, ProgressState::Probe);
    assert_eq!(pr.matched, LogIndex(2));
    net.process_ready(1);
    let probe = net.drop_where(|m| m.to == id(2));
    assert_eq!(probe.len(), 1, "one probe, lost");
    net.process_ready(1);
    assert!(!net.node(1).has_ready());
    net
}

/// Raft §5.3 ("If successful: update nextIndex and matchIndex for
/// follower") with etcd's probe/replicate flow control: in the probe state,
/// any successful AppendResponse — even one acknowledging exactly the
/// current match index, such as a duplicate of an earlier answer — shows
/// where the logs match, so the leader leaves the probe state and streams
/// the rest from match + 1.
#[test]
fn probe_ends_when_an_ack_confirms_the_match_index() {
    let mut net = leader_probing_node_2_matched_at_2();
    let term = net.node(1).term().0;
    net.deliver(ack(2, 1, term, 2));
    let pr = net.node(1).status().progress[&id(2)].clone();
    assert_eq!(pr.state, ProgressState::Replicate, "{pr:?}");
    assert_eq!(pr.matched, LogIndex(2));
    net.process_ready(1);
    let sent = appends_in_flight(&net, 1, 2);
    assert_eq!(sent.len(), 1);
    assert_eq!(carried(&sent[0]), &net.node(1).log().entries()[2..4]);
    settle(&mut net, 1);
    assert_logs_identical(&net, 1, 2);
    assert_eq!(commit_of(&net, 2), LogIndex(4));
}

/// Raft Figure 2 (matchIndex "increases monotonically") and etcd's probe
/// state (§5.3's decrement-and-retry): an acknowledgement below the match
/// index is stale — it answers an append older than the outstanding probe —
/// so it neither ends the probe nor unpauses it, and the leader sends
/// nothing.
#[test]
fn stale_ack_below_the_match_leaves_a_probe_untouched() {
    let mut net = leader_probing_node_2_matched_at_2();
    let term = net.node(1).term().0;
    let before = net.node(1).status();
    net.deliver(ack(2, 1, term, 1));
    assert_eq!(net.node(1).status(), before);
    assert_eq!(
        net.node(1).status().progress[&id(2)].state,
        ProgressState::Probe
    );
    assert!(!net.node(1).has_ready(), "nothing to send");
    assert!(net.nodes[&id(1)].step_errors.is_empty());
}

/// Raft Figure 2 (matchIndex "increases monotonically") with etcd's
/// replicate state and batching: a duplicate acknowledgement of the current
/// match index in the replicate state is no news. It changes neither the
/// follower's progress nor its window, and in particular does not make the
/// leader send the entries proposed since its last Ready ahead of the batch
/// (which would split that batch in two).
#[test]
fn duplicate_ack_of_the_match_index_in_replicate_state_changes_nothing() {
    let mut net = Network::new(3);
    net.elect(1);
    net.propose(1, b"a");
    let term = net.node(1).term().0;
    assert_eq!(matched(&net, 1, 2), LogIndex(2));
    assert_eq!(
        net.node(1).status().progress[&id(2)].state,
        ProgressState::Replicate
    );
    net.node_mut(1).propose(b"b".to_vec()).unwrap();
    let before = net.node(1).status();
    assert_eq!(before.progress[&id(2)].next, LogIndex(3));
    assert_eq!(before.progress[&id(2)].inflight, 0);
    net.deliver(ack(2, 1, term, 2));
    assert_eq!(net.node(1).status(), before, "no news, no send");
    // Both entries proposed since the last Ready go out together with the
    // next one, in one append to each follower.
    net.node_mut(1).propose(b"c".to_vec()).unwrap();
    net.process_ready(1);
    let sent = appends_in_flight(&net, 1, 2);
    assert_eq!(sent.len(), 1, "one batch: {sent:?}");
    assert_eq!(carried(&sent[0]), &net.node(1).log().entries()[2..4]);
    settle(&mut net, 1);
    assert_logs_identical(&net, 1, 2);
}

// ---- flow control: heartbeat responses ---------------------------------------

/// Raft §5.2/§5.3: heartbeats are AppendEntries "that carry no log entries";
/// their answer tells the leader only that the follower is alive. From a
/// follower that already holds the leader's whole log, it must not make the
/// leader send an append: there is nothing to send.
#[test]
fn heartbeat_response_from_a_caught_up_follower_sends_no_append() {
    let mut net = Network::new(3);
    net.elect(1);
    net.propose(1, b"a");
    settle(&mut net, 1);
    assert_eq!(matched(&net, 1, 2), net.node(1).log().last_index());
    net.node_mut(1).heartbeat_timeout();
    net.process_ready(1);
    net.drop_where(|m| m.to == id(3));
    round_trip(&mut net, 1, 2);
    net.process_ready(1);
    assert!(
        appends_in_flight(&net, 1, 2).is_empty(),
        "{:?}",
        net.in_flight
    );
    assert!(net.nodes[&id(1)].step_errors.is_empty());
}

/// etcd's flow-control rule for heartbeats (Raft §5.3 pipelining): a
/// heartbeat response frees one inflight slot only if the window is full
/// (the appends that filled it may have been lost). With room left in the
/// window, the appends in flight are still awaited: the count is unchanged.
#[test]
fn heartbeat_response_frees_a_slot_only_from_a_full_window() {
    let mut net = Network::with_config(3, |c| {
        c.max_inflight_msgs = 3;
        c.max_size_per_msg_bytes = 1;
    });
    net.elect(1);
    net.node_mut(1).propose(b"a".to_vec()).unwrap();
    net.process_ready(1);
    assert_eq!(appends_in_flight(&net, 1, 2).len(), 1);
    assert_eq!(net.node(1).status().progress[&id(2)].inflight, 1);
    net.node_mut(1).heartbeat_timeout();
    net.process_ready(1);
    net.deliver_first(|m| m.to == id(2) && matches!(m.body, MessageBody::Heartbeat { .. }))
        .expect("heartbeat to node 2");
    net.process_ready(2);
    deliver_from_to(&mut net, 2, 1);
    let pr = net.node(1).status().progress[&id(2)].clone();
    assert_eq!(pr.state, ProgressState::Replicate);
    assert_eq!(pr.inflight, 1, "the window was not full: nothing freed");
    settle(&mut net, 1);
    assert_logs_identical(&net, 1, 2);
    assert_eq!(commit_of(&net, 2), LogIndex(2));
}

//! Raft §7, log compaction: a snapshot of the state machine replaces the
//! log up to an applied index; a leader sends it, in chunks, to a follower
//! that needs entries it no longer holds (InstallSnapshot, Figure 13).

use super::common::*;
use crate::helpers::{append_msg, boot, entries_of, is_append};
use raft_core::{
    Error, LogIndex, Message, MessageBody, ProgressState, Restored, Role, Snapshot, SnapshotMeta,
    Term,
};

/// A three-node cluster with a leader, five entries committed and applied
/// everywhere (the no-op and four proposals).
fn cluster_with_five_applied() -> Network {
    let mut net = Network::new(3);
    net.elect(1);
    for k in 0..4 {
        net.propose(1, format!("x{k}").as_bytes());
    }
    net.stabilize();
    for n in 1..=3 {
        assert_eq!(net.node(n).log().applied(), LogIndex(5), "node {n}");
    }
    net
}

/// §7: "Each server takes snapshots independently, covering just the
/// committed entries in its log"; a snapshot holds the state machine's
/// state, so it can be taken only up to what was applied, and only past
/// the last one.
#[test]
fn compaction_goes_only_as_far_as_the_state_machine_and_only_forward() {
    let mut net = cluster_with_five_applied();
    let node = net.node_mut(2);
    assert_eq!(
        node.compact(LogIndex(6), vec![]),
        Err(Error::CompactBeyondApplied {
            index: LogIndex(6),
            applied: LogIndex(5)
        })
    );
    let meta = node
        .compact(LogIndex(3), b"state".to_vec())
        .expect("3 is applied");
    assert_eq!(meta.last, eid(3, 1));
    assert_eq!(
        &meta.conf,
        node.conf(),
        "the configuration as of the snapshot"
    );
    assert_eq!(
        node.compact(LogIndex(3), vec![]),
        Err(Error::StaleCompaction {
            index: LogIndex(3),
            snapshot: LogIndex(3)
        })
    );
    assert_eq!(
        node.compact(LogIndex(2), vec![]),
        Err(Error::StaleCompaction {
            index: LogIndex(2),
            snapshot: LogIndex(3)
        })
    );
    let held = node.snapshot().expect("kept to send");
    assert_eq!(
        held.data, b"state",
        "a refused compaction kept the last one"
    );
}

/// §7: "the snapshot also includes ... the last included index ... and
/// the last included term ... to support the AppendEntries consistency
/// check for the first log entry following the snapshot". The log keeps
/// the last entry's id and its length; what was before is gone.
#[test]
fn a_compacted_log_keeps_the_last_included_entry_and_its_length() {
    let mut net = cluster_with_five_applied();
    let node = net.node_mut(2);
    let last_before = node.log().last_id();
    node.compact(LogIndex(4), vec![]).expect("applied");
    let log = node.log();
    assert_eq!(log.snapshot(), eid(4, 1));
    assert_eq!(log.first_index(), LogIndex(5));
    assert_eq!(log.last_id(), last_before);
    assert_eq!(
        log.term(LogIndex(4)),
        Some(Term(1)),
        "the last included term"
    );
    assert_eq!(log.term(LogIndex(3)), None, "compacted away");
    assert!(log.contains(eid(4, 1)) && log.contains(eid(5, 1)));
    // It still takes new entries after the snapshot, and they commit.
    net.propose(1, b"after");
    net.stabilize();
    assert_eq!(net.node(2).log().committed(), LogIndex(6));
}

/// A node restarts from its snapshot and the entries after it: its log,
/// commit and applied indexes never go below the snapshot.
#[test]
fn a_node_restarts_from_its_snapshot_and_the_rest_of_its_log() {
    let mut net = cluster_with_five_applied();
    let node = net.node_mut(3);
    let meta = node.compact(LogIndex(4), vec![]).expect("applied");
    let restored = Restored {
        hard_state: node.hard_state(),
        snapshot: Some(Snapshot { meta, data: vec![] }),
        entries: node.log().entries().to_vec(),
        applied: LogIndex(4),
    };
    let config = node.config().clone();
    let before = node.log().last_id();
    let reborn = raft_core::RawNode::new(config, restored).expect("consistent");
    assert_eq!(reborn.log().snapshot(), eid(4, 1));
    assert_eq!(reborn.log().last_id(), before);
    assert!(reborn.log().committed() >= LogIndex(4));
    assert_eq!(reborn.log().applied(), LogIndex(4));
    assert_eq!(reborn.role(), Role::Follower);
}

fn is_chunk(m: &Message) -> bool {
    matches!(m.body, MessageBody::InstallSnapshot { .. })
}

fn chunk_offset(m: &Message) -> u64 {
    match &m.body {
        MessageBody::InstallSnapshot { offset, .. } => *offset,
        _ => panic!("not a chunk: {m:?}"),
    }
}

/// Runs the cluster until nothing moves, showing `watch` every snapshot
/// chunk (with the cluster as it is) before it is delivered.
fn stabilize_watching_chunks(net: &mut Network, mut watch: impl FnMut(&Network, &Message)) {
    for _ in 0..10_000 {
        net.process_all();
        let batch = std::mem::take(&mut net.in_flight);
        if batch.is_empty() {
            return;
        }
        for m in batch {
            if is_chunk(&m) {
                watch(net, &m);
            }
            net.deliver(m);
        }
    }
    panic!("the cluster did not settle in 10,000 rounds");
}

/// A three-node cluster with small snapshot chunks, node 3 cut off while
/// the leader commits and applies 8 entries and compacts them all.
fn follower_left_behind_a_snapshot(chunk_bytes: u64) -> Network {
    let mut net = Network::with_config(3, |c| c.max_snapshot_chunk_bytes = chunk_bytes);
    net.elect(1);
    net.isolate(3);
    for k in 0..7 {
        net.propose(1, format!("entry {k}").as_bytes());
    }
    assert_eq!(net.node(1).log().applied(), LogIndex(8));
    net.compact(1, LogIndex(8)).expect("applied");
    net.heal();
    net
}

/// §7: "the leader must occasionally send snapshots to followers that lag
/// behind" — here in chunks of at most `max_snapshot_chunk_bytes`, each
/// acknowledged (Figure 13's offset and done). The follower ends with the
/// leader's state machine and a log that starts after the snapshot, and
/// the leader goes back to streaming appends.
#[test]
fn a_follower_that_needs_compacted_entries_gets_the_snapshot_in_chunks() {
    let mut net = follower_left_behind_a_snapshot(16);
    let data_len = net.node(1).snapshot().unwrap().data.len() as u64;
    assert!(data_len > 3 * 16, "the snapshot takes several chunks");
    net.node_mut(1).heartbeat_timeout();
    let mut chunks = Vec::new();
    stabilize_watching_chunks(&mut net, |net, m| {
        if let MessageBody::InstallSnapshot { data, .. } = &m.body {
            assert!(data.len() <= 16, "a chunk over the limit");
        }
        chunks.push(chunk_offset(m));
        let pr = &net.node(1).status().progress[&id(3)];
        assert_eq!(pr.state, ProgressState::Snapshot);
    });
    let expected: Vec<u64> = (0..data_len.div_ceil(16)).map(|k| k * 16).collect();
    assert_eq!(chunks, expected, "each chunk once, in order");
    let follower = net.node(3);
    assert_eq!(follower.log().snapshot(), eid(8, 1));
    assert_eq!(follower.log().applied(), LogIndex(8));
    assert_eq!(net.applied(3), net.applied(1), "the same state machine");
    assert_eq!(
        net.node(1).status().progress[&id(3)].state,
        ProgressState::Replicate
    );
    net.propose(1, b"after");
    assert_eq!(net.node(3).log().committed(), LogIndex(9));
    assert_eq!(net.applied(3), net.applied(1));
}

/// While a snapshot is on its way the leader sends that follower no
/// appends (etcd's StateSnapshot), and a lost chunk is sent again, from
/// the same offset, once the follower shows it is alive and no chunk got
/// through since its last sign of life (an answer to a heartbeat while
/// chunks are moving resends nothing: it would only duplicate one).
#[test]
fn a_lost_chunk_is_resent_and_no_append_goes_meanwhile() {
    let mut net = follower_left_behind_a_snapshot(16);
    net.node_mut(1).heartbeat_timeout();
    // Deliver until the first chunk after the first one is in flight, then lose it.
    let mut lost = None;
    for _ in 0..100 {
        net.process_all();
        if let Some(m) = net
            .in_flight
            .iter()
            .find(|m| is_chunk(m) && chunk_offset(m) > 0)
        {
            lost = Some(chunk_offset(m));
            break;
        }
        net.deliver_all();
    }
    let lost = lost.expect("a second chunk was sent");
    net.drop_where(is_chunk);
    net.propose(1, b"meanwhile");
    assert!(
        !net.in_flight.iter().any(|m| m.to == id(3) && is_append(m)),
        "no append to a follower receiving a snapshot"
    );
    net.stabilize();
    assert!(
        net.node(3).log().last_index() < LogIndex(8),
        "not caught up yet"
    );
    // The first heartbeat's answer comes after the first chunk moved:
    // nothing is resent. The second's finds no progress: the chunk goes
    // again.
    let heartbeat_round = |net: &mut Network| {
        net.node_mut(1).heartbeat_timeout();
        net.process_all();
        net.deliver_all(); // the heartbeat
        net.process_all();
        net.deliver_all(); // its answer
        net.process_all();
    };
    heartbeat_round(&mut net);
    assert!(
        !net.in_flight.iter().any(is_chunk),
        "the transfer was moving"
    );
    heartbeat_round(&mut net);
    let resent = net.in_flight.iter().find(|m| is_chunk(m)).expect("resent");
    assert_eq!(chunk_offset(resent), lost, "from where the follower stands");
    net.stabilize();
    assert_eq!(net.node(3).log().committed(), LogIndex(9));
    assert_eq!(net.applied(3), net.applied(1));
}

/// Figure 13 step 6: a follower that holds the snapshot's last entry keeps
/// the entries after it; steps 7-8: one that does not discards its log.
#[test]
fn installing_keeps_a_suffix_that_follows_the_snapshot_and_drops_one_that_does_not() {
    let meta = |index, term| SnapshotMeta {
        last: eid(index, term),
        conf: raft_core::ConfState::with_voters([id(1), id(2), id(3)]),
    };
    let chunk = |meta: SnapshotMeta| MessageBody::InstallSnapshot {
        meta,
        offset: 0,
        data: state_bytes(&[], LogIndex(0)),
        done: true,
    };
    // Node 2 holds 1..=4 of term 1 (nothing committed), then installs a
    // snapshot ending at (3, 1): 4 stays.
    let mut net = Network::new(3);
    boot(&mut net, 2, 1, 0, &[1, 1, 1, 1]);
    net.deliver(msg(1, 2, 1, chunk(meta(3, 1))));
    assert_eq!(net.node(2).log().persisted(), LogIndex(4), "still durable");
    let log = net.node(2).log();
    assert_eq!((log.snapshot(), log.last_id()), (eid(3, 1), eid(4, 1)));
    assert_eq!(log.committed(), LogIndex(3));
    let ready = net.node_mut(2).ready();
    assert_eq!(
        ready.snapshot.as_ref().map(|s| s.meta.last),
        Some(eid(3, 1))
    );
    assert!(ready.entries.is_empty(), "what it kept is on disk already");
    assert_eq!(net.node(2).log().entries(), &entries_of(&[1, 1, 1, 1])[3..]);
    assert!(ready.must_sync);
    assert!(
        ready.messages_after_persist.iter().any(|m| matches!(
            m.body,
            MessageBody::AppendResponse {
                index: LogIndex(3),
                reject: None
            }
        )),
        "the install is acknowledged once durable"
    );
    net.node_mut(2).advance(ready);
    assert_eq!(net.node(2).log().applied(), LogIndex(3));
    // Node 3 holds (3, 2) where the snapshot has (3, 4): its log goes.
    boot(&mut net, 3, 2, 0, &[1, 2, 2, 2]);
    net.deliver(msg(1, 3, 4, chunk(meta(3, 4))));
    let log = net.node(3).log();
    assert_eq!((log.snapshot(), log.last_id()), (eid(3, 4), eid(3, 4)));
}

/// §7: a follower installs only a snapshot newer than what it committed;
/// an older one (a stale or repeated transfer) is answered with where its
/// log stands, and its data is ignored.
#[test]
fn a_stale_snapshot_is_answered_with_the_commit_index_and_ignored() {
    let mut net = cluster_with_five_applied();
    let stale = MessageBody::InstallSnapshot {
        meta: SnapshotMeta {
            last: eid(3, 1),
            conf: net.node(2).conf().clone(),
        },
        offset: 0,
        data: b"not a state".to_vec(),
        done: true,
    };
    net.deliver(msg(1, 2, 1, stale));
    assert_eq!(net.node(2).log().snapshot(), eid(0, 0), "nothing installed");
    assert_eq!(net.node(2).log().last_index(), LogIndex(5));
    let ready = net.node_mut(2).ready();
    assert!(ready.snapshot.is_none());
    assert!(ready.messages_after_persist.iter().any(|m| matches!(
        m.body,
        MessageBody::AppendResponse {
            index: LogIndex(5),
            reject: None
        }
    )));
}

/// A follower that restarts in the middle of a transfer lost what it had
/// received; it says so (0 bytes) and the leader starts over cleanly.
#[test]
fn a_transfer_starts_over_when_the_follower_restarts() {
    let mut net = follower_left_behind_a_snapshot(16);
    net.node_mut(1).heartbeat_timeout();
    for _ in 0..4 {
        net.process_all();
        net.deliver_all();
    }
    assert!(net.in_flight.is_empty() || net.in_flight.iter().any(is_chunk));
    net.restart(3);
    let mut offsets = Vec::new();
    stabilize_watching_chunks(&mut net, |_, m| offsets.push(chunk_offset(m)));
    assert!(
        offsets.contains(&0),
        "the transfer started over: {offsets:?}"
    );
    assert_eq!(net.node(3).log().snapshot(), eid(8, 1));
    assert_eq!(net.applied(3), net.applied(1));
}

/// A node restarted from an installed snapshot comes back with it: commit
/// and applied at or above its index, the state machine as it was.
#[test]
fn a_node_restarts_from_an_installed_snapshot() {
    let mut net = follower_left_behind_a_snapshot(1 << 20);
    net.node_mut(1).heartbeat_timeout();
    net.stabilize();
    let before = net.applied(3).to_vec();
    net.restart(3);
    let log = net.node(3).log();
    assert_eq!(log.snapshot(), eid(8, 1));
    assert!(log.committed() >= LogIndex(8) && log.applied() >= LogIndex(8));
    assert_eq!(net.applied(3), before.as_slice());
    // And a leader restarted from its own snapshot still sends it.
    net.restart(1);
    assert!(
        net.node(1)
            .snapshot()
            .is_some_and(|s| s.meta.last == eid(8, 1))
    );
}

/// A malformed snapshot message is an error, never a panic: a response that
/// claims more bytes than the snapshot has.
#[test]
fn a_response_claiming_more_bytes_than_the_snapshot_is_refused() {
    let mut net = follower_left_behind_a_snapshot(16);
    net.node_mut(1).heartbeat_timeout();
    for _ in 0..10 {
        net.process_all();
        if net.in_flight.iter().any(is_chunk) {
            break;
        }
        net.deliver_all();
    }
    assert_eq!(
        net.node(1).status().progress[&id(3)].state,
        ProgressState::Snapshot,
        "a transfer is under way"
    );
    let len = net.node(1).snapshot().unwrap().data.len() as u64;
    let too_many = MessageBody::SnapshotResponse {
        last: eid(8, 1),
        received: len + 1,
    };
    net.deliver(msg(3, 1, 1, too_many));
    let errors = &net.nodes[&id(1)].step_errors;
    assert!(
        matches!(errors.last(), Some(Error::MalformedMessage(_))),
        "{errors:?}"
    );
}

/// Acknowledgements never lie: an install that drops entries this node
/// acknowledged but has not yet handed out withdraws those
/// acknowledgements (the entries will not be on its disk when they leave).
#[test]
fn an_install_withdraws_acknowledgements_of_the_entries_it_drops() {
    let mut net = Network::new(3);
    boot(&mut net, 2, 2, 0, &[1, 1, 1]);
    // Node 1, leader of term 2, appends 4..=6 of term 2: node 2 queues its
    // acknowledgement of 6 until they are written.
    let entries = entries_of(&[1, 1, 1, 2, 2, 2])[3..].to_vec();
    net.deliver(append_msg(1, 2, 2, eid(3, 1), entries, 0));
    // Before it writes them, node 3, leader of term 3, sends a snapshot
    // ending at (5, 3): node 2's 4..=6 go.
    let snapshot = MessageBody::InstallSnapshot {
        meta: SnapshotMeta {
            last: eid(5, 3),
            conf: net.node(2).conf().clone(),
        },
        offset: 0,
        data: state_bytes(&[], LogIndex(0)),
        done: true,
    };
    net.deliver(msg(3, 2, 3, snapshot));
    assert_eq!(net.node(2).log().last_id(), eid(5, 3));
    let ready = net.node_mut(2).ready();
    let acks: Vec<&Message> = ready
        .messages_after_persist
        .iter()
        .filter(|m| matches!(m.body, MessageBody::AppendResponse { reject: None, .. }))
        .collect();
    assert!(
        acks.iter().all(|m| !matches!(
            m.body,
            MessageBody::AppendResponse { index, .. } if index > LogIndex(5)
        )),
        "an acknowledgement of a dropped entry survived: {acks:?}"
    );
    assert!(
        acks.iter().any(|m| m.to == id(3)),
        "the install itself is acknowledged"
    );
}

/// A follower buffers at most `max_snapshot_bytes` of a snapshot: a chunk
/// that would take it past the bound is refused as malformed, and changes
/// nothing (not even the term).
#[test]
fn a_chunk_past_the_snapshot_bound_is_refused_without_a_trace() {
    let mut net = Network::with_config(3, |c| {
        c.max_snapshot_chunk_bytes = 8;
        c.max_snapshot_bytes = 16;
    });
    let chunk = |offset: u64, len: usize| MessageBody::InstallSnapshot {
        meta: SnapshotMeta {
            last: eid(5, 1),
            conf: net.node(2).conf().clone(),
        },
        offset,
        data: vec![7; len],
        done: false,
    };
    let (first, past) = (chunk(0, 8), chunk(8, 9));
    net.deliver(msg(1, 2, 1, first));
    let before = net.node(2).clone();
    net.deliver(msg(1, 2, 2, past));
    assert_eq!(net.node(2), &before, "a refused chunk leaves no trace");
    let errors = &net.nodes[&id(2)].step_errors;
    assert!(
        matches!(errors.last(), Some(Error::MalformedMessage(why)) if why.contains("max_snapshot_bytes")),
        "{errors:?}"
    );
    let mut config = net.node(2).config().clone();
    config.max_snapshot_bytes = 4;
    assert!(
        matches!(
            raft_core::RawNode::new(config, Restored::default()),
            Err(Error::InvalidConfig(_))
        ),
        "a bound below one chunk is refused"
    );
}

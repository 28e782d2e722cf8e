//! Raft §7, log compaction: a snapshot of the state machine replaces the
//! log up to an applied index. (InstallSnapshot is not built yet: a leader
//! sends a follower that needs a compacted entry nothing, never a panic.)

use super::common::*;
use raft_core::{Error, LogIndex, Restored, Role, Term};

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
        node.compact(LogIndex(6)),
        Err(Error::CompactBeyondApplied {
            index: LogIndex(6),
            applied: LogIndex(5)
        })
    );
    let meta = node.compact(LogIndex(3)).expect("3 is applied");
    assert_eq!(meta.last, eid(3, 1));
    assert_eq!(
        &meta.conf,
        node.conf(),
        "the configuration as of the snapshot"
    );
    assert_eq!(
        node.compact(LogIndex(3)),
        Err(Error::StaleCompaction {
            index: LogIndex(3),
            snapshot: LogIndex(3)
        })
    );
    assert_eq!(
        node.compact(LogIndex(2)),
        Err(Error::StaleCompaction {
            index: LogIndex(2),
            snapshot: LogIndex(3)
        })
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
    node.compact(LogIndex(4)).expect("applied");
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
    let meta = node.compact(LogIndex(4)).expect("applied");
    let restored = Restored {
        hard_state: node.hard_state(),
        snapshot: Some(meta),
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

/// Until InstallSnapshot exists, a leader whose follower needs an entry it
/// compacted sends that follower nothing — and keeps replicating to the
/// others.
#[test]
fn a_leader_sends_nothing_it_no_longer_holds_and_goes_on_with_the_others() {
    let mut net = cluster_with_five_applied();
    net.isolate(3);
    for k in 0..3 {
        net.propose(1, format!("y{k}").as_bytes());
    }
    net.stabilize();
    assert_eq!(net.node(1).log().applied(), LogIndex(8));
    net.node_mut(1).compact(LogIndex(8)).expect("applied");
    net.heal();
    // Node 3 lacks 6..8, which only a snapshot could bring now.
    net.tick(1, 10);
    net.stabilize();
    assert_eq!(net.node(3).log().last_index(), LogIndex(5));
    net.propose(1, b"z");
    net.stabilize();
    assert_eq!(net.node(2).log().committed(), LogIndex(9), "1 and 2 commit");
    assert_eq!(net.node(3).log().last_index(), LogIndex(5));
}

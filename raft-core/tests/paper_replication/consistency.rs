//! Raft §5.3: the consistency check, log repair, heartbeats and the
//! follower's commit.

use super::common::*;
use super::helpers::*;
use raft_core::{Entry, EntryId, LogIndex, MessageBody, RejectHint, Role};
use std::collections::BTreeSet;

// ---- §5.3: the consistency check and log repair -----------------------------

/// Raft §5.3, AppendEntries receiver step 2: "Reply false if log doesn't
/// contain an entry at prevLogIndex whose term matches prevLogTerm". The
/// rejection carries a hint: the largest index at or below prevLogIndex
/// whose term is at most prevLogTerm. The log and commit index are untouched.
#[test]
fn follower_rejects_append_whose_prev_does_not_match() {
    let mut net = Network::new(3);
    boot(&mut net, 2, 3, 1, &[1, 1, 2, 2]);
    net.process_all();
    let before = net.node(2).log().entries().to_vec();
    // (prev, expected hint)
    let cases = [
        (eid(4, 3), eid(4, 2)), // same index, other term
        (eid(6, 3), eid(4, 2)), // beyond the log
        (eid(3, 1), eid(2, 1)), // skip the whole term 2
        (eid(4, 1), eid(2, 1)),
    ];
    for (prev, hint) in cases {
        net.deliver(append_msg(1, 2, 3, prev, vec![ent(prev.index.0 + 1, 3)], 4));
        net.process_ready(2);
        let answers = net.drop_where(|m| m.from == id(2));
        assert_eq!(
            answers,
            vec![msg(
                2,
                1,
                3,
                MessageBody::AppendResponse {
                    index: prev.index,
                    reject: Some(RejectHint { probe: hint })
                }
            )],
            "prev {prev:?}"
        );
        assert_eq!(net.node(2).log().entries(), &before[..], "prev {prev:?}");
        assert_eq!(commit_of(&net, 2), LogIndex(1), "prev {prev:?}");
    }
    // A matching prev is accepted.
    net.deliver(append_msg(1, 2, 3, eid(4, 2), vec![ent(5, 3)], 4));
    net.process_ready(2);
    assert_eq!(
        net.drop_where(|m| m.from == id(2)),
        vec![msg(
            2,
            1,
            3,
            MessageBody::AppendResponse {
                index: LogIndex(5),
                reject: None
            }
        )]
    );
    assert_eq!(net.node(2).log().last_id(), eid(5, 3));
    assert!(net.nodes[&id(2)].step_errors.is_empty());
}

/// Runs a 3-node cluster where S1 (whose log is `leader`) is elected, S3 holds
/// S1's log and S2 holds `follower`; returns the network after it is quiet
/// and the number of rejections S2 sent. S1 is leader of term 8.
fn back_up(leader: &[u64], follower: &[u64]) -> (Network, usize) {
    let mut net = Network::new(3);
    // Everyone at term 7, as in Figure 7: S1 becomes leader of term 8.
    let top = 7;
    assert!(leader.iter().chain(follower).all(|t| *t <= top));
    let common = leader
        .iter()
        .zip(follower)
        .take_while(|(a, b)| a == b)
        .count() as u64;
    boot(&mut net, 1, top, common, leader);
    boot(&mut net, 2, top, common, follower);
    boot(&mut net, 3, top, common, leader);
    net.process_all();
    net.node_mut(1).campaign();
    let mut rejections = 0;
    // (a heartbeat round at the end lets S2 learn the final commit index)
    let mut ticked = false;
    for _ in 0..1_000 {
        let processed = net.process_all();
        let batch = std::mem::take(&mut net.in_flight);
        if !processed && batch.is_empty() {
            if ticked {
                break;
            }
            ticked = true;
            net.tick(1, 1);
            continue;
        }
        for m in batch {
            if m.from == id(2) && m.to == id(1) && is_rejection(&m) {
                rejections += 1;
            }
            net.deliver(m);
        }
    }
    assert_eq!(net.node(1).role(), Role::Leader);
    (net, rejections)
}

/// The distinct terms of `follower`'s entries that are not in `leader`.
fn conflicting_terms(leader: &[u64], follower: &[u64]) -> BTreeSet<u64> {
    follower
        .iter()
        .enumerate()
        .filter(|(k, term)| leader.get(*k) != Some(*term))
        .map(|(_, term)| *term)
        .collect()
}

/// Raft §5.3 and Figure 7: the leader repairs every follower of Figure 7
/// (missing entries, extra uncommitted entries, or both), and with the
/// conflict hint it needs at most one rejected round trip per conflicting
/// term, plus one for missing entries — not one per entry ("the follower can
/// include the term of the conflicting entry and the first index it stores
/// for that term ... one AppendEntries RPC will be required for each term
/// with conflicting entries, rather than one RPC per entry").
#[test]
fn leader_repairs_figure_7_followers_one_round_trip_per_conflicting_term() {
    let leader = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6];
    let followers: [(&str, &[u64]); 6] = [
        ("a", &[1, 1, 1, 4, 4, 5, 5, 6, 6]),
        ("b", &[1, 1, 1, 4]),
        ("c", &[1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6]),
        ("d", &[1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7]),
        ("e", &[1, 1, 1, 4, 4, 4, 4]),
        ("f", &[1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3]),
    ];
    for (name, follower) in followers {
        let (net, rejections) = back_up(&leader, follower);
        let bound = conflicting_terms(&leader, follower).len() + 1;
        assert!(
            rejections <= bound,
            "({name}): {rejections} rejections, at most {bound} expected"
        );
        assert_logs_identical(&net, 1, 2);
        assert_eq!(net.node(2).log().last_id(), eid(11, 8), "({name})");
        assert_eq!(commit_of(&net, 2), LogIndex(11), "({name})");
    }
}

/// Raft §5.3 (the optimization after Figure 7): a follower with a long
/// divergent suffix of several terms, interleaved with the leader's terms,
/// is repaired with at most one rejection per conflicting term (+1), far
/// fewer than one per conflicting entry; the logs end identical.
#[test]
fn leader_backs_up_a_term_per_round_trip_over_a_long_divergent_suffix() {
    let leader = [1, 1, 2, 2, 2, 4, 4, 4, 6, 6, 6];
    let follower = [1, 1, 3, 3, 3, 3, 5, 5, 5, 7, 7, 7, 7, 7];
    let conflicting_entries = follower.len() - 2;
    let terms = conflicting_terms(&leader, &follower);
    assert_eq!(terms.len(), 3);
    let (net, rejections) = back_up(&leader, &follower);
    assert!(rejections >= 1, "the follower's log does diverge");
    assert!(
        rejections <= terms.len() + 1,
        "{rejections} rejections for {} conflicting terms",
        terms.len()
    );
    assert!(rejections < conflicting_entries / 2, "not one per entry");
    assert_logs_identical(&net, 1, 2);
    assert_logs_identical(&net, 1, 3);
    assert_eq!(net.node(2).log().last_id(), eid(12, 8));
}

/// Raft §5.3, AppendEntries receiver steps 3-4: "If an existing entry
/// conflicts with a new one (same index but different terms), delete the
/// existing entry and all that follow it"; "Append any new entries not
/// already in the log". Matching entries are kept, not rewritten.
#[test]
fn follower_deletes_conflicting_suffix_and_appends_new_entries() {
    let mut net = Network::new(3);
    boot(&mut net, 2, 2, 1, &[1, 1, 2, 2, 2]);
    net.process_all();
    net.deliver(append_msg(
        1,
        2,
        3,
        eid(1, 1),
        vec![ent(2, 1), ent(3, 3), ent(4, 3)],
        1,
    ));
    assert_eq!(
        net.node(2).log().entries(),
        &[ent(1, 1), ent(2, 1), ent(3, 3), ent(4, 3)][..],
        "index 5 went with the conflict at 3"
    );
    let ready = net.node_mut(2).ready();
    assert_eq!(
        ready.entries,
        vec![ent(3, 3), ent(4, 3)],
        "the matching entry 2 is not rewritten"
    );
    assert!(ready.must_sync);
    finish_ready(&mut net, 2, ready);
    assert_eq!(net.nodes[&id(2)].disk.entries, net.node(2).log().entries());
    assert_eq!(
        net.drop_where(|m| m.from == id(2)),
        vec![msg(
            2,
            1,
            3,
            MessageBody::AppendResponse {
                index: LogIndex(4),
                reject: None
            }
        )]
    );
}

/// Raft §5.3, receiver step 3 applies only to *conflicting* entries: an
/// older, shorter append delivered after a newer, longer one (reordered or
/// duplicated by the network) must not truncate the log: Figure 2 deletes
/// entries only "if an existing entry conflicts with a new one (same index
/// but different terms)", and the entries after the stale RPC's may be
/// committed already (the 6.824 "Students' Guide to Raft" makes the same
/// point).
#[test]
fn follower_never_truncates_on_a_reordered_older_append() {
    let mut net = Network::new(3);
    boot(&mut net, 2, 1, 0, &[1]);
    net.process_all();
    let longer = append_msg(1, 2, 1, eid(1, 1), vec![ent(2, 1), ent(3, 1), ent(4, 1)], 0);
    let shorter = append_msg(1, 2, 1, eid(1, 1), vec![ent(2, 1)], 0);
    net.deliver(longer);
    net.process_ready(2);
    net.deliver(shorter.clone());
    net.deliver(shorter);
    assert_eq!(net.node(2).log().last_index(), LogIndex(4), "nothing lost");
    let ready = net.node_mut(2).ready();
    assert!(ready.entries.is_empty(), "nothing rewritten");
    finish_ready(&mut net, 2, ready);
    assert_eq!(net.nodes[&id(2)].disk.entries, entries_of(&[1, 1, 1, 1]));
    let answers = net.drop_where(|m| m.from == id(2));
    let indexes: Vec<(LogIndex, bool)> = answers
        .iter()
        .map(|m| match m.body {
            MessageBody::AppendResponse { index, reject } => (index, reject.is_none()),
            _ => panic!("unexpected {m:?}"),
        })
        .collect();
    assert_eq!(
        indexes,
        vec![
            (LogIndex(4), true),
            (LogIndex(2), true),
            (LogIndex(2), true)
        ]
    );
}

/// Raft §5.3 with a real leader: a duplicated older append (a network
/// duplicate of the first of two pipelined appends) changes neither the
/// follower's log nor the leader's match index for it.
#[test]
fn duplicated_append_from_the_leader_loses_nothing() {
    let mut net = Network::new(3);
    net.elect(1);
    net.node_mut(1).propose(b"a".to_vec()).unwrap();
    net.process_ready(1);
    net.node_mut(1).propose(b"b".to_vec()).unwrap();
    net.node_mut(1).propose(b"c".to_vec()).unwrap();
    net.process_ready(1);
    let sent = appends_in_flight(&net, 1, 2);
    assert_eq!(sent.len(), 2, "pipelined");
    assert_eq!(carried(&sent[0]).len(), 1);
    assert_eq!(carried(&sent[1]).len(), 2);
    deliver_from_to(&mut net, 1, 2);
    net.deliver(sent[0].clone()); // the duplicate, late
    assert_eq!(net.node(2).log().last_index(), LogIndex(4));
    net.process_ready(2);
    deliver_from_to(&mut net, 2, 1);
    assert_eq!(matched(&net, 1, 2), LogIndex(4));
    settle(&mut net, 1);
    assert_logs_identical(&net, 1, 2);
    assert_eq!(net.applied(2).len(), 3);
    assert!(net.nodes.values().all(|n| n.step_errors.is_empty()));
}

// ---- heartbeats and the follower's commit -----------------------------------

/// Raft §5.3: followers learn the commit index from "future AppendEntries
/// RPCs". A follower that was paused (its probe outstanding) when the
/// leader's commit index moved is sent the new commit index as soon as its
/// acknowledgement unpauses it, as etcd does (`oldPaused` in `stepLeader`:
/// `sendAppend`, which sends even an empty append) — not only at the next
/// heartbeat.
#[test]
fn paused_follower_learns_the_commit_index_when_its_ack_unpauses_it() {
    let mut net = Network::new(3);
    win_election(&mut net, 1);
    net.process_ready(1); // the no-op, probed to S2 and S3
    round_trip(&mut net, 1, 2);
    assert_eq!(commit_of(&net, 1), LogIndex(1), "S1 and S2 hold the no-op");
    round_trip(&mut net, 1, 3); // S3 was paused when the commit moved
    net.process_ready(1);
    deliver_from_to(&mut net, 1, 3);
    assert_eq!(commit_of(&net, 3), LogIndex(1), "no tick needed");
}

/// Raft §5.3 (Log Matching) applied to heartbeats: a heartbeat carries the
/// commit index as an entry id, and a follower commits it only if it holds
/// that very entry. A follower whose log diverges at the commit index does
/// not commit its own, different entry.
#[test]
fn heartbeat_commits_only_an_entry_the_follower_holds() {
    let mut net = Network::new(3);
    boot(&mut net, 2, 3, 1, &[1, 1, 2]);
    net.process_all();
    net.deliver(msg(
        1,
        2,
        3,
        MessageBody::Heartbeat {
            commit: eid(3, 3),
            read_round: 0,
        },
    ));
    assert_eq!(commit_of(&net, 2), LogIndex(1), "(3, 2) is not (3, 3)");
    assert_eq!(net.node(2).leader(), Some(id(1)));
    net.process_ready(2);
    assert_eq!(
        net.drop_where(|m| m.from == id(2)),
        vec![msg(
            2,
            1,
            3,
            MessageBody::HeartbeatResponse { read_round: 0 }
        )]
    );
    net.deliver(msg(
        1,
        2,
        3,
        MessageBody::Heartbeat {
            commit: eid(5, 3),
            read_round: 0,
        },
    ));
    assert_eq!(commit_of(&net, 2), LogIndex(1), "beyond the log");
    net.deliver(msg(
        1,
        2,
        3,
        MessageBody::Heartbeat {
            commit: eid(2, 1),
            read_round: 0,
        },
    ));
    assert_eq!(commit_of(&net, 2), LogIndex(2), "(2, 1) is held");
    net.deliver(msg(
        1,
        2,
        3,
        MessageBody::Heartbeat {
            commit: eid(1, 1),
            read_round: 0,
        },
    ));
    assert_eq!(commit_of(&net, 2), LogIndex(2), "commit never decreases");
}

/// Raft §5.3 with a real leader: the leader's heartbeat carries the commit
/// index only up to what the follower is known to hold, so a follower whose
/// log diverges below the leader's commit index commits nothing of its own
/// divergent suffix, however many heartbeats it gets; once repaired by
/// appends it commits the leader's entries.
#[test]
fn leader_heartbeat_never_makes_a_divergent_follower_commit() {
    let mut net = Network::new(3);
    boot(&mut net, 1, 3, 2, &[1, 1, 3]);
    boot(&mut net, 2, 3, 2, &[1, 1, 2]);
    boot(&mut net, 3, 3, 2, &[1, 1, 3]);
    net.process_all();
    win_election(&mut net, 1);
    for _ in 0..20 {
        net.process_all();
        net.drop_where(|m| m.to == id(2) && is_append(m));
        net.deliver_all();
    }
    assert_eq!(commit_of(&net, 1), LogIndex(4), "(4, 4) on S1 and S3");
    for _ in 0..5 {
        net.tick(1, 1);
        net.process_ready(1);
        net.drop_where(|m| m.to == id(2) && is_append(m));
        let heartbeat = net
            .in_flight
            .iter()
            .find(|m| m.to == id(2) && matches!(m.body, MessageBody::Heartbeat { .. }))
            .cloned()
            .expect("heartbeat to S2");
        let MessageBody::Heartbeat { commit, .. } = heartbeat.body else {
            unreachable!()
        };
        assert!(commit.index <= matched(&net, 1, 2), "{commit:?}");
        net.deliver_all();
        net.process_all();
        net.drop_where(|m| m.to == id(2) && is_append(m));
        net.deliver_all();
        assert_eq!(commit_of(&net, 2), LogIndex(2), "S2 must not commit (3, 2)");
    }
    net.tick(1, 1);
    net.stabilize();
    assert_logs_identical(&net, 1, 2);
    assert_eq!(commit_of(&net, 2), LogIndex(4));
}

/// Raft §5.3, AppendEntries receiver step 5: "If leaderCommit > commitIndex,
/// set commitIndex = min(leaderCommit, index of last new entry)".
#[test]
fn follower_commits_min_of_leader_commit_and_last_new_entry() {
    let mut net = Network::new(3);
    boot(&mut net, 2, 1, 0, &[1, 1, 1, 1, 1]);
    net.process_all();
    // (prev, entries, leader commit, expected commit)
    let steps: [(EntryId, Vec<Entry>, u64, u64); 4] = [
        (eid(1, 1), vec![ent(2, 1)], 5, 2),
        (eid(2, 1), vec![ent(3, 1)], 2, 2),
        (eid(3, 1), vec![], 5, 3),
        (eid(1, 1), vec![], 5, 3),
    ];
    for (prev, entries, commit, expected) in steps {
        net.deliver(append_msg(1, 2, 1, prev, entries, commit));
        assert_eq!(commit_of(&net, 2), LogIndex(expected), "prev {prev:?}");
    }
    assert_eq!(net.node(2).log().last_index(), LogIndex(5), "nothing lost");
}

/// Raft §5.3, receiver step 5, with a real leader sending one entry per
/// message to a lagging follower: after every accepted append the follower's
/// commit index is min(leader commit, last new entry), never the leader's
/// commit index ahead of the entries received.
#[test]
fn lagging_follower_commits_only_up_to_the_last_entry_received() {
    let mut net = Network::with_config(3, |c| c.max_size_per_msg_bytes = 1);
    net.elect(1);
    net.isolate(3);
    for data in [b"a", b"b", b"c"] {
        net.propose(1, data);
    }
    assert_eq!(commit_of(&net, 1), LogIndex(4));
    assert!(commit_of(&net, 3) < LogIndex(2));
    net.heal();
    net.tick(1, 1);
    let mut limited = 0;
    for _ in 0..1_000 {
        let processed = net.process_all();
        let batch = std::mem::take(&mut net.in_flight);
        if !processed && batch.is_empty() {
            break;
        }
        for m in batch {
            let to3 = m.to == id(3);
            let before = commit_of(&net, 3);
            let expect = match &m.body {
                MessageBody::AppendEntries {
                    prev,
                    entries,
                    commit,
                } if to3 && net.node(3).log().contains(*prev) => {
                    let last_new = prev.index.plus(entries.len() as u64);
                    if *commit > last_new {
                        limited += 1;
                    }
                    Some(before.max((*commit).min(last_new)))
                }
                _ => None,
            };
            net.deliver(m);
            if let Some(expect) = expect {
                assert_eq!(commit_of(&net, 3), expect);
            }
        }
    }
    assert!(limited >= 2, "the leader's commit ran ahead of the entries");
    assert_eq!(commit_of(&net, 3), LogIndex(4));
    assert_logs_identical(&net, 1, 3);
}

/// §5.3 receiver step 3: "If an existing entry conflicts with a new one
/// ..., delete the existing entry and all that follow it" — only a
/// conflict truncates. A stale append whose entries all match leaves the
/// entries after them alone; the test-only `truncate_on_match` rule break
/// drops them (the bug the model checker's and the swarm's tests catch).
#[test]
fn a_matching_stale_append_truncates_nothing_unless_the_rule_is_broken() {
    for broken in [false, true] {
        let mut net = Network::with_config(3, |c| c.rule_breaks.truncate_on_match = broken);
        boot(&mut net, 2, 1, 0, &[1, 1]);
        net.process_all();
        net.deliver(append_msg(1, 2, 1, eid(0, 0), vec![ent(1, 1)], 0));
        net.process_ready(2);
        let kept = net.node(2).log().last_index();
        assert_eq!(
            kept,
            LogIndex(if broken { 1 } else { 2 }),
            "broken: {broken}"
        );
    }
}

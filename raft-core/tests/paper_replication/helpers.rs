//! Helpers shared by the test modules.

use super::common::*;
use raft_core::{
    Entry, EntryId, EntryKind, HardState, LogIndex, Message, MessageBody, Ready, Role, Term,
};

/// An entry whose payload names its (index, term), so that two logs holding
/// the same (index, term) hold identical entries.
pub(crate) fn ent(index: u64, term: u64) -> Entry {
    Entry {
        term: Term(term),
        index: LogIndex(index),
        kind: EntryKind::Normal,
        data: format!("{index}@{term}").into_bytes(),
    }
}

/// A log whose entry at index `k + 1` has term `terms[k]`.
pub(crate) fn entries_of(terms: &[u64]) -> Vec<Entry> {
    terms
        .iter()
        .enumerate()
        .map(|(k, term)| ent(k as u64 + 1, *term))
        .collect()
}

/// Writes a disk for node `n` (term, no vote, commit, the log `terms`) and
/// boots the node from it.
pub(crate) fn boot(net: &mut Network, n: u64, term: u64, commit: u64, terms: &[u64]) {
    let node = net.nodes.get_mut(&id(n)).expect("node exists");
    node.disk = Disk {
        hard_state: HardState {
            term: Term(term),
            vote: None,
            commit: LogIndex(commit),
        },
        snapshot: None,
        entries: entries_of(terms),
    };
    net.restart(n);
}

pub(crate) fn append_msg(
    from: u64,
    to: u64,
    term: u64,
    prev: EntryId,
    entries: Vec<Entry>,
    commit: u64,
) -> Message {
    msg(
        from,
        to,
        term,
        MessageBody::AppendEntries {
            prev,
            entries,
            commit: LogIndex(commit),
        },
    )
}

pub(crate) fn is_append(m: &Message) -> bool {
    matches!(m.body, MessageBody::AppendEntries { .. })
}

pub(crate) fn is_rejection(m: &Message) -> bool {
    matches!(
        m.body,
        MessageBody::AppendResponse {
            reject: Some(_),
            ..
        }
    )
}

/// The entries an AppendEntries carries.
pub(crate) fn carried(m: &Message) -> &[Entry] {
    match &m.body {
        MessageBody::AppendEntries { entries, .. } => entries,
        other => panic!("not an append: {other:?}"),
    }
}

/// The in-flight appends from `from` to `to`, oldest first.
pub(crate) fn appends_in_flight(net: &Network, from: u64, to: u64) -> Vec<Message> {
    net.in_flight
        .iter()
        .filter(|m| m.from == id(from) && m.to == id(to) && is_append(m))
        .cloned()
        .collect()
}

/// Delivers, in order, every in-flight message from `from` to `to`.
pub(crate) fn deliver_from_to(net: &mut Network, from: u64, to: u64) -> usize {
    let mut count = 0;
    while net
        .deliver_first(|m| m.from == id(from) && m.to == id(to))
        .is_some()
    {
        count += 1;
    }
    count
}

/// One round trip on the link leader -> follower: deliver what the leader
/// sent, let the follower persist and answer, deliver the answers.
pub(crate) fn round_trip(net: &mut Network, leader: u64, follower: u64) {
    deliver_from_to(net, leader, follower);
    net.process_ready(follower);
    deliver_from_to(net, follower, leader);
}

/// Takes node `n`'s Ready and sends only what may leave before the write
/// (`messages`); the caller advances it later with [`finish_ready`].
pub(crate) fn ready_send_now(net: &mut Network, n: u64) -> Ready {
    let mut ready = net.node_mut(n).ready();
    net.in_flight.append(&mut ready.messages);
    ready
}

/// Does what a careful host does with a Ready: send `messages`, persist,
/// send `messages_after_persist`, apply, advance.
pub(crate) fn finish_ready(net: &mut Network, n: u64, mut ready: Ready) {
    net.in_flight.append(&mut ready.messages);
    let node = net.nodes.get_mut(&id(n)).expect("node exists");
    if let Some(hs) = &ready.hard_state {
        node.disk.hard_state = hs.clone();
    }
    if let Some(first) = ready.entries.first() {
        let from = first.index;
        node.disk.entries.retain(|e| e.index < from);
        node.disk.entries.extend_from_slice(&ready.entries);
    }
    net.in_flight.append(&mut ready.messages_after_persist);
    for entry in &ready.committed_entries {
        if entry.kind == EntryKind::Normal {
            node.applied.push(entry.clone());
        }
    }
    node.raw.advance(ready);
    node.raw.assert_invariants();
}

/// What one handled Ready looked like.
#[derive(Clone, Debug)]
pub(crate) struct Handled {
    pub(crate) node: u64,
    /// The hard state on disk before this Ready was written.
    pub(crate) before: HardState,
    pub(crate) hard_state: Option<HardState>,
    pub(crate) entries: Vec<Entry>,
    pub(crate) committed: Vec<Entry>,
    pub(crate) must_sync: bool,
}

pub(crate) fn process_recorded(net: &mut Network, n: u64, record: &mut Vec<Handled>) -> bool {
    if net.frozen.contains(&id(n)) || !net.node(n).has_ready() {
        return false;
    }
    let before = net.nodes[&id(n)].disk.hard_state.clone();
    let ready = net.node_mut(n).ready();
    record.push(Handled {
        node: n,
        before,
        hard_state: ready.hard_state.clone(),
        entries: ready.entries.clone(),
        committed: ready.committed_entries.clone(),
        must_sync: ready.must_sync,
    });
    finish_ready(net, n, ready);
    true
}

/// `Network::stabilize`, recording every Ready handled.
pub(crate) fn stabilize_recorded(net: &mut Network, record: &mut Vec<Handled>) {
    let ids: Vec<u64> = net.nodes.keys().map(|n| n.0).collect();
    for _ in 0..10_000 {
        let mut processed = false;
        for n in &ids {
            processed |= process_recorded(net, *n, record);
        }
        let delivered = net.deliver_all();
        if !processed && delivered == 0 {
            return;
        }
    }
    panic!("network did not stabilize");
}

pub(crate) fn commit_of(net: &Network, n: u64) -> LogIndex {
    net.node(n).log().committed()
}

pub(crate) fn matched(net: &Network, leader: u64, peer: u64) -> LogIndex {
    net.node(leader).status().progress[&id(peer)].matched
}

/// Runs the cluster until quiet, then lets leader `n` send two heartbeat
/// rounds, running until quiet after each: a follower whose window was full or
/// whose probe was outstanding when the leader's commit index last moved
/// learns the commit index from the heartbeat (as in etcd).
pub(crate) fn settle(net: &mut Network, n: u64) {
    net.stabilize();
    let ticks = net.node(n).config().heartbeat_ticks;
    // The first round may itself trigger a repair that moves the commit index.
    for _ in 0..2 {
        net.tick(n, ticks);
        net.stabilize();
    }
}

/// Campaigns on `n` and delivers the votes by hand (nothing else moves).
pub(crate) fn win_election(net: &mut Network, n: u64) {
    net.node_mut(n).campaign();
    net.process_ready(n);
    net.deliver_all();
    net.process_all();
    net.deliver_all();
    assert_eq!(net.node(n).role(), Role::Leader, "node {n} should have won");
}

pub(crate) fn assert_logs_identical(net: &Network, a: u64, b: u64) {
    assert_eq!(net.node(a).log().entries(), net.node(b).log().entries());
    assert_eq!(
        net.nodes[&id(a)].disk.entries,
        net.nodes[&id(b)].disk.entries
    );
    assert_eq!(
        net.node(a).log().entries(),
        &net.nodes[&id(a)].disk.entries[..]
    );
}

pub(crate) fn ack(from: u64, to: u64, term: u64, index: u64) -> Message {
    msg(
        from,
        to,
        term,
        MessageBody::AppendResponse {
            index: LogIndex(index),
            reject: None,
        },
    )
}

//! Helpers shared by the test modules.

use super::common::*;
use raft_core::{
    Config, Entry, EntryId, EntryKind, HardState, LogIndex, Message, MessageBody, RawNode,
    Restored, Role, Term,
};

/// The `election_ticks` of `Config::new`, which `common::config` keeps.
pub(crate) const ET: u64 = 10;

// ---- helpers ----------------------------------------------------------

pub(crate) fn vote_req(index: u64, term: u64) -> MessageBody {
    MessageBody::VoteRequest {
        last_log: eid(index, term),
        leader_transfer: false,
    }
}

pub(crate) fn pre_vote_req(index: u64, term: u64) -> MessageBody {
    MessageBody::PreVoteRequest {
        last_log: eid(index, term),
    }
}

pub(crate) fn vote_resp(granted: bool) -> MessageBody {
    MessageBody::VoteResponse { granted }
}

pub(crate) fn pre_vote_resp(granted: bool) -> MessageBody {
    MessageBody::PreVoteResponse { granted }
}

pub(crate) fn empty_append() -> MessageBody {
    MessageBody::AppendEntries {
        prev: EntryId::default(),
        entries: Vec::new(),
        commit: LogIndex(0),
    }
}

pub(crate) fn heartbeat() -> MessageBody {
    MessageBody::Heartbeat {
        commit: EntryId::default(),
        read_round: 0,
    }
}

pub(crate) fn entry(index: u64, term: u64) -> Entry {
    Entry {
        term: Term(term),
        index: LogIndex(index),
        kind: EntryKind::Normal,
        data: Vec::new(),
    }
}

/// What a node read back from disk: `term`, no vote, and entries given as
/// (index, term).
pub(crate) fn disk(term: u64, entries: &[(u64, u64)]) -> Restored {
    Restored {
        hard_state: HardState {
            term: Term(term),
            vote: None,
            commit: LogIndex(0),
        },
        snapshot: None,
        entries: entries.iter().map(|&(i, t)| entry(i, t)).collect(),
        applied: LogIndex(0),
    }
}

pub(crate) fn plain(_: &mut Config) {}

pub(crate) fn with_pre_vote(c: &mut Config) {
    c.pre_vote = true;
}

/// Node `me` of a `size`-voter cluster (plain-paper config, then `adjust`).
pub(crate) fn node_from(
    me: u64,
    size: u64,
    adjust: impl Fn(&mut Config),
    restored: Restored,
) -> RawNode {
    let mut c = config(me, size);
    adjust(&mut c);
    RawNode::new(c, restored).expect("valid config and restore")
}

pub(crate) fn node(me: u64, size: u64, adjust: impl Fn(&mut Config)) -> RawNode {
    node_from(me, size, adjust, Restored::default())
}

/// The messages a node handed out, split as `Ready` splits them.
#[derive(Debug, Default)]
pub(crate) struct Outbox {
    /// `Ready::messages`: may leave before the write.
    pub(crate) now: Vec<Message>,
    /// `Ready::messages_after_persist`: wait for the write.
    pub(crate) after_persist: Vec<Message>,
}

impl Outbox {
    pub(crate) fn all(&self) -> Vec<&Message> {
        self.now.iter().chain(&self.after_persist).collect()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.now.is_empty() && self.after_persist.is_empty()
    }
}

/// Runs a lone node's Ready loop until it is quiet, as a host would (the
/// writes are taken as done), and returns what it sent.
pub(crate) fn drain(node: &mut RawNode) -> Outbox {
    let mut out = Outbox::default();
    while node.has_ready() {
        let mut ready = node.ready();
        out.now.append(&mut ready.messages);
        out.after_persist.append(&mut ready.messages_after_persist);
        node.advance(ready);
        node.assert_invariants();
    }
    out
}

pub(crate) fn step_ok(node: &mut RawNode, message: Message) {
    node.step(message).expect("a well-formed message");
    node.assert_invariants();
}

pub(crate) fn is_vote_request(m: &Message) -> bool {
    matches!(
        m.body,
        MessageBody::VoteRequest { .. } | MessageBody::PreVoteRequest { .. }
    )
}

/// How many more ticks `node` needs before it asks for (pre-)votes, measured
/// on a clone so the node itself is untouched.
pub(crate) fn ticks_to_campaign(node: &RawNode) -> u64 {
    let mut n = node.clone();
    drain(&mut n);
    for t in 1..=1000 {
        n.tick();
        if drain(&mut n).all().into_iter().any(is_vote_request) {
            return t;
        }
    }
    panic!("node {} never campaigned", node.id().0);
}

/// Ticks a lone node until its role leaves Follower; returns the tick count.
pub(crate) fn ticks_until_not_follower(node: &mut RawNode) -> u64 {
    for t in 1..=1000 {
        node.tick();
        if node.role() != Role::Follower {
            return t;
        }
    }
    panic!("node {} never left the follower role", node.id().0);
}

/// The successive election timeouts of a lone candidate whose requests are
/// all lost: ticks between one term increase and the next.
pub(crate) fn successive_timeouts(c: &Config, count: usize) -> Vec<u64> {
    let mut n = RawNode::new(c.clone(), Restored::default()).expect("valid config");
    let mut out = Vec::new();
    for _ in 0..count {
        let term = n.term();
        let mut ticks = 0;
        while n.term() == term {
            n.tick();
            ticks += 1;
            assert!(ticks <= 1000, "no election");
        }
        drain(&mut n);
        out.push(ticks);
    }
    out
}

/// Node 1 of `size`, made leader of term `restored term + 1` by hand.
pub(crate) fn leader_node(size: u64, restored: Restored) -> RawNode {
    let mut n = node_from(1, size, plain, restored);
    n.campaign();
    let term = n.term().0;
    for from in 2..=size {
        if n.role() == Role::Leader {
            break;
        }
        step_ok(&mut n, msg(from, 1, term, vote_resp(true)));
    }
    assert_eq!(n.role(), Role::Leader);
    drain(&mut n);
    n
}

/// A tiny extension so a lone node can be ticked many times.
pub(crate) trait TickN {
    fn tick_n(&mut self, count: u64);
}

impl TickN for RawNode {
    fn tick_n(&mut self, count: u64) {
        for _ in 0..count {
            self.tick();
        }
    }
}

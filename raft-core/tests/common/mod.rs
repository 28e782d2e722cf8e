//! A tiny in-test network: a few RawNodes, each with an in-memory "disk",
//! and messages delivered, dropped or blocked by hand. Everything is
//! deterministic: messages wait in one FIFO queue, in the order sent.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};

use raft_core::{
    Config, Entry, EntryId, EntryKind, HardState, LogIndex, Message, MessageBody, NodeId, RawNode,
    Restored, Role, Snapshot, Term,
};

/// What a node's disk holds: the hard state and the log, as the host wrote them.
#[derive(Clone, Debug, Default)]
pub struct Disk {
    pub hard_state: HardState,
    /// The latest snapshot stored, if any; `entries` follow it.
    pub snapshot: Option<Snapshot>,
    pub entries: Vec<Entry>,
}

impl Disk {
    /// Writes a Ready's entries: the disk's entries from the first new index
    /// on are stale and replaced (the Ready contract).
    fn append(&mut self, entries: &[Entry]) {
        let Some(first) = entries.first() else { return };
        self.entries.retain(|e| e.index < first.index);
        self.entries.extend_from_slice(entries);
    }
}

/// The test state machine's snapshot: the normal entries applied up to
/// `index`, encoded.
pub fn state_bytes(applied: &[Entry], index: LogIndex) -> Vec<u8> {
    let upto: Vec<&Entry> = applied.iter().filter(|e| e.index <= index).collect();
    bincode::serde::encode_to_vec(&upto, bincode::config::standard()).expect("encodes")
}

/// The state a snapshot's data holds.
pub fn state_from(data: &[u8]) -> Vec<Entry> {
    bincode::serde::decode_from_slice(data, bincode::config::standard())
        .expect("a test snapshot decodes")
        .0
}

/// One node and what its host keeps.
#[derive(Clone, Debug)]
pub struct TestNode {
    pub raw: RawNode,
    pub config: Config,
    pub disk: Disk,
    /// Normal entries applied, in order.
    pub applied: Vec<Entry>,
    /// Errors `step` returned, for tests that feed bad input.
    pub step_errors: Vec<raft_core::Error>,
    /// Read outcomes handed out, in order.
    pub read_states: Vec<raft_core::ReadState>,
}

/// The network of test nodes.
#[derive(Clone, Debug)]
pub struct Network {
    pub nodes: BTreeMap<NodeId, TestNode>,
    /// Messages sent and not yet delivered or dropped, oldest first.
    pub in_flight: Vec<Message>,
    /// Directed links that lose every message (from, to).
    pub cut_links: BTreeSet<(NodeId, NodeId)>,
    /// Nodes whose Ready is not processed (their disk is "stuck").
    pub frozen: BTreeSet<NodeId>,
}

pub fn id(n: u64) -> NodeId {
    NodeId(n)
}

/// A message from node `from` to node `to` in `term`.
pub fn msg(from: u64, to: u64, term: u64, body: MessageBody) -> Message {
    Message {
        from: id(from),
        to: id(to),
        term: Term(term),
        body,
    }
}

/// The entry id (index, term).
pub fn eid(index: u64, term: u64) -> EntryId {
    EntryId {
        index: LogIndex(index),
        term: Term(term),
    }
}

/// A config for node `me` of a cluster of `size` voters, with PreVote and
/// CheckQuorum off (the plain Raft paper) unless a test turns them on.
pub fn config(me: u64, size: u64) -> Config {
    let mut config = Config::new(id(me), (1..=size).map(id));
    config.pre_vote = false;
    config.check_quorum = false;
    config.seed = me;
    config
}

impl Network {
    /// `size` fresh nodes with the plain-paper config.
    pub fn new(size: u64) -> Network {
        Network::with_config(size, |_| {})
    }

    /// `size` fresh nodes; `adjust` edits each config.
    pub fn with_config(size: u64, adjust: impl Fn(&mut Config)) -> Network {
        Network::with_spares(size, 0, adjust)
    }

    /// `voters` fresh nodes of the bootstrap configuration, and `spares`
    /// more (numbered after them) that start empty, outside it, until a
    /// membership change adds them; `adjust` edits each config.
    pub fn with_spares(voters: u64, spares: u64, adjust: impl Fn(&mut Config)) -> Network {
        let nodes = (1..=voters + spares)
            .map(|me| {
                let mut config = config(me, voters);
                adjust(&mut config);
                let raw = RawNode::new(config.clone(), Restored::default()).expect("valid config");
                let node = TestNode {
                    raw,
                    config,
                    disk: Disk::default(),
                    applied: Vec::new(),
                    step_errors: Vec::new(),
                    read_states: Vec::new(),
                };
                (id(me), node)
            })
            .collect();
        Network {
            nodes,
            in_flight: Vec::new(),
            cut_links: BTreeSet::new(),
            frozen: BTreeSet::new(),
        }
    }

    pub fn node(&self, n: u64) -> &RawNode {
        &self.nodes[&id(n)].raw
    }

    pub fn node_mut(&mut self, n: u64) -> &mut RawNode {
        &mut self.nodes.get_mut(&id(n)).expect("node exists").raw
    }

    pub fn applied(&self, n: u64) -> &[Entry] {
        &self.nodes[&id(n)].applied
    }

    /// Runs node `n`'s Ready loop once, as a careful host does: send the
    /// immediate messages, persist, send the rest, apply, advance.
    pub fn process_ready(&mut self, n: u64) -> bool {
        if self.frozen.contains(&id(n)) {
            return false;
        }
        let node = self.nodes.get_mut(&id(n)).expect("node exists");
        if !node.raw.has_ready() {
            return false;
        }
        let mut ready = node.raw.ready();
        self.in_flight.append(&mut ready.messages);
        if let Some(snapshot) = &ready.snapshot {
            // Figure 13 step 6: the stored entries after the snapshot stay
            // if they follow it. The state machine restarts from it.
            let last = snapshot.meta.last;
            if node.disk.entries.iter().any(|e| e.id() == last) {
                node.disk.entries.retain(|e| e.index > last.index);
            } else {
                node.disk.entries.clear();
            }
            node.disk.snapshot = Some(snapshot.clone());
            node.applied = state_from(&snapshot.data);
        }
        if let Some(hs) = &ready.hard_state {
            node.disk.hard_state = hs.clone();
        }
        node.disk.append(&ready.entries);
        self.in_flight.append(&mut ready.messages_after_persist);
        node.read_states.append(&mut ready.read_states);
        for entry in &ready.committed_entries {
            if entry.kind == EntryKind::Normal {
                node.applied.push(entry.clone());
            }
        }
        node.raw.advance(ready);
        node.raw.assert_invariants();
        true
    }

    /// Processes every node's Ready once. Returns whether any had one.
    pub fn process_all(&mut self) -> bool {
        let ids: Vec<u64> = self.nodes.keys().map(|i| i.0).collect();
        let mut any = false;
        for n in ids {
            any |= self.process_ready(n);
        }
        any
    }

    fn blocked(&self, message: &Message) -> bool {
        self.cut_links.contains(&(message.from, message.to))
            || !self.nodes.contains_key(&message.to)
    }

    /// Delivers one message to its recipient (unless its link is cut).
    pub fn deliver(&mut self, message: Message) {
        if self.blocked(&message) {
            return;
        }
        let node = self.nodes.get_mut(&message.to).expect("recipient exists");
        if let Err(err) = node.raw.step(message) {
            node.step_errors.push(err);
        }
        node.raw.assert_invariants();
    }

    /// Delivers everything in flight now, in order (not what it triggers).
    pub fn deliver_all(&mut self) -> usize {
        let batch = std::mem::take(&mut self.in_flight);
        let count = batch.len();
        for message in batch {
            self.deliver(message);
        }
        count
    }

    /// Delivers the oldest in-flight message matching `pick`, if any.
    pub fn deliver_first(&mut self, pick: impl Fn(&Message) -> bool) -> Option<Message> {
        let pos = self.in_flight.iter().position(pick)?;
        let message = self.in_flight.remove(pos);
        self.deliver(message.clone());
        Some(message)
    }

    /// Removes (loses) every in-flight message matching `pick`; returns them.
    pub fn drop_where(&mut self, pick: impl Fn(&Message) -> bool) -> Vec<Message> {
        let (lost, kept) = std::mem::take(&mut self.in_flight)
            .into_iter()
            .partition(|m| pick(m));
        self.in_flight = kept;
        lost
    }

    /// Processes readies and delivers messages until nothing moves.
    ///
    /// # Panics
    /// If the cluster is still busy after 10,000 rounds.
    pub fn stabilize(&mut self) {
        for _ in 0..10_000 {
            let processed = self.process_all();
            let delivered = self.deliver_all();
            if !processed && delivered == 0 {
                return;
            }
        }
        panic!("network did not stabilize in 10,000 rounds");
    }

    /// Cuts both directions between `n` and every other node.
    pub fn isolate(&mut self, n: u64) {
        let others: Vec<NodeId> = self.nodes.keys().copied().filter(|o| *o != id(n)).collect();
        for other in others {
            self.cut_links.insert((id(n), other));
            self.cut_links.insert((other, id(n)));
        }
    }

    /// Cuts the one direction `from -> to`.
    pub fn cut(&mut self, from: u64, to: u64) {
        self.cut_links.insert((id(from), id(to)));
    }

    /// Restores every link.
    pub fn heal(&mut self) {
        self.cut_links.clear();
    }

    /// Ticks node `n` `count` times (no Ready processing).
    pub fn tick(&mut self, n: u64, count: u64) {
        for _ in 0..count {
            self.node_mut(n).tick();
        }
    }

    /// Makes node `n` campaign and runs the cluster until quiet.
    pub fn elect(&mut self, n: u64) {
        self.node_mut(n).campaign();
        self.stabilize();
        assert_eq!(
            self.node(n).role(),
            Role::Leader,
            "node {n} should have won"
        );
    }

    /// Proposes on node `n` (which must be leader) and stabilizes.
    pub fn propose(&mut self, n: u64, data: &[u8]) -> LogIndex {
        let index = self
            .node_mut(n)
            .propose(data.to_vec())
            .expect("leader accepts");
        self.stabilize();
        index
    }

    /// Crashes node `n` and boots it from its disk: memory (including
    /// in-flight Ready work it never processed) is lost.
    pub fn restart(&mut self, n: u64) {
        let node = self.nodes.get_mut(&id(n)).expect("node exists");
        let snapshot = node.disk.snapshot.clone();
        let applied = snapshot.as_ref().map_or(LogIndex(0), |s| s.meta.last.index);
        node.applied = snapshot
            .as_ref()
            .map_or(Vec::new(), |s| state_from(&s.data));
        let restored = Restored {
            hard_state: node.disk.hard_state.clone(),
            snapshot,
            entries: node.disk.entries.clone(),
            applied,
        };
        node.raw = RawNode::new(node.config.clone(), restored).expect("disk is consistent");
    }

    /// Node `n`'s host snapshots its state machine at `index` (applied),
    /// stores it, compacts the node's log and drops the stored prefix.
    pub fn compact(&mut self, n: u64, index: LogIndex) -> Result<(), raft_core::Error> {
        let node = self.nodes.get_mut(&id(n)).expect("node exists");
        let data = state_bytes(&node.applied, index);
        let meta = node.raw.compact(index, data.clone())?;
        node.disk.snapshot = Some(Snapshot { meta, data });
        node.disk.entries.retain(|e| e.index > index);
        Ok(())
    }

    /// Every node's role, by id.
    pub fn roles(&self) -> Vec<Role> {
        self.nodes.values().map(|n| n.raw.role()).collect()
    }

    /// The leaders among the nodes.
    pub fn leaders(&self) -> Vec<u64> {
        self.nodes
            .values()
            .filter(|n| n.raw.role() == Role::Leader)
            .map(|n| n.raw.id().0)
            .collect()
    }
}

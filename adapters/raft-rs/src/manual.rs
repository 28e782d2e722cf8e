//! raft-rs driven by hand, outside the simulator: one Ready at a time over
//! raft-rs's `MemStorage`, each Ready handled in full before the next
//! (the synchronous cycle). The side-by-side benchmark drives it so, and
//! raft-core likewise.
//!
//! raft-rs draws each election timeout from a thread-local random number
//! generator (`rand::thread_rng`), which no seed reaches. [`ManualNode`]
//! pins the draw: it sets the minimum and maximum election timeouts to one
//! value (`[election_tick, election_tick + 1)`, a range of one), so every
//! draw returns it and a run depends on its inputs alone.

use raft::eraftpb::{ConfState, Entry, EntryType, Message};
use raft::storage::MemStorage;
use raft::{Config, RawNode, StateRole};

/// What one Ready (and the advance after it) handed the host.
#[derive(Debug, Default)]
pub struct Handled {
    /// Messages to send, in order: those that may leave at once, then
    /// those that had to wait for the write.
    pub messages: Vec<Message>,
    /// Committed normal entries with data, now applied (in order).
    pub applied: Vec<Entry>,
    /// Bytes of entry data written to storage.
    pub persisted_bytes: u64,
}

/// The settings a node is built with (raft-rs's names; the rest are its
/// defaults).
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    /// Ticks without a leader before a campaign (the one election timeout:
    /// see the crate documentation).
    pub election_tick: usize,
    /// Ticks between a leader's heartbeats.
    pub heartbeat_tick: usize,
    /// PreVote (thesis §9.6).
    pub pre_vote: bool,
    /// CheckQuorum (thesis §6.2).
    pub check_quorum: bool,
    /// Append messages in flight per follower.
    pub max_inflight_msgs: usize,
    /// Bytes of entries per append message.
    pub max_size_per_msg: u64,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            election_tick: 10,
            heartbeat_tick: 1,
            pre_vote: true,
            check_quorum: true,
            max_inflight_msgs: 256,
            max_size_per_msg: 1 << 20,
        }
    }
}

/// One raft-rs node over in-memory storage.
pub struct ManualNode {
    raw: RawNode<MemStorage>,
    store: MemStorage,
}

impl std::fmt::Debug for ManualNode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ManualNode")
            .field("id", &self.raw.raft.id)
            .field("term", &self.raw.raft.term)
            .field("role", &self.raw.raft.state)
            .finish_non_exhaustive()
    }
}

impl ManualNode {
    /// Node `id` of a cluster of `voters`, starting empty.
    ///
    /// # Errors
    /// raft-rs refuses the configuration (a zero tick, say).
    pub fn new(id: u64, voters: &[u64], settings: Settings) -> Result<ManualNode, raft::Error> {
        let config = Config {
            id,
            election_tick: settings.election_tick,
            heartbeat_tick: settings.heartbeat_tick,
            // One election timeout, so that raft-rs's unseeded draw has one
            // value to return (see the crate documentation).
            min_election_tick: settings.election_tick,
            max_election_tick: settings.election_tick + 1,
            pre_vote: settings.pre_vote,
            check_quorum: settings.check_quorum,
            max_inflight_msgs: settings.max_inflight_msgs,
            max_size_per_msg: settings.max_size_per_msg,
            ..Config::default()
        };
        config.validate()?;
        let store = MemStorage::new_with_conf_state(ConfState::from((voters.to_vec(), vec![])));
        let logger = slog::Logger::root(slog::Discard, slog::o!());
        let raw = RawNode::new(&config, store.clone(), &logger)?;
        Ok(ManualNode { raw, store })
    }

    /// The node's id.
    #[must_use]
    pub fn id(&self) -> u64 {
        self.raw.raft.id
    }

    /// Whether it leads.
    #[must_use]
    pub fn is_leader(&self) -> bool {
        self.raw.raft.state == StateRole::Leader
    }

    /// Its current term.
    #[must_use]
    pub fn term(&self) -> u64 {
        self.raw.raft.term
    }

    /// Its commit index.
    #[must_use]
    pub fn commit(&self) -> u64 {
        self.raw.raft.raft_log.committed
    }

    /// The election timeout it drew (always `election_tick`: see the crate
    /// documentation).
    #[must_use]
    pub fn election_timeout(&self) -> usize {
        self.raw.raft.randomized_election_timeout()
    }

    /// One tick of its clock.
    pub fn tick(&mut self) {
        self.raw.tick();
    }

    /// Starts an election now.
    ///
    /// # Errors
    /// raft-rs's refusal.
    pub fn campaign(&mut self) -> Result<(), raft::Error> {
        self.raw.campaign()
    }

    /// Proposes an entry carrying `data`.
    ///
    /// # Errors
    /// Not the leader, or raft-rs's flow control refused it.
    pub fn propose(&mut self, data: Vec<u8>) -> Result<(), raft::Error> {
        self.raw.propose(Vec::new(), data)
    }

    /// A message from another node.
    ///
    /// # Errors
    /// raft-rs refuses it (a message meant for another node, say).
    pub fn step(&mut self, message: Message) -> Result<(), raft::Error> {
        self.raw.step(message)
    }

    /// Whether a Ready waits.
    #[must_use]
    pub fn has_ready(&self) -> bool {
        self.raw.has_ready()
    }

    /// Runs one Ready the way raft-rs's contract asks: messages that may
    /// leave at once; a snapshot, then the entries and hard state written
    /// ("persisted" in memory); committed entries applied; the messages
    /// that waited for the write; advance, and what the advance hands back.
    ///
    /// # Panics
    /// If the in-memory storage refuses raft-rs's own entries or snapshot
    /// (a broken contract between raft-rs and its storage).
    pub fn handle_ready(&mut self) -> Handled {
        let mut handled = Handled::default();
        if !self.raw.has_ready() {
            return handled;
        }
        let mut ready = self.raw.ready();
        handled.messages.extend(ready.take_messages());
        if !ready.snapshot().is_empty() {
            self.store
                .wl()
                .apply_snapshot(ready.snapshot().clone())
                .expect("raft-rs's own snapshot applies");
        }
        Self::apply(&mut handled, ready.take_committed_entries());
        if !ready.entries().is_empty() {
            handled.persisted_bytes += ready
                .entries()
                .iter()
                .map(|e| e.data.len() as u64)
                .sum::<u64>();
            self.store
                .wl()
                .append(ready.entries())
                .expect("raft-rs's own entries append");
        }
        if let Some(hard_state) = ready.hs() {
            self.store.wl().set_hardstate(hard_state.clone());
        }
        handled.messages.extend(ready.take_persisted_messages());
        let mut light = self.raw.advance(ready);
        if let Some(commit) = light.commit_index() {
            self.store.wl().mut_hard_state().set_commit(commit);
        }
        handled.messages.extend(light.take_messages());
        Self::apply(&mut handled, light.take_committed_entries());
        self.raw.advance_apply();
        handled
    }

    fn apply(handled: &mut Handled, entries: Vec<Entry>) {
        handled.applied.extend(
            entries
                .into_iter()
                .filter(|e| e.get_entry_type() == EntryType::EntryNormal && !e.data.is_empty()),
        );
    }
}

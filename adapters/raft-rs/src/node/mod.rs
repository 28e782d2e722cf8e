//! raft-rs behind the simulator's [`RaftNode`]: the same hosts, disks,
//! network, clients and checkers as raft-core.
//!
//! The Ready cycle is raft-rs's asynchronous one (TiKV's): `ready()` writes
//! the Ready's entries and hard state to the node's in-memory store and
//! calls `advance_append_async`; the host makes them durable on the
//! simulated disk, sends what waited, and `advance` reports the Ready
//! persisted (`on_persist_ready`) and applied. The node is stepped and
//! ticked while a write is on the disk, as raft-rs allows in that mode.
//!
//! Glue the adapter adds, each because raft-rs leaves it to its host:
//! - **jitter**: raft-rs draws election timeouts from `rand::thread_rng`.
//!   After every call the adapter sets the timeout to its own draw from
//!   the node's seed, redrawn when raft-rs would redraw (a change of term,
//!   role or leader); raft-rs reads the timeout only when it ticks, so its
//!   own draw is never used.
//! - **reads that never come back**: raft-rs drops a read it cannot serve
//!   (no leader, a leader that has not committed in its term, a lost
//!   forward) without saying so. The adapter fails a read when the term,
//!   role or leader changes, and after two election timeouts, as raft-core
//!   does, so that clients are answered.
//! - **snapshots sent are reported finished** when they leave (see
//!   `wire`): the network never tells a sender what became of a message.
//! - **proposals go to the leader**: the adapter refuses a proposal on a
//!   follower (raft-rs would forward it) and the host redirects the
//!   client, as with raft-core; so too a leader transfer.

use std::collections::BTreeMap;

use raft::eraftpb::{self, MessageType};
use raft::{RawNode, ReadOnlyOption, StateRole};
use raft_core::{
    ConfChange, ConfState, Config, Entry, EntryId, Error, LogIndex, NodeId, ReadFailure, ReadMode,
    ReadOutcome, ReadState, Restored, Role, SnapshotMeta, SoftState, Term,
};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sim::sut::{
    Capabilities, ForeignMessage, LogView, NodeProtocolState, NodeReady, RaftNode, Sut, WireMessage,
};

use crate::convert;

mod fingerprint;
mod replay;
use crate::storage::LogStore;
use replay::Input;

/// tikv's raft-rs, for `--sut raft-rs`.
pub const SUT: Sut = Sut {
    name: "raft-rs",
    build,
    capabilities: Capabilities {
        membership: false,
        leader_transfer: true,
        read_index: true,
        lease_reads: true,
        snapshots: true,
        raft_rule_breaks: false,
        symmetry: false,
    },
};

/// Builds a raft-rs node from raft-core's settings and what the disk held.
///
/// # Errors
/// raft-rs refuses the settings or the restored state.
#[allow(clippy::needless_pass_by_value)] // the shape of `sim::sut::BuildNode`
pub fn build(config: Config, restored: Restored) -> Result<Box<dyn RaftNode>, Error> {
    Ok(Box::new(RaftRsNode::new(&config, &restored)?))
}

/// One raft-rs node (see the module documentation).
pub struct RaftRsNode {
    raw: RawNode<LogStore>,
    /// The election timeout in force, drawn from `jitter`.
    election_timeout: usize,
    jitter: ChaCha8Rng,
    /// (term, role, leader) when the timeout was drawn.
    epoch: (u64, StateRole, u64),
    /// The outstanding Ready's number.
    outstanding: Option<u64>,
    /// The last committed index handed out to apply.
    handed_to_apply: u64,
    /// Reads asked and not yet answered: context → ticks waited.
    reads: BTreeMap<u64, u64>,
    /// Reads the adapter failed, to hand out.
    failed_reads: Vec<ReadState>,
    /// The log in raft-core's vocabulary (what `log()` lends), and what of
    /// raft-rs's unstable entries it last copied.
    mirror: Vec<Entry>,
    mirror_base: EntryId,
    mirror_unstable: (u64, usize, u64),
    conf: ConfState,
    /// How it was built and everything asked of it since (fork by replay);
    /// `None` once longer than `REPLAY_INPUTS_MAX`.
    boot: (Config, Restored),
    inputs: Option<Vec<Input>>,
}

impl std::fmt::Debug for RaftRsNode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RaftRsNode")
            .field("id", &self.raw.raft.id)
            .field("term", &self.raw.raft.term)
            .field("role", &self.raw.raft.state)
            .field("last", &self.raw.raft.raft_log.last_index())
            .field("commit", &self.raw.raft.raft_log.committed)
            .finish_non_exhaustive()
    }
}

fn refused(why: impl std::fmt::Display) -> Error {
    Error::InvalidConfig(format!("raft-rs: {why}"))
}

fn role(state: StateRole) -> Role {
    match state {
        StateRole::Leader => Role::Leader,
        StateRole::Candidate => Role::Candidate,
        StateRole::PreCandidate => Role::PreCandidate,
        StateRole::Follower => Role::Follower,
    }
}

impl RaftRsNode {
    /// A node from raft-core's settings (the ones raft-rs shares) and what
    /// its disk held.
    ///
    /// # Errors
    /// raft-rs refuses the settings or the restored state.
    pub fn new(config: &Config, restored: &Restored) -> Result<RaftRsNode, Error> {
        let boot = (config.clone(), restored.clone());
        let election_tick = usize::try_from(config.election_ticks).map_err(refused)?;
        let settings = raft::Config {
            id: config.id.0,
            election_tick,
            heartbeat_tick: usize::try_from(config.heartbeat_ticks).map_err(refused)?,
            applied: restored.applied.0,
            max_size_per_msg: config.max_size_per_msg_bytes,
            max_inflight_msgs: usize::try_from(config.max_inflight_msgs).map_err(refused)?,
            check_quorum: config.check_quorum,
            pre_vote: config.pre_vote,
            read_only_option: match config.read_mode {
                ReadMode::Safe => ReadOnlyOption::Safe,
                ReadMode::LeaseBased => ReadOnlyOption::LeaseBased,
            },
            max_committed_size_per_ready: config.max_committed_bytes_per_ready,
            ..raft::Config::default()
        };
        settings.validate().map_err(refused)?;
        let conf = restored
            .snapshot
            .as_ref()
            .map_or_else(|| bootstrap_conf(config), |s| s.meta.conf.clone());
        let store = LogStore {
            hard_state: convert::hard_state_back(&restored.hard_state),
            conf_state: convert::conf_state_back(&conf),
            snapshot: restored.snapshot.as_ref().map_or_else(
                || {
                    let mut empty = eraftpb::Snapshot::default();
                    empty
                        .mut_metadata()
                        .set_conf_state(convert::conf_state_back(&conf));
                    empty
                },
                convert::snapshot_back,
            ),
            entries: restored.entries.iter().map(convert::entry_back).collect(),
        };
        let mirror_base = restored
            .snapshot
            .as_ref()
            .map_or_else(EntryId::default, |s| s.meta.last);
        let logger = slog::Logger::root(slog::Discard, slog::o!());
        let raw = RawNode::new(&settings, store, &logger).map_err(refused)?;
        let mut node = RaftRsNode {
            epoch: (raw.raft.term, raw.raft.state, raw.raft.leader_id),
            raw,
            election_timeout: election_tick,
            jitter: ChaCha8Rng::seed_from_u64(config.seed ^ config.id.0.rotate_left(32)),
            outstanding: None,
            handed_to_apply: restored.applied.0,
            reads: BTreeMap::new(),
            failed_reads: Vec::new(),
            mirror: restored.entries.clone(),
            mirror_base,
            mirror_unstable: (0, 0, 0),
            conf,
            boot,
            inputs: Some(Vec::new()),
        };
        node.redraw_election_timeout();
        node.after_input();
        Ok(node)
    }

    fn redraw_election_timeout(&mut self) {
        let base = self.raw.raft.election_timeout();
        self.election_timeout = self.jitter.random_range(base..2 * base);
    }

    /// After every call: the election timeout (see the module
    /// documentation), reads failed by a change of leadership, the mirror.
    fn after_input(&mut self) {
        let raft = &self.raw.raft;
        let epoch = (raft.term, raft.state, raft.leader_id);
        if epoch != self.epoch {
            self.epoch = epoch;
            self.redraw_election_timeout();
            self.fail_reads(ReadFailure::LeadershipLost);
        }
        self.raw
            .raft
            .set_randomized_election_timeout(self.election_timeout);
        self.sync_mirror();
    }

    fn fail_reads(&mut self, why: ReadFailure) {
        for context in std::mem::take(&mut self.reads).into_keys() {
            self.failed_reads.push(ReadState {
                context,
                outcome: ReadOutcome::Failed(why),
            });
        }
    }

    /// Copies raft-rs's unstable entries into the mirror when they changed
    /// (the stored ones were copied as they were written).
    fn sync_mirror(&mut self) {
        let unstable = &self.raw.raft.raft_log.unstable;
        if let Some(snapshot) = &unstable.snapshot {
            let meta = snapshot.get_metadata();
            if self.mirror_base.index.0 != meta.index {
                self.mirror_base = EntryId {
                    index: LogIndex(meta.index),
                    term: Term(meta.term),
                };
                self.mirror.clear();
            }
        }
        let Some(last) = unstable.entries.last() else {
            return;
        };
        let seen = (unstable.offset, unstable.entries.len(), last.term);
        if seen == self.mirror_unstable {
            return;
        }
        self.mirror_unstable = seen;
        let keep = unstable.offset.saturating_sub(self.mirror_base.index.0 + 1);
        self.mirror
            .truncate(usize::try_from(keep).expect("a log fits in memory"));
        self.mirror
            .extend(unstable.entries.iter().map(convert::entry));
    }

    /// Messages on their way to the wire. A snapshot sent is reported
    /// finished at once: raft-rs waits for its host's transport to say
    /// how a snapshot went, and the simulated network, like UDP, never
    /// says; reported, the leader probes the follower next, and sends the
    /// snapshot again if it was lost.
    fn wire(&mut self, messages: Vec<eraftpb::Message>) -> Vec<WireMessage> {
        for m in &messages {
            if m.get_msg_type() == MessageType::MsgSnapshot {
                self.raw.report_snapshot(m.to, raft::SnapshotStatus::Finish);
            }
        }
        messages
            .into_iter()
            .filter_map(|m| {
                let seen = convert::described(&m)?;
                let bytes = protobuf::Message::write_to_bytes(&m).expect("raft-rs encodes");
                Some(WireMessage::Foreign(Box::new(ForeignMessage {
                    seen,
                    bytes,
                })))
            })
            .collect()
    }

    fn leader_hint(&self) -> Option<NodeId> {
        convert::node(self.raw.raft.leader_id)
    }

    fn not_leader(&self) -> Error {
        Error::NotLeader {
            leader: self.leader_hint(),
        }
    }

    fn is_leader(&self) -> bool {
        self.raw.raft.state == StateRole::Leader
    }

    fn local(&mut self, kind: MessageType) {
        let message = eraftpb::Message {
            msg_type: kind,
            from: self.raw.raft.id,
            ..Default::default()
        };
        // A local message goes to the `Raft` itself: `RawNode::step`
        // refuses local messages (it would have made these timers no-ops).
        let _ = self.raw.raft.step(message);
    }

    fn step_decoded(&mut self, message: eraftpb::Message) -> Result<(), Error> {
        self.record(Input::Step(message.clone()));
        if message.to != self.raw.raft.id {
            return Err(Error::WrongRecipient {
                to: NodeId(message.to),
                me: NodeId(self.raw.raft.id),
            });
        }
        if raft::raw_node::is_local_msg(message.get_msg_type()) {
            return Err(Error::MalformedMessage(format!(
                "a local {:?} on the wire",
                message.get_msg_type()
            )));
        }
        let result = match self.raw.step(message) {
            // raft-rs's answer to a message from a peer it no longer
            // tracks: ignored, as raft-rs's own hosts do.
            Err(raft::Error::StepPeerNotFound) | Ok(()) => Ok(()),
            Err(err) => Err(Error::MalformedMessage(format!("raft-rs: {err}"))),
        };
        self.after_input();
        result
    }

    fn read_states(&mut self, states: Vec<raft::ReadState>) -> Vec<ReadState> {
        let mut out = std::mem::take(&mut self.failed_reads);
        for state in states {
            let context = convert::context_of(&state.request_ctx);
            if self.reads.remove(&context).is_some() {
                out.push(ReadState {
                    context,
                    outcome: ReadOutcome::Ready {
                        index: LogIndex(state.index),
                    },
                });
            }
        }
        out
    }
}

/// The configuration of a fresh cluster: the voters and learners named in
/// the settings.
fn bootstrap_conf(config: &Config) -> ConfState {
    ConfState {
        voters: config.voters.clone(),
        voters_outgoing: std::collections::BTreeSet::new(),
        learners: config.learners.clone(),
    }
}

impl RaftNode for RaftRsNode {
    fn tick(&mut self) {
        self.record(Input::Tick);
        self.raw.tick();
        let limit = 2 * self.raw.raft.election_timeout() as u64;
        let mut timed_out = Vec::new();
        for (context, waited) in &mut self.reads {
            *waited += 1;
            if *waited > limit {
                timed_out.push(*context);
            }
        }
        for context in timed_out {
            self.reads.remove(&context);
            self.failed_reads.push(ReadState {
                context,
                outcome: ReadOutcome::Failed(ReadFailure::TimedOut),
            });
        }
        self.after_input();
    }

    fn step(&mut self, message: WireMessage) -> Result<(), Error> {
        let WireMessage::Foreign(foreign) = message else {
            return Err(Error::MalformedMessage(
                "a raft-core message to a raft-rs node".to_string(),
            ));
        };
        let decoded = <eraftpb::Message as protobuf::Message>::parse_from_bytes(&foreign.bytes)
            .map_err(|err| {
                Error::MalformedMessage(format!("undecodable raft-rs message: {err}"))
            })?;
        self.step_decoded(decoded)
    }

    fn propose(&mut self, data: Vec<u8>) -> Result<LogIndex, Error> {
        self.record(Input::Propose(data.clone()));
        if !self.is_leader() {
            return Err(self.not_leader());
        }
        let result = match self.raw.propose(Vec::new(), data) {
            Ok(()) => Ok(LogIndex(self.raw.raft.raft_log.last_index())),
            Err(_) => match self.raw.raft.lead_transferee {
                Some(to) => Err(Error::LeaderTransferring { to: NodeId(to) }),
                None => Err(self.not_leader()),
            },
        };
        self.after_input();
        result
    }

    fn propose_conf_change(&mut self, _change: &ConfChange) -> Result<LogIndex, Error> {
        Err(Error::ConfChangeNotNow(
            "the raft-rs adapter does not drive membership changes".to_string(),
        ))
    }

    fn conf_change_allowed(&self, _change: &ConfChange) -> Result<(), Error> {
        Err(Error::ConfChangeNotNow(
            "the raft-rs adapter does not drive membership changes".to_string(),
        ))
    }

    fn transfer_leader(&mut self, to: NodeId) -> Result<(), Error> {
        self.record(Input::TransferLeader(to));
        if !self.is_leader() {
            return Err(self.not_leader());
        }
        if to.0 == self.raw.raft.id || !self.conf.voters.contains(&to) {
            return Err(Error::InvalidTransfer(format!(
                "{} is not another voter",
                to.0
            )));
        }
        self.raw.transfer_leader(to.0);
        self.after_input();
        Ok(())
    }

    fn read_index(&mut self, context: u64) -> Result<(), Error> {
        self.record(Input::ReadIndex(context));
        if self.raw.raft.leader_id == 0 {
            return Err(self.not_leader());
        }
        self.reads.insert(context, 0);
        self.raw.read_index(convert::context_bytes(context));
        self.after_input();
        Ok(())
    }

    fn campaign(&mut self) {
        self.record(Input::Campaign);
        let _ = self.raw.campaign();
        self.after_input();
    }

    fn heartbeat_timeout(&mut self) {
        self.record(Input::Heartbeat);
        self.local(MessageType::MsgBeat);
        self.after_input();
    }

    fn check_quorum_timeout(&mut self) {
        self.record(Input::CheckQuorum);
        if self.is_leader() {
            self.local(MessageType::MsgCheckQuorum);
        }
        self.after_input();
    }

    fn compact(&mut self, index: LogIndex, data: Vec<u8>) -> Result<(), Error> {
        self.record(Input::Compact(index, data.clone()));
        let applied = LogIndex(self.raw.raft.raft_log.applied);
        if index > applied {
            return Err(Error::CompactBeyondApplied { index, applied });
        }
        // The log starts after the newest snapshot, the store's or one
        // installed and not yet handed out (raft-rs's unstable snapshot,
        // which replaces the store at the next Ready).
        let start = self.mirror_base.index;
        if index <= start {
            return Err(Error::StaleCompaction {
                index,
                snapshot: start,
            });
        }
        let store = self.raw.store();
        let term = store.term_at(index.0).expect("an applied entry is held");
        let mut snapshot = eraftpb::Snapshot {
            data: data.into(),
            ..Default::default()
        };
        let meta = snapshot.mut_metadata();
        meta.index = index.0;
        meta.term = term;
        meta.set_conf_state(convert::conf_state_back(&self.conf));
        self.raw.mut_store().compact(snapshot);
        let drop = usize::try_from(index.0 - self.mirror_base.index.0).expect("fits");
        self.mirror.drain(..drop.min(self.mirror.len()));
        self.mirror_base = EntryId {
            index,
            term: Term(term),
        };
        self.after_input();
        Ok(())
    }

    fn has_ready(&self) -> bool {
        self.raw.has_ready() || !self.failed_reads.is_empty()
    }

    fn ready(&mut self) -> NodeReady {
        self.record(Input::Ready);
        let mut rd = self.raw.ready();
        let number = rd.number();
        let mut handed = NodeReady {
            soft_state: rd.ss().map(|ss| SoftState {
                role: role(ss.raft_state),
                leader: convert::node(ss.leader_id),
            }),
            hard_state: rd.hs().map(convert::hard_state),
            must_sync: rd.must_sync(),
            ..NodeReady::default()
        };
        let read_states = rd.take_read_states();
        handed.read_states = self.read_states(read_states);
        handed.messages = self.wire(rd.take_messages());
        if !rd.snapshot().is_empty() {
            let snapshot = rd.snapshot().clone();
            self.conf = convert::conf_state(snapshot.get_metadata().get_conf_state());
            // The host restores its state machine from it: applied.
            self.handed_to_apply = self.handed_to_apply.max(snapshot.get_metadata().index);
            handed.snapshot = Some(convert::snapshot(&snapshot));
            self.raw.mut_store().install(snapshot);
        }
        let entries = rd.take_entries();
        self.raw.mut_store().append(&entries);
        handed.entries = entries.iter().map(convert::entry).collect();
        if let Some(hard_state) = rd.hs() {
            self.raw.mut_store().hard_state = hard_state.clone();
        }
        let committed = rd.take_committed_entries();
        if let Some(last) = committed.last() {
            self.handed_to_apply = last.index;
        }
        handed.committed_entries = committed.iter().map(convert::entry).collect();
        handed.messages_after_persist = self.wire(rd.take_persisted_messages());
        self.raw.advance_append_async(rd);
        self.outstanding = Some(number);
        // The store now holds what the unstable log did: rebuild the
        // mirror's view of it from the store on the next change.
        self.after_input();
        handed
    }

    fn advance(&mut self, _ready: NodeReady) {
        self.record(Input::Advance);
        let number = self
            .outstanding
            .take()
            .expect("advance() with no Ready outstanding");
        self.raw.on_persist_ready(number);
        self.raw.advance_apply_to(self.handed_to_apply);
        self.after_input();
    }

    fn take_messages(&mut self) -> Vec<WireMessage> {
        self.record(Input::TakeMessages);
        if !self.is_leader() {
            return Vec::new();
        }
        let messages = std::mem::take(&mut self.raw.raft.msgs);
        self.wire(messages)
    }

    fn take_read_states(&mut self) -> Vec<ReadState> {
        self.record(Input::TakeReadStates);
        let states = std::mem::take(&mut self.raw.raft.read_states);
        self.read_states(states)
    }

    fn id(&self) -> NodeId {
        NodeId(self.raw.raft.id)
    }

    fn role(&self) -> Role {
        role(self.raw.raft.state)
    }

    fn term(&self) -> Term {
        Term(self.raw.raft.term)
    }

    fn vote(&self) -> Option<NodeId> {
        convert::node(self.raw.raft.vote)
    }

    fn leader(&self) -> Option<NodeId> {
        self.leader_hint()
    }

    fn log(&self) -> LogView<'_> {
        let log = &self.raw.raft.raft_log;
        LogView {
            snapshot: self.mirror_base,
            entries: &self.mirror,
            committed: LogIndex(log.committed),
            applied: LogIndex(log.applied),
        }
    }

    fn conf(&self) -> &ConfState {
        &self.conf
    }

    fn conf_at(&self, _index: LogIndex) -> &ConfState {
        // Without membership changes one configuration is in force at
        // every index.
        &self.conf
    }

    fn matched_indexes(&self) -> Vec<(NodeId, LogIndex)> {
        if !self.is_leader() {
            return Vec::new();
        }
        let mut matched: Vec<_> = self
            .raw
            .raft
            .prs()
            .iter()
            .map(|(id, pr)| (NodeId(*id), LogIndex(pr.matched)))
            .collect();
        matched.sort();
        matched
    }

    fn snapshot_meta(&self, index: LogIndex) -> Option<SnapshotMeta> {
        let term = self.log().term(index)?;
        Some(SnapshotMeta {
            last: EntryId { index, term },
            conf: self.conf.clone(),
        })
    }

    fn in_lease(&self) -> bool {
        self.raw.raft.in_lease()
    }

    fn lead_transferee(&self) -> Option<NodeId> {
        self.raw.raft.lead_transferee.map(NodeId)
    }

    fn protocol_state(&self) -> NodeProtocolState<'_> {
        NodeProtocolState::Opaque(xxhash_rust::xxh3::xxh3_128(&self.protocol_bytes()))
    }

    fn clone_node(&self) -> Box<dyn RaftNode> {
        Box::new(self.fork())
    }

    fn hash_everything(&self, state: &mut dyn std::hash::Hasher) {
        state.write(&self.protocol_bytes());
        let raft = &self.raw.raft;
        state.write_usize(raft.election_elapsed);
        state.write_usize(raft.heartbeat_elapsed());
        state.write_usize(self.election_timeout);
        state.write_u128(self.jitter.get_word_pos());
    }
}

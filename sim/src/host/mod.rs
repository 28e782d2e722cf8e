//! A server: raft-core's Ready loop run asynchronously against the simulated
//! disk and network, exactly as a real event loop would — send the leader's
//! appends at once, write, wait for the fsync, then send acknowledgements,
//! apply, advance — plus the key-value state machine and client sessions.
//!
//! The host performs no I/O itself: it reacts to events (a message, a tick,
//! an fsync completed) and leaves its effects in an [`Outbox`], which the
//! world carries out.

use std::collections::{BTreeMap, VecDeque};

use raft_core::{Config, HardState, LogIndex, NodeId, Restored, Role, Snapshot, Term};
use rand::Rng;
use serde::{Deserialize, Serialize};

mod protocol_state;
mod reads;
mod ready_loop;
mod rule_breaks;
mod store;
mod view;

pub use protocol_state::HostProtocolState;
pub use reads::{HostReads, ReadWaiter};
pub use rule_breaks::HostRuleBreaks;
// Re-exported where the checkers' callers have always found them.
pub use crate::observed::{AckClaim, AppliedEntry, DurableLog, RestoredSnapshot, entry_digest};

use crate::disk::{Disk, FileRecords, SyncPoint};
use crate::kv::{ClientId, Command, Kv, Op};
use crate::net::{Endpoint, Packet, Payload, ReplyOutcome};
use crate::read_path::ReadPath;
use crate::slot::NodeSlot;
use crate::sut::{NodeReady, RaftNode, Sut, WireMessage};
use store::Recovered;

/// What a host asks the world to do.
#[derive(Debug, Default)]
pub struct Outbox {
    /// Packets to send.
    pub packets: Vec<Packet>,
    /// An fsync to start (its completion comes back as `on_synced`).
    pub sync: Option<u64>,
    /// Messages raft-core refused as impossible from a correct peer (a
    /// malformed append, an answer from an unknown peer, an append that
    /// would overwrite a committed entry), described: findings for the
    /// checkers.
    pub refused: Vec<String>,
    /// Entries applied to the state machine, in order.
    pub applied: Vec<AppliedEntry>,
    /// What the acknowledgements sent claimed, against the disk.
    pub ack_claims: Vec<AckClaim>,
    /// A snapshot the state machine was restored from (before `applied`).
    pub restored: Option<RestoredSnapshot>,
    /// Whether that snapshot was one the leader sent (not the node's own,
    /// read back at boot).
    pub installed: bool,
    /// Whether the node took a snapshot and compacted its log.
    pub compacted: bool,
}

/// Whether the host's process runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum HostState {
    /// Running.
    Up,
    /// Stopped without losing memory (a GC pause, a stopped VM).
    Paused,
    /// Crashed: only the disk remains.
    Down,
}

/// The most packets a paused host buffers (its socket buffer); more are lost.
pub const PAUSED_INBOX_MAX: usize = 4096;

/// A client request a leader proposed, waiting for its entry to apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Waiter {
    /// The session.
    pub client: ClientId,
    /// Its sequence number.
    pub seq: u64,
    /// The term the entry was proposed in: another term's entry at that
    /// index is someone else's.
    pub term: Term,
}

/// A `Ready` whose writes wait for an fsync.
#[derive(Clone, Debug, Hash, Serialize, Deserialize)]
struct PendingReady {
    ready: NodeReady,
    /// What the fsync makes durable.
    point: SyncPoint,
    /// The fsync's token: only its completion finishes this `Ready`.
    token: u64,
}

/// A snapshot of the host's own state machine being stored: once its fsync
/// completes it is renamed into place and the node compacts its log.
#[derive(Clone, Debug, Hash, Serialize, Deserialize)]
struct PendingCompaction {
    snapshot: Snapshot,
    /// What the fsync makes durable.
    point: SyncPoint,
    /// The fsync's token.
    token: u64,
}

/// An acknowledgement in a `Ready` waiting for its fsync: the index it
/// acknowledges and the term the node's log held there when it was made,
/// compared with the disk when it is sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
struct PendingAck {
    index: LogIndex,
    in_memory: Option<Term>,
}

/// One simulated server.
#[derive(Clone, Debug, Hash)]
pub struct Host {
    /// Its slot in the cluster.
    pub slot: NodeSlot,
    config: Config,
    /// The Raft implementation it runs.
    sut: Sut,
    /// The node, while the process has memory.
    node: Option<Box<dyn RaftNode>>,
    /// The disk, which survives crashes.
    pub disk: Disk,
    kv: Kv,
    /// Running, paused or down.
    pub state: HostState,
    /// The Ready whose writes wait for an fsync, and the fsync's coverage.
    /// (Boxed: a host without a write in progress stays small to copy.)
    pending: Option<Box<PendingReady>>,
    /// An fsync completed while paused: finish the Ready on resume.
    synced_while_paused: Option<u64>,
    next_sync_token: u64,
    /// Client requests this node proposed, by log index.
    waiting: BTreeMap<LogIndex, Waiter>,
    /// Packets that arrived while paused, in order. Bounded by `PAUSED_INBOX_MAX`.
    inbox: VecDeque<Packet>,
    /// Virtual nanoseconds between ticks (drift included).
    pub tick_interval_ns: u64,
    /// The hard state last made durable by an fsync.
    pub synced_hard_state: HardState,
    /// The log the disk holds durably: its snapshot and the entries after.
    pub synced_log: DurableLog,
    /// A snapshot of the host's own state machine waiting for its fsync.
    compacting: Option<Box<PendingCompaction>>,
    /// A compaction was asked for (a scenario's `compact`) while the disk
    /// was busy: it starts once the disk is idle.
    compact_requested: bool,
    /// Snapshot once this many entries were applied since the last one.
    pub snapshot_every_entries: Option<u64>,
    /// Snapshots taken (compactions completed) since the world began.
    pub compactions: u64,
    /// Times the process booted.
    pub boots: u64,
    /// Shut down for good: removed from the cluster, it never boots again.
    pub retired: bool,
    /// Why the last boot failed, if it did.
    pub boot_error: Option<String>,
    /// Test-only rule breaking.
    pub breaks: HostRuleBreaks,
    /// Entries proposed straight to this node so far.
    direct_proposals: u64,
    /// What the acknowledgements of the outstanding `Ready` claim.
    ack_claims: Vec<PendingAck>,
    /// How a client's `get` is served.
    pub read_path: ReadPath,
    /// The last index the state machine applied (or restored a snapshot
    /// at): where confirmed reads may be served.
    applied: LogIndex,
    /// Reads waiting to be confirmed or applied.
    reads: HostReads,
}

impl Host {
    /// A host of `sut` with an empty disk, not yet booted.
    #[must_use]
    pub fn new(slot: NodeSlot, sut: Sut, config: Config, tick_interval_ns: u64) -> Host {
        Host {
            slot,
            config,
            sut,
            node: None,
            disk: Disk::default(),
            kv: Kv::default(),
            state: HostState::Down,
            pending: None,
            synced_while_paused: None,
            next_sync_token: 0,
            waiting: BTreeMap::new(),
            inbox: VecDeque::new(),
            tick_interval_ns,
            synced_hard_state: HardState::default(),
            synced_log: DurableLog::default(),
            compacting: None,
            compact_requested: false,
            snapshot_every_entries: None,
            compactions: 0,
            boots: 0,
            retired: false,
            boot_error: None,
            breaks: HostRuleBreaks::default(),
            direct_proposals: 0,
            ack_claims: Vec::new(),
            read_path: ReadPath::default(),
            reads: HostReads::default(),
            applied: LogIndex(0),
        }
    }

    /// Whether a write waits for its fsync (the riskiest moment to crash).
    #[must_use]
    pub fn is_mid_write(&self) -> bool {
        self.pending.is_some() || self.compacting.is_some()
    }

    /// The Raft node, if the process is alive (up or paused).
    #[must_use]
    pub fn node(&self) -> Option<&dyn RaftNode> {
        self.node.as_deref()
    }

    /// The Raft implementation it runs.
    #[must_use]
    pub fn sut(&self) -> Sut {
        self.sut
    }

    /// The state machine.
    #[must_use]
    pub fn kv(&self) -> &Kv {
        &self.kv
    }

    /// The raft id.
    #[must_use]
    pub fn id(&self) -> NodeId {
        self.slot.id()
    }

    /// Boots from the disk (braft's start-up: read meta, the snapshot,
    /// then the log; the state machine is restored from the snapshot and
    /// rebuilt by re-applying the committed entries after it). Returns
    /// false if the disk could not be read back into a node.
    pub fn boot(&mut self, out: &mut Outbox) -> bool {
        self.boots += 1;
        assert!(
            !(self.breaks.panic_on_restart && self.boots > 1),
            "test-only rule break: {} asserts on restart",
            self.slot
        );
        let Recovered {
            hard_state,
            snapshot,
            entries,
        } = store::recover(&mut self.disk, &self.breaks);
        self.synced_hard_state = hard_state.clone();
        self.synced_log = store::durable_log(&self.disk);
        let kv = match snapshot.as_ref().map(|s| Kv::restore(&s.data)) {
            None => Kv::default(),
            Some(Ok(kv)) => kv,
            Some(Err(why)) => return self.boot_failed(format!("its snapshot: {why}")),
        };
        let applied = snapshot.as_ref().map_or(LogIndex(0), |s| s.meta.last.index);
        out.restored = snapshot.as_ref().map(|s| RestoredSnapshot {
            last: s.meta.last,
            state_digest: kv.digest(),
        });
        let restored = Restored {
            hard_state,
            snapshot,
            entries,
            applied,
        };
        match (self.sut.build)(self.config.clone(), restored) {
            Ok(node) => {
                self.node = Some(node);
                self.kv = kv;
                self.applied = applied;
                self.state = HostState::Up;
                self.boot_error = None;
                true
            }
            Err(err) => self.boot_failed(err.to_string()),
        }
    }

    fn boot_failed(&mut self, why: String) -> bool {
        self.boot_error = Some(why);
        self.state = HostState::Down;
        false
    }

    /// Snapshots the state machine and compacts the log now (a scenario's
    /// `compact`), or as soon as the disk is idle. Nothing to do if nothing
    /// was applied since the last snapshot.
    pub fn request_compaction(&mut self, out: &mut Outbox) {
        if self.state == HostState::Down {
            return;
        }
        self.compact_requested = true;
        self.pump(out);
    }

    /// Starts storing a snapshot of the state machine as of the applied
    /// index, if one is due (asked for, or `snapshot_every_entries` applied
    /// since the last) and the disk is idle: into the temporary file, then
    /// an fsync; the rename and the compaction follow when it completes.
    fn maybe_start_compaction(&mut self, out: &mut Outbox) {
        if self.pending.is_some() || self.compacting.is_some() {
            return;
        }
        let Some(raw) = self.node.as_ref() else {
            return;
        };
        let applied = raw.log().applied();
        // Zero also while an installed snapshot waits to be restored.
        let since = applied.0.saturating_sub(raw.log().snapshot().index.0);
        let due = self
            .snapshot_every_entries
            .is_some_and(|every| since >= every);
        if since == 0 || !(due || self.compact_requested) {
            return;
        }
        self.compact_requested = false;
        let snapshot = Snapshot {
            meta: raw
                .snapshot_meta(applied)
                .expect("the applied entry is held"),
            data: if self.breaks.snapshot_without_sessions {
                self.kv.snapshot_without_sessions()
            } else {
                self.kv.snapshot()
            },
        };
        if self.breaks.compact_before_sync {
            store::write_snapshot_in_place_unsynced(&mut self.disk, &snapshot);
            let index = snapshot.meta.last.index;
            let raw = self.node.as_mut().expect("checked above");
            if raw.compact(index, snapshot.data).is_ok() {
                self.compactions += 1;
                out.compacted = true;
            }
            return;
        }
        store::write_own_snapshot(&mut self.disk, &snapshot);
        let token = self.next_sync_token;
        self.next_sync_token += 1;
        let point = self.disk.sync_point();
        self.compacting = Some(Box::new(PendingCompaction {
            snapshot,
            point,
            token,
        }));
        out.sync = Some(token);
    }

    /// Power loss: memory is gone, unsynced writes are lost or torn.
    pub fn crash(&mut self, torn: bool, rng: &mut impl Rng) {
        self.lose_memory();
        self.disk.crash(torn, rng);
    }

    /// Power loss that keeps the first `meta` and `log` unsynced records
    /// of the node's files (one torn outcome, chosen).
    pub fn crash_keeping(&mut self, kept: FileRecords) {
        self.lose_memory();
        self.disk.crash_keeping(kept);
    }

    /// The process is gone: everything but the disk.
    fn lose_memory(&mut self) {
        self.node = None;
        self.kv = Kv::default();
        self.applied = LogIndex(0);
        self.pending = None;
        self.compacting = None;
        self.compact_requested = false;
        self.synced_while_paused = None;
        self.waiting.clear();
        self.reads = HostReads::default();
        self.inbox.clear();
        self.state = HostState::Down;
    }

    /// Stops the process without losing memory.
    pub fn pause(&mut self) {
        if self.state == HostState::Up {
            self.state = HostState::Paused;
        }
    }

    /// Resumes a paused process: buffered packets and a completed fsync are
    /// handled now, in order.
    pub fn resume(&mut self, out: &mut Outbox) {
        if self.state != HostState::Paused {
            return;
        }
        self.state = HostState::Up;
        if let Some(token) = self.synced_while_paused.take() {
            self.on_synced(token, out);
        }
        while let Some(packet) = self.inbox.pop_front() {
            self.on_packet(packet, out);
        }
        self.pump(out);
    }

    /// One tick of the node's clock.
    pub fn on_tick(&mut self, out: &mut Outbox) {
        if self.state != HostState::Up {
            return;
        }
        if let Some(raw) = self.node.as_mut() {
            raw.tick();
        }
        self.pump(out);
    }

    /// The election timer fires now (a scenario's `campaign`).
    pub fn campaign(&mut self, out: &mut Outbox) {
        if let (HostState::Up, Some(raw)) = (self.state, self.node.as_mut()) {
            raw.campaign();
            self.pump(out);
        }
    }

    /// The leader's heartbeat timer fires now (a scenario's `heartbeat`).
    pub fn heartbeat_timeout(&mut self, out: &mut Outbox) {
        if let (HostState::Up, Some(raw)) = (self.state, self.node.as_mut()) {
            raw.heartbeat_timeout();
            self.pump(out);
        }
    }

    /// The CheckQuorum timer fires now (a scenario's `check-quorum`): a
    /// leader checks that a majority is active, a follower's lease ends.
    pub fn check_quorum_timeout(&mut self, out: &mut Outbox) {
        if let (HostState::Up, Some(raw)) = (self.state, self.node.as_mut()) {
            raw.check_quorum_timeout();
            self.pump(out);
        }
    }

    /// Proposes one entry straight to the node, as if from a local client
    /// (a scenario's manual `propose N on NODE`). Returns the refusal, if any.
    pub fn propose_direct(&mut self, out: &mut Outbox) -> Result<LogIndex, raft_core::Error> {
        let (HostState::Up, Some(raw)) = (self.state, self.node.as_mut()) else {
            return Err(raft_core::Error::NotLeader { leader: None });
        };
        self.direct_proposals += 1;
        let command = Command {
            client: ClientId::MAX,
            seq: self.direct_proposals,
            op: Op::Append {
                key: crate::kv::DIRECT_PROPOSAL_KEY,
                value: self.direct_proposals,
            },
        };
        let result = raw.propose(command.encode());
        self.pump(out);
        result
    }

    /// Proposes a membership change to the node (thesis ch. 4), as an
    /// operator's request to it. Returns the refusal, if any.
    pub fn propose_conf_change(
        &mut self,
        change: &raft_core::ConfChange,
        out: &mut Outbox,
    ) -> Result<LogIndex, raft_core::Error> {
        let (HostState::Up, Some(raw)) = (self.state, self.node.as_mut()) else {
            return Err(raft_core::Error::NotLeader { leader: None });
        };
        let result = raw.propose_conf_change(change);
        self.pump(out);
        result
    }

    /// Asks the node to hand its leadership to `to` (thesis §3.10).
    /// Returns the refusal, if any.
    pub fn transfer_leader(
        &mut self,
        to: NodeId,
        out: &mut Outbox,
    ) -> Result<(), raft_core::Error> {
        let (HostState::Up, Some(raw)) = (self.state, self.node.as_mut()) else {
            return Err(raft_core::Error::NotLeader { leader: None });
        };
        let result = raw.transfer_leader(to);
        self.pump(out);
        result
    }

    /// Whether the process never ran: a spare node no change added yet.
    #[must_use]
    pub fn never_ran(&self) -> bool {
        self.boots == 0
    }

    /// Whether the node is part of the cluster's story: it ran, and was not
    /// retired.
    #[must_use]
    pub fn is_present(&self) -> bool {
        !self.never_ran() && !self.retired
    }

    /// A packet arrived. Returns false if it was lost (host down, or a full
    /// buffer while paused).
    pub fn on_packet(&mut self, packet: Packet, out: &mut Outbox) -> bool {
        match self.state {
            HostState::Down => return false,
            HostState::Paused => {
                if self.inbox.len() >= PAUSED_INBOX_MAX {
                    return false;
                }
                self.inbox.push_back(packet);
                return true;
            }
            HostState::Up => {}
        }
        match packet.payload {
            Payload::Raft(message) => self.step_node(WireMessage::Core(message), out),
            Payload::Foreign(message) => self.step_node(WireMessage::Foreign(message), out),
            Payload::Request(command) => self.on_request(&command, out),
            Payload::Reply { .. } => {}
        }
        self.pump(out);
        true
    }

    /// A message from another node, to the Raft node.
    fn step_node(&mut self, message: WireMessage, out: &mut Outbox) {
        let node = self.node.as_mut().expect("an up host has a node");
        let (from, kind) = (message.seen().from, message.seen().body.kind_name());
        if let Err(err) = node.step(message) {
            let me = self.slot;
            out.refused
                .push(format!("{me} refused a {kind} from {from}: {err}"));
        }
    }

    /// A client request: a `get` goes by the read path; anything else the
    /// leader proposes (or answers a retry from the session table), and
    /// anyone else redirects.
    fn on_request(&mut self, command: &Command, out: &mut Outbox) {
        if self.breaks.mute_after_restart && self.boots > 1 {
            return;
        }
        if let Op::Get { key } = command.op {
            let waiter = ReadWaiter {
                client: command.client,
                seq: command.seq,
                key,
            };
            let leads = self.node.as_ref().is_some_and(|r| r.role() == Role::Leader);
            if self.breaks.local_reads && leads {
                return self.read_locally(waiter, out);
            }
            match self.read_path {
                ReadPath::Index | ReadPath::Lease => return self.read_by_index(waiter, out),
                ReadPath::Local => return self.read_locally(waiter, out),
                ReadPath::Log => {}
            }
        }
        let raw = self.node.as_mut().expect("an up host has a node");
        let reply = |outcome| Packet {
            from: Endpoint::Node(self.slot),
            to: Endpoint::Client(command.client),
            payload: Payload::Reply {
                client: command.client,
                seq: command.seq,
                outcome,
            },
        };
        if raw.role() != Role::Leader {
            let leader = raw.leader().and_then(NodeSlot::of_id);
            out.packets.push(reply(ReplyOutcome::NotLeader { leader }));
            return;
        }
        let cached = self.kv.cached(command.client, command.seq);
        if let Some(output) = cached.filter(|_| !self.breaks.no_dedup) {
            let outcome = ReplyOutcome::Done {
                output: output.clone(),
                entry: None,
            };
            out.packets.push(reply(outcome));
            return;
        }
        // A retry of a command this leader already proposed in its term waits
        // for that entry: proposing it again would only lengthen the log
        // clients wait on (a retry storm under load).
        let waiter = Waiter {
            client: command.client,
            seq: command.seq,
            term: raw.term(),
        };
        if self.waiting.values().any(|w| *w == waiter) {
            return;
        }
        match raw.propose(command.encode()) {
            Ok(index) => {
                self.waiting.insert(index, waiter);
            }
            Err(_) => out.packets.push(reply(ReplyOutcome::Refused)),
        }
    }
}

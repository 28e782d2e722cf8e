//! A server: raft-core's Ready loop run asynchronously against the simulated
//! disk and network, exactly as a real event loop would — send the leader's
//! appends at once, write, wait for the fsync, then send acknowledgements,
//! apply, advance — plus the key-value state machine and client sessions.
//!
//! The host performs no I/O itself: it reacts to events (a message, a tick,
//! an fsync completed) and leaves its effects in an [`Outbox`], which the
//! world carries out.

use std::collections::{BTreeMap, VecDeque};

use raft_core::{
    Config, Entry, EntryId, EntryKind, HardState, LogIndex, NodeId, RawNode, Ready, Restored, Role,
    Term,
};
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::disk::{Disk, SyncPoint};
use crate::kv::{Applied, ClientId, Command, Kv, Op, Output};
use crate::net::{Endpoint, Packet, Payload, ReplyOutcome};

/// What a host asks the world to do.
#[derive(Debug, Default)]
pub struct Outbox {
    /// Packets to send.
    pub packets: Vec<Packet>,
    /// An fsync to start (its completion comes back as `on_synced`).
    pub sync: Option<u64>,
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

/// An applied entry, as the checkers see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AppliedEntry {
    /// Where it was in the log.
    pub id: EntryId,
    /// A digest of its content.
    pub digest: u64,
}

/// The most packets a paused host buffers (its socket buffer); more are lost.
pub const PAUSED_INBOX_MAX: usize = 4096;

/// Rules a host can be told to break, for tests only: they show that the
/// checkers catch a server that cuts corners (never set outside tests).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct HostBugs {
    /// Answer without waiting for the fsync (writes stay in the page cache).
    pub skip_fsync: bool,
    /// Forget the vote when booting from disk.
    pub forget_vote_on_boot: bool,
    /// Boot with the commit index the meta file holds even past the end of
    /// the log that survived (a torn tail): recovery trusts a hint it must
    /// clamp.
    pub trust_commit_on_boot: bool,
    /// Panic when booting again after a crash (an internal assertion that
    /// fails): shows that a panic in the code under test is reported as a
    /// violation with its location and a replay.
    pub panic_on_restart: bool,
    /// After a restart, ignore client requests (the client listener is not
    /// set up again): a liveness bug, operations hang while it leads.
    pub mute_after_restart: bool,
    /// A leader answers a get from its own state machine, without the log
    /// or a heartbeat round: a deposed leader that has not heard of its
    /// successor serves stale reads (the etcd 0.4 bug Jepsen found).
    pub local_reads: bool,
    /// Apply every committed command, retries included: the session table
    /// no longer deduplicates (Raft thesis §6.3), so a retried append whose
    /// first attempt also committed is applied twice.
    pub no_dedup: bool,
    /// Rules raft-core itself breaks (see `raft_core::RuleBreaks`).
    pub raft: raft_core::RuleBreaks,
}

impl HostBugs {
    /// Every rule that can be broken, by its command-line name
    /// (`--break NAME`).
    pub const NAMES: &[&str] = &[
        "skip-fsync",
        "forget-vote-on-boot",
        "trust-commit-on-boot",
        "mute-after-restart",
        "panic-on-restart",
        "local-reads",
        "no-dedup",
        "commit-previous-term",
        "vote-without-log-check",
        "reset-vote-in-same-term",
        "truncate-on-match",
    ];

    /// Turns on the rule named `name` (one of [`HostBugs::NAMES`]); false
    /// if there is no such rule.
    pub fn set(&mut self, name: &str) -> bool {
        let flag = match name {
            "skip-fsync" => &mut self.skip_fsync,
            "forget-vote-on-boot" => &mut self.forget_vote_on_boot,
            "trust-commit-on-boot" => &mut self.trust_commit_on_boot,
            "mute-after-restart" => &mut self.mute_after_restart,
            "panic-on-restart" => &mut self.panic_on_restart,
            "local-reads" => &mut self.local_reads,
            "no-dedup" => &mut self.no_dedup,
            "commit-previous-term" => &mut self.raft.commit_previous_term,
            "vote-without-log-check" => &mut self.raft.vote_without_log_check,
            "reset-vote-in-same-term" => &mut self.raft.reset_vote_in_same_term,
            "truncate-on-match" => &mut self.raft.truncate_on_match,
            _ => return false,
        };
        *flag = true;
        true
    }

    /// The names of the rules broken, in [`HostBugs::NAMES`] order.
    #[must_use]
    pub fn names(&self) -> Vec<&'static str> {
        HostBugs::NAMES
            .iter()
            .copied()
            .filter(|name| {
                let mut with = *self;
                with.set(name);
                with == *self
            })
            .collect()
    }
}

/// One simulated server.
#[derive(Clone, Debug, Hash, Serialize, Deserialize)]
pub struct Host {
    /// 0-based index; the raft id is index + 1.
    pub index: usize,
    config: Config,
    /// The node, while the process has memory.
    raw: Option<RawNode>,
    /// The disk, which survives crashes.
    pub disk: Disk,
    kv: Kv,
    /// Running, paused or down.
    pub state: HostState,
    /// The Ready whose writes wait for an fsync, and the fsync's coverage.
    /// (Boxed: a host without a write in progress stays small to copy.)
    pending: Option<Box<(Ready, SyncPoint, u64)>>,
    /// An fsync completed while paused: finish the Ready on resume.
    synced_while_paused: Option<u64>,
    next_sync_token: u64,
    /// Client requests this node proposed, by log index: (client, seq, term).
    waiting: BTreeMap<LogIndex, (ClientId, u64, Term)>,
    /// Packets that arrived while paused, in order. Bounded by `PAUSED_INBOX_MAX`.
    inbox: VecDeque<Packet>,
    /// Virtual nanoseconds between ticks (drift included).
    pub tick_interval_ns: u64,
    /// The hard state last made durable by an fsync.
    pub synced_hard_state: HardState,
    /// The term of each entry the disk holds durably (index i at i - 1).
    pub synced_log_terms: Vec<Term>,
    /// Entries applied since the checkers last looked, drained by them.
    pub applied_since_check: Vec<AppliedEntry>,
    /// Times the process booted.
    pub boots: u64,
    /// Errors `step` returned (input a correct peer never sends).
    pub step_errors: u64,
    /// Why the last boot failed, if it did.
    pub boot_error: Option<String>,
    /// Test-only rule breaking.
    pub bugs: HostBugs,
    /// Entries proposed straight to this node so far.
    direct_proposals: u64,
    /// What the acknowledgements of the outstanding `Ready` claim.
    ack_claims: Vec<(LogIndex, Option<Term>)>,
    /// Acknowledgements sent for entries not on disk as acknowledged
    /// (taken by the checkers).
    pub false_acks: Vec<String>,
}

/// The first fields of an encoded `Entry` (bincode reads a prefix of the
/// record and leaves the data).
#[derive(Deserialize)]
struct EntryHead {
    #[allow(dead_code)]
    term: Term,
    index: LogIndex,
}

/// A host's protocol state as the model checker sees it (see
/// [`Host::protocol_state`]).
#[derive(Debug, Hash, Serialize)]
pub struct HostProtocolState<'a> {
    state: HostState,
    raw: Option<raft_core::ProtocolState<'a>>,
    disk: CanonicalDisk<'a>,
    kv: &'a Kv,
    pending: Option<PendingWrite<'a>>,
    synced_while_paused: bool,
    waiting: &'a BTreeMap<LogIndex, (ClientId, u64, Term)>,
    synced_hard_state: &'a HardState,
    synced_log_terms: &'a [Term],
    direct_proposals: u64,
}

/// The write a host waits on: what it will make durable and send.
#[derive(Debug, Hash, Serialize)]
struct PendingWrite<'a> {
    hard_state: Option<&'a HardState>,
    entries: &'a [Entry],
    committed_entries: &'a [Entry],
    messages_after_persist: &'a [raft_core::Message],
}

/// A disk as recovery will read it.
#[derive(Debug, Hash, Serialize)]
struct CanonicalDisk<'a> {
    durable_meta: Option<MetaRecord>,
    durable_log: Vec<&'a [u8]>,
    unsynced_meta: Vec<MetaRecord>,
    unsynced_log: Vec<&'a [u8]>,
}

/// A meta record, decoded (so that the node ids in it can be relabeled).
#[derive(Debug, Hash, Serialize)]
enum MetaRecord {
    HardState(HardState),
    Unreadable(Vec<u8>),
}

/// A stable digest of an entry's content, for the checkers.
#[must_use]
pub fn entry_digest(entry: &Entry) -> u64 {
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    hasher.update(&entry.term.0.to_le_bytes());
    hasher.update(&entry.index.0.to_le_bytes());
    hasher.update(&[entry.kind as u8]);
    hasher.update(&entry.data);
    hasher.digest()
}

fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    bincode::serde::encode_to_vec(value, bincode::config::standard()).expect("encodes")
}

fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Option<T> {
    bincode::serde::decode_from_slice(bytes, bincode::config::standard())
        .ok()
        .map(|(value, _)| value)
}

impl Host {
    /// A host with an empty disk, not yet booted.
    #[must_use]
    pub fn new(index: usize, config: Config, tick_interval_ns: u64) -> Host {
        Host {
            index,
            config,
            raw: None,
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
            synced_log_terms: Vec::new(),
            applied_since_check: Vec::new(),
            boots: 0,
            step_errors: 0,
            boot_error: None,
            bugs: HostBugs::default(),
            direct_proposals: 0,
            ack_claims: Vec::new(),
            false_acks: Vec::new(),
        }
    }

    /// Whether a write waits for its fsync (the riskiest moment to crash).
    #[must_use]
    pub fn is_mid_write(&self) -> bool {
        self.pending.is_some()
    }

    /// The raft node, if the process is alive (up or paused).
    #[must_use]
    pub fn raw(&self) -> Option<&RawNode> {
        self.raw.as_ref()
    }

    /// Feeds the host's state into `state` for the model checker: the node's
    /// protocol state (no clock), the disk as recovery reads it, the state
    /// machine, the write in progress and the client bookkeeping; counters
    /// are left out. See [`Host::protocol_state`].
    pub fn hash_protocol_state<H: std::hash::Hasher>(&self, state: &mut H) {
        use std::hash::Hash;
        self.protocol_state().hash(state);
    }

    /// What [`Host::hash_protocol_state`] hashes, as a value (a model
    /// checker also serializes it, to relabel node ids for symmetry).
    #[must_use]
    pub fn protocol_state(&self) -> HostProtocolState<'_> {
        HostProtocolState {
            state: self.state,
            raw: self.raw.as_ref().map(RawNode::protocol_state),
            disk: self.canonical_disk(),
            kv: &self.kv,
            // The sync point is the end of the files when the write was
            // issued (no write starts while one is pending), so the
            // unsynced records of the disk are exactly what it covers.
            pending: self.pending.as_deref().map(|(ready, _, _)| PendingWrite {
                hard_state: ready.hard_state.as_ref(),
                entries: &ready.entries,
                committed_entries: &ready.committed_entries,
                messages_after_persist: &ready.messages_after_persist,
            }),
            synced_while_paused: self.synced_while_paused.is_some(),
            waiting: &self.waiting,
            synced_hard_state: &self.synced_hard_state,
            synced_log_terms: &self.synced_log_terms,
            direct_proposals: self.direct_proposals,
        }
    }

    /// The disk's content as recovery will read it, not its history: the
    /// last durable hard state (earlier meta records are dead), the durable
    /// log after replaying its truncations (an entry at index i replaces
    /// every entry from i on), and the records not yet durable, in order.
    /// Two disks that boot alike and keep the same pending writes are alike
    /// here (the model checker's canonical environment).
    fn canonical_disk(&self) -> CanonicalDisk<'_> {
        let meta = &self.disk.meta;
        let hard_state = |payload: &[u8]| match decode::<HardState>(payload) {
            Some(hard_state) => MetaRecord::HardState(hard_state),
            None => MetaRecord::Unreadable(payload.to_vec()),
        };
        let durable_meta = meta
            .records()
            .take_while(|(_, end)| *end <= meta.durable_len())
            .last()
            .map(|(payload, _)| hard_state(payload));
        let log = &self.disk.log;
        let mut durable_log: Vec<&[u8]> = Vec::new();
        for (payload, end) in log.records() {
            if end > log.durable_len() {
                break;
            }
            // Only the index matters here: decode the entry's head, not
            // its data (no allocation).
            let Some(head) = decode::<EntryHead>(payload) else {
                break;
            };
            durable_log.truncate(head.index.0.saturating_sub(1) as usize);
            durable_log.push(payload);
        }
        CanonicalDisk {
            durable_meta,
            durable_log,
            unsynced_meta: meta
                .records()
                .filter(|(_, end)| *end > meta.durable_len())
                .map(|(payload, _)| hard_state(payload))
                .collect(),
            unsynced_log: log
                .records()
                .filter(|(_, end)| *end > log.durable_len())
                .map(|(payload, _)| payload)
                .collect(),
        }
    }

    /// The state machine.
    #[must_use]
    pub fn kv(&self) -> &Kv {
        &self.kv
    }

    /// The raft id.
    #[must_use]
    pub fn id(&self) -> NodeId {
        NodeId(self.index as u64 + 1)
    }

    /// Boots from the disk (braft's start-up: read meta, then the log; the
    /// state machine is rebuilt by re-applying committed entries). Returns
    /// false if the disk could not be read back into a node.
    pub fn boot(&mut self) -> bool {
        self.boots += 1;
        assert!(
            !(self.bugs.panic_on_restart && self.boots > 1),
            "test-only rule break: n{} asserts on restart",
            self.index + 1
        );
        let hard_state = self
            .disk
            .meta
            .recover_records()
            .last()
            .and_then(|bytes| decode::<HardState>(bytes))
            .unwrap_or_default();
        let mut entries: Vec<Entry> = Vec::new();
        for record in self.disk.log.recover_records() {
            let Some(entry) = decode::<Entry>(&record) else {
                break;
            };
            // An entry at index i replaces every entry from i on.
            let keep = entry.index.0.saturating_sub(1) as usize;
            if keep > entries.len() {
                break; // a gap: the rest of the file cannot be trusted
            }
            entries.truncate(keep);
            entries.push(entry);
        }
        let last_index = entries.last().map_or(LogIndex(0), |e| e.index);
        // The commit index is only a hint (never needed for safety); meta and
        // log are synced together, so it can only run ahead of the log when
        // neither write was acknowledged.
        // Meta and log are separate files: a torn crash can keep a log
        // record whose hard state was lost. Neither was synced, so nothing
        // was acknowledged from them; the node did see that term, so it
        // resumes there, with no vote (a vote is only sent once synced).
        let last_term = entries.last().map_or(Term(0), |e| e.term);
        let hard_state = if last_term > hard_state.term {
            HardState {
                term: last_term,
                vote: None,
                commit: hard_state.commit,
            }
        } else {
            hard_state
        };
        let commit = if self.bugs.trust_commit_on_boot {
            hard_state.commit
        } else {
            hard_state.commit.min(last_index)
        };
        let hard_state = HardState {
            commit,
            ..hard_state
        };
        let hard_state = if self.bugs.forget_vote_on_boot {
            HardState {
                vote: None,
                ..hard_state
            }
        } else {
            hard_state
        };
        self.synced_hard_state = hard_state.clone();
        self.synced_log_terms = entries.iter().map(|e| e.term).collect();
        let restored = Restored {
            hard_state,
            snapshot: None,
            entries,
            applied: LogIndex(0),
        };
        match RawNode::new(self.config.clone(), restored) {
            Ok(raw) => {
                self.raw = Some(raw);
                self.kv = Kv::default();
                self.state = HostState::Up;
                self.boot_error = None;
                true
            }
            Err(err) => {
                self.boot_error = Some(err.to_string());
                self.state = HostState::Down;
                false
            }
        }
    }

    /// Power loss: memory is gone, unsynced writes are lost or torn.
    pub fn crash(&mut self, torn: bool, rng: &mut impl Rng) {
        self.raw = None;
        self.kv = Kv::default();
        self.pending = None;
        self.synced_while_paused = None;
        self.waiting.clear();
        self.inbox.clear();
        self.state = HostState::Down;
        self.disk.crash(torn, rng);
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
        if let Some(raw) = self.raw.as_mut() {
            raw.tick();
        }
        self.pump(out);
    }

    /// The election timer fires now (a scenario's `campaign`).
    pub fn campaign(&mut self, out: &mut Outbox) {
        if let (HostState::Up, Some(raw)) = (self.state, self.raw.as_mut()) {
            raw.campaign();
            self.pump(out);
        }
    }

    /// The leader's heartbeat timer fires now (a scenario's `heartbeat`).
    pub fn heartbeat_timeout(&mut self, out: &mut Outbox) {
        if let (HostState::Up, Some(raw)) = (self.state, self.raw.as_mut()) {
            raw.heartbeat_timeout();
            self.pump(out);
        }
    }

    /// The CheckQuorum timer fires now (a scenario's `check-quorum`): a
    /// leader checks that a majority is active, a follower's lease ends.
    pub fn check_quorum_timeout(&mut self, out: &mut Outbox) {
        if let (HostState::Up, Some(raw)) = (self.state, self.raw.as_mut()) {
            raw.check_quorum_timeout();
            self.pump(out);
        }
    }

    /// Proposes one entry straight to the node, as if from a local client
    /// (a scenario's manual `propose N on NODE`). Returns the refusal, if any.
    pub fn propose_direct(&mut self, out: &mut Outbox) -> Result<LogIndex, raft_core::Error> {
        let (HostState::Up, Some(raw)) = (self.state, self.raw.as_mut()) else {
            return Err(raft_core::Error::NotLeader { leader: None });
        };
        self.direct_proposals += 1;
        let command = Command {
            client: ClientId::MAX,
            seq: self.direct_proposals,
            op: Op::Append {
                key: 0,
                value: self.direct_proposals,
            },
        };
        let result = raw.propose(command.encode());
        self.pump(out);
        result
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
            Payload::Raft(message) => {
                let raw = self.raw.as_mut().expect("an up host has a node");
                if raw.step(message).is_err() {
                    self.step_errors += 1;
                }
            }
            Payload::Request(command) => self.on_request(&command, out),
            Payload::Reply { .. } => {}
        }
        self.pump(out);
        true
    }

    /// A client request: the leader proposes it (or answers a retry from the
    /// session table); anyone else redirects.
    fn on_request(&mut self, command: &Command, out: &mut Outbox) {
        if self.bugs.mute_after_restart && self.boots > 1 {
            return;
        }
        let raw = self.raw.as_mut().expect("an up host has a node");
        let reply = |outcome| Packet {
            from: Endpoint::Node(self.index),
            to: Endpoint::Client(command.client),
            payload: Payload::Reply {
                client: command.client,
                seq: command.seq,
                outcome,
            },
        };
        if raw.role() != Role::Leader {
            let leader = raw.leader().map(|id| id.0 as usize - 1);
            out.packets.push(reply(ReplyOutcome::NotLeader { leader }));
            return;
        }
        if let (true, Op::Get { key }) = (self.bugs.local_reads, &command.op) {
            let outcome = ReplyOutcome::Done {
                output: Output::Read(self.kv.read(*key)),
                entry: None,
            };
            out.packets.push(reply(outcome));
            return;
        }
        let cached = self.kv.cached(command.client, command.seq);
        if let Some(output) = cached.filter(|_| !self.bugs.no_dedup) {
            let outcome = ReplyOutcome::Done {
                output: output.clone(),
                entry: None,
            };
            out.packets.push(reply(outcome));
            return;
        }
        match raw.propose(command.encode()) {
            Ok(index) => {
                let term = raw.term();
                self.waiting
                    .insert(index, (command.client, command.seq, term));
            }
            Err(_) => out.packets.push(reply(ReplyOutcome::Refused)),
        }
    }

    /// The fsync `token` completed.
    pub fn on_synced(&mut self, token: u64, out: &mut Outbox) {
        let Some((_, point, pending_token)) = self.pending.as_deref() else {
            return;
        };
        if *pending_token != token {
            return;
        }
        let point = *point;
        if self.state == HostState::Paused {
            // The disk finished; the process will notice when it resumes.
            self.disk.synced(point);
            self.synced_while_paused = Some(token);
            return;
        }
        self.disk.synced(point);
        let (ready, _, _) = *self.pending.take().expect("checked above");
        if let Some(hard_state) = &ready.hard_state {
            self.synced_hard_state = hard_state.clone();
        }
        if let Some(first) = ready.entries.first() {
            // An entry at index i replaces every entry from i on.
            self.synced_log_terms.truncate(first.index.0 as usize - 1);
            self.synced_log_terms
                .extend(ready.entries.iter().map(|e| e.term));
        }
        self.finish(ready, out);
        self.pump(out);
    }

    /// Runs the Ready loop until it waits for the disk or has nothing to do.
    /// Bounded: each round hands out new work or stops.
    pub fn pump(&mut self, out: &mut Outbox) {
        for _ in 0..1000 {
            if self.state != HostState::Up {
                return;
            }
            if self.pending.is_some() {
                // The disk is busy; the leader's replication need not wait.
                if let Some(raw) = self.raw.as_mut() {
                    let messages = raw.take_messages();
                    self.send_raft(messages, out);
                }
                return;
            }
            let Some(raw) = self.raw.as_mut() else { return };
            if !raw.has_ready() {
                return;
            }
            let mut ready = raw.ready();
            // What each acknowledgement claims, as the node's log stood when
            // it was made: checked against the disk when it is sent.
            let claims: Vec<(LogIndex, Option<Term>)> = ready
                .messages_after_persist
                .iter()
                .filter_map(|m| match m.body {
                    raft_core::MessageBody::AppendResponse {
                        index,
                        reject: None,
                    } => Some((index, raw.log().term(index))),
                    _ => None,
                })
                .collect();
            self.ack_claims = claims;
            self.send_raft(std::mem::take(&mut ready.messages), out);
            if let Some(hard_state) = &ready.hard_state {
                self.disk.meta.append_record(&encode(hard_state));
            }
            for entry in &ready.entries {
                self.disk.log.append_record(&encode(entry));
            }
            if ready.must_sync && !self.bugs.skip_fsync {
                let token = self.next_sync_token;
                self.next_sync_token += 1;
                self.pending = Some(Box::new((ready, self.disk.sync_point(), token)));
                out.sync = Some(token);
                return;
            }
            self.finish(ready, out);
        }
        panic!(
            "host {} Ready loop did not settle in 1000 rounds",
            self.index
        );
    }

    /// The Ready's writes are durable: send what waited for them, apply,
    /// advance.
    fn finish(&mut self, mut ready: Ready, out: &mut Outbox) {
        for (index, term) in std::mem::take(&mut self.ack_claims) {
            let at = index.0 as usize;
            let on_disk = at
                .checked_sub(1)
                .map(|i| self.synced_log_terms.get(i).copied());
            if let Some(on_disk) = on_disk {
                if on_disk != term {
                    self.false_acks.push(format!(
                        "n{} acknowledged index {} (term {:?} in memory) with term {:?} there on disk",
                        self.index + 1,
                        index.0,
                        term.map(|t| t.0),
                        on_disk.map(|t| t.0)
                    ));
                }
            }
        }
        self.send_raft(std::mem::take(&mut ready.messages_after_persist), out);
        if let Some(soft) = &ready.soft_state {
            if soft.role != Role::Leader {
                // Proposals in flight may never commit under us: their
                // clients time out and retry elsewhere.
                self.waiting.clear();
            }
        }
        for entry in &ready.committed_entries {
            self.apply(entry, out);
        }
        self.raw.as_mut().expect("node alive").advance(ready);
    }

    fn apply(&mut self, entry: &Entry, out: &mut Outbox) {
        self.applied_since_check.push(AppliedEntry {
            id: entry.id(),
            digest: entry_digest(entry),
        });
        let waiter = self.waiting.remove(&entry.index);
        if entry.kind != EntryKind::Normal {
            return;
        }
        let Some(command) = Command::decode(&entry.data) else {
            return;
        };
        let applied = if self.bugs.no_dedup {
            self.kv.apply_without_sessions(&command)
        } else {
            self.kv.apply(&command)
        };
        let outcome = match applied {
            Applied::Fresh(output) | Applied::Duplicate(output) => output,
            Applied::Stale => return,
        };
        let Some((client, seq, term)) = waiter else {
            return;
        };
        if client != command.client || seq != command.seq || term != entry.term {
            return; // another entry took that index; the client will retry
        }
        out.packets.push(Packet {
            from: Endpoint::Node(self.index),
            to: Endpoint::Client(client),
            payload: Payload::Reply {
                client,
                seq,
                outcome: ReplyOutcome::Done {
                    output: outcome,
                    entry: Some(entry.id()),
                },
            },
        });
    }

    fn send_raft(&self, messages: Vec<raft_core::Message>, out: &mut Outbox) {
        for message in messages {
            let Some(to) = (message.to.0 as usize).checked_sub(1) else {
                continue; // node 0 is nobody
            };
            out.packets.push(Packet {
                from: Endpoint::Node(self.index),
                to: Endpoint::Node(to),
                payload: Payload::Raft(message),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_break_has_a_name_that_round_trips() {
        for name in HostBugs::NAMES {
            let mut bugs = HostBugs::default();
            assert!(bugs.set(name), "{name}");
            assert_ne!(bugs, HostBugs::default(), "{name} turns something on");
            assert_eq!(bugs.names(), vec![*name]);
        }
        assert!(!HostBugs::default().set("no-such-rule"));
        assert!(HostBugs::default().names().is_empty());
    }
}

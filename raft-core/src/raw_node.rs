//! The node: its state, its public inputs (`tick`, `step`, `propose`,
//! `campaign`) and its output (`ready` / `advance`). Election rules live in
//! `election.rs`, replication rules in `replication.rs`, what can be read
//! back of the node (and its invariants) in `observation.rs`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::error::Error;
use crate::log::RaftLog;
use crate::membership::Configurations;
use crate::message::{Message, MessageBody};
use crate::progress::Progress;
use crate::read_index::{ReadClock, ReadMode, Reads};
use crate::ready::{Ready, Restored};
use crate::rng::JitterRng;
use crate::snapshot::IncomingSnapshot;
use crate::types::{EntryKind, HardState, LogIndex, NodeId, Role, Snapshot, SoftState, Term};

/// A Raft node without I/O, in the style of etcd's RawNode: the host feeds it
/// time ([`tick`](Self::tick)), messages ([`step`](Self::step)) and proposals
/// ([`propose`](Self::propose)), and carries out what [`ready`](Self::ready)
/// hands back, in the order [`Ready`] documents.
///
/// The whole node is a plain value: cloning it forks the node (the model
/// checker relies on this), and its `Hash` covers everything that decides its
/// future behaviour.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RawNode {
    pub(crate) config: Config,
    /// The configurations the log holds; the latest is in force.
    pub(crate) confs: Configurations,
    /// The voter a leader transfer is handing leadership to (thesis
    /// §3.10); proposals wait meanwhile. Only a leader has one.
    pub(crate) lead_transferee: Option<NodeId>,
    /// Invariant: never decreases.
    pub(crate) term: Term,
    /// Invariant: at most one vote per term (reset only when `term` rises).
    pub(crate) vote: Option<NodeId>,
    pub(crate) role: Role,
    pub(crate) leader: Option<NodeId>,
    pub(crate) log: RaftLog,
    /// Ticks since the last reset of the election timer (for a leader: since
    /// the last CheckQuorum round).
    pub(crate) election_elapsed_ticks: u64,
    /// Ticks since the leader's last heartbeat.
    pub(crate) heartbeat_elapsed_ticks: u64,
    /// This term's election timeout, in `[election_ticks, 2 * election_ticks)`.
    pub(crate) randomized_election_ticks: u64,
    pub(crate) rng: JitterRng,
    /// Votes received in the current (pre-)election.
    pub(crate) votes: BTreeMap<NodeId, bool>,
    /// The leader's view of every member, itself included. Empty unless leader.
    pub(crate) progress: BTreeMap<NodeId, Progress>,
    /// Proposals were appended and not yet offered to followers.
    pub(crate) replication_pending: bool,
    /// Outbound messages that may leave before the next write completes.
    pub(crate) messages: Vec<Message>,
    /// Outbound messages that wait for the next write to be durable.
    pub(crate) messages_after_persist: Vec<Message>,
    /// What the last `Ready` reported, to report only changes.
    pub(crate) reported_soft: SoftState,
    pub(crate) reported_hard: HardState,
    /// The number of the outstanding `Ready`, if one is.
    pub(crate) outstanding_ready: Option<u64>,
    pub(crate) ready_count: u64,
    /// What the outstanding `Ready` handed out: its last entry.
    pub(crate) outstanding_last_entry: Option<crate::types::EntryId>,
    /// What the outstanding `Ready` has the host apply (or restore) up to.
    pub(crate) outstanding_applied_to: Option<LogIndex>,
    /// The latest snapshot, taken or installed: what a leader sends a
    /// follower that needs compacted entries. Its metadata matches the
    /// log's start (`RaftLog::snapshot`) whenever one is held.
    pub(crate) snapshot: Option<Snapshot>,
    /// A snapshot being received from the leader, chunk by chunk.
    pub(crate) incoming_snapshot: Option<IncomingSnapshot>,
    /// An installed snapshot waits for the next `Ready` to reach the host.
    pub(crate) snapshot_to_restore: bool,
    /// Reads waiting to be confirmed, and their outcomes (thesis §6.4).
    pub(crate) reads: Reads,
    /// The reads' clock: their timeouts and the leader's lease.
    pub(crate) read_clock: ReadClock,
    /// With lease reads, a node that boots refuses vote requests until an
    /// election timeout has passed: the lease it promised a leader before
    /// it crashed may still be counted on (lost with its memory, it would
    /// otherwise let another leader be elected under that lease).
    pub(crate) boot_lease: bool,
}

impl RawNode {
    /// Starts a node from its configuration and what the host read back from
    /// storage (braft's boot: restore term, vote, snapshot and log, then
    /// become a follower). Commit is re-learned from the leader, or taken
    /// from the restored hard state.
    pub fn new(config: Config, restored: Restored) -> Result<RawNode, Error> {
        config.validate()?;
        let Restored {
            hard_state,
            snapshot,
            entries,
            applied,
        } = restored;
        if hard_state.vote == Some(NodeId(0)) {
            return Err(Error::CorruptRestore("vote for node 0".into()));
        }
        let (snapshot_last, conf) = match &snapshot {
            Some(snapshot) if snapshot.meta.conf.voters.is_empty() => {
                return Err(Error::CorruptRestore(
                    "the snapshot's configuration has no voters".into(),
                ));
            }
            Some(snapshot) if snapshot.meta.conf.contains(NodeId(0)) => {
                return Err(Error::CorruptRestore(
                    "the snapshot's configuration names node 0".into(),
                ));
            }
            Some(snapshot) => (snapshot.meta.last, snapshot.meta.conf.clone()),
            None => (Default::default(), config.bootstrap_conf()),
        };
        let log = RaftLog::restore(snapshot_last, entries, hard_state.commit, applied)?;
        let mut confs = Configurations::new(conf);
        confs
            .rebuild_from(log.first_index(), log.entries())
            .map_err(|err| Error::CorruptRestore(format!("a membership change: {err}")))?;
        if log.last_id().term > hard_state.term {
            return Err(Error::CorruptRestore(format!(
                "the log holds term {} but the hard state's term is {}",
                log.last_id().term,
                hard_state.term
            )));
        }
        let rng = JitterRng::new(config.seed, config.id.0);
        let ran_before = hard_state.term.0 > 0;
        let reported_soft = SoftState {
            role: Role::Follower,
            leader: None,
        };
        let mut node = RawNode {
            confs,
            lead_transferee: None,
            term: hard_state.term,
            vote: hard_state.vote,
            role: Role::Follower,
            leader: None,
            log,
            election_elapsed_ticks: 0,
            heartbeat_elapsed_ticks: 0,
            randomized_election_ticks: config.election_ticks,
            rng,
            votes: BTreeMap::new(),
            progress: BTreeMap::new(),
            replication_pending: false,
            messages: Vec::new(),
            messages_after_persist: Vec::new(),
            reported_soft,
            reported_hard: hard_state,
            outstanding_ready: None,
            ready_count: 0,
            outstanding_last_entry: None,
            outstanding_applied_to: None,
            snapshot,
            incoming_snapshot: None,
            snapshot_to_restore: false,
            reads: Reads::default(),
            read_clock: ReadClock::default(),
            // A node that never ran promised no lease to anyone.
            boot_lease: config.read_mode == ReadMode::LeaseBased
                && config.check_quorum
                && ran_before,
            config,
        };
        node.reset_timers();
        node.reported_hard = node.hard_state();
        Ok(node)
    }

    // ---- inputs -------------------------------------------------------

    /// Advances the node's clock by one tick: followers and candidates count
    /// toward an election timeout, leaders toward a heartbeat and a
    /// CheckQuorum round.
    pub fn tick(&mut self) {
        self.tick_reads();
        match self.role {
            Role::Leader => self.tick_leader(),
            _ => self.tick_election(),
        }
    }

    /// Starts an election now, as if the election timeout fired (with PreVote
    /// on, the pre-election first). Does nothing on a leader or on a node
    /// that is not a voter.
    pub fn campaign(&mut self) {
        self.start_election();
    }

    /// The leader's heartbeat timer fires now: every follower gets a
    /// heartbeat. Does nothing on a node that does not lead. (Scenario files
    /// and the model checker fire timers directly instead of ticking.)
    pub fn heartbeat_timeout(&mut self) {
        if self.role == Role::Leader {
            self.heartbeat_elapsed_ticks = 0;
            self.broadcast_heartbeat();
        }
    }

    /// The CheckQuorum timer fires now: the node has gone a whole election
    /// timeout (`election_ticks`, before jitter) without the news that
    /// resets it. A leader runs its CheckQuorum round and steps down unless
    /// a majority was active (thesis §6.2); a follower's lease on its leader
    /// ends, so it grants votes again (§9.6), but it campaigns only when its
    /// randomized timeout fires ([`campaign`](Self::campaign)). A leader
    /// transfer still under way is aborted (thesis §3.10). Without
    /// `Config::check_quorum`, only the transfer is affected. (Scenario
    /// files and the model checker fire timers directly instead of
    /// ticking.)
    pub fn check_quorum_timeout(&mut self) {
        self.age_reads();
        if self.role == Role::Leader {
            self.election_elapsed_ticks = 0;
            self.abort_leader_transfer();
            if self.config.check_quorum {
                self.check_quorum();
            }
            return;
        }
        self.boot_lease = false;
        if self.config.check_quorum {
            self.election_elapsed_ticks =
                self.election_elapsed_ticks.max(self.config.election_ticks);
        }
    }

    /// Whether the node holds a lease on a leader it heard from within the
    /// election timeout: with CheckQuorum on, it then ignores vote requests
    /// of higher terms (thesis §6.2, etcd's `inLease`).
    #[must_use]
    pub fn in_lease(&self) -> bool {
        self.lease_holds()
    }

    /// Proposes `data` for the log. Returns the index the entry will have if
    /// it commits. Only the leader accepts proposals.
    pub fn propose(&mut self, data: Vec<u8>) -> Result<LogIndex, Error> {
        self.check_accepts_proposals()?;
        let uncommitted = self.log.last_index().0 - self.log.committed().0;
        if uncommitted >= self.config.max_uncommitted_entries {
            return Err(Error::TooManyUncommitted {
                limit: self.config.max_uncommitted_entries,
            });
        }
        let index = self.log.append_new(self.term, EntryKind::Normal, data);
        self.replication_pending = true;
        Ok(index)
    }

    /// Handles a message from another node. Messages of stale terms,
    /// duplicates and reordered answers are ignored as the paper says; an
    /// `Err` reports input that should never arrive. A misaddressed or
    /// malformed message is rejected before it changes anything; one that
    /// only turns out wrong later (a response from a stranger, an append
    /// that conflicts with committed entries) may already have raised the
    /// term or reset the election timer, as any message of its term would.
    pub fn step(&mut self, message: Message) -> Result<(), Error> {
        if message.to != self.config.id {
            return Err(Error::WrongRecipient {
                to: message.to,
                me: self.config.id,
            });
        }
        if message.from == self.config.id || message.from == NodeId(0) {
            return Err(Error::InvalidSender(message.from));
        }
        // Check the shape before anything changes, so that a malformed
        // message leaves no trace (not even a raised term).
        match &message.body {
            MessageBody::AppendEntries { prev, entries, .. } => {
                crate::replication::validate_entries(*prev, entries, message.term)?;
            }
            MessageBody::InstallSnapshot {
                meta, offset, data, ..
            } => {
                crate::snapshot::validate_meta(meta, message.term)?;
                let end = offset.saturating_add(data.len() as u64);
                if end > self.config.max_snapshot_bytes {
                    return Err(Error::MalformedMessage(format!(
                        "a snapshot chunk ending at byte {end}, past max_snapshot_bytes ({})",
                        self.config.max_snapshot_bytes
                    )));
                }
            }
            _ => {}
        }
        if !self.observe_term(&message) {
            return Ok(());
        }
        let from = message.from;
        match message.body {
            MessageBody::PreVoteRequest { last_log } => {
                self.on_vote_request(from, message.term, last_log, true);
                Ok(())
            }
            MessageBody::VoteRequest { last_log, .. } => {
                self.on_vote_request(from, message.term, last_log, false);
                Ok(())
            }
            MessageBody::TimeoutNow => self.on_timeout_now(from),
            MessageBody::PreVoteResponse { granted } => {
                // A grant counts only if it echoes the term this node would
                // campaign in now; a grant from a round with another term
                // does not (one from an earlier round at the same term still
                // does: harmless, PreVote only guards liveness).
                if !granted || message.term == self.term.next() {
                    self.on_vote_response(from, granted, Role::PreCandidate);
                }
                Ok(())
            }
            MessageBody::VoteResponse { granted } => {
                self.on_vote_response(from, granted, Role::Candidate);
                Ok(())
            }
            MessageBody::AppendEntries {
                prev,
                entries,
                commit,
            } => self.on_append(from, prev, &entries, commit),
            MessageBody::Heartbeat { commit, read_round } => {
                self.on_heartbeat(from, commit, read_round)
            }
            MessageBody::AppendResponse { index, reject } => {
                self.on_append_response(from, index, reject)
            }
            MessageBody::HeartbeatResponse { read_round } => {
                self.on_heartbeat_response(from, read_round)
            }
            MessageBody::InstallSnapshot {
                meta,
                offset,
                data,
                done,
            } => self.on_install_snapshot(from, meta, offset, data, done),
            MessageBody::SnapshotResponse { last, received } => {
                self.on_snapshot_response(from, last, received)
            }
            // Its whole content is its term, handled above.
            MessageBody::StaleTerm => Ok(()),
            MessageBody::ReadIndex { context } => self.on_read_index(from, context),
            MessageBody::ReadIndexResponse { context, index } => {
                self.on_read_index_response(from, context, index)
            }
        }
    }

    // ---- output -------------------------------------------------------

    /// Whether [`ready`](Self::ready) has anything to hand out. False while a
    /// `Ready` is outstanding.
    #[must_use]
    pub fn has_ready(&self) -> bool {
        if self.outstanding_ready.is_some() {
            return false;
        }
        self.soft_state() != self.reported_soft
            || self.hard_state() != self.reported_hard
            || self.log.has_unstable()
            || self.log.has_to_apply()
            || self.snapshot_to_restore
            || self.replication_pending
            || !self.messages.is_empty()
            || !self.messages_after_persist.is_empty()
            || !self.reads.done.is_empty()
            || self.read_round_due()
    }

    /// Hands out the work to do: what to persist, send and apply (see
    /// [`Ready`] for the order). Call [`advance`](Self::advance) when done.
    ///
    /// # Panics
    ///
    /// If the previous `Ready` was not advanced yet: one is outstanding at a time.
    pub fn ready(&mut self) -> Ready {
        assert!(
            self.outstanding_ready.is_none(),
            "ready() called before the previous Ready was advanced"
        );
        if self.replication_pending {
            self.replication_pending = false;
            self.send_new_entries();
        }
        self.send_read_round();
        let soft = self.soft_state();
        let hard = self.hard_state();
        let term_or_vote_changed =
            hard.term != self.reported_hard.term || hard.vote != self.reported_hard.vote;
        let soft_state = (soft != self.reported_soft).then(|| soft.clone());
        let hard_state = (hard != self.reported_hard).then(|| hard.clone());
        self.reported_soft = soft;
        self.reported_hard = hard;
        let snapshot = std::mem::take(&mut self.snapshot_to_restore)
            .then(|| self.snapshot.clone())
            .flatten();
        let entries = self.log.take_unstable();
        let committed_entries = self
            .log
            .take_to_apply(self.config.max_committed_bytes_per_ready);
        self.ready_count += 1;
        self.outstanding_ready = Some(self.ready_count);
        self.outstanding_last_entry = entries.last().map(|e| e.id());
        let restored_to = snapshot.as_ref().map(|s| s.meta.last.index);
        self.outstanding_applied_to = committed_entries.last().map(|e| e.index).or(restored_to);
        Ready {
            must_sync: term_or_vote_changed || !entries.is_empty() || snapshot.is_some(),
            soft_state,
            hard_state,
            snapshot,
            entries,
            committed_entries,
            messages: std::mem::take(&mut self.messages),
            messages_after_persist: std::mem::take(&mut self.messages_after_persist),
            read_states: std::mem::take(&mut self.reads.done),
            number: self.ready_count,
        }
    }

    /// Hands out the messages that may leave at once — the leader's appends
    /// and heartbeats, including those for proposals made since the last
    /// `Ready` — without waiting for the outstanding `Ready` to be advanced.
    /// A host whose disk is busy calls this after each input so that
    /// replication continues while the leader writes (thesis §10.2.1).
    /// Messages that must wait for a write stay queued for the next `Ready`.
    pub fn take_messages(&mut self) -> Vec<Message> {
        if self.replication_pending && self.role == Role::Leader {
            self.replication_pending = false;
            self.send_new_entries();
        }
        self.send_read_round();
        std::mem::take(&mut self.messages)
    }

    /// Reads wait for a round and none is in flight: one heartbeat to
    /// every follower carries it (the reads asked meanwhile share it).
    fn send_read_round(&mut self) {
        if self.read_round_due() {
            self.broadcast_heartbeat();
        }
    }

    /// Hands out the read outcomes decided since the last `Ready` without
    /// waiting for the outstanding one to be advanced: a read need not
    /// wait for a write it has nothing to do with. (They come in the next
    /// `Ready` otherwise.)
    pub fn take_read_states(&mut self) -> Vec<crate::read_index::ReadState> {
        std::mem::take(&mut self.reads.done)
    }

    /// Acknowledges that everything `ready` asked for is done: its writes
    /// are durable and its committed entries applied. A leader counts its own
    /// copy of the new entries from now on.
    ///
    /// # Panics
    ///
    /// If `ready` is not the outstanding `Ready` of this node.
    // Taking the Ready by value ends its life here: it cannot be advanced twice.
    #[allow(clippy::needless_pass_by_value)]
    pub fn advance(&mut self, ready: Ready) {
        assert_eq!(
            self.outstanding_ready,
            Some(ready.number),
            "advance() given a Ready that is not this node's outstanding one"
        );
        self.outstanding_ready = None;
        if let Some(last) = self.outstanding_last_entry.take() {
            self.log.persisted_to(last);
        }
        if let Some(index) = self.outstanding_applied_to.take() {
            self.log.applied_to(index);
        }
        if self.role == Role::Leader {
            self.leader_persisted();
        }
    }

    // ---- shared helpers -----------------------------------------------

    /// Queues a message stamped with the current term.
    pub(crate) fn send(&mut self, to: NodeId, body: MessageBody) {
        self.send_with_term(to, self.term, body);
    }

    /// Queues a message: a leader's replication may leave at once, anything
    /// else waits for the next write to be durable (see [`Ready`]).
    pub(crate) fn send_with_term(&mut self, to: NodeId, term: Term, body: MessageBody) {
        let message = Message {
            from: self.config.id,
            to,
            term,
            body,
        };
        if matches!(message.body, MessageBody::TimeoutNow) {
            // The target's vote requests override the voters' leases.
            self.reads.lease_forfeited = true;
        }
        let early = match message.body {
            MessageBody::HeartbeatResponse { .. } | MessageBody::ReadIndex { .. } => true,
            ref body => self.role == Role::Leader && body.leaves_before_persist(),
        };
        if early {
            self.messages.push(message);
        } else {
            self.messages_after_persist.push(message);
        }
    }
}

//! The production event loop: one task owns the simulator's [`Host`] and
//! fulfils what it asks with the real world — ticks from a real interval,
//! packets over TCP ([`crate::peers`]), fsyncs on a blocking thread
//! ([`crate::data_dir`]) — exactly as the simulator's world fulfils them
//! with its virtual clock, network and disk. The host's code (the Ready
//! loop, persistence, recovery, the state machine, client sessions,
//! snapshots) is the code the simulator tortures; this file only carries
//! events in and effects out.
//!
//! After every host call the loop runs [`NodeLoop::settle`]: the data
//! directory follows the host's disk (appends written, not yet synced),
//! then packets leave, then the fsync asked for starts. The host sends
//! nothing that waits for durability before that fsync completes (its
//! Ready loop holds those messages until `on_synced`), so the order here
//! is the simulator's.
//!
//! The directory follows the disk when the host asks for an fsync, after
//! an fsync completed, and at shutdown, not after every call: following
//! compares whole files, and most calls (a message, a tick) write nothing.
//! That is safe because every write the host needs durable is followed by
//! an fsync request (so it reaches the directory before the fsync runs),
//! and every change the disk model makes atomic and durable at once — a
//! snapshot renamed into place, old log records dropped, the meta file
//! kept short — happens when an fsync completes or starts. What waits for
//! the next follow is a write the host did not ask to be durable (a commit
//! index recorded in passing), which a crash may lose in the simulator
//! too.
//!
//! **Client requests are proxied, not redirected**: [`crate::proxy`]
//! decides where each goes and when it is sent again; this loop carries
//! its decisions out, to the local host or over the peers' connections.

use raft_core::{ConfChange, ConfChangeSingle, EntryId, NodeId, Role};
use serde::Serialize;
use sim::host::{Host, Outbox};
use sim::kv::{ClientId, Command, Key, Op, Output};
use sim::net::{Endpoint, Packet, Payload};
use sim::slot::NodeSlot;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use crate::data_dir::{DataDir, DataDirError};
use crate::peers::{Incoming, Peers};
use crate::proxy::{self, OnReply, Proxy, first_sequence_number};

/// What an HTTP handler asks of the loop.
#[derive(Debug)]
pub enum Call {
    /// A key-value operation.
    Kv {
        /// The operation.
        op: Op,
        /// Answer a `get` from this node's state machine as it stands.
        stale: bool,
        /// Where the answer goes.
        answer: oneshot::Sender<KvAnswer>,
    },
    /// A membership change, or a leadership transfer, asked of the leader.
    Admin {
        /// What to do.
        action: AdminAction,
        /// Where the answer goes.
        answer: oneshot::Sender<AdminAnswer>,
    },
    /// The node's state, for `GET /status`.
    Status {
        /// Where the answer goes.
        answer: oneshot::Sender<StatusReport>,
    },
}

/// An operator's request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AdminAction {
    /// Add a voter, or a learner.
    AddMember {
        /// Its raft id.
        id: u64,
        /// As a learner (it receives the log without voting).
        learner: bool,
    },
    /// Remove a node from the configuration.
    RemoveMember {
        /// Its raft id.
        id: u64,
    },
    /// Hand the leadership to a node.
    TransferLeader {
        /// Its raft id.
        to: u64,
    },
}

/// The outcome of a key-value operation.
#[derive(Debug)]
pub enum KvAnswer {
    /// Committed and applied (or read) with this output.
    Done {
        /// What the operation returned.
        output: Output,
        /// The entry that carried it (none for reads).
        entry: Option<EntryId>,
    },
    /// No answer in time: it may or may not have taken effect.
    Unknown,
    /// Every client session is busy.
    Busy,
    /// The request was refused outright, with why.
    Invalid(String),
}

/// The outcome of an operator's request.
#[derive(Debug)]
pub enum AdminAnswer {
    /// The leader accepted it: a change is proposed at this index (0 for a
    /// transfer, which is under way).
    Accepted {
        /// The change's log index.
        index: u64,
    },
    /// This node does not lead; the leader's HTTP address, if known.
    NotLeader {
        /// Where the leader's clients reach it.
        leader_http: Option<String>,
    },
    /// The leader refused, with raft-core's reason.
    Refused(String),
}

/// `GET /status`.
#[derive(Clone, Debug, Serialize)]
pub struct StatusReport {
    /// This node's raft id.
    pub node: u64,
    /// Follower, pre-candidate, candidate or leader.
    pub role: String,
    /// The current term.
    pub term: u64,
    /// The leader it knows of.
    pub leader: Option<u64>,
    /// The leader's HTTP address, if known.
    pub leader_http: Option<String>,
    /// The commit index.
    pub commit: u64,
    /// The last index applied to the state machine.
    pub applied: u64,
    /// The last index in the log.
    pub last_index: u64,
    /// The index the last snapshot covers.
    pub snapshot_index: u64,
    /// The configuration's voters.
    pub voters: Vec<u64>,
    /// The configuration's learners.
    pub learners: Vec<u64>,
    /// On a leader: each node's match index.
    pub progress: Vec<PeerProgress>,
    /// The peers this node knows.
    pub peers: Vec<PeerAddress>,
    /// Times this data directory booted.
    pub boot: u64,
    /// Snapshots taken since this process started.
    pub compactions: u64,
    /// Client requests waiting for an answer here.
    pub requests_in_flight: usize,
}

/// One node's replication progress, as the leader sees it.
#[derive(Clone, Debug, Serialize)]
pub struct PeerProgress {
    /// Its raft id.
    pub node: u64,
    /// The highest index known to match the leader's log.
    pub matched: u64,
}

/// Where a peer is reached.
#[derive(Clone, Debug, Serialize)]
pub struct PeerAddress {
    /// Its raft id.
    pub node: u64,
    /// Its address for peers.
    pub raft_addr: String,
    /// Its HTTP address, once it said.
    pub http_addr: Option<String>,
}

/// The loop's state (see the module documentation).
#[derive(Debug)]
pub struct NodeLoop {
    host: Host,
    dir: DataDir,
    peers: Peers,
    me: NodeSlot,
    /// Where this node's clients reach it.
    http_addr: String,
    boot: u64,
    ticks: u64,
    proxy: Proxy<oneshot::Sender<KvAnswer>>,
    /// The fsync in progress: its token and the blocking task running it.
    syncing: Option<(u64, JoinHandle<Result<(), DataDirError>>)>,
}

/// Why the loop stopped when it was not asked to.
pub type Fatal = String;

impl NodeLoop {
    /// A loop around `host`, booted from `dir` (the caller boots it), with
    /// `peers` to talk to; `boot` numbers this start of the directory.
    #[must_use]
    pub fn new(host: Host, dir: DataDir, peers: Peers, http_addr: String, boot: u64) -> NodeLoop {
        let me = host.slot;
        let wall_clock_ns = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX >> 1));
        NodeLoop {
            http_addr,
            proxy: Proxy::new(me, first_sequence_number(boot, wall_clock_ns)),
            host,
            dir,
            peers,
            me,
            boot,
            ticks: 0,
            syncing: None,
        }
    }

    /// Runs until `stop` says so (then finishes the fsync in flight, and
    /// syncs what the host wrote), or until the disk fails.
    ///
    /// # Errors
    /// Writing or syncing the data directory failed: the node cannot go on
    /// without risking what it acknowledged, so it stops (as PostgreSQL
    /// does after a failed fsync).
    pub async fn run(
        mut self,
        tick: std::time::Duration,
        mut from_peers: mpsc::Receiver<Incoming>,
        mut calls: mpsc::Receiver<Call>,
        mut stop: watch::Receiver<bool>,
    ) -> Result<(), Fatal> {
        let mut ticker = tokio::time::interval(tick);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let mut out = Outbox::default();
            tokio::select! {
                _ = ticker.tick() => {
                    self.ticks += 1;
                    self.host.on_tick(&mut out);
                    self.settle(out, false)?;
                    self.resend_due()?;
                }
                Some(incoming) = from_peers.recv() => self.on_peer(incoming)?,
                Some(call) = calls.recv() => self.on_call(call)?,
                synced = wait_sync(&mut self.syncing) => {
                    let token = synced?;
                    self.host.on_synced(token, &mut out);
                    self.settle(out, true)?;
                }
                _ = stop.changed() => break,
            }
        }
        if let Some((_, job)) = self.syncing.take() {
            job.await
                .map_err(|err| err.to_string())?
                .map_err(|err| err.to_string())?;
        }
        // What the host wrote without asking for an fsync (a commit index
        // recorded in passing) goes to disk too.
        self.dir
            .follow(&self.host.disk)
            .map_err(|err| err.to_string())?;
        self.dir.sync().map_err(|err| err.to_string())
    }

    /// Carries out what the host asked (see the module documentation);
    /// `synced` says the call was an fsync's completion.
    fn settle(&mut self, out: Outbox, synced: bool) -> Result<(), Fatal> {
        if synced || out.sync.is_some() {
            self.dir
                .follow(&self.host.disk)
                .map_err(|err| format!("writing the data directory: {err}"))?;
        }
        for refused in out.refused {
            eprintln!("node {}: {refused}", self.me.number());
        }
        for packet in out.packets {
            match packet.to {
                Endpoint::Node(to) => self.peers.send(to.id().0, packet.payload),
                Endpoint::Client(client) => self.on_reply(client, packet.payload)?,
            }
        }
        if let Some(token) = out.sync {
            assert!(
                self.syncing.is_none(),
                "the host asks for one fsync at a time"
            );
            let job = self.dir.sync_job();
            self.syncing = Some((token, tokio::task::spawn_blocking(move || job.run())));
        }
        Ok(())
    }

    fn on_peer(&mut self, incoming: Incoming) -> Result<(), Fatal> {
        match incoming {
            Incoming::Hello {
                node,
                raft_addr,
                http_addr,
            } => {
                if node != self.me.id().0 {
                    self.peers.learn(node, &raft_addr, Some(&http_addr));
                }
                Ok(())
            }
            Incoming::Packet { from, payload } => match payload {
                Payload::Reply { client, .. } => self.on_reply(client, payload),
                Payload::Request(command) => self
                    .deliver_locally(Endpoint::Client(command.client), Payload::Request(command)),
                payload @ (Payload::Raft(_) | Payload::Foreign(_)) => {
                    let Some(from) = NodeSlot::of_id(NodeId(from)) else {
                        return Ok(());
                    };
                    self.deliver_locally(Endpoint::Node(from), payload)
                }
            },
        }
    }

    /// A packet for the local host.
    fn deliver_locally(&mut self, from: Endpoint, payload: Payload) -> Result<(), Fatal> {
        let mut out = Outbox::default();
        let packet = Packet {
            from,
            to: Endpoint::Node(self.me),
            payload,
        };
        self.host.on_packet(packet, &mut out);
        self.settle(out, false)
    }

    fn on_call(&mut self, call: Call) -> Result<(), Fatal> {
        match call {
            Call::Kv { op, stale, answer } => self.on_kv(op, stale, answer),
            Call::Admin { action, answer } => {
                let _gone = answer.send(self.on_admin(action)?);
                Ok(())
            }
            Call::Status { answer } => {
                let _gone = answer.send(self.status());
                Ok(())
            }
        }
    }

    fn on_kv(
        &mut self,
        op: Op,
        stale: bool,
        answer: oneshot::Sender<KvAnswer>,
    ) -> Result<(), Fatal> {
        if let (true, Op::Get { key }) = (stale, op) {
            let output = Output::Read(self.host.kv().read(key));
            let _gone = answer.send(KvAnswer::Done {
                output,
                entry: None,
            });
            return Ok(());
        }
        if op_key(op) == sim::kv::DIRECT_PROPOSAL_KEY {
            let why = format!("key {} is reserved", sim::kv::DIRECT_PROPOSAL_KEY);
            let _gone = answer.send(KvAnswer::Invalid(why));
            return Ok(());
        }
        match self.proxy.start(op, answer, self.ticks) {
            Ok(command) => self.send_request(self.me, command),
            Err(answer) => {
                let _gone = answer.send(KvAnswer::Busy);
                Ok(())
            }
        }
    }

    /// A reply to client session `client`: ours, or another server's.
    fn on_reply(&mut self, client: ClientId, payload: Payload) -> Result<(), Fatal> {
        let owner = proxy::owner(client);
        if owner != self.me.id().0 {
            self.peers.send(owner, payload);
            return Ok(());
        }
        let Payload::Reply { seq, outcome, .. } = payload else {
            return Ok(());
        };
        match self.proxy.on_reply(client, seq, outcome, self.ticks) {
            OnReply::Answer {
                answer,
                output,
                entry,
            } => {
                let _gone = answer.send(KvAnswer::Done { output, entry });
                Ok(())
            }
            OnReply::Send(to, command) => self.send_request(to, command),
            OnReply::Wait => Ok(()),
        }
    }

    fn send_request(&mut self, to: NodeSlot, command: Command) -> Result<(), Fatal> {
        if to == self.me {
            self.deliver_locally(Endpoint::Client(command.client), Payload::Request(command))
        } else {
            self.peers.send(to.id().0, Payload::Request(command));
            Ok(())
        }
    }

    /// Gives up on the requests past their deadline, and sends again those
    /// whose time came (see [`Proxy::due`]).
    fn resend_due(&mut self) -> Result<(), Fatal> {
        let due = self.proxy.due(self.ticks);
        for answer in due.expired {
            let _gone = answer.send(KvAnswer::Unknown);
        }
        for command in due.resend {
            self.send_request(self.me, command)?;
        }
        Ok(())
    }

    fn on_admin(&mut self, action: AdminAction) -> Result<AdminAnswer, Fatal> {
        let leads = self.host.node().is_some_and(|n| n.role() == Role::Leader);
        if !leads {
            return Ok(AdminAnswer::NotLeader {
                leader_http: self.leader_http(),
            });
        }
        let mut out = Outbox::default();
        let result = match action {
            AdminAction::AddMember { id, learner } => {
                let change = if learner {
                    ConfChangeSingle::AddLearner(NodeId(id))
                } else {
                    ConfChangeSingle::AddVoter(NodeId(id))
                };
                self.propose_change(change, &mut out)
            }
            AdminAction::RemoveMember { id } => {
                self.propose_change(ConfChangeSingle::Remove(NodeId(id)), &mut out)
            }
            AdminAction::TransferLeader { to } => {
                self.host.transfer_leader(NodeId(to), &mut out).map(|()| 0)
            }
        };
        self.settle(out, false)?;
        Ok(match result {
            Ok(index) => AdminAnswer::Accepted { index },
            Err(err) => AdminAnswer::Refused(err.to_string()),
        })
    }

    fn propose_change(
        &mut self,
        change: ConfChangeSingle,
        out: &mut Outbox,
    ) -> Result<u64, raft_core::Error> {
        let change = ConfChange {
            changes: vec![change],
        };
        self.host.propose_conf_change(&change, out).map(|i| i.0)
    }

    fn leader_http(&self) -> Option<String> {
        let leader = self.host.node()?.leader()?;
        if leader == self.me.id() {
            return Some(self.http_addr.clone());
        }
        self.peers.http_addr(leader.0).map(str::to_owned)
    }

    fn status(&self) -> StatusReport {
        let node = self.host.node().expect("a running loop's host is up");
        let log = node.log();
        let conf = node.conf();
        StatusReport {
            node: self.me.id().0,
            role: role_name(node.role()).to_owned(),
            term: node.term().0,
            leader: node.leader().map(|l| l.0),
            leader_http: self.leader_http(),
            commit: log.committed().0,
            applied: log.applied().0,
            last_index: log.last_index().0,
            snapshot_index: log.snapshot().index.0,
            voters: conf.voters.iter().map(|v| v.0).collect(),
            learners: conf.learners.iter().map(|v| v.0).collect(),
            progress: if node.role() == Role::Leader {
                node.matched_indexes()
                    .into_iter()
                    .map(|(n, m)| PeerProgress {
                        node: n.0,
                        matched: m.0,
                    })
                    .collect()
            } else {
                Vec::new()
            },
            peers: self
                .peers
                .known()
                .map(|(id, raft, http)| PeerAddress {
                    node: id,
                    raft_addr: raft.to_owned(),
                    http_addr: http.map(str::to_owned),
                })
                .collect(),
            boot: self.boot,
            compactions: self.host.compactions,
            requests_in_flight: self.proxy.in_flight(),
        }
    }
}

/// The fsync in progress finishing (never, if there is none).
async fn wait_sync(
    syncing: &mut Option<(u64, JoinHandle<Result<(), DataDirError>>)>,
) -> Result<u64, Fatal> {
    let Some((token, job)) = syncing.as_mut() else {
        return std::future::pending().await;
    };
    let token = *token;
    let result = job.await;
    *syncing = None;
    match result {
        Ok(Ok(())) => Ok(token),
        Ok(Err(err)) => Err(format!("fsync failed, stopping: {err}")),
        Err(err) => Err(format!("the fsync task failed: {err}")),
    }
}

fn op_key(op: Op) -> Key {
    match op {
        Op::Put { key, .. } | Op::Get { key } | Op::Append { key, .. } => key,
    }
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Follower => "follower",
        Role::PreCandidate => "pre-candidate",
        Role::Candidate => "candidate",
        Role::Leader => "leader",
    }
}

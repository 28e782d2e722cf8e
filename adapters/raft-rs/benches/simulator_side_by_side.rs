//! The simulator with each Raft inside, in one run: the default swarm's
//! workload (seeds 0..SEEDS, the faults, clients and settings each seed
//! picks) on raft-core, on raft-rs through its adapter, and on a null node
//! that only echoes — the ceiling the simulator itself allows.
//!
//! The null node leads from node 1 without elections: it sends a heartbeat
//! to each peer every heartbeat interval, a peer echoes each heartbeat,
//! and node 1 commits a proposal the moment it has written it. So it
//! drives the simulator's every part (ticks, the network and its faults,
//! disks and fsyncs, clients, the host's Ready loop and state machine) and
//! spends nothing on a protocol. It keeps no promise of Raft, so every
//! Raft is measured here with the invariant checkers off (the simulator's
//! own cost), and raft-core and raft-rs again with them on (a swarm's).
//!
//! Quoted: events per wall second and simulated seconds per wall second,
//! the median of 3 runs of all the seeds; nanoseconds per event; the
//! ratios. Target: raft-core's cost per event within 2x the null node's.
//!
//! `cargo bench -p raft-rs-adapter --bench simulator_side_by_side` (add a
//! number to change the seeds).

use std::time::Instant;

use raft_core::{
    ConfChange, ConfState, Config, Entry, EntryId, EntryKind, Error, LogIndex, Message,
    MessageBody, NodeId, ReadState, Restored, Role, SnapshotMeta, SoftState, Term,
};
use sim::run::{RunOptions, run};
use sim::sut::{Capabilities, LogView, NodeProtocolState, NodeReady, RaftNode, Sut, WireMessage};

const RUNS: usize = 3;

/// The null node (see the file's documentation).
#[derive(Clone, Debug)]
struct EchoNode {
    id: NodeId,
    peers: Vec<NodeId>,
    conf: ConfState,
    heartbeat_ticks: u64,
    ticks: u64,
    log: Vec<Entry>,
    committed: LogIndex,
    applied: LogIndex,
    unwritten: Vec<Entry>,
    outbox: Vec<Message>,
    first_ready: bool,
}

const ECHO: Sut = Sut {
    name: "echo",
    build: build_echo,
    capabilities: Capabilities::NONE,
};

#[allow(clippy::needless_pass_by_value)] // the shape of `BuildNode`
fn build_echo(config: Config, restored: Restored) -> Result<Box<dyn RaftNode>, Error> {
    let conf = ConfState {
        voters: config.voters.clone(),
        ..ConfState::default()
    };
    Ok(Box::new(EchoNode {
        id: config.id,
        peers: config
            .voters
            .iter()
            .copied()
            .filter(|p| *p != config.id)
            .collect(),
        conf,
        heartbeat_ticks: config.heartbeat_ticks.max(1),
        ticks: 0,
        committed: restored.entries.last().map_or(LogIndex(0), |e| e.index),
        applied: restored.applied,
        log: restored.entries,
        unwritten: Vec::new(),
        outbox: Vec::new(),
        first_ready: true,
    }))
}

impl EchoNode {
    fn leads(&self) -> bool {
        self.id == NodeId(1)
    }

    fn send(&mut self, to: NodeId, body: MessageBody) {
        self.outbox.push(Message {
            from: self.id,
            to,
            term: Term(1),
            body,
        });
    }
}

impl RaftNode for EchoNode {
    fn tick(&mut self) {
        self.ticks += 1;
        if self.leads() && self.ticks % self.heartbeat_ticks == 0 {
            for peer in self.peers.clone() {
                let commit = EntryId::default();
                self.send(
                    peer,
                    MessageBody::Heartbeat {
                        commit,
                        read_round: 0,
                    },
                );
            }
        }
    }

    fn step(&mut self, message: WireMessage) -> Result<(), Error> {
        let message = message.seen();
        if matches!(message.body, MessageBody::Heartbeat { .. }) {
            self.send(
                message.from,
                MessageBody::HeartbeatResponse { read_round: 0 },
            );
        }
        Ok(())
    }

    fn propose(&mut self, data: Vec<u8>) -> Result<LogIndex, Error> {
        if !self.leads() {
            return Err(Error::NotLeader {
                leader: Some(NodeId(1)),
            });
        }
        let index = LogIndex(self.log.len() as u64 + 1);
        let entry = Entry {
            term: Term(1),
            index,
            kind: EntryKind::Normal,
            data,
        };
        self.log.push(entry.clone());
        self.unwritten.push(entry);
        Ok(index)
    }

    fn propose_conf_change(&mut self, _: &ConfChange) -> Result<LogIndex, Error> {
        Err(Error::ConfChangeNotNow("the null node".into()))
    }

    fn conf_change_allowed(&self, _: &ConfChange) -> Result<(), Error> {
        Err(Error::ConfChangeNotNow("the null node".into()))
    }

    fn transfer_leader(&mut self, _: NodeId) -> Result<(), Error> {
        Err(Error::InvalidTransfer("the null node".into()))
    }

    fn read_index(&mut self, _: u64) -> Result<(), Error> {
        Err(Error::NotLeader { leader: None })
    }

    fn campaign(&mut self) {}
    fn heartbeat_timeout(&mut self) {}
    fn check_quorum_timeout(&mut self) {}

    fn compact(&mut self, index: LogIndex, _: Vec<u8>) -> Result<(), Error> {
        Err(Error::StaleCompaction {
            index,
            snapshot: index,
        })
    }

    fn has_ready(&self) -> bool {
        self.first_ready || !self.unwritten.is_empty() || !self.outbox.is_empty()
    }

    fn ready(&mut self) -> NodeReady {
        let entries = std::mem::take(&mut self.unwritten);
        let first_ready = std::mem::take(&mut self.first_ready);
        let messages = self.outbox.drain(..).map(WireMessage::Core).collect();
        if let Some(last) = entries.last() {
            self.committed = last.index;
        }
        NodeReady {
            soft_state: first_ready.then(|| SoftState {
                role: self.role(),
                leader: Some(NodeId(1)),
            }),
            hard_state: None,
            must_sync: !entries.is_empty(),
            committed_entries: entries.clone(),
            entries,
            messages,
            ..NodeReady::default()
        }
    }

    fn advance(&mut self, ready: NodeReady) {
        if let Some(last) = ready.committed_entries.last() {
            self.applied = last.index;
        }
    }

    fn take_messages(&mut self) -> Vec<WireMessage> {
        self.outbox.drain(..).map(WireMessage::Core).collect()
    }

    fn take_read_states(&mut self) -> Vec<ReadState> {
        Vec::new()
    }

    fn id(&self) -> NodeId {
        self.id
    }

    fn role(&self) -> Role {
        if self.leads() {
            Role::Leader
        } else {
            Role::Follower
        }
    }

    fn term(&self) -> Term {
        Term(1)
    }

    fn vote(&self) -> Option<NodeId> {
        Some(NodeId(1))
    }

    fn leader(&self) -> Option<NodeId> {
        Some(NodeId(1))
    }

    fn log(&self) -> LogView<'_> {
        LogView {
            snapshot: EntryId::default(),
            entries: &self.log,
            committed: self.committed,
            applied: self.applied,
        }
    }

    fn conf(&self) -> &ConfState {
        &self.conf
    }

    fn conf_at(&self, _: LogIndex) -> &ConfState {
        &self.conf
    }

    fn matched_indexes(&self) -> Vec<(NodeId, LogIndex)> {
        Vec::new()
    }

    fn snapshot_meta(&self, _: LogIndex) -> Option<SnapshotMeta> {
        None
    }

    fn in_lease(&self) -> bool {
        false
    }

    fn lead_transferee(&self) -> Option<NodeId> {
        None
    }

    fn protocol_state(&self) -> NodeProtocolState<'_> {
        NodeProtocolState::Opaque(self.log.len() as u128)
    }

    fn clone_node(&self) -> Box<dyn RaftNode> {
        Box::new(self.clone())
    }

    fn hash_everything(&self, state: &mut dyn std::hash::Hasher) {
        state.write_usize(self.log.len());
        state.write_u64(self.ticks);
    }
}

/// Totals over the seeds: wall seconds, events, simulated seconds.
fn swarm(sut: Sut, seeds: u64, checkers: bool) -> (f64, u64, f64) {
    let started = Instant::now();
    let (mut events, mut simulated_ns) = (0, 0);
    for seed in 0..seeds {
        let mut options = RunOptions::new(seed);
        options.spec.sut = sut;
        options.checkers = checkers;
        if !checkers {
            options.lincheck_budget = None;
        }
        let report = run(&options, None);
        assert!(
            !checkers || report.failure.is_none(),
            "{} seed {seed}: {:?}",
            sut.name,
            report.failure
        );
        events += report.events;
        simulated_ns += report.sim_time_ns;
    }
    (
        started.elapsed().as_secs_f64(),
        events,
        simulated_ns as f64 / 1e9,
    )
}

fn median(mut runs: Vec<(f64, u64, f64)>) -> (f64, u64, f64) {
    runs.sort_by(|a, b| a.0.total_cmp(&b.0));
    runs[runs.len() / 2]
}

fn main() {
    let seeds = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(200u64);
    println!("simulator_side_by_side: the default swarm's seeds 0..{seeds}, median of {RUNS} runs");
    let mut ns_per_event = Vec::new();
    for (checkers, label) in [(false, "checkers off"), (true, "checkers on")] {
        for sut in [ECHO, Sut::RAFT_CORE, raft_rs_adapter::SUT] {
            if checkers && sut.name == ECHO.name {
                continue;
            }
            let (wall_s, events, simulated_s) =
                median((0..RUNS).map(|_| swarm(sut, seeds, checkers)).collect());
            let per_event = wall_s * 1e9 / events as f64;
            println!(
                "  {label:<12} {:<9} {:>10.0} events/s {:>7.0} simulated s per wall s {:>6.0} ns/event ({events} events)",
                sut.name,
                events as f64 / wall_s,
                simulated_s / wall_s,
                per_event
            );
            ns_per_event.push(((checkers, sut.name), per_event));
        }
    }
    let cost = |checkers: bool, name: &str| {
        ns_per_event
            .iter()
            .find(|((c, n), _)| *c == checkers && *n == name)
            .map(|(_, ns)| *ns)
            .expect("measured")
    };
    println!(
        "  cost per event, checkers off: raft-core {:.2}x the null node, raft-rs {:.2}x the null node, raft-rs {:.2}x raft-core",
        cost(false, "raft-core") / cost(false, "echo"),
        cost(false, "raft-rs") / cost(false, "echo"),
        cost(false, "raft-rs") / cost(false, "raft-core")
    );
    println!(
        "  cost per event, checkers on: raft-rs {:.2}x raft-core",
        cost(true, "raft-rs") / cost(true, "raft-core")
    );
}

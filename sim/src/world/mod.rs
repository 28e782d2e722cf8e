//! The World: clock, network, hosts and clients as one plain value that
//! changes only through [`World::apply`]. The random driver applies the
//! earliest pending event; a scenario names actions; the explorer enumerates
//! them. One engine, three drivers (DESIGN.md).

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use raft_core::Config;
use rand::RngExt;
use serde::{Deserialize, Serialize};

mod admin;
mod clients;

pub use admin::{ADMIN_PENDING_MAX, Admin};

use crate::checker::{Checkers, Violation};
use crate::client::{Client, WakeReason};
use crate::disk::FileRecords;
use crate::history::History;
use crate::host::{Host, HostState, Outbox};
use crate::kv::ClientId;
use crate::net::{Endpoint, Net, Packet};
use crate::slot::NodeSlot;
use crate::streams::{self, Concern, SharedRng};
use crate::timeline::{SendFate, SendRecord};

pub use crate::action::{Action, Event};
pub use crate::cluster::ClusterSpec;

/// Counters for the run summary.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorldStats {
    /// Actions applied.
    pub events: u64,
    /// Crashes.
    pub crashes: u64,
    /// Restarts.
    pub restarts: u64,
    /// Pauses.
    pub pauses: u64,
    /// Partitions started.
    pub partitions: u64,
    /// Snapshots hosts took (each compacting a log).
    #[serde(default)]
    pub snapshots_taken: u64,
    /// InstallSnapshot chunks sent.
    #[serde(default)]
    pub snapshot_chunks_sent: u64,
    /// Snapshots followers installed from a leader.
    #[serde(default)]
    pub snapshots_installed: u64,
    /// Membership changes the operator saw committed.
    #[serde(default)]
    pub membership_changes_done: u64,
    /// Membership changes a leader accepted (an operation may be proposed
    /// again after its entry was lost).
    #[serde(default)]
    pub conf_changes_proposed: u64,
    /// Leader transfers a leader accepted.
    #[serde(default)]
    pub leader_transfers: u64,
    /// Operations no configuration could make (removing a non-member).
    #[serde(default)]
    pub membership_ops_refused: u64,
    /// Operations dropped because `ADMIN_PENDING_MAX` waited already.
    #[serde(default)]
    pub membership_ops_dropped: u64,
    /// Removed nodes the operator shut down (`retire_removed`).
    #[serde(default)]
    pub nodes_retired: u64,
}

/// The simulated world.
#[derive(Clone, Debug)]
pub struct World {
    /// The cluster's shape.
    pub spec: ClusterSpec,
    /// Virtual time now.
    pub now_ns: u64,
    next_seq: u64,
    /// Pending events by (time, sequence): the order the random driver runs them.
    queue: BTreeMap<(u64, u64), Event>,
    /// Where each in-flight packet's delivery sits in `queue`.
    delivery_keys: BTreeMap<u64, (u64, u64)>,
    /// The network.
    pub net: Net,
    /// The servers, shared copy-on-write between clones of the world (the
    /// model checker forks worlds by the million; an action changes one
    /// host, so a fork copies only that one). Change one through
    /// [`World::host_mut`].
    pub hosts: Vec<Arc<Host>>,
    tick_epochs: Vec<u64>,
    /// The clients.
    pub clients: Vec<Client>,
    /// What clients saw.
    pub history: History,
    /// Whether clients start new operations.
    pub workload_on: bool,
    /// Per node: torn writes on crash.
    pub torn: Vec<bool>,
    /// Per node: fsync latency range.
    pub fsync_ns: Vec<(u64, u64)>,
    rng_net: SharedRng,
    rng_disk: SharedRng,
    rng_clients: SharedRng,
    /// Counters.
    pub stats: WorldStats,
    /// Nodes the last action touched (what the checkers look at).
    pub touched: Vec<NodeSlot>,
    /// The invariant checkers, fed where facts happen (see `observe.rs`);
    /// `None` runs unchecked (`--no-checkers`).
    pub(crate) checkers: Option<Checkers>,
    /// The first violation the step under way found, returned when it ends.
    pub(crate) found: Option<Violation>,
    /// Why the last `Action::Propose`, `ConfChange` or `TransferLeader`
    /// was refused, if it was.
    pub refusal: Option<String>,
    /// The operator's membership operations waiting.
    pub admin: Admin,
    /// Messages sent since the stepper last took them, when a picture of
    /// the run is being drawn ([`World::log_sends`]); `None` otherwise.
    /// Drained after every step, so it holds one step's sends.
    sends: Option<Vec<SendRecord>>,
}

impl World {
    /// A world of booted nodes and idle clients, seeded by `seed`.
    #[must_use]
    pub fn new(spec: ClusterSpec, seed: u64) -> World {
        let bootstrap = spec.bootstrap_conf();
        let slots = spec.slot_count();
        let hosts = NodeSlot::all(slots)
            .map(|slot| {
                let mut config = Config::new(slot.id(), bootstrap.voters.iter().copied());
                config.learners.clone_from(&bootstrap.learners);
                spec.raft.configure(&mut config);
                config.seed = streams::seed_for(seed, Concern::Node(slot.index() as u64));
                config.rule_breaks = spec.rule_breaks.raft;
                let mut host = Host::new(slot, spec.sut, config, spec.tick_ns);
                host.breaks = spec.rule_breaks;
                host.read_path = spec.workload.reads;
                host.snapshot_every_entries = spec.snapshot_every_entries;
                Arc::new(host)
            })
            .collect();
        let clients = (0..spec.clients)
            .map(|c| Client::new(c as ClientId, NodeSlot::new(c % spec.nodes.max(1))))
            .collect();
        let mut world = World {
            now_ns: 0,
            next_seq: 0,
            queue: BTreeMap::new(),
            delivery_keys: BTreeMap::new(),
            net: Net::new(slots),
            hosts,
            tick_epochs: vec![0; slots],
            clients,
            history: History::default(),
            workload_on: true,
            torn: vec![false; slots],
            fsync_ns: vec![(spec.fsync_min_ns, spec.fsync_max_ns); slots],
            rng_net: SharedRng::new(seed, Concern::Network),
            rng_disk: SharedRng::new(seed, Concern::Disk),
            rng_clients: SharedRng::new(seed, Concern::Clients),
            stats: WorldStats::default(),
            touched: Vec::new(),
            checkers: Some(Checkers::new(slots, bootstrap.clone())),
            found: None,
            refusal: None,
            admin: Admin::default(),
            sends: None,
            spec,
        };
        // The spares have never run: a membership change that adds one
        // starts it.
        for node in NodeSlot::all(world.spec.bootstrap_count()) {
            world.boot(node);
        }
        for client in 0..world.clients.len() {
            let think = Client::think_time_ns(&world.spec.workload, &mut world.rng_clients);
            world.wake_client_after(client, think, WakeReason::NextOp);
        }
        world
    }

    /// The time of the next scheduled event, if any.
    #[must_use]
    pub fn next_event_time(&self) -> Option<u64> {
        self.queue.keys().next().map(|(time, _)| *time)
    }

    /// The earliest scheduled event (the random driver's next action).
    #[must_use]
    pub fn next_event(&self) -> Option<(u64, Event)> {
        self.queue.iter().next().map(|((time, _), e)| (*time, *e))
    }

    /// Every scheduled event, in order.
    pub fn scheduled(&self) -> impl Iterator<Item = (u64, Event)> + '_ {
        self.queue.iter().map(|((time, _), e)| (*time, *e))
    }

    /// Moves the clock forward to `time_ns` (never back).
    pub fn advance_clock_to(&mut self, time_ns: u64) {
        self.now_ns = self.now_ns.max(time_ns);
    }

    /// Runs the earliest event, moving the clock to its time. Returns false
    /// if nothing is scheduled, or the first invariant it broke.
    ///
    /// # Errors
    ///
    /// The first violation the checkers found in the step.
    pub fn step(&mut self) -> Result<bool, Violation> {
        let Some(((time, seq), event)) = self.queue.pop_first() else {
            return Ok(false);
        };
        if let Event::Deliver(id) = event {
            self.delivery_keys.remove(&id);
        }
        // An event overdue (the clock moved on in a manual scenario) runs now.
        let _ = seq;
        self.now_ns = self.now_ns.max(time);
        self.begin_step();
        self.run_event(event);
        self.end_step().map(|()| true)
    }

    /// Applies one action now.
    ///
    /// # Errors
    ///
    /// The first violation the checkers found in the step.
    pub fn apply(&mut self, action: Action) -> Result<(), Violation> {
        self.begin_step();
        self.run_action(action);
        self.end_step()
    }

    fn run_action(&mut self, action: Action) {
        match action {
            Action::Event(event) => {
                if self.unschedule(event) {
                    self.run_event(event);
                }
            }
            Action::Drop(id) => self.drop_message(id),
            Action::Duplicate(id) => self.duplicate_message(id),
            Action::Crash(node) => self.crash(node, None),
            Action::CrashKeeping { node, kept } => self.crash(node, Some(kept)),
            Action::Restart(node) => self.restart(node),
            Action::Pause(node) => self.pause(node),
            Action::Resume(node) => {
                let mut out = Outbox::default();
                self.host_mut(node).resume(&mut out);
                self.carry_out(node, out);
            }
            Action::Block(links) => {
                if !links.is_empty() {
                    self.stats.partitions += 1;
                }
                for (from, to) in links {
                    self.net.block(from, to);
                }
            }
            Action::Heal => self.net.heal(),
            Action::SetNoise(noise) => self.net.noise = noise,
            Action::SetTorn(torn) => self.torn.iter_mut().for_each(|t| *t = torn),
            Action::SetDisk {
                node,
                fsync_ns,
                torn,
            } => {
                if let Some(range) = fsync_ns {
                    self.fsync_ns[node.index()] = range;
                }
                if let Some(torn) = torn {
                    self.torn[node.index()] = torn;
                }
            }
            Action::Campaign(node) => self.with_node(node, |host, out| host.campaign(out)),
            Action::HeartbeatTimeout(node) => {
                self.with_node(node, |host, out| host.heartbeat_timeout(out));
            }
            Action::CheckQuorum(node) => {
                self.with_node(node, |host, out| host.check_quorum_timeout(out));
            }
            Action::TickNow(node) => self.with_node(node, Host::on_tick),
            Action::Compact(node) => self.with_node(node, Host::request_compaction),
            Action::Propose { node, count } => self.propose_direct(node, count),
            Action::Skew { node, factor } => {
                let interval = (self.spec.tick_ns as f64 / factor.max(0.01)) as u64;
                self.host_mut(node).tick_interval_ns = interval.max(1);
            }
            Action::SetWorkload(on) => self.set_workload(on),
            Action::ClientOp { op, via } => {
                self.start_client_op(op, via);
            }
            Action::ConfChange { node, change } => {
                let added: Vec<NodeSlot> = crate::membership::added_by(&change.changes).collect();
                self.start_added(&added);
                let mut result = Ok(raft_core::LogIndex(0));
                self.with_node(node, |host, out| {
                    result = host.propose_conf_change(&change, out);
                });
                self.stats.conf_changes_proposed += u64::from(result.is_ok());
                self.refusal = result
                    .err()
                    .map(|err| format!("{node} refused the change: {err}"));
            }
            Action::TransferLeader { node, to } => {
                let mut result = Ok(());
                self.with_node(node, |host, out| {
                    result = host.transfer_leader(to.id(), out);
                });
                self.stats.leader_transfers += u64::from(result.is_ok());
                self.refusal = result
                    .err()
                    .map(|err| format!("{node} refused the transfer: {err}"));
            }
            Action::Membership(op) => self.ask_admin(op),
        }
    }

    /// Loses message `id` (and its pending delivery).
    fn drop_message(&mut self, id: u64) {
        if let Some(key) = self.delivery_keys.remove(&id) {
            self.queue.remove(&key);
        }
        self.net.lose(id);
    }

    /// Sends a copy of message `id`, delivered after its own delay.
    fn duplicate_message(&mut self, id: u64) {
        let original = self
            .sends
            .is_some()
            .then(|| self.net.packet(id).cloned())
            .flatten();
        if let Some((copy, delay)) = self.net.duplicate(id, &mut self.rng_net) {
            let key = self.schedule(self.now_ns + delay, Event::Deliver(copy));
            self.delivery_keys.insert(copy, key);
            if let (Some(sends), Some(packet)) = (self.sends.as_mut(), original) {
                // The copy as a send of its own, so its arrow has a start.
                let stats = &self.net.stats;
                let mut sent = SendRecord::new(&packet, stats, stats, vec![copy]);
                sent.fate = SendFate::Duplicated;
                sends.push(sent);
            }
        }
    }

    /// Boots a node that is down; a node that is up is left alone.
    /// Boots a crashed node from its disk. A spare that never ran is not
    /// part of the cluster yet (only a change that adds it starts it), and a
    /// retired node is no longer.
    fn restart(&mut self, node: NodeSlot) {
        let host = &self.hosts[node.index()];
        if host.state == HostState::Down && host.is_present() {
            self.stats.restarts += 1;
            self.boot(node);
        }
    }

    /// Pauses a node that is up.
    fn pause(&mut self, node: NodeSlot) {
        if self.hosts[node.index()].state == HostState::Up {
            self.stats.pauses += 1;
            self.host_mut(node).pause();
        }
    }

    /// Hands `count` entries straight to `node` (no client); a refusal is
    /// kept for the driver to report.
    fn propose_direct(&mut self, node: NodeSlot, count: u64) {
        let mut refused = None;
        self.with_node(node, |host, out| {
            for _ in 0..count {
                if let Err(err) = host.propose_direct(out) {
                    refused = Some(format!("{node} refused the proposal: {err}"));
                    break;
                }
            }
        });
        self.refusal = refused;
    }

    /// Starts or stops the clients' workload; started, every idle client
    /// wakes now.
    fn set_workload(&mut self, on: bool) {
        self.workload_on = on;
        if on {
            for client in 0..self.clients.len() {
                if self.clients[client].in_flight.is_none() {
                    self.wake_client_after(client, 0, WakeReason::NextOp);
                }
            }
        }
    }

    /// Host `node`, to change: copied first if a clone of the world shares it.
    pub fn host_mut(&mut self, node: NodeSlot) -> &mut Host {
        Arc::make_mut(&mut self.hosts[node.index()])
    }

    /// Runs `work` on a host and carries out what it asks.
    fn with_node(&mut self, node: NodeSlot, work: impl FnOnce(&mut Host, &mut Outbox)) {
        let mut out = Outbox::default();
        work(self.host_mut(node), &mut out);
        self.carry_out(node, out);
    }

    fn unschedule(&mut self, event: Event) -> bool {
        let key = self
            .queue
            .iter()
            .find(|(_, e)| **e == event)
            .map(|(key, _)| *key);
        match key {
            Some(key) => {
                self.queue.remove(&key);
                if let Event::Deliver(id) = event {
                    self.delivery_keys.remove(&id);
                }
                true
            }
            None => false,
        }
    }

    fn schedule(&mut self, at_ns: u64, event: Event) -> (u64, u64) {
        let key = (at_ns, self.next_seq);
        self.next_seq += 1;
        self.queue.insert(key, event);
        key
    }

    fn run_event(&mut self, event: Event) {
        match event {
            Event::Deliver(id) => self.deliver(id),
            Event::Tick { node, epoch } => {
                if epoch != self.tick_epochs[node.index()] {
                    return;
                }
                let mut out = Outbox::default();
                self.host_mut(node).on_tick(&mut out);
                self.carry_out(node, out);
                let at = self.now_ns + self.hosts[node.index()].tick_interval_ns;
                self.schedule(at, Event::Tick { node, epoch });
            }
            Event::Synced { node, token } => {
                let mut out = Outbox::default();
                self.host_mut(node).on_synced(token, &mut out);
                self.carry_out(node, out);
            }
            Event::ClientWake { client, token } => {
                if self.clients[client].wake_token == token {
                    self.client_wake(client);
                }
            }
            Event::AdminWake { token } => self.admin_wake(token),
        }
    }

    fn deliver(&mut self, id: u64) {
        let Some(packet) = self.net.arrive(id) else {
            return;
        };
        match packet.to {
            Endpoint::Node(node) => {
                let mut out = Outbox::default();
                self.host_mut(node).on_packet(packet, &mut out);
                self.carry_out(node, out);
            }
            Endpoint::Client(client) => self.client_reply(client as usize, packet),
        }
    }

    /// Hands the checkers what the host reported, sends its packets and
    /// schedules its fsync.
    fn carry_out(&mut self, node: NodeSlot, out: Outbox) {
        if !self.touched.contains(&node) {
            self.touched.push(node);
        }
        self.check_outbox(node, &out);
        self.stats.snapshots_taken += u64::from(out.compacted);
        self.stats.snapshots_installed += u64::from(out.installed);
        for packet in out.packets {
            if matches!(
                packet.payload.raft_message(),
                Some(m) if matches!(m.body, raft_core::MessageBody::InstallSnapshot { .. })
            ) {
                self.stats.snapshot_chunks_sent += 1;
            }
            self.send(packet);
        }
        if let Some(token) = out.sync {
            let (low, high) = self.fsync_ns[node.index()];
            let latency = if high > low {
                self.rng_disk.random_range(low..=high)
            } else {
                low
            };
            self.schedule(self.now_ns + latency, Event::Synced { node, token });
        }
    }

    fn send(&mut self, packet: Packet) {
        let logged = self
            .sends
            .is_some()
            .then(|| (packet.clone(), self.net.stats.clone()));
        let sent = self.net.send(packet, &mut self.rng_net);
        for &(id, delay) in &sent {
            let key = self.schedule(self.now_ns + delay, Event::Deliver(id));
            self.delivery_keys.insert(id, key);
        }
        if let (Some(sends), Some((packet, before))) = (self.sends.as_mut(), logged) {
            let ids = sent.iter().map(|&(id, _)| id).collect();
            sends.push(SendRecord::new(&packet, &before, &self.net.stats, ids));
        }
    }

    /// Logs every message sent from now on, for [`World::take_sends`].
    pub fn log_sends(&mut self) {
        self.sends.get_or_insert_with(Vec::new);
    }

    /// The messages sent since the last call (none unless logging).
    pub fn take_sends(&mut self) -> Vec<SendRecord> {
        self.sends.as_mut().map(std::mem::take).unwrap_or_default()
    }

    fn boot(&mut self, node: NodeSlot) {
        let mut out = Outbox::default();
        self.host_mut(node).boot(&mut out);
        self.carry_out(node, out);
        self.tick_epochs[node.index()] += 1;
        let epoch = self.tick_epochs[node.index()];
        let at = self.now_ns + self.hosts[node.index()].tick_interval_ns;
        self.schedule(at, Event::Tick { node, epoch });
        if !self.touched.contains(&node) {
            self.touched.push(node);
        }
    }

    /// Power loss on `node`: its unsynced writes lost, or with `kept` the
    /// first unsynced records of each file kept; without, torn writes (if
    /// on for the node) keep a random prefix.
    fn crash(&mut self, node: NodeSlot, kept: Option<FileRecords>) {
        if self.hosts[node.index()].state == HostState::Down {
            return;
        }
        self.stats.crashes += 1;
        // The lost process's pending fsync will never be reported.
        self.queue
            .retain(|_, e| !matches!(e, Event::Synced { node: n, .. } if *n == node));
        let torn = self.torn[node.index()];
        let host = Arc::make_mut(&mut self.hosts[node.index()]);
        match kept {
            Some(kept) => host.crash_keeping(kept),
            None => host.crash(torn, &mut self.rng_disk),
        }
        self.tick_epochs[node.index()] += 1;
        if !self.touched.contains(&node) {
            self.touched.push(node);
        }
    }

    /// A stable 64-bit fingerprint of everything that decides the world's
    /// future: clock, schedule, network, hosts (nodes, disks, state
    /// machines), clients, history and the random streams' positions.
    /// Counters are left out. The same state gives the same fingerprint in
    /// every run of the same build.
    #[must_use]
    pub fn fingerprint(&self) -> u64 {
        let mut state = xxhash_rust::xxh3::Xxh3::new();
        self.now_ns.hash(&mut state);
        self.next_seq.hash(&mut state);
        self.queue.hash(&mut state);
        self.net.hash_state(&mut state);
        self.hosts.hash(&mut state);
        self.tick_epochs.hash(&mut state);
        self.clients.hash(&mut state);
        self.history.hash(&mut state);
        self.workload_on.hash(&mut state);
        self.torn.hash(&mut state);
        self.fsync_ns.hash(&mut state);
        for rng in [&self.rng_net, &self.rng_disk, &self.rng_clients] {
            rng.get_word_pos().hash(&mut state);
        }
        state.finish()
    }

    /// The number of nodes.
    #[must_use]
    pub fn node_count(&self) -> usize {
        self.hosts.len()
    }

    /// Every node's slot, in order.
    pub fn nodes(&self) -> impl DoubleEndedIterator<Item = NodeSlot> + Clone + use<> {
        NodeSlot::all(self.hosts.len())
    }

    /// The host in slot `node`.
    #[must_use]
    pub fn host(&self, node: NodeSlot) -> &Host {
        &self.hosts[node.index()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_follow_the_state_not_the_object() {
        let world = World::new(ClusterSpec::default(), 9);
        let twin = World::new(ClusterSpec::default(), 9);
        assert_eq!(
            world.fingerprint(),
            twin.fingerprint(),
            "same seed, same state"
        );
        assert_ne!(
            world.fingerprint(),
            World::new(ClusterSpec::default(), 10).fingerprint(),
            "another seed draws other election timeouts"
        );
        let mut stepped = world.clone();
        assert_eq!(
            stepped.fingerprint(),
            world.fingerprint(),
            "a clone is the same state"
        );
        assert_eq!(stepped.step(), Ok(true));
        assert_ne!(
            stepped.fingerprint(),
            world.fingerprint(),
            "an event changes the state"
        );
        let mut counted = world.clone();
        counted.stats.events += 100;
        assert_eq!(
            counted.fingerprint(),
            world.fingerprint(),
            "counters are not state"
        );
    }
}

//! A state of the search and the model around it: the initial state, an
//! action's effect, and the fingerprint (the enabled actions are in
//! `enabled.rs`).
//!
//! A state is the real simulator `World` (raft-core nodes, hosts, disks,
//! network, and the checkers' ledgers along the path that reached it) and
//! the budget spent. Time is abstract: no tick ever runs, timers fire only
//! as actions, so the tick counters stay where a reset put them and are
//! left out of the fingerprint (raft-core keeps only whether the follower
//! lease holds, as a flag).

use std::hash::{Hash, Hasher};

use xxhash_rust::xxh3::Xxh3;

use super::bounds::Bounds;
use super::clients::{judge_history, refresh_clients};
use super::step::Step;
use super::symmetry::hash_relabeled;
use crate::checker::{Checkers, Invariant, Violation};
use crate::host::Host;
use crate::net::{Endpoint, NetNoise, Packet};
use crate::queries::{SETTLE_ACTIONS_MAX, unsettled};
use crate::slot::NodeSlot;
use crate::world::{Action, ClusterSpec, Event, World};

/// A 128-bit fingerprint; the visited set keeps 64 or all 128 bits.
pub type Fingerprint = u128;

/// Budget spent along a path: part of the state, since a state with budget
/// left can do more than the same cluster without.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) struct Spent {
    pub(crate) drops: u32,
    pub(crate) dups: u32,
    pub(crate) crashes: u32,
    pub(crate) proposals: u32,
    pub(crate) client_ops: u32,
    pub(crate) reads: u32,
    pub(crate) client_retries: u32,
    pub(crate) partitions: u32,
    pub(crate) compactions: u32,
    pub(crate) conf_changes: u32,
    pub(crate) transfers: u32,
}

/// One state of the search.
#[derive(Clone, Debug)]
pub(crate) struct State {
    /// The simulated cluster, with the checkers' ledgers along the path
    /// that reached this state.
    pub(crate) world: World,
    /// Budget spent.
    pub(crate) spent: Spent,
    /// Per host, the hash of its protocol state, refreshed only for the
    /// hosts an action touched (incremental fingerprints).
    host_hashes: Vec<u128>,
    /// With symmetry reduction: host `h`'s hash under renaming `r` at
    /// `h * renamings + r`, refreshed like `host_hashes`.
    renamed_hosts: Vec<u128>,
    /// Every in-flight packet's hashes, by id.
    pub(super) packets: Vec<PacketHashes>,
    /// The clients' sessions and the history they made, hashed (under each
    /// renaming, with symmetry reduction; the identity alone without),
    /// refreshed after a client's step; zero while there are none.
    pub(super) clients: Vec<u128>,
}

impl State {
    /// The checkers' ledgers (the explorer always checks).
    pub(crate) fn checkers(&self) -> &Checkers {
        self.world
            .checkers()
            .expect("the explorer's worlds are checked")
    }

    fn checkers_mut(&mut self) -> &mut Checkers {
        self.world
            .checkers_mut()
            .expect("the explorer's worlds are checked")
    }
}

/// An in-flight packet's id and hashes.
#[derive(Clone, Debug)]
pub(super) struct PacketHashes {
    pub(super) id: u64,
    pub(super) content: u128,
    /// Under each renaming (symmetry reduction only; empty otherwise).
    renamed: Box<[u128]>,
}

/// The 128-bit hash of `value` through its `Hash` implementation.
fn hash128(value: &impl Hash) -> u128 {
    Gathering::digest(|hasher| value.hash(hasher))
}

fn host_hash(host: &Host) -> u128 {
    Gathering::digest(|hasher| host.hash_protocol_state(hasher))
}

/// A `Hasher` that gathers the bytes it is fed and hashes them in one pass
/// at the end (xxh3's one-shot 128-bit hash). A protocol state feeds a few
/// hundred small writes; xxh3's streaming state spent a fifth of the
/// checker's instructions on them (callgrind), gathering costs a copy each.
pub(super) struct Gathering {
    bytes: Vec<u8>,
}

impl Gathering {
    pub(super) fn digest(feed: impl FnOnce(&mut Gathering)) -> u128 {
        thread_local! {
            static BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
        }
        BUFFER.with(|buffer| {
            let mut hasher = Gathering {
                bytes: std::mem::take(&mut *buffer.borrow_mut()),
            };
            hasher.bytes.clear();
            feed(&mut hasher);
            let digest = xxhash_rust::xxh3::xxh3_128(&hasher.bytes);
            *buffer.borrow_mut() = hasher.bytes;
            digest
        })
    }
}

impl Hasher for Gathering {
    fn write(&mut self, bytes: &[u8]) {
        self.bytes.extend_from_slice(bytes);
    }
    fn finish(&self) -> u64 {
        xxhash_rust::xxh3::xxh3_64(&self.bytes)
    }
}

/// The link and kind of an in-flight `packet`, as (from, to, kind).
pub(super) fn link(packet: &Packet) -> (Endpoint, Endpoint, &'static str) {
    (packet.from, packet.to, packet.payload.kind_name())
}

/// The one message latency and the one fsync latency of the explored
/// world, in nanoseconds (the least of the simulator's defaults). Time is
/// abstract, but the order in which `stabilize` takes deliveries and
/// writes follows their scheduled times: a written counterexample fixes
/// the same latencies so that its `stabilize` lines replay the same order.
pub(crate) fn explored_latencies() -> (u64, u64) {
    (
        NetNoise::default().delay_min_ns,
        ClusterSpec::default().fsync_min_ns,
    )
}

/// The explorer's model: the bounds, and everything they decide.
#[derive(Clone, Debug)]
pub(crate) struct Model {
    pub(crate) bounds: Bounds,
    /// With symmetry reduction, every renaming of the nodes (the identity
    /// first); empty without.
    pub(crate) renamings: Vec<Vec<usize>>,
    /// Asked now and then: true stops the search where it is (Ctrl-C).
    pub(crate) cancelled: fn() -> bool,
}

impl State {
    /// How many messages are in flight.
    pub(crate) fn message_count(&self) -> usize {
        self.packets.len()
    }
}

impl Model {
    /// The cluster every path starts from: nodes booted, nothing in flight,
    /// no clients (proposals are actions).
    pub(crate) fn initial(&self) -> State {
        let bounds = &self.bounds;
        // Fixed latencies: time is abstract here, and a world that never
        // draws from its random streams never copies them.
        let defaults = ClusterSpec::default();
        let (latency_ns, fsync_ns) = explored_latencies();
        let spec = ClusterSpec {
            nodes: bounds.nodes,
            spares: bounds.spares,
            clients: 0,
            raft: bounds.raft_settings(),
            rule_breaks: bounds.rule_breaks,
            sut: bounds.sut,
            fsync_min_ns: fsync_ns,
            fsync_max_ns: fsync_ns,
            ..defaults
        };
        let mut world = World::new(spec, 0);
        world
            .apply(Action::SetNoise(NetNoise {
                delay_min_ns: latency_ns,
                delay_max_ns: latency_ns,
                ..NetNoise::default()
            }))
            .expect("setting the noise touches no node");
        let host_hashes = world.hosts.iter().map(|h| host_hash(h)).collect();
        let renamed_hosts = world
            .hosts
            .iter()
            .flat_map(|host| {
                self.renamings
                    .iter()
                    .map(|renaming| hash_relabeled(&host.protocol_state(), renaming))
            })
            .collect();
        let mut state = State {
            world,
            spent: Spent::default(),
            host_hashes,
            renamed_hosts,
            packets: Vec::new(),
            clients: Vec::new(),
        };
        refresh_packets(&mut state, &self.renamings);
        state
    }

    /// Applies `step` (which must be enabled in `state`); the checkers look
    /// at once. Every committed entry counts as acknowledged to a client,
    /// so durability is checked against it.
    pub(crate) fn apply(&self, state: &mut State, step: Step) -> Result<(), Violation> {
        match step {
            Step::Drop(_) => state.spent.drops += 1,
            Step::Duplicate(_) => state.spent.dups += 1,
            Step::Crash(..) => state.spent.crashes += 1,
            Step::Propose(_) => state.spent.proposals += 1,
            Step::Submit(_, op) => {
                state.spent.client_ops += 1;
                state.spent.reads += u32::from(matches!(op, crate::kv::Op::Get { .. }));
            }
            Step::WakeClient(_) => state.spent.client_retries += 1,
            Step::Isolate(_) => state.spent.partitions += 1,
            Step::Compact(_) => state.spent.compactions += 1,
            Step::Reconfigure(_) => state.spent.conf_changes += 1,
            Step::TransferLeader(_) => state.spent.transfers += 1,
            _ => {}
        }
        let completed = state.world.history.completed();
        let result = if step == Step::Stabilize {
            self.settle(state)
        } else {
            let action = step
                .action(&state.world)
                .expect("the step is enabled in this state");
            self.act(state, action, step.node())
        };
        refresh_packets(state, &self.renamings);
        if step.involves_a_client() {
            refresh_clients(state, &self.renamings);
        }
        result?;
        if state.world.history.completed() > completed {
            return judge_history(state);
        }
        Ok(())
    }

    /// Applies one world action and refreshes the hashes of the hosts it
    /// touched. A panic is raft-core (or a host) breaking its own
    /// invariant: a finding like any other, on `node`, the one the step
    /// touched.
    fn act(
        &self,
        state: &mut State,
        action: Action,
        node: Option<NodeSlot>,
    ) -> Result<(), Violation> {
        let result = match crate::panics::catch(|| state.world.apply(action)) {
            Ok(result) => result,
            Err(caught) => {
                let nodes = node.into_iter().collect();
                return Err(Violation::new(Invariant::Panic, nodes, caught.to_string()));
            }
        };
        state.world.refusal = None;
        state.checkers_mut().acknowledge_committed();
        for &node in &state.world.touched {
            let host = state.world.host(node);
            let node = node.index();
            state.host_hashes[node] = host_hash(host);
            let count = self.renamings.len();
            for (r, renaming) in self.renamings.iter().enumerate() {
                state.renamed_hosts[node * count + r] =
                    hash_relabeled(&host.protocol_state(), renaming);
            }
        }
        result
    }

    /// `stabilize`: the next delivery or write, as the world schedules
    /// them (the scenario's `stabilize` takes the same ones in the same
    /// order), until there is none. A cluster whose timers never fire that
    /// does not settle breeds messages forever: a storm.
    fn settle(&self, state: &mut State) -> Result<(), Violation> {
        for _ in 0..SETTLE_ACTIONS_MAX {
            let Some(event) = state.world.settling_event() else {
                return Ok(());
            };
            let node = match event {
                Event::Deliver(id) => state.world.net.packet(id).and_then(|p| match p.to {
                    Endpoint::Node(n) => Some(n),
                    Endpoint::Client(_) => None,
                }),
                Event::Synced { node, .. } => Some(node),
                _ => None,
            };
            self.act(state, Action::Event(event), node)?;
        }
        Err(unsettled())
    }

    /// The fingerprint of `state`: each host's protocol state (no clock,
    /// the disk as recovery reads it), the in-flight messages as a multiset
    /// (ids and delivery times left out), the budget spent, and the
    /// history the checkers' verdicts depend on.
    pub(crate) fn fingerprint(&self, state: &State) -> Fingerprint {
        if !self.renamings.is_empty() {
            return (0..self.renamings.len())
                .map(|r| fingerprint_renamed(state, &self.renamings, r))
                .min()
                .expect("at least the identity");
        }
        let mut hasher = Xxh3::new();
        for host in &state.host_hashes {
            hasher.write_u128(*host);
        }
        // A sum of element hashes is the same in any order: a multiset hash.
        let messages = state
            .packets
            .iter()
            .fold(0u128, |sum, packet| sum.wrapping_add(packet.content));
        hasher.write_u128(messages);
        hasher.write_usize(state.packets.len());
        state.spent.hash(&mut hasher);
        if let Some(clients) = state.clients.first() {
            hasher.write_u128(*clients);
        }
        let identity = |node: NodeSlot| node;
        hash_partition(&state.world, &identity, &mut hasher);
        state.checkers().hash_history(&mut hasher, &identity);
        state
            .checkers()
            .vote_ledger()
            .hash_history(&mut hasher, &identity);
        hasher.digest128()
    }
}

/// The fingerprint of `state` under renaming `r` (node `i` becomes
/// `renamings[r][i]`): what [`Model::fingerprint`] hashes, through the
/// renaming serializer (see `symmetry`), hosts in their renamed order.
fn fingerprint_renamed(state: &State, renamings: &[Vec<usize>], r: usize) -> Fingerprint {
    let renaming = &renamings[r];
    let count = renamings.len();
    let mut renamed = vec![0u128; renaming.len()];
    for (index, new_index) in renaming.iter().enumerate() {
        renamed[*new_index] = state.renamed_hosts[index * count + r];
    }
    let mut hasher = Xxh3::new();
    for host in renamed {
        hasher.write_u128(host);
    }
    let messages = state
        .packets
        .iter()
        .fold(0u128, |sum, packet| sum.wrapping_add(packet.renamed[r]));
    hasher.write_u128(messages);
    hasher.write_usize(state.packets.len());
    state.spent.hash(&mut hasher);
    if let Some(clients) = state.clients.get(r) {
        hasher.write_u128(*clients);
    }
    let relabel = |node: NodeSlot| {
        let index = node.index();
        NodeSlot::new(renaming.get(index).copied().unwrap_or(index))
    };
    hash_partition(&state.world, &relabel, &mut hasher);
    state.checkers().hash_history(&mut hasher, &relabel);
    state
        .checkers()
        .vote_ledger()
        .hash_history(&mut hasher, &relabel);
    hasher.digest128()
}

/// Feeds the blocked links, renamed by `relabel` and sorted, to `hasher`
/// (nothing while the network is whole).
fn hash_partition(world: &World, relabel: &dyn Fn(NodeSlot) -> NodeSlot, hasher: &mut Xxh3) {
    if !world.net.is_partitioned() {
        return;
    }
    let mut links: Vec<(NodeSlot, NodeSlot)> = world
        .net
        .blocked_links()
        .into_iter()
        .map(|(from, to)| (relabel(from), relabel(to)))
        .collect();
    links.sort_unstable();
    links.hash(hasher);
}

/// Brings `state.packets` up to date with the network, hashing only the
/// packets that are new (under every renaming, with symmetry reduction).
fn refresh_packets(state: &mut State, renamings: &[Vec<usize>]) {
    let old = std::mem::take(&mut state.packets);
    let mut old = old.into_iter().peekable();
    let mut packets = Vec::with_capacity(state.world.net.in_flight_count());
    for (id, packet) in state.world.net.in_flight() {
        while old.next_if(|known| known.id < id).is_some() {}
        let hashes = match old.next_if(|known| known.id == id) {
            Some(known) => known,
            None => PacketHashes {
                id,
                content: hash128(packet),
                renamed: renamings
                    .iter()
                    .map(|renaming| hash_relabeled(packet, renaming))
                    .collect(),
            },
        };
        packets.push(hashes);
    }
    state.packets = packets;
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};

    /// The incremental fingerprint (hosts rehashed only when touched,
    /// packets only when new) equals one computed from scratch, along
    /// random paths with every kind of action.
    #[test]
    fn incremental_fingerprints_match_a_full_recompute() {
        let bounds = Bounds {
            max_log: 3,
            max_drops: 2,
            max_dups: 2,
            max_crashes: 2,
            max_proposals: 2,
            max_partitions: 2,
            max_client_ops: 3,
            max_client_retries: 3,
            settle: true,
            check_quorum: true,
            pre_vote: true,
            ..Bounds::small(3, 3, 80)
        };
        for renamings in [Vec::new(), crate::explore::symmetry::permutations(3)] {
            let model = Model {
                renamings,
                bounds: bounds.clone(),
                cancelled: || false,
            };
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
            let mut kinds = Vec::new();
            for _ in 0..60 {
                let mut state = model.initial();
                for _ in 0..80 {
                    let steps = model.enabled(&state);
                    if steps.is_empty() {
                        break;
                    }
                    let step = steps[rng.random_range(0..steps.len())];
                    let kind = std::mem::discriminant(&step);
                    if !kinds.contains(&kind) {
                        kinds.push(kind);
                    }
                    let _ = model.apply(&mut state, step);
                    let fresh = from_scratch(&model, &state);
                    assert_eq!(model.fingerprint(&fresh), model.fingerprint(&state));
                }
            }
            assert_eq!(kinds.len(), 15, "every kind of step ran");
        }
    }

    /// `state` with every cached hash computed again.
    fn from_scratch(model: &Model, state: &State) -> State {
        let mut fresh = state.clone();
        let hosts = &fresh.world.hosts;
        fresh.host_hashes = hosts.iter().map(|h| host_hash(h)).collect();
        fresh.renamed_hosts = hosts
            .iter()
            .flat_map(|host| {
                model
                    .renamings
                    .iter()
                    .map(|r| hash_relabeled(&host.protocol_state(), r))
            })
            .collect();
        fresh.packets.clear();
        refresh_packets(&mut fresh, &model.renamings);
        if !fresh.world.clients.is_empty() {
            refresh_clients(&mut fresh, &model.renamings);
        }
        fresh
    }
}

//! The actions enabled in a state of the search: each in-flight message
//! (delivered, dropped, duplicated: each distinct content once), each
//! node's timers, writes, faults, proposals and client operations, and the
//! leader's membership changes and transfers, within the budget left; and
//! the keys that name them for partial-order reduction.

use raft_core::Role;

use super::clients::client_ops;
use super::state::{Model, PacketHashes, State, link};
use super::step::{Pick, Reconfigure, Step, kept_choices};
use crate::disk::FileRecords;
use crate::host::{Host, HostState};
use crate::net::Endpoint;
use crate::slot::NodeSlot;
use crate::sut::RaftNode;

impl Model {
    /// Whether `state`'s successors are explored: a state with more
    /// messages in flight than the bound is checked but not expanded.
    pub(crate) fn expandable(&self, state: &State) -> bool {
        state.packets.len() <= self.bounds.max_msgs
    }

    /// Every action enabled in `state`, in a fixed order: the messages in
    /// flight (each distinct content once, its oldest copy), then each
    /// node's actions.
    pub(crate) fn enabled(&self, state: &State) -> Vec<Step> {
        self.enabled_keyed(state)
            .into_iter()
            .map(|(step, _)| step)
            .collect()
    }

    /// The enabled actions, each with a key that names it in every state
    /// where it is enabled: a message action by the message's content, a
    /// node's action by the node (what sleep sets remember, see `por`).
    pub(crate) fn enabled_keyed(&self, state: &State) -> Vec<(Step, u128)> {
        let bounds = &self.bounds;
        let world = &state.world;
        let mut steps = Vec::new();
        let mut seen: Vec<u128> = Vec::with_capacity(state.packets.len());
        let mut per_link: Vec<((Endpoint, Endpoint, &'static str), u32)> = Vec::new();
        for PacketHashes { id, content, .. } in &state.packets {
            let Some(link) = world.net.packet(*id).map(link) else {
                continue;
            };
            let nth = match per_link.iter_mut().find(|(l, _)| *l == link) {
                Some((_, count)) => {
                    *count += 1;
                    *count
                }
                None => {
                    per_link.push((link, 1));
                    1
                }
            };
            if seen.contains(content) {
                continue; // delivering either copy leads to the same state
            }
            seen.push(*content);
            let pick = Pick {
                from: link.0,
                to: link.1,
                kind: link.2,
                nth,
            };
            steps.push((Step::Deliver(pick), content ^ 1));
            if state.spent.drops < bounds.max_drops {
                steps.push((Step::Drop(pick), content ^ 2));
            }
            if state.spent.dups < bounds.max_dups {
                steps.push((Step::Duplicate(pick), content ^ 3));
            }
        }
        let mut node_steps = Vec::new();
        for (node, host) in world.nodes().zip(&world.hosts) {
            self.node_steps(state, node, host, &mut node_steps);
        }
        if state.spent.client_retries < bounds.max_client_retries {
            for client in 0..world.clients.len() {
                if world.pending_client_wake(client).is_some() {
                    node_steps.push(Step::WakeClient(client as u32));
                }
            }
        }
        if bounds.settle && world.settling_event().is_some() {
            node_steps.push(Step::Stabilize);
        }
        if world.net.is_partitioned() {
            node_steps.push(Step::Heal);
        } else if state.spent.partitions < bounds.max_partitions {
            node_steps.extend(world.present_nodes().map(Step::Isolate));
        }
        self.membership_steps(state, &mut node_steps);
        steps.extend(
            node_steps
                .into_iter()
                .map(|step| (step, node_step_key(&step))),
        );
        steps
    }

    fn node_steps(&self, state: &State, node: NodeSlot, host: &Host, steps: &mut Vec<Step>) {
        let bounds = &self.bounds;
        if state.world.pending_sync(node).is_some() {
            steps.push(Step::Persist(node));
        }
        let raw = match (host.state, host.node()) {
            (HostState::Up, Some(raw)) => raw,
            (HostState::Down, _) if host.is_present() => {
                steps.push(Step::Restart(node));
                return;
            }
            _ => return,
        };
        let leader = raw.role() == Role::Leader;
        if !leader && raw.term().0 < bounds.max_term {
            steps.push(Step::Campaign(node));
        }
        if leader {
            steps.push(Step::Heartbeat(node));
        }
        if bounds.check_quorum && (leader || raw.in_lease()) {
            steps.push(Step::CheckQuorum(node));
        }
        if leader
            && state.spent.proposals < bounds.max_proposals
            && raw.log().last_index().0 < bounds.max_log
        {
            steps.push(Step::Propose(node));
        }
        // A write goes to the leader; a get to any node (a follower asks
        // the leader for the read index, thesis §6.4).
        if state.spent.client_ops < bounds.max_client_ops {
            for op in client_ops(&state.world) {
                let enabled = match op {
                    crate::kv::Op::Get { .. } => state.spent.reads < bounds.max_reads,
                    _ => leader && raw.log().last_index().0 < bounds.max_log,
                };
                if enabled {
                    steps.push(Step::Submit(node, op));
                }
            }
        }
        let log = raw.log();
        if state.spent.compactions < bounds.max_compactions
            && log.applied() > log.snapshot().index
            && !host.is_mid_write()
        {
            steps.push(Step::Compact(node));
        }
        if state.spent.crashes < bounds.max_crashes {
            let unsynced = host.disk.unsynced_records();
            for meta in kept_choices(unsynced.meta) {
                for log in kept_choices(unsynced.log) {
                    steps.push(Step::Crash(node, FileRecords { meta, log }));
                }
            }
        }
    }

    /// The membership changes and transfers the leader a majority follows
    /// would take now (within the budget): each single-server change about
    /// each node that raft-core accepts, and a transfer to each other voter.
    fn membership_steps(&self, state: &State, steps: &mut Vec<Step>) {
        let bounds = &self.bounds;
        let world = &state.world;
        let wants_changes = state.spent.conf_changes < bounds.max_conf_changes;
        let wants_transfers = state.spent.transfers < bounds.max_transfers;
        if !wants_changes && !wants_transfers {
            return;
        }
        let Some(raw) = world.followed_leader().and_then(|l| world.host(l).node()) else {
            return;
        };
        for node in world.nodes() {
            if wants_changes {
                for change in [
                    Reconfigure::AddVoter(node),
                    Reconfigure::AddLearner(node),
                    Reconfigure::Remove(node),
                ] {
                    if raw.conf_change_allowed(&change.change()).is_ok()
                        && changes_something(raw, change)
                    {
                        steps.push(Step::Reconfigure(change));
                    }
                }
            }
            if wants_transfers
                && node.id() != raw.id()
                && raw.conf().voters.contains(&node.id())
                && raw.lead_transferee().is_none()
            {
                steps.push(Step::TransferLeader(node));
            }
        }
    }
}

/// The key of a node's or a client's action: its variant and node (or
/// client), far from any content hash's likely values.
fn node_step_key(step: &Step) -> u128 {
    let variant = match step {
        Step::Deliver(_) | Step::Drop(_) | Step::Duplicate(_) => 0,
        Step::Campaign(_) => 1,
        Step::Heartbeat(_) => 2,
        Step::CheckQuorum(_) => 3,
        Step::Persist(_) => 4,
        Step::Crash(..) => 5,
        Step::Restart(_) => 6,
        Step::Propose(_) => 7,
        Step::Submit(_, crate::kv::Op::Get { .. }) => 8,
        Step::Submit(..) => 9,
        Step::WakeClient(_) => 10,
        Step::Stabilize => 11,
        Step::Isolate(_) => 12,
        Step::Heal => 13,
        Step::Compact(_) => 14,
        Step::Reconfigure(Reconfigure::AddVoter(_)) => 15,
        Step::Reconfigure(Reconfigure::AddLearner(_)) => 16,
        Step::Reconfigure(Reconfigure::Remove(_)) => 17,
        Step::TransferLeader(_) => 18,
    };
    // A crash's outcome tells its variants apart.
    let kept = match step {
        Step::Crash(_, kept) => ((kept.meta as u128) << 16) | kept.log as u128,
        _ => 0,
    };
    let node = match *step {
        Step::Submit(node, _) => node.index() as u128,
        Step::WakeClient(client) => u128::from(client),
        Step::Reconfigure(
            Reconfigure::AddVoter(node) | Reconfigure::AddLearner(node) | Reconfigure::Remove(node),
        )
        | Step::TransferLeader(node) => node.index() as u128,
        _ => step.node().map_or(0, NodeSlot::index) as u128,
    };
    (0xA5A5 << 112) | (kept << 48) | (variant << 32) | node
}

/// Whether `change` changes the leader's configuration (adding a voter
/// that is one already is accepted by raft-core, and changes nothing).
fn changes_something(raw: &dyn RaftNode, change: Reconfigure) -> bool {
    let conf = raw.conf();
    match change {
        Reconfigure::AddVoter(n) => !conf.voters.contains(&n.id()),
        Reconfigure::AddLearner(n) => !conf.learners.contains(&n.id()),
        Reconfigure::Remove(n) => conf.contains(n.id()),
    }
}

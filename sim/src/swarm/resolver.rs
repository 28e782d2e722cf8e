//! Faults aimed at "the leader", or at the node an earlier fault hit, are
//! resolved when they strike: [`Resolver`] turns each timed fault into the
//! world's actions at that moment, against the nodes present then.

use std::collections::BTreeMap;

use super::{Fault, Who};
use crate::host::HostState;
use crate::membership::MembershipOp;
use crate::slot::NodeSlot;
use crate::world::{Action, World};

/// Resolves [`Who`] when a fault strikes and remembers named nodes.
#[derive(Clone, Debug, Default)]
pub struct Resolver {
    names: BTreeMap<u32, NodeSlot>,
    /// When each mid-write crash struck.
    fired_at_ns: BTreeMap<u32, u64>,
}

impl Resolver {
    /// The node `who` means now in `world`.
    pub fn resolve(&self, who: Who, world: &World) -> NodeSlot {
        match who {
            Who::Node(n) => n,
            Who::Named(name) => self.names.get(&name).copied().unwrap_or(NodeSlot::new(0)),
            Who::Leader => world
                .believed_leader()
                .or_else(|| {
                    let up = world.hosts.iter().find(|h| h.state == HostState::Up);
                    up.map(|h| h.slot)
                })
                .unwrap_or(NodeSlot::new(0)),
        }
    }

    /// Every name resolved so far, and the node it meant.
    #[must_use]
    pub fn names(&self) -> &BTreeMap<u32, NodeSlot> {
        &self.names
    }

    /// Remembers that `name` means `node`, which a mid-write crash hit at
    /// `time_ns`.
    pub fn fired(&mut self, name: u32, node: NodeSlot, time_ns: u64) {
        self.names.insert(name, node);
        self.fired_at_ns.insert(name, time_ns);
    }

    /// When each mid-write crash struck.
    #[must_use]
    pub fn fired_at_ns(&self) -> &BTreeMap<u32, u64> {
        &self.fired_at_ns
    }

    /// The voter a transfer numbered `pick` hands over to: one of the
    /// leader's voters other than itself (none without a leader).
    pub fn transfer_target(&self, pick: u32, world: &World) -> Option<NodeSlot> {
        let leader = world.believed_leader()?;
        let raw = world.host(leader).node()?;
        let others: Vec<NodeSlot> = raw
            .conf()
            .voters
            .iter()
            .filter(|id| **id != raw.id())
            .filter_map(|id| NodeSlot::of_id(*id))
            .collect();
        (!others.is_empty()).then(|| others[pick as usize % others.len()])
    }

    fn pick(&mut self, who: Who, name: u32, world: &World) -> NodeSlot {
        let node = self.resolve(who, world);
        self.names.insert(name, node);
        node
    }

    /// The world action(s) `fault` is, now.
    pub fn actions(&mut self, fault: &Fault, world: &World) -> Vec<Action> {
        let nodes = world.node_count();
        // As a scenario reads `all`: the nodes that are part of the
        // cluster now (a spare not added yet is not one), so that an
        // exported run replays the same links.
        let others = |n: NodeSlot| world.present_nodes().filter(move |o| *o != n);
        match fault {
            Fault::Crash(who, name) => vec![Action::Crash(self.pick(*who, *name, world))],
            // Armed by the driver, which fires it at the right moment.
            Fault::CrashMidWrite(_) => Vec::new(),
            Fault::Restart(who) => vec![Action::Restart(self.resolve(*who, world))],
            Fault::Pause(who, name) => vec![Action::Pause(self.pick(*who, *name, world))],
            Fault::Resume(who) => vec![Action::Resume(self.resolve(*who, world))],
            Fault::Isolate(who, name) => {
                vec![Action::isolate(&[self.pick(*who, *name, world)], nodes)]
            }
            Fault::OneWay(who, name, hears_only) => {
                let n = self.pick(*who, *name, world);
                let others: Vec<NodeSlot> = others(n).collect();
                if *hears_only {
                    vec![Action::cut(&[n], &others)]
                } else {
                    vec![Action::cut(&others, &[n])]
                }
            }
            Fault::Partition(groups) => {
                // Nodes no group names (added since the schedule was made)
                // join the last group, as a scenario's `partition` puts
                // them.
                let mut groups = groups.clone();
                let named: Vec<NodeSlot> = groups.iter().flatten().copied().collect();
                if let Some(last) = groups.last_mut() {
                    last.extend(world.present_nodes().filter(|n| !named.contains(n)));
                }
                vec![Action::partition(&groups)]
            }
            Fault::Cut(from, to) => vec![Action::cut(from, to)],
            Fault::Heal => vec![Action::Heal],
            Fault::Skew(n, factor) => vec![Action::Skew {
                node: *n,
                factor: *factor,
            }],
            Fault::Noise(noise) => vec![Action::SetNoise(noise.clone())],
            Fault::Torn(on) => vec![Action::SetTorn(*on)],
            Fault::Workload(on) => vec![Action::SetWorkload(*on)],
            Fault::Membership(op) => vec![Action::Membership(op.clone())],
            Fault::TransferLeader { pick, name } => {
                let Some(to) = self.transfer_target(*pick, world) else {
                    return Vec::new();
                };
                self.names.insert(*name, to);
                vec![Action::Membership(MembershipOp::TransferLeader(to))]
            }
        }
    }
}

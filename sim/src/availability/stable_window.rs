//! The stable window: when a quorum of the configuration in force is up,
//! connected both ways and the network's noise is within bounds, and so
//! a leader and progress are owed; what it owes, in time.

use super::{
    BARE_MAJORITY_EXTRA_TIMEOUTS, LEADER_WITHIN_ELECTION_TIMEOUTS, LEADER_WITHIN_ROUND_TRIPS,
    OPS_MISS_CHANCE_MAX, OPS_WITHIN_EXTRA_TIMEOUTS_MIN, STABLE_DROP_MAX, STABLE_TAIL_MAX, Stable,
    WITHOUT_PRE_VOTE_FACTOR,
};
use crate::host::HostState;
use crate::slot::NodeSlot;
use crate::world::World;

/// If the world is in a stable window (a quorum of the configuration in
/// force up and pairwise connected both ways, and the network's noise
/// within bounds), its quorum and bounds.
pub(super) fn stable_window(world: &World) -> Option<Stable> {
    let noise = &world.net.noise;
    if noise.drop_probability > STABLE_DROP_MAX || noise.tail_probability > STABLE_TAIL_MAX {
        return None;
    }
    let conf = world.conf_in_force()?;
    let bits = |ids: &std::collections::BTreeSet<raft_core::NodeId>| {
        ids.iter()
            .filter_map(|id| NodeSlot::of_id(*id))
            .filter(|slot| slot.index() < 64)
            .fold(0u64, |mask, slot| mask | 1 << slot.index())
    };
    let is_quorum = |group: u64| {
        crate::checker::is_quorum(&conf, |id| {
            NodeSlot::of_id(id)
                .is_some_and(|slot| slot.index() < 64 && group & (1 << slot.index()) != 0)
        })
    };
    let up: u64 = world
        .hosts
        .iter()
        .filter(|h| h.state == HostState::Up && h.node().is_some())
        .fold(0, |mask, h| mask | 1 << h.slot.index());
    if !is_quorum(up) {
        return None;
    }
    let group = connected_quorum(world, up, is_quorum)?;
    let majority = conf.voters.len() / 2 + 1;
    let tick_ns = world
        .hosts
        .iter()
        .filter(|h| group & (1 << h.slot.index()) != 0)
        .map(|h| h.tick_interval_ns)
        .max()?;
    // Election timeouts are drawn from [election, 2 * election) ticks.
    let election_max_ns = 2 * world.spec.raft.election_ticks * tick_ns;
    let fsync_max_ns = world
        .fsync_ns
        .iter()
        .enumerate()
        .filter(|(n, _)| group & (1 << n) != 0)
        .map(|(_, (_, high))| *high)
        .max()
        .unwrap_or(0);
    let round_trip_ns = 2 * noise.delay_max_ns + fsync_max_ns;
    let bare_majority = (group & bits(&conf.voters)).count_ones() as usize == majority;
    let election_timeouts =
        LEADER_WITHIN_ELECTION_TIMEOUTS + u64::from(bare_majority) * BARE_MAJORITY_EXTRA_TIMEOUTS;
    let bound_ns = election_timeouts * election_max_ns + LEADER_WITHIN_ROUND_TRIPS * round_trip_ns;
    // Without PreVote a node that rejoins the window (restarted, or back
    // from a partition) with a higher term deposes the leader, and elections
    // churn until terms settle (Raft thesis §9.6): measured, a correct
    // cluster then comes within 1% of the PreVote bound, so it gets three
    // times as long.
    let leader_bound_ns = if world.spec.raft.pre_vote {
        bound_ns
    } else {
        WITHOUT_PRE_VOTE_FACTOR * bound_ns
    };
    let workload = &world.spec.workload;
    // An attempt fails if its request, its answer or one of the
    // replication messages between is lost.
    let attempt_fail = 1.0 - (1.0 - noise.drop_probability).powi(3);
    let extra_timeouts = if attempt_fail > 0.0 {
        (OPS_MISS_CHANCE_MAX.ln() / attempt_fail.ln()).ceil() as u64
    } else {
        0
    }
    .max(OPS_WITHIN_EXTRA_TIMEOUTS_MIN);
    let timeouts = world.node_count() as u64 + extra_timeouts;
    let ops_bound_ns = timeouts * (workload.request_timeout_ns + round_trip_ns)
        + LEADER_WITHIN_ROUND_TRIPS * round_trip_ns;
    let ops_bound_ns = (ops_bound_ns + workload.request_timeout_ns <= workload.give_up_after_ns)
        .then_some(ops_bound_ns);
    Some(Stable {
        group,
        voters: bits(&conf.all_voters()),
        leader_bound_ns,
        ops_bound_ns,
    })
}

/// A set of nodes of `up` holding a quorum that all reach one another,
/// and that no other running node can reach (a node that can send to the
/// group but not hear its leader may campaign again and again: without
/// PreVote that disrupts the group, Raft thesis §4.2.3 — a fault, not a
/// stable window), if there is one.
///
/// There is at most one: every running node that can send to a member
/// must be a member, so the group is the closure of any of its members
/// under "can send to" — and two such groups would be disjoint quorums.
/// So the closure of each running node is the only candidate it has:
/// `up.count_ones()` closures of at most 64 steps each, where trying every
/// subset would take 2^64 steps for a scenario's 64 nodes.
fn connected_quorum(world: &World, up: u64, is_quorum: impl Fn(u64) -> bool) -> Option<u64> {
    let slots: Vec<NodeSlot> = world
        .nodes()
        .filter(|n| up & (1 << n.index()) != 0)
        .collect();
    // senders[i]: the running nodes that can send to node i.
    let mut senders = [0u64; 64];
    for &from in &slots {
        let reaches = !world.net.blocked_from(from) & up;
        for &to in &slots {
            if reaches & (1 << to.index()) != 0 {
                senders[to.index()] |= 1 << from.index();
            }
        }
    }
    for &start in &slots {
        let mut group = 1u64 << start.index();
        loop {
            let mut grown = group;
            let mut rest = group;
            while rest != 0 {
                let i = rest.trailing_zeros() as usize;
                rest &= rest - 1;
                grown |= senders[i];
            }
            if grown == group {
                break;
            }
            group = grown;
        }
        // Closed: no running outsider sends to a member. Every member must
        // send to every other.
        let all_connected = slots
            .iter()
            .filter(|n| group & (1 << n.index()) != 0)
            .all(|&n| world.net.blocked_from(n) & group == 0);
        if all_connected && is_quorum(group) {
            return Some(group);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    use super::connected_quorum;
    use crate::cluster::ClusterSpec;
    use crate::slot::NodeSlot;
    use crate::world::World;

    fn world(nodes: usize) -> World {
        World::new(
            ClusterSpec {
                nodes,
                ..ClusterSpec::default()
            },
            1,
        )
    }

    /// The definition, tried on every subset of `up` (fine for a few nodes).
    fn every_subset(world: &World, up: u64, is_quorum: &dyn Fn(u64) -> bool) -> Option<u64> {
        let fits = |group: u64| {
            world.nodes().all(|n| {
                let blocked = world.net.blocked_from(n);
                let bit = 1 << n.index();
                if group & bit != 0 {
                    blocked & group == 0
                } else {
                    up & bit == 0 || blocked & group == group
                }
            })
        };
        let mut found = Vec::new();
        let mut subset = up;
        loop {
            if subset != 0 && is_quorum(subset) && fits(subset) {
                found.push(subset);
            }
            if subset == 0 {
                break;
            }
            subset = (subset - 1) & up;
        }
        assert!(found.len() <= 1, "two groups: {found:?}");
        found.pop()
    }

    #[test]
    fn the_group_found_is_the_one_every_subset_finds() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let mut groups = 0;
        for _ in 0..3000 {
            let nodes = rng.random_range(1..=7usize);
            let mut world = world(nodes);
            for from in NodeSlot::all(nodes) {
                for to in NodeSlot::all(nodes) {
                    if rng.random_bool(0.3) {
                        world.net.block(from, to);
                    }
                }
            }
            let up = rng.random_range(0..1u64 << nodes);
            let majority = |group: u64| group.count_ones() as usize > nodes / 2;
            let expected = every_subset(&world, up, &majority);
            assert_eq!(connected_quorum(&world, up, majority), expected);
            groups += usize::from(expected.is_some());
        }
        assert!(groups > 100, "{groups} cases had a group");
    }

    /// A scenario may have 64 nodes: trying every subset of a partitioned
    /// one would never end.
    #[test]
    fn a_partitioned_cluster_of_64_nodes_is_judged() {
        let mut world = world(64);
        let majority = |group: u64| group.count_ones() > 32;
        let all = u64::MAX;
        let minority = |n: NodeSlot| n.index() < 30;
        for a in NodeSlot::all(64) {
            for b in NodeSlot::all(64) {
                if minority(a) != minority(b) {
                    world.net.block(a, b);
                }
            }
        }
        let majority_side = all << 30;
        assert_eq!(connected_quorum(&world, all, majority), Some(majority_side));
        world.net.heal();
        assert_eq!(connected_quorum(&world, all, majority), Some(all));
    }
}

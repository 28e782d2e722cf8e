//! The questions every driver asks of a world, answered once: which node
//! leads (in the two senses the drivers need), which node the last step
//! left in the middle of a write, a node's pending fsync, and which Raft
//! messages are in flight on a link. The random driver, the scenario
//! interpreter and the explorer all ask here, so an exported run and the
//! scenario replaying it mean the same node by the same words.

use raft_core::{ConfState, Role};

use crate::action::Event;
use crate::checker::{Stuck, Violation, is_quorum};
use crate::host::HostState;
use crate::net::Endpoint;
use crate::slot::NodeSlot;
use crate::world::World;

/// The most events one `stabilize` runs: a cluster whose timers do not
/// fire settles in far fewer, unless messages breed messages forever (a
/// storm).
pub const SETTLE_ACTIONS_MAX: u64 = 1_000_000;

/// What a `stabilize` that does not settle within [`SETTLE_ACTIONS_MAX`]
/// events is, in a scenario and in the model checker alike: with no timer
/// firing a cluster goes quiet, so deliveries and writes that breed more
/// of themselves forever are a message storm, a liveness failure (as the
/// simulator's pace bound judges a storm).
#[must_use]
pub fn unsettled() -> Violation {
    Violation::liveness(
        Stuck::Storm,
        format!(
            "with no timer firing, deliveries and writes went on for {SETTLE_ACTIONS_MAX} \
             events without settling"
        ),
    )
}

impl World {
    /// The next event of settling, if any: the earliest scheduled delivery
    /// or fsync (no timer, no client's wake-up). What a scenario's
    /// `stabilize` and the explorer's `stabilize` step run, one after
    /// another, until there is none (at most [`SETTLE_ACTIONS_MAX`]).
    #[must_use]
    pub fn settling_event(&self) -> Option<Event> {
        self.scheduled()
            .find(|(_, e)| matches!(e, Event::Deliver(_) | Event::Synced { .. }))
            .map(|(_, event)| event)
    }

    /// The leader that a majority of the running nodes follow (the one of
    /// the highest term, if several believe they lead), if any: what
    /// liveness asks for once faults heal, what `expect leader` and a
    /// scenario's `leader` mean.
    #[must_use]
    pub fn followed_leader(&self) -> Option<NodeSlot> {
        let up = || {
            self.hosts
                .iter()
                .filter(|h| h.state == HostState::Up)
                .filter_map(|h| h.node())
        };
        // A quorum of the leader's own configuration (thesis §4.1: the
        // latest in its log), counting the leader itself.
        up().filter(|r| r.role() == Role::Leader)
            .filter(|leader| {
                let follows = |id: raft_core::NodeId| {
                    up().any(|n| {
                        n.id() == id && n.term() == leader.term() && n.leader() == Some(leader.id())
                    })
                };
                is_quorum(leader.conf(), follows)
            })
            .max_by_key(|r| r.term())
            .and_then(|r| NodeSlot::of_id(r.id()))
    }

    /// The nodes that are part of the world's story: every node that ran
    /// and was not retired (a spare no change added yet is not one). A
    /// scenario's `all`; the nodes a client tries in turn.
    pub fn present_nodes(&self) -> impl Iterator<Item = NodeSlot> + '_ {
        self.hosts.iter().filter(|h| h.is_present()).map(|h| h.slot)
    }

    /// The configuration the cluster is in, as far as a running node
    /// knows: the latest in the log of the running node with the highest
    /// term and, among those, the longest log (a leader's, as a rule);
    /// `None` if no node runs.
    #[must_use]
    pub fn conf_in_force(&self) -> Option<ConfState> {
        self.hosts
            .iter()
            .filter(|h| h.state == HostState::Up)
            .filter_map(|h| h.node())
            .max_by_key(|r| (r.term(), r.log().last_id().term, r.log().last_index()))
            .map(|r| r.conf().clone())
    }

    /// The running node of the highest term that believes it leads, whether
    /// or not a majority follows it (a deposed leader still counts): the
    /// node a swarm's fault "aimed at the leader" strikes.
    #[must_use]
    pub fn believed_leader(&self) -> Option<NodeSlot> {
        self.hosts
            .iter()
            .filter(|h| h.state == HostState::Up)
            .filter_map(|h| h.node().filter(|r| r.role() == Role::Leader))
            .max_by_key(|r| r.term())
            .and_then(|r| NodeSlot::of_id(r.id()))
    }

    /// The first node the last step left running with a write waiting for
    /// its fsync: what `crash writing` and a swarm's mid-write crash strike.
    #[must_use]
    pub fn node_mid_write(&self) -> Option<NodeSlot> {
        self.touched.iter().copied().find(|&node| {
            let host = self.host(node);
            host.state == HostState::Up && host.is_mid_write()
        })
    }

    /// Node `node`'s pending fsync completion, if one is scheduled.
    #[must_use]
    pub fn pending_sync(&self, node: NodeSlot) -> Option<Event> {
        self.scheduled()
            .find(|(_, e)| matches!(e, Event::Synced { node: n, .. } if *n == node))
            .map(|(_, e)| e)
    }

    /// The ids of the messages in flight from an endpoint `from` accepts to
    /// one `to` accepts, of message type `kind` (any, if `None`; between
    /// nodes a Raft message's name, `request` and `reply` between a client
    /// and a node), oldest first: what a scenario's `deliver`, `drop` and
    /// `duplicate` and the explorer's message steps pick from.
    pub fn messages_in_flight<'w>(
        &'w self,
        from: impl Fn(Endpoint) -> bool + 'w,
        to: impl Fn(Endpoint) -> bool + 'w,
        kind: Option<&'w str>,
    ) -> impl Iterator<Item = u64> + 'w {
        self.net
            .in_flight()
            .filter(move |(_, p)| {
                from(p.from) && to(p.to) && kind.is_none_or(|k| k == p.payload.kind_name())
            })
            .map(|(id, _)| id)
    }
}

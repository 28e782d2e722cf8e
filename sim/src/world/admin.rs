//! The operator: membership operations asked for in the background (a
//! scenario's `add`, `remove`, `promote` and `transfer-leader` in auto
//! mode, the swarm's), tried through whoever leads and retried — through
//! refusals, elections and entries lost with a deposed leader — until the
//! committed configuration shows the change (etcd's `member add` is
//! retried the same way by its clients). A change asked for once, at one
//! node, is `Action::ConfChange` instead.

use std::collections::VecDeque;

use raft_core::{ConfChange, ConfChangeSingle, Error};
use serde::{Deserialize, Serialize};

use super::World;
use crate::action::Event;
use crate::host::Outbox;
use crate::membership::{MembershipOp, reflected};
use crate::slot::NodeSlot;

/// The most operations waiting; more are dropped (and counted).
pub const ADMIN_PENDING_MAX: usize = 64;

/// The operator's queue.
#[derive(Clone, Debug, Default, Hash, Serialize, Deserialize)]
pub struct Admin {
    /// Operations not done yet, first asked first.
    pending: VecDeque<MembershipOp>,
    /// The pending wake-up's token; older ones are stale.
    wake_token: u64,
    /// Whether a wake-up is scheduled.
    awake: bool,
}

impl Admin {
    /// Whether operations wait.
    #[must_use]
    pub fn is_idle(&self) -> bool {
        self.pending.is_empty()
    }

    /// The operations waiting, first asked first.
    pub fn pending(&self) -> impl Iterator<Item = &MembershipOp> {
        self.pending.iter()
    }
}

impl World {
    /// The operator is asked for `op`: a node it adds that never ran starts
    /// now, with an empty disk; the operation waits its turn.
    pub(super) fn ask_admin(&mut self, op: MembershipOp) {
        let added: Vec<NodeSlot> = op.added().collect();
        self.start_added(&added);
        if self.admin.pending.len() >= ADMIN_PENDING_MAX {
            self.stats.membership_ops_dropped += 1;
            return;
        }
        self.admin.pending.push_back(op);
        if !self.admin.awake {
            self.wake_admin_after(0);
        }
    }

    /// Boots each of `nodes` that never ran (a node being added).
    pub(super) fn start_added(&mut self, nodes: &[NodeSlot]) {
        for &node in nodes {
            if node.index() < self.hosts.len() && self.hosts[node.index()].never_ran() {
                self.boot(node);
            }
        }
    }

    fn wake_admin_after(&mut self, delay_ns: u64) {
        self.admin.wake_token += 1;
        self.admin.awake = true;
        let token = self.admin.wake_token;
        self.schedule(self.now_ns + delay_ns, Event::AdminWake { token });
    }

    /// The operator's retry interval: a heartbeat interval.
    fn admin_retry_ns(&self) -> u64 {
        self.spec.tick_ns * self.spec.raft.heartbeat_ticks.max(1)
    }

    /// The operator wakes: it tries its first operation through the node
    /// that believes it leads, and comes back after a heartbeat interval
    /// while anything waits.
    pub(super) fn admin_wake(&mut self, token: u64) {
        if token != self.admin.wake_token {
            return;
        }
        self.admin.awake = false;
        while let Some(op) = self.admin.pending.front().cloned() {
            let Some(leader) = self.believed_leader() else {
                break;
            };
            let done = match &op {
                MembershipOp::Change(change) => self.try_change(leader, change),
                MembershipOp::TransferLeader(to) => {
                    let mut out = Outbox::default();
                    let result = self.host_mut(leader).transfer_leader(to.id(), &mut out);
                    self.carry_out(leader, out);
                    self.stats.leader_transfers += u64::from(result.is_ok());
                    true
                }
            };
            if !done {
                break;
            }
            self.admin.pending.pop_front();
        }
        if !self.admin.pending.is_empty() {
            self.wake_admin_after(self.admin_retry_ns());
        }
    }

    /// The operator shuts down the nodes `change` removed, for good.
    fn retire_removed(&mut self, change: &ConfChange) {
        for single in &change.changes {
            let ConfChangeSingle::Remove(id) = single else {
                continue;
            };
            let Some(node) = NodeSlot::of_id(*id).filter(|n| n.index() < self.hosts.len()) else {
                continue;
            };
            if !self.hosts[node.index()].retired {
                self.crash(node, Some(crate::disk::FileRecords::NONE));
                self.host_mut(node).retired = true;
                self.stats.nodes_retired += 1;
            }
        }
    }

    /// One try of `change` through `leader`: done once the leader's
    /// committed configuration reflects it, or if no configuration can
    /// make it (counted as refused); else proposed (again) and waited for.
    fn try_change(&mut self, leader: NodeSlot, change: &ConfChange) -> bool {
        let Some(raw) = self.hosts[leader.index()].node() else {
            return false;
        };
        let committed = raw.conf_at(raw.log().committed());
        if reflected(change, committed) {
            self.stats.membership_changes_done += 1;
            if self.spec.retire_removed {
                self.retire_removed(change);
            }
            return true;
        }
        let mut out = Outbox::default();
        let result = self.host_mut(leader).propose_conf_change(change, &mut out);
        self.carry_out(leader, out);
        match result {
            Ok(_) => {
                self.stats.conf_changes_proposed += 1;
                false
            }
            Err(Error::InvalidConfChange(_)) => {
                self.stats.membership_ops_refused += 1;
                true
            }
            Err(_) => false,
        }
    }
}

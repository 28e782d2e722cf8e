//! Checking as the world steps: each step begins clean, hands the checkers
//! the facts its hosts report as they happen (messages leaving, entries
//! applied, acknowledgements, refused messages), and ends by looking at
//! every node it touched. The world owns the checkers; the checkers see
//! only `NodeView`s and the facts given to them. Every driver (the random
//! run, the scenario interpreter, the explorer) gets its verdicts from
//! `World::apply` and `World::step`.

use crate::checker::{Checkers, Invariant, Violation};
use crate::host::Outbox;
use crate::slot::NodeSlot;
use crate::world::World;

impl World {
    /// The checkers, unless the world runs unchecked.
    #[must_use]
    pub fn checkers(&self) -> Option<&Checkers> {
        self.checkers.as_ref()
    }

    /// The checkers, to feed them what the world cannot see (the model
    /// checker counts every committed entry as acknowledged).
    pub fn checkers_mut(&mut self) -> Option<&mut Checkers> {
        self.checkers.as_mut()
    }

    /// Runs the world unchecked from now on (`--no-checkers`, to measure
    /// what checking costs): no checker is fed or consulted. A node that
    /// cannot boot from its disk is still reported.
    pub fn switch_off_checkers(&mut self) {
        self.checkers = None;
    }

    pub(crate) fn begin_step(&mut self) {
        self.touched.clear();
        self.found = None;
        self.stats.events += 1;
    }

    /// What a host reported as it acted, handed to the checkers: refused
    /// messages, what its acknowledgements claimed, each message as it
    /// leaves (against the host's durable state), the entries it applied.
    pub(crate) fn check_outbox(&mut self, node: NodeSlot, out: &Outbox) {
        let Some(checkers) = self.checkers.as_mut() else {
            return;
        };
        let found = &mut self.found;
        let host = &self.hosts[node.index()];
        for refused in &out.refused {
            keep_first(found, checkers.on_refused(node, refused));
        }
        keep_first(found, checkers.on_ack_claims(node, &out.ack_claims));
        let durable = host.durable();
        for packet in &out.packets {
            if let Some(message) = packet.payload.raft_message() {
                keep_first(found, checkers.on_send(&durable, message));
            }
        }
        if let Some(restored) = &out.restored {
            keep_first(found, checkers.on_restored(node, host.boots, restored));
        }
        keep_first(found, checkers.on_applied(node, host.boots, &out.applied));
    }

    /// The end of a step: the first violation found during it, else the
    /// nodes it touched (a node that could not boot, then each node's view),
    /// then that every entry committed so far is on a majority of disks.
    pub(crate) fn end_step(&mut self) -> Result<(), Violation> {
        if let Some(violation) = self.found.take() {
            return Err(violation);
        }
        for &node in &self.touched {
            let host = &self.hosts[node.index()];
            if let Some(why) = &host.boot_error {
                let message = format!("{node} cannot boot from its disk: {why}");
                return Err(Violation::new(Invariant::Recovery, vec![node], message));
            }
            if let Some(checkers) = self.checkers.as_mut() {
                checkers.observe(&host.view())?;
            }
        }
        let Some(checkers) = self.checkers.as_mut() else {
            return Ok(());
        };
        let disks = self.hosts.iter().map(|h| &h.synced_log);
        checkers.check_commit_durable(disks)
    }
}

/// Keeps the first violation of the step under way.
fn keep_first(found: &mut Option<Violation>, result: Result<(), Violation>) {
    if let (None, Err(violation)) = (&found, result) {
        *found = Some(violation);
    }
}

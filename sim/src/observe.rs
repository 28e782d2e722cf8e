//! Handing the checkers what a step did: the one place that reads the world
//! and its hosts on the checkers' behalf (so the checkers see only
//! `NodeView`s and the facts given to them), used by the stepper and the
//! explorer alike.

use crate::checker::{Checkers, Invariant, Violation};
use crate::world::World;

/// Checks what the world's last action or event touched: messages seen on
/// the wire, nodes that could not boot, and every touched node (all checks
/// skipped but boot failures when `enabled` is false). Takes the world's
/// pending observations (applied entries, acknowledgements).
pub fn after_step(
    checkers: &mut Checkers,
    world: &mut World,
    enabled: bool,
) -> Result<(), Violation> {
    let mut result = match world.wire_violations.drain(..).next() {
        Some(violation) if enabled => Err(violation),
        _ => Ok(()),
    };
    for i in 0..world.touched.len() {
        if result.is_err() {
            break;
        }
        let node = world.touched[i];
        if let Some(why) = &world.hosts[node].boot_error {
            let message = format!("n{} cannot boot from its disk: {why}", node + 1);
            result = Err(Violation::new(Invariant::Recovery, vec![node], message));
            break;
        }
        if enabled {
            result = checkers.observe(&world.hosts[node].view());
        }
        if !world.hosts[node].applied_since_check.is_empty() {
            world.host_mut(node).applied_since_check.clear();
        }
    }
    if !world.acknowledged.is_empty() {
        checkers.acknowledged(&std::mem::take(&mut world.acknowledged));
    }
    if enabled && result.is_ok() {
        let disks = world.hosts.iter().map(|h| h.synced_log_terms.as_slice());
        result = checkers.check_commit_durable(disks);
    }
    result
}

//! The clients of the explored world: the operations a client step may
//! start, the sessions and history as the fingerprint sees them, and the
//! history judged after every step that ends an operation.

use std::hash::Hasher;

use super::state::{Gathering, State};
use super::symmetry::hash_relabeled;
use crate::checker::{LincheckResult, Violation, check_history};
use crate::client::Client;
use crate::kv::Op;
use crate::slot::NodeSlot;
use crate::world::World;

/// The operations a client step may start, on the one key the explorer
/// uses: an append (whose value is new) and a get.
pub(crate) const CLIENT_OP_KINDS: usize = 2;

/// The client operations a new session may start in `world`: an append of
/// a value no operation wrote before (numbered 1, 2, ... as a scenario
/// numbers its values, so the written path replays with the same values),
/// and a get, both on key 0.
pub(crate) fn client_ops(world: &World) -> [Op; CLIENT_OP_KINDS] {
    let written = world
        .history
        .ops
        .iter()
        .filter(|op| !matches!(op.op, Op::Get { .. }))
        .count() as u64;
    [
        Op::Append {
            key: 0,
            value: written + 1,
        },
        Op::Get { key: 0 },
    ]
}

/// The most configurations the linearizability check of an explored
/// history may try per key: an explored history holds at most
/// `CLIENT_OPS_MAX` (8) operations (`Bounds::check_capacity`), whose orders
/// are far fewer.
const LINCHECK_BUDGET: u64 = 1_000_000;

/// Judges what the clients saw, after a step that ended an operation: the
/// history must be linearizable (an operation's result that cannot be, the
/// second effect of a retried append, a stale read). Acknowledged writes'
/// durability is judged as they are acknowledged (`World`).
pub(super) fn judge_history(state: &State) -> Result<(), Violation> {
    match check_history(&state.world.history, LINCHECK_BUDGET) {
        LincheckResult::Violated(violation) => Err(violation),
        LincheckResult::Linearizable => Ok(()),
        LincheckResult::Unknown(why) => unreachable!("an explored history is small: {why}"),
    }
}

/// Brings `state.clients` up to date: every session as the search sees it
/// (no clock, no wake token) and the order of the history's events, under
/// every renaming (the identity alone without symmetry reduction).
pub(super) fn refresh_clients(state: &mut State, renamings: &[Vec<usize>]) {
    let world = &state.world;
    let sessions: Vec<Client> = world.clients.iter().map(Client::protocol_view).collect();
    let history = Gathering::digest(|hasher| world.history.hash_order(hasher));
    let identity = [NodeSlot::all(world.node_count())
        .map(NodeSlot::index)
        .collect::<Vec<_>>()];
    let renamings = if renamings.is_empty() {
        &identity[..]
    } else {
        renamings
    };
    state.clients = renamings
        .iter()
        .map(|renaming| {
            let sessions = hash_relabeled(&sessions, renaming);
            Gathering::digest(|hasher| {
                hasher.write_u128(sessions);
                hasher.write_u128(history);
            })
        })
        .collect();
}

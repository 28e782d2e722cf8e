//! What the read tests share: the outcomes a node handed out.

use raft_core::{LogIndex, ReadFailure, ReadOutcome};

use crate::common::{Network, id};

/// The outcome node `n` handed out for `context`, if any yet.
pub(crate) fn outcome(net: &Network, n: u64, context: u64) -> Option<ReadOutcome> {
    net.nodes[&id(n)]
        .read_states
        .iter()
        .find(|r| r.context == context)
        .map(|r| r.outcome)
}

/// The index node `n`'s read `context` was confirmed at.
pub(crate) fn confirmed_at(net: &Network, n: u64, context: u64) -> Option<LogIndex> {
    match outcome(net, n, context)? {
        ReadOutcome::Ready { index } => Some(index),
        ReadOutcome::Failed(_) => None,
    }
}

/// Why node `n`'s read `context` failed, if it did.
pub(crate) fn failure(net: &Network, n: u64, context: u64) -> Option<ReadFailure> {
    match outcome(net, n, context)? {
        ReadOutcome::Failed(why) => Some(why),
        ReadOutcome::Ready { .. } => None,
    }
}

/// Heartbeats in flight from `from`.
pub(crate) fn heartbeats_from(net: &Network, from: u64) -> usize {
    net.in_flight
        .iter()
        .filter(|m| {
            m.from == id(from) && matches!(m.body, raft_core::MessageBody::Heartbeat { .. })
        })
        .count()
}

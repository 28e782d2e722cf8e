//! Persist before send (Raft Figure 2: "respond to RPCs only after updating
//! stable storage"), checked on the wire: when a message leaves a node, what
//! it promises must already be on that node's disk — its term, the vote it
//! grants or asks for, the entries it acknowledges. A node that answers
//! first and writes later is caught the moment it sends, without waiting
//! for the crash that would turn the lie into a lost vote or entry.

use std::collections::BTreeMap;

use raft_core::{HardState, Message, MessageBody, NodeId, Term};

use super::{Invariant, Violation};
use crate::slot::NodeSlot;

/// What a node has made durable, as the wire check sees it.
#[derive(Clone, Copy, Debug)]
pub struct DurableState<'a> {
    /// The node.
    pub node: NodeSlot,
    /// The hard state last made durable.
    pub hard_state: &'a HardState,
    /// The last index the disk holds durably (in its snapshot or log).
    pub last_index: raft_core::LogIndex,
}

/// Checks a message a node is about to send against its durable state.
#[must_use]
pub fn check_send(durable: &DurableState<'_>, message: &Message) -> Option<Violation> {
    let synced = durable.hard_state;
    let term = message.term;
    let node = durable.node;
    let promise = match &message.body {
        // These speak of a future term, and promise nothing durable.
        MessageBody::PreVoteRequest { .. } | MessageBody::PreVoteResponse { granted: true } => {
            return None;
        }
        // A follower's heartbeat answer and read request promise nothing
        // durable (raft-core sends them before its write: see
        // `MessageBody::leaves_before_persist`): the one says it was in
        // the leader's term when it answered, the other's answer counts
        // only while it follows that leader in that term.
        MessageBody::HeartbeatResponse { .. } | MessageBody::ReadIndex { .. } => return None,
        MessageBody::VoteResponse { granted: true } => {
            let durable =
                synced.term > term || (synced.term == term && synced.vote == Some(message.to));
            (!durable).then(|| format!("granted its vote in term {} to {}", term.0, message.to))
        }
        MessageBody::VoteRequest { .. } => {
            let me = Some(node.id());
            let durable = synced.term > term || (synced.term == term && synced.vote == me);
            (!durable).then(|| format!("asked for votes in term {} before its own vote", term.0))
        }
        MessageBody::AppendResponse {
            index,
            reject: None,
        } => {
            // The count here; that the entry on disk is the one acknowledged
            // is checked by the host against the `Ready` the ack came from.
            let held = durable.last_index.0;
            (index.0 > held).then(|| {
                format!(
                    "acknowledged index {} with its disk holding up to {held}",
                    index.0
                )
            })
        }
        _ => None,
    };
    let promise = promise.or_else(|| {
        (synced.term < term).then(|| {
            format!(
                "sent a {} of term {} with term {} on disk",
                message.body.kind_name(),
                term.0,
                synced.term.0
            )
        })
    })?;
    Some(Violation::new(
        Invariant::PersistBeforeSend,
        vec![node],
        format!("{node} {promise} (not yet durable)"),
    ))
}

/// Votes seen granted on the wire, over the whole run: a node votes at most
/// once per term (Raft Figure 2, votedFor), across crashes and restarts.
#[derive(Clone, Debug, Default)]
pub struct VoteLedger {
    granted: BTreeMap<(NodeSlot, Term), NodeId>,
}

impl VoteLedger {
    /// Feeds the votes granted so far into `state`, each node mapped
    /// by `relabel` (the identity, but for symmetry reduction), as a
    /// multiset (relabeling reorders the ledger's keys).
    pub fn hash_history<H: std::hash::Hasher>(
        &self,
        state: &mut H,
        relabel: &dyn Fn(NodeSlot) -> NodeSlot,
    ) {
        let mut sum = 0u128;
        for ((node, term), voted_for) in &self.granted {
            let voted_for = NodeSlot::of_id(*voted_for).map(relabel);
            let mut bytes = [0u8; 24];
            bytes[..8].copy_from_slice(&(relabel(*node).index() as u64).to_le_bytes());
            bytes[8..16].copy_from_slice(&term.0.to_le_bytes());
            let voted_for = voted_for.map_or(u64::MAX, |v| v.index() as u64);
            bytes[16..].copy_from_slice(&voted_for.to_le_bytes());
            sum = sum.wrapping_add(xxhash_rust::xxh3::xxh3_128(&bytes));
        }
        state.write_u128(sum);
        state.write_usize(self.granted.len());
    }

    /// Records a message node `from` sends; fails on a second vote in a term.
    pub fn observe(&mut self, from: NodeSlot, message: &Message) -> Option<Violation> {
        if !matches!(message.body, MessageBody::VoteResponse { granted: true }) {
            return None;
        }
        let first = *self
            .granted
            .entry((from, message.term))
            .or_insert(message.to);
        (first != message.to).then(|| {
            Violation::new(
                Invariant::OneVotePerTerm,
                vec![from],
                format!(
                    "{} voted for {first} and then for {} in term {}",
                    from, message.to, message.term.0
                ),
            )
        })
    }
}

//! The host as the model checker sees it: its protocol state with no clock
//! or counters, and its disk as recovery will read it (the canonical
//! environment two paths must share to merge).

use std::collections::BTreeMap;

use raft_core::{Entry, HardState, LogIndex};
use serde::Serialize;

use super::store::{self, CanonicalDisk};
use super::{Host, HostState, Waiter};
use crate::kv::Kv;

/// A host's protocol state as the model checker sees it (see
/// [`Host::protocol_state`]).
#[derive(Debug, Hash, Serialize)]
pub struct HostProtocolState<'a> {
    state: HostState,
    raw: Option<crate::sut::NodeProtocolState<'a>>,
    disk: CanonicalDisk<'a>,
    kv: &'a Kv,
    pending: Option<PendingWrite<'a>>,
    synced_while_paused: bool,
    waiting: &'a BTreeMap<LogIndex, Waiter>,
    synced_hard_state: &'a HardState,
    synced_log: &'a crate::observed::DurableLog,
    direct_proposals: u64,
    read_path: crate::read_path::ReadPath,
    reads: (
        Vec<&'a super::ReadWaiter>,
        Vec<(LogIndex, &'a super::ReadWaiter)>,
    ),
}

/// The write a host waits on: what it will make durable and send.
#[derive(Debug, Hash, Serialize)]
struct PendingWrite<'a> {
    hard_state: Option<&'a HardState>,
    entries: &'a [Entry],
    committed_entries: &'a [Entry],
    messages_after_persist: &'a [crate::sut::WireMessage],
}

impl Host {
    /// Feeds the host's state into `state` for the model checker: the node's
    /// protocol state (no clock), the disk as recovery reads it, the state
    /// machine, the write in progress and the client bookkeeping; counters
    /// are left out. See [`Host::protocol_state`].
    pub fn hash_protocol_state<H: std::hash::Hasher>(&self, state: &mut H) {
        use std::hash::Hash;
        self.protocol_state().hash(state);
    }

    /// What [`Host::hash_protocol_state`] hashes, as a value (a model
    /// checker also serializes it, to relabel node ids for symmetry).
    #[must_use]
    pub fn protocol_state(&self) -> HostProtocolState<'_> {
        HostProtocolState {
            state: self.state,
            raw: self.node.as_ref().map(|node| node.protocol_state()),
            disk: store::canonical(&self.disk),
            kv: &self.kv,
            // The sync point is the end of the files when the write was
            // issued (no write starts while one is pending), so the
            // unsynced records of the disk are exactly what it covers.
            pending: self.pending.as_deref().map(|p| PendingWrite {
                hard_state: p.ready.hard_state.as_ref(),
                entries: &p.ready.entries,
                committed_entries: &p.ready.committed_entries,
                messages_after_persist: &p.ready.messages_after_persist,
            }),
            synced_while_paused: self.synced_while_paused.is_some(),
            waiting: &self.waiting,
            synced_hard_state: &self.synced_hard_state,
            synced_log: &self.synced_log,
            direct_proposals: self.direct_proposals,
            read_path: self.read_path,
            reads: self.reads.protocol_view(),
        }
    }
}

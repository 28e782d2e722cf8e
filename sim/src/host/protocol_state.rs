//! The host as the model checker sees it: its protocol state with no clock
//! or counters, and its disk as recovery will read it (the canonical
//! environment two paths must share to merge).

use std::collections::BTreeMap;

use raft_core::{Entry, HardState, LogIndex, RawNode, Term};
use serde::{Deserialize, Serialize};

use super::{Host, HostState, Waiter, decode};
use crate::kv::Kv;

/// The first fields of an encoded `Entry` (bincode reads a prefix of the
/// record and leaves the data).
#[derive(Deserialize)]
struct EntryHead {
    #[allow(dead_code)]
    term: Term,
    index: LogIndex,
}

/// A host's protocol state as the model checker sees it (see
/// [`Host::protocol_state`]).
#[derive(Debug, Hash, Serialize)]
pub struct HostProtocolState<'a> {
    state: HostState,
    raw: Option<raft_core::ProtocolState<'a>>,
    disk: CanonicalDisk<'a>,
    kv: &'a Kv,
    pending: Option<PendingWrite<'a>>,
    synced_while_paused: bool,
    waiting: &'a BTreeMap<LogIndex, Waiter>,
    synced_hard_state: &'a HardState,
    synced_log_terms: &'a [Term],
    direct_proposals: u64,
}

/// The write a host waits on: what it will make durable and send.
#[derive(Debug, Hash, Serialize)]
struct PendingWrite<'a> {
    hard_state: Option<&'a HardState>,
    entries: &'a [Entry],
    committed_entries: &'a [Entry],
    messages_after_persist: &'a [raft_core::Message],
}

/// A disk as recovery will read it.
#[derive(Debug, Hash, Serialize)]
struct CanonicalDisk<'a> {
    durable_meta: Option<MetaRecord>,
    durable_log: Vec<&'a [u8]>,
    unsynced_meta: Vec<MetaRecord>,
    unsynced_log: Vec<&'a [u8]>,
}

/// A meta record, decoded (so that the node ids in it can be relabeled).
#[derive(Debug, Hash, Serialize)]
enum MetaRecord {
    HardState(HardState),
    Unreadable(Vec<u8>),
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
            raw: self.raw.as_ref().map(RawNode::protocol_state),
            disk: self.canonical_disk(),
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
            synced_log_terms: &self.synced_log_terms,
            direct_proposals: self.direct_proposals,
        }
    }

    /// The disk's content as recovery will read it, not its history: the
    /// last durable hard state (earlier meta records are dead), the durable
    /// log after replaying its truncations (an entry at index i replaces
    /// every entry from i on), and the records not yet durable, in order.
    /// Two disks that boot alike and keep the same pending writes are alike
    /// here (the model checker's canonical environment).
    fn canonical_disk(&self) -> CanonicalDisk<'_> {
        let meta = &self.disk.meta;
        let hard_state = |payload: &[u8]| match decode::<HardState>(payload) {
            Some(hard_state) => MetaRecord::HardState(hard_state),
            None => MetaRecord::Unreadable(payload.to_vec()),
        };
        let durable_meta = meta
            .records()
            .take_while(|(_, end)| *end <= meta.durable_len())
            .last()
            .map(|(payload, _)| hard_state(payload));
        let log = &self.disk.log;
        let mut durable_log: Vec<&[u8]> = Vec::new();
        for (payload, end) in log.records() {
            if end > log.durable_len() {
                break;
            }
            // Only the index matters here: decode the entry's head, not
            // its data (no allocation).
            let Some(head) = decode::<EntryHead>(payload) else {
                break;
            };
            durable_log.truncate(head.index.0.saturating_sub(1) as usize);
            durable_log.push(payload);
        }
        CanonicalDisk {
            durable_meta,
            durable_log,
            unsynced_meta: meta
                .records()
                .filter(|(_, end)| *end > meta.durable_len())
                .map(|(payload, _)| hard_state(payload))
                .collect(),
            unsynced_log: log
                .records()
                .filter(|(_, end)| *end > log.durable_len())
                .map(|(payload, _)| payload)
                .collect(),
        }
    }
}

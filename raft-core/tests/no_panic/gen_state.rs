//! Strategies for a node's settings and for valid restored states.

use crate::gen_message::entry_data;
use std::collections::BTreeSet;

use proptest::prelude::*;
use proptest::sample::Index;
use raft_core::{
    ConfChange, ConfState, Config, Entry, EntryId, EntryKind, HardState, LogIndex, NodeId,
    Restored, Snapshot, SnapshotMeta, Term,
};

pub(crate) fn id(n: u64) -> NodeId {
    NodeId(n)
}

pub(crate) fn entry(index: u64, term: u64, kind: EntryKind, data: Vec<u8>) -> Entry {
    Entry {
        term: Term(term),
        index: LogIndex(index),
        kind,
        data,
    }
}

pub(crate) fn entry_kind() -> impl Strategy<Value = EntryKind> {
    prop_oneof![
        4 => Just(EntryKind::Normal),
        1 => Just(EntryKind::Noop),
        1 => Just(EntryKind::ConfChange),
    ]
}

/// Valid node settings with small limits, so that flow control, byte caps and
/// back-pressure are exercised by short runs.
pub(crate) fn config_strategy() -> impl Strategy<Value = Config> {
    (
        1u64..=5,
        prop::collection::btree_set(1u64..=5, 1..=4),
        any::<bool>(),
        any::<bool>(),
        2u64..=8,
        any::<Index>(),
        1u64..=4,
        (0u64..=256, 1u64..=16, 0u64..=256),
        any::<u64>(),
    )
        .prop_map(
            |(me, voters, pre_vote, check_quorum, election, hb, inflight, limits, seed)| {
                let (max_size, max_uncommitted, max_committed_bytes) = limits;
                let mut config = Config::new(id(me), voters.into_iter().map(id));
                config.pre_vote = pre_vote;
                config.check_quorum = check_quorum;
                config.election_ticks = election;
                config.heartbeat_ticks = 1 + hb.index(election as usize - 1) as u64;
                config.max_inflight_msgs = inflight;
                config.max_size_per_msg_bytes = max_size;
                config.max_uncommitted_entries = max_uncommitted;
                config.max_committed_bytes_per_ready = max_committed_bytes;
                config.seed = seed;
                // Lease reads where they are allowed, on a seed's whim.
                if check_quorum && seed % 2 == 0 {
                    config.read_mode = raft_core::ReadMode::LeaseBased;
                }
                config
            },
        )
}

/// Raw material for a valid restored state; [`RawRestored::normalize`] turns
/// any value into a valid one (so shrinking stays within valid states).
#[derive(Clone, Debug)]
pub(crate) struct RawRestored {
    term: u64,
    vote: Option<u64>,
    /// Snapshot index, term pick, voters (never none), and whether this
    /// node is a learner.
    snapshot: Option<(u64, u64, BTreeSet<u64>, bool)>,
    /// Term increments along the log, with each entry's kind and payload size.
    steps: Vec<(u64, EntryKind, usize)>,
    commit_pick: u64,
    applied_pick: u64,
}

pub(crate) fn raw_restored() -> impl Strategy<Value = RawRestored> {
    let step = prop_oneof![3 => Just(0u64), 1 => Just(1u64)];
    (
        0u64..6,
        prop::option::of(1u64..=5),
        prop::option::weighted(
            0.4,
            (
                1u64..=6,
                any::<u64>(),
                prop::collection::btree_set(1u64..=5, 1..=4),
                any::<bool>(),
            ),
        ),
        prop::collection::vec((step, entry_kind(), 0usize..6), 0..8),
        any::<u64>(),
        any::<u64>(),
    )
        .prop_map(
            |(term, vote, snapshot, steps, commit_pick, applied_pick)| RawRestored {
                term,
                vote,
                snapshot,
                steps,
                commit_pick,
                applied_pick,
            },
        )
}

impl RawRestored {
    pub(crate) fn normalize(&self, config: &Config) -> Restored {
        let me = config.id;
        let term = self.term;
        if term == 0 {
            // Nothing can have been logged before term 1.
            return Restored {
                hard_state: HardState {
                    term: Term(0),
                    vote: self.vote.map(id),
                    commit: LogIndex(0),
                },
                ..Restored::default()
            };
        }
        let snapshot = self
            .snapshot
            .as_ref()
            .map(|(index, term_pick, voters, learner)| {
                let mut conf = ConfState::with_voters(voters.iter().copied().map(id));
                if *learner && !conf.voters.contains(&me) {
                    conf.learners.insert(me);
                }
                let meta = SnapshotMeta {
                    last: EntryId {
                        index: LogIndex(*index),
                        term: Term(1 + term_pick % term),
                    },
                    conf,
                };
                Snapshot {
                    meta,
                    data: index.to_le_bytes().to_vec(),
                }
            });
        let base = snapshot
            .as_ref()
            .map_or(EntryId::default(), |s| s.meta.last);
        let mut entry_term = base.term.0.max(1);
        let mut entries = Vec::new();
        // Membership changes that cannot follow the configuration before
        // them become plain entries: a valid log holds only those that can.
        let mut conf = snapshot.as_ref().map_or_else(
            || ConfState::with_voters(config.voters.iter().copied()),
            |s| s.meta.conf.clone(),
        );
        for (k, (step, kind, size)) in self.steps.iter().enumerate() {
            entry_term = (entry_term + step).min(term);
            let index = base.index.0 + 1 + k as u64;
            let data = entry_data(*kind, *size);
            let change = ConfChange::decode(&data).and_then(|c| conf.changed_by(&c));
            let (kind, data) = match change {
                Ok(next) if *kind == EntryKind::ConfChange => {
                    conf = next;
                    (EntryKind::ConfChange, data)
                }
                _ if *kind == EntryKind::ConfChange => (EntryKind::Normal, vec![k as u8; *size]),
                _ => (*kind, vec![k as u8; *size]),
            };
            entries.push(entry(index, entry_term, kind, data));
        }
        let last = base.index.0 + entries.len() as u64;
        let commit = self.commit_pick % (last + 1);
        let applied = self.applied_pick % (commit.max(base.index.0) + 1);
        Restored {
            hard_state: HardState {
                term: Term(term),
                vote: self.vote.map(id),
                commit: LogIndex(commit),
            },
            snapshot,
            entries,
            applied: LogIndex(applied),
        }
    }
}

//! The node's files on the simulated disk, as a real server keeps them
//! (braft's meta file and log segments; etcd's WAL): the record format,
//! what a `Ready` writes, what a boot recovers, and the canonical view of
//! the files the model checker hashes. Everything that knows the format is
//! here.
//!
//! Two files: `meta` holds one bincode record per hard state written (the
//! last readable one counts), `log` one record per entry written (an entry
//! at index i replaces every entry from i on, so a truncation is just a
//! later record). Neither is rewritten in place.

use raft_core::{Entry, HardState, LogIndex, Term};
use serde::{Deserialize, Serialize};

use super::HostRuleBreaks;
use crate::disk::Disk;

fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    bincode::serde::encode_to_vec(value, bincode::config::standard()).expect("encodes")
}

fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Option<T> {
    bincode::serde::decode_from_slice(bytes, bincode::config::standard())
        .ok()
        .map(|(value, _)| value)
}

/// Appends a `Ready`'s writes: its hard state, if it changed, and its
/// entries. They are durable only after the disk's next fsync.
pub(super) fn write(disk: &mut Disk, hard_state: Option<&HardState>, entries: &[Entry]) {
    if let Some(hard_state) = hard_state {
        disk.meta.append_record(&encode(hard_state));
    }
    for entry in entries {
        disk.log.append_record(&encode(entry));
    }
}

/// What a boot reads back from the files.
pub(super) struct Recovered {
    /// The hard state to resume with.
    pub(super) hard_state: HardState,
    /// The log, from index 1, without gaps.
    pub(super) entries: Vec<Entry>,
}

/// Reads the files back after a crash (or at first boot: empty files give
/// the empty state), dropping what the disk lost. Records after an
/// unreadable one, or after a gap in the log, are not trusted. `breaks` holds
/// the test-only recovery mistakes.
pub(super) fn recover(disk: &mut Disk, breaks: &HostRuleBreaks) -> Recovered {
    let hard_state = disk
        .meta
        .recover_records()
        .last()
        .and_then(|bytes| decode::<HardState>(bytes))
        .unwrap_or_default();
    let mut entries: Vec<Entry> = Vec::new();
    for record in disk.log.recover_records() {
        let Some(entry) = decode::<Entry>(&record) else {
            break;
        };
        // An entry at index i replaces every entry from i on.
        let keep = entry.index.0.saturating_sub(1) as usize;
        if keep > entries.len() {
            break; // a gap: the rest of the file cannot be trusted
        }
        entries.truncate(keep);
        entries.push(entry);
    }
    let last_index = entries.last().map_or(LogIndex(0), |e| e.index);
    // Meta and log are separate files: a torn crash can keep a log record
    // whose hard state was lost. Neither was synced, so nothing was
    // acknowledged from them; the node did see that term, so it resumes
    // there, with no vote (a vote is only sent once synced).
    let last_term = entries.last().map_or(Term(0), |e| e.term);
    let hard_state = if last_term > hard_state.term && !breaks.ignore_log_term_on_boot {
        HardState {
            term: last_term,
            vote: None,
            commit: hard_state.commit,
        }
    } else {
        hard_state
    };
    // The commit index is only a hint (never needed for safety); meta and
    // log are synced together, so it can only run ahead of the log when
    // neither write was acknowledged.
    let commit = if breaks.trust_commit_on_boot {
        hard_state.commit
    } else {
        hard_state.commit.min(last_index)
    };
    let vote = if breaks.forget_vote_on_boot {
        None
    } else {
        hard_state.vote
    };
    Recovered {
        hard_state: HardState {
            commit,
            vote,
            ..hard_state
        },
        entries,
    }
}

/// The first fields of an encoded `Entry` (bincode reads a prefix of the
/// record and leaves the data).
#[derive(Deserialize)]
struct EntryHead {
    #[allow(dead_code)]
    term: Term,
    index: LogIndex,
}

/// A disk as recovery will read it.
#[derive(Debug, Hash, Serialize)]
pub(super) struct CanonicalDisk<'a> {
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

/// The disk's content as recovery will read it, not its history: the last
/// durable hard state (earlier meta records are dead), the durable log
/// after replaying its truncations (an entry at index i replaces every
/// entry from i on), and the records not yet durable, in order. Two disks
/// that boot alike and keep the same pending writes are alike here (the
/// model checker's canonical environment).
pub(super) fn canonical(disk: &Disk) -> CanonicalDisk<'_> {
    let meta = &disk.meta;
    let hard_state = |payload: &[u8]| match decode::<HardState>(payload) {
        Some(hard_state) => MetaRecord::HardState(hard_state),
        None => MetaRecord::Unreadable(payload.to_vec()),
    };
    let durable_meta = meta
        .records()
        .take_while(|(_, end)| *end <= meta.durable_len())
        .last()
        .map(|(payload, _)| hard_state(payload));
    let log = &disk.log;
    let mut durable_log: Vec<&[u8]> = Vec::new();
    for (payload, end) in log.records() {
        if end > log.durable_len() {
            break;
        }
        // Only the index matters here: decode the entry's head, not its
        // data (no allocation).
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

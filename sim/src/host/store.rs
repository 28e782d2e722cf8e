//! The node's files on the simulated disk, as a real server keeps them
//! (braft's meta file, log segments and snapshot store; etcd's WAL and
//! snap directory): the record formats, what a `Ready` writes, how a
//! snapshot is stored, what a boot recovers, and the canonical view of the
//! files the model checker hashes. Everything that knows the formats is
//! here.
//!
//! Three files and a temporary one:
//! - `meta`: one record per hard state written (the last readable one
//!   counts).
//! - `log`: one record per entry written (an entry at index i replaces
//!   every entry from i on, so a truncation is just a later record), and
//!   the anchor a follower writes when it installs a snapshot (see
//!   [`LogRecord::Anchor`]). Records below the snapshot are dropped once it
//!   is in place, as a server deletes old segments.
//! - `snapshot`: the latest snapshot (raft-core's `Snapshot`: metadata and
//!   the state machine's bytes), replaced by writing `snapshot_tmp`,
//!   syncing it, and renaming it over (atomic), so a crash at any point
//!   leaves the old snapshot or the new one.

use std::borrow::Cow;

use raft_core::{Entry, EntryId, HardState, LogIndex, Snapshot, Term};
use serde::{Deserialize, Serialize};

use super::HostRuleBreaks;
use crate::disk::Disk;
use crate::observed::DurableLog;

fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    bincode::serde::encode_to_vec(value, bincode::config::standard()).expect("encodes")
}

fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Option<T> {
    bincode::serde::decode_from_slice(bytes, bincode::config::standard())
        .ok()
        .map(|(value, _)| value)
}

/// A record of the log file. The entry is borrowed when a record is
/// written (no copy on the write path) and owned when one is read back.
#[derive(Debug, Serialize, Deserialize)]
enum LogRecord<'a> {
    /// An entry; it replaces every entry from its index on.
    Entry(Cow<'a, Entry>),
    /// A follower installed a snapshot ending at this entry (Raft Figure 13
    /// step 6, applied when the log is read back): the entries after it
    /// stay only if the log holds this very entry; otherwise the log is cut
    /// before its index. It counts only once the snapshot is in place: an
    /// anchor above the snapshot recovery finds marks an install whose
    /// snapshot was lost in a crash, and the log is read only up to it.
    Anchor(EntryId),
}

/// The first fields of a log record (bincode reads a prefix of the record
/// and leaves an entry's data).
#[derive(Deserialize)]
enum LogRecordHead {
    Entry { term: Term, index: LogIndex },
    Anchor(EntryId),
}

impl LogRecordHead {
    fn id(&self) -> EntryId {
        match *self {
            LogRecordHead::Entry { term, index } => EntryId { index, term },
            LogRecordHead::Anchor(id) => id,
        }
    }
}

/// A meta record: the hard state, and the term of the entry at its commit
/// index as the node's log held it. Meta and log are separate files, and a
/// torn crash keeps any prefix of each: a hard state may survive whose
/// log records did not, over an older suffix at the same indexes. Recovery
/// trusts the commit index only with that very entry in the log it reads
/// back (etcd keeps both in one WAL, in order, and needs no such check).
#[derive(Clone, Debug, Hash, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct MetaWrite {
    /// The hard state.
    pub hard_state: HardState,
    /// The term of the entry at `hard_state.commit` (0 when the log no
    /// longer holds it: a snapshot covers it).
    pub commit_term: Term,
}

/// Appends a `Ready`'s writes: its snapshot, if it installed one (into the
/// temporary file, and its anchor into the log), its hard state, if it
/// changed, and its entries. They are durable only after the disk's next
/// fsync, and the snapshot is in place only once renamed
/// ([`snapshot_synced`]).
pub(super) fn write(
    disk: &mut Disk,
    snapshot: Option<&Snapshot>,
    hard_state: Option<MetaWrite>,
    entries: &[Entry],
) {
    if let Some(snapshot) = snapshot {
        disk.write_snapshot_tmp(&encode(snapshot));
        disk.log
            .append_record(&encode(&LogRecord::Anchor(snapshot.meta.last)));
    }
    if let Some(meta) = hard_state {
        disk.meta.append_record(&encode(&meta));
    }
    for entry in entries {
        disk.log
            .append_record(&encode(&LogRecord::Entry(Cow::Borrowed(entry))));
    }
}

/// Starts storing a snapshot the host took of its own state machine: into
/// the temporary file, durable after the next fsync.
pub(super) fn write_own_snapshot(disk: &mut Disk, snapshot: &Snapshot) {
    disk.write_snapshot_tmp(&encode(snapshot));
}

/// The test-only `compact-before-sync` host bug: the snapshot is written
/// over the old one in place and the log records below it dropped at once,
/// with no fsync and no rename.
pub(super) fn write_snapshot_in_place_unsynced(disk: &mut Disk, snapshot: &Snapshot) {
    disk.snapshot = crate::disk::File::default();
    disk.snapshot.append_record(&encode(snapshot));
    drop_log_below(disk, snapshot.meta.last.index);
}

/// Drops the durable log records below `index`, which a snapshot in place
/// stands for (old segments deleted); the record at `index` stays, so that
/// the log read back can be checked to follow the snapshot.
fn drop_log_below(disk: &mut Disk, index: LogIndex) {
    disk.log.drop_durable_records(|payload| {
        decode::<LogRecordHead>(payload).is_none_or(|head| head.id().index < index)
    });
}

/// The fsync covering a snapshot's temporary file completed: rename it into
/// place, then drop the log records below its last entry (old segments)
/// and every durable hard state but the last (only the last counts).
/// Returns the durable log as recovery would now read it.
pub(super) fn snapshot_synced(disk: &mut Disk, last: EntryId) -> DurableLog {
    disk.rename_snapshot_tmp();
    disk.meta.keep_last_durable_record();
    drop_log_below(disk, last.index);
    durable_log(disk)
}

/// What a boot reads back from the files.
pub(super) struct Recovered {
    /// The hard state to resume with.
    pub(super) hard_state: HardState,
    /// The latest snapshot, if one is in place.
    pub(super) snapshot: Option<Snapshot>,
    /// The log after the snapshot, without gaps.
    pub(super) entries: Vec<Entry>,
}

/// The log a stream of records describes, on top of a snapshot ending at
/// `base`: replays the records (dropping what later ones replaced or cut),
/// ignores an install whose snapshot never got in place, and keeps what
/// follows `base` only if the log holds `base` itself (Figure 13 step 6).
/// Records after an unreadable one, or after a gap, are not trusted.
fn replay<'r>(
    records: impl Iterator<Item = &'r [u8]>,
    base: EntryId,
    mut read: impl FnMut(&'r [u8]) -> Option<(EntryId, bool)>,
) -> Vec<(EntryId, &'r [u8])> {
    // (id, record, is an anchor), contiguous by index.
    let mut run: Vec<(EntryId, &[u8], bool)> = Vec::new();
    for payload in records {
        let Some((id, anchor)) = read(payload) else {
            break;
        };
        if anchor && id.index > base.index {
            break; // its snapshot never got in place: nothing after it counts
        }
        let first = run.first().map_or(id.index, |(first, _, _)| first.index);
        let next = run
            .last()
            .map_or(id.index, |(last, _, _)| last.index.next());
        if id.index > next {
            break; // a gap: the rest of the file cannot be trusted
        }
        let held = run
            .iter()
            .any(|(held, _, is_anchor)| *held == id && !*is_anchor)
            || run.iter().any(|(held, _, _)| *held == id);
        if anchor && held {
            continue; // the log holds the snapshot's entry: all of it stays
        }
        let keep = usize::try_from(id.index.0.saturating_sub(first.0)).expect("fits");
        run.truncate(if id.index < first { 0 } else { keep });
        run.push((id, payload, anchor));
    }
    let holds_base = base.index == LogIndex(0) || run.iter().any(|(id, _, _)| *id == base);
    if !holds_base {
        return Vec::new();
    }
    run.into_iter()
        .filter(|(id, _, _)| id.index > base.index)
        .map(|(id, payload, _)| (id, payload))
        .collect()
}

/// Reads a log record's head: its entry id, and whether it is an anchor.
fn read_head(payload: &[u8]) -> Option<(EntryId, bool)> {
    let head = decode::<LogRecordHead>(payload)?;
    Some((head.id(), matches!(head, LogRecordHead::Anchor(_))))
}

/// The snapshot in place, if one is readable.
fn snapshot_in_place(disk: &Disk) -> Option<Snapshot> {
    let durable = disk.snapshot.durable_len();
    disk.snapshot
        .records()
        .take_while(|(_, end)| *end <= durable)
        .last()
        .and_then(|(payload, _)| decode::<Snapshot>(payload))
}

/// The durable log as recovery would read it now: the snapshot in place and
/// the durable entries after it.
pub(super) fn durable_log(disk: &Disk) -> DurableLog {
    let base = snapshot_in_place(disk).map_or(EntryId::default(), |s| s.meta.last);
    let durable = disk.log.durable_len();
    let records = disk
        .log
        .records()
        .take_while(|(_, end)| *end <= durable)
        .map(|(payload, _)| payload);
    let run = replay(records, base, read_head);
    DurableLog {
        snapshot: base,
        terms: run.iter().map(|(id, _)| id.term).collect(),
    }
}

/// Reads the files back after a crash (or at first boot: empty files give
/// the empty state), dropping what the disk lost and deleting a temporary
/// snapshot. `breaks` holds the test-only recovery mistakes.
pub(super) fn recover(disk: &mut Disk, breaks: &HostRuleBreaks) -> Recovered {
    disk.snapshot_tmp = crate::disk::File::default();
    let MetaWrite {
        hard_state,
        commit_term,
    } = disk
        .meta
        .recover_records()
        .last()
        .and_then(|bytes| decode::<MetaWrite>(bytes))
        .unwrap_or(MetaWrite {
            hard_state: HardState::default(),
            commit_term: Term(0),
        });
    let snapshot = disk
        .snapshot
        .recover_records()
        .last()
        .and_then(|bytes| decode::<Snapshot>(bytes));
    let base = snapshot
        .as_ref()
        .map_or(EntryId::default(), |s| s.meta.last);
    let records = disk.log.recover_records();
    let run = replay(records.iter().map(Vec::as_slice), base, read_head);
    let entries: Vec<Entry> = run
        .iter()
        .map_while(|(_, payload)| match decode::<LogRecord<'static>>(payload) {
            Some(LogRecord::Entry(entry)) => Some(entry.into_owned()),
            _ => None,
        })
        .collect();
    let last = entries.last().map_or(base, Entry::id);
    // Meta and log are separate files: a torn crash can keep a log record
    // whose hard state was lost. Neither was synced, so nothing was
    // acknowledged from them; the node did see that term, so it resumes
    // there, with no vote (a vote is only sent once synced).
    let hard_state = if last.term > hard_state.term && !breaks.ignore_log_term_on_boot {
        HardState {
            term: last.term,
            vote: None,
            commit: hard_state.commit,
        }
    } else {
        hard_state
    };
    // The commit index is only a hint (never needed for safety): trusted
    // only with the very entry it was computed over in the log read back
    // (or at the snapshot, which stands for committed entries). A torn
    // crash can keep it over an older suffix at the same index; then the
    // node starts from its snapshot and relearns commit from the leader.
    let hint = hard_state.commit;
    let holds_it = entries
        .iter()
        .find(|e| e.index == hint)
        .is_some_and(|e| e.term == commit_term);
    let commit = if breaks.trust_commit_on_boot {
        hint
    } else if hint <= base.index || holds_it {
        hint.min(last.index).max(base.index)
    } else {
        base.index
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
        snapshot,
        entries,
    }
}

/// A disk as recovery will read it.
#[derive(Debug, Hash, Serialize)]
pub(super) struct CanonicalDisk<'a> {
    durable_meta: Option<MetaRecord>,
    durable_snapshot: Option<&'a [u8]>,
    durable_log: Vec<&'a [u8]>,
    unsynced_meta: Vec<MetaRecord>,
    unsynced_snapshot: Option<&'a [u8]>,
    unsynced_log: Vec<&'a [u8]>,
}

/// A meta record, decoded (so that the node ids in it can be relabeled).
#[derive(Debug, Hash, Serialize)]
enum MetaRecord {
    HardState(MetaWrite),
    Unreadable(Vec<u8>),
}

/// The disk's content as recovery will read it, not its history: the last
/// durable hard state (earlier meta records are dead), the snapshot in
/// place, the durable log after replaying its truncations and anchors, and
/// the records not yet durable, in order. Two disks that boot alike and
/// keep the same pending writes are alike here (the model checker's
/// canonical environment).
pub(super) fn canonical(disk: &Disk) -> CanonicalDisk<'_> {
    let meta = &disk.meta;
    let hard_state = |payload: &[u8]| match decode::<MetaWrite>(payload) {
        Some(hard_state) => MetaRecord::HardState(hard_state),
        None => MetaRecord::Unreadable(payload.to_vec()),
    };
    let durable_meta = meta
        .records()
        .take_while(|(_, end)| *end <= meta.durable_len())
        .last()
        .map(|(payload, _)| hard_state(payload));
    let snapshot = &disk.snapshot;
    let durable_snapshot = snapshot
        .records()
        .take_while(|(_, end)| *end <= snapshot.durable_len())
        .last()
        .map(|(payload, _)| payload);
    let base = durable_snapshot
        .and_then(decode::<SnapshotHead>)
        .map_or(EntryId::default(), |head| head.last);
    let log = &disk.log;
    let durable_records = log
        .records()
        .take_while(|(_, end)| *end <= log.durable_len())
        .map(|(payload, _)| payload);
    // Only ids matter here: decode record heads, not entry data.
    let durable_log = replay(durable_records, base, read_head)
        .into_iter()
        .map(|(_, payload)| payload)
        .collect();
    CanonicalDisk {
        durable_meta,
        durable_snapshot,
        durable_log,
        unsynced_meta: meta
            .records()
            .filter(|(_, end)| *end > meta.durable_len())
            .map(|(payload, _)| hard_state(payload))
            .collect(),
        unsynced_snapshot: disk
            .snapshot_tmp
            .records()
            .next()
            .map(|(payload, _)| payload),
        unsynced_log: log
            .records()
            .filter(|(_, end)| *end > log.durable_len())
            .map(|(payload, _)| payload)
            .collect(),
    }
}

/// The first field of an encoded snapshot: its metadata's last entry.
#[derive(Deserialize)]
struct SnapshotHead {
    last: EntryId,
}

#[cfg(test)]
#[path = "store_tests.rs"]
mod tests;

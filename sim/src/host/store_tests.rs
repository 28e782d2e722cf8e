//! Crash safety of the store: a crash after every write of a compaction and
//! of an install (each unsynced record kept or lost, and torn at random
//! bytes) recovers the old snapshot with the whole log, or the new one with
//! the log that follows it — never a log cut short, never a log that does
//! not follow its snapshot.

use raft_core::{
    ConfState, Entry, EntryId, EntryKind, HardState, LogIndex, NodeId, Snapshot, SnapshotMeta, Term,
};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::*;
use crate::disk::FileRecords;

fn entry(index: u64, term: u64) -> Entry {
    Entry {
        term: Term(term),
        index: LogIndex(index),
        kind: EntryKind::Normal,
        data: format!("{index}@{term}").into_bytes(),
    }
}

fn snapshot(index: u64, term: u64) -> Snapshot {
    Snapshot {
        meta: SnapshotMeta {
            last: EntryId {
                index: LogIndex(index),
                term: Term(term),
            },
            conf: ConfState::with_voters([NodeId(1), NodeId(2), NodeId(3)]),
        },
        data: format!("state at {index}").into_bytes(),
    }
}

/// A disk holding `terms` as entries 1.., durably, with a hard state.
fn disk_with(terms: &[u64]) -> Disk {
    let mut disk = Disk::default();
    let entries: Vec<Entry> = (1..).zip(terms).map(|(i, t)| entry(i, *t)).collect();
    let hard_state = HardState {
        term: Term(*terms.iter().max().unwrap_or(&0)),
        vote: None,
        commit: LogIndex(0),
    };
    let meta = MetaWrite {
        hard_state,
        commit_term: Term(0),
    };
    write(&mut disk, None, Some(meta), &entries);
    disk.synced(disk.sync_point());
    disk
}

/// One write of a compaction or an install, as the host performs it.
#[derive(Clone, Debug)]
enum Op {
    /// A `Ready`'s writes (an installed snapshot, entries), not yet durable.
    Write(Option<Snapshot>, Vec<Entry>),
    /// The host's own snapshot into the temporary file, not yet durable.
    WriteOwn(Snapshot),
    /// The fsync completes.
    Sync,
    /// The rename and the drop of the old log records.
    SnapshotSynced(EntryId),
}

fn apply(disk: &mut Disk, op: &Op) {
    match op {
        Op::Write(snapshot, entries) => write(disk, snapshot.as_ref(), None, entries),
        Op::WriteOwn(snapshot) => write_own_snapshot(disk, snapshot),
        Op::Sync => disk.synced(disk.sync_point()),
        Op::SnapshotSynced(last) => drop(snapshot_synced(disk, *last)),
    }
}

/// Every crash of `disk` as it stands: each number of unsynced records
/// kept in each file, and torn writes at random byte counts.
fn crashes(disk: &Disk) -> Vec<Disk> {
    let unsynced = disk.unsynced_records();
    let mut out = Vec::new();
    for meta in 0..=unsynced.meta {
        for log in 0..=unsynced.log {
            let mut crashed = disk.clone();
            crashed.crash_keeping(FileRecords { meta, log });
            out.push(crashed);
        }
    }
    for seed in 0..32 {
        let mut crashed = disk.clone();
        crashed.crash(true, &mut ChaCha8Rng::seed_from_u64(seed));
        out.push(crashed);
    }
    out
}

/// What a boot reads: the snapshot's last entry (if any) and the log's ids.
fn boot(mut disk: Disk) -> (Option<EntryId>, Vec<EntryId>, Option<Vec<u8>>) {
    let recovered = recover(&mut disk, &HostRuleBreaks::default());
    let ids = recovered.entries.iter().map(Entry::id).collect();
    let data = recovered.snapshot.as_ref().map(|s| s.data.clone());
    (recovered.snapshot.map(|s| s.meta.last), ids, data)
}

/// Runs `ops` from `disk`, crashing after each one in every way; each boot
/// must read one of `allowed` (snapshot end, log ids after it, where the
/// log may end early only within what was never synced: `min_len`).
fn crash_after_every_write(
    disk: &Disk,
    ops: &[Op],
    allowed: &[(Option<EntryId>, Vec<EntryId>, usize)],
) -> usize {
    let mut disk = disk.clone();
    let mut boots = 0;
    for k in 0..=ops.len() {
        for crashed in crashes(&disk) {
            let (snapshot, ids, data) = boot(crashed);
            boots += 1;
            let fits = allowed.iter().any(|(end, log, min_len)| {
                *end == snapshot && ids.len() >= *min_len && log.starts_with(&ids)
            });
            assert!(
                fits,
                "after {k} writes ({:?}): booted snapshot {snapshot:?} with log {ids:?}",
                &ops[..k]
            );
            if let Some(end) = snapshot {
                let expected = format!("state at {}", end.index.0).into_bytes();
                assert_eq!(data, Some(expected), "a snapshot that is not whole");
            }
        }
        if let Some(op) = ops.get(k) {
            apply(&mut disk, op);
        }
    }
    boots
}

fn ids(pairs: &[(u64, u64)]) -> Vec<EntryId> {
    pairs
        .iter()
        .map(|(i, t)| EntryId {
            index: LogIndex(*i),
            term: Term(*t),
        })
        .collect()
}

#[test]
fn a_crash_at_any_write_of_a_compaction_recovers_the_old_or_the_new_snapshot() {
    let disk = disk_with(&[1, 1, 1, 2, 2, 2, 2, 2]);
    let new = snapshot(5, 2);
    let last = new.meta.last;
    let ops = [Op::WriteOwn(new), Op::Sync, Op::SnapshotSynced(last)];
    let all: Vec<(u64, u64)> = (1..=8).map(|i| (i, if i <= 3 { 1 } else { 2 })).collect();
    let allowed = [(None, ids(&all), 8), (Some(last), ids(&all[5..]), 3)];
    let boots = crash_after_every_write(&disk, &ops, &allowed);
    assert!(boots > 100, "{boots} boots");
}

#[test]
fn a_crash_at_any_write_of_an_install_that_drops_the_log_recovers_old_or_new() {
    // The follower holds 1..=6, its entries from 4 on of a term the leader's
    // log does not have; the leader's snapshot ends at (5, 3).
    let disk = disk_with(&[1, 1, 1, 2, 2, 2]);
    let installed = snapshot(5, 3);
    let last = installed.meta.last;
    let after = vec![entry(6, 3), entry(7, 3)];
    let ops = [
        Op::Write(Some(installed), Vec::new()),
        Op::Sync,
        Op::SnapshotSynced(last),
        Op::Write(None, after),
        Op::Sync,
    ];
    let old = ids(&[(1, 1), (2, 1), (3, 1), (4, 2), (5, 2), (6, 2)]);
    let allowed = [
        (None, old, 6),
        // The old (6, 2) never comes back after the new snapshot.
        (Some(last), ids(&[(6, 3), (7, 3)]), 0),
    ];
    crash_after_every_write(&disk, &ops, &allowed);
}

#[test]
fn a_crash_at_any_write_of_an_install_that_keeps_a_suffix_recovers_old_or_new() {
    // The follower holds (5, 2), the snapshot's last entry: 6 and 7 stay.
    let disk = disk_with(&[1, 1, 1, 2, 2, 2, 2]);
    let installed = snapshot(5, 2);
    let last = installed.meta.last;
    let ops = [
        Op::Write(Some(installed), Vec::new()),
        Op::Sync,
        Op::SnapshotSynced(last),
    ];
    let all: Vec<(u64, u64)> = (1..=7).map(|i| (i, if i <= 3 { 1 } else { 2 })).collect();
    let allowed = [(None, ids(&all), 7), (Some(last), ids(&all[5..]), 2)];
    crash_after_every_write(&disk, &ops, &allowed);
}

/// A `Ready` replaces an uncommitted suffix (entries 3 and 4 of term 1)
/// with the new leader's entries (3 and 4 of term 2) and moves commit to 4.
/// A torn crash may keep the hard state and lose the log records: the log
/// read back holds the old suffix at those very indexes. The commit hint
/// must not be trusted over it (it was, before the meta record carried the
/// term of its entry: the membership swarm found it, seed 3119), and with
/// the new entries it is.
#[test]
fn a_commit_hint_whose_entries_were_lost_is_not_trusted_over_an_older_suffix() {
    let mut disk = disk_with(&[1, 1, 1, 1]);
    let meta = MetaWrite {
        hard_state: HardState {
            term: Term(2),
            vote: None,
            commit: LogIndex(4),
        },
        commit_term: Term(2),
    };
    write(&mut disk, None, Some(meta), &[entry(3, 2), entry(4, 2)]);
    let mut commits = Vec::new();
    for mut crashed in crashes(&disk) {
        let recovered = recover(&mut crashed, &HostRuleBreaks::default());
        let commit = recovered.hard_state.commit;
        let at_commit = recovered.entries.iter().find(|e| e.index == commit);
        assert!(
            commit == LogIndex(0) || at_commit.is_some_and(|e| e.term == Term(2)),
            "commit {commit} over {:?}",
            recovered.entries.iter().map(Entry::id).collect::<Vec<_>>()
        );
        commits.push(commit);
    }
    assert!(
        commits.contains(&LogIndex(4)),
        "the hint is kept when its entry is"
    );
    assert!(
        commits.contains(&LogIndex(0)),
        "a crash kept the hint, not the entries"
    );
}

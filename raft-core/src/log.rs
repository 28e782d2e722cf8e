//! The node's view of the replicated log: the entries after the last
//! snapshot, and how far they are persisted, committed and applied.
//!
//! Like braft's LogManager, raft-core keeps the log after the last snapshot in
//! memory, in front of the host's disk; the host persists what `Ready` hands
//! it. Positions, in order (each `<=` the next, asserted in [`RaftLog::check`]):
//!
//! ```text
//! applied <= applying <= committed <= last_index
//! snapshot.index <= applying            persisted <= last_index
//! ```
//!
//! `applied` may lag behind the snapshot between a follower's install and
//! the `Ready` that hands the snapshot to the host to restore.

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::types::{Entry, EntryId, EntryKind, LogIndex, Term};

/// What a follower's append did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Appended {
    /// The index of the last entry of the append.
    pub last_new: LogIndex,
    /// If entries were replaced, the first index replaced.
    pub replaced_from: Option<LogIndex>,
}

/// The log and its progress markers.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RaftLog {
    /// The last entry covered by the latest snapshot ((0, 0) if none).
    snapshot: EntryId,
    /// Invariant: `entries[k].index == snapshot.index + 1 + k`, and terms never
    /// decrease along the log.
    entries: Vec<Entry>,
    /// The first index not yet handed to the host for persisting.
    unstable_from: LogIndex,
    /// The last index the host reported durable (through `advance`).
    persisted: LogIndex,
    /// The highest index known committed (Raft Figure 2, commitIndex).
    committed: LogIndex,
    /// The last index handed to the host to apply.
    applying: LogIndex,
    /// The last index the host reported applied (Figure 2, lastApplied).
    applied: LogIndex,
}

impl RaftLog {
    /// A log restored from storage: everything given is durable already.
    pub(crate) fn restore(
        snapshot: EntryId,
        entries: Vec<Entry>,
        committed: LogIndex,
        applied: LogIndex,
    ) -> Result<RaftLog, Error> {
        let corrupt = |why: String| Err(Error::CorruptRestore(why));
        let mut expected = snapshot.index.next();
        let mut last_term = snapshot.term;
        for entry in &entries {
            if entry.index != expected {
                return corrupt(format!(
                    "entry {} where {} was expected (entries must follow the snapshot, contiguous)",
                    entry.index, expected
                ));
            }
            if entry.term < last_term {
                return corrupt(format!(
                    "entry {} has term {} below the term {} before it",
                    entry.index, entry.term, last_term
                ));
            }
            last_term = entry.term;
            expected = expected.next();
        }
        let last_index = expected.prev();
        if committed > last_index {
            return corrupt(format!(
                "commit index {committed} is beyond the last entry {last_index}"
            ));
        }
        let committed = committed.max(snapshot.index);
        let applied = applied.max(snapshot.index);
        if applied > committed {
            return corrupt(format!(
                "applied index {applied} is beyond the commit index {committed}"
            ));
        }
        let log = RaftLog {
            snapshot,
            entries,
            unstable_from: last_index.next(),
            persisted: last_index,
            committed,
            applying: applied,
            applied,
        };
        log.check();
        Ok(log)
    }

    /// Asserts the ordering of the markers; a failure is a bug in raft-core.
    pub fn check(&self) {
        let last = self.last_index();
        assert!(
            self.snapshot.index <= self.applying,
            "the snapshot is not applied nor being applied"
        );
        assert!(self.applied <= self.applying, "applied beyond applying");
        assert!(self.applying <= self.committed, "applying beyond commit");
        assert!(self.committed <= last, "commit beyond last index");
        assert!(self.persisted <= last, "persisted beyond last index");
        assert!(self.unstable_from <= last.next(), "unstable beyond end");
    }

    /// The index of the first entry held in memory.
    #[must_use]
    pub fn first_index(&self) -> LogIndex {
        self.snapshot.index.next()
    }

    /// The index of the last entry (the snapshot's if the log is empty).
    #[must_use]
    pub fn last_index(&self) -> LogIndex {
        self.snapshot.index.plus(self.entries.len() as u64)
    }

    /// The last entry's (index, term).
    #[must_use]
    pub fn last_id(&self) -> EntryId {
        self.entries.last().map_or(self.snapshot, Entry::id)
    }

    /// The commit index.
    #[must_use]
    pub fn committed(&self) -> LogIndex {
        self.committed
    }

    /// The last index the host applied.
    #[must_use]
    pub fn applied(&self) -> LogIndex {
        self.applied
    }

    /// The last index the host persisted.
    #[must_use]
    pub fn persisted(&self) -> LogIndex {
        self.persisted
    }

    /// The last entry covered by the snapshot.
    #[must_use]
    pub fn snapshot(&self) -> EntryId {
        self.snapshot
    }

    /// The entries held in memory, from `first_index()` on.
    #[must_use]
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    fn position(&self, index: LogIndex) -> Option<usize> {
        if index <= self.snapshot.index || index > self.last_index() {
            return None;
        }
        Some((index.0 - self.snapshot.index.0 - 1) as usize)
    }

    /// The entries from `index` on that are held in memory (all of them if
    /// `index` is compacted, none past the end).
    #[must_use]
    pub fn entries_from(&self, index: LogIndex) -> &[Entry] {
        let skip = index.0.saturating_sub(self.first_index().0);
        &self.entries[(skip as usize).min(self.entries.len())..]
    }

    /// The entry at `index`, if held in memory.
    #[must_use]
    pub fn entry(&self, index: LogIndex) -> Option<&Entry> {
        self.position(index).map(|p| &self.entries[p])
    }

    /// The term of the entry at `index`, if known: the snapshot's last entry
    /// and every entry in memory have one; index 0 has term 0.
    #[must_use]
    pub fn term(&self, index: LogIndex) -> Option<Term> {
        if index == self.snapshot.index {
            return Some(self.snapshot.term);
        }
        self.entry(index).map(|e| e.term)
    }

    /// Whether this log holds the entry `id` (and so, by Log Matching, the
    /// same prefix as the log `id` came from).
    #[must_use]
    pub fn contains(&self, id: EntryId) -> bool {
        self.term(id.index) == Some(id.term)
    }

    /// Whether a candidate whose last entry is `candidate_last` has a log at
    /// least as up-to-date as this one (Raft §5.4.1): later last term wins,
    /// and with equal last terms the longer log wins.
    #[must_use]
    pub fn is_up_to_date(&self, candidate_last: EntryId) -> bool {
        let mine = self.last_id();
        (candidate_last.term, candidate_last.index) >= (mine.term, mine.index)
    }

    /// Entries from `from` on, at most `max_bytes` of them but at least one
    /// (if any exist). Empty if `from` is beyond the log or compacted.
    #[must_use]
    pub fn slice_from(&self, from: LogIndex, max_bytes: u64) -> Vec<Entry> {
        let Some(start) = self.position(from) else {
            return Vec::new();
        };
        let mut size_bytes = 0;
        let mut out = Vec::new();
        for entry in &self.entries[start..] {
            size_bytes += entry.size_bytes();
            if !out.is_empty() && size_bytes > max_bytes {
                break;
            }
            out.push(entry.clone());
        }
        out
    }

    /// The search for where to resume after a rejection (Raft §5.3, the
    /// "fast back-up"): the largest index `<= index` whose term is `<=
    /// term`, with its term. Every entry above it has a larger term and so
    /// cannot match the other log's entries at or below `term`. `None` if
    /// no such entry is left after compaction: the other log can match
    /// this one only below the snapshot (a leader then sends it).
    #[must_use]
    pub fn probe_below(&self, index: LogIndex, term: Term) -> Option<EntryId> {
        if index < self.snapshot.index {
            return None;
        }
        let mut at = index.min(self.last_index());
        loop {
            match self.term(at) {
                Some(t) if t <= term => return Some(EntryId { index: at, term: t }),
                Some(_) if at > self.snapshot.index => at = at.prev(),
                _ => return None,
            }
        }
    }

    /// Appends a new entry at the end (the leader's own proposals).
    pub(crate) fn append_new(&mut self, term: Term, kind: EntryKind, data: Vec<u8>) -> LogIndex {
        assert!(
            term >= self.last_id().term,
            "leader appends below the last term"
        );
        let index = self.last_index().next();
        self.entries.push(Entry {
            term,
            index,
            kind,
            data,
        });
        index
    }

    /// A follower's append (Raft §5.3, receiver steps 3-4): entries after
    /// `prev`, which the caller has checked is in this log. Entries that are
    /// already present are kept; the first conflicting one and all after it
    /// are replaced.
    pub(crate) fn append_after(
        &mut self,
        prev: EntryId,
        entries: &[Entry],
    ) -> Result<Appended, Error> {
        let last_new = prev.index.plus(entries.len() as u64);
        let conflict = entries
            .iter()
            .find(|e| e.index > self.snapshot.index && !self.contains(e.id()));
        let Some(conflict) = conflict else {
            return Ok(Appended {
                last_new,
                replaced_from: None,
            });
        };
        let at = conflict.index;
        if at <= self.committed {
            return Err(Error::ConflictsWithCommitted { index: at });
        }
        let replaced_from = (at <= self.last_index()).then_some(at);
        self.truncate_from(at);
        let skip = (at.0 - prev.index.0 - 1) as usize;
        self.entries.extend_from_slice(&entries[skip..]);
        Ok(Appended {
            last_new,
            replaced_from,
        })
    }

    /// Drops the entries up to `index`, which a snapshot the host holds
    /// durably now stands for (Raft §7): the log starts after it, and its
    /// last entry's id is kept so that appends after it still match. The
    /// host applied those entries (`index <= applied`), so they are
    /// committed, and the snapshot makes them durable: entries the host
    /// has not written yet need not be.
    pub(crate) fn compact_to(&mut self, index: LogIndex) -> Result<EntryId, Error> {
        if index > self.applied {
            return Err(Error::CompactBeyondApplied {
                index,
                applied: self.applied,
            });
        }
        if index <= self.snapshot.index {
            return Err(Error::StaleCompaction {
                index,
                snapshot: self.snapshot.index,
            });
        }
        let position = self
            .position(index)
            .expect("an index above the snapshot and applied is in memory");
        let last = EntryId {
            index,
            term: self.entries[position].term,
        };
        self.entries.drain(..=position);
        self.snapshot = last;
        self.unstable_from = self.unstable_from.max(index.next());
        self.persisted = self.persisted.max(index);
        self.check();
        Ok(last)
    }

    /// A follower installs a snapshot ending at `last`, newer than its
    /// commit index (Raft Figure 13, steps 6 and 7): if the log holds
    /// `last`, the entries after it are kept; otherwise the whole log goes.
    /// Commit moves to `last`, and the snapshot is being applied. The host
    /// stores the snapshot by the same rule (its stored entries after
    /// `last` stay only if its stored entry at `last` is that entry), so
    /// what it persisted of a kept suffix stays persisted.
    pub(crate) fn install(&mut self, last: EntryId) {
        if last.index <= self.committed {
            // Only the test-only `install_stale_snapshot` gets here: the
            // markers go back with the snapshot (what the rule break shows).
            self.committed = last.index;
            self.applied = self.applied.min(last.index);
        }
        match self.position(last.index).filter(|_| self.contains(last)) {
            Some(position) => drop(self.entries.drain(..=position)),
            None => self.entries.clear(),
        }
        self.snapshot = last;
        self.committed = last.index;
        self.applying = last.index;
        let end = self.last_index();
        self.persisted = self.persisted.max(last.index).min(end);
        self.unstable_from = self.unstable_from.clamp(last.index.next(), end.next());
        self.check();
    }

    /// Drops the entries after `index` (they were never committed); only
    /// test-only rule breaking calls it.
    pub(crate) fn truncate_after(&mut self, index: LogIndex) {
        self.truncate_from(index.next());
    }

    /// Drops entries from `at` on (they were never committed).
    fn truncate_from(&mut self, at: LogIndex) {
        assert!(at > self.committed, "truncating committed entries");
        if let Some(pos) = self.position(at) {
            self.entries.truncate(pos);
        }
        self.unstable_from = self.unstable_from.min(at);
        self.persisted = self.persisted.min(at.prev());
    }

    /// Raises the commit index to `index` (never lowers it).
    pub(crate) fn commit_to(&mut self, index: LogIndex) -> bool {
        assert!(index <= self.last_index(), "commit beyond the log");
        if index > self.committed {
            self.committed = index;
            true
        } else {
            false
        }
    }

    /// Whether some entries were not yet handed to the host to persist.
    #[must_use]
    pub fn has_unstable(&self) -> bool {
        self.unstable_from <= self.last_index()
    }

    /// Hands the not-yet-persisted entries to the host.
    pub(crate) fn take_unstable(&mut self) -> Vec<Entry> {
        let from = self.unstable_from.max(self.first_index());
        let out = match self.position(from) {
            Some(pos) => self.entries[pos..].to_vec(),
            None => Vec::new(),
        };
        self.unstable_from = self.last_index().next();
        out
    }

    /// The host made the entries of a `Ready` durable, up to `last`. Entries
    /// replaced since that `Ready` was taken count only below the replacement.
    pub(crate) fn persisted_to(&mut self, last: EntryId) {
        let durable = last.index.min(self.unstable_from.prev());
        if durable > self.persisted && self.term(durable).is_some() {
            self.persisted = durable;
        }
    }

    /// Whether committed, persisted entries wait to be handed out to apply.
    #[must_use]
    pub fn has_to_apply(&self) -> bool {
        self.applying < self.committed.min(self.persisted)
    }

    /// Hands out committed entries to apply: only persisted ones, at most
    /// `max_bytes` of them (at least one).
    pub(crate) fn take_to_apply(&mut self, max_bytes: u64) -> Vec<Entry> {
        if !self.has_to_apply() {
            return Vec::new();
        }
        let upto = self.committed.min(self.persisted);
        let mut out = self.slice_from(self.applying.next(), max_bytes);
        out.retain(|e| e.index <= upto);
        if let Some(last) = out.last() {
            self.applying = last.index;
        }
        out
    }

    /// The host applied (or restored a snapshot) up to `index`.
    pub(crate) fn applied_to(&mut self, index: LogIndex) {
        assert!(index <= self.applying, "applied beyond what was handed out");
        self.applied = self.applied.max(index);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(index: u64, term: u64) -> Entry {
        Entry {
            term: Term(term),
            index: LogIndex(index),
            kind: EntryKind::Normal,
            data: vec![],
        }
    }

    fn log_of(terms: &[u64]) -> RaftLog {
        let entries = terms
            .iter()
            .enumerate()
            .map(|(i, t)| entry(i as u64 + 1, *t))
            .collect();
        RaftLog::restore(EntryId::default(), entries, LogIndex(0), LogIndex(0)).unwrap()
    }

    #[test]
    fn restore_rejects_gaps_decreasing_terms_and_commit_beyond_end() {
        let restore = |entries, commit| {
            RaftLog::restore(EntryId::default(), entries, LogIndex(commit), LogIndex(0))
        };
        assert!(restore(vec![entry(1, 1), entry(3, 1)], 0).is_err());
        assert!(restore(vec![entry(1, 2), entry(2, 1)], 0).is_err());
        assert!(restore(vec![entry(1, 1)], 2).is_err());
        assert!(restore(vec![entry(1, 1)], 1).is_ok());
    }

    #[test]
    fn up_to_date_compares_last_term_then_length() {
        let log = log_of(&[1, 1, 2]);
        let id = |index, term| EntryId {
            index: LogIndex(index),
            term: Term(term),
        };
        assert!(log.is_up_to_date(id(3, 2)));
        assert!(log.is_up_to_date(id(1, 3)), "a later term wins over length");
        assert!(!log.is_up_to_date(id(2, 2)), "same term, shorter log loses");
        assert!(!log.is_up_to_date(id(9, 1)), "an earlier term loses");
    }

    #[test]
    fn probe_below_skips_a_whole_term() {
        let log = log_of(&[1, 1, 1, 4, 4, 5, 5, 6, 6, 6]);
        let hint = log.probe_below(LogIndex(10), Term(3)).unwrap();
        assert_eq!(hint.index, LogIndex(3));
        assert_eq!(hint.term, Term(1));
        let top = log.probe_below(LogIndex(20), Term(9)).unwrap();
        assert_eq!(top.index, LogIndex(10));
        let bottom = log.probe_below(LogIndex(5), Term(0)).unwrap();
        assert_eq!(bottom.index, LogIndex(0));
    }

    #[test]
    fn append_keeps_matching_entries_and_replaces_from_first_conflict() {
        let mut log = log_of(&[1, 1, 2, 2]);
        let prev = EntryId {
            index: LogIndex(1),
            term: Term(1),
        };
        let appended = log.append_after(prev, &[entry(2, 1), entry(3, 3)]).unwrap();
        assert_eq!(appended.last_new, LogIndex(3));
        assert_eq!(appended.replaced_from, Some(LogIndex(3)));
        let terms: Vec<u64> = log.entries().iter().map(|e| e.term.0).collect();
        assert_eq!(terms, vec![1, 1, 3], "index 4 went with the conflict at 3");
        assert_eq!(log.persisted(), LogIndex(2));
        assert_eq!(log.take_unstable(), vec![entry(3, 3)]);
    }

    #[test]
    fn append_never_overwrites_committed_entries() {
        let mut log = log_of(&[1, 1, 2]);
        log.commit_to(LogIndex(3));
        let prev = EntryId {
            index: LogIndex(2),
            term: Term(1),
        };
        let err = log.append_after(prev, &[entry(3, 3)]).unwrap_err();
        assert_eq!(err, Error::ConflictsWithCommitted { index: LogIndex(3) });
        assert_eq!(log.term(LogIndex(3)), Some(Term(2)));
    }

    #[test]
    fn apply_hands_out_only_persisted_committed_entries() {
        let mut log = log_of(&[1]);
        log.append_new(Term(1), EntryKind::Normal, vec![]);
        log.commit_to(LogIndex(2));
        let first = log.take_to_apply(u64::MAX);
        assert_eq!(first.len(), 1, "entry 2 is not persisted yet");
        let handed = log.take_unstable();
        log.persisted_to(handed.last().unwrap().id());
        assert_eq!(log.take_to_apply(u64::MAX), vec![entry(2, 1)]);
        log.applied_to(LogIndex(2));
        assert_eq!(log.applied(), LogIndex(2));
        log.check();
    }

    #[test]
    fn slice_respects_byte_cap_but_sends_one_entry() {
        let log = log_of(&[1, 1, 1, 1]);
        let one = entry(1, 1).size_bytes();
        assert_eq!(log.slice_from(LogIndex(1), 0).len(), 1);
        assert_eq!(log.slice_from(LogIndex(1), 2 * one).len(), 2);
        assert_eq!(log.slice_from(LogIndex(2), u64::MAX).len(), 3);
        assert!(log.slice_from(LogIndex(5), u64::MAX).is_empty());
    }
}

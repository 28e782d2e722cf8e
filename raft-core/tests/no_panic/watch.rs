//! What one node has shown so far, to check that it only moves as Raft
//! allows, and that every `Ready` it hands out is consistent.

use std::collections::BTreeMap;

use raft_core::{LogIndex, MessageBody, NodeId, RawNode, Ready, Restored, Term};

#[derive(Debug)]
pub(crate) struct Watch {
    id: NodeId,
    term: Term,
    vote: Option<NodeId>,
    commit: LogIndex,
    /// Terms of the entries seen committed, by index.
    committed: BTreeMap<LogIndex, Term>,
    /// The index of the last committed entry handed out to apply.
    pub(crate) last_handed: LogIndex,
    /// Votes granted in messages, by term.
    granted: BTreeMap<Term, NodeId>,
}

impl Watch {
    pub(crate) fn new(node: &RawNode, restored: &Restored) -> Watch {
        let snapshot_index = restored
            .snapshot
            .as_ref()
            .map_or(LogIndex(0), |s| s.meta.last.index);
        let mut watch = Watch {
            id: node.id(),
            term: node.term(),
            vote: node.vote(),
            commit: node.log().committed(),
            committed: BTreeMap::new(),
            last_handed: restored.applied.max(snapshot_index),
            granted: BTreeMap::new(),
        };
        watch.check(node, "start");
        watch
    }

    /// The checks made after every input.
    pub(crate) fn check(&mut self, node: &RawNode, after: &str) {
        node.assert_invariants();
        let status = node.status();
        assert!(
            status.term >= self.term,
            "after {after}: term went down from {} to {}",
            self.term,
            status.term
        );
        if status.term == self.term
            && let Some(vote) = self.vote
        {
            assert_eq!(
                status.vote,
                Some(vote),
                "after {after}: the vote cast in {} changed",
                self.term
            );
        }
        assert!(
            status.commit >= self.commit,
            "after {after}: commit went down from {} to {}",
            self.commit,
            status.commit
        );
        assert!(
            status.commit <= status.last_index,
            "after {after}: commit {} beyond the last index {}",
            status.commit,
            status.last_index
        );
        assert!(
            status.applied <= status.commit,
            "after {after}: applied {} beyond commit {}",
            status.applied,
            status.commit
        );
        // Committed entries never change.
        let log = node.log();
        let mut index = log.first_index();
        while index <= status.commit {
            let term = log.term(index).expect("committed entries are in memory");
            let seen = *self.committed.entry(index).or_insert(term);
            assert_eq!(seen, term, "after {after}: committed entry {index} changed");
            index = index.next();
        }
        self.term = status.term;
        self.vote = status.vote;
        self.commit = status.commit;
    }

    /// The checks made on every `Ready`, right after it is taken.
    pub(crate) fn check_ready(&mut self, node: &RawNode, ready: &Ready) {
        if let Some(hs) = &ready.hard_state {
            assert_eq!(
                *hs,
                node.hard_state(),
                "Ready's hard state is not the node's"
            );
        }
        if !ready.entries.is_empty() {
            assert!(ready.must_sync, "new entries without must_sync");
        }
        if let Some(snapshot) = &ready.snapshot {
            assert!(ready.must_sync, "a snapshot to store without must_sync");
            let index = snapshot.meta.last.index;
            assert!(
                index > self.last_handed,
                "a snapshot at {index} to restore over {} applied",
                self.last_handed
            );
            assert_eq!(node.log().snapshot(), snapshot.meta.last, "not the log's");
            // Restored first: what is applied next follows it.
            self.last_handed = index;
        }
        for pair in ready.entries.windows(2) {
            assert_eq!(
                pair[1].index,
                pair[0].index.next(),
                "Ready entries not contiguous"
            );
            assert!(
                pair[1].term >= pair[0].term,
                "Ready entries' terms decrease"
            );
        }
        for e in &ready.entries {
            assert_eq!(
                node.log().entry(e.index),
                Some(e),
                "Ready entry not in the log"
            );
        }
        for e in &ready.committed_entries {
            assert_eq!(
                e.index,
                self.last_handed.next(),
                "committed entries skip or repeat an index"
            );
            assert!(
                e.index <= node.log().committed(),
                "hands out an uncommitted entry"
            );
            assert!(
                e.index <= node.log().persisted(),
                "hands out an unpersisted entry"
            );
            assert_eq!(
                self.committed.get(&e.index).copied().unwrap_or(e.term),
                e.term,
                "hands out an entry that differs from the committed one"
            );
            self.last_handed = e.index;
        }
        for m in &ready.messages {
            assert!(
                m.body.leaves_before_persist(),
                "{} may not leave before the write: {m:?}",
                m.body.kind_name()
            );
        }
        for m in ready.messages.iter().chain(&ready.messages_after_persist) {
            assert_eq!(m.from, self.id, "message not from this node: {m:?}");
            assert!(m.to != self.id && m.to != NodeId(0), "bad recipient: {m:?}");
            if let MessageBody::VoteResponse { granted: true } = m.body {
                let first = *self.granted.entry(m.term).or_insert(m.to);
                assert_eq!(first, m.to, "two votes granted in {}", m.term);
            }
        }
    }
}

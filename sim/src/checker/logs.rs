//! The log invariants of Raft Figure 3, checked incrementally:
//!
//! - *Log Matching*: each node's log is mirrored as (term, chain digest) per
//!   index, where the chain digest covers the entry and every entry before
//!   it. Two logs agree on a prefix iff their chain digests agree at its end,
//!   so one ledger entry per (index, term) ever seen checks the property.
//! - *Leader Append-Only*: a leader's log keeps, within its term, the entry
//!   at the end of its log as last seen.
//! - *Leader Completeness*: a leader of term t holds every entry committed by
//!   a leader of a term before t.
//! - *Commit agreement* (State Machine Safety at the log): every node's
//!   committed prefix is a prefix of the one committed prefix of the run.

use std::collections::BTreeMap;

use raft_core::{ConfState, EntryId, LogIndex, Role, Term};

use super::{CommittedConfs, Invariant, NodeView, Violation};
use crate::observed::entry_digest;
use crate::slot::NodeSlot;

/// (term, chain digest, entry digest) of one mirrored entry.
type Link = (Term, u64, u64);

fn chain(prev: u64, entry_digest: u64) -> u64 {
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&prev.to_le_bytes());
    bytes[8..].copy_from_slice(&entry_digest.to_le_bytes());
    xxhash_rust::xxh3::xxh3_64(&bytes)
}

/// The ledgers of the log invariants.
#[derive(Clone, Debug)]
pub struct LogChecker {
    /// Each node's log as last seen, index i at position i - 1.
    mirrors: Vec<Vec<Link>>,
    /// Every (index, term) seen in any log, with its chain digest and the
    /// first node seen holding it: at position index - 1, the few terms
    /// seen at that index (indexes are dense, so a vector beats a map).
    seen: Vec<Vec<(Term, u64, NodeSlot)>>,
    /// The run's committed prefix, index i at position i - 1.
    committed: Vec<Link>,
    /// For each term, the highest index a node of that term knew committed
    /// (so everything up to it was committed by a leader of that term or
    /// earlier).
    committed_by_term: BTreeMap<Term, LogIndex>,
    /// Per node, while it leads: (term, last index, its chain digest).
    leader_marks: Vec<Option<(Term, LogIndex, u64)>>,
    /// Per node, the boot its mirror was last synced in.
    mirror_boots: Vec<u64>,
    /// Per node, while it leads: (term, commit index last seen).
    leader_commits: Vec<Option<(Term, LogIndex)>>,
    /// Per node, the (term, commit) last recorded in `committed_by_term`.
    last_commit_seen: Vec<(Term, LogIndex)>,
    /// The configurations the committed prefix leads to.
    confs: CommittedConfs,
}

impl LogChecker {
    /// Ledgers for `node_count` nodes, whose bootstrap configuration is
    /// `bootstrap`.
    #[must_use]
    pub fn new(node_count: usize, bootstrap: ConfState) -> LogChecker {
        LogChecker {
            mirrors: vec![Vec::new(); node_count],
            seen: Vec::new(),
            committed: Vec::new(),
            committed_by_term: BTreeMap::new(),
            leader_marks: vec![None; node_count],
            mirror_boots: vec![0; node_count],
            leader_commits: vec![None; node_count],
            last_commit_seen: vec![(Term(0), LogIndex(0)); node_count],
            confs: CommittedConfs::new(bootstrap),
        }
    }

    /// The configurations of the run's committed prefix.
    #[must_use]
    pub fn committed_confs(&self) -> &CommittedConfs {
        &self.confs
    }

    /// The highest index known committed anywhere.
    #[must_use]
    pub fn committed_index(&self) -> LogIndex {
        LogIndex(self.committed.len() as u64)
    }

    /// Feeds the run's committed prefix into `state`.
    pub fn hash_committed<H: std::hash::Hasher>(&self, state: &mut H) {
        use std::hash::Hash;
        self.committed.hash(state);
    }

    /// The term of the committed entry at `index`, if that far is known.
    #[must_use]
    pub fn committed_term(&self, index: LogIndex) -> Option<Term> {
        let at = usize::try_from(index.0).ok()?.checked_sub(1)?;
        self.committed.get(at).map(|link| link.0)
    }

    /// Whether node `node`'s log, as last seen, holds `entry`.
    #[must_use]
    pub fn holds(&self, node: NodeSlot, entry: EntryId) -> bool {
        let at = entry.index.0 as usize;
        at > 0
            && self.mirrors[node.index()]
                .get(at - 1)
                .is_some_and(|l| l.0 == entry.term)
    }

    /// Looks at a live node.
    pub fn observe(&mut self, view: &NodeView<'_>) -> Result<(), Violation> {
        self.sync_mirror(view)?;
        self.check_leader(view)?;
        self.check_commit(view)
    }

    /// The mirror of a node whose log starts after a snapshot ending at
    /// `snapshot`: the snapshot stands for the committed entries up to it
    /// (Raft §7), so the mirror holds the run's committed prefix there.
    fn mirror_snapshot(&mut self, slot: NodeSlot, snapshot: EntryId) -> Result<(), Violation> {
        let base = snapshot.index.0 as usize;
        if base == 0 {
            return Ok(());
        }
        let mirror = &self.mirrors[slot.index()];
        // A node may commit, apply and compact within one step: then its
        // own log (the mirror) holds the entry the ledger learns next.
        let committed = self
            .committed
            .get(base - 1)
            .or(mirror.get(base - 1))
            .copied();
        if committed.map(|link| link.0) != Some(snapshot.term) {
            return Err(Violation::new(
                Invariant::StateMachineSafety,
                vec![slot],
                format!(
                    "{slot}'s snapshot ends at index {} term {}, which is not a committed entry",
                    snapshot.index.0, snapshot.term.0
                ),
            ));
        }
        let mirror = &mut self.mirrors[slot.index()];
        if mirror.get(base - 1).map(|link| link.1) != committed.map(|link| link.1) {
            // It installed the snapshot in place of what it held: a leader
            // sent it, whose commit the ledger saw.
            let Some(prefix) = self.committed.get(..base) else {
                return Err(Violation::new(
                    Invariant::StateMachineSafety,
                    vec![slot],
                    format!(
                        "{slot} installed a snapshot up to index {}, beyond what any node committed",
                        snapshot.index.0
                    ),
                ));
            };
            mirror.clear();
            mirror.extend_from_slice(prefix);
        }
        Ok(())
    }

    /// Brings the mirror up to date: drops what the node replaced, adds
    /// what it appended, and checks each new entry against the ledger.
    fn sync_mirror(&mut self, view: &NodeView<'_>) -> Result<(), Violation> {
        let slot = view.slot;
        let node = slot.index();
        self.mirror_snapshot(slot, view.snapshot)?;
        let base = view.snapshot.index.0 as usize;
        let mirror = &mut self.mirrors[node];
        let entry_at = |k: usize| &view.log[k - 1 - base];
        let last = base + view.log.len();
        let mut keep = mirror.len().min(last);
        while keep > base && mirror[keep - 1].0 != entry_at(keep).term {
            keep -= 1;
        }
        // Same terms: the content of the last kept entry must match too, or
        // it was rewritten in place (never legitimate; checked at the end
        // of the kept prefix, where a rewrite would land).
        while keep > base && mirror[keep - 1].2 != entry_digest(entry_at(keep)) {
            keep -= 1;
        }
        // Raft never removes a committed entry from a log (only a crash may
        // take entries this node had not yet written).
        let same_boot = self.mirror_boots[node] == view.boots;
        self.mirror_boots[node] = view.boots;
        let committed_held = mirror.len().min(self.committed.len());
        if same_boot && keep < committed_held && mirror[keep].1 == self.committed[keep].1 {
            return Err(Violation::new(
                Invariant::StateMachineSafety,
                vec![slot],
                format!("{} removed committed entry {} from its log", slot, keep + 1),
            ));
        }
        mirror.truncate(keep);
        for entry in &view.log[keep - base..] {
            let prev = mirror.last().map_or(0, |l| l.1);
            let digest = entry_digest(entry);
            let link = (entry.term, chain(prev, digest), digest);
            mirror.push(link);
            let at = entry.index.0 as usize - 1;
            if self.seen.len() <= at {
                self.seen.resize_with(at + 1, Vec::new);
            }
            let terms = &mut self.seen[at];
            let (first_chain, first_node) = match terms.iter().find(|(t, _, _)| *t == entry.term) {
                Some((_, chain, first)) => (*chain, *first),
                None => {
                    terms.push((entry.term, link.1, slot));
                    (link.1, slot)
                }
            };
            if first_chain != link.1 {
                return Err(Violation::new(
                    Invariant::LogMatching,
                    vec![first_node, slot],
                    format!(
                        "{} and {} both hold an entry at index {} term {} but their logs differ up to it",
                        first_node, slot, entry.index.0, entry.term.0
                    ),
                ));
            }
        }
        Ok(())
    }

    fn check_leader(&mut self, view: &NodeView<'_>) -> Result<(), Violation> {
        let slot = view.slot;
        let node = slot.index();
        if view.role != Role::Leader {
            self.leader_marks[node] = None;
            self.leader_commits[node] = None;
            return Ok(());
        }
        // §5.4.2: a leader commits by counting replicas only an entry of its
        // own term; older entries commit with it (Figure 8).
        if let Some((term, before)) = self.leader_commits[node] {
            let at = view.commit.0 as usize;
            let entry_term = self.mirrors[node].get(at.wrapping_sub(1)).map(|l| l.0);
            if term == view.term && view.commit > before && entry_term != Some(view.term) {
                return Err(Violation::new(
                    Invariant::CurrentTermCommit,
                    vec![slot],
                    format!(
                        "leader {} of term {} moved its commit index from {} to {}, an entry of term {}",
                        slot,
                        view.term.0,
                        before.0,
                        at,
                        entry_term.map_or(0, |t| t.0)
                    ),
                ));
            }
        }
        self.leader_commits[node] = Some((view.term, view.commit));
        let mirror = &self.mirrors[node];
        if let Some((term, index, digest)) = self.leader_marks[node] {
            let at = index.0 as usize;
            let kept = at == 0 || mirror.get(at - 1).is_some_and(|l| l.1 == digest);
            if term == view.term && !kept {
                return Err(Violation::new(
                    Invariant::LeaderAppendOnly,
                    vec![slot],
                    format!(
                        "leader {} of term {} lost or changed its entry at index {}",
                        slot, term.0, index.0
                    ),
                ));
            }
        }
        let last = mirror.len();
        let digest = mirror.last().map_or(0, |l| l.1);
        self.leader_marks[node] = Some((view.term, LogIndex(last as u64), digest));
        // Completeness: everything committed by leaders of earlier terms.
        let required = self
            .committed_by_term
            .range(..view.term)
            .map(|(_, index)| *index)
            .max()
            .unwrap_or(LogIndex(0));
        let at = required.0 as usize;
        if at > 0 && mirror.get(at - 1).map(|l| l.1) != Some(self.committed[at - 1].1) {
            return Err(Violation::new(
                Invariant::LeaderCompleteness,
                vec![slot],
                format!(
                    "leader {} of term {} lacks committed entry {} (its log ends at {})",
                    slot, view.term.0, at, last
                ),
            ));
        }
        Ok(())
    }

    fn check_commit(&mut self, view: &NodeView<'_>) -> Result<(), Violation> {
        let slot = view.slot;
        let node = slot.index();
        let commit = view.commit.0 as usize;
        if commit == 0 {
            return Ok(());
        }
        let mirror = &self.mirrors[node];
        let Some(own) = mirror.get(commit - 1) else {
            return Err(Violation::new(
                Invariant::StateMachineSafety,
                vec![slot],
                format!("{slot} commits index {commit} beyond its log"),
            ));
        };
        let known = self.committed.len();
        let agree_at = commit.min(known);
        if agree_at > 0 && mirror[agree_at - 1].1 != self.committed[agree_at - 1].1 {
            return Err(Violation::new(
                Invariant::StateMachineSafety,
                vec![slot],
                format!(
                    "{slot} committed a different entry at or before index {agree_at} than the rest of the cluster"
                ),
            ));
        }
        if commit > known {
            self.committed.extend_from_slice(&mirror[known..commit]);
            // The entries newly committed are in the view's log: a node's
            // snapshot never ends past the run's committed prefix (see
            // `mirror_snapshot`).
            let first = view.snapshot.index.0 as usize;
            let fresh = &view.log[known.saturating_sub(first)..commit - first];
            for entry in fresh {
                if let Err(why) = self.confs.committed(entry) {
                    return Err(Violation::new(Invariant::Membership, vec![slot], why));
                }
            }
        }
        let _ = own;
        if self.last_commit_seen[node] == (view.term, view.commit) {
            return Ok(());
        }
        self.last_commit_seen[node] = (view.term, view.commit);
        let best = self
            .committed_by_term
            .entry(view.term)
            .or_insert(LogIndex(0));
        *best = (*best).max(view.commit);
        Ok(())
    }
}

//! Membership changes in the node (Raft thesis chapter 4): the
//! configurations its log holds, the leader's proposal of a change, and
//! what follows a change: the leader's view of its peers, leaving a joint
//! configuration once it commits, and a removed leader stepping down.
//!
//! A server uses the latest configuration in its log, committed or not
//! (thesis §4.1): a change takes effect when its entry is appended, and
//! goes away if that entry is replaced. The node keeps the configuration as
//! of the log's start and the one after each change entry, so truncation,
//! compaction, installing a snapshot and restarting find the one in force
//! at any index without replaying the log.

use serde::{Deserialize, Serialize};

use crate::conf_change::ConfChange;
use crate::error::Error;
use crate::progress::Progress;
use crate::raw_node::RawNode;
use crate::types::{ConfState, Entry, EntryKind, LogIndex, Role};

/// The configurations the log holds.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub(crate) struct Configurations {
    /// The configuration as of the log's start: the snapshot's, or the
    /// bootstrap one (`Config::voters`) when nothing was compacted.
    base: ConfState,
    /// Each change entry after the log's start, with the configuration it
    /// leads to, in index order.
    changes: Vec<(LogIndex, ConfState)>,
}

impl Configurations {
    /// Only `base`, as of the log's start.
    pub fn new(base: ConfState) -> Configurations {
        Configurations {
            base,
            changes: Vec::new(),
        }
    }

    /// The configuration in force: the latest in the log.
    pub fn latest(&self) -> &ConfState {
        self.changes.last().map_or(&self.base, |(_, conf)| conf)
    }

    /// The index of the latest change entry in the log, if one is after
    /// the log's start (a change in the snapshot is committed).
    pub fn latest_change(&self) -> Option<LogIndex> {
        self.changes.last().map(|(index, _)| *index)
    }

    /// The configuration in force once the log up to `index` is appended.
    pub fn at(&self, index: LogIndex) -> &ConfState {
        self.changes
            .iter()
            .rev()
            .find(|(at, _)| *at <= index)
            .map_or(&self.base, |(_, conf)| conf)
    }

    /// Entries from `at` on are gone: so are their changes.
    fn truncate_from(&mut self, at: LogIndex) {
        self.changes.retain(|(index, _)| *index < at);
    }

    /// The log now starts after `index`.
    pub fn compact_to(&mut self, index: LogIndex) {
        self.base = self.at(index).clone();
        self.changes.retain(|(at, _)| *at > index);
    }

    /// The configurations `entries` lead to from `from`: each change entry
    /// with its result.
    ///
    /// # Errors
    ///
    /// A change entry that does not decode, or that cannot be made from
    /// the configuration before it (no correct leader appends either).
    fn follow<'a>(
        from: &ConfState,
        entries: impl IntoIterator<Item = &'a Entry>,
    ) -> Result<Vec<(LogIndex, ConfState)>, Error> {
        let mut conf = from;
        let mut out: Vec<(LogIndex, ConfState)> = Vec::new();
        let changes = entries
            .into_iter()
            .filter(|e| e.kind == EntryKind::ConfChange);
        for entry in changes {
            let change = ConfChange::decode(&entry.data)?;
            let next = conf
                .changed_by(&change)
                .map_err(|err| Error::MalformedMessage(format!("entry {}: {err}", entry.index)))?;
            out.push((entry.index, next));
            conf = &out.last().expect("just pushed").1;
        }
        Ok(out)
    }

    /// The log from `from` on is now `entries`: the changes among them
    /// replace those recorded from `from` on.
    ///
    /// # Errors
    ///
    /// As [`Configurations::follow`]; nothing is changed then.
    pub fn rebuild_from<'a>(
        &mut self,
        from: LogIndex,
        entries: impl IntoIterator<Item = &'a Entry>,
    ) -> Result<(), Error> {
        let start = self.at(from.prev()).clone();
        let changes = Configurations::follow(&start, entries)?;
        self.truncate_from(from);
        self.changes.extend(changes);
        Ok(())
    }

    /// Whether `entries`, appended after `prev`, hold only changes that can
    /// be made in order from the configuration there.
    pub fn check_append(&self, prev: LogIndex, entries: &[Entry]) -> Result<(), Error> {
        Configurations::follow(self.at(prev), entries).map(drop)
    }
}

impl RawNode {
    /// Proposes a membership change (thesis chapter 4): the entry takes
    /// effect on each node as soon as it is appended there. A change of at
    /// most one voter (adding or removing one, promoting a learner) is made
    /// at once (§4.1); any other goes through a joint configuration
    /// (§4.3), which the leader leaves on its own once the joint entry
    /// commits. Learners may be added and removed freely. Returns the
    /// index of the change's entry.
    ///
    /// # Errors
    ///
    /// [`Error::NotLeader`] on a follower; [`Error::LeaderTransferring`]
    /// during a leader transfer; [`Error::ConfChangeNotNow`] while another
    /// change is uncommitted (one at a time, so that any two consecutive
    /// configurations share a voter majority) or before this leader has
    /// committed an entry of its own term (a leader that has not may not
    /// know of a change a previous leader committed: the bug Ongaro found
    /// in single-server changes, 2015); [`Error::InvalidConfChange`] if the
    /// change cannot be made from the configuration in force. None of them
    /// changes the node.
    pub fn propose_conf_change(&mut self, change: &ConfChange) -> Result<LogIndex, Error> {
        self.conf_change_allowed(change)?;
        Ok(self.append_conf_change(change))
    }

    /// Whether [`propose_conf_change`](Self::propose_conf_change) would
    /// accept `change` now, without proposing it (a host can answer an
    /// operator's request at once; a model checker enables only changes
    /// that do something).
    ///
    /// # Errors
    ///
    /// The error `propose_conf_change` would return.
    pub fn conf_change_allowed(&self, change: &ConfChange) -> Result<(), Error> {
        self.check_accepts_proposals()?;
        let committed = self.log.committed();
        if let Some(index) = self.confs.latest_change().filter(|i| *i > committed) {
            return Err(Error::ConfChangeNotNow(format!(
                "the change at {index} is not committed yet"
            )));
        }
        let own_term_committed = self.log.term(committed) == Some(self.term);
        if !own_term_committed && !self.config.rule_breaks.conf_change_before_commit {
            return Err(Error::ConfChangeNotNow(format!(
                "this leader has not committed an entry of its term {} yet",
                self.term
            )));
        }
        if change.changes.is_empty() {
            return Err(Error::InvalidConfChange(
                "an empty change (the leader leaves a joint configuration on its own)".into(),
            ));
        }
        self.confs.latest().changed_by(change).map(drop)
    }

    /// The leader appends a change it has checked.
    fn append_conf_change(&mut self, change: &ConfChange) -> LogIndex {
        let index = self
            .log
            .append_new(self.term, EntryKind::ConfChange, change.encode());
        self.confs
            .rebuild_from(index, self.log.entries_from(index))
            .expect("a checked change is valid");
        self.replication_pending = true;
        self.leader_conf_changed();
        index
    }

    /// The leader's configuration changed: it tracks every member (and
    /// itself, even once removed, until it steps down), and a transfer to a
    /// node that is no longer a voter ends.
    pub(crate) fn leader_conf_changed(&mut self) {
        if self.role != Role::Leader {
            return;
        }
        let me = self.config.id;
        let conf = self.confs.latest().clone();
        self.progress
            .retain(|id, _| *id == me || conf.contains(*id));
        let next = self.log.last_index().next();
        for id in conf.members() {
            self.progress
                .entry(id)
                .or_insert_with(|| Progress::new(next, self.config.max_inflight_msgs));
        }
        if self
            .lead_transferee
            .is_some_and(|to| !conf.voters.contains(&to))
        {
            self.lead_transferee = None;
        }
    }

    /// The leader's commit index moved: a joint configuration whose entry
    /// committed is left (thesis §4.3: C_new is appended once C_old,new
    /// commits), and a leader that the committed configuration leaves out
    /// steps down (§4.2.2: it managed the cluster until C_new committed).
    pub(crate) fn leader_committed(&mut self) {
        if self.role != Role::Leader {
            return;
        }
        self.release_held_reads();
        let committed = self.log.committed();
        let latest_committed = self.confs.latest_change().is_none_or(|i| i <= committed);
        if !latest_committed {
            return;
        }
        let conf = self.confs.latest();
        if conf.is_joint() {
            self.append_conf_change(&ConfChange::default());
        } else if !conf.voters.contains(&self.config.id) {
            self.step_down_removed();
        }
    }

    /// The leader's removal committed. It tells everyone the commit index
    /// (so the remaining voters apply C_new now, not after the next
    /// election) and hands leadership to the voter that holds its whole
    /// log, if one does (etcd leaves this as a to-do; without it the
    /// cluster waits an election timeout, longer under the followers'
    /// leases), then steps down.
    fn step_down_removed(&mut self) {
        self.broadcast_append();
        let last = self.log.last_index();
        let successor = self
            .confs
            .latest()
            .voters
            .iter()
            .copied()
            .find(|id| self.progress.get(id).is_some_and(|pr| pr.matched == last));
        if let Some(successor) = successor {
            self.send(successor, crate::message::MessageBody::TimeoutNow);
        }
        self.become_follower(self.term, None);
    }

    /// The log changed from `from` on (a follower's append, a truncation):
    /// the configuration follows it.
    pub(crate) fn log_changed_from(&mut self, from: LogIndex) {
        self.confs
            .rebuild_from(from, self.log.entries_from(from))
            .expect("changes are checked before they are appended");
    }
}

//! Log replication (Raft §5.3) and commitment (§5.4.2): the leader's appends
//! with probe/replicate flow control and fast back-up, the follower's
//! consistency check, heartbeats, and the commit rule.

use crate::conf_change::ConfChange;
use crate::error::Error;
use crate::message::{MessageBody, RejectHint};
use crate::progress::ProgressState;
use crate::quorum;
use crate::raw_node::RawNode;
use crate::types::{Entry, EntryId, EntryKind, LogIndex, NodeId, Role, Term};

/// Whether to send an append that carries no entries.
#[derive(Clone, Copy, PartialEq, Eq)]
enum IfEmpty {
    /// Send it anyway (to probe, or to carry a new commit index).
    Send,
    /// Skip it.
    Skip,
}

impl RawNode {
    fn peers(&self) -> Vec<NodeId> {
        let me = self.config.id;
        self.progress
            .keys()
            .copied()
            .filter(|id| *id != me)
            .collect()
    }

    /// Sends `to` the entries from its `next` index, if flow control allows.
    /// Returns whether a message was sent.
    fn send_append(&mut self, to: NodeId, if_empty: IfEmpty) -> bool {
        let Some(pr) = self.progress.get(&to) else {
            return false;
        };
        if pr.is_paused() {
            return false;
        }
        let prev_index = pr.next.prev();
        let prev_term = self.log.term(prev_index);
        let Some(prev_term) = prev_term.filter(|_| pr.state != ProgressState::Snapshot) else {
            // The entries it needs were compacted away, or a snapshot is
            // on its way to it already: send (the next chunk of) the
            // snapshot instead (Raft §7).
            return self.send_snapshot_chunk(to);
        };
        let entries = self
            .log
            .slice_from(pr.next, self.config.max_size_per_msg_bytes);
        if entries.is_empty() && pr.state == ProgressState::Replicate && if_empty == IfEmpty::Skip {
            return false;
        }
        let last = prev_index.plus(entries.len() as u64);
        let entry_count = entries.len();
        let body = MessageBody::AppendEntries {
            prev: EntryId {
                index: prev_index,
                term: prev_term,
            },
            entries,
            commit: self.log.committed(),
        };
        self.send(to, body);
        if let Some(pr) = self.progress.get_mut(&to) {
            pr.sent_append(last, entry_count);
        }
        true
    }

    /// Sends `to` what it is missing now (a transfer's target catching up).
    pub(crate) fn broadcast_append_to(&mut self, to: NodeId) {
        self.send_append(to, IfEmpty::Send);
    }

    /// Sends every follower what it is missing (and the commit index).
    pub(crate) fn broadcast_append(&mut self) {
        for peer in self.peers() {
            self.send_append(peer, IfEmpty::Send);
        }
    }

    /// Offers newly proposed entries to every follower that can take them,
    /// filling each one's window; entries proposed since the last `ready`
    /// travel together (batching).
    pub(crate) fn send_new_entries(&mut self) {
        if self.role != Role::Leader {
            return;
        }
        for peer in self.peers() {
            self.fill_window(peer);
        }
    }

    /// Sends appends to `peer` until its window is full or it has everything.
    /// Bounded: each send either pauses a probe or advances `next`.
    fn fill_window(&mut self, peer: NodeId) {
        while self.send_append(peer, IfEmpty::Skip) {
            if self.progress.get(&peer).map(|p| p.state) != Some(ProgressState::Replicate) {
                break;
            }
        }
    }

    /// The leader's heartbeat (§5.2): commit only up to what the follower is
    /// known to hold, tagged with that entry's term, so a follower never
    /// commits an entry it has not verified.
    pub(crate) fn broadcast_heartbeat(&mut self) {
        let read_round = self.heartbeat_read_round();
        for peer in self.peers() {
            let matched = self.progress.get(&peer).map_or(LogIndex(0), |p| p.matched);
            let index = matched.min(self.log.committed());
            let commit = match self.log.term(index) {
                Some(term) => EntryId { index, term },
                None => EntryId::default(),
            };
            self.send(peer, MessageBody::Heartbeat { commit, read_round });
        }
        // A configuration where this node alone is a quorum confirms its
        // reads without answers.
        self.confirm_reads();
    }

    /// The leader's own write completed: count its copy (§5.3 with the
    /// parallel append of thesis §10.2.1) and commit what a majority holds.
    pub(crate) fn leader_persisted(&mut self) {
        let me = self.config.id;
        let persisted = self.log.persisted();
        if let Some(own) = self.progress.get_mut(&me) {
            own.update_matched(persisted);
        }
        if self.maybe_commit() {
            self.broadcast_append();
        }
    }

    /// §5.3/§5.4.2: the leader commits the largest index a majority holds,
    /// but only if that entry is of its own term; earlier entries commit
    /// with it (Figure 8 shows why counting older entries is unsafe).
    fn maybe_commit(&mut self) -> bool {
        let index = quorum::committed_index(self.confs.latest(), |id| {
            self.progress.get(&id).map_or(LogIndex(0), |p| p.matched)
        });
        let own_term = self.log.term(index) == Some(self.term);
        let breaks = self.config.rule_breaks.commit_previous_term;
        if index <= self.log.committed() || !(own_term || breaks) {
            return false;
        }
        let committed = self.log.commit_to(index);
        self.leader_committed();
        committed
    }

    /// AppendEntries receiver (§5.3).
    pub(crate) fn on_append(
        &mut self,
        from: NodeId,
        prev: EntryId,
        entries: &[Entry],
        commit: LogIndex,
    ) -> Result<(), Error> {
        self.follow(from, "append")?;
        if prev.index < self.log.committed() {
            // Everything up to our commit index matches any leader's log
            // (Leader Completeness): tell the leader to resume from there.
            let index = self.log.committed();
            self.send(
                from,
                MessageBody::AppendResponse {
                    index,
                    reject: None,
                },
            );
            return Ok(());
        }
        let breaks = self.config.rule_breaks;
        let consistent = if breaks.prev_index_only {
            prev.index <= self.log.last_index()
        } else {
            self.log.contains(prev)
        };
        if !consistent {
            // The consistency check failed: point the leader at the last
            // entry that could match, skipping a whole term per round trip.
            // A correct leader's `prev` is at or above our snapshot (it is
            // above our commit index), so a hint below it cannot be needed.
            let probe = self
                .log
                .probe_below(prev.index.min(self.log.last_index()), prev.term)
                .unwrap_or(self.log.snapshot());
            let reject = Some(RejectHint { probe });
            self.send(
                from,
                MessageBody::AppendResponse {
                    index: prev.index,
                    reject,
                },
            );
            return Ok(());
        }
        // Membership changes take effect when appended (thesis §4.1): each
        // must follow from the configuration before it, or the append is
        // refused before it changes anything.
        self.confs.check_append(prev.index, entries)?;
        let appended = self.log.append_after(prev, entries)?;
        if let Some(replaced_from) = appended.replaced_from {
            self.retract_acks_from(replaced_from);
        }
        self.log_changed_from(prev.index.next());
        let last_new = appended.last_new;
        if breaks.truncate_on_match && last_new < self.log.last_index() {
            let from = last_new.next();
            if from > self.log.committed() {
                self.log.truncate_after(last_new);
                self.retract_acks_from(from);
                self.log_changed_from(from);
            }
        }
        // §5.3 receiver step 5: commit up to the leader's commit, but only
        // within what this append verified.
        let verified = if breaks.commit_unverified {
            self.log.last_index()
        } else {
            last_new
        };
        self.log.commit_to(commit.min(verified));
        self.send(
            from,
            MessageBody::AppendResponse {
                index: last_new,
                reject: None,
            },
        );
        Ok(())
    }

    /// Entries from `replaced_from` on were replaced: acknowledgements not
    /// yet handed out that claim them would be false by the time they are
    /// sent (an acknowledgement promises the entry is durable), so drop them.
    pub(crate) fn retract_acks_from(&mut self, replaced_from: LogIndex) {
        self.messages_after_persist.retain(|m| {
            !matches!(
                m.body,
                MessageBody::AppendResponse { index, reject: None } if index >= replaced_from
            )
        });
    }

    /// Heartbeat receiver: the leader is alive; commit what it says if we
    /// hold that very entry.
    pub(crate) fn on_heartbeat(
        &mut self,
        from: NodeId,
        commit: EntryId,
        read_round: u64,
    ) -> Result<(), Error> {
        self.follow(from, "heartbeat")?;
        if self.log.contains(commit) {
            self.log.commit_to(commit.index);
        }
        self.send(from, MessageBody::HeartbeatResponse { read_round });
        Ok(())
    }

    /// A leader's message (`kind`) of our term arrived: follow its sender,
    /// and restart the election timer without drawing a new timeout (§5.2).
    /// From another node of a term this node leads, it is malformed (one
    /// leader per term): refused, nothing changed.
    pub(crate) fn follow(&mut self, leader: NodeId, kind: &str) -> Result<(), Error> {
        if self.role == Role::Leader {
            return Err(Error::MalformedMessage(format!(
                "{kind} from {leader} in {}, a term this node leads",
                self.term
            )));
        }
        // A leader heard: its lease replaces the one held since boot.
        self.boot_lease = false;
        if self.role == Role::Follower {
            self.election_elapsed_ticks = 0;
            self.leader = Some(leader);
        } else {
            self.become_follower(self.term, Some(leader));
        }
        Ok(())
    }

    /// The leader hears back about an append.
    pub(crate) fn on_append_response(
        &mut self,
        from: NodeId,
        index: LogIndex,
        reject: Option<RejectHint>,
    ) -> Result<(), Error> {
        if self.role != Role::Leader {
            return Ok(());
        }
        if index > self.log.last_index() && reject.is_none() {
            return Err(Error::MalformedMessage(format!(
                "{from} acknowledges {index}, beyond the leader's last index"
            )));
        }
        let Some(pr) = self.progress.get_mut(&from) else {
            return Ok(()); // a node no longer in the configuration
        };
        pr.recent_active = true;
        match reject {
            Some(hint) => {
                // Where the follower's log can match ours; below our
                // snapshot if nothing left in our log can (then the next
                // send is the snapshot).
                let resume_after = match self.log.probe_below(hint.probe.index, hint.probe.term) {
                    Some(id) => id.index,
                    None => hint.probe.index.min(self.log.snapshot().index.prev()),
                };
                let pr = self.progress.get_mut(&from).expect("checked above");
                if pr.rejected(index, resume_after) {
                    self.send_append(from, IfEmpty::Send);
                }
            }
            None => {
                let was_paused = pr.is_paused();
                let news = pr.update_matched(index);
                // An answer that only confirms the match still ends a probe;
                // one at or past the snapshot's index ends its transfer.
                let probe_confirmed = pr.state == ProgressState::Probe && pr.matched == index;
                let snapshot_done = pr.snapshot_done();
                if !news && !probe_confirmed && !snapshot_done {
                    return Ok(());
                }
                if pr.state == ProgressState::Probe || snapshot_done {
                    pr.become_replicate();
                }
                if self.maybe_commit() {
                    self.broadcast_append();
                } else if was_paused {
                    // It may have missed a commit index while paused (etcd's
                    // `oldPaused`): tell it now rather than at the next heartbeat.
                    self.send_append(from, IfEmpty::Send);
                }
                self.fill_window(from);
                self.maybe_send_timeout_now(from);
            }
        }
        Ok(())
    }

    /// The leader hears back about a heartbeat: the follower is alive, so an
    /// outstanding probe or a full window gets another chance.
    pub(crate) fn on_heartbeat_response(
        &mut self,
        from: NodeId,
        read_round: u64,
    ) -> Result<(), Error> {
        if self.role != Role::Leader {
            return Ok(());
        }
        if !self.progress.contains_key(&from) {
            return Ok(()); // a node no longer in the configuration
        }
        self.on_read_round_answer(from, read_round)?;
        let last_index = self.log.last_index();
        let pr = self.progress.get_mut(&from).expect("checked above");
        pr.recent_active = true;
        if self.config.rule_breaks.stall_after_lost_append {
            return Ok(());
        }
        if let Some(transfer) = pr.snapshot.as_mut().filter(|t| t.progressed) {
            // A snapshot transfer that moved since the last answer is not
            // stuck: resending its chunk now would only duplicate it.
            transfer.progressed = false;
            return Ok(());
        }
        pr.probe_sent = false;
        if pr.state == ProgressState::Replicate && pr.inflights.is_full() {
            pr.inflights.free_first();
        }
        if pr.matched < last_index {
            self.send_append(from, IfEmpty::Send);
        }
        Ok(())
    }
}

/// Rejects an append whose entries cannot have come from a correct leader
/// of `term`: not contiguous after `prev`, or with terms out of order.
pub(crate) fn validate_entries(prev: EntryId, entries: &[Entry], term: Term) -> Result<(), Error> {
    let mut expected = prev.index.next();
    let mut last_term = prev.term;
    if prev.term > term {
        return Err(Error::MalformedMessage(format!(
            "prev entry of term {} in an append of term {term}",
            prev.term
        )));
    }
    for entry in entries {
        if entry.index != expected {
            return Err(Error::MalformedMessage(format!(
                "entry {} where {expected} was expected",
                entry.index
            )));
        }
        if entry.term < last_term || entry.term > term {
            return Err(Error::MalformedMessage(format!(
                "entry {} has term {}, outside [{last_term}, {term}]",
                entry.index, entry.term
            )));
        }
        if entry.kind == EntryKind::ConfChange {
            ConfChange::decode(&entry.data)?;
        }
        last_term = entry.term;
        expected = expected.next();
    }
    Ok(())
}

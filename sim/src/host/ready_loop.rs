//! The Ready loop, run asynchronously against the disk as a real event loop
//! would: send the leader's appends at once, write, wait for the fsync, then
//! send what waited for durability, apply, advance.

use raft_core::{Entry, EntryKind, Role};

use raft_core::LogIndex;

use super::{
    Host, HostState, Outbox, PendingAck, PendingCompaction, PendingReady, RestoredSnapshot, Waiter,
    store,
};
use crate::kv::{Applied, Command, Kv};
use crate::net::{Endpoint, Packet, Payload, ReplyOutcome};
use crate::observed::{AckClaim, AppliedEntry, entry_digest};
use crate::slot::NodeSlot;
use crate::sut::{NodeReady, WireMessage};

impl Host {
    /// The fsync `token` completed.
    pub fn on_synced(&mut self, token: u64, out: &mut Outbox) {
        if self.compacting.as_ref().is_some_and(|c| c.token == token) {
            self.compaction_synced(out);
            return;
        }
        let Some(pending) = self.pending.as_deref() else {
            return;
        };
        if pending.token != token {
            return;
        }
        let point = pending.point;
        if self.state == HostState::Paused {
            // The disk finished; the process will notice when it resumes.
            self.disk.synced(point);
            self.synced_while_paused = Some(token);
            return;
        }
        self.disk.synced(point);
        let ready = self.pending.take().expect("checked above").ready;
        if let Some(hard_state) = &ready.hard_state {
            self.synced_hard_state = hard_state.clone();
        }
        if let Some(snapshot) = &ready.snapshot {
            // Durable: rename it into place; the log is read anew.
            self.synced_log = store::snapshot_synced(&mut self.disk, snapshot.meta.last);
        } else if let Some(first) = ready.entries.first() {
            self.synced_log
                .write(first.index, ready.entries.iter().map(|e| e.term));
        }
        self.finish(ready, out);
        self.pump(out);
    }

    /// The snapshot of the host's own state machine is durable: rename it
    /// into place, compact the node's log (Raft §7), drop the old log
    /// records.
    fn compaction_synced(&mut self, out: &mut Outbox) {
        let compaction = self.compacting.as_deref().expect("checked by the caller");
        self.disk.synced(compaction.point);
        if self.state == HostState::Paused {
            // The disk finished; the process notices when it resumes.
            self.synced_while_paused = Some(compaction.token);
            return;
        }
        let PendingCompaction { snapshot, .. } = *self.compacting.take().expect("checked");
        let last = snapshot.meta.last;
        self.synced_log = store::snapshot_synced(&mut self.disk, last);
        if let Some(raw) = self.node.as_mut() {
            // A snapshot the leader sent may have overtaken this one: then
            // the node refuses it as stale, and installs that one next.
            if raw.compact(last.index, snapshot.data).is_ok() {
                self.compactions += 1;
                out.compacted = true;
            }
        }
        self.pump(out);
    }

    /// Runs the Ready loop until it waits for the disk or has nothing to do.
    /// Bounded: each round hands out new work or stops.
    pub fn pump(&mut self, out: &mut Outbox) {
        for _ in 0..1000 {
            if self.state != HostState::Up {
                return;
            }
            if self.pending.is_some() || self.compacting.is_some() {
                // The disk is busy; the leader's replication need not wait.
                if let Some(raw) = self.node.as_mut() {
                    let messages = raw.take_messages();
                    let read_states = raw.take_read_states();
                    self.send_raft(messages, out);
                    self.take_read_states(read_states, out);
                }
                return;
            }
            let Some(raw) = self.node.as_mut() else {
                return;
            };
            if !raw.has_ready() {
                self.maybe_start_compaction(out);
                return;
            }
            let mut ready = raw.ready();
            let read_states = std::mem::take(&mut ready.read_states);
            // What each acknowledgement claims, as the node's log stood when
            // it was made: checked against the disk when it is sent.
            let claims: Vec<PendingAck> = ready
                .messages_after_persist
                .iter()
                .filter_map(|m| match m.seen().body {
                    raft_core::MessageBody::AppendResponse {
                        index,
                        reject: None,
                    } => Some(PendingAck {
                        index,
                        in_memory: raw.log().term(index),
                    }),
                    _ => None,
                })
                .collect();
            // The commit hint goes to disk with the term of its entry.
            let meta = ready
                .hard_state
                .as_ref()
                .map(|hard_state| store::MetaWrite {
                    hard_state: hard_state.clone(),
                    commit_term: raw.log().term(hard_state.commit).unwrap_or_default(),
                });
            self.ack_claims = claims;
            if ready.snapshot.is_none() {
                // raft-core hands out only entries this node holds durably:
                // apply them now, while this Ready's writes go to disk (as
                // raft-rs's hosts do), so that clients and reads waiting on
                // them do not wait for an unrelated fsync. (A snapshot to
                // restore comes first, after its own write.)
                for entry in std::mem::take(&mut ready.committed_entries) {
                    self.apply(&entry, out);
                }
            }
            self.take_read_states(read_states, out);
            self.send_raft(std::mem::take(&mut ready.messages), out);
            store::write(
                &mut self.disk,
                ready.snapshot.as_ref(),
                meta,
                &ready.entries,
            );
            if ready.must_sync && !self.breaks.skip_fsync {
                let token = self.next_sync_token;
                self.next_sync_token += 1;
                self.pending = Some(Box::new(PendingReady {
                    ready,
                    point: self.disk.sync_point(),
                    token,
                }));
                out.sync = Some(token);
                return;
            }
            self.finish(ready, out);
        }
        // The host's own bound, not a raft-core assertion: a raft-core that
        // hands out a Ready after every advance forever is a livelock.
        panic!(
            "{}'s Ready loop did not settle in 1000 rounds (the host's bound)",
            self.slot
        );
    }

    /// The Ready's writes are durable: send what waited for them, apply,
    /// advance.
    fn finish(&mut self, mut ready: NodeReady, out: &mut Outbox) {
        for PendingAck { index, in_memory } in std::mem::take(&mut self.ack_claims) {
            if index == LogIndex(0) {
                continue; // index 0 claims nothing
            }
            out.ack_claims.push(AckClaim {
                index,
                in_memory,
                on_disk: self.synced_log.term(index),
            });
        }
        self.send_raft(std::mem::take(&mut ready.messages_after_persist), out);
        if let Some(soft) = &ready.soft_state {
            if soft.role != Role::Leader {
                // Proposals in flight may never commit under us: their
                // clients time out and retry elsewhere.
                self.waiting.clear();
            }
        }
        if let Some(snapshot) = ready.snapshot.take() {
            self.restore(&snapshot, out);
        }
        for entry in &ready.committed_entries {
            self.apply(entry, out);
        }
        self.node.as_mut().expect("node alive").advance(ready);
        self.serve_reads(out);
    }

    /// The state machine restarts from a snapshot the leader sent (Raft
    /// §7): what it covers is applied; clients waiting on entries it covers
    /// retry, and the session table it carries answers them once.
    fn restore(&mut self, snapshot: &raft_core::Snapshot, out: &mut Outbox) {
        match Kv::restore(&snapshot.data) {
            Ok(kv) => {
                self.kv = kv;
                self.applied = snapshot.meta.last.index;
            }
            Err(why) => {
                let me = self.slot;
                out.refused.push(format!(
                    "{me} cannot restore the snapshot it installed: {why}"
                ));
                return;
            }
        }
        let last = snapshot.meta.last;
        self.waiting.retain(|index, _| *index > last.index);
        out.restored = Some(RestoredSnapshot {
            last,
            state_digest: self.kv.digest(),
        });
        out.installed = true;
    }

    fn apply(&mut self, entry: &Entry, out: &mut Outbox) {
        self.applied = entry.index;
        let waiter = self.waiting.remove(&entry.index);
        let command = (entry.kind == EntryKind::Normal)
            .then(|| Command::decode(&entry.data))
            .flatten();
        let applied = command.as_ref().map(|command| {
            if self.breaks.no_dedup {
                self.kv.apply_without_sessions(command)
            } else {
                self.kv.apply(command)
            }
        });
        out.applied.push(AppliedEntry {
            id: entry.id(),
            digest: entry_digest(entry),
            state_digest: self.kv.digest(),
        });
        let (Some(command), Some(applied)) = (command, applied) else {
            return;
        };
        let outcome = match applied {
            Applied::Fresh(output) | Applied::Duplicate(output) => output,
            Applied::Stale => return,
        };
        let Some(Waiter { client, seq, term }) = waiter else {
            return;
        };
        if client != command.client || seq != command.seq || term != entry.term {
            return; // another entry took that index; the client will retry
        }
        out.packets.push(Packet {
            from: Endpoint::Node(self.slot),
            to: Endpoint::Client(client),
            payload: Payload::Reply {
                client,
                seq,
                outcome: ReplyOutcome::Done {
                    output: outcome,
                    entry: Some(entry.id()),
                },
            },
        });
    }

    fn send_raft(&self, messages: Vec<WireMessage>, out: &mut Outbox) {
        for message in messages {
            let Some(to) = NodeSlot::of_id(message.seen().to) else {
                continue; // node 0 is nobody
            };
            out.packets.push(Packet {
                from: Endpoint::Node(self.slot),
                to: Endpoint::Node(to),
                payload: Payload::from(message),
            });
        }
    }
}

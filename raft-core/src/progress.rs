//! The leader's view of each follower: how much of the log it holds, what to
//! send it next, and how many appends are in flight to it (Raft Figure 2's
//! nextIndex and matchIndex, with etcd's probe/replicate flow control).

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use crate::types::{EntryId, LogIndex};

/// How the leader replicates to one follower.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ProgressState {
    /// The leader does not know where the follower's log matches its own: it
    /// sends one append at a time and waits for the answer (Raft §5.3's
    /// decrement-and-retry, with fast back-up).
    Probe,
    /// The follower's log is known to match up to `matched`: the leader
    /// streams appends without waiting, up to the inflight window.
    Replicate,
    /// The follower needs entries the leader's log no longer holds: the
    /// leader sends its snapshot, one chunk at a time, and no appends
    /// (etcd's StateSnapshot), until the follower answers that it holds
    /// the snapshot's index.
    Snapshot,
}

/// A snapshot being sent to one follower.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SnapshotTransfer {
    /// The last entry of the snapshot being sent.
    pub last: EntryId,
    /// How many of its bytes the follower acknowledged: the next chunk
    /// starts there.
    pub acked_bytes: u64,
    /// A chunk was acknowledged since the follower last answered a
    /// heartbeat: the transfer is moving, so that answer resends nothing
    /// (only one with no progress since the last resends the chunk).
    pub progressed: bool,
}

/// The appends in flight to one follower, by the last index each carries.
///
/// Invariant: at most `capacity` entries, in increasing index order.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Inflights {
    last_indexes: VecDeque<LogIndex>,
    capacity: u64,
}

impl Inflights {
    /// An empty window holding at most `capacity` messages.
    pub fn new(capacity: u64) -> Inflights {
        assert!(
            capacity > 0,
            "an inflight window needs room for one message"
        );
        Inflights {
            last_indexes: VecDeque::new(),
            capacity,
        }
    }

    /// Whether no more appends may be sent until an acknowledgement arrives.
    #[must_use]
    pub fn is_full(&self) -> bool {
        self.last_indexes.len() as u64 >= self.capacity
    }

    /// How many appends are in flight.
    #[must_use]
    pub fn count(&self) -> u64 {
        self.last_indexes.len() as u64
    }

    /// Records an append whose last entry is `last`.
    pub fn add(&mut self, last: LogIndex) {
        assert!(!self.is_full(), "sending past the inflight window");
        assert!(
            self.last_indexes.back().is_none_or(|back| *back < last),
            "inflight appends must carry increasing indexes"
        );
        self.last_indexes.push_back(last);
    }

    /// Forgets every append acknowledged by a match at `index`.
    pub fn free_up_to(&mut self, index: LogIndex) {
        while self.last_indexes.front().is_some_and(|i| *i <= index) {
            self.last_indexes.pop_front();
        }
    }

    /// Frees one slot: a heartbeat answer shows the follower is alive, so a
    /// full window that lost a message does not stall forever (etcd's rule).
    pub fn free_first(&mut self) {
        self.last_indexes.pop_front();
    }

    /// Forgets everything in flight.
    pub fn clear(&mut self) {
        self.last_indexes.clear();
    }
}

/// The leader's bookkeeping for one peer (or for itself).
///
/// Invariant: `matched < next`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Progress {
    /// The highest index known to be replicated on the peer (matchIndex).
    pub matched: LogIndex,
    /// The next index to send (nextIndex).
    pub next: LogIndex,
    /// Probe or replicate.
    pub state: ProgressState,
    /// In the probe state: an append was sent and its answer is awaited;
    /// in the snapshot state: a chunk was.
    pub probe_sent: bool,
    /// In the snapshot state: the snapshot being sent.
    pub snapshot: Option<SnapshotTransfer>,
    /// Whether the peer was heard from since the last CheckQuorum round.
    pub recent_active: bool,
    /// The appends in flight in the replicate state.
    pub inflights: Inflights,
    /// The newest read round the peer answered (thesis §6.4).
    pub read_round_acked: u64,
}

impl Progress {
    /// Fresh progress for a new leader term: nothing known, probing from
    /// just after the leader's last entry (Raft Figure 2: nextIndex is
    /// initialized to leader's last log index + 1).
    pub fn new(next: LogIndex, inflight_capacity: u64) -> Progress {
        Progress {
            matched: LogIndex(0),
            next,
            state: ProgressState::Probe,
            probe_sent: false,
            snapshot: None,
            recent_active: false,
            inflights: Inflights::new(inflight_capacity),
            read_round_acked: 0,
        }
    }

    /// Whether the leader must hold back appends to this peer now.
    #[must_use]
    pub fn is_paused(&self) -> bool {
        match self.state {
            ProgressState::Probe | ProgressState::Snapshot => self.probe_sent,
            ProgressState::Replicate => self.inflights.is_full(),
        }
    }

    /// Switches to probing from `matched + 1`.
    pub fn become_probe(&mut self) {
        self.state = ProgressState::Probe;
        self.next = self.matched.next();
        self.probe_sent = false;
        self.snapshot = None;
        self.inflights.clear();
    }

    /// Switches to streaming from `matched + 1`.
    pub fn become_replicate(&mut self) {
        self.state = ProgressState::Replicate;
        self.next = self.matched.next();
        self.probe_sent = false;
        self.snapshot = None;
        self.inflights.clear();
    }

    /// Starts sending the snapshot ending at `last`, from its first byte.
    pub fn become_snapshot(&mut self, last: EntryId) {
        self.state = ProgressState::Snapshot;
        self.probe_sent = false;
        self.snapshot = Some(SnapshotTransfer {
            last,
            acked_bytes: 0,
            progressed: false,
        });
        self.inflights.clear();
    }

    /// Whether the snapshot being sent is done: the peer holds its index.
    #[must_use]
    pub fn snapshot_done(&self) -> bool {
        self.snapshot.is_some_and(|s| self.matched >= s.last.index)
    }

    /// An append ending at `last` was sent.
    pub fn sent_append(&mut self, last: LogIndex, entry_count: usize) {
        match self.state {
            ProgressState::Replicate if entry_count > 0 => {
                self.next = last.next();
                self.inflights.add(last);
            }
            ProgressState::Replicate => {}
            ProgressState::Probe | ProgressState::Snapshot => self.probe_sent = true,
        }
    }

    /// The peer acknowledged a match at `index`. Returns whether that was news.
    pub fn update_matched(&mut self, index: LogIndex) -> bool {
        let news = index > self.matched;
        if news {
            self.matched = index;
            // A chunk in flight stays in flight: its answer is awaited.
            if self.state != ProgressState::Snapshot {
                self.probe_sent = false;
            }
        }
        self.next = self.next.max(index.next());
        self.inflights.free_up_to(index);
        news
    }

    /// The peer rejected an append whose `prev.index` was `rejected`;
    /// `resume_after` is the leader's best guess of a matching index (fast
    /// back-up). Returns false if the rejection is stale (answers an append
    /// that is no longer the one outstanding), in which case nothing changes.
    pub fn rejected(&mut self, rejected: LogIndex, resume_after: LogIndex) -> bool {
        match self.state {
            // No append is outstanding while a snapshot is sent.
            ProgressState::Snapshot => false,
            ProgressState::Replicate => {
                if rejected <= self.matched {
                    return false;
                }
                self.become_probe();
                true
            }
            ProgressState::Probe => {
                if self.next.prev() != rejected {
                    return false;
                }
                self.next = resume_after.min(rejected).next().max(self.matched.next());
                self.probe_sent = false;
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_fills_frees_by_ack_and_by_heartbeat() {
        let mut window = Inflights::new(2);
        window.add(LogIndex(3));
        window.add(LogIndex(5));
        assert!(window.is_full());
        window.free_up_to(LogIndex(4));
        assert_eq!(window.count(), 1);
        window.free_first();
        assert_eq!(window.count(), 0);
    }

    #[test]
    fn probe_sends_one_at_a_time() {
        let mut pr = Progress::new(LogIndex(10), 4);
        assert!(!pr.is_paused());
        pr.sent_append(LogIndex(10), 1);
        assert!(pr.is_paused(), "a probe waits for its answer");
        assert_eq!(pr.next, LogIndex(10), "probing does not advance next");
    }

    #[test]
    fn stale_rejection_is_ignored() {
        let mut pr = Progress::new(LogIndex(10), 4);
        pr.sent_append(LogIndex(10), 1);
        assert!(
            !pr.rejected(LogIndex(5), LogIndex(2)),
            "not the outstanding probe"
        );
        assert!(pr.rejected(LogIndex(9), LogIndex(2)));
        assert_eq!(pr.next, LogIndex(3));
        pr.update_matched(LogIndex(2));
        pr.become_replicate();
        assert!(
            !pr.rejected(LogIndex(1), LogIndex(0)),
            "below the match: stale"
        );
        assert_eq!(pr.state, ProgressState::Replicate);
    }

    #[test]
    fn rejection_never_backs_up_below_match() {
        let mut pr = Progress::new(LogIndex(10), 4);
        pr.matched = LogIndex(6);
        assert!(pr.rejected(LogIndex(9), LogIndex(0)));
        assert_eq!(pr.next, LogIndex(7));
    }
}

//! Linearizable reads without writing the log (Raft thesis §6.4):
//! ReadIndex, follower reads and lease reads.
//!
//! A leader serves a read at its commit index once it knows it still led
//! after the read was asked: then no other leader can have committed
//! anything newer. It learns it from one heartbeat round that a quorum
//! answers (reads share rounds: an answer to a round confirms it and every
//! earlier one), or, with [`ReadMode::LeaseBased`], from its lease. A new
//! leader first commits an entry of its term, since until then its commit
//! index may lag what the previous leader committed (thesis §6.4 step 1;
//! etcd issue 7331). A follower forwards the read to its leader and gets
//! the index back. The host serves each read once it has applied up to its
//! index. A read that cannot be confirmed fails, never hangs: when the node
//! (or the leader it asked) stops leading, and after one or two election
//! timeouts without an answer.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::message::MessageBody;
use crate::quorum;
use crate::raw_node::RawNode;
use crate::types::{LogIndex, NodeId, Role};

/// The send times of rounds kept for the lease: older rounds are forgotten
/// (an answer to one then renews nothing, which is safe).
const ROUND_TIMES_MAX: usize = 64;

/// How a leader confirms that a read is not stale.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ReadMode {
    /// ReadIndex: every read waits for a heartbeat round a quorum answers
    /// (etcd's `ReadOnlySafe`). Safe whatever the clocks do.
    #[default]
    Safe,
    /// Lease reads: while its lease holds, the leader serves at once,
    /// without a round (etcd's `ReadOnlyLeaseBased`). Needs CheckQuorum
    /// (followers then refuse to vote while they hold a lease on their
    /// leader) and clocks within `Config::max_clock_drift_percent`; a node
    /// that boots refuses votes for an election timeout, since the lease
    /// it promised before it crashed may still be counted on.
    LeaseBased,
}

/// The outcome of a read, handed out in `Ready::read_states`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ReadState {
    /// The context given to [`RawNode::read_index`].
    pub context: u64,
    /// When the read may be served, or why it cannot be.
    pub outcome: ReadOutcome,
}

/// When a read may be served.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ReadOutcome {
    /// Serve it from the state machine once it has applied `index`.
    Ready {
        /// The leader's commit index when the read was asked.
        index: LogIndex,
    },
    /// It could not be confirmed; it may be asked again (at the leader).
    Failed(ReadFailure),
}

/// Why a read failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ReadFailure {
    /// This node, or the leader it forwarded the read to, no longer leads
    /// (as far as this node knows).
    LeadershipLost,
    /// The leader refused it: it no longer leads, or holds
    /// `Config::max_pending_reads` reads already.
    Refused,
    /// No quorum confirmed it within one to two election timeouts (the
    /// leader is cut off, or the forwarded request or its answer was lost).
    TimedOut,
}

impl std::fmt::Display for ReadFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadFailure::LeadershipLost => write!(f, "leadership lost"),
            ReadFailure::Refused => write!(f, "refused by the leader"),
            ReadFailure::TimedOut => write!(f, "not confirmed in time"),
        }
    }
}

/// A read a leader holds: until it commits an entry of its term
/// (`round` 0), then until a quorum answers `round`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
struct LeaderRead {
    context: u64,
    /// Who asked: this node, or a follower to answer.
    origin: NodeId,
    /// The commit index when the read joined its round.
    index: LogIndex,
    round: u64,
    /// Waited through one aging already: the next fails it.
    old: bool,
}

/// A read a follower forwarded to its leader.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
struct ForwardedRead {
    context: u64,
    old: bool,
}

/// The reads a node holds, without the clock (part of its protocol state).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub(crate) struct Reads {
    /// Leader: reads waiting for an entry of its term to commit.
    held: Vec<LeaderRead>,
    /// Leader: reads waiting for their round, in round order.
    confirming: VecDeque<LeaderRead>,
    /// Leader: the newest round sent in a heartbeat.
    pub(crate) round: u64,
    /// Leader: the newest round a quorum answered.
    pub(crate) confirmed_round: u64,
    /// Leader: reads wait for a round not sent yet.
    pub(crate) round_wanted: bool,
    /// Leader: it sent TimeoutNow this term, so voters may elect the
    /// target whatever their lease: no lease reads any more this term.
    pub(crate) lease_forfeited: bool,
    /// Follower: reads forwarded to the leader it follows.
    forwarded: Vec<ForwardedRead>,
    /// Outcomes for the next `Ready`.
    pub(crate) done: Vec<ReadState>,
}

impl Reads {
    fn waiting(&self) -> usize {
        self.held.len() + self.confirming.len() + self.forwarded.len()
    }

    /// Asserts what holds of the reads in `role`: only a leader holds
    /// reads to confirm (in round order, none beyond the next round), only
    /// a follower forwarded ones, never more than `limit`.
    pub(crate) fn check(&self, role: Role, limit: u64) {
        if role != Role::Leader {
            assert!(
                self.held.is_empty() && self.confirming.is_empty(),
                "a {role:?} holds reads to confirm"
            );
        }
        if role != Role::Follower {
            assert!(
                self.forwarded.is_empty(),
                "a {role:?} holds forwarded reads"
            );
        }
        assert!(
            self.confirming
                .iter()
                .zip(self.confirming.iter().skip(1))
                .all(|(a, b)| a.round <= b.round),
            "reads out of round order"
        );
        assert!(
            self.confirming.iter().all(|r| r.round <= self.round + 1),
            "a read waits for a round beyond the next"
        );
        assert!(
            self.waiting() as u64 <= limit,
            "more reads wait than allowed"
        );
        assert!(
            self.confirmed_round <= self.round,
            "a round confirmed before it was sent"
        );
    }
}

/// The reads' clock: left out of the protocol state, as the election
/// timer is.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub(crate) struct ReadClock {
    /// Ticks since the node started.
    ticks: u64,
    /// Ticks since reads were last aged.
    aging_elapsed_ticks: u64,
    /// Leader, lease reads: rounds not yet answered by a quorum, with the
    /// tick each was sent at.
    round_sent_at: VecDeque<(u64, u64)>,
    /// Leader, lease reads: the send tick of the newest round a quorum
    /// answered.
    lease_from: Option<u64>,
}

impl RawNode {
    /// Asks for a linearizable read without writing the log (thesis §6.4).
    /// The outcome comes back in a later [`crate::Ready`]'s `read_states`
    /// under `context`: an index to serve the read at once the state
    /// machine has applied it, or a failure. On a follower the read is
    /// forwarded to its leader.
    ///
    /// # Errors
    ///
    /// [`Error::NotLeader`] on a node that neither leads nor follows a
    /// known leader; [`Error::TooManyReads`] when `Config::max_pending_reads`
    /// reads wait already.
    pub fn read_index(&mut self, context: u64) -> Result<(), Error> {
        let limit = self.config.max_pending_reads;
        if self.reads.waiting() as u64 >= limit {
            return Err(Error::TooManyReads { limit });
        }
        match (self.role, self.leader) {
            (Role::Leader, _) => {
                self.leader_read(context, self.config.id);
                Ok(())
            }
            (Role::Follower, Some(leader)) => {
                self.reads.forwarded.push(ForwardedRead {
                    context,
                    old: false,
                });
                self.send(leader, MessageBody::ReadIndex { context });
                Ok(())
            }
            (_, leader) => Err(Error::NotLeader { leader }),
        }
    }

    /// Whether this leader's lease lets it serve a read without a round.
    #[must_use]
    pub fn lease_read_holds(&self) -> bool {
        self.role == Role::Leader
            && self.config.read_mode == ReadMode::LeaseBased
            && self.config.check_quorum
            && !self.reads.lease_forfeited
            && self.lead_transferee.is_none()
            && self
                .read_clock
                .lease_from
                .is_some_and(|from| self.read_clock.ticks - from < self.config.lease_ticks())
    }

    /// A leader takes a read from `origin` (itself or a follower).
    fn leader_read(&mut self, context: u64, origin: NodeId) {
        let read = LeaderRead {
            context,
            origin,
            index: LogIndex(0),
            round: 0,
            old: false,
        };
        let own_term_committed = self.log.term(self.log.committed()) == Some(self.term);
        if own_term_committed || self.config.rule_breaks.read_before_own_term_commit {
            self.start_read(read);
        } else {
            self.reads.held.push(read);
        }
    }

    /// The read joins the next round, or is confirmed at once when this
    /// node alone is a quorum or its lease holds.
    fn start_read(&mut self, mut read: LeaderRead) {
        read.index = self.log.committed();
        let me = self.config.id;
        if quorum::has_quorum(self.confs.latest(), |id| id == me) || self.lease_read_holds() {
            self.read_confirmed(&read);
            return;
        }
        read.round = self.reads.round + 1;
        self.reads.round_wanted = true;
        self.reads.confirming.push_back(read);
    }

    fn read_confirmed(&mut self, read: &LeaderRead) {
        if read.origin == self.config.id {
            self.reads.done.push(ReadState {
                context: read.context,
                outcome: ReadOutcome::Ready { index: read.index },
            });
        } else {
            let body = MessageBody::ReadIndexResponse {
                context: read.context,
                index: Some(read.index),
            };
            self.send(read.origin, body);
        }
    }

    /// The leader committed an entry: reads held for the first commit of
    /// its term start now.
    pub(crate) fn release_held_reads(&mut self) {
        if self.log.term(self.log.committed()) != Some(self.term) {
            return;
        }
        for read in std::mem::take(&mut self.reads.held) {
            self.start_read(read);
        }
    }

    /// Whether reads wait for a round the leader should send now: one
    /// round is in flight at a time (etcd's read loop), so that the reads
    /// asked while a round is answered share the next one instead of
    /// costing a round each; the heartbeat timer sends one regardless (a
    /// lost round is replaced there).
    pub(crate) fn read_round_due(&self) -> bool {
        self.role == Role::Leader
            && self.reads.round_wanted
            && self.reads.confirmed_round >= self.reads.round
    }

    /// The round the leader's next heartbeat carries: a new one if reads
    /// wait for it (or, for the lease, always), else the last one.
    pub(crate) fn heartbeat_read_round(&mut self) -> u64 {
        let lease = self.config.read_mode == ReadMode::LeaseBased;
        if self.reads.round_wanted || lease {
            self.reads.round += 1;
            self.reads.round_wanted = false;
            if lease {
                let clock = &mut self.read_clock;
                if clock.round_sent_at.len() == ROUND_TIMES_MAX {
                    clock.round_sent_at.pop_front();
                }
                clock
                    .round_sent_at
                    .push_back((self.reads.round, clock.ticks));
            }
        }
        self.reads.round
    }

    /// A heartbeat answer echoing `round` from `from`.
    pub(crate) fn on_read_round_answer(&mut self, from: NodeId, round: u64) -> Result<(), Error> {
        if round > self.reads.round {
            return Err(Error::MalformedMessage(format!(
                "{from} answers read round {round}, beyond the leader's {}",
                self.reads.round
            )));
        }
        if let Some(pr) = self.progress.get_mut(&from) {
            pr.read_round_acked = pr.read_round_acked.max(round);
        }
        self.confirm_reads();
        Ok(())
    }

    /// Confirms the reads of every round a quorum has answered, and renews
    /// the lease from the newest such round's send.
    pub(crate) fn confirm_reads(&mut self) {
        if self.role != Role::Leader {
            return;
        }
        let me = self.config.id;
        let own = self.reads.round;
        let acked = quorum::quorum_value(self.confs.latest(), |id| {
            if id == me {
                own
            } else {
                self.progress.get(&id).map_or(0, |p| p.read_round_acked)
            }
        });
        self.reads.confirmed_round = self.reads.confirmed_round.max(acked);
        let clock = &mut self.read_clock;
        while let Some(&(round, sent_at)) = clock.round_sent_at.front() {
            if round > acked {
                break;
            }
            clock.round_sent_at.pop_front();
            if round == acked {
                clock.lease_from = Some(clock.lease_from.map_or(sent_at, |l| l.max(sent_at)));
            }
        }
        while self
            .reads
            .confirming
            .front()
            .is_some_and(|r| r.round <= acked)
        {
            let read = self.reads.confirming.pop_front().expect("checked");
            self.read_confirmed(&read);
        }
    }

    /// A follower's read reached this node.
    pub(crate) fn on_read_index(&mut self, from: NodeId, context: u64) -> Result<(), Error> {
        let refuse = |node: &mut RawNode| {
            let body = MessageBody::ReadIndexResponse {
                context,
                index: None,
            };
            node.send(from, body);
        };
        if self.role != Role::Leader {
            refuse(self);
            return Ok(());
        }
        if !self.progress.contains_key(&from) {
            return Ok(()); // a node outside the configuration
        }
        if self.reads.waiting() as u64 >= self.config.max_pending_reads {
            refuse(self);
            return Ok(());
        }
        self.leader_read(context, from);
        Ok(())
    }

    /// The leader answered a read this node forwarded.
    pub(crate) fn on_read_index_response(
        &mut self,
        from: NodeId,
        context: u64,
        index: Option<LogIndex>,
    ) -> Result<(), Error> {
        if self.role != Role::Follower || self.leader != Some(from) {
            return Ok(());
        }
        let Some(at) = self
            .reads
            .forwarded
            .iter()
            .position(|r| r.context == context)
        else {
            return Ok(()); // failed already, or a duplicate
        };
        self.reads.forwarded.remove(at);
        let outcome = match index {
            Some(index) => ReadOutcome::Ready { index },
            None => ReadOutcome::Failed(ReadFailure::Refused),
        };
        self.reads.done.push(ReadState { context, outcome });
        Ok(())
    }

    /// Every read this node holds fails: it stops leading, or stops
    /// following the leader it forwarded them to. A follower's reads held
    /// here are dropped (it times them out, or its leader changed too).
    pub(crate) fn fail_reads(&mut self) {
        let me = self.config.id;
        let reads = &mut self.reads;
        let failed = |context| ReadState {
            context,
            outcome: ReadOutcome::Failed(ReadFailure::LeadershipLost),
        };
        let own = reads
            .held
            .drain(..)
            .chain(reads.confirming.drain(..))
            .filter(|r| r.origin == me)
            .map(|r| r.context);
        let forwarded = reads.forwarded.drain(..).map(|r| r.context);
        let outcomes: Vec<ReadState> = own.chain(forwarded).map(failed).collect();
        reads.done.extend(outcomes);
        reads.round_wanted = false;
        self.read_clock.round_sent_at.clear();
        self.read_clock.lease_from = None;
    }

    /// One tick of the reads' clock: every election timeout, reads age.
    pub(crate) fn tick_reads(&mut self) {
        let clock = &mut self.read_clock;
        clock.ticks += 1;
        clock.aging_elapsed_ticks += 1;
        if clock.aging_elapsed_ticks >= self.config.election_ticks {
            self.age_reads();
        }
    }

    /// An election timeout passed: reads that waited through the previous
    /// one fail (`TimedOut`), the rest are marked to fail at the next.
    pub(crate) fn age_reads(&mut self) {
        self.read_clock.aging_elapsed_ticks = 0;
        let me = self.config.id;
        let reads = &mut self.reads;
        let mut timed_out = Vec::new();
        reads
            .held
            .retain_mut(|r| age(r.old, &mut r.old, || timed_out.push((r.origin, r.context))));
        reads
            .confirming
            .retain_mut(|r| age(r.old, &mut r.old, || timed_out.push((r.origin, r.context))));
        reads
            .forwarded
            .retain_mut(|r| age(r.old, &mut r.old, || timed_out.push((me, r.context))));
        for (origin, context) in timed_out {
            // A follower's read times out at the follower.
            if origin == me {
                reads.done.push(ReadState {
                    context,
                    outcome: ReadOutcome::Failed(ReadFailure::TimedOut),
                });
            }
        }
    }

    /// A new leader starts with no lease and no rounds answered (and none
    /// in flight).
    pub(crate) fn reset_reads_for_leadership(&mut self) {
        self.reads.lease_forfeited = false;
        self.reads.confirmed_round = self.reads.round;
        self.read_clock.round_sent_at.clear();
        self.read_clock.lease_from = None;
    }
}

/// Keeps a read that was young (marking it old), or drops it, calling
/// `on_drop`.
fn age(was_old: bool, old: &mut bool, on_drop: impl FnOnce()) -> bool {
    if was_old {
        on_drop();
        false
    } else {
        *old = true;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::ReadFailure;

    #[test]
    fn a_failed_read_says_why() {
        let said = [
            ReadFailure::LeadershipLost,
            ReadFailure::Refused,
            ReadFailure::TimedOut,
        ]
        .map(|why| why.to_string());
        assert_eq!(
            said,
            [
                "leadership lost",
                "refused by the leader",
                "not confirmed in time"
            ]
        );
    }
}

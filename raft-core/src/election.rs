//! Elections (Raft §5.2, §5.4.1), PreVote (thesis §9.6), CheckQuorum and the
//! follower-side lease that makes leaders sticky (thesis §6.2, §9.6), and the
//! term rules every message passes through first (§5.1).

use crate::message::{Message, MessageBody};
use crate::progress::Progress;
use crate::quorum::{self, VoteResult};
use crate::raw_node::RawNode;
use crate::types::{EntryId, EntryKind, NodeId, Role, Term};

/// How much later elections come under the test-only `slow_elections`.
const SLOW_ELECTIONS_FACTOR: u64 = 8;

impl RawNode {
    /// Whether this node may become leader: only voters may (thesis §4.2.1).
    pub(crate) fn is_promotable(&self) -> bool {
        let conf = self.confs.latest();
        conf.voters.contains(&self.config.id) || conf.voters_outgoing.contains(&self.config.id)
    }

    /// Restarts the election timer with a fresh random timeout (§5.2).
    pub(crate) fn reset_timers(&mut self) {
        self.election_elapsed_ticks = 0;
        self.heartbeat_elapsed_ticks = 0;
        let base = if self.config.rule_breaks.slow_elections {
            self.config.election_ticks * SLOW_ELECTIONS_FACTOR
        } else {
            self.config.election_ticks
        };
        self.randomized_election_ticks = self.rng.in_range(base, base);
    }

    pub(crate) fn tick_election(&mut self) {
        self.election_elapsed_ticks = self.election_elapsed_ticks.saturating_add(1);
        // Only a voter restarts its timer by campaigning (etcd's
        // `tickElection`): a learner, or a node that does not know yet it
        // was added, lets it run on, so that its lease on a leader it no
        // longer hears from ends and it answers vote requests again (were
        // it reset, the lease would hold for most of each round, and a
        // configuration that needs its vote would elect no one).
        if self.election_elapsed_ticks >= self.config.election_ticks {
            self.boot_lease = false;
        }
        if self.election_elapsed_ticks >= self.randomized_election_ticks && self.is_promotable() {
            self.election_elapsed_ticks = 0;
            self.start_election();
        }
    }

    pub(crate) fn tick_leader(&mut self) {
        self.heartbeat_elapsed_ticks += 1;
        self.election_elapsed_ticks += 1;
        if self.election_elapsed_ticks >= self.config.election_ticks {
            self.election_elapsed_ticks = 0;
            self.abort_leader_transfer();
            if self.config.check_quorum {
                self.check_quorum();
            }
            if self.role != Role::Leader {
                return;
            }
        }
        if self.heartbeat_elapsed_ticks >= self.config.heartbeat_ticks {
            self.heartbeat_elapsed_ticks = 0;
            self.broadcast_heartbeat();
        }
    }

    /// CheckQuorum (thesis §6.2): a leader that has not heard from a
    /// majority during the last election timeout steps down, so that a
    /// partitioned leader stops serving (and stops holding its lease).
    pub(crate) fn check_quorum(&mut self) {
        let me = self.config.id;
        let active = quorum::has_quorum(self.confs.latest(), |id| {
            id == me || self.progress.get(&id).is_some_and(|p| p.recent_active)
        });
        for (id, pr) in self.progress.iter_mut() {
            pr.recent_active = *id == me;
        }
        if !active {
            self.become_follower(self.term, None);
        }
    }

    /// The election timeout fired, or the host asked to campaign.
    pub(crate) fn start_election(&mut self) {
        if self.role == Role::Leader || !self.is_promotable() {
            return;
        }
        if self.config.pre_vote {
            self.become_pre_candidate();
        } else {
            self.become_candidate(false);
        }
    }

    /// Asks every voter whether it would grant a vote in the next term,
    /// without raising our own term (thesis §9.6).
    fn become_pre_candidate(&mut self) {
        self.fail_reads();
        self.role = Role::PreCandidate;
        self.leader = None;
        self.progress.clear();
        self.votes.clear();
        self.votes.insert(self.config.id, true);
        let last_log = self.log.last_id();
        let next_term = self.term.next();
        for voter in self.other_voters() {
            self.send_with_term(voter, next_term, MessageBody::PreVoteRequest { last_log });
        }
        self.tally_votes();
    }

    /// §5.2: increment the term, vote for ourself, request votes (saying
    /// whether the leader asked for this election: a leader transfer).
    pub(crate) fn become_candidate(&mut self, leader_transfer: bool) {
        self.step_to_term(self.term.next());
        self.role = Role::Candidate;
        self.leader = None;
        self.vote = Some(self.config.id);
        self.votes.insert(self.config.id, true);
        let last_log = self.log.last_id();
        for voter in self.other_voters() {
            let body = MessageBody::VoteRequest {
                last_log,
                leader_transfer,
            };
            self.send(voter, body);
        }
        self.tally_votes();
    }

    /// Turns follower of `leader` (if known) in `term`.
    pub(crate) fn become_follower(&mut self, term: Term, leader: Option<NodeId>) {
        self.step_to_term(term);
        self.role = Role::Follower;
        self.leader = leader;
    }

    /// §5.2: a candidate that wins a majority becomes leader; it appends a
    /// no-op so that entries of earlier terms commit through it (§5.4.2, §8).
    fn become_leader(&mut self) {
        assert_eq!(
            self.role,
            Role::Candidate,
            "only a candidate becomes leader"
        );
        self.reset_timers();
        self.votes.clear();
        self.role = Role::Leader;
        self.leader = Some(self.config.id);
        self.reset_reads_for_leadership();
        let next = self.log.last_index().next();
        let capacity = self.config.max_inflight_msgs;
        self.progress = self
            .confs
            .latest()
            .members()
            .map(|id| (id, Progress::new(next, capacity)))
            .collect();
        let me = self.config.id;
        let persisted = self.log.persisted();
        if let Some(own) = self.progress.get_mut(&me) {
            own.update_matched(persisted);
            own.recent_active = true;
        }
        self.log.append_new(self.term, EntryKind::Noop, Vec::new());
        self.broadcast_append();
    }

    /// Moves to `term` (clearing the vote if it rises) and resets the
    /// per-term state. Invariant: the term never decreases.
    fn step_to_term(&mut self, term: Term) {
        assert!(term >= self.term, "term would decrease");
        if term > self.term {
            self.term = term;
            self.vote = None;
        } else if self.config.rule_breaks.reset_vote_in_same_term {
            self.vote = None;
        }
        self.reset_timers();
        self.votes.clear();
        self.progress.clear();
        self.replication_pending = false;
        self.lead_transferee = None;
        self.fail_reads();
    }

    fn other_voters(&self) -> Vec<NodeId> {
        let me = self.config.id;
        self.confs
            .latest()
            .all_voters()
            .into_iter()
            .filter(|id| *id != me)
            .collect()
    }

    /// Whether a leader was heard from within the election timeout, with
    /// CheckQuorum on: such a node ignores vote requests (the lease of
    /// thesis §6.2 / §9.6, etcd's `inLease`), so a node that cannot hear the
    /// leader cannot depose it.
    pub(crate) fn lease_holds(&self) -> bool {
        self.config.check_quorum
            && (self.leader.is_some() || self.boot_lease)
            && self.election_elapsed_ticks < self.config.election_ticks
    }

    /// The term rules every message passes first (§5.1). Returns whether the
    /// message should be processed further.
    pub(crate) fn observe_term(&mut self, message: &Message) -> bool {
        // A vote request the leader asked for (a transfer) overrides the
        // lease: the leader it protects is the one stepping aside.
        let is_vote_request = matches!(
            message.body,
            MessageBody::PreVoteRequest { .. }
                | MessageBody::VoteRequest {
                    leader_transfer: false,
                    ..
                }
        );
        if message.term > self.term {
            if is_vote_request && self.lease_holds() {
                return false;
            }
            match message.body {
                // A PreVote request's term is the sender's next term; and a
                // granted PreVote answer echoes it. Neither raises ours.
                MessageBody::PreVoteRequest { .. } => {}
                MessageBody::PreVoteResponse { granted: true } => {}
                MessageBody::AppendEntries { .. }
                | MessageBody::Heartbeat { .. }
                | MessageBody::InstallSnapshot { .. }
                | MessageBody::TimeoutNow => {
                    self.become_follower(message.term, Some(message.from));
                }
                // Figure 2 (Rules for Followers): the election timer
                // restarts on hearing from the leader or granting a vote
                // (`on_vote_request`), not on a newer term. A candidate
                // whose log is behind cannot win; were its request to
                // restart our timer, a voter that could win would never
                // time out while it retried (found by the swarm: with
                // drifting clocks two stale nodes took turns for 27 terms
                // while the one that could win waited). A leader's timer
                // counts something else, and restarts.
                MessageBody::VoteRequest { .. } if self.role != Role::Leader => {
                    let timer = (self.election_elapsed_ticks, self.randomized_election_ticks);
                    self.become_follower(message.term, None);
                    (self.election_elapsed_ticks, self.randomized_election_ticks) = timer;
                }
                _ => self.become_follower(message.term, None),
            }
            return true;
        }
        if message.term < self.term {
            self.answer_stale(message);
            return false;
        }
        true
    }

    /// A message from an earlier term is ignored (§5.1), with two answers
    /// that keep the cluster live: a stale leader is told the newer term (so
    /// it steps down even when our vote requests are ignored under its
    /// lease), and a stale PreVote is refused outright.
    fn answer_stale(&mut self, message: &Message) {
        let stale_leader = message.body.is_leader_replication();
        if stale_leader && (self.config.check_quorum || self.config.pre_vote) {
            // Not an AppendResponse: by the time it arrives the sender may
            // lead the newer term, and must not count it as a match.
            self.send(message.from, MessageBody::StaleTerm);
        } else if matches!(message.body, MessageBody::PreVoteRequest { .. }) {
            self.send(
                message.from,
                MessageBody::PreVoteResponse { granted: false },
            );
        }
    }

    /// RequestVote receiver (§5.2, §5.4.1), and its PreVote twin: grant if
    /// we have not voted for someone else this term and the candidate's log
    /// is at least as up-to-date as ours.
    pub(crate) fn on_vote_request(
        &mut self,
        from: NodeId,
        term: Term,
        last_log: EntryId,
        pre_vote: bool,
    ) {
        let free = self.vote == Some(from)
            || (self.vote.is_none() && self.leader.is_none())
            || (pre_vote && term > self.term);
        let log_ok =
            self.config.rule_breaks.vote_without_log_check || self.log.is_up_to_date(last_log);
        let granted = free && log_ok;
        if !pre_vote {
            if granted {
                // Granting a vote resets the timer (§5.2), so that we do not
                // start a rival election right away.
                self.election_elapsed_ticks = 0;
                self.vote = Some(from);
            }
            self.send(from, MessageBody::VoteResponse { granted });
        } else if granted {
            self.send_with_term(from, term, MessageBody::PreVoteResponse { granted });
        } else {
            self.send(from, MessageBody::PreVoteResponse { granted });
        }
    }

    /// Counts a vote for the (pre-)election we run in role `expected`.
    pub(crate) fn on_vote_response(&mut self, from: NodeId, granted: bool, expected: Role) {
        if self.role != expected {
            return;
        }
        self.votes.insert(from, granted);
        self.tally_votes();
    }

    fn tally_votes(&mut self) {
        match quorum::vote_result(self.confs.latest(), &self.votes) {
            VoteResult::Won if self.role == Role::PreCandidate => self.become_candidate(false),
            VoteResult::Won => self.become_leader(),
            VoteResult::Lost => self.become_follower(self.term, None),
            VoteResult::Pending => {}
        }
    }
}

//! The key-value requests one server carries for its HTTP clients: which
//! client session each uses, where it goes next, when it is sent again and
//! when it is given up on. Sans-IO, on the loop's tick count, so every path
//! is unit-tested here without a process or a socket.
//!
//! Each request takes one of the server's sessions (id `node << 16 | slot`,
//! sequence numbers from [`first_sequence_number`]) and goes first to the
//! local host. "Not leader, try N" sends the same request (same session,
//! same sequence number) to N. A request without an answer is sent again
//! with the same number, to the local host: the node last asked may be
//! dead, and only the local host's hint names whoever leads now. The state
//! machine's session table applies it once whoever leads by then (Raft
//! thesis §6.3). Redirecting the HTTP client instead would hand the retry
//! to it under a new session, and a write whose first attempt did commit
//! would then be applied twice.

use std::collections::BTreeMap;

use raft_core::EntryId;
use sim::kv::{ClientId, Command, Op, Output};
use sim::net::ReplyOutcome;
use sim::slot::NodeSlot;

/// Client sessions one server holds at once: the most requests in flight.
pub const SESSIONS_MAX: usize = 1024;
/// Ticks after which a request without an answer is sent again.
pub const RESEND_TICKS: u64 = 50;
/// Ticks to wait before retrying a request nobody could take (no leader
/// known, or the leader refused it under load).
pub const RETRY_TICKS: u64 = 5;
/// Ticks after which a request's outcome is given up on as unknown.
pub const DEADLINE_TICKS: u64 = 1000;

/// Where this start's sequence numbers begin: above every number an
/// earlier start of this node used, or its sessions' requests would be
/// stale to the state machine's session table (never applied, never
/// answered). The boot count covers a restart from the same directory; the
/// wall clock in nanoseconds (one request per session per nanosecond at
/// most) covers a node that lost its directory and starts empty, whose
/// sessions the cluster still remembers.
#[must_use]
pub fn first_sequence_number(boot: u64, wall_clock_ns: u64) -> u64 {
    (boot << 32).max(wall_clock_ns)
}

/// The node whose server holds client session `client`.
#[must_use]
pub fn owner(client: ClientId) -> u64 {
    u64::from(client >> 16)
}

/// What to do with a reply to one of this server's requests.
#[derive(Debug, PartialEq, Eq)]
pub enum OnReply<A> {
    /// Done: hand `output` to whoever waits on `answer`.
    Answer {
        /// The waiter.
        answer: A,
        /// What the operation returned.
        output: Output,
        /// The entry that carried it (none for reads).
        entry: Option<EntryId>,
    },
    /// Send the request to this node (the leader named).
    Send(NodeSlot, Command),
    /// Nothing now: not ours any more, or wait for the retry.
    Wait,
}

/// What came due at a tick.
#[derive(Debug, PartialEq, Eq)]
pub struct Due<A> {
    /// Waiters of requests past their deadline: their outcome is unknown.
    pub expired: Vec<A>,
    /// Requests to send again to the local host.
    pub resend: Vec<Command>,
}

/// A request waiting for its answer.
#[derive(Debug)]
struct InFlight<A> {
    command: Command,
    answer: A,
    /// The node it was last sent to.
    target: NodeSlot,
    /// The tick to send it again at.
    resend_at: u64,
    /// The tick to give up at.
    deadline: u64,
}

/// The requests in flight and the sessions they use; `A` is whatever
/// waits for an answer (a channel in the server, a tag in tests).
#[derive(Debug)]
pub struct Proxy<A> {
    me: NodeSlot,
    base: ClientId,
    free: Vec<u16>,
    next_seq: Vec<u64>,
    /// Invariant: holds exactly the sessions missing from `free`.
    in_flight: BTreeMap<ClientId, InFlight<A>>,
}

impl<A> Proxy<A> {
    /// The proxy of node `me`, numbering from `first_seq`.
    ///
    /// # Panics
    /// If `me`'s id does not fit the 16 bits a session id gives it (the
    /// command line refuses larger ids).
    #[must_use]
    pub fn new(me: NodeSlot, first_seq: u64) -> Proxy<A> {
        let node = ClientId::try_from(me.id().0).expect("node ids are checked below 2^16");
        Proxy {
            me,
            base: node << 16,
            free: (0..SESSIONS_MAX as u16).rev().collect(),
            next_seq: vec![first_seq; SESSIONS_MAX],
            in_flight: BTreeMap::new(),
        }
    }

    /// Requests waiting for an answer.
    #[must_use]
    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// A new request for `op` at tick `now`: the command to deliver to the
    /// local host, or `answer` back when every session is busy.
    ///
    /// # Errors
    /// Every session is in use; the caller answers "busy".
    pub fn start(&mut self, op: Op, answer: A, now: u64) -> Result<Command, A> {
        let Some(slot) = self.free.pop() else {
            return Err(answer);
        };
        let seq = &mut self.next_seq[usize::from(slot)];
        *seq += 1;
        let command = Command {
            client: self.base | ClientId::from(slot),
            seq: *seq,
            op,
        };
        self.in_flight.insert(
            command.client,
            InFlight {
                command: command.clone(),
                answer,
                target: self.me,
                resend_at: now + RESEND_TICKS,
                deadline: now + DEADLINE_TICKS,
            },
        );
        Ok(command)
    }

    /// A reply for session `client` about sequence number `seq`, at `now`.
    pub fn on_reply(
        &mut self,
        client: ClientId,
        seq: u64,
        outcome: ReplyOutcome,
        now: u64,
    ) -> OnReply<A> {
        let Some(request) = self
            .in_flight
            .get_mut(&client)
            .filter(|r| r.command.seq == seq)
        else {
            return OnReply::Wait; // answered already, or given up on
        };
        match outcome {
            ReplyOutcome::Done { output, entry } => {
                let request = self.in_flight.remove(&client).expect("found above");
                self.free_session(client);
                OnReply::Answer {
                    answer: request.answer,
                    output,
                    entry,
                }
            }
            ReplyOutcome::NotLeader {
                leader: Some(leader),
            } if leader == request.target => {
                // A late reply from a node asked earlier, naming the node
                // already asked: the request is where it says.
                OnReply::Wait
            }
            ReplyOutcome::NotLeader {
                leader: Some(leader),
            } => {
                request.target = leader;
                request.resend_at = now + RESEND_TICKS;
                OnReply::Send(leader, request.command.clone())
            }
            ReplyOutcome::NotLeader { .. } | ReplyOutcome::Refused => {
                // Nobody to ask yet (an election), or the leader is busy:
                // ask the local host again soon.
                request.target = self.me;
                request.resend_at = now + RETRY_TICKS;
                OnReply::Wait
            }
        }
    }

    /// What came due at tick `now`: requests past their deadline are given
    /// up (their sessions freed), and those unanswered for too long go to
    /// the local host again.
    pub fn due(&mut self, now: u64) -> Due<A> {
        let expired_clients: Vec<ClientId> = self
            .in_flight
            .iter()
            .filter(|(_, r)| r.deadline <= now)
            .map(|(client, _)| *client)
            .collect();
        let mut expired = Vec::with_capacity(expired_clients.len());
        for client in expired_clients {
            let request = self.in_flight.remove(&client).expect("listed above");
            self.free_session(client);
            expired.push(request.answer);
        }
        let me = self.me;
        let resend = self
            .in_flight
            .values_mut()
            .filter(|r| r.resend_at <= now)
            .map(|r| {
                r.resend_at = now + RESEND_TICKS;
                r.target = me;
                r.command.clone()
            })
            .collect();
        Due { expired, resend }
    }

    fn free_session(&mut self, client: ClientId) {
        debug_assert_eq!(client & !0xffff, self.base, "one of ours");
        self.free.push((client & 0xffff) as u16);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use raft_core::NodeId;
    use sim::kv::Key;

    fn slot(id: u64) -> NodeSlot {
        NodeSlot::of_id(NodeId(id)).expect("a slot")
    }

    fn put(key: Key) -> Op {
        Op::Put { key, value: 1 }
    }

    fn not_leader(leader: Option<u64>) -> ReplyOutcome {
        ReplyOutcome::NotLeader {
            leader: leader.map(slot),
        }
    }

    /// The proxy's reaction to `outcome` for `command` at tick `now`.
    fn reply(
        proxy: &mut Proxy<char>,
        command: &Command,
        outcome: ReplyOutcome,
        now: u64,
    ) -> OnReply<char> {
        proxy.on_reply(command.client, command.seq, outcome, now)
    }

    fn done() -> ReplyOutcome {
        ReplyOutcome::Done {
            output: Output::Written,
            entry: None,
        }
    }

    #[test]
    fn sequence_numbers_start_above_every_earlier_start() {
        // A restart from the same directory, even with the clock set back.
        let before = first_sequence_number(7, 1_000) + u64::from(u32::MAX) - 1;
        assert!(first_sequence_number(8, 10) > before);
        // A node that lost its directory (boot 1 again) a second later.
        let earlier_start_ns = 1_700_000_000_000_000_000;
        let used = first_sequence_number(5, earlier_start_ns) + 1_000_000;
        assert!(first_sequence_number(1, earlier_start_ns + 1_000_000_000) > used);
    }

    #[test]
    fn sessions_are_numbered_by_node_freed_when_answered_and_bounded() {
        let mut proxy = Proxy::new(slot(3), 100);
        let first = proxy.start(put(1), 'a', 0).expect("free");
        assert_eq!((owner(first.client), first.seq), (3, 101));
        let answered = reply(&mut proxy, &first, done(), 1);
        assert!(matches!(answered, OnReply::Answer { answer: 'a', .. }));
        let again = proxy.start(put(1), 'b', 2).expect("free");
        assert_eq!(
            (again.client, again.seq),
            (first.client, 102),
            "the same session, a new number"
        );
        let taken = (1..SESSIONS_MAX)
            .map(|_| proxy.start(put(1), 'c', 3))
            .filter(Result::is_ok)
            .count();
        assert_eq!(taken, SESSIONS_MAX - 1);
        assert_eq!(proxy.start(put(1), 'd', 3), Err('d'), "bounded");
        assert_eq!(proxy.in_flight(), SESSIONS_MAX);
    }

    #[test]
    fn a_request_follows_the_leader_named_and_keeps_its_number() {
        let mut proxy = Proxy::new(slot(1), 0);
        let command = proxy.start(put(7), 'a', 0).expect("free");
        assert_eq!(
            reply(&mut proxy, &command, not_leader(Some(3)), 0),
            OnReply::Send(slot(3), command.clone())
        );
        // Node 3 names node 2, which answers.
        assert_eq!(
            reply(&mut proxy, &command, not_leader(Some(2)), 1),
            OnReply::Send(slot(2), command.clone())
        );
        assert!(matches!(
            reply(&mut proxy, &command, done(), 2),
            OnReply::Answer { answer: 'a', .. }
        ));
        assert_eq!(proxy.in_flight(), 0);
        // A duplicate of the answer finds nothing to answer.
        assert_eq!(reply(&mut proxy, &command, done(), 3), OnReply::Wait);
    }

    #[test]
    fn an_unanswered_request_goes_to_the_local_host_again_and_on_to_its_hint() {
        let mut proxy = Proxy::new(slot(1), 0);
        let command = proxy.start(put(7), 'a', 0).expect("free");
        let sent = reply(&mut proxy, &command, not_leader(Some(3)), 0);
        assert_eq!(sent, OnReply::Send(slot(3), command.clone()));
        // No answer from node 3. Nothing is due before RESEND_TICKS.
        assert_eq!(proxy.due(RESEND_TICKS - 1).resend, Vec::new());
        let due = proxy.due(RESEND_TICKS);
        assert_eq!(due.resend, vec![command.clone()], "the local host again");
        // The local host still names node 3 (alive, the packet was lost):
        // the request goes there again.
        assert_eq!(
            reply(&mut proxy, &command, not_leader(Some(3)), 51),
            OnReply::Send(slot(3), command.clone())
        );
        // Node 3 died; by the next resend the local host names node 2.
        assert_eq!(proxy.due(2 * RESEND_TICKS).resend, Vec::new());
        assert_eq!(
            proxy.due(2 * RESEND_TICKS + 1).resend,
            vec![command.clone()]
        );
        assert_eq!(
            reply(&mut proxy, &command, not_leader(Some(2)), 102),
            OnReply::Send(slot(2), command.clone())
        );
        // The same number all along: the session table applies it once.
        assert!(matches!(
            reply(&mut proxy, &command, done(), 103),
            OnReply::Answer { answer: 'a', .. }
        ));
    }

    #[test]
    fn a_late_reply_naming_the_node_already_asked_changes_nothing() {
        let mut proxy = Proxy::new(slot(1), 0);
        let command = proxy.start(put(7), 'a', 10).expect("free");
        let sent = reply(&mut proxy, &command, not_leader(Some(3)), 10);
        assert_eq!(sent, OnReply::Send(slot(3), command.clone()));
        // An earlier copy's reply, from a node that also names node 3.
        assert_eq!(
            reply(&mut proxy, &command, not_leader(Some(3)), 12),
            OnReply::Wait
        );
        assert!(proxy.due(10 + RESEND_TICKS - 1).resend.is_empty());
        assert_eq!(proxy.due(10 + RESEND_TICKS).resend, vec![command]);
    }

    #[test]
    fn a_request_without_any_answer_is_resent_each_period_until_its_deadline() {
        let start = 7;
        let mut proxy = Proxy::new(slot(1), 0);
        let command = proxy.start(put(7), 'a', start).expect("free");
        let resent_at: Vec<u64> = (start..start + DEADLINE_TICKS)
            .filter(|&now| !proxy.due(now).resend.is_empty())
            .collect();
        let expected: Vec<u64> = (1..DEADLINE_TICKS / RESEND_TICKS)
            .map(|i| start + i * RESEND_TICKS)
            .collect();
        assert_eq!(resent_at, expected);
        let due = proxy.due(start + DEADLINE_TICKS);
        assert_eq!((due.expired, due.resend), (vec!['a'], Vec::new()));
        assert!(
            proxy
                .start(put(7), 'b', start + DEADLINE_TICKS)
                .expect("free")
                .client
                == command.client
        );
    }

    #[test]
    fn without_a_leader_the_request_waits_briefly_and_asks_locally_again() {
        let mut proxy = Proxy::new(slot(2), 0);
        let command = proxy.start(put(7), 'a', 0).expect("free");
        for outcome in [not_leader(None), ReplyOutcome::Refused] {
            assert_eq!(reply(&mut proxy, &command, outcome, 10), OnReply::Wait);
            assert!(proxy.due(10 + RETRY_TICKS - 1).resend.is_empty());
            assert_eq!(proxy.due(10 + RETRY_TICKS).resend, vec![command.clone()]);
        }
    }

    #[test]
    fn a_request_is_given_up_at_its_deadline_and_its_session_freed() {
        let mut proxy = Proxy::new(slot(1), 0);
        let late = proxy.start(put(1), 'a', 0).expect("free");
        let _other = proxy.start(put(2), 'b', 5).expect("free");
        let due = proxy.due(DEADLINE_TICKS);
        assert_eq!(due.expired, vec!['a']);
        assert_eq!(proxy.in_flight(), 1);
        // A late answer to the given-up request answers nobody.
        assert_eq!(
            reply(&mut proxy, &late, done(), DEADLINE_TICKS + 1),
            OnReply::Wait
        );
        // Its session is free again, with a new number.
        let next = proxy.start(put(3), 'c', DEADLINE_TICKS + 2).expect("free");
        assert_eq!((next.client, next.seq), (late.client, late.seq + 1));
        assert_eq!(proxy.due(DEADLINE_TICKS + 5).expired, vec!['b']);
    }
}

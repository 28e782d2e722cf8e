//! Client sessions: one operation at a time, sent to the node believed to
//! lead, following redirects, timing out and retrying with the same sequence
//! number (so the session table deduplicates), giving up after a bound.

use rand::{Rng, RngExt};
use serde::{Deserialize, Serialize};

use crate::kv::{ClientId, Command, Op};
use crate::net::ReplyOutcome;
use crate::read_path::ReadPath;
use crate::slot::NodeSlot;

/// How clients behave.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Workload {
    /// Operations per second per client (mean).
    pub rate_per_s: f64,
    /// Keys are drawn from `0..keys`.
    pub keys: u8,
    /// Which operations to issue: put, get, append.
    pub puts: bool,
    /// Issue gets.
    pub gets: bool,
    /// Issue appends.
    pub appends: bool,
    /// How long to wait for an answer before retrying elsewhere.
    pub request_timeout_ns: u64,
    /// How long a client keeps retrying one operation before giving up
    /// (its outcome is then unknown, or fail if nothing was ever proposed).
    pub give_up_after_ns: u64,
    /// The share of operations that are gets (with `gets` on), the rest
    /// drawn evenly among the other kinds enabled; `None`: every enabled
    /// kind alike. (A read-heavy workload: 0.9.)
    #[serde(default)]
    pub get_share: Option<f64>,
    /// How nodes serve a `get`; with a path followers serve, half the gets
    /// go to a node drawn at random instead of the one believed to lead.
    #[serde(default)]
    pub reads: ReadPath,
}

impl Default for Workload {
    fn default() -> Workload {
        Workload {
            rate_per_s: 20.0,
            keys: 4,
            puts: true,
            gets: true,
            appends: true,
            request_timeout_ns: 500_000_000,
            give_up_after_ns: 5_000_000_000,
            get_share: None,
            reads: ReadPath::default(),
        }
    }
}

/// The operation a client is waiting on.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct InFlightOp {
    /// The command (resent as is).
    pub command: Command,
    /// Attempts so far.
    pub attempts: u32,
    /// Position in the history.
    pub history_at: usize,
    /// When it was first sent.
    pub invoke_ns: u64,
    /// Whether some attempt may have been appended to a log (no answer, or
    /// proposed): giving up is then "unknown", not "fail".
    pub maybe_applied: bool,
}

/// Why a client's next wake-up is scheduled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum WakeReason {
    /// Think time is over: start the next operation.
    NextOp,
    /// No answer in time: the attempt may have been applied; try elsewhere.
    Timeout,
    /// A back-off after a redirect or refusal is over: send again.
    Retry,
}

/// One client session.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Client {
    /// The session id.
    pub id: ClientId,
    next_seq: u64,
    /// The operation in flight, if any.
    pub in_flight: Option<InFlightOp>,
    /// The node the client believes leads.
    pub leader_guess: NodeSlot,
    /// Only the wake event with this token counts (older ones are stale).
    pub wake_token: u64,
    /// What the next wake-up is for.
    pub wake_reason: WakeReason,
    /// A scripted session runs these operations in order, then stops;
    /// `None` for a workload session that draws random operations.
    pub script: Option<std::collections::VecDeque<Op>>,
    /// A session pinned to one node never tries another.
    pub pinned: Option<NodeSlot>,
    /// The node the operation's last timeout was on.
    pub timed_out_on: Option<NodeSlot>,
    /// A node the operation timed out on twice: the next redirect back to it
    /// is not followed. A follower cut off with a stale leader would
    /// otherwise send the client back to that leader forever; the next node
    /// asked is outside that minority, or points elsewhere. (Not after one
    /// timeout: on a lossy network that is usually a lost message, and
    /// every detour costs.)
    pub suspect: Option<NodeSlot>,
}

impl Client {
    /// A fresh session; it starts by asking node `first_guess`.
    #[must_use]
    pub fn new(id: ClientId, first_guess: NodeSlot) -> Client {
        Client {
            id,
            next_seq: 1,
            in_flight: None,
            leader_guess: first_guess,
            wake_token: 0,
            wake_reason: WakeReason::NextOp,
            script: None,
            pinned: None,
            timed_out_on: None,
            suspect: None,
        }
    }

    /// The session as the model checker hashes it: its clock-driven fields
    /// (the wake token, the attempt count, the time of invocation) zeroed,
    /// since two paths that differ only in them have the same future.
    #[must_use]
    pub fn protocol_view(&self) -> Client {
        let mut view = self.clone();
        view.wake_token = 0;
        if let Some(op) = view.in_flight.as_mut() {
            op.attempts = 0;
            op.invoke_ns = 0;
        }
        view
    }

    /// The attempt in flight got no answer in time: it may have been
    /// applied; the next goes to the next node (unless pinned).
    pub fn timed_out(&mut self, nodes: &[NodeSlot]) {
        if let Some(op) = self.in_flight.as_mut() {
            op.maybe_applied = true;
        }
        if self.pinned.is_some() {
            return;
        }
        let node = self.leader_guess;
        if self.timed_out_on == Some(node) {
            self.suspect = Some(node);
        }
        self.timed_out_on = Some(node);
        self.leader_guess = node.next_among(nodes);
    }

    /// The operation in flight is over: it is handed back, and what was
    /// learned about unanswering nodes goes with it.
    pub fn finished(&mut self) -> Option<InFlightOp> {
        self.timed_out_on = None;
        self.suspect = None;
        self.in_flight.take()
    }

    /// A random think time before the next operation.
    pub fn think_time_ns(workload: &Workload, rng: &mut impl Rng) -> u64 {
        if workload.rate_per_s <= 0.0 {
            return u64::MAX / 4;
        }
        let mean_ns = 1e9 / workload.rate_per_s;
        rng.random_range(0.0..2.0 * mean_ns) as u64
    }

    /// The next operation of a scripted session, if any is left.
    pub fn next_scripted(&mut self) -> Option<Command> {
        let op = self.script.as_mut()?.pop_front()?;
        let seq = self.next_seq;
        self.next_seq += 1;
        Some(Command {
            client: self.id,
            seq,
            op,
        })
    }

    /// Picks the next operation; values are unique per (client, seq).
    pub fn next_command(&mut self, workload: &Workload, rng: &mut impl Rng) -> Command {
        let seq = self.next_seq;
        self.next_seq += 1;
        let key = crate::kv::Key::from(rng.random_range(0..workload.keys.max(1)));
        let value = (u64::from(self.id) << 32) | seq;
        let mut kinds = Vec::with_capacity(3);
        if workload.puts {
            kinds.push(0);
        }
        let share = workload.get_share.filter(|_| workload.gets);
        if workload.gets && share.is_none() {
            kinds.push(1);
        }
        if workload.appends || kinds.is_empty() {
            kinds.push(2);
        }
        let get = share.is_some_and(|share| rng.random_bool(share.clamp(0.0, 1.0)));
        let kind = if get {
            1
        } else {
            kinds[rng.random_range(0..kinds.len())]
        };
        let op = match kind {
            0 => Op::Put { key, value },
            1 => Op::Get { key },
            _ => Op::Append { key, value },
        };
        Command {
            client: self.id,
            seq,
            op,
        }
    }

    /// An answer from node `from` arrived for `seq`: what to do next. A
    /// refusal from a node other than the one last asked is stale (a
    /// duplicate, or a late answer to an attempt the client moved on from):
    /// following it would send the client away from the node it now asks.
    pub fn on_reply(
        &mut self,
        seq: u64,
        from: NodeSlot,
        outcome: &ReplyOutcome,
        nodes: &[NodeSlot],
    ) -> Reply {
        let Some(op) = self.in_flight.as_mut() else {
            return Reply::Stale;
        };
        if op.command.seq != seq {
            return Reply::Stale;
        }
        let done = matches!(outcome, ReplyOutcome::Done { .. });
        if !done && from != self.leader_guess {
            return Reply::Stale;
        }
        match outcome {
            ReplyOutcome::Done { .. } => Reply::Done,
            ReplyOutcome::NotLeader { .. } if self.pinned.is_some() => Reply::Retry {
                backoff_ns: 10_000_000,
            },
            ReplyOutcome::NotLeader { leader } => {
                match leader {
                    // Once: the next node pointing there is followed.
                    Some(l) if Some(*l) == self.suspect => {
                        self.suspect = None;
                        self.leader_guess = self.leader_guess.next_among(nodes);
                    }
                    Some(l) if *l != self.leader_guess => self.leader_guess = *l,
                    _ => self.leader_guess = self.leader_guess.next_among(nodes),
                }
                Reply::Retry {
                    backoff_ns: 10_000_000,
                }
            }
            ReplyOutcome::Refused => Reply::Retry {
                backoff_ns: 50_000_000,
            },
        }
    }
}

/// What an answer means for the client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reply {
    /// Not about the operation in flight.
    Stale,
    /// The operation is done.
    Done,
    /// Try again after a back-off.
    Retry {
        /// How long to wait.
        backoff_ns: u64,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kv::Op;

    fn asking(node: usize) -> Client {
        let mut client = Client::new(1, NodeSlot::new(node));
        client.in_flight = Some(InFlightOp {
            command: Command {
                client: 1,
                seq: 7,
                op: Op::Get { key: 0 },
            },
            attempts: 1,
            history_at: 0,
            invoke_ns: 0,
            maybe_applied: false,
        });
        client
    }

    /// A cluster of three nodes.
    const THREE: [NodeSlot; 3] = [NodeSlot::new(0), NodeSlot::new(1), NodeSlot::new(2)];

    #[test]
    fn a_redirect_is_followed_unless_it_points_where_the_client_timed_out() {
        let not_leader = ReplyOutcome::NotLeader {
            leader: Some(NodeSlot::new(0)),
        };
        let mut client = asking(1);
        assert!(matches!(
            client.on_reply(7, NodeSlot::new(1), &not_leader, &THREE),
            Reply::Retry { .. }
        ));
        assert_eq!(
            client.leader_guess,
            NodeSlot::new(0),
            "the hint is followed"
        );
        // Node 0 did not answer; a follower still points at it: try the next
        // node instead of going back (a stale leader cut off with a follower
        // would otherwise hold the client forever).
        let mut client = asking(0);
        client.timed_out(&THREE);
        assert_eq!(
            (client.leader_guess, client.suspect),
            (NodeSlot::new(1), None)
        );
        client.leader_guess = NodeSlot::new(0); // sent back by a redirect
        client.timed_out(&THREE);
        assert_eq!(
            client.suspect,
            Some(NodeSlot::new(0)),
            "two timeouts on node 0"
        );
        client.on_reply(7, NodeSlot::new(1), &not_leader, &THREE);
        assert_eq!(client.leader_guess, NodeSlot::new(2));
        // Once: the next node pointing there is believed.
        client.on_reply(7, NodeSlot::new(2), &not_leader, &THREE);
        assert_eq!(client.leader_guess, NodeSlot::new(0));
    }

    #[test]
    fn refusals_from_a_node_no_longer_asked_are_stale() {
        let not_leader = ReplyOutcome::NotLeader {
            leader: Some(NodeSlot::new(2)),
        };
        let mut client = asking(1);
        assert_eq!(
            client.on_reply(7, NodeSlot::new(0), &not_leader, &THREE),
            Reply::Stale
        );
        assert_eq!(client.leader_guess, NodeSlot::new(1));
        // A duplicate of an answer already followed moves nothing either.
        client.on_reply(7, NodeSlot::new(1), &not_leader, &THREE);
        assert_eq!(client.leader_guess, NodeSlot::new(2));
        assert_eq!(
            client.on_reply(7, NodeSlot::new(1), &not_leader, &THREE),
            Reply::Stale
        );
        assert_eq!(client.leader_guess, NodeSlot::new(2));
        // An answer ends the operation whoever sends it.
        let done = ReplyOutcome::Done {
            output: crate::kv::Output::Written,
            entry: None,
        };
        assert_eq!(
            client.on_reply(7, NodeSlot::new(0), &done, &THREE),
            Reply::Done
        );
        // And answers for another operation are stale.
        assert_eq!(
            client.on_reply(6, NodeSlot::new(2), &done, &THREE),
            Reply::Stale
        );
    }
}

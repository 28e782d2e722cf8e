//! Client sessions: one operation at a time, sent to the node believed to
//! lead, following redirects, timing out and retrying with the same sequence
//! number (so the session table deduplicates), giving up after a bound.

use rand::{Rng, RngExt};
use serde::{Deserialize, Serialize};

use crate::kv::{ClientId, Command, Op};
use crate::net::ReplyOutcome;

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
    /// The node (index) the client believes leads.
    pub leader_guess: usize,
    /// Only the wake event with this token counts (older ones are stale).
    pub wake_token: u64,
    /// What the next wake-up is for.
    pub wake_reason: WakeReason,
    /// A scripted session runs these operations in order, then stops;
    /// `None` for a workload session that draws random operations.
    pub script: Option<std::collections::VecDeque<Op>>,
    /// A session pinned to one node never tries another.
    pub pinned: Option<usize>,
}

impl Client {
    /// A fresh session; it starts by asking node `first_guess`.
    #[must_use]
    pub fn new(id: ClientId, first_guess: usize) -> Client {
        Client {
            id,
            next_seq: 1,
            in_flight: None,
            leader_guess: first_guess,
            wake_token: 0,
            wake_reason: WakeReason::NextOp,
            script: None,
            pinned: None,
        }
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
        let key = rng.random_range(0..workload.keys.max(1));
        let value = (u64::from(self.id) << 32) | seq;
        let mut kinds = Vec::with_capacity(3);
        if workload.puts {
            kinds.push(0);
        }
        if workload.gets {
            kinds.push(1);
        }
        if workload.appends || kinds.is_empty() {
            kinds.push(2);
        }
        let op = match kinds[rng.random_range(0..kinds.len())] {
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

    /// An answer arrived for `seq`. Returns the next step, or `None` if the
    /// answer is stale or ends the operation (the caller records the end).
    pub fn on_reply(&mut self, seq: u64, outcome: &ReplyOutcome, node_count: usize) -> Reply {
        let Some(op) = self.in_flight.as_mut() else {
            return Reply::Stale;
        };
        if op.command.seq != seq {
            return Reply::Stale;
        }
        match outcome {
            ReplyOutcome::Done { .. } => Reply::Done,
            ReplyOutcome::NotLeader { .. } if self.pinned.is_some() => Reply::Retry {
                backoff_ns: 10_000_000,
            },
            ReplyOutcome::NotLeader { leader } => {
                match leader {
                    Some(l) if *l != self.leader_guess => self.leader_guess = *l,
                    _ => self.leader_guess = (self.leader_guess + 1) % node_count,
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

//! What clients saw: every operation as invoke → ok / fail / unknown, with
//! virtual timestamps, for the durability and linearizability checkers.

use serde::{Deserialize, Serialize};

use crate::kv::{ClientId, Op, Output};
use raft_core::EntryId;

/// How an operation ended.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Outcome {
    /// Still waiting for an answer.
    Pending,
    /// Done, with this output; `entry` is the log entry that carried it when
    /// the answer came from applying it.
    Ok {
        /// The output.
        output: Output,
        /// The entry, when known.
        entry: Option<EntryId>,
    },
    /// Definitely not applied: every attempt was refused before appending.
    Fail,
    /// The client gave up without an answer: it may or may not be applied.
    Unknown,
}

/// One client operation.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Operation {
    /// The session.
    pub client: ClientId,
    /// Its sequence number in the session.
    pub seq: u64,
    /// What it asked.
    pub op: Op,
    /// When the client first sent it.
    pub invoke_ns: u64,
    /// When it ended (`None` while pending).
    pub complete_ns: Option<u64>,
    /// How it ended.
    pub outcome: Outcome,
    /// Its invocation's place among the history's events (invocations and
    /// completions, counted from 0 in the order they happened): real-time
    /// order even where the clock stood still between two events, as in a
    /// manual scenario or the model checker, which never run the clock.
    #[serde(skip)]
    pub invoke_order: u64,
    /// Its completion's place among the history's events.
    #[serde(skip)]
    pub complete_order: Option<u64>,
}

/// The history of a run, in invocation order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct History {
    /// Every operation.
    pub ops: Vec<Operation>,
    /// Events (invocations and completions) recorded so far.
    #[serde(skip)]
    events: u64,
}

/// Counts of operations by outcome.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutcomeCounts {
    /// Answered.
    pub ok: u64,
    /// Refused for sure.
    pub failed: u64,
    /// Timed out: indeterminate.
    pub unknown: u64,
    /// Not finished when the run ended.
    pub pending: u64,
}

impl History {
    /// Records an invocation; returns its position.
    pub fn invoke(&mut self, client: ClientId, seq: u64, op: Op, now_ns: u64) -> usize {
        self.ops.push(Operation {
            client,
            seq,
            op,
            invoke_ns: now_ns,
            complete_ns: None,
            outcome: Outcome::Pending,
            invoke_order: self.events,
            complete_order: None,
        });
        self.events += 1;
        self.ops.len() - 1
    }

    /// Records how operation `at` ended.
    pub fn complete(&mut self, at: usize, outcome: Outcome, now_ns: u64) {
        let op = &mut self.ops[at];
        assert_eq!(op.outcome, Outcome::Pending, "an operation ends once");
        op.outcome = outcome;
        op.complete_ns = Some(now_ns);
        op.complete_order = Some(self.events);
        self.events += 1;
    }

    /// How many operations have ended.
    #[must_use]
    pub fn completed(&self) -> usize {
        self.ops
            .iter()
            .filter(|op| op.complete_order.is_some())
            .count()
    }

    /// Feeds what a checker's verdict on this history depends on to
    /// `state`: each operation, its outcome and the order of the events,
    /// but not the clock (the model checker's fingerprint: two paths that
    /// saw the same operations end the same way in the same order are one
    /// state).
    pub fn hash_order<H: std::hash::Hasher>(&self, state: &mut H) {
        use std::hash::Hash;
        self.ops.len().hash(state);
        for op in &self.ops {
            (op.client, op.seq, &op.op, &op.outcome).hash(state);
            (op.invoke_order, op.complete_order).hash(state);
        }
    }

    /// The operations a healthy cluster should have finished by now: those
    /// still pending, and those invoked at or after `since_ns` (once every
    /// fault healed) that did not succeed.
    #[must_use]
    pub fn unfinished(&self, since_ns: u64) -> Vec<&Operation> {
        self.ops
            .iter()
            .filter(|op| match op.outcome {
                Outcome::Pending => true,
                Outcome::Ok { .. } => false,
                Outcome::Fail | Outcome::Unknown => op.invoke_ns >= since_ns,
            })
            .collect()
    }

    /// Counts by outcome.
    #[must_use]
    pub fn counts(&self) -> OutcomeCounts {
        let mut counts = OutcomeCounts::default();
        for op in &self.ops {
            match op.outcome {
                Outcome::Pending => counts.pending += 1,
                Outcome::Ok { .. } => counts.ok += 1,
                Outcome::Fail => counts.failed += 1,
                Outcome::Unknown => counts.unknown += 1,
            }
        }
        counts
    }
}

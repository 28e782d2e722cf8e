//! A concurrent history: operations with invocation and return times.

use serde::{Deserialize, Serialize};

/// How an operation ended, as the client saw it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome<O> {
    /// Answered with `output` at time `returned`.
    Ok {
        /// What it returned.
        output: O,
        /// When the answer arrived (same clock as the invocation).
        returned: u64,
    },
    /// Definitely did not take effect (refused before it could): left out.
    Failed,
    /// No answer: it took effect at some time after its invocation, or never
    /// (Jepsen's `:info`). Its return time is infinite.
    Unknown,
}

/// One client operation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Operation<I, O> {
    /// The client (Jepsen's process) that ran it.
    pub client: u64,
    /// What it asked.
    pub input: I,
    /// When it was invoked.
    pub invoked: u64,
    /// How it ended.
    pub outcome: Outcome<O>,
}

impl<I, O> Operation<I, O> {
    /// An operation of `client` invoked at `invoked` that ended so.
    #[must_use]
    pub fn new(client: u64, input: I, invoked: u64, outcome: Outcome<O>) -> Operation<I, O> {
        Operation {
            client,
            input,
            invoked,
            outcome,
        }
    }

    /// An operation answered with `output` at `returned`.
    #[must_use]
    pub fn ok(client: u64, input: I, invoked: u64, output: O, returned: u64) -> Operation<I, O> {
        Operation::new(client, input, invoked, Outcome::Ok { output, returned })
    }

    /// When it returned: `u64::MAX` (never) for an unknown outcome.
    #[must_use]
    pub fn returned(&self) -> u64 {
        match &self.outcome {
            Outcome::Ok { returned, .. } => *returned,
            Outcome::Failed | Outcome::Unknown => u64::MAX,
        }
    }

    /// The output, if known.
    #[must_use]
    pub fn output(&self) -> Option<&O> {
        match &self.outcome {
            Outcome::Ok { output, .. } => Some(output),
            Outcome::Failed | Outcome::Unknown => None,
        }
    }
}

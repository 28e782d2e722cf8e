//! What clients saw, judged: the run's client history must be linearizable
//! against the key-value store's sequential model (`lincheck`). Run at the
//! end of a run and by `expect linearizable`; it reads only the history the
//! stepper hands it, never the world.

use lincheck::models::kv::{KeyValue, KvInput, KvOutput};
use lincheck::{Counterexample, Verdict, check, render};
use serde::{Deserialize, Serialize};

use super::{Invariant, Violation};
use crate::history::{History, Operation, Outcome};
use crate::kv::{Op, Output};
use crate::units::format_ns;

/// The history in the checker's terms, timed by the clock (what
/// `--history` writes). A pending operation (the run ended, or the scenario
/// is still going) and one the client gave up on may have taken effect or
/// not: both are unknown.
#[must_use]
pub fn lincheck_history(history: &History) -> Vec<lincheck::Operation<KvInput, KvOutput>> {
    operations(history, |op| (op.invoke_ns, op.complete_ns))
}

/// The history in the checker's terms, timed by the order of its events:
/// what the check judges, so that two events at the same instant keep the
/// order they happened in (a clock that stood still, as in a manual
/// scenario or the model checker, orders nothing).
fn ordered_history(history: &History) -> Vec<lincheck::Operation<KvInput, KvOutput>> {
    operations(history, |op| (op.invoke_order, op.complete_order))
}

fn operations(
    history: &History,
    times: impl Fn(&Operation) -> (u64, Option<u64>),
) -> Vec<lincheck::Operation<KvInput, KvOutput>> {
    history
        .ops
        .iter()
        .map(|op| {
            let (invoked, completed) = times(op);
            lincheck::Operation {
                client: u64::from(op.client) + 1,
                input: match op.op {
                    Op::Put { key, value } => KvInput::Put {
                        key: u64::from(key),
                        value,
                    },
                    Op::Get { key } => KvInput::Get {
                        key: u64::from(key),
                    },
                    Op::Append { key, value } => KvInput::Append {
                        key: u64::from(key),
                        value,
                    },
                },
                invoked,
                outcome: match (&op.outcome, completed) {
                    (Outcome::Ok { output, .. }, Some(returned)) => lincheck::Outcome::Ok {
                        output: match output {
                            Output::Written => KvOutput::Written,
                            Output::Read(list) => KvOutput::Read(list.clone()),
                        },
                        returned,
                    },
                    (Outcome::Fail, _) => lincheck::Outcome::Failed,
                    (Outcome::Ok { .. } | Outcome::Pending | Outcome::Unknown, _) => {
                        lincheck::Outcome::Unknown
                    }
                },
            }
        })
        .collect()
}

/// One operation of a counterexample, as the client saw it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeenOperation {
    /// Its position in the run's history.
    pub at: usize,
    /// The client (1-based, as printed).
    pub client: u32,
    /// Its sequence number in the session.
    pub seq: u64,
    /// When it was invoked.
    pub invoke_ns: u64,
    /// When it returned, if it did.
    pub complete_ns: Option<u64>,
    /// What it asked and got: `get(k1) → [7]`, `put(k0, 3) → ?` (unknown).
    pub operation: String,
}

/// A sub-history of one key that no order fits, for the report and `--json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotLinearizable {
    /// The key.
    pub key: String,
    /// The operations, in invocation order (a few of the key's).
    pub operations: Vec<SeenOperation>,
    /// How many operations the key had.
    pub key_operations: usize,
    /// The longest prefix that fits: history positions, in effect order.
    pub linearized: Vec<usize>,
    /// The operation that could not take effect after it.
    pub stuck: usize,
    /// The store's value of the key after the prefix.
    pub state_after: String,
}

/// What the check concluded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LincheckResult {
    /// The history is linearizable.
    Linearizable,
    /// It is not: the violation carries the counterexample.
    Violated(Violation),
    /// The budget ran out on some key: neither pass nor fail.
    Unknown(String),
}

/// The store's model, showing a value as the client and sequence number
/// that wrote it (`c2#17`): the workload makes every value unique so.
const MODEL: KeyValue = KeyValue {
    describe_value: |value| format!("c{}#{}", (value >> 32) + 1, value & 0xFFFF_FFFF),
};

/// Checks `history`, exploring at most `budget` configurations per key.
#[must_use]
pub fn check_history(history: &History, budget: u64) -> LincheckResult {
    let ops = ordered_history(history);
    let report = check(&MODEL, &ops, budget);
    match report.verdict {
        Verdict::Linearizable => LincheckResult::Linearizable,
        Verdict::Unknown { parts_exhausted } => LincheckResult::Unknown(format!(
            "linearizability unknown: the budget of {budget} configurations per key ran out on \
             {parts_exhausted} key(s) (raise it with --lincheck-budget)"
        )),
        Verdict::NotLinearizable(found) => {
            LincheckResult::Violated(violation(history, &ops, &found))
        }
    }
}

fn violation(
    history: &History,
    ops: &[lincheck::Operation<KvInput, KvOutput>],
    found: &Counterexample,
) -> Violation {
    // The operations are timed by event order; people read the clock.
    let mut clock_at_order = vec![0; history.ops.len() * 2];
    for op in &history.ops {
        clock_at_order[op.invoke_order as usize] = op.invoke_ns;
        if let (Some(order), Some(ns)) = (op.complete_order, op.complete_ns) {
            clock_at_order[order as usize] = ns;
        }
    }
    let text = render(&MODEL, ops, found, &|order| {
        format_ns(clock_at_order.get(order as usize).copied().unwrap_or(order))
    });
    let seen = |at: usize| {
        let op = &history.ops[at];
        SeenOperation {
            at,
            client: op.client + 1,
            seq: op.seq,
            invoke_ns: op.invoke_ns,
            complete_ns: op.complete_ns,
            operation: lincheck::Model::describe_operation(
                &MODEL,
                &ops[at].input,
                ops[at].output(),
            ),
        }
    };
    let mut violation = Violation::new(
        Invariant::Linearizability,
        Vec::new(),
        format!("what clients saw is not linearizable: {text}"),
    );
    violation.not_linearizable = Some(Box::new(NotLinearizable {
        key: found.key.clone(),
        operations: found.operations.iter().map(|&at| seen(at)).collect(),
        key_operations: found.key_operations,
        linearized: found.linearized.clone(),
        stuck: found.stuck,
        state_after: found.state_after.clone(),
    }));
    violation
}

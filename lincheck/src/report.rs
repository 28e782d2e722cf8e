//! A counterexample for people: the operations of the failing key with their
//! clients, times and outcomes, the longest prefix that fits, and the
//! operation that could not be placed after it.

use std::fmt::Write as _;

use crate::check::Counterexample;
use crate::model::Model;
use crate::operation::{Operation, Outcome};

/// Renders `counterexample` (found in `history`) as indented lines;
/// `time` formats the history's timestamps (for example as seconds).
pub fn render<M: Model>(
    model: &M,
    history: &[Operation<M::Input, M::Output>],
    counterexample: &Counterexample,
    time: &dyn Fn(u64) -> String,
) -> String {
    let mut out = String::new();
    let ops = &counterexample.operations;
    // A model with one key (a register) has nothing to name.
    let key = match counterexample.key.as_str() {
        "()" => String::new(),
        key => format!("key {key}: "),
    };
    let _ = writeln!(
        out,
        "{key}no order of these {} of its {} operations fits real time and the model",
        ops.len(),
        counterexample.key_operations
    );
    for &at in ops {
        let op = &history[at];
        let returned = match op.outcome {
            Outcome::Ok { returned, .. } => time(returned),
            Outcome::Failed => "failed".to_owned(),
            Outcome::Unknown => "unknown".to_owned(),
        };
        let _ = writeln!(
            out,
            "  #{at:<5} client {:<4} [{} .. {}]  {}",
            op.client,
            time(op.invoked),
            returned,
            model.describe_operation(&op.input, op.output()),
        );
    }
    let prefix: Vec<String> = counterexample
        .linearized
        .iter()
        .map(|&at| format!("#{at}"))
        .collect();
    let prefix = if prefix.is_empty() {
        "(none)".to_owned()
    } else {
        prefix.join(" ")
    };
    let _ = writeln!(out, "  longest linearizable prefix: {prefix}");
    let stuck = &history[counterexample.stuck];
    let _ = write!(
        out,
        "  then #{} {} cannot take effect by its return: the state is {}",
        counterexample.stuck,
        model.describe_operation(&stuck.input, stuck.output()),
        counterexample.state_after
    );
    out
}

//! From operations to events in time order, for the writers.
//!
//! An `ok` completion goes at its return time. A failed operation and one
//! whose outcome is unknown have none: their `fail` or `info` goes where the
//! client moved on, at its next invocation, or at the end of the history
//! (the latest time in it) after its last operation. Jepsen's processes
//! never have two operations open, and readers (ours too) insist on it; the
//! outcome, not the time, is what reading back recovers.

use std::collections::BTreeMap;
use std::io;

use crate::operation::{Operation, Outcome};

use super::event::{Event, EventKind};
use super::vocabulary::Vocabulary;

/// The events of `history`, in time order. At equal times, operations go in
/// the order of their invocations (ties in the slice's order), an
/// operation's invocation before its own completion, so reading the events
/// back gives the operations sorted by invocation time, ties kept in order.
///
/// # Errors
///
/// `InvalidInput` for a history no events can express: a client with two
/// operations open at once, an operation that returned before it was
/// invoked, or an output the operation cannot return.
pub(crate) fn timeline<V: Vocabulary>(
    vocabulary: &V,
    history: &[Operation<V::Input, V::Output>],
) -> io::Result<Vec<Event>> {
    let mut order: Vec<usize> = (0..history.len()).collect();
    order.sort_by_key(|&at| history[at].invoked);
    let closes = completion_times(history, &order)?;
    // (time, rank in `order`, completion after invocation): a total order
    // that puts a client's completion before its next invocation even at
    // the same time, since the next one ranks after it.
    let mut keyed: Vec<((u64, usize, bool), Event)> = Vec::with_capacity(2 * history.len());
    for (rank, &at) in order.iter().enumerate() {
        let op = &history[at];
        let call = vocabulary.call(&op.input);
        let (kind, value) = match &op.outcome {
            Outcome::Ok { output, .. } => (
                EventKind::Ok,
                vocabulary
                    .returned(&op.input, output)
                    .map_err(|why| invalid(format!("operation #{at}: {why}")))?,
            ),
            Outcome::Failed => (EventKind::Fail, call.value.clone()),
            Outcome::Unknown => (EventKind::Info, call.value.clone()),
        };
        let event = |kind, value, time| Event {
            kind,
            process: op.client,
            f: call.f.to_owned(),
            key: call.key,
            value,
            time,
        };
        let invocation = event(EventKind::Invoke, call.value.clone(), op.invoked);
        keyed.push(((op.invoked, rank, false), invocation));
        keyed.push(((closes[at], rank, true), event(kind, value, closes[at])));
    }
    keyed.sort_unstable_by_key(|(key, _)| *key);
    Ok(keyed.into_iter().map(|(_, event)| event).collect())
}

/// The time each operation's completion is written at (see the module
/// documentation), checking that no client has two operations open.
fn completion_times<I, O>(history: &[Operation<I, O>], order: &[usize]) -> io::Result<Vec<u64>> {
    let end = history
        .iter()
        .map(|op| match op.outcome {
            Outcome::Ok { returned, .. } => returned.max(op.invoked),
            Outcome::Failed | Outcome::Unknown => op.invoked,
        })
        .max()
        .unwrap_or(0);
    let mut by_client: BTreeMap<u64, Vec<usize>> = BTreeMap::new();
    for &at in order {
        by_client.entry(history[at].client).or_default().push(at);
    }
    let mut closes = vec![end; history.len()];
    for (client, ops) in &by_client {
        for (at, &this) in ops.iter().enumerate() {
            let next = ops.get(at + 1).map(|&next| history[next].invoked);
            let op = &history[this];
            closes[this] = match op.outcome {
                Outcome::Ok { returned, .. } if returned < op.invoked => {
                    return Err(invalid(format!(
                        "operation #{this} returned at {returned}, before its invocation at {}",
                        op.invoked
                    )));
                }
                Outcome::Ok { returned, .. } if next.is_some_and(|next| next < returned) => {
                    return Err(invalid(format!(
                        "client {client} invokes #{} while #{this} is open",
                        ops[at + 1]
                    )));
                }
                Outcome::Ok { returned, .. } => returned,
                Outcome::Failed | Outcome::Unknown => next.unwrap_or(end),
            };
        }
    }
    Ok(closes)
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, message)
}

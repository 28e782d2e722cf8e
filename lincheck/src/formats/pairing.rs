//! From events to operations: each invocation opens an operation on its
//! process, the process's next completion closes it. A process has at most
//! one operation open (Jepsen's processes are single-threaded), which is
//! what makes the pairing unambiguous.

use std::collections::HashMap;

use crate::operation::{Operation, Outcome};

use super::error::ReadError;
use super::event::{Event, EventKind};
use super::vocabulary::Vocabulary;

/// An invocation not yet completed.
struct Open {
    /// Its operation's position in the history.
    at: usize,
    /// Its `f` and key, which the completion must repeat.
    f: String,
    key: Option<u64>,
    line: u64,
}

/// The operations read so far and the invocations still open.
pub(crate) struct Pairing<'v, V: Vocabulary> {
    vocabulary: &'v V,
    /// In the order of their invocations. An operation starts as `Unknown`:
    /// one never completed keeps that outcome.
    operations: Vec<Operation<V::Input, V::Output>>,
    open: HashMap<u64, Open>,
}

impl<'v, V: Vocabulary> Pairing<'v, V> {
    pub(crate) fn new(vocabulary: &'v V) -> Self {
        Pairing {
            vocabulary,
            operations: Vec::new(),
            open: HashMap::new(),
        }
    }

    /// Takes the event on `line`.
    pub(crate) fn push(&mut self, line: u64, event: Event) -> Result<(), ReadError> {
        if !V::FUNCTIONS.contains(&event.f.as_str()) {
            return Err(ReadError::UnknownFunction {
                line,
                found: event.f,
                model: V::NAME,
                known: V::FUNCTIONS,
            });
        }
        // A completion may leave its key out: its invocation has it.
        if V::KEYED && event.key.is_none() && event.kind == EventKind::Invoke {
            return Err(ReadError::MissingKey {
                line,
                kind: event.kind.name(),
                f: event.f,
            });
        }
        match event.kind {
            EventKind::Invoke => self.invoke(line, event),
            EventKind::Ok | EventKind::Fail | EventKind::Info => self.complete(line, event),
        }
    }

    fn invoke(&mut self, line: u64, event: Event) -> Result<(), ReadError> {
        if let Some(open) = self.open.get(&event.process) {
            return Err(ReadError::AlreadyOpen {
                line,
                process: event.process,
                open_line: open.line,
            });
        }
        let input = self
            .vocabulary
            .input(&event.f, event.key, &event.value)
            .map_err(|expected| bad_value(line, &event, expected))?;
        self.open.insert(
            event.process,
            Open {
                at: self.operations.len(),
                f: event.f,
                key: event.key,
                line,
            },
        );
        self.operations.push(Operation {
            client: event.process,
            input,
            invoked: event.time,
            outcome: Outcome::Unknown,
        });
        Ok(())
    }

    fn complete(&mut self, line: u64, event: Event) -> Result<(), ReadError> {
        let Some(open) = self.open.remove(&event.process) else {
            return Err(ReadError::NoOpenInvoke {
                line,
                kind: event.kind.name(),
                process: event.process,
            });
        };
        if open.f != event.f {
            return Err(ReadError::FunctionMismatch {
                line,
                process: event.process,
                invoked: open.f,
                completed: event.f,
                invoke_line: open.line,
            });
        }
        if let (Some(invoked), Some(completed)) = (open.key, event.key)
            && invoked != completed
        {
            return Err(ReadError::KeyMismatch {
                line,
                process: event.process,
                invoked,
                completed,
                invoke_line: open.line,
            });
        }
        let operation = &mut self.operations[open.at];
        if event.time < operation.invoked {
            return Err(ReadError::ReturnedBeforeInvoked {
                line,
                invoked: operation.invoked,
                returned: event.time,
                invoke_line: open.line,
            });
        }
        operation.outcome = match event.kind {
            EventKind::Ok => Outcome::Ok {
                output: self
                    .vocabulary
                    .output(&operation.input, &event.value)
                    .map_err(|expected| bad_value(line, &event, expected))?,
                returned: event.time,
            },
            EventKind::Fail => Outcome::Failed,
            EventKind::Info | EventKind::Invoke => Outcome::Unknown,
        };
        Ok(())
    }

    /// The operations; those still open end `Unknown` (the history stopped
    /// before their answer, as if they had ended `info`).
    pub(crate) fn finish(self) -> Vec<Operation<V::Input, V::Output>> {
        self.operations
    }
}

fn bad_value(line: u64, event: &Event, expected: &'static str) -> ReadError {
    ReadError::BadValue {
        line,
        kind: event.kind.name(),
        f: event.f.clone(),
        expected,
        found: event.value.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::value::Value;
    use crate::models::register::{Register, RegisterInput, RegisterOutput};

    fn event(kind: EventKind, process: u64, f: &str, value: Value, time: u64) -> Event {
        Event {
            kind,
            process,
            f: f.to_owned(),
            key: None,
            value,
            time,
        }
    }

    #[test]
    fn each_completion_closes_its_own_process_invocation() {
        let mut pairing = Pairing::new(&Register);
        let events = [
            event(EventKind::Invoke, 1, "write", Value::Int(5), 0),
            event(EventKind::Invoke, 2, "read", Value::Nil, 1),
            event(EventKind::Ok, 2, "read", Value::Int(5), 3),
            event(
                EventKind::Invoke,
                3,
                "cas",
                Value::List(vec![Value::Int(5), Value::Int(6)]),
                4,
            ),
            event(
                EventKind::Fail,
                3,
                "cas",
                Value::Other(":timed-out".into()),
                5,
            ),
            event(EventKind::Info, 1, "write", Value::Int(5), 9),
            event(EventKind::Invoke, 2, "write", Value::Int(7), 9),
        ];
        for (line, event) in events.into_iter().enumerate() {
            pairing
                .push(line as u64 + 1, event)
                .expect("a well-formed history");
        }
        let history = pairing.finish();
        let outcomes: Vec<_> = history.iter().map(|op| op.outcome.clone()).collect();
        assert_eq!(
            outcomes,
            [
                Outcome::Unknown,
                Outcome::Ok {
                    output: RegisterOutput::Read(Some(5)),
                    returned: 3
                },
                Outcome::Failed,
                Outcome::Unknown,
            ]
        );
        assert_eq!(history[3].input, RegisterInput::Write(7));
        assert_eq!(history[3].invoked, 9);
    }

    #[test]
    fn time_may_go_back_between_operations_but_not_within_one() {
        let mut pairing = Pairing::new(&Register);
        let invoke = event(EventKind::Invoke, 1, "read", Value::Nil, 10);
        pairing.push(1, invoke).expect("an invoke");
        let earlier = event(EventKind::Invoke, 2, "read", Value::Nil, 2);
        pairing.push(2, earlier).expect("another process's clock");
        let before = event(EventKind::Ok, 1, "read", Value::Nil, 9);
        let err = pairing
            .push(3, before)
            .expect_err("returned before invoked");
        assert!(
            matches!(err, ReadError::ReturnedBeforeInvoked { line: 3, .. }),
            "{err}"
        );
    }
}

//! One event of Jepsen's model, the unit both syntaxes write a line of, and
//! the loop that reads a file of them line by line.

use std::io::BufRead;

use super::History;
use super::error::ReadError;
use super::pairing::Pairing;
use super::value::Value;
use super::vocabulary::Vocabulary;

/// What an event says happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EventKind {
    /// A process asked.
    Invoke,
    /// It was answered.
    Ok,
    /// It definitely did not happen.
    Fail,
    /// No one knows whether it happened.
    Info,
}

impl EventKind {
    pub(crate) fn parse(name: &str) -> Option<EventKind> {
        match name {
            "invoke" => Some(EventKind::Invoke),
            "ok" => Some(EventKind::Ok),
            "fail" => Some(EventKind::Fail),
            "info" => Some(EventKind::Info),
            _ => None,
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            EventKind::Invoke => "invoke",
            EventKind::Ok => "ok",
            EventKind::Fail => "fail",
            EventKind::Info => "info",
        }
    }
}

/// One line of a history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Event {
    pub(crate) kind: EventKind,
    pub(crate) process: u64,
    pub(crate) f: String,
    /// The key, for a keyed model (the syntax decides where it is written).
    pub(crate) key: Option<u64>,
    pub(crate) value: Value,
    pub(crate) time: u64,
}

/// Reads `input` line by line: `parse` turns a line (never blank) into an
/// event, or `None` for a line that holds no client event (Jepsen's nemesis);
/// the events are paired into operations as they come.
pub(crate) fn read_events<V: Vocabulary>(
    vocabulary: &V,
    mut input: impl BufRead,
    mut parse: impl FnMut(u64, &str) -> Result<Option<Event>, ReadError>,
) -> Result<History<V>, ReadError> {
    let mut pairing = Pairing::new(vocabulary);
    let mut text = String::new();
    let mut line = 0;
    loop {
        line += 1;
        text.clear();
        match input.read_line(&mut text) {
            Ok(0) => break,
            Ok(_) => {}
            Err(source) => return Err(ReadError::Io { line, source }),
        }
        if text.trim().is_empty() {
            continue;
        }
        if let Some(event) = parse(line, &text)? {
            pairing.push(line, event)?;
        }
    }
    Ok(pairing.finish())
}

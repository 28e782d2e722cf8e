//! JSON lines: one JSON object per event, the format the simulator's
//! `--history FILE` writes.
//!
//! ```text
//! {"type":"invoke","process":3,"f":"put","key":1,"value":7,"time":1200}
//! {"type":"ok","process":3,"f":"put","key":1,"value":7,"time":1350}
//! {"type":"invoke","process":4,"f":"get","key":1,"value":null,"time":1400}
//! {"type":"ok","process":4,"f":"get","key":1,"value":[7],"time":1500}
//! ```
//!
//! Fields (see the [module](super) for what each means): `type`, `process`,
//! `f` and `time` are required; `value` may be left out (`null`). `key` is
//! the kv model's: required on an invocation, optional on a completion (if
//! there, it must be the invocation's); the register reads none. Any other
//! field is ignored, so that a later writer may add fields without breaking
//! this reader.

use std::io::{self, BufRead, Write};

use serde::{Deserialize, Serialize};

use crate::operation::Operation;

use super::History;
use super::error::ReadError;
use super::event::{Event, EventKind, read_events};
use super::timeline::timeline;
use super::value::Value;
use super::vocabulary::Vocabulary;

/// A line as serde reads it: the fields the event model names, no more.
#[derive(Deserialize)]
struct Line {
    #[serde(rename = "type")]
    kind: String,
    process: u64,
    f: String,
    #[serde(default)]
    key: Option<serde_json::Value>,
    #[serde(default)]
    value: serde_json::Value,
    time: u64,
}

/// A line as the writer writes it, fields in the documented order.
#[derive(Serialize)]
struct Written<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    process: u64,
    f: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    key: Option<u64>,
    value: serde_json::Value,
    time: u64,
}

/// Reads a history of `vocabulary`'s operations from JSON lines, in the
/// order of their invocations. Blank lines are skipped.
///
/// # Errors
///
/// The first line that is not a well-formed event, or that does not pair
/// with the others (see [`ReadError`]); never a panic.
pub fn read_jsonl<V: Vocabulary>(
    vocabulary: &V,
    input: impl BufRead,
) -> Result<History<V>, ReadError> {
    read_events(vocabulary, input, |line, text| {
        parse_line::<V>(line, text).map(Some)
    })
}

fn parse_line<V: Vocabulary>(line: u64, text: &str) -> Result<Event, ReadError> {
    // serde would also take a struct written as an array, field by field:
    // refuse that here, with a message that says what a line is.
    let body = text.trim_start();
    if !body.starts_with('{') {
        return Err(ReadError::Syntax {
            line,
            column: Some((text.len() - body.len()) as u64 + 1),
            message: "expected an event, a JSON object {\"type\": ...}".to_owned(),
        });
    }
    let parsed: Line = serde_json::from_str(text).map_err(|err| {
        let mut error = syntax(line, &err);
        // The likeliest mistake: a Jepsen file given as JSON lines.
        if let ReadError::Syntax { message, .. } = &mut error
            && body.starts_with("{:")
        {
            message.push_str(" (the line looks like EDN)");
        }
        error
    })?;
    let kind = EventKind::parse(&parsed.kind).ok_or_else(|| ReadError::UnknownType {
        line,
        found: parsed.kind.clone(),
    })?;
    let key = match parsed.key {
        Some(key) if V::KEYED && !key.is_null() => {
            Some(key.as_u64().ok_or_else(|| ReadError::Syntax {
                line,
                column: None,
                message: format!("`key` must be an integer from 0 to 2^64-1, found {key}"),
            })?)
        }
        _ => None,
    };
    Ok(Event {
        kind,
        process: parsed.process,
        f: parsed.f,
        key,
        value: from_json(&parsed.value),
        time: parsed.time,
    })
}

/// serde's message without its position (each line is parsed alone, so its
/// "line 1" would mislead), with the column kept apart.
fn syntax(line: u64, err: &serde_json::Error) -> ReadError {
    let message = err.to_string();
    let suffix = format!(" at line {} column {}", err.line(), err.column());
    let message = message.strip_suffix(&suffix).unwrap_or(&message).to_owned();
    ReadError::Syntax {
        line,
        column: (err.column() > 0).then_some(err.column() as u64),
        message,
    }
}

fn from_json(json: &serde_json::Value) -> Value {
    match json {
        serde_json::Value::Null => Value::Nil,
        serde_json::Value::Number(n) => n
            .as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from))
            .map_or_else(|| Value::Other(n.to_string()), Value::Int),
        serde_json::Value::Array(items) => Value::List(items.iter().map(from_json).collect()),
        other => Value::Other(other.to_string()),
    }
}

fn to_json(value: &Value) -> serde_json::Value {
    match value {
        Value::Nil => serde_json::Value::Null,
        Value::Int(n) => i64::try_from(*n)
            .map(serde_json::Value::from)
            .or_else(|_| u64::try_from(*n).map(serde_json::Value::from))
            .unwrap_or_else(|_| serde_json::Value::String(n.to_string())),
        Value::List(items) => serde_json::Value::Array(items.iter().map(to_json).collect()),
        Value::Other(text) => serde_json::Value::String(text.clone()),
    }
}

/// Writes `history` as JSON lines, one event a line in time order (see
/// [`super`] for where `fail` and `info` completions go). Reading it back
/// gives the same operations, sorted by invocation time (ties in the
/// slice's order).
///
/// # Errors
///
/// A write error, or `InvalidInput` for a history no events can express: a
/// client with two operations open at once, a return before its
/// invocation, an output its operation cannot return.
pub fn write_jsonl<V: Vocabulary>(
    vocabulary: &V,
    history: &[Operation<V::Input, V::Output>],
    mut out: impl Write,
) -> io::Result<()> {
    for event in timeline(vocabulary, history)? {
        let line = Written {
            kind: event.kind.name(),
            process: event.process,
            f: &event.f,
            key: event.key,
            value: to_json(&event.value),
            time: event.time,
        };
        serde_json::to_writer(&mut out, &line)?;
        out.write_all(b"\n")?;
    }
    out.flush()
}

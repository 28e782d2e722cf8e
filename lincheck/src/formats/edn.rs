//! Jepsen's EDN: one map per event line, as Jepsen writes `history.edn`.
//!
//! ```text
//! {:type :invoke, :f :write, :value 4, :process 2, :time 2}
//! {:type :ok, :f :write, :value 4, :process 2, :time 19}
//! {:type :invoke, :f :cas, :value [4 1], :process 0, :time 20, :index 20}
//! {:type :fail, :f :cas, :value [4 1], :process 0, :time 28, :error :mismatch}
//! ```
//!
//! `:type` and `:f` are keywords; `:process` and `:time` integers; `:value`
//! may be left out (`nil`). `:time` may be left out of every event (as in
//! Knossos's test histories): the file's order is then the time order. A keyed model (kv) follows Jepsen's
//! `jepsen.independent`: `:value [key value]`, so a get is invoked with
//! `[1 nil]` and answered with `[1 [7 9]]` (a `fail` or `info` may carry any
//! value). An event whose `:process` is a keyword (Jepsen's `:nemesis`) is
//! not a client operation and is skipped, as Jepsen's checkers do. Other
//! keys (`:index`, `:error`, ...) are ignored. Integers are 64-bit signed,
//! as Clojure's: a kv key or value above 2^63-1 cannot be written.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{self, BufRead, Write};

use clojure_reader::edn::{self, Edn};
use clojure_reader::error::Code;

use crate::operation::Operation;

use super::History;
use super::error::ReadError;
use super::event::{Event, EventKind, read_events};
use super::timeline::timeline;
use super::value::Value;
use super::vocabulary::Vocabulary;

/// Reads a history of `vocabulary`'s operations from Jepsen EDN, in the
/// order of their invocations. Blank lines are skipped.
///
/// # Errors
///
/// The first line that is not a well-formed event, or that does not pair
/// with the others (see [`ReadError`]); never a panic.
pub fn read_edn<V: Vocabulary>(
    vocabulary: &V,
    input: impl BufRead,
) -> Result<History<V>, ReadError> {
    // Whether the events carry `:time`: the first one decides for all.
    let mut timed = None;
    read_events(vocabulary, input, |line, text| {
        let Some((event, has_time)) = parse_line::<V>(line, text)? else {
            return Ok(None);
        };
        match *timed.get_or_insert(has_time) {
            true if !has_time => Err(ReadError::MissingField {
                line,
                field: ":time",
            }),
            false if has_time => Err(ReadError::Syntax {
                line,
                column: None,
                message: "this event has a :time but the first event had none \
                          (either every event is timed or the file's order is the time)"
                    .to_owned(),
            }),
            _ => Ok(Some(event)),
        }
    })
}

/// The event on `line`, and whether it had a `:time` (without one, its
/// time is its line: the file's order, as Knossos's histories have it).
fn parse_line<V: Vocabulary>(line: u64, text: &str) -> Result<Option<(Event, bool)>, ReadError> {
    let (form, rest) = edn::read(text).map_err(|err| syntax(line, &err))?;
    let rest = rest.trim_start();
    if !(rest.is_empty() || rest.starts_with(';')) {
        return Err(ReadError::Syntax {
            line,
            column: None,
            message: format!("expected one map per line, found more after it: {rest}"),
        });
    }
    let Edn::Map(map) = &form else {
        return Err(ReadError::Syntax {
            line,
            column: None,
            message: format!("expected a map such as {{:type :invoke, ...}}, found {form}"),
        });
    };
    let field = |name: &'static str| map.get(&Edn::Key(Cow::Borrowed(name)));
    let process = match field("process") {
        // Jepsen's nemesis and other non-client actors.
        Some(Edn::Key(_)) => return Ok(None),
        found => natural(line, ":process", found)?,
    };
    let kind_name = keyword(line, ":type", field("type"))?;
    let kind = EventKind::parse(kind_name).ok_or_else(|| ReadError::UnknownType {
        line,
        found: format!(":{kind_name}"),
    })?;
    let f = keyword(line, ":f", field("f"))?.to_owned();
    let has_time = field("time").is_some();
    let time = if has_time {
        natural(line, ":time", field("time"))?
    } else {
        line
    };
    let value = field("value").map_or(Value::Nil, from_edn);
    let (key, value) = if V::KEYED {
        split_key(line, kind, &f, value)?
    } else {
        (None, value)
    };
    Ok(Some((
        Event {
            kind,
            process,
            f,
            key,
            value,
            time,
        },
        has_time,
    )))
}

/// `[key value]` into its parts (`jepsen.independent`). An invocation and
/// an `ok` must have both; a `fail` or `info` may carry anything.
fn split_key(
    line: u64,
    kind: EventKind,
    f: &str,
    value: Value,
) -> Result<(Option<u64>, Value), ReadError> {
    if let Value::List(items) = &value
        && let [key, inner] = items.as_slice()
        && let Some(key) = key.as_u64()
    {
        return Ok((Some(key), inner.clone()));
    }
    match kind {
        EventKind::Fail | EventKind::Info => Ok((None, value)),
        EventKind::Invoke | EventKind::Ok => Err(ReadError::BadValue {
            line,
            kind: kind.name(),
            f: f.to_owned(),
            expected: "[key value] with an integer key (jepsen.independent)",
            found: value.to_string(),
        }),
    }
}

fn keyword<'e>(
    line: u64,
    field: &'static str,
    found: Option<&'e Edn<'_>>,
) -> Result<&'e str, ReadError> {
    match found {
        Some(Edn::Key(name)) => Ok(name),
        Some(other) => Err(ReadError::FieldType {
            line,
            field,
            expected: "a keyword",
            found: other.to_string(),
        }),
        None => Err(ReadError::MissingField { line, field }),
    }
}

fn natural(line: u64, field: &'static str, found: Option<&Edn<'_>>) -> Result<u64, ReadError> {
    match found {
        Some(Edn::Int(n)) if *n >= 0 => Ok(n.unsigned_abs()),
        Some(other) => Err(ReadError::FieldType {
            line,
            field,
            expected: "an integer from 0",
            found: other.to_string(),
        }),
        None => Err(ReadError::MissingField { line, field }),
    }
}

fn from_edn(form: &Edn<'_>) -> Value {
    match form {
        Edn::Nil => Value::Nil,
        Edn::Int(n) => Value::Int((*n).into()),
        Edn::Vector(items) | Edn::List(items) => Value::List(items.iter().map(from_edn).collect()),
        other => Value::Other(other.to_string()),
    }
}

/// The parser's error in words, at its column (each line is parsed alone,
/// so its own line number is always 1).
fn syntax(line: u64, err: &clojure_reader::error::Error) -> ReadError {
    let message = match &err.code {
        Code::UnexpectedEOF => "unexpected end of line (one map per line)".to_owned(),
        Code::UnmatchedDelimiter(c) => format!("unmatched `{c}`"),
        Code::InvalidNumber => "not a number this reader takes (64-bit integers only)".to_owned(),
        Code::HashMapDuplicateKey => "a key appears twice in the map".to_owned(),
        Code::InvalidKeyword => "invalid keyword".to_owned(),
        Code::InvalidChar => "invalid character literal".to_owned(),
        Code::InvalidEscape => "invalid escape in a string".to_owned(),
        other => format!("invalid EDN ({other:?})"),
    };
    ReadError::Syntax {
        line,
        column: err.column.map(|column| column as u64),
        message,
    }
}

/// Writes `history` as Jepsen EDN, one map a line in time order (see
/// [`super`] for where `fail` and `info` completions go), keys in the order
/// Jepsen prints them: `{:type :invoke, :f :read, :value nil, :process 3,
/// :time 123}`. Reading it back gives the same operations, sorted by
/// invocation time (ties in the slice's order).
///
/// # Errors
///
/// A write error, or `InvalidInput` for a history no events can express (a
/// client with two operations open at once, a return before its
/// invocation, an output its operation cannot return) or an integer EDN
/// cannot hold (above 2^63-1).
pub fn write_edn<V: Vocabulary>(
    vocabulary: &V,
    history: &[Operation<V::Input, V::Output>],
    mut out: impl Write,
) -> io::Result<()> {
    let mut text = String::new();
    for event in timeline(vocabulary, history)? {
        let value = match event.key {
            Some(key) => Value::List(vec![Value::Int(key.into()), event.value]),
            None => event.value,
        };
        text.clear();
        let _ = write!(
            text,
            "{{:type :{}, :f :{}, :value ",
            event.kind.name(),
            event.f
        );
        write_value(&mut text, &value)?;
        let _ = write!(text, ", :process {}, :time {}}}", event.process, event.time);
        for number in [event.process, event.time] {
            fits(number.into())?;
        }
        writeln!(out, "{text}")?;
    }
    out.flush()
}

fn write_value(text: &mut String, value: &Value) -> io::Result<()> {
    match value {
        Value::Nil => text.push_str("nil"),
        Value::Int(n) => {
            fits(*n)?;
            let _ = write!(text, "{n}");
        }
        Value::List(items) => {
            text.push('[');
            for (at, item) in items.iter().enumerate() {
                if at > 0 {
                    text.push(' ');
                }
                write_value(text, item)?;
            }
            text.push(']');
        }
        Value::Other(other) => text.push_str(other),
    }
    Ok(())
}

/// EDN's integers are Clojure's longs: a larger one would be read back as
/// another type (a bigint), or not at all.
fn fits(n: i128) -> io::Result<()> {
    i64::try_from(n).map(drop).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{n} does not fit a 64-bit signed EDN integer"),
        )
    })
}

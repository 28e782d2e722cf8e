//! Why a history file could not be read. Every error names the line (and,
//! where the parser knows it, the column); the caller puts the file name in
//! front, so a message reads `history.edn:12: ...` as compilers print them.

use std::fmt;

/// A history that could not be read.
#[derive(Debug)]
pub enum ReadError {
    /// The line is not one well-formed event in the file's syntax (JSON
    /// lines: also a field missing or of the wrong type, as serde says it).
    Syntax {
        /// The line, from 1.
        line: u64,
        /// The column, from 1, where the parser knows it.
        column: Option<u64>,
        /// What was wrong: what was expected.
        message: String,
    },
    /// An EDN event lacks a key every event has.
    MissingField {
        /// The line, from 1.
        line: u64,
        /// The key (`:process`, `:time`, ...).
        field: &'static str,
    },
    /// An EDN event's key holds the wrong kind of thing.
    FieldType {
        /// The line, from 1.
        line: u64,
        /// The key.
        field: &'static str,
        /// What it must be.
        expected: &'static str,
        /// What it is, as written.
        found: String,
    },
    /// A `type` other than invoke, ok, fail and info.
    UnknownType {
        /// The line, from 1.
        line: u64,
        /// The type, as written.
        found: String,
    },
    /// An `f` the model does not know.
    UnknownFunction {
        /// The line, from 1.
        line: u64,
        /// The `f`, as written.
        found: String,
        /// The model's name.
        model: &'static str,
        /// The `f`s it knows.
        known: &'static [&'static str],
    },
    /// An operation of a keyed model (kv) without its key.
    MissingKey {
        /// The line, from 1.
        line: u64,
        /// The event's type.
        kind: &'static str,
        /// The operation.
        f: String,
    },
    /// A value of the wrong shape for its operation.
    BadValue {
        /// The line, from 1.
        line: u64,
        /// The event's type.
        kind: &'static str,
        /// The operation.
        f: String,
        /// What the value must be.
        expected: &'static str,
        /// What it is.
        found: String,
    },
    /// A completion on a process with no open invocation.
    NoOpenInvoke {
        /// The line, from 1.
        line: u64,
        /// The completion's type.
        kind: &'static str,
        /// The process.
        process: u64,
    },
    /// An invocation on a process whose last invocation is still open.
    AlreadyOpen {
        /// The line, from 1.
        line: u64,
        /// The process.
        process: u64,
        /// The line of the open invocation.
        open_line: u64,
    },
    /// A completion whose `f` is not its invocation's.
    FunctionMismatch {
        /// The line, from 1.
        line: u64,
        /// The process.
        process: u64,
        /// The invocation's `f`.
        invoked: String,
        /// The completion's `f`.
        completed: String,
        /// The line of the invocation.
        invoke_line: u64,
    },
    /// A completion whose key is not its invocation's.
    KeyMismatch {
        /// The line, from 1.
        line: u64,
        /// The process.
        process: u64,
        /// The invocation's key.
        invoked: u64,
        /// The completion's key.
        completed: u64,
        /// The line of the invocation.
        invoke_line: u64,
    },
    /// A completion timed before its own invocation. (Time going back
    /// between unrelated events is allowed: clocks of different processes
    /// need not agree, and the checker orders events by time, not by line.)
    ReturnedBeforeInvoked {
        /// The line, from 1.
        line: u64,
        /// The invocation's time.
        invoked: u64,
        /// The completion's time.
        returned: u64,
        /// The line of the invocation.
        invoke_line: u64,
    },
    /// The file could not be read (or is not UTF-8).
    Io {
        /// The line being read, from 1.
        line: u64,
        /// Why.
        source: std::io::Error,
    },
}

impl ReadError {
    /// The line the error is on, from 1.
    #[must_use]
    pub fn line(&self) -> u64 {
        match self {
            ReadError::Syntax { line, .. }
            | ReadError::MissingField { line, .. }
            | ReadError::FieldType { line, .. }
            | ReadError::UnknownType { line, .. }
            | ReadError::UnknownFunction { line, .. }
            | ReadError::MissingKey { line, .. }
            | ReadError::BadValue { line, .. }
            | ReadError::NoOpenInvoke { line, .. }
            | ReadError::AlreadyOpen { line, .. }
            | ReadError::FunctionMismatch { line, .. }
            | ReadError::KeyMismatch { line, .. }
            | ReadError::ReturnedBeforeInvoked { line, .. }
            | ReadError::Io { line, .. } => *line,
        }
    }
}

/// `LINE: what is wrong` (`LINE:COLUMN: ...` for a syntax error whose
/// column is known); the caller adds `FILE:` in front.
impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.line())?;
        match self {
            ReadError::Syntax {
                column: Some(column),
                message,
                ..
            } => write!(f, ":{column}: {message}"),
            ReadError::Syntax { message, .. } => write!(f, ": {message}"),
            ReadError::MissingField { field, .. } => write!(f, ": the event has no {field}"),
            ReadError::FieldType {
                field,
                expected,
                found,
                ..
            } => write!(f, ": {field} must be {expected}, found {found}"),
            ReadError::UnknownType { found, .. } => write!(
                f,
                ": unknown event type `{found}` (expected invoke, ok, fail or info)"
            ),
            ReadError::UnknownFunction {
                found,
                model,
                known,
                ..
            } => write!(
                f,
                ": unknown f `{found}` (the {model} model knows {})",
                known.join(", ")
            ),
            ReadError::MissingKey { kind, f: op, .. } => {
                write!(f, ": {op} {kind} has no key (the kv model needs one)")
            }
            ReadError::BadValue {
                kind,
                f: op,
                expected,
                found,
                ..
            } => write!(
                f,
                ": {op} {kind}: the value must be {expected}, found {found}"
            ),
            ReadError::NoOpenInvoke { .. }
            | ReadError::AlreadyOpen { .. }
            | ReadError::FunctionMismatch { .. }
            | ReadError::KeyMismatch { .. }
            | ReadError::ReturnedBeforeInvoked { .. } => self.fmt_pairing(f),
            ReadError::Io { source, .. } => write!(f, ": cannot read: {source}"),
        }
    }
}

impl ReadError {
    /// The errors of pairing a completion with its invoke.
    fn fmt_pairing(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::NoOpenInvoke { kind, process, .. } => {
                write!(f, ": {kind} on process {process}, which has no open invoke")
            }
            ReadError::AlreadyOpen {
                process, open_line, ..
            } => write!(
                f,
                ": process {process} invokes again while its invoke on line {open_line} is open"
            ),
            ReadError::FunctionMismatch {
                process,
                invoked,
                completed,
                invoke_line,
                ..
            } => write!(
                f,
                ": process {process} completes {completed}, but its invoke on line \
                 {invoke_line} is {invoked}"
            ),
            ReadError::KeyMismatch {
                process,
                invoked,
                completed,
                invoke_line,
                ..
            } => write!(
                f,
                ": process {process} completes on key {completed}, but its invoke on line \
                 {invoke_line} is on key {invoked}"
            ),
            ReadError::ReturnedBeforeInvoked {
                invoked,
                returned,
                invoke_line,
                ..
            } => write!(
                f,
                ": completed at time {returned}, before its invoke on line {invoke_line} \
                 (time {invoked})"
            ),
            _ => unreachable!("Display::fmt hands over only the pairing errors"),
        }
    }
}

impl std::error::Error for ReadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ReadError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

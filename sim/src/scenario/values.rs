//! Literals and `key=value` options: counts, durations (`150ms`, through
//! [`crate::units::duration_ns`]), ranges (`150ms..300ms`),
//! percentages (`5%`, stored as a probability), rates (`50/s`), `on`/`off`
//! and operation lists (`put,get,append`).
//!
//! An option is written as one piece, `key=value` with no spaces; each key
//! at most once per line. Errors point at the key (unknown or repeated
//! option) or into the value (the part that is wrong). Numbers are checked
//! against their limits ([`super::limits`]) here, and the error states the
//! limit.

use std::ops::RangeInclusive;

use super::ast::{OpKind, ParseError, shown};
use super::lex::{Cursor, Kind, Token};
use super::limits::{DURATION_NS_MAX, RATE_PER_S_MAX};
use crate::units::{DurationError, duration_ns};

/// One `key=value` option.
#[derive(Clone, Debug)]
pub(super) struct Opt<'a> {
    /// The key, one of the verb's options.
    pub key: &'a str,
    /// The value as written.
    pub value: String,
    /// The value's column.
    pub col: usize,
}

/// Whether `text` is written with digits only: a whole number, perhaps
/// too big for 64 bits.
pub(super) fn is_digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

/// A whole number written with digits only; `None` if it does not fit in
/// 64 bits.
pub(super) fn whole(text: &str) -> Option<u64> {
    if is_digits(text) {
        text.parse().ok()
    } else {
        None
    }
}

/// A decimal number: digits with at most one `.` (no signs, exponents,
/// `inf` or `NaN`).
pub(super) fn decimal(text: &str) -> Option<f64> {
    let digits = text.bytes().filter(u8::is_ascii_digit).count();
    let dots = text.bytes().filter(|&b| b == b'.').count();
    if digits > 0 && digits + dots == text.len() && dots <= 1 {
        text.parse::<f64>().ok().filter(|x| x.is_finite())
    } else {
        None
    }
}

/// A whole number in `limits`, in words: `a whole number from MIN to MAX`.
fn whole_in(limits: &RangeInclusive<u64>) -> String {
    format!("a whole number from {} to {}", limits.start(), limits.end())
}

/// Takes a whole number within `limits`; otherwise an error saying that
/// `what` was, and its limits (a number too big for 64 bits included).
pub(super) fn count(
    cur: &mut Cursor<'_>,
    what: &str,
    limits: RangeInclusive<u64>,
) -> Result<u64, ParseError> {
    let expected = format!("{what}, {}", whole_in(&limits));
    let token = cur.word(&expected)?;
    whole(token.text)
        .filter(|n| limits.contains(n))
        .ok_or_else(|| cur.error_at(token, expected))
}

/// Takes a duration.
pub(super) fn duration(cur: &mut Cursor<'_>) -> Result<u64, ParseError> {
    let token = cur.word("a duration such as `2s` or `150ms` (units: ns us ms s m)")?;
    duration_of(cur, token)
}

/// The duration `token` holds.
pub(super) fn duration_of(cur: &Cursor<'_>, token: Token<'_>) -> Result<u64, ParseError> {
    duration_at(cur, token.text, token.col)
}

/// The duration `text`, at `col`: at most [`DURATION_NS_MAX`].
fn duration_at(cur: &Cursor<'_>, text: &str, col: usize) -> Result<u64, ParseError> {
    match duration_ns(text) {
        Ok(ns) if ns <= DURATION_NS_MAX => Ok(ns),
        Ok(_) | Err(DurationError::OutOfRange) => {
            let max_s = DURATION_NS_MAX / 1_000_000_000;
            let expected = format!(
                "a duration of at most {max_s}s ({} hours) of virtual time, \
                 the longest a scenario may write",
                max_s / 3600
            );
            Err(cur.error_at_col(col, text, expected))
        }
        Err(why) => {
            let why = why.message(text, |part| shown(part).into_owned());
            Err(cur.error_at_col(col, text, format!("a duration: {why}")))
        }
    }
}

/// Parses the next `key=value` option of `verb` (`options` pairs each key
/// with an example); `None` at the end of the line. `seen` collects the keys
/// of the line, so that none is given twice.
pub(super) fn next_option<'a>(
    cur: &mut Cursor<'a>,
    verb: &str,
    options: &[(&str, &str)],
    seen: &mut Vec<&'a str>,
) -> Result<Option<Opt<'a>>, ParseError> {
    if cur.at_end() {
        return Ok(None);
    }
    let list: Vec<&str> = options.iter().map(|&(_, example)| example).collect();
    let expected = format!(
        "an option of `{verb}` (one of: {}) or end of line",
        list.join(", ")
    );
    let key = cur.word(&expected)?;
    let Some(&(_, example)) = options.iter().find(|&&(name, _)| name == key.text) else {
        return Err(cur.error_at(key, expected));
    };
    if seen.contains(&key.text) {
        return Err(cur.error_at(
            key,
            format!(
                "each option once (`{}` is already set on this line)",
                key.text
            ),
        ));
    }
    seen.push(key.text);
    if !cur.peek().is_some_and(|t| t.is_punct("=") && t.glued) {
        return Err(cur.error_here(format!(
            "`=` right after `{}`, then the value, without spaces (`{example}`)",
            key.text
        )));
    }
    cur.next();
    let value = match cur.peek() {
        Some(t) if t.glued => cur.glued_run(),
        _ => None,
    };
    let Some((value, col)) = value else {
        return Err(cur.error_here(format!(
            "a value right after `{}=`, without spaces (`{example}`)",
            key.text
        )));
    };
    Ok(Some(Opt {
        key: key.text,
        value,
        col,
    }))
}

/// The error for an option a verb lists but does not handle (a bug of this
/// parser, reported rather than panicking).
pub(super) fn unhandled(cur: &Cursor<'_>, opt: &Opt<'_>) -> ParseError {
    cur.error_at_col(
        opt.col,
        &opt.value,
        format!("a value this parser can read for `{}`", opt.key),
    )
}

/// Whether the next tokens start an option (`word=`).
pub(super) fn option_ahead(cur: &Cursor<'_>) -> bool {
    cur.peek().is_some_and(|t| t.kind == Kind::Word)
        && cur.peek_at(1).is_some_and(|t| t.is_punct("=") && t.glued)
}

/// `on` or `off`.
pub(super) fn on_off(cur: &Cursor<'_>, opt: &Opt<'_>) -> Result<bool, ParseError> {
    match opt.value.as_str() {
        "on" => Ok(true),
        "off" => Ok(false),
        _ => Err(cur.error_at_col(opt.col, &opt.value, "`on` or `off`")),
    }
}

/// A duration greater than zero.
pub(super) fn positive_duration(cur: &Cursor<'_>, opt: &Opt<'_>) -> Result<u64, ParseError> {
    match duration_at(cur, &opt.value, opt.col)? {
        0 => Err(cur.error_at_col(opt.col, &opt.value, "a duration greater than zero")),
        ns => Ok(ns),
    }
}

/// A duration.
pub(super) fn any_duration(cur: &Cursor<'_>, opt: &Opt<'_>) -> Result<u64, ParseError> {
    duration_at(cur, &opt.value, opt.col)
}

/// `MIN..MAX`, two durations with MIN at most MAX; with `positive`, MIN
/// greater than zero.
pub(super) fn range(
    cur: &Cursor<'_>,
    opt: &Opt<'_>,
    positive: bool,
) -> Result<(u64, u64), ParseError> {
    let Some((low, high)) = opt.value.split_once("..") else {
        return Err(cur.error_at_col(
            opt.col,
            &opt.value,
            "a range of durations, `MIN..MAX` (e.g. `150ms..300ms`)",
        ));
    };
    let min = duration_at(cur, low, opt.col)?;
    let max = duration_at(cur, high, opt.col + low.chars().count() + 2)?;
    if positive && min == 0 {
        return Err(cur.error_at_col(opt.col, low, "a minimum greater than zero"));
    }
    if min > max {
        return Err(cur.error_at_col(opt.col, &opt.value, "a range whose MIN is at most its MAX"));
    }
    Ok((min, max))
}

/// `P%` with P from 0 to 100, as a probability.
pub(super) fn percent(cur: &Cursor<'_>, opt: &Opt<'_>) -> Result<f64, ParseError> {
    opt.value
        .strip_suffix('%')
        .and_then(decimal)
        .filter(|p| (0.0..=100.0).contains(p))
        .map(|p| p / 100.0)
        .ok_or_else(|| {
            cur.error_at_col(
                opt.col,
                &opt.value,
                "a percentage from 0% to 100% (e.g. `5%`; bad percentage)",
            )
        })
}

/// `R/s` with R greater than zero and at most [`RATE_PER_S_MAX`].
pub(super) fn rate(cur: &Cursor<'_>, opt: &Opt<'_>) -> Result<f64, ParseError> {
    opt.value
        .strip_suffix("/s")
        .and_then(decimal)
        .filter(|&r| r > 0.0 && r <= RATE_PER_S_MAX)
        .ok_or_else(|| {
            cur.error_at_col(
                opt.col,
                &opt.value,
                format!(
                    "a rate per second greater than zero and at most {RATE_PER_S_MAX} \
                     (e.g. `50/s`)"
                ),
            )
        })
}

/// A whole number within `limits`; `why` (empty, or a reason in
/// parentheses) follows the limits in the error.
pub(super) fn whole_opt(
    cur: &Cursor<'_>,
    opt: &Opt<'_>,
    limits: RangeInclusive<u64>,
    why: &str,
) -> Result<u64, ParseError> {
    whole(&opt.value)
        .filter(|n| limits.contains(n))
        .ok_or_else(|| {
            let expected = format!("{}{why}", whole_in(&limits));
            cur.error_at_col(opt.col, &opt.value, expected)
        })
}

/// `index`, `lease`, `log` or `local`: how a `get` is served.
pub(super) fn read_path(
    cur: &Cursor<'_>,
    opt: &Opt<'_>,
) -> Result<crate::read_path::ReadPath, ParseError> {
    opt.value.parse().map_err(|_| {
        cur.error_at_col(
            opt.col,
            &opt.value,
            "a read path: `index` (ReadIndex), `lease`, `log` or `local`",
        )
    })
}

/// `put,get,append`: one or more of the operations, each once.
pub(super) fn ops(cur: &Cursor<'_>, opt: &Opt<'_>) -> Result<Vec<OpKind>, ParseError> {
    let mut kinds = Vec::new();
    let mut col = opt.col;
    for part in opt.value.split(',') {
        let kind = match part {
            "put" => OpKind::Put,
            "get" => OpKind::Get,
            "append" => OpKind::Append,
            _ => {
                return Err(cur.error_at_col(
                    col,
                    part,
                    "an operation: `put`, `get` or `append`, separated by `,` (e.g. `ops=put,get`)",
                ));
            }
        };
        if kinds.contains(&kind) {
            return Err(cur.error_at_col(col, part, "each operation once"));
        }
        kinds.push(kind);
        col += part.chars().count() + 1;
    }
    Ok(kinds)
}

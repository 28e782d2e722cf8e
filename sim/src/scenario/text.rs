//! A scenario file's text before its lines are parsed: bytes that must be
//! UTF-8, a byte-order mark that is skipped, and lines within the limits
//! ([`LINES_MAX`] lines of at most [`LINE_BYTES_MAX`] bytes each).

use std::str::Utf8Error;

use super::ast::{ParseError, Scenario, Span};
use super::limits::{LINE_BYTES_MAX, LINES_MAX};
use super::parse::parse;

/// The byte-order mark some editors write at the start of a UTF-8 file;
/// invisible, so skipped rather than reported as an unknown character.
const BYTE_ORDER_MARK: char = '\u{feff}';

/// Parses a scenario file's bytes, as read from disk: text that is not
/// UTF-8 is an error at the first invalid byte (its line, and its column in
/// characters), showing the bad bytes as `\xNN`; valid text goes on to
/// [`parse`]. `file` names the file in errors.
pub fn parse_bytes(file: &str, bytes: &[u8]) -> Result<Scenario, ParseError> {
    match std::str::from_utf8(bytes) {
        Ok(text) => parse(file, text),
        Err(error) => Err(not_utf8(file, bytes, error)),
    }
}

/// The error for `bytes`, which are UTF-8 up to where `error` says.
fn not_utf8(file: &str, bytes: &[u8], error: Utf8Error) -> ParseError {
    let valid_len = error.valid_up_to();
    // `valid_up_to` promises a valid prefix; an empty one would only make
    // the position wrong, never panic.
    let valid = std::str::from_utf8(&bytes[..valid_len]).unwrap_or_default();
    let valid = without_byte_order_mark(valid);
    let line = valid.bytes().filter(|&b| b == b'\n').count() + 1;
    let line_start = valid.rfind('\n').map_or(0, |newline| newline + 1);
    let col = valid[line_start..].chars().count() + 1;
    // The bytes that make up the bad sequence; to the end of the input when
    // it stops in the middle of a character (at most three bytes).
    let bad_end = error.error_len().map_or(bytes.len(), |len| valid_len + len);
    let bad: String = bytes[valid_len..bad_end]
        .iter()
        .map(|byte| format!("\\x{byte:02x}"))
        .collect();
    ParseError::new(file, Span { line, col }, &bad, "UTF-8 text")
}

/// `text` without its byte-order mark, if it starts with one.
fn without_byte_order_mark(text: &str) -> &str {
    text.strip_prefix(BYTE_ORDER_MARK).unwrap_or(text)
}

/// The lines of `text`, numbered from 1, without a leading byte-order mark
/// and without their line ends; an error for the first line past
/// [`LINES_MAX`] or longer than [`LINE_BYTES_MAX`] bytes.
pub(super) fn lines<'a>(
    file: &'a str,
    text: &'a str,
) -> impl Iterator<Item = Result<(usize, &'a str), ParseError>> + 'a {
    without_byte_order_mark(text)
        .lines()
        .enumerate()
        .map(move |(index, raw)| {
            let line = index + 1;
            within_limits(file, line, raw)?;
            Ok((line, raw))
        })
}

/// Succeeds if line number `line`, `raw`, is within the limits.
fn within_limits(file: &str, line: usize, raw: &str) -> Result<(), ParseError> {
    if line > LINES_MAX {
        return Err(ParseError::new(
            file,
            Span { line, col: 1 },
            raw,
            format!("end of file (a file has at most {LINES_MAX} lines)"),
        ));
    }
    if raw.len() > LINE_BYTES_MAX {
        // The character that crosses the limit, at the column it starts.
        let mut cut = LINE_BYTES_MAX;
        while !raw.is_char_boundary(cut) {
            cut -= 1;
        }
        let col = raw[..cut].chars().count() + 1;
        return Err(ParseError::new(
            file,
            Span { line, col },
            &raw[cut..],
            format!(
                "end of line (a line has at most {LINE_BYTES_MAX} bytes; this one has {})",
                raw.len()
            ),
        ));
    }
    Ok(())
}

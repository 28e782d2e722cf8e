//! The comments a scenario runner reads (an extension of the language:
//! comments are the language's, their meaning raftsim's):
//! `# expect failure: INVARIANT`, `# expect failure on NAME: INVARIANT`
//! and `# runs on: NAME[, NAME]`.

use super::ast::{ParseError, Span};

/// The words of a comment that mark a documented hazard.
const EXPECT_FAILURE: &str = "expect failure";
/// The words of a comment that name the implementations a scenario scripts.
const RUNS_ON: &str = "runs on:";

/// What a comment tells the runner.
pub(super) enum Directive {
    /// `# expect failure: INVARIANT`, or `# expect failure on NAME:
    /// INVARIANT` for one implementation.
    ExpectFailure(Option<String>, crate::checker::Invariant),
    /// `# runs on: NAME[, NAME]`.
    RunsOn(Vec<String>),
}

/// The directive in a comment (which starts at byte `hash` of line
/// `number`), if it holds one; the invariant is checked by name.
pub(super) fn directive(
    file: &str,
    number: usize,
    raw: &str,
    hash: usize,
) -> Result<Option<Directive>, ParseError> {
    let comment = raw[hash + 1..].trim_start();
    if let Some(names) = comment.strip_prefix(RUNS_ON) {
        let names: Vec<String> = names
            .split(',')
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_string)
            .collect();
        return Ok(Some(Directive::RunsOn(names)));
    }
    let Some(rest) = comment.strip_prefix(EXPECT_FAILURE) else {
        return Ok(None);
    };
    let (sut, rest) = match rest.strip_prefix(':') {
        Some(rest) => (None, rest),
        None => {
            let Some((sut, rest)) = rest
                .trim_start()
                .strip_prefix("on ")
                .and_then(|r| r.split_once(':'))
            else {
                return Ok(None);
            };
            (Some(sut.trim().to_string()), rest)
        }
    };
    let name = rest.split_whitespace().next().unwrap_or("");
    if let Some(invariant) = crate::checker::Invariant::named(name) {
        return Ok(Some(Directive::ExpectFailure(sut, invariant)));
    }
    // `rest` ends the line: the name starts where its trimmed text does.
    let offset = raw.len() - rest.trim_start().len();
    let col = raw[..offset].chars().count() + 1;
    let names: Vec<String> = crate::checker::Invariant::ALL
        .iter()
        .map(ToString::to_string)
        .collect();
    Err(ParseError::new(
        file,
        Span { line: number, col },
        name,
        format!(
            "an invariant the scenario is expected to fail with: one of {}",
            names.join(", ")
        ),
    ))
}

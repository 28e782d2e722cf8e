//! Node set expressions (SCENARIOS.md, "Node sets"), and the names bound to
//! them with `as`.
//!
//! ```text
//! set   := term (('+' | '-') term)* ['as' NAME]     left-associative
//! term  := ID | '{' member (',' member)* '}' | KEYWORD | NAME
//! member:= ID | NAME
//! ```
//!
//! Checked here, once the `cluster` line is known: ids lie in `1..=N+K`
//! (voters and learners), braces name no node twice, a bare or braced name
//! was bound earlier (on an earlier line, or further left on the same line),
//! and a name bound with `as` is not a keyword (a set keyword or `as on in
//! within learner at`). In a position
//! that takes one node (`campaign NODE`), braces hold one member.

use std::collections::BTreeSet;

use super::ast::{Atom, NodeSet, ParseError, SetExpr, SetOp, SetTerm, shown};
use super::lex::{Cursor, Kind, Token};
use super::limits::NODES_MAX;
use super::parse::is_keyword;

/// The keywords that stand for node sets.
pub(super) const SET_KEYWORDS: [&str; 7] = [
    "all",
    "leader",
    "followers",
    "rest",
    "majority",
    "minority",
    "writing",
];

const A_SET: &str = "a node set (a node id, `{1,2}`, all, leader, followers, rest, \
     majority, minority, or a name bound earlier with `as NAME`)";

const A_MEMBER: &str = "a node id or a name bound earlier with `as NAME`";

/// What the parser knows about nodes: the ids that exist and the names bound
/// so far.
#[derive(Clone, Debug, Default)]
pub(super) struct Scope {
    /// Voters: ids `1..=voters`.
    pub voters: u64,
    /// Learners: ids `voters+1..=voters+learners`.
    pub learners: u64,
    /// Nodes beyond those that an `add` line named: later lines may name
    /// them too.
    pub added: BTreeSet<u64>,
    /// An `add` line's set is being read: any id up to `NODES_MAX` is a
    /// node (it is the one that brings it in).
    pub adding: bool,
    /// Names bound with `as` so far.
    pub names: BTreeSet<String>,
}

/// How many nodes a position takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Arity {
    /// `NODES` or `SET`.
    Many,
    /// `NODE`: braces may hold one member only.
    One,
}

/// Whether `word` has the shape of a name: letters, digits and `_`, not
/// starting with a digit.
pub(super) fn is_name_shaped(word: &str) -> bool {
    let mut chars = word.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Parses a set expression and its optional `as NAME`.
pub(super) fn node_set(
    cur: &mut Cursor<'_>,
    scope: &mut Scope,
    arity: Arity,
) -> Result<NodeSet, ParseError> {
    let span = cur.here();
    let mut expr = SetExpr::term(term(cur, scope, arity)?);
    loop {
        let op = if cur.eat_punct("+") {
            SetOp::Union
        } else if cur.eat_punct("-") {
            SetOp::Difference
        } else {
            break;
        };
        expr.rest.push((op, term(cur, scope, arity)?));
    }
    let bind = if cur.eat_word("as") {
        Some(bind_name(cur, scope)?)
    } else {
        None
    };
    Ok(NodeSet { span, expr, bind })
}

/// One operand of `+` and `-`.
fn term(cur: &mut Cursor<'_>, scope: &Scope, arity: Arity) -> Result<SetTerm, ParseError> {
    let Some(token) = cur.peek() else {
        return Err(cur.error_here(A_SET));
    };
    if token.is_punct("{") {
        cur.next();
        return braces(cur, scope, arity);
    }
    if token.kind != Kind::Word {
        return Err(cur.error_at(token, A_SET));
    }
    let expr = match token.text {
        "all" => SetTerm::All,
        "leader" => SetTerm::Leader,
        "followers" => SetTerm::Followers,
        "rest" => SetTerm::Rest,
        "majority" => SetTerm::Majority,
        "minority" => SetTerm::Minority,
        "writing" => SetTerm::Writing,
        text if text.bytes().all(|b| b.is_ascii_digit()) => {
            SetTerm::Nodes(vec![Atom::Id(node_id(cur, scope, token)?)])
        }
        text if is_name_shaped(text) && !is_keyword(text) => {
            bound(cur, scope, token)?;
            SetTerm::Name(text.to_string())
        }
        text if text.contains('-') && !is_keyword(text) => {
            return Err(cur.error_at(
                token,
                format!("{A_SET}; set difference takes spaces around `-`: `A - B`"),
            ));
        }
        _ => return Err(cur.error_at(token, A_SET)),
    };
    cur.next();
    Ok(expr)
}

/// The members of `{...}`, after the `{`.
fn braces(cur: &mut Cursor<'_>, scope: &Scope, arity: Arity) -> Result<SetTerm, ParseError> {
    let mut atoms = Vec::new();
    // The members so far, to find a repeated one in O(log n): a line may
    // hold braces with tens of thousands of members.
    let mut seen = BTreeSet::new();
    loop {
        let Some(token) = cur.peek() else {
            return Err(cur.error_here(A_MEMBER));
        };
        let atom = match token.text {
            _ if token.kind != Kind::Word => return Err(cur.error_at(token, A_MEMBER)),
            text if text.bytes().all(|b| b.is_ascii_digit()) => {
                Atom::Id(node_id(cur, scope, token)?)
            }
            text if SET_KEYWORDS.contains(&text) => {
                return Err(cur.error_at(
                    token,
                    format!(
                        "{A_MEMBER} (braces hold ids and names only; keywords stand alone: \
                         `{{1}} + {text}`)"
                    ),
                ));
            }
            text if is_name_shaped(text) && !is_keyword(text) => {
                bound(cur, scope, token)?;
                Atom::Name(text.to_string())
            }
            _ => return Err(cur.error_at(token, A_MEMBER)),
        };
        if !seen.insert(atom.clone()) {
            return Err(cur.error_at(
                token,
                "a node not already in the braces (a set naming a node twice)",
            ));
        }
        cur.next();
        atoms.push(atom);
        if cur.peek().is_some_and(|t| t.is_punct(",")) && arity == Arity::One {
            return Err(cur.error_here("`}` (this step takes one node)"));
        }
        if cur.eat_punct(",") {
            continue;
        }
        if cur.eat_punct("}") {
            return Ok(SetTerm::Nodes(atoms));
        }
        return Err(cur.error_here("`,` or `}`"));
    }
}

/// A node id in range: one of the cluster's voters and learners, or one an
/// earlier `add` named (or, on an `add` line, any up to `NODES_MAX`).
fn node_id(cur: &Cursor<'_>, scope: &Scope, token: Token<'_>) -> Result<u64, ParseError> {
    let max = scope.voters.saturating_add(scope.learners);
    match token.text.parse::<u64>() {
        Ok(id) if (1..=max).contains(&id) || scope.added.contains(&id) => Ok(id),
        Ok(id) if scope.adding && (1..=NODES_MAX).contains(&id) => Ok(id),
        _ if scope.adding => Err(cur.error_at(
            token,
            format!("a node id from 1 to {NODES_MAX} (node out of range)"),
        )),
        _ => {
            let cluster = if scope.learners == 0 {
                String::new()
            } else {
                format!("{} voters and {} learners; ", scope.voters, scope.learners)
            };
            Err(cur.error_at(
                token,
                format!(
                    "a node id from 1 to {max}, or one an earlier `add` named \
                     ({cluster}node out of range)"
                ),
            ))
        }
    }
}

/// Succeeds if the name `token` has been bound.
fn bound(cur: &Cursor<'_>, scope: &Scope, token: Token<'_>) -> Result<(), ParseError> {
    if scope.names.contains(token.text) {
        Ok(())
    } else {
        Err(cur.error_at(
            token,
            format!(
                "a node set; `{0}` is a name used before it is bound \
                 (bind it first: `... as {0}`)",
                shown(token.text)
            ),
        ))
    }
}

/// The NAME of `as NAME`, now bound.
fn bind_name(cur: &mut Cursor<'_>, scope: &mut Scope) -> Result<String, ParseError> {
    let Some(token) = cur.peek() else {
        return Err(cur.error_here("a name after `as` (e.g. `as old`)"));
    };
    if token.kind == Kind::Word && is_keyword(token.text) {
        return Err(cur.error_at(
            token,
            format!(
                "a name that is not a keyword (`{}` is a keyword)",
                shown(token.text)
            ),
        ));
    }
    if token.kind != Kind::Word || !is_name_shaped(token.text) {
        return Err(cur.error_at(
            token,
            "a name after `as`: letters, digits and `_`, not starting with a digit",
        ));
    }
    cur.next();
    scope.names.insert(token.text.to_string());
    Ok(token.text.to_string())
}

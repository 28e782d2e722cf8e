//! What every test module here shares: parsing helpers, syntax-tree
//! builders, and the error check.

pub(crate) use sim::scenario::ast::{
    Atom, ClusterOptions, Compare, Condition, FileRecords, MessagePick, NodeSet, OpKind, Party,
    Scenario, SetExpr, SetOp, SetTerm, Span, Step, StepKind, Timing, Which,
};
pub(crate) use sim::scenario::parse;
pub(crate) use sim::scenario::parse::MESSAGE_TYPES;
pub(crate) use sim::scenario::verbs::words;

pub(crate) const FILE: &str = "t.scn";

/// Parses `cluster 5` and the given lines, which must all parse.
pub(crate) fn scenario(lines: &str) -> Scenario {
    parse(FILE, &format!("cluster 5\n{lines}")).unwrap_or_else(|e| panic!("{e}"))
}

/// The kind of the one step on line 2 (after `cluster 5`).
pub(crate) fn kind(line: &str) -> StepKind {
    let scenario = scenario(line);
    assert_eq!(scenario.steps.len(), 2, "{line}");
    scenario.steps[1].kind.clone()
}

/// The kind of the last step.
pub(crate) fn last(lines: &str) -> StepKind {
    scenario(lines).steps.last().unwrap().kind.clone()
}

/// A set on `line` at `col`, unnamed.
pub(crate) fn set_at(line: usize, col: usize, expr: impl Into<SetExpr>) -> NodeSet {
    NodeSet {
        span: Span { line, col },
        expr: expr.into(),
        bind: None,
    }
}

/// A set on line 2 at `col`, unnamed.
pub(crate) fn set(col: usize, expr: impl Into<SetExpr>) -> NodeSet {
    set_at(2, col, expr)
}

/// A set on line 2 at `col`, named.
pub(crate) fn named(col: usize, expr: impl Into<SetExpr>, name: &str) -> NodeSet {
    NodeSet {
        bind: Some(name.to_string()),
        ..set(col, expr)
    }
}

pub(crate) fn ids(ids: &[u64]) -> SetTerm {
    SetTerm::Nodes(ids.iter().map(|&id| Atom::Id(id)).collect())
}

/// `a + b`: `b` appended to the terms of `a`.
pub(crate) fn union(a: impl Into<SetExpr>, b: SetTerm) -> SetExpr {
    let mut expr = a.into();
    expr.rest.push((SetOp::Union, b));
    expr
}

/// `a - b`: `b` appended to the terms of `a`.
pub(crate) fn minus(a: impl Into<SetExpr>, b: SetTerm) -> SetExpr {
    let mut expr = a.into();
    expr.rest.push((SetOp::Difference, b));
    expr
}

pub(crate) const MS: u64 = 1_000_000;
pub(crate) const S: u64 = 1_000_000_000;

/// Parses `text`, which must fail at `at` (`line:col`) on `token`; returns
/// what was expected.
pub(crate) fn fails(text: &str, at: &str, token: &str) -> String {
    let error = match parse(FILE, text) {
        Ok(scenario) => panic!("{text:?} parsed: {scenario:?}"),
        Err(error) => error,
    };
    assert_eq!(
        (
            format!("{}:{}:{}", error.file, error.span.line, error.span.col),
            error.token.as_str()
        ),
        (format!("{FILE}:{at}"), token),
        "{text:?}: {error}"
    );
    let shown = error.to_string();
    let found = if token.is_empty() {
        "end of line".to_string()
    } else {
        format!("`{token}`")
    };
    assert!(
        shown.starts_with(&format!("{FILE}:{at}: found {found}, expected ")),
        "{shown}"
    );
    error.expected
}

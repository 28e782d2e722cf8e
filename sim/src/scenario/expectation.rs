//! The `expect` step read: its condition (SCENARIOS.md's Expectations)
//! and its optional `within D`. What a condition means when the run
//! reaches it is `conditions.rs`'s.

use super::ast::{Compare, Condition, ParseError, StepKind};
use super::lex::Cursor;
use super::parse::State;
use super::sets::{Arity, Scope, node_set};
use super::values::{count, duration};

const A_CONDITION: &str = "a condition (one of: leader, leader in SET, leader != NODE, \
     no leader, committed OP N, applied OP N, converged, term OP N, linearizable, \
     members == SET, clients done [since T])";

/// `expect COND [within D]`.
pub(super) fn read_expect(cur: &mut Cursor<'_>, state: &mut State) -> Result<StepKind, ParseError> {
    let condition = condition(cur, &mut state.scope)?;
    let within = if cur.eat_word("within") {
        Some(duration(cur)?)
    } else {
        cur.end("`within D` or end of line")?;
        None
    };
    Ok(StepKind::Expect(condition, within))
}

/// `>=`, `<=` or `==`.
fn compare(cur: &mut Cursor<'_>) -> Result<Compare, ParseError> {
    let op = match cur.peek() {
        Some(t) if t.is_punct(">=") => Compare::AtLeast,
        Some(t) if t.is_punct("<=") => Compare::AtMost,
        Some(t) if t.is_punct("==") => Compare::Equal,
        _ => return Err(cur.error_here("a comparison (one of: >=, <=, ==)")),
    };
    cur.next();
    Ok(op)
}

/// The condition of `expect`.
fn condition(cur: &mut Cursor<'_>, scope: &mut Scope) -> Result<Condition, ParseError> {
    let token = cur.word(A_CONDITION)?;
    Ok(match token.text {
        "leader" if cur.eat_word("in") => Condition::LeaderIn(node_set(cur, scope, Arity::Many)?),
        "leader" if cur.eat_punct("!=") => Condition::LeaderNot(node_set(cur, scope, Arity::One)?),
        "leader" => Condition::Leader,
        "no" => {
            if !cur.eat_word("leader") {
                return Err(cur.error_here("`leader` (as in `expect no leader`)"));
            }
            Condition::NoLeader
        }
        "committed" | "applied" => {
            let op = compare(cur)?;
            let n = count(cur, "a log index", 0..=u64::MAX)?;
            let on = if cur.eat_word("on") {
                Some(node_set(cur, scope, Arity::Many)?)
            } else {
                None
            };
            if token.text == "committed" {
                Condition::Committed(op, n, on)
            } else {
                Condition::Applied(op, n, on)
            }
        }
        "converged" => Condition::Converged,
        "clients" => {
            if !cur.eat_word("done") {
                return Err(cur.error_here("`done` (as in `expect clients done [since T]`)"));
            }
            let since = if cur.eat_word("since") {
                Some(duration(cur)?)
            } else {
                None
            };
            Condition::ClientsDone(since)
        }
        "term" => {
            let op = compare(cur)?;
            Condition::Term(op, count(cur, "a term", 0..=u64::MAX)?)
        }
        "linearizable" => Condition::Linearizable,
        "members" => {
            if !cur.eat_punct("==") {
                return Err(cur.error_here("`==` and a set (e.g. `members == {1,2,3}`)"));
            }
            Condition::Members(node_set(cur, scope, Arity::Many)?)
        }
        _ => return Err(cur.error_at(token, A_CONDITION)),
    })
}

//! Scenario files: the parser, and the interpreter that lowers every step to
//! the World's actions (`auto` mode: clock-driven; `manual`: exact
//! interleavings).

pub mod ast;
mod conditions;
mod directives;
mod expectation;
pub mod interp;
mod lex;
pub mod limits;
pub mod needs;
pub mod parse;
pub mod print;
mod resolve;
mod run;
mod sets;
#[cfg(test)]
mod tests;
mod text;
mod values;
pub mod verbs;

pub use ast::{ParseError, Scenario};
pub use parse::parse;
pub use run::{
    Failure, INTERRUPTED, MAX_EVENTS, Outcome, ScenarioError, run_scenario, run_scenario_bounded,
    run_scenario_on, run_scenario_until, run_scenario_with_breaks,
};
pub use text::parse_bytes;

//! The scenario parser against SCENARIOS.md: one test per verb with the exact
//! syntax tree of an example line, and one per error, each asserting
//! `file:line:col`, the token and what was expected.

mod errors;
mod helpers;
mod limits;
mod manual;
mod operations;
mod setup_and_faults;
mod timing;

//! A linearizability checker for concurrent histories of any sequential
//! object, in the line of Wing & Gong (1993), Lowe (2017) and Porcupine:
//! a backtracking search for an order of the operations that respects real
//! time and the object's specification, with a memo table of (operations
//! linearized, state) so no configuration is explored twice, and
//! P-compositionality (Horn & Kroening 2015) so each key is checked alone.
//!
//! Operations with an unknown outcome (Jepsen's `:info`) may take effect at
//! any time after their invocation, or never; failed ones never did.
//!
//! Histories are read from and written to files by [`formats`]: JSON lines
//! (the simulator's) and Jepsen's EDN.
//!
//! ```
//! use lincheck::models::register::{Register, RegisterInput, RegisterOutput};
//! use lincheck::{Operation, Outcome, Verdict, check};
//!
//! let op = |client, input, invoked, output, returned| Operation {
//!     client,
//!     input,
//!     invoked,
//!     outcome: Outcome::Ok { output, returned },
//! };
//! // A write of 1 completes, then a read still sees the empty register.
//! let stale = [
//!     op(1, RegisterInput::Write(1), 0, RegisterOutput::Ok, 10),
//!     op(2, RegisterInput::Read, 20, RegisterOutput::Read(None), 30),
//! ];
//! let report = check(&Register, &stale, lincheck::BUDGET_CONFIGURATIONS_DEFAULT);
//! assert!(matches!(report.verdict, Verdict::NotLinearizable(_)));
//! ```

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod bitset;
mod check;
pub mod formats;
mod memo;
mod model;
pub mod models;
mod operation;
mod report;
mod search;

pub use check::{BUDGET_CONFIGURATIONS_DEFAULT, Counterexample, Report, Verdict, check};
pub use model::Model;
pub use operation::{Operation, Outcome};
pub use report::render;

//! History files: Jepsen's event model in two syntaxes, [`jsonl`] (JSON
//! lines, the simulator's `--history`) and [`edn`] (Jepsen's `history.edn`).
//!
//! A history is a file of events, one a line, in the order they were
//! logged. Each event has:
//!
//! | field | meaning |
//! |---|---|
//! | `type` | `invoke` (a process asked), `ok` (answered), `fail` (did not happen), `info` (no one knows) |
//! | `process` | the client, an integer; it has at most one operation open |
//! | `f` | the operation: `put`, `get`, `append` (kv); `read`, `write`, `cas` (register) |
//! | `value` | what it asked or returned (below) |
//! | `time` | when, an integer (the simulator: virtual nanoseconds) |
//! | `key` | kv only: the key (in EDN, inside `value`: see [`edn`]) |
//!
//! Values: kv `put`/`append` an integer, `get` `null` on the invocation and
//! the list read on `ok` (`null` for a key never written); register `write`
//! an integer, `cas` `[expected new]`, `read` `null` on the invocation and
//! the value read on `ok` (`null`: never written). A completion repeats its
//! invocation's `f` (and key, which it may leave out); only an `ok`
//! completion's value is read, and only for an operation that returns
//! something (an `ok` append that carries a list returned that list).
//!
//! Into operations: an `invoke` opens an operation of its process; the
//! process's next completion closes it: `ok` with the output, `fail` as
//! [`Outcome::Failed`](crate::Outcome) (left out of the check, as Jepsen
//! does), `info` as [`Outcome::Unknown`](crate::Outcome). An invocation still
//! open at the end of the file is unknown too. Events may be out of time
//! order (clocks differ), but a completion may not be timed before its own
//! invocation.
//!
//! Written back: events in time order; a `fail` or `info` completion goes
//! at its client's next invocation, or at the end of the history after the
//! client's last operation (see the writers). Reading a written history
//! gives the same operations, sorted by invocation time.

pub mod edn;
mod error;
mod event;
pub mod jsonl;
mod pairing;
mod timeline;
mod value;
mod vocabulary;

pub use edn::{read_edn, write_edn};
pub use error::ReadError;
pub use jsonl::{read_jsonl, write_jsonl};
pub use value::Value;
pub use vocabulary::{Call, Vocabulary};

use crate::model::Model;
use crate::operation::Operation;

/// The operations of a history of model `M`, as the readers return them.
pub type History<M> = Vec<Operation<<M as Model>::Input, <M as Model>::Output>>;

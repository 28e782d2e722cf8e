//! Robustness and safety properties of raft-core under arbitrary input, and
//! the regression tests they led to.
//!
//! - [`single_node`]: one node, started fresh or from an arbitrary valid
//!   [`raft_core::Restored`] state, with PreVote and CheckQuorum on or off,
//!   is fed an arbitrary interleaving of messages (any sender and recipient
//!   among ids 0..=5, any term, every [`raft_core::MessageBody`] variant,
//!   well-formed and malformed entry vectors), ticks, campaigns, proposals,
//!   `ready`/`advance` cycles and clean restarts. After every input the
//!   node's invariants hold, its term, vote and commit index only move the
//!   way Raft allows ([`watch`]), everything a `Ready` hands out is
//!   consistent, and every step obeys the rules of [`step_rules`]: a
//!   misaddressed or malformed message is refused without a trace, a
//!   message of a stale term changes nothing but the answer it gets, and a
//!   `StaleTerm` answer acknowledges nothing.
//! - [`cluster`]: three nodes under an arbitrary schedule of deliveries,
//!   losses, duplications, ticks, proposals, half-done `Ready`s and crashes:
//!   at most one leader per term, committed entries agree across nodes,
//!   leaders hold every entry committed in an earlier term, a node never
//!   votes twice in a term, no message between the nodes is refused, what a
//!   node counts as persisted is on its disk, and the [`step_rules`] hold
//!   for every delivery.
//! - [`stale_term`]: the schedule the cluster property found, where an
//!   answer to a stale leader was counted as an acknowledgement.
//! - [`malformed_append`]: malformed appends, by hand, at every term.
//! - [`startup`]: `RawNode::new` and `Config::validate` reject bad start-up
//!   input with an error, never a panic.
//!
//! The runs are deterministic: the generator is seeded with a fixed seed
//! unless `PROPTEST_RNG_SEED` is set, and `PROPTEST_CASES` overrides the case
//! counts ([`runner`]). Failures print the minimal input found.

#[path = "../common/mod.rs"]
mod common;

mod cluster;
mod disk;
mod gen_message;
mod gen_state;
mod malformed_append;
mod runner;
mod single_node;
mod stale_term;
mod startup;
mod step_rules;
mod watch;

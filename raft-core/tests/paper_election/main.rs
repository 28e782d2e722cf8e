//! Unit tests of the election rules, organised after the Raft paper (Ongaro &
//! Ousterhout, "In Search of an Understandable Consensus Algorithm") and the
//! thesis (Ongaro, "Consensus: Bridging Theory and Practice") the way etcd's
//! `raft_paper_test.go` is: one test per rule, named after it, citing the
//! section. Everything is driven by hand: tick counts, and messages stepped,
//! delivered or dropped explicitly.

mod bad_input;
mod check_quorum;
#[path = "../common/mod.rs"]
mod common;
mod helpers;
mod prevote;
mod terms;
mod timeouts;
mod votes;

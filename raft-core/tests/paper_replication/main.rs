//! Log replication and commitment, rule by rule, after the Raft paper
//! (Ongaro & Ousterhout, "In Search of an Understandable Consensus
//! Algorithm", §5.3 and §5.4) and the thesis (§10.2.1), in the way etcd's
//! `raft_paper_test.go` is organised: one test per rule, each citing it.
//!
//! Every test drives the nodes by hand (deliver, drop, tick), so it is
//! deterministic.

mod commit;
#[path = "../common/mod.rs"]
mod common;
mod consistency;
mod durability;
mod flow_control;
mod helpers;
mod responses;
mod snapshot;

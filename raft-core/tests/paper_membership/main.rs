//! Membership changes and leader transfer, rule by rule, after the Raft
//! thesis (Ongaro, "Consensus: Bridging Theory and Practice", 2014):
//! single-server changes (§4.1), learners (§4.2.1), removing the leader
//! (§4.2.2), disruptive removed servers (§4.2.3), joint consensus (§4.3),
//! and leader transfer (§3.10). One test per rule, each citing it.
//!
//! Every test drives the nodes by hand (deliver, drop, tick), so it is
//! deterministic.

mod changes;
#[path = "../common/mod.rs"]
mod common;
mod helpers;
mod learners;
mod removal;
mod restart;
mod transfer;

//! Linearizable reads without writing the log, rule by rule, after the Raft
//! thesis (Ongaro, 2014) §6.4: ReadIndex (a heartbeat round a quorum
//! answers, held until the leader commits an entry of its term), follower
//! reads (§6.4.1's forwarding), lease reads (§6.4.1, with the clock
//! assumption), and reads that fail instead of hanging.
//!
//! Every test drives the nodes by hand (deliver, drop, tick), so it is
//! deterministic.

#[path = "../common/mod.rs"]
mod common;
mod follower;
mod helpers;
mod index;
mod lease;

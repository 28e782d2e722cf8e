//! The deterministic simulator: virtual clock, faulty network, crash-able
//! disks, hosts running raft-core, clients and invariant checkers.
//!
//! A [`world::World`] is one plain value that changes only through its
//! actions; drivers (the random swarm run, scenario files, the explorer)
//! choose the actions. One seed gives one run, bit for bit.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod action;
pub mod availability;
pub mod checker;
pub mod client;
pub mod cluster;
pub mod disk;
pub mod explore;
pub mod export;
pub mod history;
pub mod host;
pub mod kv;
pub mod membership;
pub mod membership_plan;
pub mod net;
pub mod observe;
pub mod observed;
pub mod panics;
pub mod plan;
pub mod queries;
pub mod read_path;
pub mod run;
pub mod scenario;
pub mod shrink;
pub mod slot;
pub mod stepper;
pub mod streams;
pub mod sut;
pub mod swarm;
pub mod timeline;
pub mod trace;
pub mod units;
pub mod world;

/// The raft-core version this simulator drives.
pub const RAFT_CORE: &str = raft_core::VERSION;

//! The deterministic simulator: virtual clock, faulty network, crash-able
//! disks, hosts running raft-core, clients and invariant checkers.
//!
//! This crate is a placeholder until the simulator issue lands; it exists so
//! that the workspace has its final shape and the dependency direction
//! `raftsim` → `sim` → `raft-core` is fixed from the start.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

/// The raft-core version this simulator drives.
pub const RAFT_CORE: &str = raft_core::VERSION;

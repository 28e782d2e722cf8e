//! tikv's raft-rs (the `raft` crate, the Raft inside TiKV) under raftsim:
//!
//! - [`SUT`] runs it in the simulator behind [`sim::sut::RaftNode`]
//!   (`raftsim --sut raft-rs`): the same hosts, disks, network, clients,
//!   checkers and drivers as raft-core. See [`node`] for the glue raft-rs
//!   needs (its election jitter made deterministic, reads it drops
//!   answered).
//! - [`ManualNode`] drives it by hand, outside the simulator, for the
//!   side-by-side benchmark.
//!
//! Entries, hard state, configurations and snapshots convert losslessly to
//! raft-core's types ([`convert`]), so the simulated disk stores raft-rs's
//! state in the one format the checkers and recovery read; messages travel
//! as raft-rs's protobuf bytes beside a description in raft-core's terms.

pub mod convert;
pub mod manual;
pub mod node;
pub mod storage;

pub use manual::{Handled, ManualNode, Settings};
pub use node::{RaftRsNode, SUT};

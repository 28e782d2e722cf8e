//! raftsim's host in production (issue 18, under way): the very host code
//! the simulator crashes, tears and partitions, with its I/O requests
//! fulfilled by real files instead of the simulated disk.
//!
//! So far: [`data_dir`], a node's files on a real disk in the bytes the
//! simulator's disk model holds, so that a directory a real node wrote
//! boots in the simulator and the other way round.

pub mod data_dir;

pub use data_dir::{DataDir, DataDirError};

//! raftsim's host in production: the very host code the simulator
//! crashes, tears and partitions, with its I/O requests fulfilled by real
//! files, real TCP connections and a real clock.
//!
//! - [`data_dir`]: a node's files on a real disk in the bytes the
//!   simulator's disk model holds, so that a directory a real node wrote
//!   boots in the simulator and the other way round;
//! - [`wire`] and [`peers`]: the simulator's packets over TCP;
//! - [`node_loop`]: the event loop that owns the host, and [`proxy`]: where
//!   its clients' requests go and when they are sent again;
//! - [`http`]: the key-value and operator API;
//! - [`serve`]: `raftsim serve`, one node; [`cluster`]: `raftsim cluster`,
//!   a local cluster of them.

pub mod cluster;
pub mod data_dir;
pub mod http;
pub mod node_loop;
pub mod peers;
pub mod proxy;
pub mod serve;
pub mod wire;

pub use data_dir::{DataDir, DataDirError};

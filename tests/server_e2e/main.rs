//! The host in production, end to end, with real `raftsim serve`
//! processes on loopback:
//!
//! - [`kill_9`]: three nodes, eight concurrent HTTP clients writing 1,000
//!   keys, the leader killed with SIGKILL mid-run and restarted; every
//!   acknowledged write readable, the state machines converged, the client
//!   history linearizable (`raftsim lincheck`), each data directory booting
//!   in the simulator to the same state; and a lone node's disk;
//! - [`one_format`]: a simulated node's disk serves its data through a real
//!   server, and a directory that is not this node's is refused;
//! - [`membership`]: nodes join, lead, leave and restart over HTTP;
//! - [`cluster`]: `raftsim cluster` as a new user meets it.

#[path = "../common/mod.rs"]
mod common;
#[path = "../common/servers.rs"]
mod servers;

mod cluster;
mod kill_9;
mod membership;
mod one_format;

use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;
use servers::{Servers, status};

/// The nodes of each multi-node test.
const NODES: usize = 3;

/// Polls until every node in `nodes` says what `holds` asks of its status.
fn wait_for_status(servers: &Servers, nodes: &[usize], what: &str, holds: impl Fn(&Value) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let statuses: Vec<Option<Value>> =
            nodes.iter().map(|&i| status(&servers.0[i].http)).collect();
        if statuses.iter().all(|s| s.as_ref().is_some_and(&holds)) {
            return;
        }
        assert!(Instant::now() < deadline, "never {what}: {statuses:?}");
        thread::sleep(Duration::from_millis(50));
    }
}

//! `raftsim serve` and `raftsim cluster`: the simulator's host as a real
//! server (the `server` crate), one node or a local cluster of them.

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::Args;
use server::cluster::{ClusterOptions, NODES_MAX, cluster};
use server::serve::{ServeOptions, parse_peers, serve};

use crate::status::Status;

/// Arguments of `raftsim serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// This node's raft id (1 to 65535).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=65535))]
    id: u64,
    /// Every node's address for peers, this one's included:
    /// `1=127.0.0.1:7001,2=127.0.0.1:7002,3=127.0.0.1:7003`.
    #[arg(long, value_parser = parse_peers)]
    peers: BTreeMap<u64, String>,
    /// The data directory (created if missing; refused if it holds another
    /// program's or another node's files).
    #[arg(long, value_name = "DIR")]
    data: PathBuf,
    /// Where clients reach the HTTP API.
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:8001")]
    http: String,
    /// Start outside the bootstrap configuration (the nodes `--peers`
    /// names, but this one), to be added by `POST /members` on the leader.
    #[arg(long)]
    join: bool,
    /// Snapshot the state machine and compact the log every this many
    /// applied entries.
    #[arg(long, value_name = "ENTRIES", default_value_t = 10_000,
          value_parser = clap::value_parser!(u64).range(1..))]
    snapshot_every: u64,
}

/// Arguments of `raftsim cluster`.
#[derive(Debug, Args)]
pub struct ClusterArgs {
    /// How many nodes.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u16).range(1..=i64::from(NODES_MAX)))]
    nodes: u16,
    /// Where the nodes' data directories (`node-N/`) and logs go.
    #[arg(long, value_name = "DIR", default_value = "raftsim-cluster")]
    dir: PathBuf,
    /// Node N listens for peers on this port plus N.
    #[arg(long, value_name = "PORT", default_value_t = 7000)]
    raft_port: u16,
    /// Node N serves HTTP on this port plus N.
    #[arg(long, value_name = "PORT", default_value_t = 8000)]
    http_port: u16,
}

/// Runs one node until SIGTERM or Ctrl-C.
pub fn serve_command(args: &ServeArgs) -> Status {
    let options = ServeOptions {
        id: args.id,
        peers: args.peers.clone(),
        data: args.data.clone(),
        http: args.http.clone(),
        join: args.join,
        snapshot_every_entries: args.snapshot_every,
    };
    match serve(&options) {
        Ok(()) => Status::Ok,
        Err(why) => {
            eprintln!("raftsim serve: {why}");
            Status::Usage
        }
    }
}

/// Runs a local cluster until Ctrl-C.
pub fn cluster_command(args: &ClusterArgs) -> Status {
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(err) => {
            eprintln!("raftsim cluster: cannot find this program to start nodes with: {err}");
            return Status::Usage;
        }
    };
    let options = ClusterOptions {
        nodes: args.nodes,
        dir: args.dir.clone(),
        raft_port: args.raft_port,
        http_port: args.http_port,
        exe,
    };
    match cluster(&options) {
        Ok(()) => Status::Ok,
        Err(why) => {
            eprintln!("raftsim cluster: {why}");
            Status::Usage
        }
    }
}

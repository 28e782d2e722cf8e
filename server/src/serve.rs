//! `raftsim serve`: one node of a real cluster. Opens (or refuses) the data
//! directory, boots the simulator's host from it, and runs the node loop,
//! the peers' listener and the HTTP server on a tokio runtime until
//! SIGTERM or Ctrl-C.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use raft_core::{Config, NodeId};
use sim::cluster::RaftSettings;
use sim::host::{Host, Outbox};
use sim::read_path::ReadPath;
use sim::slot::NodeSlot;
use sim::sut::Sut;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};

use crate::data_dir::DataDir;
use crate::node_loop::NodeLoop;
use crate::peers::{self, Peers};

/// The interval between ticks: the simulator's default (10 ms), so the
/// election timeout (15 to 30 ticks) and heartbeat (5 ticks) are the
/// simulator's too.
pub const TICK: Duration = Duration::from_millis(10);
/// HTTP calls queued for the loop at most (handlers wait beyond it).
const CALLS_MAX: usize = 1024;
/// Packets from peers queued for the loop at most.
const FROM_PEERS_MAX: usize = 8192;

/// What `raftsim serve` runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServeOptions {
    /// This node's raft id.
    pub id: u64,
    /// Every node of the bootstrap configuration (this one too, unless it
    /// joins later): raft id → address for peers.
    pub peers: BTreeMap<u64, String>,
    /// The data directory.
    pub data: PathBuf,
    /// Where clients reach the HTTP API.
    pub http: String,
    /// Start outside the bootstrap configuration, to be added with
    /// `POST /members`.
    pub join: bool,
    /// Snapshot the state machine and compact the log every this many
    /// applied entries.
    pub snapshot_every_entries: u64,
}

/// Parses `1=127.0.0.1:7001,2=127.0.0.1:7002`.
///
/// # Errors
/// A part is not `ID=HOST:PORT`, an id is 0 or repeated.
pub fn parse_peers(text: &str) -> Result<BTreeMap<u64, String>, String> {
    let mut peers = BTreeMap::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((id, addr)) = part.split_once('=') else {
            return Err(format!(
                "`{part}`: expected ID=HOST:PORT, as in 1=127.0.0.1:7001"
            ));
        };
        let id: u64 = id
            .trim()
            .parse()
            .ok()
            .filter(|id| (1..=u64::from(u16::MAX)).contains(id))
            .ok_or_else(|| format!("`{part}`: the id must be an integer from 1 to {}", u16::MAX))?;
        let addr = addr.trim();
        if addr
            .rsplit_once(':')
            .is_none_or(|(host, port)| host.is_empty() || port.parse::<u16>().is_err())
        {
            return Err(format!("`{part}`: `{addr}` is not HOST:PORT"));
        }
        if peers.insert(id, addr.to_owned()).is_some() {
            return Err(format!("node {id} is named twice"));
        }
    }
    if peers.is_empty() {
        return Err("no peers named; expected ID=HOST:PORT,...".to_owned());
    }
    Ok(peers)
}

/// Runs the node until SIGTERM or Ctrl-C; returns why it could not start
/// or had to stop.
///
/// # Errors
/// The options are inconsistent, the data directory is refused or the
/// node cannot boot from it, an address cannot be bound, or the disk
/// failed while running.
pub fn serve(options: &ServeOptions) -> Result<(), String> {
    let Some(raft_addr) = options.peers.get(&options.id).cloned() else {
        return Err(format!(
            "--peers names no address for this node ({}); name every node, this one included",
            options.id
        ));
    };
    let mut dir =
        DataDir::open(&options.data, NodeId(options.id)).map_err(|err| err.to_string())?;
    let host = boot(options, &dir)?;
    // Recovery may have cut a torn tail or deleted a temporary snapshot.
    dir.follow(&host.disk).map_err(|err| err.to_string())?;
    let boot = dir.count_boot().map_err(|err| err.to_string())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|err| format!("cannot start the runtime: {err}"))?;
    runtime.block_on(run(options, raft_addr, host, dir, boot))
}

/// The host booted from the directory, as the simulator boots it.
fn boot(options: &ServeOptions, dir: &DataDir) -> Result<Host, String> {
    let voters = options
        .peers
        .keys()
        .copied()
        .filter(|id| !(options.join && *id == options.id))
        .map(NodeId);
    let mut config = Config::new(NodeId(options.id), voters);
    RaftSettings::default().configure(&mut config);
    config.seed = options.id;
    let slot = NodeSlot::of_id(NodeId(options.id)).expect("ids are checked above 0");
    let tick_ns = u64::try_from(TICK.as_nanos()).expect("a tick fits");
    let mut host = Host::new(slot, Sut::RAFT_CORE, config, tick_ns);
    host.disk = dir.disk();
    host.read_path = ReadPath::Index;
    host.snapshot_every_entries = Some(options.snapshot_every_entries.max(1));
    let mut out = Outbox::default();
    if !host.boot(&mut out) {
        let why = host.boot_error.clone().unwrap_or_default();
        return Err(format!(
            "{}: cannot boot from this data directory: {why}",
            options.data.display()
        ));
    }
    Ok(host)
}

async fn run(
    options: &ServeOptions,
    raft_addr: String,
    host: Host,
    dir: DataDir,
    boot: u64,
) -> Result<(), String> {
    let raft_listener = TcpListener::bind(&raft_addr)
        .await
        .map_err(|err| format!("cannot listen for peers on {raft_addr}: {err}"))?;
    let http_listener = TcpListener::bind(&options.http)
        .await
        .map_err(|err| format!("cannot listen for HTTP on {}: {err}", options.http))?;
    let http_addr: SocketAddr = http_listener
        .local_addr()
        .map_err(|err| format!("{}: {err}", options.http))?;
    let peers = Peers::new(
        options.id,
        &raft_addr,
        &http_addr.to_string(),
        &options.peers,
    );
    let (to_loop, from_peers) = mpsc::channel(FROM_PEERS_MAX);
    let (calls_tx, calls) = mpsc::channel(CALLS_MAX);
    let (stop_tx, stop) = watch::channel(false);
    tokio::spawn(peers::accept(raft_listener, to_loop));
    let node_loop = tokio::spawn(
        NodeLoop::new(host, dir, peers, http_addr.to_string(), boot)
            .run(TICK, from_peers, calls, stop),
    );
    let mut http_stop = stop_tx.subscribe();
    let http = tokio::spawn(async move {
        axum::serve(http_listener, crate::http::router(calls_tx))
            .with_graceful_shutdown(async move {
                let _ = http_stop.changed().await;
            })
            .await
    });
    eprintln!(
        "node {} serving: peers on {raft_addr}, HTTP on http://{http_addr}, data in {} (boot {boot})",
        options.id,
        options.data.display()
    );
    tokio::pin!(node_loop);
    let outcome = tokio::select! {
        () = shutdown_signal() => {
            eprintln!("node {}: shutting down", options.id);
            let _ = stop_tx.send(true);
            node_loop.await
        }
        ended = &mut node_loop => ended,
    };
    let _ = stop_tx.send(true);
    let _ = http.await;
    outcome.map_err(|err| format!("the node loop failed: {err}"))?
}

/// SIGTERM or Ctrl-C.
pub(crate) async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = ctrl_c => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = ctrl_c.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peers_parse_and_bad_ones_say_why() {
        let peers = parse_peers("1=127.0.0.1:7001, 2=localhost:7002").unwrap();
        assert_eq!(peers.len(), 2);
        assert_eq!(peers[&2], "localhost:7002");
        for (bad, says) in [
            ("", "no peers"),
            ("1127.0.0.1:7001", "expected ID=HOST:PORT"),
            ("0=127.0.0.1:7001", "from 1 to"),
            ("x=127.0.0.1:7001", "from 1 to"),
            ("1=127.0.0.1", "not HOST:PORT"),
            ("1=:80", "not HOST:PORT"),
            ("1=h:99999", "not HOST:PORT"),
            ("1=h:1,1=h:2", "named twice"),
        ] {
            let err = parse_peers(bad).unwrap_err();
            assert!(err.contains(says), "{bad}: {err}");
        }
    }
}

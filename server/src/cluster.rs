//! `raftsim cluster`: a local cluster to try, one `raftsim serve` process
//! per node on loopback. Prints the endpoints and curl lines to paste,
//! says when a node exits (and how to start it again), and stops every
//! node on Ctrl-C or SIGTERM.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use tokio::process::{Child, Command};

/// Prints one line for the user, like `println!`. A closed terminal or
/// pipe is no reason to stop: the nodes would be left running without
/// anyone to stop them.
macro_rules! say {
    ($($line:tt)*) => {{
        use std::io::Write as _;
        let _closed = writeln!(std::io::stdout(), $($line)*);
    }};
}

/// The most nodes `cluster` starts.
pub const NODES_MAX: u16 = 9;
/// How long a node may take to answer on HTTP after it starts.
const START_TIMEOUT: Duration = Duration::from_secs(15);
/// How long nodes get to stop cleanly before they are killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(5);

/// What `raftsim cluster` runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterOptions {
    /// How many nodes.
    pub nodes: u16,
    /// Where their data directories and logs go (`node-N/`, `node-N.log`).
    pub dir: PathBuf,
    /// Node N's peers listen on `raft_port + N`, its HTTP on `http_port + N`.
    pub raft_port: u16,
    /// See `raft_port`.
    pub http_port: u16,
    /// The `raftsim` executable to run `serve` with.
    pub exe: PathBuf,
}

struct Node {
    id: u16,
    args: Vec<String>,
    child: Option<Child>,
    log: PathBuf,
}

impl ClusterOptions {
    fn http(&self, id: u16) -> String {
        format!("127.0.0.1:{}", self.http_port + id)
    }

    fn peers(&self) -> String {
        (1..=self.nodes)
            .map(|id| format!("{id}=127.0.0.1:{}", self.raft_port + id))
            .collect::<Vec<_>>()
            .join(",")
    }

    fn serve_args(&self, id: u16) -> Vec<String> {
        let data = self.dir.join(format!("node-{id}"));
        vec![
            "serve".into(),
            "--id".into(),
            id.to_string(),
            "--peers".into(),
            self.peers(),
            "--data".into(),
            data.display().to_string(),
            "--http".into(),
            self.http(id),
        ]
    }
}

/// Starts the cluster and runs until Ctrl-C or SIGTERM.
///
/// # Errors
/// The options are out of range, the directory cannot be made, or a node
/// would not start.
pub fn cluster(options: &ClusterOptions) -> Result<(), String> {
    if !(1..=NODES_MAX).contains(&options.nodes) {
        return Err(format!("--nodes {}: from 1 to {NODES_MAX}", options.nodes));
    }
    for (name, port) in [
        ("--raft-port", options.raft_port),
        ("--http-port", options.http_port),
    ] {
        if port.checked_add(options.nodes).is_none() {
            return Err(format!(
                "{name} {port}: {port} + {} is not a port",
                options.nodes
            ));
        }
    }
    std::fs::create_dir_all(&options.dir)
        .map_err(|err| format!("{}: {err}", options.dir.display()))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|err| format!("cannot start the runtime: {err}"))?;
    runtime.block_on(run(options))
}

fn spawn(exe: &Path, node: &mut Node) -> Result<(), String> {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&node.log)
        .map_err(|err| format!("{}: {err}", node.log.display()))?;
    let log_err = log
        .try_clone()
        .map_err(|err| format!("{}: {err}", node.log.display()))?;
    let child = Command::new(exe)
        .args(&node.args)
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log_err)
        .kill_on_drop(true)
        .spawn()
        .map_err(|err| format!("cannot start {}: {err}", exe.display()))?;
    node.child = Some(child);
    Ok(())
}

async fn run(options: &ClusterOptions) -> Result<(), String> {
    let mut nodes: Vec<Node> = (1..=options.nodes)
        .map(|id| Node {
            id,
            args: options.serve_args(id),
            child: None,
            log: options.dir.join(format!("node-{id}.log")),
        })
        .collect();
    for node in &mut nodes {
        spawn(&options.exe, node)?;
    }
    let started = wait_for_http(options, &mut nodes).await;
    if let Err(why) = started {
        stop(&mut nodes).await;
        return Err(why);
    }
    print_welcome(options, &nodes);
    let mut exited = vec![false; nodes.len()];
    loop {
        tokio::select! {
            () = crate::serve::shutdown_signal() => break,
            () = tokio::time::sleep(Duration::from_millis(200)) => {}
        }
        for (node, exited) in nodes.iter_mut().zip(&mut exited) {
            let Some(child) = node.child.as_mut() else {
                continue;
            };
            if let Ok(Some(status)) = child.try_wait() {
                if !*exited {
                    *exited = true;
                    say!(
                        "node {} exited ({status}); the others carry on. Start it again with:\n  {} {}",
                        node.id,
                        options.exe.display(),
                        node.args.join(" ")
                    );
                }
            }
        }
    }
    say!("stopping {} nodes", nodes.len());
    stop(&mut nodes).await;
    Ok(())
}

/// Waits until every node accepts HTTP connections (or one exits).
async fn wait_for_http(options: &ClusterOptions, nodes: &mut [Node]) -> Result<(), String> {
    let deadline = tokio::time::Instant::now() + START_TIMEOUT;
    for node in nodes {
        loop {
            if tokio::net::TcpStream::connect(options.http(node.id))
                .await
                .is_ok()
            {
                break;
            }
            let child = node.child.as_mut().expect("spawned");
            if let Ok(Some(status)) = child.try_wait() {
                let log = std::fs::read_to_string(&node.log).unwrap_or_default();
                return Err(format!(
                    "node {} exited ({status}) at start:\n{log}",
                    node.id
                ));
            }
            if tokio::time::Instant::now() > deadline {
                return Err(format!(
                    "node {} did not answer on http://{} within {} s; see {}",
                    node.id,
                    options.http(node.id),
                    START_TIMEOUT.as_secs(),
                    node.log.display()
                ));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    Ok(())
}

fn print_welcome(options: &ClusterOptions, nodes: &[Node]) {
    say!(
        "raftsim cluster: {} nodes, data in {}",
        nodes.len(),
        options.dir.display()
    );
    for node in nodes {
        let pid = node.child.as_ref().and_then(Child::id).unwrap_or(0);
        say!(
            "  node {}: http://{}  (pid {pid}, log {})",
            node.id,
            options.http(node.id),
            node.log.display()
        );
    }
    let first = options.http(1);
    let last = options.http(options.nodes);
    say!("Try (any node takes any request):");
    say!("  curl -X PUT http://{first}/kv/1 -d 42");
    say!("  curl -X POST http://{last}/kv/1/append -d 43");
    say!("  curl http://{last}/kv/1");
    say!("  curl http://{first}/status");
    say!("Kill a node (kill -9 PID) and the others carry on. Ctrl-C stops them all.");
}

/// Asks every node to stop (SIGTERM), waits, then kills what is left.
async fn stop(nodes: &mut [Node]) {
    for node in nodes.iter_mut() {
        if let Some(pid) = node.child.as_ref().and_then(Child::id) {
            let pid = Pid::from_raw(i32::try_from(pid).expect("pids fit i32"));
            let _ = kill(pid, Signal::SIGTERM);
        }
    }
    for node in nodes.iter_mut() {
        let Some(child) = node.child.as_mut() else {
            continue;
        };
        if tokio::time::timeout(STOP_TIMEOUT, child.wait())
            .await
            .is_err()
        {
            let _ = child.kill().await;
        }
    }
}

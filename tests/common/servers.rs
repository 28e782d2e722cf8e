//! Real `raftsim serve` processes on loopback, for the end-to-end test and
//! the loopback benchmark: free ports, starting, killing and stopping
//! servers, and an HTTP client's view of them.

#![allow(dead_code)] // each includer uses its part

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

/// Free loopback ports (bound, read, released).
pub fn free_ports(count: usize) -> Vec<u16> {
    let listeners: Vec<TcpListener> = (0..count)
        .map(|_| TcpListener::bind("127.0.0.1:0").expect("a free port"))
        .collect();
    listeners
        .iter()
        .map(|l| l.local_addr().expect("bound").port())
        .collect()
}

/// A directory removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        let path = std::env::temp_dir().join(format!("raftsim-e2e-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("a temp dir");
        TempDir(path)
    }
}

impl Drop for TempDir {
    /// Kept when a test fails, with the nodes' logs in it, for the post-mortem.
    fn drop(&mut self) {
        if thread::panicking() {
            eprintln!("kept for inspection: {}", self.0.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// One `raftsim serve` process and how to start it again.
pub struct Server {
    pub id: u64,
    pub args: Vec<String>,
    pub http: String,
    pub data: PathBuf,
    pub log: PathBuf,
    pub child: Option<Child>,
}

impl Server {
    pub fn start(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("a log file");
        let child = Command::new(env!("CARGO_BIN_EXE_raftsim"))
            .args(&self.args)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("raftsim serve starts");
        self.child = Some(child);
    }

    pub fn kill_9(&mut self) {
        let mut child = self.child.take().expect("running");
        child.kill().expect("SIGKILL");
        let _ = child.wait();
    }

    /// SIGTERM, and the exit status.
    pub fn terminate(&mut self) -> ExitStatus {
        let mut child = self.child.take().expect("running");
        let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).expect("a pid"));
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).expect("SIGTERM");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = child.try_wait().expect("waits") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "node {} ignored SIGTERM",
                self.id
            );
            thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// The servers; killed if the test fails.
pub struct Servers(pub Vec<Server>);

impl Drop for Servers {
    fn drop(&mut self) {
        for server in &mut self.0 {
            if let Some(mut child) = server.child.take() {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }
}

pub fn servers(dir: &Path, count: usize, extra: &[&str]) -> Servers {
    let ports = free_ports(2 * count);
    let peers = (0..count)
        .map(|i| format!("{}=127.0.0.1:{}", i + 1, ports[i]))
        .collect::<Vec<_>>()
        .join(",");
    Servers(
        (0..count)
            .map(|i| {
                let id = i as u64 + 1;
                let http = format!("127.0.0.1:{}", ports[count + i]);
                let data = dir.join(format!("node-{id}"));
                let mut args: Vec<String> = [
                    "serve",
                    "--id",
                    &id.to_string(),
                    "--peers",
                    &peers,
                    "--data",
                    data.to_str().expect("UTF-8"),
                    "--http",
                    &http,
                ]
                .map(str::to_owned)
                .to_vec();
                args.extend(extra.iter().map(|a| (*a).to_owned()));
                Server {
                    id,
                    args,
                    http,
                    data,
                    log: dir.join(format!("node-{id}.log")),
                    child: None,
                }
            })
            .collect(),
    )
}

/// The seconds a request may take (the server gives up on a write after
/// 10 s and says so).
const REQUEST_TIMEOUT_S: u64 = 20;

/// `GET /status` of the node at `http`, if it answers.
pub fn status(http: &str) -> Option<Value> {
    let response = minreq::get(format!("http://{http}/status"))
        .with_timeout(2)
        .send()
        .ok()?;
    serde_json::from_str(response.as_str().ok()?).ok()
}

/// Waits until every node in `up` names the same leader, one of them;
/// returns its index.
pub fn wait_for_leader(servers: &Servers, up: &[usize]) -> usize {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let leaders: Vec<Option<u64>> = up
            .iter()
            .map(|&i| status(&servers.0[i].http).and_then(|s| s["leader"].as_u64()))
            .collect();
        if let Some(Some(leader)) = leaders.first().copied() {
            let index = usize::try_from(leader - 1).expect("an index");
            if leaders.iter().all(|l| *l == Some(leader)) && up.contains(&index) {
                return index;
            }
        }
        assert!(
            Instant::now() < deadline,
            "no leader agreed on: {leaders:?}"
        );
        thread::sleep(Duration::from_millis(50));
    }
}

/// What happened to a request.
pub enum Answer {
    Ok(Value),
    /// It definitely did not take effect (refused before it was sent).
    Failed,
    /// It may or may not have taken effect.
    Unknown,
}

pub fn request(method: &str, url: &str, body: Option<u64>) -> Answer {
    let method = match method {
        "GET" => minreq::Method::Get,
        "PUT" => minreq::Method::Put,
        "POST" => minreq::Method::Post,
        "DELETE" => minreq::Method::Delete,
        other => panic!("no method {other}"),
    };
    let mut request = minreq::Request::new(method, url).with_timeout(REQUEST_TIMEOUT_S);
    if let Some(value) = body {
        request = request.with_body(value.to_string());
    }
    match request.send() {
        Ok(response) if response.status_code == 200 => {
            let text = response.as_str().expect("UTF-8 answers");
            Answer::Ok(serde_json::from_str(text).expect("JSON answers"))
        }
        Ok(response) => {
            let (code, text) = (response.status_code, response.as_str().unwrap_or(""));
            assert!(code != 400 && code != 404, "{url}: {code} {text}");
            Answer::Unknown
        }
        // Refused before anything was sent: the request never took effect.
        Err(minreq::Error::IoError(err)) if err.kind() == std::io::ErrorKind::ConnectionRefused => {
            Answer::Failed
        }
        Err(_) => Answer::Unknown,
    }
}

/// The status code and body of a request with a body as given (redirects
/// not followed), and where a redirect points.
pub fn raw_answer(method: minreq::Method, url: &str, body: &str) -> (i32, String, Option<String>) {
    let response = minreq::Request::new(method, url)
        .with_body(body)
        .with_timeout(REQUEST_TIMEOUT_S)
        .with_follow_redirects(false)
        .send()
        .expect("an answer");
    let text = response.as_str().unwrap_or("").to_owned();
    let location = response.headers.get("location").cloned();
    (response.status_code, text, location)
}

/// The status code and body of a request with a body as given.
pub fn raw(method: minreq::Method, url: &str, body: &str) -> (i32, String) {
    let (code, text, _) = raw_answer(method, url, body);
    (code, text)
}

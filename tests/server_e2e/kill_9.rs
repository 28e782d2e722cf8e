//! A leader killed with SIGKILL under load, and a lone node killed: nothing
//! acknowledged is lost.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use raft_core::NodeId;
use serde_json::{Value, json};
use server::DataDir;
use sim::host::{Host, Outbox};
use sim::kv::Kv;

use crate::NODES;
use crate::common::{assert_exit, raftsim, stdout};
use crate::servers::{Answer, TempDir, request, servers, status, wait_for_leader};

const KEYS: u64 = 1000;
const CLIENTS: u64 = 8;
/// Give up on the whole test after this long (it takes a few seconds).
const PATIENCE: Duration = Duration::from_secs(120);

/// The history, as `raftsim lincheck` reads it (JSON lines).
#[derive(Default)]
struct History {
    lines: Mutex<Vec<String>>,
}

impl History {
    fn record(&self, kind: &str, process: u64, f: &str, key: u64, value: &Value, started: Instant) {
        let time = u64::try_from(started.elapsed().as_nanos()).expect("fits");
        let line = json!({"type": kind, "process": process, "f": f, "key": key, "value": value, "time": time});
        self.lines
            .lock()
            .expect("not poisoned")
            .push(line.to_string());
    }
}

/// One client: its share of the keys, each put, some appended to, some
/// read back, each request to the next node that is up (any node takes
/// any request). Returns what it knows each key holds, for keys whose
/// every write was acknowledged.
fn client(
    t: u64,
    servers: &[String],
    down: &[AtomicBool],
    done: &AtomicUsize,
    history: &History,
    started: Instant,
) -> BTreeMap<u64, Vec<u64>> {
    let mut process = t;
    let mut known = BTreeMap::new();
    let mut node = usize::try_from(t).expect("small") % servers.len();
    let mut next_node = || loop {
        node = (node + 1) % servers.len();
        if !down[node].load(Ordering::SeqCst) {
            return node;
        }
    };
    for key in (t..KEYS).step_by(CLIENTS as usize) {
        let mut expected = Some(Vec::new());
        let mut ops = vec![("put", Some(key * 10 + 1))];
        if key % 4 == 0 {
            ops.push(("append", Some(key * 10 + 2)));
        }
        if key % 3 == 0 {
            ops.push(("get", None));
        }
        for (f, value) in ops {
            let http = &servers[next_node()];
            let (method, url) = match f {
                "put" => ("PUT", format!("http://{http}/kv/{key}")),
                "append" => ("POST", format!("http://{http}/kv/{key}/append")),
                _ => ("GET", format!("http://{http}/kv/{key}")),
            };
            let written = value.map_or(Value::Null, |v| json!(v));
            history.record("invoke", process, f, key, &written, started);
            match request(method, &url, value) {
                Answer::Ok(body) => {
                    let value = if f == "get" {
                        body["values"].clone()
                    } else {
                        written
                    };
                    history.record("ok", process, f, key, &value, started);
                    match (f, expected.as_mut(), value) {
                        ("put", Some(list), Value::Number(v)) => {
                            *list = vec![v.as_u64().expect("u64")];
                        }
                        ("append", Some(list), Value::Number(v)) => {
                            list.push(v.as_u64().expect("u64"));
                        }
                        _ => {}
                    }
                }
                Answer::Failed => history.record("fail", process, f, key, &Value::Null, started),
                Answer::Unknown if f == "get" => {
                    history.record("fail", process, f, key, &Value::Null, started);
                }
                Answer::Unknown => {
                    history.record("info", process, f, key, &Value::Null, started);
                    // Jepsen's rule: a process whose request may be in
                    // flight forever is gone; a new one takes its place.
                    process += CLIENTS;
                    expected = None;
                }
            }
            done.fetch_add(1, Ordering::SeqCst);
        }
        if let Some(list) = expected {
            known.insert(key, list);
        }
    }
    known
}

/// Waits until the clients have done `count` operations, or have all
/// stopped (a client that failed an assertion ends: joining it reports why).
fn wait_until<T>(
    done: &AtomicUsize,
    count: usize,
    started: Instant,
    clients: &[thread::JoinHandle<T>],
) {
    while done.load(Ordering::SeqCst) < count {
        if clients.iter().all(thread::JoinHandle::is_finished) {
            return;
        }
        assert!(
            started.elapsed() < PATIENCE,
            "the clients stalled at {} operations",
            done.load(Ordering::SeqCst)
        );
        thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn three_processes_survive_a_kill_9_of_the_leader_and_lose_nothing_acknowledged() {
    let dir = TempDir::new("kill9");
    // Snapshots during the run, so restarts and laggards go through
    // compaction and InstallSnapshot.
    let mut servers = servers(&dir.0, NODES, &["--snapshot-every", "300"]);
    for server in &mut servers.0 {
        server.start();
    }
    let all: Vec<usize> = (0..NODES).collect();
    wait_for_leader(&servers, &all);

    let https: Vec<String> = servers.0.iter().map(|s| s.http.clone()).collect();
    let down: Arc<Vec<AtomicBool>> = Arc::new((0..NODES).map(|_| AtomicBool::new(false)).collect());
    let done = Arc::new(AtomicUsize::new(0));
    let history = Arc::new(History::default());
    let started = Instant::now();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|t| {
            let (https, down, done, history) =
                (https.clone(), down.clone(), done.clone(), history.clone());
            thread::spawn(move || client(t, &https, &down, &done, &history, started))
        })
        .collect();

    // A third of the way in, kill -9 the leader; keep writing; restart it.
    wait_until(&done, 500, started, &clients);
    let leader = wait_for_leader(&servers, &all);
    down[leader].store(true, Ordering::SeqCst);
    servers.0[leader].kill_9();
    let killed_at = done.load(Ordering::SeqCst);
    wait_until(&done, killed_at + 300, started, &clients);
    let survivors: Vec<usize> = all.iter().copied().filter(|&i| i != leader).collect();
    wait_for_leader(&servers, &survivors);
    servers.0[leader].start();
    down[leader].store(false, Ordering::SeqCst);

    let mut known = BTreeMap::new();
    for client in clients {
        known.extend(client.join().expect("a client thread"));
    }
    let operations = done.load(Ordering::SeqCst);
    assert!(operations >= 1500, "{operations} operations");
    let count = |kind: &str| {
        let lines = history.lines.lock().expect("not poisoned");
        lines
            .iter()
            .filter(|l| l.contains(&format!("\"type\":\"{kind}\"")))
            .count()
    };
    eprintln!(
        "{operations} operations in {:.1} s: {} ok, {} failed, {} unknown; node {} killed after {killed_at}",
        started.elapsed().as_secs_f64(),
        count("ok"),
        count("fail"),
        count("info"),
        leader + 1
    );

    // Every node catches up to the same applied index.
    let deadline = Instant::now() + Duration::from_secs(30);
    let applied = loop {
        let statuses: Vec<Option<Value>> = https.iter().map(|h| status(h)).collect();
        let indexes: Vec<Option<u64>> = statuses
            .iter()
            .map(|s| s.as_ref().and_then(|s| s["applied"].as_u64()))
            .collect();
        if indexes.iter().all(|i| i.is_some() && *i == indexes[0]) {
            break indexes[0].expect("checked");
        }
        assert!(
            Instant::now() < deadline,
            "the nodes did not converge: {indexes:?}\n{}",
            servers.0[leader].log_text()
        );
        thread::sleep(Duration::from_millis(50));
    };
    assert!(applied as usize >= known.len(), "applied {applied}");
    // Their status: one leader, which sees every node caught up; followers
    // that name it and report no progress of others.
    let statuses: Vec<Value> = https.iter().map(|h| status(h).expect("a status")).collect();
    let leading: Vec<&Value> = statuses.iter().filter(|s| s["role"] == "leader").collect();
    assert_eq!(leading.len(), 1, "{statuses:?}");
    let leader_id = leading[0]["node"].clone();
    let matched: Vec<(u64, u64)> = leading[0]["progress"]
        .as_array()
        .expect("the leader's progress")
        .iter()
        .map(|p| {
            (
                p["node"].as_u64().expect("id"),
                p["matched"].as_u64().expect("index"),
            )
        })
        .collect();
    let last_index = leading[0]["last_index"].as_u64().expect("an index");
    assert_eq!(
        matched,
        vec![(1, last_index), (2, last_index), (3, last_index)]
    );
    // Every node knows the others' peer and HTTP addresses (from the
    // command line and their hellos), and where the leader serves clients.
    let raft_addrs: Vec<&str> = servers.0[0].args[4]
        .split(',')
        .map(|p| p.split_once('=').expect("id=address").1)
        .collect();
    let leader_index = usize::try_from(leader_id.as_u64().expect("an id") - 1).expect("small");
    for (i, status) in statuses.iter().enumerate() {
        let others: Vec<Value> = (0..NODES)
            .filter(|&j| j != i)
            .map(|j| json!({"node": j + 1, "raft_addr": raft_addrs[j], "http_addr": https[j]}))
            .collect();
        assert_eq!(status["peers"], json!(others), "node {}", i + 1);
        assert_eq!(
            status["leader_http"],
            json!(https[leader_index]),
            "node {}",
            i + 1
        );
    }
    for follower in statuses.iter().filter(|s| s["node"] != leader_id) {
        assert_eq!(follower["role"], "follower", "{follower}");
        assert_eq!(follower["leader"], leader_id, "{follower}");
        assert_eq!(follower["progress"], json!([]), "{follower}");
    }

    // Every acknowledged write is readable, linearizably through any node,
    // and every node's state machine holds the same lists.
    let final_process = 10_000;
    for key in 0..KEYS {
        let http = &https[usize::try_from(key).expect("small") % NODES];
        history.record("invoke", final_process, "get", key, &Value::Null, started);
        let Answer::Ok(body) = request("GET", &format!("http://{http}/kv/{key}"), None) else {
            panic!("the final read of key {key} failed");
        };
        history.record("ok", final_process, "get", key, &body["values"], started);
        let read: Vec<u64> = serde_json::from_value(body["values"].clone()).expect("a list");
        if let Some(expected) = known.get(&key) {
            assert_eq!(&read, expected, "key {key}: its acknowledged writes");
        }
        for other in &https {
            let Answer::Ok(local) =
                request("GET", &format!("http://{other}/kv/{key}?stale=1"), None)
            else {
                panic!("a stale read of key {key} at {other} failed");
            };
            assert_eq!(local["values"], body["values"], "key {key} at {other}");
        }
    }
    assert!(
        known.len() as u64 > KEYS * 9 / 10,
        "only {} keys had every write acknowledged",
        known.len()
    );

    // The history goes through the linearizability checker.
    let history_file = dir.0.join("history.jsonl");
    let lines = history.lines.lock().expect("not poisoned").join("\n");
    std::fs::write(&history_file, lines).expect("writes");
    let verdict = raftsim(&["lincheck", history_file.to_str().expect("UTF-8")]);
    assert_exit(&verdict, 0);
    assert!(
        stdout(&verdict).contains("linearizable"),
        "{}",
        stdout(&verdict)
    );

    // Clean shutdown, then each directory boots in the simulator to the
    // same state machine: one format.
    for server in &mut servers.0 {
        let status = server.terminate();
        assert!(
            status.success(),
            "node {} exited {status}:\n{}",
            server.id,
            server.log_text()
        );
    }
    let states: Vec<Kv> = servers
        .0
        .iter()
        .map(|s| boot_in_the_simulator(&s.data, s.id))
        .collect();
    for (server, kv) in servers.0.iter().zip(&states) {
        assert_eq!(
            kv.digest(),
            states[0].digest(),
            "node {}'s directory boots to another state",
            server.id
        );
        for (key, expected) in &known {
            assert_eq!(
                &kv.read(u32::try_from(*key).expect("small")),
                expected,
                "node {} key {key}",
                server.id
            );
        }
    }
}

/// The state machine a simulated host rebuilds from a real directory.
fn boot_in_the_simulator(data: &Path, id: u64) -> Kv {
    let dir = DataDir::open(data, NodeId(id)).expect("the server's directory opens");
    let config = raft_core::Config::new(NodeId(id), (1..=NODES as u64).map(NodeId));
    let slot = sim::slot::NodeSlot::of_id(NodeId(id)).expect("a slot");
    let mut host = Host::new(slot, sim::sut::Sut::RAFT_CORE, config, 10_000_000);
    host.disk = dir.disk();
    let mut out = Outbox::default();
    assert!(host.boot(&mut out), "{:?}", host.boot_error);
    host.pump(&mut out);
    while let Some(token) = out.sync.take() {
        host.on_synced(token, &mut out);
    }
    host.kv().clone()
}

/// A lone node holds the only copy: what it acknowledged must be on its
/// disk, not only in its memory, when it is killed.
#[test]
fn a_lone_node_killed_9_keeps_every_write_it_acknowledged() {
    let dir = TempDir::new("lone");
    let mut servers = servers(&dir.0, 1, &[]);
    servers.0[0].start();
    wait_for_leader(&servers, &[0]);
    let http = servers.0[0].http.clone();
    let keys = 0..60u64;
    for key in keys.clone() {
        for value in [key, key + 1000] {
            let verb = if value == key { "PUT" } else { "POST" };
            let path = if value == key { "" } else { "/append" };
            let answer = request(verb, &format!("http://{http}/kv/{key}{path}"), Some(value));
            assert!(matches!(answer, Answer::Ok(_)), "key {key} acknowledged");
        }
    }
    servers.0[0].kill_9();
    servers.0[0].start();
    wait_for_leader(&servers, &[0]);
    for key in keys {
        let Answer::Ok(read) = request("GET", &format!("http://{http}/kv/{key}"), None) else {
            panic!("key {key} unreadable");
        };
        assert_eq!(read["values"], json!([key, key + 1000]), "key {key}");
    }
}

//! The host in production, end to end: three real `raftsim serve`
//! processes on loopback, eight concurrent HTTP clients writing 1,000 keys,
//! the leader killed with SIGKILL mid-run and restarted; then every
//! acknowledged write must be readable, the nodes' state machines must
//! converge, the client history must be linearizable (`raftsim lincheck`),
//! and each node's data directory must boot in the simulator to the same
//! state. And the other way round: a simulated node's disk, written to a
//! directory, serves its data through a real server.

mod common;
#[path = "common/servers.rs"]
mod servers;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use common::{assert_exit, raftsim, stdout};
use raft_core::NodeId;
use serde_json::{Value, json};
use server::DataDir;
use servers::{Answer, Servers, TempDir, request, servers, status, wait_for_leader};
use sim::host::{Host, Outbox};
use sim::kv::Kv;

const NODES: usize = 3;
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

#[test]
fn a_simulated_nodes_disk_serves_its_data_through_a_real_server() {
    let dir = TempDir::new("from-sim");
    let data = dir.0.join("node-1");
    // A one-node simulated cluster under load, stopped at a moment when
    // everything in its log is applied.
    let spec = sim::world::ClusterSpec {
        nodes: 1,
        clients: 4,
        snapshot_every_entries: Some(20),
        ..sim::world::ClusterSpec::default()
    };
    let mut world = sim::world::World::new(spec, 5);
    loop {
        world.step().expect("a healthy cluster");
        let host = &world.hosts[0];
        let settled = host.node().is_some_and(|n| {
            n.log().applied() == n.log().last_index() && n.log().applied().0 > 100
        });
        if world.now_ns > 2_000_000_000 && settled && !host.is_mid_write() {
            break;
        }
        assert!(
            world.now_ns < 60_000_000_000,
            "the simulated node never settled"
        );
    }
    let host = &world.hosts[0];
    assert!(host.compactions > 0, "the disk holds a snapshot too");
    let mut written = DataDir::open(&data, NodeId(1)).expect("a fresh directory");
    written.follow(&host.disk).expect("written");
    written.sync().expect("synced");
    drop(written);

    let mut servers = servers(&dir.0, 1, &[]);
    servers.0[0].start();
    wait_for_leader(&servers, &[0]);
    let http = servers.0[0].http.clone();
    let mut nonempty = 0;
    for key in 0..4u32 {
        let Answer::Ok(body) = request("GET", &format!("http://{http}/kv/{key}"), None) else {
            panic!("reading key {key} failed:\n{}", servers.0[0].log_text());
        };
        let read: Vec<u64> = serde_json::from_value(body["values"].clone()).expect("a list");
        assert_eq!(read, host.kv().read(key), "key {key}");
        nonempty += usize::from(!read.is_empty());
    }
    assert!(nonempty > 0, "the simulated clients wrote something");

    // Bad requests are refused with why, and change nothing.
    use minreq::Method::{Delete, Get, Post, Put};
    let reserved = sim::kv::DIRECT_PROPOSAL_KEY;
    for (method, path, body, says) in [
        (
            Put,
            "/kv/1",
            "forty-two",
            "values are unsigned 64-bit integers",
        ),
        (Put, "/kv/x", "1", "keys are integers"),
        (Put, &format!("/kv/{reserved}"), "1", "reserved"),
        (Get, "/kv/1?stale=maybe", "", "stale=1"),
        (Post, "/members", "{\"node\": 4}", "expected {\"id\": 4"),
        (Post, "/members", "{\"id\": 0}", "node ids run from 1"),
        (Delete, "/members/abc", "", "node ids run from 1"),
        (Post, "/transfer-leader/70000", "", "node ids run from 1"),
    ] {
        let (code, text) = servers::raw(method, &format!("http://{http}{path}"), body);
        assert_eq!(code, 400, "{path}: {text}");
        assert!(text.contains(says), "{path}: {text}");
    }
    let Answer::Ok(body) = request("GET", &format!("http://{http}/kv/1"), None) else {
        panic!("reading key 1 failed");
    };
    assert_eq!(body["values"], serde_json::json!(host.kv().read(1)));
    assert!(servers.0[0].terminate().success());
}

#[test]
fn serve_refuses_a_foreign_or_another_nodes_directory_and_leaves_it_untouched() {
    let dir = TempDir::new("refuse");
    let foreign = dir.0.join("foreign");
    std::fs::create_dir_all(&foreign).expect("made");
    std::fs::write(foreign.join("precious.db"), "not ours").expect("written");
    let node_1 = dir.0.join("node-1");
    DataDir::open(&node_1, NodeId(1)).expect("node 1's directory");
    let before = std::fs::read_dir(&node_1).expect("listed").count();
    for (data, id, says) in [
        (
            &foreign,
            "1",
            "not a raftsim data directory; refusing to touch it",
        ),
        (&node_1, "2", "for node 1; this is format 1, node 2"),
    ] {
        let peers = format!("{id}=127.0.0.1:1");
        let output = raftsim(&[
            "serve",
            "--id",
            id,
            "--peers",
            &peers,
            "--data",
            data.to_str().expect("UTF-8"),
            "--http",
            "127.0.0.1:0",
        ]);
        assert_exit(&output, 2);
        let err = common::stderr(&output);
        assert!(err.contains(says), "{err}");
    }
    assert_eq!(
        std::fs::read_to_string(foreign.join("precious.db")).expect("kept"),
        "not ours"
    );
    assert_eq!(std::fs::read_dir(&foreign).expect("listed").count(), 1);
    assert_eq!(std::fs::read_dir(&node_1).expect("listed").count(), before);
}

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

/// Followers never send each other anything, yet a restarted follower
/// learns where every peer serves clients: peers notice the closed
/// connection and dial it again with their hello.
#[test]
fn a_restarted_follower_hears_from_every_peer() {
    let dir = TempDir::new("restarted-follower");
    let mut servers = servers(&dir.0, NODES, &[]);
    for server in &mut servers.0 {
        server.start();
    }
    let all: Vec<usize> = (0..NODES).collect();
    let leader = wait_for_leader(&servers, &all);
    let follower = (leader + 1) % NODES;
    servers.0[follower].kill_9();
    servers.0[follower].start();
    let https: Vec<String> = servers.0.iter().map(|s| s.http.clone()).collect();
    let others: Vec<Value> = (0..NODES)
        .filter(|&j| j != follower)
        .map(|j| json!(https[j]))
        .collect();
    wait_for_status(&servers, &[follower], "every peer's address", |s| {
        let known: Vec<Value> = s["peers"]
            .as_array()
            .map(|peers| peers.iter().map(|p| p["http_addr"].clone()).collect())
            .unwrap_or_default();
        known == others
    });
}

#[test]
fn a_node_joins_takes_the_lead_and_another_leaves_over_http() {
    use minreq::Method::{Delete, Post, Put};
    let dir = TempDir::new("members");
    let mut servers = servers(&dir.0, 3, &[]);
    for server in &mut servers.0 {
        server.start();
    }
    let leader = wait_for_leader(&servers, &[0, 1, 2]);
    let put = request(
        "PUT",
        &format!("http://{}/kv/1", servers.0[1].http),
        Some(5),
    );
    assert!(matches!(put, Answer::Ok(_)));

    // Node 4 starts outside the configuration and dials the others.
    let mut joining = servers::servers(&dir.0, 4, &["--join"]).0.remove(3);
    let bootstrap_peers = servers.0[0].args[4].clone();
    let own_peer = joining.args[4]
        .rsplit(',')
        .next()
        .expect("node 4's address")
        .to_owned();
    joining.args[4] = format!("{bootstrap_peers},{own_peer}");
    joining.start();
    servers.0.push(joining);

    // A follower sends the operator to the leader.
    let follower = (leader + 1) % 3;
    let (code, _, location) = servers::raw_answer(
        Post,
        &format!("http://{}/members", servers.0[follower].http),
        r#"{"id": 4}"#,
    );
    assert_eq!(code, 307);
    let location = location.expect("a Location");
    assert_eq!(
        location,
        format!("http://{}/members", servers.0[leader].http)
    );
    let (code, text) = servers::raw(Post, &location, r#"{"id": 4}"#);
    assert_eq!(code, 202, "{text}");
    let all = [0, 1, 2, 3];
    wait_for_status(&servers, &all, "node 4 a voter", |s| {
        s["voters"] == json!([1, 2, 3, 4])
    });
    let Answer::Ok(read) = request("GET", &format!("http://{}/kv/1", servers.0[3].http), None)
    else {
        panic!("node 4 cannot read");
    };
    assert_eq!(read["values"], json!([5]));

    // The leadership moves to node 4, which then removes node 1.
    let (code, text) = servers::raw(
        Post,
        &format!("http://{}/transfer-leader/4", servers.0[leader].http),
        "",
    );
    assert_eq!(code, 202, "{text}");
    wait_for_status(&servers, &all, "node 4 the leader", |s| {
        s["leader"] == json!(4)
    });
    let (code, text) = servers::raw(
        Delete,
        &format!("http://{}/members/1", servers.0[3].http),
        "",
    );
    assert_eq!(code, 202, "{text}");
    wait_for_status(&servers, &[1, 2, 3], "node 1 removed", |s| {
        s["voters"] == json!([2, 3, 4])
    });
    let (code, text) = servers::raw(Put, &format!("http://{}/kv/1", servers.0[1].http), "6");
    assert_eq!(code, 200, "{text}");
    let Answer::Ok(read) = request("GET", &format!("http://{}/kv/1", servers.0[2].http), None)
    else {
        panic!("node 3 cannot read");
    };
    assert_eq!(read["values"], json!([6]));
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

/// A base port whose next `count` ports are free on loopback.
fn free_port_run(count: u16, avoid: u16) -> u16 {
    let start = 20_000 + u16::try_from(std::process::id() % 20_000).expect("fits");
    (0..400)
        .map(|i| start.wrapping_add(i * 10) % 60_000 + 1_024)
        .find(|&base| {
            (base + 10 < avoid || base > avoid + 10)
                && (1..=count).all(|i| std::net::TcpListener::bind(("127.0.0.1", base + i)).is_ok())
        })
        .expect("a run of free ports")
}

/// A `raftsim cluster` process, stopped (SIGTERM: it stops its nodes) when
/// the test ends, however it ends.
struct ClusterProcess(std::process::Child);

impl ClusterProcess {
    /// SIGTERM, and the exit status.
    fn terminate(&mut self) -> std::process::ExitStatus {
        let pid = i32::try_from(self.0.id()).expect("a pid");
        let _gone = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(pid),
            nix::sys::signal::Signal::SIGTERM,
        );
        self.0.wait().expect("waits")
    }
}

impl Drop for ClusterProcess {
    fn drop(&mut self) {
        if self.0.try_wait().ok().flatten().is_none() {
            self.terminate();
        }
    }
}

#[test]
fn cluster_prints_curl_lines_that_work_and_carries_on_after_a_kill_9() {
    use std::io::{BufRead, BufReader};
    let dir = TempDir::new("cluster");
    let raft_port = free_port_run(3, 0);
    let http_port = free_port_run(3, raft_port);
    let mut cluster = std::process::Command::new(env!("CARGO_BIN_EXE_raftsim"))
        .args([
            "cluster",
            "--nodes",
            "3",
            "--dir",
            dir.0.to_str().expect("UTF-8"),
            "--raft-port",
            &raft_port.to_string(),
            "--http-port",
            &http_port.to_string(),
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("raftsim cluster starts");
    let mut lines = BufReader::new(cluster.stdout.take().expect("piped")).lines();
    let mut cluster = ClusterProcess(cluster);
    let mut printed = Vec::new();
    for line in lines.by_ref() {
        let line = line.expect("UTF-8");
        let done = line.contains("Ctrl-C");
        printed.push(line);
        if done {
            break;
        }
    }
    let text = printed.join("\n");
    let pids: Vec<i32> = printed
        .iter()
        .filter_map(|l| l.split("(pid ").nth(1)?.split(',').next()?.parse().ok())
        .collect();
    assert_eq!(pids.len(), 3, "{text}");

    // The curl lines, as a user pastes them.
    let curls: Vec<&String> = printed
        .iter()
        .filter(|l| l.trim_start().starts_with("curl "))
        .collect();
    assert!(curls.len() >= 4, "{text}");
    let run_curl = |line: &str| -> (i32, String) {
        let words: Vec<&str> = line.split_whitespace().collect();
        let method = match words.iter().position(|w| *w == "-X").map(|i| words[i + 1]) {
            Some("PUT") => minreq::Method::Put,
            Some("POST") => minreq::Method::Post,
            _ => minreq::Method::Get,
        };
        let url = words
            .iter()
            .find(|w| w.starts_with("http://"))
            .expect("a URL");
        let body = words
            .iter()
            .position(|w| *w == "-d")
            .map_or("", |i| words[i + 1]);
        servers::raw(method, url, body)
    };
    let mut answers = Vec::new();
    for curl in &curls {
        let (code, body) = run_curl(curl);
        assert_eq!(code, 200, "{curl}: {body}");
        answers.push(body);
    }
    assert!(
        answers.iter().any(|a| a.contains("\"values\":[42,43]")),
        "{answers:?}"
    );

    // kill -9 the leader: the others carry on, and cluster says how to restart it.
    let status: Value = serde_json::from_str(&answers[3]).expect("status JSON");
    let leader = usize::try_from(status["leader"].as_u64().expect("a leader")).expect("small") - 1;
    let pid = nix::unistd::Pid::from_raw(pids[leader]);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL).expect("killed");
    let exited = lines.next().expect("a line").expect("UTF-8");
    assert!(
        exited.contains(&format!("node {} exited", leader + 1)),
        "{exited}"
    );
    let restart = lines.next().expect("a line").expect("UTF-8");
    assert!(
        restart.contains("serve --id") && restart.contains("--data"),
        "{restart}"
    );
    let survivor = (leader + 1) % 3;
    let (code, body) = servers::raw(
        minreq::Method::Put,
        &format!(
            "http://127.0.0.1:{}/kv/2",
            http_port + u16::try_from(survivor + 1).expect("small")
        ),
        "7",
    );
    let statuses: Vec<(i32, String)> = (1..=3u16)
        .filter(|i| usize::from(*i) != leader + 1)
        .map(|i| {
            servers::raw(
                minreq::Method::Get,
                &format!("http://127.0.0.1:{}/status", http_port + i),
                "",
            )
        })
        .collect();
    assert_eq!(code, 200, "{body} {statuses:?}");

    // SIGTERM stops every node, cleanly.
    assert!(cluster.terminate().success());
    for (i, pid) in pids.iter().enumerate().filter(|(i, _)| *i != leader) {
        let alive = nix::sys::signal::kill(nix::unistd::Pid::from_raw(*pid), None).is_ok();
        assert!(!alive, "node {} still runs", i + 1);
    }
}

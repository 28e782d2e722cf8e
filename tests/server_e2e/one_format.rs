//! One format both ways: a simulated node's disk serves through a real
//! server; a directory that is not this node's is refused untouched.

use raft_core::NodeId;
use server::DataDir;

use crate::common::{self, assert_exit, raftsim};
use crate::servers::{self, Answer, TempDir, request, wait_for_leader};

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

    let mut servers = servers::servers(&dir.0, 1, &[]);
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

//! Membership over HTTP: a node joins, takes the lead, another leaves; a
//! restarted follower hears from every peer.

use serde_json::{Value, json};

use crate::servers::{self, Answer, TempDir, request, wait_for_leader};
use crate::{NODES, wait_for_status};

/// Followers never send each other anything, yet a restarted follower
/// learns where every peer serves clients: peers notice the closed
/// connection and dial it again with their hello.
#[test]
fn a_restarted_follower_hears_from_every_peer() {
    let dir = TempDir::new("restarted-follower");
    let mut servers = servers::servers(&dir.0, NODES, &[]);
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
    let mut servers = servers::servers(&dir.0, 3, &[]);
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

//! `raftsim cluster` as a new user meets it: the printed curl lines work,
//! and the cluster carries on after a kill -9.

use serde_json::Value;

use crate::servers::{self, TempDir};

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

//! `--sut`: every driver runs tikv's raft-rs through its adapter, and what
//! it cannot do is refused (a pin) or skipped (a scenario), with the reason.

mod common;

use common::*;

#[test]
fn a_raft_rs_seed_runs_and_replays_bit_for_bit() {
    let first = raftsim(&["--seed", "5", "--sut", "raft-rs"]);
    assert_exit(&first, 0);
    let text = stdout(&first);
    assert!(text.contains("raft (raft-rs):"), "{text}");
    let again = raftsim(&["--seed", "5", "--sut", "raft-rs"]);
    let hash = |t: &str| {
        t.lines()
            .find(|l| l.contains("trace hash"))
            .map(str::to_string)
    };
    assert_eq!(hash(&text), hash(&stdout(&again)));
    // Another Raft, another run: the hash is not raft-core's.
    assert_ne!(hash(&text), hash(&stdout(&raftsim(&["--seed", "5"]))));
}

#[test]
fn a_raft_rs_swarm_passes() {
    let output = raftsim(&[
        "swarm", "--seeds", "0..40", "--sut", "raft-rs", "--jobs", "2",
    ]);
    assert_exit(&output, 0);
    assert!(
        stdout(&output).contains("40 runs, 0 failed"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn pins_raft_rs_cannot_honour_are_usage_errors_with_the_reason() {
    for args in [
        &["--seed", "1", "--sut", "raft-rs", "--membership", "on"][..],
        &[
            "swarm",
            "--seeds",
            "0..2",
            "--sut",
            "raft-rs",
            "--break",
            "commit-previous-term",
        ],
        &["check", "--sut", "raft-rs", "--max-conf-changes", "1"],
        &["check", "--sut", "raft-rs", "--symmetry"],
    ] {
        let output = raftsim(args);
        assert_exit(&output, 2);
        assert!(
            stderr(&output).contains("raft-rs"),
            "{args:?}: {}",
            stderr(&output)
        );
    }
    let output = raftsim(&["--seed", "1", "--sut", "etcd"]);
    assert_exit(&output, 2);
    assert!(
        stderr(&output).contains("raft-core, raft-rs"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn scenarios_run_on_raft_rs_or_are_skipped_naming_the_step() {
    let dir = std::env::temp_dir().join(format!("raftsim-sut-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let plain = dir.join("plain.scn");
    std::fs::write(
        &plain,
        "cluster 3\nclients 2 rate=50/s\nrun 2s\ncrash leader\nrun 2s\nrestart all\nclients 0\nexpect clients done within 10s\nexpect linearizable\n",
    )
    .expect("write");
    let membership = dir.join("membership.scn");
    std::fs::write(&membership, "cluster 3\nrun 1s\nadd 4\nrun 1s\n").expect("write");
    let output = raftsim(&[
        "scenario",
        "--sut",
        "raft-rs",
        plain.to_str().expect("utf-8"),
        membership.to_str().expect("utf-8"),
    ]);
    assert_exit(&output, 0);
    let text = stdout(&output);
    assert!(text.contains("PASS"), "{text}");
    assert!(
        text.contains("SKIP") && text.contains("membership") && text.contains("membership.scn:3:1"),
        "{text}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn the_model_checker_explores_raft_rs_and_finds_a_broken_host() {
    let dir = std::env::temp_dir().join(format!("raftsim-sut-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let found = dir.join("found.scn");
    let output = raftsim(&[
        "check",
        "--sut",
        "raft-rs",
        "--nodes",
        "3",
        "--max-term",
        "2",
        "--max-crashes",
        "1",
        "--max-depth",
        "6",
        "--break",
        "forget-vote-on-boot",
        "-o",
        found.to_str().expect("utf-8"),
    ]);
    assert_exit(&output, 1);
    let text = std::fs::read_to_string(&found).expect("the counterexample");
    assert!(text.contains("# runs on: raft-rs"), "{text}");
    let replayed = raftsim(&[
        "scenario",
        "--sut",
        "raft-rs",
        "--break",
        "forget-vote-on-boot",
        found.to_str().expect("utf-8"),
    ]);
    assert_exit(&replayed, 1);
    assert!(
        stdout(&replayed).contains("monotonicity"),
        "{}",
        stdout(&replayed)
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_failing_raft_rs_seed_shrinks_to_a_scenario_that_replays_on_raft_rs() {
    let swarm = raftsim(&[
        "swarm",
        "--seeds",
        "0..40",
        "--sut",
        "raft-rs",
        "--break",
        "forget-vote-on-boot",
        "--json",
        "--jobs",
        "2",
    ]);
    let seed = stdout(&swarm)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|l| l["ok"] == false)
        .filter_map(|l| l["seed"].as_u64())
        .min()
        .expect("a host that forgets its vote is caught in 40 seeds");
    let dir = std::env::temp_dir().join(format!("raftsim-sut-shrink-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let out = dir.join("shrunk.scn");
    let seed = seed.to_string();
    let shrunk = raftsim(&[
        "shrink",
        "--seed",
        &seed,
        "--sut",
        "raft-rs",
        "--break",
        "forget-vote-on-boot",
        "-o",
        out.to_str().expect("utf-8"),
    ]);
    assert_exit(&shrunk, 0);
    assert!(
        stdout(&shrunk).contains("--sut raft-rs"),
        "the replay command names the Raft: {}",
        stdout(&shrunk)
    );
    let replayed = raftsim(&[
        "scenario",
        "--sut",
        "raft-rs",
        "--break",
        "forget-vote-on-boot",
        out.to_str().expect("utf-8"),
    ]);
    assert_exit(&replayed, 1);
    std::fs::remove_dir_all(&dir).ok();
}

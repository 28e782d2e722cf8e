//! `--sut`: every driver runs tikv's raft-rs through its adapter, and what
//! it cannot do is refused (a pin) or skipped (a scenario), with the reason.

mod common;

use common::*;

/// The first seed of `0..40` whose raft-rs run the flags make fail.
fn failing_raft_rs_seed(flags: &[&str]) -> String {
    let mut args = vec!["swarm", "--seeds", "0..40", "--sut", "raft-rs", "--json"];
    args.extend_from_slice(flags);
    json_lines(&stdout(&raftsim(&args)))
        .into_iter()
        .filter(|l| l["ok"] == false)
        .filter_map(|l| l["seed"].as_u64())
        .min()
        .unwrap_or_else(|| panic!("{flags:?} is caught in 40 seeds"))
        .to_string()
}

#[test]
fn a_raft_rs_seed_runs_and_replays_bit_for_bit() {
    let first = raftsim(&["--seed", "5", "--sut", "raft-rs"]);
    assert_exit(&first, 0);
    let text = stdout(&first);
    assert!(text.contains("raft (raft-rs):"), "{text}");
    let again = raftsim(&["--seed", "5", "--sut", "raft-rs"]);
    assert_eq!(printed_hash(&text), printed_hash(&stdout(&again)));
    // Another Raft, another run: the hash is not raft-core's.
    let core = raftsim(&["--seed", "5"]);
    assert_ne!(printed_hash(&text), printed_hash(&stdout(&core)));
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
        assert_usage_error(args, "raft-rs");
    }
    assert_usage_error(&["--seed", "1", "--sut", "etcd"], "raft-core, raft-rs");
}

#[test]
fn scenarios_run_on_raft_rs_or_are_skipped_naming_the_step() {
    let plain = TempFile::new("sut-plain.scn");
    std::fs::write(
        &plain.0,
        "cluster 3\nclients 2 rate=50/s\nrun 2s\ncrash leader\nrun 2s\nrestart all\nclients 0\nexpect clients done within 10s\nexpect linearizable\n",
    )
    .expect("write");
    let membership = TempFile::new("sut-membership.scn");
    std::fs::write(&membership.0, "cluster 3\nrun 1s\nadd 4\nrun 1s\n").expect("write");
    let output = raftsim(&[
        "scenario",
        "--sut",
        "raft-rs",
        plain.arg(),
        membership.arg(),
    ]);
    assert_exit(&output, 0);
    let text = stdout(&output);
    assert!(text.contains("PASS"), "{text}");
    assert!(
        text.contains("SKIP")
            && text.contains("membership")
            && text.contains("sut-membership.scn:3:1"),
        "{text}"
    );
}

#[test]
fn the_model_checker_explores_raft_rs_and_finds_a_broken_host() {
    let found = TempFile::new("sut-found.scn");
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
        found.arg(),
    ]);
    assert_exit(&output, 1);
    let text = std::fs::read_to_string(&found.0).expect("the counterexample");
    assert!(text.contains("# runs on: raft-rs"), "{text}");
    let replay = [
        "scenario",
        "--sut",
        "raft-rs",
        "--break",
        "forget-vote-on-boot",
    ];
    let replayed = raftsim(&[&replay[..], &[found.arg()]].concat());
    assert_exit(&replayed, 1);
    assert!(
        stdout(&replayed).contains("monotonicity"),
        "{}",
        stdout(&replayed)
    );
}

#[test]
fn a_failing_raft_rs_seed_shrinks_to_a_scenario_that_replays_on_raft_rs() {
    let seed = failing_raft_rs_seed(&["--break", "forget-vote-on-boot", "--jobs", "2"]);
    let out = TempFile::new("sut-shrunk.scn");
    let flags = ["--sut", "raft-rs", "--break", "forget-vote-on-boot"];
    let shrunk = raftsim(&[&["shrink", "--seed", &seed][..], &flags, &["-o", out.arg()]].concat());
    assert_exit(&shrunk, 0);
    assert!(
        stdout(&shrunk).contains("--sut raft-rs"),
        "the replay command names the Raft: {}",
        stdout(&shrunk)
    );
    let replayed = raftsim(&[&["scenario"][..], &flags, &[out.arg()]].concat());
    assert_exit(&replayed, 1);
}

//! raft-rs in the simulator, through the adapter: a bounded swarm, the
//! scenario library, determinism, forking by replay, and the checkers
//! judging it (a host that breaks a rule around raft-rs is caught).

use raft_core::{Config, NodeId, Restored, Role};
use raft_rs_adapter::SUT;
use sim::run::{RunOptions, RunReport, run};
use sim::scenario::needs::unsupported_step;
use sim::scenario::{parse, run_scenario_on};

fn options(seed: u64) -> RunOptions {
    let mut options = RunOptions::new(seed);
    options.spec.sut = SUT;
    options
}

fn failure(report: &RunReport) -> String {
    format!(
        "seed {}: {:?} {:?}",
        report.seed, report.failure, report.inconclusive
    )
}

/// The CI's bounded swarm on raft-rs: every seed passes every checker, and
/// between them they elect leaders, crash and restart nodes, send and
/// install snapshots, and serve clients.
#[test]
fn a_bounded_swarm_of_raft_rs_passes_and_exercises_its_features() {
    let (mut restarts, mut installed, mut committed, mut ok_ops) = (0, 0, 0, 0);
    for seed in 0..120 {
        let report = run(&options(seed), None);
        assert!(
            report.failure.is_none() && report.inconclusive.is_none(),
            "{}",
            failure(&report)
        );
        restarts += report.world.restarts;
        installed += report.world.snapshots_installed;
        committed += report.committed;
        ok_ops += report.ops.ok;
    }
    assert!(restarts > 50, "restarts {restarts}");
    assert!(installed > 20, "snapshots installed {installed}");
    assert!(committed > 10_000, "committed {committed}");
    assert!(ok_ops > 10_000, "client operations {ok_ops}");
}

/// Under load with snapshots every 3 entries, installs race the hosts'
/// own compactions (a snapshot installed but not yet handed out while a
/// compaction's fsync completes): the adapter must refuse the compaction
/// it overtook. (It once compacted behind it and lost committed entries.)
#[test]
fn installs_racing_compactions_under_load_lose_nothing() {
    for seed in 0..40 {
        let mut options = options(seed);
        options.spec.clients = 8;
        options.snapshot_every = Some(Some(3));
        let report = run(&options, None);
        assert!(
            report.failure.is_none() && report.inconclusive.is_none(),
            "{}",
            failure(&report)
        );
    }
}

/// Same seed, same run: raft-rs's unseeded election draw never decides.
#[test]
fn a_raft_rs_seed_replays_bit_for_bit() {
    for seed in [3, 17, 40] {
        let first = run(&options(seed), None);
        let again = run(&options(seed), None);
        assert_eq!(first.trace_hash, again.trace_hash, "seed {seed}");
        assert_eq!(first.events, again.events, "seed {seed}");
    }
}

/// The checkers judge raft-rs as they judge raft-core: a host that sends
/// before its fsync, or forgets its vote, is caught.
#[test]
fn host_rule_breaks_around_raft_rs_are_caught() {
    for (rule, seeds) in [("skip-fsync", 0..5), ("forget-vote-on-boot", 0..40)] {
        let caught = seeds.clone().any(|seed| {
            let mut options = options(seed);
            assert!(options.spec.rule_breaks.set(rule));
            run(&options, None).failure.is_some()
        });
        assert!(caught, "{rule} was never caught in seeds {seeds:?}");
    }
}

/// Every scenario of the library runs on raft-rs: it passes, fails as its
/// `# expect failure` comments say, or is skipped for a feature the
/// adapter declares missing (membership) or a raft-core choreography.
#[test]
fn the_scenario_library_runs_on_raft_rs() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scenarios");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("the scenario library")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "scn"))
        .collect();
    files.sort();
    let (mut ran, mut skipped) = (0, 0);
    for path in &files {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).expect("readable");
        let scenario = parse(&name, &text).expect("the library parses");
        if let Some(skip) = unsupported_step(&scenario, &SUT) {
            assert!(
                skip.why.contains("membership") || skip.why.contains("runs on"),
                "{name}: {skip}"
            );
            skipped += 1;
            continue;
        }
        let outcome = run_scenario_on(SUT, &scenario, Default::default()).expect("runs");
        match scenario.expected_failure_for(SUT.name) {
            Some(invariant) => assert!(outcome.broke(invariant), "{name}: {outcome:?}"),
            None => assert!(
                outcome.failure.is_none() && outcome.inconclusive.is_none(),
                "{name}: {:?} {:?}",
                outcome.failure,
                outcome.inconclusive
            ),
        }
        ran += 1;
    }
    assert!(ran >= 25, "only {ran} scenarios ran ({skipped} skipped)");
}

/// A node forked by replay is the node: the same inputs afterwards give
/// the same state and the same messages (the model checker forks worlds).
#[test]
fn a_node_forked_by_replay_behaves_as_the_original() {
    let config = Config::new(NodeId(1), [NodeId(1)]);
    let mut node = (SUT.build)(config, Restored::default()).expect("builds");
    let drive = |node: &mut Box<dyn sim::sut::RaftNode>, proposals: u8| {
        let mut sent = 0;
        for i in 0..40u8 {
            node.tick();
            if node.role() == Role::Leader && i % 4 == 0 && proposals > 0 {
                node.propose(vec![i]).expect("a leader accepts");
            }
            while node.has_ready() {
                let ready = node.ready();
                sent += ready.messages.len() + ready.messages_after_persist.len();
                node.advance(ready);
            }
        }
        sent
    };
    drive(&mut node, 1);
    assert_eq!(node.role(), Role::Leader);
    let mut fork = node.clone();
    assert_eq!(
        format!("{:?}", fork.protocol_state()),
        format!("{:?}", node.protocol_state())
    );
    assert_eq!(drive(&mut fork, 1), drive(&mut node, 1));
    assert_eq!(
        format!("{:?}", fork.protocol_state()),
        format!("{:?}", node.protocol_state())
    );
    assert_eq!(fork.log().entries(), node.log().entries());
    assert!(node.log().last_index().0 > 5, "{:?}", node.log());
}

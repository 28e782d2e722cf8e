//! The setup and fault verbs: `cluster` through `run`.

use super::helpers::*;

#[test]
fn cluster_with_every_option_and_the_step_fields() {
    let text = "# a comment line\n\n  cluster 3 pre_vote=on check_quorum=off election=150ms..300ms \
                heartbeat=50ms tick=10ms learners=2 snapshot_every=100 seed=7  # trailing\n";
    let scenario = parse("x.scn", text).unwrap();
    assert_eq!(
        scenario,
        Scenario {
            file: "x.scn".into(),
            steps: vec![Step {
                span: Span { line: 3, col: 3 },
                text: "cluster 3 pre_vote=on check_quorum=off election=150ms..300ms \
                       heartbeat=50ms tick=10ms learners=2 snapshot_every=100 seed=7"
                    .into(),
                timing: Timing::Next,
                kind: StepKind::Cluster {
                    nodes: 3,
                    options: ClusterOptions {
                        pre_vote: Some(true),
                        check_quorum: Some(false),
                        election_ns: Some((150 * MS, 300 * MS)),
                        heartbeat_ns: Some(50 * MS),
                        tick_ns: Some(10 * MS),
                        learners: Some(2),
                        snapshot_every: Some(100),
                        seed: Some(7),
                        inflight: None,
                        max_append_bytes: None,
                        snapshot_chunk_bytes: None,
                        retire_removed: None,
                    },
                },
            }],
            expected_failure: None,
            expected_failure_on: Vec::new(),
            runs_on: None,
        }
    );
    assert_eq!(
        parse(FILE, "cluster 1").unwrap().steps[0].kind,
        StepKind::Cluster {
            nodes: 1,
            options: ClusterOptions::default()
        }
    );
}

#[test]
fn net() {
    assert_eq!(
        kind("net drop=5% dup=0.5% delay=1ms..20ms"),
        StepKind::Net {
            drop: Some(0.05),
            dup: Some(0.005),
            delay_ns: Some((MS, 20 * MS)),
            tail: None,
        }
    );
    assert_eq!(
        kind("net drop=100%"),
        StepKind::Net {
            drop: Some(1.0),
            dup: None,
            delay_ns: None,
            tail: None,
        }
    );
    assert_eq!(
        kind("net"),
        StepKind::Net {
            drop: None,
            dup: None,
            delay_ns: None,
            tail: None,
        }
    );
}

#[test]
fn disk() {
    assert_eq!(
        kind("disk {1,2} latency=5ms torn=on"),
        StepKind::Disk {
            nodes: Some(set(6, ids(&[1, 2]))),
            latency_ns: Some(5 * MS),
            latency_max_ns: None,
            torn: Some(true),
        }
    );
    assert_eq!(
        kind("disk torn=off"),
        StepKind::Disk {
            nodes: None,
            latency_ns: None,
            latency_max_ns: None,
            torn: Some(false),
        }
    );
    assert_eq!(
        kind("disk leader"),
        StepKind::Disk {
            nodes: Some(set(6, SetTerm::Leader)),
            latency_ns: None,
            latency_max_ns: None,
            torn: None,
        }
    );
}

#[test]
fn clients() {
    assert_eq!(
        kind("clients 2 rate=50/s keys=10 ops=put,get,append reads=lease"),
        StepKind::Clients {
            count: 2,
            rate_per_s: Some(50.0),
            keys: Some(10),
            ops: Some(vec![OpKind::Put, OpKind::Get, OpKind::Append]),
            reads: Some(sim::read_path::ReadPath::Lease),
        }
    );
    assert_eq!(
        kind("clients 0"),
        StepKind::Clients {
            count: 0,
            rate_per_s: None,
            keys: None,
            ops: None,
            reads: None,
        }
    );
}

#[test]
fn crash_with_braces_holding_an_id_and_a_name() {
    assert_eq!(
        last("isolate 2 as old\ncrash {1,old}"),
        StepKind::Crash(
            set_at(
                3,
                7,
                SetTerm::Nodes(vec![Atom::Id(1), Atom::Name("old".into())])
            ),
            None
        )
    );
}

#[test]
fn crash_keeping_unsynced_records() {
    assert_eq!(
        kind("crash 3 keep_meta=0 keep_log=2"),
        StepKind::Crash(set(7, ids(&[3])), Some(FileRecords { meta: 0, log: 2 }))
    );
    // One option alone keeps none of the other file.
    assert_eq!(
        kind("crash 3 keep_log=1"),
        StepKind::Crash(set(7, ids(&[3])), Some(FileRecords { meta: 0, log: 1 }))
    );
    let expected = fails("cluster 3\ncrash 3 keep=1", "2:9", "keep");
    assert!(expected.contains("keep_meta=K"), "{expected}");
    let expected = fails("cluster 3\ncrash 3 keep_log=x", "2:18", "x");
    assert!(expected.contains("records kept"), "{expected}");
    fails(
        "cluster 3\ncrash 3 keep_log=1 keep_log=2",
        "2:20",
        "keep_log",
    );
    // Without an option, a second node outside braces is still the set's
    // error, as before.
    let expected = fails("cluster 3\ncrash 1 2", "2:9", "2");
    assert!(expected.contains("braces"), "{expected}");
}

#[test]
fn restart() {
    assert_eq!(kind("restart 3"), StepKind::Restart(set(9, ids(&[3]))));
}

#[test]
fn pause() {
    assert_eq!(
        kind("pause all - leader"),
        StepKind::Pause(set(7, minus(SetTerm::All, SetTerm::Leader)))
    );
}

#[test]
fn resume_is_left_associative() {
    assert_eq!(
        kind("resume followers + 1 - {2}"),
        StepKind::Resume(set(
            8,
            minus(union(SetTerm::Followers, ids(&[1])), ids(&[2]))
        ))
    );
}

#[test]
fn partition() {
    assert_eq!(
        kind("partition leader as old | rest"),
        StepKind::Partition(vec![
            named(11, SetTerm::Leader, "old"),
            set(27, SetTerm::Rest)
        ])
    );
    assert_eq!(
        kind("partition {1,2} | 3 | rest"),
        StepKind::Partition(vec![
            set(11, ids(&[1, 2])),
            set(19, ids(&[3])),
            set(23, SetTerm::Rest)
        ])
    );
}

#[test]
fn isolate() {
    assert_eq!(
        kind("isolate majority as m"),
        StepKind::Isolate(named(9, SetTerm::Majority, "m"))
    );
}

#[test]
fn cut() {
    assert_eq!(
        kind("cut minority -> all - minority"),
        StepKind::Cut(
            set(5, SetTerm::Minority),
            set(17, minus(SetTerm::All, SetTerm::Minority))
        )
    );
}

#[test]
fn heal() {
    assert_eq!(kind("heal"), StepKind::Heal);
}

#[test]
fn skew() {
    assert_eq!(kind("skew 2 1.5"), StepKind::Skew(set(6, ids(&[2])), 1.5));
    assert_eq!(
        kind("skew leader 0.8"),
        StepKind::Skew(set(6, SetTerm::Leader), 0.8)
    );
}

#[test]
fn run() {
    assert_eq!(kind("run 3s"), StepKind::Run(3 * S));
    assert_eq!(kind("run 1m"), StepKind::Run(60 * S));
}

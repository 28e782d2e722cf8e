//! The scenario parser against SCENARIOS.md: one test per verb with the exact
//! syntax tree of an example line, and one per error, each asserting
//! `file:line:col`, the token and what was expected.

use sim::scenario::ast::{
    Atom, ClusterOptions, Compare, Condition, MessagePick, NodeSet, OpKind, Scenario, SetExpr,
    Span, Step, StepKind, Timing, Which,
};
use sim::scenario::parse;
use sim::scenario::parse::{MESSAGE_TYPES, STEPS};

const FILE: &str = "t.scn";

/// Parses `cluster 5` and the given lines, which must all parse.
fn scenario(lines: &str) -> Scenario {
    parse(FILE, &format!("cluster 5\n{lines}")).unwrap_or_else(|e| panic!("{e}"))
}

/// The kind of the one step on line 2 (after `cluster 5`).
fn kind(line: &str) -> StepKind {
    let scenario = scenario(line);
    assert_eq!(scenario.steps.len(), 2, "{line}");
    scenario.steps[1].kind.clone()
}

/// The kind of the last step.
fn last(lines: &str) -> StepKind {
    scenario(lines).steps.last().unwrap().kind.clone()
}

/// A set on `line` at `col`, unnamed.
fn set_at(line: usize, col: usize, expr: SetExpr) -> NodeSet {
    NodeSet {
        span: Span { line, col },
        expr,
        bind: None,
    }
}

/// A set on line 2 at `col`, unnamed.
fn set(col: usize, expr: SetExpr) -> NodeSet {
    set_at(2, col, expr)
}

/// A set on line 2 at `col`, named.
fn named(col: usize, expr: SetExpr, name: &str) -> NodeSet {
    NodeSet {
        bind: Some(name.to_string()),
        ..set(col, expr)
    }
}

fn ids(ids: &[u64]) -> SetExpr {
    SetExpr::Nodes(ids.iter().map(|&id| Atom::Id(id)).collect())
}

fn union(a: SetExpr, b: SetExpr) -> SetExpr {
    SetExpr::Union(Box::new(a), Box::new(b))
}

fn minus(a: SetExpr, b: SetExpr) -> SetExpr {
    SetExpr::Difference(Box::new(a), Box::new(b))
}

const MS: u64 = 1_000_000;
const S: u64 = 1_000_000_000;

/// Parses `text`, which must fail at `at` (`line:col`) on `token`; returns
/// what was expected.
fn fails(text: &str, at: &str, token: &str) -> String {
    let error = match parse(FILE, text) {
        Ok(scenario) => panic!("{text:?} parsed: {scenario:?}"),
        Err(error) => error,
    };
    assert_eq!(
        (
            format!("{}:{}:{}", error.file, error.span.line, error.span.col),
            error.token.as_str()
        ),
        (format!("{FILE}:{at}"), token),
        "{text:?}: {error}"
    );
    let shown = error.to_string();
    let found = if token.is_empty() {
        "end of line".to_string()
    } else {
        format!("`{token}`")
    };
    assert!(
        shown.starts_with(&format!("{FILE}:{at}: found {found}, expected ")),
        "{shown}"
    );
    error.expected
}

// ---------------------------------------------------------------- verbs

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
                    },
                },
            }],
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
            nodes: Some(set(6, SetExpr::Leader)),
            latency_ns: None,
            latency_max_ns: None,
            torn: None,
        }
    );
}

#[test]
fn clients() {
    assert_eq!(
        kind("clients 2 rate=50/s keys=10 ops=put,get,append"),
        StepKind::Clients {
            count: 2,
            rate_per_s: Some(50.0),
            keys: Some(10),
            ops: Some(vec![OpKind::Put, OpKind::Get, OpKind::Append]),
        }
    );
    assert_eq!(
        kind("clients 0"),
        StepKind::Clients {
            count: 0,
            rate_per_s: None,
            keys: None,
            ops: None,
        }
    );
}

#[test]
fn crash_with_braces_holding_an_id_and_a_name() {
    assert_eq!(
        last("isolate 2 as old\ncrash {1,old}"),
        StepKind::Crash(set_at(
            3,
            7,
            SetExpr::Nodes(vec![Atom::Id(1), Atom::Name("old".into())])
        ))
    );
}

#[test]
fn restart() {
    assert_eq!(kind("restart 3"), StepKind::Restart(set(9, ids(&[3]))));
}

#[test]
fn pause() {
    assert_eq!(
        kind("pause all - leader"),
        StepKind::Pause(set(7, minus(SetExpr::All, SetExpr::Leader)))
    );
}

#[test]
fn resume_is_left_associative() {
    assert_eq!(
        kind("resume followers + 1 - {2}"),
        StepKind::Resume(set(
            8,
            minus(union(SetExpr::Followers, ids(&[1])), ids(&[2]))
        ))
    );
}

#[test]
fn partition() {
    assert_eq!(
        kind("partition leader as old | rest"),
        StepKind::Partition(vec![
            named(11, SetExpr::Leader, "old"),
            set(27, SetExpr::Rest)
        ])
    );
    assert_eq!(
        kind("partition {1,2} | 3 | rest"),
        StepKind::Partition(vec![
            set(11, ids(&[1, 2])),
            set(19, ids(&[3])),
            set(23, SetExpr::Rest)
        ])
    );
}

#[test]
fn isolate() {
    assert_eq!(
        kind("isolate majority as m"),
        StepKind::Isolate(named(9, SetExpr::Majority, "m"))
    );
}

#[test]
fn cut() {
    assert_eq!(
        kind("cut minority -> all - minority"),
        StepKind::Cut(
            set(5, SetExpr::Minority),
            set(17, minus(SetExpr::All, SetExpr::Minority))
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
        StepKind::Skew(set(6, SetExpr::Leader), 0.8)
    );
}

#[test]
fn run() {
    assert_eq!(kind("run 3s"), StepKind::Run(3 * S));
    assert_eq!(kind("run 1m"), StepKind::Run(60 * S));
}

#[test]
fn propose() {
    assert_eq!(kind("propose 10"), StepKind::Propose(10, None));
    assert_eq!(
        kind("propose 3 on 2"),
        StepKind::Propose(3, Some(set(14, ids(&[2]))))
    );
}

#[test]
fn put() {
    assert_eq!(kind("put k1 v1"), StepKind::Put("k1".into(), "v1".into()));
}

#[test]
fn get() {
    assert_eq!(kind("get user-1"), StepKind::Get("user-1".into()));
}

#[test]
fn append() {
    assert_eq!(
        kind("append k x.y"),
        StepKind::Append("k".into(), "x.y".into())
    );
}

#[test]
fn compact() {
    assert_eq!(
        kind("compact {1,2,3}"),
        StepKind::Compact(set(9, ids(&[1, 2, 3])))
    );
}

#[test]
fn add_with_learners_declared() {
    let scenario = parse(FILE, "cluster 3 learners=2\nadd 5 learner\nadd 4").unwrap();
    assert_eq!(
        scenario.steps[1].kind,
        StepKind::Add(set(5, ids(&[5])), true)
    );
    assert_eq!(
        scenario.steps[2].kind,
        StepKind::Add(set_at(3, 5, ids(&[4])), false)
    );
}

#[test]
fn remove() {
    assert_eq!(kind("remove 2"), StepKind::Remove(set(8, ids(&[2]))));
}

#[test]
fn promote() {
    assert_eq!(kind("promote {4}"), StepKind::Promote(set(9, ids(&[4]))));
}

#[test]
fn transfer_leader() {
    assert_eq!(
        kind("transfer-leader 3"),
        StepKind::TransferLeader(set(17, ids(&[3])))
    );
}

#[test]
fn expect_every_condition() {
    let cases = [
        ("expect leader", Condition::Leader, None),
        ("expect leader within 2s", Condition::Leader, Some(2 * S)),
        (
            "expect leader in all - {1} within 3s",
            Condition::LeaderIn(set(18, minus(SetExpr::All, ids(&[1])))),
            Some(3 * S),
        ),
        (
            "expect leader != 2",
            Condition::LeaderNot(set(18, ids(&[2]))),
            None,
        ),
        (
            "expect no leader within 500ms",
            Condition::NoLeader,
            Some(500 * MS),
        ),
        (
            "expect committed >= 20",
            Condition::Committed(Compare::AtLeast, 20, None),
            None,
        ),
        (
            "expect committed == 7 on all within 5s",
            Condition::Committed(Compare::Equal, 7, Some(set(26, SetExpr::All))),
            Some(5 * S),
        ),
        (
            "expect applied <= 3 on {1,2}",
            Condition::Applied(Compare::AtMost, 3, Some(set(24, ids(&[1, 2])))),
            None,
        ),
        (
            "expect applied >= 0",
            Condition::Applied(Compare::AtLeast, 0, None),
            None,
        ),
        (
            "expect converged within 5s",
            Condition::Converged,
            Some(5 * S),
        ),
        ("expect term == 2", Condition::Term(Compare::Equal, 2), None),
        (
            "expect term >= 1",
            Condition::Term(Compare::AtLeast, 1),
            None,
        ),
        ("expect linearizable", Condition::Linearizable, None),
        (
            "expect members == {1,2,3}",
            Condition::Members(set(19, ids(&[1, 2, 3]))),
            None,
        ),
    ];
    for (line, condition, within) in cases {
        assert_eq!(kind(line), StepKind::Expect(condition, within), "{line}");
    }
}

#[test]
fn manual() {
    assert_eq!(kind("manual"), StepKind::Manual);
}

#[test]
fn auto() {
    assert_eq!(kind("auto"), StepKind::Auto);
}

#[test]
fn campaign() {
    assert_eq!(kind("campaign 1"), StepKind::Campaign(set(10, ids(&[1]))));
}

#[test]
fn heartbeat() {
    assert_eq!(
        kind("heartbeat leader"),
        StepKind::Heartbeat(set(11, SetExpr::Leader))
    );
}

#[test]
fn tick() {
    assert_eq!(kind("tick 2"), StepKind::Tick(set(6, ids(&[2])), 1));
    assert_eq!(kind("tick 2 5"), StepKind::Tick(set(6, ids(&[2])), 5));
}

#[test]
fn deliver() {
    assert_eq!(
        kind("deliver 1 -> 2 append all"),
        StepKind::Deliver(MessagePick {
            from: set(9, ids(&[1])),
            to: set(14, ids(&[2])),
            kind: Some("append".into()),
            which: Which::All,
        })
    );
    assert_eq!(
        kind("deliver leader -> all"),
        StepKind::Deliver(MessagePick {
            from: set(9, SetExpr::Leader),
            to: set(19, SetExpr::All),
            kind: None,
            which: Which::Oldest,
        })
    );
    assert_eq!(
        kind("deliver 1 -> all all"),
        StepKind::Deliver(MessagePick {
            from: set(9, ids(&[1])),
            to: set(14, SetExpr::All),
            kind: None,
            which: Which::All,
        })
    );
}

#[test]
fn drop() {
    assert_eq!(
        kind("drop 1 -> {2,3} vote-resp"),
        StepKind::Drop(MessagePick {
            from: set(6, ids(&[1])),
            to: set(11, ids(&[2, 3])),
            kind: Some("vote-resp".into()),
            which: Which::Oldest,
        })
    );
}

#[test]
fn nth_picks_the_kth_oldest() {
    assert_eq!(
        kind("deliver 1 -> 2 append nth=3"),
        StepKind::Deliver(MessagePick {
            from: set(9, ids(&[1])),
            to: set(14, ids(&[2])),
            kind: Some("append".into()),
            which: Which::Nth(3),
        })
    );
    assert_eq!(
        kind("drop 2 -> 1 nth=2"),
        StepKind::Drop(MessagePick {
            from: set(6, ids(&[2])),
            to: set(11, ids(&[1])),
            kind: None,
            which: Which::Nth(2),
        })
    );
}

#[test]
fn duplicate() {
    assert_eq!(
        kind("duplicate 1 -> 3 vote-resp"),
        StepKind::Duplicate(MessagePick {
            from: set(11, ids(&[1])),
            to: set(16, ids(&[3])),
            kind: Some("vote-resp".into()),
            which: Which::Oldest,
        })
    );
    assert_eq!(
        kind("duplicate 1 -> 3 append nth=2"),
        StepKind::Duplicate(MessagePick {
            from: set(11, ids(&[1])),
            to: set(16, ids(&[3])),
            kind: Some("append".into()),
            which: Which::Nth(2),
        })
    );
}

#[test]
fn check_quorum() {
    assert_eq!(
        kind("check-quorum 2"),
        StepKind::CheckQuorum(set(14, ids(&[2])))
    );
}

#[test]
fn every_message_type_is_accepted() {
    for name in MESSAGE_TYPES {
        let StepKind::Drop(pick) = kind(&format!("drop 1 -> 2 {name} all")) else {
            panic!("{name}")
        };
        assert_eq!(pick.kind.as_deref(), Some(*name));
        assert_eq!(pick.which, Which::All);
    }
}

#[test]
fn persist() {
    assert_eq!(kind("persist 3"), StepKind::Persist(set(9, ids(&[3]))));
}

#[test]
fn stabilize() {
    assert_eq!(kind("stabilize"), StepKind::Stabilize);
}

#[test]
fn every_verb_has_an_example_that_parses() {
    let examples = [
        "net drop=1%",
        "disk latency=1ms",
        "clients 1",
        "crash 1",
        "restart 1",
        "pause 1",
        "resume 1",
        "partition 1 | rest",
        "isolate 1",
        "cut 1 -> 2",
        "heal",
        "skew 1 2",
        "run 1s",
        "propose 1",
        "put a b",
        "get a",
        "append a b",
        "compact 1",
        "add 2",
        "remove 2",
        "promote 2",
        "transfer-leader 2",
        "expect leader",
        "manual",
        "auto",
        "campaign 1",
        "heartbeat 1",
        "check-quorum 1",
        "tick 1",
        "deliver 1 -> 2",
        "drop 1 -> 2",
        "duplicate 1 -> 2",
        "persist 1",
        "stabilize",
    ];
    let text = format!("cluster 3\n{}", examples.join("\n"));
    let scenario = parse(FILE, &text).unwrap();
    assert_eq!(scenario.steps.len(), STEPS.len());
    let verbs: Vec<&str> = scenario
        .steps
        .iter()
        .map(|step| step.text.split(' ').next().unwrap())
        .collect();
    assert_eq!(verbs, STEPS);
}

// --------------------------------------------------------------- timing

#[test]
fn timing_prefixes() {
    let scenario = scenario("at 2s heal\nat +500ms crash 1\nat 2s run 1s\nheal");
    let timings: Vec<(Span, Timing)> = scenario.steps[1..]
        .iter()
        .map(|step| (step.span, step.timing))
        .collect();
    assert_eq!(
        timings,
        [
            (Span { line: 2, col: 1 }, Timing::At(2 * S)),
            (Span { line: 3, col: 1 }, Timing::After(500 * MS)),
            (Span { line: 4, col: 1 }, Timing::At(2 * S)),
            (Span { line: 5, col: 1 }, Timing::Next),
        ]
    );
    assert_eq!(
        scenario.steps[2].kind,
        StepKind::Crash(set_at(3, 17, ids(&[1])))
    );
    assert_eq!(scenario.steps[2].text, "at +500ms crash 1");
}

#[test]
fn relative_times_are_not_checked_against_absolute_ones() {
    // `at +1s` after `at 5s` lands at 6s or later: only the run can tell.
    let scenario = scenario("at 5s heal\nat +1s heal\nat 5s heal");
    assert_eq!(scenario.steps.len(), 4);
}

#[test]
fn the_example_of_scenarios_md_parses() {
    let text = "\
# The leader is cut off from the majority; a new leader is elected among the
# rest; when the partition heals the old leader's uncommitted tail is dropped.
cluster 3 pre_vote=on check_quorum=on
clients 2 rate=50/s
expect leader within 2s
partition leader as old | rest
expect leader in all - old within 3s
at +2s heal
expect committed >= 20 on all within 5s
expect converged within 5s
";
    let scenario = parse("split.scn", text).unwrap();
    assert_eq!(scenario.steps.len(), 8);
    assert_eq!(
        scenario.steps[4].kind,
        StepKind::Expect(
            Condition::LeaderIn(set_at(
                7,
                18,
                minus(SetExpr::All, SetExpr::Name("old".into()))
            )),
            Some(3 * S)
        )
    );
    assert_eq!(scenario.steps[5].timing, Timing::After(2 * S));
}

#[test]
fn names_bind_left_to_right_on_the_same_line_and_can_be_rebound() {
    assert_eq!(
        kind("cut leader as old -> all - old"),
        StepKind::Cut(
            named(5, SetExpr::Leader, "old"),
            set(22, minus(SetExpr::All, SetExpr::Name("old".into())))
        )
    );
    assert_eq!(
        last("isolate 1 as x\nisolate all - x as x\ncrash x"),
        StepKind::Crash(set_at(4, 7, SetExpr::Name("x".into())))
    );
    // Verbs, conditions and message types make fine names.
    assert_eq!(
        last("partition minority as cut | rest\ncrash all - cut + {cut}"),
        StepKind::Crash(set_at(
            3,
            7,
            union(
                minus(SetExpr::All, SetExpr::Name("cut".into())),
                SetExpr::Nodes(vec![Atom::Name("cut".into())])
            )
        ))
    );
    assert_eq!(
        kind("isolate leader + 2 as both"),
        StepKind::Isolate(named(9, union(SetExpr::Leader, ids(&[2])), "both"))
    );
}

#[test]
fn windows_line_ends_and_tabs() {
    let scenario = parse(FILE, "cluster 3\r\n\tcrash\t{1,2}\r\n").unwrap();
    assert_eq!(scenario.steps[1].span, Span { line: 2, col: 2 });
    assert_eq!(
        scenario.steps[1].kind,
        StepKind::Crash(set(8, ids(&[1, 2])))
    );
}

// --------------------------------------------------------------- errors

#[test]
fn error_bad_token() {
    let expected = fails("cluster 3\ncrash 1 @", "2:9", "@");
    assert!(expected.contains("`#` starts a comment"), "{expected}");
    fails("cluster 3\nput k \u{e9}t\u{e9}", "2:7", "\u{e9}");
    fails("cluster 3\ncrash {1;2}", "2:9", ";");
}

#[test]
fn error_bad_nth() {
    let expected = fails("cluster 3\ndeliver 1 -> 2 append nth=0", "2:27", "0");
    assert!(expected.contains("at least 1"), "{expected}");
    fails("cluster 3\ndeliver 1 -> 2 nth=x", "2:20", "x");
    let expected = fails("cluster 3\ndrop 1 -> 2 append first=1", "2:20", "first");
    assert!(expected.contains("nth=K"), "{expected}");
    let expected = fails(
        "cluster 3\nduplicate 1 -> 2 append all nth=2",
        "2:29",
        "nth",
    );
    assert!(expected.contains("end of line"), "{expected}");
    fails("cluster 3\ncheck-quorum", "2:13", "");
}

#[test]
fn error_unknown_verb() {
    let expected = fails("cluster 3\nexplode 1", "2:1", "explode");
    assert!(
        expected.starts_with("a step (one of: cluster, net, disk, clients, crash,"),
        "{expected}"
    );
    fails("cluster 3\nat 1s explode", "2:7", "explode");
    fails("cluster 3\nat 1s", "2:6", "");
    fails("cluster 3\n{1}", "2:1", "{");
}

#[test]
fn error_time_going_backwards() {
    let expected = fails(
        "cluster 3\nat 2s heal\nrun 1s\nat 1500ms heal",
        "4:4",
        "1500ms",
    );
    assert!(expected.contains("time going backwards"), "{expected}");
    assert!(expected.contains("`at 2s` on line 2"), "{expected}");
}

#[test]
fn error_bad_duration_carries_the_unit_message() {
    let expected = fails("cluster 3\nrun 3", "2:5", "3");
    assert!(expected.contains("has no unit"), "{expected}");
    let expected = fails("cluster 3\nat 2h heal", "2:4", "2h");
    assert!(expected.contains("unknown unit `h`"), "{expected}");
    fails("cluster 3\nat + 2s heal", "2:6", "2s");
    let expected = fails("cluster 3 election=150ms..3x", "1:27", "3x");
    assert!(expected.contains("unknown unit"), "{expected}");
    fails("cluster 3 election=300ms..150ms", "1:20", "300ms..150ms");
    fails("cluster 3 tick=0ms", "1:16", "0ms");
}

#[test]
fn error_node_out_of_range() {
    let expected = fails("cluster 3\ncrash {1,4}", "2:10", "4");
    assert!(
        expected.contains("from 1 to 3 (node out of range)"),
        "{expected}"
    );
    fails("cluster 3\ncrash 0", "2:7", "0");
    fails(
        "cluster 3\nisolate all - 99999999999999999999999",
        "2:15",
        "99999999999999999999999",
    );
    let expected = fails("cluster 3 learners=1\ncrash 4\ncrash 5", "3:7", "5");
    assert!(expected.contains("3 voters and 1 learners"), "{expected}");
}

#[test]
fn error_a_set_naming_a_node_twice() {
    let expected = fails("cluster 3\ncrash {1,2,1}", "2:12", "1");
    assert!(expected.contains("a set naming a node twice"), "{expected}");
    fails("cluster 3\nisolate 1 as a\ncrash {a,2,a}", "3:12", "a");
}

#[test]
fn error_missing_cluster_line() {
    let expected = fails("# only a comment\n\ncrash 1\n", "3:1", "crash");
    assert!(expected.contains("missing cluster line"), "{expected}");
    fails("", "1:1", "");
    fails("# nothing\n   # here\n", "3:1", "");
    fails("at 0s cluster 3", "1:1", "at");
}

#[test]
fn error_second_cluster_line() {
    fails("cluster 3\nheal\ncluster 5", "3:1", "cluster");
    fails("cluster 3\nat 1s cluster 5", "2:7", "cluster");
}

#[test]
fn error_unknown_option() {
    let expected = fails("cluster 3 prevote=on", "1:11", "prevote");
    assert!(
        expected.starts_with("an option of `cluster` (one of: pre_vote=on/off,"),
        "{expected}"
    );
    fails("cluster 3\nnet loss=5%", "2:5", "loss");
    fails("cluster 3\nclients 2 rate=5/s rate=6/s", "2:20", "rate");
    fails("cluster 3 pre_vote = on", "1:20", "=");
    fails("cluster 3 pre_vote=", "1:20", "");
    fails("cluster 3 pre_vote=yes", "1:20", "yes");
    fails("cluster 3\nclients 2 ops=put,del", "2:19", "del");
}

#[test]
fn error_bad_percentage() {
    let expected = fails("cluster 3\nnet drop=150%", "2:10", "150%");
    assert!(expected.contains("bad percentage"), "{expected}");
    fails("cluster 3\nnet dup=5", "2:9", "5");
    fails("cluster 3\nnet drop=-1%", "2:10", "-1%");
    fails("cluster 3\nnet drop=1e1%", "2:10", "1e1%");
}

#[test]
fn error_name_used_before_bound() {
    let expected = fails("cluster 3\ncrash old\nisolate 1 as old", "2:7", "old");
    assert!(
        expected.contains("name used before it is bound"),
        "{expected}"
    );
    fails("cluster 3\ncrash {1,old}", "2:10", "old");
    fails(
        "cluster 3\npartition all - old | leader as old",
        "2:17",
        "old",
    );
}

#[test]
fn error_names_that_are_keywords_or_malformed() {
    let expected = fails("cluster 3\nisolate 1 as all", "2:14", "all");
    assert!(expected.contains("not a keyword"), "{expected}");
    fails("cluster 3\nisolate 1 as within", "2:14", "within");
    fails("cluster 3\nisolate 1 as 2x", "2:14", "2x");
    fails("cluster 3\nisolate 1 as", "2:13", "");
    fails("cluster 3\nisolate 1 as a + 2", "2:16", "+");
}

#[test]
fn error_set_syntax() {
    fails("cluster 3\ncrash", "2:6", "");
    fails("cluster 3\ncrash {}", "2:8", "}");
    fails("cluster 3\ncrash {1,2", "2:11", "");
    fails("cluster 3\ncrash {1 2}", "2:10", "2");
    let expected = fails("cluster 3\ncrash {1,leader}", "2:10", "leader");
    assert!(expected.contains("keywords stand alone"), "{expected}");
    let expected = fails("cluster 3\ncrash 1 2", "2:9", "2");
    assert!(expected.contains("`{1,2}`"), "{expected}");
    let expected = fails("cluster 3\ncrash all-leader", "2:7", "all-leader");
    assert!(expected.contains("spaces around `-`"), "{expected}");
    fails("cluster 3\ncrash all -", "2:12", "");
    fails("cluster 3\ncampaign {1,2}", "2:12", ",");
    fails("cluster 3\npartition {1,2}", "2:16", "");
    fails("cluster 3\ncut 1 2", "2:7", "2");
}

#[test]
fn error_unknown_message_type_lists_the_valid_ones() {
    let expected = fails(
        "cluster 3\ndeliver 1 -> 2 appendentries",
        "2:16",
        "appendentries",
    );
    for name in MESSAGE_TYPES {
        assert!(expected.contains(name), "{expected}");
    }
    fails("cluster 3\ndrop 1 -> 2 all vote", "2:17", "vote");
    fails("cluster 3\ndrop 1 2", "2:8", "2");
}

#[test]
fn error_missing_or_bad_arguments() {
    fails("cluster", "1:8", "");
    fails("cluster 0", "1:9", "0");
    fails("cluster 3\nput k", "2:6", "");
    fails("cluster 3\nget", "2:4", "");
    fails("cluster 3\npropose", "2:8", "");
    fails("cluster 3\npropose 0", "2:9", "0");
    fails("cluster 3\npropose 2 on", "2:13", "");
    fails("cluster 3\nskew 1", "2:7", "");
    fails("cluster 3\nskew 1 0", "2:8", "0");
    fails("cluster 3\nskew 1 inf", "2:8", "inf");
    fails("cluster 3\ntick 1 0", "2:8", "0");
    fails("cluster 3\ntick 1 x", "2:8", "x");
    fails("cluster 3\nheal now", "2:6", "now");
    fails("cluster 3\nrun", "2:4", "");
    fails("cluster 3\nadd 2 voter", "2:7", "voter");
    fails("cluster 3\nclients", "2:8", "");
}

#[test]
fn error_bad_conditions() {
    fails("cluster 3\nexpect", "2:7", "");
    fails("cluster 3\nexpect leaders", "2:8", "leaders");
    fails("cluster 3\nexpect no", "2:10", "");
    fails("cluster 3\nexpect committed > 3", "2:18", ">");
    fails("cluster 3\nexpect committed >= x", "2:21", "x");
    fails("cluster 3\nexpect term != 3", "2:13", "!=");
    fails("cluster 3\nexpect members {1}", "2:16", "{");
    fails("cluster 3\nexpect leader within", "2:21", "");
    fails("cluster 3\nexpect leader within 2s 3s", "2:25", "3s");
    fails("cluster 3\nexpect converged soon", "2:18", "soon");
}

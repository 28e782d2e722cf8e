//! The model checker: pinned state counts for small bounds (so that a change
//! in raft-core, the hosts or the search that changes the state space is
//! noticed, as stateright pins its examples'), sometimes-properties, and
//! every search mode agreeing where it must: parallel with sequential,
//! depth-first with breadth-first, 128-bit with 64-bit fingerprints.

use sim::explore::{Bounds, Options, Property, Report, Search, check, scenario_text};
use sim::host::HostRuleBreaks;
use sim::scenario::{parse, run_scenario_with_breaks};

fn run(bounds: &Bounds, options: &Options) -> Report {
    let report = check(bounds, options, |_| {});
    assert!(
        report.nondeterminism.is_none(),
        "{:?}",
        report.nondeterminism
    );
    report
}

fn bfs(bounds: &Bounds) -> Report {
    run(bounds, &Options::default())
}

/// (name, bounds, distinct states, generated states, generated with
/// partial-order reduction, states cut by depth)
fn pinned() -> Vec<(&'static str, Bounds, u64, u64, u64, u64)> {
    vec![
        (
            "3 nodes, 2 terms, a proposal, 10 deep",
            Bounds {
                max_msgs: 4,
                max_proposals: 1,
                ..Bounds::small(3, 2, 10)
            },
            26_075,
            55_171,
            35_948,
            11_850,
        ),
        (
            "a crash and a lost message",
            Bounds {
                max_crashes: 1,
                max_drops: 1,
                ..Bounds::small(3, 2, 8)
            },
            21_530,
            60_571,
            40_871,
            13_747,
        ),
        (
            "PreVote, CheckQuorum and a duplicate",
            Bounds {
                pre_vote: true,
                check_quorum: true,
                max_dups: 1,
                ..Bounds::small(3, 2, 9)
            },
            70_645,
            128_965,
            103_581,
            27_797,
        ),
        (
            "5 nodes, 1 term",
            Bounds::small(5, 1, 7),
            4_237,
            9_081,
            4_833,
            1_180,
        ),
        (
            "calm, a partition, two clients and a retry, one entry per append",
            Bounds {
                settle: true,
                max_partitions: 1,
                max_client_ops: 2,
                max_client_retries: 1,
                max_append_bytes: 0,
                max_log: 4,
                ..Bounds::small(3, 2, 6)
            },
            49_661,
            112_254,
            109_291,
            38_549,
        ),
        (
            "calm, a node cut off, a proposal, a compaction in 16-byte chunks",
            Bounds {
                settle: true,
                max_partitions: 1,
                max_proposals: 1,
                max_compactions: 1,
                snapshot_chunk_bytes: 16,
                max_log: 3,
                max_drops: 1,
                ..Bounds::small(3, 1, 7)
            },
            20_896,
            49_998,
            46_069,
            14_094,
        ),
        (
            "calm, a spare node, two membership changes and a transfer",
            Bounds {
                settle: true,
                max_conf_changes: 2,
                max_transfers: 1,
                spares: 1,
                max_log: 4,
                ..Bounds::small(3, 2, 6)
            },
            9_716,
            16_532,
            14_901,
            7_057,
        ),
        (
            "1 node, 3 terms",
            Bounds {
                max_proposals: 2,
                ..Bounds::small(1, 3, 12)
            },
            8,
            15,
            15,
            0,
        ),
    ]
}

#[test]
fn pinned_state_counts() {
    for (name, bounds, distinct, generated, generated_reduced, cut) in pinned() {
        let options = Options {
            partial_order: false,
            ..Options::default()
        };
        let report = run(&bounds, &options);
        assert!(
            report.counterexample.is_none(),
            "{name}: {:?}",
            report.counterexample
        );
        assert_eq!(
            (
                report.distinct_states,
                report.generated_states,
                report.cut_by_depth
            ),
            (distinct, generated, cut),
            "{name}"
        );
        // Partial-order reduction (the default): the same states through
        // fewer transitions.
        let reduced = bfs(&bounds);
        assert_eq!(
            (
                reduced.distinct_states,
                reduced.generated_states,
                reduced.cut_by_depth
            ),
            (distinct, generated_reduced, cut),
            "{name}, reduced"
        );
    }
}

#[test]
fn every_sometimes_property_is_reached_within_small_bounds() {
    let bounds = Bounds {
        max_proposals: 1,
        ..Bounds::small(3, 2, 12)
    };
    let report = bfs(&bounds);
    assert!(report.counterexample.is_none());
    let reached = report.sometimes.list();
    assert!(report.sometimes.all_reached(), "{reached:?}");
    // Depths at which each is first seen: an election takes five actions
    // (campaign, persist, vote, persist, answer), a commit four more.
    let depth = |p| report.sometimes.depth(p);
    assert_eq!(depth(Property::LeaderElected), Some(5));
    assert_eq!(depth(Property::EntryCommitted), Some(9));
    assert_eq!(depth(Property::LeaderChanged), Some(10));
    assert_eq!(depth(Property::LogTruncated), Some(12));
}

#[test]
fn a_bound_too_small_to_reach_anything_says_so() {
    let report = bfs(&Bounds::small(3, 2, 4));
    assert!(
        report
            .sometimes
            .list()
            .iter()
            .all(|(_, depth)| depth.is_none())
    );
    assert_eq!(
        report.sometimes.list().len(),
        4,
        "no client property without clients"
    );
    assert!(!report.sometimes.all_reached());
    assert!(report.cut_by_depth > 0, "the depth bound cut the search");
    let report = bfs(&Bounds::small(3, 2, 0));
    assert_eq!(
        (report.distinct_states, report.cut_by_depth, report.depth),
        (1, 1, 0),
        "depth 0 is the initial state alone"
    );
}

#[test]
fn the_parallel_search_finds_the_same_states_in_the_same_order() {
    for (name, bounds, ..) in pinned().into_iter().take(3) {
        let options = |jobs| Options {
            jobs,
            record_fingerprints: true,
            ..Options::default()
        };
        let one = run(&bounds, &options(1));
        let three = run(&bounds, &options(3));
        assert_eq!(one.distinct_states, three.distinct_states, "{name}");
        assert_eq!(one.generated_states, three.generated_states, "{name}");
        assert_eq!(one.cut_by_depth, three.cut_by_depth, "{name}");
        assert!(one.fingerprints == three.fingerprints, "{name}: same order");
    }
    // And the same shortest counterexample.
    let buggy = Bounds {
        rule_breaks: HostRuleBreaks {
            skip_fsync: true,
            ..HostRuleBreaks::default()
        },
        ..Bounds::small(3, 2, 10)
    };
    let paths = [1, 2, 4].map(|jobs| {
        let options = Options {
            jobs,
            ..Options::default()
        };
        run(&buggy, &options).counterexample.expect("caught").steps
    });
    assert_eq!(paths[0], paths[1]);
    assert_eq!(paths[0], paths[2]);
}

#[test]
fn iterative_deepening_reaches_every_state_and_finds_a_shortest_path() {
    for (name, bounds, distinct, ..) in pinned().into_iter().take(2) {
        let options = Options {
            search: Search::Deepening,
            ..Options::default()
        };
        let report = run(&bounds, &options);
        assert_eq!(report.distinct_states, distinct, "{name}");
        assert_eq!(report.depth, bounds.max_depth, "{name}");
    }
    // A bug at depth 4: breadth-first and deepening paths are as long.
    let buggy = Bounds {
        max_crashes: 1,
        rule_breaks: HostRuleBreaks {
            forget_vote_on_boot: true,
            ..HostRuleBreaks::default()
        },
        ..Bounds::small(3, 2, 10)
    };
    let length = |search| {
        let options = Options {
            search,
            ..Options::default()
        };
        let report = run(&buggy, &options);
        assert!(report.shortest, "{search:?}");
        report.counterexample.expect("caught").steps.len()
    };
    assert_eq!(length(Search::Deepening), length(Search::BreadthFirst));
}

#[test]
fn depth_first_reaches_every_state_breadth_first_does() {
    for (name, bounds, distinct, ..) in pinned().into_iter().skip(1).take(2) {
        let options = Options {
            search: Search::DepthFirst,
            ..Options::default()
        };
        let report = run(&bounds, &options);
        assert!(!report.shortest);
        assert_eq!(report.distinct_states, distinct, "{name}");
    }
}

#[test]
fn every_mode_finds_a_shallow_bug_and_its_scenario_replays() {
    let bounds = Bounds {
        max_crashes: 1,
        rule_breaks: HostRuleBreaks {
            forget_vote_on_boot: true,
            ..HostRuleBreaks::default()
        },
        ..Bounds::small(3, 2, 10)
    };
    let modes = [
        Search::BreadthFirst,
        Search::DepthFirst,
        Search::Deepening,
        Search::RandomWalk {
            walks: 20_000,
            seed: 1,
            swarm: false,
        },
        Search::RandomWalk {
            walks: 20_000,
            seed: 1,
            swarm: true,
        },
    ];
    for search in modes {
        let options = Options {
            search,
            ..Options::default()
        };
        let report = run(&bounds, &options);
        let found = report
            .counterexample
            .unwrap_or_else(|| panic!("{search:?} misses the bug"));
        let text = scenario_text(&bounds, &found);
        let scenario = parse("found.scn", &text).expect("the scenario parses");
        let outcome = run_scenario_with_breaks(&scenario, None, bounds.rule_breaks).expect("runs");
        let replayed = outcome.failure.and_then(|f| f.violation).expect("fails");
        assert_eq!(
            replayed.invariant, found.violation.invariant,
            "{search:?}\n{text}"
        );
    }
}

#[test]
fn random_walks_are_the_same_for_the_same_seed_on_any_number_of_threads() {
    let bounds = Bounds {
        max_drops: 1,
        max_crashes: 1,
        max_proposals: 1,
        ..Bounds::small(3, 3, 30)
    };
    let walk = |seed, jobs, swarm| {
        let options = Options {
            search: Search::RandomWalk {
                walks: 300,
                seed,
                swarm,
            },
            jobs,
            ..Options::default()
        };
        let report = run(&bounds, &options);
        assert!(report.counterexample.is_none());
        (
            report.distinct_states,
            report.generated_states,
            report.sometimes,
        )
    };
    for swarm in [false, true] {
        assert_eq!(walk(7, 1, swarm), walk(7, 1, swarm));
        assert_eq!(walk(7, 1, swarm), walk(7, 3, swarm));
        assert_ne!(
            walk(7, 1, swarm).0,
            walk(8, 1, swarm).0,
            "another seed walks other paths"
        );
    }
    assert_ne!(
        walk(7, 1, false),
        walk(7, 1, true),
        "swarm walks other shapes"
    );
}

#[test]
fn wide_fingerprints_count_the_same_states_on_small_bounds() {
    let (_, bounds, distinct, _, generated, _) = pinned().remove(0);
    let options = Options {
        fingerprint_128: true,
        ..Options::default()
    };
    let report = run(&bounds, &options);
    assert_eq!(
        (report.distinct_states, report.generated_states),
        (distinct, generated)
    );
    let narrow = bfs(&bounds).visited_bytes;
    assert!(report.visited_bytes > narrow, "16-byte keys take more room");
}

#[test]
fn a_counterexample_spells_the_explored_cluster_and_replays() {
    // One entry per append and a host that answers before its fsync: the
    // written scenario carries `max_append=0` and fails the same way.
    let bounds = Bounds {
        max_append_bytes: 0,
        rule_breaks: HostRuleBreaks {
            skip_fsync: true,
            ..HostRuleBreaks::default()
        },
        ..Bounds::small(3, 2, 8)
    };
    let found = bfs(&bounds).counterexample.expect("found");
    let text = scenario_text(&bounds, &found);
    assert!(
        text.contains("\ncluster 3 pre_vote=off check_quorum=off max_append=0\n"),
        "{text}"
    );
    assert!(
        text.contains("\nnet delay=1000000ns..1000000ns\n"),
        "{text}"
    );
    let scenario = parse("found.scn", &text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let outcome = run_scenario_with_breaks(&scenario, None, bounds.rule_breaks).expect("runs");
    let replayed = outcome.failure.and_then(|f| f.violation).expect("fails");
    assert_eq!(replayed.invariant, found.violation.invariant, "{text}");
}

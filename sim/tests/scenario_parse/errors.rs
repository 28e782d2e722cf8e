//! Errors: each asserts `file:line:col`, the token and what was expected.

use super::helpers::*;

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
    assert!(expected.contains("from 1 to 4096"), "{expected}");
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
        expected.contains("from 1 to 3, or one an earlier `add` named (node out of range)"),
        "{expected}"
    );
    // A node an `add` brings in may be named after it, not before.
    fails("cluster 3\ncrash 4\nadd 4", "2:7", "4");
    parse(
        "t.scn",
        "cluster 3\nadd 4\ncrash 4\nremove {1,4}\nadd {5,6} learner\npromote 6",
    )
    .expect("nodes named after their `add`");
    let expected = fails("cluster 3\nadd 65", "2:5", "65");
    assert!(expected.contains("from 1 to 64"), "{expected}");
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
    fails("cluster 3\nclients 2 reads=fast", "2:17", "fast");
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

/// `# expect failure: INVARIANT` marks a documented hazard; the name must
/// be an invariant's, and the comment elsewhere in a line works alike.
#[test]
fn an_expected_failure_names_an_invariant() {
    let scenario = parse(
        "x.scn",
        "# expect failure: linearizability (stale lease reads)\ncluster 3\n",
    )
    .expect("parses");
    assert_eq!(
        scenario.expected_failure,
        Some(sim::checker::Invariant::Linearizability)
    );
    let plain = parse("x.scn", "# expect linearizable\ncluster 3\n").expect("parses");
    assert_eq!(plain.expected_failure, None);
    let expected = fails(
        "# expect failure: staleness\ncluster 3",
        "1:19",
        "staleness",
    );
    assert!(expected.contains("linearizability"), "{expected}");
    fails("cluster 3  # expect failure:", "1:29", "");
}

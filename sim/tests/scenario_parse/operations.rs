//! Cluster operations and expectations: `propose` through `expect`.

use super::helpers::*;

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
    assert_eq!(
        kind("put k1 v1"),
        StepKind::Put("k1".into(), "v1".into(), None)
    );
    assert_eq!(
        kind("put k1 v1 via 3"),
        StepKind::Put("k1".into(), "v1".into(), Some(set(15, ids(&[3]))))
    );
}

#[test]
fn get() {
    assert_eq!(kind("get user-1"), StepKind::Get("user-1".into(), None));
    assert_eq!(
        kind("get x via leader"),
        StepKind::Get("x".into(), Some(set(11, SetTerm::Leader)))
    );
}

#[test]
fn append() {
    assert_eq!(
        kind("append k x.y"),
        StepKind::Append("k".into(), "x.y".into(), None)
    );
    assert_eq!(
        kind("append k 2 via 1"),
        StepKind::Append("k".into(), "2".into(), Some(set(16, ids(&[1]))))
    );
}

#[test]
fn via_takes_one_node() {
    let expected = fails("cluster 3\nput x 1 via {1,2}", "2:15", ",");
    assert!(expected.contains("takes one node"), "{expected}");
    fails("cluster 3\nget x via", "2:10", "");
    let expected = fails("cluster 3\nget x via 2 3", "2:13", "3");
    assert!(expected.contains("end of line"), "{expected}");
}

#[test]
fn wake_client() {
    assert_eq!(kind("wake client 2"), StepKind::WakeClient(2));
    let expected = fails("cluster 3\nwake 2", "2:6", "2");
    assert_eq!(expected, "`client` (as in `wake client 1`)");
    let expected = fails("cluster 3\nwake client 0", "2:13", "0");
    assert!(expected.contains("a client session's number"), "{expected}");
    fails("cluster 3\nwake client", "2:12", "");
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
            Condition::LeaderIn(set(18, minus(SetTerm::All, ids(&[1])))),
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
            Condition::Committed(Compare::Equal, 7, Some(set(26, SetTerm::All))),
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

//! Manual mode: `manual` through `stabilize`, message picks, and an example of every verb.

use super::helpers::*;

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
        StepKind::Heartbeat(set(11, SetTerm::Leader))
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
            from: Party::Nodes(set(9, ids(&[1]))),
            to: Party::Nodes(set(14, ids(&[2]))),
            kind: Some("append".into()),
            which: Which::All,
        })
    );
    assert_eq!(
        kind("deliver leader -> all"),
        StepKind::Deliver(MessagePick {
            from: Party::Nodes(set(9, SetTerm::Leader)),
            to: Party::Nodes(set(19, SetTerm::All)),
            kind: None,
            which: Which::Oldest,
        })
    );
    assert_eq!(
        kind("deliver 1 -> all all"),
        StepKind::Deliver(MessagePick {
            from: Party::Nodes(set(9, ids(&[1]))),
            to: Party::Nodes(set(14, SetTerm::All)),
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
            from: Party::Nodes(set(6, ids(&[1]))),
            to: Party::Nodes(set(11, ids(&[2, 3]))),
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
            from: Party::Nodes(set(9, ids(&[1]))),
            to: Party::Nodes(set(14, ids(&[2]))),
            kind: Some("append".into()),
            which: Which::Nth(3),
        })
    );
    assert_eq!(
        kind("drop 2 -> 1 nth=2"),
        StepKind::Drop(MessagePick {
            from: Party::Nodes(set(6, ids(&[2]))),
            to: Party::Nodes(set(11, ids(&[1]))),
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
            from: Party::Nodes(set(11, ids(&[1]))),
            to: Party::Nodes(set(16, ids(&[3]))),
            kind: Some("vote-resp".into()),
            which: Which::Oldest,
        })
    );
    assert_eq!(
        kind("duplicate 1 -> 3 append nth=2"),
        StepKind::Duplicate(MessagePick {
            from: Party::Nodes(set(11, ids(&[1]))),
            to: Party::Nodes(set(16, ids(&[3]))),
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
        "wake client 1",
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
    assert_eq!(scenario.steps.len(), words().count());
    let verbs: Vec<&str> = scenario
        .steps
        .iter()
        .map(|step| step.text.split(' ').next().unwrap())
        .collect();
    assert_eq!(verbs, words().collect::<Vec<_>>());
}

#[test]
fn a_pick_between_a_client_and_a_node() {
    assert_eq!(
        kind("deliver client 1 -> 2 request"),
        StepKind::Deliver(MessagePick {
            from: Party::Client(1),
            to: Party::Nodes(set(21, ids(&[2]))),
            kind: Some("request".into()),
            which: Which::Oldest,
        })
    );
    assert_eq!(
        kind("drop leader -> client 3 nth=2"),
        StepKind::Drop(MessagePick {
            from: Party::Nodes(set(6, SetTerm::Leader)),
            to: Party::Client(3),
            kind: None,
            which: Which::Nth(2),
        })
    );
    let expected = fails("cluster 3\ndeliver client -> 2", "2:16", "->");
    assert!(expected.contains("a client session's number"), "{expected}");
    let expected = fails("cluster 3\ndeliver client 1 -> 2 answer", "2:23", "answer");
    assert!(expected.contains("request, reply"), "{expected}");
}

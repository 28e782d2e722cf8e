//! Malformed appends, by hand: whatever the node's role and the message's
//! term, an append a correct leader cannot have sent is refused with
//! `MalformedMessage` before anything changes (not even the term rises).

use raft_core::{
    Config, Entry, EntryId, EntryKind, Error, HardState, LogIndex, Message, MessageBody, RawNode,
    Restored, Role, Term,
};

use crate::gen_state::{entry, id};
use crate::step_rules::{AppendFlaw, append_flaw};

fn eid(index: u64, term: u64) -> EntryId {
    EntryId {
        index: LogIndex(index),
        term: Term(term),
    }
}

fn entries(ids: &[(u64, u64)]) -> Vec<Entry> {
    ids.iter()
        .map(|(index, term)| entry(*index, *term, EntryKind::Normal, b"x".to_vec()))
        .collect()
}

fn append(term: u64, prev: EntryId, entries: Vec<Entry>) -> Message {
    Message {
        from: id(2),
        to: id(1),
        term: Term(term),
        body: MessageBody::AppendEntries {
            prev,
            entries,
            commit: LogIndex(2),
        },
    }
}

/// Node 1 of three, at term 2 with the log `[1:t1, 2:t2]`, entry 1 committed.
fn follower() -> RawNode {
    let mut config = Config::new(id(1), [id(1), id(2), id(3)]);
    config.pre_vote = false;
    let restored = Restored {
        hard_state: HardState {
            term: Term(2),
            vote: Some(id(2)),
            commit: LogIndex(1),
        },
        entries: entries(&[(1, 1), (2, 2)]),
        ..Restored::default()
    };
    RawNode::new(config, restored).expect("valid")
}

/// The same node, campaigning in term 3.
fn candidate() -> RawNode {
    let mut node = follower();
    node.campaign();
    assert_eq!(node.role(), Role::Candidate);
    node
}

/// The same node, leading term 3 with node 3's vote.
fn leader() -> RawNode {
    let mut node = candidate();
    let vote = Message {
        from: id(3),
        to: id(1),
        term: node.term(),
        body: MessageBody::VoteResponse { granted: true },
    };
    node.step(vote).expect("a vote is accepted");
    assert_eq!(node.role(), Role::Leader);
    node
}

/// Malformed appends after `2:t2` in a message of `term`, each with what is
/// wrong with it.
fn malformed(term: u64) -> Vec<(&'static str, AppendFlaw, EntryId, Vec<Entry>)> {
    let prev = eid(2, 2);
    vec![
        (
            "a gap",
            AppendFlaw::NotContiguous,
            prev,
            entries(&[(3, 2), (5, 2)]),
        ),
        (
            "a gap after prev",
            AppendFlaw::NotContiguous,
            prev,
            entries(&[(4, 2)]),
        ),
        (
            "a repeated index",
            AppendFlaw::NotContiguous,
            prev,
            entries(&[(3, 2), (3, 2)]),
        ),
        (
            "decreasing terms",
            AppendFlaw::TermsDecrease,
            prev,
            entries(&[(3, 2), (4, 1)]),
        ),
        (
            "an entry term below prev's",
            AppendFlaw::TermsDecrease,
            prev,
            entries(&[(3, 1)]),
        ),
        (
            "an entry term above the message's",
            AppendFlaw::TermAbove,
            prev,
            entries(&[(3, 2), (4, term + 1)]),
        ),
        (
            "a prev term above the message's",
            AppendFlaw::PrevTermAbove,
            eid(2, term + 1),
            Vec::new(),
        ),
    ]
}

#[test]
fn malformed_append_is_refused_without_a_trace() {
    for (role, node) in [
        ("follower", follower()),
        ("candidate", candidate()),
        ("leader", leader()),
    ] {
        let now = node.term().0;
        // The same term, a newer one (which a well-formed append would
        // adopt), and a much newer one.
        for term in [now, now + 1, now + 5] {
            for (what, flaw, prev, broken) in malformed(term) {
                assert_eq!(append_flaw(prev, &broken, Term(term)), Some(flaw), "{what}");
                let mut stepped = node.clone();
                let result = stepped.step(append(term, prev, broken));
                assert!(
                    matches!(result, Err(Error::MalformedMessage(_))),
                    "{role}, {what} in term {term}: {result:?}"
                );
                assert_eq!(
                    stepped.hard_state(),
                    node.hard_state(),
                    "{role}, {what} in term {term}: the hard state changed"
                );
                assert_eq!(
                    stepped.log(),
                    node.log(),
                    "{role}, {what} in term {term}: the log changed"
                );
                assert!(
                    stepped == node,
                    "{role}, {what} in term {term}: the node changed"
                );
            }
        }
    }
}

/// The control for the test above: the same shapes, well-formed, are
/// accepted and do change the node, so "unchanged" there means something.
#[test]
fn well_formed_append_of_a_newer_term_is_taken() {
    for node in [follower(), candidate(), leader()] {
        let term = node.term().0 + 1;
        let good = entries(&[(3, 2), (4, term)]);
        assert_eq!(append_flaw(eid(2, 2), &good, Term(term)), None);
        let mut stepped = node.clone();
        stepped
            .step(append(term, eid(2, 2), good))
            .expect("well-formed");
        assert_eq!(stepped.term(), Term(term));
        assert_eq!(stepped.role(), Role::Follower);
        assert_eq!(stepped.log().last_id(), eid(4, term));
        assert_eq!(stepped.log().committed(), LogIndex(2));
    }
}

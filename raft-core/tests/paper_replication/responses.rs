//! Responses out of order, and acknowledgements withdrawn by a newer leader.

use super::common::*;
use super::helpers::*;
use raft_core::{Entry, Error, LogIndex, MessageBody, ProgressState, RejectHint};

// ---- responses out of order ---------------------------------------------------

/// Raft Figure 2: matchIndex "increases monotonically". Reordered and
/// duplicated AppendResponses (and a stale rejection of an index below the
/// match) move neither the match index nor the commit index backwards, and
/// are not errors.
#[test]
fn reordered_and_duplicated_responses_never_lower_the_match_index() {
    let mut net = Network::new(3);
    net.elect(1);
    net.node_mut(1).propose(b"a".to_vec()).unwrap();
    net.process_ready(1);
    net.node_mut(1).propose(b"b".to_vec()).unwrap();
    net.process_ready(1);
    deliver_from_to(&mut net, 1, 2);
    net.process_ready(2);
    let answers = net.drop_where(|m| m.from == id(2));
    assert_eq!(answers.len(), 2);
    let (first, second) = (answers[0].clone(), answers[1].clone());
    assert_eq!(
        second.body,
        MessageBody::AppendResponse {
            index: LogIndex(3),
            reject: None
        }
    );
    let term = net.node(1).term().0;
    let stale_rejection = msg(
        2,
        1,
        term,
        MessageBody::AppendResponse {
            index: LogIndex(2),
            reject: Some(RejectHint { probe: eid(1, 1) }),
        },
    );
    for m in [
        second.clone(),
        first.clone(),
        second,
        first,
        stale_rejection,
    ] {
        net.deliver(m);
        assert_eq!(matched(&net, 1, 2), LogIndex(3));
        assert_eq!(commit_of(&net, 1), LogIndex(3));
        assert_eq!(
            net.node(1).status().progress[&id(2)].state,
            ProgressState::Replicate
        );
    }
    assert!(net.nodes[&id(1)].step_errors.is_empty());
    settle(&mut net, 1);
    for n in 1..=3 {
        assert_eq!(commit_of(&net, n), LogIndex(3), "node {n}");
        assert_eq!(net.applied(n).len(), 2, "node {n}");
    }
}

/// A success AppendResponse acknowledging an index the leader never had
/// cannot come from a correct follower: `Err(MalformedMessage)`, ignored.
#[test]
fn acknowledgement_beyond_the_leaders_log_is_malformed() {
    let mut net = Network::new(3);
    net.elect(1);
    let term = net.node(1).term().0;
    let before = net.node(1).status();
    let bogus = msg(
        2,
        1,
        term,
        MessageBody::AppendResponse {
            index: LogIndex(99),
            reject: None,
        },
    );
    let result = net.node_mut(1).step(bogus);
    assert!(
        matches!(result, Err(Error::MalformedMessage(_))),
        "{result:?}"
    );
    assert_eq!(net.node(1).status(), before);
    assert!(!net.node(1).has_ready());
}

/// An AppendEntries whose entries do not follow `prev` contiguously cannot
/// come from a correct leader: `Err(MalformedMessage)`, and nothing changes —
/// no entry appended, no commit, no answer, no new leader.
#[test]
fn non_contiguous_append_is_malformed_and_changes_nothing() {
    let mut net = Network::new(3);
    boot(&mut net, 2, 1, 1, &[1, 1]);
    net.process_all();
    let before = net.node(2).status();
    let bad: [Vec<Entry>; 3] = [
        vec![ent(4, 1)],
        vec![ent(3, 1), ent(5, 1)],
        vec![ent(3, 1), ent(3, 1)],
    ];
    for entries in bad {
        let m = append_msg(1, 2, 1, eid(2, 1), entries.clone(), 2);
        let result = net.node_mut(2).step(m);
        assert!(
            matches!(result, Err(Error::MalformedMessage(_))),
            "{entries:?}: {result:?}"
        );
        assert_eq!(net.node(2).status(), before, "{entries:?}");
        assert!(!net.node(2).has_ready(), "{entries:?}");
    }
}

/// As above, for a malformed append that carries a newer term: the crate
/// documents that input answered with an `Err` "was ignored", so it must not
/// raise the term (or clear the vote) either.
#[test]
fn malformed_append_of_a_newer_term_changes_nothing() {
    let mut net = Network::new(3);
    boot(&mut net, 2, 1, 1, &[1, 1]);
    net.process_all();
    let before = net.node(2).status();
    let m = append_msg(1, 2, 5, eid(2, 1), vec![ent(4, 5)], 2);
    let result = net.node_mut(2).step(m);
    assert!(
        matches!(result, Err(Error::MalformedMessage(_))),
        "{result:?}"
    );
    assert_eq!(net.node(2).status(), before);
    assert!(!net.node(2).has_ready());
}

// ---- acknowledgements withdrawn by a newer leader -----------------------------

/// Figure 2 ("Persistent state ... updated on stable storage before
/// responding to RPCs") with §5.3, AppendEntries receiver step 3 ("If an
/// existing entry conflicts with a new one ... delete the existing entry and
/// all that follow it"): an acknowledgement promises that the follower holds
/// the acknowledged entries durably. A follower that has queued (not yet
/// handed out in a Ready) an old leader's acknowledgement of index i, and
/// then lets a newer leader replace entries from an index <= i, must not
/// send that acknowledgement: the old leader would count an entry the
/// follower no longer has. Acknowledgements below the replaced suffix, and
/// rejections, stay true and are still sent.
#[test]
fn follower_withdraws_unsent_acks_for_entries_a_newer_leader_replaced() {
    let mut net = Network::new(3);
    boot(&mut net, 2, 1, 1, &[1]);
    net.process_all();
    assert!(!net.node(2).has_ready());
    // Old leader S1 (term 1), all stepped into S2 with no ready() between.
    let steps = [
        append_msg(1, 2, 1, eid(1, 1), vec![], 1),
        append_msg(1, 2, 1, eid(1, 1), vec![ent(2, 1)], 1),
        append_msg(1, 2, 1, eid(2, 1), vec![ent(3, 1)], 1),
        append_msg(1, 2, 1, eid(5, 1), vec![ent(6, 1)], 1),
        // New leader S3 (term 2) replaces index 2 on.
        append_msg(3, 2, 2, eid(1, 1), vec![ent(2, 2)], 1),
    ];
    for m in steps {
        net.node_mut(2).step(m).expect("well-formed append");
    }
    assert_eq!(net.node(2).log().entries(), &[ent(1, 1), ent(2, 2)][..]);
    let ready = net.node_mut(2).ready();
    assert_eq!(ready.entries, vec![ent(2, 2)]);
    let rejection = msg(
        2,
        1,
        1,
        MessageBody::AppendResponse {
            index: LogIndex(5),
            reject: Some(RejectHint { probe: eid(3, 1) }),
        },
    );
    assert_eq!(
        ready.messages_after_persist,
        vec![ack(2, 1, 1, 1), rejection, ack(2, 3, 2, 2)],
        "the old acks of 2 and 3 are withdrawn; the ack of 1 and the rejection stay"
    );
    finish_ready(&mut net, 2, ready);
}

//! Raft §5.1: terms, stale messages and stale leaders.

use super::common::*;
use super::helpers::*;
use raft_core::{Config, EntryId, LogIndex, MessageBody, RawNode, Restored, Role, Term};

// ---- §5.1: terms --------------------------------------------------------

/// The higher-term bodies of §5.1's rule, with whether the sender is a
/// leader of that term (AppendEntries, heartbeats).
fn higher_term_bodies(new_term: u64) -> Vec<(&'static str, MessageBody, bool)> {
    vec![
        ("vote", vote_req(10, new_term - 1), false),
        ("vote-resp", vote_resp(false), false),
        ("prevote-resp refused", pre_vote_resp(false), false),
        ("append", empty_append(), true),
        (
            "append-resp",
            MessageBody::AppendResponse {
                index: LogIndex(0),
                reject: None,
            },
            false,
        ),
        ("heartbeat", heartbeat(), true),
        (
            "heartbeat-resp",
            MessageBody::HeartbeatResponse { read_round: 0 },
            false,
        ),
    ]
}

/// Raft §5.1 (Figure 2, "Rules for Servers, All Servers"): "If RPC request
/// or response contains term T > currentTerm: set currentTerm = T, convert
/// to follower." Checked for every kind of message, on a node made by `make`.
fn check_update_term_from_message(make: impl Fn() -> RawNode, role: Role) {
    for (name, body, from_leader) in higher_term_bodies(7) {
        let mut n = make();
        assert_eq!(n.role(), role, "setup for {name}");
        assert!(n.term() < Term(7));
        let is_vote = matches!(body, MessageBody::VoteRequest { .. });
        step_ok(&mut n, msg(2, 1, 7, body));
        assert_eq!(n.term(), Term(7), "{role:?} given {name}: term");
        assert_eq!(n.role(), Role::Follower, "{role:?} given {name}: role");
        let leader = from_leader.then_some(id(2));
        assert_eq!(n.leader(), leader, "{role:?} given {name}: leader");
        let vote = is_vote.then_some(id(2));
        assert_eq!(
            n.vote(),
            vote,
            "{role:?} given {name}: vote of the new term"
        );
    }
}

/// §5.1: a follower adopts any higher term it sees.
#[test]
fn follower_update_term_from_message() {
    check_update_term_from_message(|| node(1, 3, plain), Role::Follower);
}

/// §5.1, §5.2: a candidate that sees a higher term steps down.
#[test]
fn candidate_update_term_from_message() {
    let make = || {
        let mut n = node(1, 3, plain);
        n.campaign();
        drain(&mut n);
        n
    };
    check_update_term_from_message(make, Role::Candidate);
}

/// Thesis §9.6: a pre-candidate that sees a higher term (other than in a
/// PreVote grant) steps down too.
#[test]
fn pre_candidate_update_term_from_message() {
    let make = || {
        let mut n = node(1, 3, with_pre_vote);
        n.campaign();
        drain(&mut n);
        n
    };
    check_update_term_from_message(make, Role::PreCandidate);
}

/// §5.1: a leader that sees a higher term steps down (plain config, so no
/// lease protects it from a vote request).
#[test]
fn leader_update_term_from_message() {
    check_update_term_from_message(|| leader_node(3, Restored::default()), Role::Leader);
}

/// §5.1: "If a server receives a request with a stale term number, it
/// rejects the request" — and stale responses are ignored. Nothing about the
/// node changes and, in the plain config, nothing is sent back.
#[test]
fn reject_stale_term_message() {
    let follower = || {
        let mut n = node_from(1, 3, plain, disk(3, &[]));
        step_ok(&mut n, msg(2, 1, 3, heartbeat()));
        drain(&mut n);
        n
    };
    let candidate = || {
        let mut n = node_from(1, 3, plain, disk(2, &[]));
        n.campaign();
        drain(&mut n);
        n
    };
    let leader = || leader_node(3, disk(2, &[]));
    let makers: [(&str, &dyn Fn() -> RawNode); 3] = [
        ("follower", &follower),
        ("candidate", &candidate),
        ("leader", &leader),
    ];
    let stale_bodies = || {
        vec![
            ("vote", vote_req(10, 2)),
            ("vote-resp granted", vote_resp(true)),
            ("prevote-resp granted", pre_vote_resp(true)),
            (
                "append",
                MessageBody::AppendEntries {
                    prev: EntryId::default(),
                    entries: vec![entry(1, 2)],
                    commit: LogIndex(1),
                },
            ),
            ("heartbeat", heartbeat()),
            (
                "append-resp",
                MessageBody::AppendResponse {
                    index: LogIndex(1),
                    reject: None,
                },
            ),
            (
                "heartbeat-resp",
                MessageBody::HeartbeatResponse { read_round: 0 },
            ),
        ]
    };
    for (who, make) in makers {
        for (name, body) in stale_bodies() {
            let mut n = make();
            assert_eq!(n.term(), Term(3), "setup of {who}");
            let before = n.status();
            let log_before = n.log().entries().to_vec();
            step_ok(&mut n, msg(3, 1, 2, body));
            assert_eq!(n.status(), before, "{who} changed on a stale {name}");
            assert_eq!(
                n.log().entries(),
                &log_before[..],
                "{who}'s log, stale {name}"
            );
            assert!(!n.has_ready(), "{who} answered a stale {name}");
        }
    }
}

/// §5.1 with thesis §9.6: a stale PreVote request is refused outright, and
/// the refusal carries the newer term so the sender catches up.
#[test]
fn stale_pre_vote_request_is_refused_with_the_newer_term() {
    let mut n = node_from(1, 3, with_pre_vote, disk(3, &[]));
    drain(&mut n);
    step_ok(&mut n, msg(2, 1, 2, pre_vote_req(10, 1)));
    assert_eq!(n.term(), Term(3));
    let out = drain(&mut n);
    let answers = out.all();
    assert_eq!(answers.len(), 1, "{answers:?}");
    assert_eq!(answers[0], &msg(1, 2, 3, pre_vote_resp(false)));

    // The stale pre-candidate adopts the term it was told.
    let mut stale = node_from(2, 3, with_pre_vote, disk(1, &[]));
    stale.campaign();
    assert_eq!(stale.role(), Role::PreCandidate);
    step_ok(&mut stale, answers[0].clone());
    assert_eq!(stale.term(), Term(3));
    assert_eq!(stale.role(), Role::Follower);
}

/// §5.1 with thesis §6.2/§9.6 (etcd's "stale leader" answer): with
/// CheckQuorum or PreVote on, a node may ignore vote requests, so a stale
/// leader would never hear of the newer term from them. Its stale append
/// or heartbeat is therefore answered with an AppendResponse of the newer
/// term. In the plain config it is simply ignored.
#[test]
fn stale_leader_append_is_answered_with_the_newer_term() {
    type Adjust = fn(&mut Config);
    let configs: [(&str, Adjust, bool); 4] = [
        ("plain", plain, false),
        ("check_quorum", |c| c.check_quorum = true, true),
        ("pre_vote", with_pre_vote, true),
        (
            "both",
            |c| {
                c.check_quorum = true;
                c.pre_vote = true;
            },
            true,
        ),
    ];
    for (name, adjust, answers) in configs {
        for body in [empty_append(), heartbeat()] {
            let kind = body.kind_name();
            let mut n = node_from(2, 3, adjust, disk(3, &[]));
            drain(&mut n);
            step_ok(&mut n, msg(1, 2, 2, body));
            assert_eq!(n.term(), Term(3), "{name}/{kind}");
            assert_eq!(
                n.leader(),
                None,
                "{name}/{kind}: a stale leader is not followed"
            );
            let out = drain(&mut n);
            if answers {
                let all = out.all();
                assert_eq!(all.len(), 1, "{name}/{kind}: {all:?}");
                assert_eq!(all[0].to, id(1), "{name}/{kind}");
                assert_eq!(all[0].term, Term(3), "{name}/{kind}");
                assert!(
                    matches!(all[0].body, MessageBody::StaleTerm),
                    "{name}/{kind}: an answer that acknowledges nothing: {all:?}"
                );
            } else {
                assert!(out.is_empty(), "{name}/{kind}: {out:?}");
            }
        }
    }
}

/// §5.1 + thesis §6.2: end to end, a deposed leader that was cut off hears
/// the newer term in the answer to its heartbeat and steps down.
#[test]
fn stale_leader_steps_down_when_answered_with_the_newer_term() {
    type Adjust = fn(&mut Config);
    let configs: [(&str, Adjust); 2] = [
        ("check_quorum", |c| c.check_quorum = true),
        ("pre_vote", with_pre_vote),
    ];
    for (name, adjust) in configs {
        let mut net = Network::with_config(3, adjust);
        net.elect(1);
        let old = net.node(1).term();
        net.isolate(1);
        // Nodes 2 and 3 time out and elect one of them.
        for _ in 0..10 * ET {
            net.tick(2, 1);
            net.tick(3, 1);
            net.stabilize();
            if !net.leaders().iter().all(|l| *l == 1) {
                break;
            }
        }
        let new_leader = *net
            .leaders()
            .iter()
            .find(|l| **l != 1)
            .unwrap_or_else(|| panic!("{name}: 2 or 3 should have won"));
        let new = net.node(new_leader).term();
        assert!(new > old, "{name}");
        net.heal();
        // The old leader was not ticked meanwhile, so even with CheckQuorum
        // it still believes it leads.
        assert_eq!(net.node(1).role(), Role::Leader, "{name}");
        assert_eq!(net.node(1).term(), old, "{name}");
        net.in_flight.clear();
        net.tick(1, 1); // a heartbeat of the old term
        net.process_ready(1);
        assert!(
            net.in_flight
                .iter()
                .any(|m| m.term == old && m.body.kind_name() == "heartbeat"),
            "{name}: the old leader heartbeats"
        );
        net.deliver_all();
        net.process_all();
        assert!(
            net.in_flight.iter().any(|m| m.to == id(1)
                && m.term == new
                && matches!(m.body, MessageBody::StaleTerm)),
            "{name}: the stale leader is told the new term: {:?}",
            net.in_flight
        );
        net.deliver_all();
        assert_eq!(net.node(1).role(), Role::Follower, "{name}");
        assert_eq!(net.node(1).term(), new, "{name}");
        net.stabilize();
        assert_eq!(net.leaders(), vec![new_leader], "{name}");
    }
}

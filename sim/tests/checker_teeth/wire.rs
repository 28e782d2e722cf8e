//! The wire: persist before send, one vote per term.

use super::helpers::*;
use raft_core::{Config, Entry, EntryId, LogIndex, Message, MessageBody, NodeId, RejectHint, Term};
use sim::checker::{Invariant, VoteLedger, check_send};
use sim::host::{Host, Outbox};
use sim::net::{Endpoint, Packet, Payload};

// ---- the wire: persist before send, one vote per term -----------------------

fn host(index: usize) -> Host {
    let voters = [NodeId(1), NodeId(2), NodeId(3)];
    let slot = NodeSlot::new(index);
    Host::new(
        slot,
        sim::sut::Sut::RAFT_CORE,
        Config::new(slot.id(), voters),
        10_000_000,
    )
}

fn message(from: u64, to: u64, term: u64, body: MessageBody) -> Message {
    Message {
        from: NodeId(from),
        to: NodeId(to),
        term: Term(term),
        body,
    }
}

const GRANT: MessageBody = MessageBody::VoteResponse { granted: true };

#[test]
fn a_vote_granted_before_it_is_synced_is_caught() {
    let mut h = host(0);
    h.synced_hard_state.term = Term(4);
    // The vote for n2 in term 4 is not on disk yet.
    let violation = check_send(&h.durable(), &message(1, 2, 4, GRANT)).expect("an unsynced vote");
    assert_eq!(violation.invariant, Invariant::PersistBeforeSend);
    assert_eq!(violation.nodes, slots(&[0]));
    // Nor is term 5.
    let violation = check_send(&h.durable(), &message(1, 2, 5, GRANT)).expect("an unsynced term");
    assert_eq!(violation.invariant, Invariant::PersistBeforeSend);
    // A vote for someone else on disk does not cover this one.
    h.synced_hard_state.vote = Some(NodeId(3));
    assert!(check_send(&h.durable(), &message(1, 2, 4, GRANT)).is_some());
    // Once durable, it may go.
    h.synced_hard_state.vote = Some(NodeId(2));
    assert_eq!(check_send(&h.durable(), &message(1, 2, 4, GRANT)), None);
    // A refusal promises nothing.
    h.synced_hard_state.vote = None;
    let refuse = MessageBody::VoteResponse { granted: false };
    assert_eq!(check_send(&h.durable(), &message(1, 2, 4, refuse)), None);
}

#[test]
fn persist_before_send_covers_vote_requests_acks_and_terms() {
    let mut h = host(1);
    h.synced_hard_state.term = Term(3);
    let ask = MessageBody::VoteRequest {
        last_log: id(0, 0),
        leader_transfer: false,
    };
    // Asking for votes in term 3 before its own vote is durable.
    assert!(check_send(&h.durable(), &message(2, 1, 3, ask.clone())).is_some());
    h.synced_hard_state.vote = Some(NodeId(2));
    assert_eq!(check_send(&h.durable(), &message(2, 1, 3, ask)), None);

    // Acknowledging entries the disk does not hold.
    h.synced_log.terms = vec![Term(1), Term(3)];
    let ack = |index| MessageBody::AppendResponse {
        index: LogIndex(index),
        reject: None,
    };
    let violation = check_send(&h.durable(), &message(2, 1, 3, ack(3))).expect("an unsynced entry");
    assert_eq!(violation.invariant, Invariant::PersistBeforeSend);
    assert_eq!(check_send(&h.durable(), &message(2, 1, 3, ack(2))), None);
    // A rejection acknowledges nothing.
    let reject = MessageBody::AppendResponse {
        index: LogIndex(7),
        reject: Some(RejectHint { probe: id(2, 3) }),
    };
    assert_eq!(check_send(&h.durable(), &message(2, 1, 3, reject)), None);

    // Any message in a term the disk has not seen...
    let violation = check_send(&h.durable(), &message(2, 1, 4, MessageBody::StaleTerm))
        .expect("an unsynced term");
    assert_eq!(violation.invariant, Invariant::PersistBeforeSend);
    assert_eq!(
        check_send(&h.durable(), &message(2, 1, 3, MessageBody::StaleTerm)),
        None
    );
    // ...but a heartbeat's answer and a read request, which promise
    // nothing durable and leave before the write (raft-core's
    // `leaves_before_persist`).
    for body in [
        MessageBody::HeartbeatResponse { read_round: 2 },
        MessageBody::ReadIndex { context: 7 },
    ] {
        assert_eq!(check_send(&h.durable(), &message(2, 1, 4, body)), None);
    }
    // PreVote speaks of a future term and promises nothing.
    let pre = MessageBody::PreVoteRequest { last_log: id(2, 3) };
    assert_eq!(check_send(&h.durable(), &message(2, 1, 4, pre)), None);
}

#[test]
fn a_second_vote_in_one_term_is_caught() {
    let mut ledger = VoteLedger::default();
    assert_eq!(
        ledger.observe(NodeSlot::new(0), &message(1, 2, 3, GRANT)),
        None
    );
    // The same vote sent again (a retry) is the same vote.
    assert_eq!(
        ledger.observe(NodeSlot::new(0), &message(1, 2, 3, GRANT)),
        None
    );
    // Refusals and other messages are not votes.
    let refuse = MessageBody::VoteResponse { granted: false };
    assert_eq!(
        ledger.observe(NodeSlot::new(0), &message(1, 3, 3, refuse)),
        None
    );
    assert_eq!(
        ledger.observe(
            NodeSlot::new(0),
            &message(1, 3, 3, MessageBody::HeartbeatResponse { read_round: 0 })
        ),
        None
    );
    // Another node, or another term, may vote for someone else.
    assert_eq!(
        ledger.observe(NodeSlot::new(1), &message(2, 3, 3, GRANT)),
        None
    );
    assert_eq!(
        ledger.observe(NodeSlot::new(0), &message(1, 3, 4, GRANT)),
        None
    );
    let violation = ledger
        .observe(NodeSlot::new(0), &message(1, 3, 3, GRANT))
        .expect("a second vote in term 3");
    assert_eq!(violation.invariant, Invariant::OneVotePerTerm);
    assert_eq!(violation.nodes, slots(&[0]));
}

/// Delivers `message` to `host` and returns the Raft messages it sends, and
/// the fsync it starts.
fn deliver(host: &mut Host, message: Message) -> (Vec<Message>, Option<u64>) {
    let mut out = Outbox::default();
    let packet = Packet {
        from: Endpoint::Node(NodeSlot::of_id(message.from).expect("a node")),
        to: Endpoint::Node(host.slot),
        payload: Payload::Raft(message),
    };
    assert!(host.on_packet(packet, &mut out));
    (raft_of(out.packets), out.sync)
}

fn raft_of(packets: Vec<Packet>) -> Vec<Message> {
    packets
        .into_iter()
        .filter_map(|p| match p.payload {
            Payload::Raft(m) => Some(m),
            _ => None,
        })
        .collect()
}

fn vote_request(from: u64, term: u64) -> Message {
    message(
        from,
        1,
        term,
        MessageBody::VoteRequest {
            last_log: id(0, 0),
            leader_transfer: false,
        },
    )
}

#[test]
fn a_correct_host_votes_only_after_the_fsync() {
    let mut h = host(0);
    assert!(h.boot(&mut Outbox::default()));
    let (sent, sync) = deliver(&mut h, vote_request(2, 1));
    assert!(
        !sent
            .iter()
            .any(|m| matches!(m.body, MessageBody::VoteResponse { .. })),
        "voted before the fsync: {sent:?}"
    );
    let token = sync.expect("the vote is written and synced");
    let mut out = Outbox::default();
    h.on_synced(token, &mut out);
    let sent = raft_of(out.packets);
    let vote = sent
        .iter()
        .find(|m| m.body == GRANT)
        .expect("the vote, once durable");
    assert_eq!(vote.to, NodeId(2));
    assert_eq!(check_send(&h.durable(), vote), None);
    let mut ledger = VoteLedger::default();
    assert_eq!(ledger.observe(NodeSlot::new(0), vote), None);
}

#[test]
fn a_host_skipping_its_fsync_is_caught_on_the_wire() {
    let mut h = host(0);
    assert!(h.boot(&mut Outbox::default()));
    h.breaks.skip_fsync = true;
    let (sent, sync) = deliver(&mut h, vote_request(2, 1));
    assert_eq!(sync, None);
    let vote = sent
        .iter()
        .find(|m| m.body == GRANT)
        .expect("the vote goes out at once");
    let violation = check_send(&h.durable(), vote).expect("an unsynced vote on the wire");
    assert_eq!(violation.invariant, Invariant::PersistBeforeSend);
}

#[test]
fn a_host_forgetting_its_vote_on_boot_votes_twice() {
    let mut h = host(0);
    h.breaks.forget_vote_on_boot = true;
    assert!(h.boot(&mut Outbox::default()));
    let mut ledger = VoteLedger::default();
    let mut votes = Vec::new();
    for candidate in [2, 3] {
        let (_, sync) = deliver(&mut h, vote_request(candidate, 1));
        if let Some(token) = sync {
            let mut out = Outbox::default();
            h.on_synced(token, &mut out);
            for m in raft_of(out.packets) {
                assert_eq!(check_send(&h.durable(), &m), None, "durable before sent");
                votes.push(ledger.observe(NodeSlot::new(0), &m));
            }
        }
        // Power loss and reboot between the two requests.
        h.crash(false, &mut disk_rng());
        assert!(h.boot(&mut Outbox::default()));
    }
    let violation = votes
        .into_iter()
        .flatten()
        .next()
        .expect("the second vote in term 1 is caught");
    assert_eq!(violation.invariant, Invariant::OneVotePerTerm);

    // A correct host refuses the second candidate after the reboot.
    let mut h = host(0);
    assert!(h.boot(&mut Outbox::default()));
    let mut ledger = VoteLedger::default();
    for candidate in [2, 3] {
        let (sent, sync) = deliver(&mut h, vote_request(candidate, 1));
        let mut sent = sent;
        if let Some(token) = sync {
            let mut out = Outbox::default();
            h.on_synced(token, &mut out);
            sent.extend(raft_of(out.packets));
        }
        for m in &sent {
            assert_eq!(ledger.observe(NodeSlot::new(0), m), None);
        }
        h.crash(false, &mut disk_rng());
        assert!(h.boot(&mut Outbox::default()));
    }
}

/// A generator for `Host::crash` (untorn crashes draw nothing from it).
fn disk_rng() -> rand_chacha::ChaCha8Rng {
    sim::streams::stream(0, sim::streams::Concern::Disk)
}

fn append(from: u64, term: u64, prev: EntryId, entries: Vec<Entry>) -> Message {
    message(
        from,
        1,
        term,
        MessageBody::AppendEntries {
            prev,
            entries,
            commit: LogIndex(0),
        },
    )
}

/// Delivers `message` and, if the host starts an fsync, completes it;
/// returns everything the host sent.
fn deliver_and_sync(host: &mut Host, message: Message) -> Vec<Message> {
    let (mut sent, sync) = deliver(host, message);
    if let Some(token) = sync {
        let mut out = Outbox::default();
        host.on_synced(token, &mut out);
        sent.extend(raft_of(out.packets));
    }
    sent
}

fn acks(sent: &[Message]) -> Vec<&Message> {
    sent.iter()
        .filter(|m| matches!(m.body, MessageBody::AppendResponse { reject: None, .. }))
        .collect()
}

/// n1 holds entries 1..=3 of term 1 durably and term 2 durably (it follows
/// n3, the leader of term 2).
fn follower_with_old_entries() -> Host {
    let mut h = host(0);
    assert!(h.boot(&mut Outbox::default()));
    let old = vec![entry(1, 1, "a"), entry(2, 1, "b"), entry(3, 1, "c")];
    let sent = deliver_and_sync(&mut h, append(2, 1, id(0, 0), old));
    assert_eq!(acks(&sent).len(), 1, "{sent:?}");
    let heartbeat = message(
        3,
        1,
        2,
        MessageBody::Heartbeat {
            commit: id(0, 0),
            read_round: 0,
        },
    );
    deliver_and_sync(&mut h, heartbeat);
    assert_eq!(h.synced_hard_state.term, Term(2));
    assert_eq!(h.synced_log.terms, vec![Term(1); 3]);
    h
}

#[test]
fn an_ack_for_entries_beyond_the_disk_is_caught_on_the_wire() {
    let mut h = follower_with_old_entries();
    h.breaks.skip_fsync = true;
    // Entry 4 exists only in memory when the ack leaves.
    let sent = deliver_and_sync(&mut h, append(3, 2, id(3, 1), vec![entry(4, 2, "d")]));
    let ack = acks(&sent);
    assert_eq!(ack.len(), 1, "{sent:?}");
    let violation = check_send(&h.durable(), ack[0]).expect("an ack of an unsynced entry");
    assert_eq!(violation.invariant, Invariant::PersistBeforeSend);
}

#[test]
fn a_correct_follower_acks_replaced_entries_once_durable() {
    let mut h = follower_with_old_entries();
    let sent = deliver_and_sync(
        &mut h,
        append(3, 2, id(1, 1), vec![entry(2, 2, "B"), entry(3, 2, "C")]),
    );
    let ack = acks(&sent);
    assert_eq!(ack.len(), 1, "{sent:?}");
    assert_eq!(check_send(&h.durable(), ack[0]), None);
    assert_eq!(h.synced_log.terms, vec![Term(1), Term(2), Term(2)]);
}

#[test]
fn an_ack_for_entries_that_replaced_durable_ones_in_memory_is_caught() {
    // The follower replaces its durable entries 2 and 3 (term 1) with the
    // leader's (term 2) and acknowledges index 3 before the fsync. The disk
    // still holds three entries, the old ones, so the ack promises what is
    // not durable: after a crash n1 holds (2, t1) and (3, t1), yet the
    // leader counted it as a replica of (3, t2). `check_send` sees only the
    // count; the host reports what the ack claimed against the disk
    // (`Outbox::ack_claims`) and the checkers judge it.
    let mut h = follower_with_old_entries();
    h.breaks.skip_fsync = true;
    let mut out = Outbox::default();
    let packet = Packet {
        from: Endpoint::Node(NodeSlot::new(2)),
        to: Endpoint::Node(NodeSlot::new(0)),
        payload: Payload::Raft(append(
            3,
            2,
            id(1, 1),
            vec![entry(2, 2, "B"), entry(3, 2, "C")],
        )),
    };
    assert!(h.on_packet(packet, &mut out));
    assert_eq!(out.sync, None, "the fsync is skipped");
    assert_eq!(out.ack_claims.len(), 1, "{:?}", out.ack_claims);
    assert_eq!(h.synced_log.terms, vec![Term(1); 3], "nothing was synced");
    let violation = checkers(3)
        .on_ack_claims(NodeSlot::new(0), &out.ack_claims)
        .expect_err("an ack of replaced, unsynced entries");
    assert_eq!(violation.invariant, Invariant::PersistBeforeSend);
    assert!(
        violation.message.contains("acknowledged index 3"),
        "{violation}"
    );
    // The same claim once the disk holds what was acknowledged passes.
    let mut synced = follower_with_old_entries();
    let mut out = Outbox::default();
    let packet = Packet {
        from: Endpoint::Node(NodeSlot::new(2)),
        to: Endpoint::Node(NodeSlot::new(0)),
        payload: Payload::Raft(append(3, 2, id(1, 1), vec![entry(2, 2, "B")])),
    };
    assert!(synced.on_packet(packet, &mut out));
    let token = out.sync.expect("the write waits for its fsync");
    let mut out = Outbox::default();
    synced.on_synced(token, &mut out);
    assert_eq!(out.ack_claims.len(), 1, "{:?}", out.ack_claims);
    assert_eq!(
        checkers(3).on_ack_claims(NodeSlot::new(0), &out.ack_claims),
        Ok(())
    );
}

#[test]
fn a_message_raft_core_refuses_is_handed_out_as_a_finding() {
    let mut h = host(0);
    assert!(h.boot(&mut Outbox::default()));
    let mut out = Outbox::default();
    let correct = vote_request(2, 1);
    let packet = |message: Message| Packet {
        from: Endpoint::Node(NodeSlot::new(1)),
        to: Endpoint::Node(NodeSlot::new(0)),
        payload: Payload::Raft(message),
    };
    assert!(h.on_packet(packet(correct), &mut out));
    assert!(
        out.refused.is_empty(),
        "a correct vote request: {:?}",
        out.refused
    );
    // Addressed to n3 but delivered to n1: no correct network does that.
    let misrouted = message(
        2,
        3,
        1,
        MessageBody::VoteRequest {
            last_log: id(0, 0),
            leader_transfer: false,
        },
    );
    assert!(h.on_packet(packet(misrouted), &mut out));
    assert_eq!(out.refused.len(), 1, "{:?}", out.refused);
    assert!(
        out.refused[0].starts_with("n1 refused a "),
        "{}",
        out.refused[0]
    );
}

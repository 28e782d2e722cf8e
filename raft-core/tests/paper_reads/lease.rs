//! Lease reads (thesis §6.4.1): with CheckQuorum, followers that heard the
//! leader refuse votes for an election timeout, so a leader that a quorum
//! answered recently serves reads without a round — for a lease shortened
//! by the clock drift allowed (`Config::max_clock_drift_percent`).

use raft_core::{Config, MessageBody, ReadMode};

use crate::common::{Network, id, msg};
use crate::helpers::{confirmed_at, heartbeats_from, outcome};

fn lease_network() -> Network {
    Network::with_config(3, |c| {
        c.check_quorum = true;
        c.pre_vote = true;
        c.read_mode = ReadMode::LeaseBased;
    })
}

/// The leader's lease, counted on its clock from a heartbeat's send, must
/// end before the lease of a follower that answered it, counted on the
/// follower's clock from the arrival (less a tick of phase), even with the
/// leader's clock slow and the follower's fast by the allowance.
#[test]
fn the_lease_leaves_room_for_the_drift_allowed() {
    let mut config = Config::new(id(1), [id(1)]);
    for election_ticks in [2, 3, 5, 10, 29, 100] {
        for drift in [0, 10, 30, 50, 99] {
            config.election_ticks = election_ticks;
            config.max_clock_drift_percent = drift;
            let lease = config.lease_ticks();
            // lease / (1 - d) <= (E - 1) / (1 + d), in integers.
            assert!(
                lease * (100 + drift) <= (election_ticks - 1) * (100 - drift),
                "E={election_ticks} d={drift}%: lease {lease}"
            );
            assert!(lease < election_ticks);
        }
    }
    config.election_ticks = 10;
    config.max_clock_drift_percent = 30;
    assert_eq!(config.lease_ticks(), 4);
    config.max_clock_drift_percent = 0;
    assert_eq!(config.lease_ticks(), 9);
}

#[test]
fn lease_reads_need_check_quorum() {
    let mut config = Config::new(id(1), [id(1)]);
    config.read_mode = ReadMode::LeaseBased;
    config.check_quorum = false;
    assert!(config.validate().is_err());
}

/// Elects 1 and has a quorum answer one heartbeat round.
fn leader_with_lease() -> Network {
    let mut net = lease_network();
    net.elect(1);
    net.node_mut(1).heartbeat_timeout();
    net.stabilize();
    assert!(net.node(1).lease_read_holds());
    net
}

#[test]
fn a_leader_with_a_lease_serves_reads_without_a_round() {
    let mut net = leader_with_lease();
    net.node_mut(1).read_index(1).expect("taken");
    net.process_ready(1);
    assert_eq!(heartbeats_from(&net, 1), 0, "no round");
    assert_eq!(
        confirmed_at(&net, 1, 1),
        Some(net.node(1).log().committed())
    );
}

#[test]
fn the_lease_runs_out_without_answers() {
    let mut net = leader_with_lease();
    net.isolate(1);
    let lease = net.node(1).config().lease_ticks();
    net.tick(1, lease);
    assert!(!net.node(1).lease_read_holds());
    net.node_mut(1).read_index(1).expect("taken");
    net.process_ready(1);
    assert_eq!(outcome(&net, 1, 1), None, "it waits for a round");
}

/// The lease counts from the send of the newest round a quorum answered,
/// on the leader's clock: renewed late, it lasts its full length from
/// there, and not a tick more.
#[test]
fn the_lease_counts_from_the_newest_round_answered() {
    let mut net = leader_with_lease();
    let lease = net.node(1).config().lease_ticks();
    net.tick(1, lease - 1);
    net.node_mut(1).heartbeat_timeout();
    net.stabilize();
    net.isolate(1);
    net.tick(1, lease - 1);
    assert!(net.node(1).lease_read_holds(), "within the renewed lease");
    net.tick(1, 1);
    assert!(!net.node(1).lease_read_holds(), "past it");
}

/// An answer to an older round renews the lease from that round's send,
/// though a newer round is out: the leader remembers when it sent each
/// round not yet answered.
#[test]
fn an_answer_to_an_older_round_renews_the_lease() {
    let mut net = leader_with_lease();
    let lease = net.node(1).config().lease_ticks();
    net.isolate(1);
    net.tick(1, lease);
    assert!(!net.node(1).lease_read_holds());
    net.heal();
    net.drop_where(|_| true);
    net.node_mut(1).heartbeat_timeout();
    net.process_ready(1);
    net.node_mut(1).heartbeat_timeout();
    net.process_ready(1);
    let round = |m: &raft_core::Message| match m.body {
        MessageBody::Heartbeat { read_round, .. } => read_round,
        _ => 0,
    };
    // Lose the newer round's heartbeats; the older round is answered.
    let beats = net.drop_where(|m| matches!(m.body, MessageBody::Heartbeat { .. }));
    let newest = beats.iter().map(round).max().expect("heartbeats");
    let (older, newer): (Vec<_>, Vec<_>) = beats.into_iter().partition(|m| round(m) < newest);
    assert_eq!(newer.len(), 2, "the newest round went to both followers");
    assert!(
        older.len() >= 2,
        "the one before it too (and those sent while cut off)"
    );
    for message in older {
        net.deliver(message);
    }
    net.stabilize();
    assert!(
        net.node(1).lease_read_holds(),
        "renewed by the older round's answers"
    );
}

/// Leader transfer: the target's vote requests override the voters'
/// leases, so the leader that sent TimeoutNow holds no lease any more
/// that term, even if the transfer is aborted (the TimeoutNow may still
/// be on its way).
#[test]
fn a_leader_that_sent_timeout_now_serves_no_lease_reads() {
    let mut net = leader_with_lease();
    net.node_mut(1).transfer_leader(id(2)).expect("a voter");
    net.process_ready(1);
    let lost = net.drop_where(|m| m.body == MessageBody::TimeoutNow);
    assert_eq!(lost.len(), 1);
    let election_ticks = net.node(1).config().election_ticks;
    net.tick(1, election_ticks);
    net.stabilize();
    assert_eq!(net.node(1).lead_transferee(), None, "aborted");
    net.node_mut(1).heartbeat_timeout();
    net.stabilize();
    assert!(!net.node(1).lease_read_holds());
}

/// The forfeit lasts one term: a node that hands its leadership over and
/// is elected again later holds a lease again once a quorum answers.
#[test]
fn a_new_term_of_leadership_brings_a_new_lease() {
    let mut net = leader_with_lease();
    net.node_mut(1).transfer_leader(id(2)).expect("a voter");
    net.stabilize();
    assert_eq!(net.leaders(), vec![2], "handed over");
    net.node_mut(2).transfer_leader(id(1)).expect("a voter");
    net.stabilize();
    assert_eq!(net.leaders(), vec![1], "handed back");
    net.node_mut(1).heartbeat_timeout();
    net.stabilize();
    assert!(net.node(1).lease_read_holds());
}

/// A node that restarts has forgotten which leader it promised its lease
/// to: under lease reads it refuses votes for an election timeout.
#[test]
fn a_node_that_boots_refuses_votes_for_an_election_timeout() {
    for lease_reads in [true, false] {
        let mut net = Network::with_config(3, |c| {
            c.check_quorum = true;
            if lease_reads {
                c.read_mode = ReadMode::LeaseBased;
            }
        });
        net.elect(1);
        net.restart(3);
        let term = net.node(3).term().0;
        let last_log = net.node(2).log().last_id();
        let request = || {
            let body = MessageBody::VoteRequest {
                last_log,
                leader_transfer: false,
            };
            msg(2, 3, term + 1, body)
        };
        net.deliver(request());
        let raised = net.node(3).term().0 > term;
        assert_eq!(raised, !lease_reads, "lease reads {lease_reads}");
        let election_ticks = net.node(3).config().election_ticks;
        net.tick(3, election_ticks);
        net.deliver(request());
        assert!(net.node(3).term().0 > term, "after a timeout it votes");
    }
}

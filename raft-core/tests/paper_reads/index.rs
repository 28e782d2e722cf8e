//! ReadIndex (thesis §6.4): the leader records its commit index, confirms
//! with one heartbeat round that a quorum answers that it still leads,
//! and only then hands the read back; a new leader first commits an entry
//! of its term; reads that cannot be confirmed fail.

use raft_core::{Error, MessageBody, ReadFailure, Role};

use crate::common::{Network, id, msg};
use crate::helpers::{confirmed_at, failure, heartbeats_from, outcome};

fn is_heartbeat_response(m: &raft_core::Message) -> bool {
    matches!(m.body, MessageBody::HeartbeatResponse { .. })
}

/// §6.4 step 3: "the leader sends a new round of heartbeats and waits for
/// their acknowledgments from a majority of the cluster".
#[test]
fn a_read_is_confirmed_only_once_a_quorum_answers_its_round() {
    let mut net = Network::new(3);
    net.elect(1);
    net.propose(1, b"x");
    let commit = net.node(1).log().committed();
    net.node_mut(1)
        .read_index(7)
        .expect("the leader takes reads");
    net.process_ready(1);
    assert_eq!(heartbeats_from(&net, 1), 2, "one round: a heartbeat each");
    net.isolate(3);
    net.deliver_all();
    net.process_all();
    assert_eq!(outcome(&net, 1, 7), None, "no answer yet, no read");
    net.deliver_first(is_heartbeat_response).expect("2 answers");
    net.process_ready(1);
    assert_eq!(
        confirmed_at(&net, 1, 7),
        Some(commit),
        "1 and 2 are a quorum"
    );
    assert_eq!(net.node(1).log().last_index(), commit, "nothing written");
}

/// An answer that does not echo the read's round confirms nothing: only a
/// heartbeat sent after the read was asked proves leadership after it.
#[test]
fn an_answer_to_an_earlier_round_confirms_nothing() {
    let mut net = Network::new(3);
    net.elect(1);
    net.node_mut(1).heartbeat_timeout();
    net.process_ready(1);
    net.deliver_all();
    net.process_all();
    let old_answers = net.drop_where(is_heartbeat_response);
    assert_eq!(old_answers.len(), 2);
    net.node_mut(1)
        .read_index(1)
        .expect("the leader takes reads");
    for answer in old_answers {
        net.deliver(answer);
    }
    net.process_ready(1);
    assert_eq!(outcome(&net, 1, 1), None, "answers from before the read");
    net.stabilize();
    assert!(confirmed_at(&net, 1, 1).is_some());
}

#[test]
fn reads_asked_together_share_one_round() {
    let mut net = Network::new(3);
    net.elect(1);
    for context in 1..=3 {
        net.node_mut(1).read_index(context).expect("taken");
    }
    net.process_ready(1);
    assert_eq!(heartbeats_from(&net, 1), 2, "one heartbeat per follower");
    net.stabilize();
    let commit = net.node(1).log().committed();
    for context in 1..=3 {
        assert_eq!(confirmed_at(&net, 1, context), Some(commit));
    }
}

/// One round in flight at a time (etcd's read loop): reads asked while it
/// is answered wait for the next, which goes out once it is confirmed.
#[test]
fn reads_asked_during_a_round_share_the_next_one() {
    let mut net = Network::new(3);
    net.elect(1);
    net.node_mut(1).read_index(1).expect("taken");
    net.process_ready(1);
    assert_eq!(heartbeats_from(&net, 1), 2);
    for context in 2..=4 {
        net.node_mut(1).read_index(context).expect("taken");
        net.process_ready(1);
    }
    assert_eq!(
        heartbeats_from(&net, 1),
        2,
        "no round while one is in flight"
    );
    net.deliver_all();
    net.process_all();
    net.deliver_all();
    net.process_ready(1);
    assert!(confirmed_at(&net, 1, 1).is_some());
    assert_eq!(outcome(&net, 1, 2), None, "asked after round 1 was sent");
    assert_eq!(heartbeats_from(&net, 1), 2, "round 2, for reads 2 to 4");
    net.stabilize();
    for context in 2..=4 {
        assert!(confirmed_at(&net, 1, context).is_some());
    }
}

#[test]
fn a_lone_voter_confirms_its_reads_at_once() {
    let mut net = Network::new(1);
    net.elect(1);
    net.node_mut(1).read_index(4).expect("taken");
    net.process_ready(1);
    assert_eq!(
        confirmed_at(&net, 1, 4),
        Some(net.node(1).log().committed())
    );
}

/// `rounds` of every node's Ready and every delivery, with the appends'
/// acknowledgements lost: nothing new commits.
fn rounds_without_append_acks(net: &mut Network, rounds: usize) {
    for _ in 0..rounds {
        net.process_all();
        net.drop_where(|m| matches!(m.body, MessageBody::AppendResponse { .. }));
        net.deliver_all();
    }
}

/// Node 2 wins term 2's election while 1's last entry, committed and
/// acknowledged in term 1, is committed on 1 alone; the no-op of term 2
/// is not yet acknowledged.
fn new_leader_before_its_no_op_commits(adjust: impl Fn(&mut raft_core::Config)) -> Network {
    let mut net = Network::with_config(3, adjust);
    net.elect(1);
    net.node_mut(1).propose(b"x".to_vec()).expect("leader");
    // 2 and 3 hold "x" but learn of its commit only later.
    net.process_ready(1);
    net.deliver_all();
    net.process_all();
    net.deliver_all();
    net.process_ready(1);
    net.drop_where(|_| true);
    assert_eq!(net.node(1).log().committed().0, 2, "the no-op and x");
    assert_eq!(net.node(2).log().committed().0, 1, "2 knows only the no-op");
    net.node_mut(2).campaign();
    rounds_without_append_acks(&mut net, 10);
    assert_eq!(net.node(2).role(), Role::Leader);
    assert_eq!(
        net.node(2).log().committed().0,
        1,
        "its no-op is not committed"
    );
    net
}

/// §6.4 step 1: "If the leader has not yet marked an entry from its current
/// term committed, it waits until it has" — its commit index may lag
/// what the old leader committed (etcd issue 7331).
#[test]
fn a_new_leader_holds_reads_until_it_commits_an_entry_of_its_term() {
    let mut net = new_leader_before_its_no_op_commits(|_| {});
    net.node_mut(2)
        .read_index(1)
        .expect("the leader takes reads");
    rounds_without_append_acks(&mut net, 5);
    assert_eq!(outcome(&net, 2, 1), None, "held while the no-op waits");
    // A heartbeat's answers resume replication, and the no-op commits.
    net.node_mut(2).heartbeat_timeout();
    net.stabilize();
    let index = confirmed_at(&net, 2, 1)
        .unwrap_or_else(|| panic!("not confirmed: {:?}", outcome(&net, 2, 1)));
    assert!(
        index.0 >= 3,
        "at or past the no-op of term 2, not at {index}"
    );
}

/// The same interleaving with the rule broken: the read is served at the
/// lagging commit index, below "x", which was acknowledged to its client.
#[test]
fn with_the_rule_broken_a_new_leader_reads_below_what_was_committed() {
    let mut net = new_leader_before_its_no_op_commits(|c| {
        c.rule_breaks.read_before_own_term_commit = true;
    });
    net.node_mut(2)
        .read_index(1)
        .expect("the leader takes reads");
    rounds_without_append_acks(&mut net, 5);
    assert_eq!(confirmed_at(&net, 2, 1).map(|i| i.0), Some(1), "stale");
}

#[test]
fn a_leader_that_steps_down_fails_its_waiting_reads() {
    let mut net = Network::new(3);
    net.elect(1);
    net.node_mut(1).read_index(5).expect("taken");
    net.process_ready(1);
    net.drop_where(|_| true);
    let newer = net.node(1).term().0 + 1;
    net.deliver(msg(3, 1, newer, MessageBody::StaleTerm));
    assert_eq!(net.node(1).role(), Role::Follower);
    net.process_ready(1);
    assert_eq!(failure(&net, 1, 5), Some(ReadFailure::LeadershipLost));
}

/// Without CheckQuorum a cut-off leader never steps down; its reads must
/// still end: after one to two election timeouts.
#[test]
fn a_read_no_quorum_answers_times_out() {
    let mut net = Network::new(3);
    net.elect(1);
    net.isolate(1);
    let election_ticks = net.node(1).config().election_ticks;
    net.node_mut(1).read_index(9).expect("taken");
    net.tick(1, election_ticks - 1);
    net.process_ready(1);
    assert_eq!(outcome(&net, 1, 9), None, "still within a timeout");
    net.tick(1, election_ticks + 1);
    net.process_ready(1);
    assert_eq!(failure(&net, 1, 9), Some(ReadFailure::TimedOut));
    assert_eq!(
        net.node(1).role(),
        Role::Leader,
        "it still believes it leads"
    );
}

#[test]
fn reads_beyond_the_bound_are_refused() {
    let mut net = Network::with_config(3, |c| c.max_pending_reads = 2);
    net.elect(1);
    net.isolate(1);
    net.node_mut(1).read_index(1).expect("taken");
    net.node_mut(1).read_index(2).expect("taken");
    let before = net.node(1).clone();
    assert_eq!(
        net.node_mut(1).read_index(3),
        Err(Error::TooManyReads { limit: 2 })
    );
    assert_eq!(net.node(1), &before, "a refused read changes nothing");
    let _ = id(1);
}

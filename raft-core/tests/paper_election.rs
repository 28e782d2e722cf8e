mod common;
use common::*;

// Unit tests of the election rules, organised after the Raft paper (Ongaro &
// Ousterhout, "In Search of an Understandable Consensus Algorithm") and the
// thesis (Ongaro, "Consensus: Bridging Theory and Practice") the way etcd's
// `raft_paper_test.go` is: one test per rule, named after it, citing the
// section. Everything is driven by hand: tick counts, and messages stepped,
// delivered or dropped explicitly.

use raft_core::{
    Config, Entry, EntryId, EntryKind, Error, HardState, LogIndex, Message, MessageBody, NodeId,
    RawNode, Restored, Role, Term,
};

/// The `election_ticks` of `Config::new`, which `common::config` keeps.
const ET: u64 = 10;

// ---- helpers ----------------------------------------------------------

fn msg(from: u64, to: u64, term: u64, body: MessageBody) -> Message {
    Message {
        from: id(from),
        to: id(to),
        term: Term(term),
        body,
    }
}

fn eid(index: u64, term: u64) -> EntryId {
    EntryId {
        index: LogIndex(index),
        term: Term(term),
    }
}

fn vote_req(index: u64, term: u64) -> MessageBody {
    MessageBody::VoteRequest {
        last_log: eid(index, term),
    }
}

fn pre_vote_req(index: u64, term: u64) -> MessageBody {
    MessageBody::PreVoteRequest {
        last_log: eid(index, term),
    }
}

fn vote_resp(granted: bool) -> MessageBody {
    MessageBody::VoteResponse { granted }
}

fn pre_vote_resp(granted: bool) -> MessageBody {
    MessageBody::PreVoteResponse { granted }
}

fn empty_append() -> MessageBody {
    MessageBody::AppendEntries {
        prev: EntryId::default(),
        entries: Vec::new(),
        commit: LogIndex(0),
    }
}

fn heartbeat() -> MessageBody {
    MessageBody::Heartbeat {
        commit: EntryId::default(),
    }
}

fn entry(index: u64, term: u64) -> Entry {
    Entry {
        term: Term(term),
        index: LogIndex(index),
        kind: EntryKind::Normal,
        data: Vec::new(),
    }
}

/// What a node read back from disk: `term`, no vote, and entries given as
/// (index, term).
fn disk(term: u64, entries: &[(u64, u64)]) -> Restored {
    Restored {
        hard_state: HardState {
            term: Term(term),
            vote: None,
            commit: LogIndex(0),
        },
        snapshot: None,
        entries: entries.iter().map(|&(i, t)| entry(i, t)).collect(),
        applied: LogIndex(0),
    }
}

fn plain(_: &mut Config) {}

fn with_pre_vote(c: &mut Config) {
    c.pre_vote = true;
}

/// Node `me` of a `size`-voter cluster (plain-paper config, then `adjust`).
fn node_from(me: u64, size: u64, adjust: impl Fn(&mut Config), restored: Restored) -> RawNode {
    let mut c = config(me, size);
    adjust(&mut c);
    RawNode::new(c, restored).expect("valid config and restore")
}

fn node(me: u64, size: u64, adjust: impl Fn(&mut Config)) -> RawNode {
    node_from(me, size, adjust, Restored::default())
}

/// The messages a node handed out, split as `Ready` splits them.
#[derive(Debug, Default)]
struct Outbox {
    /// `Ready::messages`: may leave before the write.
    now: Vec<Message>,
    /// `Ready::messages_after_persist`: wait for the write.
    after_persist: Vec<Message>,
}

impl Outbox {
    fn all(&self) -> Vec<&Message> {
        self.now.iter().chain(&self.after_persist).collect()
    }

    fn is_empty(&self) -> bool {
        self.now.is_empty() && self.after_persist.is_empty()
    }
}

/// Runs a lone node's Ready loop until it is quiet, as a host would (the
/// writes are taken as done), and returns what it sent.
fn drain(node: &mut RawNode) -> Outbox {
    let mut out = Outbox::default();
    while node.has_ready() {
        let mut ready = node.ready();
        out.now.append(&mut ready.messages);
        out.after_persist.append(&mut ready.messages_after_persist);
        node.advance(ready);
        node.assert_invariants();
    }
    out
}

fn step_ok(node: &mut RawNode, message: Message) {
    node.step(message).expect("a well-formed message");
    node.assert_invariants();
}

fn is_vote_request(m: &Message) -> bool {
    matches!(
        m.body,
        MessageBody::VoteRequest { .. } | MessageBody::PreVoteRequest { .. }
    )
}

/// How many more ticks `node` needs before it asks for (pre-)votes, measured
/// on a clone so the node itself is untouched.
fn ticks_to_campaign(node: &RawNode) -> u64 {
    let mut n = node.clone();
    drain(&mut n);
    for t in 1..=1000 {
        n.tick();
        if drain(&mut n).all().into_iter().any(is_vote_request) {
            return t;
        }
    }
    panic!("node {} never campaigned", node.id().0);
}

/// Ticks a lone node until its role leaves Follower; returns the tick count.
fn ticks_until_not_follower(node: &mut RawNode) -> u64 {
    for t in 1..=1000 {
        node.tick();
        if node.role() != Role::Follower {
            return t;
        }
    }
    panic!("node {} never left the follower role", node.id().0);
}

/// The successive election timeouts of a lone candidate whose requests are
/// all lost: ticks between one term increase and the next.
fn successive_timeouts(c: &Config, count: usize) -> Vec<u64> {
    let mut n = RawNode::new(c.clone(), Restored::default()).expect("valid config");
    let mut out = Vec::new();
    for _ in 0..count {
        let term = n.term();
        let mut ticks = 0;
        while n.term() == term {
            n.tick();
            ticks += 1;
            assert!(ticks <= 1000, "no election");
        }
        drain(&mut n);
        out.push(ticks);
    }
    out
}

/// Node 1 of `size`, made leader of term `restored term + 1` by hand.
fn leader_node(size: u64, restored: Restored) -> RawNode {
    let mut n = node_from(1, size, plain, restored);
    n.campaign();
    let term = n.term().0;
    for from in 2..=size {
        if n.role() == Role::Leader {
            break;
        }
        step_ok(&mut n, msg(from, 1, term, vote_resp(true)));
    }
    assert_eq!(n.role(), Role::Leader);
    drain(&mut n);
    n
}

/// A tiny extension so a lone node can be ticked many times.
trait TickN {
    fn tick_n(&mut self, count: u64);
}

impl TickN for RawNode {
    fn tick_n(&mut self, count: u64) {
        for _ in 0..count {
            self.tick();
        }
    }
}

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
        ("heartbeat-resp", MessageBody::HeartbeatResponse, false),
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
            ("heartbeat-resp", MessageBody::HeartbeatResponse),
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

// ---- §5.2: election timeouts ----------------------------------------------

/// §5.2: "If a follower receives no communication over a period of time
/// called the election timeout, then it ... begins an election": it
/// increments its term, votes for itself and sends RequestVote to every other
/// server. Here the timeout fires by ticking, in a 5-voter cluster.
#[test]
fn follower_start_election() {
    let mut n = node_from(1, 5, plain, disk(1, &[(1, 1), (2, 1)]));
    drain(&mut n);
    let timeout = ticks_to_campaign(&n);
    n.tick_n(timeout - 1);
    assert_eq!(n.role(), Role::Follower, "not before the timeout");
    assert!(!n.has_ready());
    n.tick();
    assert_eq!(n.role(), Role::Candidate);
    assert_eq!(n.term(), Term(2));
    assert_eq!(n.vote(), Some(id(1)));
    assert_eq!(n.leader(), None);
    let out = drain(&mut n);
    let mut to: Vec<u64> = out.all().iter().map(|m| m.to.0).collect();
    to.sort_unstable();
    assert_eq!(to, vec![2, 3, 4, 5], "one request to every other voter");
    for m in out.all() {
        assert_eq!(m.body, vote_req(2, 1), "carries the last log entry");
        assert_eq!(m.term, Term(2));
        assert_eq!(m.from, id(1));
    }
}

/// §5.2: "If the election timeout elapses without receiving AppendEntries
/// ... or granting vote to candidate: convert to candidate" — a candidate
/// whose election times out starts a new one with a new term.
#[test]
fn candidate_start_new_election() {
    let mut n = node(1, 3, plain);
    n.campaign();
    drain(&mut n);
    assert_eq!(n.term(), Term(1));
    let timeout = ticks_to_campaign(&n);
    assert!((ET..2 * ET).contains(&timeout), "timeout {timeout}");
    n.tick_n(timeout - 1);
    assert_eq!((n.role(), n.term()), (Role::Candidate, Term(1)));
    n.tick();
    assert_eq!((n.role(), n.term()), (Role::Candidate, Term(2)));
    assert_eq!(n.vote(), Some(id(1)));
    let out = drain(&mut n);
    let requests: Vec<_> = out
        .all()
        .into_iter()
        .filter(|m| is_vote_request(m))
        .collect();
    assert_eq!(requests.len(), 2);
    assert!(requests.iter().all(|m| m.term == Term(2)));
}

/// §5.2: "Raft uses randomized election timeouts ... chosen randomly from a
/// fixed interval": here `[election_ticks, 2 * election_ticks)`, for
/// followers and for candidates, and for a non-default `election_ticks`.
#[test]
fn election_timeout_randomized_in_range() {
    for election_ticks in [ET, 5] {
        let mut follower_timeouts = std::collections::BTreeSet::new();
        for seed in 0..64 {
            let adjust = |c: &mut Config| {
                c.seed = seed;
                c.election_ticks = election_ticks;
            };
            let mut n = node(1, 3, adjust);
            let t = ticks_until_not_follower(&mut n);
            assert_eq!(n.role(), Role::Candidate);
            assert!(
                (election_ticks..2 * election_ticks).contains(&t),
                "follower timeout {t} for election_ticks {election_ticks}, seed {seed}"
            );
            follower_timeouts.insert(t);
            let mut c = config(1, 3);
            adjust(&mut c);
            for t in successive_timeouts(&c, 8) {
                assert!(
                    (election_ticks..2 * election_ticks).contains(&t),
                    "timeout {t} for election_ticks {election_ticks}, seed {seed}"
                );
            }
        }
        assert!(
            follower_timeouts.len() as u64 >= election_ticks / 2,
            "64 seeds spread over few timeouts: {follower_timeouts:?}"
        );
    }
}

/// §5.2: the jitter is deterministic in the seed (the library's contract:
/// no ambient randomness), differs between seeds and between nodes given the
/// same seed (so they do not time out together), and is drawn afresh every
/// term rather than once.
#[test]
fn election_timeout_depends_on_seed_and_id_only() {
    let with_seed = |me: u64, seed: u64| {
        let mut c = config(me, 3);
        c.seed = seed;
        successive_timeouts(&c, 12)
    };
    assert_eq!(
        with_seed(1, 42),
        with_seed(1, 42),
        "same seed, same timeouts"
    );
    assert_ne!(with_seed(1, 42), with_seed(1, 43), "different seeds");
    assert_ne!(
        with_seed(1, 42),
        with_seed(2, 42),
        "same seed, different ids"
    );
    let sequence = with_seed(1, 42);
    let distinct: std::collections::BTreeSet<_> = sequence.iter().collect();
    assert!(distinct.len() > 1, "redrawn every term: {sequence:?}");
}

// ---- §5.2: RequestVote ----------------------------------------------------

/// Figure 2 ("Persistent state ... updated on stable storage before
/// responding to RPCs"): the candidate's own vote and new term must be
/// durable before its RequestVotes leave, so they are handed out in
/// `messages_after_persist`, never in `messages`.
#[test]
fn vote_requests_wait_for_the_vote_to_be_durable() {
    for via_tick in [false, true] {
        let mut n = node(1, 3, plain);
        if via_tick {
            let t = ticks_to_campaign(&n);
            n.tick_n(t);
        } else {
            n.campaign();
        }
        let ready = n.ready();
        assert!(ready.messages.is_empty(), "{:?}", ready.messages);
        assert_eq!(ready.messages_after_persist.len(), 2);
        assert!(ready.messages_after_persist.iter().all(is_vote_request));
        assert_eq!(
            ready.hard_state,
            Some(HardState {
                term: Term(1),
                vote: Some(id(1)),
                commit: LogIndex(0)
            })
        );
        assert!(ready.must_sync, "the vote must be fsynced first");
        n.advance(ready);
    }
}

/// Figure 2 again, on the voter's side: the grant waits for the vote to be
/// durable.
#[test]
fn vote_response_waits_for_the_vote_to_be_durable() {
    let mut n = node(2, 3, plain);
    drain(&mut n);
    step_ok(&mut n, msg(1, 2, 1, vote_req(0, 0)));
    let ready = n.ready();
    assert!(ready.messages.is_empty(), "{:?}", ready.messages);
    assert_eq!(
        ready.messages_after_persist,
        vec![msg(2, 1, 1, vote_resp(true))]
    );
    assert_eq!(ready.hard_state.as_ref().map(|h| h.vote), Some(Some(id(1))));
    assert!(ready.must_sync);
    n.advance(ready);
}

/// §5.2: "Each server will vote for at most one candidate in a given term,
/// on a first-come-first-served basis" — a second candidate of the same term
/// is refused, also after a restart (the vote is persistent state).
#[test]
fn voter_grants_at_most_one_vote_per_term() {
    let mut n = node(2, 3, plain);
    step_ok(&mut n, msg(1, 2, 1, vote_req(0, 0)));
    step_ok(&mut n, msg(3, 2, 1, vote_req(0, 0)));
    assert_eq!(n.vote(), Some(id(1)));
    let out = drain(&mut n);
    assert_eq!(
        out.all(),
        vec![
            &msg(2, 1, 1, vote_resp(true)),
            &msg(2, 3, 1, vote_resp(false))
        ]
    );

    // The same across a restart: the vote comes back from disk.
    let mut net = Network::new(3);
    net.deliver(msg(1, 2, 1, vote_req(0, 0)));
    net.process_ready(2);
    net.in_flight.clear();
    net.restart(2);
    net.deliver(msg(3, 2, 1, vote_req(0, 0)));
    net.process_ready(2);
    assert_eq!(net.in_flight, vec![msg(2, 3, 1, vote_resp(false))]);
    assert_eq!(net.node(2).vote(), Some(id(1)));
}

/// §5.2 (RequestVote receiver, "votedFor is null or candidateId"): a
/// duplicated request from the candidate already voted for is granted again
/// (its first answer may have been lost).
#[test]
fn voter_regrants_a_duplicate_request() {
    let mut n = node(2, 3, plain);
    step_ok(&mut n, msg(1, 2, 1, vote_req(0, 0)));
    drain(&mut n);
    step_ok(&mut n, msg(1, 2, 1, vote_req(0, 0)));
    assert_eq!(n.vote(), Some(id(1)));
    assert_eq!(drain(&mut n).all(), vec![&msg(2, 1, 1, vote_resp(true))]);
}

/// Figure 2 (Rules for Followers): the election timer restarts on "granting
/// vote to candidate" — so a voter does not start a rival election right
/// after voting — but not on refusing one.
#[test]
fn granting_a_vote_resets_the_election_timer_refusing_does_not() {
    // Term 1, no vote, no leader (learned from a response of term 1).
    let mut n = node(2, 3, plain);
    step_ok(&mut n, msg(3, 2, 1, MessageBody::HeartbeatResponse));
    assert_eq!((n.term(), n.vote(), n.leader()), (Term(1), None, None));
    drain(&mut n);
    let timeout = ticks_to_campaign(&n);
    n.tick_n(timeout - 1);
    assert_eq!(ticks_to_campaign(&n), 1, "about to time out");
    step_ok(&mut n, msg(1, 2, 1, vote_req(0, 0)));
    assert_eq!(n.vote(), Some(id(1)));
    let after_grant = ticks_to_campaign(&n);
    assert!(
        after_grant >= ET,
        "granting must restart the timer: campaigns {after_grant} ticks later"
    );

    // Refusing (same term, already voted) leaves the timer alone.
    drain(&mut n);
    n.tick_n(after_grant - 1);
    step_ok(&mut n, msg(3, 2, 1, vote_req(0, 0)));
    assert_eq!(drain(&mut n).all(), vec![&msg(2, 3, 1, vote_resp(false))]);
    assert_eq!(
        ticks_to_campaign(&n),
        1,
        "a refusal does not restart the timer"
    );
}

/// §5.4.1: "the voter denies its vote if its own log is more up-to-date than
/// that of the candidate": later last term wins; with equal last terms the
/// longer log wins. Same rule for PreVote (thesis §9.6).
#[test]
fn voter_up_to_date_check() {
    // The voter's log: (1, t1), (2, t2); its term is 2.
    let cases = [
        (eid(1, 1), false, "lower last term, shorter"),
        (eid(5, 1), false, "lower last term, longer"),
        (eid(1, 2), false, "same last term, shorter"),
        (eid(0, 0), false, "empty log"),
        (eid(2, 2), true, "identical"),
        (eid(3, 2), true, "same last term, longer"),
        (eid(1, 3), true, "higher last term, shorter"),
    ];
    for (last_log, granted, why) in cases {
        let mut voter = node_from(2, 3, plain, disk(2, &[(1, 1), (2, 2)]));
        step_ok(
            &mut voter,
            msg(1, 2, 3, MessageBody::VoteRequest { last_log }),
        );
        assert_eq!(voter.term(), Term(3), "{why}");
        assert_eq!(voter.vote(), granted.then_some(id(1)), "{why}");
        assert_eq!(
            drain(&mut voter).all(),
            vec![&msg(2, 1, 3, vote_resp(granted))],
            "{why}"
        );

        let mut pre_voter = node_from(2, 3, with_pre_vote, disk(2, &[(1, 1), (2, 2)]));
        step_ok(
            &mut pre_voter,
            msg(1, 2, 3, MessageBody::PreVoteRequest { last_log }),
        );
        assert_eq!(pre_voter.term(), Term(2), "pre-vote, {why}: term unchanged");
        let answers = drain(&mut pre_voter);
        let answers = answers.all();
        assert_eq!(answers.len(), 1, "pre-vote, {why}");
        assert_eq!(answers[0].body, pre_vote_resp(granted), "pre-vote, {why}");
    }
}

/// §5.2: "A candidate wins an election if it receives votes from a majority
/// of the servers in the full cluster for the same term"; it loses (returns
/// to follower) once a majority refused; otherwise it keeps waiting. A
/// duplicated grant counts once.
#[test]
fn leader_election_in_one_round_rpc() {
    type Votes = &'static [(u64, bool)];
    let cases: [(u64, Votes, Role); 13] = [
        (1, &[], Role::Leader),
        (3, &[(2, true), (3, true)], Role::Leader),
        (3, &[(2, true)], Role::Leader),
        (
            5,
            &[(2, true), (3, true), (4, true), (5, true)],
            Role::Leader,
        ),
        (5, &[(2, true), (3, true)], Role::Leader),
        (5, &[(2, false), (3, true), (4, true)], Role::Leader),
        (3, &[], Role::Candidate),
        (5, &[(2, true)], Role::Candidate),
        (5, &[(2, true), (2, true), (2, true)], Role::Candidate),
        (5, &[(2, false), (3, false)], Role::Candidate),
        (3, &[(2, false), (3, false)], Role::Follower),
        (5, &[(2, false), (3, false), (4, false)], Role::Follower),
        (
            5,
            &[(2, true), (3, false), (4, false), (5, false)],
            Role::Follower,
        ),
    ];
    for (size, votes, expected) in cases {
        let mut n = node(1, size, plain);
        n.campaign();
        for &(from, granted) in votes {
            step_ok(&mut n, msg(from, 1, 1, vote_resp(granted)));
        }
        assert_eq!(n.role(), expected, "{size} voters, votes {votes:?}");
        assert_eq!(n.term(), Term(1), "{size} voters, votes {votes:?}");
        assert_eq!(n.vote(), Some(id(1)), "a loser keeps its vote for itself");
    }
}

/// §5.2: "if many followers become candidates at the same time, votes could
/// be split so that no candidate obtains a majority. When this happens,
/// each candidate will time out and start a new election by incrementing
/// its term."
#[test]
fn candidate_split_vote_then_new_election() {
    let mut net = Network::new(4);
    net.node_mut(1).campaign();
    net.node_mut(2).campaign();
    net.process_all();
    // 3 votes for 1, 4 votes for 2; everything else is refused.
    net.deliver_first(|m| m.from == id(1) && m.to == id(3));
    net.deliver_first(|m| m.from == id(2) && m.to == id(4));
    net.stabilize();
    for n in [1, 2] {
        assert_eq!(net.node(n).role(), Role::Candidate, "node {n}: split vote");
        assert_eq!(net.node(n).term(), Term(1));
    }
    assert_eq!(net.node(3).vote(), Some(id(1)));
    assert_eq!(net.node(4).vote(), Some(id(2)));

    let timeout = ticks_to_campaign(net.node(1));
    net.tick(1, timeout);
    assert_eq!(net.node(1).term(), Term(2), "a new election, a new term");
    assert_eq!(net.node(1).role(), Role::Candidate);
    net.stabilize();
    assert_eq!(net.leaders(), vec![1]);
    assert!((1..=4).all(|n| net.node(n).term() == Term(2)));
}

/// §5.2: "If the leader's term ... is at least as large as the candidate's
/// current term, then the candidate recognizes the leader as legitimate and
/// returns to follower state." Also for a pre-candidate (thesis §9.6).
#[test]
fn candidate_fallback_on_append_from_leader_of_its_term() {
    for pre in [false, true] {
        for body in [empty_append(), heartbeat()] {
            let kind = body.kind_name();
            let adjust = move |c: &mut Config| c.pre_vote = pre;
            let mut n = node_from(1, 3, adjust, disk(1, &[]));
            n.campaign();
            drain(&mut n);
            let role = if pre {
                Role::PreCandidate
            } else {
                Role::Candidate
            };
            assert_eq!(n.role(), role);
            let term = n.term().0;
            step_ok(&mut n, msg(2, 1, term, body));
            assert_eq!(n.role(), Role::Follower, "{role:?} given {kind}");
            assert_eq!(n.term(), Term(term), "{role:?} given {kind}");
            assert_eq!(n.leader(), Some(id(2)), "{role:?} given {kind}");
            let out = drain(&mut n);
            assert!(
                out.all().iter().any(|m| m.to == id(2)),
                "{role:?} given {kind}: the leader is answered"
            );
        }
    }
}

// ---- §5.4.2 / §8: the new leader's no-op ----------------------------------

/// §8: "each leader commit[s] a blank no-op entry into the log at the start
/// of its term", and sends it at once.
#[test]
fn leader_appends_noop_of_its_term_on_election() {
    let mut n = node_from(1, 3, plain, disk(2, &[(1, 1), (2, 2)]));
    n.campaign();
    step_ok(&mut n, msg(2, 1, 3, vote_resp(true)));
    assert_eq!(n.role(), Role::Leader);
    let last = n.log().entry(LogIndex(3)).expect("a new entry").clone();
    assert_eq!(n.log().last_index(), LogIndex(3));
    assert_eq!((last.term, last.kind), (Term(3), EntryKind::Noop));
    assert!(last.data.is_empty());
    let ready = n.ready();
    assert_eq!(
        ready.entries,
        vec![last.clone()],
        "the no-op is to be persisted"
    );
    let mut to = Vec::new();
    for m in &ready.messages {
        if let MessageBody::AppendEntries { entries, .. } = &m.body {
            assert!(entries.contains(&last), "{m:?}");
            to.push(m.to.0);
        }
    }
    to.sort_unstable();
    assert_eq!(to, vec![2, 3], "the no-op is sent to every follower");
    n.advance(ready);
}

/// §5.4.2: a leader commits entries of earlier terms only by committing one
/// of its own — which the no-op provides without waiting for a client.
#[test]
fn new_leader_commits_earlier_terms_through_its_noop() {
    let mut net = Network::new(3);
    net.elect(1);
    let x = net.node_mut(1).propose(b"x".to_vec()).expect("leader");
    net.process_ready(1);
    // Only node 2 gets x; every acknowledgement is lost.
    net.deliver_first(|m| m.to == id(2) && m.body.kind_name() == "append");
    net.in_flight.clear();
    net.process_all();
    net.in_flight.clear();
    assert_eq!(
        net.node(1).log().committed(),
        LogIndex(1),
        "x is not committed"
    );
    assert_eq!(net.node(2).log().last_id(), eid(x.0, 1));

    net.elect(2);
    assert_eq!(net.node(2).term(), Term(2));
    let noop = net
        .node(2)
        .log()
        .entry(x.next())
        .expect("the no-op")
        .clone();
    assert_eq!((noop.term, noop.kind), (Term(2), EntryKind::Noop));
    for n in 1..=3 {
        assert_eq!(net.node(n).log().committed(), x.next(), "node {n}");
        let applied: Vec<_> = net.applied(n).iter().map(|e| e.data.clone()).collect();
        assert_eq!(applied, vec![b"x".to_vec()], "node {n}");
    }
}

// ---- thesis §4.2.1: non-voters ----------------------------------------------

/// Thesis §4.2.1: only voters may become leader; a node outside the voter
/// set never campaigns, by timeout or on request.
#[test]
fn non_voter_never_campaigns() {
    for pre in [false, true] {
        let mut c = config(4, 3);
        c.pre_vote = pre;
        assert!(!c.voters.contains(&id(4)));
        let mut n = RawNode::new(c, Restored::default()).expect("valid");
        for _ in 0..20 * ET {
            n.tick();
            assert!(!n.has_ready(), "pre_vote {pre}: a non-voter sent something");
        }
        n.campaign();
        assert_eq!(n.role(), Role::Follower);
        assert_eq!(n.term(), Term(0));
        assert!(!n.has_ready());
    }
}

// ---- thesis §9.6: PreVote --------------------------------------------------

/// Thesis §9.6: a pre-candidate asks with the term it would campaign in but
/// does not raise its own term, vote, or persist anything; and the voter
/// answering does not raise its term either. Repeated pre-elections keep the
/// term where it was.
#[test]
fn pre_candidate_does_not_raise_its_term() {
    let mut n = node_from(1, 3, with_pre_vote, disk(4, &[(1, 4)]));
    drain(&mut n);
    n.campaign();
    assert_eq!(n.role(), Role::PreCandidate);
    assert_eq!((n.term(), n.vote()), (Term(4), None));
    let ready = n.ready();
    assert_eq!(ready.hard_state, None, "nothing to persist");
    assert!(!ready.must_sync);
    let requests: Vec<Message> = ready
        .messages
        .iter()
        .chain(&ready.messages_after_persist)
        .cloned()
        .collect();
    n.advance(ready);
    assert_eq!(
        requests,
        vec![
            msg(1, 2, 5, pre_vote_req(1, 4)),
            msg(1, 3, 5, pre_vote_req(1, 4))
        ]
    );

    // The voter grants with the requested term, keeping its own.
    let mut voter = node_from(2, 3, with_pre_vote, disk(4, &[(1, 4)]));
    step_ok(&mut voter, requests[0].clone());
    assert_eq!((voter.term(), voter.vote()), (Term(4), None));
    assert_eq!(
        drain(&mut voter).all(),
        vec![&msg(2, 1, 5, pre_vote_resp(true))]
    );

    // Unanswered pre-elections repeat without raising the term.
    for _ in 0..5 {
        let t = ticks_to_campaign(&n);
        n.tick_n(t);
        drain(&mut n);
        assert_eq!(n.role(), Role::PreCandidate);
        assert_eq!((n.term(), n.vote()), (Term(4), None));
    }
}

/// Thesis §9.6: "a candidate would first ask other servers whether its log
/// was up-to-date enough to get their vote. Only if the candidate believed
/// it could get votes from a majority ... would it increment its term and
/// start a normal election."
#[test]
fn pre_vote_needs_a_majority_before_the_real_election() {
    let mut n = node(1, 5, with_pre_vote);
    n.campaign();
    drain(&mut n);
    step_ok(&mut n, msg(2, 1, 1, pre_vote_resp(true)));
    step_ok(&mut n, msg(2, 1, 1, pre_vote_resp(true)));
    assert_eq!(
        n.role(),
        Role::PreCandidate,
        "2 of 5, a duplicate counts once"
    );
    assert_eq!(n.term(), Term(0));
    assert!(drain(&mut n).all().iter().all(|m| !is_vote_request(m)));
    step_ok(&mut n, msg(3, 1, 1, pre_vote_resp(true)));
    assert_eq!(n.role(), Role::Candidate);
    assert_eq!((n.term(), n.vote()), (Term(1), Some(id(1))));
    let out = drain(&mut n);
    let mut to: Vec<u64> = out
        .all()
        .iter()
        .filter(|m| m.body == vote_req(0, 0) && m.term == Term(1))
        .map(|m| m.to.0)
        .collect();
    to.sort_unstable();
    assert_eq!(to, vec![2, 3, 4, 5]);

    // A majority of refusals ends the pre-election: follower, same term.
    let mut n = node(1, 3, with_pre_vote);
    n.campaign();
    step_ok(&mut n, msg(2, 1, 0, pre_vote_resp(false)));
    assert_eq!(n.role(), Role::PreCandidate);
    step_ok(&mut n, msg(3, 1, 0, pre_vote_resp(false)));
    assert_eq!(n.role(), Role::Follower);
    assert_eq!((n.term(), n.vote()), (Term(0), None));
}

/// Thesis §9.6: a server that was partitioned away does not disrupt the
/// leader when it returns: its pre-election fails (its log is behind, or —
/// with CheckQuorum — the others still hear from the leader), so the
/// majority's term never moves.
#[test]
fn partitioned_pre_vote_node_does_not_disrupt_the_leader() {
    for (check_quorum, behind) in [(false, true), (true, false), (true, true)] {
        let case = format!("check_quorum {check_quorum}, log behind {behind}");
        let mut net = Network::with_config(3, |c| {
            c.pre_vote = true;
            c.check_quorum = check_quorum;
        });
        net.elect(1);
        let term = net.node(1).term();
        net.isolate(3);
        if behind {
            net.propose(1, b"while 3 was away");
        }
        for _ in 0..10 * ET {
            for n in 1..=3 {
                net.tick(n, 1);
            }
            net.stabilize();
        }
        assert_eq!(net.node(3).role(), Role::PreCandidate, "{case}");
        assert_eq!(net.node(3).term(), term, "{case}: no term inflation");
        net.heal();
        net.in_flight.clear();
        // Node 3's pre-election reaches the others before any heartbeat.
        net.node_mut(3).campaign();
        net.process_ready(3);
        assert_eq!(net.in_flight.len(), 2, "{case}");
        net.deliver_all();
        for n in [1, 2] {
            assert_eq!(net.node(n).term(), term, "{case}: node {n} kept its term");
        }
        assert_eq!(net.node(1).role(), Role::Leader, "{case}");
        net.stabilize();
        assert_eq!(net.node(3).term(), term, "{case}: node 3 did not campaign");
        if behind && !check_quorum {
            // Refused by both (stale log): the pre-election is lost. With
            // CheckQuorum the requests are ignored instead (lease).
            assert_eq!(net.node(3).role(), Role::Follower, "{case}");
        }
        for _ in 0..5 * ET {
            for n in 1..=3 {
                net.tick(n, 1);
            }
            net.stabilize();
        }
        assert_eq!(net.leaders(), vec![1], "{case}");
        for n in 1..=3 {
            assert_eq!(net.node(n).term(), term, "{case}: node {n}");
            assert_eq!(net.node(n).leader(), Some(id(1)), "{case}: node {n}");
        }
        assert_eq!(
            net.node(3).log().committed(),
            net.node(1).log().committed(),
            "{case}: node 3 caught up"
        );
    }
}

/// Thesis §9.6: a PreVote grant counts only for the pre-election it answers.
/// A grant delayed from an earlier round (it echoes an older term) must not
/// complete a later pre-election.
#[test]
fn late_pre_vote_grant_from_an_earlier_round_does_not_count() {
    let mut n = node(1, 3, with_pre_vote);
    n.campaign();
    drain(&mut n);
    // Round 1 (asks for term 1): node 3's grant arrives, node 2's is delayed.
    let late = msg(2, 1, 1, pre_vote_resp(true));
    step_ok(&mut n, msg(3, 1, 1, pre_vote_resp(true)));
    assert_eq!((n.role(), n.term()), (Role::Candidate, Term(1)));
    drain(&mut n); // the election of term 1 gets no answers
    let t = ticks_to_campaign(&n);
    n.tick_n(t);
    drain(&mut n);
    // Round 2 asks for term 2.
    assert_eq!((n.role(), n.term()), (Role::PreCandidate, Term(1)));
    step_ok(&mut n, late);
    assert_eq!(
        n.role(),
        Role::PreCandidate,
        "a grant for term 1 completed the pre-election for term 2"
    );
    assert_eq!(n.term(), Term(1));
    // Control: node 2's grant for this round does count.
    step_ok(&mut n, msg(2, 1, 2, pre_vote_resp(true)));
    assert_eq!((n.role(), n.term()), (Role::Candidate, Term(2)));
}

// ---- thesis §6.2: CheckQuorum and the lease ----------------------------------

/// Thesis §6.2: "a leader steps down if an election timeout elapses without
/// a successful round of heartbeats to a majority of its cluster". Without
/// CheckQuorum an isolated leader never notices.
#[test]
fn check_quorum_isolated_leader_steps_down() {
    let mut net = Network::with_config(3, |c| c.check_quorum = true);
    net.elect(1);
    let term = net.node(1).term();
    net.isolate(1);
    let mut stepped_down_at = None;
    for t in 1..=3 * ET {
        net.tick(1, 1);
        net.stabilize();
        if net.node(1).role() != Role::Leader {
            stepped_down_at = Some(t);
            break;
        }
    }
    let t = stepped_down_at.expect("the isolated leader stepped down");
    assert!(
        (ET..=2 * ET).contains(&t),
        "stepped down after {t} ticks: not within one to two election timeouts"
    );
    assert_eq!(net.node(1).role(), Role::Follower);
    assert_eq!(
        net.node(1).term(),
        term,
        "stepping down does not raise the term"
    );
    assert_eq!(net.node(1).leader(), None);

    // Control: the same without CheckQuorum.
    let mut net = Network::new(3);
    net.elect(1);
    net.isolate(1);
    for _ in 0..5 * ET {
        net.tick(1, 1);
        net.stabilize();
    }
    assert_eq!(net.node(1).role(), Role::Leader);
}

/// Thesis §6.2: a leader that keeps hearing from a majority (itself and one
/// of two followers) stays leader however long the third is gone.
#[test]
fn check_quorum_leader_hearing_from_a_majority_stays() {
    let mut net = Network::with_config(3, |c| c.check_quorum = true);
    net.elect(1);
    let term = net.node(1).term();
    net.isolate(3);
    for t in 0..10 * ET {
        net.tick(1, 1);
        net.tick(2, 1);
        net.stabilize();
        assert_eq!(net.node(1).role(), Role::Leader, "tick {t}");
    }
    assert_eq!(net.node(1).term(), term);
    assert_eq!(net.node(2).leader(), Some(id(1)));
    assert_eq!(net.node(2).term(), term);
}

/// Thesis §6.2/§9.6 (etcd's `inLease`): with CheckQuorum, a node that heard
/// from a leader within the minimum election timeout ignores a (pre)vote
/// request of a higher term — no term change, no answer — and the leader
/// does too; once the timeout has passed without news, it grants.
fn check_lease(pre_vote: bool) {
    let mut net = Network::with_config(3, |c| {
        c.check_quorum = true;
        c.pre_vote = pre_vote;
    });
    net.elect(1);
    net.in_flight.clear();
    let term = net.node(1).term().0;
    assert!(
        ticks_to_campaign(net.node(2)) > ET,
        "precondition: node 2 must not campaign within {ET} ticks (pick other seeds)"
    );
    let last_log = net.node(3).log().last_id();
    let request = |to: u64| {
        let body = if pre_vote {
            MessageBody::PreVoteRequest { last_log }
        } else {
            MessageBody::VoteRequest { last_log }
        };
        msg(3, to, term + 1, body)
    };

    net.tick(2, ET - 1);
    net.deliver(request(2));
    net.deliver(request(1));
    assert_eq!(net.node(2).term(), Term(term), "in lease: term unchanged");
    assert_eq!(net.node(2).vote(), Some(id(1)));
    assert_eq!(net.node(2).leader(), Some(id(1)));
    assert!(!net.node(2).has_ready(), "in lease: no answer");
    assert_eq!(
        net.node(1).role(),
        Role::Leader,
        "the leader ignores it too"
    );
    assert_eq!(net.node(1).term(), Term(term));
    assert!(!net.node(1).has_ready());

    net.tick(2, 1);
    assert_eq!(net.node(2).role(), Role::Follower, "precondition");
    net.deliver(request(2));
    let out = drain(net.node_mut(2));
    if pre_vote {
        assert_eq!(
            net.node(2).term(),
            Term(term),
            "a pre-vote never raises the term"
        );
        assert_eq!(out.all(), vec![&msg(2, 3, term + 1, pre_vote_resp(true))]);
    } else {
        assert_eq!(net.node(2).term(), Term(term + 1));
        assert_eq!(net.node(2).vote(), Some(id(3)));
        assert_eq!(out.all(), vec![&msg(2, 3, term + 1, vote_resp(true))]);
    }
}

/// Thesis §6.2/§9.6: the lease against a RequestVote of a higher term.
#[test]
fn lease_follower_ignores_vote_request_until_election_timeout() {
    check_lease(false);
}

/// Thesis §6.2/§9.6: the lease against a PreVote request of a higher term.
#[test]
fn lease_follower_ignores_pre_vote_request_until_election_timeout() {
    check_lease(true);
}

/// §5.1: without CheckQuorum there is no lease: a higher-term request is
/// obeyed at once even right after a heartbeat.
#[test]
fn no_lease_without_check_quorum() {
    let mut net = Network::new(3);
    net.elect(1);
    let last_log = net.node(3).log().last_id();
    net.deliver(msg(3, 2, 2, MessageBody::VoteRequest { last_log }));
    assert_eq!(net.node(2).term(), Term(2));
    assert_eq!(net.node(2).vote(), Some(id(3)));
}

/// Thesis §6.2 with the stale-leader answer (etcd's
/// TestFreeStuckCandidateWithCheckQuorum): a node partitioned away with
/// PreVote off inflates its term; when it returns, followers in lease
/// ignore its requests, but the cluster must not get stuck: someone ends up
/// leader at a term at least as high, and commits again. Since its log is
/// behind, the returning node cannot be that leader (§5.4.1).
#[test]
fn check_quorum_cluster_recovers_from_returning_high_term_node() {
    let mut net = Network::with_config(3, |c| c.check_quorum = true);
    net.elect(1);
    net.isolate(3);
    net.propose(1, b"during");
    for _ in 0..5 * ET {
        for n in 1..=3 {
            net.tick(n, 1);
        }
        net.stabilize();
    }
    assert_eq!(net.leaders(), vec![1]);
    let high = net.node(3).term();
    assert!(high > net.node(1).term(), "node 3 inflated its term");
    net.heal();

    let mut recovered = None;
    for _ in 0..30 * ET {
        for n in 1..=3 {
            net.tick(n, 1);
        }
        net.stabilize();
        if let [l] = net.leaders()[..] {
            let t = net.node(l).term();
            let agreed =
                (1..=3).all(|n| net.node(n).term() == t && net.node(n).leader() == Some(id(l)));
            if t >= high && agreed {
                recovered = Some(l);
                break;
            }
        }
    }
    let leader = recovered.expect("the cluster elects a leader at the higher term");
    assert_ne!(leader, 3, "a node missing a committed entry cannot lead");
    let index = net.propose(leader, b"after");
    for n in 1..=3 {
        assert_eq!(net.node(n).log().committed(), index, "node {n}");
        let applied: Vec<_> = net.applied(n).iter().map(|e| e.data.clone()).collect();
        assert_eq!(
            applied,
            vec![b"during".to_vec(), b"after".to_vec()],
            "node {n}"
        );
    }
}

// ---- bad input ----------------------------------------------------------

/// A message for another node is refused and changes nothing.
#[test]
fn step_rejects_a_message_for_another_node() {
    let mut n = node(1, 3, plain);
    let result = n.step(msg(2, 3, 5, heartbeat()));
    assert_eq!(
        result,
        Err(Error::WrongRecipient {
            to: id(3),
            me: id(1)
        })
    );
    assert_eq!(n.term(), Term(0));
    assert_eq!(n.leader(), None);
    assert!(!n.has_ready());
}

/// A message from node 0 ("nobody") or from the node itself is refused and
/// changes nothing, even with a higher term.
#[test]
fn step_rejects_invalid_senders() {
    for from in [0, 1] {
        let mut n = node(1, 3, plain);
        let result = n.step(msg(from, 1, 5, vote_req(9, 4)));
        assert_eq!(result, Err(Error::InvalidSender(NodeId(from))));
        assert_eq!((n.term(), n.vote()), (Term(0), None));
        assert!(!n.has_ready());
    }
}

/// §5.2: a majority "of the servers in the full cluster": grants from nodes
/// outside the voter set do not count, in an election or a pre-election.
#[test]
fn vote_from_unknown_node_does_not_count() {
    let mut n = node(1, 3, plain);
    n.campaign();
    let _ = n.step(msg(9, 1, 1, vote_resp(true)));
    let _ = n.step(msg(10, 1, 1, vote_resp(true)));
    assert_eq!(n.role(), Role::Candidate);
    step_ok(&mut n, msg(2, 1, 1, vote_resp(true)));
    assert_eq!(n.role(), Role::Leader, "control: a voter's grant wins");

    let mut n = node(1, 3, with_pre_vote);
    n.campaign();
    let _ = n.step(msg(9, 1, 1, pre_vote_resp(true)));
    assert_eq!(n.role(), Role::PreCandidate);
    assert_eq!(n.term(), Term(0));
}

/// Thesis §9.6 with Figure 2's one vote per term: a PreVote request for a
/// term in which this node has already voted for someone else is refused
/// (only a request for a later term may be granted without a free vote).
#[test]
fn pre_vote_for_a_term_already_voted_in_is_refused() {
    let mut n = node(2, 3, with_pre_vote);
    // Vote for node 1 in term 1.
    step_ok(&mut n, msg(1, 2, 1, vote_req(0, 0)));
    assert_eq!(n.vote(), Some(id(1)));
    drain(&mut n);
    // Node 3, still in term 0, asks whether it could win term 1.
    step_ok(&mut n, msg(3, 2, 1, pre_vote_req(0, 0)));
    let out = drain(&mut n);
    let answers: Vec<_> = out.all().into_iter().filter(|m| m.to == id(3)).collect();
    assert_eq!(answers.len(), 1, "{answers:?}");
    assert_eq!(
        answers[0].body,
        pre_vote_resp(false),
        "the vote of term 1 is taken"
    );
    // A request for term 2 may be granted: that term's vote is free.
    step_ok(&mut n, msg(3, 2, 2, pre_vote_req(0, 0)));
    let out = drain(&mut n);
    assert!(
        out.all()
            .iter()
            .any(|m| m.to == id(3) && m.body == pre_vote_resp(true)),
        "{out:?}"
    );
}

/// §5.2: a leader sends a heartbeat every `heartbeat_ticks`, also on the tick
/// where a CheckQuorum round ends (and it stays leader).
#[test]
fn leader_heartbeats_on_every_heartbeat_tick_through_check_quorum_rounds() {
    let mut net = Network::with_config(3, |c| {
        c.check_quorum = true;
        c.heartbeat_ticks = 1;
    });
    net.elect(1);
    for tick in 1..=3 * ET {
        net.in_flight.clear();
        net.tick(1, 1);
        net.process_ready(1);
        let heartbeats = net
            .in_flight
            .iter()
            .filter(|m| m.body.kind_name() == "heartbeat")
            .count();
        assert_eq!(heartbeats, 2, "tick {tick}: one heartbeat per follower");
        // Followers answer, so the leader keeps its quorum.
        net.stabilize();
        assert_eq!(net.node(1).role(), Role::Leader, "tick {tick}");
    }
}

/// The protocol fingerprint leaves the clock out: ticking a follower (which
/// moves only its timer) keeps it, while a vote changes it.
#[test]
fn protocol_state_hash_ignores_the_clock_but_not_the_protocol() {
    use std::hash::{DefaultHasher, Hasher};
    let digest = |n: &RawNode| {
        let mut h = DefaultHasher::new();
        n.hash_protocol_state(&mut h);
        h.finish()
    };
    let mut n = node(2, 3, plain);
    let before = digest(&n);
    n.tick();
    n.tick();
    assert_eq!(digest(&n), before, "ticks are not protocol state");
    step_ok(&mut n, msg(1, 2, 1, vote_req(0, 0)));
    assert_ne!(digest(&n), before, "a vote is");
}

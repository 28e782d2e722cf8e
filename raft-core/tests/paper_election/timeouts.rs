//! Raft §5.2: election timeouts and their randomisation.

use super::common::*;
use super::helpers::*;
use raft_core::{Config, Role, Term};

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

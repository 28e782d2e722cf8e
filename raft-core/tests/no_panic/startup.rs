//! Start-up input: `RawNode::new` and `Config::validate` reject bad restored
//! states and settings with an error, never a panic.

use proptest::prelude::*;
use raft_core::{
    ConfState, Config, Entry, EntryId, EntryKind, Error, HardState, LogIndex, NodeId, RawNode,
    Restored, Snapshot, SnapshotMeta, Term,
};

use crate::disk::restored_is_valid;
use crate::gen_message::{EntriesSpec, entry_steps, flaw, resolve_entries};
use crate::gen_state::{entry, id};
use crate::runner::{run_property, scaled};

const CASES: u32 = scaled(2048);

fn three_voters(me: u64) -> Config {
    Config::new(id(me), [id(1), id(2), id(3)])
}

fn plain(index: u64, term: u64) -> Entry {
    entry(index, term, EntryKind::Normal, Vec::new())
}

fn restored(term: u64, entries: Vec<Entry>, commit: u64) -> Restored {
    Restored {
        hard_state: HardState {
            term: Term(term),
            vote: None,
            commit: LogIndex(commit),
        },
        snapshot: None,
        entries,
        applied: LogIndex(0),
    }
}

fn snapshot_of(index: u64, term: u64, conf: ConfState) -> Option<Snapshot> {
    let meta = SnapshotMeta {
        last: EntryId {
            index: LogIndex(index),
            term: Term(term),
        },
        conf,
    };
    Some(Snapshot {
        meta,
        data: Vec::new(),
    })
}

fn snapshot(index: u64, term: u64) -> Option<Snapshot> {
    snapshot_of(index, term, ConfState::with_voters([id(1), id(2), id(3)]))
}

fn assert_corrupt(restored: &Restored, why: &str) {
    match RawNode::new(three_voters(1), restored.clone()) {
        Err(Error::CorruptRestore(_)) => {}
        Err(other) => panic!("{why}: expected CorruptRestore, got {other:?}"),
        Ok(_) => panic!("{why}: accepted {restored:?}"),
    }
}

#[test]
fn new_rejects_invalid_restored_states() {
    assert_corrupt(&restored(2, vec![plain(1, 1), plain(3, 1)], 0), "a gap");
    assert_corrupt(
        &restored(2, vec![plain(2, 1)], 0),
        "a log not starting at 1",
    );
    assert_corrupt(
        &restored(2, vec![plain(1, 1), plain(1, 1)], 0),
        "a repeated index",
    );
    assert_corrupt(
        &restored(2, vec![plain(1, 2), plain(2, 1)], 0),
        "decreasing terms",
    );
    assert_corrupt(&restored(2, vec![plain(1, 1)], 2), "commit beyond the log");
    assert_corrupt(&restored(0, vec![], 1), "commit beyond an empty log");
    assert_corrupt(
        &restored(1, vec![plain(1, 1), plain(2, 2)], 0),
        "log term beyond the hard state's",
    );
    let mut vote_zero = restored(1, vec![plain(1, 1)], 0);
    vote_zero.hard_state.vote = Some(NodeId(0));
    assert_corrupt(&vote_zero, "a vote for node 0");
    let mut applied_beyond = restored(1, vec![plain(1, 1), plain(2, 1)], 1);
    applied_beyond.applied = LogIndex(2);
    assert_corrupt(&applied_beyond, "applied beyond commit");

    let mut after_gap = restored(3, vec![plain(7, 2)], 0);
    after_gap.snapshot = snapshot(5, 2);
    assert_corrupt(&after_gap, "a gap after the snapshot");
    let mut below_snapshot = restored(3, vec![plain(6, 1)], 0);
    below_snapshot.snapshot = snapshot(5, 2);
    assert_corrupt(&below_snapshot, "an entry term below the snapshot's");
    let mut snapshot_term = restored(1, vec![], 0);
    snapshot_term.snapshot = snapshot(5, 2);
    assert_corrupt(&snapshot_term, "a snapshot term beyond the hard state's");

    // And the same shapes, made valid, are accepted.
    let mut fine = restored(3, vec![plain(6, 2), plain(7, 3)], 7);
    fine.snapshot = snapshot(5, 2);
    fine.applied = LogIndex(6);
    let node = RawNode::new(three_voters(1), fine).expect("valid");
    node.assert_invariants();
    assert_eq!(node.log().committed(), LogIndex(7));
    assert_eq!(node.log().applied(), LogIndex(6));
}

#[test]
fn new_rejects_a_snapshot_whose_configuration_has_no_voters() {
    let learner_only = ConfState {
        learners: [id(1)].into(),
        ..ConfState::default()
    };
    for conf in [ConfState::default(), learner_only] {
        let mut state = restored(3, vec![plain(6, 2)], 6);
        state.snapshot = snapshot_of(5, 2, conf.clone());
        assert!(!restored_is_valid(&state, &three_voters(1).voters));
        assert_corrupt(&state, &format!("a snapshot with {conf:?}"));
    }
    // One voter, even another node, is a configuration to restart into.
    let mut state = restored(3, vec![plain(6, 2)], 6);
    state.snapshot = snapshot_of(5, 2, ConfState::with_voters([id(2)]));
    assert!(restored_is_valid(&state, &three_voters(1).voters));
    let node = RawNode::new(three_voters(1), state).expect("valid");
    assert_eq!(node.conf(), &ConfState::with_voters([id(2)]));
}

#[test]
fn new_rejects_invalid_config_with_an_error() {
    let mut bad = three_voters(1);
    bad.heartbeat_ticks = bad.election_ticks;
    match RawNode::new(bad, Restored::default()) {
        Err(Error::InvalidConfig(why)) => assert!(why.contains("heartbeat_ticks"), "{why}"),
        other => panic!("expected InvalidConfig, got {other:?}"),
    }
}

fn invalid_because(config: &Config) -> String {
    match config.validate() {
        Err(Error::InvalidConfig(why)) => why,
        other => panic!("{config:?} should be invalid, validate said {other:?}"),
    }
}

#[test]
fn validate_names_the_bad_setting() {
    assert_eq!(three_voters(1).validate(), Ok(()));

    let mut c = three_voters(1);
    c.id = NodeId(0);
    let why = invalid_because(&c);
    assert!(why.contains("id") && why.contains('0'), "{why}");

    let c = Config::new(id(1), []);
    let why = invalid_because(&c);
    assert!(why.contains("voter") && why.contains("empty"), "{why}");

    let c = Config::new(id(1), [id(0), id(1)]);
    let why = invalid_because(&c);
    assert!(
        why.contains("configuration") && why.contains("node 0"),
        "{why}"
    );

    let mut c = three_voters(1);
    c.learners.insert(id(0));
    assert!(invalid_because(&c).contains("node 0"));
    let mut c = three_voters(1);
    c.learners.insert(id(2));
    let why = invalid_because(&c);
    assert!(why.contains("both a voter and a learner"), "{why}");

    for (heartbeat, election) in [(10, 10), (11, 10), (2, 1)] {
        let mut c = three_voters(1);
        c.heartbeat_ticks = heartbeat;
        c.election_ticks = election;
        let why = invalid_because(&c);
        assert!(
            why.contains("heartbeat_ticks") && why.contains("election_ticks"),
            "{why}"
        );
    }
    let mut c = three_voters(1);
    c.heartbeat_ticks = 0;
    assert!(invalid_because(&c).contains("heartbeat_ticks"));

    let mut c = three_voters(1);
    c.max_inflight_msgs = 0;
    assert!(invalid_because(&c).contains("max_inflight_msgs"));

    let mut c = three_voters(1);
    c.max_uncommitted_entries = 0;
    assert!(invalid_because(&c).contains("max_uncommitted_entries"));
}

/// An arbitrary restored state, valid or not.
#[derive(Clone, Debug)]
struct AnyRestored {
    restored: Restored,
}

/// A snapshot's configuration: up to three voters (none is invalid), and
/// maybe node 1 as a learner.
fn any_conf() -> impl Strategy<Value = ConfState> {
    (prop::collection::btree_set(1u64..=4, 0..=3), any::<bool>()).prop_map(|(voters, learner)| {
        let mut conf = ConfState::with_voters(voters.into_iter().map(id));
        if learner && !conf.voters.contains(&id(1)) {
            conf.learners.insert(id(1));
        }
        conf
    })
}

fn any_restored() -> impl Strategy<Value = AnyRestored> {
    let entries = prop_oneof![
        // Well-formed after the snapshot, possibly broken by one flaw.
        (entry_steps(0..5), prop::option::of(flaw())).prop_map(|(steps, flaw)| (steps, flaw, None)),
        // Arbitrary pairs.
        prop::collection::vec((0u64..8, 0u64..6), 0..5).prop_map(|pairs| (
            Vec::new(),
            None,
            Some(pairs)
        )),
    ];
    (
        0u64..5,
        prop::option::of(0u64..=5),
        prop::option::of((0u64..5, 0u64..5, any_conf())),
        entries,
        0u64..9,
        0u64..9,
    )
        .prop_map(
            |(term, vote, snapshot, (steps, flaw, pairs), commit, applied)| {
                let snapshot =
                    snapshot.and_then(|(index, term, conf)| snapshot_of(index, term, conf));
                let base = snapshot
                    .as_ref()
                    .map_or(EntryId::default(), |s| s.meta.last);
                let entries = match (pairs, flaw) {
                    (Some(pairs), _) => resolve_entries(&EntriesSpec::Raw(pairs), base, Term(term)),
                    (None, Some(flaw)) if !steps.is_empty() => {
                        resolve_entries(&EntriesSpec::Broken(steps, flaw), base, Term(term))
                    }
                    (None, _) => resolve_entries(&EntriesSpec::WellFormed(steps), base, Term(term)),
                };
                AnyRestored {
                    restored: Restored {
                        hard_state: HardState {
                            term: Term(term),
                            vote: vote.map(id),
                            commit: LogIndex(commit),
                        },
                        snapshot,
                        entries,
                        applied: LogIndex(applied),
                    },
                }
            },
        )
}

#[test]
fn new_never_panics_on_arbitrary_restored_states() {
    run_property("restored", CASES, &any_restored(), |any| {
        let valid = restored_is_valid(&any.restored, &three_voters(1).voters);
        let result = RawNode::new(three_voters(1), any.restored.clone());
        match result {
            Ok(mut node) => {
                assert!(valid, "accepted an invalid state: {:?}", any.restored);
                node.assert_invariants();
                for _ in 0..25 {
                    node.tick();
                    if node.has_ready() {
                        let ready = node.ready();
                        node.advance(ready);
                    }
                    node.assert_invariants();
                }
            }
            Err(Error::CorruptRestore(_)) => {
                assert!(!valid, "refused a valid state: {:?}", any.restored);
            }
            Err(other) => panic!("unexpected error {other:?}"),
        }
    });
}

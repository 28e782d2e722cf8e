//! Property: one node under arbitrary input never panics, keeps its
//! invariants, moves only as Raft allows, and obeys the [`step_rules`] on
//! every message.

use std::cell::RefCell;
use std::collections::BTreeMap;

use proptest::prelude::*;
use raft_core::{ConfChange, Config, EntryKind, NodeId, RawNode, Ready, Restored, Role};

use crate::disk::Disk;
use crate::gen_message::{KINDS, MsgSpec, entry_data, kind_number, msg_spec, resolve_message};
use crate::gen_state::{config_strategy, raw_restored};
use crate::runner::{cases_requested, run_property, scaled};
use crate::step_rules::{AppendFlaw, Expectation, Rule};
use crate::watch::Watch;

const CASES: u32 = scaled(2048);

#[derive(Clone, Debug)]
enum Input {
    Step(MsgSpec),
    Tick(u8),
    Campaign,
    Propose(usize),
    /// Takes a `Ready` (if none is outstanding) and leaves it outstanding.
    TakeReady,
    /// Persists and advances the outstanding `Ready`, if any.
    Advance,
    /// Both of the above.
    ReadyCycle,
    /// Flushes every `Ready`, then restarts the node from its "disk".
    CleanRestart,
    /// The host snapshots its state machine this many entries below the
    /// applied index and compacts the log (refused if stale).
    Compact(u8),
    /// A membership change proposed (its data picked as an entry's is).
    ProposeConfChange(usize),
    /// A leader transfer to this node id.
    TransferLeader(u64),
    /// A linearizable read asked (thesis §6.4).
    Read,
}

fn input() -> impl Strategy<Value = Input> {
    prop_oneof![
        12 => msg_spec().prop_map(Input::Step),
        3 => (1u8..=3).prop_map(Input::Tick),
        1 => (4u8..=20).prop_map(Input::Tick),
        2 => Just(Input::Campaign),
        3 => (0usize..24).prop_map(Input::Propose),
        2 => Just(Input::TakeReady),
        2 => Just(Input::Advance),
        5 => Just(Input::ReadyCycle),
        1 => Just(Input::CleanRestart),
        2 => (0u8..3).prop_map(Input::Compact),
        2 => (0usize..12).prop_map(Input::ProposeConfChange),
        2 => (1u64..=4).prop_map(Input::TransferLeader),
        3 => Just(Input::Read),
    ]
}

#[derive(Clone, Debug)]
struct SingleCase {
    config: Config,
    restored: Restored,
    inputs: Vec<Input>,
}

fn single_case() -> impl Strategy<Value = SingleCase> {
    (
        config_strategy(),
        prop::option::weighted(0.6, raw_restored()),
        prop::collection::vec(input(), 1..160),
    )
        .prop_map(|(config, raw, inputs)| {
            let restored = raw.map_or_else(Restored::default, |raw| raw.normalize(&config));
            SingleCase {
                config,
                restored,
                inputs,
            }
        })
}

#[derive(Debug, Default)]
struct SingleStats {
    cases: u64,
    steps_ok: u64,
    steps_err: u64,
    /// Messages stepped, by [`kind_number`].
    kinds: [u64; KINDS],
    /// Malformed appends (addressed right, from a valid sender), by flaw.
    malformed: BTreeMap<AppendFlaw, u64>,
    /// Of those, the ones of a term above the node's.
    malformed_newer: u64,
    stale_terms_ignored: u64,
    stale_terms_raising: u64,
    stale: u64,
    became_leader: u64,
    proposals_accepted: u64,
    committed_entries_handed_out: u64,
    restarts: u64,
    compactions: u64,
    snapshots_installed: u64,
    conf_changes_accepted: u64,
    transfers_started: u64,
    reads_asked: u64,
    reads_confirmed: u64,
}

impl SingleStats {
    fn count_step(&mut self, node: &RawNode, message: &raft_core::Message, rule: Option<Rule>) {
        self.kinds[kind_number(&message.body)] += 1;
        match rule {
            Some(Rule::Refused {
                misaddressed: false,
                bad_sender: false,
                flaw: Some(flaw),
            }) => {
                *self.malformed.entry(flaw).or_default() += 1;
                if message.term > node.term() {
                    self.malformed_newer += 1;
                }
            }
            Some(Rule::StaleTermIgnored) => self.stale_terms_ignored += 1,
            Some(Rule::StaleTermRaises) => self.stale_terms_raising += 1,
            Some(Rule::Stale) => self.stale += 1,
            _ => {}
        }
    }
}

fn run_single_case(case: &SingleCase, stats: &RefCell<SingleStats>) {
    let mut node = match RawNode::new(case.config.clone(), case.restored.clone()) {
        Ok(node) => node,
        Err(err) => panic!("a valid restored state was refused: {err}"),
    };
    let mut disk = Disk {
        hard_state: case.restored.hard_state.clone(),
        snapshot: case.restored.snapshot.clone(),
        entries: case.restored.entries.clone(),
    };
    let mut watch = Watch::new(&node, &case.restored);
    let mut outstanding: Option<Ready> = None;
    let mut stats = stats.borrow_mut();
    stats.cases += 1;
    let mut was_leader = false;

    let take = |node: &mut RawNode, watch: &mut Watch, outstanding: &mut Option<Ready>| {
        if outstanding.is_none() {
            let ready = node.ready();
            watch.check_ready(node, &ready);
            *outstanding = Some(ready);
        }
    };
    let advance = |node: &mut RawNode,
                   disk: &mut Disk,
                   outstanding: &mut Option<Ready>,
                   stats: &mut SingleStats| {
        if let Some(ready) = outstanding.take() {
            stats.snapshots_installed += u64::from(ready.snapshot.is_some());
            disk.persist(&ready);
            stats.committed_entries_handed_out += ready.committed_entries.len() as u64;
            stats.reads_confirmed += ready
                .read_states
                .iter()
                .filter(|r| matches!(r.outcome, raft_core::ReadOutcome::Ready { .. }))
                .count() as u64;
            node.advance(ready);
        }
    };

    for (k, input) in case.inputs.iter().enumerate() {
        match input {
            Input::Step(spec) => {
                let message = resolve_message(spec, &node);
                let expectation = Expectation::of(&node, &message);
                stats.count_step(&node, &message, expectation.as_ref().map(|e| e.rule));
                let result = node.step(message);
                if let Some(expectation) = expectation {
                    expectation.check(&result, &node);
                }
                match result {
                    Ok(()) => stats.steps_ok += 1,
                    Err(_) => stats.steps_err += 1,
                }
            }
            Input::Tick(count) => {
                for _ in 0..*count {
                    node.tick();
                    watch.check(&node, "tick");
                }
            }
            Input::Campaign => node.campaign(),
            Input::Propose(size) => {
                if node.propose(vec![k as u8; *size]).is_ok() {
                    stats.proposals_accepted += 1;
                }
            }
            Input::ProposeConfChange(pick) => {
                // Picks that entry_data fills with bytes propose a
                // learner instead.
                let data = entry_data(EntryKind::ConfChange, *pick);
                let change = ConfChange::decode(&data).unwrap_or(ConfChange {
                    changes: vec![raft_core::ConfChangeSingle::AddLearner(NodeId(6))],
                });
                let before = node.clone();
                match node.propose_conf_change(&change) {
                    Ok(_) => stats.conf_changes_accepted += 1,
                    Err(_) => assert!(node == before, "a refused conf change changed the node"),
                }
            }
            Input::TransferLeader(to) => {
                let before = node.clone();
                match node.transfer_leader(NodeId(*to)) {
                    Ok(()) => stats.transfers_started += 1,
                    Err(_) => assert!(node == before, "a refused transfer changed the node"),
                }
            }
            Input::Read => {
                let before = node.clone();
                match node.read_index(k as u64) {
                    Ok(()) => stats.reads_asked += 1,
                    Err(_) => assert!(node == before, "a refused read changed the node"),
                }
            }
            Input::TakeReady => take(&mut node, &mut watch, &mut outstanding),
            Input::Advance => advance(&mut node, &mut disk, &mut outstanding, &mut stats),
            Input::ReadyCycle => {
                take(&mut node, &mut watch, &mut outstanding);
                advance(&mut node, &mut disk, &mut outstanding, &mut stats);
            }
            Input::Compact(below) => {
                let index =
                    raft_core::LogIndex(node.log().applied().0.saturating_sub(u64::from(*below)));
                let before = node.clone();
                match node.compact(index, index.0.to_le_bytes().to_vec()) {
                    Ok(meta) => {
                        stats.compactions += 1;
                        disk.compact(meta, index.0.to_le_bytes().to_vec());
                    }
                    Err(_) => assert!(node == before, "a refused compaction changed the node"),
                }
            }
            Input::CleanRestart => {
                advance(&mut node, &mut disk, &mut outstanding, &mut stats);
                let mut rounds = 0;
                while node.has_ready() {
                    rounds += 1;
                    assert!(rounds < 1000, "the node never runs out of Ready work");
                    take(&mut node, &mut watch, &mut outstanding);
                    advance(&mut node, &mut disk, &mut outstanding, &mut stats);
                }
                let restored = disk.restored();
                let reborn = match RawNode::new(case.config.clone(), restored) {
                    Ok(reborn) => reborn,
                    Err(err) => panic!("the node cannot restart from what it persisted: {err}"),
                };
                assert_eq!(reborn.hard_state(), node.hard_state(), "hard state lost");
                assert_eq!(reborn.log().entries(), node.log().entries(), "log lost");
                assert_eq!(reborn.conf(), node.conf(), "configuration lost");
                node = reborn;
                let snapshot_index = node.log().snapshot().index;
                watch.last_handed = snapshot_index;
                stats.restarts += 1;
            }
        }
        let after = format!("input {k} ({input:?})");
        watch.check(&node, &after);
        disk.check_against(&node, &after);
        if node.role() == Role::Leader && !was_leader {
            stats.became_leader += 1;
        }
        was_leader = node.role() == Role::Leader;
    }
}

#[test]
fn arbitrary_input_never_panics_nor_breaks_invariants() {
    let stats = RefCell::new(SingleStats::default());
    run_property("single node", CASES, &single_case(), |case| {
        run_single_case(&case, &stats);
    });
    let stats = stats.into_inner();
    eprintln!("single node: {stats:?}");
    // The property is only as good as its coverage: make sure the runs
    // reached the leader and commit paths, every kind of message and every
    // rule, not just the error paths.
    if cases_requested(CASES) >= 64 {
        assert!(
            stats.became_leader > 0,
            "no run reached leadership: {stats:?}"
        );
        assert!(
            stats.proposals_accepted > 0,
            "no proposal accepted: {stats:?}"
        );
        assert!(
            stats.committed_entries_handed_out > 0,
            "nothing committed: {stats:?}"
        );
        assert!(stats.steps_ok > 0 && stats.steps_err > 0, "{stats:?}");
        assert!(
            stats.kinds.iter().all(|count| *count > 0),
            "a kind of message was never stepped: {stats:?}"
        );
        assert_eq!(
            stats.malformed.len(),
            8,
            "a kind of malformed append or snapshot was never stepped: {stats:?}"
        );
        assert!(
            stats.conf_changes_accepted > 0 && stats.transfers_started > 0,
            "no membership change or leader transfer accepted: {stats:?}"
        );
        assert!(
            stats.reads_asked > 0 && stats.reads_confirmed > 0,
            "no read asked or confirmed: {stats:?}"
        );
        assert!(
            stats.compactions > 0 && stats.snapshots_installed > 0,
            "no snapshot taken or installed: {stats:?}"
        );
        assert!(
            stats.malformed_newer > 0
                && stats.stale_terms_ignored > 0
                && stats.stale_terms_raising > 0
                && stats.stale > 0,
            "a step rule was never exercised: {stats:?}"
        );
    }
}

//! The verbs of the scenario language (`../shared/SCENARIOS.md`): one table
//! that the parser reads each step's arguments through, the interpreter
//! asks what a verb needs, and the tests hold against the documentation.
//!
//! Adding a verb is one row here, a [`StepKind`] variant with its word in
//! [`StepKind::verb`], and an arm in the interpreter's `execute`; the
//! compiler finds the two matches, and the tests check that the row's
//! example parses to its own verb.

use super::ast::{ParseError, StepKind};
use super::expectation::read_expect;
use super::lex::Cursor;
use super::parse::{
    State, client, clients, disk, key, last_set, net, partition, pick, read_add, read_crash,
    read_cut, read_propose, read_skew, read_tick, value, via,
};
use super::sets::Arity;
use crate::sut::Feature;

/// Reads a step's arguments, after its verb, up to the end of the line.
pub(super) type ReadArgs = fn(&mut Cursor<'_>, &mut State) -> Result<StepKind, ParseError>;

/// One verb: the word that starts the step and how the step is read.
#[derive(Debug)]
pub struct Verb {
    /// The word, as written in a scenario.
    pub word: &'static str,
    /// A line that uses it (after the `cluster` line, in a 3-node cluster).
    pub example: &'static str,
    /// The feature of the Raft under test the verb needs (see
    /// [`crate::sut::Capabilities`]): on an implementation without it, the
    /// scenario is skipped, naming the step and the feature.
    pub needs: Option<Feature>,
    /// Reads the arguments.
    pub(super) read: ReadArgs,
}

/// Every verb, in the order of SCENARIOS.md.
pub const VERBS: &[Verb] = &[
    Verb {
        word: "cluster",
        example: "cluster 3 pre_vote=on check_quorum=on",
        needs: None,
        // Only the first line sets up the cluster; `parse` reads it and
        // refuses it anywhere else before the table is consulted.
        read: |cur, _| Err(cur.error_here("a step other than `cluster`")),
    },
    Verb {
        word: "net",
        example: "net drop=5% dup=1% delay=1ms..5ms",
        needs: None,
        read: |cur, _| net(cur),
    },
    Verb {
        word: "disk",
        example: "disk {1,2} latency=1ms torn=on",
        needs: None,
        read: |cur, state| disk(cur, &mut state.scope),
    },
    Verb {
        word: "clients",
        example: "clients 2 rate=50/s keys=4 ops=put,get",
        needs: None,
        read: |cur, _| clients(cur),
    },
    Verb {
        word: "crash",
        example: "crash leader",
        needs: None,
        read: read_crash,
    },
    Verb {
        word: "restart",
        example: "restart {1,2}",
        needs: None,
        read: |cur, state| {
            Ok(StepKind::Restart(last_set(
                cur,
                &mut state.scope,
                Arity::Many,
            )?))
        },
    },
    Verb {
        word: "pause",
        example: "pause 2",
        needs: None,
        read: |cur, state| {
            Ok(StepKind::Pause(last_set(
                cur,
                &mut state.scope,
                Arity::Many,
            )?))
        },
    },
    Verb {
        word: "resume",
        example: "resume 2",
        needs: None,
        read: |cur, state| {
            Ok(StepKind::Resume(last_set(
                cur,
                &mut state.scope,
                Arity::Many,
            )?))
        },
    },
    Verb {
        word: "partition",
        example: "partition leader as old | rest",
        needs: None,
        read: |cur, state| partition(cur, &mut state.scope),
    },
    Verb {
        word: "isolate",
        example: "isolate 1",
        needs: None,
        read: |cur, state| {
            Ok(StepKind::Isolate(last_set(
                cur,
                &mut state.scope,
                Arity::Many,
            )?))
        },
    },
    Verb {
        word: "cut",
        example: "cut 1 -> {2,3}",
        needs: None,
        read: read_cut,
    },
    Verb {
        word: "heal",
        example: "heal",
        needs: None,
        read: |_, _| Ok(StepKind::Heal),
    },
    Verb {
        word: "skew",
        example: "skew 1 1.5",
        needs: None,
        read: read_skew,
    },
    Verb {
        word: "run",
        example: "run 2s",
        needs: None,
        read: |cur, _| Ok(StepKind::Run(super::values::duration(cur)?)),
    },
    Verb {
        word: "propose",
        example: "propose 3",
        needs: None,
        read: read_propose,
    },
    Verb {
        word: "put",
        example: "put x 1 via 2",
        needs: None,
        read: |cur, state| Ok(StepKind::Put(key(cur)?, value(cur)?, via(cur, state)?)),
    },
    Verb {
        word: "get",
        example: "get x",
        needs: None,
        read: |cur, state| Ok(StepKind::Get(key(cur)?, via(cur, state)?)),
    },
    Verb {
        word: "append",
        example: "append x 2",
        needs: None,
        read: |cur, state| Ok(StepKind::Append(key(cur)?, value(cur)?, via(cur, state)?)),
    },
    Verb {
        word: "wake",
        example: "wake client 1",
        needs: None,
        read: |cur, _| Ok(StepKind::WakeClient(client(cur)?)),
    },
    Verb {
        word: "compact",
        example: "compact all",
        needs: Some(Feature::Snapshots),
        read: |cur, state| {
            Ok(StepKind::Compact(last_set(
                cur,
                &mut state.scope,
                Arity::Many,
            )?))
        },
    },
    Verb {
        word: "add",
        example: "add 4 learner",
        needs: Some(Feature::Membership),
        read: read_add,
    },
    Verb {
        word: "remove",
        example: "remove 3",
        needs: Some(Feature::Membership),
        read: |cur, state| {
            Ok(StepKind::Remove(last_set(
                cur,
                &mut state.scope,
                Arity::Many,
            )?))
        },
    },
    Verb {
        word: "promote",
        example: "promote 3",
        needs: Some(Feature::Membership),
        read: |cur, state| {
            Ok(StepKind::Promote(last_set(
                cur,
                &mut state.scope,
                Arity::Many,
            )?))
        },
    },
    Verb {
        word: "transfer-leader",
        example: "transfer-leader 2",
        needs: Some(Feature::LeaderTransfer),
        read: |cur, state| {
            Ok(StepKind::TransferLeader(last_set(
                cur,
                &mut state.scope,
                Arity::One,
            )?))
        },
    },
    Verb {
        word: "expect",
        example: "expect committed >= 20 on all within 5s",
        needs: None,
        read: read_expect,
    },
    Verb {
        word: "manual",
        example: "manual",
        needs: None,
        read: |_, _| Ok(StepKind::Manual),
    },
    Verb {
        word: "auto",
        example: "auto",
        needs: None,
        read: |_, _| Ok(StepKind::Auto),
    },
    Verb {
        word: "campaign",
        example: "campaign 1",
        needs: None,
        read: |cur, state| {
            Ok(StepKind::Campaign(last_set(
                cur,
                &mut state.scope,
                Arity::One,
            )?))
        },
    },
    Verb {
        word: "heartbeat",
        example: "heartbeat 1",
        needs: None,
        read: |cur, state| {
            Ok(StepKind::Heartbeat(last_set(
                cur,
                &mut state.scope,
                Arity::One,
            )?))
        },
    },
    Verb {
        word: "check-quorum",
        example: "check-quorum 1",
        needs: None,
        read: |cur, state| {
            Ok(StepKind::CheckQuorum(last_set(
                cur,
                &mut state.scope,
                Arity::One,
            )?))
        },
    },
    Verb {
        word: "tick",
        example: "tick 2 10",
        needs: None,
        read: read_tick,
    },
    Verb {
        word: "deliver",
        example: "deliver 1 -> 2 append all",
        needs: None,
        read: |cur, state| Ok(StepKind::Deliver(pick(cur, &mut state.scope, "deliver")?)),
    },
    Verb {
        word: "drop",
        example: "drop 1 -> 2 vote",
        needs: None,
        read: |cur, state| Ok(StepKind::Drop(pick(cur, &mut state.scope, "drop")?)),
    },
    Verb {
        word: "duplicate",
        example: "duplicate 1 -> 2 append nth=2",
        needs: None,
        read: |cur, state| {
            Ok(StepKind::Duplicate(pick(
                cur,
                &mut state.scope,
                "duplicate",
            )?))
        },
    },
    Verb {
        word: "persist",
        example: "persist 1",
        needs: None,
        read: |cur, state| {
            Ok(StepKind::Persist(last_set(
                cur,
                &mut state.scope,
                Arity::One,
            )?))
        },
    },
    Verb {
        word: "stabilize",
        example: "stabilize",
        needs: None,
        read: |_, _| Ok(StepKind::Stabilize),
    },
];

/// The verb spelled `word`, if there is one.
pub fn verb_named(word: &str) -> Option<&'static Verb> {
    VERBS.iter().find(|verb| verb.word == word)
}

/// Every verb's word, in the table's order.
pub fn words() -> impl Iterator<Item = &'static str> {
    VERBS.iter().map(|verb| verb.word)
}

impl StepKind {
    /// The verb that starts this step.
    pub fn verb(&self) -> &'static Verb {
        let word = match self {
            StepKind::Cluster { .. } => "cluster",
            StepKind::Net { .. } => "net",
            StepKind::Disk { .. } => "disk",
            StepKind::Clients { .. } => "clients",
            StepKind::Crash(..) => "crash",
            StepKind::Restart(_) => "restart",
            StepKind::Pause(_) => "pause",
            StepKind::Resume(_) => "resume",
            StepKind::Partition(_) => "partition",
            StepKind::Isolate(_) => "isolate",
            StepKind::Cut(..) => "cut",
            StepKind::Heal => "heal",
            StepKind::Skew(..) => "skew",
            StepKind::Run(_) => "run",
            StepKind::Propose(..) => "propose",
            StepKind::Put(..) => "put",
            StepKind::Get(..) => "get",
            StepKind::Append(..) => "append",
            StepKind::WakeClient(_) => "wake",
            StepKind::Compact(_) => "compact",
            StepKind::Add(..) => "add",
            StepKind::Remove(_) => "remove",
            StepKind::Promote(_) => "promote",
            StepKind::TransferLeader(_) => "transfer-leader",
            StepKind::Expect(..) => "expect",
            StepKind::Manual => "manual",
            StepKind::Auto => "auto",
            StepKind::Campaign(_) => "campaign",
            StepKind::Heartbeat(_) => "heartbeat",
            StepKind::Tick(..) => "tick",
            StepKind::Deliver(_) => "deliver",
            StepKind::Drop(_) => "drop",
            StepKind::Duplicate(_) => "duplicate",
            StepKind::CheckQuorum(_) => "check-quorum",
            StepKind::Persist(_) => "persist",
            StepKind::Stabilize => "stabilize",
        };
        verb_named(word).expect("every step kind has a row in VERBS (tested)")
    }
}

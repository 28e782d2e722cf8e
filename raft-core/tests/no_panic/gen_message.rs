//! Strategies for messages, as specs resolved against the recipient's state
//! when delivered (so that relative terms and indexes reach the interesting
//! paths: matching entries, the current term, the commit index).

use proptest::prelude::*;
use proptest::sample::Index;
use raft_core::{
    Entry, EntryId, EntryKind, LogIndex, Message, MessageBody, RawNode, RejectHint, Term,
};

use crate::gen_state::{entry, entry_kind, id};

/// A term: absolute, or relative to the recipient's term when delivered
/// (relative terms reach the interesting same-term paths far more often).
#[derive(Clone, Debug)]
pub(crate) enum TermSpec {
    Abs(u64),
    Rel(i64),
}

/// A log index: absolute, or relative to the recipient's last or commit index.
#[derive(Clone, Debug)]
pub(crate) enum IndexSpec {
    Abs(u64),
    FromLast(i64),
    FromCommit(i64),
}

#[derive(Clone, Debug)]
pub(crate) struct IdSpec {
    index: IndexSpec,
    term: TermSpec,
}

/// An entry id that either names an entry the recipient holds (so appends
/// and heartbeats pass the consistency check) or is arbitrary.
#[derive(Clone, Debug)]
pub(crate) enum PrevSpec {
    Matching(IndexSpec),
    Any(IdSpec),
}

/// How an entry vector is broken.
#[derive(Clone, Debug)]
pub(crate) enum Flaw {
    /// Indexes jump by one from this position on.
    Gap(Index),
    /// The entry at this position appears twice.
    Repeat(Index),
    /// The entry at this position has a term below the one before it.
    TermDown(Index),
    /// The entry at this position has a term above the message's term.
    TermAbove(Index),
    /// Every index is shifted.
    Shift(i64),
}

#[derive(Clone, Debug)]
pub(crate) enum EntriesSpec {
    /// Contiguous after `prev`, terms non-decreasing from `prev.term` and
    /// capped at the message's term: what a correct leader sends.
    WellFormed(Vec<(u64, EntryKind, usize)>),
    /// Well-formed, then broken by one flaw.
    Broken(Vec<(u64, EntryKind, usize)>, Flaw),
    /// Arbitrary (index, term) pairs.
    Raw(Vec<(u64, u64)>),
}

#[derive(Clone, Debug)]
pub(crate) enum BodySpec {
    PreVoteRequest(IdSpec),
    PreVoteResponse(bool),
    VoteRequest(IdSpec, bool),
    VoteResponse(bool),
    Append {
        prev: PrevSpec,
        entries: EntriesSpec,
        commit: IndexSpec,
    },
    AppendResponse {
        index: IndexSpec,
        reject: Option<IdSpec>,
    },
    Heartbeat(PrevSpec, u64),
    HeartbeatResponse(u64),
    ReadIndex(u64),
    ReadIndexResponse(u64, Option<IndexSpec>),
    StaleTerm,
    /// A chunk of a snapshot ending at `last`, of a configuration of
    /// `voters`, `len` bytes from `offset`.
    InstallSnapshot {
        last: PrevSpec,
        voters: Vec<u64>,
        offset: u64,
        len: usize,
        done: bool,
    },
    SnapshotResponse {
        last: IdSpec,
        received: u64,
    },
    TimeoutNow,
}

#[derive(Clone, Debug)]
pub(crate) struct MsgSpec {
    from: u64,
    /// `None`: addressed to the node under test.
    to: Option<u64>,
    term: TermSpec,
    body: BodySpec,
}

fn term_spec() -> impl Strategy<Value = TermSpec> {
    prop_oneof![
        2 => (0u64..6).prop_map(TermSpec::Abs),
        3 => (-1i64..=1).prop_map(TermSpec::Rel),
    ]
}

fn index_spec() -> impl Strategy<Value = IndexSpec> {
    prop_oneof![
        (0u64..12).prop_map(IndexSpec::Abs),
        (-3i64..=2).prop_map(IndexSpec::FromLast),
        (-2i64..=2).prop_map(IndexSpec::FromCommit),
    ]
}

fn id_spec() -> impl Strategy<Value = IdSpec> {
    (index_spec(), term_spec()).prop_map(|(index, term)| IdSpec { index, term })
}

fn prev_spec() -> impl Strategy<Value = PrevSpec> {
    prop_oneof![
        3 => index_spec().prop_map(PrevSpec::Matching),
        1 => id_spec().prop_map(PrevSpec::Any),
    ]
}

pub(crate) fn entry_steps(
    len: std::ops::Range<usize>,
) -> impl Strategy<Value = Vec<(u64, EntryKind, usize)>> {
    let step = prop_oneof![3 => Just(0u64), 1 => Just(1u64)];
    prop::collection::vec((step, entry_kind(), 0usize..8), len)
}

pub(crate) fn flaw() -> impl Strategy<Value = Flaw> {
    prop_oneof![
        any::<Index>().prop_map(Flaw::Gap),
        any::<Index>().prop_map(Flaw::Repeat),
        any::<Index>().prop_map(Flaw::TermDown),
        any::<Index>().prop_map(Flaw::TermAbove),
        prop_oneof![(-3i64..=-1), (1i64..=3)].prop_map(Flaw::Shift),
    ]
}

fn entries_spec() -> impl Strategy<Value = EntriesSpec> {
    prop_oneof![
        4 => entry_steps(0..6).prop_map(EntriesSpec::WellFormed),
        2 => (entry_steps(1..6), flaw()).prop_map(|(s, f)| EntriesSpec::Broken(s, f)),
        1 => prop::collection::vec((0u64..12, 0u64..7), 0..5).prop_map(EntriesSpec::Raw),
    ]
}

fn body_spec() -> impl Strategy<Value = BodySpec> {
    prop_oneof![
        2 => id_spec().prop_map(BodySpec::PreVoteRequest),
        2 => any::<bool>().prop_map(BodySpec::PreVoteResponse),
        2 => (id_spec(), any::<bool>()).prop_map(|(last, transfer)| BodySpec::VoteRequest(last, transfer)),
        3 => any::<bool>().prop_map(BodySpec::VoteResponse),
        5 => (prev_spec(), entries_spec(), index_spec())
            .prop_map(|(prev, entries, commit)| BodySpec::Append { prev, entries, commit }),
        4 => (index_spec(), prop::option::of(id_spec()))
            .prop_map(|(index, reject)| BodySpec::AppendResponse { index, reject }),
        2 => (prev_spec(), read_round()).prop_map(|(p, r)| BodySpec::Heartbeat(p, r)),
        2 => read_round().prop_map(BodySpec::HeartbeatResponse),
        1 => (0u64..4).prop_map(BodySpec::ReadIndex),
        1 => (0u64..4, prop::option::of(index_spec()))
            .prop_map(|(context, index)| BodySpec::ReadIndexResponse(context, index)),
        2 => Just(BodySpec::StaleTerm),
        3 => (
            prev_spec(),
            prop::collection::vec(0u64..=4, 0..4),
            prop_oneof![3 => Just(0u64), 1 => 0u64..40],
            0usize..24,
            any::<bool>(),
        )
            .prop_map(|(last, voters, offset, len, done)| BodySpec::InstallSnapshot {
                last,
                voters,
                offset,
                len,
                done,
            }),
        2 => (id_spec(), 0u64..64)
            .prop_map(|(last, received)| BodySpec::SnapshotResponse { last, received }),
        1 => Just(BodySpec::TimeoutNow),
    ]
}

/// A read round: mostly the few a test's leader reaches, sometimes far
/// beyond.
fn read_round() -> impl Strategy<Value = u64> {
    prop_oneof![4 => 0u64..4, 1 => any::<u64>()]
}

pub(crate) fn msg_spec() -> impl Strategy<Value = MsgSpec> {
    (
        0u64..=5,
        prop::option::weighted(0.1, 0u64..=5),
        term_spec(),
        body_spec(),
    )
        .prop_map(|(from, to, term, body)| MsgSpec {
            from,
            to,
            term,
            body,
        })
}

/// Every kind of message body, numbered. The match has no wildcard: a new
/// `MessageBody` variant does not compile until it is listed here, and then
/// the single-node property's coverage check fails until [`body_spec`]
/// generates it.
pub(crate) fn kind_number(body: &MessageBody) -> usize {
    match body {
        MessageBody::PreVoteRequest { .. } => 0,
        MessageBody::PreVoteResponse { .. } => 1,
        MessageBody::VoteRequest { .. } => 2,
        MessageBody::VoteResponse { .. } => 3,
        MessageBody::AppendEntries { .. } => 4,
        MessageBody::AppendResponse { .. } => 5,
        MessageBody::Heartbeat { .. } => 6,
        MessageBody::HeartbeatResponse { .. } => 7,
        MessageBody::StaleTerm => 8,
        MessageBody::InstallSnapshot { .. } => 9,
        MessageBody::SnapshotResponse { .. } => 10,
        MessageBody::TimeoutNow => 11,
        MessageBody::ReadIndex { .. } => 12,
        MessageBody::ReadIndexResponse { .. } => 13,
    }
}

/// The number of kinds [`kind_number`] tells apart.
pub(crate) const KINDS: usize = 14;

fn resolve_term(spec: &TermSpec, node: &RawNode) -> Term {
    match *spec {
        TermSpec::Abs(t) => Term(t),
        TermSpec::Rel(d) => Term(node.term().0.saturating_add_signed(d)),
    }
}

fn resolve_index(spec: &IndexSpec, node: &RawNode) -> LogIndex {
    match *spec {
        IndexSpec::Abs(i) => LogIndex(i),
        IndexSpec::FromLast(d) => LogIndex(node.log().last_index().0.saturating_add_signed(d)),
        IndexSpec::FromCommit(d) => LogIndex(node.log().committed().0.saturating_add_signed(d)),
    }
}

fn resolve_id(spec: &IdSpec, node: &RawNode) -> EntryId {
    EntryId {
        index: resolve_index(&spec.index, node),
        term: resolve_term(&spec.term, node),
    }
}

fn resolve_prev(spec: &PrevSpec, node: &RawNode) -> EntryId {
    match spec {
        PrevSpec::Matching(index) => {
            let index = resolve_index(index, node);
            // An index the node does not hold gets term 0 (a mismatch).
            let term = node.log().term(index).unwrap_or_default();
            EntryId { index, term }
        }
        PrevSpec::Any(id) => resolve_id(id, node),
    }
}

/// An entry's data: for a membership change, mostly one that decodes
/// (adding, promoting or removing one of a handful of nodes, or leaving a
/// joint configuration), so that changes reach the node's configuration;
/// otherwise filler bytes.
pub(crate) fn entry_data(kind: EntryKind, size: usize) -> Vec<u8> {
    use raft_core::{ConfChange, ConfChangeSingle, NodeId};
    let node = NodeId(size as u64 % 5 + 1);
    let changes = match size % 6 {
        _ if kind != EntryKind::ConfChange => return vec![0xA5; size],
        0 => vec![ConfChangeSingle::AddLearner(node)],
        1 => vec![ConfChangeSingle::AddVoter(node)],
        2 => vec![ConfChangeSingle::Remove(node)],
        3 => Vec::new(),
        4 => vec![
            ConfChangeSingle::AddVoter(node),
            ConfChangeSingle::AddVoter(NodeId(6)),
        ],
        _ => return vec![0xA5; size],
    };
    ConfChange { changes }.encode()
}

fn well_formed(prev: EntryId, msg_term: Term, steps: &[(u64, EntryKind, usize)]) -> Vec<Entry> {
    let mut term = prev.term.0;
    steps
        .iter()
        .enumerate()
        .map(|(k, (step, kind, size))| {
            term = (term + step).min(msg_term.0).max(term);
            entry(
                prev.index.0 + 1 + k as u64,
                term,
                *kind,
                entry_data(*kind, *size),
            )
        })
        .collect()
}

/// The entries `spec` describes, following `prev` in a message of `msg_term`.
pub(crate) fn resolve_entries(spec: &EntriesSpec, prev: EntryId, msg_term: Term) -> Vec<Entry> {
    match spec {
        EntriesSpec::WellFormed(steps) => well_formed(prev, msg_term, steps),
        EntriesSpec::Broken(steps, flaw) => {
            let mut entries = well_formed(prev, msg_term, steps);
            let len = entries.len();
            match flaw {
                Flaw::Gap(at) => {
                    for e in &mut entries[at.index(len)..] {
                        e.index = e.index.next();
                    }
                }
                Flaw::Repeat(at) => {
                    let at = at.index(len);
                    let copy = entries[at].clone();
                    entries.insert(at, copy);
                }
                Flaw::TermDown(at) => {
                    let at = at.index(len);
                    let before = if at == 0 {
                        prev.term
                    } else {
                        entries[at - 1].term
                    };
                    entries[at].term = Term(before.0.saturating_sub(1));
                }
                Flaw::TermAbove(at) => entries[at.index(len)].term = msg_term.next(),
                Flaw::Shift(d) => {
                    for e in &mut entries {
                        e.index = LogIndex(e.index.0.saturating_add_signed(*d));
                    }
                }
            }
            entries
        }
        EntriesSpec::Raw(pairs) => pairs
            .iter()
            .map(|(index, term)| entry(*index, *term, EntryKind::Normal, vec![1]))
            .collect(),
    }
}

/// The message `spec` describes, for delivery to `node` now.
pub(crate) fn resolve_message(spec: &MsgSpec, node: &RawNode) -> Message {
    let term = resolve_term(&spec.term, node);
    let body = match &spec.body {
        BodySpec::PreVoteRequest(last) => MessageBody::PreVoteRequest {
            last_log: resolve_id(last, node),
        },
        BodySpec::PreVoteResponse(granted) => MessageBody::PreVoteResponse { granted: *granted },
        BodySpec::VoteRequest(last, leader_transfer) => MessageBody::VoteRequest {
            last_log: resolve_id(last, node),
            leader_transfer: *leader_transfer,
        },
        BodySpec::VoteResponse(granted) => MessageBody::VoteResponse { granted: *granted },
        BodySpec::Append {
            prev,
            entries,
            commit,
        } => {
            let prev = resolve_prev(prev, node);
            MessageBody::AppendEntries {
                prev,
                entries: resolve_entries(entries, prev, term),
                commit: resolve_index(commit, node),
            }
        }
        BodySpec::AppendResponse { index, reject } => MessageBody::AppendResponse {
            index: resolve_index(index, node),
            reject: reject.as_ref().map(|probe| RejectHint {
                probe: resolve_id(probe, node),
            }),
        },
        BodySpec::Heartbeat(commit, read_round) => MessageBody::Heartbeat {
            commit: resolve_prev(commit, node),
            read_round: *read_round,
        },
        BodySpec::HeartbeatResponse(read_round) => MessageBody::HeartbeatResponse {
            read_round: *read_round,
        },
        BodySpec::ReadIndex(context) => MessageBody::ReadIndex { context: *context },
        BodySpec::ReadIndexResponse(context, index) => MessageBody::ReadIndexResponse {
            context: *context,
            index: index.as_ref().map(|i| resolve_index(i, node)),
        },
        BodySpec::StaleTerm => MessageBody::StaleTerm,
        BodySpec::TimeoutNow => MessageBody::TimeoutNow,
        BodySpec::InstallSnapshot {
            last,
            voters,
            offset,
            len,
            done,
        } => MessageBody::InstallSnapshot {
            meta: raft_core::SnapshotMeta {
                last: resolve_prev(last, node),
                conf: raft_core::ConfState::with_voters(voters.iter().copied().map(id)),
            },
            offset: *offset,
            data: vec![0x5A; *len],
            done: *done,
        },
        BodySpec::SnapshotResponse { last, received } => MessageBody::SnapshotResponse {
            last: resolve_id(last, node),
            received: *received,
        },
    };
    Message {
        from: id(spec.from),
        to: spec.to.map_or(node.id(), id),
        term,
        body,
    }
}

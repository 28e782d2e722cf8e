//! What one `RawNode::step` may change, by kind of message: the rules the
//! properties check on every message they deliver.
//!
//! - A misaddressed or malformed message (from the node itself or node 0;
//!   an append whose entries a correct leader of the message's term cannot
//!   have sent) is refused with an error and leaves no trace: not even a
//!   raised term (`RawNode::step`).
//! - A message of an earlier term is ignored (Raft §5.1): nothing changes
//!   but the answer a stale leader or PreVote candidate gets.
//! - `StaleTerm` acknowledges nothing: at most it raises the term, and a
//!   leader of its term counts no match from it.

use raft_core::{
    ConfChange, Entry, EntryId, EntryKind, Error, Message, MessageBody, NodeId, RawNode, Role, Term,
};

/// Why a correct leader of the message's term cannot have sent an append.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum AppendFlaw {
    /// `prev` has a term above the message's.
    PrevTermAbove,
    /// An entry's index does not follow the one before it (a gap, a repeat,
    /// a shift).
    NotContiguous,
    /// An entry's term is below the one before it (or below `prev`'s).
    TermsDecrease,
    /// An entry's term is above the message's.
    TermAbove,
    /// A snapshot's last term is above the message's.
    SnapshotTermAbove,
    /// A snapshot ends at an entry of term 0 (only index 0 has it).
    SnapshotTermZero,
    /// A snapshot's configuration has no voters, or names node 0.
    SnapshotBadConf,
    /// A membership change entry whose data does not decode.
    ConfChangeUndecodable,
}

/// The first flaw of an append of `term` carrying `entries` after `prev`.
pub(crate) fn append_flaw(prev: EntryId, entries: &[Entry], term: Term) -> Option<AppendFlaw> {
    if prev.term > term {
        return Some(AppendFlaw::PrevTermAbove);
    }
    let mut last = prev;
    for e in entries {
        if e.index != last.index.next() {
            return Some(AppendFlaw::NotContiguous);
        }
        if e.term < last.term {
            return Some(AppendFlaw::TermsDecrease);
        }
        if e.term > term {
            return Some(AppendFlaw::TermAbove);
        }
        if e.kind == EntryKind::ConfChange && ConfChange::decode(&e.data).is_err() {
            return Some(AppendFlaw::ConfChangeUndecodable);
        }
        last = e.id();
    }
    None
}

/// The rule a message falls under, for the node it is stepped into.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Rule {
    /// Refused with one of the errors that apply, without a trace.
    Refused {
        misaddressed: bool,
        bad_sender: bool,
        flaw: Option<AppendFlaw>,
    },
    /// A `StaleTerm` of a term not above the node's: changes nothing.
    StaleTermIgnored,
    /// A `StaleTerm` of a newer term: the node follows that term, with no
    /// leader known; its log and commit index stay.
    StaleTermRaises,
    /// Of an earlier term: changes nothing; an append, heartbeat or PreVote
    /// request may be answered.
    Stale,
}

/// What a step must do, with the node as it was before.
#[derive(Debug)]
pub(crate) struct Expectation {
    pub(crate) rule: Rule,
    before: RawNode,
    message: Message,
}

impl Expectation {
    /// The rule `message` falls under when stepped into `node`, if any
    /// (most messages may change the node in many ways; the invariants and
    /// the other checks of the properties cover those).
    pub(crate) fn of(node: &RawNode, message: &Message) -> Option<Expectation> {
        let me = node.id();
        let misaddressed = message.to != me;
        let bad_sender = message.from == me || message.from == NodeId(0);
        let flaw = match &message.body {
            MessageBody::AppendEntries { prev, entries, .. } => {
                append_flaw(*prev, entries, message.term)
            }
            MessageBody::InstallSnapshot { meta, .. } if meta.last.term > message.term => {
                Some(AppendFlaw::SnapshotTermAbove)
            }
            MessageBody::InstallSnapshot { meta, .. }
                if meta.last.term == Term(0) && meta.last.index.0 > 0 =>
            {
                Some(AppendFlaw::SnapshotTermZero)
            }
            MessageBody::InstallSnapshot { meta, .. }
                if meta.conf.voters.is_empty() || meta.conf.contains(NodeId(0)) =>
            {
                Some(AppendFlaw::SnapshotBadConf)
            }
            _ => None,
        };
        let rule = if misaddressed || bad_sender || flaw.is_some() {
            Rule::Refused {
                misaddressed,
                bad_sender,
                flaw,
            }
        } else if message.body == MessageBody::StaleTerm {
            if message.term > node.term() {
                Rule::StaleTermRaises
            } else {
                Rule::StaleTermIgnored
            }
        } else if message.term < node.term() {
            Rule::Stale
        } else {
            return None;
        };
        Some(Expectation {
            rule,
            before: node.clone(),
            message: message.clone(),
        })
    }

    /// Checks that the step gave `result` and left `after` as the rule says.
    pub(crate) fn check(&self, result: &Result<(), Error>, after: &RawNode) {
        let message = &self.message;
        let before = &self.before;
        match self.rule {
            Rule::Refused {
                misaddressed,
                bad_sender,
                flaw,
            } => {
                let expected = match result {
                    Err(Error::WrongRecipient { .. }) => misaddressed,
                    Err(Error::InvalidSender(_)) => bad_sender,
                    Err(Error::MalformedMessage(_)) => flaw.is_some(),
                    _ => false,
                };
                assert!(expected, "{message:?} ({:?}) got {result:?}", self.rule);
                self.assert_durable_state_kept(after);
                assert!(
                    after == before,
                    "{message:?}, refused with {result:?}, left a trace"
                );
            }
            Rule::StaleTermIgnored | Rule::Stale => {
                assert_eq!(*result, Ok(()), "{message:?} of a stale term");
                self.assert_durable_state_kept(after);
                assert_eq!(after.soft_state(), before.soft_state(), "{message:?}");
                assert_eq!(after.status(), before.status(), "{message:?}");
                let answered = matches!(
                    message.body,
                    MessageBody::AppendEntries { .. }
                        | MessageBody::Heartbeat { .. }
                        | MessageBody::InstallSnapshot { .. }
                        | MessageBody::PreVoteRequest { .. }
                );
                if !answered {
                    // Not even an answer: nothing at all changed.
                    assert!(after == before, "{message:?} changed the node");
                }
            }
            Rule::StaleTermRaises => {
                assert_eq!(*result, Ok(()), "{message:?}");
                assert_eq!(
                    after.term(),
                    message.term,
                    "{message:?} did not raise the term"
                );
                assert_eq!(after.vote(), None, "{message:?}");
                assert_eq!(after.role(), Role::Follower, "{message:?}");
                assert_eq!(after.leader(), None, "{message:?} named a leader");
                assert_eq!(after.log(), before.log(), "{message:?} changed the log");
            }
        }
    }

    /// The hard state and the log are exactly as before.
    fn assert_durable_state_kept(&self, after: &RawNode) {
        let message = &self.message;
        assert_eq!(
            after.hard_state(),
            self.before.hard_state(),
            "{message:?} changed the hard state"
        );
        assert_eq!(
            after.log(),
            self.before.log(),
            "{message:?} changed the log"
        );
    }
}

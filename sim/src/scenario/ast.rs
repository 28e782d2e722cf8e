//! The scenario language's syntax tree (`../shared/SCENARIOS.md`, twin:
//! `scenarios/README.md`): one [`Step`] per line, each with where it came
//! from so that every later error can name `file:line:col`.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use super::limits::SHOWN_CHARS_MAX;

/// A parsed scenario file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Scenario {
    /// The file name, for messages.
    pub file: String,
    /// The steps, in file order; the first is always `cluster`.
    pub steps: Vec<Step>,
    /// A comment line `# expect failure: INVARIANT` marks a documented
    /// hazard: the scenario shows the checker catching it, so it passes
    /// when it fails with that invariant (and fails if it passes).
    pub expected_failure: Option<crate::checker::Invariant>,
    /// Comment lines `# expect failure on NAME: INVARIANT`: a hazard of one
    /// Raft implementation (`--sut NAME`), by name.
    #[serde(default)]
    pub expected_failure_on: Vec<(String, crate::checker::Invariant)>,
    /// A comment line `# runs on: NAME[, NAME]`: the scenario scripts the
    /// messages of these implementations only (a step-by-step story of one
    /// protocol's choreography); on another it is skipped.
    #[serde(default)]
    pub runs_on: Option<Vec<String>>,
}

impl Scenario {
    /// The invariant the scenario is expected to fail with on the Raft
    /// implementation named `sut`, if any: its own hazard first, else the
    /// scenario's.
    #[must_use]
    pub fn expected_failure_for(&self, sut: &str) -> Option<crate::checker::Invariant> {
        self.expected_failure_on
            .iter()
            .find(|(name, _)| name == sut)
            .map(|(_, invariant)| *invariant)
            .or(self.expected_failure)
    }
}

/// Where something is in the file (1-based).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    /// Line, from 1.
    pub line: usize,
    /// Column (in characters), from 1.
    pub col: usize,
}

/// One line of the scenario.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// Where the step starts (its first token, `at` included).
    pub span: Span,
    /// The line's text without its comment, for messages.
    pub text: String,
    /// When it runs.
    pub timing: Timing,
    /// What it does.
    pub kind: StepKind,
}

/// When a step runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Timing {
    /// When the previous step has finished.
    Next,
    /// `at 2s`: at this virtual time.
    At(u64),
    /// `at +500ms`: this long after the previous step finished.
    After(u64),
}

/// A comparison in an expectation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Compare {
    /// `>=`
    AtLeast,
    /// `<=`
    AtMost,
    /// `==`
    Equal,
}

/// An element inside braces: a node id or a name bound earlier with `as`.
///
/// Ordered so that braces can find a repeated member in a set, not by a scan.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Atom {
    /// A 1-based node id.
    Id(u64),
    /// A name bound with `as NAME`.
    Name(String),
}

/// A node set expression (SCENARIOS.md, "Node sets"): a first term and the
/// terms added or taken away after it, left to right (`A - B + C` is
/// `(A - B) + C`).
///
/// Flat rather than a tree of `Union(Box, Box)`: a line may chain tens of
/// thousands of terms, and a left-deep tree that long overflows the stack
/// in every recursive walk over it (evaluating, cloning, comparing, even
/// dropping). A list is walked in a loop.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetExpr {
    /// The leftmost term.
    pub first: SetTerm,
    /// Each later term with the operator before it, in file order.
    pub rest: Vec<(SetOp, SetTerm)>,
}

impl SetExpr {
    /// The expression that is one term alone.
    #[must_use]
    pub fn term(term: SetTerm) -> Self {
        SetExpr {
            first: term,
            rest: Vec::new(),
        }
    }

    /// The term, if the expression is that one term alone.
    #[must_use]
    pub fn alone(&self) -> Option<&SetTerm> {
        self.rest.is_empty().then_some(&self.first)
    }

    /// The node ids the expression writes out (`4` in `{4,old} - 1` and
    /// `1`), in file order.
    pub fn written_ids(&self) -> impl Iterator<Item = u64> + '_ {
        std::iter::once(&self.first)
            .chain(self.rest.iter().map(|(_, term)| term))
            .flat_map(|term| match term {
                SetTerm::Nodes(atoms) => atoms.as_slice(),
                _ => &[],
            })
            .filter_map(|atom| match atom {
                Atom::Id(id) => Some(*id),
                Atom::Name(_) => None,
            })
    }
}

impl From<SetTerm> for SetExpr {
    fn from(term: SetTerm) -> Self {
        SetExpr::term(term)
    }
}

/// The operator before a later term of a [`SetExpr`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SetOp {
    /// `+`: union with what the terms so far make.
    Union,
    /// `-`: what the terms so far make, less this term.
    Difference,
}

/// One operand of `+` and `-` in a [`SetExpr`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SetTerm {
    /// `3` or `{1,2}` or `{1,old}`.
    Nodes(Vec<Atom>),
    /// A bare name bound earlier: `old`.
    Name(String),
    /// `all`
    All,
    /// `leader`
    Leader,
    /// `followers`
    Followers,
    /// `rest`: every node not named earlier on the same line.
    Rest,
    /// `majority`
    Majority,
    /// `minority`
    Minority,
    /// `writing`: the first node seen with a write waiting for its fsync,
    /// from when the step runs (the step waits for one; an extension). It
    /// stands alone, as a whole set.
    Writing,
}

/// A set expression, optionally named for later lines (`... as old`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeSet {
    /// Where the expression starts.
    pub span: Span,
    /// The expression.
    pub expr: SetExpr,
    /// `as NAME`, if given.
    pub bind: Option<String>,
}

/// Options of `cluster`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ClusterOptions {
    /// `pre_vote=on/off`
    pub pre_vote: Option<bool>,
    /// `check_quorum=on/off`
    pub check_quorum: Option<bool>,
    /// `election=150ms..300ms` (nanoseconds)
    pub election_ns: Option<(u64, u64)>,
    /// `heartbeat=50ms`
    pub heartbeat_ns: Option<u64>,
    /// `tick=10ms`
    pub tick_ns: Option<u64>,
    /// `learners=K`
    pub learners: Option<u64>,
    /// `snapshot_every=E`
    pub snapshot_every: Option<u64>,
    /// `seed=S`
    pub seed: Option<u64>,
    /// `inflight=N`: appends in flight per follower (an extension).
    pub inflight: Option<u64>,
    /// `max_append=BYTES`: bytes per append, 0 for one entry (an extension).
    pub max_append_bytes: Option<u64>,
    /// `snapshot_chunk=BYTES`: bytes per InstallSnapshot chunk (an extension).
    pub snapshot_chunk_bytes: Option<u64>,
    /// `retire_removed=on/off`: the operator shuts a node down once its
    /// removal commits (an extension; the swarm's setting without PreVote
    /// and CheckQuorum).
    pub retire_removed: Option<bool>,
}

/// The operations `clients ... ops=` can name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum OpKind {
    /// `put`
    Put,
    /// `get`
    Get,
    /// `append`
    Append,
}

/// A condition of `expect` (SCENARIOS.md, "Expectations").
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Condition {
    /// `leader`: one leader that a majority follows.
    Leader,
    /// `leader in SET`
    LeaderIn(NodeSet),
    /// `leader != NODE`
    LeaderNot(NodeSet),
    /// `no leader`
    NoLeader,
    /// `committed OP N [on SET]`
    Committed(Compare, u64, Option<NodeSet>),
    /// `applied OP N [on SET]`
    Applied(Compare, u64, Option<NodeSet>),
    /// `converged`
    Converged,
    /// `term OP N`
    Term(Compare, u64),
    /// `linearizable`
    Linearizable,
    /// `members == SET`
    Members(NodeSet),
    /// `clients done [since T]`: no client operation is pending, and those
    /// invoked at or after virtual time T (once the faults healed) all
    /// succeeded: the liveness a swarm run demands of its clients.
    ClientsDone(Option<u64>),
}

/// Which in-flight messages `deliver`, `drop` and `duplicate` pick.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MessagePick {
    /// Sender.
    pub from: Party,
    /// Recipient.
    pub to: Party,
    /// A message type name (`append`, `vote`, ... as in scenarios/README.md).
    pub kind: Option<String>,
    /// Which of the matching messages, in the order they were sent.
    pub which: Which,
}

/// One end of a message pick: nodes, or one client session.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Party {
    /// A set of nodes (`2`, `{1,3}`, `leader`, a name).
    Nodes(NodeSet),
    /// `client N`: the N-th client session started (1-based; a manual
    /// `put`, `get` or `append` starts one).
    Client(u64),
}

/// Which of the matching in-flight messages a pick takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Which {
    /// The oldest (first sent).
    Oldest,
    /// The K-th oldest, 1-based (`nth=K`; `nth=1` is the oldest).
    Nth(u64),
    /// Every one (`all`).
    All,
}

/// The unsynced records a `crash` keeps (`keep_meta=K keep_log=K`): one
/// torn outcome, chosen.
pub use crate::disk::FileRecords;

/// What a step does.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum StepKind {
    /// `cluster N [opt=val ...]`
    Cluster {
        /// Voters.
        nodes: u64,
        /// Options.
        options: ClusterOptions,
    },
    /// `net [drop=P%] [dup=P%] [delay=MIN..MAX]`
    Net {
        /// Loss probability in [0, 1].
        drop: Option<f64>,
        /// Duplication probability in [0, 1].
        dup: Option<f64>,
        /// Delay range in nanoseconds.
        delay_ns: Option<(u64, u64)>,
        /// Chance of a long-tail delay, in [0, 1] (`tail=P%`, an extension).
        tail: Option<f64>,
    },
    /// `disk [nodes] [latency=D] [torn=on/off]`
    Disk {
        /// Which nodes (all if absent).
        nodes: Option<NodeSet>,
        /// fsync latency (the low end with `latency=MIN..MAX`).
        latency_ns: Option<u64>,
        /// The high end of `latency=MIN..MAX` (an extension).
        latency_max_ns: Option<u64>,
        /// Torn writes on crash.
        torn: Option<bool>,
    },
    /// `clients N [rate=R/s] [keys=K] [ops=put,get,append] [reads=PATH]`
    Clients {
        /// Sessions.
        count: u64,
        /// Operations per second per client.
        rate_per_s: Option<f64>,
        /// Distinct keys.
        keys: Option<u64>,
        /// Operation mix.
        ops: Option<Vec<OpKind>>,
        /// How a `get` is served, from now on.
        reads: Option<crate::read_path::ReadPath>,
    },
    /// `crash NODES [keep_meta=K] [keep_log=K]`
    Crash(NodeSet, Option<FileRecords>),
    /// `restart NODES`
    Restart(NodeSet),
    /// `pause NODES`
    Pause(NodeSet),
    /// `resume NODES`
    Resume(NodeSet),
    /// `partition SET | SET [| SET ...]`
    Partition(Vec<NodeSet>),
    /// `isolate NODES`
    Isolate(NodeSet),
    /// `cut SET -> SET`
    Cut(NodeSet, NodeSet),
    /// `heal`
    Heal,
    /// `skew NODE FACTOR`
    Skew(NodeSet, f64),
    /// `run D`
    Run(u64),
    /// `propose N [on NODE]`
    Propose(u64, Option<NodeSet>),
    /// `put K V [via NODE]`
    Put(String, String, Option<NodeSet>),
    /// `get K [via NODE]`
    Get(String, Option<NodeSet>),
    /// `append K V [via NODE]`
    Append(String, String, Option<NodeSet>),
    /// `wake client N`
    WakeClient(u64),
    /// `compact NODES`
    Compact(NodeSet),
    /// `add NODE [learner]`
    Add(NodeSet, bool),
    /// `remove NODE`
    Remove(NodeSet),
    /// `promote NODE`
    Promote(NodeSet),
    /// `transfer-leader NODE`
    TransferLeader(NodeSet),
    /// `expect COND [within D]`
    Expect(Condition, Option<u64>),
    /// `manual`
    Manual,
    /// `auto`
    Auto,
    /// `campaign NODE`
    Campaign(NodeSet),
    /// `heartbeat NODE`
    Heartbeat(NodeSet),
    /// `tick NODE [N]`
    Tick(NodeSet, u64),
    /// `deliver A -> B [TYPE] [all | nth=K]`
    Deliver(MessagePick),
    /// `drop A -> B [TYPE] [all | nth=K]`
    Drop(MessagePick),
    /// `duplicate A -> B [TYPE] [all | nth=K]`
    Duplicate(MessagePick),
    /// `check-quorum NODE`
    CheckQuorum(NodeSet),
    /// `persist NODE`
    Persist(NodeSet),
    /// `stabilize`
    Stabilize,
}

/// A parse error: where, the offending token, and what was expected.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParseError {
    /// The file.
    pub file: String,
    /// Where.
    pub span: Span,
    /// The token found (empty at the end of a line), as [`shown`] shows it:
    /// a token of more than [`SHOWN_CHARS_MAX`] characters is cut short.
    pub token: String,
    /// What was expected, or what is wrong.
    pub expected: String,
}

impl ParseError {
    /// An error in `file` at `span`, on `token` (cut short by [`shown`]),
    /// saying what was `expected`. Any of the user's text that `expected`
    /// quotes is the caller's to pass through [`shown`] first.
    #[must_use]
    pub fn new(file: &str, span: Span, token: &str, expected: impl Into<String>) -> Self {
        ParseError {
            file: file.to_string(),
            span,
            token: shown(token).into_owned(),
            expected: expected.into(),
        }
    }
}

/// A user's text as error messages show it: itself if it has at most
/// [`SHOWN_CHARS_MAX`] characters, else its first [`SHOWN_CHARS_MAX`]
/// characters, `…` and its length (`aaaa… (10000000 characters)`). Every
/// error that echoes a token, a name or a value goes through here, so that
/// no input makes a long message.
#[must_use]
pub fn shown(text: &str) -> Cow<'_, str> {
    let cut = text.char_indices().nth(SHOWN_CHARS_MAX).map(|(at, _)| at);
    let head = &text[..cut.unwrap_or(text.len())];
    if cut.is_none() && !head.chars().any(invisible) {
        return Cow::Borrowed(text);
    }
    // Control and invisible characters are written as escapes: echoed raw,
    // a NUL or an escape sequence would reach the terminal, and a
    // zero-width space or a direction override would hide the culprit.
    let mut out = String::new();
    for c in head.chars() {
        if invisible(c) {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    if cut.is_some() {
        out.push_str(&format!("\u{2026} ({} characters)", text.chars().count()));
    }
    Cow::Owned(out)
}

/// Whether `c` would not show as itself in a terminal: a control character,
/// a zero-width or direction-changing one, or a byte-order mark.
fn invisible(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{feff}')
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let found = if self.token.is_empty() {
            "end of line".to_string()
        } else {
            format!("`{}`", self.token)
        };
        write!(
            f,
            "{}:{}:{}: found {found}, expected {}",
            self.file, self.span.line, self.span.col, self.expected
        )
    }
}

impl std::error::Error for ParseError {}

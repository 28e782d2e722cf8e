//! The scenario parser: lines, timing, steps and conditions
//! (`../shared/SCENARIOS.md`, the contract; twin: `scenarios/README.md`).
//!
//! Each line is tokenized ([`super::lex`]) and read by recursive descent:
//!
//! ```text
//! line   := ['at' TIME] STEP          TIME := DURATION | '+' DURATION
//! STEP   := VERB ARGS                 (one of [`VERBS`](super::verbs::VERBS))
//! ```
//!
//! The first line with a step is `cluster`, and only it; node sets are read
//! by [`super::sets`], option values by [`super::values`]. What can be
//! checked without running is checked here: ids in range, names bound before
//! use, absolute `at` times not going backwards, every number within its
//! limit (`limits.rs`; lines and files are bounded in `text.rs`). Nothing
//! here recurses on the input: a line of any shape costs a bounded stack.
//! Everything else (a `leader` that does not exist, a relative time) is the
//! interpreter's to check.

use super::ast::{
    ClusterOptions, FileRecords, MessagePick, NodeSet, ParseError, Party, Scenario, Span, Step,
    StepKind, Timing, Which, shown,
};
use super::directives::{Directive, directive};
use super::lex::{Cursor, Kind, lex};
use super::limits::{
    APPEND_BYTES_MAX, CLIENT_NUMBER_MAX, CLIENTS_MAX, INFLIGHT_MAX, KEPT_RECORDS_MAX, KEYS_MAX,
    NODES_MAX, NTH_MAX, PROPOSE_ENTRIES_MAX, PROPOSE_TOTAL_MAX, SKEW_FACTOR_MAX, SKEW_FACTOR_MIN,
    TICKS_MAX,
};
use super::sets::{Arity, SET_KEYWORDS, Scope, node_set};
use super::text;
use super::values::{
    any_duration, count, decimal, duration_of, is_digits, next_option, on_off, ops, option_ahead,
    percent, positive_duration, range, rate, read_path, unhandled, whole_opt,
};
use super::verbs::{verb_named, words};

/// The message types `deliver` and `drop` can pick: the names of
/// `raft_core::MessageBody::kind_name`.
pub const MESSAGE_TYPES: &[&str] = &[
    "prevote",
    "prevote-resp",
    "vote",
    "vote-resp",
    "append",
    "append-resp",
    "heartbeat",
    "heartbeat-resp",
    "stale-term",
    "snapshot",
    "snapshot-resp",
    "timeout-now",
    "read-index",
    "read-index-resp",
];

/// The message types between a client and a node: a client's request, a
/// node's answer.
pub const CLIENT_MESSAGE_TYPES: &[&str] = &["request", "reply"];

/// The words that join a step's parts around node sets: reserved, with the
/// set keywords, so that no name reads as one of them.
const JOINING_WORDS: &[&str] = &[
    "as", "at", "in", "on", "within", "learner", "since", "via", "client",
];

/// `cluster`'s options, each with how it is written.
const CLUSTER_OPTIONS: &[(&str, &str)] = &[
    ("pre_vote", "pre_vote=on/off"),
    ("check_quorum", "check_quorum=on/off"),
    ("election", "election=MIN..MAX"),
    ("heartbeat", "heartbeat=D"),
    ("tick", "tick=D"),
    ("learners", "learners=K"),
    ("snapshot_every", "snapshot_every=E"),
    ("seed", "seed=S"),
    ("inflight", "inflight=N"),
    ("max_append", "max_append=BYTES"),
    ("snapshot_chunk", "snapshot_chunk=BYTES"),
    ("retire_removed", "retire_removed=on/off"),
];

/// `net`'s options.
const NET_OPTIONS: &[(&str, &str)] = &[
    ("drop", "drop=P%"),
    ("dup", "dup=P%"),
    ("delay", "delay=MIN..MAX"),
    ("tail", "tail=P%"),
];

/// The option of `deliver`, `drop` and `duplicate`.
const PICK_OPTIONS: &[(&str, &str)] = &[("nth", "nth=K")];

/// `crash`'s options.
const CRASH_OPTIONS: &[(&str, &str)] = &[("keep_meta", "keep_meta=K"), ("keep_log", "keep_log=K")];

/// `disk`'s options.
const DISK_OPTIONS: &[(&str, &str)] = &[
    ("latency", "latency=D or latency=MIN..MAX"),
    ("torn", "torn=on/off"),
];

/// `clients`' options.
const CLIENTS_OPTIONS: &[(&str, &str)] = &[
    ("rate", "rate=R/s"),
    ("keys", "keys=K"),
    ("ops", "ops=put,get,append"),
    ("reads", "reads=index|lease|log|local"),
];

/// Whether `word` is a keyword no name may be: a set keyword (`all`,
/// `leader`, ...) or a word that joins a step's parts around sets (`as`,
/// `on`, `in`, `within`, `learner`, `at`). Other words of the language
/// (verbs, conditions, message types, options) never stand where a name
/// could be confused with them, and make fine names (`as cut`).
pub(super) fn is_keyword(word: &str) -> bool {
    SET_KEYWORDS.contains(&word) || JOINING_WORDS.contains(&word)
}

const FIRST: &str = "`cluster N [opt=val ...]` as the first step (missing cluster line)";
const END_AFTER_SET: &str = "end of line, or `+`/`-` and another set, or `as NAME`";

/// What the parser knows once the `cluster` line is read.
#[derive(Debug)]
pub(super) struct State {
    /// The nodes and the names bound so far.
    pub(super) scope: Scope,
    /// The latest absolute `at` time: nanoseconds, as written, and its line.
    last_at: Option<(u64, String, usize)>,
    /// Entries the `propose` steps so far submit together.
    proposed: u64,
}

/// Parses a scenario file's text; `file` names it in errors. A byte-order
/// mark at the start is skipped; a file of more than
/// [`LINES_MAX`](super::limits::LINES_MAX) lines, or a line of more than
/// [`LINE_BYTES_MAX`](super::limits::LINE_BYTES_MAX) bytes, is an error.
/// For a file's bytes, see [`parse_bytes`](super::parse_bytes).
pub fn parse(file: &str, text: &str) -> Result<Scenario, ParseError> {
    let mut state: Option<State> = None;
    let mut steps = Vec::new();
    let mut lines = 0;
    let mut expected_failure = None;
    let mut expected_failure_on = Vec::new();
    let mut runs_on = None;
    for line in text::lines(file, text) {
        let (number, raw) = line?;
        lines = number;
        let code = raw.find('#').map_or(raw, |hash| &raw[..hash]);
        if let Some(hash) = raw.find('#') {
            match directive(file, number, raw, hash)? {
                Some(Directive::ExpectFailure(None, invariant)) => {
                    expected_failure = expected_failure.or(Some(invariant));
                }
                Some(Directive::ExpectFailure(Some(sut), invariant)) => {
                    expected_failure_on.push((sut, invariant));
                }
                Some(Directive::RunsOn(names)) => runs_on = runs_on.or(Some(names)),
                None => {}
            }
        }
        let tokens = lex(file, lines, code)?;
        if tokens.is_empty() {
            continue;
        }
        let mut cur = Cursor::new(file, lines, tokens);
        let span = cur.here();
        let (timing, kind) = match &mut state {
            None => {
                let (kind, first) = cluster_line(&mut cur)?;
                state = Some(first);
                (Timing::Next, kind)
            }
            Some(state) => step(&mut cur, state)?,
        };
        steps.push(Step {
            span,
            text: code.trim().to_string(),
            timing,
            kind,
        });
    }
    if state.is_none() {
        let span = Span {
            line: lines + 1,
            col: 1,
        };
        return Err(ParseError::new(file, span, "", FIRST));
    }
    Ok(Scenario {
        file: file.to_string(),
        steps,
        expected_failure,
        expected_failure_on,
        runs_on,
    })
}

/// `cluster N [opt=val ...]`, the first step.
fn cluster_line(cur: &mut Cursor<'_>) -> Result<(StepKind, State), ParseError> {
    if !cur.eat_word("cluster") {
        return Err(cur.error_here(FIRST));
    }
    let nodes = count(
        cur,
        &format!("the number of voters (a cluster has at most {NODES_MAX} nodes)"),
        1..=NODES_MAX,
    )?;
    let mut options = ClusterOptions::default();
    let mut seen = Vec::new();
    while let Some(opt) = next_option(cur, "cluster", CLUSTER_OPTIONS, &mut seen)? {
        match opt.key {
            "pre_vote" => options.pre_vote = Some(on_off(cur, &opt)?),
            "check_quorum" => options.check_quorum = Some(on_off(cur, &opt)?),
            "retire_removed" => options.retire_removed = Some(on_off(cur, &opt)?),
            "election" => options.election_ns = Some(range(cur, &opt, true)?),
            "heartbeat" => options.heartbeat_ns = Some(positive_duration(cur, &opt)?),
            "tick" => options.tick_ns = Some(positive_duration(cur, &opt)?),
            "learners" => {
                // `nodes` is at most NODES_MAX: no underflow.
                let why = format!(
                    " (a cluster has at most {NODES_MAX} nodes, voters and learners together)"
                );
                options.learners = Some(whole_opt(cur, &opt, 0..=NODES_MAX - nodes, &why)?);
            }
            "snapshot_every" => {
                options.snapshot_every = Some(whole_opt(cur, &opt, 1..=u64::MAX, "")?);
            }
            "seed" => options.seed = Some(whole_opt(cur, &opt, 0..=u64::MAX, "")?),
            "inflight" => {
                options.inflight = Some(whole_opt(cur, &opt, 1..=INFLIGHT_MAX, "")?);
            }
            "max_append" => {
                let bytes = whole_opt(cur, &opt, 0..=APPEND_BYTES_MAX, " (bytes: 1 GiB at most)")?;
                options.max_append_bytes = Some(bytes);
            }
            "snapshot_chunk" => {
                let bytes = whole_opt(cur, &opt, 1..=APPEND_BYTES_MAX, " (bytes: 1 GiB at most)")?;
                options.snapshot_chunk_bytes = Some(bytes);
            }
            _ => return Err(unhandled(cur, &opt)),
        }
    }
    let scope = Scope {
        voters: nodes,
        learners: options.learners.unwrap_or(0),
        ..Scope::default()
    };
    let state = State {
        scope,
        last_at: None,
        proposed: 0,
    };
    Ok((StepKind::Cluster { nodes, options }, state))
}

/// Any line after the first: `['at' TIME] STEP`.
fn step(cur: &mut Cursor<'_>, state: &mut State) -> Result<(Timing, StepKind), ParseError> {
    let timing = if cur.eat_word("at") {
        timing(cur, state)?
    } else {
        Timing::Next
    };
    let Some((token, verb)) = cur
        .peek()
        .filter(|t| t.kind == Kind::Word)
        .and_then(|t| Some((t, verb_named(t.text)?)))
    else {
        let words: Vec<&str> = words().collect();
        return Err(cur.error_here(format!("a step (one of: {})", words.join(", "))));
    };
    if verb.word == "cluster" {
        return Err(cur.error_at(
            token,
            "a step other than `cluster` (only the first line sets up the cluster)",
        ));
    }
    cur.next();
    let kind = (verb.read)(cur, state)?;
    cur.end("end of line")?;
    Ok((timing, kind))
}

/// `crash NODES [keep_meta=K] [keep_log=K]`: with either option, the crash
/// keeps that many of each file's unsynced records (the other, none).
pub(super) fn read_crash(cur: &mut Cursor<'_>, state: &mut State) -> Result<StepKind, ParseError> {
    if !has_option_after_set(cur) {
        return Ok(StepKind::Crash(
            last_set(cur, &mut state.scope, Arity::Many)?,
            None,
        ));
    }
    let set = node_set(cur, &mut state.scope, Arity::Many)?;
    let mut kept = FileRecords::NONE;
    let mut seen = Vec::new();
    let why = " (records kept of those not yet synced)";
    while let Some(opt) = next_option(cur, "crash", CRASH_OPTIONS, &mut seen)? {
        match opt.key {
            // Within KEPT_RECORDS_MAX: a usize on every platform.
            "keep_meta" => kept.meta = whole_opt(cur, &opt, 0..=KEPT_RECORDS_MAX, why)? as usize,
            "keep_log" => kept.log = whole_opt(cur, &opt, 0..=KEPT_RECORDS_MAX, why)? as usize,
            _ => return Err(unhandled(cur, &opt)),
        }
    }
    Ok(StepKind::Crash(set, Some(kept)))
}

/// Whether an option (`word=`) follows on the line: a node set is words,
/// braces, `+`, `-`, `,` and `as NAME`, never `=`, so one ahead is the
/// crash's option (looked at without reading).
fn has_option_after_set(cur: &Cursor<'_>) -> bool {
    (0..).map_while(|n| cur.peek_at(n)).any(|t| t.is_punct("="))
}

/// `cut 1 -> {2,3}`: the sending set, `->`, the receiving set.
pub(super) fn read_cut(cur: &mut Cursor<'_>, state: &mut State) -> Result<StepKind, ParseError> {
    let from = node_set(cur, &mut state.scope, Arity::Many)?;
    arrow(cur, "cut 1 -> {2,3}")?;
    Ok(StepKind::Cut(
        from,
        last_set(cur, &mut state.scope, Arity::Many)?,
    ))
}

/// `skew 1 1.5`: a node and its clock's factor.
pub(super) fn read_skew(cur: &mut Cursor<'_>, state: &mut State) -> Result<StepKind, ParseError> {
    let node = node_set(cur, &mut state.scope, Arity::One)?;
    let expected =
        format!("a clock factor from {SKEW_FACTOR_MIN} to {SKEW_FACTOR_MAX} (e.g. `1.5` or `0.8`)");
    let token = cur.word(&expected)?;
    let factor = decimal(token.text)
        .filter(|f| (SKEW_FACTOR_MIN..=SKEW_FACTOR_MAX).contains(f))
        .ok_or_else(|| cur.error_at(token, expected))?;
    Ok(StepKind::Skew(node, factor))
}

/// `propose 3 [on NODE]`: the file's proposals together stay within
/// [`PROPOSE_TOTAL_MAX`].
pub(super) fn read_propose(
    cur: &mut Cursor<'_>,
    state: &mut State,
) -> Result<StepKind, ParseError> {
    let at = cur.peek();
    let n = count(cur, "a number of entries", 1..=PROPOSE_ENTRIES_MAX)?;
    state.proposed += n;
    if state.proposed > PROPOSE_TOTAL_MAX {
        let token = at.expect("a count was read");
        return Err(cur.error_at(
            token,
            format!(
                "a number of entries that keeps the file's proposals at most \
                 {PROPOSE_TOTAL_MAX} in all ({} before this line)",
                state.proposed - n
            ),
        ));
    }
    let on = if cur.eat_word("on") {
        Some(last_set(cur, &mut state.scope, Arity::One)?)
    } else {
        None
    };
    Ok(StepKind::Propose(n, on))
}

/// `add NODE [learner]`.
pub(super) fn read_add(cur: &mut Cursor<'_>, state: &mut State) -> Result<StepKind, ParseError> {
    state.scope.adding = true;
    let node = node_set(cur, &mut state.scope, Arity::Many);
    state.scope.adding = false;
    let node = node?;
    state.scope.added.extend(node.expr.written_ids());
    let learner = cur.eat_word("learner");
    if !learner && node.bind.is_none() {
        cur.end("`learner`, end of line, `+`/`-` and another set, or `as NAME`")?;
    }
    Ok(StepKind::Add(node, learner))
}

/// `tick NODE [N]`: one tick unless a count follows.
pub(super) fn read_tick(cur: &mut Cursor<'_>, state: &mut State) -> Result<StepKind, ParseError> {
    let node = node_set(cur, &mut state.scope, Arity::One)?;
    let n = if cur.at_end() {
        1
    } else if node.bind.is_none() && !cur.peek().is_some_and(|t| is_digits(t.text)) {
        return Err(cur.error_here(format!(
            "a number of ticks (from 1 to {TICKS_MAX}), {END_AFTER_SET}"
        )));
    } else {
        count(cur, "a number of ticks", 1..=TICKS_MAX)?
    };
    Ok(StepKind::Tick(node, n))
}

/// `2s` or `+500ms`, after `at`.
fn timing(cur: &mut Cursor<'_>, state: &mut State) -> Result<Timing, ParseError> {
    if cur.eat_punct("+") {
        return match cur.peek() {
            Some(t) if t.glued && t.kind == Kind::Word => {
                cur.next();
                Ok(Timing::After(duration_of(cur, t)?))
            }
            _ => Err(cur.error_here("a duration right after `+` (e.g. `at +500ms STEP`)")),
        };
    }
    let token = cur.word("a time: `at 2s STEP` or `at +500ms STEP`")?;
    let ns = duration_of(cur, token)?;
    if let Some((earlier, text, line)) = &state.last_at {
        if ns < *earlier {
            return Err(cur.error_at(
                token,
                format!(
                    "a time no earlier than `at {}` on line {line} (time going backwards)",
                    shown(text)
                ),
            ));
        }
    }
    state.last_at = Some((ns, token.text.to_string(), cur.line()));
    Ok(Timing::At(ns))
}

/// A set that ends the step: after it, only the end of the line.
pub(super) fn last_set(
    cur: &mut Cursor<'_>,
    scope: &mut Scope,
    arity: Arity,
) -> Result<NodeSet, ParseError> {
    let set = node_set(cur, scope, arity)?;
    if cur.at_end() || set.bind.is_some() {
        return Ok(set);
    }
    let several = arity == Arity::Many && cur.peek().is_some_and(|t| is_digits(t.text));
    Err(cur.error_here(if several {
        format!("{END_AFTER_SET} (several nodes go in braces: `{{1,2}}`)")
    } else {
        END_AFTER_SET.to_string()
    }))
}

/// The `->` between two sets.
fn arrow(cur: &mut Cursor<'_>, example: &str) -> Result<(), ParseError> {
    if cur.eat_punct("->") {
        Ok(())
    } else {
        Err(cur.error_here(format!(
            "`->` and the receiving set (e.g. `{example}`), or `+`/`-` and another set, or `as NAME`"
        )))
    }
}

/// `partition SET | SET [| SET ...]`.
pub(super) fn partition(cur: &mut Cursor<'_>, scope: &mut Scope) -> Result<StepKind, ParseError> {
    // Each group holds a node or is empty: more groups than nodes is a
    // mistake, and a bound on the groups a line can make.
    let groups_max = scope.voters.saturating_add(scope.learners);
    let mut sets = vec![node_set(cur, scope, Arity::Many)?];
    while let Some(bar) = cur.peek().filter(|t| t.is_punct("|")) {
        if sets.len() as u64 >= groups_max {
            return Err(cur.error_at(
                bar,
                format!(
                    "end of line (a partition of {groups_max} nodes has at most \
                     {groups_max} groups)"
                ),
            ));
        }
        cur.next();
        sets.push(node_set(cur, scope, Arity::Many)?);
    }
    if sets.len() < 2 {
        return Err(cur.error_here(
            "`|` and another set (e.g. `partition {1,2} | rest`), `+`/`-` and another set, or `as NAME`",
        ));
    }
    if !cur.at_end() {
        return Err(cur.error_here(format!("`|` and another set, {END_AFTER_SET}")));
    }
    Ok(StepKind::Partition(sets))
}

/// `net [drop=P%] [dup=P%] [delay=MIN..MAX]`.
pub(super) fn net(cur: &mut Cursor<'_>) -> Result<StepKind, ParseError> {
    let (mut drop, mut dup, mut delay_ns, mut tail) = (None, None, None, None);
    let mut seen = Vec::new();
    while let Some(opt) = next_option(cur, "net", NET_OPTIONS, &mut seen)? {
        match opt.key {
            "drop" => drop = Some(percent(cur, &opt)?),
            "dup" => dup = Some(percent(cur, &opt)?),
            "delay" => delay_ns = Some(range(cur, &opt, false)?),
            "tail" => tail = Some(percent(cur, &opt)?),
            _ => return Err(unhandled(cur, &opt)),
        }
    }
    Ok(StepKind::Net {
        drop,
        dup,
        delay_ns,
        tail,
    })
}

/// `disk [nodes] [latency=D] [torn=on/off]`.
pub(super) fn disk(cur: &mut Cursor<'_>, scope: &mut Scope) -> Result<StepKind, ParseError> {
    let nodes = if cur.at_end() || option_ahead(cur) {
        None
    } else {
        Some(node_set(cur, scope, Arity::Many)?)
    };
    let (mut latency_ns, mut latency_max_ns, mut torn) = (None, None, None);
    let mut seen = Vec::new();
    while let Some(opt) = next_option(cur, "disk", DISK_OPTIONS, &mut seen)? {
        match opt.key {
            "latency" if opt.value.contains("..") => {
                let (low, high) = range(cur, &opt, false)?;
                latency_ns = Some(low);
                latency_max_ns = Some(high);
            }
            "latency" => latency_ns = Some(any_duration(cur, &opt)?),
            "torn" => torn = Some(on_off(cur, &opt)?),
            _ => return Err(unhandled(cur, &opt)),
        }
    }
    Ok(StepKind::Disk {
        nodes,
        latency_ns,
        latency_max_ns,
        torn,
    })
}

/// `clients N [rate=R/s] [keys=K] [ops=put,get,append] [reads=PATH]`.
pub(super) fn clients(cur: &mut Cursor<'_>) -> Result<StepKind, ParseError> {
    let count = count(cur, "a number of client sessions", 0..=CLIENTS_MAX)?;
    let (mut rate_per_s, mut keys, mut kinds, mut reads) = (None, None, None, None);
    let mut seen = Vec::new();
    while let Some(opt) = next_option(cur, "clients", CLIENTS_OPTIONS, &mut seen)? {
        match opt.key {
            "rate" => rate_per_s = Some(rate(cur, &opt)?),
            "keys" => {
                let why = " (a key is one byte inside the simulator)";
                keys = Some(whole_opt(cur, &opt, 1..=KEYS_MAX, why)?);
            }
            "ops" => kinds = Some(ops(cur, &opt)?),
            "reads" => reads = Some(read_path(cur, &opt)?),
            _ => return Err(unhandled(cur, &opt)),
        }
    }
    Ok(StepKind::Clients {
        count,
        rate_per_s,
        keys,
        ops: kinds,
        reads,
    })
}

/// A key of `put`, `get` or `append`.
pub(super) fn key(cur: &mut Cursor<'_>) -> Result<String, ParseError> {
    Ok(cur
        .word("a key (a word such as `x` or `user-1`)")?
        .text
        .to_string())
}

/// A value of `put` or `append`.
pub(super) fn value(cur: &mut Cursor<'_>) -> Result<String, ParseError> {
    Ok(cur
        .word("a value (a word such as `1` or `blue`)")?
        .text
        .to_string())
}

/// `[via NODE]` after a client operation: the node its session asks
/// first.
pub(super) fn via(cur: &mut Cursor<'_>, state: &mut State) -> Result<Option<NodeSet>, ParseError> {
    if cur.eat_word("via") {
        Ok(Some(last_set(cur, &mut state.scope, Arity::One)?))
    } else {
        Ok(None)
    }
}

/// `client N`: a client session by its number.
pub(super) fn client(cur: &mut Cursor<'_>) -> Result<u64, ParseError> {
    if !cur.eat_word("client") {
        return Err(cur.error_here("`client` (as in `wake client 1`)"));
    }
    count(cur, "a client session's number", 1..=CLIENT_NUMBER_MAX)
}

/// One end of a pick: `client N`, or a set of nodes.
fn party(cur: &mut Cursor<'_>, scope: &mut Scope) -> Result<Party, ParseError> {
    if cur.peek().is_some_and(|t| t.text == "client") {
        return Ok(Party::Client(client(cur)?));
    }
    Ok(Party::Nodes(node_set(cur, scope, Arity::Many)?))
}

/// `A -> B [TYPE] [all | nth=K]` of `deliver`, `drop` and `duplicate`;
/// either end may be `client N` (its requests, its answers).
pub(super) fn pick(
    cur: &mut Cursor<'_>,
    scope: &mut Scope,
    verb: &str,
) -> Result<MessagePick, ParseError> {
    let from = party(cur, scope)?;
    arrow(cur, &format!("{verb} 1 -> 2"))?;
    let to = party(cur, scope)?;
    let mut kind = None;
    if let Some(token) = cur
        .peek()
        .filter(|t| t.kind == Kind::Word && t.text != "all" && !option_ahead(cur))
    {
        if !MESSAGE_TYPES.contains(&token.text) && !CLIENT_MESSAGE_TYPES.contains(&token.text) {
            return Err(cur.error_at(
                token,
                format!(
                    "a message type (one of: {}, {}), `all` or `nth=K`",
                    MESSAGE_TYPES.join(", "),
                    CLIENT_MESSAGE_TYPES.join(", ")
                ),
            ));
        }
        cur.next();
        kind = Some(token.text.to_string());
    }
    let which = if cur.eat_word("all") {
        Which::All
    } else if option_ahead(cur) {
        let mut seen = Vec::new();
        match next_option(cur, verb, PICK_OPTIONS, &mut seen)? {
            Some(opt) if opt.key == "nth" => {
                let why = format!(" (a link holds at most {NTH_MAX} messages in flight)");
                Which::Nth(whole_opt(cur, &opt, 1..=NTH_MAX, &why)?)
            }
            Some(opt) => return Err(unhandled(cur, &opt)),
            None => Which::Oldest,
        }
    } else {
        Which::Oldest
    };
    let bound = matches!(&to, Party::Nodes(set) if set.bind.is_some());
    if kind.is_none() && which == Which::Oldest && !bound {
        cur.end(&format!("a message type, `all`, `nth=K`, {END_AFTER_SET}"))?;
    }
    Ok(MessagePick {
        from,
        to,
        kind,
        which,
    })
}

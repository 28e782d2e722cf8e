//! Parser tests that need the crate's insides: the message types against
//! raft-core, the keyword list, and fuzzing (no input may panic). The test
//! per verb and per error message is `sim/tests/scenario_parse/`.

use proptest::prelude::*;
use raft_core::{EntryId, LogIndex, MessageBody};

use super::limits::SHOWN_CHARS_MAX;
use super::parse::{CLIENT_MESSAGE_TYPES, MESSAGE_TYPES, is_keyword, parse};
use super::sets::SET_KEYWORDS;
use super::verbs::{VERBS, words};

#[test]
fn message_types_are_raft_cores_kind_names() {
    let bodies = [
        MessageBody::PreVoteRequest {
            last_log: EntryId::default(),
        },
        MessageBody::PreVoteResponse { granted: true },
        MessageBody::VoteRequest {
            last_log: EntryId::default(),
            leader_transfer: false,
        },
        MessageBody::VoteResponse { granted: true },
        MessageBody::AppendEntries {
            prev: EntryId::default(),
            entries: Vec::new(),
            commit: LogIndex(0),
        },
        MessageBody::AppendResponse {
            index: LogIndex(0),
            reject: None,
        },
        MessageBody::Heartbeat {
            commit: EntryId::default(),
            read_round: 0,
        },
        MessageBody::HeartbeatResponse { read_round: 0 },
        MessageBody::StaleTerm,
        MessageBody::InstallSnapshot {
            meta: raft_core::SnapshotMeta::default(),
            offset: 0,
            data: Vec::new(),
            done: true,
        },
        MessageBody::SnapshotResponse {
            last: EntryId::default(),
            received: 0,
        },
        MessageBody::TimeoutNow,
        MessageBody::ReadIndex { context: 0 },
        MessageBody::ReadIndexResponse {
            context: 0,
            index: None,
        },
    ];
    // A new variant breaks this match: add it to `bodies` and MESSAGE_TYPES.
    for body in &bodies {
        match body {
            MessageBody::PreVoteRequest { .. }
            | MessageBody::PreVoteResponse { .. }
            | MessageBody::VoteRequest { .. }
            | MessageBody::VoteResponse { .. }
            | MessageBody::AppendEntries { .. }
            | MessageBody::AppendResponse { .. }
            | MessageBody::Heartbeat { .. }
            | MessageBody::HeartbeatResponse { .. }
            | MessageBody::StaleTerm
            | MessageBody::InstallSnapshot { .. }
            | MessageBody::SnapshotResponse { .. }
            | MessageBody::TimeoutNow
            | MessageBody::ReadIndex { .. }
            | MessageBody::ReadIndexResponse { .. } => {}
        }
    }
    let names: Vec<&str> = bodies.iter().map(MessageBody::kind_name).collect();
    assert_eq!(names, MESSAGE_TYPES);
}

#[test]
fn set_keywords_and_joining_words_are_keywords_and_other_words_are_not() {
    for word in SET_KEYWORDS
        .iter()
        .chain(&["as", "at", "on", "in", "within", "learner", "via", "client"])
    {
        assert!(is_keyword(word), "{word}");
    }
    for word in words()
        .collect::<Vec<_>>()
        .iter()
        .chain(MESSAGE_TYPES)
        .chain(&["old", "x", "n1", "_", "no"])
    {
        assert!(!is_keyword(word), "{word}");
    }
}

/// Tokens of the language, some of them wrong, to build lines from: the
/// parser's own verbs, set keywords and message types (so the list cannot
/// drift from them), plus the words, numbers and punctuation below.
fn tokens() -> Vec<&'static str> {
    words()
        .chain(SET_KEYWORDS.iter().copied())
        .chain(MESSAGE_TYPES.iter().copied())
        .chain(CLIENT_MESSAGE_TYPES.iter().copied())
        .chain(OTHER_TOKENS.iter().copied())
        .collect()
}

/// The tokens that are not verbs, set keywords or message types.
const OTHER_TOKENS: &[&str] = &[
    "explode",
    "at",
    "as",
    "on",
    "in",
    "no",
    "within",
    "learner",
    "via",
    "client",
    "old",
    "x",
    "committed",
    "applied",
    "converged",
    "term",
    "linearizable",
    "members",
    "0",
    "1",
    "2",
    "3",
    "4",
    "9",
    "18446744073709551616",
    "1.5",
    "0.8",
    "2s",
    "+500ms",
    "150ms..300ms",
    "1x",
    "5%",
    "150%",
    "50/s",
    "{",
    "}",
    "{1,2}",
    "{1,old}",
    ",",
    "|",
    "+",
    "-",
    "->",
    "=",
    ">=",
    "<=",
    "==",
    "!=",
    ">",
    "!",
    "pre_vote=on",
    "election=300ms..1ms",
    "learners=2",
    "drop=5%",
    "delay=1ms..",
    "ops=put,get,put",
    "rate=0/s",
    "latency=5ms",
    "torn=on",
    "#",
    "\t",
    "\u{e9}",
    "@",
    "",
    "inflight=2",
    "max_append=0",
    "tail=2%",
    "latency=1ms..5ms",
    "\u{feff}",
    "64",
    "65",
    "100001",
    "nth=4097",
    "keys=256",
    "86401s",
    "99999999999999999999m",
];

fn lines_of_tokens() -> impl Strategy<Value = String> {
    let first = prop_oneof![
        prop::sample::select(words().collect::<Vec<_>>()).prop_map(str::to_string),
        prop::sample::select(words().collect::<Vec<_>>()).prop_map(|verb| format!("at 1s {verb}")),
        prop::sample::select(tokens()).prop_map(str::to_string),
    ];
    let line = (
        first,
        prop::collection::vec(prop::sample::select(tokens()), 0..8),
    );
    (any::<bool>(), prop::collection::vec(line, 0..8)).prop_map(|(glue, lines)| {
        let sep = if glue { "" } else { " " };
        lines
            .iter()
            .map(|(first, rest)| format!("{first} {}", rest.join(sep)))
            .collect::<Vec<_>>()
            .join("\n")
    })
}

/// Valid lines, to cut and mutate.
const EXAMPLES: &[&str] = &[
    "cluster 3 pre_vote=on check_quorum=off election=150ms..300ms heartbeat=50ms tick=10ms learners=2 snapshot_every=100 seed=7",
    "net drop=5% dup=0.5% delay=1ms..20ms",
    "disk {1,old} latency=5ms torn=on",
    "clients 2 rate=50/s keys=10 ops=put,get,append",
    "at 2s partition leader as new | rest - old | {1,2}",
    "at +500ms cut minority -> all - minority",
    "skew 2 1.5",
    "propose 3 on old",
    "put k1 v-1",
    "add 4 learner",
    "transfer-leader 3",
    "expect leader in all - old within 3s",
    "expect committed >= 20 on {1,old} within 5s",
    "expect members == {1,2,3}",
    "expect leader != old",
    "tick 2 5",
    "deliver 1 -> 2 append-resp all",
];
/// Parses `text` and checks what every result must satisfy.
fn check(text: &str) {
    match parse("fuzz.scn", text) {
        Ok(scenario) => {
            assert!(matches!(
                scenario.steps.first().map(|s| &s.kind),
                Some(super::ast::StepKind::Cluster { .. })
            ));
            for step in &scenario.steps {
                assert!(!step.text.is_empty() && !step.text.contains('#'));
            }
        }
        Err(error) => {
            // Columns on line 1 count from after a byte-order mark.
            let text = text.strip_prefix('\u{feff}').unwrap_or(text);
            let lines: Vec<&str> = text.lines().collect();
            assert!(error.span.line >= 1 && error.span.col >= 1, "{error}");
            assert!(error.span.line <= lines.len() + 1, "{error}");
            if let Some(line) = lines.get(error.span.line - 1) {
                assert!(error.span.col <= line.chars().count() + 1, "{error}");
                if !error.token.is_empty() {
                    let at: String = line.chars().skip(error.span.col - 1).collect();
                    // A long token is shown cut short, after its first
                    // characters; invisible characters are shown escaped.
                    let head: String = at.chars().take(SHOWN_CHARS_MAX).collect();
                    let head = super::ast::shown(&head);
                    assert!(
                        head.starts_with(&error.token)
                            || error.token.starts_with(&format!("{head}\u{2026} (")),
                        "{error} in {line:?}"
                    );
                }
            }
            // At most 40 characters, each escaped in at most 10.
            assert!(
                error.token.chars().count() < 11 * SHOWN_CHARS_MAX,
                "{error}"
            );
            assert!(!error.expected.is_empty());
            let _ = error.to_string();
        }
    }
}

#[test]
fn every_prefix_and_every_deletion_of_valid_lines_is_handled() {
    let setup = "cluster 3 learners=1\nisolate 1 as old\n";
    for line in EXAMPLES {
        check(&format!("{setup}{line}"));
        let chars: Vec<char> = line.chars().collect();
        for i in 0..chars.len() {
            let prefix: String = chars[..i].iter().collect();
            check(&format!("{setup}{prefix}"));
            check(&prefix);
            let deleted: String = chars[..i].iter().chain(&chars[i + 1..]).collect();
            check(&format!("{setup}{deleted}"));
            for insert in [" ", "-", "{", ",", "0", "x", "#", "="] {
                let inserted = format!(
                    "{}{insert}{}",
                    &prefix,
                    chars[i..].iter().collect::<String>()
                );
                check(&format!("{setup}{inserted}"));
            }
        }
    }
    assert!(parse("f", &format!("{setup}{}", EXAMPLES[1..].join("\n"))).is_ok());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_text_never_panics(text in "(?s).{0,200}") {
        check(&text);
        check(&format!("cluster 3\n{text}"));
    }

    #[test]
    fn lines_of_the_languages_tokens_never_panic(body in lines_of_tokens()) {
        check(&body);
        check(&format!("cluster 3 learners=1\nisolate 1 as old\n{body}"));
    }
}

/// The verb table holds together: every row's example parses (after a
/// `cluster` line) to a step of that very verb and the words are unique (the
/// library's tests check that scenarios/README.md shows every one).
#[test]
fn every_verb_row_parses_its_example_to_itself() {
    for (i, verb) in VERBS.iter().enumerate() {
        assert!(
            VERBS[..i].iter().all(|other| other.word != verb.word),
            "`{}` twice in VERBS",
            verb.word
        );
        assert!(
            verb.example.split_whitespace().next() == Some(verb.word),
            "the example of `{}` starts with another word: {}",
            verb.word,
            verb.example
        );
        let text = if verb.word == "cluster" {
            verb.example.to_string()
        } else {
            format!("cluster 3\n{}\n", verb.example)
        };
        let scenario = parse("example.scn", &text)
            .unwrap_or_else(|e| panic!("the example of `{}` does not parse: {e}", verb.word));
        let last = scenario.steps.last().expect("a step");
        assert_eq!(last.kind.verb().word, verb.word, "{text}");
    }
}

/// Every verb runs on raft-core; on an implementation that lacks a
/// verb's feature, the scenario is skipped naming that feature and the
/// step, and one with every feature skips nothing.
#[test]
fn a_scenario_is_skipped_exactly_where_the_implementation_lacks_a_verb_feature() {
    use crate::sut::{Capabilities, Sut};
    let nothing = Sut {
        name: "bare",
        capabilities: Capabilities::NONE,
        ..Sut::RAFT_CORE
    };
    for verb in VERBS.iter().filter(|v| v.word != "cluster") {
        let text = format!("cluster 3\nmanual\n{}\n", verb.example);
        let scenario = parse("example.scn", &text).expect("parses (tested above)");
        assert_eq!(
            crate::scenario::needs::unsupported_step(&scenario, &Sut::RAFT_CORE),
            None
        );
        let outcome = crate::scenario::run_scenario(&scenario, None);
        if let Err(e) = &outcome {
            assert!(
                !e.to_string().contains("cannot run here"),
                "{}: {e}",
                verb.word
            );
        }
        let skip = crate::scenario::needs::unsupported_step(&scenario, &nothing);
        match verb.needs {
            Some(feature) => {
                let skip = skip.unwrap_or_else(|| panic!("`{}` was not skipped", verb.word));
                assert!(
                    skip.why.contains(feature.describe()),
                    "{}: {skip}",
                    verb.word
                );
                assert_eq!(skip.location, "example.scn:3:1", "{}", verb.word);
            }
            // A `clients` line asks for ReadIndex by default.
            None if verb.word == "clients" => assert!(skip.is_some()),
            None => assert_eq!(skip, None, "`{}` was skipped", verb.word),
        }
    }
}

/// `# runs on:` skips the scenario on other implementations, and
/// `# expect failure on NAME:` applies on NAME only.
#[test]
fn directives_name_the_implementations_they_hold_for() {
    use crate::checker::Invariant;
    let text = "# runs on: raft-core, mine\n# expect failure on mine: linearizability\ncluster 3\nrun 1s\n";
    let scenario = parse("d.scn", text).expect("parses");
    assert_eq!(
        scenario.expected_failure_for("mine"),
        Some(Invariant::Linearizability)
    );
    assert_eq!(scenario.expected_failure_for("raft-core"), None);
    let other = crate::sut::Sut {
        name: "other",
        ..crate::sut::Sut::RAFT_CORE
    };
    let skip = crate::scenario::needs::unsupported_step(&scenario, &other).expect("skipped");
    assert!(skip.why.contains("raft-core, mine"), "{skip}");
    assert_eq!(
        crate::scenario::needs::unsupported_step(&scenario, &crate::sut::Sut::RAFT_CORE),
        None
    );
    let bad = parse("d.scn", "# expect failure on mine: nonsense\ncluster 3\n").unwrap_err();
    assert!(bad.to_string().contains("nonsense"), "{bad}");
}

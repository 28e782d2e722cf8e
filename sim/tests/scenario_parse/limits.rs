//! Hostile input: set expressions long enough to overflow a recursive
//! parser or evaluator, every limit of `sim::scenario::limits` at its edge
//! (the largest value accepted, the next refused at its column), numbers
//! beyond 64 bits, byte-order marks, bytes that are not UTF-8, and tokens
//! too long to echo whole (scenarios/README.md, "Limits").

use super::helpers::*;
use sim::scenario::limits::{
    APPEND_BYTES_MAX, CLIENTS_MAX, DURATION_NS_MAX, INFLIGHT_MAX, KEYS_MAX, LINE_BYTES_MAX,
    LINES_MAX, NODES_MAX, NTH_MAX, PROPOSE_ENTRIES_MAX, SHOWN_CHARS_MAX, TICKS_MAX,
};
use sim::scenario::{parse_bytes, run_scenario};

/// A stack far smaller than a test thread's 2 MiB: a walk that recursed once
/// per term of a 30,000-term expression would need several MiB (the
/// left-deep tree this replaced overflowed 2 MiB in evaluation, and 256 KiB
/// in parsing and dropping).
const SMALL_STACK_BYTES: usize = 256 * 1024;

/// Runs `f` on a thread with [`SMALL_STACK_BYTES`] of stack.
fn on_small_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(SMALL_STACK_BYTES)
        .spawn(f)
        .expect("spawn a thread")
        .join()
        .expect("no panic and no stack overflow");
}

/// `crash 1+1+...` with `terms` terms; glued, so that 30,000 terms fit in a
/// line of at most LINE_BYTES_MAX bytes.
fn long_union(terms: usize) -> String {
    format!("cluster 3\ncrash 1{}\n", "+1".repeat(terms - 1))
}

#[test]
fn a_set_expression_of_30000_terms_parses_clones_compares_and_drops_on_a_small_stack() {
    on_small_stack(|| {
        let text = long_union(30_000);
        assert!(text.lines().all(|line| line.len() <= LINE_BYTES_MAX));
        let scenario = parse(FILE, &text).unwrap_or_else(|e| panic!("{e}"));
        let StepKind::Crash(set, None) = &scenario.steps[1].kind else {
            panic!("{:?}", scenario.steps[1].kind)
        };
        assert_eq!(set.expr.first, ids(&[1]));
        assert_eq!(set.expr.rest.len(), 29_999);
        assert!(
            set.expr
                .rest
                .iter()
                .all(|(op, term)| *op == SetOp::Union && *term == ids(&[1]))
        );
        let copy = scenario.clone();
        assert_eq!(copy, scenario);
        drop(copy);
    });
}

#[test]
fn a_set_expression_of_30000_terms_runs_on_a_small_stack() {
    on_small_stack(|| {
        let scenario = parse(FILE, &long_union(30_000)).unwrap_or_else(|e| panic!("{e}"));
        let outcome = run_scenario(&scenario, None).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            outcome.failure.is_none(),
            "crashing one of three nodes breaks nothing"
        );
    });
}

/// Runs `cluster 3`, waits for a leader, then `expect members == SET`
/// (the leader's voters are exactly {1,2,3}); whether it holds.
fn members_are(set: &str) -> bool {
    let text = format!("cluster 3\nexpect leader within 2s\nexpect members == {set}\n");
    let scenario = parse(FILE, &text).unwrap_or_else(|e| panic!("{e}"));
    let outcome = run_scenario(&scenario, None).unwrap_or_else(|e| panic!("{e}"));
    outcome.failure.is_none()
}

#[test]
fn set_expressions_run_left_to_right() {
    // Each is {1,2,3} read left to right, and another set read otherwise
    // (`1 - (1 + 2 + 3)` is empty; `all - (3 + 3)` is {1,2}).
    assert!(members_are("1 - 1 + 1 + 2 + 3"));
    assert!(members_are("all - 3 + 3"));
    assert!(members_are("{2} - 2 - 2 + 1 + 2 + 3 - 1 + 1"));
    assert!(!members_are("all - 3 + 3 - 2"), "{{1,3}} is not {{1,2,3}}");
    // 14,000 terms: `all`, then `- 1 + 1` over and over; one more `- 1`.
    let long = format!("all{}", " - 1 + 1".repeat(6_999));
    let one_more = format!("{long} - 1");
    on_small_stack(move || {
        assert!(members_are(&long));
        assert!(!members_are(&one_more));
    });
}

/// `text` parses.
fn accepts(text: &str) -> Scenario {
    parse(FILE, text).unwrap_or_else(|e| panic!("{text:?}: {e}"))
}

/// `text` fails at `at` on `token`, and what was expected contains `limit`.
fn refuses(text: &str, at: &str, token: &str, limit: &str) {
    let expected = fails(text, at, token);
    assert!(expected.contains(limit), "{text:?}: {expected}");
}

#[test]
fn cluster_size_and_learners() {
    assert_eq!(NODES_MAX, 64);
    accepts("cluster 64");
    refuses("cluster 65", "1:9", "65", "from 1 to 64");
    accepts("cluster 60 learners=4");
    refuses("cluster 60 learners=5", "1:21", "5", "from 0 to 4");
    refuses("cluster 64 learners=1", "1:21", "1", "from 0 to 0");
    accepts("cluster 1 learners=63");
}

#[test]
fn clients_and_keys() {
    assert_eq!((CLIENTS_MAX, KEYS_MAX), (64, 255));
    accepts("cluster 3\nclients 64 keys=255");
    refuses("cluster 3\nclients 65", "2:9", "65", "from 0 to 64");
    refuses(
        "cluster 3\nclients 1 keys=256",
        "2:16",
        "256",
        "from 1 to 255",
    );
    refuses("cluster 3\nclients 1 keys=0", "2:16", "0", "from 1 to 255");
}

#[test]
fn rates() {
    accepts("cluster 3\nclients 1 rate=1000000/s");
    accepts("cluster 3\nclients 1 rate=0.5/s");
    refuses(
        "cluster 3\nclients 1 rate=1000000.5/s",
        "2:16",
        "1000000.5/s",
        "at most 1000000",
    );
    refuses(
        "cluster 3\nclients 1 rate=1000001/s",
        "2:16",
        "1000001/s",
        "at most 1000000",
    );
}

#[test]
fn proposals_and_ticks() {
    assert_eq!((PROPOSE_ENTRIES_MAX, TICKS_MAX), (100_000, 100_000));
    accepts("cluster 3\npropose 100000\ntick 1 100000");
    refuses(
        "cluster 3\npropose 100001",
        "2:9",
        "100001",
        "from 1 to 100000",
    );
    refuses(
        "cluster 3\ntick 1 100001",
        "2:8",
        "100001",
        "from 1 to 100000",
    );
    refuses(
        "cluster 3\ntick 1 as a 100001",
        "2:13",
        "100001",
        "from 1 to 100000",
    );
}

#[test]
fn nth() {
    assert_eq!(NTH_MAX, 4096);
    accepts("cluster 3\ndeliver 1 -> 2 nth=4096");
    refuses(
        "cluster 3\ndeliver 1 -> 2 nth=4097",
        "2:20",
        "4097",
        "from 1 to 4096 (a link holds at most 4096 messages in flight)",
    );
    refuses(
        "cluster 3\ndrop 1 -> 2 append nth=4097",
        "2:24",
        "4097",
        "from 1 to 4096",
    );
}

#[test]
fn durations_are_at_most_24_hours_everywhere() {
    assert_eq!(DURATION_NS_MAX, 86_400_000_000_000);
    let day = "24 hours";
    accepts(
        "cluster 3 election=86400s..86400s heartbeat=1440m tick=86400000000000ns\n\
         net delay=1ms..86400s\ndisk latency=86400s\ndisk latency=1ms..86400s\n\
         at 86400s heal\nat +86400s heal\nrun 86400s\nexpect leader within 1440m",
    );
    refuses(
        "cluster 3\nat 86400000000001ns heal",
        "2:4",
        "86400000000001ns",
        day,
    );
    refuses(
        "cluster 3\nat +86400.000001s heal",
        "2:5",
        "86400.000001s",
        day,
    );
    refuses("cluster 3\nrun 1441m", "2:5", "1441m", day);
    refuses(
        "cluster 3\nexpect leader within 86401s",
        "2:22",
        "86401s",
        day,
    );
    refuses("cluster 3 election=1s..86401s", "1:24", "86401s", day);
    refuses("cluster 3 election=86401s..86402s", "1:20", "86401s", day);
    refuses("cluster 3 heartbeat=86401s", "1:21", "86401s", day);
    refuses("cluster 3 tick=86401s", "1:16", "86401s", day);
    refuses("cluster 3\nnet delay=1ms..86401s", "2:16", "86401s", day);
    refuses("cluster 3\ndisk latency=86401s", "2:14", "86401s", day);
    refuses("cluster 3\ndisk latency=1ms..86401s", "2:19", "86401s", day);
}

#[test]
fn skew_factors() {
    let limit = "from 0.01 to 100";
    accepts("cluster 3\nskew 1 0.01\nskew 2 100\nskew 3 100.0");
    refuses("cluster 3\nskew 1 0.009", "2:8", "0.009", limit);
    refuses("cluster 3\nskew 1 100.001", "2:8", "100.001", limit);
    refuses("cluster 3\nskew 1 0", "2:8", "0", limit);
}

#[test]
fn inflight_and_max_append() {
    assert_eq!((INFLIGHT_MAX, APPEND_BYTES_MAX), (65_536, 1_073_741_824));
    accepts("cluster 3 inflight=65536 max_append=1073741824");
    accepts("cluster 3 inflight=1 max_append=0");
    refuses(
        "cluster 3 inflight=65537",
        "1:20",
        "65537",
        "from 1 to 65536",
    );
    refuses(
        "cluster 3 max_append=1073741825",
        "1:22",
        "1073741825",
        "from 0 to 1073741824",
    );
}

#[test]
fn a_partition_has_at_most_one_group_per_node() {
    accepts("cluster 3\npartition 1 | 2 | 3");
    refuses(
        "cluster 3\npartition 1 | 2 | 3 | rest",
        "2:21",
        "|",
        "at most 3 groups",
    );
    refuses(
        "cluster 3\npartition {1,2} | 3 | rest | rest",
        "2:28",
        "|",
        "at most 3 groups",
    );
    accepts("cluster 2 learners=1\npartition 1 | 2 | 3");
    refuses(
        "cluster 2 learners=1\npartition 1 | 2 | 3 | {}",
        "2:21",
        "|",
        "at most 3 groups",
    );
    refuses(
        "cluster 1\npartition 1 | rest",
        "2:13",
        "|",
        "at most 1 groups",
    );
}

#[test]
fn numbers_beyond_64_bits_name_the_limit() {
    let u64_max = "18446744073709551615";
    let beyond = "18446744073709551616";
    refuses(&format!("cluster {beyond}"), "1:9", beyond, "from 1 to 64");
    refuses(
        &format!("cluster 3\npropose {u64_max}"),
        "2:9",
        u64_max,
        "from 1 to 100000",
    );
    refuses(
        &format!("cluster 3\npropose {beyond}"),
        "2:9",
        beyond,
        "from 1 to 100000",
    );
    refuses(
        "cluster 3\nclients 4294967296",
        "2:9",
        "4294967296",
        "from 0 to 64",
    );
    refuses(
        &format!("cluster 3\ntick 1 {beyond}"),
        "2:8",
        beyond,
        "from 1 to 100000",
    );
    refuses(
        &format!("cluster 3\nat {u64_max}ns heal"),
        "2:4",
        &format!("{u64_max}ns"),
        "24 hours",
    );
    refuses(
        "cluster 3\nrun 9999999999999m",
        "2:5",
        "9999999999999m",
        "24 hours",
    );
    let many_nines = format!("{}s", "9".repeat(1000));
    refuses(
        &format!("cluster 3\nrun {many_nines}"),
        "2:5",
        &format!("{}\u{2026} (1001 characters)", "9".repeat(SHOWN_CHARS_MAX)),
        "24 hours",
    );
    refuses(
        &format!("cluster 3 learners={beyond}"),
        "1:20",
        beyond,
        "from 0 to 61",
    );
    accepts(&format!(
        "cluster 3 seed={u64_max}\nexpect committed >= {u64_max} within 1s"
    ));
    refuses(
        &format!("cluster 3 seed={beyond}"),
        "1:16",
        beyond,
        &format!("from 0 to {u64_max}"),
    );
    refuses(
        &format!("cluster 3\nexpect term == {beyond}"),
        "2:16",
        beyond,
        &format!("from 0 to {u64_max}"),
    );
}

#[test]
fn a_line_has_at_most_64_kib() {
    assert_eq!(LINE_BYTES_MAX, 65_536);
    let comment = |bytes: usize| format!("#{}", "x".repeat(bytes - 1));
    accepts(&format!("cluster 3\n{}\nheal", comment(LINE_BYTES_MAX)));
    refuses(
        &format!("cluster 3\n{}\nheal", comment(LINE_BYTES_MAX + 1)),
        "2:65537",
        "x",
        "at most 65536 bytes",
    );
    // A line of code, not a comment: the rest of the line is the token.
    let long = format!("cluster 3\ncrash 1{}", "+1".repeat(40_000));
    let shown = format!("{}\u{2026} (14471 characters)", "1+".repeat(20));
    refuses(&long, "2:65537", &shown, "this one has 80007");
    // A character that straddles the limit is where the line crosses it:
    // `#` and 32,768 two-byte `é`s are 65,537 bytes; the last `é` starts at
    // byte 65,535 and is character 32,769.
    let straddling = format!("cluster 3\n#{}", "\u{e9}".repeat(32_768));
    refuses(&straddling, "2:32769", "\u{e9}", "at most 65536 bytes");
}

#[test]
fn a_file_has_at_most_a_million_lines() {
    assert_eq!(LINES_MAX, 1_000_000);
    // `cluster 3`, then blank lines up to line LINES_MAX.
    let most = format!("cluster 3\n{}", "\n".repeat(LINES_MAX - 1));
    assert_eq!(most.lines().count(), LINES_MAX);
    accepts(&most);
    refuses(
        &format!("{most}heal"),
        "1000001:1",
        "heal",
        "at most 1000000 lines",
    );
    refuses(
        &format!("{most}\n"),
        "1000001:1",
        "",
        "at most 1000000 lines",
    );
}

#[test]
fn a_byte_order_mark_at_the_start_is_skipped() {
    let plain = accepts("cluster 3\ncrash 1");
    assert_eq!(accepts("\u{feff}cluster 3\ncrash 1"), plain);
    assert_eq!(accepts("\u{feff}cluster 3\r\ncrash 1\r\n"), plain);
    let bytes = b"\xef\xbb\xbfcluster 3\ncrash 1";
    assert_eq!(parse_bytes(FILE, bytes), Ok(plain));
    // Columns on line 1 count from after it.
    fails("\u{feff}cluster 3 @", "1:11", "@");
    fails("\u{feff}cluster 0", "1:9", "0");
    // Only at the very start of the file; elsewhere it is shown escaped.
    fails("cluster 3\n\u{feff}crash 1", "2:1", "\\u{feff}");
    fails("\u{feff}\u{feff}cluster 3", "1:1", "\\u{feff}");
}

/// `bytes` fail to parse at `at` on `token`, as text that is not UTF-8.
fn not_utf8(bytes: &[u8], at: &str, token: &str) {
    let error = parse_bytes(FILE, bytes).expect_err("not UTF-8");
    assert_eq!(
        (
            format!("{}:{}:{}", error.file, error.span.line, error.span.col),
            error.token.as_str(),
            error.expected.as_str()
        ),
        (format!("{FILE}:{at}"), token, "UTF-8 text")
    );
    assert_eq!(
        error.to_string(),
        format!("{FILE}:{at}: found `{token}`, expected UTF-8 text")
    );
}

#[test]
fn bytes_that_are_not_utf8_are_an_error_at_their_line_and_column() {
    not_utf8(b"cluster 3\ncrash \xff1\n", "2:7", "\\xff");
    // Columns count characters: `put k é` is 7.
    not_utf8(b"cluster 3\nput k \xc3\xa9\xfe", "2:8", "\\xfe");
    // A character cut off at the end of the file.
    not_utf8(b"cluster 3\n\xe2\x82", "2:1", "\\xe2\\x82");
    // A surrogate, encoded: invalid from its first byte.
    not_utf8(b"\xed\xa0\x80", "1:1", "\\xed");
    // After a byte-order mark, on line 1.
    not_utf8(b"\xef\xbb\xbfcl\xc0\xafuster 3", "1:3", "\\xc0");
    // Valid bytes parse as text does.
    assert_eq!(
        parse_bytes(FILE, "cluster 3\ncrash 1".as_bytes()),
        parse(FILE, "cluster 3\ncrash 1")
    );
    assert_eq!(
        parse_bytes(FILE, b"cluster 3\ncrash @"),
        parse(FILE, "cluster 3\ncrash @")
    );
}

/// The head of `text` as an error shows it when too long.
fn cut(text: &str) -> String {
    let head: String = text.chars().take(SHOWN_CHARS_MAX).collect();
    format!("{head}\u{2026} ({} characters)", text.chars().count())
}

#[test]
fn long_tokens_are_shown_cut_short() {
    let forty = "a".repeat(SHOWN_CHARS_MAX);
    fails(&format!("cluster 3\nput {forty}"), "2:45", "");
    fails(&format!("cluster 3\ncrash {forty}"), "2:7", &forty);
    let long = "a".repeat(SHOWN_CHARS_MAX + 1);
    let expected = fails(&format!("cluster 3\ncrash {long}"), "2:7", &cut(&long));
    // The name is quoted twice in what was expected, cut short both times.
    assert_eq!(expected.matches(&cut(&long)).count(), 2, "{expected}");
    assert!(!expected.contains(&long), "{expected}");
}

#[test]
fn a_10_mb_token_makes_an_error_of_under_1_kb() {
    let huge = "k".repeat(10_000_000);
    let error = parse(FILE, &format!("cluster 3\nput {huge} v")).expect_err("too long");
    assert_eq!((error.span.line, error.span.col), (2, LINE_BYTES_MAX + 1));
    assert!(error.to_string().len() < 1024, "{error}");
    assert!(format!("{error:?}").len() < 1024);
    // Every kind of error that echoes user text, with a token as long as a
    // line may hold.
    let word = "k".repeat(LINE_BYTES_MAX - 100);
    let digits = "9".repeat(LINE_BYTES_MAX - 100);
    let zeros = "0".repeat(LINE_BYTES_MAX - 100);
    let half = "k".repeat(LINE_BYTES_MAX / 2 - 100);
    let half_digits = "9".repeat(LINE_BYTES_MAX / 2 - 100);
    for text in [
        format!("cluster 3\ncrash {word}"),
        format!("cluster 3\nisolate 1 as {half}\ncrash {half} + {half}x"),
        format!("cluster 3\ncrash {digits}"),
        format!("cluster 3\ncrash {{1,{digits}}}"),
        format!("cluster 3\nrun {digits}"),
        format!("cluster 3\nrun {digits}{word}"),
        format!("cluster 3\nrun 1{word}"),
        format!("cluster 3\nrun {half_digits}..{half_digits}s"),
        format!("cluster 3\nat {zeros}1s heal\nat 1ns heal"),
        format!("cluster 3 election=1ms..{digits}"),
        format!("cluster 3 pre_vote={word}"),
        format!("cluster 3 {word}=1"),
        format!("cluster 3\nclients 1 ops=put,{word}"),
        format!("cluster 3\nclients 1 rate={digits}/s"),
        format!("cluster 3\ndeliver 1 -> 2 {word}"),
        format!("cluster 3\nexpect {word}"),
        format!("cluster {digits}"),
        word.clone(),
    ] {
        let error = parse(FILE, &text).expect_err("an error");
        assert!(error.to_string().len() < 1024, "{error}");
        assert!(error.token.chars().count() < 2 * SHOWN_CHARS_MAX, "{error}");
    }
}

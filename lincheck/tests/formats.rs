//! History files: what each syntax reads, the errors it gives (with their
//! line numbers), and that writing then reading gives the history back.

use lincheck::formats::{ReadError, read_edn, read_jsonl, write_edn, write_jsonl};
use lincheck::models::kv::{KeyValue, KvInput, KvOutput};
use lincheck::models::register::{Register, RegisterInput, RegisterOutput};
use lincheck::{Operation, Outcome};
use proptest::prelude::*;

type KvHistory = Vec<Operation<KvInput, KvOutput>>;
type RegisterHistory = Vec<Operation<RegisterInput, RegisterOutput>>;

fn kv_jsonl(text: &str) -> Result<KvHistory, ReadError> {
    read_jsonl(&KeyValue::default(), text.as_bytes())
}

fn register_jsonl(text: &str) -> Result<RegisterHistory, ReadError> {
    read_jsonl(&Register, text.as_bytes())
}

fn kv_edn(text: &str) -> Result<KvHistory, ReadError> {
    read_edn(&KeyValue::default(), text.as_bytes())
}

fn register_edn(text: &str) -> Result<RegisterHistory, ReadError> {
    read_edn(&Register, text.as_bytes())
}

/// The error's message as a caller prints it, `FILE:` in front.
#[track_caller]
fn message<T: std::fmt::Debug>(read: Result<T, ReadError>) -> String {
    format!("h:{}", read.expect_err("an error"))
}

// ---- JSON lines ------------------------------------------------------------

#[test]
fn jsonl_reads_the_simulators_kv_events() {
    let text = r#"
{"type":"invoke","process":3,"f":"put","key":1,"value":7,"time":1200}
{"type":"invoke","process":4,"f":"append","key":1,"value":9,"time":1250}
{"type":"ok","process":3,"f":"put","key":1,"value":7,"time":1300}
{"type":"ok","process":4,"f":"append","key":1,"value":9,"time":1400,"session":12}
{"type":"invoke","process":3,"f":"get","key":1,"value":null,"time":1450}
{"type":"ok","process":3,"f":"get","key":1,"value":[7,9],"time":1500}
{"type":"invoke","process":5,"f":"get","key":2,"time":1600}
{"type":"info","process":5,"f":"get","time":1700}
{"type":"invoke","process":6,"f":"append","key":2,"value":1,"time":1800}
{"type":"ok","process":6,"f":"append","key":2,"value":[1],"time":1900}
"#;
    let history = kv_jsonl(text).expect("a well-formed history");
    assert_eq!(
        history,
        [
            Operation::ok(
                3,
                KvInput::Put { key: 1, value: 7 },
                1200,
                KvOutput::Written,
                1300
            ),
            Operation::ok(
                4,
                KvInput::Append { key: 1, value: 9 },
                1250,
                KvOutput::Written,
                1400
            ),
            Operation::ok(
                3,
                KvInput::Get { key: 1 },
                1450,
                KvOutput::Read(vec![7, 9]),
                1500
            ),
            Operation::new(5, KvInput::Get { key: 2 }, 1600, Outcome::Unknown),
            Operation::ok(
                6,
                KvInput::Append { key: 2, value: 1 },
                1800,
                KvOutput::Appended(vec![1]),
                1900
            ),
        ]
    );
}

#[test]
fn jsonl_reads_a_register_and_ends_open_invocations_unknown() {
    let text = r#"{"type":"invoke","process":0,"f":"write","value":-3,"time":0}
{"type":"invoke","process":1,"f":"cas","value":[-3,4],"time":1}
{"type":"ok","process":0,"f":"write","value":-3,"time":2}
{"type":"fail","process":1,"f":"cas","value":[-3,4],"time":3}
{"type":"invoke","process":1,"f":"read","value":null,"time":4}
{"type":"ok","process":1,"f":"read","value":-3,"time":5}
{"type":"invoke","process":2,"f":"read","value":null,"time":6}
{"type":"invoke","process":0,"f":"cas","value":[1,2],"time":7}"#;
    let history = register_jsonl(text).expect("a well-formed history");
    assert_eq!(
        history,
        [
            Operation::ok(0, RegisterInput::Write(-3), 0, RegisterOutput::Ok, 2),
            Operation::new(
                1,
                RegisterInput::Cas {
                    expected: -3,
                    new: 4
                },
                1,
                Outcome::Failed
            ),
            Operation::ok(1, RegisterInput::Read, 4, RegisterOutput::Read(Some(-3)), 5),
            Operation::new(2, RegisterInput::Read, 6, Outcome::Unknown),
            Operation::new(
                0,
                RegisterInput::Cas {
                    expected: 1,
                    new: 2
                },
                7,
                Outcome::Unknown
            ),
        ]
    );
}

#[test]
fn a_malformed_json_line_names_its_line_column_and_what_was_expected() {
    let text = "{\"type\":\"invoke\",\"process\":0,\"f\":\"read\",\"time\":0}\n\n{\"type\":\"ok\",\"process\":0 \"f\":\"read\"}\n";
    let said = message(register_jsonl(text));
    assert_eq!(said, "h:3:26: expected `,` or `}`");
    let said = message(register_jsonl(r#"{"type":"invoke","f":"read","time":0}"#));
    assert!(
        said.starts_with("h:1:") && said.contains("missing field `process`"),
        "{said}"
    );
    let said = message(register_jsonl(
        r#"{"type":"invoke","process":-1,"f":"read","time":0}"#,
    ));
    assert!(said.contains("expected u64"), "{said}");
    let said = message(register_jsonl("[1, 2]"));
    assert_eq!(
        said,
        "h:1:1: expected an event, a JSON object {\"type\": ...}"
    );
}

#[test]
fn a_kv_invocation_needs_an_integer_key() {
    let said = message(kv_jsonl(
        r#"{"type":"invoke","process":0,"f":"get","time":0}"#,
    ));
    assert_eq!(said, "h:1: get invoke has no key (the kv model needs one)");
    let said = message(kv_jsonl(
        r#"{"type":"invoke","process":0,"f":"get","key":"a","time":0}"#,
    ));
    assert!(said.contains("`key` must be an integer"), "{said}");
    // The register has no keys: a `key` is an unknown field, ignored.
    let read = register_jsonl(r#"{"type":"invoke","process":0,"f":"read","key":"a","time":0}"#);
    assert_eq!(read.expect("ignored").len(), 1);
}

// ---- the errors of the event model, in either syntax -----------------------

#[test]
fn unknown_types_and_operations_are_refused_with_what_is_known() {
    let said = message(register_jsonl(
        r#"{"type":"invoked","process":0,"f":"read","time":0}"#,
    ));
    assert_eq!(
        said,
        "h:1: unknown event type `invoked` (expected invoke, ok, fail or info)"
    );
    let said = message(register_edn(
        "{:type :invoke, :f :put, :value 1, :process 0, :time 0}",
    ));
    assert_eq!(
        said,
        "h:1: unknown f `put` (the register model knows read, write, cas)"
    );
}

#[test]
fn a_value_of_the_wrong_shape_says_what_it_should_be() {
    let said = message(register_edn(
        "{:type :invoke, :f :cas, :value [1], :process 0, :time 0}",
    ));
    assert_eq!(
        said,
        "h:1: cas invoke: the value must be [expected new], two 64-bit signed integers, found [1]"
    );
    let text = "{:type :invoke, :f :read, :value nil, :process 0, :time 0}\n\
                {:type :ok, :f :read, :value :oops, :process 0, :time 1}";
    let said = message(register_edn(text));
    assert_eq!(
        said,
        "h:2: read ok: the value must be nil or a 64-bit signed integer, found :oops"
    );
    let said = message(kv_jsonl(
        r#"{"type":"invoke","process":0,"f":"put","key":1,"value":-1,"time":0}"#,
    ));
    assert!(
        said.contains("an integer from 0 to 2^64-1, found -1"),
        "{said}"
    );
}

#[test]
fn a_completion_needs_an_open_invocation_of_the_same_operation() {
    let said = message(register_edn(
        "{:type :ok, :f :read, :value nil, :process 4, :time 0}",
    ));
    assert_eq!(said, "h:1: ok on process 4, which has no open invoke");
    let text = "{:type :invoke, :f :read, :value nil, :process 4, :time 0}\n\
                {:type :info, :f :write, :value 1, :process 4, :time 1}";
    let said = message(register_edn(text));
    assert_eq!(
        said,
        "h:2: process 4 completes write, but its invoke on line 1 is read"
    );
    let text = r#"{"type":"invoke","process":0,"f":"get","key":1,"time":0}
{"type":"ok","process":0,"f":"get","key":2,"value":[],"time":1}"#;
    let said = message(kv_jsonl(text));
    assert_eq!(
        said,
        "h:2: process 0 completes on key 2, but its invoke on line 1 is on key 1"
    );
}

#[test]
fn a_process_has_one_operation_open_at_a_time() {
    let text = "{:type :invoke, :f :read, :value nil, :process 4, :time 0}\n\n\
                {:type :invoke, :f :write, :value 1, :process 4, :time 1}";
    let said = message(register_edn(text));
    assert_eq!(
        said,
        "h:3: process 4 invokes again while its invoke on line 1 is open"
    );
}

#[test]
fn time_may_go_back_between_events_but_an_operation_returns_after_its_call() {
    let text = "{:type :invoke, :f :write, :value 1, :process 0, :time 10}\n\
                {:type :invoke, :f :read, :value nil, :process 1, :time 5}\n\
                {:type :ok, :f :read, :value nil, :process 1, :time 6}\n\
                {:type :ok, :f :write, :value 1, :process 0, :time 9}";
    let said = message(register_edn(text));
    assert_eq!(
        said,
        "h:4: completed at time 9, before its invoke on line 1 (time 10)"
    );
}

// ---- EDN -------------------------------------------------------------------

#[test]
fn edn_reads_jepsen_lines_and_ignores_what_it_does_not_need() {
    let text = "{:type :invoke, :f :read, :value nil, :process 0, :time 0, :index 0}
{:type :info, :f :start, :value nil, :process :nemesis, :time 1}
{:type :invoke, :f :write, :value 4, :process 2, :time 2, :index 2}
{:type :ok, :f :read, :value nil, :process 0, :time 6, :index 6}
{:type :invoke, :f :cas, :value [4 0], :process 0, :time 7}
{:type :fail, :f :cas, :value [4 0], :process 0, :time 8, :error :mismatch} ; a comment
{:type :info, :f :write, :value :timed-out, :process 2, :time 60, :error :timed-out}
";
    let history = register_edn(text).expect("a well-formed history");
    assert_eq!(
        history,
        [
            Operation::ok(0, RegisterInput::Read, 0, RegisterOutput::Read(None), 6),
            Operation::new(2, RegisterInput::Write(4), 2, Outcome::Unknown),
            Operation::new(
                0,
                RegisterInput::Cas {
                    expected: 4,
                    new: 0
                },
                7,
                Outcome::Failed
            ),
        ]
    );
}

#[test]
fn edn_kv_events_carry_the_key_in_the_value_as_jepsen_independent_does() {
    let text = "{:type :invoke, :f :append, :value [3 7], :process 1, :time 0}
{:type :ok, :f :append, :value [3 7], :process 1, :time 1}
{:type :invoke, :f :get, :value [3 nil], :process 1, :time 2}
{:type :ok, :f :get, :value [3 [7]], :process 1, :time 3}
{:type :invoke, :f :get, :value [4 nil], :process 2, :time 4}
{:type :ok, :f :get, :value [4 nil], :process 2, :time 5}
{:type :invoke, :f :put, :value [4 1], :process 2, :time 6}
{:type :fail, :f :put, :value :no-leader, :process 2, :time 7}
";
    let history = kv_edn(text).expect("a well-formed history");
    assert_eq!(
        history,
        [
            Operation::ok(
                1,
                KvInput::Append { key: 3, value: 7 },
                0,
                KvOutput::Written,
                1
            ),
            Operation::ok(1, KvInput::Get { key: 3 }, 2, KvOutput::Read(vec![7]), 3),
            Operation::ok(2, KvInput::Get { key: 4 }, 4, KvOutput::Read(vec![]), 5),
            Operation::new(2, KvInput::Put { key: 4, value: 1 }, 6, Outcome::Failed),
        ]
    );
    let said = message(kv_edn(
        "{:type :invoke, :f :put, :value 7, :process 1, :time 0}",
    ));
    assert!(said.contains("[key value]"), "{said}");
}

#[test]
fn edn_without_times_takes_the_files_order_as_time_order() {
    // Knossos's test histories have no :time; their order is real time.
    let text = "\
{:process 0, :type :invoke, :f :write, :value 1}
{:process 1, :type :invoke, :f :read, :value nil}
{:process 0, :type :ok, :f :write, :value 1}
{:process 1, :type :ok, :f :read, :value 1}
{:process 1, :type :invoke, :f :read, :value nil}
{:process 1, :type :ok, :f :read, :value nil}
";
    let history = register_edn(text).expect("reads");
    let times: Vec<(u64, u64)> = history
        .iter()
        .map(|op| (op.invoked, op.returned()))
        .collect();
    assert_eq!(times, [(1, 3), (2, 4), (5, 6)]);
    // The read of nil after the write completed is stale: not linearizable.
    let report = lincheck::check(&Register, &history, lincheck::BUDGET_CONFIGURATIONS_DEFAULT);
    assert!(
        matches!(report.verdict, lincheck::Verdict::NotLinearizable(_)),
        "{report:?}"
    );
}

#[test]
fn a_malformed_edn_line_names_its_line_and_what_was_wrong() {
    let good = "{:type :invoke, :f :read, :value nil, :process 0, :time 0}\n";
    let said = message(register_edn(&format!("{good}{{:type :ok, :f :read")));
    assert!(
        said.starts_with("h:2:") && said.contains("unexpected end of line"),
        "{said}"
    );
    let said = message(register_edn(&format!(
        "{good}{{:type :ok, :f :read, :process 0, :time 1}} extra"
    )));
    assert!(
        said.starts_with("h:2: ") && said.contains("one map per line"),
        "{said}"
    );
    let said = message(register_edn("[:type :invoke]"));
    assert!(said.contains("expected a map"), "{said}");
    // Timed or not, but all alike.
    let said = message(register_edn(&format!(
        "{good}{{:type :ok, :f :read, :process 0}}"
    )));
    assert_eq!(said, "h:2: the event has no :time");
    let said = message(register_edn(
        "{:type :invoke, :f :read, :process 0}\n{:type :ok, :f :read, :process 0, :time 4}",
    ));
    assert!(
        said.starts_with("h:2: ") && said.contains("the first event had none"),
        "{said}"
    );
    let said = message(register_edn(
        "{:type :invoke, :f :read, :process 0, :time -2}",
    ));
    assert_eq!(said, "h:1: :time must be an integer from 0, found -2");
    let said = message(register_edn(
        "{:type \"invoke\", :f :read, :process 0, :time 0}",
    ));
    assert!(said.contains(":type must be a keyword"), "{said}");
    let said = message(register_edn(
        "{:type :invoke, :f :write, :value 1.5, :process 0, :time 0}",
    ));
    assert!(said.starts_with("h:1:35: not a number"), "{said}");
}

#[test]
fn bytes_that_are_not_utf8_are_an_error_not_a_panic() {
    let mut bytes = b"{\"type\":\"invoke\",\"process\":0,\"f\":\"read\",\"time\":0}\n".to_vec();
    bytes.extend_from_slice(&[0xff, 0xfe, b'\n']);
    let read = read_jsonl(&Register, bytes.as_slice());
    let said = format!("h:{}", read.expect_err("not UTF-8"));
    assert!(said.starts_with("h:2: cannot read"), "{said}");
}

// ---- writing ---------------------------------------------------------------

#[test]
fn written_events_go_in_time_order_and_unknowns_close_when_their_client_moves_on() {
    let history = vec![
        Operation::ok(1, RegisterInput::Write(1), 0, RegisterOutput::Ok, 30),
        Operation::new(
            2,
            RegisterInput::Cas {
                expected: 1,
                new: 2,
            },
            10,
            Outcome::Unknown,
        ),
        Operation::ok(
            2,
            RegisterInput::Read,
            20,
            RegisterOutput::Read(Some(1)),
            25,
        ),
        Operation::new(3, RegisterInput::Write(5), 15, Outcome::Failed),
    ];
    let mut out = Vec::new();
    write_edn(&Register, &history, &mut out).expect("writes");
    let text = String::from_utf8(out).expect("UTF-8");
    assert_eq!(
        text,
        "{:type :invoke, :f :write, :value 1, :process 1, :time 0}
{:type :invoke, :f :cas, :value [1 2], :process 2, :time 10}
{:type :invoke, :f :write, :value 5, :process 3, :time 15}
{:type :info, :f :cas, :value [1 2], :process 2, :time 20}
{:type :invoke, :f :read, :value nil, :process 2, :time 20}
{:type :ok, :f :read, :value 1, :process 2, :time 25}
{:type :ok, :f :write, :value 1, :process 1, :time 30}
{:type :fail, :f :write, :value 5, :process 3, :time 30}
"
    );
    let mut out = Vec::new();
    write_jsonl(&Register, &history[..1], &mut out).expect("writes");
    assert_eq!(
        String::from_utf8(out).expect("UTF-8"),
        "{\"type\":\"invoke\",\"process\":1,\"f\":\"write\",\"value\":1,\"time\":0}\n\
         {\"type\":\"ok\",\"process\":1,\"f\":\"write\",\"value\":1,\"time\":30}\n"
    );
}

#[test]
fn a_history_events_cannot_express_is_refused() {
    let overlapping = vec![
        Operation::ok(1, RegisterInput::Write(1), 0, RegisterOutput::Ok, 30),
        Operation::ok(1, RegisterInput::Read, 10, RegisterOutput::Read(None), 20),
    ];
    let err = write_jsonl(&Register, &overlapping, Vec::new()).expect_err("two open");
    assert_eq!(err.to_string(), "client 1 invokes #1 while #0 is open");
    let ill_typed = vec![Operation::ok(
        1,
        RegisterInput::Read,
        0,
        RegisterOutput::Ok,
        1,
    )];
    let err = write_edn(&Register, &ill_typed, Vec::new()).expect_err("a read returns a value");
    assert!(
        err.to_string().contains("a read returns the value it read"),
        "{err}"
    );
    let huge = vec![Operation::ok(
        1,
        KvInput::Put {
            key: 1,
            value: u64::MAX,
        },
        0,
        KvOutput::Written,
        1,
    )];
    let err = write_edn(&KeyValue::default(), &huge, Vec::new()).expect_err("EDN holds i64");
    assert!(err.to_string().contains("does not fit"), "{err}");
    write_jsonl(&KeyValue::default(), &huge, Vec::new()).expect("JSON holds u64");
}

// ---- round trips -----------------------------------------------------------

/// One client's operations, back to back: (input, outcome kind, gap before
/// the invocation, duration); outcome 0..8 ok, 8 failed, 9 unknown.
fn timed<I, O>(steps: Vec<(u64, I, O, u8, u64, u64)>) -> Vec<Operation<I, O>> {
    let mut clock = std::collections::BTreeMap::<u64, u64>::new();
    let mut history = Vec::new();
    for (client, input, output, outcome, gap, duration) in steps {
        let free = clock.entry(client).or_insert(0);
        let invoked = *free + gap;
        let outcome = match outcome {
            8 => Outcome::Failed,
            9 => Outcome::Unknown,
            _ => Outcome::Ok {
                output,
                returned: invoked + duration,
            },
        };
        *free = match outcome {
            Outcome::Ok { returned, .. } => returned,
            _ => invoked,
        };
        history.push(Operation {
            client,
            input,
            invoked,
            outcome,
        });
    }
    history
}

fn kv_operation(value_max: u64) -> impl Strategy<Value = (KvInput, KvOutput)> {
    let key = 0..=value_max;
    let value = 0..=value_max;
    let list = prop::collection::vec(0..=value_max, 0..4);
    prop_oneof![
        (key.clone(), value.clone())
            .prop_map(|(key, value)| (KvInput::Put { key, value }, KvOutput::Written)),
        (key.clone(), list.clone())
            .prop_map(|(key, seen)| (KvInput::Get { key }, KvOutput::Read(seen))),
        (key.clone(), value.clone())
            .prop_map(|(key, value)| (KvInput::Append { key, value }, KvOutput::Written)),
        (key, value, list).prop_map(|(key, value, made)| (
            KvInput::Append { key, value },
            KvOutput::Appended(made)
        )),
    ]
}

fn register_operation() -> impl Strategy<Value = (RegisterInput, RegisterOutput)> {
    prop_oneof![
        any::<Option<i64>>().prop_map(|seen| (RegisterInput::Read, RegisterOutput::Read(seen))),
        any::<i64>().prop_map(|value| (RegisterInput::Write(value), RegisterOutput::Ok)),
        any::<(i64, i64)>()
            .prop_map(|(expected, new)| (RegisterInput::Cas { expected, new }, RegisterOutput::Ok)),
    ]
}

fn history_of<I: std::fmt::Debug, O: std::fmt::Debug>(
    operation: impl Strategy<Value = (I, O)>,
) -> impl Strategy<Value = Vec<Operation<I, O>>> {
    let step = (0u64..4, operation, 0u8..10, 0u64..5, 0u64..5).prop_map(
        |(client, (input, output), outcome, gap, duration)| {
            (client, input, output, outcome, gap, duration)
        },
    );
    prop::collection::vec(step, 0..24).prop_map(timed)
}

/// What reading back promises: the operations sorted by invocation time,
/// ties in their order.
fn by_invocation<I, O>(mut history: Vec<Operation<I, O>>) -> Vec<Operation<I, O>> {
    history.sort_by_key(|op| op.invoked);
    history
}

proptest! {
    #[test]
    fn kv_histories_survive_json_lines(history in history_of(kv_operation(u64::MAX))) {
        let mut out = Vec::new();
        write_jsonl(&KeyValue::default(), &history, &mut out).expect("writes");
        let back = read_jsonl(&KeyValue::default(), out.as_slice()).expect("reads back");
        prop_assert_eq!(back, by_invocation(history));
    }

    #[test]
    fn kv_histories_survive_edn(history in history_of(kv_operation(i64::MAX as u64))) {
        let mut out = Vec::new();
        write_edn(&KeyValue::default(), &history, &mut out).expect("writes");
        let back = read_edn(&KeyValue::default(), out.as_slice()).expect("reads back");
        prop_assert_eq!(back, by_invocation(history));
    }

    #[test]
    fn register_histories_survive_json_lines(history in history_of(register_operation())) {
        let mut out = Vec::new();
        write_jsonl(&Register, &history, &mut out).expect("writes");
        let back = read_jsonl(&Register, out.as_slice()).expect("reads back");
        prop_assert_eq!(back, by_invocation(history));
    }

    #[test]
    fn register_histories_survive_edn(history in history_of(register_operation())) {
        let mut out = Vec::new();
        write_edn(&Register, &history, &mut out).expect("writes");
        let back = read_edn(&Register, out.as_slice()).expect("reads back");
        prop_assert_eq!(back, by_invocation(history));
    }

    #[test]
    fn no_line_makes_a_reader_panic(text in "[{}\\[\\]:a-z0-9 ,\"\\-.;\n]{0,80}") {
        let _ = read_jsonl(&KeyValue::default(), text.as_bytes());
        let _ = read_edn(&KeyValue::default(), text.as_bytes());
        let _ = read_edn(&Register, text.as_bytes());
    }
}

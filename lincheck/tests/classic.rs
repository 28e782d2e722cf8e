//! The classic cases, with verdicts known by hand.

use lincheck::models::kv::{KeyValue, KvInput, KvOutput};
use lincheck::models::register::{Register, RegisterInput, RegisterOutput};
use lincheck::{BUDGET_CONFIGURATIONS_DEFAULT, Model, Operation, Outcome, Verdict, check};

fn unknown<I, O>(client: u64, input: I, invoked: u64) -> Operation<I, O> {
    Operation::new(client, input, invoked, Outcome::Unknown)
}

fn failed<I, O>(client: u64, input: I, invoked: u64) -> Operation<I, O> {
    Operation::new(client, input, invoked, Outcome::Failed)
}

fn verdict<M: Model>(model: &M, history: &[Operation<M::Input, M::Output>]) -> Verdict {
    check(model, history, BUDGET_CONFIGURATIONS_DEFAULT).verdict
}

fn is_linearizable<M: Model>(model: &M, history: &[Operation<M::Input, M::Output>]) -> bool {
    match verdict(model, history) {
        Verdict::Linearizable => true,
        Verdict::NotLinearizable(_) => false,
        Verdict::Unknown { .. } => panic!("tiny histories never exhaust the budget"),
    }
}

use KvInput::{Append, Get, Put};
use RegisterInput::{Cas, Read, Write};

fn read(list: &[u64]) -> KvOutput {
    KvOutput::Read(list.to_vec())
}

#[test]
fn a_stale_read_after_a_completed_write_is_caught() {
    let history = [
        Operation::ok(1, Put { key: 0, value: 1 }, 0, KvOutput::Written, 10),
        Operation::ok(2, Get { key: 0 }, 20, read(&[]), 30),
    ];
    assert!(!is_linearizable(&KeyValue::default(), &history));
    // The same read overlapping the write may see either state.
    let overlapping = [
        Operation::ok(1, Put { key: 0, value: 1 }, 0, KvOutput::Written, 25),
        Operation::ok(2, Get { key: 0 }, 20, read(&[]), 30),
    ];
    assert!(is_linearizable(&KeyValue::default(), &overlapping));
}

#[test]
fn a_read_of_a_value_never_written_is_caught() {
    let history = [
        Operation::ok(1, Put { key: 0, value: 1 }, 0, KvOutput::Written, 10),
        Operation::ok(2, Get { key: 0 }, 0, read(&[2]), 30),
    ];
    assert!(!is_linearizable(&KeyValue::default(), &history));
}

#[test]
fn a_lost_write_is_caught() {
    // An acknowledged append, then a read that no longer holds it.
    let history = [
        Operation::ok(1, Append { key: 0, value: 1 }, 0, KvOutput::Written, 10),
        Operation::ok(1, Append { key: 0, value: 2 }, 11, KvOutput::Written, 20),
        Operation::ok(2, Get { key: 0 }, 30, read(&[2]), 40),
    ];
    assert!(!is_linearizable(&KeyValue::default(), &history));
}

#[test]
fn a_duplicated_append_is_caught() {
    let history = [
        Operation::ok(1, Append { key: 0, value: 7 }, 0, KvOutput::Written, 10),
        Operation::ok(2, Get { key: 0 }, 20, read(&[7, 7]), 30),
    ];
    assert!(!is_linearizable(&KeyValue::default(), &history));
}

#[test]
fn concurrent_writes_seen_in_opposite_orders_are_caught() {
    // Two concurrent writes; one reader sees 1 then 2, the other 2 then 1.
    let history = [
        Operation::ok(1, Write(1), 0, RegisterOutput::Ok, 100),
        Operation::ok(2, Write(2), 0, RegisterOutput::Ok, 100),
        Operation::ok(3, Read, 10, RegisterOutput::Read(Some(1)), 20),
        Operation::ok(3, Read, 30, RegisterOutput::Read(Some(2)), 40),
        Operation::ok(4, Read, 10, RegisterOutput::Read(Some(2)), 20),
        Operation::ok(4, Read, 30, RegisterOutput::Read(Some(1)), 40),
    ];
    assert!(!is_linearizable(&Register, &history));
    // Both readers seeing the same order is fine.
    let mut agreeing = history.clone();
    agreeing[4].outcome = Outcome::Ok {
        output: RegisterOutput::Read(Some(1)),
        returned: 20,
    };
    agreeing[5].outcome = Outcome::Ok {
        output: RegisterOutput::Read(Some(2)),
        returned: 40,
    };
    assert!(is_linearizable(&Register, &agreeing));
}

#[test]
fn an_unknown_write_that_was_seen_must_be_assumed_to_have_happened() {
    let history = [
        unknown(1, Write(5), 0),
        Operation::ok(2, Read, 100, RegisterOutput::Read(Some(5)), 110),
    ];
    assert!(is_linearizable(&Register, &history));
    // Seen before it was invoked: impossible.
    let early = [
        Operation::ok(2, Read, 0, RegisterOutput::Read(Some(5)), 10),
        unknown(1, Write(5), 20),
    ];
    assert!(!is_linearizable(&Register, &early));
}

#[test]
fn an_unknown_write_that_was_never_seen_may_not_have_happened() {
    let history = [
        Operation::ok(1, Write(1), 0, RegisterOutput::Ok, 10),
        unknown(2, Write(5), 20),
        Operation::ok(3, Read, 30, RegisterOutput::Read(Some(1)), 40),
        Operation::ok(3, Read, 1_000, RegisterOutput::Read(Some(1)), 1_010),
    ];
    assert!(is_linearizable(&Register, &history));
}

#[test]
fn an_unknown_write_cannot_take_effect_twice() {
    // Seen, then overwritten, then seen again: it would have to apply twice.
    let history = [
        unknown(1, Write(5), 0),
        Operation::ok(2, Read, 10, RegisterOutput::Read(Some(5)), 20),
        Operation::ok(2, Write(6), 30, RegisterOutput::Ok, 40),
        Operation::ok(2, Read, 50, RegisterOutput::Read(Some(5)), 60),
    ];
    assert!(!is_linearizable(&Register, &history));
}

#[test]
fn failed_operations_are_left_out() {
    let history = [
        failed(1, Write(9), 0),
        Operation::ok(2, Read, 10, RegisterOutput::Read(None), 20),
    ];
    assert!(is_linearizable(&Register, &history));
    let report = check(&Register, &history, BUDGET_CONFIGURATIONS_DEFAULT);
    assert_eq!((report.operations, report.searched), (2, 1));
}

#[test]
fn cas_takes_effect_only_from_its_expected_value() {
    let history = [
        Operation::ok(1, Write(1), 0, RegisterOutput::Ok, 10),
        Operation::ok(
            1,
            Cas {
                expected: 1,
                new: 2,
            },
            20,
            RegisterOutput::Ok,
            30,
        ),
        Operation::ok(2, Read, 40, RegisterOutput::Read(Some(2)), 50),
    ];
    assert!(is_linearizable(&Register, &history));
    let wrong = [
        Operation::ok(1, Write(1), 0, RegisterOutput::Ok, 10),
        Operation::ok(
            1,
            Cas {
                expected: 3,
                new: 2,
            },
            20,
            RegisterOutput::Ok,
            30,
        ),
    ];
    assert!(!is_linearizable(&Register, &wrong));
}

#[test]
fn keys_are_judged_apart_and_the_failing_key_is_reported_cut_down() {
    let mut history = Vec::new();
    // Key 1: forty clean appends; key 0: a stale read among noise.
    for n in 0..40 {
        history.push(Operation::ok(
            1,
            Append { key: 1, value: n },
            n * 10,
            KvOutput::Written,
            n * 10 + 5,
        ));
    }
    history.push(Operation::ok(
        2,
        Put { key: 0, value: 1 },
        0,
        KvOutput::Written,
        10,
    ));
    history.push(Operation::ok(
        2,
        Put { key: 0, value: 2 },
        20,
        KvOutput::Written,
        30,
    ));
    history.push(Operation::ok(3, Get { key: 0 }, 15, read(&[1]), 16));
    history.push(Operation::ok(3, Get { key: 0 }, 40, read(&[1]), 50));
    history.push(Operation::ok(3, Get { key: 0 }, 60, read(&[2]), 70));
    let report = check(
        &KeyValue::default(),
        &history,
        BUDGET_CONFIGURATIONS_DEFAULT,
    );
    assert_eq!(report.parts, 2);
    let Verdict::NotLinearizable(found) = report.verdict else {
        panic!(
            "the stale read at 40 is not linearizable: {:?}",
            report.verdict
        );
    };
    assert_eq!(found.key, "0");
    assert_eq!(found.key_operations, 5);
    // The first put (the read saw its value), the second put that
    // overwrote it, and the stale read; the earlier read and the later one
    // are cut.
    assert_eq!(found.operations, vec![40, 41, 43]);
    assert_eq!(found.linearized, vec![40, 41]);
    assert_eq!(found.stuck, 43);
    assert_eq!(found.state_after, "[2]");
    let text = lincheck::render(&KeyValue::default(), &history, &found, &|t| format!("{t}"));
    assert!(text.contains("get(k0) → [1]"), "{text}");
    assert!(text.contains("put(k0, 2) → ok"), "{text}");
}

#[test]
fn an_append_that_returns_its_list_is_judged_by_it() {
    let history = [
        Operation::ok(
            1,
            Append { key: 0, value: 1 },
            0,
            KvOutput::Appended(vec![1]),
            10,
        ),
        Operation::ok(
            2,
            Append { key: 0, value: 2 },
            20,
            KvOutput::Appended(vec![1, 2]),
            30,
        ),
    ];
    assert!(is_linearizable(&KeyValue::default(), &history));
    let wrong = [
        Operation::ok(
            1,
            Append { key: 0, value: 1 },
            0,
            KvOutput::Appended(vec![1]),
            10,
        ),
        Operation::ok(
            2,
            Append { key: 0, value: 2 },
            20,
            KvOutput::Appended(vec![2]),
            30,
        ),
    ];
    assert!(!is_linearizable(&KeyValue::default(), &wrong));
}

#[test]
fn a_budget_too_small_is_unknown_never_a_pass() {
    let mut history = Vec::new();
    for client in 0..8 {
        history.push(unknown(client, Write(client as i64), 0));
    }
    history.push(Operation::ok(
        9,
        Read,
        10,
        RegisterOutput::Read(Some(3)),
        20,
    ));
    let report = check(&Register, &history, 3);
    assert_eq!(report.verdict, Verdict::Unknown { parts_exhausted: 1 });
    assert!(is_linearizable(&Register, &history));
}

#[test]
fn the_cut_down_counterexample_keeps_the_writes_its_reads_saw() {
    // The last read is stale: 1 was overwritten by 2. Cutting the write of
    // 1 would leave a read of a value "never written", a false story.
    let history = [
        Operation::ok(1, Write(1), 0, RegisterOutput::Ok, 10),
        Operation::ok(2, Read, 20, RegisterOutput::Read(Some(1)), 30),
        Operation::ok(1, Write(2), 40, RegisterOutput::Ok, 50),
        Operation::ok(2, Read, 60, RegisterOutput::Read(Some(1)), 70),
    ];
    let Verdict::NotLinearizable(found) = verdict(&Register, &history) else {
        panic!("the last read is stale");
    };
    assert!(
        found.operations.contains(&0),
        "the write of 1 is kept: {found:?}"
    );
    assert!(found.operations.contains(&2) && found.operations.contains(&3));
    let text = lincheck::render(&Register, &history, &found, &|t| t.to_string());
    assert!(
        text.starts_with("no order of these"),
        "no key for a register: {text}"
    );
}

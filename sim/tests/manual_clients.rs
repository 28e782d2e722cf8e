//! Clients by hand: in manual mode a `put`, `get` or `append` starts a
//! session whose request waits in flight; `deliver client N -> NODE`,
//! `deliver NODE -> client N` and `wake client N` move it on, as the model
//! checker's client steps do, so its counterexamples replay.

use sim::checker::Invariant;
use sim::history::Outcome;
use sim::host::HostRuleBreaks;
use sim::kv::Output;
use sim::scenario::{Outcome as RunOutcome, parse, run_scenario_with_breaks};

fn run(text: &str, breaks: HostRuleBreaks) -> RunOutcome {
    let scenario = parse("t.scn", text).unwrap_or_else(|e| panic!("{e}"));
    run_scenario_with_breaks(&scenario, None, breaks).unwrap_or_else(|e| panic!("{e}"))
}

const ELECTED: &str = "cluster 3 pre_vote=off\nmanual\ncampaign 1\nstabilize\n";

#[test]
fn a_redirected_client_retries_on_its_timer_and_is_answered() {
    let text = format!(
        "{ELECTED}append x 1\nstabilize\nappend x 2 via 2\ndeliver client 2 -> 2 request\n\
         deliver 2 -> client 2 reply\nwake client 2\ndeliver client 2 -> 1\nstabilize\n\
         get x\nstabilize\nexpect linearizable\n"
    );
    let outcome = run(&text, HostRuleBreaks::default());
    assert!(outcome.failure.is_none(), "{:?}", outcome.failure);
    let outcomes: Vec<&Outcome> = outcome.history.ops.iter().map(|op| &op.outcome).collect();
    assert!(matches!(outcomes[1], Outcome::Ok { .. }), "{outcomes:?}");
    assert!(
        matches!(outcomes[2], Outcome::Ok { output: Output::Read(list), .. } if list == &[1, 2]),
        "{outcomes:?}"
    );
}

/// A follower serves a `get` itself (thesis §6.4): it asks the leader for
/// the read index (`read-index`), the leader confirms it with a heartbeat
/// round and answers, and the follower replies once it has applied that
/// far — no redirect, no log entry.
#[test]
fn a_follower_serves_a_get_after_asking_the_leader_for_the_read_index() {
    let text = format!(
        "{ELECTED}append x 1\nstabilize\nget x via 2\ndeliver client 2 -> 2 request\n\
         deliver 2 -> 1 read-index\nstabilize\nexpect committed == 2\n\
         expect linearizable\n"
    );
    let outcome = run(&text, HostRuleBreaks::default());
    assert!(outcome.failure.is_none(), "{:?}", outcome.failure);
    assert!(
        matches!(&outcome.history.ops[1].outcome, Outcome::Ok { output: Output::Read(list), .. } if list == &[1]),
        "{:?}",
        outcome.history.ops
    );
}

#[test]
fn the_request_waits_in_flight_until_a_step_delivers_it() {
    let text = format!("{ELECTED}put x 1\nstabilize\n");
    let outcome = run(&text, HostRuleBreaks::default());
    assert!(matches!(outcome.history.ops[0].outcome, Outcome::Ok { .. }));
    // Without the stabilize nothing moves: the operation is pending.
    let outcome = run(&format!("{ELECTED}put x 1\n"), HostRuleBreaks::default());
    assert_eq!(outcome.history.ops[0].outcome, Outcome::Pending);
}

#[test]
fn a_duplicated_request_is_applied_once_unless_the_session_table_is_gone() {
    let text = format!(
        "{ELECTED}append x 1 via 1\nduplicate client 1 -> 1 request\nstabilize\n\
         get x via 1\nstabilize\n"
    );
    let outcome = run(&text, HostRuleBreaks::default());
    assert!(outcome.failure.is_none(), "{:?}", outcome.failure);
    let broken = HostRuleBreaks {
        no_dedup: true,
        ..HostRuleBreaks::default()
    };
    let failure = run(&text, broken).failure.expect("applied twice");
    let violation = failure.violation.expect("a violation");
    assert_eq!(violation.invariant, Invariant::Linearizability);
    assert!(
        violation.message.contains("[c1#1, c1#1]"),
        "{}",
        violation.message
    );
}

#[test]
fn client_steps_that_name_nothing_fail_with_what_is_missing() {
    let failure = |text: &str| {
        run(&format!("{ELECTED}{text}"), HostRuleBreaks::default())
            .failure
            .expect("the step fails")
            .message
    };
    assert_eq!(
        failure("wake client 4\n"),
        "client 4 has no timer pending (no operation waiting on it)"
    );
    assert_eq!(
        failure("put x 1\ndeliver client 1 -> 2\n"),
        "no message from client 1 to {2} is in flight"
    );
    assert_eq!(
        failure("put x 1\ndeliver 1 -> client 1 reply\n"),
        "no reply from {1} to client 1 is in flight"
    );
    let text = "cluster 3\nmanual\nget x\n";
    let outcome = run(text, HostRuleBreaks::default());
    assert_eq!(
        outcome.failure.expect("no leader").message,
        "a client operation in manual mode needs a leader or `via NODE`"
    );
}

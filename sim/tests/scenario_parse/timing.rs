//! Timing prefixes, names bound on a line, and line ends.

use super::helpers::*;

#[test]
fn timing_prefixes() {
    let scenario = scenario("at 2s heal\nat +500ms crash 1\nat 2s run 1s\nheal");
    let timings: Vec<(Span, Timing)> = scenario.steps[1..]
        .iter()
        .map(|step| (step.span, step.timing))
        .collect();
    assert_eq!(
        timings,
        [
            (Span { line: 2, col: 1 }, Timing::At(2 * S)),
            (Span { line: 3, col: 1 }, Timing::After(500 * MS)),
            (Span { line: 4, col: 1 }, Timing::At(2 * S)),
            (Span { line: 5, col: 1 }, Timing::Next),
        ]
    );
    assert_eq!(
        scenario.steps[2].kind,
        StepKind::Crash(set_at(3, 17, ids(&[1])), None)
    );
    assert_eq!(scenario.steps[2].text, "at +500ms crash 1");
}

#[test]
fn relative_times_are_not_checked_against_absolute_ones() {
    // `at +1s` after `at 5s` lands at 6s or later: only the run can tell.
    let scenario = scenario("at 5s heal\nat +1s heal\nat 5s heal");
    assert_eq!(scenario.steps.len(), 4);
}

#[test]
fn the_example_of_scenarios_md_parses() {
    let text = "\
# The leader is cut off from the majority; a new leader is elected among the
# rest; when the partition heals the old leader's uncommitted tail is dropped.
cluster 3 pre_vote=on check_quorum=on
clients 2 rate=50/s
expect leader within 2s
partition leader as old | rest
expect leader in all - old within 3s
at +2s heal
expect committed >= 20 on all within 5s
expect converged within 5s
";
    let scenario = parse("split.scn", text).unwrap();
    assert_eq!(scenario.steps.len(), 8);
    assert_eq!(
        scenario.steps[4].kind,
        StepKind::Expect(
            Condition::LeaderIn(set_at(
                7,
                18,
                minus(SetTerm::All, SetTerm::Name("old".into()))
            )),
            Some(3 * S)
        )
    );
    assert_eq!(scenario.steps[5].timing, Timing::After(2 * S));
}

#[test]
fn names_bind_left_to_right_on_the_same_line_and_can_be_rebound() {
    assert_eq!(
        kind("cut leader as old -> all - old"),
        StepKind::Cut(
            named(5, SetTerm::Leader, "old"),
            set(22, minus(SetTerm::All, SetTerm::Name("old".into())))
        )
    );
    assert_eq!(
        last("isolate 1 as x\nisolate all - x as x\ncrash x"),
        StepKind::Crash(set_at(4, 7, SetTerm::Name("x".into())), None)
    );
    // Verbs, conditions and message types make fine names.
    assert_eq!(
        last("partition minority as cut | rest\ncrash all - cut + {cut}"),
        StepKind::Crash(
            set_at(
                3,
                7,
                union(
                    minus(SetTerm::All, SetTerm::Name("cut".into())),
                    SetTerm::Nodes(vec![Atom::Name("cut".into())])
                )
            ),
            None
        )
    );
    assert_eq!(
        kind("isolate leader + 2 as both"),
        StepKind::Isolate(named(9, union(SetTerm::Leader, ids(&[2])), "both"))
    );
}

#[test]
fn windows_line_ends_and_tabs() {
    let scenario = parse(FILE, "cluster 3\r\n\tcrash\t{1,2}\r\n").unwrap();
    assert_eq!(scenario.steps[1].span, Span { line: 2, col: 2 });
    assert_eq!(
        scenario.steps[1].kind,
        StepKind::Crash(set(8, ids(&[1, 2])), None)
    );
}

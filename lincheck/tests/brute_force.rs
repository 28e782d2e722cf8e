//! Differential test: `lincheck::check` against a brute-force checker written
//! here, on small random histories of a simulated store.
//!
//! The brute force tries every order of the operations (every permutation of
//! every choice of which unknown-outcome ones took effect), keeps the orders
//! that respect real time (A before B whenever A returned before B was
//! invoked) and accepts if one of them fits the model step by step. It shares
//! nothing with the checker but the model's `step`: no memo table, no split
//! by key (it keeps one state per key itself), no entry list.
//!
//! Histories come from a simulated atomic object: every operation takes
//! effect at a random instant inside its interval (an unknown-outcome one at
//! any instant after its invocation, or never), and its output is what the
//! object held at that instant. Such a history is linearizable by
//! construction, which is checked too. The broken variant corrupts some
//! answers: a wrong read value, a stale read, a write acknowledged and lost.
//!
//! Cases: `PROPTEST_CASES` (default 4000 per property).

use std::collections::BTreeMap;

use lincheck::models::kv::{KeyValue, KvInput, KvOutput};
use lincheck::models::register::{Register, RegisterInput, RegisterOutput};
use lincheck::{BUDGET_CONFIGURATIONS_DEFAULT, Model, Operation, Outcome, Verdict, check};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};

/// The most operations in a history: the brute force is factorial in it.
const OPERATIONS_MAX: usize = 7;
/// Clients are slots `0..CLIENTS`; each runs its operations one at a time.
const CLIENTS: u64 = 3;
/// How far after its invocation an unknown-outcome operation may take effect.
const UNKNOWN_EFFECT_DELAY_MAX: u64 = 50;

// ---------------------------------------------------------------------------
// The brute force.

/// Whether some order of `history` fits `model` and real time, tried
/// exhaustively. Failed operations are left out; an unknown-outcome one may
/// go anywhere after its invocation, or nowhere.
fn brute_force<M: Model>(model: &M, history: &[Operation<M::Input, M::Output>]) -> bool {
    let ops: Vec<&Operation<M::Input, M::Output>> = history
        .iter()
        .filter(|op| !matches!(op.outcome, Outcome::Failed))
        .collect();
    let mut placed = vec![false; ops.len()];
    let mut states = BTreeMap::new();
    place_rest(model, &ops, &mut placed, &mut states)
}

/// Extends the order placed so far by every operation that may go next.
fn place_rest<M: Model>(
    model: &M,
    ops: &[&Operation<M::Input, M::Output>],
    placed: &mut [bool],
    states: &mut BTreeMap<M::Key, M::State>,
) -> bool {
    let done = ops
        .iter()
        .zip(placed.iter())
        .all(|(op, &placed)| placed || matches!(op.outcome, Outcome::Unknown));
    if done {
        return true;
    }
    for next in 0..ops.len() {
        if placed[next] || !may_go_next(ops, placed, next) {
            continue;
        }
        let op = ops[next];
        let key = model.key(&op.input);
        let before = states.get(&key).cloned();
        let from = before.clone().unwrap_or_else(|| model.init());
        let Some(after) = model.step(&from, &op.input, op.output()) else {
            continue;
        };
        states.insert(key.clone(), after);
        placed[next] = true;
        if place_rest(model, ops, placed, states) {
            return true;
        }
        placed[next] = false;
        match before {
            Some(state) => states.insert(key, state),
            None => states.remove(&key),
        };
    }
    false
}

/// Real time: no operation still unplaced returned before `next` was invoked.
fn may_go_next<I, O>(ops: &[&Operation<I, O>], placed: &[bool], next: usize) -> bool {
    let invoked = ops[next].invoked;
    ops.iter()
        .zip(placed)
        .all(|(op, &placed)| placed || returned_at(op).is_none_or(|r| r >= invoked))
}

/// When the client got its answer; `None` for an unknown outcome (never).
fn returned_at<I, O>(op: &Operation<I, O>) -> Option<u64> {
    match op.outcome {
        Outcome::Ok { returned, .. } => Some(returned),
        Outcome::Failed | Outcome::Unknown => None,
    }
}

// ---------------------------------------------------------------------------
// The simulated objects: real implementations, independent of the models.

/// An atomic object the simulation runs operations on, one at a time.
trait Object: Clone + Default {
    type Input: Clone + std::fmt::Debug;
    type Output: Clone + std::fmt::Debug;

    /// Runs `input`; `None` if the object refuses it (a cas that does not
    /// find its expected value), which leaves it unchanged. `echo`: an append
    /// answers with the list it made.
    fn apply(&mut self, input: &Self::Input, echo: bool) -> Option<Self::Output>;

    /// Whether `input` only reads.
    fn is_read(input: &Self::Input) -> bool;

    /// A wrong answer in place of `output` (unchanged if it carries no value).
    fn corrupt(output: Self::Output) -> Self::Output;
}

#[derive(Clone, Debug, Default)]
struct AtomicRegister(Option<i64>);

impl Object for AtomicRegister {
    type Input = RegisterInput;
    type Output = RegisterOutput;

    fn apply(&mut self, input: &RegisterInput, _echo: bool) -> Option<RegisterOutput> {
        match *input {
            RegisterInput::Read => Some(RegisterOutput::Read(self.0)),
            RegisterInput::Write(value) => {
                self.0 = Some(value);
                Some(RegisterOutput::Ok)
            }
            RegisterInput::Cas { expected, new } => {
                if self.0 != Some(expected) {
                    return None;
                }
                self.0 = Some(new);
                Some(RegisterOutput::Ok)
            }
        }
    }

    fn is_read(input: &RegisterInput) -> bool {
        matches!(input, RegisterInput::Read)
    }

    fn corrupt(output: RegisterOutput) -> RegisterOutput {
        match output {
            // Values stay small so that a wrong one may still be explainable.
            RegisterOutput::Read(None) => RegisterOutput::Read(Some(1)),
            RegisterOutput::Read(Some(value)) => RegisterOutput::Read(Some(value % 3 + 1)),
            RegisterOutput::Ok => RegisterOutput::Ok,
        }
    }
}

#[derive(Clone, Debug, Default)]
struct AtomicStore(BTreeMap<u64, Vec<u64>>);

impl Object for AtomicStore {
    type Input = KvInput;
    type Output = KvOutput;

    fn apply(&mut self, input: &KvInput, echo: bool) -> Option<KvOutput> {
        Some(match *input {
            KvInput::Put { key, value } => {
                self.0.insert(key, vec![value]);
                KvOutput::Written
            }
            KvInput::Get { key } => KvOutput::Read(self.0.get(&key).cloned().unwrap_or_default()),
            KvInput::Append { key, value } => {
                let list = self.0.entry(key).or_default();
                list.push(value);
                if echo {
                    KvOutput::Appended(list.clone())
                } else {
                    KvOutput::Written
                }
            }
        })
    }

    fn is_read(input: &KvInput) -> bool {
        matches!(input, KvInput::Get { .. })
    }

    fn corrupt(output: KvOutput) -> KvOutput {
        match output {
            KvOutput::Written => KvOutput::Written,
            KvOutput::Read(list) => KvOutput::Read(corrupt_list(list)),
            KvOutput::Appended(list) => KvOutput::Appended(corrupt_list(list)),
        }
    }
}

/// Drops the first value of a list, or invents one for an empty list.
fn corrupt_list(mut list: Vec<u64>) -> Vec<u64> {
    if list.is_empty() {
        list.push(1);
    } else {
        list.remove(0);
    }
    list
}

// ---------------------------------------------------------------------------
// The plan of a history and its simulation.

/// How an operation ends.
#[derive(Clone, Copy, Debug)]
enum Ending {
    /// The client gets the answer.
    Answered,
    /// The client never hears back; the operation took effect or not.
    Unknown { takes_effect: bool },
    /// Refused before it could take effect.
    Failed,
}

/// How the broken store gets an operation wrong.
#[derive(Clone, Copy, Debug)]
enum Corruption {
    None,
    /// A wrong value in the answer.
    WrongAnswer,
    /// A read served from the state this many changes ago.
    StaleRead(usize),
    /// A write acknowledged and never applied.
    LostWrite,
}

/// One operation of a plan.
#[derive(Clone, Debug)]
struct Planned<I> {
    client: u64,
    input: I,
    /// An append answers with its list.
    echo: bool,
    /// Time between the client's previous answer (or timeout) and this call.
    gap: u64,
    duration: u64,
    /// Where in its interval (percent) the operation takes effect.
    effect_percent: u64,
    ending: Ending,
    corruption: Corruption,
}

/// When a planned operation runs.
struct Timing {
    client: u64,
    invoked: u64,
    returned: u64,
    /// When it takes effect, if it does.
    effect: Option<u64>,
}

/// Lays the plan out in time: each client slot runs its operations one after
/// another; after an unknown outcome the slot goes on as a new client, as
/// Jepsen's processes do.
fn timings<I>(plan: &[Planned<I>]) -> Vec<Timing> {
    let mut free_at = [0; CLIENTS as usize];
    let mut generation = [0; CLIENTS as usize];
    plan.iter()
        .map(|p| {
            let slot = p.client as usize;
            let invoked = free_at[slot] + p.gap;
            let returned = invoked + p.duration;
            free_at[slot] = returned + 1;
            let client = p.client + CLIENTS * generation[slot];
            let effect = match p.ending {
                Ending::Answered => Some(invoked + p.duration * p.effect_percent / 100),
                Ending::Unknown { takes_effect: true } => {
                    Some(invoked + UNKNOWN_EFFECT_DELAY_MAX * p.effect_percent / 100)
                }
                Ending::Unknown {
                    takes_effect: false,
                }
                | Ending::Failed => None,
            };
            if matches!(p.ending, Ending::Unknown { .. }) {
                generation[slot] += 1;
            }
            Timing {
                client,
                invoked,
                returned,
                effect,
            }
        })
        .collect()
}

/// Runs the plan on an atomic `O`, operations in the order they take effect,
/// and writes down what each client saw.
fn simulate<O: Object>(plan: &[Planned<O::Input>]) -> Vec<Operation<O::Input, O::Output>> {
    let timings = timings(plan);
    let mut order: Vec<usize> = (0..plan.len())
        .filter(|&at| timings[at].effect.is_some())
        .collect();
    order.sort_by_key(|&at| (timings[at].effect, at));
    let mut object = O::default();
    // Every state the object went through, for stale reads.
    let mut states = vec![object.clone()];
    let mut outputs: Vec<Option<O::Output>> = vec![None; plan.len()];
    for at in order {
        let p = &plan[at];
        outputs[at] = match p.corruption {
            Corruption::StaleRead(ago) if O::is_read(&p.input) => {
                let past = states.len().saturating_sub(1 + ago);
                states[past].clone().apply(&p.input, p.echo)
            }
            Corruption::LostWrite if !O::is_read(&p.input) => {
                object.clone().apply(&p.input, p.echo)
            }
            Corruption::WrongAnswer => object.apply(&p.input, p.echo).map(O::corrupt),
            _ => object.apply(&p.input, p.echo),
        };
        states.push(object.clone());
    }
    plan.iter()
        .zip(timings)
        .zip(outputs)
        .map(|((p, timing), output)| {
            let outcome = match (p.ending, output) {
                (Ending::Answered, Some(output)) => Outcome::Ok {
                    output,
                    returned: timing.returned,
                },
                // Refused by the object (a cas that found another value).
                (Ending::Answered, None) | (Ending::Failed, _) => Outcome::Failed,
                (Ending::Unknown { .. }, _) => Outcome::Unknown,
            };
            Operation {
                client: timing.client,
                input: p.input.clone(),
                invoked: timing.invoked,
                outcome,
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Strategies.

fn ending() -> impl Strategy<Value = Ending> {
    prop_oneof![
        6 => Just(Ending::Answered),
        2 => any::<bool>().prop_map(|takes_effect| Ending::Unknown { takes_effect }),
        1 => Just(Ending::Failed),
    ]
}

fn corruption(broken: bool) -> BoxedStrategy<Corruption> {
    if !broken {
        return Just(Corruption::None).boxed();
    }
    prop_oneof![
        2 => Just(Corruption::None),
        1 => Just(Corruption::WrongAnswer),
        1 => (1..3_usize).prop_map(Corruption::StaleRead),
        1 => Just(Corruption::LostWrite),
    ]
    .boxed()
}

fn register_input() -> impl Strategy<Value = RegisterInput> {
    prop_oneof![
        3 => Just(RegisterInput::Read),
        3 => (1..4_i64).prop_map(RegisterInput::Write),
        1 => (1..4_i64, 1..4_i64).prop_map(|(expected, new)| RegisterInput::Cas { expected, new }),
    ]
}

/// Operations on one or two keys.
fn kv_input() -> impl Strategy<Value = KvInput> {
    prop_oneof![
        3 => (0..2_u64).prop_map(|key| KvInput::Get { key }),
        2 => (0..2_u64, 1..4_u64).prop_map(|(key, value)| KvInput::Put { key, value }),
        2 => (0..2_u64, 1..4_u64).prop_map(|(key, value)| KvInput::Append { key, value }),
    ]
}

fn plan<I: std::fmt::Debug>(
    input: impl Strategy<Value = I>,
    broken: bool,
) -> impl Strategy<Value = Vec<Planned<I>>> {
    let planned = (
        (0..CLIENTS, input, any::<bool>()),
        (0..3_u64, 0..6_u64, 0..=100_u64),
        ending(),
        corruption(broken),
    )
        .prop_map(
            |((client, input, echo), (gap, duration, effect_percent), ending, corruption)| {
                Planned {
                    client,
                    input,
                    echo,
                    gap,
                    duration,
                    effect_percent,
                    ending,
                    corruption,
                }
            },
        );
    prop::collection::vec(planned, 1..=OPERATIONS_MAX)
}

// ---------------------------------------------------------------------------
// The properties.

/// `Some(linearizable)` from the checker; `None` for `Unknown`, which tiny
/// histories must never get.
fn checker_says<M: Model>(model: &M, history: &[Operation<M::Input, M::Output>]) -> Option<bool> {
    match check(model, history, BUDGET_CONFIGURATIONS_DEFAULT).verdict {
        Verdict::Linearizable => Some(true),
        Verdict::NotLinearizable(_) => Some(false),
        Verdict::Unknown { .. } => None,
    }
}

/// The checker and the brute force agree on `history`; returns the verdict.
fn assert_agree<M: Model>(
    model: &M,
    history: &[Operation<M::Input, M::Output>],
) -> Result<bool, TestCaseError> {
    let checker = checker_says(model, history);
    let expected = brute_force(model, history);
    prop_assert_eq!(
        checker,
        Some(expected),
        "checker (None: budget exhausted) and brute force disagree on {:#?}",
        history
    );
    Ok(expected)
}

fn config() -> Config {
    Config {
        cases: 4000,
        ..Config::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn a_correct_register_is_linearizable_and_both_checkers_say_so(
        plan in plan(register_input(), false),
    ) {
        let history = simulate::<AtomicRegister>(&plan);
        prop_assert!(assert_agree(&Register, &history)?, "a correct register: {:#?}", history);
    }

    #[test]
    fn on_a_broken_register_the_checker_agrees_with_brute_force(
        plan in plan(register_input(), true),
    ) {
        assert_agree(&Register, &simulate::<AtomicRegister>(&plan))?;
    }

    #[test]
    fn a_correct_store_is_linearizable_and_both_checkers_say_so(
        plan in plan(kv_input(), false),
    ) {
        let history = simulate::<AtomicStore>(&plan);
        prop_assert!(assert_agree(&KeyValue::default(), &history)?, "a correct store: {:#?}", history);
    }

    #[test]
    fn on_a_broken_store_the_checker_agrees_with_brute_force(
        plan in plan(kv_input(), true),
    ) {
        assert_agree(&KeyValue::default(), &simulate::<AtomicStore>(&plan))?;
    }
}

/// The share of broken histories that are not linearizable, over `samples`
/// plans drawn with a fixed seed.
fn share_not_linearizable<O: Object, M: Model<Input = O::Input, Output = O::Output>>(
    model: &M,
    input: impl Strategy<Value = O::Input>,
    samples: usize,
) -> f64 {
    let mut runner = TestRunner::deterministic();
    let strategy = plan(input, true);
    let failing = (0..samples)
        .filter(|_| {
            let plan = strategy.new_tree(&mut runner).expect("a plan").current();
            !brute_force(model, &simulate::<O>(&plan))
        })
        .count();
    failing as f64 / samples as f64
}

/// A differential test is only as good as its cases: the broken generator
/// must give plenty of both verdicts, or agreement proves little.
#[test]
fn the_broken_generators_give_both_verdicts() {
    let register = share_not_linearizable::<AtomicRegister, _>(&Register, register_input(), 500);
    let store = share_not_linearizable::<AtomicStore, _>(&KeyValue::default(), kv_input(), 500);
    for (name, share) in [("register", register), ("store", store)] {
        assert!(
            (0.1..=0.9).contains(&share),
            "{name}: {:.0}% of broken histories not linearizable",
            share * 100.0
        );
    }
}

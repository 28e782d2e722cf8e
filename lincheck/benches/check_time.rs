//! check_time: how long `lincheck::check` takes on histories the size of a
//! real test run, and that it stays within its budget on a hard one.
//!
//! Histories are made deterministically (seeded ChaCha) by a simulated
//! linearizable store: clients run one operation at a time, each with a
//! random think time before it and a random latency; each operation takes
//! effect at a random instant inside its interval, and its answer is what the
//! store held then. A share of operations get no answer (unknown outcome):
//! they take effect at some later instant or never, and their client goes on
//! as a new process after a timeout, as in Jepsen. The histories are
//! linearizable by construction, so any other verdict is reported.
//!
//! - `kv`: 10,000 operations, 10 clients, 100 keys, 1% unknown.
//! - `register`: 2,000 operations, 5 clients, one CAS register, 1% unknown.
//! - `kv-one-key`: the same load on one key of the store.
//! - `register-bug`, `kv-one-key-bug`: the same histories with one read
//!   after the middle answered with a value nobody wrote: how long finding a
//!   real violation takes (or whether the budget runs out first).
//! - `adversarial`: one register, every operation concurrent with every
//!   other: writes of one value, unknown writes, and a read of a value nobody
//!   wrote. The search cannot finish; it must stop at its budget.
//!
//! `cargo bench -p lincheck --bench check_time` runs the full measurement
//! (medians over several runs); run without `--bench` (as
//! `cargo test --benches` does) it does one small smoke run of each.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use lincheck::models::kv::{KeyValue, KvInput, KvOutput};
use lincheck::models::register::{Register, RegisterInput, RegisterOutput};
use lincheck::{BUDGET_CONFIGURATIONS_DEFAULT, Model, Operation, Outcome, Report, Verdict, check};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The shape of a simulated load.
#[derive(Clone, Copy, Debug)]
struct Load {
    operations: usize,
    clients: u64,
    /// The chance that an operation gets no answer.
    unknown_probability: f64,
    think_us_max: u64,
    latency_us_min: u64,
    latency_us_max: u64,
    /// How long a client waits for an answer before it gives up.
    timeout_us: u64,
}

impl Load {
    fn new(operations: usize, clients: u64) -> Load {
        Load {
            operations,
            clients,
            unknown_probability: 0.01,
            think_us_max: 2_000,
            latency_us_min: 500,
            latency_us_max: 5_000,
            timeout_us: 20_000,
        }
    }
}

/// A linearizable object the simulation runs operations on, one at a time.
trait Atomic: Default {
    type Input: Clone;
    type Output;

    /// Runs `input`; `None` if it is refused (and changes nothing).
    fn apply(&mut self, input: &Self::Input) -> Option<Self::Output>;
}

#[derive(Debug, Default)]
struct AtomicRegister(Option<i64>);

impl Atomic for AtomicRegister {
    type Input = RegisterInput;
    type Output = RegisterOutput;

    fn apply(&mut self, input: &RegisterInput) -> Option<RegisterOutput> {
        match *input {
            RegisterInput::Read => Some(RegisterOutput::Read(self.0)),
            RegisterInput::Write(value) => {
                self.0 = Some(value);
                Some(RegisterOutput::Ok)
            }
            RegisterInput::Cas { expected, new } => (self.0 == Some(expected)).then(|| {
                self.0 = Some(new);
                RegisterOutput::Ok
            }),
        }
    }
}

#[derive(Debug, Default)]
struct AtomicStore(BTreeMap<u64, Vec<u64>>);

impl Atomic for AtomicStore {
    type Input = KvInput;
    type Output = KvOutput;

    fn apply(&mut self, input: &KvInput) -> Option<KvOutput> {
        Some(match *input {
            KvInput::Put { key, value } => {
                self.0.insert(key, vec![value]);
                KvOutput::Written
            }
            KvInput::Get { key } => KvOutput::Read(self.0.get(&key).cloned().unwrap_or_default()),
            KvInput::Append { key, value } => {
                self.0.entry(key).or_default().push(value);
                KvOutput::Written
            }
        })
    }
}

/// An operation laid out in time, before it runs.
struct Timed<I> {
    client: u64,
    input: I,
    invoked: u64,
    /// `None`: no answer.
    returned: Option<u64>,
    /// When it takes effect, if it does.
    effect: Option<u64>,
}

/// Simulates `load` on an `A`, with inputs drawn by `input`.
fn simulate<A: Atomic>(
    load: Load,
    seed: u64,
    mut input: impl FnMut(&mut ChaCha8Rng) -> A::Input,
) -> Vec<Operation<A::Input, A::Output>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let timed = lay_out(load, &mut rng, &mut input);
    let mut order: Vec<usize> = (0..timed.len())
        .filter(|&at| timed[at].effect.is_some())
        .collect();
    order.sort_by_key(|&at| (timed[at].effect, at));
    let mut object = A::default();
    let mut outputs: Vec<Option<A::Output>> = (0..timed.len()).map(|_| None).collect();
    for at in order {
        outputs[at] = object.apply(&timed[at].input);
    }
    timed
        .into_iter()
        .zip(outputs)
        .map(|(op, output)| {
            let outcome = match (op.returned, output) {
                (Some(returned), Some(output)) => Outcome::Ok { output, returned },
                // Refused: a cas that found another value.
                (Some(_), None) => Outcome::Failed,
                (None, _) => Outcome::Unknown,
            };
            Operation {
                client: op.client,
                input: op.input,
                invoked: op.invoked,
                outcome,
            }
        })
        .collect()
}

/// Times for `load.operations` operations: the client free first goes next.
fn lay_out<I>(
    load: Load,
    rng: &mut ChaCha8Rng,
    input: &mut impl FnMut(&mut ChaCha8Rng) -> I,
) -> Vec<Timed<I>> {
    // (free at, client id) per client slot.
    let mut slots: Vec<(u64, u64)> = (0..load.clients).map(|id| (0, id)).collect();
    let mut next_client = load.clients;
    let mut timed = Vec::with_capacity(load.operations);
    while timed.len() < load.operations {
        let slot = (0..slots.len())
            .min_by_key(|&s| slots[s])
            .expect("at least one client");
        let invoked = slots[slot].0 + rng.random_range(0..=load.think_us_max);
        let latency = rng.random_range(load.latency_us_min..=load.latency_us_max);
        let client = slots[slot].1;
        let op = if rng.random_bool(load.unknown_probability) {
            // No answer: the client gives up and a new process takes its slot.
            slots[slot] = (invoked + load.timeout_us, next_client);
            next_client += 1;
            let took_effect = rng.random_bool(0.5);
            Timed {
                client,
                input: input(rng),
                invoked,
                returned: None,
                effect: took_effect.then(|| invoked + rng.random_range(0..=10 * latency)),
            }
        } else {
            let returned = invoked + latency;
            slots[slot].0 = returned + 1;
            Timed {
                client,
                input: input(rng),
                invoked,
                returned: Some(returned),
                effect: Some(rng.random_range(invoked..=returned)),
            }
        };
        timed.push(op);
    }
    timed
}

/// Store operations over `keys` keys: half reads, a quarter puts, a quarter
/// appends, every written value distinct.
fn kv_input(keys: u64) -> impl FnMut(&mut ChaCha8Rng) -> KvInput {
    let mut written = 0;
    move |rng| {
        let key = rng.random_range(0..keys);
        written += 1;
        match rng.random_range(0..4) {
            0 => KvInput::Put {
                key,
                value: written,
            },
            1 => KvInput::Append {
                key,
                value: written,
            },
            _ => KvInput::Get { key },
        }
    }
}

/// Register operations as Jepsen's cas-register test draws them: read, write
/// or cas, values in 0..5.
fn register_input(rng: &mut ChaCha8Rng) -> RegisterInput {
    match rng.random_range(0..3) {
        0 => RegisterInput::Read,
        1 => RegisterInput::Write(rng.random_range(0..5)),
        _ => RegisterInput::Cas {
            expected: rng.random_range(0..5),
            new: rng.random_range(0..5),
        },
    }
}

/// `history` with its first read after the middle answered with `wrong`.
fn with_wrong_read<I, O>(
    mut history: Vec<Operation<I, O>>,
    is_read: impl Fn(&O) -> bool,
    wrong: O,
) -> Vec<Operation<I, O>> {
    let middle = history.len() / 2;
    let read = history[middle..]
        .iter_mut()
        .find_map(|op| match &mut op.outcome {
            Outcome::Ok { output, .. } if is_read(output) => Some(output),
            _ => None,
        })
        .expect("a read after the middle");
    *read = wrong;
    history
}

/// Every operation concurrent with every other: `writes` writes of 1,
/// `unknowns` unknown writes of distinct values, and a read of a value
/// nobody wrote. Not linearizable, and every subset of the unknown writes is
/// a configuration to rule out.
fn adversarial(writes: usize, unknowns: usize) -> Vec<Operation<RegisterInput, RegisterOutput>> {
    let mut history = Vec::new();
    let horizon = 1_000_000;
    for client in 0..writes as u64 {
        history.push(Operation {
            client,
            input: RegisterInput::Write(1),
            invoked: client,
            outcome: Outcome::Ok {
                output: RegisterOutput::Ok,
                returned: horizon,
            },
        });
    }
    for n in 0..unknowns as i64 {
        history.push(Operation {
            client: (writes as u64) + n as u64,
            input: RegisterInput::Write(n + 2),
            invoked: n as u64,
            outcome: Outcome::Unknown,
        });
    }
    history.push(Operation {
        client: u64::MAX,
        input: RegisterInput::Read,
        invoked: horizon - 1,
        outcome: Outcome::Ok {
            output: RegisterOutput::Read(Some(-1)),
            returned: horizon + 1,
        },
    });
    history
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    let mid = values.len() / 2;
    if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2
    }
}

/// What a history is known to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Known {
    Linearizable,
    NotLinearizable,
}

/// Checks `history` `runs` times with `budget` configurations per part; prints the median time and what the check
/// found, and panics if that contradicts what is `known` (running out of
/// budget contradicts nothing).
fn measure<M: Model>(
    name: &str,
    model: &M,
    history: &[Operation<M::Input, M::Output>],
    runs: usize,
    budget: u64,
    known: Known,
) {
    let mut times = Vec::with_capacity(runs);
    let mut report: Option<Report> = None;
    for _ in 0..runs {
        let start = Instant::now();
        let found = check(model, history, budget);
        times.push(start.elapsed());
        report = Some(found);
    }
    let report = report.expect("at least one run");
    let verdict = match &report.verdict {
        Verdict::Linearizable => "linearizable".to_owned(),
        Verdict::NotLinearizable(found) => format!("not linearizable (key {})", found.key),
        Verdict::Unknown { parts_exhausted } => {
            format!("unknown ({parts_exhausted} parts out of budget)")
        }
    };
    let unknown_outcomes = history
        .iter()
        .filter(|op| matches!(op.outcome, Outcome::Unknown))
        .count();
    println!(
        "{name:<15} {:>9.1} ms median of {runs}: {} ops ({} searched, {unknown_outcomes} unknown), \
         {} parts, {} configurations (budget {budget} per part): {verdict}",
        median(times).as_secs_f64() * 1e3,
        report.operations,
        report.searched,
        report.parts,
        report.configurations,
    );
    let contradicts = match report.verdict {
        Verdict::Linearizable => known == Known::NotLinearizable,
        Verdict::NotLinearizable(_) => known == Known::Linearizable,
        Verdict::Unknown { .. } => false,
    };
    assert!(!contradicts, "{name}: the history is known {known:?}");
}

fn main() {
    // `cargo bench` passes `--bench`; anything else (`cargo test --benches`)
    // gets a quick smoke run.
    let full = std::env::args().any(|arg| arg == "--bench");
    let (scale, runs) = if full { (1, 7) } else { (10, 1) };
    let budget = BUDGET_CONFIGURATIONS_DEFAULT;
    let seed = 1;
    println!(
        "check_time: seed {seed}{}",
        if full { "" } else { " [smoke run]" }
    );

    let kv = simulate::<AtomicStore>(Load::new(10_000 / scale, 10), seed, kv_input(100));
    measure(
        "kv",
        &KeyValue::default(),
        &kv,
        runs,
        budget,
        Known::Linearizable,
    );

    let register = simulate::<AtomicRegister>(Load::new(2_000 / scale, 5), seed, register_input);
    measure(
        "register",
        &Register,
        &register,
        runs,
        budget,
        Known::Linearizable,
    );

    let one_key = simulate::<AtomicStore>(Load::new(2_000 / scale, 5), seed, kv_input(1));
    measure(
        "kv-one-key",
        &KeyValue::default(),
        &one_key,
        runs,
        budget,
        Known::Linearizable,
    );

    // The slow ones run fewer times.
    let slow_runs = runs.min(3);
    let register_bug = with_wrong_read(
        register,
        |out| matches!(out, RegisterOutput::Read(_)),
        RegisterOutput::Read(Some(-1)),
    );
    let not = Known::NotLinearizable;
    measure(
        "register-bug",
        &Register,
        &register_bug,
        slow_runs,
        budget,
        not,
    );
    let one_key_bug = with_wrong_read(
        one_key,
        |out| matches!(out, KvOutput::Read(_)),
        KvOutput::Read(vec![0]),
    );
    measure(
        "kv-one-key-bug",
        &KeyValue::default(),
        &one_key_bug,
        slow_runs,
        budget,
        not,
    );

    // The smoke run only shows that the budget stops it.
    let hard = adversarial(20, 40);
    let hard_budget = if full { budget } else { budget / 100 };
    measure("adversarial", &Register, &hard, slow_runs, hard_budget, not);
}

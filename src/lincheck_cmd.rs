//! `raftsim lincheck FILE`: is a history file linearizable? Reads JSON lines
//! (the simulator's `--history`) or Jepsen EDN, checks it against the kv
//! store or the compare-and-set register with the `lincheck` crate, and
//! prints the verdict, with the failing operations when there are some.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};
use lincheck::formats::{History, ReadError, Vocabulary, read_edn, read_jsonl};
use lincheck::models::kv::KeyValue;
use lincheck::models::register::Register;
use lincheck::{
    BUDGET_CONFIGURATIONS_DEFAULT, Counterexample, Model, Operation, Outcome, Report, Verdict,
    check,
};
use serde::Serialize;

use crate::say;
use crate::status::Status;

/// The sequential object a history is checked against.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum ModelName {
    /// The simulator's key-value store: put, get, append on integer keys.
    Kv,
    /// Jepsen's compare-and-set register: read, write, cas.
    Register,
}

/// How the file is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Syntax {
    /// One JSON object per line (the simulator's `--history`).
    Jsonl,
    /// One EDN map per line (Jepsen's `history.edn`).
    Edn,
}

impl Syntax {
    fn name(self) -> &'static str {
        match self {
            Syntax::Jsonl => "JSON lines",
            Syntax::Edn => "EDN",
        }
    }
}

/// Arguments of `raftsim lincheck`.
#[derive(Debug, Args)]
pub struct LincheckArgs {
    /// The history file: Jepsen EDN if its name ends in `.edn`, else JSON
    /// lines; `-` reads standard input (JSON lines unless --format edn).
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// The model [default: kv for JSON lines, register for EDN].
    #[arg(long, value_enum)]
    model: Option<ModelName>,
    /// The syntax, when the file name does not say [default: edn for
    /// *.edn, else jsonl].
    #[arg(long, value_enum)]
    format: Option<Syntax>,
    /// Configurations (memo-table entries) the search of one key may
    /// explore; past it that key's verdict is unknown (exit 3).
    #[arg(long, default_value_t = BUDGET_CONFIGURATIONS_DEFAULT,
          value_parser = clap::value_parser!(u64).range(1..))]
    budget: u64,
    /// Print one JSON object instead of the text report.
    #[arg(long)]
    json: bool,
}

impl LincheckArgs {
    fn syntax(&self) -> Syntax {
        self.format.unwrap_or_else(|| {
            let edn = self.file.extension().is_some_and(|ext| ext == "edn");
            if edn { Syntax::Edn } else { Syntax::Jsonl }
        })
    }

    /// The simulator writes kv histories as JSON lines; Jepsen's EDN
    /// histories that ship as test suites (etcd, Consul) are registers.
    fn model(&self, syntax: Syntax) -> ModelName {
        self.model.unwrap_or(match syntax {
            Syntax::Jsonl => ModelName::Kv,
            Syntax::Edn => ModelName::Register,
        })
    }

    /// The file's name in messages.
    fn display_name(&self) -> String {
        if self.is_stdin() {
            "<stdin>".to_owned()
        } else {
            self.file.display().to_string()
        }
    }

    fn is_stdin(&self) -> bool {
        self.file == Path::new("-")
    }
}

/// Reads and checks the history; returns 0 linearizable, 1 not, 3 unknown
/// (the budget ran out), 2 the file could not be read or is malformed.
pub fn lincheck_command(args: &LincheckArgs) -> Status {
    stop_at_once_on_interrupt();
    let syntax = args.syntax();
    match args.model(syntax) {
        ModelName::Kv => check_file(&KeyValue::default(), args, syntax),
        ModelName::Register => check_file(&Register, args, syntax),
    }
}

/// The search polls nothing, so it cannot stop half-way with a partial
/// verdict: Ctrl-C ends the process at once instead of after the search.
fn stop_at_once_on_interrupt() {
    std::thread::spawn(|| {
        loop {
            if crate::interrupt::requested() {
                eprintln!("raftsim lincheck: interrupted before a verdict");
                std::process::exit(Status::Interrupted.code());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    });
}

fn check_file<V: Vocabulary>(model: &V, args: &LincheckArgs, syntax: Syntax) -> Status {
    let history = match read_history(model, args, syntax) {
        Ok(history) => history,
        Err(message) => {
            eprintln!("raftsim lincheck: {message}");
            return Status::Usage;
        }
    };
    let started = Instant::now();
    let report = check(model, &history, args.budget);
    let seconds = started.elapsed().as_secs_f64();
    if args.json {
        let json = JsonReport::new(model, &history, &report, args, syntax);
        say!(
            "{}",
            serde_json::to_string(&json).expect("a report serializes")
        );
    } else {
        print_report(model, &history, &report, args, syntax, seconds);
    }
    match report.verdict {
        Verdict::Linearizable => Status::Ok,
        Verdict::NotLinearizable(_) => Status::Violation,
        Verdict::Unknown { .. } => Status::Inconclusive,
    }
}

/// The history, or why not: `FILE: cannot read: ...` or `FILE:LINE: ...`.
fn read_history<V: Vocabulary>(
    model: &V,
    args: &LincheckArgs,
    syntax: Syntax,
) -> Result<History<V>, String> {
    let name = args.display_name();
    let input: Box<dyn BufRead> = if args.is_stdin() {
        Box::new(std::io::stdin().lock())
    } else {
        let file =
            std::fs::File::open(&args.file).map_err(|err| format!("{name}: cannot read: {err}"))?;
        Box::new(BufReader::new(file))
    };
    let read = match syntax {
        Syntax::Jsonl => read_jsonl(model, input),
        Syntax::Edn => read_edn(model, input),
    };
    // The error's text starts with its line: `FILE:LINE: ...`.
    read.map_err(|err: ReadError| format!("{name}:{err}"))
}

/// Times as the file's clock reads them: the simulator's nanoseconds as
/// seconds to the millisecond; Jepsen's EDN times (often positions in a
/// log) as they are.
fn time_format(syntax: Syntax) -> fn(u64) -> String {
    match syntax {
        Syntax::Jsonl => |ns| format!("{:.3}s", ns as f64 / 1e9),
        Syntax::Edn => |time| time.to_string(),
    }
}

fn print_report<V: Vocabulary>(
    model: &V,
    history: &History<V>,
    report: &Report,
    args: &LincheckArgs,
    syntax: Syntax,
    seconds: f64,
) {
    say!(
        "raftsim lincheck {} ({} model, {}): {} operations, {} searched in {} part(s), \
         {} configurations, {seconds:.3}s",
        args.display_name(),
        V::NAME,
        syntax.name(),
        report.operations,
        report.searched,
        report.parts,
        report.configurations,
    );
    match &report.verdict {
        Verdict::Linearizable => say!("result: linearizable"),
        Verdict::NotLinearizable(counterexample) => {
            say!("result: NOT LINEARIZABLE");
            let time = time_format(syntax);
            say!(
                "{}",
                lincheck::render(model, history, counterexample, &time)
            );
        }
        Verdict::Unknown { parts_exhausted } => say!(
            "result: UNKNOWN: {parts_exhausted} part(s) ran out of the budget of {} \
             configurations each, so their verdict is unknown (no part failed); \
             raise --budget",
            args.budget
        ),
    }
}

/// `--json`: one object with the verdict, the counts, and the
/// counterexample's operations described.
#[derive(Debug, Serialize)]
struct JsonReport {
    file: String,
    format: &'static str,
    model: &'static str,
    budget: u64,
    /// `linearizable`, `not_linearizable` or `unknown`.
    verdict: &'static str,
    operations: usize,
    searched: usize,
    parts: usize,
    parts_exhausted: usize,
    configurations: u64,
    counterexample: Option<JsonCounterexample>,
}

#[derive(Debug, Serialize)]
struct JsonCounterexample {
    key: String,
    key_operations: usize,
    /// The failing sub-history, in invocation order.
    operations: Vec<JsonOperation>,
    /// Positions, in the order they take effect.
    linearized: Vec<usize>,
    stuck: JsonOperation,
    state_after: String,
}

#[derive(Debug, Serialize)]
struct JsonOperation {
    /// Position in the history (operations in invocation order).
    position: usize,
    client: u64,
    invoked: u64,
    /// Absent for a failed or unknown outcome.
    returned: Option<u64>,
    /// `ok`, `failed` or `unknown`.
    outcome: &'static str,
    /// The operation and its output, as the model describes it.
    operation: String,
}

impl JsonReport {
    fn new<V: Vocabulary>(
        model: &V,
        history: &History<V>,
        report: &Report,
        args: &LincheckArgs,
        syntax: Syntax,
    ) -> JsonReport {
        let (verdict, parts_exhausted, counterexample) = match &report.verdict {
            Verdict::Linearizable => ("linearizable", 0, None),
            Verdict::NotLinearizable(found) => (
                "not_linearizable",
                0,
                Some(JsonCounterexample::new(model, history, found)),
            ),
            Verdict::Unknown { parts_exhausted } => ("unknown", *parts_exhausted, None),
        };
        JsonReport {
            file: args.display_name(),
            format: match syntax {
                Syntax::Jsonl => "jsonl",
                Syntax::Edn => "edn",
            },
            model: V::NAME,
            budget: args.budget,
            verdict,
            operations: report.operations,
            searched: report.searched,
            parts: report.parts,
            parts_exhausted,
            configurations: report.configurations,
            counterexample,
        }
    }
}

impl JsonCounterexample {
    fn new<M: Model>(
        model: &M,
        history: &[Operation<M::Input, M::Output>],
        found: &Counterexample,
    ) -> JsonCounterexample {
        let describe = |position: usize| {
            let op = &history[position];
            let (outcome, returned) = match op.outcome {
                Outcome::Ok { returned, .. } => ("ok", Some(returned)),
                Outcome::Failed => ("failed", None),
                Outcome::Unknown => ("unknown", None),
            };
            JsonOperation {
                position,
                client: op.client,
                invoked: op.invoked,
                returned,
                outcome,
                operation: model.describe_operation(&op.input, op.output()),
            }
        };
        JsonCounterexample {
            key: found.key.clone(),
            key_operations: found.key_operations,
            operations: found.operations.iter().map(|&at| describe(at)).collect(),
            linearized: found.linearized.clone(),
            stuck: describe(found.stuck),
            state_after: found.state_after.clone(),
        }
    }
}

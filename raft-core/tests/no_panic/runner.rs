//! The proptest runner set-up shared by every property: case counts, the
//! fixed seed, and failure reports that show only the minimal input.

use std::cell::Cell;
use std::sync::Once;

use proptest::strategy::Strategy;
use proptest::test_runner::{Config as RunnerConfig, RngSeed, TestError, TestRunner};

/// Default case counts are sized for `cargo test --release` (the whole
/// binary in about 5 s on two cores); unoptimized builds, some ten times
/// slower, run a quarter of them. `PROPTEST_CASES` overrides them.
pub(crate) const fn scaled(release_cases: u32) -> u32 {
    if cfg!(debug_assertions) {
        release_cases / 4
    } else {
        release_cases
    }
}

/// The seed used unless `PROPTEST_RNG_SEED` asks for another one.
const DEFAULT_SEED: u64 = 0x5AFE_4AF7_2024_0001;

/// A runner config: `default_cases` unless `PROPTEST_CASES` is set, a fixed
/// seed unless `PROPTEST_RNG_SEED` is set, and no regression files written
/// into the source tree (the fixed seed reproduces any failure anyway).
fn runner_config(default_cases: u32) -> RunnerConfig {
    let mut config = RunnerConfig::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = default_cases;
    }
    if std::env::var_os("PROPTEST_RNG_SEED").is_none() {
        config.rng_seed = RngSeed::Fixed(DEFAULT_SEED);
    }
    config.failure_persistence = None;
    config.max_shrink_iters = 4096;
    config
}

/// The number of cases a property with `default_cases` runs.
pub(crate) fn cases_requested(default_cases: u32) -> u32 {
    runner_config(default_cases).cases
}

/// Runs `test` on values of `strategy`; on failure, panics with the minimal
/// input proptest found.
pub(crate) fn run_property<S>(name: &str, cases: u32, strategy: &S, test: impl Fn(S::Value))
where
    S: Strategy,
    S::Value: std::fmt::Debug,
{
    let mut runner = TestRunner::new(runner_config(cases));
    let result = {
        let _quiet = QuietPanics::install();
        runner.run(strategy, |value| {
            test(value);
            Ok(())
        })
    };
    match result {
        Ok(()) => {}
        Err(TestError::Fail(reason, value)) => {
            panic!("{name}: property failed: {reason}\nminimal failing input:\n{value:#?}")
        }
        Err(TestError::Abort(reason)) => panic!("{name}: aborted: {reason}"),
    }
}

/// While alive, panics on this thread print nothing: proptest catches them
/// and shrinks, and printing every shrink step's panic buries the one report
/// that matters (the minimal input, with its panic message). Panics on other
/// threads print as usual. One hook is installed for the whole process and
/// asks a per-thread flag, so concurrent tests do not race on the hook.
struct QuietPanics;

thread_local! {
    static QUIET: Cell<bool> = const { Cell::new(false) };
}

impl QuietPanics {
    fn install() -> QuietPanics {
        static HOOK: Once = Once::new();
        HOOK.call_once(|| {
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                if !QUIET.with(Cell::get) {
                    previous(info);
                }
            }));
        });
        QUIET.with(|quiet| quiet.set(true));
        QuietPanics
    }
}

impl Drop for QuietPanics {
    fn drop(&mut self) {
        QUIET.with(|quiet| quiet.set(false));
    }
}

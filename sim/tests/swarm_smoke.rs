use sim::run::{RunOptions, run};

#[test]
fn a_few_seeds_run_clean() {
    for seed in 0..5 {
        let report = run(&RunOptions::new(seed), None);
        eprintln!(
            "seed {seed}: events {} committed {} ops {:?} failure {:?}",
            report.events,
            report.committed,
            report.ops,
            report.failure.as_ref().map(|f| f.violation.to_string())
        );
    }
}

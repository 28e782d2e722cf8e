//! The swarm's availability figures: their distribution over the runs, and
//! `--baseline FILE`, a comparison with an earlier swarm's `--json` lines
//! over the same seeds that flags a statistically clear regression (a build
//! that takes twice as long to elect is a finding even if it always elects
//! in the end).

use std::collections::BTreeMap;
use std::path::Path;

use sim::availability::AvailabilityFigures;
use sim::units::format_ns;

use crate::say;

/// One figure the swarm reports and compares: its name, how to read it off
/// a run, and how to print a value.
struct Metric {
    name: &'static str,
    value: fn(&AvailabilityFigures) -> f64,
    show: fn(f64) -> String,
}

const METRICS: &[Metric] = &[
    Metric {
        name: "time without a leader",
        value: |a| a.leaderless_ns as f64 * 100.0 / a.sampled_ns.max(1) as f64,
        show: |v| format!("{v:.1}%"),
    },
    Metric {
        name: "longest stable gap (share of its bound)",
        value: |a| a.stable_leaderless_max_of_bound * 100.0,
        show: |v| format!("{v:.0}%"),
    },
    Metric {
        name: "longest replication stall (share of its bound)",
        value: |a| a.replication_stall_max_of_bound * 100.0,
        show: |v| format!("{v:.0}%"),
    },
    Metric {
        name: "longest judged client wait (share of its bound)",
        value: |a| a.op_wait_max_of_bound * 100.0,
        show: |v| format!("{v:.0}%"),
    },
    Metric {
        name: "terms per simulated minute",
        value: |a| a.terms_per_minute,
        show: |v| format!("{v:.1}"),
    },
    Metric {
        name: "client latency p50",
        value: |a| a.latency_p50_ns as f64,
        show: |v| format_ns(v as u64),
    },
    Metric {
        name: "client latency p99",
        value: |a| a.latency_p99_ns as f64,
        show: |v| format_ns(v as u64),
    },
    Metric {
        name: "messages per committed entry",
        value: |a| a.messages_per_commit,
        show: |v| format!("{v:.1}"),
    },
];

/// The value at quantile `q` (0 to 1) of sorted `values`.
fn quantile(values: &[f64], q: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let at = ((values.len() - 1) as f64 * q).round() as usize;
    values[at]
}

fn sorted(values: impl Iterator<Item = f64>) -> Vec<f64> {
    let mut values: Vec<f64> = values.collect();
    values.sort_by(f64::total_cmp);
    values
}

/// Prints each figure's median, 99th percentile and maximum over the runs.
pub fn print_distribution(runs: &[(u64, AvailabilityFigures)]) {
    if runs.is_empty() {
        return;
    }
    say!(
        "availability over {} runs (median / p99 / max):",
        runs.len()
    );
    for metric in METRICS {
        let values = sorted(runs.iter().map(|(_, a)| (metric.value)(a)));
        say!(
            "  {:<48} {} / {} / {}",
            metric.name,
            (metric.show)(quantile(&values, 0.5)),
            (metric.show)(quantile(&values, 0.99)),
            (metric.show)(quantile(&values, 1.0))
        );
    }
}

/// The figures of an earlier `swarm --json`, by seed.
pub fn read_baseline(path: &Path) -> Result<BTreeMap<u64, AvailabilityFigures>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|err| format!("cannot read {}: {err}", path.display()))?;
    let mut figures = BTreeMap::new();
    for (number, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let at = || format!("{}:{}", path.display(), number + 1);
        let value: serde_json::Value = serde_json::from_str(line)
            .map_err(|err| format!("{}: not a JSON line of `swarm --json`: {err}", at()))?;
        let seed = value["seed"]
            .as_u64()
            .ok_or_else(|| format!("{}: no `seed`", at()))?;
        let availability = serde_json::from_value(value["availability"].clone())
            .map_err(|err| format!("{}: no `availability` figures ({err})", at()))?;
        figures.insert(seed, availability);
    }
    Ok(figures)
}

/// A ratio past which one seed's figure counts as changed (noise below).
const CHANGED_RATIO: f64 = 1.1;
/// The median ratio a regression must reach to matter.
const REGRESSION_MEDIAN_RATIO: f64 = 1.25;
/// How many standard deviations the sign test must clear.
const SIGN_TEST_Z: f64 = 3.0;

/// Compares `runs` with `baseline` seed by seed; prints a line per figure
/// and returns the names of the figures that clearly regressed: more seeds
/// worse than better by a sign test (z > 3) and a median ratio above 1.25.
pub fn compare(
    runs: &[(u64, AvailabilityFigures)],
    baseline: &BTreeMap<u64, AvailabilityFigures>,
    print: &dyn Fn(String),
) -> Vec<&'static str> {
    let pairs: Vec<(&AvailabilityFigures, &AvailabilityFigures)> = runs
        .iter()
        .filter_map(|(seed, now)| baseline.get(seed).map(|before| (before, now)))
        .collect();
    print(format!(
        "baseline: {} of {} seeds in both runs (figure: baseline median -> now median, median ratio, seeds worse/better)",
        pairs.len(),
        runs.len()
    ));
    let mut regressed = Vec::new();
    for metric in METRICS {
        let (mut worse, mut better) = (0u64, 0u64);
        let mut ratios = Vec::new();
        for (before, now) in &pairs {
            let (b, n) = ((metric.value)(before), (metric.value)(now));
            if b <= 0.0 || n <= 0.0 {
                continue;
            }
            let ratio = n / b;
            ratios.push(ratio);
            worse += u64::from(ratio > CHANGED_RATIO);
            better += u64::from(ratio < 1.0 / CHANGED_RATIO);
        }
        let ratios = sorted(ratios.into_iter());
        let median_ratio = quantile(&ratios, 0.5);
        let changed = (worse + better) as f64;
        let z = if changed > 0.0 {
            (worse as f64 - better as f64) / changed.sqrt()
        } else {
            0.0
        };
        let regression = z > SIGN_TEST_Z && median_ratio > REGRESSION_MEDIAN_RATIO;
        let before = sorted(pairs.iter().map(|(b, _)| (metric.value)(b)));
        let now = sorted(pairs.iter().map(|(_, n)| (metric.value)(n)));
        print(format!(
            "  {:<48} {} -> {}, x{median_ratio:.2}, {worse}/{better}{}",
            metric.name,
            (metric.show)(quantile(&before, 0.5)),
            (metric.show)(quantile(&now, 0.5)),
            if regression { "  REGRESSION" } else { "" }
        ));
        if regression {
            regressed.push(metric.name);
        }
    }
    regressed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figures(gap: f64, terms: f64) -> AvailabilityFigures {
        AvailabilityFigures {
            stable_leaderless_max_of_bound: gap,
            terms_per_minute: terms,
            leaderless_ns: 10,
            sampled_ns: 100,
            latency_p50_ns: 5,
            latency_p99_ns: 50,
            messages_per_commit: 3.0,
            ..AvailabilityFigures::default()
        }
    }

    #[test]
    fn a_clear_slowdown_is_a_regression_and_noise_is_not() {
        let baseline: BTreeMap<u64, AvailabilityFigures> = (0..100)
            .map(|seed| (seed, figures(0.1 + seed as f64 / 1000.0, 10.0)))
            .collect();
        // Elections take twice as long on every seed.
        let slow: Vec<_> = (0..100)
            .map(|seed| (seed, figures(0.2 + seed as f64 / 500.0, 10.0)))
            .collect();
        let regressed = compare(&slow, &baseline, &|_| {});
        assert_eq!(regressed, vec!["longest stable gap (share of its bound)"]);
        // The same figures, some seeds a little up and some down: nothing.
        let noisy: Vec<_> = (0..100)
            .map(|seed| {
                let wobble = if seed % 2 == 0 { 1.15 } else { 0.87 };
                (seed, figures((0.1 + seed as f64 / 1000.0) * wobble, 10.0))
            })
            .collect();
        assert!(compare(&noisy, &baseline, &|_| {}).is_empty());
    }
}

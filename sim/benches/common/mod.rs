//! What the benchmarks share: the median of a few rounds, and the seed
//! count from the command line.

/// The median of `values` (the upper one of an even count).
pub fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// The first whole number among the arguments (`cargo bench ... -- 100`),
/// or `default`.
#[allow(dead_code)]
pub fn count_arg(default: u64) -> u64 {
    std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(default)
}

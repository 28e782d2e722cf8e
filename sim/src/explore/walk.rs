//! Random walks: for bounds too large to exhaust, many seeded walks from
//! the initial state, each choosing uniformly among the enabled actions
//! until the depth bound (or a state with nothing enabled). The same seed
//! walks the same paths. A visited set counts the distinct states met, for
//! coverage; it prunes nothing.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::report::{Progress, Report};
use super::state::Model;
use super::visited::{Key, Visited};

/// Walks between two progress reports.
const PROGRESS_EVERY: u64 = 64;

/// `walks` random walks of `model` from `seed`, keeping `K`-bit fingerprints.
pub(crate) fn search<K: Key>(
    model: &Model,
    walks: u64,
    seed: u64,
    progress: &mut dyn FnMut(&Progress),
) -> Report {
    let mut report = Report::empty(false);
    let mut visited: Visited<K> = Visited::new();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let start = model.initial();
    visited.insert(model.fingerprint(&start));
    report.distinct_states = 1;
    report.generated_states = 1;
    for walk in 0..walks {
        let mut state = start.clone();
        let mut path: Vec<u16> = Vec::new();
        for depth in 1..=model.bounds.max_depth {
            if !model.expandable(&state) {
                break;
            }
            let steps = model.enabled(&state);
            if steps.is_empty() {
                break;
            }
            let index = rng.random_range(0..steps.len());
            path.push(u16::try_from(index).expect("fewer than 65536 enabled actions"));
            if let Err(violation) = report.take(model, &mut state, steps[index], depth) {
                report.visited_bytes = visited.bytes() as u64;
                report.found(model, &path, violation);
                return report;
            }
            if visited.insert(model.fingerprint(&state)) {
                report.distinct_states += 1;
            }
        }
        if walk % PROGRESS_EVERY == 0 {
            progress(&Progress {
                generated: report.generated_states,
                distinct: report.distinct_states,
                depth: report.depth,
                queue: walks - walk - 1,
                visited_bytes: visited.bytes() as u64,
            });
        }
    }
    report.visited_bytes = visited.bytes() as u64;
    report
}
